// nercc_grpc_plan_check: does the planner pick what the cluster measures as cheapest? On the
// LeNet5 worker processes of the cluster demo (127.0.0.1, injected stragglers, no killed worker):
//   1. a calibration round of uncoded calls gives the per-call latency law (GroupLog arrival
//      times, fitted by nercc::plan::fit_straggler_model in units of the median call) and the
//      front end's decode-and-deliver time;
//   2. nercc::plan::calibrate measures the systematic codes' accuracy on LeNet5;
//   3. plan() for every (SLO, floor), keeping the planner's feasible plans (its pick, its
//      runners-up and the cheapest plan of each scheme);
//   4. every such plan runs on the workers through to_runtime_params, in rounds, the same
//      Poisson arrivals for all in a round;
//   5. per (SLO, floor): the configuration the cluster measured as cheapest among them against
//      the pick, predicted against measured p99 and RelAcc (plan_check_report.hpp).
// Exit code: 0 on success, 1 on a runtime error or an inconsistent report (a lost query among
// them), 2 on bad usage.
#include "fallback_model.hpp"
#include "plan_check.hpp"
#include "plan_check_report.hpp"
#include "serve.hpp"
#include "worker_pool.hpp"

#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/runtime.hpp>
#include <nercc/runtime/from_plan.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace {

using nercc::Index;
using nercc::SchemeKind;
using Matrix = nercc::RowMatrix<float>;
using Clock = std::chrono::steady_clock;
namespace rt = nercc::runtime;
namespace np = nercc::plan;
using namespace nercc_cluster;

rt::Duration seconds(double s) { return std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double>(s)); }

// Poisson arrivals of `count` queries at `rate`, the same for every configuration of a round.
std::vector<double> poisson_times(std::int64_t count, double rate, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate);
  std::vector<double> t;
  double now = 0;
  for (std::int64_t i = 0; i < count; ++i) t.push_back(now += gap(rng));
  return t;
}

// Step 1: uncoded calls, K = N = calibration_group(), each query leaving with its answer.
CallLatency measure_calls(const PlanCheckArgs& a, WorkerPool& pool, const Dataset& data, std::int64_t first) {
  std::vector<rt::GroupLog> logs;
  std::mutex m;
  ServeRequest s;
  s.ports = pool.ports();
  s.ports.resize(std::size_t(a.calibration_group()));
  s.params.scheme = SchemeKind::uncoded;
  s.params.code.num_queries = s.params.code.num_workers = Index(s.ports.size());
  s.params.input_dim = 784;
  s.params.output_dim = nercc_examples::Classifier::num_classes;
  s.params.early_release = true;
  s.params.deadline = seconds(2.0);
  s.params.group_timeout = seconds(2.0);
  s.params.overload.enabled = false;
  s.params.group_log = [&](const rt::GroupLog& g) {
    std::lock_guard<std::mutex> lock(m);
    logs.push_back(g);
  };
  s.first = first;
  s.send_seconds = poisson_times(a.calibration_queries, a.rate, a.seed * 7919);
  s.rpc_timeout = std::chrono::milliseconds(3000);
  rt::RuntimeMetrics metrics;
  const TurnResult t = serve(s, data, metrics);
  if (t.lost != 0 || t.missing != 0)
    throw std::runtime_error("calibration round: " + std::to_string(t.missing + t.lost) + " queries without an answer");
  std::lock_guard<std::mutex> lock(m);
  return fit_call_latency(logs);
}

// Step 2: the systematic codes' accuracy on the model, per (K, N, answers).
np::AccuracyTable calibrate_accuracy(const PlanCheckArgs& a, const nercc_examples::Classifier& clf, const Dataset& data,
                                     Index images) {
  np::CalibrateParams c;
  for (Index n : a.coded_workers) c.configs.emplace_back(Index(a.coded_queries), n);
  c.tune.systematic = true;
  c.tune.worker_spreads = {0.05, 0.2, 0.5};
  c.tune.batches = a.smoke ? 4 : 32;
  c.tune.answered_sets = a.smoke ? 4 : 16;
  c.tune.grid_points = a.smoke ? 3 : 6;
  c.tune.refine_rounds = 1;
  c.tune.max_model_calls = 8;
  const Eigen::Map<const Matrix> x(data.images.data(), images, 784);
  return np::calibrate(c, x, [&clf](const Matrix& q) { return clf.logits(q, 1); });
}

