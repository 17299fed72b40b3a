// The runtime's policies and services on their own, without a pipeline: the decision rule, the
// overload controller, the timer service and the metrics recorder.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using nercc::Index;
namespace rt = nercc::runtime;
using nercc_test::group_shape;
using std::chrono::milliseconds;

rt::CollectProgress progress(Index resolved, Index usable, Index covered = 0) {
  rt::CollectProgress p;
  p.resolved = resolved;
  p.usable = usable;
  p.covered = covered;
  return p;
}

nercc::CodeParams code(Index k, Index n) {
  nercc::CodeParams p;
  p.num_queries = k;
  p.num_workers = n;
  return p;
}

}  // namespace

TEST_CASE("QuorumOrDeadline: quorum N_used - S, clamped to [min_answers, N_used]", "[runtime][policy]") {
  const rt::QuorumOrDeadline s2(2, milliseconds(10));
  CHECK(s2.quorum(group_shape(10, 4)) == 8);
  CHECK(s2.quorum(group_shape(5, 4)) == 4);   // lowered redundancy: never below the decoder's minimum
  CHECK(s2.quorum(group_shape(3, 4)) == 3);   // never above the calls sent
  CHECK(rt::QuorumOrDeadline(0, milliseconds(1)).quorum(group_shape(6, 1)) == 6);
  CHECK(s2.deadline() == milliseconds(10));
}

TEST_CASE("QuorumOrDeadline: decides at the quorum, at full cover, or when every call resolved", "[runtime][policy]") {
  const rt::QuorumOrDeadline rule(2, milliseconds(10));
  const rt::GroupShape coded = group_shape(10, 4);
  CHECK_FALSE(rule.on_progress(coded, progress(7, 7)));
  CHECK(rule.on_progress(coded, progress(8, 8)) == rt::Decision::quorum);
  CHECK(rule.on_progress(coded, progress(9, 7)) == std::nullopt);       // two failed calls, one outstanding
  CHECK(rule.on_progress(coded, progress(10, 7)) == rt::Decision::resolved);
  CHECK(rule.on_progress(coded, progress(10, 8)) == rt::Decision::quorum);  // the quorum wins over resolved

  // Replication of 4 queries on 8 workers, no stragglers: quorum 8, but covering every query decides.
  const rt::QuorumOrDeadline exact(0, milliseconds(10));
  const rt::GroupShape replicated = group_shape(8, 1, true, 4);
  CHECK_FALSE(exact.on_progress(replicated, progress(3, 3, 3)));
  CHECK(exact.on_progress(replicated, progress(4, 4, 4)) == rt::Decision::quorum);
  CHECK_FALSE(exact.on_progress(group_shape(8, 1, false, 4), progress(4, 4, 4)));  // coverage counts only when covering
}

TEST_CASE("QuorumOrDeadline: bad settings name the field", "[runtime][policy][errors]") {
  CHECK_THROWS_WITH(rt::QuorumOrDeadline(-1, milliseconds(1)), Catch::Contains("stragglers (-1)"));
  CHECK_THROWS_WITH(rt::QuorumOrDeadline(0, milliseconds(0)), Catch::Contains("deadline (0 s)"));
  CHECK_THROWS_AS(rt::QuorumOrDeadline(0, milliseconds(-5)), nercc::invalid_argument);
}

TEST_CASE("make_decision_rule and make_overload_policy follow RuntimeParams", "[runtime][policy]") {
  rt::RuntimeParams p;
  p.code = code(4, 8);
  p.stragglers = 3;
  p.deadline = milliseconds(42);
  p.overload.patience = 1;
  p.overload.min_workers = 6;  // default step: ceil((8 - 6) / 2) = 1
  const auto rule = rt::make_decision_rule(p);
  CHECK(rule->deadline() == milliseconds(42));
  CHECK(rule->quorum(group_shape(8, 4)) == 5);
  const auto overload = rt::make_overload_policy(p);
  CHECK(overload->workers_in_use() == 8);
  CHECK(overload->observe(1.0) == rt::OverloadAction::lower_redundancy);
  CHECK(overload->workers_in_use() == 7);
  CHECK(overload->observe(1.0) == rt::OverloadAction::lower_redundancy);
  CHECK(overload->workers_in_use() == 6);
}

