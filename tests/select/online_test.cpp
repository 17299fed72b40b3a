// The selector's online half: predicted_latency against closed forms, select() on synthetic
// corpora with a known answer, verify() on a model whose best configuration is known, the
// short list's calibration, Spearman's correlation against reference values; and the errors.
#include <nercc/select/calibrate_short_list.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/metrics.hpp>
#include <nercc/select/neighbours.hpp>
#include <nercc/select/short_list.hpp>
#include <nercc/select/verify.hpp>

#include <select_synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace {

using nercc::Index;
using nercc::RowMatrix;
namespace sel = nercc::select;
namespace plan = nercc::plan;

const plan::ShiftedExponentialParams law_params{0.01, 100.0};

double exp_quantile(double u) { return law_params.shift - std::log1p(-u) / law_params.rate; }

sel::Configuration config(nercc::SchemeKind scheme, Index k, Index n) {
  sel::Configuration c;
  c.scheme = scheme, c.num_queries = k, c.num_workers = n;
  return c;
}

// The level u with P(Bin(n, u) >= q) = p, by bisection on the binomial sum written out.
double order_level(Index q, Index n, double p) {
  double lo = 0.0, hi = 1.0;
  for (int it = 0; it < 200; ++it) {
    const double u = 0.5 * (lo + hi);
    double tail = 0.0;
    for (Index j = q; j <= n; ++j) {
      double c = 1.0;
      for (Index i = 1; i <= j; ++i) c *= double(n - j + i) / double(i);
      tail += c * std::pow(u, double(j)) * std::pow(1.0 - u, double(n - j));
    }
    (tail >= p ? hi : lo) = u;
  }
  return hi;
}

sel::Selector clusters_selector(std::unique_ptr<sel::Learner> learner) {
  const select_synthetic::Clusters train(10);
  return sel::Selector(select_synthetic::matrix(train.features, train.utility), std::move(learner));
}

// f(x) = (2x) sin(2x), elementwise, counting the rows it sees.
struct XSinX {
  double* rows;
  RowMatrix<double> operator()(const RowMatrix<double>& x) const {
    *rows += double(x.rows());
    return ((2.0 * x.array()) * (2.0 * x.array()).sin()).matrix();
  }
};

RowMatrix<double> uniform_rows(Index rows, Index d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  RowMatrix<double> x(rows, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = 2.0 * nercc::uniform_unit(rng) - 1.0;
  return x;
}

sel::ShortList list_of(const std::vector<sel::Configuration>& configs) {
  sel::ShortList l;
  for (const sel::Configuration& c : configs) l.entries.push_back(sel::ShortListEntry{-1, c, c.id(), 0.0, 0.0});
  return l;
}

sel::VerifyParams small_verify() {
  sel::VerifyParams v;
  v.tune.stragglers = {1};
  v.tune.batches = 4;
  v.tune.answered_sets = 4;
  v.tune.lambda_min = 1e-6;
  v.tune.lambda_max = 1e-1;
  v.tune.grid_points = 6;
  v.tune.refine_rounds = 1;
  return v;
}

}  // namespace

TEST_CASE("predicted_latency: closed forms of the cover law and the order statistics", "[select][online]") {
  sel::SelectionRequest r;
  r.worker_time = plan::ShiftedExponentialModel(law_params);
  r.slo_quantile = 0.99;
  r.stragglers = 1;
  // Uncoded K = N = 4: every worker must answer, F^4 = p.
  CHECK(sel::predicted_latency(config(nercc::SchemeKind::uncoded, 4, 4), r) == Approx(exp_quantile(std::pow(0.99, 0.25))).epsilon(1e-9));
  // Replication K = 1, N = 3: the first of three, 1 - (1 - F)^3 = p.
  CHECK(sel::predicted_latency(config(nercc::SchemeKind::replication, 1, 3), r) ==
        Approx(exp_quantile(1.0 - std::cbrt(0.01))).epsilon(1e-9));
  // Berrut (2, 4) with one straggler: the third of four answers.
  CHECK(sel::predicted_latency(config(nercc::SchemeKind::berrut, 2, 4), r) == Approx(exp_quantile(order_level(3, 4, 0.99))).epsilon(1e-9));
  // An explicit quorum overrides the stragglers; never below K.
  sel::Configuration q = config(nercc::SchemeKind::spline, 2, 6);
  q.quorum = 2;
  CHECK(sel::predicted_latency(q, r) == Approx(exp_quantile(order_level(2, 6, 0.99))).epsilon(1e-9));
  r.stragglers = 10;
  CHECK(sel::predicted_latency(config(nercc::SchemeKind::spline, 2, 6), r) == Approx(exp_quantile(order_level(2, 6, 0.99))).epsilon(1e-9));
  // The deadline rule decides at the deadline when that comes before all N.
  sel::Configuration d = config(nercc::SchemeKind::spline, 2, 6);
  d.deadline_level = 0.5;
  CHECK(sel::predicted_latency(d, r) == Approx(exp_quantile(0.5)).epsilon(1e-12));
}

