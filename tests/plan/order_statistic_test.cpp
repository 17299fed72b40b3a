#include <nercc/plan.hpp>

#include <catch2/catch.hpp>
#include <plan_checks.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using nercc::Index;
using namespace nercc::plan;

namespace {

using plan_checks::throws_naming;

// Reference tail with exact binomial coefficients (exact in double for n <= 50).
double naive_upper_tail(Index n, Index k, double u) {
  double sum = 0.0, c = 1.0;  // c = C(n, j)
  for (Index j = 0; j <= n; ++j) {
    if (j >= k) sum += c * std::pow(u, double(j)) * std::pow(1.0 - u, double(n - j));
    c = c * double(n - j) / double(j + 1);
  }
  return sum;
}

// m draws of T_(k:n), sorted.
template <class Model>
std::vector<double> simulate_order_statistic(const Model& model, Index k, Index n, int m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> worker(static_cast<std::size_t>(n)), out(static_cast<std::size_t>(m));
  for (double& o : out) {
    for (double& w : worker) w = model.sample(rng);
    std::nth_element(worker.begin(), worker.begin() + (k - 1), worker.end());
    o = worker[std::size_t(k - 1)];
  }
  std::sort(out.begin(), out.end());
  return out;
}

// At the predicted quantile q, the Monte Carlo fractions of draws <= q and < q must lie in the
// binomial intervals around the analytic P(T <= q) and P(T < q); and q must be the quantile:
// P(T < q) <= p <= P(T <= q). For continuous F both equal p.
template <class Model>
void check_against_monte_carlo(const Model& model, Index k, Index n, std::uint64_t seed,
                               plan_checks::BinomialFamily& family) {
  constexpr int m = 100000;
  const std::vector<double> draws = simulate_order_statistic(model, k, n, m, seed);
  for (double p : {0.5, 0.9, 0.99}) {
    const double q = order_statistic_quantile(model, k, n, p);
    const double at = order_statistic_cdf(model, k, n, q);
    const double below = order_statistic_cdf(model, k, n, std::nextafter(q, -1.0));
    const double frac_at = double(std::upper_bound(draws.begin(), draws.end(), q) - draws.begin()) / m;
    const double frac_below = double(std::lower_bound(draws.begin(), draws.end(), q) - draws.begin()) / m;
    CAPTURE(k, n, p, q, at, below);
    CHECK(below <= p + 1e-9);
    CHECK(at >= p - 1e-9);
    const std::string what = "k " + std::to_string(k) + " n " + std::to_string(n) + " p " + std::to_string(p);
    family.add(frac_at, at, m, what + ": P(T <= q)");
    family.add(frac_below, below, m, what + ": P(T < q)");
  }
}

struct Order {
  Index k, n;
};
const std::vector<Order> orders{{1, 8}, {5, 8}, {8, 8}, {12, 20}};

template <class Model>
void check_orders_against_monte_carlo(const Model& model, std::uint64_t seed) {
  plan_checks::BinomialFamily family;
  for (const Order& o : orders) check_against_monte_carlo(model, o.k, o.n, seed++, family);
  family.check();
}

EmpiricalModel observed_bimodal(int count, std::uint64_t seed) {
  const BimodalModel truth({{1.0, 2.0}, {4.0, 0.5}, 0.1});
  std::mt19937_64 rng(seed);
  std::vector<double> x(static_cast<std::size_t>(count));
  for (double& v : x) v = truth.sample(rng);
  return EmpiricalModel(x);
}

}  // namespace

TEST_CASE("binomial tail matches exact coefficients for small n", "[plan][order]") {
  for (Index n : {1, 2, 7, 20, 40})
    for (Index k = 0; k <= n + 1; ++k)
      for (double u : {0.0, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0}) {
        CAPTURE(n, k, u);
        const double ref = k > n ? 0.0 : naive_upper_tail(n, k, u);
        CHECK(detail::binomial_upper_tail(n, k, u) == Approx(ref).epsilon(1e-11).margin(1e-300));
      }
}

TEST_CASE("binomial tail is stable where factorials overflow", "[plan][order]") {
  // P(X >= k) + P(n - X >= n - k + 1) = 1, at n where C(n, n/2) ~ 1e299 overflows naive sums.
  for (Index n : {500, 1000})
    for (Index k : {Index(1), n / 3, n / 2, n - 1, n})
      for (double u : {0.125, 0.375, 0.5, 0.875}) {
        CAPTURE(n, k, u);
        const double sum = detail::binomial_upper_tail(n, k, u) + detail::binomial_upper_tail(n, n - k + 1, 1.0 - u);
        CHECK(sum == Approx(1.0).epsilon(1e-11));
      }
  // Tiny tails keep their relative accuracy: P(X >= n) = u^n.
  CHECK(detail::binomial_upper_tail(100, 100, 1e-3) == Approx(std::pow(1e-3, 100)).epsilon(1e-11));
  CHECK(detail::binomial_upper_tail(100, 100, 1e-3) > 0.0);
}

