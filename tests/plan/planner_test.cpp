// plan(): its latency model against Monte Carlo and simulate(), its search against a brute
// force, infeasibility reports, monotonicity, and the conversion to RuntimeParams.
#include <nercc/plan.hpp>
#include <nercc/runtime/from_plan.hpp>

#include <catch2/catch.hpp>
#include <brute_force.hpp>
#include <plan_checks.hpp>
#include <plan_instances.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace nercc::plan;
using nercc::Index;
using nercc::SchemeKind;

TEST_CASE("plan: the collection wait matches Monte Carlo", "[plan][planner]") {
  const Index n = 12;
  const double rate = 50.0;
  constexpr int m = 100000;
  std::mt19937_64 g(21);
  std::vector<double> w(m);
  for (double& v : w) {  // a query at a uniform position waits for the remaining arrivals
    const auto remaining = std::uniform_int_distribution<Index>(0, n - 1)(g);
    v = remaining ? std::gamma_distribution<double>(double(remaining), 1.0 / rate)(g) : 0.0;
  }
  plan_checks::BinomialFamily family;
  for (double t : {0.0, 0.01, 0.05, 0.1, 0.2, 0.3}) {
    const double frac = double(std::count_if(w.begin(), w.end(), [t](double v) { return v <= t; })) / m;
    family.add(frac, detail::collection_cdf(t, n, rate), m, "P(W <= " + std::to_string(t) + ")");
  }
  family.check();
  CHECK(detail::collection_cdf(0.0, n, rate) == Approx(1.0 / double(n)));  // the last arrival waits 0
  CHECK(detail::collection_cdf(1e3, 2000, 10.0) == Approx(1.0));          // the log-space branch
}

TEST_CASE("plan: the worked example picks a coded plan; predictions match simulate() at light load",
          "[plan][planner][simulate]") {
  const PlanRequest r = plan_checks::example_request();
  const StragglerModel model = plan_checks::example_stragglers();
  const PlanResult res = plan(r, model, plan_checks::synthetic_accuracy(r.grid.num_queries));
  REQUIRE(!res.plans.empty());
  CHECK(res.binding == Binding::none);
  CHECK(res.plans.size() == std::size_t(r.runners_up) + 1);
  for (std::size_t i = 1; i < res.plans.size(); ++i) CHECK(res.plans[i - 1].cost <= res.plans[i].cost);
  const Plan& best = res.plans.front();
  INFO(best.explanation);
  CHECK(best.p_slo <= r.slo_seconds);
  CHECK(best.rel_acc >= r.accuracy_floor);
  CHECK(best.utilisation <= r.max_utilisation);
  CHECK(best.total_workers <= r.pool_size);
  CHECK(best.p50 < best.p99);
  CHECK(best.explanation.find(nercc::to_string(best.scheme)) == 0);

  // Four times the sets: queueing is negligible and the analytic quantiles must match.
  Plan light = best;
  light.worker_sets *= 4;
  const SimulationResult sim = simulate(light, r, model, {20000, 200, 5});
  CAPTURE(best.p50, sim.p50, best.p99, sim.p99, sim.mean_queue_wait);
  CHECK(sim.p99 == Approx(best.p99).epsilon(0.05));
  CHECK(sim.p50 == Approx(best.p50).epsilon(0.05));
  CHECK(sim.utilisation == Approx(best.utilisation / 4).epsilon(0.05));

  // At utilisation ~0.9 queueing for a set adds latency the analytic model leaves out.
  Plan busy = best;
  busy.worker_sets = std::max<Index>(1, Index(std::ceil(best.utilisation * double(best.worker_sets) / 0.9)));
  const SimulationResult crowded = simulate(busy, r, model, {20000, 200, 5});
  CAPTURE(crowded.utilisation, crowded.p99);
  CHECK(crowded.mean_queue_wait > 0.0);
  CHECK(crowded.p99 > sim.p99);
}

namespace {
// Whether plan() returns the brute force's plans (configuration and cost, in order) on one
// instance; `feasible` counts the instances with a feasible plan.
bool equals_brute_force(const PlanRequest& r, const StragglerModel& model, const AccuracyTable& table, int& feasible) {
  const PlanResult fast = plan(r, model, table);
  const std::vector<Plan> slow = plan_checks::brute_force(r, model, table);
  CAPTURE(fast.message);
  REQUIRE(fast.plans.size() == slow.size());
  bool all = true;
  for (std::size_t j = 0; j < slow.size(); ++j)
    all = all && plan_checks::same_config(fast.plans[j], slow[j]) && fast.plans[j].cost == slow[j].cost;
  feasible += slow.empty() ? 0 : 1;
  if (!slow.empty()) CHECK(fast.latency_evaluations <= fast.candidates);
  return all;
}
}  // namespace

TEST_CASE("plan: equals the brute force over the same grid on random instances", "[plan][planner]") {
  std::mt19937_64 g(31);
  int same = 0, feasible = 0;
  const int instances = 40;
  for (int i = 0; i < instances; ++i) {
    auto inst = plan_checks::random_instance(g);
    inst.request.grid.num_queries = {1, 2, 4, 6};  // a smaller grid keeps the test fast
    inst.request.grid.max_workers_per_set = 12;
    const auto table = plan_checks::synthetic_accuracy(inst.request.grid.num_queries);
    CAPTURE(i);
    same += equals_brute_force(inst.request, inst.model, table, feasible) ? 1 : 0;
  }
  CHECK(same == instances);
  CHECK(feasible > instances / 4);  // the comparison covers feasible instances, not only empty ones
  CHECK(feasible < instances);      // and infeasible ones
}

