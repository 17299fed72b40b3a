// CodeParams: the one parameter struct of a code, shared by Encoder and Decoder.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/points.hpp>
#include <nercc/index.hpp>

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Parameters of a code. An aggregate with defaults: set fields, then build an Encoder and a
/// Decoder from it (they copy it and call validate()). The lambdas use the sum convention of
/// SciPy's make_smoothing_spline: minimise sum_i (y_i - g(t_i))^2 + lambda * int g''(t)^2 dt
/// (a mean-form lambda_mean corresponds to lambda = n * lambda_mean). lambda = 0 interpolates,
/// lambda = +infinity gives the least-squares line.
///
/// Systematic layouts (SplineScheme, BerrutScheme): when the first K worker points are the
/// query points, in order (and lambda_enc = 0 for the spline), worker k computes query k itself
/// (see SplineScheme::is_systematic). systematic_params below builds such a layout. The Encoder
/// then copies the K queries to the first K coded rows and computes only the other N - K; the
/// Decoder returns an answered systematic worker's output as is (QueryProvenance::exact, even
/// with lambda_dec > 0: lambda_dec smooths only the estimates of queries whose own worker did
/// not answer) and combines only the rows of the other queries.
struct CodeParams {
  Index num_queries = 10;              ///< K: queries per group, at most max_code_size
  Index num_workers = 20;              ///< N: coded queries (workers) per group, at most max_code_size
  double lambda_enc = 0.0;             ///< encoder smoothing (SplineScheme only), >= 0
  double lambda_dec = 0.0;             ///< decoder smoothing (SplineScheme only), >= 0; systematic layouts: estimates only
  std::vector<double> query_points;    ///< alpha_1..alpha_K in [-1, 1]; empty: chebyshev_first_kind(K)
  std::vector<double> worker_points;   ///< beta_1..beta_N in [-1, 1]; empty: chebyshev_second_kind(N)
  /// Fewest usable (finite) answers a decode accepts before it reports
  /// DecodeStatus::insufficient_answers; 0 means automatic: K for the coded schemes (fewer
  /// answers than queries cannot determine K outputs), 1 for replication and uncoded (each
  /// query stands alone).
  Index min_answers = 0;
  /// Decoding matrices kept per answered set (least recently used evicted); 0 disables caching.
  std::size_t decoder_cache_capacity = 1024;
  /// Threads that encode and decode split the columns (d) over, the caller's thread included,
  /// started per call. Only inputs large enough to give each thread 2^18 values (inputs plus
  /// outputs) are split; smaller ones stay on the caller. Results do not depend on it.
  Index num_threads = 1;
  /// Which query goes to which query point (regression schemes only). as_given keeps the
  /// caller's order. Any other method makes the encoder reorder each batch so that consecutive
  /// queries are similar (see order_queries in <nercc/ordering.hpp>): the curve through them is
  /// smoother and decodes more accurately on inputs with neighbourhood structure (images), at a
  /// cost of O(K^2 d) per batch (or less with ordering_options.projection_dim). The order is per
  /// batch, so it travels with it: encode(queries, order) returns it and decode(ids, outputs,
  /// order) takes it back, and results come back in the caller's order.
  OrderingMethod ordering = OrderingMethod::as_given;
  OrderingOptions ordering_options;  ///< used when ordering is not as_given
  /// E: wrong (Byzantine) answers per group the decoder looks for. 0 (the default) decodes
  /// every finite answer, exactly as without this field. E > 0: the spline and Berrut decoders
  /// score every answer by its leave-one-out residuals (robust/residual_detector.hpp), drop up
  /// to E (and any answer at nearly the same point as a dropped one), report them in
  /// DecodeResult::flagged_workers and decode from the rest; they need num_workers >= K + 2E
  /// and at least K + 2E answers (min_answers defaults to that). Replication votes among the
  /// copies of a query with 3 or more answers and needs num_workers >= (2E + 1) K; uncoded
  /// cannot tolerate any (see robust/adversary_budget.hpp).
  Index num_adversaries = 0;
  /// Spline and Berrut with num_adversaries > 0: an answer is dropped only when its residual
  /// score exceeds this (scores are about 1 for the median answer). 0 drops the E
  /// highest-scoring answers whatever their score, as an error locator does, honest ones too
  /// when there is no adversary (on Fashion-MNIST: 4-5 RelAcc points). For the spline in
  /// today's layout on classifier logits, robust::recommended_detection_threshold (5) flags
  /// almost no honest answer and still catches large errors, but misses most sign flips
  /// (docs/results/byzantine).
  double detection_threshold = 0.0;

