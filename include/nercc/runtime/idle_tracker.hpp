// IdleTracker: counts work queued or in hand across the runtime's stages, so a test can wait
// until nothing is left to do (Runtime::wait_idle).
#pragma once

#include <nercc/config.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

NERCC_NAMESPACE_BEGIN
namespace runtime {
namespace detail {

/// A counter of pending work items with a wait for zero. All members are thread-safe; the
/// mutex is taken only to wake waiters, so add/done stay cheap on the hot path.
class IdleTracker {
 public:
  void add(std::int64_t n = 1) { pending_.fetch_add(n, std::memory_order_acq_rel); }
  void done(std::int64_t n = 1) {
    if (pending_.fetch_sub(n, std::memory_order_acq_rel) == n) {
      std::lock_guard<std::mutex> guard(mutex_);
      cv_.notify_all();
    }
  }
  /// Blocks until the count is zero.
  void wait() const {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }

 private:
  std::atomic<std::int64_t> pending_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
};

}  // namespace detail
}  // namespace runtime
NERCC_NAMESPACE_END
