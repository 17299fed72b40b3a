// nercc_grpc_frontend: the cluster demo's front end and driver. It starts N LeNet5 worker
// processes (nercc_grpc_worker) on 127.0.0.1 and lets the schemes take turns serving real
// Fashion-MNIST test images through nercc::runtime at a fixed rate, with an asynchronous gRPC
// transport; in every turn it SIGKILLs one worker part-way through (and restarts it after the
// turn). It stops every worker at the end and reports latency, throughput, agreement with the
// uncoded model (RelAcc) and lost queries. Writes table.md, summary.json and one
// latency_<scheme>.dat per scheme (for cdf.gp) to --out.
//
// Exit code: 0 on success, 1 when a query was lost (no outcome at all) or on a runtime error,
// 2 on bad usage.
#include "cluster_common.hpp"
#include "progress.hpp"
#include "worker.grpc.pb.h"

#include <nercc/runtime.hpp>

#include <grpcpp/grpcpp.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using nercc::Index;
using Matrix = nercc::RowMatrix<float>;
using SteadyClock = std::chrono::steady_clock;
namespace rt = nercc::runtime;

const char* const usage = R"(usage: nercc_grpc_frontend [options]
  --smoke                 a few seconds' run: smoke LeNet5, 4 workers, K 2, 120 queries at
                          150 q/s (options after it override these)
  --out DIR               where table.md, summary.json and latency_*.dat go (default .)
  --schemes LIST          comma-separated, of uncoded,replication,berrut,nercc (default all)
  --workers N             worker processes per scheme, the same for every scheme (default 12)
  --coded-queries K       K of Berrut and NeRCC (default 4); uncoded uses K = N
  --replicas R            replication factor, K = N / R (default 3)
  --stragglers S          Berrut and NeRCC decode at N - S answers (default 4)
  --lambda-enc X          NeRCC encoder smoothing (default 0)
  --lambda-dec X          NeRCC decoder smoothing (default 0)
  --queries Q             queries per scheme (default 8000)
  --rounds R              the schemes take turns in R rounds of Q/R queries each; the killed
                          worker is restarted after each turn (default 4)
  --rate R                queries per second, fixed spacing (default 300)
  --deadline-ms X         a group decodes with what arrived after this long (default 250)
  --group-timeout-ms X    a partial group closes this long after its first query (default 50)
  --kill-at F             SIGKILL one worker after this fraction of the queries; < 0: never
                          (default 0.33)
  --kill-worker I         which worker to kill (default 1)
  --model lenet5|smoke    weights: the published LeNet5 (cache, else trained with a progress
                          bar) or the seconds-long smoke LeNet5 (default lenet5)
  --cache-dir DIR         weight cache (default: the Fashion-MNIST example's for lenet5,
                          OUT/cache for smoke, so a smoke run never touches the user's cache)
  --data-dir DIR          Fashion-MNIST idx files (default: the example's)
  --worker-bin PATH       the worker executable (default: the one built with this program)
  --seed N                seed of the workers' injected delays (default 1)
  --quiet                 no progress bars
)";

struct Args {
  std::string out = ".";
  std::vector<std::string> schemes = {"uncoded", "replication", "berrut", "nercc"};
  int workers = 12;
  int coded_queries = 4;
  int replicas = 3;
  int stragglers = 4;
  double lambda_enc = 0, lambda_dec = 0;
  std::int64_t queries = 8000;
  int rounds = 4;
  double rate = 300;
  double deadline_ms = 250;
  double group_timeout_ms = 50;
  double kill_at = 0.33;
  int kill_worker = 1;
  std::string model = "lenet5";
  std::string cache_dir, data_dir;
  std::string worker_bin = NERCC_GRPC_WORKER_PATH;
  std::uint64_t seed = 1;
  bool progress = true;
  nercc_cluster::LatencyParams latency;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string p; std::getline(in, p, sep);) parts.push_back(p);
  return parts;
}

