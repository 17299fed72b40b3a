// The Reinsch formulation of the cubic smoothing spline: one banded factorisation per
// (sites, weights, lambda), reused for fits and for evaluation operators.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/pentadiagonal.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// Smoothing spline on ascending distinct sites t (n >= 1) with weights w and penalty lambda:
/// min sum_i w_i (y_i - g(t_i))^2 + lambda int g''^2. With Q, R as in Reinsch (1967), the
/// system is scaled as (s R + c Q^T W^-1 Q) z = Q^T y with gamma = s z and g = y - c W^-1 Q z:
/// (s, c) = (1, lambda) for lambda <= 1 and (1/lambda, 1) above, so large lambda never
/// overflows. lambda = +inf is the weighted least-squares line, computed in closed form (the
/// banded system would carry the O(n^4) conditioning of Q^T Q into an exactly known answer)
/// from the weighted means and the slope: its hat matrix H_ji = w_i (1/W + dt_j dt_i / Sxx) has
/// rank 2 and is never formed, so fits cost O(n d) and operators O(n p) as for finite lambda.
template <class C>
class ReinschSystem {
 public:
  /// Value of the fit at z as e0 g_j + e1 g_{j+1} + f0 gamma_j + f1 gamma_{j+1} (gamma = g'').
  struct Stencil {
    Index j;
    C e0, e1, f0, f1;
  };

  ReinschSystem(std::vector<C> sorted_sites, std::vector<C> weights, C lambda) : t_(std::move(sorted_sites)) {
    const std::size_t n = t_.size();
    w_inv_.assign(n, C(1));
    for (std::size_t i = 0; i < weights.size(); ++i) w_inv_[i] = C(1) / weights[i];
    if (n < 3) return;
    if (std::isinf(lambda)) {
      line_ = true;
      C wsum = 0, tw = 0;
      for (std::size_t i = 0; i < n; ++i) wsum += C(1) / w_inv_[i], tw += t_[i] / w_inv_[i];
      mean_ = tw / wsum;
      C sxx = 0;
      for (std::size_t i = 0; i < n; ++i) sxx += (t_[i] - mean_) * (t_[i] - mean_) / w_inv_[i];
      weight_sum_ = wsum, sxx_ = sxx;
      return;
    }
    if (lambda > C(1)) {
      s_ = C(1) / lambda, c_ = C(1);
    } else {
      s_ = C(1), c_ = lambda;
    }
    h_.resize(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) h_[i] = t_[i + 1] - t_[i];
    const std::size_t m = n - 2;
    qa_.resize(m), qb_.resize(m), qc_.resize(m);
    for (std::size_t c = 0; c < m; ++c) {
      qa_[c] = C(1) / h_[c];
      qc_[c] = C(1) / h_[c + 1];
      qb_[c] = -qa_[c] - qc_[c];
    }
    std::vector<C> a0(m), a1(m, C(0)), a2(m, C(0));
    const auto& wi = w_inv_;
    for (std::size_t c = 0; c < m; ++c) {
      a0[c] = s_ * (h_[c] + h_[c + 1]) / C(3) +
              c_ * (qa_[c] * qa_[c] * wi[c] + qb_[c] * qb_[c] * wi[c + 1] + qc_[c] * qc_[c] * wi[c + 2]);
      if (c + 1 < m)
        a1[c] = s_ * h_[c + 1] / C(6) + c_ * (qb_[c] * qa_[c + 1] * wi[c + 1] + qc_[c] * qb_[c + 1] * wi[c + 2]);
      if (c + 2 < m) a2[c] = c_ * qc_[c] * qa_[c + 2] * wi[c + 2];
    }
    ldlt_ = PentadiagonalLDLT<C>(a0, a1, a2);
  }

  /// Refinement steps in fit(): one takes clustered sites from ~1e-9 to ~5e-13 relative error
  /// (tests/fixtures); a second gains nothing, the residual's own rounding being the limit.
  static constexpr int refinement_steps = 1;

  Index size() const { return Index(t_.size()); }
  const std::vector<C>& sites() const { return t_; }

