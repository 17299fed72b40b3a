// nercc_grpc_faults: the cluster demo under process and network faults. Run by run_faults.sh,
// which puts this program and each LeNet5 worker in network namespaces of their own joined by
// veth pairs. For each scenario (freeze, kill, partition, loss, overload, all) and scheme it
// serves Fashion-MNIST queries through nercc::runtime at a fixed rate for --pre-s seconds,
// injects the fault (fault_injector.hpp) for --fault-s seconds (--overload-s for overload),
// heals it and serves --post-s seconds more, then reports every query's outcome
// (fault_report.hpp) in --out.
//
// Exit code: 0 when no query was lost or duplicated and every run answered some queries, 1
// otherwise or on a runtime error, 2 on bad usage.
#include "cluster_common.hpp"
#include "fault_injector.hpp"
#include "fault_report.hpp"
#include "frontend_options.hpp"
#include "grpc_transport.hpp"
#include "report.hpp"
#include "worker_pool.hpp"

#include <nercc/runtime.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace nercc_cluster;
using nercc::Index;
using Matrix = nercc::RowMatrix<float>;
using SteadyClock = std::chrono::steady_clock;
namespace rt = nercc::runtime;

const char* const usage = R"(usage: nercc_grpc_faults --netns LIST --hosts LIST [options]   (see run_faults.sh)
  --netns LIST            comma-separated network namespace of each worker (N = its length, >= 6)
  --hosts LIST            comma-separated address of each worker, reachable from here
  --port P                port every worker listens on in its namespace (default 50051)
  --ip-bin PATH           the ip(8) executable (default /usr/sbin/ip)
  --smoke                 a few seconds per scenario: smoke LeNet5, K 2, S 2, replicas 3,
                          rate 150, pre 2 s, faults 2 s, post 3 s (options after it override)
  --out DIR               where faults.md, summary.json and the csv files go (default .)
  --scenarios LIST        of baseline,freeze,kill,partition,loss,overload,all (default all)
  --schemes LIST          of nercc,replication (default both)
  --coded-queries K       NeRCC's K; replication's is N / replicas (default 4)
  --replicas R            (default 3)
  --stragglers S          NeRCC decodes at N - S answers (default 4)
  --rate R                queries per second (default 300)
  --overload-factor F     the overload scenario's rate multiplier (default 5)
  --pre-s X, --fault-s X, --overload-s X, --post-s X
                          seconds before, of each fault, of overload, after (default 8 6 30 15)
  --loss-percent P        drop probability per packet and direction on the lossy link (default 10)
  --deadline-ms X         (default 250)   --group-timeout-ms X   (default 50)
  --model lenet5|smoke    (default lenet5)   --cache-dir DIR   --data-dir DIR   --worker-bin PATH
  --seed N                seed of the workers' injected delays (default 1)
  --quiet                 no progress lines
)";

struct Args : WorkerModelFlags {
  std::vector<std::string> netns, hosts;
  std::vector<std::string> scenarios = {"baseline", "freeze", "kill", "partition", "loss", "overload", "all"};
  std::vector<std::string> schemes = {"nercc", "replication"};
  int port = 50051, coded_queries = 4, replicas = 3, stragglers = 4, loss_percent = 10;
  std::string ip_bin = "/usr/sbin/ip", out = ".";
  double rate = 300, overload_factor = 5, pre_s = 8, fault_s = 6, overload_s = 30, post_s = 15;
  double deadline_ms = 250, group_timeout_ms = 50;
  bool progress = true;
  LatencyParams latency;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (common_flag(flag, usage, a.progress)) continue;
    if (flag == "--smoke") {
      a.model = "smoke";
      a.coded_queries = 2;
      a.stragglers = 2;
      a.rate = 150;
      a.pre_s = 2;
      a.fault_s = 2;
      a.overload_s = 2;
      a.post_s = 3;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string v = argv[++i];
    if (a.latency.parse(flag, v) || a.parse_worker_model_flag(flag, v)) continue;
    if (flag == "--netns") a.netns = split_list(v, ',');
    else if (flag == "--hosts") a.hosts = split_list(v, ',');
    else if (flag == "--port") a.port = int(parse_integer(flag, v));
    else if (flag == "--ip-bin") a.ip_bin = v;
    else if (flag == "--out") a.out = v;
    else if (flag == "--scenarios") a.scenarios = split_list(v, ',');
    else if (flag == "--schemes") a.schemes = split_list(v, ',');
    else if (flag == "--coded-queries") a.coded_queries = int(parse_integer(flag, v));
    else if (flag == "--replicas") a.replicas = int(parse_integer(flag, v));
    else if (flag == "--stragglers") a.stragglers = int(parse_integer(flag, v));
    else if (flag == "--rate") a.rate = parse_real(flag, v);
    else if (flag == "--overload-factor") a.overload_factor = parse_real(flag, v);
    else if (flag == "--pre-s") a.pre_s = parse_real(flag, v);
    else if (flag == "--fault-s") a.fault_s = parse_real(flag, v);
    else if (flag == "--overload-s") a.overload_s = parse_real(flag, v);
    else if (flag == "--post-s") a.post_s = parse_real(flag, v);
    else if (flag == "--loss-percent") a.loss_percent = int(parse_integer(flag, v));
    else if (flag == "--deadline-ms") a.deadline_ms = parse_real(flag, v);
    else if (flag == "--group-timeout-ms") a.group_timeout_ms = parse_real(flag, v);
    else throw std::invalid_argument("unknown option " + flag);
  }
  const int n = int(a.netns.size());
  if (n < 6 || n > 64) throw std::invalid_argument("--netns must name 6 to 64 namespaces, one per worker");
  if (a.hosts.size() != a.netns.size()) throw std::invalid_argument("--hosts must name one address per --netns");
  for (const auto& s : a.scenarios) FaultSet::named(s);
  for (const auto& s : a.schemes)
    if (s != "nercc" && s != "replication") throw std::invalid_argument("--schemes: unknown scheme \"" + s + "\"");
  if (a.replicas < 1 || n % a.replicas != 0) throw std::invalid_argument("--replicas must be >= 1 and divide N");
  if (a.coded_queries < 1 || a.coded_queries > n) throw std::invalid_argument("--coded-queries must lie in [1, N]");
  if (a.stragglers < 0 || a.stragglers > n - a.coded_queries)
    throw std::invalid_argument("--stragglers must lie in [0, N - coded-queries]");
  if (!(a.rate > 0 && a.rate * a.overload_factor <= 20000 && a.overload_factor >= 1))
    throw std::invalid_argument("--rate must be > 0, --overload-factor >= 1, their product <= 20000");
  if (!(a.pre_s > 0 && a.fault_s > 0 && a.overload_s > 0 && a.post_s > 1))
    throw std::invalid_argument("--pre-s, --fault-s and --overload-s must be > 0, --post-s > 1");
  if (a.loss_percent < 1 || a.loss_percent > 99) throw std::invalid_argument("--loss-percent must lie in [1, 99]");
  if (!(a.deadline_ms > 0 && a.group_timeout_ms > 0))
    throw std::invalid_argument("--deadline-ms and --group-timeout-ms must be > 0");
  a.finish_model_flags(a.out);
  a.latency.validate();
  return a;
}

