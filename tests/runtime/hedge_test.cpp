// Hedged requests: the policy alone (delay, percentile tracking, budget, choice of calls and
// workers) on a ManualClock, and end to end through the runtime with scripted and simulated
// transports (the backup's answer is used, the loser is cancelled, the counters and the log).
#include "support.hpp"

#include <nercc/points.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <vector>

using namespace nercc_test;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

rt::HedgeParams fixed(Index spares, milliseconds delay) {
  rt::HedgeParams h;
  h.target = rt::HedgeTarget::spare;
  h.spare_workers = spares;
  h.delay = delay;
  return h;
}

rt::HedgeCall call(bool outstanding, bool hedged, Index query = -1) {
  rt::HedgeCall c;
  c.outstanding = outstanding;
  c.hedged = hedged;
  c.query = query;
  return c;
}



// Uncoded K = N = 4 on a manual clock and a scripted transport, 4 queries submitted.
struct Uncoded {
  explicit Uncoded(rt::RuntimeParams p)
      : runtime(std::move(p), script.transport(), clock), f(submit_queries(runtime, 4)) {}
  std::shared_ptr<rt::ManualClock> clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::Runtime<double> runtime;
  Futures f;
};

rt::RuntimeParams uncoded(rt::HedgeParams h) {
  rt::RuntimeParams p = small_params(nercc::SchemeKind::uncoded, 4, 4, 0);
  p.hedge = h;
  return p;
}

}  // namespace

// ---- the policy alone ----

TEST_CASE("LatencyWindow: nearest-rank percentiles over the most recent samples", "[runtime][hedge][policy]") {
  rt::LatencyWindow w(5);
  for (int ms : {30, 10, 50, 20, 40}) w.add(milliseconds(ms));
  CHECK(w.size() == 5);
  // Sorted 10 20 30 40 50: rank ceil(p 5 / 100).
  CHECK(w.percentile(20) == milliseconds(10));
  CHECK(w.percentile(21) == milliseconds(20));
  CHECK(w.percentile(50) == milliseconds(30));
  CHECK(w.percentile(80) == milliseconds(40));
  CHECK(w.percentile(95) == milliseconds(50));
  CHECK(w.percentile(100) == milliseconds(50));
  CHECK(w.percentile(0.001) == milliseconds(10));
  // Full: each new sample evicts the oldest (30, then 10).
  w.add(milliseconds(60));
  CHECK(w.size() == 5);
  CHECK(w.percentile(20) == milliseconds(10));
  w.add(milliseconds(70));
  CHECK(w.percentile(20) == milliseconds(20));
  CHECK(w.percentile(100) == milliseconds(70));
  CHECK_THROWS_WITH(w.percentile(0), Catch::Contains("p (0)"));
  CHECK_THROWS_WITH(rt::LatencyWindow(1).percentile(50), Catch::Contains("empty"));
  CHECK_THROWS_WITH(rt::LatencyWindow(0), Catch::Contains("capacity (0)"));
}