TEST_CASE("select: the learner's best within the worker budget and the SLO", "[select][online]") {
  const select_synthetic::Clusters fresh(2, 99);
  // Configuration c is berrut K = 1, N = c + 1; in cluster c configuration 2c is best, 5 second.
  const sel::Selector argo = clusters_selector(std::make_unique<sel::ArgoSmart>());
  sel::SelectionRequest loose;
  loose.worker_time = plan::ShiftedExponentialModel(law_params);
  loose.slo_seconds = 1.0;
  sel::SelectionBudget budget;
  budget.k = 2;
  for (Index i = 0; i < fresh.features.rows(); ++i) {
    const int cluster = int(i % 3);
    const sel::ShortList all = argo.select(fresh.features.row(i).transpose(), Eigen::VectorXd(), loose, budget);
    REQUIRE(all.entries.size() == 2);
    CHECK(all.entries[0].column == 2 * cluster);
    CHECK(all.entries[1].column == 5);
    CHECK(all.feasible == 6);
    for (const auto& e : all.entries) {
      CHECK(e.id == e.config.id());
      CHECK(e.predicted_latency == sel::predicted_latency(e.config, loose));
    }
    // Five workers at most: configuration 5 (N = 6) is out, the cluster's best stays first.
    sel::SelectionBudget five = budget;
    five.max_workers = 5;
    const sel::ShortList cheap = argo.select(fresh.features.row(i).transpose(), Eigen::VectorXd(), loose, five);
    CHECK(cheap.within_budget == 5);
    CHECK(cheap.entries[0].column == 2 * cluster);
    for (const auto& e : cheap.entries) CHECK(e.column != 5);
  }
  // An SLO below the single worker's p99 (N = 1 decodes at its only answer) but above the
  // others' (quorum N - 1 of N): cluster 0's best, configuration 0, is out, 5 comes first.
  sel::SelectionRequest tight = loose;
  tight.slo_seconds = 0.9 * exp_quantile(0.99);
  REQUIRE(sel::predicted_latency(config(nercc::SchemeKind::berrut, 1, 2), tight) < tight.slo_seconds);
  const sel::ShortList s = argo.select(fresh.features.row(0).transpose(), Eigen::VectorXd(), tight, budget);
  REQUIRE(!s.entries.empty());
  CHECK(s.entries[0].column == 5);
  for (const auto& e : s.entries) CHECK(e.predicted_latency <= tight.slo_seconds);
  // Nothing meets an SLO below every latency: an empty list that says why.
  tight.slo_seconds = 1e-3;
  const sel::ShortList none = argo.select(fresh.features.row(0).transpose(), Eigen::VectorXd(), tight, budget);
  CHECK(none.entries.empty());
  CHECK(none.feasible == 0);
  CHECK_THAT(none.message, Catch::Contains("meets p99"));
}

TEST_CASE("select: GlobalBest's short list is its ranking, whatever the task", "[select][online]") {
  const select_synthetic::Clusters train(10);
  const sel::Selector global = clusters_selector(std::make_unique<sel::GlobalBest>());
  const std::vector<Index> ranking = sel::ranking_of(sel::measured_column_means(train.utility));
  sel::SelectionRequest r;
  r.slo_seconds = 1.0;
  sel::SelectionBudget b;
  b.k = 4;
  const sel::ShortList s = global.select(Eigen::Vector2d(3.0, 3.0), Eigen::VectorXd(), r, b);
  REQUIRE(s.entries.size() == 4);
  CHECK(s.entries[0].column == 5);
  for (std::size_t i = 0; i < 4; ++i) CHECK(s.entries[i].column == ranking[i]);
}

