// The reference for plan(): evaluate the latency of every configuration of the grid, keep the
// feasible ones, sort them all. Shared by the planner tests and examples/plan's agreement run.
#pragma once

#include <nercc/plan.hpp>

#include <algorithm>
#include <vector>

namespace plan_checks {

inline std::vector<nercc::plan::Plan> brute_force(const nercc::plan::PlanRequest& r,
                                                  const nercc::plan::StragglerModel& model,
                                                  const nercc::plan::AccuracyTable& table) {
  namespace np = nercc::plan;
  std::vector<np::Plan> feasible;
  auto e = np::detail::enumerate(r, model, table);
  for (auto& c : e.candidates) {
    np::detail::predict_latency(c, r);
    if (c.accurate && c.fits_pool && c.plan.p_slo <= r.slo_seconds) feasible.push_back(c.plan);
  }
  std::sort(feasible.begin(), feasible.end(), np::detail::better);
  if (feasible.size() > std::size_t(r.runners_up) + 1) feasible.resize(std::size_t(r.runners_up) + 1);
  return feasible;
}

/// The same configuration (scheme, K, N, b, quorum, deadline, release, fallback, hedge, sets).
inline bool same_config(const nercc::plan::Plan& a, const nercc::plan::Plan& b) {
  return a.scheme == b.scheme && a.num_queries == b.num_queries && a.num_workers == b.num_workers &&
         a.batch_size == b.batch_size && a.quorum == b.quorum && a.deadline == b.deadline &&
         a.early_release == b.early_release && a.fallback == b.fallback && a.hedge_delay == b.hedge_delay &&
         a.worker_sets == b.worker_sets;
}

}  // namespace plan_checks
