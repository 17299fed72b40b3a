// The codes nercc ships, as tag types for Encoder<Scheme, S> and Decoder<Scheme, S>.
#pragma once

#include <nercc/berrut.hpp>
#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/params.hpp>
#include <nercc/smoothing_spline.hpp>
#include <nercc/types.hpp>

#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Run-time name of a scheme, for logs, configuration files and metrics.
enum class SchemeKind { spline, berrut, replication, uncoded };

inline const char* to_string(SchemeKind kind) {
  switch (kind) {
    case SchemeKind::spline: return "spline";
    case SchemeKind::berrut: return "berrut";
    case SchemeKind::replication: return "replication";
    case SchemeKind::uncoded: return "uncoded";
  }
  return "unknown";
}

namespace detail {
inline void require_workers_at_least_queries(const CodeParams& p, const char* scheme) {
  if (p.num_workers < p.num_queries)
    throw invalid_argument(message("num_workers (", p.num_workers, ") must be >= num_queries (", p.num_queries,
                                   ") for ", scheme));
}
inline void require_no_ordering(const CodeParams& p, const char* scheme) {
  if (p.ordering != OrderingMethod::as_given)
    throw invalid_argument(message("ordering (", int(p.ordering), ") must be as_given for ", scheme,
                                   ": it sends every query as is, so there is no curve to reorder"));
}
}  // namespace detail

/// NeRCC: coded query n is u_enc(beta_n), u_enc the smoothing spline through (alpha_k, x_k)
/// with lambda_enc; the estimate of f(x_k) is u_dec(alpha_k), u_dec the smoothing spline
/// through the answered (beta_n, y_n) with lambda_dec.
struct SplineScheme {
  static constexpr SchemeKind kind = SchemeKind::spline;
  static constexpr bool is_regression = true;
  static void validate(const CodeParams& p) { detail::require_workers_at_least_queries(p, "SplineScheme"); }
  /// The regression operator from values at `sites` to values at `points`.
  template <class Sites, class Points>
  static RowMatrix<double> fit_matrix(const Sites& sites, const Points& points, double lambda) {
    return spline_evaluation_matrix(sites, points, lambda);
  }
};

/// Berrut approximate coded computing (BACC): as SplineScheme with Berrut's rational
/// interpolant on both sides. The lambda fields are not used.
struct BerrutScheme {
  static constexpr SchemeKind kind = SchemeKind::berrut;
  static constexpr bool is_regression = true;
  static void validate(const CodeParams& p) { detail::require_workers_at_least_queries(p, "BerrutScheme"); }
  template <class Sites, class Points>
  static RowMatrix<double> fit_matrix(const Sites& sites, const Points& points, double /*lambda*/) {
    return berrut_evaluation_matrix(sites, points);
  }
};

/// Replication: worker n computes query n mod K (N = r K gives every query r replicas); the
/// first answer in the order given to decode wins, and is exact. A query none of whose
/// replicas answered is reported unavailable. Points and lambdas are not used.
struct ReplicationScheme {
  static constexpr SchemeKind kind = SchemeKind::replication;
  static constexpr bool is_regression = false;
  static void validate(const CodeParams& p) {
    detail::require_workers_at_least_queries(p, "ReplicationScheme");
    detail::require_no_ordering(p, "ReplicationScheme");
  }
  static Index query_of_worker(Index worker, Index num_queries) { return worker % num_queries; }
};

/// Uncoded: N = K, worker k computes query k; a missing answer loses that query (reported
/// unavailable).
struct UncodedScheme {
  static constexpr SchemeKind kind = SchemeKind::uncoded;
  static constexpr bool is_regression = false;
  static void validate(const CodeParams& p) {
    detail::require_no_ordering(p, "UncodedScheme");
    if (p.num_workers != p.num_queries)
      throw invalid_argument(detail::message("num_workers (", p.num_workers, ") must equal num_queries (",
                                             p.num_queries, ") for UncodedScheme; use ReplicationScheme for N > K"));
  }
  static Index query_of_worker(Index worker, Index /*num_queries*/) { return worker; }
};

namespace detail {
template <class T>
struct is_scheme : std::integral_constant<bool, std::is_same<T, SplineScheme>::value || std::is_same<T, BerrutScheme>::value ||
                                                    std::is_same<T, ReplicationScheme>::value ||
                                                    std::is_same<T, UncodedScheme>::value> {};

/// The fewest usable answers a decode accepts (CodeParams::min_answers, 0 = automatic).
template <class Scheme>
Index effective_min_answers(const CodeParams& p) {
  if (p.min_answers > 0) return p.min_answers;
  return Scheme::is_regression ? p.num_queries : 1;
}
}  // namespace detail

NERCC_NAMESPACE_END