TEST_CASE("LatencyWindow: agrees with a sorted copy of the last samples (random)", "[runtime][hedge][policy]") {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> us(0, 5000);
  for (std::size_t cap : {1u, 7u, 100u}) {
    rt::LatencyWindow w(cap);
    std::deque<rt::Duration> last;
    for (int i = 0; i < 600; ++i) {
      const rt::Duration d = microseconds(us(rng));
      w.add(d);
      last.push_back(d);
      if (last.size() > cap) last.pop_front();
      std::vector<rt::Duration> sorted(last.begin(), last.end());
      std::sort(sorted.begin(), sorted.end());
      for (double p : {1.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
        // The rank by integer arithmetic on p in thousandths: ceil(p n / 100).
        const long long num = (long long)std::llround(p * 1000) * (long long)sorted.size();
        const std::size_t rank = std::size_t(std::max<long long>(1, (num + 100000 - 1) / 100000));
        REQUIRE(w.percentile(p) == sorted[rank - 1]);
      }
    }
  }
}

TEST_CASE("HedgePolicy: a fixed delay hedges exactly at sent + delay (ManualClock)", "[runtime][hedge][policy]") {
  rt::ManualClock clock;
  rt::HedgePolicy h(fixed(1, milliseconds(8)), 4);
  REQUIRE(h.enabled());
  CHECK_FALSE(h.tracks_latency());
  REQUIRE(h.delay() == rt::Duration(milliseconds(8)));
  const rt::TimePoint sent = clock.now();
  clock.advance(milliseconds(8) - rt::Duration(1));
  CHECK_FALSE(h.due(sent, clock.now()));
  clock.advance(rt::Duration(1));
  CHECK(h.due(sent, clock.now()));
  h.observe(milliseconds(100));  // not tracked with a fixed delay
  CHECK(h.samples() == 0);
  CHECK(h.delay() == rt::Duration(milliseconds(8)));

  rt::HedgePolicy off(rt::HedgeParams{}, 4);
  CHECK_FALSE(off.enabled());
  CHECK_FALSE(off.delay());
  CHECK_FALSE(off.due(sent, clock.now() + std::chrono::hours(1)));
}

TEST_CASE("HedgePolicy: the percentile delay engages after min_samples, floored by min_delay", "[runtime][hedge][policy]") {
  rt::HedgeParams p;
  p.target = rt::HedgeTarget::answered;
  p.percentile = 90;
  p.window = 10;
  p.min_samples = 4;
  p.delay = milliseconds(50);  // until 4 samples
  p.min_delay = milliseconds(3);
  rt::HedgePolicy h(p, 6);
  CHECK(h.tracks_latency());
  CHECK(h.delay() == rt::Duration(milliseconds(50)));
  for (int ms : {1, 2, 9}) h.observe(milliseconds(ms));
  CHECK(h.delay() == rt::Duration(milliseconds(50)));  // 3 < min_samples
  h.observe(milliseconds(4));
  CHECK(h.delay() == rt::Duration(milliseconds(9)));   // 1 2 4 9: rank ceil(3.6) = 4
  for (int i = 0; i < 10; ++i) h.observe(milliseconds(1));  // the window forgets 9
  CHECK(h.delay() == rt::Duration(milliseconds(3)));   // p90 = 1 ms, floored at min_delay
  h.observe(-milliseconds(5));                          // a clock quirk counts as 0
  CHECK(h.samples() == 10);

  rt::ManualClock clock;
  const rt::TimePoint sent = clock.now();
  clock.advance(milliseconds(2));
  CHECK_FALSE(h.due(sent, clock.now()));
  clock.advance(milliseconds(1));
  CHECK(h.due(sent, clock.now()));

  p.delay = rt::never;  // no hedging until the percentile is known
  rt::HedgePolicy waiting(p, 6);
  CHECK_FALSE(waiting.delay());
  for (int i = 0; i < 4; ++i) waiting.observe(milliseconds(7));
  CHECK(waiting.delay() == rt::Duration(milliseconds(7)));
}

TEST_CASE("HedgePolicy: the budget is a token bucket (burst, fraction per call, cap)", "[runtime][hedge][policy]") {
  rt::HedgeParams p = fixed(1, milliseconds(1));
  p.budget_fraction = 0.25;
  p.budget_burst = 2;
  rt::HedgePolicy h(p, 4);
  CHECK(h.budget() == 2.0);
  CHECK(h.take_budget());
  CHECK(h.take_budget());
  CHECK_FALSE(h.take_budget());
  h.calls_sent(3);  // 0.75
  CHECK_FALSE(h.take_budget());
  h.calls_sent(1);  // 1.0
  CHECK(h.take_budget());
  h.calls_sent(1000);
  CHECK(h.budget() == 2.0);  // capped at the burst
  // Over any sequence: backups <= burst + fraction x calls.
  std::mt19937_64 rng(11);
  rt::HedgePolicy r(p, 4);
  long calls = 0, taken = 0;
  for (int i = 0; i < 10000; ++i) {
    if (rng() % 3 == 0) {
      const std::size_t c = rng() % 5;
      r.calls_sent(c);
      calls += long(c);
    } else if (r.take_budget()) {
      ++taken;
    }
    REQUIRE(double(taken) <= 2.0 + 0.25 * double(calls) + 1e-9);
  }
  CHECK(taken > 100);  // and it does pay out
}

TEST_CASE("HedgePolicy: backup workers (spares round robin, answered workers in order)", "[runtime][hedge][policy]") {
  std::deque<Index> none;
  rt::HedgePolicy spare(fixed(3, milliseconds(1)), 5);
  std::vector<Index> got;
  for (int i = 0; i < 7; ++i) got.push_back(spare.backup_worker(none));
  CHECK(got == std::vector<Index>{5, 6, 7, 5, 6, 7, 5});

  rt::HedgeParams a;
  a.target = rt::HedgeTarget::answered;
  a.delay = milliseconds(1);
  rt::HedgePolicy answered(a, 5);
  std::deque<Index> free_workers{3, 0};
  CHECK(answered.backup_worker(free_workers) == 3);
  CHECK(answered.backup_worker(free_workers) == 0);
  CHECK(answered.backup_worker(free_workers) == -1);
}

TEST_CASE("HedgePolicy::calls_to_hedge: only what the decision still needs", "[runtime][hedge][policy]") {
  using Slots = std::vector<std::size_t>;
  SECTION("coded: up to quorum - usable outstanding calls, lowest first") {
    rt::HedgeGroupView g;
    g.shape = group_shape(6, 3);
    g.quorum = 5;
    g.usable = 2;
    g.calls = {call(false, false), call(true, false), call(false, false), call(true, false), call(true, false),
               call(true, false)};
    CHECK(rt::HedgePolicy::calls_to_hedge(g) == Slots{1, 3, 4});
    g.calls[3].hedged = true;  // one hedged already: two more
    CHECK(rt::HedgePolicy::calls_to_hedge(g) == Slots{1, 4});
    g.usable = 5;
    CHECK(rt::HedgePolicy::calls_to_hedge(g).empty());
    g.usable = 4;
    CHECK(rt::HedgePolicy::calls_to_hedge(g).empty());  // the hedged call 3 covers the one missing
  }
  SECTION("replication/uncoded: one call per uncovered position") {
    rt::HedgeGroupView g;
    g.shape = group_shape(6, 1, true, 3);
    g.quorum = 6;
    g.coverage = {1, 0, 0};
    // Replication 3 x 2: workers 0..5 compute positions 0 1 2 0 1 2.
    g.calls = {call(false, false, 0), call(true, false, 1), call(true, false, 2),
               call(true, false, 0), call(true, false, 1), call(true, true, 2)};
    CHECK(rt::HedgePolicy::calls_to_hedge(g) == Slots{1});  // position 2 has a hedged call, 0 is covered
    g.calls[5].outstanding = false;  // its copies failed: position 2 needs a backup again
    CHECK(rt::HedgePolicy::calls_to_hedge(g) == Slots{1, 2});
  }
}

TEST_CASE("HedgeParams and RuntimeParams: bad settings name the field", "[runtime][hedge][errors]") {
  auto bad = [](auto edit) {
    rt::RuntimeParams p = small_params(nercc::SchemeKind::uncoded, 4, 4, 0);
    p.hedge = fixed(1, milliseconds(5));
    edit(p);
    return p;
  };
  auto expect = [&](auto edit, const char* text) {
    CHECK_THROWS_WITH(bad(edit).validate(), Catch::Contains(text));
    CHECK_THROWS_AS(bad(edit).validate(), nercc::invalid_argument);
  };
  CHECK_NOTHROW(bad([](rt::RuntimeParams&) {}).validate());
  expect([](rt::RuntimeParams& p) { p.hedge.target = rt::HedgeTarget(7); }, "hedge.target (7)");
  expect([](rt::RuntimeParams& p) { p.hedge.spare_workers = 0; }, "hedge.spare_workers (0) must be >= 1 with hedge.target spare");
  expect([](rt::RuntimeParams& p) { p.hedge.spare_workers = -2; }, "hedge.spare_workers (-2)");
  expect([](rt::RuntimeParams& p) { p.hedge.spare_workers = nercc::max_code_size + 1; }, "hedge.spare_workers (");
  expect([](rt::RuntimeParams& p) { p.hedge.target = rt::HedgeTarget::answered; },
         "hedge.spare_workers (1) is used only with hedge.target spare (answered)");
  expect([](rt::RuntimeParams& p) { p.hedge.delay = -milliseconds(1); }, "hedge.delay (-0.001 s)");
  expect([](rt::RuntimeParams& p) { p.hedge.delay = rt::never; }, "hedge.delay (never) must be finite when hedge.percentile is 0");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = 100; }, "hedge.percentile (100)");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = -1; }, "hedge.percentile (-1)");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = std::nan(""); }, "hedge.percentile (nan)");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = 95; p.hedge.window = 0; }, "hedge.window (0)");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = 95; p.hedge.min_samples = 0; }, "hedge.min_samples (0)");
  expect([](rt::RuntimeParams& p) { p.hedge.percentile = 95; p.hedge.window = 10; p.hedge.min_samples = 11; },
         "hedge.min_samples (11) must lie in [1, hedge.window (10)]");
  expect([](rt::RuntimeParams& p) { p.hedge.min_delay = -milliseconds(2); }, "hedge.min_delay (-0.002 s)");
  expect([](rt::RuntimeParams& p) { p.hedge.min_delay = rt::never; }, "hedge.min_delay (");
  expect([](rt::RuntimeParams& p) { p.hedge.budget_fraction = 0; }, "hedge.budget_fraction (0)");
  expect([](rt::RuntimeParams& p) { p.hedge.budget_fraction = 1.5; }, "hedge.budget_fraction (1.5)");
  expect([](rt::RuntimeParams& p) { p.hedge.budget_burst = 0.5; }, "hedge.budget_burst (0.5)");
  expect([](rt::RuntimeParams& p) { p.hedge.budget_burst = HUGE_VAL; }, "hedge.budget_burst (inf)");
  expect([](rt::RuntimeParams& p) { p.fallback_below_reliability = 1.5; }, "fallback_below_reliability (1.5)");
  expect([](rt::RuntimeParams& p) { p.fallback_below_reliability = -0.25; }, "fallback_below_reliability (-0.25)");
  expect([](rt::RuntimeParams& p) { p.fallback_below_reliability = std::nan(""); }, "fallback_below_reliability (nan)");
  // The runtime checks the same, and a threshold without a fallback model.
  ScriptedTransport script;
  CHECK_THROWS_WITH(rt::Runtime<double>(bad([](rt::RuntimeParams& p) { p.hedge.spare_workers = 0; }), script.transport()),
                    Catch::Contains("hedge.spare_workers (0)"));
  CHECK_THROWS_WITH(rt::Runtime<double>(bad([](rt::RuntimeParams& p) { p.fallback_below_reliability = 0.5; }),
                                        script.transport()),
                    Catch::Contains("fallback_below_reliability (0.5) needs a fallback model"));
  CHECK(script.size() == 0);
}

