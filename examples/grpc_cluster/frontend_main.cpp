// nercc_grpc_frontend: the cluster demo's front end and driver. It starts N LeNet5 worker
// processes (nercc_grpc_worker, worker_pool.hpp) on 127.0.0.1 and lets the schemes take turns
// serving real Fashion-MNIST test images through nercc::runtime at a fixed rate, with the
// asynchronous gRPC transport of grpc_transport.hpp; in every turn it SIGKILLs one worker
// part-way through (and restarts it after the turn). It stops every worker at the end and
// reports latency, throughput, agreement with the uncoded model (RelAcc) and lost queries
// (report.hpp): table.md, summary.json and one latency_<scheme>.dat per scheme (for cdf.gp) in
// --out. Options: frontend_options.hpp.
//
// Exit code: 0 on success, 1 when a query was lost (no outcome at all) or on a runtime error,
// 2 on bad usage.
#include "frontend_options.hpp"
#include "grpc_transport.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "worker_pool.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using nercc::Index;
using Matrix = nercc::RowMatrix<float>;
using SteadyClock = std::chrono::steady_clock;
namespace rt = nercc::runtime;
using namespace nercc_cluster;

SchemeSetup setup_of(const std::string& name, const FrontendArgs& a) {
  const Index n = a.workers;
  if (name == "uncoded") return {name, nercc::SchemeKind::uncoded, n, n, 0};
  if (name == "replication") return {name, nercc::SchemeKind::replication, n / a.replicas, n, 0};
  if (name == "berrut") return {name, nercc::SchemeKind::berrut, a.coded_queries, n, a.stragglers};
  return {name, nercc::SchemeKind::spline, a.coded_queries, n, a.stragglers};
}


struct Dataset {
  std::vector<float> images;   // count x 784
  Matrix reference;            // count x 10: the uncoded model's logits
  std::vector<int> reference_class;
  Index count = 0;
};

int argmax(const float* logits, Index m) { return int(std::max_element(logits, logits + m) - logits); }

std::vector<std::vector<std::string>> worker_argvs(const FrontendArgs& a) {
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
bool run_round(const FrontendArgs& a, WorkerPool& pool, const Dataset& data, std::int64_t first, std::int64_t count,
               SchemeResult& res) {
  const SchemeSetup& setup = res.setup;
  const auto rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  auto cluster = std::make_unique<GrpcTransport>(pool.ports(), rpc_timeout);
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
    // The runtime is shut down before `cluster` goes (see GrpcTransport::transport()).
    rt::Runtime<float> runtime(p, cluster->transport());
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

int run(const FrontendArgs& a) {
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

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_grpc_frontend", nercc_cluster::frontend_usage, argc, argv,
                                 nercc_cluster::parse_frontend_args, run);
}
