// Coded serving of the related-query workload, measured query by query: groups of K windows
// are encoded, every worker runs the model on its coded window, S random workers are lost, and
// each query left without an exact answer is compared, as decoded, with the fallback forecaster
// on the same query. Also the lambda and placement tuning of a layout on calibration groups.
// No LibTorch: the model is any callable RowMatrix<float> -> RowMatrix<float>.
#pragma once

#include "workload.hpp"

#include <nercc/nercc.hpp>
#include <nercc/tune.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

/// Where the workers sit.
enum class Layout {
  chebyshev,   ///< the default points (Chebyshev, both kinds); spline lambdas tuned jointly
  systematic,  ///< clustered_worker_points with lambda_enc = 0: worker k computes query k exactly;
               ///< the spread (and the spline's lambda_dec) tuned
};

inline const char* to_string(Layout layout) { return layout == Layout::chebyshev ? "chebyshev" : "systematic"; }

/// Sums over the queries that had no exact answer (the decoder's provenance: in the systematic
/// layout those whose own worker was lost; in the Chebyshev layout every query), each term a
/// query's MAE in degrees C. "hybrid" is the front end that answers an estimate whose
/// reliability (DecodeResult::reliability) is below a threshold with the fallback instead.
struct MissingQueryErrors {
  nercc::Index stragglers = 0;
  nercc::Index groups = 0;
  nercc::Index estimated = 0;    ///< queries decoded from the code (the terms of the sums)
  nercc::Index unavailable = 0;  ///< queries the decode could not estimate (not in the sums)
  double coded_vs_truth = 0, fallback_vs_truth = 0, model_vs_truth = 0, persistence_vs_truth = 0;
  double coded_vs_model = 0, fallback_vs_model = 0;
  double hybrid_vs_truth = 0, hybrid_vs_model = 0;
  nercc::Index hybrid_fallbacks = 0;  ///< estimates the hybrid replaced by the fallback

  double mean(double sum) const {
    return estimated > 0 ? sum / double(estimated) : std::numeric_limits<double>::quiet_NaN();
  }
};

/// Reference forecasts of every workload row, computed once.
struct ReferenceForecasts {
  FloatRowMatrix model;     ///< the model's outputs on the plain queries
  FloatRowMatrix fallback;  ///< the fallback forecaster's
};