Args parse_args(int argc, char** argv) {
  using nercc_cluster::parse_integer;
  using nercc_cluster::parse_real;
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("%s%s", usage, nercc_cluster::latency_usage());
      std::exit(0);
    }
    if (flag == "--quiet") {
      a.progress = false;
      continue;
    }
    if (flag == "--smoke") {
      a.model = "smoke";
      a.workers = 4;
      a.coded_queries = 2;
      a.replicas = 2;
      a.stragglers = 1;
      a.queries = 120;
      a.rounds = 2;
      a.rate = 150;
      a.kill_at = 0.5;
      a.deadline_ms = 200;
      a.group_timeout_ms = 20;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string v = argv[++i];
    if (a.latency.parse(flag, v)) continue;
    if (flag == "--out") a.out = v;
    else if (flag == "--schemes") a.schemes = split(v, ',');
    else if (flag == "--workers") a.workers = int(parse_integer(flag, v));
    else if (flag == "--coded-queries") a.coded_queries = int(parse_integer(flag, v));
    else if (flag == "--replicas") a.replicas = int(parse_integer(flag, v));
    else if (flag == "--stragglers") a.stragglers = int(parse_integer(flag, v));
    else if (flag == "--lambda-enc") a.lambda_enc = parse_real(flag, v);
    else if (flag == "--lambda-dec") a.lambda_dec = parse_real(flag, v);
    else if (flag == "--queries") a.queries = parse_integer(flag, v);
    else if (flag == "--rounds") a.rounds = int(parse_integer(flag, v));
    else if (flag == "--rate") a.rate = parse_real(flag, v);
    else if (flag == "--deadline-ms") a.deadline_ms = parse_real(flag, v);
    else if (flag == "--group-timeout-ms") a.group_timeout_ms = parse_real(flag, v);
    else if (flag == "--kill-at") a.kill_at = parse_real(flag, v);
    else if (flag == "--kill-worker") a.kill_worker = int(parse_integer(flag, v));
    else if (flag == "--model") a.model = v;
    else if (flag == "--cache-dir") a.cache_dir = v;
    else if (flag == "--data-dir") a.data_dir = v;
    else if (flag == "--worker-bin") a.worker_bin = v;
    else if (flag == "--seed") a.seed = std::uint64_t(parse_integer(flag, v));
    else throw std::invalid_argument("unknown option " + flag);
  }
  for (const auto& s : a.schemes)
    if (s != "uncoded" && s != "replication" && s != "berrut" && s != "nercc")
      throw std::invalid_argument("--schemes: unknown scheme \"" + s + "\"");
  if (a.workers < 2 || a.workers > 64) throw std::invalid_argument("--workers must lie in [2, 64]");
  if (a.replicas < 1 || a.workers % a.replicas != 0)
    throw std::invalid_argument("--replicas must be >= 1 and divide --workers");
  if (a.coded_queries < 1 || a.coded_queries > a.workers)
    throw std::invalid_argument("--coded-queries must lie in [1, --workers]");
  if (a.stragglers < 0 || a.stragglers > a.workers - a.coded_queries)
    throw std::invalid_argument("--stragglers must lie in [0, workers - coded-queries]");
  if (a.queries < 1 || a.queries > 1000000) throw std::invalid_argument("--queries must lie in [1, 1e6]");
  if (a.rounds < 1 || a.rounds > a.queries) throw std::invalid_argument("--rounds must lie in [1, --queries]");
  if (!(a.rate > 0 && a.rate <= 20000)) throw std::invalid_argument("--rate must lie in (0, 20000]");
  if (!(a.deadline_ms > 0 && a.group_timeout_ms > 0))
    throw std::invalid_argument("--deadline-ms and --group-timeout-ms must be > 0");
  if (a.kill_at >= 1) throw std::invalid_argument("--kill-at must be < 1");
  if (a.kill_worker < 0 || a.kill_worker >= a.workers) throw std::invalid_argument("--kill-worker must lie in [0, workers)");
  nercc_cluster::model_config(a.model);
  if (a.model == "smoke" && a.cache_dir.empty()) a.cache_dir = a.out + "/cache";
  a.latency.validate();
  return a;
}