TEST_CASE("select: one entry per code, at its best-predicted lambdas", "[select][online]") {
  // Configurations 0 and 1: spline (2, 4) at two lambda_dec; 2: berrut (2, 4). Utilities 1.0,
  // 0.9, 0.5 on every task: GlobalBest lists 0 then 2, never 1.
  sel::PerformanceMatrix m = select_synthetic::matrix(Eigen::MatrixXd::Random(4, 1), (Eigen::MatrixXd(4, 3) << 1.0, 0.9, 0.5,
                                                       1.0, 0.9, 0.5, 1.0, 0.9, 0.5, 1.0, 0.9, 0.5).finished());
  m.configs[0] = config(nercc::SchemeKind::spline, 2, 4);
  m.configs[1] = m.configs[0];
  m.configs[1].lambda_dec = 1e-3;
  m.configs[2] = config(nercc::SchemeKind::berrut, 2, 4);
  for (std::size_t c = 0; c < 3; ++c) m.config_ids[c] = m.configs[c].id();
  const sel::Selector global(m, std::make_unique<sel::GlobalBest>());
  sel::SelectionRequest r;
  r.slo_seconds = 1.0;
  sel::SelectionBudget b;
  b.k = 3;
  const sel::ShortList s = global.select(Eigen::VectorXd::Zero(1), Eigen::VectorXd(), r, b);
  REQUIRE(s.entries.size() == 2);
  CHECK(s.entries[0].column == 0);
  CHECK(s.entries[1].column == 2);
  CHECK(s.feasible == 3);
}

TEST_CASE("select: errors name the argument", "[select][online][errors]") {
  const sel::Selector argo = clusters_selector(std::make_unique<sel::ArgoSmart>());
  const Eigen::VectorXd f = Eigen::Vector2d(0.0, 0.0), none;
  sel::SelectionRequest r;
  sel::SelectionBudget b;
  b.k = 0;
  CHECK_THROWS_WITH(argo.select(f, none, r, b), Catch::Contains("budget.k (0)"));
  b.k = 1;
  b.max_workers = 0;
  CHECK_THROWS_AS(argo.select(f, none, r, b), nercc::invalid_argument);
  CHECK_THROWS_WITH(argo.select(f, none, r, b), Catch::Contains("budget.max_workers (0) is too small"));
  b.max_workers = 6;
  CHECK_THROWS_AS(argo.select(Eigen::Vector3d(0, 0, 0), none, r, b), nercc::shape_mismatch);
  CHECK_THROWS_WITH(argo.select(Eigen::Vector3d(0, 0, 0), none, r, b), Catch::Contains("task_features"));
  CHECK_THROWS_AS(argo.select(f, Eigen::VectorXd::Zero(1), r, b), nercc::shape_mismatch);
  const Eigen::VectorXd bad = Eigen::Vector2d(0.0, std::numeric_limits<double>::quiet_NaN());
  CHECK_THROWS_AS(argo.select(bad, none, r, b), nercc::non_finite_input);
  CHECK_THROWS_WITH(argo.select(bad, none, r, b), Catch::Contains("task_features"));
  r.slo_quantile = 1.0;
  CHECK_THROWS_WITH(argo.select(f, none, r, b), Catch::Contains("request.slo_quantile"));
  r.slo_quantile = 0.99;
  // Unknown configuration.
  const std::string known = argo.corpus().config_ids[0];
  CHECK_THROWS_WITH(argo.short_list({known, "spline:K9:N9:as_given"}, f, none, r), Catch::Contains("ids[1]"));
  CHECK(argo.short_list({known}, f, none, r).entries.at(0).column == 0);
  // Empty corpus, no learner.
  CHECK_THROWS_WITH(sel::Selector(sel::PerformanceMatrix{}, std::make_unique<sel::GlobalBest>()), Catch::Contains("empty"));
  const select_synthetic::Clusters train(2);
  CHECK_THROWS_WITH(sel::Selector(select_synthetic::matrix(train.features, train.utility), nullptr),
                    Catch::Contains("learner is null"));
}

