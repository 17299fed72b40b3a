// Point sets on [-1, 1] for the query points (alpha) and the worker points (beta).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {
inline void check_point_count(const char* function, Index n) {
  if (n < 1) throw invalid_argument(message(function, ": n (", n, ") must be >= 1"));
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
/// farther end of [-1, 1], g = that distance). num_workers: N >= K. spread in (0, 1).
/// Thread-safe (pure). Throws nercc::invalid_argument naming the bad argument.
inline std::vector<double> clustered_worker_points(const std::vector<double>& query_points, Index num_workers,
                                                   double spread);

namespace detail {
/// Throws unless `points` holds `expected` finite, pairwise distinct values; names `field`.
inline void check_points(const char* field, const std::vector<double>& points, Index expected) {
  if (Index(points.size()) != expected)
    throw invalid_argument(message(field, " has ", points.size(), " points, expected ", expected));
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!std::isfinite(points[i])) throw invalid_argument(message(field, "[", i, "] (", points[i], ") is not finite"));
  std::vector<double> sorted(points);
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) throw invalid_argument(message(field, " repeats the point ", *dup));
}
}  // namespace detail

inline std::vector<double> clustered_worker_points(const std::vector<double>& query_points, Index num_workers,
                                                   double spread) {
  using detail::message;
  const char* const fn = "clustered_worker_points";
  const Index k = Index(query_points.size());
  if (k < 1) throw invalid_argument(message(fn, ": query_points is empty"));
  detail::check_points(message(fn, ": query_points").c_str(), query_points, k);
  for (std::size_t i = 0; i < query_points.size(); ++i)
    if (std::abs(query_points[i]) > 1.0)
      throw invalid_argument(message(fn, ": query_points[", i, "] (", query_points[i], ") is outside [-1, 1]"));
  if (num_workers < k)
    throw invalid_argument(message(fn, ": num_workers (", num_workers, ") must be >= the number of query points (", k, ")"));
  if (!(spread > 0.0 && spread < 1.0))
    throw invalid_argument(message(fn, ": spread (", spread, ") must lie in (0, 1)"));

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