double since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::vector<std::vector<std::string>> worker_argvs(const Args& a, double lifetime_s) {
  std::vector<std::vector<std::string>> argvs;
  for (std::size_t w = 0; w < a.netns.size(); ++w) {
    // WorkerPool runs `ip netns exec NS worker ...`; ip execs the worker, keeping its pid.
    std::vector<std::string> v = {"netns", "exec", a.netns[w], a.worker_bin, "--host", a.hosts[w],
                                  "--port", std::to_string(a.port), "--model", a.model,
                                  "--seed", std::to_string(a.seed * 1000 + w),
                                  "--lifetime-s", std::to_string(lifetime_s)};
    if (!a.cache_dir.empty()) v.insert(v.end(), {"--cache-dir", a.cache_dir});
    for (auto& f : a.latency.to_args()) v.push_back(f);
    argvs.push_back(std::move(v));
  }
  return argvs;
}

// One scenario with one scheme: load at a fixed rate (times the overload factor during an
// overload fault), the fault injected after pre_s by a thread of its own and healed after its
// duration, then post_s more; every query's outcomes are counted.
FaultRun run_one(const Args& a, FaultInjector& faults, const std::vector<float>& images,
                 const std::string& scenario, const std::string& scheme) {
  const FaultSet f = FaultSet::named(scenario);
  const Index n = Index(a.netns.size());
  FaultRun run;
  run.scenario = scenario;
  run.scheme = scheme;
  run.n = n;
  run.k = scheme == "nercc" ? a.coded_queries : n / a.replicas;
  run.s = scheme == "nercc" ? a.stragglers : 0;
  const double fault_len = f.overload && !f.freeze && !f.kill && !f.partition && !f.loss ? a.overload_s : a.fault_s;
  const double end_s = a.pre_s + fault_len + a.post_s;
  const double peak = f.overload ? a.rate * a.overload_factor : a.rate;
  const std::size_t capacity = std::size_t((a.pre_s + a.post_s) * a.rate + fault_len * peak) + 64;

  std::vector<std::string> targets;
  for (const auto& h : a.hosts) targets.push_back(h + ":" + std::to_string(a.port));
  const auto rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  GrpcTransport cluster(targets, rpc_timeout, ChannelSettings::fault_tolerant());
  if (!cluster.wait_connected(std::chrono::seconds(30))) throw std::runtime_error("could not connect to the workers");

  rt::RuntimeParams p;
  p.scheme = scheme == "nercc" ? nercc::SchemeKind::spline : nercc::SchemeKind::replication;
  p.code.num_queries = run.k;
  p.code.num_workers = n;
  p.input_dim = nercc_examples::Classifier::input_dim;
  p.output_dim = nercc_examples::Classifier::num_classes;
  p.stragglers = run.s;
  p.deadline = std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double, std::milli>(a.deadline_ms));
  p.group_timeout =
      std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double, std::milli>(a.group_timeout_ms));
  // Admission, queues and the overload controller keep the runtime's defaults (a queue of
  // 1024 that rejects when full, shedding under sustained overload): overload must show.

  std::vector<QueryRecord> records(capacity);
  std::mutex m;
  std::condition_variable cv;
  std::int64_t outcomes = 0;
  const auto start = SteadyClock::now();
  std::size_t submitted = 0;
  std::atomic<bool> overloaded{false};
  {
    rt::Runtime<float> runtime(p, cluster.transport());
    // The faults are injected from this thread and the load comes from another: a worker
    // restarted here must have a parent thread that outlives it (PR_SET_PDEATHSIG fires when
    // the forking thread exits).
    std::atomic<bool> stop{false};
    std::thread loader([&] {
      double next = 0;
      while (next < end_s && submitted < capacity && !stop) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(
                                                  std::chrono::duration<double>(next)));
        const std::size_t i = submitted++;
        const Index row = Index(i % (images.size() / 784));
        records[i].submit_s = since(start);
        const Eigen::Map<const Matrix> x(images.data() + row * 784, 1, 784);
        runtime.submit(x, [&, i](rt::QueryOutcome<float>&& o) {
          const double t = since(start);
          std::lock_guard<std::mutex> guard(m);
          QueryRecord& r = records[i];
          if (r.outcomes++ == 0) {
            r.error = int(o.error);
            r.done_s = t;
          }
          ++outcomes;
          cv.notify_all();
        });
        next += 1.0 / (overloaded ? peak : a.rate);
      }
    });
    try {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(a.pre_s)));
      run.fault_start_s = since(start);
      faults.inject(f);
      overloaded = f.overload;
      std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(a.pre_s + fault_len)));
      overloaded = false;
      // The fault ends when healing starts: a killed worker's start-up and reconnection count
      // in the time to recover.
      run.fault_end_s = since(start);
      faults.heal(f);  // returns once a killed worker serves again
    } catch (...) {
      stop = true;
      loader.join();
      throw;
    }
    loader.join();
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait_until(lock, SteadyClock::now() + std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 10000),
                    [&] { return outcomes >= std::int64_t(submitted); });
    }
    // Shutdown gives every query still pending an outcome (shut_down).
    runtime.shutdown();
    run.metrics = runtime.metrics();
    // A second outcome for some query would arrive by now; give it a moment anyway.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> guard(m);
    records.resize(submitted);
    run.queries = records;
  }
  run.end_s = end_s;
  return run;
}