// ---- worker processes ----

/// The worker processes. Each is started with PR_SET_PDEATHSIG, so it dies with this process
/// even if this process is killed; the destructor stops and reaps them.
class WorkerPool {
 public:
  WorkerPool(std::string path, std::vector<std::vector<std::string>> argvs, double ready_seconds)
      : path_(std::move(path)), argvs_(std::move(argvs)), ready_seconds_(ready_seconds) {
    procs_.resize(argvs_.size());
    for (std::size_t i = 0; i < procs_.size(); ++i) spawn(i);
    wait_ready();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { stop(); }

  /// Reaps worker i if it died (or kills it) and starts a fresh one on a new port.
  void restart(std::size_t i) {
    Proc& w = procs_[i];
    if (w.pid > 0) {
      ::kill(w.pid, SIGKILL);
      waitpid(w.pid, nullptr, 0);
    }
    if (w.fd >= 0) close(w.fd);
    spawn(i);
    wait_ready();
  }

  std::vector<int> ports() const {
    std::vector<int> p;
    for (const auto& w : procs_) p.push_back(w.port);
    return p;
  }

  void kill_worker(std::size_t i) {
    if (procs_[i].pid > 0) ::kill(procs_[i].pid, SIGKILL);
  }

  /// SIGTERM to every worker, SIGKILL to those still running after 5 s; reaps all. Idempotent.
  void stop() {
    for (auto& w : procs_)
      if (w.pid > 0) ::kill(w.pid, SIGTERM);
    const auto give_up = SteadyClock::now() + std::chrono::seconds(5);
    for (auto& w : procs_) {
      while (w.pid > 0) {
        if (waitpid(w.pid, nullptr, WNOHANG) != 0) w.pid = -1;
        else if (SteadyClock::now() > give_up) ::kill(w.pid, SIGKILL);
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (w.fd >= 0) close(w.fd);
      w.fd = -1;
    }
  }

 private:
  struct Proc {
    pid_t pid = -1;
    int fd = -1;
    int port = 0;
    std::string out;
  };

  void spawn(std::size_t i) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path_.c_str()));
    for (const auto& a : argvs_[i]) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      dup2(fds[1], STDOUT_FILENO);
      execv(path_.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    procs_[i] = Proc{pid, fds[0], 0, {}};
  }

  // Each worker prints "listening PORT" once it serves.
  void wait_ready() {
    const auto give_up = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                  std::chrono::duration<double>(ready_seconds_));
    for (auto& w : procs_) {
      while (w.port == 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - SteadyClock::now());
        if (left.count() <= 0) throw std::runtime_error("a worker did not start in time");
        pollfd p{w.fd, POLLIN, 0};
        if (poll(&p, 1, int(left.count())) <= 0) continue;
        char buf[128];
        const ssize_t n = read(w.fd, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("a worker exited before serving (see its message above)");
        w.out.append(buf, std::size_t(n));
        const auto at = w.out.find("listening ");
        if (at != std::string::npos && w.out.find('\n', at) != std::string::npos)
          w.port = std::atoi(w.out.c_str() + at + 10);
      }
    }
  }

  std::string path_;
  std::vector<std::vector<std::string>> argvs_;
  double ready_seconds_;
  std::vector<Proc> procs_;
};

// ---- asynchronous gRPC transport ----