// ---- end to end ----

TEST_CASE("hedging: a slow call gets a backup on a spare worker, whose answer is used; the primary is cancelled",
          "[runtime][hedge]") {
  rt::RuntimeParams p = uncoded(fixed(2, milliseconds(10)));
  std::vector<rt::GroupLog> logs;
  std::mutex logs_mutex;
  p.group_log = [&](const rt::GroupLog& l) {
    std::lock_guard<std::mutex> guard(logs_mutex);
    logs.push_back(l);
  };
  Uncoded u(p);
  auto& script = u.script;
  auto& clock = u.clock;
  auto& runtime = u.runtime;
  auto& f = u.f;
  REQUIRE(script.size() == 4);
  for (Index w : {0, 1, 2}) script.answer(w);
  clock->advance(milliseconds(10) - rt::Duration(1));
  runtime.wait_idle();
  CHECK(script.size() == 4);  // not yet due
  clock->advance(rt::Duration(1));
  runtime.wait_idle();
  REQUIRE(script.size() == 5);
  const auto backup = script.call_to(4);  // the first spare (N = 4)
  REQUIRE(backup);
  CHECK((backup->input.array() == script.call_to(3)->input.array()).all());  // the same coded query
  CHECK_FALSE(ready(f[3]));
  clock->advance(milliseconds(2));
  script.answer(4);
  runtime.wait_idle();
  REQUIRE(ready(f[3]));
  const auto o = f[3].get();
  REQUIRE(o.ok());
  CHECK(o.hedged);
  CHECK(o.provenance == rt::Provenance::exact);
  CHECK((o.value.array() == toy_model(varied_query(3)).array()).all());
  CHECK(o.latency_seconds == Approx(0.012));
  CHECK(script.cancelled(3));
  CHECK_FALSE(script.cancelled(4));
  for (Index i = 0; i < 3; ++i) {
    const auto other = f[std::size_t(i)].get();
    CHECK(other.ok());
    CHECK_FALSE(other.hedged);
  }
  script.answer(3);  // the cancelled primary answers anyway: dropped
  runtime.wait_idle();
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 1);
  CHECK(m.hedges_won == 1);
  CHECK(m.hedges_cancelled == 1);
  CHECK(m.hedge_answers_discarded == 0);  // its group was decided: a late answer
  CHECK(m.late_answers == 1);
  CHECK(m.hedged_answers == 1);
  CHECK(m.calls_sent == 4);
  CHECK(m.answers_used == 4);
  CHECK(m.calls_cancelled == 0);
  CHECK(m.outcomes() == 4);
  runtime.shutdown();
  REQUIRE(logs.size() == 1);
  const rt::GroupLog& l = logs[0];
  CHECK(l.hedge_delay_seconds == Approx(0.010));
  CHECK(l.backup_workers == std::vector<Index>{-1, -1, -1, 4});
  CHECK(l.answered_by_backup == std::vector<bool>{false, false, false, true});
  CHECK(std::isnan(l.backup_sent_seconds[0]));
  CHECK(l.backup_sent_seconds[3] == Approx(0.010));
  CHECK(l.arrival_seconds[3] == Approx(0.012));
}

