// A bounded multi-producer multi-consumer queue: the joint between two runtime stages.
#pragma once

#include <nercc/config.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// What a full queue does with a new item.
enum class QueuePolicy {
  block,   ///< the producer waits for room (backpressure)
  reject,  ///< the item is refused at once (the producer reports it)
};

inline const char* to_string(QueuePolicy policy) { return policy == QueuePolicy::block ? "block" : "reject"; }

/// Outcome of BoundedQueue::push.
enum class PushResult { ok, full, closed };

/// FIFO with a capacity and a full-queue policy. After close(), pushes fail and pops return
/// the remaining items, then nullopt. All members are thread-safe.
template <class T>
class BoundedQueue {
 public:
  BoundedQueue(std::size_t capacity, QueuePolicy policy) : capacity_(capacity), policy_(policy) {}

  /// Appends `item` (moved from only on PushResult::ok, so a refused item stays with the caller).
  PushResult push(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (policy_ == QueuePolicy::block) not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    return append_if_room(lock, item);
  }

  /// Appends if there is room, never waiting (PushResult::full otherwise, whatever the policy).
  PushResult try_push(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    return append_if_room(lock, item);
  }

  /// Appends past the capacity: for control messages whose number is bounded by their sender.
  PushResult push_unbounded(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) return PushResult::closed;
    append(lock, item);
    return PushResult::ok;
  }

  /// The oldest item; waits while the queue is open and empty; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  /// Refuses further pushes and wakes every waiter. Idempotent.
  void close() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return items_.size();
  }
  /// The largest size seen since construction.
  std::size_t max_size() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return max_size_;
  }
  std::size_t capacity() const { return capacity_; }
  QueuePolicy policy() const { return policy_; }

 private:
  PushResult append_if_room(std::unique_lock<std::mutex>& lock, T& item) {
    if (closed_) return PushResult::closed;
    if (items_.size() >= capacity_) return PushResult::full;
    append(lock, item);
    return PushResult::ok;
  }
  void append(std::unique_lock<std::mutex>& lock, T& item) {
    items_.push_back(std::move(item));
    if (items_.size() > max_size_) max_size_ = items_.size();
    lock.unlock();
    not_empty_.notify_one();
  }

  const std::size_t capacity_;
  const QueuePolicy policy_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  std::size_t max_size_ = 0;
  bool closed_ = false;
};

}  // namespace runtime
NERCC_NAMESPACE_END
