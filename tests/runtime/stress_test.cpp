// Randomised stress (random delays, failures, hangs, cancellations, garbage answers) and
// overload. Time is a ManualClock moved by a driver thread; nothing sleeps.
#include "support.hpp"

#include <nercc/points.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

// Groups in the stress run: NERCC_STRESS_GROUPS, else 10^5 (about 3 s in the release build,
// 17 s under ThreadSanitizer on two cores).
long stress_groups() {
  if (const char* env = std::getenv("NERCC_STRESS_GROUPS")) return std::atol(env);
  return 100000;
}

// A simulated cluster: answers after a random number of clock ticks, fails, hangs, throws,
// returns garbage, answers twice, or answers after being cancelled.
class ChaosTransport {
 public:
  struct Call {
    rt::Completion<double> done;
    Mat output;
    bool cancelled = false;
    bool answer_after_cancel = false;
    bool twice = false;
  };

  // `liar`: a worker whose well-formed answers are sign-flipped (-1: none).
  explicit ChaosTransport(std::uint64_t seed, Index liar = -1) : rng_(seed), liar_(liar) {}

  auto transport() {
    return [this](Index w, const Eigen::Ref<const Mat>& x, rt::Completion<double> done) -> rt::CancelHandle {
      std::lock_guard<std::mutex> guard(m_);
      const double u = uniform_(rng_);
      if (u < 0.02) throw std::runtime_error("worker crashed");
      if (u < 0.04) {
        done.fail();
        return {};
      }
      auto call = std::make_shared<Call>(Call{done, toy_model(x)});
      if (w == liar_) call->output = -call->output;
      if (u < 0.06) call->output(0, 1) = std::numeric_limits<double>::quiet_NaN();
      else if (u < 0.07) call->output = Mat::Zero(1, 3);
      call->answer_after_cancel = uniform_(rng_) < 0.3;
      call->twice = uniform_(rng_) < 0.05;
      const bool hang = uniform_(rng_) < 0.03;
      if (!hang) due_.emplace(tick_ + std::int64_t(uniform_(rng_) * 7.0), call);  // deadline is 5 ticks
      return [this, call] {
        std::lock_guard<std::mutex> g(m_);
        call->cancelled = true;
      };
    };
  }

  // Moves the calls due at `tick` to the completer threads.
  void release(std::int64_t tick) {
    {
      std::lock_guard<std::mutex> guard(m_);
      tick_ = tick;
      while (!due_.empty() && due_.begin()->first <= tick) {
        auto call = due_.begin()->second;
        due_.erase(due_.begin());
        if (!call->cancelled || call->answer_after_cancel) ready_.push_back(call);
      }
    }
    cv_.notify_all();
  }

  void completer() {
    for (;;) {
      std::shared_ptr<Call> call;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || !ready_.empty(); });
        if (ready_.empty()) return;
        call = ready_.front();
        ready_.pop_front();
      }
      call->done(call->output);
      if (call->twice) call->done.fail();  // ignored: first resolution wins
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> guard(m_);
      stop_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::multimap<std::int64_t, std::shared_ptr<Call>> due_;
  std::deque<std::shared_ptr<Call>> ready_;
  std::int64_t tick_ = 0;
  bool stop_ = false;
  Index liar_ = -1;
};

}  // namespace

