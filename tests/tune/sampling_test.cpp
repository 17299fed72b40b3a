// The sampling and statistics helpers of <nercc/tune/sampling.hpp> on small known cases.
#include <nercc/tune/params.hpp>
#include <nercc/tune/sampling.hpp>

// Both headers are documented as standard-library only (no Eigen).
#ifdef EIGEN_WORLD_VERSION
#error "nercc/tune/sampling.hpp and nercc/tune/params.hpp must not include Eigen"
#endif

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using nercc::Index;

TEST_CASE("uniform_below: a power of two keeps the low bits of each draw", "[tune][sampling]") {
  // For n = 2^j the rejection limit leaves out only the top n - 1 values of 2^64 (never drawn here).
  std::mt19937_64 rng(5), raw(5);
  for (int i = 0; i < 1000; ++i) CHECK(nercc::uniform_below(rng, 8) == Index(raw() % 8));
  for (int i = 0; i < 100; ++i) CHECK(nercc::uniform_below(rng, 1) == 0);
}

TEST_CASE("uniform_below: every value below n about equally often", "[tune][sampling]") {
  std::mt19937_64 rng(1);
  const Index n = 7, draws = 70000;
  std::vector<Index> count(n, 0);
  for (Index i = 0; i < draws; ++i) {
    const Index v = nercc::uniform_below(rng, n);
    REQUIRE(v >= 0);
    REQUIRE(v < n);
    ++count[std::size_t(v)];
  }
  for (Index c : count) CHECK(std::abs(double(c) - 10000.0) < 400.0);  // 4 standard deviations
}

TEST_CASE("uniform_unit: the top 53 bits of a draw, below 1", "[tune][sampling]") {
  std::mt19937_64 rng(9), raw(9);
  for (int i = 0; i < 1000; ++i) {
    const double u = nercc::uniform_unit(rng);
    CHECK(u == double(raw() >> 11) / 9007199254740992.0);
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}

TEST_CASE("random_subset: distinct, ascending, in range, deterministic for a seed", "[tune][sampling]") {
  std::mt19937_64 rng(3), again(3);
  for (Index count = 0; count <= 10; ++count) {
    const auto s = nercc::random_subset(rng, 10, count);
    REQUIRE(Index(s.size()) == count);
    for (std::size_t i = 0; i < s.size(); ++i) {
      CHECK(s[i] >= 0);
      CHECK(s[i] < 10);
      if (i > 0) CHECK(s[i - 1] < s[i]);
    }
    CHECK(nercc::random_subset(again, 10, count) == s);
  }
  CHECK(nercc::random_subset(rng, 4, 4) == std::vector<Index>{0, 1, 2, 3});
  CHECK(nercc::random_subset(rng, 0, 0).empty());
}

TEST_CASE("random_subset: each element is picked with probability count / n", "[tune][sampling]") {
  std::mt19937_64 rng(4);
  const Index n = 6, count = 3, draws = 20000;
  std::vector<Index> picked(n, 0);
  for (Index i = 0; i < draws; ++i)
    for (Index v : nercc::random_subset(rng, n, count)) ++picked[std::size_t(v)];
  for (Index c : picked) CHECK(std::abs(double(c) - 10000.0) < 300.0);  // about 4 standard deviations
}

TEST_CASE("summarise: mean, standard error, range and count of known values", "[tune][sampling]") {
  const auto e = nercc::summarise({4.0, 1.0, 3.0, 2.0});
  CHECK(e.trials == 4);
  CHECK(e.mean == 2.5);
  // Sample variance 5/3, standard error sqrt(5/3 / 4).
  CHECK(e.std_error == Approx(std::sqrt(5.0 / 12.0)).epsilon(1e-15));
  CHECK(e.min == 1.0);
  CHECK(e.max == 4.0);

  const auto one = nercc::summarise({0.25});
  CHECK(one.trials == 1);
  CHECK(one.mean == 0.25);
  CHECK(one.std_error == 0.0);

  const auto none = nercc::summarise({});
  CHECK(none.trials == 0);
  CHECK(std::isnan(none.mean));
  CHECK(std::isnan(none.std_error));

  // A failed trial counts as +infinity: the mean is infinite and so is its uncertainty.
  const auto failed = nercc::summarise({1.0, std::numeric_limits<double>::infinity()});
  CHECK(std::isinf(failed.mean));
  CHECK(std::isinf(failed.std_error));
  CHECK(failed.min == 1.0);
}

TEST_CASE("argmax_of_row: the first largest entry", "[tune][sampling]") {
  Eigen::RowVectorXf logits(5);
  logits << 0.5f, 3.0f, -1.0f, 3.0f, 2.0f;
  CHECK(nercc::argmax_of_row(logits) == 1);
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 9, 8, 7;
  CHECK(nercc::argmax_of_row(m.row(0)) == 2);
  CHECK(nercc::argmax_of_row(m.row(1)) == 0);
}

TEST_CASE("sampling helpers reject bad arguments, naming them", "[tune][sampling][errors]") {
  using Catch::Matchers::Contains;
  std::mt19937_64 rng(1);
  CHECK_THROWS_WITH(nercc::uniform_below(rng, 0), Contains("n (0) must be >= 1"));
  CHECK_THROWS_AS(nercc::uniform_below(rng, -3), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::random_subset(rng, 5, 6), Contains("count (6) must lie in [0, n (5)]"));
  CHECK_THROWS_AS(nercc::random_subset(rng, 5, -1), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::argmax_of_row(Eigen::RowVectorXd()), Contains("the row is empty"));
}
