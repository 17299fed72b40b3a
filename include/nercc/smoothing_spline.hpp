// The natural cubic smoothing spline: a building block usable on its own, and the regression
// behind SplineScheme.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/reinsch.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {
inline void check_lambda(const char* field, double lambda) {
  if (std::isnan(lambda) || lambda < 0.0)
    throw invalid_argument(message(field, " (", lambda, ") must be >= 0 (+infinity allowed)"));
}

template <class C, class Sites>
std::vector<C> checked_weights(const Sites& weights, Index n) {
  if (weights.size() == 0) return {};
  if (Index(weights.size()) != n)
    throw shape_mismatch(message("weights has ", weights.size(), " entries, expected one per site (", n, ")"));
  std::vector<C> w(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    w[std::size_t(i)] = C(weights[i]);
    if (!(std::isfinite(w[std::size_t(i)]) && w[std::size_t(i)] > C(0)))
      throw invalid_argument(message("weights[", i, "] (", w[std::size_t(i)], ") must be finite and > 0"));
  }
  return w;
}

template <class C>
std::vector<C> permuted(const std::vector<C>& v, const std::vector<Index>& order) {
  if (v.empty()) return {};
  std::vector<C> out(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) out[r] = v[std::size_t(order[r])];
  return out;
}
}  // namespace detail

/// The natural cubic smoothing spline g minimising
///   sum_i w_i (y_i - g(t_i))^2 + lambda * int g''(t)^2 dt
/// (SciPy make_smoothing_spline's sum convention; mean-form lambda_mean = lambda / n).
/// lambda = 0 interpolates; lambda = +infinity gives the weighted least-squares line. g is
/// linear outside [min t, max t]. Vector-valued data (values n x d) are fitted per column
/// with the same lambda. One site gives a constant, two the line through them.
/// Fitting costs O(n d) through a banded (pentadiagonal) factorisation; coefficients are
/// computed in at least double precision. Immutable after construction: const members are
/// safe to call from many threads at once.
template <class S>
class SmoothingSpline {
  using C = detail::compute_t<S>;

 public:
  using Scalar = S;

  /// sites: n distinct finite reals in any order (std::vector or Eigen vector); values: n x d;
  /// lambda >= 0 or +inf; weights: empty (all 1) or n positive values.
  template <class Sites, class Weights = std::vector<S>>
  SmoothingSpline(const Sites& sites, const Eigen::Ref<const RowMatrix<S>>& values, double lambda,
                  const Weights& weights = Weights())
      : sites_(Index(sites.size()), [&](Index i) { return sites[i]; }, "sites"),
        system_(sites_.sorted, detail::permuted(detail::checked_weights<C>(weights, sites_.size()), sites_.order),
                checked_lambda(lambda)),
        lambda_(lambda) {
    system_.fit(detail::values_by_rank(sites_, values), fitted_, second_derivatives_);
  }

  /// The fit at each point (any finite reals, any order): points.size() x d. Thread-safe.
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
    for (Index k = 0; k < Index(p.size()); ++k) {
      const auto s = system_.stencil(p[std::size_t(k)]);
      if (num_sites() == 1) {
        out.row(k) = fitted_.row(0).template cast<S>();
        continue;
      }
      out.row(k) = (s.e0 * fitted_.row(s.j) + s.e1 * fitted_.row(s.j + 1) + s.f0 * second_derivatives_.row(s.j) +
                    s.f1 * second_derivatives_.row(s.j + 1))
                       .template cast<S>();
    }
  }

  Index num_sites() const { return sites_.size(); }
  Index dimension() const { return fitted_.cols(); }
  double lambda() const { return lambda_; }
  /// Sites in ascending order.
  const std::vector<C>& sorted_sites() const { return sites_.sorted; }
  /// g at the sorted sites (n x d).
  const RowMatrix<C>& fitted_values() const { return fitted_; }
  /// g'' at the sorted sites (n x d; zero at both ends).
  const RowMatrix<C>& second_derivatives() const { return second_derivatives_; }

 private:
  static C checked_lambda(double lambda) {
    detail::check_lambda("lambda", lambda);
    return C(lambda);
  }

  detail::SortedSites<C> sites_;
  detail::ReinschSystem<C> system_;
  double lambda_;
  RowMatrix<C> fitted_, second_derivatives_;
};

/// The linear operator of the smoothing spline: M (points.size() x n, columns in the caller's
/// site order) such that SmoothingSpline(sites, Y, lambda).evaluate(points) == M * Y for every
/// Y. Costs O(n * points) (one banded solve per point), never a dense inverse. Thread-safe.
template <class Sites, class Points>
RowMatrix<double> spline_evaluation_matrix(const Sites& sites, const Points& points, double lambda) {
  detail::check_lambda("lambda", lambda);
  const detail::SortedSites<double> sorted(Index(sites.size()), [&](Index i) { return sites[i]; }, "sites");
  const std::vector<double> p = detail::checked_points<double>(points, "points");
  const detail::ReinschSystem<double> system(sorted.sorted, {}, lambda);
  return system.evaluation_matrix(p.data(), Index(p.size()), sorted.order.data());
}

NERCC_NAMESPACE_END
