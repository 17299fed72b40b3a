// A bounded, thread-safe least-recently-used map from id sets to shared immutable values.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// Keys are sequences of Index (sorted worker ids). Lookups neither allocate nor copy the key;
/// all members are safe to call from many threads at once (one mutex; values are built outside
/// it by the caller). Copying gives an empty cache of the same capacity.
template <class Value>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity) {}
  LruCache(const LruCache& other) : capacity_(other.capacity_) {}
  LruCache& operator=(const LruCache&) = delete;

  std::shared_ptr<const Value> find(const Index* key, std::size_t n) const {
    if (capacity_ == 0) return nullptr;
    const std::uint64_t h = hash(key, n);
    std::lock_guard<std::mutex> lock(mutex_);
    auto range = index_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it) {
      const Entry& e = *it->second;
      if (e.key.size() == n && std::equal(e.key.begin(), e.key.end(), key)) {
        entries_.splice(entries_.begin(), entries_, it->second);
        return e.value;
      }
    }
    return nullptr;
  }

  /// Stores value under key (keeping an entry that another thread stored first) and returns
  /// the stored value; evicts the least recently used entry beyond capacity.
  std::shared_ptr<const Value> insert(const Index* key, std::size_t n, std::shared_ptr<const Value> value) const {
    if (capacity_ == 0) return value;
    const std::uint64_t h = hash(key, n);
    std::lock_guard<std::mutex> lock(mutex_);
    auto range = index_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second->key.size() == n && std::equal(it->second->key.begin(), it->second->key.end(), key))
        return it->second->value;
    entries_.push_front(Entry{std::vector<Index>(key, key + n), h, std::move(value)});
    index_.emplace(h, entries_.begin());
    if (entries_.size() > capacity_) {
      const auto last = std::prev(entries_.end());
      auto r = index_.equal_range(last->hash);
      for (auto it = r.first; it != r.second; ++it)
        if (it->second == last) {
          index_.erase(it);
          break;
        }
      entries_.pop_back();
    }
    return entries_.front().value;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::vector<Index> key;
    std::uint64_t hash;
    std::shared_ptr<const Value> value;
  };
  static std::uint64_t hash(const Index* key, std::size_t n) {
    std::uint64_t h = 1469598103934665603ull ^ n;
    for (std::size_t i = 0; i < n; ++i) {
      h ^= std::uint64_t(key[i]) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 1099511628211ull;
    }
    return h;
  }

  std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::list<Entry> entries_;
  mutable std::unordered_multimap<std::uint64_t, typename std::list<Entry>::iterator> index_;
};

}  // namespace detail
NERCC_NAMESPACE_END
