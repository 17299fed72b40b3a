#include <nercc/ordering.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

using nercc::Index;
using nercc::OrderingMethod;
using nercc::OrderingOptions;
template <class S>
using Mat = nercc::RowMatrix<S>;

// Uniform on [-1, 1) from the raw engine, so the data are the same with every standard library.
double unit(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-52 - 1.0; }

template <class S>
Mat<S> random_rows(Index k, Index d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Mat<S> x(k, d);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = S(unit(rng));
  return x;
}

std::vector<Index> identity(Index k) {
  std::vector<Index> p(static_cast<std::size_t>(k));
  for (Index i = 0; i < k; ++i) p[std::size_t(i)] = i;
  return p;
}

std::vector<Index> shuffled(Index k, std::uint64_t seed) {
  std::vector<Index> p = identity(k);
  std::mt19937_64 rng(seed);
  for (Index i = k - 1; i > 0; --i) std::swap(p[std::size_t(i)], p[rng() % std::uint64_t(i + 1)]);
  return p;
}

// K points along a smooth open curve (3/4 of a helix turn) embedded in R^d by a fixed random
// linear map, the t's slightly jittered; row r of the result is the point with rank order[r].
template <class S>
Mat<S> curve_points(Index k, Index d, const std::vector<Index>& order, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Mat<double> embed(3, d);
  for (Index i = 0; i < embed.size(); ++i) embed.data()[i] = unit(rng);
  Mat<S> x(k, d);
  for (Index r = 0; r < k; ++r) {
    const double t = (double(order[std::size_t(r)]) + 0.2 * unit(rng)) / double(k - 1);
    Eigen::RowVector3d c(std::cos(4.7 * t), std::sin(4.7 * t), 1.5 * t);
    x.row(r) = (c * embed).cast<S>();
  }
  return x;
}

// True when ranks[perm[i]] runs 0, 1, ..., K-1 or K-1, ..., 0.
bool follows(const std::vector<Index>& perm, const std::vector<Index>& ranks) {
  bool up = true, down = true;
  const Index k = Index(perm.size());
  for (Index i = 0; i < k; ++i) {
    up = up && ranks[std::size_t(perm[std::size_t(i)])] == i;
    down = down && ranks[std::size_t(perm[std::size_t(i)])] == k - 1 - i;
  }
  return up || down;
}

std::vector<OrderingOptions> option_variants() {
  std::vector<OrderingOptions> v(4);
  v[1].chain_start = nercc::ChainStart::farthest_pair;
  v[2].projection_dim = 4;
  v[3].projection_dim = 4;
  v[3].projection = nercc::Projection::count_sketch;
  return v;
}

const OrderingMethod all_methods[] = {OrderingMethod::as_given, OrderingMethod::greedy_chain,
                                      OrderingMethod::greedy_two_opt, OrderingMethod::principal_direction};

}  // namespace

TEST_CASE("invert_permutation inverts and rejects non-permutations", "[ordering]") {
  using Catch::Matchers::Contains;
  CHECK(nercc::invert_permutation({2, 0, 1}) == std::vector<Index>{1, 2, 0});
  CHECK(nercc::invert_permutation({}).empty());
  const std::vector<Index> p = shuffled(17, 5);
  CHECK(nercc::invert_permutation(nercc::invert_permutation(p)) == p);
  CHECK_THROWS_WITH(nercc::invert_permutation({0, 0}), Contains("invert_permutation: perm repeats 0 (at index 1)"));
  CHECK_THROWS_WITH(nercc::invert_permutation({0, 2}), Contains("perm[1] (2) is outside [0, 2)"));
  CHECK_THROWS_AS(nercc::invert_permutation({-1}), nercc::invalid_argument);
}

TEMPLATE_TEST_CASE("every ordering method returns a permutation that round-trips", "[ordering]", float, double) {
  const Mat<TestType> x = random_rows<TestType>(12, 7, 11);
  for (const OrderingOptions& options : option_variants())
    for (OrderingMethod method : all_methods) {
      const std::vector<Index> perm = nercc::order_queries(x, method, options);
      const std::vector<Index> inv = nercc::invert_permutation(perm);  // throws unless a permutation
      REQUIRE(perm.size() == 12);
      for (Index i = 0; i < 12; ++i) {
        CHECK(inv[std::size_t(perm[std::size_t(i)])] == i);
        CHECK(perm[std::size_t(inv[std::size_t(i)])] == i);
      }
      // Reordering the rows by perm, then by inv, gives X back exactly.
      Mat<TestType> placed(12, 7), back(12, 7);
      for (Index i = 0; i < 12; ++i) placed.row(i) = x.row(perm[std::size_t(i)]);
      for (Index k = 0; k < 12; ++k) back.row(k) = placed.row(inv[std::size_t(k)]);
      CHECK(back == x);
    }
  CHECK(nercc::order_queries(x, OrderingMethod::as_given) == identity(12));
}