  /// Fits y (n x d, rows in ascending site order): fitted values g and second derivatives gamma.
  void fit(const RowMatrix<C>& y, RowMatrix<C>& g, RowMatrix<C>& gamma) const {
    const Index n = size();
    g = y;
    gamma.setZero(n, y.cols());
    if (n < 3) return;
    if (line_) {  // g = H y = weighted mean + (t - mean) * slope: O(n d), never the n x n H
      Eigen::Matrix<C, 1, Eigen::Dynamic> mean_y = Eigen::Matrix<C, 1, Eigen::Dynamic>::Zero(y.cols());
      Eigen::Matrix<C, 1, Eigen::Dynamic> slope = mean_y;
      for (Index i = 0; i < n; ++i) {
        const C w = C(1) / w_inv_[std::size_t(i)];
        mean_y += w * y.row(i);
        slope += (w * (t_[std::size_t(i)] - mean_) / sxx_) * y.row(i);
      }
      mean_y /= weight_sum_;
      for (Index j = 0; j < n; ++j) g.row(j) = mean_y + (t_[std::size_t(j)] - mean_) * slope;
      return;
    }
    RowMatrix<C> z(n - 2, y.cols());
    for (Index c = 0; c < n - 2; ++c)
      z.row(c) = qa_[std::size_t(c)] * y.row(c) + qb_[std::size_t(c)] * y.row(c + 1) + qc_[std::size_t(c)] * y.row(c + 2);
    ldlt_.solve_in_place(z);
    if (c_ != C(0)) add_q_times(z, -c_, true, g);
    // Iterative refinement on Q^T g = s R z: the back-substitution g = y - c W^-1 Q z amplifies
    // the error of z by 1/h on close sites; each correction reuses the factors (O(n d)).
    for (int step = 0; step < refinement_steps && c_ != C(0); ++step) {
      RowMatrix<C> r(n - 2, y.cols());
      for (Index c = 0; c < n - 2; ++c) {
        const std::size_t cu = std::size_t(c);
        r.row(c) = qa_[cu] * g.row(c) + qb_[cu] * g.row(c + 1) + qc_[cu] * g.row(c + 2) -
                   s_ * (h_[cu] + h_[cu + 1]) / C(3) * z.row(c);
        if (c > 0) r.row(c) -= s_ * h_[cu] / C(6) * z.row(c - 1);
        if (c + 1 < n - 2) r.row(c) -= s_ * h_[cu + 1] / C(6) * z.row(c + 1);
      }
      ldlt_.solve_in_place(r);
      z += r;
      add_q_times(r, -c_, true, g);
    }
    gamma.middleRows(1, n - 2) = s_ * z;
  }

  /// Where z falls and how the fit's value there combines g and gamma. Linear outside the sites.
  Stencil stencil(C z) const {
    const Index n = size();
    if (n == 1) return {0, C(1), C(0), C(0), C(0)};
    const Index last = n - 2;  // index of the last interval
    if (z < t_.front()) {
      const C h = t_[1] - t_[0], dz = z - t_[0];
      return {0, C(1) - dz / h, dz / h, C(0), -dz * h / C(6)};
    }
    if (z > t_.back()) {
      const C h = t_[std::size_t(n - 1)] - t_[std::size_t(n - 2)], dz = z - t_.back();
      return {last, -dz / h, C(1) + dz / h, dz * h / C(6), C(0)};
    }
    Index j = Index(std::upper_bound(t_.begin(), t_.end(), z) - t_.begin()) - 1;
    j = std::min(j, last);
    const C h = t_[std::size_t(j + 1)] - t_[std::size_t(j)];
    const C a = z - t_[std::size_t(j)], b = t_[std::size_t(j + 1)] - z;
    const C ab6 = a * b / C(6);
    return {j, b / h, a / h, -ab6 * (C(1) + b / h), -ab6 * (C(1) + a / h)};
  }

