#include <nercc/berrut.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

using nercc::RowMatrix;

namespace {
std::vector<double> shuffled_sites(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> t(n);
  for (auto& x : t) x = u(g);
  return t;
}
RowMatrix<double> values_at(const std::vector<double>& t) {
  RowMatrix<double> y(Eigen::Index(t.size()), 2);
  for (std::size_t i = 0; i < t.size(); ++i) y.row(Eigen::Index(i)) << std::cos(2 * t[i]), t[i] * t[i] * t[i];
  return y;
}
}  // namespace

TEST_CASE("Berrut interpolates exactly at the sites", "[berrut]") {
  const auto t = shuffled_sites(16, 1);
  const auto y = values_at(t);
  CHECK((nercc::BerrutInterpolant<double>(t, y).evaluate(t) - y).cwiseAbs().maxCoeff() == 0.0);
  const std::vector<float> tf(t.begin(), t.end());
  const RowMatrix<float> yf = y.cast<float>();
  CHECK((nercc::BerrutInterpolant<float>(tf, yf).evaluate(tf) - yf).cwiseAbs().maxCoeff() == 0.0f);
}

TEST_CASE("Berrut signs follow the rank of the sites, not their given order", "[berrut]") {
  const auto t = shuffled_sites(10, 2);
  const auto y = values_at(t);
  std::vector<double> t2(t.rbegin(), t.rend());
  const RowMatrix<double> y2 = y.colwise().reverse();
  const std::vector<double> z{-0.95, -0.3, 0.01, 0.6, 1.5};
  const auto a = nercc::BerrutInterpolant<double>(t, y).evaluate(z);
  const auto b = nercc::BerrutInterpolant<double>(t2, y2).evaluate(z);
  CHECK((a - b).cwiseAbs().maxCoeff() == 0.0);
  // Reference: the textbook formula over the sorted sites.
  std::vector<std::size_t> order(t.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return t[i] < t[j]; });
  for (std::size_t k = 0; k < z.size(); ++k) {
    double num = 0, den = 0;
    for (std::size_t r = 0; r < order.size(); ++r) {
      const double w = (r % 2 ? -1.0 : 1.0) / (z[k] - t[order[r]]);
      num += w * y(Eigen::Index(order[r]), 0);
      den += w;
    }
    CHECK(a(Eigen::Index(k), 0) == Approx(num / den).epsilon(1e-13));
  }
}

TEST_CASE("Berrut has no poles on the real line and reproduces constants", "[berrut]") {
  const auto t = shuffled_sites(25, 3);
  RowMatrix<double> c = RowMatrix<double>::Constant(25, 1, 4.25);
  nercc::BerrutInterpolant<double> b(t, c);
  std::vector<double> z;
  for (int i = 0; i <= 4000; ++i) z.push_back(-1.5 + 3.0 * i / 4000.0);
  const auto v = b.evaluate(z);
  CHECK((v.array() - 4.25).abs().maxCoeff() < 1e-12);
  const auto w = nercc::BerrutInterpolant<double>(t, values_at(t)).evaluate(z);
  CHECK(w.allFinite());
  CHECK(w.cwiseAbs().maxCoeff() < 10.0);
}

TEST_CASE("Berrut operator matrix reproduces evaluate and its rows sum to one", "[berrut]") {
  const auto t = shuffled_sites(12, 4);
  const auto y = values_at(t);
  std::vector<double> z{-2.0, -0.5, 0.25, 0.9, 3.0};
  z.push_back(t[3]);
  const auto m = nercc::berrut_evaluation_matrix(t, z);
  CHECK((m * y - nercc::BerrutInterpolant<double>(t, y).evaluate(z)).cwiseAbs().maxCoeff() < 1e-13);
  CHECK((m.rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-13);
  CHECK(m(5, 3) == 1.0);
}

TEST_CASE("Berrut rejects bad input, naming the argument", "[berrut][errors]") {
  using Catch::Matchers::Contains;
  const RowMatrix<double> y = RowMatrix<double>::Ones(3, 1);
  CHECK_THROWS_WITH(nercc::BerrutInterpolant<double>(std::vector<double>{1, 2, 1}, y), Contains("sites repeats the site 1"));
  CHECK_THROWS_AS(nercc::BerrutInterpolant<double>(std::vector<double>{1, 2}, y), nercc::shape_mismatch);
  RowMatrix<double> bad = y;
  bad(1, 0) = NAN;
  CHECK_THROWS_AS(nercc::BerrutInterpolant<double>(std::vector<double>{1, 2, 3}, bad), nercc::non_finite_input);
  nercc::BerrutInterpolant<double> b(std::vector<double>{1, 2, 3}, y);
  CHECK_THROWS_WITH(b.evaluate(std::vector<double>{NAN}), Contains("points[0] (nan)"));
}