/// One channel per worker and one completion queue polled by its own thread. call() matches
/// nercc::runtime's asynchronous transport: it starts the RPC and returns at once; the poller
/// completes the runtime's Completion; the cancel handle is ClientContext::TryCancel.
class GrpcCluster {
 public:
  GrpcCluster(const std::vector<int>& ports, std::chrono::milliseconds rpc_timeout) : rpc_timeout_(rpc_timeout) {
    for (int port : ports) {
      auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
      channels_.push_back(channel);
      stubs_.push_back(nercc_cluster::Worker::NewStub(channel));
    }
    poller_ = std::thread([this] { poll_loop(); });
  }
  GrpcCluster(const GrpcCluster&) = delete;
  GrpcCluster& operator=(const GrpcCluster&) = delete;
  /// Waits for every outstanding RPC (each is bounded by rpc_timeout) and stops the poller.
  ~GrpcCluster() {
    cq_.Shutdown();
    poller_.join();
  }

  bool wait_connected(std::chrono::seconds timeout) {
    const auto until = std::chrono::system_clock::now() + timeout;
    for (auto& c : channels_)
      if (!c->WaitForConnected(until)) return false;
    return true;
  }

  rt::CancelHandle call(Index worker, const Eigen::Ref<const Matrix>& coded, rt::Completion<float> done) {
    auto c = std::make_shared<Call>(std::move(done));
    nercc_cluster::InferRequest request;
    request.set_rows(std::uint32_t(coded.rows()));
    request.set_cols(std::uint32_t(coded.cols()));
    auto* data = request.mutable_data();
    data->Reserve(int(coded.size()));
    for (Index r = 0; r < coded.rows(); ++r)
      for (Index j = 0; j < coded.cols(); ++j) data->AddAlreadyReserved(coded(r, j));
    c->context.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    c->rpc = stubs_[std::size_t(worker)]->PrepareAsyncInfer(&c->context, request, &cq_);
    c->rpc->StartCall();
    // The queue's tag owns one reference until the poller sees the RPC finish.
    c->rpc->Finish(&c->reply, &c->status, new std::shared_ptr<Call>(c));
    return [weak = std::weak_ptr<Call>(c)] {
      if (auto alive = weak.lock()) alive->context.TryCancel();
    };
  }

 private:
  struct Call {
    explicit Call(rt::Completion<float> d) : done(std::move(d)) {}
    rt::Completion<float> done;
    grpc::ClientContext context;
    nercc_cluster::InferReply reply;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<nercc_cluster::InferReply>> rpc;
  };

  void poll_loop() {
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      const std::unique_ptr<std::shared_ptr<Call>> owner(static_cast<std::shared_ptr<Call>*>(tag));
      Call& c = **owner;
      const auto& r = c.reply;
      if (ok && c.status.ok() && r.data_size() == int(r.rows()) * int(r.cols()))
        c.done(Eigen::Map<const Matrix>(r.data().data(), Index(r.rows()), Index(r.cols())));
      else c.done.fail();
    }
  }

  std::chrono::milliseconds rpc_timeout_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<nercc_cluster::Worker::Stub>> stubs_;
  grpc::CompletionQueue cq_;
  std::thread poller_;
};

// ---- one scheme's run ----

std::string display_name(const std::string& scheme) {
  if (scheme == "nercc") return "NeRCC";
  if (scheme == "berrut") return "Berrut";
  return scheme;
}

struct SchemeSetup {
  std::string name;
  nercc::SchemeKind kind;
  Index k, n, s;
};

SchemeSetup setup_of(const std::string& name, const Args& a) {
  const Index n = a.workers;
  if (name == "uncoded") return {name, nercc::SchemeKind::uncoded, n, n, 0};
  if (name == "replication") return {name, nercc::SchemeKind::replication, n / a.replicas, n, 0};
  if (name == "berrut") return {name, nercc::SchemeKind::berrut, a.coded_queries, n, a.stragglers};
  return {name, nercc::SchemeKind::spline, a.coded_queries, n, a.stragglers};
}

