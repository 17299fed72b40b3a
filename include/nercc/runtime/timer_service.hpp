// TimerService: runs callbacks when a Clock reaches their time, on one thread of its own.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/idle_tracker.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Fires each scheduled callback once its time has come on the clock, in time order (FIFO among
/// equal times), on the service's thread. With a manual clock, every change of time the clock
/// reports is "settled" (due timers fired) before the IdleTracker given at construction counts
/// it done, so a test that moves the clock and then waits for idle sees the timers' effects.
///
/// Thread safety: schedule() is safe from any thread, including from a firing callback; start(),
/// detach_clock() and stop() are for the owner's thread. Callbacks run without the service's
/// lock held. Destruction stops the thread; timers not yet due are dropped unfired.
class TimerService {
 public:
  explicit TimerService(std::shared_ptr<Clock> clock, detail::IdleTracker* idle = nullptr)
      : clock_(std::move(clock)), idle_(idle) {
    if (!clock_) throw invalid_argument("clock (null) must point to a Clock");
  }
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;
  ~TimerService() {
    detach_clock();
    stop();
  }

  /// Subscribes to the clock's changes and starts the thread. Call once.
  void start() {
    subscription_ = clock_->subscribe([this] { poke(); });
    subscribed_ = true;
    thread_ = std::thread([this] { loop(); });
  }

  /// Runs `fire` once the clock reaches `when` (at once, if it has). TimePoint::max() is
  /// never reached: such a timer is not kept.
  void schedule(TimePoint when, std::function<void()> fire) {
    if (when == TimePoint::max()) return;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      timers_.push(Timer{when, ++seq_, std::move(fire)});
    }
    cv_.notify_one();
  }

  /// Stops listening to the clock; once it returns no further change is reported, and every
  /// change reported before is settled by the thread. Idempotent.
  void detach_clock() {
    if (!subscribed_) return;
    subscribed_ = false;
    clock_->unsubscribe(subscription_);
  }

  /// Stops and joins the thread, then drops the timers not yet fired (they may hold resources
  /// their owner wants released). Idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> guard(mutex_);
    timers_ = {};
  }

  /// Timers scheduled and not yet fired.
  std::size_t size() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return timers_.size();
  }

 private:
  struct Timer {
    TimePoint when;
    std::uint64_t seq;
    std::function<void()> fire;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };

  // A change of time on a manual clock: counted as pending work until the thread settles it.
  void poke() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      ++pokes_;
      if (idle_) idle_->add();
    }
    cv_.notify_one();
  }

  void settle(std::int64_t pokes) {
    if (idle_ && pokes) idle_->done(pokes);
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      const std::int64_t taken = pokes_;
      pokes_ = 0;
      const TimePoint now = clock_->now();
      std::vector<std::function<void()>> due;
      while (!timers_.empty() && timers_.top().when <= now) {
        due.push_back(std::move(const_cast<Timer&>(timers_.top()).fire));
        timers_.pop();
      }
      if (!due.empty() || taken) {
        lock.unlock();
        for (auto& f : due) f();
        settle(taken);
        lock.lock();
        continue;
      }
      if (timers_.empty()) cv_.wait(lock);
      else clock_->wait_until(lock, cv_, timers_.top().when);
    }
    // Pokes that arrived while stopping are settled too, so no waiter for idle hangs.
    const std::int64_t taken = pokes_;
    pokes_ = 0;
    lock.unlock();
    settle(taken);
  }

  std::shared_ptr<Clock> clock_;
  detail::IdleTracker* idle_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::uint64_t seq_ = 0;
  std::int64_t pokes_ = 0;
  bool stop_ = false;
  bool subscribed_ = false;
  std::uint64_t subscription_ = 0;
  std::thread thread_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