TEST_CASE("OverloadController: lowers redundancy, then sheds, and undoes one step at a time", "[runtime][policy]") {
  rt::OverloadParams o;
  o.patience = 3;
  rt::OverloadController c(o, code(4, 12));  // floor 4, step ceil(8 / 2) = 4
  CHECK(c.workers_in_use() == 12);
  CHECK_FALSE(c.shedding());
  using A = rt::OverloadAction;
  auto observe_n = [&](double load, int n) {
    std::vector<A> actions;
    for (int i = 0; i < n; ++i) actions.push_back(c.observe(load));
    return actions;
  };
  CHECK(observe_n(0.9, 3) == std::vector<A>{A::none, A::none, A::lower_redundancy});
  CHECK(c.workers_in_use() == 8);
  // A load between the watermarks breaks the streak.
  CHECK(observe_n(0.9, 2) == std::vector<A>{A::none, A::none});
  CHECK(c.observe(0.5) == A::none);
  CHECK(observe_n(0.75, 3) == std::vector<A>{A::none, A::none, A::lower_redundancy});  // high_watermark counts
  CHECK(c.workers_in_use() == 4);
  CHECK(observe_n(1.0, 3).back() == A::start_shedding);
  CHECK(c.shedding());
  CHECK(observe_n(1.0, 6) == std::vector<A>(6, A::none));  // at the floor and shedding: nothing more to do
  CHECK(observe_n(0.25, 3).back() == A::stop_shedding);      // low_watermark counts
  CHECK_FALSE(c.shedding());
  CHECK(observe_n(0.0, 3).back() == A::restore_redundancy);
  CHECK(c.workers_in_use() == 8);
  CHECK(observe_n(0.0, 3).back() == A::restore_redundancy);
  CHECK(c.workers_in_use() == 12);
  CHECK(observe_n(0.0, 9) == std::vector<A>(9, A::none));
}

TEST_CASE("OverloadController: settings (floor, step, no shedding, disabled)", "[runtime][policy]") {
  using A = rt::OverloadAction;
  rt::OverloadParams o;
  o.patience = 1;
  o.min_workers = 6;
  o.workers_step = 1;
  o.shed = false;
  rt::OverloadController c(o, code(4, 8));
  CHECK(c.observe(1.0) == A::lower_redundancy);
  CHECK(c.observe(1.0) == A::lower_redundancy);
  CHECK(c.workers_in_use() == 6);
  CHECK(c.observe(1.0) == A::none);  // floor reached and shedding is off
  CHECK_FALSE(c.shedding());

  rt::OverloadParams off;
  off.enabled = false;
  off.patience = 1;
  rt::OverloadController idle(off, code(4, 8));
  for (int i = 0; i < 5; ++i) CHECK(idle.observe(1.0) == A::none);
  CHECK(idle.workers_in_use() == 8);
  CHECK_FALSE(idle.enabled());

  rt::OverloadParams odd;  // span 1: the default step is 1
  odd.patience = 1;
  rt::OverloadController one(odd, code(4, 5));
  CHECK(one.observe(1.0) == A::lower_redundancy);
  CHECK(one.workers_in_use() == 4);
}

TEST_CASE("OverloadController: invariants over random loads", "[runtime][policy]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    rt::OverloadParams o;
    o.patience = 1 + int(rng() % 4);
    const Index k = 2 + Index(rng() % 4), n = k + Index(rng() % 9);
    o.workers_step = Index(rng() % 3);
    rt::OverloadController c(o, code(k, n));
    Index workers = n;
    bool shedding = false;
    for (int i = 0; i < 400; ++i) {
      const rt::OverloadAction a = c.observe(u(rng) < 0.5 ? u(rng) : 0.8 + 0.2 * u(rng));
      // Each action moves the state the way it says, and nothing else moves it.
      switch (a) {
        case rt::OverloadAction::lower_redundancy: CHECK(c.workers_in_use() < workers); break;
        case rt::OverloadAction::restore_redundancy: CHECK(c.workers_in_use() > workers); break;
        case rt::OverloadAction::start_shedding: CHECK((!shedding && c.shedding())); break;
        case rt::OverloadAction::stop_shedding: CHECK((shedding && !c.shedding())); break;
        case rt::OverloadAction::none:
          CHECK(c.workers_in_use() == workers);
          CHECK(c.shedding() == shedding);
          break;
      }
      workers = c.workers_in_use();
      shedding = c.shedding();
      REQUIRE(workers >= k);
      REQUIRE(workers <= n);
      if (shedding) REQUIRE(workers == k);  // shedding only at the floor
    }
  }
}

TEST_CASE("TimerService: fires in time order, FIFO at equal times, only once due", "[runtime][timer]") {
  auto clock = std::make_shared<rt::ManualClock>();
  rt::detail::IdleTracker idle;
  rt::TimerService timers(clock, &idle);
  timers.start();
  std::mutex m;
  std::vector<int> fired;
  std::thread::id fired_on;
  auto record = [&](int id) {
    return [&, id] {
      std::lock_guard<std::mutex> guard(m);
      fired.push_back(id);
      fired_on = std::this_thread::get_id();
    };
  };
  const rt::TimePoint t0 = clock->now();
  timers.schedule(t0 + milliseconds(2), record(3));
  timers.schedule(t0 + milliseconds(1), record(1));
  timers.schedule(t0 + milliseconds(1), record(2));
  timers.schedule(t0 + milliseconds(5), record(4));
  clock->advance(milliseconds(1));
  idle.wait();  // the change of time is settled: due timers have run
  {
    std::lock_guard<std::mutex> guard(m);
    CHECK(fired == std::vector<int>{1, 2});
    CHECK(fired_on != std::this_thread::get_id());
  }
  clock->advance(milliseconds(2));
  idle.wait();
  {
    std::lock_guard<std::mutex> guard(m);
    CHECK(fired == std::vector<int>{1, 2, 3});
  }
  CHECK(timers.size() == 1);
  timers.detach_clock();
  timers.stop();
  CHECK(timers.size() == 0);  // dropped unfired
  std::lock_guard<std::mutex> guard(m);
  CHECK(fired == std::vector<int>{1, 2, 3});
}

