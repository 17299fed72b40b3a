// Joint tuning of NeRCC's smoothing parameters (lambda_enc, lambda_dec) on calibration data
// with the user's model. Opt-in: not included by <nercc/nercc.hpp>.
//
// The parts: <nercc/tune/params.hpp> (TuneParams, TuneEntry, TuneResult), <nercc/tune/sampling.hpp>
// (the seeded draws and the statistics, shared with experiments) and <nercc/tune/search.hpp> (the
// search). This header adds the two entry points, which share one implementation.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/schemes.hpp>
#include <nercc/tune/params.hpp>
#include <nercc/tune/sampling.hpp>
#include <nercc/tune/search.hpp>
#include <nercc/types.hpp>

#include <cstddef>
#include <random>
#include <type_traits>
#include <utility>

NERCC_NAMESPACE_BEGIN

namespace detail {

template <class M, class S, class = void>
struct is_batch_model : std::false_type {};
template <class M, class S>
struct is_batch_model<M, S, std::enable_if_t<std::is_convertible<std::invoke_result_t<M&, const RowMatrix<S>&>, RowMatrix<S>>::value>>
    : std::true_type {};

template <class Source, class = void>
struct batch_source_scalar {
  using type = void;
};
template <class Source>
struct batch_source_scalar<Source, std::void_t<typename std::decay_t<std::invoke_result_t<Source&, Index>>::Scalar>> {
  using type = typename std::decay_t<std::invoke_result_t<Source&, Index>>::Scalar;
};

/// Both tune_lambdas overloads: checks the model and the params, stacks batch(0), ...,
/// batch(batches - 1) (each K x d, called in that order and only once params are valid) and runs
/// the search of params.scheme.
template <class S, class Model, class Batch>
TuneResult tune_lambdas_impl(const TuneParams& params, Batch&& batch, Model& model) {
  static_assert(is_batch_model<Model, S>::value,
                "nercc::tune_lambdas: model must be callable as model(const nercc::RowMatrix<S>&) and return a "
                "matrix convertible to nercc::RowMatrix<S> (one output row per input row)");
  params.validate();
  const Index k = params.code.num_queries;
  RowMatrix<S> queries;
  for (Index b = 0; b < params.batches; ++b) {
    const RowMatrix<S> rows = batch(b);
    if (rows.rows() != k || (b > 0 && rows.cols() != queries.cols()))
      throw shape_mismatch(message("calibration batch ", b, " is ", rows.rows(), " x ", rows.cols(),
                                   ", expected num_queries (", k, ") rows",
                                   b > 0 ? message(" and ", queries.cols(), " columns") : ""));
    // The data first: a NaN here would otherwise surface as non-finite model outputs.
    if (!rows.allFinite()) check_finite_rows(rows, message("calibration batch ", b).c_str());
    if (b == 0) queries.resize(params.batches * k, rows.cols());
    queries.middleRows(b * k, k) = rows;
  }
  return visit_scheme(params.scheme, [&](auto tag) -> TuneResult {
    using Scheme = decltype(tag);
    if constexpr (Scheme::is_regression) {
      return run_search<Scheme, S, Model>(params, std::move(queries), model);
    } else {
      throw invalid_argument(message("scheme (", Scheme::name, ") has nothing to tune"));  // validate() rejected it
    }
  });
}

}  // namespace detail

/// Tunes (lambda_enc, lambda_dec) of a NeRCC code for `model` on calibration queries.
///
/// Objective (background: the nested argument): the end-to-end error
///   E_{batch, F} (1 / (K m)) sum_k || u_dec(alpha_k) - f(x_k) ||^2
/// (or 1 - RelAcc), where u_enc smooths the batch x_1..x_K with lambda_enc, the workers compute
/// f at u_enc(beta_n), F is a random answered set of N - S workers (S drawn from the straggler
/// model) and u_dec smooths the answered outputs with lambda_dec. Both lambdas must be tuned
/// jointly: a smoother encoder makes f o u_enc easier to decode but moves u_enc(alpha_k) away
/// from x_k. The expectation is estimated on batches x answered_sets samples drawn once from
/// the seed, and every pair is scored on the same samples (common random numbers), so the
/// comparison between pairs is not blurred by sampling noise.
///
/// calibration: rows are queries (d columns); each batch is K distinct rows drawn at random.
/// model: callable as model(const RowMatrix<S>& inputs) returning one output row per input row
/// (anything convertible to RowMatrix<S>). It is called once on the plain queries and once per
/// lambda_enc with all batches' coded queries stacked (batches * N rows): the coded outputs
/// depend on lambda_enc only, so every lambda_dec reuses them.
///
/// Deterministic for a given seed (and a deterministic model). Thread safety: reentrant; the
/// model is called on the calling thread only, and exceptions it throws propagate unchanged.
/// Throws nercc::invalid_argument for bad params (naming the field) or too few calibration
/// rows, nercc::non_finite_input naming the calibration row (or batch) that holds NaN or
/// infinity, nercc::shape_mismatch if the model returns the wrong number of rows.
template <class Derived, class Model>
TuneResult tune_lambdas(const TuneParams& params, const Eigen::MatrixBase<Derived>& calibration, Model&& model) {
  using S = typename Derived::Scalar;
  static_assert(std::is_floating_point<S>::value, "nercc::tune_lambdas: calibration must hold float or double");
  detail::check_finite_rows(calibration, "calibration");
  // Batch b: K distinct rows at random, from one generator seeded once.
  std::mt19937_64 rng(params.seed);
  auto random_batch = [&](Index) {
    const Index k = params.code.num_queries;
    if (calibration.rows() < k)
      throw invalid_argument(detail::message("calibration has ", calibration.rows(), " rows, fewer than num_queries (",
                                             k, ")"));
    const auto rows = random_subset(rng, calibration.rows(), k);
    RowMatrix<S> batch(k, calibration.cols());
    for (Index q = 0; q < k; ++q) batch.row(q) = calibration.row(rows[std::size_t(q)]);
    return batch;
  };
  return detail::tune_lambdas_impl<S>(params, random_batch, model);
}

/// As above, with calibration batches from `batches`: callable as batches(Index b) for
/// b = 0..params.batches-1 (in that order, once each), returning the K x d batch b as a matrix
/// convertible to RowMatrix<S>; S is its scalar type.
template <class Source, class Model,
          std::enable_if_t<!std::is_base_of<Eigen::EigenBase<std::decay_t<Source>>, std::decay_t<Source>>::value, int> = 0>
TuneResult tune_lambdas(const TuneParams& params, Source&& batches, Model&& model) {
  using S = typename detail::batch_source_scalar<std::remove_reference_t<Source>>::type;
  static_assert(std::is_floating_point<S>::value,
                "nercc::tune_lambdas: batches must be callable as batches(Eigen::Index) and return a float or "
                "double Eigen matrix (the K x d batch)");
  return detail::tune_lambdas_impl<S>(params, batches, model);
}

NERCC_NAMESPACE_END
