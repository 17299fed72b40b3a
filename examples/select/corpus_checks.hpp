// Invariants of a built corpus that the builder checks before it reports success (the smoke
// test relies on them). Part of the corpus-builder example.
#pragma once

#include "measure_task.hpp"
#include "planner_outcomes.hpp"

#include <nercc/select/run_log.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace select_corpus {

/// Throws std::runtime_error naming the first broken invariant: every task has
/// `configs_per_task` records; every record's encode and decode time is positive, its planned
/// latency falls as it tolerates more stragglers and is at least the law's shift, and its MSE
/// and RelAcc are measured at every straggler count; no two tasks have the same features (the
/// learners could not tell them apart: a distribution that left the queries unchanged); the
/// features cost fewer model evaluations than measuring the task; the order-statistic mean of
/// every code matches the exponential's closed form E[T_(N:N)] = shift + H_N / rate.
inline void check_corpus(const nercc::select::RunLog& log, const Grid& grid, const StragglerLaw& law,
                         const std::map<std::pair<nercc::Index, nercc::Index>, CodeTimes>& times,
                         const std::map<std::string, double>& feature_costs, std::size_t configs_per_task) {
  auto fail = [](const std::string& what) { throw std::runtime_error("corpus check: " + what); };
  for (const auto& [code, t] : times) {
    double harmonic = 0.0;
    for (nercc::Index i = 1; i <= code.second; ++i) harmonic += 1.0 / double(i);
    const double exact = law.params.shift + harmonic / law.params.rate;
    if (!(std::abs(t.mean_all_answers - exact) <= 1e-3 * exact))
      fail("E[T_(N:N)] of N = " + std::to_string(code.second) + " is " + std::to_string(t.mean_all_answers) +
           ", the closed form " + std::to_string(exact));
  }
  std::map<std::string, std::size_t> configs;
  std::map<std::string, double> evaluations;
  std::map<std::vector<double>, std::string> task_of_features;
  for (const nercc::select::RunRecord& r : log.records) {
    const std::string where = "task " + r.task + ", " + r.config.id();
    if (++configs[r.task] == 1) {
      const auto [it, fresh] = task_of_features.emplace(r.task_features, r.task);
      if (!fresh) fail("tasks " + it->second + " and " + r.task + " have the same features");
    }
    evaluations[r.task] += r.model_evaluations;
    if (!(r.encode_seconds > 0.0 && r.decode_seconds > 0.0)) fail(where + ": encode or decode time not positive");
    if (r.latency.empty() || !(r.latency.back() >= law.params.shift)) fail(where + ": latency below the law's shift");
    for (std::size_t s = 1; s < r.latency.size(); ++s)
      if (!(r.latency[s] < r.latency[s - 1])) fail(where + ": latency does not fall with the stragglers tolerated");
    const std::size_t counts = std::size_t(grid.max_stragglers + 1);
    if (r.mse.size() != counts || r.rel_acc.size() != counts) fail(where + ": MSE or RelAcc not at every straggler count");
    for (std::size_t s = 0; s < counts; ++s)
      if (std::isnan(r.mse[s]) || std::isnan(r.rel_acc[s])) fail(where + ": MSE or RelAcc missing");
  }
  for (const auto& [task, count] : configs) {
    if (count != configs_per_task)
      fail("task " + task + " has " + std::to_string(count) + " configurations, not " + std::to_string(configs_per_task));
    if (!(feature_costs.at(task) < evaluations[task])) fail("task " + task + ": features cost more than measuring it");
  }
}

}  // namespace select_corpus