namespace {

struct StressOptions {
  bool early_release = false;  // on a systematic layout: some queries complete early
  rt::HedgeTarget hedge = rt::HedgeTarget::off;  // backups (cancelled, late, failing like any call)
  bool fallback = false;       // a fallback model answers the queries left without a value
  double fallback_below_reliability = 0.0;  // ... and the estimates less reliable than this
  bool byzantine = false;  // worker 3 lies; E = 1 with the quarantine (early release then holds)
};

// A cheap stand-in for a distilled model; throws now and then, like any user code.
Mat stress_fallback(const Eigen::Ref<const Mat>& x) {
  if (x(0, 0) > 1.2) throw std::runtime_error("fallback down");
  Mat y(1, 2);
  y << x.sum(), x(0, 1);
  return y;
}

// Every query of `groups` random groups gets exactly one outcome, whatever path produced it.
void stress(long groups, StressOptions opt) {
  const bool early_release = opt.early_release;
  const Index k = 2;
  const long total = groups * long(k);
  auto clock = std::make_shared<rt::ManualClock>();
  const Index liar = 3;
  ChaosTransport chaos(7, opt.byzantine ? liar : -1);
  rt::RuntimeParams p;
  p.scheme = nercc::SchemeKind::spline;
  p.code.num_queries = k;
  p.code.num_workers = 5;
  p.input_dim = 2;
  p.output_dim = 2;
  p.stragglers = 1;
  p.group_timeout = milliseconds(2);
  p.deadline = milliseconds(5);
  p.admission_capacity = 256;
  p.admission_policy = rt::QueuePolicy::block;
  p.stage_capacity = 8;
  p.max_inflight_groups = 64;
  p.encode_threads = 2;
  p.decode_threads = 2;
  p.overload.shed = false;  // lower redundancy but keep every group, so the count is reached
  if (opt.byzantine) {
    p.code.num_workers = 6;  // K + 2E + 2: room for a straggler and a withheld call
    p.code.num_adversaries = 1;
    p.code.detection_threshold = 10.0;
    p.quarantine.enabled = true;
    p.quarantine.window = 4;
    p.quarantine.flags_to_quarantine = 2;
    p.quarantine.cool_down = milliseconds(3);
    p.overload.enabled = false;  // at its floor (K + 2E) no call could be withheld
  }
  if (early_release) {
    p.early_release = true;
    // With E > 0 the companions stay apart from the query points: twins (nearly the same point)
    // explain each other's answers, and the detector flags such pairs together.
    p.code.worker_points = nercc::clustered_worker_points(p.code.resolved_query_points(), p.code.num_workers,
                                                          opt.byzantine ? 0.5 : 0.1);
  }
  if (opt.hedge != rt::HedgeTarget::off) {
    p.hedge.target = opt.hedge;
    if (opt.hedge == rt::HedgeTarget::spare) p.hedge.spare_workers = 2;  // the chaos serves any index
    p.hedge.delay = milliseconds(2);
    p.hedge.budget_fraction = 0.2;
    p.hedge.budget_burst = 5;
  }
  rt::Fallback<double> fallback;
  if (opt.fallback) fallback = stress_fallback;
  p.fallback_below_reliability = opt.fallback_below_reliability;
  // Lowered redundancy leaves the K systematic workers alone, with nothing to estimate: keep N
  // when the estimates' reliability is what the run exercises.
  if (opt.fallback_below_reliability > 0) p.overload.enabled = false;
  std::unique_ptr<rt::Runtime<double>> runtime(new rt::Runtime<double>(p, chaos.transport(), clock, fallback));

  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(total));
  for (auto& s : seen) s.store(0);
  std::atomic<long> outcomes{0}, ok{0}, hedged{0}, by_fallback{0};
  std::atomic<int> submitters_done{0};
  auto submitter = [&](long begin, long end, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 0.5);
    Mat x(1, 2);
    for (long i = begin; i < end; ++i) {
      x << normal(rng), normal(rng);
      runtime->submit(x, [&, i](rt::QueryOutcome<double>&& o) {
        seen[std::size_t(i)].fetch_add(1);
        if (o.ok()) ok.fetch_add(1);
        if (o.ok() && o.hedged) hedged.fetch_add(1);
        if (o.ok() && o.provenance == rt::Provenance::fallback) by_fallback.fetch_add(1);
        outcomes.fetch_add(1);
      });
    }
    submitters_done.fetch_add(1);
  };
  std::thread completers[2] = {std::thread([&] { chaos.completer(); }), std::thread([&] { chaos.completer(); })};
  std::thread submitters[2] = {std::thread(submitter, 0, total / 2, 1), std::thread(submitter, total / 2, total, 2)};

  // The driver: one tick of 1 ms at a time until every outcome is in.
  std::int64_t tick = 0;
  while (submitters_done.load() < 2 || outcomes.load() < total) {
    clock->advance(milliseconds(1));
    chaos.release(++tick);
    std::this_thread::yield();
  }
  for (auto& t : submitters) t.join();
  runtime->shutdown();
  chaos.stop();
  for (auto& t : completers) t.join();

  const auto m = runtime->metrics();
  long duplicated = 0, lost = 0;
  for (auto& s : seen) {
    duplicated += s.load() > 1;
    lost += s.load() == 0;
  }
  INFO(m.to_json());
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(outcomes.load() == total);
  CHECK(long(m.submitted) == total);
  CHECK(m.outcomes() == m.submitted);
  CHECK(long(m.groups_formed) >= groups);
  CHECK(m.late_answers > 0);
  CHECK(m.calls_cancelled > 0);
  CHECK(m.answers_failed > 0);
  CHECK(m.answers_non_finite > 0);
  CHECK(m.answers_bad_shape > 0);
  CHECK(m.groups_decided_deadline > 0);
  if (!opt.fallback) CHECK(m.too_few_answers > 0);
  CHECK(ok.load() > 0);  // the mix of outcomes depends on thread scheduling against the driven clock
  if (early_release && !opt.byzantine) CHECK(m.released_early > 0);
  else CHECK(m.released_early == 0);  // with E > 0 early release holds until the decision
  std::uint64_t flags = 0;
  for (std::uint64_t f : m.flags_per_worker) flags += f;
  CHECK(flags == m.flags_total);
  if (opt.byzantine) {
    CHECK(m.flags_per_worker[std::size_t(liar)] > 0);
    CHECK(m.quarantines > 0);
    CHECK(m.quarantine_probes > 0);
    CHECK(m.calls_withheld > 0);
    CHECK(m.quarantine_extensions > 0);
  } else {
    CHECK(m.flags_total == 0);
    CHECK(m.quarantines == 0);
  }
  CHECK(long(m.hedged_answers) == hedged.load());
  CHECK(long(m.fallback_answers) == by_fallback.load());
  if (opt.hedge != rt::HedgeTarget::off) {
    CHECK(m.hedges_sent > 0);
    CHECK(m.hedges_won > 0);
    CHECK(m.hedges_cancelled > 0);
    CHECK(m.hedged_answers > 0);
    // The budget's bound: backups <= burst + fraction x primary calls.
    CHECK(double(m.hedges_sent) <= p.hedge.budget_burst + p.hedge.budget_fraction * double(m.calls_sent));
  } else {
    CHECK(m.hedges_sent == 0);
    CHECK(m.hedged_answers == 0);
  }
  if (opt.fallback) {
    CHECK(m.fallback_answers > 0);
    CHECK(m.fallback_failed > 0);
    if (opt.fallback_below_reliability > 0) CHECK(m.fallback_low_reliability > 0);
    else CHECK(m.fallback_low_reliability == 0);
    CHECK(m.fallback_low_reliability <= m.fallback_answers);
  } else {
    CHECK(m.fallback_answers == 0);
  }
  WARN("stress: " << m.groups_formed << " groups, " << m.submitted << " queries, " << m.completed_ok << " ok, "
                  << m.too_few_answers << " too few answers, " << m.late_answers << " late answers, "
                  << m.calls_cancelled << " cancelled calls, " << m.answers_failed << " failed calls, " << tick
                  << " ticks; " << m.released_early << " released early; " << m.hedges_sent << " hedges sent, "
                  << m.hedges_won << " won, " << m.hedges_cancelled << " losers cancelled, " << m.hedge_answers_discarded
                  << " losers' answers discarded, " << m.hedges_refused_budget << " refused by the budget; "
                  << m.fallback_answers << " fallback answers (" << m.fallback_low_reliability
                  << " for low reliability); " << m.flags_total << " flags (" << (opt.byzantine ? m.flags_per_worker[std::size_t(liar)] : 0)
                  << " on the liar), " << m.quarantines << " quarantines, " << m.quarantine_probes << " probes, "
                  << m.readmissions << " readmissions, " << m.calls_withheld << " calls withheld, "
                  << m.quarantine_overrides << " overrides; lost " << lost << ", duplicated " << duplicated);
}

}  // namespace

