// verify(): measures a short list (<nercc/select/short_list.hpp>) on the user's model with
// nercc's encoder and decoder, through the lambda tuner warm-started at each entry's lambdas,
// and returns the measured best with the model evaluations it cost.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/schemes.hpp>
#include <nercc/select/configuration.hpp>
#include <nercc/select/short_list.hpp>
#include <nercc/tune.hpp>
#include <nercc/types.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

struct VerifyParams {
  /// The tuner's template: metric (what "best" means), seed, batches, answered sets, grid,
  /// refinement and budget. Per entry verify() sets scheme, K, N, ordering, the worker spread,
  /// and (with warm_start) the warm start; straggler counts above N - K are dropped (a code
  /// with N = K tolerates none; if none is left, S = 0).
  TuneParams tune;
  /// Start each lambda search from the entry's lambdas (TuneParams::warm_start).
  bool warm_start = true;
  Index warm_start_radius = 1;
};

/// One measured configuration of the short list.
struct VerifiedEntry {
  std::size_t entry = 0;      ///< its index in the short list
  Configuration config;       ///< with the measured (tuned) lambdas and spread
  MetricEstimate mse, rel_acc;
  double model_evaluations = 0.0;  ///< rows passed to the model to measure it
};

/// verify()'s answer.
struct Verification {
  std::vector<VerifiedEntry> measured;  ///< one per distinct code of the short list, in list order
  std::size_t best = 0;                 ///< index into measured: the best by params.tune.metric
  double model_evaluations = 0.0;       ///< all of them together

  const VerifiedEntry& best_entry() const { return measured.at(best); }
};

/// Measures every entry of `list` on `model` and the calibration rows (as tune_lambdas takes
/// them), and picks the best by the tuner's metric (ties: the earlier entry). Entries of one
/// code (scheme, K, N, ordering, spread) are measured once, warm-started at the first one's
/// lambdas. Replication and uncoded decode exact answers: reported with MSE 0 and RelAcc 1, at
/// no model evaluation. Runs on the calling thread; model exceptions propagate. Throws
/// nercc::invalid_argument for an empty list ("list.entries is empty"), an invalid entry
/// configuration (naming list.entries[i].config), and what tune_lambdas throws.
template <class Derived, class Model>
Verification verify(const ShortList& list, const Eigen::MatrixBase<Derived>& calibration, Model&& model,
                    const VerifyParams& params = {}) {
  using S = typename Derived::Scalar;
  if (list.entries.empty()) throw invalid_argument("list.entries is empty: nothing to verify");
  validate_entries(list);
  Verification out;
  std::vector<std::tuple<int, Index, Index, int, double>> codes;
  for (std::size_t i = 0; i < list.entries.size(); ++i) {
    const Configuration& c = list.entries[i].config;
    const auto code = code_of(c);
    bool seen = false;
    for (const auto& other : codes) seen = seen || other == code;
    if (seen) continue;
    codes.push_back(code);
    VerifiedEntry v;
    v.entry = i;
    v.config = c;
    if (!scheme_facts(c.scheme).is_regression) {
      v.mse = summarise({0.0});
      v.rel_acc = summarise({1.0});
      out.measured.push_back(v);
      continue;
    }
    TuneParams tp = params.tune;
    tp.scheme = c.scheme;
    tp.code.num_queries = c.num_queries;
    tp.code.num_workers = c.num_workers;
    tp.code.ordering = c.ordering;
    tp.worker_spreads.clear();
    if (c.worker_spread > 0.0) tp.worker_spreads = {c.worker_spread};
    std::vector<Index> stragglers;
    for (Index s : params.tune.stragglers)
      if (s <= c.num_workers - c.num_queries) stragglers.push_back(s);
    if (stragglers.empty()) stragglers = {0};
    if (stragglers.size() != params.tune.stragglers.size()) tp.straggler_weights.clear();
    tp.stragglers = stragglers;
    tp.warm_start = params.warm_start;
    tp.warm_lambda_enc = c.lambda_enc;
    tp.warm_lambda_dec = c.lambda_dec;
    tp.warm_start_radius = params.warm_start_radius;
    double rows = 0.0;
    auto counted = [&](const RowMatrix<S>& x) -> RowMatrix<S> {
      rows += double(x.rows());
      return model(x);
    };
    const TuneResult r = tune_lambdas(tp, calibration, counted);
    v.config.lambda_enc = r.lambda_enc;
    v.config.lambda_dec = r.lambda_dec;
    v.config.worker_spread = r.worker_spread;
    v.mse = r.mse;
    v.rel_acc = r.rel_acc;
    v.model_evaluations = rows;
    out.model_evaluations += rows;
    out.measured.push_back(v);
  }
  // The tuner's order of candidates: its metric, then the other, then smaller lambdas.
  const auto key = [&](const VerifiedEntry& v) {
    TuneEntry e;
    e.lambda_enc = v.config.lambda_enc, e.lambda_dec = v.config.lambda_dec, e.mse = v.mse, e.rel_acc = v.rel_acc;
    return nercc::detail::tune_key(params.tune.metric, e);
  };
  for (std::size_t i = 1; i < out.measured.size(); ++i)
    if (key(out.measured[i]) < key(out.measured[out.best])) out.best = i;
  return out;
}

}  // namespace select
NERCC_NAMESPACE_END
