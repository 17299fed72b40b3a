// A bounded, thread-safe least-recently-used map from id sets to shared immutable values.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// Keys are sequences of Index (sorted worker ids). Lookups neither allocate nor copy the key;
/// all members are safe to call from many threads at once (values are built outside by the
/// caller). Hits take the lock shared, so concurrent hits never wait for each other; recency
/// is a per-entry stamp derived from the insertion count, written only when it changed, so
/// repeated hits write nothing shared. Beyond capacity, an insertion evicts the entry with the
/// oldest stamp: least recently used, at the resolution of insertions (entries hit since the
/// same insertion tie). Copying gives an empty cache of the
/// same capacity.
template <class Value>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity) {}
  LruCache(const LruCache& other) : capacity_(other.capacity_) {}
  LruCache& operator=(const LruCache&) = delete;

  std::shared_ptr<const Value> find(const Index* key, std::size_t n) const {
    if (capacity_ == 0) return nullptr;
    const std::uint64_t h = hash(key, n);
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const std::size_t slot = lookup(h, key, n);
    if (slot == npos) return nullptr;
    const std::uint64_t now = 2 * inserts_ + 1;  // used after the latest insertion: newer than it
    std::atomic<std::uint64_t>& stamp = stamps_[slot];
    if (stamp.load(std::memory_order_relaxed) != now) stamp.store(now, std::memory_order_relaxed);
    return entries_[slot].value;
  }

  /// Stores value under key (keeping an entry that another thread stored first) and returns
  /// the stored value; evicts the least recently used entry beyond capacity.
  std::shared_ptr<const Value> insert(const Index* key, std::size_t n, std::shared_ptr<const Value> value) const {
    if (capacity_ == 0) return value;
    const std::uint64_t h = hash(key, n);
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const std::size_t found = lookup(h, key, n);
    if (found != npos) return entries_[found].value;
    const std::uint64_t now = 2 * ++inserts_;
    std::size_t slot = entries_.size();
    if (slot < capacity_) {
      entries_.emplace_back();
      stamps_.emplace_back(0);
    } else {
      slot = oldest();
      forget(slot);
    }
    Entry& e = entries_[slot];
    e.key.assign(key, key + n);
    e.hash = h;
    e.value = std::move(value);
    stamps_[slot].store(now, std::memory_order_relaxed);
    index_.emplace(h, slot);
    return e.value;
  }

  std::size_t size() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return entries_.size();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::vector<Index> key;
    std::uint64_t hash = 0;
    std::shared_ptr<const Value> value;
  };
  static constexpr std::size_t npos = std::size_t(-1);

  static std::uint64_t hash(const Index* key, std::size_t n) {
    std::uint64_t h = 1469598103934665603ull ^ n;
    for (std::size_t i = 0; i < n; ++i) {
      h ^= std::uint64_t(key[i]) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 1099511628211ull;
    }
    return h;
  }

  std::size_t lookup(std::uint64_t h, const Index* key, std::size_t n) const {
    const auto range = index_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it) {
      const Entry& e = entries_[it->second];
      if (e.key.size() == n && std::equal(e.key.begin(), e.key.end(), key)) return it->second;
    }
    return npos;
  }

  // The slot with the smallest stamp: one pass over the stamps alone, cheap next to the build
  // of the value that is being inserted.
  std::size_t oldest() const {
    std::size_t best = 0, i = 0;
    std::uint64_t best_stamp = std::uint64_t(-1);
    for (const auto& stamp : stamps_) {
      const std::uint64_t s = stamp.load(std::memory_order_relaxed);
      if (s < best_stamp) best = i, best_stamp = s;
      ++i;
    }
    return best;
  }

  void forget(std::size_t slot) const {
    auto range = index_.equal_range(entries_[slot].hash);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second == slot) {
        index_.erase(it);
        return;
      }
  }

  std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  mutable std::uint64_t inserts_ = 0;  // written under the exclusive lock only
  mutable std::deque<Entry> entries_;
  mutable std::deque<std::atomic<std::uint64_t>> stamps_;
  mutable std::unordered_multimap<std::uint64_t, std::size_t> index_;
};

}  // namespace detail
NERCC_NAMESPACE_END