TEST_CASE("plan: reports the constraint that binds", "[plan][planner]") {
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy({1, 2, 4, 8, 12});
  PlanRequest r = plan_checks::example_request();

  PlanRequest acc = r;
  acc.accuracy_floor = 1.5;
  const PlanResult a = plan(acc, model, table);
  CHECK(a.plans.empty());
  CHECK(a.binding == Binding::accuracy);
  CHECK(a.message.find("accuracy floor") != std::string::npos);

  PlanRequest pool = r;
  pool.pool_size = 1;
  pool.grid.schemes = {SchemeKind::spline};
  const PlanResult p = plan(pool, model, table);
  CHECK(p.binding == Binding::pool_size);

  PlanRequest lat = r;
  lat.slo_seconds = 0.001;  // below any worker's latency
  const PlanResult l = plan(lat, model, table);
  CHECK(l.binding == Binding::latency);
  CHECK(l.message.find("best") != std::string::npos);
}

TEST_CASE("plan: a looser SLO or a larger pool never costs more; replication and uncoded are exact",
          "[plan][planner]") {
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy({1, 2, 4, 8, 12});
  PlanRequest r = plan_checks::example_request();
  double previous = HUGE_VAL;
  for (double slo : {0.012, 0.02, 0.03, 0.05, 0.1}) {
    r.slo_seconds = slo;
    const PlanResult res = plan(r, model, table);
    const double cost = res.plans.empty() ? HUGE_VAL : res.plans.front().cost;
    CAPTURE(slo, cost);
    CHECK(cost <= previous);
    previous = cost;
  }
  previous = HUGE_VAL;
  r = plan_checks::example_request();
  for (Index pool : {2, 4, 5, 400}) {
    r.pool_size = pool;
    const PlanResult res = plan(r, model, table);
    const double cost = res.plans.empty() ? HUGE_VAL : res.plans.front().cost;
    CAPTURE(pool, cost);
    CHECK(cost <= previous);
    if (!res.plans.empty()) CHECK(res.plans.front().total_workers <= pool);
    previous = cost;
  }
  CHECK(previous < HUGE_VAL);
  r = plan_checks::example_request();
  r.grid.schemes = {SchemeKind::replication, SchemeKind::uncoded};
  const PlanResult exact = plan(r, model, table);
  REQUIRE(!exact.plans.empty());
  for (const Plan& p : exact.plans) {
    INFO(p.explanation);
    // Exact whenever a query has an answer: a deadline loses only the queries it leaves unanswered.
    CHECK(p.rel_acc == Approx(1.0 - p.failure).margin(1e-12));
    CHECK((p.deadline > 0.0 || p.failure == 0.0));
    CHECK(p.quorum == p.num_workers);
  }
}

TEST_CASE("plan: concurrent workers need one set at any rate; the latency prediction is unchanged",
          "[plan][planner]") {
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy({1, 2, 4, 8, 12});
  PlanRequest serial = plan_checks::example_request();
  serial.arrival_rate *= 20.0;  // several sets per configuration when calls are serial
  serial.pool_size = 100000;
  // A small grid, every feasible plan returned: both lists hold the same configurations.
  serial.grid.schemes = {SchemeKind::spline, SchemeKind::replication};
  serial.grid.num_queries = {4};
  serial.grid.deadline_levels.clear();
  serial.grid.hedge_levels.clear();
  serial.runners_up = 100000;
  PlanRequest concurrent = serial;
  concurrent.concurrent_workers = true;
  const PlanResult a = plan(serial, model, table), b = plan(concurrent, model, table);
  REQUIRE(!a.plans.empty());
  REQUIRE(!b.plans.empty());
  CHECK(a.plans.front().worker_sets > 1);
  CHECK(a.plans.size() == b.plans.size());
  for (const Plan& p : b.plans) {
    bool matched = false;
    INFO(p.explanation);
    CHECK(p.worker_sets == 1);
    CHECK(p.total_workers == p.num_workers);
    CHECK(p.cost == Approx(double(p.num_workers) * concurrent.worker_price));
    // The same configuration planned for serial workers: the same latency, more workers.
    for (const Plan& q : a.plans)
      if (q.scheme == p.scheme && q.num_queries == p.num_queries && q.num_workers == p.num_workers &&
          q.batch_size == p.batch_size && q.quorum == p.quorum && q.deadline == p.deadline &&
          q.early_release == p.early_release && q.hedge_delay == p.hedge_delay) {
        matched = true;
        CHECK(q.p_slo == Approx(p.p_slo).epsilon(1e-9));
        CHECK(q.utilisation * double(q.worker_sets) == Approx(p.utilisation).epsilon(1e-9));
        CHECK(q.cost >= p.cost);
      }
    CHECK(matched);
  }
  CHECK(b.plans.front().cost <= a.plans.front().cost);
}

