#include <nercc/smoothing_spline.hpp>

#include <Eigen/QR>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using nercc::RowMatrix;

namespace {
std::vector<double> random_sites(std::size_t n, std::uint32_t seed, double lo = -1, double hi = 1) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> t(n);
  for (auto& x : t) x = u(g);
  return t;
}
// Sorted-free, well-separated sites: an equispaced grid on [-1, 1], jittered and shuffled.
std::vector<double> spread_sites(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = -1.0 + (2.0 * double(i) + 1.0 + jitter(g)) / double(n);
  std::shuffle(t.begin(), t.end(), g);
  return t;
}
RowMatrix<double> smooth_values(const std::vector<double>& t) {
  RowMatrix<double> y(Eigen::Index(t.size()), 2);
  for (std::size_t i = 0; i < t.size(); ++i) y.row(Eigen::Index(i)) << std::sin(3 * t[i]), std::exp(t[i]) - t[i] * t[i];
  return y;
}
// Weighted least-squares line through (t, y), evaluated at z.
RowMatrix<double> ls_line(const std::vector<double>& t, const RowMatrix<double>& y, const std::vector<double>& z) {
  Eigen::MatrixXd a(Eigen::Index(t.size()), 2);
  for (std::size_t i = 0; i < t.size(); ++i) a.row(Eigen::Index(i)) << 1.0, t[i];
  const Eigen::MatrixXd coef = a.colPivHouseholderQr().solve(Eigen::MatrixXd(y));
  RowMatrix<double> out(Eigen::Index(z.size()), y.cols());
  for (std::size_t i = 0; i < z.size(); ++i) out.row(Eigen::Index(i)) = coef.row(0) + z[i] * coef.row(1);
  return out;
}
const double inf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("spline with lambda = 0 interpolates the data", "[spline]") {
  for (std::size_t n : {3u, 4u, 10u, 57u}) {
    const auto t = random_sites(n, 7u + std::uint32_t(n));
    const auto y = smooth_values(t);
    nercc::SmoothingSpline<double> s(t, y, 0.0);
    CHECK((s.evaluate(t) - y).cwiseAbs().maxCoeff() < 1e-13);
  }
}

TEST_CASE("spline reproduces linear data for every lambda", "[spline]") {
  const auto t = random_sites(12, 3);
  RowMatrix<double> y(12, 1);
  for (int i = 0; i < 12; ++i) y(i, 0) = 2.5 - 1.75 * t[std::size_t(i)];
  const std::vector<double> z{-3.0, -1.0, -0.2, 0.0, 0.4, 1.0, 4.0};
  for (double lambda : {0.0, 1e-6, 1e-2, 1.0, 1e3, 1e9, inf}) {
    nercc::SmoothingSpline<double> s(t, y, lambda);
    const auto v = s.evaluate(z);
    for (std::size_t i = 0; i < z.size(); ++i) CHECK(v(Eigen::Index(i), 0) == Approx(2.5 - 1.75 * z[i]).margin(1e-12));
  }
}

TEST_CASE("spline tends to the least-squares line as lambda grows, and reaches it at infinity", "[spline]") {
  const auto t = spread_sites(30, 11);
  const auto y = smooth_values(t);
  const std::vector<double> z{-2.0, -0.5, 0.1, 0.9, 2.0};
  const auto line = ls_line(t, y, z);
  CHECK((nercc::SmoothingSpline<double>(t, y, inf).evaluate(z) - line).cwiseAbs().maxCoeff() < 1e-13);
  double previous = inf;
  for (double lambda : {1e2, 1e4, 1e6, 1e8, 1e10, 1e14}) {
    const double err = (nercc::SmoothingSpline<double>(t, y, lambda).evaluate(z) - line).cwiseAbs().maxCoeff();
    CHECK(std::isfinite(err));
    CHECK(err < previous);
    previous = err;
  }
  CHECK(previous < 1e-9);
}

