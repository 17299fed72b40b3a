// Against the independent references in tests/fixtures (scripts/make_fixtures.py): exact
// rational arithmetic, rounded to double, and SciPy's make_smoothing_spline.
#include <nercc/berrut.hpp>
#include <nercc/smoothing_spline.hpp>

#include <catch2/catch.hpp>

#include "fixtures.hpp"

#include <algorithm>
#include <cstdio>

using nercc::RowMatrix;
using nercc_test::FixtureCase;
using nercc_test::read_fixtures;
using nercc_test::relative_difference;

namespace {
RowMatrix<double> spline_values(const FixtureCase& c) {
  return nercc::SmoothingSpline<double>(c.sites, c.values_matrix(), c.lambda, c.weights).evaluate(c.points);
}
template <class S, class From>
std::vector<S> as(const std::vector<From>& v) {
  return std::vector<S>(v.begin(), v.end());
}
}  // namespace

TEST_CASE("smoothing spline matches the exact-arithmetic reference", "[spline][fixtures]") {
  double worst = 0, worst_operator = 0, worst_float = 0;
  std::string worst_case;
  int checked = 0;
  for (const auto& c : read_fixtures("spline_cases.txt")) {
    if (c.reference != "exact") continue;
    INFO("case " << c.name);
    // Rounding level, or (large n and lambda, where the data's own conditioning shows) at least
    // a thousand times closer to the exact values than SciPy is.
    const double scipy_error = c.scipy.empty() ? 0.0 : relative_difference(c.scipy_matrix(), c.expected_matrix());
    const double bound = std::max(1e-12, scipy_error / 1000);
    const double rel = relative_difference(spline_values(c), c.expected_matrix());
    CHECK(rel < bound);
    if (rel > worst) worst = rel, worst_case = c.name;
    if (!c.weighted) {
      const auto m = nercc::spline_evaluation_matrix(c.sites, c.points, c.lambda);
      const double op = relative_difference(m * c.values_matrix(), c.expected_matrix());
      CHECK(op < bound);
      worst_operator = std::max(worst_operator, op);
    }
    const RowMatrix<float> vf = nercc::SmoothingSpline<float>(as<float>(c.sites), c.values_matrix().cast<float>(), c.lambda,
                                                              as<float>(c.weights))
                                    .evaluate(as<float>(c.points));
    // Float data are rounded before the fit, so compare with the double fit of the rounded data.
    const RowMatrix<double> rounded =
        nercc::SmoothingSpline<double>(as<double>(as<float>(c.sites)), c.values_matrix().cast<float>().cast<double>(),
                                       c.lambda, as<double>(as<float>(c.weights)))
            .evaluate(as<double>(as<float>(c.points)));
    const double fl = relative_difference(vf.cast<double>(), rounded);
    CHECK(fl < 1e-6);
    worst_float = std::max(worst_float, fl);
    ++checked;
  }
  CHECK(checked > 200);
  std::printf("spline vs exact reference: %d cases, largest relative difference %.3g (%s), operator %.3g, float %.3g\n",
              checked, worst, worst_case.c_str(), worst_operator, worst_float);
}

TEST_CASE("smoothing spline matches SciPy's make_smoothing_spline", "[spline][fixtures]") {
  double worst = 0;
  int checked = 0;
  for (const auto& c : read_fixtures("spline_cases.txt")) {
    const auto& ref = c.reference == "scipy" ? c.expected : c.scipy;
    if (ref.empty()) continue;
    INFO("case " << c.name);
    const double rel = relative_difference(spline_values(c), FixtureCase::matrix(ref, c.p, c.d));
    // SciPy's own distance to the exact values bounds what agreement can mean here.
    const double scipy_error = c.reference == "exact"
                                   ? relative_difference(c.scipy_matrix(), c.expected_matrix())
                                   : 0.0;
    CHECK(rel < std::max(1e-9, 2 * scipy_error));
    worst = std::max(worst, rel);
    ++checked;
  }
  CHECK(checked > 50);
  std::printf("spline vs SciPy: %d cases, largest relative difference %.3g\n", checked, worst);
}

TEST_CASE("Berrut interpolant matches the exact-arithmetic reference", "[berrut][fixtures]") {
  double worst = 0, worst_operator = 0;
  int checked = 0;
  for (const auto& c : read_fixtures("berrut_cases.txt")) {
    INFO("case " << c.name);
    const double rel =
        relative_difference(nercc::BerrutInterpolant<double>(c.sites, c.values_matrix()).evaluate(c.points), c.expected_matrix());
    CHECK(rel < 1e-13);
    const double op = relative_difference(nercc::berrut_evaluation_matrix(c.sites, c.points) * c.values_matrix(),
                                          c.expected_matrix());
    CHECK(op < 1e-13);
    worst = std::max(worst, rel);
    worst_operator = std::max(worst_operator, op);
    ++checked;
  }
  CHECK(checked > 10);
  std::printf("Berrut vs exact reference: %d cases, largest relative difference %.3g, operator %.3g\n", checked, worst,
              worst_operator);
}