TEST_CASE("plan: the predicted coded completion time is the order statistic quantile", "[plan][planner]") {
  // One group (K = 1 query, so no collection wait), no codec cost: p_slo is the quantile of
  // latency(1) * X_(quorum:N).
  PlanRequest r = plan_checks::example_request();
  r.arrival_rate = 1.0;
  r.accuracy_floor = 0.0;
  r.slo_seconds = 10.0;
  r.runners_up = 1000;
  r.grid.schemes = {SchemeKind::spline};
  r.grid.num_queries = {1};
  r.profile = plan_checks::linear_profile(0.01, 0.0, {1});
  r.grid.deadline_levels.clear();
  const StragglerModel model = plan_checks::example_stragglers();
  const PlanResult res = plan(r, model, AccuracyTable{});
  REQUIRE(res.plans.size() == 6);  // N = 1..3, quorum 1..N
  for (const Plan& p : res.plans) {
    CAPTURE(p.num_workers, p.quorum);
    CHECK(p.p99 == Approx(0.01 * order_statistic_quantile(model, p.quorum, p.num_workers, 0.99)).epsilon(0.01));
  }
}

TEST_CASE("plan: deadline plans: accuracy is the binomial mixture of the table; latency and failures match simulate()",
          "[plan][planner][simulate]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.quorums = false;  // the coded schemes decide at a deadline only
  r.grid.schemes = {SchemeKind::spline};
  r.accuracy_floor = 0.9;
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy(r.grid.num_queries);
  const PlanResult res = plan(r, model, table);
  REQUIRE(res.plans.size() == std::size_t(r.runners_up) + 1);
  for (const Plan& p : res.plans) {
    CHECK(p.deadline > 0.0);
    CHECK(p.quorum == p.num_workers);
  }
  const Plan& best = res.plans.front();
  INFO(best.explanation);
  // Answers by the deadline ~ Bin(N, F(deadline / latency(b))).
  const double v = model.cdf(best.deadline / detail::batch_latency(r, best.batch_size));
  double rel_acc = 0.0;
  for (Index a = best.num_queries; a <= best.num_workers; ++a) {
    const double pmf = detail::binomial_upper_tail(best.num_workers, a, v) - detail::binomial_upper_tail(best.num_workers, a + 1, v);
    rel_acc += pmf * table.lookup(SchemeKind::spline, best.num_queries, best.num_workers, a)->rel_acc;
  }
  CHECK(best.rel_acc == Approx(rel_acc).epsilon(1e-6));
  CHECK(best.failure == Approx(1.0 - detail::binomial_upper_tail(best.num_workers, best.num_queries, v)).margin(1e-9));
  CHECK(best.p_slo <= r.slo_seconds);

  Plan light = best;
  light.worker_sets *= 4;
  const SimulationResult sim = simulate(light, r, model, {40000, 200, 9});
  CAPTURE(best.p50, sim.p50, best.p99, sim.p99, best.failure, sim.failed);
  CHECK(sim.p99 == Approx(best.p99).epsilon(0.05));
  CHECK(sim.p50 == Approx(best.p50).epsilon(0.05));
  plan_checks::BinomialFamily family;  // failures are per batch
  family.add(sim.failed, best.failure, int(sim.queries / (best.batch_size * best.num_queries)), "P(batch fails)");
  family.check();

  // A deadline plan runs on the runtime with S = 0 and its deadline.
  const auto rp = to_runtime_params(best, r, 3, 10);
  CHECK(rp.stragglers == 0);
  CHECK(nercc::runtime::seconds(rp.deadline) == Approx(best.deadline));

  // With the quorum rules back, the cheapest plan costs no more.
  r.grid.quorums = true;
  const PlanResult both = plan(r, model, table);
  REQUIRE(!both.plans.empty());
  CHECK(both.plans.front().cost <= best.cost);
}

TEST_CASE("plan: request validation names the field", "[plan][planner][errors]") {
  const StragglerModel model = plan_checks::example_stragglers();
  auto with = [&](auto change) {
    PlanRequest r = plan_checks::example_request();
    change(r);
    return [r, &model] { plan(r, model, AccuracyTable{}); };
  };
  plan_checks::throws_naming(with([](PlanRequest& r) { r.arrival_rate = 0.0; }), "arrival_rate (0)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.slo_quantile = 1.0; }), "slo_quantile (1)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.pool_size = 0; }), "pool_size (0)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.profile.clear(); }), "profile is empty");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.max_utilisation = 1.0; }), "max_utilisation (1)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.grid.max_redundancy = 0.5; }), "grid.max_redundancy (0.5)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.grid.deadline_levels = {0.5, 1.0}; }),
                             "grid.deadline_levels[1] (1)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.fallback.rel_acc = 1.5; }), "fallback.rel_acc (1.5)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.grid.hedge_levels = {0.9, 0.0}; }), "grid.hedge_levels[1] (0)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.fallback = {0.8, -0.001}; }), "fallback.seconds (-0.001)");
}

TEST_CASE("plan: converts into RuntimeParams", "[plan][planner][runtime]") {
  const PlanRequest r = plan_checks::example_request();
  Plan p;
  p.scheme = SchemeKind::spline, p.num_queries = 4, p.num_workers = 9, p.quorum = 6, p.lambda_enc = 1e-6;
  const auto rp = to_runtime_params(p, r, 3, 10);
  CHECK(rp.scheme == SchemeKind::spline);
  CHECK(rp.code.num_queries == 4);
  CHECK(rp.code.num_workers == 9);
  CHECK(rp.code.lambda_enc == 1e-6);
  CHECK(rp.stragglers == 3);
  CHECK(rp.input_dim == 3);
  CHECK(rp.output_dim == 10);
  CHECK(nercc::runtime::seconds(rp.deadline) == Approx(r.slo_seconds));
  CHECK_FALSE(rp.overload.enabled);
  CHECK(rp.code.ordering == nercc::OrderingMethod::as_given);
  CHECK(rp.code.worker_points.empty());
  p.ordering = nercc::OrderingMethod::greedy_two_opt, p.worker_spread = 0.05;
  const auto clustered = to_runtime_params(p, r, 3, 10);
  CHECK(clustered.code.ordering == nercc::OrderingMethod::greedy_two_opt);
  CHECK(clustered.code.worker_points == nercc::clustered_worker_points(nercc::chebyshev_first_kind(4), 9, 0.05));
  p.scheme = SchemeKind::replication, p.quorum = 9;
  CHECK(to_runtime_params(p, r, 3, 10).stragglers == 0);
  CHECK(to_runtime_params(p, r, 3, 10).code.worker_points.empty());
  CHECK(to_runtime_params(p, r, 3, 10).code.num_adversaries == 0);
  p.num_workers = 12, p.quorum = 12, p.num_adversaries = 1;  // 2E + 1 copies of 4 queries
  CHECK(to_runtime_params(p, r, 3, 10).code.num_adversaries == 1);
  plan_checks::throws_naming([&] { to_runtime_params(p, r, 0, 10); }, "input_dim (0)");
}

