// Point sets on [-1, 1] for the query points (alpha) and the worker points (beta).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// The most queries (K) and workers (N) a code may have, and the largest point set the functions
/// here build: 2^20. Larger values are rejected with nercc::invalid_argument naming the field
/// (not a std::bad_alloc or std::length_error after gigabytes of allocation): a group of a million
/// workers is far beyond any serving configuration, and per-group work grows with N.
inline constexpr Index max_code_size = Index(1) << 20;

/// Two points of one set (query points, worker points, sites) must lie at least this fraction
/// of the set's spread (max - min) apart. Closer points make the spline's 1/h^2 terms and
/// Berrut's 1/(z - t) weights overflow, so the coding matrices would hold NaN. Chebyshev sets up
/// to max_code_size points are ~2e-12 of their spread apart at the ends.
inline constexpr double min_point_separation = 1e-12;

namespace detail {
inline void check_point_count(const char* function, Index n) {
  if (n < 1) throw invalid_argument(message(function, ": n (", n, ") must be >= 1"));
  if (n > max_code_size)
    throw invalid_argument(message(function, ": n (", n, ") must be <= nercc::max_code_size (", max_code_size, ")"));
}
constexpr double pi = 3.141592653589793238462643383279502884;
}  // namespace detail

/// Chebyshev points of the first kind, cos((2k-1) pi / (2n)), k = 1..n (descending, interior).
/// The default query points. Thread-safe (pure).
inline std::vector<double> chebyshev_first_kind(Index n) {
  detail::check_point_count("chebyshev_first_kind", n);
  std::vector<double> p(static_cast<std::size_t>(n));
  for (Index k = 1; k <= n; ++k) p[std::size_t(k - 1)] = std::cos(double(2 * k - 1) * detail::pi / double(2 * n));
  return p;
}

/// Chebyshev points of the second kind, cos((i-1) pi / (n-1)), i = 1..n (descending, includes
/// both ends; n = 1 gives {0}). The default worker points. Thread-safe (pure).
inline std::vector<double> chebyshev_second_kind(Index n) {
  detail::check_point_count("chebyshev_second_kind", n);
  if (n == 1) return {0.0};
  std::vector<double> p(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) p[std::size_t(i)] = std::cos(double(i) * detail::pi / double(n - 1));
  // cos is not exactly antisymmetric in floating point; make the set symmetric about 0.
  for (Index i = 0; i < n / 2; ++i) p[std::size_t(n - 1 - i)] = -p[std::size_t(i)];
  if (n % 2 == 1) p[std::size_t(n / 2)] = 0.0;
  return p;
}

/// n equispaced points from -1 to 1 inclusive (n = 1 gives {0}). Thread-safe (pure).
inline std::vector<double> uniform_points(Index n) {
  detail::check_point_count("uniform_points", n);
  if (n == 1) return {0.0};
  std::vector<double> p(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) p[std::size_t(i)] = -1.0 + 2.0 * double(i) / double(n - 1);
  return p;
}

/// Worker points clustered at the query points, for codes whose stragglers are few.
///
/// The first K worker points are the query points themselves, in their order: with
/// lambda_enc = 0, worker k computes f(x_k) exactly (the code is systematic). The other N - K
/// are companions: query point k gets c_k of them (N - K spread evenly, the first (N - K) mod K
/// query points one more), at distances spread * (g_k / 2) * j / c_k, j = 1..c_k, from it
/// toward the centre of the query points, g_k being the gap to the next query point on that
/// side. Companion round j follows round j - 1, so the copies of one query sit K worker
/// indices apart (workers that fail together by index do not take out one query).
///
/// Why: a missing worker k is then covered by samples of f o u_enc close to alpha_k rather
/// than by interpolation across the gap to a different query. spread -> 0 approaches
/// replication (but a query whose samples are all lost is still decoded); spread -> 1 spreads
/// the companions over the gaps. Tune it with TuneParams::worker_spreads.
///
/// query_points: K >= 1 distinct finite points in [-1, 1] (K = 1: the companions go toward the
/// farther end of [-1, 1], g = that distance). num_workers: K <= N <= max_code_size. spread in (0, 1).
/// Thread-safe (pure). Throws nercc::invalid_argument naming the bad argument.
inline std::vector<double> clustered_worker_points(const std::vector<double>& query_points, Index num_workers,
                                                   double spread);

