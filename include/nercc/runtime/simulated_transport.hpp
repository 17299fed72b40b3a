// SimulatedTransport<S>: an in-process asynchronous transport for nercc::runtime. Each call runs
// a model on its coded rows and answers after a simulated delay (with injected stragglers), on
// a timer thread driven by a runtime Clock: the steady clock in examples, a ManualClock in tests.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/transport.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// How long one call takes: delay(worker, rows), rows being the rows of the call's input.
using DelayFunction = std::function<Duration(Index worker, Index rows)>;

/// Per-call delays with injected stragglers: base + Exp(mean jitter), times slowdown with
/// probability slow_probability. An aggregate with defaults; straggler_delays() validates it.
struct StragglerDelays {
  Duration base = std::chrono::milliseconds(2);       ///< every call takes at least this
  Duration jitter = std::chrono::microseconds(500);  ///< mean of the exponential part
  double slow_probability = 0.1;                      ///< chance that a call straggles
  double slowdown = 10.0;                             ///< a straggling call takes this many times longer
  std::uint64_t seed = 1;

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using ::nercc::detail::message;
    if (base < Duration::zero()) throw invalid_argument(message("base (", seconds(base), " s) must be >= 0"));
    if (jitter < Duration::zero()) throw invalid_argument(message("jitter (", seconds(jitter), " s) must be >= 0"));
    if (!(slow_probability >= 0.0 && slow_probability <= 1.0))
      throw invalid_argument(message("slow_probability (", slow_probability, ") must lie in [0, 1]"));
    if (!(slowdown >= 1.0)) throw invalid_argument(message("slowdown (", slowdown, ") must be >= 1"));
  }
};

/// The delay function of `p` (validated first). It draws from one generator seeded with
/// p.seed, so the same order of calls gives the same delays. Not thread-safe on its own;
/// SimulatedTransport calls its delay function one call at a time.
inline DelayFunction straggler_delays(const StragglerDelays& p) {
  p.validate();
  return [p, g = std::mt19937_64(p.seed)](Index, Index) mutable {
    std::exponential_distribution<double> jitter(1.0);
    std::bernoulli_distribution slow(p.slow_probability);
    const double t = seconds(p.base) + seconds(p.jitter) * jitter(g);
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(slow(g) ? t * p.slowdown : t));
  };
}

namespace detail {
template <class Done, class S, class = void>
struct is_completion : std::false_type {};
template <class Done, class S>
struct is_completion<Done, S,
                     std::void_t<decltype(std::declval<const Done&>()(std::declval<const RowMatrix<S>&>())),
                                 decltype(std::declval<const Done&>().fail())>> : std::true_type {};
}  // namespace detail

/// Simulated workers behind the asynchronous transport interface of Runtime<S>:
///
///   SimulatedTransport<float> workers(model, straggler_delays({}), clock);
///   Runtime<float> runtime(params, workers.transport(), clock);
///
/// A call (worker, coded, done) runs `model` (RowMatrix<S>(const RowMatrix<S>&)) on the coded
/// rows at once, on the calling thread, draws its delay d = delay(worker, coded.rows()) and puts
/// the answer on a timeline: at clock time now + d the timer thread calls done(output), or
/// done.fail() if the model threw. The returned cancel handle drops the answer and releases
/// the completion at once; the call stays on the timeline until its due time, nothing being
/// delivered (the simulated worker stays busy, and next_due() shows when it frees up).
///
/// Destruction stops the timer thread; calls still on the timeline are dropped: their
/// completions are released without being called. Calls made through a handle afterwards fail
/// at once. Handles do not keep the transport alive, so a Runtime holding one may outlive it.
///
/// Thread safety: every member is thread-safe, and handles may be called from many threads at
/// once. The model runs on the calling threads (concurrently if the callers are concurrent);
/// the delay function runs under a lock, one call at a time, so it may own a random generator.
/// Completions are called on the timer thread, one at a time and under no lock of the
/// transport, so they may cancel or make calls. The transport must not be destroyed from a
/// completion or from the model.
template <class S>
class SimulatedTransport {
  struct State;

 public:
  using Model = std::function<RowMatrix<S>(const RowMatrix<S>&)>;

  /// The transport to hand a Runtime: copyable,
  ///   CancelHandle operator()(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded, Done done)
  /// with Done a Completion<S> (or any copyable type with done(output) and done.fail()).
  /// Exceptions of the delay function propagate (the completion is then never called).
  class Handle {
   public:
    template <class Done>
    CancelHandle operator()(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded, Done done) const {
      static_assert(detail::is_completion<Done, S>::value && std::is_copy_constructible<Done>::value,
                    "nercc::runtime::SimulatedTransport: the completion must be copyable and callable as "
                    "done(const RowMatrix<S>&) and as done.fail() (nercc::runtime::Completion<S> is)");
      const std::shared_ptr<State> state = state_.lock();
      if (!state) {
        done.fail();
        return {};
      }
      return state->call(state, worker, coded, [d = std::move(done)](const RowMatrix<S>* y) {
        if (y) d(*y);
        else d.fail();
      });
    }

   private:
    explicit Handle(std::weak_ptr<State> s) : state_(std::move(s)) {}
    std::weak_ptr<State> state_;
    friend class SimulatedTransport;
  };

