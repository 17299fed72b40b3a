// nercc_grpc_frontend: the cluster demo's front end and driver, a sweep of the p99-RelAcc
// frontier. It starts the LeNet5 worker processes (nercc_grpc_worker, worker_pool.hpp) on
// 127.0.0.1, enough for the largest redundancy, and a linear fallback model distilled from the
// same LeNet5 (fallback_model.hpp). At each redundancy N/K every policy of policies.hpp serves
// real Fashion-MNIST test images through nercc::runtime on the first N workers, at a fixed rate,
// over the asynchronous gRPC transport of grpc_transport.hpp; in every turn one worker is
// SIGKILLed part-way and restarted after the turn. The configurations take
// turns in rounds. It reports (report.hpp) table.md, summary.json, rounds.csv and frontier.dat
// (plotted by frontier.gp) in --out. Options: frontend_options.hpp.
//
// Exit code: 0 on success, 1 when a query was lost (no outcome at all) or on a runtime error,
// 2 on bad usage.
#include "fallback_model.hpp"
#include "frontend_options.hpp"
#include "grpc_transport.hpp"
#include "policies.hpp"
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

struct Dataset {
  std::vector<float> images;  // count x 784
  std::vector<std::uint8_t> labels;
  Matrix reference;           // count x 10: the served model's logits
  std::vector<int> reference_class;
  Index count = 0;
};

int argmax(const float* logits, Index m) { return int(std::max_element(logits, logits + m) - logits); }

std::vector<std::vector<std::string>> worker_argvs(const FrontendArgs& a, std::size_t turns) {
  std::vector<std::vector<std::string>> argvs;
  for (int w = 0; w < a.max_workers(); ++w) {
    std::vector<std::string> v = {"--port", "0", "--model", a.model, "--seed", std::to_string(a.seed * 1000 + std::uint64_t(w))};
    if (!a.cache_dir.empty()) v.insert(v.end(), {"--cache-dir", a.cache_dir});
    // Bounds each worker's life even if this process hangs: the serving time of every turn
    // plus generous room for start-ups and drains.
    const double run_seconds = double(a.queries) * double(turns) / a.rate + 2.0 * double(turns) + 600.0;
    v.insert(v.end(), {"--lifetime-s", std::to_string(run_seconds)});
    for (auto& f : a.latency.to_args()) v.push_back(f);
    argvs.push_back(std::move(v));
  }
  return argvs;
}

// Serves queries first..first+count-1 with one configuration on the pool's first N workers.
// Kills worker a.kill_worker part-way (when asked; the caller restarts it after the turn, so
// that its start-up does not load the cores during a turn).
TurnResult run_turn(const FrontendArgs& a, WorkerPool& pool, const Dataset& data, const LinearFallback& fallback,
                    const Configuration& config, std::int64_t first, std::int64_t count, rt::RuntimeMetrics& metrics) {
  const rt::RuntimeParams& p = config.params;
  const auto rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  std::vector<int> ports = pool.ports();
  ports.resize(std::size_t(config.workers()));
  auto cluster = std::make_unique<GrpcTransport>(ports, rpc_timeout);
  if (!cluster->wait_connected(std::chrono::seconds(30))) throw std::runtime_error("could not connect to the workers");

  struct Record {
    bool done = false, ok = false;
    bool hedged = false;
    int cls = -1;
    double latency_ms = 0;
    rt::Provenance provenance = rt::Provenance::estimated;
  };
  std::vector<Record> records(static_cast<std::size_t>(count));
  std::mutex m;
  std::condition_variable cv;
  std::int64_t outcomes = 0;
  const Index m_out = nercc_examples::Classifier::num_classes;
  const std::int64_t kill_index = a.kill_at < 0 ? -1 : std::int64_t(a.kill_at * double(count));

  {
    // The runtime is shut down before `cluster` goes (see GrpcTransport::transport()).
    rt::Runtime<float> runtime(p, cluster->transport(), rt::steady_clock(),
                               config.policy->fallback ? fallback.as_fallback() : rt::Fallback<float>{});
    const auto period = std::chrono::duration<double>(1.0 / a.rate);
    const auto start = SteadyClock::now();
    for (std::int64_t i = 0; i < count; ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(period * double(i)));
      if (i == kill_index) pool.kill_worker(std::size_t(a.kill_worker));
      const Index row = Index((first + i) % data.count);
      const Eigen::Map<const Matrix> x(data.images.data() + row * 784, 1, 784);
      runtime.submit(x, [&, i](rt::QueryOutcome<float>&& o) {
        Record& r = records[std::size_t(i)];
        r.ok = o.ok();
        if (r.ok) {
          r.cls = argmax(o.value.data(), m_out);
          r.latency_ms = o.latency_seconds * 1e3;
          r.provenance = o.provenance;
          r.hedged = o.hedged;
        }
        std::lock_guard<std::mutex> guard(m);
        r.done = true;
        ++outcomes;
        cv.notify_all();
      });
    }
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait_until(lock, SteadyClock::now() + std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 10000),
                    [&] { return outcomes == count; });
    }
    // Shutdown gives every query still pending an outcome (shut_down): none is lost silently.
    runtime.shutdown();
    metrics = runtime.metrics();
  }
  // Outstanding RPCs were cancelled at decode and are bounded by rpc_timeout: this is quick.
  cluster.reset();

  TurnResult t;
  t.queries = count;
  std::lock_guard<std::mutex> guard(m);
  for (std::int64_t i = 0; i < count; ++i) {
    const Record& r = records[std::size_t(i)];
    if (!r.done) ++t.lost;
    else if (!r.ok) ++t.missing;
    else {
      ++t.ok;
      t.latency_ms.push_back(r.latency_ms);
      ++t.provenance[rt::to_string(r.provenance)];
      if (r.hedged) ++t.hedged;
      if (r.cls == data.reference_class[std::size_t((first + i) % data.count)]) ++t.agree;
    }
  }
  return t;
}