  /// M (p x n) with fit(y) evaluated at the points = M y; column j of the sorted sites lands in
  /// column[j] (ascending site order when column is null). Each row is e + Q A^-1 u with
  /// u = s f - c Q^T W^-1 e (the adjoint of the fit): O(n p).
  RowMatrix<C> evaluation_matrix(const C* points, Index p, const Index* column = nullptr) const {
    const Index n = size();
    const auto col = [column](Index j) { return column ? column[j] : j; };
    RowMatrix<C> m = RowMatrix<C>::Zero(p, n);
    std::vector<Stencil> st(static_cast<std::size_t>(p));
    for (Index k = 0; k < p; ++k) {
      st[std::size_t(k)] = stencil(points[k]);
      const Stencil& s = st[std::size_t(k)];
      m(k, col(s.j)) += s.e0;
      if (n > 1) m(k, col(s.j + 1)) += s.e1;
    }
    if (n < 3) return m;
    if (line_) {  // the stencil's two rows of the rank-2 hat matrix H: O(n p), never n x n
      for (Index k = 0; k < p; ++k) {
        const Stencil& s = st[std::size_t(k)];
        const C level = (s.e0 + s.e1) / weight_sum_;
        const C tilt = (s.e0 * (t_[std::size_t(s.j)] - mean_) + s.e1 * (t_[std::size_t(s.j + 1)] - mean_)) / sxx_;
        for (Index i = 0; i < n; ++i)
          m(k, col(i)) = (level + tilt * (t_[std::size_t(i)] - mean_)) / w_inv_[std::size_t(i)];
      }
      return m;
    }
    const Index mi = n - 2;
    RowMatrix<C> u = RowMatrix<C>::Zero(mi, p);  // column k: right-hand side for point k
    for (Index k = 0; k < p; ++k) {
      const Stencil& s = st[std::size_t(k)];
      add_interior(u, s.j, k, s_ * s.f0);
      add_interior(u, s.j + 1, k, s_ * s.f1);
      if (c_ != C(0)) {
        add_qt_unit(u, s.j, k, -c_ * s.e0 * w_inv_[std::size_t(s.j)]);
        add_qt_unit(u, s.j + 1, k, -c_ * s.e1 * w_inv_[std::size_t(s.j + 1)]);
      }
    }
    ldlt_.solve_in_place(u);
    if (c_ != C(0)) refine_adjoint(st, u);
    // m(k, j) += (Q u)(j, k): the three terms of row j of Q, formed across all points at once.
    std::vector<C> v(static_cast<std::size_t>(p));
    for (Index j = 0; j < n; ++j) {
      const Index first = std::max(Index(0), j - 2), last = std::min(mi - 1, j);
      const C* r = u.data() + first * p;
      const C q0 = q_entry(j, first);
      for (Index k = 0; k < p; ++k) v[std::size_t(k)] = q0 * r[k];
      for (Index c = first + 1; c <= last; ++c) {
        r = u.data() + c * p;
        const C qc = q_entry(j, c);
        for (Index k = 0; k < p; ++k) v[std::size_t(k)] += qc * r[k];
      }
      C* out = m.data() + col(j);
      for (Index k = 0; k < p; ++k) out[k * n] += v[std::size_t(k)];
    }
    return m;
  }

