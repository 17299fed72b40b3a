// Runtime semantics on a manual clock with a scripted transport: equivalence with the
// synchronous encode/decode, quorum, deadline, group timeout, error paths, shutdown.
#include "support.hpp"

#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

Mat queries(Index k, double shift = 0.0) {
  Mat x(k, 3);
  for (Index i = 0; i < k; ++i)
    for (Index j = 0; j < 3; ++j) x(i, j) = 0.1 * double(i + 1) - 0.2 * double(j) + shift;
  return x;
}

template <class Scheme>
void check_equivalence(nercc::SchemeKind kind, const std::vector<Index>& arrival_order,
                       nercc::OrderingMethod ordering = nercc::OrderingMethod::as_given) {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  auto params = small_params(kind);
  params.code.ordering = ordering;
  rt::Runtime<double> runtime(params, script.transport(), clock);
  Mat x = queries(4);
  if (ordering != nercc::OrderingMethod::as_given) x = Mat(x(std::vector<Index>{2, 0, 3, 1}, Eigen::all));
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(x.row(i)));
  runtime.wait_idle();
  REQUIRE(script.size() == 8);

  // The coded inputs are exactly the synchronous encoder's.
  nercc::Encoder<Scheme, double> encoder(params.code);
  nercc::QueryOrder order;
  const Mat coded = encoder.encode(x, order);
  if (ordering != nercc::OrderingMethod::as_given) REQUIRE(order != nercc::QueryOrder{0, 1, 2, 3});
  for (Index w = 0; w < 8; ++w) REQUIRE((script.call_to(w)->input.array() == coded.row(w).array()).all());

  for (Index w : arrival_order) script.answer(w);
  runtime.wait_idle();

  // The synchronous decoder on the same answered set, in arrival order.
  nercc::Decoder<Scheme, double> decoder(params.code);
  Mat outputs(Index(arrival_order.size()), 2);
  for (std::size_t i = 0; i < arrival_order.size(); ++i) outputs.row(Index(i)) = toy_model(script.call_to(arrival_order[i])->input);
  const auto expected = decoder.decode(arrival_order, outputs, order);
  for (Index i = 0; i < 4; ++i) {
    REQUIRE(ready(futures[std::size_t(i)]));
    const auto out = futures[std::size_t(i)].get();
    REQUIRE(out.ok());
    CHECK(out.answers_used == Index(arrival_order.size()));
    CHECK((out.value.array() == expected.values.row(i).array()).all());  // bitwise
  }
}

}  // namespace

TEST_CASE("runtime: results equal the synchronous encode/decode of the same answered set, bitwise", "[runtime]") {
  // Quorum N - S = 6: the first six answers decide, in scrambled arrival order.
  SECTION("spline") { check_equivalence<nercc::SplineScheme>(nercc::SchemeKind::spline, {5, 1, 7, 0, 3, 2}); }
  SECTION("berrut") { check_equivalence<nercc::BerrutScheme>(nercc::SchemeKind::berrut, {6, 4, 2, 0, 1, 7}); }
  SECTION("spline with a query ordering: each query's result comes back to it") {
    check_equivalence<nercc::SplineScheme>(nercc::SchemeKind::spline, {5, 1, 7, 0, 3, 2},
                                           nercc::OrderingMethod::greedy_chain);
  }
  SECTION("replication decides once every query has an answer") {
    // Workers w and w + 4 compute query w; 5, 2, 7, 0 cover all four queries.
    check_equivalence<nercc::ReplicationScheme>(nercc::SchemeKind::replication, {5, 2, 7, 0});
  }
}

TEST_CASE("runtime: a group decodes exactly at the quorum and cancels the outstanding calls", "[runtime]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime(small_params(nercc::SchemeKind::spline), script.transport(), clock);
  const Mat x = queries(4);
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(x.row(i)));
  runtime.wait_idle();
  for (Index w = 0; w < 5; ++w) script.answer(w);
  runtime.wait_idle();
  CHECK_FALSE(ready(futures[0]));  // 5 < quorum 6
  script.answer(7);
  runtime.wait_idle();
  for (auto& f : futures) REQUIRE(ready(f));
  CHECK(futures[0].get().answers_used == 6);
  CHECK(script.cancelled(5));
  CHECK(script.cancelled(6));
  CHECK_FALSE(script.cancelled(7));

  script.answer(6);  // after the decision: counted as late and dropped
  const auto m = runtime.metrics();
  CHECK(m.late_answers == 1);
  CHECK(m.calls_cancelled == 2);
  CHECK(m.groups_decided_quorum == 1);
  CHECK(m.answers_per_group[6] == 1);
  CHECK(m.completed_ok == 4);
  CHECK(m.outcomes() == m.submitted);
}