TEMPLATE_TEST_CASE("no ordering makes the path longer than as given", "[ordering]", float, double) {
  int strictly_shorter = 0, cases = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const Index k = 3 + Index(seed % 18), d = seed % 2 ? 2 : 30;
    const Mat<TestType> x = random_rows<TestType>(k, d, seed);
    const double given = nercc::path_length(x, identity(k));
    for (const OrderingOptions& options : option_variants())
      for (OrderingMethod method : all_methods) {
        const double length = nercc::path_length(x, nercc::order_queries(x, method, options));
        CHECK(length <= given);
        ++cases;
        if (length < given) ++strictly_shorter;
      }
  }
  // Random orders are far from short: the heuristics almost always win, so the bound is not vacuous.
  CHECK(strictly_shorter > cases / 2);
}

TEST_CASE("an order that is already shortest is kept, not reversed", "[ordering]") {
  Mat<double> x(9, 3);
  for (Index i = 0; i < 9; ++i) x.row(i) << double(i * i), 2.0 * double(i * i), -double(i * i);
  for (OrderingMethod method : all_methods) CHECK(nercc::order_queries(x, method) == identity(9));
}

TEST_CASE("2-opt never lengthens the greedy chain and often shortens it", "[ordering]") {
  int shorter = 0;
  for (std::uint64_t seed = 100; seed < 140; ++seed) {
    const Index k = 6 + Index(seed % 15);
    const Mat<double> x = random_rows<double>(k, 2, seed);
    for (nercc::ChainStart start : {nercc::ChainStart::best_of_all, nercc::ChainStart::farthest_pair}) {
      OrderingOptions options;
      options.chain_start = start;
      const double greedy = nercc::path_length(x, nercc::order_queries(x, OrderingMethod::greedy_chain, options));
      const double opt = nercc::path_length(x, nercc::order_queries(x, OrderingMethod::greedy_two_opt, options));
      CHECK(opt <= greedy * (1 + 1e-12));
      if (opt < greedy * (1 - 1e-9)) ++shorter;
    }
  }
  CHECK(shorter >= 10);
}

TEMPLATE_TEST_CASE("greedy + 2-opt recovers a shuffled smooth curve", "[ordering]", float, double) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    for (Index k : {10, 16, 20}) {
      const std::vector<Index> ranks = shuffled(k, seed * 7 + std::uint64_t(k));
      const Mat<TestType> x = curve_points<TestType>(k, 40, ranks, seed);
      const std::vector<Index> perm = nercc::order_queries(x, OrderingMethod::greedy_two_opt);
      CHECK(follows(perm, ranks));
      // The shuffled order is long; the recovered one is the curve's.
      CHECK(nercc::path_length(x, perm) < 0.5 * nercc::path_length(x, identity(k)));
    }
  }
}

TEMPLATE_TEST_CASE("the principal-direction order sorts points on a line", "[ordering]", float, double) {
  const Index k = 15, d = 6;
  const std::vector<Index> ranks = shuffled(k, 3);
  const Mat<double> dir = random_rows<double>(1, d, 4), origin = random_rows<double>(1, d, 5);
  Mat<TestType> x(k, d);
  for (Index r = 0; r < k; ++r) {
    const double t = double(ranks[std::size_t(r)]) + 0.3 * std::sin(double(r));  // uneven, still increasing
    x.row(r) = (origin + t * dir).template cast<TestType>();
  }
  CHECK(follows(nercc::order_queries(x, OrderingMethod::principal_direction), ranks));
  // Off-line noise much smaller than the spacing leaves the order alone.
  const Mat<TestType> noisy = x + TestType(0.01) * random_rows<TestType>(k, d, 6);
  CHECK(follows(nercc::order_queries(noisy, OrderingMethod::principal_direction), ranks));
}

TEST_CASE("a random projection keeps the ordering quality on a high-dimensional curve", "[ordering]") {
  const Index k = 20, d = 4096;
  const std::vector<Index> ranks = shuffled(k, 21);
  const Mat<float> x = curve_points<float>(k, d, ranks, 22);
  const double exact = nercc::path_length(x, nercc::order_queries(x, OrderingMethod::greedy_two_opt));
  for (nercc::Projection kind : {nercc::Projection::rademacher, nercc::Projection::count_sketch}) {
    OrderingOptions options;
    options.projection_dim = 16;
    options.projection = kind;
    const std::vector<Index> perm = nercc::order_queries(x, OrderingMethod::greedy_two_opt, options);
    CHECK(follows(perm, ranks));
    CHECK(nercc::path_length(x, perm) <= 1.02 * exact);
  }
}