// Step 3: the feasible plans of one (SLO, floor): plan()'s list, then the cheapest plan of each
// scheme it does not already hold. New runtime configurations are appended to `runs`.
Check plan_one(const np::PlanRequest& base, double slo, double floor, const np::StragglerModel& model,
               const np::AccuracyTable& table, std::vector<RunConfig>& runs) {
  np::PlanRequest r = base;
  r.slo_seconds = slo;
  r.accuracy_floor = floor;
  Check c;
  c.slo_seconds = slo, c.floor = floor;
  const np::PlanResult res = np::plan(r, model, table);
  if (res.plans.empty()) {
    c.infeasible = std::string(np::to_string(res.binding)) + ": " + res.message;
    return c;
  }
  const auto add = [&](const np::Plan& p, const std::string& origin) {
    const rt::RuntimeParams params = np::to_runtime_params(p, r, 784, nercc_examples::Classifier::num_classes);
    const std::string key = run_key(params, p.fallback);
    for (const auto& existing : c.plans)
      if (runs[existing.run].key == key) return;
    std::size_t at = 0;
    while (at < runs.size() && runs[at].key != key) ++at;
    if (at == runs.size()) {
      RunConfig rc;
      rc.key = key, rc.plan = p, rc.slo_seconds = slo, rc.params = params;
      if (p.worker_sets != 1)
        rc.not_run = "needs " + std::to_string(p.worker_sets) + " worker sets; the cluster runs one";
      runs.push_back(std::move(rc));
    }
    c.plans.push_back({p, at, c.plans.empty(), origin});
  };
  for (const np::Plan& p : res.plans) add(p, "plan()");
  for (SchemeKind s : base.grid.schemes) {
    np::PlanRequest only = r;
    only.grid.schemes = {s};
    only.runners_up = 0;
    const np::PlanResult one = np::plan(only, model, table);
    if (!one.plans.empty()) add(one.plans.front(), std::string("cheapest ") + nercc::to_string(s));
  }
  return c;
}

