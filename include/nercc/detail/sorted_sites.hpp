// Validation and sorting of interpolation sites given in any order.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// The arithmetic type of the fits: at least double, so float data get double-accurate
/// coefficients.
template <class S>
using compute_t = std::conditional_t<(sizeof(S) < sizeof(double)), double, S>;

/// Sites sorted ascending, with order[r] = index (in the caller's order) of the r-th smallest.
template <class C>
struct SortedSites {
  std::vector<C> sorted;
  std::vector<Index> order;

  /// Throws nercc::invalid_argument naming `field` if a site is non-finite or repeated.
  template <class Getter>
  SortedSites(Index n, Getter site, const char* field) : sorted(std::size_t(n)), order(std::size_t(n)) {
    if (n < 1) throw invalid_argument(message(field, " is empty: at least one site is needed"));
    for (Index i = 0; i < n; ++i) {
      const C v = C(site(i));
      if (!std::isfinite(v)) throw invalid_argument(message(field, "[", i, "] (", v, ") is not finite"));
    }
    std::iota(order.begin(), order.end(), Index(0));
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return C(site(a)) < C(site(b)); });
    for (Index r = 0; r < n; ++r) sorted[std::size_t(r)] = C(site(order[std::size_t(r)]));
    for (Index r = 1; r < n; ++r)
      if (sorted[std::size_t(r)] == sorted[std::size_t(r - 1)])
        throw invalid_argument(message(field, " repeats the site ", sorted[std::size_t(r)], " (at indices ",
                                       order[std::size_t(r - 1)], " and ", order[std::size_t(r)], ")"));
  }

  Index size() const { return Index(sorted.size()); }

  /// Reorders the columns of a matrix built over the sorted sites back to the caller's order.
  template <class M>
  M unsort_columns(const M& by_rank) const {
    M out(by_rank.rows(), by_rank.cols());
    for (Index r = 0; r < size(); ++r) out.col(order[std::size_t(r)]) = by_rank.col(r);
    return out;
  }
};

/// Throws nercc::non_finite_input naming `field` and the first offending row.
template <class Derived>
void check_finite_rows(const Eigen::MatrixBase<Derived>& m, const char* field) {
  if (m.allFinite()) return;
  for (Index r = 0; r < m.rows(); ++r)
    if (!m.row(r).allFinite()) throw non_finite_input(message(field, " row ", r, " holds a NaN or infinite value"));
}

/// The rows of values (n x d, in the caller's site order) as C in ascending site order.
/// Throws nercc::shape_mismatch or nercc::non_finite_input naming `values`.
template <class C, class Values>
RowMatrix<C> values_by_rank(const SortedSites<C>& sites, const Values& values) {
  if (values.rows() != sites.size())
    throw shape_mismatch(message("values has ", values.rows(), " rows, expected one per site (", sites.size(), ")"));
  check_finite_rows(values, "values");
  RowMatrix<C> y(values.rows(), values.cols());
  for (Index r = 0; r < y.rows(); ++r) y.row(r) = values.row(sites.order[std::size_t(r)]).template cast<C>();
  return y;
}

/// Throws nercc::shape_mismatch unless `out` (caller storage) is rows x cols.
template <class Out>
void check_out_shape(const Out& out, Index rows, Index cols) {
  if (out.rows() != rows || out.cols() != cols)
    throw shape_mismatch(message("out is ", out.rows(), " x ", out.cols(), ", expected ", rows, " x ", cols));
}

/// Evaluation points as C; throws nercc::invalid_argument naming `field` if one is not finite.
template <class C, class Points>
std::vector<C> checked_points(const Points& points, const char* field) {
  std::vector<C> p(static_cast<std::size_t>(points.size()));
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = C(points[Index(i)]);
    if (!std::isfinite(p[i])) throw invalid_argument(message(field, "[", i, "] (", p[i], ") is not finite"));
  }
  return p;
}


}  // namespace detail
NERCC_NAMESPACE_END
