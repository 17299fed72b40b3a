// The planner's calibration restricted to a short list: plan::calibrate measures every scheme
// of its params against every (K, N) pair, so the short list becomes one CalibrateParams per
// (scheme, ordering, worker spread) holding only that group's pairs, and calibrate_short_list
// runs them into one AccuracyTable the planner reads as usual.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/accuracy.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/schemes.hpp>
#include <nercc/select/short_list.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// One plan::CalibrateParams per (scheme, ordering, worker spread) of the short list's coded
/// (regression) entries, in list order, each with that group's distinct (K, N) pairs and
/// `base` otherwise (answers, tuner template; the template's ordering and worker_spreads are
/// replaced by the group's). Replication and uncoded entries need no calibration (the planner
/// treats them as exact) and are skipped. Throws nercc::invalid_argument naming
/// list.entries[i].config for an invalid configuration.
inline std::vector<plan::CalibrateParams> calibrate_params(const ShortList& list, const plan::CalibrateParams& base) {
  validate_entries(list);
  std::vector<plan::CalibrateParams> out;
  std::vector<std::tuple<int, int, double>> groups;
  for (std::size_t i = 0; i < list.entries.size(); ++i) {
    const Configuration& c = list.entries[i].config;
    if (!scheme_facts(c.scheme).is_regression) continue;
    const auto group = std::make_tuple(int(c.scheme), int(c.ordering), c.worker_spread);
    const auto at = std::find(groups.begin(), groups.end(), group);
    if (at == groups.end()) {
      groups.push_back(group);
      plan::CalibrateParams p = base;
      p.schemes = {c.scheme};
      p.configs.clear();
      p.tune.code.ordering = c.ordering;
      p.tune.worker_spreads.clear();
      if (c.worker_spread > 0.0) p.tune.worker_spreads = {c.worker_spread};
      out.push_back(std::move(p));
    }
    plan::CalibrateParams& p = out[std::size_t(std::find(groups.begin(), groups.end(), group) - groups.begin())];
    const std::pair<Index, Index> pair{c.num_queries, c.num_workers};
    if (std::find(p.configs.begin(), p.configs.end(), pair) == p.configs.end()) p.configs.push_back(pair);
  }
  return out;
}

/// plan::calibrate over calibrate_params(list, base), merged into one table (a later group's
/// entry of the same (scheme, K, N, answers) replaces an earlier one). Runs on the calling
/// thread; what plan::calibrate and calibrate_params throw propagates.
template <class Derived, class Model>
plan::AccuracyTable calibrate_short_list(const ShortList& list, const plan::CalibrateParams& base,
                                         const Eigen::MatrixBase<Derived>& calibration, Model&& model) {
  plan::AccuracyTable table;
  for (const plan::CalibrateParams& p : calibrate_params(list, base)) {
    const plan::AccuracyTable group = plan::calibrate(p, calibration, model);
    for (const auto& [key, entry] : group.entries()) table.add(entry);
  }
  return table;
}

}  // namespace select
NERCC_NAMESPACE_END