TEST_CASE("verify: measures each code once and returns the measured best", "[select][online][verify]") {
  double rows = 0.0;
  XSinX model{&rows};
  const RowMatrix<double> calibration = uniform_rows(200, 3, 4);
  // Four times the redundancy wins at one straggler: spline (2, 8) over spline (8, 9).
  sel::Configuration wide = config(nercc::SchemeKind::spline, 2, 8), narrow = config(nercc::SchemeKind::spline, 8, 9);
  wide.lambda_dec = 1e-4;
  sel::Configuration wide_again = wide;
  wide_again.lambda_dec = 1e-2;  // the same code: measured once
  const sel::VerifyParams params = small_verify();
  const sel::Verification v = sel::verify(list_of({narrow, wide, wide_again}), calibration, model, params);
  REQUIRE(v.measured.size() == 2);
  CHECK(v.measured[0].entry == 0);
  CHECK(v.measured[1].entry == 1);
  CHECK(v.best == 1);
  CHECK(v.best_entry().config.num_queries == 2);
  CHECK(v.measured[1].mse.mean < v.measured[0].mse.mean);
  CHECK(v.model_evaluations == rows);
  CHECK(v.model_evaluations == v.measured[0].model_evaluations + v.measured[1].model_evaluations);
  // Each measurement is the tuner's, warm-started at the entry's lambdas.
  nercc::TuneParams tp = params.tune;
  tp.scheme = nercc::SchemeKind::spline;
  tp.code.num_queries = 2, tp.code.num_workers = 8;
  tp.warm_start = true, tp.warm_lambda_enc = 0.0, tp.warm_lambda_dec = 1e-4;
  double direct_rows = 0.0;
  const nercc::TuneResult direct = nercc::tune_lambdas(tp, calibration, XSinX{&direct_rows});
  CHECK(v.measured[1].mse.mean == direct.mse.mean);
  CHECK(v.measured[1].config.lambda_dec == direct.lambda_dec);
  CHECK(v.measured[1].model_evaluations == direct_rows);
  // Without the warm start the same codes cost more model evaluations.
  sel::VerifyParams cold = params;
  cold.warm_start = false;
  double cold_rows = 0.0;
  const sel::Verification c = sel::verify(list_of({narrow, wide}), calibration, XSinX{&cold_rows}, cold);
  CHECK(c.model_evaluations > v.model_evaluations);
  CHECK(c.model_evaluations == cold_rows);
}

TEST_CASE("verify: exact schemes cost nothing; stragglers beyond N - K are dropped", "[select][online][verify]") {
  double rows = 0.0;
  XSinX model{&rows};
  const RowMatrix<double> calibration = uniform_rows(64, 2, 5);
  sel::VerifyParams params = small_verify();
  params.tune.stragglers = {0, 1};
  // Berrut K = N = 4 tolerates no straggler: measured at S = 0 only (the tuner would refuse
  // S = 1 for it).
  const sel::Verification v =
      sel::verify(list_of({config(nercc::SchemeKind::berrut, 4, 4), config(nercc::SchemeKind::replication, 2, 4)}),
                  calibration, model, params);
  REQUIRE(v.measured.size() == 2);
  CHECK(v.measured[1].model_evaluations == 0.0);
  CHECK(v.measured[1].mse.mean == 0.0);
  CHECK(v.measured[1].rel_acc.mean == 1.0);
  CHECK(v.measured[0].model_evaluations > 0.0);
  CHECK(v.measured[0].mse.trials == params.tune.batches * params.tune.answered_sets);
  CHECK(v.model_evaluations == rows);
}

TEST_CASE("verify: errors", "[select][online][verify][errors]") {
  double rows = 0.0;
  XSinX model{&rows};
  const RowMatrix<double> calibration = uniform_rows(32, 2, 6);
  CHECK_THROWS_WITH(sel::verify(sel::ShortList{}, calibration, model), Catch::Contains("list.entries is empty"));
  sel::Configuration bad = config(nercc::SchemeKind::spline, 4, 2);
  CHECK_THROWS_WITH(sel::verify(list_of({config(nercc::SchemeKind::spline, 2, 4), bad}), calibration, model),
                    Catch::Contains("list.entries[1].config: num_workers"));
  CHECK(rows == 0.0);
}