namespace detail {
/// Throws unless `points` holds `expected` finite points in [-1, 1] (up to rounding: 4 ulps of
/// 1), pairwise at least min_point_separation times their spread apart; names `field`, and for
/// a close pair both indices and values.
inline void check_points(const std::string& field, const std::vector<double>& points, Index expected) {
  if (Index(points.size()) != expected)
    throw invalid_argument(message(field, " has ", points.size(), " points, expected ", expected));
  const double bound = 1.0 + 4.0 * std::numeric_limits<double>::epsilon();
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i])) throw invalid_argument(message(field, "[", i, "] (", points[i], ") is not finite"));
    if (std::abs(points[i]) > bound)
      throw invalid_argument(message(field, "[", i, "] (", points[i], ") is outside [-1, 1]"));
  }
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return points[a] < points[b]; });
  if (order.empty()) return;
  const double spread = points[order.back()] - points[order.front()];
  for (std::size_t r = 1; r < order.size(); ++r) {
    const std::size_t a = std::min(order[r - 1], order[r]), b = std::max(order[r - 1], order[r]);
    const double gap = std::abs(points[b] - points[a]);
    if (gap == 0.0)
      throw invalid_argument(message(field, " repeats the point ", points[a], " (at indices ", a, " and ", b, ")"));
    if (gap < min_point_separation * spread)
      throw invalid_argument(message(field, "[", a, "] (", points[a], ") and ", field, "[", b, "] (", points[b],
                                     ") are ", gap, " apart, closer than nercc::min_point_separation (",
                                     min_point_separation, ") times the spread of the points (", spread, ")"));
  }
}

/// The sizes of a clustered layout (clustered_worker_points, systematic_params): k <=
/// num_workers <= max_code_size (`k_name` names k in the message) and spread in (0, 1).
inline void check_clustered_layout(const char* fn, Index k, const char* k_name, Index num_workers, double spread) {
  if (num_workers < k)
    throw invalid_argument(message(fn, ": num_workers (", num_workers, ") must be >= ", k_name, " (", k, ")"));
  if (num_workers > max_code_size)
    throw invalid_argument(message(fn, ": num_workers (", num_workers, ") must be <= nercc::max_code_size (",
                                   max_code_size, ")"));
  if (!(spread > 0.0 && spread < 1.0))
    throw invalid_argument(message(fn, ": spread (", spread, ") must lie in (0, 1)"));
}
}  // namespace detail

inline std::vector<double> clustered_worker_points(const std::vector<double>& query_points, Index num_workers,
                                                   double spread) {
  using detail::message;
  const char* const fn = "clustered_worker_points";
  const Index k = Index(query_points.size());
  if (k < 1) throw invalid_argument(message(fn, ": query_points is empty"));
  detail::check_points(message(fn, ": query_points"), query_points, k);
  detail::check_clustered_layout(fn, k, "the number of query points", num_workers, spread);

  std::vector<double> sorted(query_points);
  std::sort(sorted.begin(), sorted.end());
  const double centre = 0.5 * (sorted.front() + sorted.back());
  // Per query point: the signed step toward the centre that reaches the next query point there.
  std::vector<double> reach(query_points.size());
  for (std::size_t q = 0; q < query_points.size(); ++q) {
    const double a = query_points[q];
    if (k == 1) {
      reach[q] = a > 0.0 ? -1.0 - a : 1.0 - a;
      continue;
    }
    const auto at = std::size_t(std::lower_bound(sorted.begin(), sorted.end(), a) - sorted.begin());
    // A point at the centre (odd K, symmetric points) steps down. Companions stay within half
    // the gap, so the two sides of one gap never meet.
    reach[q] = a >= centre ? sorted[at - 1] - a : sorted[at + 1] - a;
  }
  const Index extra = num_workers - k;
  std::vector<Index> companions(query_points.size(), extra / k);
  for (Index q = 0; q < extra % k; ++q) ++companions[std::size_t(q)];
  std::vector<double> points(query_points);
  points.reserve(std::size_t(num_workers));
  const Index rounds = (extra + k - 1) / k;
  for (Index j = 1; j <= rounds; ++j)
    for (std::size_t q = 0; q < query_points.size(); ++q)
      if (companions[q] >= j)
        points.push_back(query_points[q] + spread * 0.5 * reach[q] * double(j) / double(companions[q]));
  return points;
}

NERCC_NAMESPACE_END