 private:
  // One step of iterative refinement of v = A^-1 u0, the mirror of the one in fit(): the
  // residual is taken from the operator's rows e + Q v (sorted sites, one column per point),
  // s f - s R v - c Q^T W^-1 (e + Q v), so close sites do not amplify the error of v.
  void refine_adjoint(const std::vector<Stencil>& st, RowMatrix<C>& v) const {
    const Index n = size(), mi = n - 2, p = v.cols();
    // Raw rows of p values: this runs for every never-seen answered set, and Eigen's
    // dynamic-size row expressions cost more than their arithmetic at these sizes.
    RowMatrix<C> rows = RowMatrix<C>::Zero(n, p);
    for (Index c = 0; c < mi; ++c) {
      const std::size_t cu = std::size_t(c);
      const C a = qa_[cu], b = qb_[cu], q = qc_[cu];
      const C* vc = v.data() + c * p;
      C* r0 = rows.data() + c * p;
      C* r1 = r0 + p;
      C* r2 = r1 + p;
      for (Index k = 0; k < p; ++k) r0[k] += a * vc[k];
      for (Index k = 0; k < p; ++k) r1[k] += b * vc[k];
      for (Index k = 0; k < p; ++k) r2[k] += q * vc[k];
    }
    for (Index k = 0; k < p; ++k) {
      rows(st[std::size_t(k)].j, k) += st[std::size_t(k)].e0;
      rows(st[std::size_t(k)].j + 1, k) += st[std::size_t(k)].e1;
    }
    RowMatrix<C> r = RowMatrix<C>::Zero(mi, p);
    for (Index k = 0; k < p; ++k) {
      add_interior(r, st[std::size_t(k)].j, k, s_ * st[std::size_t(k)].f0);
      add_interior(r, st[std::size_t(k)].j + 1, k, s_ * st[std::size_t(k)].f1);
    }
    for (Index c = 0; c < mi; ++c) {
      const std::size_t cu = std::size_t(c);
      const C a = qa_[cu] * w_inv_[cu], b = qb_[cu] * w_inv_[cu + 1], q = qc_[cu] * w_inv_[cu + 2];
      const C diag = s_ * (h_[cu] + h_[cu + 1]) / C(3);
      const C below = c > 0 ? s_ * h_[cu] / C(6) : C(0), above = c + 1 < mi ? s_ * h_[cu + 1] / C(6) : C(0);
      const C* g0 = rows.data() + c * p;
      const C* g1 = g0 + p;
      const C* g2 = g1 + p;
      const C* vc = v.data() + c * p;
      const C* vb = c > 0 ? vc - p : vc;  // weight 0 at the ends
      const C* va = c + 1 < mi ? vc + p : vc;
      C* rc = r.data() + c * p;
      for (Index k = 0; k < p; ++k)
        rc[k] = (((rc[k] - c_ * (a * g0[k] + b * g1[k] + q * g2[k])) - diag * vc[k]) - below * vb[k]) - above * va[k];
    }
    ldlt_.solve_in_place(r);
    v += r;
  }

  // out += scale * Q z, or scale * W^-1 Q z  (z: (n-2) x k, out: n x k)
  void add_q_times(const RowMatrix<C>& z, C scale, bool w_inverse, RowMatrix<C>& out) const {
    for (Index c = 0; c < z.rows(); ++c) {
      const std::size_t cu = std::size_t(c);
      const auto wi = [&](std::size_t i) { return w_inverse ? w_inv_[i] : C(1); };
      out.row(c) += (scale * qa_[cu] * wi(cu)) * z.row(c);
      out.row(c + 1) += (scale * qb_[cu] * wi(cu + 1)) * z.row(c);
      out.row(c + 2) += (scale * qc_[cu] * wi(cu + 2)) * z.row(c);
    }
  }
  // Q(j, c) for |j - c - 1| <= 1 (column c of Q belongs to interior knot c + 1).
  C q_entry(Index j, Index c) const {
    const std::size_t cu = std::size_t(c);
    return j == c ? qa_[cu] : (j == c + 1 ? qb_[cu] : qc_[cu]);
  }
  // u(knot - 1, col) += v for an interior knot (gamma vanishes at the end knots).
  static void add_interior(RowMatrix<C>& u, Index knot, Index col, C v) {
    if (knot >= 1 && knot <= u.rows()) u(knot - 1, col) += v;
  }
  // u(:, col) += v * Q^T e_knot
  void add_qt_unit(RowMatrix<C>& u, Index knot, Index col, C v) const {
    const Index mi = u.rows();
    if (knot < mi) u(knot, col) += v * qa_[std::size_t(knot)];
    if (knot - 1 >= 0 && knot - 1 < mi) u(knot - 1, col) += v * qb_[std::size_t(knot - 1)];
    if (knot - 2 >= 0 && knot - 2 < mi) u(knot - 2, col) += v * qc_[std::size_t(knot - 2)];
  }

  std::vector<C> t_, h_, w_inv_, qa_, qb_, qc_;
  C s_ = C(1), c_ = C(0);
  bool line_ = false;
  C mean_ = 0, weight_sum_ = 0, sxx_ = 0;
  PentadiagonalLDLT<C> ldlt_;
};

}  // namespace detail
NERCC_NAMESPACE_END