int run(const PlanCheckArgs& a) {
  const auto run_start = Clock::now();
  const auto trained = load_model(a.model, a.cache_dir, a.data_dir, a.progress);
  // Accuracy calibration images first, then the served queries (out of sample).
  const Index cal_images = a.smoke ? 200 : 2000;
  const std::int64_t test_count = std::min<std::int64_t>(10000, cal_images + a.queries * a.rounds + a.calibration_queries);
  const Dataset data = load_dataset(trained.classifier, a.data_dir, test_count);
  bool cached = false;
  const LinearFallback fallback =
      load_or_fit_linear_fallback(trained.classifier, trained.cache_file, a.data_dir, a.fallback_train, cached);
  PlanCheckReport report;
  report.fallback = describe_fallback(fallback, data, a.fallback_train);
  {
    const Eigen::Map<const Matrix> one(data.images.data(), 1, 784);
    report.fallback_seconds = np::profile([&](Index) { (void)fallback.logits(one); }, {1}, {5, 51}).front().median;
  }

  const int workers = a.max_workers();
  WorkerPool pool(a.worker_bin,
                  worker_argvs(workers, a.model, a.cache_dir, a.seed, 3600.0 + double(a.queries) * 100.0 / a.rate, a.latency),
                  300.0);
  if (a.progress) std::fprintf(stderr, "latency calibration: %lld uncoded queries on %d workers\n",
                               (long long)a.calibration_queries, a.calibration_group());
  report.calls = measure_calls(a, pool, data, cal_images);
  if (a.progress) std::fprintf(stderr, "accuracy calibration on %lld images\n", (long long)cal_images);
  const auto t0 = Clock::now();
  const np::AccuracyTable table = calibrate_accuracy(a, trained.classifier, data, cal_images);
  report.calibration_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  report.accuracy = table;

  np::PlanRequest base;
  base.arrival_rate = a.rate;
  base.slo_quantile = a.slo_quantile;
  np::BatchLatency unit;
  unit.batch_size = 1;
  unit.median = unit.lower_quartile = unit.upper_quartile = unit.min = unit.max = report.calls.unit_seconds;
  base.profile = {unit};
  base.decode.fixed_seconds = report.calls.front_end_seconds;
  base.pool_size = workers;
  // Each worker serves overlapping calls on several gRPC threads, and its time is mostly the
  // injected delay (a wait): one worker set carries the load.
  base.concurrent_workers = true;
  base.runners_up = a.runners_up;
  base.grid.num_queries = {Index(a.coded_queries)};
  base.grid.max_redundancy = a.max_redundancy;
  base.grid.max_workers_per_set = workers;
  base.grid.batch_sizes = {1};
  base.fallback.rel_acc = report.fallback.agreement;
  base.fallback.seconds = report.fallback_seconds;
  report.request = base;

  std::vector<RunConfig> runs;
  for (double slo : a.slo_ms)
    for (double floor : a.floors) report.checks.push_back(plan_one(base, slo / 1e3, floor, report.calls.fit->model, table, runs));

  std::vector<std::size_t> to_run;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].not_run.empty()) to_run.push_back(i);
  if (a.progress)
    std::fprintf(stderr, "%zu configurations to run (%zu planned), %d rounds of %lld queries at %g q/s\n", to_run.size(),
                 runs.size(), a.rounds, (long long)a.queries, a.rate);
  std::vector<std::vector<TurnResult>> turns(runs.size());
  std::size_t done = 0;
  for (int round = 0; round < a.rounds; ++round) {
    const std::vector<double> times = poisson_times(a.queries, a.rate, a.seed * 1000003 + std::uint64_t(round));
    for (std::size_t j = 0; j < to_run.size(); ++j) {
      RunConfig& rc = runs[to_run[(j + std::size_t(round)) % to_run.size()]];
      ServeRequest s;
      s.ports = pool.ports();
      s.ports.resize(std::size_t(rc.params.code.num_workers));
      s.params = rc.params;
      if (rc.plan.fallback) s.fallback = fallback.as_fallback();
      s.first = cal_images + a.queries * round;
      s.send_seconds = times;
      s.rpc_timeout = std::chrono::milliseconds(std::int64_t(rc.slo_seconds * 1e3) + 1000);
      rt::RuntimeMetrics metrics;
      turns[std::size_t(&rc - runs.data())].push_back(serve(s, data, metrics));
      ++done;
      if (a.progress) {
        const TurnResult& t = turns[std::size_t(&rc - runs.data())].back();
        std::fprintf(stderr, "[%zu/%zu] %s (SLO %g ms): p99 %s ms, RelAcc %s, missing %lld, lost %lld\n", done,
                     to_run.size() * std::size_t(a.rounds), describe(rc.plan).c_str(), rc.slo_seconds * 1e3,
                     fixed(t.quantile_of_all(a.slo_quantile), 1).c_str(), fixed(t.rel_acc(), 4).c_str(),
                     (long long)t.missing, (long long)t.lost);
      }
    }
  }
  pool.stop();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (turns[i].empty()) continue;
    runs[i].ran = true;
    runs[i].rounds = turns[i];
    for (const auto& t : turns[i]) runs[i].pooled.merge(t);
    runs[i].pooled.finish();
  }
  report.runs = std::move(runs);

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table_md = plan_check_markdown(a, report);
  write_file(out / "table.md", table_md);
  write_file(out / "summary.json", plan_check_json(a, report) + "\n");
  write_file(out / "runs.csv", plan_check_csv(report));
  std::cout << table_md << std::endl;
  if (a.progress)
    std::fprintf(stderr, "done in %.0f s; results in %s\n", std::chrono::duration<double>(Clock::now() - run_start).count(),
                 a.out.c_str());
  check_consistency(report.checks, report.runs, a.queries * a.rounds, a.slo_quantile);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_grpc_plan_check", nercc_cluster::plan_check_usage, argc, argv,
                                 nercc_cluster::parse_plan_check_args, run);
}
