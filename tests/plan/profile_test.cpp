#include <nercc/plan.hpp>

#include <catch2/catch.hpp>
#include <plan_checks.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

using nercc::Index;
using namespace nercc::plan;
using plan_checks::throws_naming;

namespace {

using TimePoint = std::chrono::steady_clock::time_point;
using Micro = std::chrono::microseconds;

// The middle of the sorted durations (repeats odd), computed without profile()'s helper.
double middle(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("profile: a synthetic model on a manual clock", "[plan][profile]") {
  // Each call advances the clock by a random duration that grows with the batch size; the
  // profile must time exactly the calls after the warm-up.
  TimePoint clock{};
  std::mt19937_64 rng(9);
  std::vector<std::vector<double>> advanced;  // per batch size, every call's duration in seconds
  std::vector<Index> calls;
  auto model = [&](Index b) {
    if (calls.empty() || calls.back() != b) advanced.emplace_back();
    calls.push_back(b);
    const auto d = Micro(100 * b + std::int64_t(rng() % 50));
    clock += d;
    advanced.back().push_back(std::chrono::duration<double>(d).count());
  };
  const std::vector<Index> sizes{1, 4, 16};
  ProfileParams params;
  params.warmup = 2;
  params.repeats = 9;
  const auto rows = profile(model, sizes, params, [&] { return clock; });

  REQUIRE(rows.size() == sizes.size());
  CHECK(calls.size() == sizes.size() * std::size_t(params.warmup + params.repeats));
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    CAPTURE(i);
    const BatchLatency& row = rows[i];
    CHECK(row.batch_size == sizes[i]);
    const std::vector<double> timed(advanced[i].begin() + params.warmup, advanced[i].end());
    REQUIRE(row.seconds.size() == timed.size());
    for (std::size_t j = 0; j < timed.size(); ++j) CHECK(row.seconds[j] == Approx(timed[j]).epsilon(1e-12));
    CHECK(row.median == Approx(middle(timed)).epsilon(1e-12));
    CHECK(row.min == Approx(*std::min_element(timed.begin(), timed.end())).epsilon(1e-12));
    CHECK(row.max == Approx(*std::max_element(timed.begin(), timed.end())).epsilon(1e-12));
    CHECK(row.min <= row.lower_quartile);
    CHECK(row.lower_quartile <= row.median);
    CHECK(row.median <= row.upper_quartile);
    CHECK(row.upper_quartile <= row.max);
    CHECK(row.interquartile_range() >= 0.0);
  }
  CHECK(rows[0].median < rows[1].median);
  CHECK(rows[1].median < rows[2].median);
}

TEST_CASE("profile: steady clock, real work (sanity only)", "[plan][profile]") {
  volatile double sink = 0.0;
  auto model = [&sink](Index b) {
    double s = 0.0;
    for (Index i = 0; i < 1000 * b; ++i) s += 1.0 / double(i + 1);
    sink = sink + s;
  };
  const auto rows = profile(model, {1, 8});
  REQUIRE(rows.size() == 2);
  for (const BatchLatency& row : rows) {
    CHECK(row.seconds.size() == std::size_t(ProfileParams{}.repeats));
    CHECK(row.min >= 0.0);
    CHECK(row.min <= row.median);
    CHECK(row.median <= row.max);
  }
}

TEST_CASE("profile: model exceptions propagate, bad arguments name the field", "[plan][profile][errors]") {
  auto failing = [](Index b) {
    if (b == 3) throw std::runtime_error("model failed");
  };
  CHECK_THROWS_WITH(profile(failing, {1, 3}), "model failed");
  auto noop = [](Index) {};
  ProfileParams params;
  params.repeats = 0;
  throws_naming([&] { profile(noop, {1}, params); }, "repeats (0) must be >= 1");
  params = {};
  params.warmup = -1;
  throws_naming([&] { profile(noop, {1}, params); }, "warmup (-1) must be >= 0");
  throws_naming([&] { profile(noop, {2, 0}); }, "batch_sizes[1] (0) must be >= 1");
}