TEST_CASE("TimerService: a due timer fires at once, and callbacks may schedule more", "[runtime][timer]") {
  auto clock = std::make_shared<rt::ManualClock>();
  rt::detail::IdleTracker idle;
  rt::TimerService timers(clock, &idle);
  timers.start();
  std::promise<void> second;
  std::atomic<int> count{0};
  timers.schedule(clock->now(), [&] {
    ++count;
    timers.schedule(clock->now(), [&] {
      ++count;
      second.set_value();
    });
  });
  REQUIRE(second.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(count.load() == 2);
}

TEST_CASE("TimerService: destruction with timers pending fires none and settles every change of time",
          "[runtime][timer]") {
  auto clock = std::make_shared<rt::ManualClock>();
  rt::detail::IdleTracker idle;
  std::atomic<int> fired{0};
  {
    rt::TimerService timers(clock, &idle);
    timers.start();
    for (int i = 1; i <= 10; ++i) timers.schedule(clock->now() + milliseconds(100 * i), [&] { ++fired; });
    clock->advance(milliseconds(150));
    idle.wait();
    CHECK(fired.load() == 1);
  }
  clock->advance(milliseconds(10000));  // no subscriber left
  idle.wait();
  CHECK(fired.load() == 1);
  CHECK_THROWS_WITH(rt::TimerService(nullptr), Catch::Contains("clock (null)"));
}

TEST_CASE("MetricsRecorder: events become counters", "[runtime][metrics]") {
  rt::MetricsRecorder r(6);
  for (int i = 0; i < 5; ++i) r.query_submitted();
  r.query_completed(rt::QueryError::none, 0.002);
  r.query_completed(rt::QueryError::none, 0.004);
  r.query_completed(rt::QueryError::shed, 0.0);
  r.query_completed(rt::QueryError::unavailable, 0.01);
  r.callback_threw();
  r.group_formed(true, std::vector<double>{0.001, 0.002});
  r.stage_latency(rt::Stage::encode, 0.0005);
  for (int i = 0; i < 6; ++i) r.call_sent();
  r.call_resolved(rt::CallState::answered, false);
  r.call_resolved(rt::CallState::failed, false);
  r.call_resolved(rt::CallState::bad_shape, false);
  r.call_resolved(rt::CallState::non_finite, false);
  r.call_resolved(rt::CallState::answered, true);
  r.call_resolved(rt::CallState::failed, true);  // a late failure is not a late answer
  r.call_cancelled();
  r.overload(rt::OverloadAction::lower_redundancy, 4, false);
  r.overload(rt::OverloadAction::start_shedding, 4, true);
  r.group_decided(rt::Decision::deadline, nercc::DecodeStatus::partial, 3, 0.01, 0.001);
  r.group_decided(rt::Decision::shutdown, nercc::DecodeStatus::insufficient_answers, 0, 0.02, 0.0);

  const rt::RuntimeMetrics m = r.snapshot();
  CHECK(m.submitted == 5);
  CHECK(m.completed_ok == 2);
  CHECK(m.shed == 1);
  CHECK(m.unavailable == 1);
  CHECK(m.live_queries == 1);
  CHECK(m.max_live_queries == 5);
  CHECK(m.outcomes() == 4);
  CHECK(m.callback_exceptions == 1);
  CHECK(m.end_to_end.count == 2);
  CHECK(m.end_to_end.max_seconds == 0.004);
  CHECK(m.groups_formed == 1);
  CHECK(m.groups_padded == 1);
  CHECK(m.admission.latency.count == 2);
  CHECK(m.encode.latency.count == 1);
  CHECK(m.calls_sent == 6);
  CHECK(m.answers_used == 1);
  CHECK(m.answers_failed == 1);
  CHECK(m.answers_bad_shape == 1);
  CHECK(m.answers_non_finite == 1);
  CHECK(m.late_answers == 1);
  CHECK(m.calls_cancelled == 1);
  CHECK(m.redundancy_lowered == 1);
  CHECK(m.shedding_started == 1);
  CHECK(m.workers_in_use == 4);
  CHECK(m.shedding);
  CHECK(m.groups_decided_deadline == 1);
  CHECK(m.groups_decided_shutdown == 1);
  CHECK(m.decode_partial == 1);
  CHECK(m.decode_insufficient == 0);  // a shutdown is not a decode
  CHECK(m.answers_per_group == std::vector<std::uint64_t>{1, 0, 0, 1, 0, 0, 0});
  CHECK(m.collect.latency.count == 2);
}