double accuracy(const Matrix& logits, const std::vector<std::uint8_t>& labels) {
  std::int64_t right = 0;
  for (Index i = 0; i < logits.rows(); ++i) right += argmax(logits.row(i).data(), logits.cols()) == labels[std::size_t(i)];
  return double(right) / double(logits.rows());
}

std::string minutes(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  return buf;
}

int run(const FrontendArgs& a) {
  const auto run_start = SteadyClock::now();
  nercc_examples::TrainOptions options;
  options.cache_dir = a.cache_dir;
  options.data_dir = a.data_dir;
  options.progress = a.progress;
  // Trained (or loaded) here first, so the workers only ever load it from the cache.
  const auto trained = nercc_examples::train_or_load(nercc_cluster::model_config(a.model), options);
  // The whole test split for the published model (the fallback's agreement is measured on it);
  // the smoke run only loads what it serves.
  const std::int64_t test_count =
      a.model == "smoke" ? std::min<std::int64_t>(a.queries * a.rounds, 10000) : std::int64_t(10000);
  const auto test = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(a.data_dir), "t10k", test_count);
  Dataset data;
  data.count = Index(test.count);
  data.images = test.images;
  data.labels = test.labels;
  data.reference = trained.classifier.logits(Eigen::Map<const Matrix>(data.images.data(), data.count, 784), 2);
  for (Index i = 0; i < data.count; ++i)
    data.reference_class.push_back(argmax(data.reference.row(i).data(), data.reference.cols()));

  bool fallback_cached = false;
  if (a.progress) std::fprintf(stderr, "fallback model: loading or distilling from the served model\n");
  const LinearFallback fallback = load_or_fit_linear_fallback(trained.classifier, trained.cache_file, a.data_dir,
                                                              a.fallback_train, fallback_cached);
  FallbackInfo fb;
  {
    const Matrix logits = fallback.logits(Eigen::Map<const Matrix>(data.images.data(), data.count, 784));
    fb.agreement = argmax_agreement(logits, data.reference);
    fb.accuracy = accuracy(logits, data.labels);
    fb.model_accuracy = accuracy(data.reference, data.labels);
    fb.test_images = data.count;
    fb.train_images = a.fallback_train;
    fb.ridge = fallback.ridge();
  }
  if (a.progress)
    std::fprintf(stderr, "fallback model (%s): agrees with the served model on %.1f%% of %lld test images\n",
                 fallback_cached ? "cached" : "distilled", fb.agreement * 100, (long long)fb.test_images);

  std::vector<ConfigResult> results;
  for (auto& c : configurations(a)) {
    results.emplace_back();
    results.back().config = std::move(c);
  }
  const std::size_t turns = results.size() * std::size_t(a.rounds);
  if (a.progress)
    std::fprintf(stderr, "%zu configurations x %d rounds = %zu turns of %lld queries at %g q/s on %d worker processes\n",
                 results.size(), a.rounds, turns, (long long)a.queries, a.rate, a.max_workers());

  WorkerPool pool(a.worker_bin, worker_argvs(a, turns), 300.0);
  const auto serve_start = SteadyClock::now();
  std::size_t done = 0;
  for (int round = 0; round < a.rounds; ++round) {
    const std::int64_t first = a.queries * round;
    for (std::size_t j = 0; j < results.size(); ++j) {
      ConfigResult& r = results[(j + std::size_t(round)) % results.size()];
      rt::RuntimeMetrics metrics;
      TurnResult t = run_turn(a, pool, data, fallback, r.config, first, a.queries, metrics);
      if (a.kill_at >= 0) pool.restart(std::size_t(a.kill_worker));
      const double p99 = [&] {
        TurnResult sorted = t;
        sorted.finish();
        return sorted.quantile(0.99);
      }();
      r.add(std::move(t), metrics);
      ++done;
      if (a.progress) {
        const double elapsed = std::chrono::duration<double>(SteadyClock::now() - serve_start).count();
        const TurnResult& last = r.rounds.back();
        std::fprintf(stderr, "[%zu/%zu] round %d/%d, N/K %g, %s: p99 %s ms, RelAcc %s, lost %lld (elapsed %s, left ~%s)\n",
                     done, turns, round + 1, a.rounds, r.config.ratio, r.config.label().c_str(), fixed(p99, 1).c_str(),
                     fixed(last.rel_acc(), 4).c_str(), (long long)last.lost, minutes(elapsed).c_str(),
                     minutes(elapsed / double(done) * double(turns - done)).c_str());
      }
    }
  }
  pool.stop();
  for (auto& r : results) r.finish();
  mark_frontier(results);

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table = markdown(a, results, fb);
  write_file(out / "table.md", table);
  write_file(out / "summary.json", json_line(a, results, fb) + "\n");
  write_file(out / "rounds.csv", rounds_csv(results));
  write_file(out / "frontier.dat", frontier_data(a, results));
  std::cout << table << std::endl;
  if (a.progress)
    std::fprintf(stderr, "done in %s; results in %s\n",
                 minutes(std::chrono::duration<double>(SteadyClock::now() - run_start).count()).c_str(), a.out.c_str());

  bool lost = false;
  for (const auto& r : results) lost = lost || r.pooled.lost > 0;
  return lost ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_grpc_frontend", nercc_cluster::frontend_usage, argc, argv,
                                 nercc_cluster::parse_frontend_args, run);
}