TEST_CASE("runtime stress: every query of >= 10^5 random groups gets exactly one outcome", "[runtime][stress]") {
  stress(stress_groups(), StressOptions{});
}

TEST_CASE("runtime stress: early release on a systematic layout, exactly one outcome per query", "[runtime][stress]") {
  StressOptions o;
  o.early_release = true;
  stress(stress_groups() / 4, o);
}

TEST_CASE("runtime stress: hedging on spares with early release and a reliability-gated fallback, exactly one "
          "outcome per query",
          "[runtime][stress][hedge]") {
  StressOptions o;
  o.early_release = true;
  o.hedge = rt::HedgeTarget::spare;
  o.fallback = true;
  o.fallback_below_reliability = 0.95;  // below: no companion of the query near its point answered
  stress(stress_groups() / 4, o);
}

TEST_CASE("runtime stress: a lying worker under E = 1 with the quarantine, early release held and hedging, exactly "
          "one outcome per query",
          "[runtime][stress][byzantine]") {
  StressOptions o;
  o.early_release = true;
  o.hedge = rt::HedgeTarget::answered;
  o.byzantine = true;
  stress(stress_groups() / 4, o);
}

TEST_CASE("runtime stress: hedging onto answered workers, exactly one outcome per query", "[runtime][stress][hedge]") {
  StressOptions o;
  o.hedge = rt::HedgeTarget::answered;
  stress(stress_groups() / 4, o);
}