namespace {

// The synthetic table, measured in a systematic layout (clustered points, lambda_enc = 0).
AccuracyTable systematic(const AccuracyTable& t) {
  AccuracyTable out;
  for (const auto& [key, e] : t.entries()) {
    AccuracyEntry s = e;
    s.worker_spread = 0.5;
    s.lambda_enc = 0.0;
    out.add(s);
  }
  return out;
}

// The enumerated candidate of a configuration; fails the test if it is not enumerated.
detail::Candidate candidate(const detail::Enumeration& e, SchemeKind scheme, Index k, Index n, Index quorum, bool deadline,
                            bool early, bool hedged = false) {
  for (const detail::Candidate& c : e.candidates)
    if (c.plan.scheme == scheme && c.plan.num_queries == k && c.plan.num_workers == n && c.plan.quorum == quorum &&
        (c.plan.deadline > 0.0) == deadline && c.plan.early_release == early && c.plan.batch_size == 1 &&
        (c.plan.hedge_delay > 0.0) == hedged)
      return c;
  FAIL("not enumerated: " << nercc::to_string(scheme) << " K=" << k << " N=" << n << " quorum " << quorum
                          << (deadline ? " deadline" : "") << (early ? " early" : ""));
  return {};
}

// Fills p50/p99 of a candidate's plan from its law.
Plan predicted(detail::Candidate c, const PlanRequest& r) {
  c.plan.p50 = c.quantile(0.5, r);
  c.plan.p99 = c.quantile(0.99, r);
  return c.plan;
}

}  // namespace

TEST_CASE("plan: early release: a query's latency is min(own answer, decision); simulate() agrees",
          "[plan][planner][simulate][early_release]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.num_queries = {4};
  r.grid.deadline_levels.clear();
  r.arrival_rate = 400.0;
  const StragglerModel model = plan_checks::example_stragglers();
  const AccuracyTable table = systematic(plan_checks::synthetic_accuracy({4}));
  const detail::Enumeration e = detail::enumerate(r, model, table);

  // A coded quorum: same answered set, so same accuracy and cost; never slower.
  const detail::Candidate group = candidate(e, SchemeKind::spline, 4, 6, 5, false, false);
  const detail::Candidate early = candidate(e, SchemeKind::spline, 4, 6, 5, false, true);
  CHECK(early.plan.rel_acc == group.plan.rel_acc);
  CHECK(early.plan.cost == group.plan.cost);
  for (double t : {0.003, 0.004, 0.006, 0.01, 0.02})
    CHECK(early.cdf(t, r) >= group.cdf(t, r) - 1e-12);
  // Without a systematic layout there is no exact worker, hence no early-release variant.
  const detail::Enumeration dense = detail::enumerate(r, model, plan_checks::synthetic_accuracy({4}));
  for (const detail::Candidate& c : dense.candidates)
    if (c.plan.scheme == SchemeKind::spline) CHECK_FALSE(c.plan.early_release);

  // Replication (N = 8: two replicas each) and uncoded: a query leaves at its first replica.
  const detail::Candidate replicas = candidate(e, SchemeKind::replication, 4, 8, 8, false, true);
  const detail::Candidate uncoded = candidate(e, SchemeKind::uncoded, 4, 4, 4, false, true);
  CHECK(replicas.plan.rel_acc == 1.0);
  // Uncoded, one query per batch: its latency is its own worker's, the model's quantile.
  PlanRequest one = r;
  one.grid.num_queries = {1};
  one.profile = plan_checks::linear_profile(0.002, 0.0005, {1});
  const detail::Enumeration single = detail::enumerate(one, model, table);
  const detail::Candidate alone = candidate(single, SchemeKind::uncoded, 1, 1, 1, false, true);
  CHECK(alone.quantile(0.99, one) == Approx(alone.codec + 0.0025 * model.quantile(0.99)).epsilon(1e-3));

  for (const detail::Candidate* c : {&early, &group, &replicas, &uncoded}) {
    Plan p = predicted(*c, r);
    INFO(detail::explain(p, r));
    p.worker_sets *= 4;  // light load: no queueing
    const SimulationResult sim = simulate(p, r, model, {20000, 200, 11});
    CAPTURE(p.p50, sim.p50, p.p99, sim.p99);
    CHECK(sim.p99 == Approx(p.p99).epsilon(0.05));
    CHECK(sim.p50 == Approx(p.p50).epsilon(0.05));
    CHECK(sim.failed == 0.0);
  }
}

