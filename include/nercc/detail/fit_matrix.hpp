// The linear operator of each regression scheme: values at `sites` -> values at `points`.
// Encoder and Decoder call fit_matrix(Scheme{}, ...); a new regression scheme adds its overload.
#pragma once

#include <nercc/berrut.hpp>
#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/schemes.hpp>
#include <nercc/smoothing_spline.hpp>
#include <nercc/types.hpp>

#include <cmath>

NERCC_NAMESPACE_BEGIN
namespace detail {

template <class Sites, class Points>
RowMatrix<double> fit_matrix(SplineScheme, const Sites& sites, const Points& points, double lambda) {
  return spline_evaluation_matrix(sites, points, lambda);
}

template <class Sites, class Points>
RowMatrix<double> fit_matrix(BerrutScheme, const Sites& sites, const Points& points, double /*lambda*/) {
  return berrut_evaluation_matrix(sites, points);
}

/// fit_matrix as S, checked once when built: points that pass CodeParams::validate can still
/// be close enough across the two sets (a worker point a denormal away from a query point) or
/// give entries too large for S, and a non-finite entry would turn finite data into NaN rows.
/// Throws nercc::invalid_argument naming `what` (the encoding or decoding matrix), the entry
/// and the point sets.
template <class S, class Scheme, class Sites, class Points>
RowMatrix<S> checked_fit_matrix(Scheme scheme, const Sites& sites, const Points& points, double lambda,
                                const char* what) {
  RowMatrix<S> m = fit_matrix(scheme, sites, points, lambda).template cast<S>();
  if (m.allFinite()) return m;
  for (Index r = 0; r < m.rows(); ++r)
    for (Index c = 0; c < m.cols(); ++c)
      if (!std::isfinite(m(r, c)))
        throw invalid_argument(message("the ", what, " of ", Scheme::name, " has a non-finite entry (", m(r, c),
                                       ") at (", r, ", ", c, "): query_points and worker_points lie too close to ",
                                       "each other for this arithmetic; spread them apart"));
  return m;
}

}  // namespace detail
NERCC_NAMESPACE_END