TEST_CASE("runtime overload: 2-10x capacity keeps memory bounded, lowers redundancy, sheds, restores", "[runtime][stress]") {
  // A cluster that serves `capacity` calls per tick; offered load is a multiple of it.
  auto clock = std::make_shared<rt::ManualClock>();
  struct Pending {
    rt::Completion<double> done;
    Mat output;
    bool cancelled = false;
  };
  std::mutex m;
  std::deque<std::shared_ptr<Pending>> backlog;
  std::size_t max_backlog = 0;
  auto transport = [&](Index, const Eigen::Ref<const Mat>& x, rt::Completion<double> done) -> rt::CancelHandle {
    auto call = std::make_shared<Pending>(Pending{done, toy_model(x)});
    std::lock_guard<std::mutex> guard(m);
    backlog.push_back(call);
    max_backlog = std::max(max_backlog, backlog.size());
    return [&m, call] {
      std::lock_guard<std::mutex> g(m);
      call->cancelled = true;
    };
  };
  rt::RuntimeParams p;
  p.scheme = nercc::SchemeKind::spline;
  p.code.num_queries = 4;
  p.code.num_workers = 12;
  p.input_dim = 2;
  p.output_dim = 2;
  p.stragglers = 2;
  p.group_timeout = milliseconds(2);
  p.deadline = milliseconds(20);
  p.admission_capacity = 64;
  p.stage_capacity = 4;
  p.stage_policy = rt::QueuePolicy::reject;  // no stage blocks, so wait_idle paces the driver
  p.max_inflight_groups = 8;
  p.overload.patience = 4;
  p.overload.workers_step = 4;
  rt::Runtime<double> runtime(p, transport, clock);

  const int capacity = 12;  // calls per tick: one group of N = 12 per tick, i.e. 4 queries
  std::atomic<long> outcomes{0};
  long submitted = 0;
  Mat x(1, 2);
  x << 0.1, -0.2;
  auto serve = [&] {
    std::vector<std::shared_ptr<Pending>> now;
    {
      std::lock_guard<std::mutex> guard(m);
      int served = 0;
      while (!backlog.empty() && served < capacity) {
        auto c = backlog.front();
        backlog.pop_front();
        if (c->cancelled) continue;  // a cancelled call costs the cluster nothing
        now.push_back(c);
        ++served;
      }
    }
    for (auto& c : now) c->done(c->output);
  };
  auto run = [&](int queries_per_tick, int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (int q = 0; q < queries_per_tick; ++q, ++submitted)
        runtime.submit(x, [&](rt::QueryOutcome<double>&&) { outcomes.fetch_add(1); });
      runtime.wait_idle();
      serve();
      runtime.wait_idle();
      clock->advance(milliseconds(1));
    }
  };
  for (int factor : {2, 5, 10}) run(4 * factor, 200);
  const auto loaded = runtime.metrics();
  run(1, 400);  // load falls well below capacity
  INFO("loaded: " << loaded.to_json());
  while (outcomes.load() < submitted) {
    serve();
    runtime.wait_idle();
    clock->advance(milliseconds(1));
    runtime.wait_idle();
  }
  const auto m_end = runtime.metrics();
  INFO(m_end.to_json());

  // Queries held anywhere: the admission queue; in groups: the open one, one in the group
  // stage's hand, two stage queues, one in the encode and dispatch stages' hands, the
  // in-flight window; plus the one submitting thread.
  const std::size_t k = 4;
  const std::size_t bound = p.admission_capacity + k * (2 + 2 * p.stage_capacity + 2 + p.max_inflight_groups) + 1;
  CHECK(loaded.max_live_queries <= bound);
  CHECK(m_end.max_live_queries <= bound);
  CHECK(max_backlog <= p.max_inflight_groups * std::size_t(p.code.num_workers) + std::size_t(capacity));
  CHECK(loaded.redundancy_lowered > 0);
  CHECK(loaded.shedding_started > 0);
  CHECK(loaded.shed + loaded.rejected > 0);
  CHECK(m_end.redundancy_restored > 0);
  CHECK(m_end.workers_in_use == 12);
  CHECK_FALSE(m_end.shedding);
  CHECK(long(m_end.outcomes()) == submitted);
  CHECK(long(m_end.submitted) == submitted);
  CHECK(m_end.completed_ok > 0);
  WARN("overload: " << submitted << " queries, max live " << m_end.max_live_queries << " (bound " << bound
                    << "), lowered " << m_end.redundancy_lowered << ", shed " << m_end.shed << ", rejected "
                    << m_end.rejected << ", restored " << m_end.redundancy_restored << ", ok " << m_end.completed_ok);
}
