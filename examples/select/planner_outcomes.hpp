// The planner's view of a corpus configuration under a given straggler law: the q-quantile of a
// query's latency when a group decodes at its (N - s)-th answer, and the worker time a query
// costs. From nercc::plan's order statistics (the planner's latency model without queueing and
// batching: one group per worker set, arrivals not waited for). Part of the corpus-builder example.
#pragma once

#include <nercc/errors.hpp>
#include <nercc/plan/order_statistic.hpp>
#include <nercc/plan/straggler.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace select_corpus {

/// A worker call's time in seconds, T ~ shift + Exp(rate), i.i.d. across workers, and the
/// latency quantile q the corpus logs.
struct StragglerLaw {
  nercc::plan::ShiftedExponentialParams params{0.01, 100.0};
  double quantile = 0.99;

  /// The run log's straggler_law text, e.g. "shifted_exponential(shift=0.01,rate=100)".
  std::string name() const {
    char buf[96];
    std::snprintf(buf, sizeof buf, "shifted_exponential(shift=%g,rate=%g)", params.shift, params.rate);
    return buf;
  }
};

/// The order-statistic figures of one code (K, N): per straggler count s in [0, stragglers],
/// s <= N - K, the q-quantile of T_(N-s:N) (seconds), and E[T_(N:N)], the mean time a worker
/// set is held by a group that waits for every answer (the configuration's quorum N).
struct CodeTimes {
  std::vector<double> quantile_by_stragglers;
  double mean_all_answers = 0.0;
};

/// E[T_(k:N)] = integral over p in (0, 1) of the order statistic's p-quantile, by the midpoint
/// rule on `points` levels (the quantile is smooth inside (0, 1); its log tail at p -> 1 is
/// integrable and the rule's error there is O(log(points) / points^2)).
inline CodeTimes code_times(const StragglerLaw& law, nercc::Index k, nercc::Index n, nercc::Index stragglers,
                            int points = 400) {
  const nercc::plan::ShiftedExponentialModel model(law.params);
  CodeTimes t;
  for (nercc::Index s = 0; s <= stragglers && s <= n - k; ++s)
    t.quantile_by_stragglers.push_back(nercc::plan::order_statistic_quantile(model, n - s, n, law.quantile));
  for (int i = 0; i < points; ++i)
    t.mean_all_answers += nercc::plan::order_statistic_quantile(model, n, n, (i + 0.5) / points) / points;
  return t;
}

}  // namespace select_corpus