  /// Starts the timer thread. Throws nercc::invalid_argument for an empty model, delay or clock.
  SimulatedTransport(Model model, DelayFunction delay, std::shared_ptr<Clock> clock = steady_clock()) {
    if (!model) throw invalid_argument("model (empty) must be callable");
    if (!delay) throw invalid_argument("delay (empty) must be callable");
    if (!clock) throw invalid_argument("clock (null) must point to a Clock");
    state_ = std::make_shared<State>(std::move(model), std::move(delay), std::move(clock));
    State* s = state_.get();
    subscription_ = s->clock->subscribe([s] { s->wake(); });
    timer_ = std::thread([s] { s->timer_loop(); });
  }

  SimulatedTransport(const SimulatedTransport&) = delete;
  SimulatedTransport& operator=(const SimulatedTransport&) = delete;

  /// Stops the timer thread (waiting for a completion it is running) and drops every call
  /// still on the timeline.
  ~SimulatedTransport() {
    state_->clock->unsubscribe(subscription_);
    state_->stop();
    timer_.join();
    state_->drop_all();
  }

  /// A handle for Runtime<S> (see Handle).
  Handle transport() const { return Handle(state_); }

  /// The earliest due time on the timeline (cancelled calls included), if any: with a
  /// ManualClock, advance to it, then wait_delivered(), to step from answer to answer.
  std::optional<TimePoint> next_due() const {
    std::lock_guard<std::mutex> guard(state_->m);
    if (state_->timeline.empty()) return std::nullopt;
    return state_->timeline.begin()->first.first;
  }

  /// Blocks until every call due at the clock's current time has left the timeline and its
  /// completion has returned. Not from a completion (it would wait for itself).
  void wait_delivered() const {
    State& s = *state_;
    std::unique_lock<std::mutex> lock(s.m);
    s.delivered_cv.wait(lock, [&] { return s.stopping || (!s.delivering && !s.first_due(s.clock->now())); });
  }

  /// Calls on the timeline (cancelled ones included until their due time).
  std::size_t outstanding() const {
    std::lock_guard<std::mutex> guard(state_->m);
    return state_->timeline.size();
  }

 private:
  // A call's place on the timeline: due time, then order of the calls.
  using Key = std::pair<TimePoint, std::uint64_t>;
  using Deliver = std::function<void(const RowMatrix<S>*)>;  // output, or null for a failure

  struct Call {
    Deliver deliver;  // empty once cancelled
    RowMatrix<S> output;
    bool failed = false;
  };

  struct State {
    State(Model mo, DelayFunction de, std::shared_ptr<Clock> c)
        : model(std::move(mo)), delay(std::move(de)), clock(std::move(c)) {}

    CancelHandle call(const std::shared_ptr<State>& self, Index worker,
                               const Eigen::Ref<const RowMatrix<S>>& coded, Deliver deliver) {
      Call c;
      try {
        c.output = model(RowMatrix<S>(coded));
      } catch (...) {
        c.failed = true;
      }
      Duration d;
      {
        std::lock_guard<std::mutex> guard(delay_mutex);
        d = delay(worker, coded.rows());
      }
      c.deliver = std::move(deliver);
      Key key;
      bool queued = false;
      {
        std::lock_guard<std::mutex> guard(m);
        if (!stopping) {
          key = Key(clock->now() + std::max(d, Duration::zero()), ++last_seq);
          timeline.emplace(key, std::move(c));
          queued = true;
        }
      }
      if (!queued) {  // the transport is being destroyed: fail at once
        c.deliver(nullptr);
        return {};
      }
      cv.notify_all();
      return [weak = std::weak_ptr<State>(self), key] {
        if (const auto s = weak.lock()) s->cancel(key);
      };
    }

    void cancel(const Key& key) {
      Call released;  // destroyed outside the lock
      std::lock_guard<std::mutex> guard(m);
      const auto it = timeline.find(key);
      if (it == timeline.end()) return;
      released.deliver = std::move(it->second.deliver);
      released.output = std::move(it->second.output);
      it->second.deliver = nullptr;
    }

    bool first_due(TimePoint now) const { return !timeline.empty() && timeline.begin()->first.first <= now; }

    void timer_loop() {
      std::unique_lock<std::mutex> lock(m);
      while (!stopping) {
        if (timeline.empty()) {
          cv.wait(lock);
          continue;
        }
        const TimePoint due = timeline.begin()->first.first;
        if (clock->now() < due) {
          clock->wait_until(lock, cv, due);
          continue;
        }
        Call c = std::move(timeline.begin()->second);
        timeline.erase(timeline.begin());
        delivering = true;
        lock.unlock();
        if (c.deliver) {
          try {
            c.deliver(c.failed ? nullptr : &c.output);
          } catch (...) {
            // A completion that throws loses its own answer only; the timeline goes on.
          }
        }
        c = Call{};
        lock.lock();
        delivering = false;
        delivered_cv.notify_all();
      }
    }

    // After every change of a manual clock: the timer thread checks its first due time.
    void wake() {
      { std::lock_guard<std::mutex> guard(m); }
      cv.notify_all();
    }

    void stop() {
      {
        std::lock_guard<std::mutex> guard(m);
        stopping = true;
      }
      cv.notify_all();
      delivered_cv.notify_all();
    }

    void drop_all() {
      std::map<Key, Call> dropped;  // destroyed outside the lock
      std::lock_guard<std::mutex> guard(m);
      dropped.swap(timeline);
    }

    const Model model;
    std::mutex delay_mutex;  // one delay draw at a time
    DelayFunction delay;
    const std::shared_ptr<Clock> clock;

    mutable std::mutex m;  // guards the members below
    std::condition_variable cv, delivered_cv;
    std::map<Key, Call> timeline;
    std::uint64_t last_seq = 0;
    bool delivering = false, stopping = false;
  };

  std::shared_ptr<State> state_;
  std::uint64_t subscription_ = 0;
  std::thread timer_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
