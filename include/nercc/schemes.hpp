// The codes nercc ships, as tag types for Encoder<Scheme, S> and Decoder<Scheme, S>, with every
// fact other modules need about a scheme. Standard library only (the planner uses it).
//
// Adding a scheme:
//   1. a tag here with the members every tag has (kind, name, is_regression, has_lambdas,
//      requires_workers_equal_queries, default_min_answers, validate, is_systematic,
//      query_of_worker), an enumerator of SchemeKind, and its case in visit_scheme;
//   2. if is_regression: its operator in detail/fit_matrix.hpp (fit_matrix(Tag, sites, points,
//      lambda)); otherwise query_of_worker says which query each worker computes.
// Every module (runtime, tuner, planner, examples) reads schemes through these members, through
// visit_scheme or through scheme_facts, so nothing else needs to change.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/params.hpp>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Run-time name of a scheme, for logs, configuration files and metrics.
enum class SchemeKind { spline, berrut, replication, uncoded };

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
/// True when the first K worker points are the query points, in order.
inline bool query_points_lead_worker_points(const CodeParams& p) {
  if (p.worker_points.empty()) return false;
  const std::vector<double> alpha = p.resolved_query_points();
  return p.worker_points.size() >= alpha.size() && std::equal(alpha.begin(), alpha.end(), p.worker_points.begin());
}
}  // namespace detail

// Members of every tag:
//   kind, name                 its SchemeKind and printable name
//   is_regression              coded rows mix the queries along a curve through the query points;
//                              false: every worker computes one query as is (query_of_worker)
//   has_lambdas                lambda_enc/lambda_dec are used (and worth tuning)
//   requires_workers_equal_queries  validate() demands N == K (no redundancy possible)
//   default_min_answers(K)     the fewest answers a decode accepts when CodeParams::min_answers = 0
//   validate(p)                throws nercc::invalid_argument naming the field
//   is_systematic(p)           coded row k is query k and worker k's answer decodes to itself
//   query_of_worker(w, K)      the query worker w computes, or -1 when it mixes several

/// NeRCC: coded query n is u_enc(beta_n), u_enc the smoothing spline through (alpha_k, x_k)
/// with lambda_enc; the estimate of f(x_k) is u_dec(alpha_k), u_dec the smoothing spline
/// through the answered (beta_n, y_n) with lambda_dec.
struct SplineScheme {
  static constexpr SchemeKind kind = SchemeKind::spline;
  static constexpr const char* name = "spline";
  static constexpr bool is_regression = true;
  static constexpr bool has_lambdas = true;
  static constexpr bool requires_workers_equal_queries = false;
  static constexpr Index default_min_answers(Index num_queries) { return num_queries; }
  static void validate(const CodeParams& p) { detail::require_workers_at_least_queries(p, "SplineScheme"); }
  /// The first K worker points are the query points and the encoder interpolates (lambda_enc = 0).
  static bool is_systematic(const CodeParams& p) {
    return p.lambda_enc == 0.0 && detail::query_points_lead_worker_points(p);
  }
  static constexpr Index query_of_worker(Index, Index) { return -1; }
};

/// Berrut approximate coded computing (BACC): as SplineScheme with Berrut's rational
/// interpolant on both sides. The lambda fields are not used.
struct BerrutScheme {
  static constexpr SchemeKind kind = SchemeKind::berrut;
  static constexpr const char* name = "berrut";
  static constexpr bool is_regression = true;
  static constexpr bool has_lambdas = false;
  static constexpr bool requires_workers_equal_queries = false;
  static constexpr Index default_min_answers(Index num_queries) { return num_queries; }
  static void validate(const CodeParams& p) { detail::require_workers_at_least_queries(p, "BerrutScheme"); }
  /// Berrut's interpolant passes through its sites: systematic when the query points lead.
  static bool is_systematic(const CodeParams& p) { return detail::query_points_lead_worker_points(p); }
  static constexpr Index query_of_worker(Index, Index) { return -1; }
};