TEST_CASE("hedging: the primary answering first wins and the backup is cancelled", "[runtime][hedge]") {
  Uncoded u(uncoded(fixed(1, milliseconds(10))));
  auto& script = u.script;
  auto& clock = u.clock;
  auto& runtime = u.runtime;
  auto& f = u.f;
  for (Index w : {0, 1, 2}) script.answer(w);
  clock->advance(milliseconds(10));
  runtime.wait_idle();
  REQUIRE(script.size() == 5);
  script.answer(3);
  runtime.wait_idle();
  const auto o = f[3].get();
  REQUIRE(o.ok());
  CHECK_FALSE(o.hedged);
  CHECK((o.value.array() == toy_model(varied_query(3)).array()).all());
  CHECK(script.cancelled(4));
  CHECK_FALSE(script.cancelled(3));
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 1);
  CHECK(m.hedges_won == 0);
  CHECK(m.hedges_cancelled == 1);
  CHECK(m.hedged_answers == 0);
}

TEST_CASE("hedging: a copy that fails leaves the call to the other; both failing fails it", "[runtime][hedge]") {
  Uncoded u(uncoded(fixed(1, milliseconds(10))));
  auto& script = u.script;
  auto& clock = u.clock;
  auto& runtime = u.runtime;
  auto& f = u.f;
  script.answer(0);
  script.answer(1);
  clock->advance(milliseconds(10));
  runtime.wait_idle();
  REQUIRE(script.size() == 6);  // workers 2 and 3 hedged onto the one spare (4)
  script.call_to(2)->done.fail();  // primary fails, its backup (first call to 4) is awaited
  runtime.wait_idle();
  CHECK_FALSE(ready(f[2]));
  script.answer(4, 0);
  script.call_to(3)->done.fail();
  script.call_to(4, 1)->done.fail();  // both copies of call 3 failed
  runtime.wait_idle();
  const auto o2 = f[2].get();
  REQUIRE(o2.ok());
  CHECK(o2.hedged);
  CHECK((o2.value.array() == toy_model(varied_query(2)).array()).all());
  const auto o3 = f[3].get();
  CHECK(o3.error == rt::QueryError::unavailable);
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 2);
  CHECK(m.hedges_won == 1);
  CHECK(m.hedge_copies_failed == 2);
  CHECK(m.answers_failed == 1);
  CHECK(m.groups_decided_resolved == 1);
}

