// Parameters and results of the lambda tuner (tune_lambdas in <nercc/tune.hpp>): TuneParams
// with its validate(), TuneEntry and TuneResult. No Eigen: the planner's calibration tables and
// configuration files can hold these without the coding headers.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>
#include <nercc/tune/sampling.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {
/// "spline or berrut": the schemes tune_lambdas accepts, for error messages.
inline std::string regression_scheme_names() {
  std::string names;
  for (SchemeKind kind : all_schemes) {
    const SchemeFacts facts = scheme_facts(kind);
    if (!facts.is_regression) continue;
    if (!names.empty()) names += " or ";
    names += facts.name;
  }
  return names;
}
}  // namespace detail

/// What the tuner minimises: the mean squared error against the uncoded outputs (default), or
/// one minus RelAcc, the fraction of queries whose decoded argmax equals the uncoded argmax.
enum class TuneMetric { mse, rel_acc };

inline const char* to_string(TuneMetric metric) {
  switch (metric) {
    case TuneMetric::mse: return "mse";
    case TuneMetric::rel_acc: return "rel_acc";
  }
  return "unknown";
}

/// Parameters of tune_lambdas. An aggregate with defaults; tune_lambdas copies it and calls
/// validate().
///
/// The search runs over lambda in {0} U {lambda_min * (lambda_max / lambda_min)^(i / (G - 1)),
/// i = 0..G-1} (G = grid_points) on both axes (the coarse grid: every pair), then refines
/// refine_rounds times around the best pair: on each axis, refine_points values spaced evenly
/// in log(lambda) are added between the best value and each of its tried neighbours, and every
/// new pair of the local grid is evaluated. Nothing is added between 0 and a positive value:
/// lambda_min stands for "negligible smoothing", so keep it below any smoothing that matters
/// (smoothing starts near lambda ~ h^3, h the smallest spacing of the points: about 3e-9 for
/// 60 Chebyshev worker points, 2e-6 for 20).
struct TuneParams {
  /// K, N, point sets, ordering, min_answers, num_threads of the code to tune; its lambda fields
  /// are ignored. With an ordering, every calibration batch is encoded and decoded in its order.
  CodeParams code;
  /// A regression scheme (scheme_facts(scheme).is_regression). One with lambdas (spline) is tuned;
  /// one without (Berrut) has only (0, 0) evaluated (an estimate on the same samples, for
  /// comparison, and with worker_spreads a placement search). Replication and uncoded are rejected.
  SchemeKind scheme = SchemeKind::spline;
  /// The straggler counts S to tune for; one value is a fixed S.
  std::vector<Index> stragglers = {0};
  /// P(S = stragglers[i]); empty means uniform. Each sample draws its S from this distribution.
  std::vector<double> straggler_weights;
  TuneMetric metric = TuneMetric::mse;
  std::uint64_t seed = 1;
  /// Calibration batches of K queries; the model sees N * batches coded queries per lambda_enc.
  Index batches = 8;
  /// Random answered sets per batch; a sample (trial) is a (batch, answered set) pair.
  Index answered_sets = 8;
  double lambda_min = 1e-12;  ///< smallest positive lambda of the coarse grid
  double lambda_max = 10.0;   ///< largest lambda of the coarse grid
  Index grid_points = 14;     ///< positive coarse-grid values per axis (plus lambda = 0)
  Index refine_rounds = 2;
  Index refine_points = 2;   ///< values added per side of the best value per axis and round
  /// Budget: calls of the model, the reference call on the plain queries included (one call per
  /// lambda_enc). Refinement stops adding lambda_enc values once it is spent. With
  /// worker_spreads, the budget is per spread.
  Index max_model_calls = 40;
  /// Point placement tuned with the lambdas: empty keeps the code's worker points; otherwise
  /// every spread s gets worker points clustered_worker_points(query points, N, s) and its own
  /// lambda search on the same samples, and the best (spread, lambda_enc, lambda_dec) wins.
  /// Each value in (0, 1); code.worker_points must then be empty.
  std::vector<double> worker_spreads;
  /// Keep the code systematic: only lambda_enc = 0 is tried, so with worker_spreads' clustered
  /// points worker k computes query k exactly (the runtime can release it early, and the
  /// planner enumerates early release for the entry). Needs worker_spreads.
  bool systematic = false;
  /// Warm start (for example from the selector's predicted lambdas, <nercc/select/verify.hpp>):
  /// the coarse grid keeps, on each axis, 0 and the grid values within warm_start_radius grid
  /// steps of the one nearest (in log lambda) to the predicted value (warm_lambda_enc on the
  /// lambda_enc axis, warm_lambda_dec on the other; a predicted 0 is nearest to the smallest),
  /// so fewer lambda_enc values cost model calls; refinement then runs as without it, between
  /// the tried values. Off (the default): the whole coarse grid, as before.
  bool warm_start = false;
  double warm_lambda_enc = 0.0, warm_lambda_dec = 0.0;
  Index warm_start_radius = 1;

