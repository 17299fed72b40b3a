// calibrate(): fills the planner's AccuracyTable by tuning the codes on the user's model. Needs
// the tuner (nercc/tune.hpp: Eigen, Encoder, Decoder), so it is included on its own and never by
// the standard-library-only <nercc/plan.hpp>.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/accuracy.hpp>
#include <nercc/schemes.hpp>
#include <nercc/tune.hpp>

#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// What calibrate() measures: every (scheme, K, N) of `configs` for each answer count in
/// `answers` (values outside [K, N] are skipped), each with `tune` as the tuner's template
/// (its code K/N, scheme and stragglers are overwritten; its ordering and worker_spreads are
/// kept, and each entry records the ordering and the chosen spread for to_runtime_params).
struct CalibrateParams {
  std::vector<SchemeKind> schemes = measured_schemes();
  std::vector<std::pair<Index, Index>> configs;  ///< (K, N) pairs
  std::vector<Index> answers;                    ///< empty: every count in [K, N]
  TuneParams tune;                               ///< metric, seed, batches, budget
};

namespace detail {
/// The loop of both calibrate() overloads: tune(tp) runs tune_lambdas for the TuneParams of one
/// (scheme, K, N, answers).
template <class Tune>
AccuracyTable calibrate_with(const CalibrateParams& params, Tune&& tune) {
  AccuracyTable table;
  for (SchemeKind scheme : params.schemes) {
    if (!scheme_facts(scheme).is_regression) continue;
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
        const TuneResult r = tune(tp);
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
}  // namespace detail

/// Fills an AccuracyTable by calling tune_lambdas on `model` and the calibration rows for
/// each (scheme, K, N, answers): the lambdas are tuned for S = N - answers stragglers and the
/// entry holds the tuned pair's estimates (in-sample, hence slightly optimistic: see
/// tune_lambdas). Each entry has both RelAcc and MSE (per output element, against the model's
/// outputs on the plain queries); tune.metric chooses which one the lambdas minimise:
/// TuneMetric::rel_acc for a classifier planned with PlanRequest::accuracy_floor,
/// TuneMetric::mse (the default) for a regression model planned with PlanRequest::max_mse.
/// Schemes of `schemes` that are not measured_schemes() are ignored (exact). Runs on the
/// calling thread; model exceptions propagate.
template <class Derived, class Model>
AccuracyTable calibrate(const CalibrateParams& params, const Eigen::MatrixBase<Derived>& calibration, Model&& model) {
  return detail::calibrate_with(params, [&](const TuneParams& tp) { return tune_lambdas(tp, calibration, model); });
}

/// As above, with the calibration batches from `batches`: callable as batches(K, b) for the
/// b-th K x d batch of a code of K queries (tune_lambdas' batch-source overload), for workloads
/// whose groups are not random rows (consecutive windows of a time series, the candidates of one
/// request): calibrate on groups formed as serving forms them.
template <class Batches, class Model>
AccuracyTable calibrate_batches(const CalibrateParams& params, Batches&& batches, Model&& model) {
  return detail::calibrate_with(params, [&](const TuneParams& tp) {
    const Index k = tp.code.num_queries;
    return tune_lambdas(tp, [&batches, k](Index b) { return batches(k, b); }, model);
  });
}

}  // namespace plan
NERCC_NAMESPACE_END