TEST_CASE("plan: the grace rule with a fallback: accuracy is the mixture of exact, estimated and fallback answers",
          "[plan][planner][simulate][early_release]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.num_queries = {4};
  r.grid.quorums = false;
  r.grid.deadline_levels = {0.8};
  r.arrival_rate = 400.0;
  r.fallback = {0.8, 0.001};
  const StragglerModel model = plan_checks::example_stragglers();
  const AccuracyTable table = systematic(plan_checks::synthetic_accuracy({4}));
  const detail::Enumeration e = detail::enumerate(r, model, table);
  const Index k = 4, n = 5;
  const detail::Candidate grace = candidate(e, SchemeKind::spline, k, n, n, true, true);
  const detail::Candidate group = candidate(e, SchemeKind::spline, k, n, n, true, false);
  CHECK(grace.plan.fallback);
  const double v = model.cdf(grace.plan.deadline / detail::batch_latency(r, 1));
  // Independently: A ~ Bin(N, v) answers by the deadline; with fewer than K a query is exact
  // when its own worker answered (probability A / N), else the fallback answers it.
  double rel_grace = 0.0, rel_group = 0.0, fail_grace = 0.0, fail_group = 0.0;
  for (Index a = 0; a <= n; ++a) {
    const double pmf = detail::binomial_upper_tail(n, a, v) - detail::binomial_upper_tail(n, a + 1, v);
    if (a >= k) {
      const double acc = table.lookup(SchemeKind::spline, k, n, a)->rel_acc;
      rel_grace += pmf * acc, rel_group += pmf * acc;
    } else {
      const double own = double(a) / double(n);
      rel_grace += pmf * (own + (1.0 - own) * 0.8), fail_grace += pmf * (1.0 - own);
      rel_group += pmf * 0.8, fail_group += pmf;
    }
  }
  CHECK(grace.plan.rel_acc == Approx(rel_grace).epsilon(1e-9));
  CHECK(group.plan.rel_acc == Approx(rel_group).epsilon(1e-9));
  CHECK(grace.plan.failure == Approx(fail_grace).margin(1e-12));
  CHECK(grace.plan.failure == Approx((1.0 - v) * (1.0 - detail::binomial_upper_tail(n - 1, k, v))).margin(1e-12));
  CHECK(group.plan.failure == Approx(fail_group).margin(1e-12));
  CHECK(grace.plan.rel_acc > group.plan.rel_acc);
  CHECK(grace.plan.cost == group.plan.cost);
  // Every query is answered (by the fallback at worst): the laws are complete.
  CHECK(grace.law->total == Approx(1.0).margin(1e-9));

  // Uncoded with a deadline and the fallback: exact by the deadline, else the fallback.
  const detail::Candidate baseline = candidate(e, SchemeKind::uncoded, k, k, k, true, true);
  CHECK(baseline.plan.failure == Approx(1.0 - v).margin(1e-12));
  CHECK(baseline.plan.rel_acc == Approx(v + (1.0 - v) * 0.8).epsilon(1e-12));

  plan_checks::BinomialFamily family;
  for (const detail::Candidate* c : {&grace, &group, &baseline}) {
    Plan p = predicted(*c, r);
    INFO(detail::explain(p, r));
    p.worker_sets *= 4;
    const SimulationResult sim = simulate(p, r, model, {40000, 200, 13});
    CAPTURE(p.p50, sim.p50, p.p99, sim.p99, p.failure, sim.fallback);
    CHECK(sim.failed == 0.0);
    CHECK(sim.p99 == Approx(p.p99).epsilon(0.05));
    CHECK(sim.p50 == Approx(p.p50).epsilon(0.05));
    const int draws = int(sim.queries / k);  // batches: a batch's queries are not independent
    family.add(sim.fallback, p.failure, draws, detail::explain(p, r));
  }
  family.check();
}

TEST_CASE("plan: hedged requests: a query answers at min(its replicas, delay + a backup); simulate() agrees",
          "[plan][planner][simulate][hedge]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.num_queries = {4};
  r.grid.deadline_levels.clear();
  r.grid.hedge_levels = {0.9};
  r.arrival_rate = 400.0;
  const StragglerModel model = plan_checks::example_stragglers();
  const detail::Enumeration e = detail::enumerate(r, model, plan_checks::synthetic_accuracy({4}));
  for (const detail::Candidate& c : e.candidates)
    if (c.plan.hedge_delay > 0.0) CHECK_FALSE(nercc::scheme_facts(c.plan.scheme).is_regression);
  const detail::Candidate plain = candidate(e, SchemeKind::uncoded, 4, 4, 4, false, true);
  const detail::Candidate hedged = candidate(e, SchemeKind::uncoded, 4, 4, 4, false, true, true);
  const detail::Candidate hedged_group = candidate(e, SchemeKind::uncoded, 4, 4, 4, false, false, true);
  const detail::Candidate replicas = candidate(e, SchemeKind::replication, 4, 6, 6, false, true, true);
  CHECK(hedged.plan.hedge_delay == Approx(detail::batch_latency(r, 1) * model.quantile(0.9)));
  CHECK(hedged.plan.cost == plain.plan.cost);  // backups run on workers of the set
  CHECK(hedged.plan.rel_acc == 1.0);
  // One query alone: P(T <= t) = 1 - (1 - F(t))(1 - F(t - d)) past the delay, in slowdown
  // units; at the knots of its law (the cells' lower ends), where the law is exact.
  const double d = model.quantile(0.9);
  double below = 0.0;
  for (std::size_t i = 0; i < hedged.law->lo.size(); ++i) {
    const double x = hedged.law->lo[i];
    const double exact = 1.0 - (1.0 - model.cdf(x)) * (1.0 - (x > d ? model.cdf(x - d) : 0.0));
    CAPTURE(x, exact, below);
    CHECK(below == Approx(exact).margin(1e-9));
    CHECK(exact >= model.cdf(x) - 1e-12);
    below += hedged.law->mass[i];
  }
  CHECK(hedged.quantile(0.99, r) < plain.quantile(0.99, r));
  for (const detail::Candidate* c : {&hedged, &hedged_group, &replicas}) {
    Plan p = predicted(*c, r);
    INFO(detail::explain(p, r));
    CHECK(detail::explain(p, r).find("hedged at") != std::string::npos);
    p.worker_sets *= 4;
    const SimulationResult sim = simulate(p, r, model, {20000, 200, 17});
    CAPTURE(p.p50, sim.p50, p.p99, sim.p99);
    CHECK(sim.p99 == Approx(p.p99).epsilon(0.05));
    CHECK(sim.p50 == Approx(p.p50).epsilon(0.05));
  }
}