TEST_CASE("hedging: the budget refuses backups past its burst, counted once per call", "[runtime][hedge]") {
  rt::HedgeParams h = fixed(1, milliseconds(10));
  h.budget_burst = 1;
  h.budget_fraction = 0.01;
  Uncoded u(uncoded(h));
  auto& script = u.script;
  auto& clock = u.clock;
  auto& runtime = u.runtime;
  auto& f = u.f;
  script.answer(0);
  clock->advance(milliseconds(10));
  runtime.wait_idle();
  CHECK(script.size() == 5);  // one backup (slot 1); slots 2 and 3 refused
  script.call_to(3)->done.fail();  // a resolution re-evaluates: still refused, not counted again
  runtime.wait_idle();
  CHECK(script.size() == 5);
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 1);
  CHECK(m.hedges_refused_budget == 2);
  CHECK(script.call_to(4)->worker == 4);
  CHECK((script.call_to(4)->input.array() == script.call_to(1)->input.array()).all());
  clock->advance(milliseconds(200));
  runtime.wait_idle();
  for (auto& x : f) x.get();
}

TEST_CASE("hedging onto answered workers: a coded group's slow call goes to its earliest answerer", "[runtime][hedge]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::RuntimeParams p = small_params(nercc::SchemeKind::spline, 2, 4, 0);  // quorum 4: every answer needed
  p.hedge.target = rt::HedgeTarget::answered;
  p.hedge.delay = milliseconds(5);
  rt::Runtime<double> runtime(p, script.transport(), clock);
  auto f = submit_queries(runtime, 2);
  script.answer(2);
  script.answer(0);
  clock->advance(milliseconds(5));
  runtime.wait_idle();
  // Calls 1 and 3 are due; answered workers 2 then 0 take them, lowest call first.
  REQUIRE(script.size() == 6);
  CHECK(script.call_to(2, 1));
  CHECK((script.call_to(2, 1)->input.array() == script.call_to(1)->input.array()).all());
  CHECK((script.call_to(0, 1)->input.array() == script.call_to(3)->input.array()).all());
  script.answer(2, 1);  // call 1's backup
  script.answer(3);     // call 3's primary
  runtime.wait_idle();
  for (auto& x : f) {
    const auto o = x.get();
    REQUIRE(o.ok());
    CHECK(o.hedged);  // spline: the group used a backup's answer
    CHECK(o.provenance == rt::Provenance::estimated);
  }
  CHECK(script.cancelled(1));
  CHECK(script.cancelled(0, 1));
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 2);
  CHECK(m.hedges_won == 1);
  CHECK(m.hedges_cancelled == 2);
  CHECK(m.hedged_answers == 2);
}

