// SimulatedTransport on a ManualClock: answers at their delays, cancel, destruction with calls
// pending, failing models, the straggler delays, and a Runtime served by it. Nothing sleeps.
#include <nercc/runtime.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace {

using nercc::Index;
using Mat = nercc::RowMatrix<double>;
namespace rt = nercc::runtime;
using std::chrono::milliseconds;

Mat twice(const Mat& x) { return 2.0 * x; }

// What a completion saw.
struct Record {
  std::mutex m;
  int answers = 0, failures = 0;
  Mat output;
  rt::TimePoint at{};
};

// A completion that records what it is called with, and when on the clock.
struct Probe {
  std::shared_ptr<Record> record;
  std::shared_ptr<rt::ManualClock> clock;
  void operator()(const Mat& y) const {
    std::lock_guard<std::mutex> guard(record->m);
    ++record->answers;
    record->output = y;
    record->at = clock->now();
  }
  void fail() const {
    std::lock_guard<std::mutex> guard(record->m);
    ++record->failures;
    record->at = clock->now();
  }
};

// Worker w answers after (w + 1) ms.
rt::Duration by_worker(Index w, Index) { return milliseconds(w + 1); }

void advance_to(rt::ManualClock& clock, rt::TimePoint t) { clock.advance(t - clock.now()); }

}  // namespace

TEST_CASE("simulated transport: each call answers the model's output at its delay", "[runtime][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  rt::SimulatedTransport<double> workers(twice, by_worker, clock);
  auto transport = workers.transport();
  std::vector<std::shared_ptr<Record>> records;
  const Mat x = Mat::Random(2, 3);
  for (Index w : {2, 0, 1}) {
    records.push_back(std::make_shared<Record>());
    CHECK(transport(w, x, Probe{records.back(), clock}));
  }
  CHECK(workers.outstanding() == 3);
  for (int step = 1; step <= 3; ++step) {
    const rt::TimePoint due = rt::TimePoint(milliseconds(step));
    REQUIRE(workers.next_due() == due);
    advance_to(*clock, due - rt::Duration(1));
    workers.wait_delivered();
    CHECK(workers.outstanding() == std::size_t(4 - step));  // not yet: one tick early
    advance_to(*clock, due);
    workers.wait_delivered();
    CHECK(workers.outstanding() == std::size_t(3 - step));
  }
  CHECK_FALSE(workers.next_due());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Index w = std::vector<Index>{2, 0, 1}[i];
    CHECK(records[i]->answers == 1);
    CHECK(records[i]->failures == 0);
    CHECK(records[i]->at == rt::TimePoint(milliseconds(w + 1)));
    CHECK(records[i]->output == 2.0 * x);
  }
}

TEST_CASE("simulated transport: cancel drops the answer and releases the completion at once",
          "[runtime][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  rt::SimulatedTransport<double> workers(twice, by_worker, clock);
  auto kept = std::make_shared<Record>(), cancelled = std::make_shared<Record>();
  workers.transport()(0, Mat::Ones(1, 2), Probe{kept, clock});
  const auto cancel = workers.transport()(4, Mat::Ones(1, 2), Probe{cancelled, clock});
  REQUIRE(cancel);
  CHECK(cancelled.use_count() == 2);
  cancel();
  CHECK(cancelled.use_count() == 1);  // the completion is gone before the call is due
  cancel();                           // a second cancel changes nothing
  CHECK(workers.outstanding() == 2);
  // The cancelled call keeps its place on the timeline (its worker is busy) until due.
  advance_to(*clock, rt::TimePoint(milliseconds(1)));
  workers.wait_delivered();
  CHECK(workers.next_due() == rt::TimePoint(milliseconds(5)));
  advance_to(*clock, rt::TimePoint(milliseconds(10)));
  workers.wait_delivered();
  CHECK(workers.outstanding() == 0);
  CHECK(kept->answers == 1);
  CHECK(cancelled->answers == 0);
  CHECK(cancelled->failures == 0);
}

TEST_CASE("simulated transport: destruction drops pending calls; later calls fail at once",
          "[runtime][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  auto pending = std::make_shared<Record>(), late = std::make_shared<Record>();
  rt::CancelHandle cancel;
  std::unique_ptr<rt::SimulatedTransport<double>::Handle> handle;
  {
    rt::SimulatedTransport<double> workers(twice, by_worker, clock);
    handle = std::make_unique<rt::SimulatedTransport<double>::Handle>(workers.transport());
    cancel = (*handle)(3, Mat::Ones(1, 2), Probe{pending, clock});
    CHECK(pending.use_count() == 2);
  }
  CHECK(pending.use_count() == 1);  // dropped, never called
  CHECK(pending->answers + pending->failures == 0);
  cancel();                         // harmless after destruction
  advance_to(*clock, rt::TimePoint(milliseconds(10)));
  CHECK(pending->answers + pending->failures == 0);
  CHECK_FALSE((*handle)(0, Mat::Ones(1, 2), Probe{late, clock}));
  CHECK(late->failures == 1);
  CHECK(late.use_count() == 1);
}