TEST_CASE("calibrate_params: one CalibrateParams per scheme, ordering and spread, with its pairs", "[select][online][calibrate]") {
  sel::Configuration greedy = config(nercc::SchemeKind::spline, 4, 8);
  greedy.ordering = nercc::OrderingMethod::greedy_chain;
  sel::Configuration spread = config(nercc::SchemeKind::berrut, 4, 8);
  spread.worker_spread = 0.2;
  sel::Configuration duplicate = config(nercc::SchemeKind::spline, 4, 8);
  duplicate.lambda_dec = 1e-3;
  const sel::ShortList list = list_of({config(nercc::SchemeKind::spline, 4, 8), config(nercc::SchemeKind::berrut, 4, 8),
                                       config(nercc::SchemeKind::spline, 6, 9), greedy,
                                       config(nercc::SchemeKind::replication, 2, 4), spread, duplicate});
  plan::CalibrateParams base;
  base.answers = {7, 8};
  base.tune.batches = 2;
  const auto params = sel::calibrate_params(list, base);
  REQUIRE(params.size() == 4);
  using Pairs = std::vector<std::pair<Index, Index>>;
  CHECK(params[0].schemes == std::vector<nercc::SchemeKind>{nercc::SchemeKind::spline});
  CHECK(params[0].configs == Pairs{{4, 8}, {6, 9}});
  CHECK(params[0].tune.code.ordering == nercc::OrderingMethod::as_given);
  CHECK(params[1].schemes == std::vector<nercc::SchemeKind>{nercc::SchemeKind::berrut});
  CHECK(params[1].configs == Pairs{{4, 8}});
  CHECK(params[1].tune.worker_spreads.empty());
  CHECK(params[2].tune.code.ordering == nercc::OrderingMethod::greedy_chain);
  CHECK(params[2].configs == Pairs{{4, 8}});
  CHECK(params[3].tune.worker_spreads == std::vector<double>{0.2});
  for (const auto& p : params) {
    CHECK(p.answers == base.answers);
    CHECK(p.tune.batches == 2);
  }
  sel::ShortList invalid = list;
  invalid.entries[2].config.num_workers = 3;
  CHECK_THROWS_WITH(sel::calibrate_params(invalid, base), Catch::Contains("list.entries[2].config"));
}

TEST_CASE("calibrate_short_list: the planner's table for the short list's codes only", "[select][online][calibrate]") {
  double rows = 0.0;
  XSinX model{&rows};
  const RowMatrix<double> calibration = uniform_rows(64, 2, 7);
  plan::CalibrateParams base;
  base.tune.batches = 2;
  base.tune.answered_sets = 2;
  base.tune.grid_points = 2;
  base.tune.refine_rounds = 0;
  const sel::ShortList list = list_of({config(nercc::SchemeKind::spline, 2, 4), config(nercc::SchemeKind::berrut, 3, 4),
                                       config(nercc::SchemeKind::uncoded, 2, 2)});
  const plan::AccuracyTable table = sel::calibrate_short_list(list, base, calibration, model);
  std::set<std::tuple<int, Index, Index, Index>> keys;
  for (const auto& [key, entry] : table.entries()) keys.insert(key);
  const std::set<std::tuple<int, Index, Index, Index>> expected{
      {int(nercc::SchemeKind::spline), 2, 4, 2}, {int(nercc::SchemeKind::spline), 2, 4, 3}, {int(nercc::SchemeKind::spline), 2, 4, 4},
      {int(nercc::SchemeKind::berrut), 3, 4, 3}, {int(nercc::SchemeKind::berrut), 3, 4, 4}};
  CHECK(keys == expected);
  // Each entry is what plan::calibrate measures for that code alone.
  plan::CalibrateParams alone = base;
  alone.schemes = {nercc::SchemeKind::berrut};
  alone.configs = {{3, 4}};
  double alone_rows = 0.0;
  const plan::AccuracyTable direct = plan::calibrate(alone, calibration, XSinX{&alone_rows});
  CHECK(table.lookup(nercc::SchemeKind::berrut, 3, 4, 3)->mse == direct.lookup(nercc::SchemeKind::berrut, 3, 4, 3)->mse);
}

TEST_CASE("spearman: reference values, ties, and errors", "[select][metrics]") {
  CHECK(sel::spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
  CHECK(sel::spearman({1, 2, 3, 4}, {1, 0.5, 0.2, 0.1}) == Approx(-1.0));
  // scipy.stats.spearmanr on the same data.
  CHECK(sel::spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}) == Approx(0.8207826816681233).epsilon(1e-12));
  CHECK(sel::spearman({0.3, 0.1, 0.2, 0.9, 0.5, 0.5}, {10, 30, 20, 40, 1, 2}) == Approx(-0.11595420713048968).epsilon(1e-12));
  CHECK(std::isnan(sel::spearman({1, 1, 1}, {1, 2, 3})));
  CHECK_THROWS_WITH(sel::spearman({1, 2}, {1, 2, 3}), Catch::Contains("x has 2 values, y has 3"));
  CHECK_THROWS_WITH(sel::spearman({1}, {1}), Catch::Contains(">= 2 pairs"));
  CHECK_THROWS_AS(sel::spearman({1, std::nan("")}, {1, 2}), nercc::non_finite_input);
}
