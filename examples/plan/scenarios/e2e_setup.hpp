// The end-to-end setting of the planner tests and examples/plan: a toy classifier calibrated
// with the tuner, and a request.
#pragma once

#include <nercc/plan/calibrate.hpp>

#include <plan_instances.hpp>
#include <runtime_driver.hpp>

namespace plan_checks {

struct E2ESetup {
  ToyClassifier model{8, 5, 3};
  Mat calibration = gaussian_queries(256, 8, 4);
  nercc::plan::PlanRequest request;
  nercc::plan::AccuracyTable table;
};

/// 1000 queries/s, p99 <= 25 ms, RelAcc >= floor; a worker batch of b coded queries takes
/// 4 ms + 1 ms per query (b in {1, 2, 4}) times the example's bimodal slowdown; K in {2, 4},
/// N <= 2K; the spline code calibrated on the toy classifier.
inline E2ESetup e2e_setup(double floor = 0.9) {
  E2ESetup s;
  nercc::plan::PlanRequest& r = s.request;
  r.arrival_rate = 1000.0;
  r.slo_quantile = 0.99;
  r.slo_seconds = 0.025;
  r.accuracy_floor = floor;
  r.pool_size = 200;
  r.profile = linear_profile(0.004, 0.001, {1, 2, 4});
  r.grid.num_queries = {2, 4};
  r.grid.max_redundancy = 2.0;
  r.grid.schemes = {nercc::SchemeKind::spline, nercc::SchemeKind::replication, nercc::SchemeKind::uncoded};
  nercc::plan::CalibrateParams c;
  c.schemes = {nercc::SchemeKind::spline};
  for (nercc::Index k : r.grid.num_queries)
    for (nercc::Index n = k; n <= 2 * k; ++n) c.configs.emplace_back(k, n);
  // MSE tuning: RelAcc tuning on few samples picks lambdas that flatter the in-sample RelAcc.
  c.tune.batches = 32;
  c.tune.answered_sets = 16;
  c.tune.grid_points = 6;
  c.tune.refine_rounds = 1;
  s.table = nercc::plan::calibrate(c, s.calibration, s.model);
  return s;
}

}  // namespace plan_checks