// The runtime's counters that the summary reports, summed over rounds.
struct Counter {
  const char* name;
  std::uint64_t rt::RuntimeMetrics::*member;
};
const Counter reported_counters[] = {
    {"calls_sent", &rt::RuntimeMetrics::calls_sent},
    {"answers_used", &rt::RuntimeMetrics::answers_used},
    {"answers_failed", &rt::RuntimeMetrics::answers_failed},
    {"late_answers", &rt::RuntimeMetrics::late_answers},
    {"calls_cancelled", &rt::RuntimeMetrics::calls_cancelled},
    {"groups_formed", &rt::RuntimeMetrics::groups_formed},
    {"groups_padded", &rt::RuntimeMetrics::groups_padded},
    {"groups_decided_deadline", &rt::RuntimeMetrics::groups_decided_deadline},
    {"unavailable", &rt::RuntimeMetrics::unavailable},
    {"too_few_answers", &rt::RuntimeMetrics::too_few_answers},
    {"rejected", &rt::RuntimeMetrics::rejected},
    {"shed", &rt::RuntimeMetrics::shed},
    {"redundancy_lowered", &rt::RuntimeMetrics::redundancy_lowered},
};

struct SchemeResult {
  SchemeSetup setup;
  std::vector<double> latency_ms;  // successful queries; sorted by finish()
  std::int64_t queries = 0, ok = 0, agree = 0, missing = 0, lost = 0;
  double sq_err = 0;               // summed over successful queries and the 10 logits
  double seconds = 0;              // first submit to last outcome, summed over rounds
  rt::RuntimeMetrics counters;  // only reported_counters are summed

  void add(const rt::RuntimeMetrics& m) {
    for (const auto& c : reported_counters) counters.*c.member += m.*c.member;
  }

  void finish() { std::sort(latency_ms.begin(), latency_ms.end()); }
  double mse() const { return ok ? sq_err / double(ok * nercc_examples::Classifier::num_classes) : std::nan(""); }
  /// Successful queries per second while queries were being served.
  double throughput() const { return seconds > 0 ? double(ok) / seconds : 0.0; }

  double quantile(double q) const {
    if (latency_ms.empty()) return std::nan("");
    const auto rank = std::size_t(std::ceil(q * double(latency_ms.size())));
    return latency_ms[std::min(latency_ms.size(), std::max<std::size_t>(rank, 1)) - 1];
  }
  double rel_acc() const { return queries ? double(agree) / double(queries) : 0.0; }
};

struct Dataset {
  std::vector<float> images;   // count x 784
  Matrix reference;            // count x 10: the uncoded model's logits
  std::vector<int> reference_class;
  Index count = 0;
};

int argmax(const float* logits, Index m) { return int(std::max_element(logits, logits + m) - logits); }

std::vector<std::vector<std::string>> worker_argvs(const Args& a) {
  std::vector<std::vector<std::string>> argvs;
  for (int w = 0; w < a.workers; ++w) {
    std::vector<std::string> v = {"--port", "0", "--model", a.model, "--seed", std::to_string(a.seed * 1000 + std::uint64_t(w))};
    if (!a.cache_dir.empty()) v.insert(v.end(), {"--cache-dir", a.cache_dir});
    // Bounds each worker's life even if this process hangs: the serving time of every scheme
    // plus generous room for start-ups.
    const double run_seconds = double(a.queries) * double(a.schemes.size()) / a.rate + 300.0;
    v.insert(v.end(), {"--lifetime-s", std::to_string(run_seconds)});
    for (auto& f : a.latency.to_args()) v.push_back(f);
    argvs.push_back(std::move(v));
  }
  return argvs;
}

