// Planner requests for the tests and examples/plan: a latency profile with a batching benefit,
// a synthetic accuracy table, and random instances for the brute-force comparison.
#pragma once

#include <nercc/plan.hpp>

#include <random>
#include <utility>
#include <vector>

namespace plan_checks {

/// latency(b) = base + per_query * b seconds for b in batch_sizes.
inline std::vector<nercc::plan::BatchLatency> linear_profile(double base, double per_query,
                                                              const std::vector<nercc::Index>& batch_sizes) {
  std::vector<nercc::plan::BatchLatency> p;
  for (nercc::Index b : batch_sizes) {
    nercc::plan::BatchLatency l;
    l.batch_size = b;
    l.median = l.lower_quartile = l.upper_quartile = l.min = l.max = base + per_query * double(b);
    p.push_back(l);
  }
  return p;
}

/// RelAcc = 1 - loss * K / answers (spline loss, Berrut 1.5 loss) for every K of the grid, every
/// N <= 3K and every answer count: decoding from more answers, or fewer queries, is better.
inline nercc::plan::AccuracyTable synthetic_accuracy(const std::vector<nercc::Index>& ks, double loss = 0.1) {
  nercc::plan::AccuracyTable t;
  const std::pair<nercc::SchemeKind, double> losses[] = {{nercc::SchemeKind::spline, loss},
                                                         {nercc::SchemeKind::berrut, 1.5 * loss}};
  for (const auto& [scheme, scheme_loss] : losses)
    for (nercc::Index k : ks)
      for (nercc::Index n = k; n <= 3 * k; ++n)
        for (nercc::Index a = k; a <= n; ++a) {
          nercc::plan::AccuracyEntry e;
          e.scheme = scheme, e.num_queries = k, e.num_workers = n, e.answers = a;
          e.rel_acc = 1.0 - scheme_loss * double(k) / double(a);
          e.mse = 1.0 - e.rel_acc;
          t.add(e);
        }
  return t;
}

/// The request of the worked example: 2000 queries/s, p99 <= 30 ms, RelAcc >= 0.95, workers
/// taking 2 ms + 0.5 ms per query of their batch.
inline nercc::plan::PlanRequest example_request() {
  nercc::plan::PlanRequest r;
  r.arrival_rate = 2000.0;
  r.slo_quantile = 0.99;
  r.slo_seconds = 0.030;
  r.accuracy_floor = 0.95;
  r.worker_price = 1.0;
  r.pool_size = 400;
  r.profile = linear_profile(0.002, 0.0005, {1, 2, 4, 8});
  r.grid.num_queries = {1, 2, 4, 8, 12};
  r.grid.max_workers_per_set = 36;
  return r;
}

/// Slowdowns: 95% of calls 1 + Exp(mean 0.25), 5% 3 + Exp(mean 1).
inline nercc::plan::StragglerModel example_stragglers() {
  nercc::plan::BimodalParams p;
  p.fast = {1.0, 4.0};
  p.slow = {3.0, 1.0};
  p.slow_probability = 0.05;
  return nercc::plan::StragglerModel(nercc::plan::BimodalModel(p));
}

/// A random instance: straggler family, rate, SLO, floor, pool, price and profile.
struct Instance {
  nercc::plan::PlanRequest request;
  nercc::plan::StragglerModel model;
};

inline Instance random_instance(std::mt19937_64& g) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  nercc::plan::PlanRequest r = example_request();
  r.arrival_rate = 200.0 * std::pow(50.0, u(g));           // 200 .. 10^4 queries/s
  r.slo_quantile = u(g) < 0.5 ? 0.99 : 0.95;
  r.slo_seconds = 0.004 * std::pow(20.0, u(g));             // 4 .. 80 ms
  r.accuracy_floor = u(g) < 0.3 ? 0.0 : 0.9 + 0.08 * u(g);
  r.pool_size = nercc::Index(20 + 980 * u(g));
  r.worker_price = 0.5 + u(g);
  r.profile = linear_profile(0.001 + 0.004 * u(g), 0.0002 + 0.001 * u(g), {1, 2, 4, 8});
  const double family = u(g);
  auto model = [&]() -> nercc::plan::StragglerModel {
    if (family < 0.25) return nercc::plan::ShiftedExponentialModel({1.0, 1.0 + 5.0 * u(g)});
    if (family < 0.5) return nercc::plan::LogNormalModel({0.5 + 0.5 * u(g), -1.0 + u(g), 0.2 + 0.6 * u(g)});
    if (family < 0.75) {
      nercc::plan::BimodalParams p;
      p.fast = {1.0, 2.0 + 4.0 * u(g)};
      p.slow = {2.0 + 4.0 * u(g), 0.5 + u(g)};
      p.slow_probability = 0.2 * u(g);
      return nercc::plan::BimodalModel(p);
    }
    std::vector<double> x(200);
    for (double& v : x) v = 1.0 + std::exponential_distribution<double>(1.0 + 3.0 * u(g))(g);
    return nercc::plan::EmpiricalModel(x);
  }();
  return Instance{r, model};
}

}  // namespace plan_checks