TEST_CASE("plan: E wrong answers: equals the brute force; every plan can outvote E", "[plan][planner][adversaries]") {
  std::mt19937_64 g(47);
  int same = 0, feasible = 0;
  const int instances = 30;
  for (int i = 0; i < instances; ++i) {
    auto inst = plan_checks::random_instance(g);
    inst.request.grid.num_queries = {1, 2, 4, 6};
    inst.request.grid.max_workers_per_set = 14;
    inst.request.num_adversaries = 1 + i % 2;
    inst.request.decode = {0.0002, 1e-6};
    const auto table = plan_checks::synthetic_accuracy(inst.request.grid.num_queries);
    CAPTURE(i);
    same += equals_brute_force(inst.request, inst.model, table, feasible) ? 1 : 0;
    // Every enumerated configuration, feasible or not, meets the budget as the decoder counts it.
    const Index e = inst.request.num_adversaries;
    const detail::Enumeration en = detail::enumerate(inst.request, inst.model, table);
    REQUIRE(!en.candidates.empty());
    for (const detail::Candidate& c : en.candidates) {
      const Plan& p = c.plan;
      INFO(nercc::to_string(p.scheme) << " K=" << p.num_queries << " N=" << p.num_workers << " quorum " << p.quorum);
      CHECK(p.num_adversaries == e);
      CHECK(p.scheme != SchemeKind::uncoded);
      CHECK(p.deadline == 0.0);
      CHECK_FALSE(p.early_release);
      CHECK(p.hedge_delay == 0.0);
      if (p.scheme == SchemeKind::replication) {
        CHECK(p.num_workers >= (2 * e + 1) * p.num_queries);
        CHECK(p.rel_acc == 1.0);
      } else {
        CHECK(p.quorum >= p.num_queries + 2 * e);  // S = N - quorum stragglers on top of the 2E
        CHECK(p.rel_acc == table.lookup(p.scheme, p.num_queries, p.num_workers, p.quorum - e)->rel_acc);
      }
    }
  }
  CHECK(same == instances);
  CHECK(feasible > instances / 4);
  CHECK(feasible < instances);
}

TEST_CASE("plan: E = 0 is today's planner; E > 0 costs more and never returns uncoded", "[plan][planner][adversaries]") {
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy({1, 2, 4, 8, 12});
  PlanRequest r = plan_checks::example_request();
  r.accuracy_floor = 0.9;
  const PlanResult base = plan(r, model, table);
  PlanRequest zero = r;
  zero.num_adversaries = 0;
  zero.robust_decode = {3.0, 2.0};  // unused at E = 0
  const PlanResult same = plan(zero, model, table);
  REQUIRE(!base.plans.empty());
  REQUIRE(same.plans.size() == base.plans.size());
  for (std::size_t j = 0; j < base.plans.size(); ++j) {
    CHECK(plan_checks::same_config(same.plans[j], base.plans[j]));
    CHECK(same.plans[j].p_slo == base.plans[j].p_slo);
    CHECK(same.plans[j].explanation == base.plans[j].explanation);
  }
  for (Index e : {1, 2}) {
    PlanRequest adv = r;
    adv.num_adversaries = e;
    adv.slo_seconds = 0.08;
    const PlanResult out = plan(adv, model, table);
    REQUIRE(!out.plans.empty());
    CHECK(out.plans.front().cost >= base.plans.front().cost);
    for (const Plan& p : out.plans) {
      CHECK(p.scheme != SchemeKind::uncoded);
      CHECK(p.explanation.find("outvotes " + std::to_string(e)) != std::string::npos);
    }
  }
}