/// Evaluates `code` (scheme Scheme) on `groups` groups of `kind` drawn from the test rows, at each
/// straggler count in `stragglers` (each <= N - K). The groups depend on the seed alone and each
/// S's straggler sets on (seed, S), so codes evaluated with one seed see the same queries and the
/// same losses. The model is called once, on all groups' coded queries stacked. The hybrid
/// answers estimates of reliability below `fallback_below` with the fallback.
template <class Scheme, class Model>
std::vector<MissingQueryErrors> evaluate_missing_queries(const ForecastWorkload& w, const nercc::CodeParams& code,
                                                         GroupKind kind, nercc::Index groups,
                                                         const std::vector<nercc::Index>& stragglers,
                                                         std::uint64_t seed, Model& model,
                                                         const ReferenceForecasts& reference,
                                                         double fallback_below = 0.75) {
  const nercc::Index k = code.num_queries, n = code.num_workers;
  if (groups < 1) throw std::invalid_argument("groups (" + std::to_string(groups) + ") must be >= 1");
  for (nercc::Index s : stragglers)
    if (s < 0 || s > n - k)
      throw std::invalid_argument("straggler count " + std::to_string(s) + " must lie in [0, N - K = " +
                                  std::to_string(n - k) + "]");
  const nercc::Encoder<Scheme, float> encoder(code);
  const nercc::Decoder<Scheme, float> decoder(code);

  std::mt19937_64 group_rng(seed);
  std::vector<std::vector<nercc::Index>> rows(static_cast<std::size_t>(groups));
  FloatRowMatrix coded(groups * n, w.queries.cols());
  for (nercc::Index g = 0; g < groups; ++g) {
    rows[std::size_t(g)] = draw_group(group_rng, kind, w.train_end, w.rows(), k);
    coded.middleRows(g * n, n) = encoder.encode(gather_rows(w.queries, rows[std::size_t(g)]));
  }
  const FloatRowMatrix answers = model(coded);
  if (answers.rows() != coded.rows() || answers.cols() != ForecastWorkload::outputs)
    throw std::runtime_error("the model returned " + std::to_string(answers.rows()) + " x " +
                             std::to_string(answers.cols()) + " for " + std::to_string(coded.rows()) + " queries");

  std::vector<MissingQueryErrors> results;
  for (nercc::Index s : stragglers) {
    MissingQueryErrors e;
    e.stragglers = s;
    e.groups = groups;
    std::mt19937_64 loss_rng(seed ^ (0x9e3779b97f4a7c15ull * std::uint64_t(s + 1)));
    for (nercc::Index g = 0; g < groups; ++g) {
      const std::vector<nercc::Index> lost = nercc::random_subset(loss_rng, n, s);
      std::vector<bool> is_lost(std::size_t(n), false);
      for (nercc::Index l : lost) is_lost[std::size_t(l)] = true;
      std::vector<nercc::Index> answered;
      for (nercc::Index v = 0; v < n; ++v)
        if (!is_lost[std::size_t(v)]) answered.push_back(v);
      FloatRowMatrix received(nercc::Index(answered.size()), answers.cols());
      for (std::size_t j = 0; j < answered.size(); ++j) received.row(nercc::Index(j)) = answers.row(g * n + answered[j]);
      const nercc::DecodeResult<float> r = decoder.decode(answered, received);
      for (nercc::Index q = 0; q < k; ++q) {
        if (r.status == nercc::DecodeStatus::insufficient_answers ||
            r.provenance[std::size_t(q)] == nercc::QueryProvenance::unavailable) {
          ++e.unavailable;
          continue;
        }
        if (r.provenance[std::size_t(q)] == nercc::QueryProvenance::exact) continue;
        const nercc::Index row = rows[std::size_t(g)][std::size_t(q)];
        const auto truth = w.targets.row(row);
        const auto estimate = r.values.row(q);
        ++e.estimated;
        e.coded_vs_truth += w.mae_celsius(estimate, truth);
        e.fallback_vs_truth += w.mae_celsius(reference.fallback.row(row), truth);
        e.model_vs_truth += w.mae_celsius(reference.model.row(row), truth);
        e.persistence_vs_truth += w.mae_celsius(w.persistence.row(row), truth);
        e.coded_vs_model += w.mae_celsius(estimate, reference.model.row(row));
        e.fallback_vs_model += w.mae_celsius(reference.fallback.row(row), reference.model.row(row));
        const bool trusted = r.reliability[std::size_t(q)] >= fallback_below;
        e.hybrid_fallbacks += trusted ? 0 : 1;
        e.hybrid_vs_truth += w.mae_celsius(trusted ? estimate : reference.fallback.row(row), truth);
        e.hybrid_vs_model += w.mae_celsius(trusted ? estimate : reference.fallback.row(row), reference.model.row(row));
      }
    }
    results.push_back(e);
  }
  return results;
}

/// A tuned code and the worker spread it was tuned at (0: the Chebyshev layout).
struct TunedCode {
  nercc::CodeParams code;
  double spread = 0;
};

/// A code of (K, N) in `layout`, tuned by nercc::tune_lambdas on calibration groups of `kind`
/// (rows [calibration_begin, train_end)) for the straggler counts `stragglers` (uniform). The
/// systematic layout keeps lambda_enc = 0 (the best tuned entry with it) and tunes the spread
/// over `spreads`.
template <class Scheme, class Model>
TunedCode tune_code(const ForecastWorkload& w, nercc::Index k, nercc::Index n, Layout layout, GroupKind kind,
                            const std::vector<nercc::Index>& stragglers, const std::vector<double>& spreads,
                            std::uint64_t seed, Model& model) {
  nercc::TuneParams tp;
  tp.code.num_queries = k;
  tp.code.num_workers = n;
  tp.scheme = Scheme::kind;
  tp.stragglers = stragglers;
  tp.seed = seed;
  tp.batches = 16;
  tp.answered_sets = 8;
  tp.grid_points = 10;
  if (layout == Layout::systematic) tp.worker_spreads = spreads;
  std::mt19937_64 rng(seed);
  auto batch = [&](nercc::Index) { return gather_rows(w.queries, draw_group(rng, kind, w.calibration_begin, w.train_end, k)); };
  const nercc::TuneResult tuned = nercc::tune_lambdas(tp, batch, model);
  if (layout == Layout::chebyshev) return {tuned.code, 0.0};
  const nercc::TuneEntry* best = nullptr;
  for (const nercc::TuneEntry& e : tuned.table)
    if (e.lambda_enc == 0.0 && (best == nullptr || e.mse.mean < best->mse.mean)) best = &e;
  if (best == nullptr) throw std::runtime_error("the tuner evaluated no entry with lambda_enc = 0");
  nercc::CodeParams code = nercc::systematic_params(k, n, best->worker_spread);
  code.lambda_dec = best->lambda_dec;
  return {code, best->worker_spread};
}

}  // namespace nercc_examples