TEST_CASE("simulated transport: a model that throws fails the call at its due time", "[runtime][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  const auto model = [](const Mat& x) -> Mat {
    if (x(0, 0) < 0) throw std::runtime_error("worker crashed");
    return x;
  };
  rt::SimulatedTransport<double> workers(model, by_worker, clock);
  auto bad = std::make_shared<Record>(), good = std::make_shared<Record>();
  workers.transport()(1, -Mat::Ones(1, 2), Probe{bad, clock});
  workers.transport()(1, Mat::Ones(1, 2), Probe{good, clock});
  workers.wait_delivered();
  CHECK(bad->failures == 0);  // nothing before the delay
  advance_to(*clock, rt::TimePoint(milliseconds(2)));
  workers.wait_delivered();
  CHECK(bad->failures == 1);
  CHECK(bad->answers == 0);
  CHECK(bad->at == rt::TimePoint(milliseconds(2)));
  CHECK(good->answers == 1);
}

TEST_CASE("simulated transport: empty callables and bad straggler parameters are refused", "[runtime][simulated]") {
  CHECK_THROWS_AS(rt::SimulatedTransport<double>(nullptr, by_worker), nercc::invalid_argument);
  CHECK_THROWS_AS(rt::SimulatedTransport<double>(twice, nullptr), nercc::invalid_argument);
  CHECK_THROWS_AS(rt::SimulatedTransport<double>(twice, by_worker, nullptr), nercc::invalid_argument);
  rt::StragglerDelays p;
  p.slow_probability = 1.5;
  CHECK_THROWS_WITH(rt::straggler_delays(p), Catch::Contains("slow_probability (1.5)"));
  p = {};
  p.slowdown = 0.5;
  CHECK_THROWS_WITH(rt::straggler_delays(p), Catch::Contains("slowdown (0.5)"));
}

TEST_CASE("straggler delays: base, exponential jitter, slow calls at the given rate; reproducible",
          "[runtime][simulated]") {
  rt::StragglerDelays p;
  p.base = milliseconds(2);
  p.jitter = milliseconds(1);
  p.slow_probability = 0.2;
  p.slowdown = 10.0;
  p.seed = 7;
  auto delay = rt::straggler_delays(p), again = rt::straggler_delays(p);
  const int n = 20000;
  int slow = 0;
  double fast_sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const rt::Duration d = delay(0, 1);
    CHECK(d == again(0, 1));
    REQUIRE(d >= p.base);
    // Fast calls take 2 ms + Exp(1 ms), rarely beyond 15 ms; slow ones at least 20 ms.
    if (d >= milliseconds(20)) ++slow;
    else fast_sum += rt::seconds(d);
  }
  CHECK(double(slow) / n == Approx(0.2).margin(0.01));
  CHECK(fast_sum / (n - slow) == Approx(0.003).epsilon(0.03));
}

TEST_CASE("simulated transport serves a Runtime: answers at their delays, stragglers cancelled",
          "[runtime][simulated]") {
  auto clock = std::make_shared<rt::ManualClock>();
  // Replication K = 2 on N = 4: workers 0 and 1 answer after 1 ms, 2 and 3 straggle (100 ms).
  rt::SimulatedTransport<double> workers(
      twice, [](Index w, Index) -> rt::Duration { return milliseconds(w < 2 ? 1 : 100); }, clock);
  rt::RuntimeParams p;
  p.scheme = nercc::SchemeKind::replication;
  p.code.num_queries = 2;
  p.code.num_workers = 4;
  p.input_dim = 3;
  p.output_dim = 3;
  p.deadline = milliseconds(500);
  rt::Runtime<double> runtime(p, workers.transport(), clock);
  const Mat x = Mat::Random(2, 3);
  auto first = runtime.submit(x.row(0)), second = runtime.submit(x.row(1));
  runtime.wait_idle();
  while (const auto due = workers.next_due()) {
    advance_to(*clock, *due);
    workers.wait_delivered();
    runtime.wait_idle();
  }
  const auto a = first.get(), b = second.get();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.value == 2.0 * x.row(0));
  CHECK(b.value == 2.0 * x.row(1));
  CHECK(a.latency_seconds == Approx(0.001));
  const rt::RuntimeMetrics m = runtime.metrics();
  CHECK(m.calls_cancelled == 2);
  CHECK(m.late_answers == 0);
  CHECK(clock->now() == rt::TimePoint(milliseconds(100)));  // the cancelled calls' due time
}