TEST_CASE("spline is natural: zero curvature at the ends, linear outside", "[spline]") {
  const auto t = random_sites(15, 5);
  const auto y = smooth_values(t);
  for (double lambda : {0.0, 0.01, 10.0}) {
    nercc::SmoothingSpline<double> s(t, y, lambda);
    CHECK(s.second_derivatives().row(0).isZero(0.0));
    CHECK(s.second_derivatives().row(14).isZero(0.0));
    const double lo = s.sorted_sites().front(), hi = s.sorted_sites().back();
    // Equal steps outside give equal increments (linear extension).
    const auto left = s.evaluate(std::vector<double>{lo - 2, lo - 1, lo});
    const auto right = s.evaluate(std::vector<double>{hi, hi + 1, hi + 2});
    CHECK(((left.row(1) - left.row(0)) - (left.row(2) - left.row(1))).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(((right.row(1) - right.row(0)) - (right.row(2) - right.row(1))).cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("spline is continuous with continuous slope at the sites", "[spline]") {
  const auto t = random_sites(9, 21);
  const auto y = smooth_values(t);
  nercc::SmoothingSpline<double> s(t, y, 0.05);
  const double e = 1e-7;
  for (double site : s.sorted_sites()) {
    const auto v = s.evaluate(std::vector<double>{site - 2 * e, site - e, site, site + e, site + 2 * e});
    CHECK((v.row(1) - v.row(3)).cwiseAbs().maxCoeff() < 1e-5);
    const auto left_slope = (v.row(1) - v.row(0)) / e, right_slope = (v.row(4) - v.row(3)) / e;
    CHECK((left_slope - right_slope).cwiseAbs().maxCoeff() < 1e-4);
  }
}

TEST_CASE("spline does not depend on the order of the sites", "[spline]") {
  auto t = random_sites(20, 2);
  auto y = smooth_values(t);
  const std::vector<double> z{-1.5, -0.3, 0.2, 0.77, 1.2};
  const auto a = nercc::SmoothingSpline<double>(t, y, 0.01).evaluate(z);
  std::vector<double> t2(t.rbegin(), t.rend());
  RowMatrix<double> y2 = y.colwise().reverse();
  const auto b = nercc::SmoothingSpline<double>(t2, y2, 0.01).evaluate(z);
  CHECK((a - b).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("spline weights: scaling all weights and lambda together changes nothing", "[spline]") {
  const auto t = spread_sites(25, 8);
  const auto y = smooth_values(t);
  std::vector<double> w(25);
  std::mt19937 g(4);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  for (auto& x : w) x = u(g);
  std::vector<double> w3(w);
  for (auto& x : w3) x *= 3.0;
  const std::vector<double> z{-1.2, -0.1, 0.3, 1.3};
  const auto a = nercc::SmoothingSpline<double>(t, y, 0.02, w).evaluate(z);
  const auto b = nercc::SmoothingSpline<double>(t, y, 0.06, w3).evaluate(z);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-13);
  // A heavier weight pulls the fit towards that point.
  std::vector<double> heavy(25, 1.0);
  heavy[5] = 1e6;
  const double pulled = nercc::SmoothingSpline<double>(t, y, 1.0, heavy).evaluate(std::vector<double>{t[5]})(0, 0);
  const double free = nercc::SmoothingSpline<double>(t, y, 1.0).evaluate(std::vector<double>{t[5]})(0, 0);
  CHECK(std::abs(pulled - y(5, 0)) < std::abs(free - y(5, 0)));
  CHECK(std::abs(pulled - y(5, 0)) < 1e-4);
}

TEST_CASE("spline operator matrix reproduces evaluate for any data", "[spline]") {
  const auto t = spread_sites(18, 9);
  const auto y = smooth_values(t);
  const std::vector<double> z{-1.7, -1.0, -0.5, 0.0, 0.33, 0.99, 1.0, 2.2};
  for (double lambda : {0.0, 1e-3, 1.0, 1e6, inf}) {
    const auto m = nercc::spline_evaluation_matrix(t, z, lambda);
    REQUIRE(m.rows() == 8);
    REQUIRE(m.cols() == 18);
    const auto v = nercc::SmoothingSpline<double>(t, y, lambda).evaluate(z);
    CHECK((m * y - v).cwiseAbs().maxCoeff() < 1e-13);
    // Every row sums to one: constants are reproduced.
    CHECK((m.rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-13);
  }
}

TEST_CASE("spline on one and two sites: a constant and a line", "[spline]") {
  RowMatrix<double> one(1, 2);
  one << 3.0, -1.0;
  const auto c = nercc::SmoothingSpline<double>(std::vector<double>{0.4}, one, 1.0).evaluate(std::vector<double>{-5, 0.4, 9});
  for (int i = 0; i < 3; ++i) CHECK(c.row(i) == one.row(0));
  RowMatrix<double> two(2, 1);
  two << 1.0, 3.0;
  const auto l = nercc::SmoothingSpline<double>(std::vector<double>{1.0, 0.0}, two, 0.5).evaluate(std::vector<double>{-1, 0.25, 2});
  CHECK(l(0, 0) == Approx(5.0));
  CHECK(l(1, 0) == Approx(2.5));
  CHECK(l(2, 0) == Approx(-1.0));
}

TEST_CASE("float spline agrees with double to float precision", "[spline]") {
  const auto t = random_sites(40, 13);
  const auto y = smooth_values(t);
  std::vector<float> tf(t.begin(), t.end());
  const RowMatrix<float> yf = y.cast<float>();
  const std::vector<float> zf{-1.1f, -0.2f, 0.5f, 1.4f};
  const std::vector<double> z(zf.begin(), zf.end());
  const auto a = nercc::SmoothingSpline<float>(tf, yf, 0.01).evaluate(zf);
  const auto b = nercc::SmoothingSpline<double>(std::vector<double>(tf.begin(), tf.end()), yf.cast<double>(), 0.01).evaluate(z);
  CHECK((a.cast<double>() - b).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("spline fit is stable for many sites", "[spline]") {
  std::vector<double> t(20000);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = -1.0 + 2.0 * double(i) / double(t.size() - 1);
  const auto y = smooth_values(t);
  for (double lambda : {0.0, 1e-8, 1.0}) {
    nercc::SmoothingSpline<double> s(t, y, lambda);
    const auto v = s.evaluate(std::vector<double>{-0.123456, 0.5, 0.987654});
    CHECK(v.allFinite());
    CHECK(std::abs(v(1, 0) - std::sin(1.5)) < (lambda == 1.0 ? 0.2 : 1e-9));
  }
}

TEST_CASE("spline rejects bad input, naming the argument and the value", "[spline][errors]") {
  RowMatrix<double> y3 = RowMatrix<double>::Ones(3, 1);
  const std::vector<double> t3{0.0, 0.5, 1.0};
  using Catch::Matchers::Contains;
  CHECK_THROWS_AS(nercc::SmoothingSpline<double>(std::vector<double>{}, RowMatrix<double>(0, 1), 0.0), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(std::vector<double>{0.0, 0.5, 0.5}, y3, 0.0),
                    Contains("sites repeats the site 0.5"));
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(std::vector<double>{0.0, NAN, 0.5}, y3, 0.0),
                    Contains("sites[1] (nan) is not finite"));
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(t3, y3, -1.0), Contains("lambda (-1) must be >= 0"));
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(t3, y3, NAN), Contains("lambda (nan)"));
  CHECK_THROWS_AS(nercc::SmoothingSpline<double>(t3, RowMatrix<double>::Ones(4, 1), 0.0), nercc::shape_mismatch);
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(t3, RowMatrix<double>::Ones(4, 1), 0.0),
                    Contains("values has 4 rows, expected one per site (3)"));
  RowMatrix<double> bad = y3;
  bad(2, 0) = INFINITY;
  CHECK_THROWS_AS(nercc::SmoothingSpline<double>(t3, bad, 0.0), nercc::non_finite_input);
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(t3, bad, 0.0), Contains("values row 2"));
  CHECK_THROWS_WITH(nercc::SmoothingSpline<double>(t3, y3, 0.0, std::vector<double>{1.0, 0.0, 1.0}),
                    Contains("weights[1] (0) must be finite and > 0"));
  CHECK_THROWS_AS(nercc::SmoothingSpline<double>(t3, y3, 0.0, std::vector<double>{1.0, 1.0}), nercc::shape_mismatch);
  nercc::SmoothingSpline<double> s(t3, y3, 0.0);
  CHECK_THROWS_WITH(s.evaluate(std::vector<double>{0.1, INFINITY}), Contains("points[1] (inf) is not finite"));
  CHECK_THROWS_WITH(nercc::spline_evaluation_matrix(t3, std::vector<double>{0.0}, -2.0), Contains("lambda (-2)"));
  CHECK_THROWS_WITH(nercc::spline_evaluation_matrix(t3, std::vector<double>{NAN}, 0.0), Contains("points[0]"));
}
