// A planned configuration run on nercc::runtime with the simulated transport and the same
// straggler model: measured p99 against the prediction and the SLO, accuracy against the floor.
#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/runtime/from_plan.hpp>

#include <catch2/catch.hpp>
#include <e2e_setup.hpp>

#include <algorithm>
#include <cstdlib>

using namespace nercc::plan;
using nercc::Index;

namespace {
// Groups run: NERCC_PLAN_E2E_GROUPS, else 3000 (under a second); examples/plan runs 2 10^4.
long e2e_groups() {
  if (const char* env = std::getenv("NERCC_PLAN_E2E_GROUPS")) return std::atol(env);
  return 3000;
}

// The runtime's GroupLog records (answers, and pending calls censored at the decision) give
// back the straggler model: same family, and a plan made from the fit is the same plan.
void check_fit_from_logs(const plan_checks::RuntimeRun& run, const Plan& best, const plan_checks::E2ESetup& s,
                         const StragglerModel& stragglers) {
  const WorkerTimes times = worker_times_from_logs(run.logs, s.request.profile.front().median);
  CHECK(!times.censored.empty());
  const FitResult fit = fit_straggler_model(times);
  CAPTURE(fit.ks_shifted_exponential, fit.ks_bimodal, fit.ks_log_normal, fit.ks_critical);
  CHECK(fit.family == ModelFamily::bimodal);
  for (double p : {0.5, 0.9, 0.99})
    CHECK(order_statistic_quantile(fit.model, best.quorum, best.num_workers, p) ==
          Approx(order_statistic_quantile(stragglers, best.quorum, best.num_workers, p)).epsilon(0.05));
  const PlanResult refit = plan(s.request, fit.model, s.table);
  REQUIRE(!refit.plans.empty());
  CHECK(refit.plans.front().num_queries == best.num_queries);
  CHECK(refit.plans.front().num_workers == best.num_workers);
  CHECK(refit.plans.front().quorum == best.quorum);
  CHECK(refit.plans.front().p99 == Approx(best.p99).epsilon(0.05));
}

}  // namespace

TEST_CASE("plan end to end: the runtime meets the predicted p99, the SLO and the accuracy floor",
          "[plan][runtime][e2e]") {
  auto s = plan_checks::e2e_setup();
  s.request.grid.schemes = {nercc::SchemeKind::spline};  // the coded path (examples/plan runs the overall best too)
  const StragglerModel stragglers = plan_checks::example_stragglers();
  // The best quorum plan of each worker batch size (the runtime runs b > 1 as b code blocks per
  // group), and the best deadline plan.
  const std::vector<double> levels = s.request.grid.deadline_levels;
  struct Case {
    Index b;
    bool deadline;
  };
  for (const Case c : {Case{2, false}, Case{1, false}, Case{1, true}}) {
    const Index b = c.b;
    s.request.grid.batch_sizes = {b};
    s.request.grid.quorums = !c.deadline;
    s.request.grid.deadline_levels = c.deadline ? levels : std::vector<double>{};
    const PlanResult res = plan(s.request, stragglers, s.table);
    REQUIRE(!res.plans.empty());
    const Plan& best = res.plans.front();
    INFO(best.explanation);
    REQUIRE(best.batch_size == b);
    REQUIRE((best.deadline > 0.0) == c.deadline);
    const auto run = plan_checks::run_on_runtime(best, s.request, stragglers, s.model,
                                                 plan_checks::gaussian_queries(4096, 8, 5), e2e_groups(), 6);
    CAPTURE(best.p99, run.p99, best.p50, run.p50, best.rel_acc, run.rel_acc, run.ok, run.queries);
    CHECK(run.ok >= run.queries * 99 / 100);
    CHECK(run.p99 == Approx(best.p99).epsilon(0.10));
    CHECK(run.p50 == Approx(best.p50).epsilon(0.10));
    CHECK(run.p99 <= s.request.slo_seconds * 1.02);  // the prediction sits at most at the SLO
    CHECK(run.rel_acc >= s.request.accuracy_floor - 0.03);
    REQUIRE(long(run.logs.size()) == e2e_groups());
    CHECK(std::count_if(run.logs.begin(), run.logs.end(), [b](const nercc::runtime::GroupLog& g) { return g.blocks == b; }) >=
          e2e_groups() * 99 / 100);
    if (b == 1 && !c.deadline) check_fit_from_logs(run, best, s, stragglers);
  }
}

