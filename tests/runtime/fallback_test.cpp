// The fallback model: queries their group decides without a value get its answer, with
// Provenance::fallback; a failing fallback leaves the error and is counted.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

Mat query(Index i) { return Mat::Constant(1, 3, 0.1 * double(i + 1)); }

// A "cheap model": a fixed linear map, easy to tell from the toy model.
Mat cheap(const Eigen::Ref<const Mat>& x) {
  Mat y(1, 2);
  y << x.sum(), -x(0, 0);
  return y;
}

struct Run {
  std::vector<rt::QueryOutcome<double>> outcomes;
  rt::RuntimeMetrics metrics;
};

// Submits 4 queries, answers `answered` workers, lets the deadline pass.
Run run(rt::RuntimeParams p, rt::Fallback<double> fallback, const std::vector<Index>& answered) {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime(p, script.transport(), clock, std::move(fallback));
  std::vector<std::future<rt::QueryOutcome<double>>> f;
  for (Index i = 0; i < 4; ++i) f.push_back(runtime.submit(query(i)));
  runtime.wait_idle();
  for (Index w : answered) script.answer(w);
  runtime.wait_idle();
  clock->advance(milliseconds(200));
  runtime.wait_idle();
  Run r;
  for (auto& x : f) r.outcomes.push_back(x.get());
  r.metrics = runtime.metrics();
  return r;
}

}  // namespace

TEST_CASE("fallback: answers the queries a group could not", "[runtime][fallback]") {
  SECTION("uncoded: the missing workers' queries") {
    const Run r = run(small_params(nercc::SchemeKind::uncoded, 4, 4, 0), cheap, {0, 2});
    for (Index i = 0; i < 4; ++i) {
      const auto& o = r.outcomes[std::size_t(i)];
      REQUIRE(o.ok());
      const bool own = i == 0 || i == 2;
      CHECK(o.provenance == (own ? rt::Provenance::exact : rt::Provenance::fallback));
      CHECK((o.value.array() == (own ? toy_model(query(i)) : cheap(query(i))).array()).all());
    }
    CHECK(r.metrics.fallback_answers == 2);
    CHECK(r.metrics.completed_ok == 4);
    CHECK(r.metrics.unavailable == 0);
  }
  SECTION("spline: too few answers for the whole group") {
    const Run r = run(small_params(nercc::SchemeKind::spline, 4, 8, 2), cheap, {1, 3, 5});
    for (Index i = 0; i < 4; ++i) {
      const auto& o = r.outcomes[std::size_t(i)];
      REQUIRE(o.ok());
      CHECK(o.provenance == rt::Provenance::fallback);
      CHECK(o.status == nercc::DecodeStatus::insufficient_answers);  // the group's decode, reported as is
    }
    CHECK(r.metrics.fallback_answers == 4);
    CHECK(r.metrics.too_few_answers == 0);
    CHECK(r.metrics.decode_insufficient == 1);
  }
  SECTION("a decodable group never calls it") {
    int calls = 0;
    const Run r = run(small_params(nercc::SchemeKind::spline, 4, 8, 2),
                      [&](const Eigen::Ref<const Mat>& x) { ++calls; return cheap(x); }, {0, 1, 2, 3, 4, 5});
    CHECK(calls == 0);
    for (const auto& o : r.outcomes) CHECK(o.provenance == rt::Provenance::estimated);
  }
}

TEST_CASE("fallback: a failing fallback keeps the error and is counted", "[runtime][fallback]") {
  const auto p = small_params(nercc::SchemeKind::uncoded, 4, 4, 0);
  const Run threw = run(p, [](const Eigen::Ref<const Mat>&) -> Mat { throw std::runtime_error("cheap model down"); }, {0});
  const Run shape = run(p, [](const Eigen::Ref<const Mat>&) { return Mat::Zero(1, 3); }, {0});
  const Run nan = run(p, [](const Eigen::Ref<const Mat>&) { return Mat::Constant(1, 2, std::numeric_limits<double>::quiet_NaN()); }, {0});
  for (const Run* r : {&threw, &shape, &nan}) {
    CHECK(r->outcomes[0].ok());
    for (Index i = 1; i < 4; ++i) CHECK(r->outcomes[std::size_t(i)].error == rt::QueryError::unavailable);
    CHECK(r->metrics.fallback_failed == 3);
    CHECK(r->metrics.fallback_answers == 0);
    CHECK(r->metrics.outcomes() == 4);
  }
}