  /// Throws nercc::invalid_argument naming the first invalid field: num_queries and num_workers
  /// in [1, max_code_size]; points (when given) finite, in [-1, 1] and at least
  /// min_point_separation times their spread apart (see points.hpp). Scheme-specific rules
  /// (N >= K, N == K for uncoded) are checked by the Encoder/Decoder of that scheme.
  void validate() const {
    using detail::message;
    if (num_queries < 1) throw invalid_argument(message("num_queries (", num_queries, ") must be >= 1"));
    if (num_workers < 1) throw invalid_argument(message("num_workers (", num_workers, ") must be >= 1"));
    check_size("num_queries", num_queries);
    check_size("num_workers", num_workers);
    check_lambda("lambda_enc", lambda_enc);
    check_lambda("lambda_dec", lambda_dec);
    if (!query_points.empty()) detail::check_points("query_points", query_points, num_queries);
    if (!worker_points.empty()) detail::check_points("worker_points", worker_points, num_workers);
    if (min_answers < 0) throw invalid_argument(message("min_answers (", min_answers, ") must be >= 0"));
    if (min_answers > num_workers)
      throw invalid_argument(message("min_answers (", min_answers, ") must be <= num_workers (", num_workers, ")"));
    if (num_threads < 1) throw invalid_argument(message("num_threads (", num_threads, ") must be >= 1"));
    if (num_adversaries < 0)
      throw invalid_argument(message("num_adversaries (", num_adversaries, ") must be >= 0"));
    if (!(std::isfinite(detection_threshold) && detection_threshold >= 0.0))
      throw invalid_argument(message("detection_threshold (", detection_threshold, ") must be finite and >= 0"));
    detail::check_ordering_method("ordering", ordering);
    if (ordering != OrderingMethod::as_given) ordering_options.validate();
  }

  /// The query points in use: query_points, or the default Chebyshev points of the first kind.
  std::vector<double> resolved_query_points() const {
    return query_points.empty() ? chebyshev_first_kind(num_queries) : query_points;
  }
  /// The worker points in use: worker_points, or the default Chebyshev points of the second kind.
  std::vector<double> resolved_worker_points() const {
    return worker_points.empty() ? chebyshev_second_kind(num_workers) : worker_points;
  }

 private:
  static void check_size(const char* field, Index value) {
    if (value > max_code_size)
      throw invalid_argument(
          detail::message(field, " (", value, ") must be <= nercc::max_code_size (", max_code_size, ")"));
  }
  static void check_lambda(const char* field, double value) {
    if (std::isnan(value) || value < 0.0)
      throw invalid_argument(detail::message(field, " (", value, ") must be >= 0 (+infinity allowed)"));
  }
};

/// A systematic layout for SplineScheme or BerrutScheme: K queries, N workers, worker k at
/// query point k (so it computes query k exactly), and the N - K companions placed by
/// clustered_worker_points(query points, N, spread) near the query points (spread in (0, 1):
/// smaller is closer to replication, larger covers the gaps; tune it with
/// TuneParams::worker_spreads). query_points: the K query points, or empty for the default
/// Chebyshev points of the first kind. lambda_enc is 0 (a smoothing encoder is not systematic);
/// set the other fields (lambda_dec, ordering, ...) on the result as usual. Keep the worker
/// points as they are: a layout whose first K worker points differ from the query points, or a
/// lambda_enc > 0 set afterwards, is an ordinary (non-systematic) code again. Throws
/// nercc::invalid_argument naming the bad argument. Thread-safe (pure).
inline CodeParams systematic_params(Index num_queries, Index num_workers, double spread,
                                    std::vector<double> query_points = {}) {
  using detail::message;
  const char* const fn = "systematic_params";
  if (num_queries < 1) throw invalid_argument(message(fn, ": num_queries (", num_queries, ") must be >= 1"));
  if (num_queries > max_code_size)
    throw invalid_argument(message(fn, ": num_queries (", num_queries, ") must be <= nercc::max_code_size (",
                                   max_code_size, ")"));
  detail::check_clustered_layout(fn, num_queries, "num_queries", num_workers, spread);
  if (!query_points.empty()) detail::check_points(message(fn, ": query_points"), query_points, num_queries);
  CodeParams p;
  p.num_queries = num_queries;
  p.num_workers = num_workers;
  p.query_points = std::move(query_points);
  p.worker_points = clustered_worker_points(p.resolved_query_points(), num_workers, spread);
  return p;
}

NERCC_NAMESPACE_END