// Serves queries first..first+count-1 of one scheme through fresh channels to the pool and
// adds them to `res`. Returns whether a worker was killed.
bool run_round(const Args& a, WorkerPool& pool, const Dataset& data, std::int64_t first, std::int64_t count,
               SchemeResult& res) {
  const SchemeSetup& setup = res.setup;
  const auto rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  auto cluster = std::make_unique<GrpcCluster>(pool.ports(), rpc_timeout);
  if (!cluster->wait_connected(std::chrono::seconds(30))) throw std::runtime_error("could not connect to the workers");

  rt::RuntimeParams p;
  p.scheme = setup.kind;
  p.code.num_queries = setup.k;
  p.code.num_workers = setup.n;
  p.code.lambda_enc = a.lambda_enc;
  p.code.lambda_dec = a.lambda_dec;
  p.input_dim = nercc_examples::Classifier::input_dim;
  p.output_dim = nercc_examples::Classifier::num_classes;
  p.stragglers = setup.s;
  p.deadline = std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double, std::milli>(a.deadline_ms));
  p.group_timeout =
      std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double, std::milli>(a.group_timeout_ms));
  p.admission_capacity = std::size_t(std::min<std::int64_t>(count, 1 << 16));

  struct Record {
    bool done = false, ok = false;
    int cls = -1;
    double latency_ms = 0, sq_err = 0;
  };
  std::vector<Record> records(static_cast<std::size_t>(count));
  std::mutex m;
  std::condition_variable cv;
  std::int64_t outcomes = 0;
  SteadyClock::time_point last_outcome{};
  const Index m_out = nercc_examples::Classifier::num_classes;
  const std::int64_t kill_index = a.kill_at < 0 ? -1 : std::int64_t(a.kill_at * double(count));

  {
    // A plain pointer: the runtime's shared state can outlive it in completions the poller
    // still holds, and must not keep the cluster (and so its poller thread) alive. The
    // transport itself is only called before runtime.shutdown() returns.
    GrpcCluster* transport = cluster.get();
    rt::Runtime<float> runtime(p, [transport](Index w, const Eigen::Ref<const Matrix>& x, rt::Completion<float> done) {
      return transport->call(w, x, std::move(done));
    });
    const auto period = std::chrono::duration<double>(1.0 / a.rate);
    nercc_examples::ProgressBar bar("  " + display_name(setup.name), count, a.progress);
    const auto start = SteadyClock::now();
    for (std::int64_t i = 0; i < count; ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(period * double(i)));
      if (i == kill_index) pool.kill_worker(std::size_t(a.kill_worker));
      const Index row = Index((first + i) % data.count);
      const Eigen::Map<const Matrix> x(data.images.data() + row * 784, 1, 784);
      runtime.submit(x, [&, i, row](rt::QueryOutcome<float>&& o) {
        Record& r = records[std::size_t(i)];
        r.ok = o.ok();
        if (r.ok) {
          r.cls = argmax(o.value.data(), m_out);
          r.latency_ms = o.latency_seconds * 1e3;
          r.sq_err = (o.value - data.reference.row(row)).squaredNorm();
        }
        std::lock_guard<std::mutex> guard(m);
        r.done = true;
        ++outcomes;
        last_outcome = SteadyClock::now();
        cv.notify_all();
      });
      if (i % 64 == 0) bar.update(i);
    }
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait_until(lock, SteadyClock::now() + std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 10000),
                    [&] { return outcomes == count; });
      bar.update(outcomes);
    }
    bar.finish();
    // Shutdown gives every query still pending an outcome (shut_down): none is lost silently.
    runtime.shutdown();
    res.add(runtime.metrics());
    std::lock_guard<std::mutex> guard(m);
    if (outcomes > 0) res.seconds += std::chrono::duration<double>(last_outcome - start).count();
  }
  // Outstanding RPCs were cancelled at decode and are bounded by rpc_timeout: this is quick.
  cluster.reset();

  res.queries += count;
  for (std::int64_t i = 0; i < count; ++i) {
    const Record& r = records[std::size_t(i)];
    if (!r.done) ++res.lost;
    else if (!r.ok) ++res.missing;
    else {
      ++res.ok;
      res.latency_ms.push_back(r.latency_ms);
      res.sq_err += r.sq_err;
      if (r.cls == data.reference_class[std::size_t((first + i) % data.count)]) ++res.agree;
    }
  }
  return kill_index >= 0;
}