TEST_CASE("k = 1 and k = N: the minimum and the maximum of N workers", "[plan][order]") {
  const LogNormalModel logn({0.2, 0.0, 0.7});
  const ShiftedExponentialModel sexp({1.0, 3.0});
  const Index n = 9;
  for (double t : {0.5, 1.2, 1.5, 3.0}) {
    CAPTURE(t);
    for (const auto& F : {StragglerModel(logn), StragglerModel(sexp)}) {
      const double f = F.cdf(t);
      CHECK(order_statistic_cdf(F, 1, n, t) == Approx(1.0 - std::pow(1.0 - f, double(n))).epsilon(1e-12));
      CHECK(order_statistic_cdf(F, n, n, t) == Approx(std::pow(f, double(n))).epsilon(1e-12));
    }
  }
  for (double p : {0.01, 0.5, 0.99}) {
    CAPTURE(p);
    CHECK(order_statistic_level(n, n, p) == Approx(std::pow(p, 1.0 / double(n))).epsilon(1e-13));
    CHECK(order_statistic_level(1, n, p) == Approx(-std::expm1(std::log1p(-p) / double(n))).epsilon(1e-12));
    // The minimum of n shifted exponentials is shifted exponential with rate n * rate.
    CHECK(order_statistic_quantile(sexp, 1, n, p) ==
          Approx(ShiftedExponentialModel({1.0, 3.0 * double(n)}).quantile(p)).epsilon(1e-12));
    // One worker: the order statistic is the worker time.
    CHECK(order_statistic_quantile(logn, 1, 1, p) == Approx(logn.quantile(p)).epsilon(1e-12));
  }
}

TEST_CASE("order-statistic quantiles increase with k and p", "[plan][order]") {
  const BimodalModel model({{1.0, 2.0}, {4.0, 0.5}, 0.2});
  const Index n = 12;
  for (double p : {0.1, 0.5, 0.99}) {
    double previous = 0.0;
    for (Index k = 1; k <= n; ++k) {
      const double q = order_statistic_quantile(model, k, n, p);
      CAPTURE(p, k, q);
      CHECK(q > previous);
      CHECK(order_statistic_cdf(model, k, n, q) == Approx(p).epsilon(1e-9));
      previous = q;
    }
  }
}

TEST_CASE("order-statistic quantiles match Monte Carlo: shifted exponential", "[plan][order][mc]") {
  check_orders_against_monte_carlo(ShiftedExponentialModel({1.0, 0.8}), 100);
}

TEST_CASE("order-statistic quantiles match Monte Carlo: bimodal", "[plan][order][mc]") {
  check_orders_against_monte_carlo(BimodalModel({{1.0, 2.0}, {4.0, 0.5}, 0.15}), 200);
}

TEST_CASE("order-statistic quantiles match Monte Carlo: log-normal", "[plan][order][mc]") {
  check_orders_against_monte_carlo(LogNormalModel({0.5, 0.0, 0.9}), 300);
}

TEST_CASE("order-statistic quantiles match Monte Carlo: empirical", "[plan][order][mc]") {
  SECTION("many distinct observations") { check_orders_against_monte_carlo(observed_bimodal(3000, 7), 400); }
  SECTION("few observations with ties: the quantile is an atom") {
    check_orders_against_monte_carlo(EmpiricalModel({1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 5.0, 8.0}), 500);
  }
}

TEST_CASE("order statistics: bad k, n or p throw naming the argument", "[plan][order][errors]") {
  const ShiftedExponentialModel model({0.0, 1.0});
  throws_naming([&] { order_statistic_cdf(model, 0, 5, 1.0); }, "k (0) must lie in [1, n (5)]");
  throws_naming([&] { order_statistic_cdf(model, 6, 5, 1.0); }, "k (6)");
  throws_naming([&] { order_statistic_quantile(model, 1, 0, 0.5); }, "n (0) must be >= 1");
  throws_naming([&] { order_statistic_quantile(model, 2, 5, 0.0); }, "p (0) must lie in (0, 1)");
  throws_naming([&] { order_statistic_quantile(model, 2, 5, 1.0); }, "p (1)");
  throws_naming([&] { order_statistic_level(2, 5, std::nan("")); }, "p (nan)");
}