TEST_CASE("hedging with early release: a systematic query is released with its backup's exact answer",
          "[runtime][hedge]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::RuntimeParams p = small_params(nercc::SchemeKind::spline, 2, 4, 1);
  p.code.lambda_enc = 0.0;
  p.code.worker_points = nercc::clustered_worker_points(p.code.resolved_query_points(), 4, 0.1);
  p.early_release = true;
  p.hedge = fixed(1, milliseconds(5));
  rt::Runtime<double> runtime(p, script.transport(), clock);
  REQUIRE(runtime.code().systematic());
  auto f = submit_queries(runtime, 2);
  script.answer(0);
  script.answer(2);
  clock->advance(milliseconds(5));
  runtime.wait_idle();
  REQUIRE(script.size() == 5);  // quorum 3, two usable: one backup, for call 1 (the lowest)
  CHECK((script.call_to(4)->input.array() == script.call_to(1)->input.array()).all());
  script.answer(4);
  runtime.wait_idle();
  const auto o1 = f[1].get();
  REQUIRE(o1.ok());
  CHECK(o1.released_early);
  CHECK(o1.hedged);
  CHECK(o1.provenance == rt::Provenance::exact);
  CHECK((o1.value.array() == toy_model(script.call_to(1)->input).array()).all());
  const auto o0 = f[0].get();
  CHECK(o0.released_early);
  CHECK_FALSE(o0.hedged);
}

