// Injectable clocks for the runtime: the steady clock in production, a manual clock in tests.
#pragma once

#include <nercc/config.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

NERCC_NAMESPACE_BEGIN
namespace runtime {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

/// Seconds as a double, for logs and metrics.
inline double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

/// "Never": a timeout or deadline of this length does not expire.
inline constexpr Duration never = Duration::max();

/// t + d, saturating at TimePoint::max() (for d = never, or any d past the clock's range).
inline TimePoint saturating_add(TimePoint t, Duration d) {
  if (d > Duration::zero() && t.time_since_epoch() > TimePoint::max().time_since_epoch() - d) return TimePoint::max();
  return t + d;
}

/// The time source of a Runtime. now() and wait_until() are called from the runtime's threads;
/// implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current time on this clock.
  virtual TimePoint now() const = 0;
  /// With `lock` held on the mutex that guards `cv`: returns once `cv` is notified (spurious
  /// wake-ups allowed) or `until` has passed on this clock.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint until) const = 0;
  /// Registers `on_change`, called after every change of time that wait_until cannot see by
  /// itself (manual clocks). Returns an id for unsubscribe(). The default has nothing to report.
  virtual std::uint64_t subscribe(std::function<void()> on_change) {
    (void)on_change;
    return 0;
  }
  /// Removes a subscription; once it returns, that callback is not running and never runs again.
  virtual void unsubscribe(std::uint64_t id) { (void)id; }
};

/// std::chrono::steady_clock. Stateless; thread-safe.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint until) const override {
    cv.wait_until(lock, until);
  }
};

/// A clock that moves only when advance() or set() is called: tests drive timeouts and
/// deadlines without sleeping. All members are thread-safe; the subscribers are called on the
/// thread that moves the clock, after the new time is visible.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : ticks_(start.time_since_epoch().count()) {}

  TimePoint now() const override { return TimePoint(Duration(ticks_.load(std::memory_order_acquire))); }

  // Time moves only through advance(), which notifies every subscriber, so waiting without a
  // timeout cannot miss an expiry.
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint until) const override {
    if (now() < until) cv.wait(lock);
  }

  /// Moves the clock forward by `d` (negative values are ignored: time never goes back).
  void advance(Duration d) {
    if (d <= Duration::zero()) return;
    std::lock_guard<std::mutex> guard(subscribers_mutex_);
    ticks_.fetch_add(d.count(), std::memory_order_acq_rel);
    for (auto& entry : subscribers_) entry.second();
  }

  std::uint64_t subscribe(std::function<void()> on_change) override {
    std::lock_guard<std::mutex> guard(subscribers_mutex_);
    subscribers_.emplace(++last_id_, std::move(on_change));
    return last_id_;
  }
  void unsubscribe(std::uint64_t id) override {
    std::lock_guard<std::mutex> guard(subscribers_mutex_);
    subscribers_.erase(id);
  }

 private:
  std::atomic<Duration::rep> ticks_;
  // Held while subscribers run, so unsubscribe() waits for a running callback.
  std::mutex subscribers_mutex_;
  std::map<std::uint64_t, std::function<void()>> subscribers_;
  std::uint64_t last_id_ = 0;
};

/// The process-wide steady clock, the default clock of a Runtime.
inline std::shared_ptr<Clock> steady_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SteadyClock>();
  return clock;
}

}  // namespace runtime
NERCC_NAMESPACE_END
