#include <nercc/plan.hpp>

#include <catch2/catch.hpp>
#include <plan_checks.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace nercc::plan;

namespace {

using plan_checks::throws_naming;

// The fraction of m samples at or below q = model.quantile(p) must lie in the binomial interval
// around cdf(q) (= p for continuous models): checks sample() against cdf() and quantile(),
// which share no code.
template <class Model>
void check_sampling_matches_quantile(const Model& model, std::uint64_t seed) {
  constexpr int m = 100000;
  std::mt19937_64 rng(seed);
  std::vector<double> x(m);
  for (double& v : x) v = model.sample(rng);
  plan_checks::BinomialFamily family;
  for (double p : {0.05, 0.5, 0.9, 0.99}) {
    const double q = model.quantile(p);
    const double frac = double(std::count_if(x.begin(), x.end(), [q](double v) { return v <= q; })) / m;
    family.add(frac, model.cdf(q), m, "P(T <= quantile(" + std::to_string(p) + "))");
  }
  family.check();
}

template <class Model>
void check_quantile_inverts_cdf(const Model& model) {
  double previous = model.quantile(0.0);
  for (double p = 0.01; p < 0.999; p += 0.01) {
    const double q = model.quantile(p);
    CAPTURE(p, q);
    CHECK(q >= previous);
    CHECK(model.cdf(q) == Approx(p).epsilon(1e-9));
    previous = q;
  }
  CHECK(model.cdf(model.quantile(0.0)) == 0.0);
  CHECK(std::isinf(model.quantile(1.0)));
}

}  // namespace

TEST_CASE("shifted exponential: quantile inverts cdf, sampling matches", "[plan][straggler]") {
  const ShiftedExponentialModel model({2.0, 0.5});
  check_quantile_inverts_cdf(model);
  CHECK(model.cdf(2.0) == 0.0);
  CHECK(model.cdf(1.0) == 0.0);
  check_sampling_matches_quantile(model, 1);
}

TEST_CASE("bimodal: quantile inverts cdf, sampling matches", "[plan][straggler]") {
  BimodalParams params;
  params.fast = {1.0, 2.0};
  params.slow = {4.0, 0.5};
  params.slow_probability = 0.15;
  const BimodalModel model(params);
  check_quantile_inverts_cdf(model);
  // Below the slow shift only fast workers can have answered.
  CHECK(model.cdf(3.0) == Approx(0.85 * ShiftedExponentialModel(params.fast).cdf(3.0)));
  check_sampling_matches_quantile(model, 2);
}

TEST_CASE("bimodal: degenerate weights reduce to one component", "[plan][straggler]") {
  const ShiftedExponentialParams fast{1.0, 2.0}, slow{4.0, 0.5};
  const BimodalModel all_fast({fast, slow, 0.0}), all_slow({fast, slow, 1.0});
  for (double p : {0.0, 0.1, 0.5, 0.95}) {
    CHECK(all_fast.quantile(p) == Approx(ShiftedExponentialModel(fast).quantile(p)).epsilon(1e-12));
    CHECK(all_slow.quantile(p) == Approx(ShiftedExponentialModel(slow).quantile(p)).epsilon(1e-12));
  }
}

TEST_CASE("log-normal: quantile inverts cdf, sampling matches", "[plan][straggler]") {
  const LogNormalModel model({0.5, std::log(2.0), 0.8});
  check_quantile_inverts_cdf(model);
  // The median of shift + exp(mu + sigma Z) is shift + exp(mu).
  CHECK(model.quantile(0.5) == Approx(0.5 + 2.0).epsilon(1e-12));
  check_sampling_matches_quantile(model, 3);
}

TEST_CASE("empirical: cdf, generalised inverse and resampling", "[plan][straggler]") {
  const EmpiricalModel model({3.0, 1.0, 2.0, 2.0});
  CHECK(model.samples() == std::vector<double>{1.0, 2.0, 2.0, 3.0});
  CHECK(model.cdf(0.5) == 0.0);
  CHECK(model.cdf(2.0) == 0.75);
  CHECK(model.cdf(3.0) == 1.0);
  // quantile(p) is the smallest observation x with cdf(x) >= p.
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  for (int i = 0; i < 200; ++i) {
    const double p = unif(rng);
    const double q = model.quantile(p);
    CAPTURE(p, q);
    CHECK(model.cdf(q) >= p);
    for (double x : model.samples())
      if (x < q) CHECK(model.cdf(x) < p);
  }
  CHECK(model.quantile(0.0) == 1.0);
  CHECK(model.quantile(1.0) == 3.0);

  std::vector<double> observed(5000);
  for (double& v : observed) v = 1.0 + std::exponential_distribution<double>(0.3)(rng);
  check_sampling_matches_quantile(EmpiricalModel(observed), 5);
}

TEST_CASE("StragglerModel delegates to the model it holds", "[plan][straggler]") {
  const LogNormalModel direct({0.0, 0.0, 0.4});
  const StragglerModel wrapped(direct);
  for (double t : {0.3, 1.0, 2.5}) CHECK(wrapped.cdf(t) == direct.cdf(t));
  CHECK(wrapped.quantile(0.9) == direct.quantile(0.9));
  std::mt19937_64 a(6), b(6);
  CHECK(wrapped.sample(a) == direct.sample(b));
  CHECK(std::holds_alternative<LogNormalModel>(wrapped.variant()));
}

TEST_CASE("straggler parameters: validate() names the bad field", "[plan][straggler][errors]") {
  throws_naming([] { ShiftedExponentialModel({-1.0, 1.0}); }, "shift (-1)");
  throws_naming([] { ShiftedExponentialModel({0.0, 0.0}); }, "rate (0)");
  throws_naming([] { ShiftedExponentialModel({0.0, std::nan("")}); }, "rate (nan)");
  throws_naming([] { BimodalModel({{1.0, 1.0}, {2.0, -1.0}, 0.1}); }, "slow.rate (-1)");
  throws_naming([] { BimodalModel({{-2.0, 1.0}, {2.0, 1.0}, 0.1}); }, "fast.shift (-2)");
  throws_naming([] { BimodalModel({{1.0, 1.0}, {2.0, 1.0}, 1.5}); }, "slow_probability (1.5)");
  throws_naming([] { LogNormalModel({0.0, 0.0, 0.0}); }, "sigma (0)");
  throws_naming([] { LogNormalModel({0.0, INFINITY, 1.0}); }, "mu (inf)");
  throws_naming([] { EmpiricalModel(std::vector<double>{}); }, "samples must not be empty");
  throws_naming([] { EmpiricalModel({1.0, -0.5}); }, "samples[1] (-0.5)");
  throws_naming([] { EmpiricalModel({1.0, 2.0, INFINITY}); }, "samples[2] (inf)");
  throws_naming([] { ShiftedExponentialModel({0.0, 1.0}).quantile(1.5); }, "p (1.5)");
  throws_naming([] { EmpiricalModel({1.0}).quantile(-0.1); }, "p (-0.10000000000000001)");
}