  /// Positive coarse-grid values the lambda_enc axis evaluates: grid_points, or with warm_start
  /// at most 2 warm_start_radius + 1 of them.
  Index coarse_grid_values() const {
    return warm_start ? std::min(grid_points, 2 * warm_start_radius + 1) : grid_points;
  }

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using detail::message;
    const SchemeFacts facts = scheme_facts(scheme);
    if (!facts.is_regression)
      throw invalid_argument(message("scheme (", facts.name, ") must be a regression scheme (",
                                     detail::regression_scheme_names(), "): the others decode exact answers ",
                                     "and have nothing to tune"));
    validate_for(scheme, code);
    if (stragglers.empty()) throw invalid_argument("stragglers is empty: give at least one straggler count");
    const Index n = code.num_workers;
    const Index needed =
        visit_scheme(scheme, [&](auto tag) { return detail::effective_min_answers<decltype(tag)>(code); });
    for (std::size_t i = 0; i < stragglers.size(); ++i)
      if (stragglers[i] < 0 || n - stragglers[i] < needed)
        throw invalid_argument(message("stragglers[", i, "] (", stragglers[i], ") must lie in [0, ", n - needed,
                                       "]: num_workers (", n, ") minus stragglers must leave ", needed, " answers"));
    if (!straggler_weights.empty()) {
      if (straggler_weights.size() != stragglers.size())
        throw invalid_argument(message("straggler_weights has ", straggler_weights.size(), " values, stragglers has ",
                                       stragglers.size()));
      double total = 0.0;
      for (std::size_t i = 0; i < straggler_weights.size(); ++i) {
        if (!(straggler_weights[i] >= 0.0) || !std::isfinite(straggler_weights[i]))
          throw invalid_argument(message("straggler_weights[", i, "] (", straggler_weights[i], ") must be finite and >= 0"));
        total += straggler_weights[i];
      }
      if (!(total > 0.0)) throw invalid_argument("straggler_weights sum to 0");
    }
    if (batches < 1) throw invalid_argument(message("batches (", batches, ") must be >= 1"));
    if (answered_sets < 1) throw invalid_argument(message("answered_sets (", answered_sets, ") must be >= 1"));
    if (!(lambda_min > 0.0) || !std::isfinite(lambda_min))
      throw invalid_argument(message("lambda_min (", lambda_min, ") must be finite and > 0"));
    if (!(lambda_max >= lambda_min) || !std::isfinite(lambda_max))
      throw invalid_argument(message("lambda_max (", lambda_max, ") must be finite and >= lambda_min (", lambda_min, ")"));
    if (grid_points < 1) throw invalid_argument(message("grid_points (", grid_points, ") must be >= 1"));
    if (grid_points > 1 && lambda_max == lambda_min)
      throw invalid_argument(message("lambda_max (", lambda_max, ") equals lambda_min: set grid_points to 1"));
    if (refine_rounds < 0) throw invalid_argument(message("refine_rounds (", refine_rounds, ") must be >= 0"));
    if (refine_points < 1) throw invalid_argument(message("refine_points (", refine_points, ") must be >= 1"));
    for (std::size_t i = 0; i < worker_spreads.size(); ++i)
      if (!(worker_spreads[i] > 0.0 && worker_spreads[i] < 1.0))
        throw invalid_argument(message("worker_spreads[", i, "] (", worker_spreads[i], ") must lie in (0, 1)"));
    if (!worker_spreads.empty() && !code.worker_points.empty())
      throw invalid_argument("worker_spreads sets the worker points: leave code.worker_points empty");
    if (systematic && worker_spreads.empty())
      throw invalid_argument("systematic needs worker_spreads: the clustered worker points put worker k at query point k");
    if (!(warm_lambda_enc >= 0.0 && std::isfinite(warm_lambda_enc)))
      throw invalid_argument(message("warm_lambda_enc (", warm_lambda_enc, ") must be finite and >= 0"));
    if (!(warm_lambda_dec >= 0.0 && std::isfinite(warm_lambda_dec)))
      throw invalid_argument(message("warm_lambda_dec (", warm_lambda_dec, ") must be finite and >= 0"));
    if (warm_start_radius < 0) throw invalid_argument(message("warm_start_radius (", warm_start_radius, ") must be >= 0"));
    // The reference call, then one per coarse lambda_enc: 0 and the grid, or 0 alone without lambdas.
    const Index coarse_calls = facts.has_lambdas && !systematic ? coarse_grid_values() + 2 : 2;
    if (max_model_calls < coarse_calls)
      throw invalid_argument(message("max_model_calls (", max_model_calls, ") must be >= ", coarse_calls,
                                     " (the reference call and one per coarse lambda_enc)"));
  }
};

/// One evaluated pair. A trial whose decode fails (non-finite model outputs leave too few
/// answers) counts as MSE +infinity and RelAcc 0.
struct TuneEntry {
  double lambda_enc = 0.0;
  double lambda_dec = 0.0;
  MetricEstimate mse;
  MetricEstimate rel_acc;
  Index round = 0;            ///< 0: coarse grid; r: r-th refinement
  double worker_spread = 0.0;  ///< the TuneParams::worker_spreads value; 0: the code's own worker points
};

/// What tune_lambdas found. The estimates of the best pair are in-sample (the same trials chose
/// it), hence slightly optimistic; evaluate on fresh data for an unbiased number.
struct TuneResult {
  double lambda_enc = 0.0;
  double lambda_dec = 0.0;
  MetricEstimate mse;
  MetricEstimate rel_acc;
  double worker_spread = 0.0;    ///< the chosen worker spread; 0 without TuneParams::worker_spreads
  std::vector<TuneEntry> table;  ///< every pair tried, in evaluation order (spread by spread)
  /// TuneParams::code with the tuned lambdas (and, with worker_spreads, the chosen worker
  /// points), ready for Encoder/Decoder
  CodeParams code;
  Index model_calls = 0;
  Index trials = 0;              ///< samples per pair: batches * answered_sets
};

NERCC_NAMESPACE_END