TEST_CASE("runtime: at the deadline a group decodes with what arrived, or fails with too few answers", "[runtime]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  const auto params = small_params(nercc::SchemeKind::spline);
  std::vector<rt::GroupLog> logs;
  std::mutex log_mutex;
  auto p = params;
  p.group_log = [&](const rt::GroupLog& g) {
    std::lock_guard<std::mutex> guard(log_mutex);
    logs.push_back(g);
  };
  rt::Runtime<double> runtime(p, script.transport(), clock);
  const Mat x = queries(4), x2 = queries(4, 0.3);
  std::vector<std::future<rt::QueryOutcome<double>>> first, second;
  for (Index i = 0; i < 4; ++i) first.push_back(runtime.submit(x.row(i)));
  for (Index i = 0; i < 4; ++i) second.push_back(runtime.submit(x2.row(i)));
  runtime.wait_idle();
  REQUIRE(script.size() == 16);
  clock->advance(milliseconds(30));
  for (Index w : {0, 2, 4, 6, 7}) script.answer(w, 0);  // 5 answers: >= K = 4, < quorum 6
  for (Index w : {1, 3, 5}) script.answer(w, 1);        // 3 answers: < min_answers 4
  script.call_to(0, 1)->done.fail();
  clock->advance(milliseconds(69));
  runtime.wait_idle();
  CHECK_FALSE(ready(first[0]));
  CHECK_FALSE(ready(second[0]));
  clock->advance(milliseconds(1));  // exactly the deadline
  runtime.wait_idle();

  nercc::Decoder<nercc::SplineScheme, double> decoder(params.code);
  const std::vector<Index> ids{0, 2, 4, 6, 7};
  Mat outputs(5, 2);
  for (Index i = 0; i < 5; ++i) outputs.row(i) = toy_model(script.call_to(ids[std::size_t(i)])->input);
  const auto expected = decoder.decode(ids, outputs);
  for (Index i = 0; i < 4; ++i) {
    REQUIRE(ready(first[std::size_t(i)]));
    const auto out = first[std::size_t(i)].get();
    REQUIRE(out.ok());
    CHECK(out.answers_used == 5);
    CHECK(out.latency_seconds == Approx(0.1));
    CHECK((out.value.array() == expected.values.row(i).array()).all());
    const auto bad = second[std::size_t(i)].get();
    CHECK(bad.error == rt::QueryError::too_few_answers);
    CHECK(bad.message.find("min_answers (4)") != std::string::npos);
  }
  const auto m = runtime.metrics();
  CHECK(m.groups_decided_deadline == 2);
  CHECK(m.too_few_answers == 4);
  CHECK(m.answers_failed == 1);
  CHECK(m.calls_cancelled == 3 + 4);

  std::lock_guard<std::mutex> guard(log_mutex);
  REQUIRE(logs.size() == 2);
  const auto& log = logs[0].group == 1 ? logs[0] : logs[1];
  CHECK(log.decision == rt::Decision::deadline);
  CHECK(log.quorum == 6);
  CHECK(log.usable_answers == 5);
  CHECK(log.workers.size() == 8);
  CHECK(log.call_states[0] == rt::CallState::answered);
  CHECK(log.call_states[1] == rt::CallState::pending);
  CHECK(log.arrival_seconds[0] == Approx(0.03));
  CHECK(std::isnan(log.arrival_seconds[1]));
  CHECK(log.collect_seconds == Approx(0.1));
}

TEST_CASE("runtime: the group timeout closes a partial group, padded by the policy", "[runtime]") {
  for (auto pad : {rt::PadPolicy::repeat_last, rt::PadPolicy::zeros}) {
    auto clock = std::make_shared<rt::ManualClock>();
    ScriptedTransport script;
    auto params = small_params(nercc::SchemeKind::berrut);
    params.pad = pad;
    rt::Runtime<double> runtime(params, script.transport(), clock);
    const Mat x = queries(4);
    std::vector<std::future<rt::QueryOutcome<double>>> futures;
    for (Index i = 0; i < 3; ++i) futures.push_back(runtime.submit(x.row(i)));
    runtime.wait_idle();
    clock->advance(milliseconds(9));
    runtime.wait_idle();
    CHECK(script.size() == 0);
    clock->advance(milliseconds(1));
    runtime.wait_idle();
    REQUIRE(script.size() == 8);
    Mat padded = x;
    if (pad == rt::PadPolicy::zeros) padded.row(3).setZero();
    else padded.row(3) = x.row(2);
    const Mat coded = nercc::Encoder<nercc::BerrutScheme, double>(params.code).encode(padded);
    for (Index w = 0; w < 8; ++w) CHECK((script.call_to(w)->input.array() == coded.row(w).array()).all());
    for (Index w = 0; w < 8; ++w) script.answer(w);
    runtime.wait_idle();
    for (auto& f : futures) CHECK(f.get().ok());
    const auto m = runtime.metrics();
    CHECK(m.groups_padded == 1);
    CHECK(m.completed_ok == 3);
  }
}