int run(const Args& a) {
  nercc_examples::TrainOptions options;
  options.cache_dir = a.cache_dir;
  options.data_dir = a.data_dir;
  options.progress = a.progress;
  nercc_examples::train_or_load(model_config(a.model), options);  // the workers load it from the cache
  const auto test =
      nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(a.data_dir), "t10k", 10000);

  // Bounds each worker's life even if this process hangs: every run plus room for start-ups.
  const double total_s = double(a.scenarios.size() * a.schemes.size()) *
                         (a.pre_s + a.post_s + std::max(a.fault_s, a.overload_s) + 40);
  WorkerPool pool(a.ip_bin, worker_argvs(a, total_s + 300), 120.0);
  FaultInjector faults(pool, a.netns, a.ip_bin, a.loss_percent);
  faults.heal_all();

  // A short run first, not reported: the workers' first calls (allocations, caches) are slow.
  Args warm = a;
  warm.pre_s = warm.fault_s = 1;
  warm.post_s = 2;
  run_one(warm, faults, test.images, "baseline", a.schemes.front());

  std::vector<FaultRun> runs;
  bool bad = false;
  for (const auto& scenario : a.scenarios)
    for (const auto& scheme : a.schemes) {
      if (a.progress) std::fprintf(stderr, "%s / %s ...\n", scenario.c_str(), scheme.c_str());
      runs.push_back(run_one(a, faults, test.images, scenario, scheme));
      faults.heal_all();
      const FaultRun& r = runs.back();
      const bool ok = r.lost() == 0 && r.duplicated() == 0 && r.count(0) > 0;
      bad = bad || !ok;
      if (a.progress)
        std::fprintf(stderr, "  %zu queries, %lld ok, lost %lld, duplicated %lld, p99 %s/%s/%s ms, recovery %s s\n",
                     r.queries.size(), (long long)r.count(0), (long long)r.lost(), (long long)r.duplicated(),
                     fixed_or(r.p99_before(), 1, "n/a").c_str(), fixed_or(r.p99_during(), 1, "n/a").c_str(),
                     fixed_or(r.p99_after(), 1, "n/a").c_str(), fixed_or(r.recovery_s(), 1, "n/a").c_str());
    }
  pool.stop();

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table = fault_table(runs);
  write_file(out / "faults.md", table);
  write_file(out / "summary.json", fault_json(runs));
  write_file(out / "events.csv", events_csv(runs));
  write_file(out / "windows.csv", windows_csv(runs));
  write_file(out / "queries.csv", queries_csv(runs));
  std::cout << table;
  return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) { return run_main("nercc_grpc_faults", usage, argc, argv, parse_args, run); }