// ---- reports ----

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string markdown(const Args& a, const std::vector<SchemeResult>& results) {
  std::ostringstream o;
  o << "| scheme | K | N | S | p50 ms | p99 ms | p99.9 ms | throughput q/s | RelAcc | MSE | missing | lost |\n"
    << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : results)
    o << "| " << display_name(r.setup.name) << " | " << r.setup.k << " | " << r.setup.n << " | " << r.setup.s << " | "
      << fixed(r.quantile(0.5), 1) << " | " << fixed(r.quantile(0.99), 1) << " | " << fixed(r.quantile(0.999), 1)
      << " | " << fixed(r.throughput(), 1) << " | " << fixed(r.rel_acc(), 4) << " | " << fixed(r.mse(), 4) << " | "
      << r.missing << " | " << r.lost << " |\n";
  o << "\n" << a.queries << " Fashion-MNIST test queries per scheme at " << a.rate << " q/s, the schemes taking turns in "
    << a.rounds << " rounds, " << a.workers << " worker processes ("
    << (a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5") << ") on 127.0.0.1";
  if (a.kill_at >= 0)
    o << "; worker " << a.kill_worker << " SIGKILLed after " << a.kill_at * 100 << "% of every turn (restarted between turns)";
  o << ". Injected delay per call: " << a.latency.base_ms << " ms + Exp(" << a.latency.jitter_ms << " ms), x"
    << a.latency.slow_factor << " for " << a.latency.slow_fraction * 100 << "% of calls, + Pareto(" << a.latency.tail_ms
    << " ms, alpha " << a.latency.tail_alpha << ") for " << a.latency.tail_fraction * 100 << "%, capped at "
    << a.latency.max_ms << " ms. Deadline " << a.deadline_ms << " ms, group timeout " << a.group_timeout_ms
    << " ms. Latency: submit to outcome of the answered queries (grouping wait included). RelAcc: fraction of all "
       "queries whose decoded argmax equals the uncoded model's (computed locally); a missing query counts as a "
       "disagreement. missing: queries whose outcome is an error (e.g. their only worker died); lost: queries "
       "without any outcome.\n";
  return o.str();
}