TEST_CASE("runtime: with worker_batch b, each call carries one coded query per block of K", "[runtime]") {
  SECTION("a full group of b K queries equals b synchronous encodes and decodes, bitwise") {
    for (auto ordering : {nercc::OrderingMethod::as_given, nercc::OrderingMethod::greedy_chain}) {
      auto clock = std::make_shared<rt::ManualClock>();
      ScriptedTransport script;
      auto params = small_params(nercc::SchemeKind::spline);
      params.worker_batch = 3;
      params.code.ordering = ordering;
      std::vector<rt::GroupLog> logs;
      params.group_log = [&logs](const rt::GroupLog& g) { logs.push_back(g); };
      rt::Runtime<double> runtime(params, script.transport(), clock);
      Mat x(12, 3);
      x << queries(4), queries(4, 0.3), queries(4, -0.7);
      if (ordering != nercc::OrderingMethod::as_given) x = Mat(x(std::vector<Index>{9, 2, 4, 0, 11, 7, 1, 3, 10, 5, 8, 6}, Eigen::all));
      std::vector<std::future<rt::QueryOutcome<double>>> futures;
      for (Index i = 0; i < 12; ++i) futures.push_back(runtime.submit(x.row(i)));
      runtime.wait_idle();
      REQUIRE(script.size() == 8);  // one call per worker for the three blocks

      nercc::Encoder<nercc::SplineScheme, double> encoder(params.code);
      nercc::Decoder<nercc::SplineScheme, double> decoder(params.code);
      const std::vector<Index> arrival{5, 1, 7, 0, 3, 2};
      for (Index w : arrival) script.answer(w);
      runtime.wait_idle();
      for (Index j = 0; j < 3; ++j) {
        nercc::QueryOrder order;
        const Mat coded = encoder.encode(x.middleRows(4 * j, 4), order);
        for (Index w = 0; w < 8; ++w) {
          REQUIRE(script.call_to(w)->input.rows() == 3);
          REQUIRE((script.call_to(w)->input.row(j).array() == coded.row(w).array()).all());
        }
        Mat outputs(6, 2);
        for (std::size_t i = 0; i < arrival.size(); ++i)
          outputs.row(Index(i)) = toy_model(script.call_to(arrival[i])->input).row(j);
        const auto expected = decoder.decode(arrival, outputs, order);
        for (Index i = 0; i < 4; ++i) {
          auto& f = futures[std::size_t(4 * j + i)];
          REQUIRE(ready(f));
          const auto out = f.get();
          REQUIRE(out.ok());
          CHECK(out.answers_used == 6);
          CHECK((out.value.array() == expected.values.row(i).array()).all());
        }
      }
      REQUIRE(logs.size() == 1);
      CHECK(logs[0].blocks == 3);
      CHECK(logs[0].real_queries == 12);
    }
  }
  SECTION("a partial group has ceil(real / K) blocks, the last one padded") {
    for (Index real : {3, 6}) {
      auto clock = std::make_shared<rt::ManualClock>();
      ScriptedTransport script;
      auto params = small_params(nercc::SchemeKind::berrut);
      params.worker_batch = 3;
      rt::Runtime<double> runtime(params, script.transport(), clock);
      Mat x(8, 3);
      x << queries(4), queries(4, 0.5);
      std::vector<std::future<rt::QueryOutcome<double>>> futures;
      for (Index i = 0; i < real; ++i) futures.push_back(runtime.submit(x.row(i)));
      runtime.wait_idle();
      CHECK(script.size() == 0);
      clock->advance(milliseconds(10));
      runtime.wait_idle();
      REQUIRE(script.size() == 8);
      const Index blocks = (real + 3) / 4;
      Mat padded = x.topRows(4 * blocks);
      for (Index i = real; i < 4 * blocks; ++i) padded.row(i) = x.row(real - 1);
      const nercc::Encoder<nercc::BerrutScheme, double> encoder(params.code);
      for (Index w = 0; w < 8; ++w) {
        REQUIRE(script.call_to(w)->input.rows() == blocks);
        for (Index j = 0; j < blocks; ++j)
          CHECK((script.call_to(w)->input.row(j).array() == encoder.encode(padded.middleRows(4 * j, 4)).row(w).array()).all());
      }
      for (Index w = 0; w < 8; ++w) script.answer(w);
      runtime.wait_idle();
      for (auto& f : futures) CHECK(f.get().ok());
      CHECK(runtime.metrics().groups_padded == 1);
    }
  }
  SECTION("an answer with the wrong number of rows is a bad shape; replication covers every block") {
    auto clock = std::make_shared<rt::ManualClock>();
    ScriptedTransport script;
    auto params = small_params(nercc::SchemeKind::replication, 4, 8, 0);
    params.worker_batch = 2;
    rt::Runtime<double> runtime(params, script.transport(), clock);
    Mat x(8, 3);
    x << queries(4), queries(4, 0.5);
    std::vector<std::future<rt::QueryOutcome<double>>> futures;
    for (Index i = 0; i < 8; ++i) futures.push_back(runtime.submit(x.row(i)));
    runtime.wait_idle();
    REQUIRE(script.size() == 8);
    script.call_to(1)->done(toy_model(script.call_to(1)->input.topRows(1)));  // one row for two blocks
    for (Index w : {0, 5, 2, 3}) script.answer(w);  // queries 0, 1, 2, 3 of both blocks
    runtime.wait_idle();
    for (Index i = 0; i < 8; ++i) {
      const auto out = futures[std::size_t(i)].get();
      REQUIRE(out.ok());
      CHECK((out.value.array() == toy_model(x.row(i)).array()).all());  // replication is exact
    }
    const auto m = runtime.metrics();
    CHECK(m.answers_bad_shape == 1);
    CHECK(m.answers_used == 4);
  }
}