TEST_CASE("calibrate: entries equal the tuner's estimates; lookups are conservative", "[plan][accuracy]") {
  const auto s = plan_checks::e2e_setup();
  const auto entry = s.table.lookup(nercc::SchemeKind::spline, 4, 7, 6);
  REQUIRE(entry);
  nercc::TuneParams tp;
  tp.batches = 32, tp.answered_sets = 16, tp.grid_points = 6, tp.refine_rounds = 1;
  tp.code.num_queries = 4, tp.code.num_workers = 7;
  tp.stragglers = {1};
  const auto direct = nercc::tune_lambdas(tp, s.calibration, s.model);
  CHECK(entry->rel_acc == direct.rel_acc.mean);
  CHECK(entry->mse == direct.mse.mean);
  CHECK(entry->lambda_dec == direct.lambda_dec);
  CHECK(s.table.entries().size() == 6 + 15);  // every answer count of K = 2, N 2..4 and K = 4, N 4..8

  AccuracyTable t;
  AccuracyEntry e;
  e.scheme = nercc::SchemeKind::berrut, e.num_queries = 4, e.num_workers = 10, e.answers = 6, e.rel_acc = 0.9;
  t.add(e);
  e.answers = 9, e.rel_acc = 0.97;
  t.add(e);
  CHECK_FALSE(t.lookup(nercc::SchemeKind::berrut, 4, 10, 5));  // nothing measured at or below 5
  CHECK(t.lookup(nercc::SchemeKind::berrut, 4, 10, 8)->rel_acc == 0.9);
  CHECK(t.lookup(nercc::SchemeKind::berrut, 4, 10, 8)->answers == 8);
  CHECK(t.lookup(nercc::SchemeKind::berrut, 4, 10, 10)->rel_acc == 0.97);
  CHECK_FALSE(t.lookup(nercc::SchemeKind::spline, 4, 10, 9));
  CHECK_FALSE(t.lookup(nercc::SchemeKind::berrut, 4, 11, 9));
  CHECK(t.lookup(nercc::SchemeKind::replication, 4, 10, 10)->rel_acc == 1.0);
}

TEST_CASE("calibrate: the ordering and the tuned worker spread reach the plan's runtime code",
          "[plan][accuracy][points]") {
  const auto s = plan_checks::e2e_setup();
  nercc::plan::CalibrateParams c;
  c.schemes = {nercc::SchemeKind::spline};
  c.configs = {{4, 8}};
  c.answers = {7};
  c.tune.batches = 8, c.tune.answered_sets = 4, c.tune.grid_points = 3, c.tune.refine_rounds = 0;
  c.tune.code.ordering = nercc::OrderingMethod::greedy_chain;
  c.tune.worker_spreads = {0.05, 0.5};
  const AccuracyTable table = nercc::plan::calibrate(c, s.calibration, s.model);
  const auto entry = table.lookup(nercc::SchemeKind::spline, 4, 8, 7);
  REQUIRE(entry);
  nercc::TuneParams tp = c.tune;
  tp.code.num_queries = 4, tp.code.num_workers = 8, tp.stragglers = {1};
  const auto direct = nercc::tune_lambdas(tp, s.calibration, s.model);
  CHECK(entry->ordering == nercc::OrderingMethod::greedy_chain);
  CHECK(entry->worker_spread == direct.worker_spread);
  CHECK(entry->mse == direct.mse.mean);

  nercc::plan::PlanRequest r = s.request;
  r.grid.num_queries = {4};
  r.grid.schemes = {nercc::SchemeKind::spline};
  r.accuracy_floor = 0.01;  // any measured entry: only (4, 8) with 7 or 8 answers has one
  const auto result = nercc::plan::plan(r, plan_checks::example_stragglers(), table);
  REQUIRE(!result.plans.empty());
  const nercc::plan::Plan& best = result.plans.front();
  CHECK(best.num_workers == 8);
  CHECK(best.ordering == nercc::OrderingMethod::greedy_chain);
  CHECK(best.worker_spread == direct.worker_spread);
  const auto rp = nercc::plan::to_runtime_params(best, r, 8, 3);
  CHECK(rp.code.ordering == nercc::OrderingMethod::greedy_chain);
  CHECK(rp.code.worker_points == direct.code.worker_points);
}

