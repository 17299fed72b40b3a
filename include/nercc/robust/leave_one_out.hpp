// The leave-one-out check matrix of a regression code: what each answer disagrees with the
// code's fit through the other answers. The mechanism the Byzantine detector works on.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/fit_matrix.hpp>
#include <nercc/types.hpp>

#include <vector>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// C (u x u) for the sites of u answers (any order, distinct, u >= 2): row i is e_i - l_i, l_i
/// the row of the scheme's fit through the other u - 1 sites evaluated at site i (the spline
/// with `lambda`, Berrut's interpolant). So (C Y)_i = y_i - (prediction of y_i from the rest):
/// the leave-one-out residuals. For answers that are samples of one smooth curve, C Y is the
/// code's approximation error (small); an error vector e added to answer a shows up as e times
/// column a of C, spread over the answers whose fits used it. Like a parity check, C Y depends
/// on the errors and the approximation error alone, not on the data. O(u^2) for the spline (u
/// banded solves of size u) and Berrut. Thread-safe (pure).
template <class Scheme>
RowMatrix<double> leave_one_out_matrix(Scheme scheme, const std::vector<double>& sites, double lambda) {
  const Index u = Index(sites.size());
  RowMatrix<double> c = RowMatrix<double>::Identity(u, u);
  std::vector<double> others(std::size_t(u - 1));
  for (Index i = 0; i < u; ++i) {
    for (Index j = 0, o = 0; j < u; ++j)
      if (j != i) others[std::size_t(o++)] = sites[std::size_t(j)];
    const std::vector<double> at{sites[std::size_t(i)]};
    const RowMatrix<double> l = detail::fit_matrix(scheme, others, at, lambda);
    for (Index j = 0, o = 0; j < u; ++j)
      if (j != i) c(i, j) = -l(0, o++);
  }
  return c;
}

}  // namespace robust
NERCC_NAMESPACE_END