TEST_CASE("runtime: worker exceptions, failures, bad shapes and non-finite outputs lose no query", "[runtime]") {
  // A synchronous transport: the runtime runs it on its I/O threads.
  auto params = small_params(nercc::SchemeKind::spline, 4, 8, 2);  // quorum 6: only 5 answers can be used
  auto transport = [](Index w, const Eigen::Ref<const Mat>& x) -> Mat {
    if (w == 0) throw std::runtime_error("worker 0 crashed");
    if (w == 1) return Mat::Constant(1, 2, std::numeric_limits<double>::quiet_NaN());
    if (w == 2) return Mat::Zero(1, 5);
    return toy_model(x);
  };
  rt::Runtime<double> runtime(params, transport, std::make_shared<rt::ManualClock>());
  const Mat x = queries(4);
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(x.row(i)));
  for (auto& f : futures) {
    const auto out = f.get();
    REQUIRE(out.ok());
    CHECK(out.answers_used == 5);
  }
  runtime.shutdown();
  const auto m = runtime.metrics();
  CHECK(m.answers_failed == 1);
  CHECK(m.answers_non_finite == 1);
  CHECK(m.answers_bad_shape == 1);
  CHECK(m.answers_used == 5);
  CHECK(m.groups_decided_resolved == 1);  // decided when the last call resolved
}

TEST_CASE("runtime: uncoded loses only the query of a failed worker, and reports it", "[runtime]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime(small_params(nercc::SchemeKind::uncoded, 4, 4, 0), script.transport(), clock);
  const Mat x = queries(4);
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(x.row(i)));
  runtime.wait_idle();
  script.answer(0);
  script.call_to(1)->done.fail();
  script.answer(2);
  script.answer(3);
  runtime.wait_idle();
  CHECK(futures[0].get().ok());
  const auto lost = futures[1].get();
  CHECK(lost.error == rt::QueryError::unavailable);
  CHECK(lost.status == nercc::DecodeStatus::partial);
  CHECK((futures[3].get().value.array() == toy_model(x.row(3)).array()).all());
  CHECK(runtime.metrics().unavailable == 1);
}