TEST_CASE("plan: replication outvotes E with 2E + 1 copies: the law and simulate() agree",
          "[plan][planner][adversaries][simulate]") {
  // The vote law against its closed form: N = 3K, every query 3 copies: P = v^{3K}; one query
  // with a 4th copy: P(Bin(4, v) >= 3) = 4 v^3 (1 - v) + v^4 for it.
  const Index k = 3;
  for (double v : {0.1, 0.5, 0.93}) {
    CHECK(detail::all_voted(detail::replica_counts(detail::worker_queries(SchemeKind::replication, k, 3 * k), k), v, 3) ==
          Approx(std::pow(v, 3.0 * k)).epsilon(1e-12));
    CHECK(detail::all_voted(detail::replica_counts(detail::worker_queries(SchemeKind::replication, k, 3 * k + 1), k), v,
                            3) == Approx(std::pow(v, 3.0 * (k - 1)) * (4 * std::pow(v, 3) * (1 - v) + std::pow(v, 4)))
                                      .epsilon(1e-12));
    // E = 0 (one vote) is every query covered.
    const auto reps = detail::replica_counts(detail::worker_queries(SchemeKind::replication, k, 2 * k + 1), k);
    CHECK(detail::all_voted(reps, v, 1) == Approx(detail::all_covered(reps, v)).epsilon(1e-12));
  }
  PlanRequest r = plan_checks::example_request();
  r.grid.schemes = {SchemeKind::replication};
  r.grid.num_queries = {2};
  r.grid.max_redundancy = 4.0;
  r.arrival_rate = 400.0;
  r.accuracy_floor = 0.0;
  r.slo_seconds = 1.0;
  r.num_adversaries = 1;
  const StragglerModel model = plan_checks::example_stragglers();
  const detail::Enumeration e = detail::enumerate(r, model, AccuracyTable{});
  Index fewest = 100;
  for (const detail::Candidate& c : e.candidates) fewest = std::min(fewest, c.plan.num_workers);
  CHECK(fewest == 6);  // 2E + 1 = 3 copies of K = 2 queries
  const PlanResult out = plan(r, model, AccuracyTable{});
  REQUIRE(!out.plans.empty());
  CHECK(out.plans.front().num_workers == 6);
  for (Index n : {6, 7}) {
    Plan p = predicted(candidate(e, SchemeKind::replication, 2, n, n, false, false), r);
    INFO(detail::explain(p, r));
    p.worker_sets *= 4;
    const SimulationResult sim = simulate(p, r, model, {20000, 200, 19});
    CAPTURE(p.p50, sim.p50, p.p99, sim.p99);
    CHECK(sim.p99 == Approx(p.p99).epsilon(0.05));
    CHECK(sim.p50 == Approx(p.p50).epsilon(0.05));
  }
  // Waiting for 3 copies is slower than for the first.
  PlanRequest plain = r;
  plain.num_adversaries = 0;
  const detail::Enumeration e0 = detail::enumerate(plain, model, AccuracyTable{});
  CHECK(predicted(candidate(e0, SchemeKind::replication, 2, 6, 6, false, false), plain).p99 >
        1.2 * predicted(candidate(e0, SchemeKind::replication, 2, 6, 6, false, false), plain).p50);
  CHECK(predicted(candidate(e, SchemeKind::replication, 2, 6, 6, false, false), r).p50 >
        predicted(candidate(e0, SchemeKind::replication, 2, 6, 6, false, false), plain).p50);
}

TEST_CASE("plan: E > 0: the coded decode costs the robust decode's multiple", "[plan][planner][adversaries]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.schemes = {SchemeKind::spline, SchemeKind::berrut};
  r.grid.num_queries = {4};
  r.grid.batch_sizes = {1};
  r.grid.max_workers_per_set = 6;  // with E = 1: N = 6, quorum 6 only
  r.accuracy_floor = 0.0;
  r.slo_seconds = 1.0;
  r.num_adversaries = 1;
  const StragglerModel model = plan_checks::example_stragglers();
  const auto table = plan_checks::synthetic_accuracy({4});
  PlanRequest free_decode = r;
  free_decode.decode = {};
  r.decode = {0.001, 0.0};
  const detail::Enumeration with = detail::enumerate(r, model, table), without = detail::enumerate(free_decode, model, table);
  REQUIRE(with.candidates.size() == 2);
  for (SchemeKind s : {SchemeKind::spline, SchemeKind::berrut}) {
    const double factor = s == SchemeKind::spline ? 7.0 : 5.0;
    const detail::Candidate a = candidate(with, s, 4, 6, 6, false, false), b = candidate(without, s, 4, 6, 6, false, false);
    CHECK(a.codec == Approx(factor * 0.001).epsilon(1e-12));
    // The codec time shifts every quantile by itself.
    CHECK(predicted(a, r).p50 - predicted(b, free_decode).p50 == Approx(factor * 0.001).epsilon(1e-3));
    CHECK(r.decode_seconds(s, 4, 6, 1) == Approx(factor * 0.001).epsilon(1e-12));
  }
  CHECK(r.decode_seconds(SchemeKind::replication, 4, 12, 1) == 0.001);
}