TEST_CASE("principal direction on a projection still sorts a high-dimensional noisy line", "[ordering]") {
  // The helix above has two near-equal leading variances, so its principal order is fragile by
  // nature; a line with small isotropic noise is the case the method is for.
  const Index k = 20, d = 4096;
  const std::vector<Index> ranks = shuffled(k, 23);
  const Mat<double> dir = random_rows<double>(1, d, 24);
  Mat<float> x = 0.05f * random_rows<float>(k, d, 25);
  for (Index r = 0; r < k; ++r) x.row(r) += (double(ranks[std::size_t(r)]) * dir).cast<float>();
  for (nercc::Projection kind : {nercc::Projection::rademacher, nercc::Projection::count_sketch}) {
    OrderingOptions options;
    options.projection_dim = 16;
    options.projection = kind;
    CHECK(follows(nercc::order_queries(x, OrderingMethod::principal_direction, options), ranks));
  }
}

TEST_CASE("orderings are deterministic", "[ordering]") {
  const Mat<double> x = random_rows<double>(16, 300, 31);
  for (OrderingOptions options : option_variants()) {
    options.projection_dim = options.projection_dim ? 8 : 0;
    for (OrderingMethod method : all_methods)
      CHECK(nercc::order_queries(x, method, options) == nercc::order_queries(x, method, options));
  }
  // A row-major map of the same numbers gives the same order as the matrix.
  const Eigen::Map<const Mat<double>> view(x.data(), x.rows(), x.cols());
  CHECK(nercc::order_queries(view, OrderingMethod::greedy_two_opt) ==
        nercc::order_queries(x, OrderingMethod::greedy_two_opt));
}

TEST_CASE("one or two queries, or equal queries, keep the given order", "[ordering]") {
  for (OrderingMethod method : all_methods) {
    CHECK(nercc::order_queries(random_rows<double>(1, 4, 1), method) == identity(1));
    CHECK(nercc::order_queries(random_rows<double>(2, 4, 2), method) == identity(2));
    CHECK(nercc::order_queries(Mat<double>::Ones(5, 3), method) == identity(5));
  }
}

TEST_CASE("ordering misuse throws and names the problem", "[ordering][errors]") {
  using Catch::Matchers::Contains;
  const Mat<double> x = random_rows<double>(5, 3, 41);
  CHECK_THROWS_WITH(nercc::order_queries(Mat<double>(0, 3), OrderingMethod::greedy_chain),
                    Contains("nercc::invalid_argument: order_queries: X has 0 rows, expected K >= 1"));
  Mat<double> bad = x;
  bad(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(nercc::order_queries(bad, OrderingMethod::greedy_chain), nercc::non_finite_input);
  CHECK_THROWS_WITH(nercc::order_queries(bad, OrderingMethod::as_given), Contains("X row 3"));
  bad(3, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(nercc::order_queries(bad, OrderingMethod::principal_direction), nercc::non_finite_input);
  for (OrderingOptions options : option_variants()) {
    options.projection_dim = options.projection_dim ? 2 : 0;
    CHECK_THROWS_WITH(nercc::order_queries(bad, OrderingMethod::greedy_two_opt, options), Contains("X row 3"));
    bad(3, 1) = -bad(3, 1);
    CHECK_THROWS_WITH(nercc::order_queries(bad, OrderingMethod::greedy_chain, options), Contains("X row 3"));
  }
  CHECK_THROWS_WITH(nercc::order_queries(bad.bottomRows(2), OrderingMethod::greedy_chain), Contains("X row 0"));
  CHECK_THROWS_WITH(nercc::order_queries(x, OrderingMethod(9)), Contains("method (9) is not a nercc::OrderingMethod"));

  auto expect = [&](OrderingOptions o, const std::string& text) {
    CHECK_THROWS_WITH(o.validate(), Contains(text) && Contains("nercc::invalid_argument"));
    CHECK_THROWS_AS(nercc::order_queries(x, OrderingMethod::greedy_two_opt, o), nercc::invalid_argument);
  };
  CHECK_NOTHROW(OrderingOptions{}.validate());
  OrderingOptions o;
  o.projection_dim = -1;
  expect(o, "projection_dim (-1) must be >= 0");
  o = {};
  o.projection = nercc::Projection(7);
  expect(o, "projection (7) is not a nercc::Projection");
  o = {};
  o.chain_start = nercc::ChainStart(3);
  expect(o, "chain_start (3) is not a nercc::ChainStart");
  o = {};
  o.max_two_opt_passes = 0;
  expect(o, "max_two_opt_passes (0) must be >= 1");
  o = {};
  o.max_power_iterations = -4;
  expect(o, "max_power_iterations (-4) must be >= 1");
  o = {};
  o.power_tolerance = 0;
  expect(o, "power_tolerance (0) must be finite and > 0");
  o.power_tolerance = std::numeric_limits<double>::infinity();
  expect(o, "power_tolerance (inf)");

  CHECK_THROWS_WITH(nercc::path_length(x, {0, 1, 2}), Contains("path_length: perm has 3 entries, expected 5"));
  CHECK_THROWS_WITH(nercc::path_length(x, {0, 1, 2, 3, 3}), Contains("perm repeats 3"));
  CHECK(nercc::path_length(x, {4, 3, 2, 1, 0}) == Approx(nercc::path_length(x, identity(5))).epsilon(1e-14));
}