TEST_CASE("plan end to end: early release on the runtime meets the predicted p50 and p99",
          "[plan][runtime][e2e][early_release]") {
  auto s = plan_checks::e2e_setup();
  s.request.grid.schemes = {nercc::SchemeKind::replication, nercc::SchemeKind::uncoded};
  s.request.grid.deadline_levels.clear();
  s.request.grid.batch_sizes = {1};
  const StragglerModel stragglers = plan_checks::example_stragglers();
  const PlanResult res = plan(s.request, stragglers, s.table);
  REQUIRE(!res.plans.empty());
  const Plan& best = res.plans.front();
  INFO(best.explanation);
  REQUIRE(best.early_release);  // as cheap as group release and never slower
  const auto run = plan_checks::run_on_runtime(best, s.request, stragglers, s.model,
                                               plan_checks::gaussian_queries(4096, 8, 5), e2e_groups(), 7);
  CAPTURE(best.p99, run.p99, best.p50, run.p50, run.ok, run.queries);
  // The runtime's deadline is the SLO: the queries past it (under 1%) fail; the rest are exact.
  CHECK(run.ok >= run.queries * 99 / 100);
  CHECK(run.rel_acc == Approx(double(run.ok) / double(run.queries)).margin(1e-12));
  CHECK(run.p99 == Approx(best.p99).epsilon(0.10));
  CHECK(run.p50 == Approx(best.p50).epsilon(0.10));
}

TEST_CASE("plan end to end: a hedged plan on the runtime meets the predicted p50 and p99", "[plan][runtime][e2e][hedge]") {
  auto s = plan_checks::e2e_setup();
  s.request.grid.schemes = {nercc::SchemeKind::uncoded};
  s.request.grid.deadline_levels.clear();
  s.request.grid.batch_sizes = {1};
  s.request.grid.hedge_levels = {0.95};
  s.request.slo_seconds = 0.0225;  // below unhedged uncoded's p99 (23.7 ms): only hedging meets it
  const StragglerModel stragglers = plan_checks::example_stragglers();
  const PlanResult res = plan(s.request, stragglers, s.table);
  INFO(res.message);
  REQUIRE(!res.plans.empty());
  const Plan& best = res.plans.front();
  INFO(best.explanation);
  REQUIRE(best.hedge_delay > 0.0);
  const auto rp = nercc::plan::to_runtime_params(best, s.request, 8, 3);
  CHECK(rp.hedge.target == nercc::runtime::HedgeTarget::answered);
  CHECK(nercc::runtime::seconds(rp.hedge.delay) == Approx(best.hedge_delay).epsilon(1e-6));
  const auto run = plan_checks::run_on_runtime(best, s.request, stragglers, s.model,
                                               plan_checks::gaussian_queries(4096, 8, 5), e2e_groups(), 8);
  CAPTURE(best.p99, run.p99, best.p50, run.p50, run.ok, run.queries);
  CHECK(run.ok >= run.queries * 99 / 100);
  CHECK(run.p99 == Approx(best.p99).epsilon(0.10));
  CHECK(run.p50 == Approx(best.p50).epsilon(0.10));
}

TEST_CASE("calibrate_batches: entries equal the tuner's estimates on the same batches", "[plan][accuracy]") {
  const auto s = plan_checks::e2e_setup();
  CalibrateParams c;
  c.schemes = {nercc::SchemeKind::spline, nercc::SchemeKind::berrut};
  c.configs = {{4, 6}};
  c.answers = {5};
  c.tune.batches = 8, c.tune.answered_sets = 8, c.tune.grid_points = 4, c.tune.refine_rounds = 1;
  // Batch b: K consecutive rows from row 3 b (overlapping groups, as windows of a series).
  const auto consecutive = [&](nercc::Index k, nercc::Index b) {
    return plan_checks::Mat(s.calibration.middleRows(3 * b, k));
  };
  const AccuracyTable t = calibrate_batches(c, consecutive, s.model);
  REQUIRE(t.entries().size() == 2);
  for (nercc::SchemeKind scheme : c.schemes) {
    nercc::TuneParams tp = c.tune;
    tp.scheme = scheme;
    tp.code.num_queries = 4, tp.code.num_workers = 6;
    tp.stragglers = {1};
    const auto direct = nercc::tune_lambdas(tp, [&](nercc::Index b) { return consecutive(4, b); }, s.model);
    const auto entry = t.lookup(scheme, 4, 6, 5);
    REQUIRE(entry);
    CHECK(entry->mse == direct.mse.mean);
    CHECK(entry->rel_acc == direct.rel_acc.mean);
    CHECK(entry->lambda_enc == direct.lambda_enc);
    CHECK(entry->lambda_dec == direct.lambda_dec);
    // Other batches give other estimates: the source is what was tuned on.
    const auto random_rows = nercc::tune_lambdas(tp, s.calibration, s.model);
    CHECK(random_rows.mse.mean != direct.mse.mean);
  }
}