TEST_CASE("plan: the MSE ceiling: a regression workload's quality constraint", "[plan][planner][mse]") {
  const StragglerModel model = plan_checks::example_stragglers();
  // synthetic_accuracy sets MSE = 1 - RelAcc: without deadlines (whose RelAcc counts failed
  // queries as wrong) max_mse = 1 - f picks what accuracy_floor = f picks.
  std::mt19937_64 g(53);
  int nonempty = 0;
  for (int i = 0; i < 20; ++i) {
    auto inst = plan_checks::random_instance(g);
    inst.request.grid.num_queries = {1, 2, 4, 6};
    inst.request.grid.max_workers_per_set = 12;
    inst.request.grid.deadline_levels.clear();
    const double floor = 0.9 + 0.01 * (i % 8);
    inst.request.accuracy_floor = floor;
    const auto table = plan_checks::synthetic_accuracy(inst.request.grid.num_queries);
    PlanRequest by_mse = inst.request;
    by_mse.accuracy_floor = 0.0;
    by_mse.max_mse = 1.0 - floor + 1e-12;
    const PlanResult a = plan(inst.request, inst.model, table), b = plan(by_mse, inst.model, table);
    CAPTURE(i, a.message, b.message);
    REQUIRE(a.plans.size() == b.plans.size());
    for (std::size_t j = 0; j < a.plans.size(); ++j) {
      CHECK(plan_checks::same_config(a.plans[j], b.plans[j]));
      CHECK(b.plans[j].mse <= by_mse.max_mse);
      CHECK(b.plans[j].explanation.find("MSE") != std::string::npos);
    }
    nonempty += a.plans.empty() ? 0 : 1;
  }
  CHECK(nonempty > 5);
  // Nothing reaches the ceiling: the binding constraint names it.
  PlanRequest tight = plan_checks::example_request();
  tight.accuracy_floor = 0.0;
  tight.max_mse = 1e-9;
  tight.grid.schemes = {SchemeKind::spline, SchemeKind::berrut};
  const PlanResult none = plan(tight, model, plan_checks::synthetic_accuracy({1, 2, 4, 8, 12}));
  CHECK(none.binding == Binding::accuracy);
  CHECK(none.message.find("max_mse") != std::string::npos);
}

TEST_CASE("plan: deadline plans' MSE is over the answered queries, the fallback's at its MSE",
          "[plan][planner][mse][early_release]") {
  PlanRequest r = plan_checks::example_request();
  r.grid.num_queries = {4};
  r.grid.quorums = false;
  r.grid.deadline_levels = {0.8};
  r.arrival_rate = 400.0;
  const StragglerModel model = plan_checks::example_stragglers();
  const AccuracyTable table = systematic(plan_checks::synthetic_accuracy({4}));
  const Index k = 4, n = 5;
  for (const bool with_fallback : {false, true}) {
    r.fallback = {};
    if (with_fallback) r.fallback.mse = 0.3, r.fallback.seconds = 0.001;  // RelAcc unknown: a regression fallback
    const detail::Enumeration e = detail::enumerate(r, model, table);
    const detail::Candidate grace = candidate(e, SchemeKind::spline, k, n, n, true, true);
    const detail::Candidate group = candidate(e, SchemeKind::spline, k, n, n, true, false);
    CHECK(grace.plan.fallback == with_fallback);
    const double v = model.cdf(grace.plan.deadline / detail::batch_latency(r, 1));
    double sum_grace = 0.0, sum_group = 0.0, answered_grace = 0.0, answered_group = 0.0;
    for (Index a = 0; a <= n; ++a) {
      const double pmf = detail::binomial_upper_tail(n, a, v) - detail::binomial_upper_tail(n, a + 1, v);
      if (a >= k) {
        const double mse = table.lookup(SchemeKind::spline, k, n, a)->mse;
        sum_grace += pmf * mse, sum_group += pmf * mse, answered_grace += pmf, answered_group += pmf;
        continue;
      }
      const double own = double(a) / double(n);  // exact, error 0
      answered_grace += pmf * own;
      if (with_fallback) {
        sum_grace += pmf * (1.0 - own) * 0.3, answered_grace += pmf * (1.0 - own);
        sum_group += pmf * 0.3, answered_group += pmf;
      }
    }
    CHECK(grace.plan.mse == Approx(sum_grace / answered_grace).epsilon(1e-9));
    CHECK(group.plan.mse == Approx(sum_group / answered_group).epsilon(1e-9));
    if (with_fallback) CHECK(std::isnan(grace.plan.rel_acc));
    const detail::Candidate baseline = candidate(e, SchemeKind::uncoded, k, k, k, true, true);
    CHECK(baseline.plan.mse == Approx(with_fallback ? (1.0 - v) * 0.3 : 0.0).margin(1e-12));
  }
}

TEST_CASE("plan: num_adversaries and max_mse validation names the fields", "[plan][planner][errors][adversaries]") {
  const StragglerModel model = plan_checks::example_stragglers();
  auto with = [&](auto change) {
    PlanRequest r = plan_checks::example_request();
    change(r);
    return [r, &model] { plan(r, model, AccuracyTable{}); };
  };
  plan_checks::throws_naming(with([](PlanRequest& r) { r.num_adversaries = -1; }), "num_adversaries (-1) must be >= 0");
  // Spline needs K + 2E <= min(3K, 36): E = 20 fits no K of {1, 2, 4, 8, 12}.
  plan_checks::throws_naming(with([](PlanRequest& r) { r.num_adversaries = 20; }),
                             "num_adversaries (20) is too large for the grid");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.num_adversaries = 20; }), "grid.max_workers_per_set (36)");
  // Uncoded alone cannot outvote anything.
  plan_checks::throws_naming(with([](PlanRequest& r) {
                               r.grid.schemes = {SchemeKind::uncoded};
                               r.num_adversaries = 1;
                             }),
                             "num_adversaries (1) is too large for the grid");
  // Replication alone within 2K workers: 3 copies do not fit.
  plan_checks::throws_naming(with([](PlanRequest& r) {
                               r.grid.schemes = {SchemeKind::replication};
                               r.grid.max_redundancy = 2.0;
                               r.num_adversaries = 1;
                             }),
                             "grid.max_redundancy (2)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.max_mse = 0.0; }), "max_mse (0)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.fallback.mse = -1.0; }), "fallback.mse (-1)");
  plan_checks::throws_naming(with([](PlanRequest& r) { r.robust_decode.spline_factor = 0.0; }),
                             "robust_decode.spline_factor (0)");
}