TEST_CASE("hedging with SimulatedTransport: a straggling worker's call is answered by the spare",
          "[runtime][hedge][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  // Worker 3 takes 50 ms; every other worker, the spare 4 included, 2 ms.
  std::mutex calls_mutex;
  std::vector<Index> called;
  auto delay = [&](Index worker, Index) -> rt::Duration {
    std::lock_guard<std::mutex> guard(calls_mutex);
    called.push_back(worker);
    return worker == 3 ? milliseconds(50) : milliseconds(2);
  };
  rt::SimulatedTransport<double> workers([](const Mat& x) { return toy_model(x); }, delay, clock);
  rt::RuntimeParams p = small_params(nercc::SchemeKind::uncoded, 4, 4, 0);
  p.hedge = fixed(1, milliseconds(5));
  rt::Runtime<double> runtime(p, workers.transport(), clock);
  auto f = submit_queries(runtime, 4);
  // Step from due time to due time (answers and the hedge timer) until every outcome is in.
  for (int step = 0; step < 20 && !ready(f[3]); ++step) {
    const rt::TimePoint next = std::min(workers.next_due().value_or(rt::TimePoint::max()),
                                        clock->now() + rt::Duration(milliseconds(1)));
    clock->advance(next - clock->now());
    workers.wait_delivered();
    runtime.wait_idle();
  }
  REQUIRE(ready(f[3]));
  const auto o = f[3].get();
  REQUIRE(o.ok());
  CHECK(o.hedged);
  CHECK((o.value.array() == toy_model(varied_query(3)).array()).all());
  CHECK(o.latency_seconds == Approx(0.007));  // 5 ms hedge delay + 2 ms backup, not 50 ms
  {
    std::lock_guard<std::mutex> guard(calls_mutex);
    CHECK(called == std::vector<Index>{0, 1, 2, 3, 4});
  }
  const auto m = runtime.metrics();
  CHECK(m.hedges_sent == 1);
  CHECK(m.hedges_won == 1);
  CHECK(m.hedges_cancelled == 1);
  CHECK(workers.outstanding() == 1);  // the cancelled primary stays on the timeline until its due time
  clock->advance(milliseconds(60));
  workers.wait_delivered();
  runtime.wait_idle();
  CHECK(runtime.metrics().late_answers == 0);  // cancelled: never delivered
}

TEST_CASE("hedging: the percentile delay follows the observed call latencies", "[runtime][hedge]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::RuntimeParams p = small_params(nercc::SchemeKind::uncoded, 2, 2, 0);
  p.hedge.target = rt::HedgeTarget::spare;
  p.hedge.spare_workers = 1;
  p.hedge.percentile = 50;
  p.hedge.window = 4;
  p.hedge.min_samples = 4;
  p.hedge.budget_burst = 100;
  std::vector<double> delays;
  std::mutex m;
  p.group_log = [&](const rt::GroupLog& l) {
    std::lock_guard<std::mutex> guard(m);
    delays.push_back(l.hedge_delay_seconds);
  };
  rt::Runtime<double> runtime(p, script.transport(), clock);
  // Two groups answered after 3 ms and 7 ms (calls 0 and 1 of each): samples 3 7 3 7 ms.
  for (std::size_t g = 0; g < 2; ++g) {
    auto f = submit_queries(runtime, 2, Index(2 * g));
    clock->advance(milliseconds(3));
    script.answer(0, g);
    clock->advance(milliseconds(4));
    script.answer(1, g);
    runtime.wait_idle();
    for (auto& x : f) REQUIRE(x.get().ok());
  }
  auto f = submit_queries(runtime, 2, 4);  // hedged at the median, 3 ms
  CHECK(script.size() == 4 + 2);
  clock->advance(milliseconds(3));
  runtime.wait_idle();
  CHECK(script.size() == 4 + 2 + 2);  // both calls outstanding at 3 ms get a backup on the spare (2)
  script.answer(2, 0);
  script.answer(2, 1);
  runtime.wait_idle();
  for (auto& x : f) CHECK(x.get().hedged);
  runtime.shutdown();
  REQUIRE(delays.size() == 3);
  CHECK(std::isnan(delays[0]));  // percentile mode without a fixed delay: no hedging before 4 samples
  CHECK(std::isnan(delays[1]));
  CHECK(delays[2] == Approx(0.003));
}
