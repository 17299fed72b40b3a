// Berrut's rational interpolant: the regression behind BerrutScheme (BACC).
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {
/// Berrut weights of sorted sites at z: row of p with sum(p) = 1, p_i proportional to
/// (-1)^i / (z - t_i) (i = rank), or the unit vector when z is a site. O(n).
template <class C>
void berrut_row(const std::vector<C>& t, C z, C* row) {
  const std::size_t n = t.size();
  const auto hit = std::lower_bound(t.begin(), t.end(), z);
  if (hit != t.end() && *hit == z) {
    std::fill(row, row + n, C(0));
    row[hit - t.begin()] = C(1);
    return;
  }
  // Separate passes let the divisions vectorise; four partial sums break the chain of
  // dependent additions in the denominator (a rounding-level difference only).
  for (std::size_t i = 0; i < n; ++i) row[i] = C(1) / (z - t[i]);
  for (std::size_t i = 1; i < n; i += 2) row[i] = -row[i];
  C den[4] = {C(0), C(0), C(0), C(0)};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t j = 0; j < 4; ++j) den[j] += row[i + j];
  for (; i < n; ++i) den[0] += row[i];
  const C inv = C(1) / ((den[0] + den[1]) + (den[2] + den[3]));
  for (std::size_t k = 0; k < n; ++k) row[k] *= inv;
}
}  // namespace detail

/// Berrut's rational interpolant r(z) = sum_i (-1)^i y_i/(z - t_i) / sum_i (-1)^i/(z - t_i),
/// with i the rank of t_i among the sorted sites. It has no real poles, interpolates exactly
/// (r(t_i) = y_i), and converges at O(h). Sites in any order; values n x d. Immutable:
/// const members are safe to call from many threads at once.
template <class S>
class BerrutInterpolant {
  using C = detail::compute_t<S>;

 public:
  using Scalar = S;

  template <class Sites>
  BerrutInterpolant(const Sites& sites, const Eigen::Ref<const RowMatrix<S>>& values)
      : sites_(Index(sites.size()), [&](Index i) { return sites[i]; }, "sites"),
        values_(detail::values_by_rank(sites_, values)) {}

  /// r at each point (any finite reals): points.size() x d. Thread-safe.
  template <class Points>
  RowMatrix<S> evaluate(const Points& points) const {
    RowMatrix<S> out(Index(points.size()), dimension());
    evaluate_into(points, out);
    return out;
  }

  /// As evaluate(), into caller storage of shape points.size() x d. Thread-safe.
  template <class Points>
  void evaluate_into(const Points& points, Eigen::Ref<RowMatrix<S>> out) const {
    detail::check_out_shape(out, Index(points.size()), dimension());
    const std::vector<C> p = detail::checked_points<C>(points, "points");
    Eigen::Matrix<C, 1, Eigen::Dynamic> weights(num_sites());
    for (Index k = 0; k < Index(p.size()); ++k) {
      detail::berrut_row(sites_.sorted, p[std::size_t(k)], weights.data());
      out.row(k) = (weights * values_).template cast<S>();
    }
  }

  Index num_sites() const { return sites_.size(); }
  Index dimension() const { return values_.cols(); }
  const std::vector<C>& sorted_sites() const { return sites_.sorted; }

 private:
  detail::SortedSites<C> sites_;
  RowMatrix<C> values_;
};

/// The linear operator of Berrut's interpolant: M (points.size() x n, columns in the caller's
/// site order) with BerrutInterpolant(sites, Y).evaluate(points) == M * Y. O(n * points).
template <class Sites, class Points>
RowMatrix<double> berrut_evaluation_matrix(const Sites& sites, const Points& points) {
  const detail::SortedSites<double> sorted(Index(sites.size()), [&](Index i) { return sites[i]; }, "sites");
  const std::vector<double> p = detail::checked_points<double>(points, "points");
  const Index n = sorted.size();
  RowMatrix<double> m(Index(p.size()), n);
  std::vector<double> row(static_cast<std::size_t>(n));
  for (Index k = 0; k < m.rows(); ++k) {
    detail::berrut_row(sorted.sorted, p[std::size_t(k)], row.data());
    double* out = m.row(k).data();
    for (Index r = 0; r < n; ++r) out[sorted.order[std::size_t(r)]] = row[std::size_t(r)];
  }
  return m;
}

NERCC_NAMESPACE_END
