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
#include "policies.hpp"
#include "report.hpp"
#include "serve.hpp"
#include "worker_pool.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rt = nercc::runtime;
using namespace nercc_cluster;

// Serves queries first..first+count-1 with one configuration on the pool's first N workers, at
// a fixed spacing. Kills worker a.kill_worker part-way (when asked; the caller restarts it after
// the turn, so that its start-up does not load the cores during a turn).
TurnResult run_turn(const FrontendArgs& a, WorkerPool& pool, const Dataset& data, const LinearFallback& fallback,
                    const Configuration& config, std::int64_t first, std::int64_t count, rt::RuntimeMetrics& metrics) {
  ServeRequest s;
  s.ports = pool.ports();
  s.ports.resize(std::size_t(config.workers()));
  s.params = config.params;
  if (config.policy->fallback) s.fallback = fallback.as_fallback();
  s.first = first;
  for (std::int64_t i = 0; i < count; ++i) s.send_seconds.push_back(double(i) / a.rate);
  s.rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  s.drain = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 10000);
  const std::int64_t kill_index = a.kill_at < 0 ? -1 : std::int64_t(a.kill_at * double(count));
  s.before_submit = [&](std::int64_t i) {
    if (i == kill_index) pool.kill_worker(std::size_t(a.kill_worker));
  };
  return serve(s, data, metrics);
}

int run(const FrontendArgs& a) {
  const auto run_start = SteadyClock::now();
  const auto trained = load_model(a.model, a.cache_dir, a.data_dir, a.progress);
  // The whole test split for the published model (the fallback's agreement is measured on it);
  // the smoke run only loads what it serves.
  const std::int64_t test_count =
      a.model == "smoke" ? std::min<std::int64_t>(a.queries * a.rounds, 10000) : std::int64_t(10000);
  const Dataset data = load_dataset(trained.classifier, a.data_dir, test_count);

  bool fallback_cached = false;
  if (a.progress) std::fprintf(stderr, "fallback model: loading or distilling from the served model\n");
  const LinearFallback fallback = load_or_fit_linear_fallback(trained.classifier, trained.cache_file, a.data_dir,
                                                              a.fallback_train, fallback_cached);
  const FallbackInfo fb = describe_fallback(fallback, data, a.fallback_train);
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

  const double lifetime = a.worker_lifetime_s(turns);
  WorkerPool pool(a.worker_bin, worker_argvs(a.max_workers(), a.model, a.cache_dir, a.seed, lifetime, a.latency), 300.0);
  run_rounds(
      a, pool, results,
      [&](ConfigResult& r, std::int64_t first, rt::RuntimeMetrics& metrics) {
        return run_turn(a, pool, data, fallback, r.config, first, a.queries, metrics);
      },
      [](const TurnResult& t) { return "RelAcc " + fixed(t.rel_acc(), 4); });
  pool.stop();
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