/// Replication: worker n computes query n mod K (N = r K gives every query r replicas); the
/// first answer in the order given to decode wins, and is exact. A query none of whose
/// replicas answered is reported unavailable. Points and lambdas are not used.
struct ReplicationScheme {
  static constexpr SchemeKind kind = SchemeKind::replication;
  static constexpr const char* name = "replication";
  static constexpr bool is_regression = false;
  static constexpr bool has_lambdas = false;
  static constexpr bool requires_workers_equal_queries = false;
  static constexpr Index default_min_answers(Index) { return 1; }
  static void validate(const CodeParams& p) {
    detail::require_workers_at_least_queries(p, "ReplicationScheme");
    detail::require_no_ordering(p, "ReplicationScheme");
  }
  static bool is_systematic(const CodeParams&) { return true; }
  static constexpr Index query_of_worker(Index worker, Index num_queries) { return worker % num_queries; }
};

/// Uncoded: N = K, worker k computes query k; a missing answer loses that query (reported
/// unavailable).
struct UncodedScheme {
  static constexpr SchemeKind kind = SchemeKind::uncoded;
  static constexpr const char* name = "uncoded";
  static constexpr bool is_regression = false;
  static constexpr bool has_lambdas = false;
  static constexpr bool requires_workers_equal_queries = true;
  static constexpr Index default_min_answers(Index) { return 1; }
  static void validate(const CodeParams& p) {
    detail::require_no_ordering(p, "UncodedScheme");
    if (p.num_workers != p.num_queries)
      throw invalid_argument(detail::message("num_workers (", p.num_workers, ") must equal num_queries (",
                                             p.num_queries, ") for UncodedScheme; use ReplicationScheme for N > K"));
  }
  static bool is_systematic(const CodeParams&) { return true; }
  static constexpr Index query_of_worker(Index worker, Index /*num_queries*/) { return worker; }
};

/// Every SchemeKind, in declaration order.
inline constexpr SchemeKind all_schemes[] = {SchemeKind::spline, SchemeKind::berrut, SchemeKind::replication,
                                             SchemeKind::uncoded};

/// Calls f(Tag{}) with the tag type of `kind` and returns what it returns (the same type for
/// every tag). The one place that turns a run-time SchemeKind into a tag type. Throws
/// nercc::invalid_argument for a value that is not a SchemeKind.
template <class F>
decltype(auto) visit_scheme(SchemeKind kind, F&& f) {
  switch (kind) {
    case SchemeKind::spline: return std::forward<F>(f)(SplineScheme{});
    case SchemeKind::berrut: return std::forward<F>(f)(BerrutScheme{});
    case SchemeKind::replication: return std::forward<F>(f)(ReplicationScheme{});
    case SchemeKind::uncoded: return std::forward<F>(f)(UncodedScheme{});
  }
  throw invalid_argument(detail::message("scheme (", int(kind), ") is not a SchemeKind"));
}

/// The compile-time facts of a scheme, for code that holds a SchemeKind.
struct SchemeFacts {
  SchemeKind kind = SchemeKind::spline;
  const char* name = "";
  bool is_regression = false;
  bool has_lambdas = false;
  bool requires_workers_equal_queries = false;
};

inline SchemeFacts scheme_facts(SchemeKind kind) {
  return visit_scheme(kind, [](auto tag) {
    using Tag = decltype(tag);
    return SchemeFacts{Tag::kind, Tag::name, Tag::is_regression, Tag::has_lambdas, Tag::requires_workers_equal_queries};
  });
}

inline const char* to_string(SchemeKind kind) {
  for (SchemeKind k : all_schemes)
    if (k == kind) return scheme_facts(kind).name;
  return "unknown";
}

/// Validates p for the scheme `kind` (CodeParams::validate, then the scheme's own rules).
inline void validate_for(SchemeKind kind, const CodeParams& p) {
  p.validate();
  visit_scheme(kind, [&](auto tag) { decltype(tag)::validate(p); });
}

namespace detail {
template <class T>
struct is_scheme : std::integral_constant<bool, std::is_same<T, SplineScheme>::value || std::is_same<T, BerrutScheme>::value ||
                                                    std::is_same<T, ReplicationScheme>::value ||
                                                    std::is_same<T, UncodedScheme>::value> {};

/// The fewest usable answers a decode accepts (CodeParams::min_answers, 0 = automatic).
template <class Scheme>
Index effective_min_answers(const CodeParams& p) {
  return p.min_answers > 0 ? p.min_answers : Scheme::default_min_answers(p.num_queries);
}
}  // namespace detail

NERCC_NAMESPACE_END
