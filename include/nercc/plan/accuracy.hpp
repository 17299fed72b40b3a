// The accuracy table the planner reads: RelAcc and MSE per (scheme, K, N, answers used),
// measured on the user's model by the tuner (nercc/tune.hpp).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/schemes.hpp>
#include <nercc/tune.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// One measured configuration: the tuned lambdas and the estimates with `answers` answers.
struct AccuracyEntry {
  SchemeKind scheme = SchemeKind::spline;
  Index num_queries = 0;  ///< K
  Index num_workers = 0;  ///< N
  Index answers = 0;      ///< usable answers decoded from (N - S)
  double rel_acc = 0.0;   ///< mean RelAcc
  double rel_acc_std_error = 0.0;
  double mse = 0.0;       ///< mean MSE against the uncoded outputs
  double lambda_enc = 0.0, lambda_dec = 0.0;
  OrderingMethod ordering = OrderingMethod::as_given;  ///< the query ordering it was measured with
  double worker_spread = 0.0;  ///< clustered_worker_points spread it was measured with; 0: default points
};

/// RelAcc/MSE per (scheme, K, N, answers). Replication and uncoded are exact whenever every
/// query has an answer, so they need no entries: lookup() answers RelAcc 1, MSE 0 for them.
/// Plain data; const members are thread-safe.
class AccuracyTable {
 public:
  /// Adds or replaces the entry of (scheme, K, N, answers).
  void add(const AccuracyEntry& e) { entries_[key(e.scheme, e.num_queries, e.num_workers, e.answers)] = e; }

  /// The entry for `answers` answers, conservatively: a measured count is returned as is; an
  /// unmeasured one takes the entry of the largest measured count below it (more answers never
  /// decode worse), with `answers` set to the request. Empty when no count <= answers was
  /// measured for (scheme, K, N).
  std::optional<AccuracyEntry> lookup(SchemeKind scheme, Index k, Index n, Index answers) const {
    if (scheme == SchemeKind::replication || scheme == SchemeKind::uncoded) {
      AccuracyEntry e;
      e.scheme = scheme, e.num_queries = k, e.num_workers = n, e.answers = answers;
      e.rel_acc = 1.0;
      return e;
    }
    auto it = entries_.upper_bound(key(scheme, k, n, answers));
    if (it == entries_.begin()) return std::nullopt;
    --it;
    const auto& [s, kk, nn, a] = it->first;
    if (s != int(scheme) || kk != k || nn != n || a > answers) return std::nullopt;
    AccuracyEntry e = it->second;
    e.answers = answers;
    return e;
  }

  const std::map<std::tuple<int, Index, Index, Index>, AccuracyEntry>& entries() const { return entries_; }

 private:
  static std::tuple<int, Index, Index, Index> key(SchemeKind s, Index k, Index n, Index a) { return {int(s), k, n, a}; }
  std::map<std::tuple<int, Index, Index, Index>, AccuracyEntry> entries_;
};

/// What calibrate() measures: every (scheme, K, N) of `configs` for each answer count in
/// `answers` (values outside [K, N] are skipped), each with `tune` as the tuner's template
/// (its code K/N, scheme and stragglers are overwritten; its ordering and worker_spreads are
/// kept, and each entry records the ordering and the chosen spread for to_runtime_params).
struct CalibrateParams {
  std::vector<SchemeKind> schemes = {SchemeKind::spline, SchemeKind::berrut};
  std::vector<std::pair<Index, Index>> configs;  ///< (K, N) pairs
  std::vector<Index> answers;                    ///< empty: every count in [K, N]
  TuneParams tune;                               ///< metric, seed, batches, budget
};

/// Fills an AccuracyTable by calling tune_lambdas on `model` and the calibration rows for
/// each (scheme, K, N, answers): the lambdas are tuned for S = N - answers stragglers and the
/// entry holds the tuned pair's estimates (in-sample, hence slightly optimistic: see
/// tune_lambdas). Replication and uncoded in `schemes` are ignored (exact). Runs on the
/// calling thread; model exceptions propagate.
template <class Derived, class Model>
AccuracyTable calibrate(const CalibrateParams& params, const Eigen::MatrixBase<Derived>& calibration, Model&& model) {
  AccuracyTable table;
  for (SchemeKind scheme : params.schemes) {
    if (scheme != SchemeKind::spline && scheme != SchemeKind::berrut) continue;
    for (const auto& [k, n] : params.configs) {
      std::vector<Index> counts = params.answers;
      if (counts.empty())
        for (Index a = k; a <= n; ++a) counts.push_back(a);
      for (Index a : counts) {
        if (a < k || a > n) continue;
        TuneParams tp = params.tune;
        tp.scheme = scheme;
        tp.code.num_queries = k;
        tp.code.num_workers = n;
        tp.stragglers = {n - a};
        tp.straggler_weights.clear();
        const TuneResult r = tune_lambdas(tp, calibration, model);
        AccuracyEntry e;
        e.scheme = scheme, e.num_queries = k, e.num_workers = n, e.answers = a;
        e.rel_acc = r.rel_acc.mean;
        e.rel_acc_std_error = r.rel_acc.std_error;
        e.mse = r.mse.mean;
        e.lambda_enc = r.lambda_enc, e.lambda_dec = r.lambda_dec;
        e.ordering = tp.code.ordering;
        e.worker_spread = r.worker_spread;
        table.add(e);
      }
    }
  }
  return table;
}

}  // namespace plan
NERCC_NAMESPACE_END
