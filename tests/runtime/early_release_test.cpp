// Early release (RuntimeParams::early_release): a query completes with a worker's exact answer
// the moment it arrives; the rest of its group waits for the decision. Manual clock, scripted
// transport.
#include "support.hpp"

#include <nercc/points.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <vector>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

// With early release, and an interpolating encoder so a clustered layout is systematic.
rt::RuntimeParams params(nercc::SchemeKind scheme, Index k, Index n, Index s) {
  rt::RuntimeParams p = small_params(scheme, k, n, s);
  p.code.lambda_enc = 0.0;
  p.early_release = true;
  return p;
}

}  // namespace

TEST_CASE("early release: uncoded completes each query at its own worker's answer", "[runtime][early_release]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime(params(nercc::SchemeKind::uncoded, 4, 4, 0), script.transport(), clock);
  auto f = submit_queries(runtime, 4);
  script.answer(2);
  runtime.wait_idle();
  REQUIRE(ready(f[2]));
  CHECK_FALSE(ready(f[0]));
  const auto o = f[2].get();
  REQUIRE(o.ok());
  CHECK(o.released_early);
  CHECK(o.provenance == rt::Provenance::exact);
  CHECK((o.value.array() == toy_model(varied_query(2)).array()).all());  // the worker's answer, bitwise
  for (Index w : {0, 1, 3}) script.answer(w);
  runtime.wait_idle();
  for (Index i : {0, 1, 3}) {
    const auto r = f[std::size_t(i)].get();
    CHECK(r.ok());
    CHECK(r.released_early);
  }
  const auto m = runtime.metrics();
  CHECK(m.released_early == 4);
  CHECK(m.completed_ok == 4);
  CHECK(m.outcomes() == m.submitted);
}

TEST_CASE("early release: the first replica releases, a second answer delivers nothing more", "[runtime][early_release]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime(params(nercc::SchemeKind::replication, 4, 8, 0), script.transport(), clock);
  auto f = submit_queries(runtime, 4);
  script.answer(5);  // worker 5 computes query 1
  runtime.wait_idle();
  REQUIRE(ready(f[1]));
  CHECK(f[1].get().released_early);
  script.answer(1);  // the other replica of query 1
  for (Index w : {0, 2, 3}) script.answer(w);
  runtime.wait_idle();
  for (Index i : {0, 2, 3}) CHECK(f[std::size_t(i)].get().ok());
  const auto m = runtime.metrics();
  CHECK(m.submitted == 4);
  CHECK(m.completed_ok == 4);
  CHECK(m.released_early == 4);
  CHECK(m.groups_decided_quorum == 1);  // every query covered
}

TEST_CASE("early release: a systematic spline layout releases worker k's query, decodes the rest", "[runtime][early_release]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  auto p = params(nercc::SchemeKind::spline, 4, 8, 2);
  p.code.worker_points = nercc::clustered_worker_points(p.code.resolved_query_points(), 8, 0.1);
  rt::Runtime<double> runtime(p, script.transport(), clock);
  REQUIRE(runtime.code().systematic());
  auto f = submit_queries(runtime, 4);
  REQUIRE((script.call_to(1)->input.array() == varied_query(1).array()).all());  // coded row 1 is query 1
  script.answer(1);
  script.answer(6);  // a companion: nothing to release
  runtime.wait_idle();
  REQUIRE(ready(f[1]));
  CHECK_FALSE(ready(f[0]));
  CHECK_FALSE(ready(f[2]));
  const auto exact = f[1].get();
  CHECK(exact.released_early);
  CHECK(exact.provenance == rt::Provenance::exact);
  CHECK((exact.value.array() == toy_model(varied_query(1)).array()).all());
  for (Index w : {0, 4, 5, 7}) script.answer(w);  // quorum 6: decided without workers 2 and 3
  runtime.wait_idle();
  CHECK(f[0].get().released_early);
  for (Index i : {2, 3}) {
    const auto o = f[std::size_t(i)].get();
    REQUIRE(o.ok());
    CHECK_FALSE(o.released_early);
    CHECK(o.provenance == rt::Provenance::estimated);
    CHECK(o.answers_used == 6);
  }
  CHECK(runtime.metrics().released_early == 2);
}

TEST_CASE("early release: no effect without exact workers; released queries survive a failed decode",
          "[runtime][early_release]") {
  auto clock = std::make_shared<rt::ManualClock>();
  SECTION("default (non-systematic) points") {
    ScriptedTransport script;
    rt::Runtime<double> runtime(params(nercc::SchemeKind::spline, 4, 8, 2), script.transport(), clock);
    auto f = submit_queries(runtime, 4);
    for (Index w = 0; w < 5; ++w) script.answer(w);
    runtime.wait_idle();
    for (auto& x : f) CHECK_FALSE(ready(x));
    script.answer(5);
    runtime.wait_idle();
    for (auto& x : f) {
      const auto o = x.get();
      CHECK(o.ok());
      CHECK_FALSE(o.released_early);
    }
    CHECK(runtime.metrics().released_early == 0);
  }
  SECTION("a deadline with too few answers fails only the queries not released") {
    ScriptedTransport script;
    rt::Runtime<double> runtime(params(nercc::SchemeKind::uncoded, 4, 4, 0), script.transport(), clock);
    auto f = submit_queries(runtime, 4);
    script.answer(0);
    runtime.wait_idle();
    clock->advance(milliseconds(200));
    runtime.wait_idle();
    CHECK(f[0].get().ok());
    for (Index i = 1; i < 4; ++i) CHECK(f[std::size_t(i)].get().error == rt::QueryError::unavailable);
    const auto m = runtime.metrics();
    CHECK(m.outcomes() == 4);
    CHECK(m.completed_ok == 1);
  }
  SECTION("worker batches: each block's query is released from its row of the answer") {
    ScriptedTransport script;
    auto p = params(nercc::SchemeKind::uncoded, 2, 2, 0);
    p.worker_batch = 2;
    rt::Runtime<double> runtime(p, script.transport(), clock);
    auto f = submit_queries(runtime, 4);
    REQUIRE(script.size() == 2);
    script.answer(1);  // worker 1 computes query 1 of both blocks: queries 1 and 3
    runtime.wait_idle();
    REQUIRE(ready(f[1]));
    REQUIRE(ready(f[3]));
    CHECK((f[3].get().value.array() == toy_model(varied_query(3)).array()).all());
    CHECK((f[1].get().value.array() == toy_model(varied_query(1)).array()).all());
    CHECK_FALSE(ready(f[0]));
    runtime.shutdown();
    CHECK(f[0].get().error == rt::QueryError::shut_down);
  }
}
