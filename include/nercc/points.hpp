// Point sets on [-1, 1] for the query points (alpha) and the worker points (beta).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

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

NERCC_NAMESPACE_END
