// LDL^T factorisation of a symmetric positive definite pentadiagonal matrix, O(m) to factor
// and O(m * columns) to solve.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// A = L D L^T with L unit lower triangular of bandwidth 2. Built from the three upper bands of
/// A: a0[i] = A(i,i), a1[i] = A(i,i+1), a2[i] = A(i,i+2).
template <class C>
class PentadiagonalLDLT {
 public:
  PentadiagonalLDLT() = default;
  PentadiagonalLDLT(const std::vector<C>& a0, const std::vector<C>& a1, const std::vector<C>& a2) {
    const std::size_t m = a0.size();
    d_.resize(m);
    l1_.assign(m, C(0));
    l2_.assign(m, C(0));
    for (std::size_t i = 0; i < m; ++i) {
      C di = a0[i];
      if (i >= 1) di -= l1_[i - 1] * l1_[i - 1] * d_[i - 1];
      if (i >= 2) di -= l2_[i - 2] * l2_[i - 2] * d_[i - 2];
      d_[i] = di;
      if (i + 1 < m) {
        C off = a1[i];
        if (i >= 1) off -= l2_[i - 1] * l1_[i - 1] * d_[i - 1];
        l1_[i] = off / di;
      }
      if (i + 2 < m) l2_[i] = a2[i] / di;
    }
    d_inv_.resize(m);
    for (std::size_t i = 0; i < m; ++i) d_inv_[i] = C(1) / d_[i];
  }

  std::size_t size() const { return d_.size(); }

  /// Solves A X = B in place; B is m x k, one right-hand side per column. Works on raw rows
  /// so the column loops vectorise.
  void solve_in_place(RowMatrix<C>& b) const {
    const Index m = Index(d_.size()), k = b.cols();
    C* x = b.data();
    for (Index i = 1; i < m; ++i) {
      C* r = x + i * k;
      const C* r1 = r - k;
      const C l1 = l1_[std::size_t(i - 1)];
      if (i >= 2) {
        const C* r2 = r - 2 * k;
        const C l2 = l2_[std::size_t(i - 2)];
        for (Index j = 0; j < k; ++j) r[j] = (r[j] - l1 * r1[j]) - l2 * r2[j];
      } else {
        for (Index j = 0; j < k; ++j) r[j] -= l1 * r1[j];
      }
    }
    for (Index i = 0; i < m; ++i) {
      C* r = x + i * k;
      const C di = d_inv_[std::size_t(i)];
      for (Index j = 0; j < k; ++j) r[j] *= di;
    }
    for (Index i = m - 2; i >= 0; --i) {
      C* r = x + i * k;
      const C* r1 = r + k;
      const C l1 = l1_[std::size_t(i)];
      if (i + 2 < m) {
        const C* r2 = r + 2 * k;
        const C l2 = l2_[std::size_t(i)];
        for (Index j = 0; j < k; ++j) r[j] = (r[j] - l1 * r1[j]) - l2 * r2[j];
      } else {
        for (Index j = 0; j < k; ++j) r[j] -= l1 * r1[j];
      }
    }
  }

 private:
  std::vector<C> d_, l1_, l2_, d_inv_;  // solves multiply by d_inv_: a division costs several products
};

}  // namespace detail
NERCC_NAMESPACE_END
