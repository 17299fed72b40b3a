// The fallback model: queries their group decides without a value, or whose estimate is less
// reliable than RuntimeParams::fallback_below_reliability, get its answer, with
// Provenance::fallback; a failing fallback leaves the error (or the estimate) and is counted.
#include "support.hpp"

#include <nercc/ordering_options.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

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
  for (Index i = 0; i < 4; ++i) f.push_back(runtime.submit(constant_query(i)));
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
      CHECK((o.value.array() == (own ? toy_model(constant_query(i)) : cheap(constant_query(i))).array()).all());
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

namespace {

// The group of `run` decided from workers `answered`, decoded again outside the runtime: the
// reference values and reliability scores of its queries.
nercc::DecodeResult<double> reference_decode(const rt::RuntimeParams& p, ScriptedTransport& script,
                                             const std::vector<Index>& answered) {
  const rt::AnyCode<double> code(p.scheme, p.code);
  Mat outputs(Index(answered.size()), p.output_dim);
  for (std::size_t i = 0; i < answered.size(); ++i) outputs.row(Index(i)) = toy_model(script.call_to(answered[i])->input);
  nercc::QueryOrder as_given(static_cast<std::size_t>(p.code.num_queries));
  std::iota(as_given.begin(), as_given.end(), Index(0));  // no CodeParams::ordering: queries as given
  return code.decode(answered, outputs, as_given);
}

}  // namespace

TEST_CASE("fallback below a reliability threshold: less reliable estimates go to the fallback, counted",
          "[runtime][fallback][reliability]") {
  const std::vector<Index> answered{0, 1, 2, 3, 4, 5};  // the two workers at the top end are missing
  rt::RuntimeParams p = small_params(nercc::SchemeKind::spline, 4, 8, 2);
  // First pass: the scores of this answered set, to place the threshold between two of them.
  ScriptedTransport probe_script;
  nercc::DecodeResult<double> ref;
  {
    auto clock = std::make_shared<rt::ManualClock>();
    rt::Runtime<double> probe(p, probe_script.transport(), clock);
    std::vector<std::future<rt::QueryOutcome<double>>> f;
    for (Index i = 0; i < 4; ++i) f.push_back(probe.submit(constant_query(i)));
    probe.wait_idle();
    for (Index w : answered) probe_script.answer(w);
    probe.wait_idle();
    ref = reference_decode(p, probe_script, answered);
    for (Index i = 0; i < 4; ++i) {
      const auto o = f[std::size_t(i)].get();
      REQUIRE(o.ok());
      CHECK(o.provenance == rt::Provenance::estimated);
      CHECK(o.reliability == ref.reliability[std::size_t(i)]);  // the decoder's score, reported as is
      CHECK(o.reliability > 0.0);
      CHECK(o.reliability < 1.0);
    }
  }
  std::vector<double> sorted = ref.reliability;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted.front() < sorted.back());
  const auto cut = std::upper_bound(sorted.begin(), sorted.end(), sorted.front());
  const double threshold = 0.5 * (sorted.front() + *cut);

  p.fallback_below_reliability = threshold;
  const Run r = run(p, cheap, answered);
  int below = 0;
  for (Index i = 0; i < 4; ++i) {
    const auto& o = r.outcomes[std::size_t(i)];
    const double score = ref.reliability[std::size_t(i)];
    INFO("query " << i << " reliability " << score << " threshold " << threshold);
    REQUIRE(o.ok());
    CHECK(o.reliability == score);
    if (score < threshold) {
      ++below;
      CHECK(o.provenance == rt::Provenance::fallback);
      CHECK((o.value.array() == cheap(constant_query(i)).array()).all());
    } else {
      CHECK(o.provenance == rt::Provenance::estimated);
      CHECK((o.value - ref.values.row(i)).cwiseAbs().maxCoeff() <= 1e-12);
    }
  }
  CHECK(below >= 1);
  CHECK(below <= 3);
  CHECK(r.metrics.fallback_low_reliability == std::uint64_t(below));
  CHECK(r.metrics.fallback_answers == std::uint64_t(below));
  CHECK(r.metrics.fallback_failed == 0);
  CHECK(r.metrics.completed_ok == 4);

  SECTION("a failing fallback leaves the estimate, counted as failed") {
    const Run failing = run(p, [](const Eigen::Ref<const Mat>&) -> Mat { throw std::runtime_error("down"); }, answered);
    for (Index i = 0; i < 4; ++i) {
      const auto& o = failing.outcomes[std::size_t(i)];
      REQUIRE(o.ok());
      CHECK(o.provenance == rt::Provenance::estimated);
      CHECK((o.value - ref.values.row(i)).cwiseAbs().maxCoeff() <= 1e-12);
    }
    CHECK(failing.metrics.fallback_failed == std::uint64_t(below));
    CHECK(failing.metrics.fallback_low_reliability == 0);
  }
  SECTION("threshold 1: every estimate goes to the fallback, exact values never do") {
    p.fallback_below_reliability = 1.0;
    const Run all = run(p, cheap, answered);
    for (const auto& o : all.outcomes) CHECK(o.provenance == rt::Provenance::fallback);
    CHECK(all.metrics.fallback_low_reliability == 4);
    rt::RuntimeParams u = small_params(nercc::SchemeKind::uncoded, 4, 4, 0);
    u.fallback_below_reliability = 1.0;
    const Run exact = run(u, cheap, {0, 1, 2, 3});
    for (const auto& o : exact.outcomes) {
      CHECK(o.provenance == rt::Provenance::exact);
      CHECK(o.reliability == 1.0);
    }
    CHECK(exact.metrics.fallback_answers == 0);
  }
}
