// The baseline error locator of the Berrut code (after ApproxIFER's): per output coordinate, a
// rational least-squares fit P/Q whose denominator is small at the wrong answers, and a vote
// across coordinates. Kept to compare with robust/residual_detector.hpp, which the Decoder uses.
#pragma once

#include <nercc/config.hpp>
#include <nercc/robust/residual_detector.hpp>
#include <nercc/types.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// For each output coordinate m, the polynomials P (degree < K + E) and Q (degree E) in the
/// Chebyshev basis minimising sum_i (P(beta_i) - y_im Q(beta_i))^2 with |coefficients of Q| = 1
/// (the eigenvector of the smallest eigenvalue of A^T A, A = [T_j(beta_i), -y_im T_l(beta_i)]):
/// were y_im = P/Q exactly except at E answers, Q would vanish there (Berlekamp-Welch). The
/// coordinate votes for the E answers where |Q(beta_i)| is smallest; the E answers with most
/// votes are flagged, scores their share of the coordinates' votes. sites: the u answers'
/// worker points; rows[i]: answer i (d values); needs u >= K + 2E + 1. O(d u (K + 2E)^2).
/// Thread-safe (pure).
template <class S>
Detection locate_by_rational_fit(const std::vector<double>& sites, const S* const* rows, Index d, Index num_queries,
                                 Index max_adversaries) {
  const Index u = Index(sites.size()), e = max_adversaries, np = num_queries + e, nq = e + 1;
  Detection found;
  if (e < 1 || u < np + nq) return found;
  const Index basis = std::max(np, nq);
  Eigen::MatrixXd cheb(u, basis);  // T_j(beta_i)
  for (Index i = 0; i < u; ++i) {
    const double t = sites[std::size_t(i)];
    for (Index j = 0; j < basis; ++j)
      cheb(i, j) = j == 0 ? 1.0 : (j == 1 ? t : 2.0 * t * cheb(i, j - 1) - cheb(i, j - 2));
  }
  std::vector<double> votes(static_cast<std::size_t>(u), 0.0);
  std::vector<Index> order(static_cast<std::size_t>(u));
  Eigen::MatrixXd a(u, np + nq);
  a.leftCols(np) = cheb.leftCols(np);
  Eigen::VectorXd q_at(u);
  for (Index m = 0; m < d; ++m) {
    for (Index i = 0; i < u; ++i)
      for (Index l = 0; l < nq; ++l) a(i, np + l) = -double(rows[i][m]) * cheb(i, l);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a.transpose() * a);
    const Eigen::VectorXd q = eig.eigenvectors().col(0).tail(nq);
    q_at = cheb.leftCols(nq) * q;
    std::iota(order.begin(), order.end(), Index(0));
    std::partial_sort(order.begin(), order.begin() + e, order.end(),
                      [&](Index x, Index y) { return std::abs(q_at(x)) < std::abs(q_at(y)); });
    for (Index k = 0; k < e; ++k) votes[std::size_t(order[std::size_t(k)])] += 1.0;
  }
  std::iota(order.begin(), order.end(), Index(0));
  std::stable_sort(order.begin(), order.end(), [&](Index x, Index y) { return votes[std::size_t(x)] > votes[std::size_t(y)]; });
  for (Index k = 0; k < e; ++k) {
    found.flagged.push_back(order[std::size_t(k)]);
    found.scores.push_back(votes[std::size_t(order[std::size_t(k)])] / double(d));
  }
  return found;
}

}  // namespace robust
NERCC_NAMESPACE_END