TEST_CASE("runtime: misuse throws, naming the field or argument", "[runtime]") {
  ScriptedTransport script;
  auto bad = [&](auto mutate, const std::string& field) {
    auto p = small_params(nercc::SchemeKind::spline);
    mutate(p);
    try {
      rt::Runtime<double> r(p, script.transport());
      FAIL("no exception for " << field);
    } catch (const nercc::invalid_argument& e) {
      CHECK(std::string(e.what()).find(field) != std::string::npos);
    }
  };
  bad([](rt::RuntimeParams& p) { p.input_dim = 0; }, "input_dim (0)");
  bad([](rt::RuntimeParams& p) { p.stragglers = 8; }, "stragglers (8)");
  bad([](rt::RuntimeParams& p) { p.deadline = milliseconds(0); }, "deadline");
  bad([](rt::RuntimeParams& p) { p.worker_batch = 0; }, "worker_batch (0)");
  bad([](rt::RuntimeParams& p) { p.overload.low_watermark = 0.9; }, "overload.low_watermark");
  bad([](rt::RuntimeParams& p) { p.overload.min_workers = 2; }, "overload.min_workers (2)");
  bad([](rt::RuntimeParams& p) { p.code.num_workers = 3; }, "num_workers (3)");
  bad([](rt::RuntimeParams& p) { p.scheme = nercc::SchemeKind::uncoded; }, "UncodedScheme");

  rt::Runtime<double> runtime(small_params(nercc::SchemeKind::spline), script.transport(),
                              std::make_shared<rt::ManualClock>());
  CHECK_THROWS_AS(runtime.submit(Mat::Zero(1, 4)), nercc::shape_mismatch);
  CHECK_THROWS_AS(runtime.submit(Mat::Zero(2, 3)), nercc::shape_mismatch);
  CHECK_THROWS_AS(runtime.submit(Mat::Constant(1, 3, std::numeric_limits<double>::infinity())),
                  nercc::non_finite_input);
  CHECK(runtime.metrics().submitted == 0);
}

TEST_CASE("runtime: shutdown completes every pending query once; late completions are harmless", "[runtime]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  int callbacks = 0, shut = 0, thrown = 0;
  std::mutex m;
  {
    rt::Runtime<double> runtime(small_params(nercc::SchemeKind::spline), script.transport(), clock);
    const Mat x = queries(4);
    for (Index i = 0; i < 6; ++i) {  // one full group in flight, two queries in an open group
      runtime.submit(x.row(i % 4), [&](rt::QueryOutcome<double>&& o) {
        std::lock_guard<std::mutex> guard(m);
        ++callbacks;
        shut += o.error == rt::QueryError::shut_down;
        if (callbacks == 1) {
          ++thrown;
          throw std::runtime_error("a user callback that throws");
        }
      });
    }
    runtime.wait_idle();
    REQUIRE(script.size() == 8);
    runtime.shutdown();
    CHECK(runtime.metrics().callback_exceptions == 1);
    auto after = runtime.submit(x.row(0));
    CHECK(after.get().error == rt::QueryError::shut_down);
    CHECK(script.cancelled(0));
    const auto metrics = runtime.metrics();
    CHECK(metrics.outcomes() == metrics.submitted);
    CHECK(metrics.live_queries == 0);
  }
  script.answer(3);  // the runtime is gone; its core outlives it while completions exist
  CHECK(callbacks == 6);
  CHECK(shut == 6);
  CHECK(thrown == 1);
}

TEST_CASE("runtime: metrics export as one JSON object", "[runtime]") {
  ScriptedTransport script;
  rt::Runtime<double> runtime(small_params(nercc::SchemeKind::spline), script.transport(),
                              std::make_shared<rt::ManualClock>());
  const std::string json = runtime.metrics().to_json();
  CHECK(json.front() == '{');
  CHECK(json.back() == '}');
  CHECK(json.find("\"submitted\":0") != std::string::npos);
  CHECK(json.find("\"admission\":{\"capacity\":1024") != std::string::npos);
  CHECK(json.find("\"answers_per_group\":[0,0,0,0,0,0,0,0,0]") != std::string::npos);
}

TEST_CASE("lowered redundancy: spread over the default points, a prefix of a systematic layout", "[runtime][points]") {
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 12;
  const rt::AnyCode<double> plain(nercc::SchemeKind::spline, p);
  CHECK_FALSE(plain.systematic());
  CHECK(plain.worker_subset(5) == std::vector<Index>{0, 3, 6, 8, 11});  // round(i * 11 / 4)
  p.worker_points = nercc::clustered_worker_points(p.resolved_query_points(), 12, 0.1);
  const rt::AnyCode<double> clustered(nercc::SchemeKind::berrut, p);
  CHECK(clustered.systematic());
  CHECK(clustered.worker_subset(6) == std::vector<Index>{0, 1, 2, 3, 4, 5});
  std::swap(p.worker_points[0], p.worker_points[1]);  // query points no longer first, in order
  CHECK_FALSE(rt::AnyCode<double>(nercc::SchemeKind::spline, p).systematic());
}