std::string json_line(const Args& a, const std::vector<SchemeResult>& results) {
  std::ostringstream o;
  o.precision(6);
  auto num = [&](double v) -> std::ostringstream& {
    if (std::isnan(v)) o << "null";
    else o << v;
    return o;
  };
  const auto& l = a.latency;
  o << "{\"demo\":\"grpc_cluster\",\"config\":{\"workers\":" << a.workers << ",\"queries\":" << a.queries
    << ",\"rate\":" << a.rate << ",\"rounds\":" << a.rounds << ",\"deadline_ms\":" << a.deadline_ms << ",\"group_timeout_ms\":" << a.group_timeout_ms
    << ",\"kill_at\":" << a.kill_at << ",\"kill_worker\":" << a.kill_worker << ",\"model\":\"" << a.model
    << "\",\"lambda_enc\":" << a.lambda_enc << ",\"lambda_dec\":" << a.lambda_dec << ",\"latency\":{\"base_ms\":"
    << l.base_ms << ",\"jitter_ms\":" << l.jitter_ms << ",\"slow_fraction\":" << l.slow_fraction
    << ",\"slow_factor\":" << l.slow_factor << ",\"tail_fraction\":" << l.tail_fraction << ",\"tail_ms\":" << l.tail_ms
    << ",\"tail_alpha\":" << l.tail_alpha << ",\"max_ms\":" << l.max_ms << "}},\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    o << (i ? "," : "") << "{\"scheme\":\"" << r.setup.name << "\",\"K\":" << r.setup.k << ",\"N\":" << r.setup.n
      << ",\"S\":" << r.setup.s << ",\"p50_ms\":";
    num(r.quantile(0.5)) << ",\"p99_ms\":";
    num(r.quantile(0.99)) << ",\"p999_ms\":";
    num(r.quantile(0.999)) << ",\"max_ms\":";
    num(r.latency_ms.empty() ? std::nan("") : r.latency_ms.back()) << ",\"throughput_qps\":";
    num(r.throughput()) << ",\"rel_acc\":";
    num(r.rel_acc()) << ",\"mse\":";
    num(r.mse()) << ",\"queries\":" << r.queries << ",\"ok\":" << r.ok << ",\"missing\":" << r.missing
                 << ",\"lost\":" << r.lost;
    for (const auto& c : reported_counters) o << ",\"" << c.name << "\":" << r.counters.*c.member;
    o << "}";
  }
  o << "]}";
  return o.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

// Sorted latencies, their empirical CDF, and the fraction at least as slow (for the tail
// panel of cdf.gp, which a log scale cannot show at 1 - CDF = 0). About 1000 evenly spaced
// points below the 99th percentile and every point above it keep the files small.
std::string cdf_data(const SchemeResult& r) {
  std::ostringstream o;
  o << "# latency_ms cdf at_least (" << display_name(r.setup.name) << ", answered queries)\n";
  const std::size_t n = r.latency_ms.size(), tail = n - n / 100, stride = std::max<std::size_t>(1, n / 1000);
  for (std::size_t i = 0; i < n; ++i)
    if (i >= tail || i % stride == 0 || i + 1 == n)
      o << r.latency_ms[i] << " " << double(i + 1) / double(n) << " " << double(n - i) / double(n) << "\n";
  return o.str();
}

int run(const Args& a) {
  nercc_examples::TrainOptions options;
  options.cache_dir = a.cache_dir;
  options.data_dir = a.data_dir;
  options.progress = a.progress;
  // Trained (or loaded) here first, so the workers only ever load it from the cache.
  const auto trained = nercc_examples::train_or_load(nercc_cluster::model_config(a.model), options);
  const auto test = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(a.data_dir), "t10k",
                                                       std::min<std::int64_t>(a.queries, 10000));
  Dataset data;
  data.count = Index(test.count);
  data.images = test.images;
  data.reference = trained.classifier.logits(Eigen::Map<const Matrix>(data.images.data(), data.count, 784), 1);
  for (Index i = 0; i < data.count; ++i)
    data.reference_class.push_back(argmax(data.reference.row(i).data(), data.reference.cols()));

  std::vector<SchemeResult> results;
  for (const auto& name : a.schemes) {
    results.emplace_back();
    results.back().setup = setup_of(name, a);
  }
  // The schemes take turns in rounds, each round starting one scheme later, so that changes in
  // the machine's background load and the turn right after a worker restart fall on every
  // scheme alike.
  WorkerPool pool(a.worker_bin, worker_argvs(a), 120.0);
  for (int round = 0; round < a.rounds; ++round) {
    const std::int64_t first = a.queries * round / a.rounds, count = a.queries * (round + 1) / a.rounds - first;
    if (a.progress) std::fprintf(stderr, "round %d/%d\n", round + 1, a.rounds);
    for (std::size_t j = 0; j < results.size(); ++j) {
      SchemeResult& r = results[(j + std::size_t(round)) % results.size()];
      if (run_round(a, pool, data, first, count, r)) pool.restart(std::size_t(a.kill_worker));
    }
  }
  pool.stop();
  for (auto& r : results) {
    r.finish();
    std::fprintf(stderr, "  %s: p99 %s ms, RelAcc %s, missing %lld, lost %lld\n", display_name(r.setup.name).c_str(),
                 fixed(r.quantile(0.99), 1).c_str(), fixed(r.rel_acc(), 4).c_str(), (long long)r.missing,
                 (long long)r.lost);
  }

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table = markdown(a, results), json = json_line(a, results);
  write_file(out / "table.md", table);
  write_file(out / "summary.json", json + "\n");
  for (const auto& r : results) write_file(out / ("latency_" + r.setup.name + ".dat"), cdf_data(r));
  std::cout << table << "\n" << json << std::endl;

  bool lost = false;
  for (const auto& r : results) lost = lost || r.lost > 0;
  return lost ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) { return nercc_cluster::run_main("nercc_grpc_frontend", usage, argc, argv, parse_args, run); }
