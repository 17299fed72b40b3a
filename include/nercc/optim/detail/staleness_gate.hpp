// StalenessGate: the server's bound on staleness (tau).
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {
namespace detail {

/// Tracks the read versions of tasks handed out and not yet applied, and keeps every applied
/// message at most tau updates old. The open reads r_0 <= r_1 <= ... can all still be applied
/// in time iff version + i - r_i <= tau for every i (apply them stalest first: r_i is applied at
/// version + i). A new read is allowed, and a message may be applied, only when that stays
/// true; so a fast worker waits rather than leave a slow one's message too stale.
/// Not synchronised: the owner serialises calls.
class StalenessGate {
 public:
  explicit StalenessGate(Index tau) : tau_(tau) {}

  Index version() const { return version_; }
  bool can_open() const { return Index(open_.size()) <= tau_; }

  /// Records a read of the current version and returns it. Requires can_open().
  Index open() {
    open_.push_back(version_);  // versions only grow, so open_ stays sorted
    return version_;
  }

  /// True when the message read at `read` may be applied now.
  bool can_close(Index read) const {
    Index i = 0;
    bool skipped = false;
    for (const Index r : open_) {
      if (!skipped && r == read) {
        skipped = true;
        continue;
      }
      if (version_ + 1 + i - r > tau_) return false;
      ++i;
    }
    return true;
  }

  /// Applies the message read at `read`: returns its staleness and advances the version.
  Index close(Index read) {
    open_.erase(std::find(open_.begin(), open_.end(), read));
    return version_++ - read;
  }

 private:
  Index tau_;
  Index version_ = 0;
  std::vector<Index> open_;
};

}  // namespace detail
}  // namespace optim
NERCC_NAMESPACE_END
