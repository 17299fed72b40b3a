// Regression tests of runtime defects found by a hostile user (issue 16): each failed before its
// fix. Reference cycles through a transport that keeps completions; "no deadline" and "no group
// timeout"; callbacks that submit again under blocking policies; synchronous calls of decided
// groups.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

// The usual asynchronous client: a table of outstanding calls, and no way to cancel.
struct HoardingTransport {
  struct State {
    std::mutex m;
    std::vector<rt::Completion<double>> pending;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  rt::CancelHandle operator()(Index, const Eigen::Ref<const Mat>&, rt::Completion<double> done) const {
    std::lock_guard<std::mutex> guard(state->m);
    state->pending.push_back(std::move(done));
    return {};
  }
};

}  // namespace

TEST_CASE("runtime: a transport that keeps its completions does not keep the runtime alive", "[runtime][regression]") {
  auto clock = std::make_shared<rt::ManualClock>();
  std::weak_ptr<HoardingTransport::State> state;
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  {
    HoardingTransport transport;
    state = transport.state;
    rt::Runtime<double> runtime(small_params(nercc::SchemeKind::spline), transport, clock);
    for (Index i = 0; i < 8; ++i) futures.push_back(runtime.submit(constant_query(i)));
    runtime.wait_idle();
    clock->advance(milliseconds(200));  // past the deadline: both groups fail
    runtime.wait_idle();
    std::lock_guard<std::mutex> guard(state.lock()->m);
    CHECK(state.lock()->pending.size() == 16);
  }
  for (auto& f : futures) CHECK(f.get().error == rt::QueryError::too_few_answers);
  CHECK(state.expired());  // the transport, its completions and the runtime's core are all released
}

TEST_CASE("runtime: saturating time arithmetic", "[runtime][regression]") {
  const rt::TimePoint t0{};
  CHECK(rt::saturating_add(t0, rt::never) == rt::TimePoint::max());
  CHECK(rt::saturating_add(t0 + std::chrono::hours(1), rt::never) == rt::TimePoint::max());
  CHECK(rt::saturating_add(t0, milliseconds(5)) == t0 + milliseconds(5));
  CHECK(rt::saturating_add(rt::TimePoint::max() - milliseconds(1), milliseconds(2)) == rt::TimePoint::max());
  CHECK(rt::saturating_add(t0 + milliseconds(5), milliseconds(-3)) == t0 + milliseconds(2));
}

TEST_CASE("runtime: group_timeout = never closes groups only at full size", "[runtime][regression]") {
  auto clock = std::make_shared<rt::ManualClock>(rt::TimePoint{} + std::chrono::hours(24));
  ScriptedTransport script;
  auto p = small_params(nercc::SchemeKind::spline);
  p.group_timeout = rt::never;
  rt::Runtime<double> runtime(p, script.transport(), clock);
  auto partial = runtime.submit(constant_query(0));
  runtime.wait_idle();
  clock->advance(std::chrono::hours(1000));
  runtime.wait_idle();
  CHECK(script.size() == 0);
  CHECK(runtime.metrics().groups_formed == 0);
  for (Index i = 1; i < 4; ++i) runtime.submit(constant_query(i));
  runtime.wait_idle();
  CHECK(script.size() == 8);  // the fourth query closed the group
  runtime.shutdown();
  CHECK(partial.get().error == rt::QueryError::shut_down);  // the group was in flight, unanswered
}

TEST_CASE("runtime: deadline = never waits for the quorum however long it takes", "[runtime][regression]") {
  auto clock = std::make_shared<rt::ManualClock>(rt::TimePoint{} + std::chrono::hours(24));
  ScriptedTransport script;
  auto p = small_params(nercc::SchemeKind::spline);
  p.deadline = rt::never;
  rt::Runtime<double> runtime(p, script.transport(), clock);
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(constant_query(i)));
  runtime.wait_idle();
  REQUIRE(script.size() == 8);
  clock->advance(std::chrono::hours(1000));
  runtime.wait_idle();
  CHECK(futures[0].wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  for (Index w = 0; w < 6; ++w) script.answer(w);
  runtime.wait_idle();
  for (auto& f : futures) {
    const auto o = f.get();
    CHECK(o.ok());
    CHECK(o.answers_used == 6);
  }
  CHECK(runtime.metrics().groups_decided_quorum == 1);
}

TEST_CASE("runtime: a callback may submit again under blocking policies", "[runtime][regression]") {
  auto p = small_params(nercc::SchemeKind::spline, 4, 8, 0);
  p.admission_capacity = 1;
  p.admission_policy = rt::QueuePolicy::block;
  p.stage_capacity = 1;
  p.stage_policy = rt::QueuePolicy::block;
  p.max_inflight_groups = 1;
  p.group_timeout = milliseconds(1);
  p.overload.enabled = false;
  const auto instant = [](Index, const Eigen::Ref<const Mat>& x, rt::Completion<double> done) -> rt::CancelHandle {
    done(toy_model(x));
    return {};
  };
  constexpr int total = 200, initial = 32;
  std::mutex m;
  std::condition_variable cv;
  int submitted = initial, outcomes = 0, ok = 0;
  rt::Runtime<double> runtime(p, instant);
  std::function<void(rt::QueryOutcome<double>&&)> retry;
  retry = [&](rt::QueryOutcome<double>&& o) {
    bool again = false;
    {
      std::lock_guard<std::mutex> guard(m);
      ++outcomes;
      ok += o.ok();
      again = submitted < total;
      if (again) ++submitted;
    }
    cv.notify_all();
    if (again) runtime.submit(constant_query(0), retry);  // on a decode thread, blocking while admission is full
  };
  // Enough queries to fill every queue, so the callbacks' submits meet a full pipeline.
  std::thread feeder([&] {
    for (int i = 0; i < initial; ++i) runtime.submit(constant_query(i), retry);
  });
  std::unique_lock<std::mutex> lock(m);
  const bool done = cv.wait_for(lock, std::chrono::seconds(60), [&] { return outcomes == total; });
  lock.unlock();
  CHECK(done);
  runtime.shutdown();  // unblocks a stalled pipeline, so a failure ends here instead of hanging
  feeder.join();
  std::lock_guard<std::mutex> guard(m);
  if (done) CHECK(ok == total);
}

TEST_CASE("runtime: queued synchronous calls of a decided group are skipped", "[runtime][regression]") {
  auto clock = std::make_shared<rt::ManualClock>();
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::promise<void> first;
  std::mutex m;
  int invoked = 0;
  const auto slow = [&](Index, const Eigen::Ref<const Mat>& x) -> Mat {
    {
      std::lock_guard<std::mutex> guard(m);
      if (++invoked == 1) first.set_value();
    }
    open.wait();
    return toy_model(x);
  };
  auto p = small_params(nercc::SchemeKind::spline);
  p.io_threads = 1;
  rt::Runtime<double> runtime(p, slow, clock);
  std::vector<std::future<rt::QueryOutcome<double>>> futures;
  for (Index i = 0; i < 4; ++i) futures.push_back(runtime.submit(constant_query(i)));
  first.get_future().wait();
  runtime.wait_idle();
  clock->advance(milliseconds(200));  // the deadline decides the group while the first call runs
  runtime.wait_idle();
  for (auto& f : futures) CHECK(f.get().error == rt::QueryError::too_few_answers);
  gate.set_value();
  runtime.shutdown();  // runs the queued io tasks: each sees a decided group
  std::lock_guard<std::mutex> guard(m);
  CHECK(invoked == 1);
  CHECK(runtime.metrics().calls_cancelled == 7);
}
