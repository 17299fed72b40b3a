// The linear operator of each regression scheme: values at `sites` -> values at `points`.
// Encoder and Decoder call fit_matrix(Scheme{}, ...); a new regression scheme adds its overload.
#pragma once

#include <nercc/berrut.hpp>
#include <nercc/config.hpp>
#include <nercc/schemes.hpp>
#include <nercc/smoothing_spline.hpp>
#include <nercc/types.hpp>

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

}  // namespace detail
NERCC_NAMESPACE_END
