// HedgePolicy: hedged requests. When an outstanding call gets a backup copy, which calls of a
// group get one, which worker takes it, and the budget that bounds the extra load. Plain state
// without threads or locks: the pipeline (pipeline.hpp) guards it and sends and cancels.
//
// Semantics (precise enough to model). Let D be the hedge delay of a group, fixed when the
// group is dispatched: HedgeParams::delay when percentile = 0; otherwise max(min_delay, the
// nearest-rank p-th percentile of the last `window` call latencies observed), once at least
// min_samples were observed (before that: `delay` if finite, else the group is not hedged). A
// call latency is the time from a copy's send to its well-formed answer (primary or backup, in
// time or late); calls cancelled, failed or never answered are not observed, so the estimate
// is biased low by the calls the runtime cancels. At dispatch + D, and again after every call
// of the group resolves until it is decided, the runtime hedges the calls the decision still
// needs (calls_to_hedge): for replication and uncoded, one outstanding call per query position
// short of its GroupShape::copies usable answers and without a backup; otherwise up to quorum - usable outstanding
// calls in total, lowest worker first (the systematic workers of a systematic layout first).
// Each backup is a copy of the same coded rows sent to: the next spare worker, round robin over
// indices N .. N + spare_workers - 1 (HedgeTarget::spare: the transport serves N + H workers,
// so a hedged scheme at N workers plus H spares is compared with codes at N + H workers); or
// a worker of the same group whose call has already answered usably, earliest first, each such
// worker taking at most one backup per group (HedgeTarget::answered: no extra workers). A call
// gets at most one backup. The call's slot takes the first well-formed answer of its two
// copies; the other copy is cancelled through its CancelHandle; the slot fails only when both
// copies failed. So with T1 the primary's time and T2 the backup's, the slot answers at
// min(T1, D + T2). Budget: a token bucket that starts full with budget_burst hedges, earns
// budget_fraction of a hedge per primary call sent, holds at most budget_burst, and pays one
// per backup sent: over any run, backups <= budget_burst + budget_fraction x primary calls.
// A call the budget refuses is retried at the group's next resolution.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/points.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/decision_rule.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Where backup copies go (see the semantics at the top of hedge_policy.hpp).
enum class HedgeTarget {
  off,       ///< no hedging
  spare,     ///< spare workers N .. N + spare_workers - 1, round robin
  answered,  ///< a worker of the same group whose call already answered
};

inline const char* to_string(HedgeTarget t) {
  switch (t) {
    case HedgeTarget::off: return "off";
    case HedgeTarget::spare: return "spare";
    case HedgeTarget::answered: return "answered";
  }
  return "unknown";
}

/// Hedged requests (RuntimeParams::hedge). An aggregate with defaults; off unless `target` is
/// set. Typical: {target = spare, spare_workers = 2, percentile = 95, delay = 20 ms} hedges after
/// the p95 of recent calls, and after 20 ms until enough calls were seen.
struct HedgeParams {
  HedgeTarget target = HedgeTarget::off;
  /// H: spare workers, indices N .. N + H - 1, that serve only backups (target spare only).
  Index spare_workers = 0;
  /// The fixed hedge delay after a group's dispatch; with percentile > 0, the delay used until
  /// min_samples latencies were observed (`never`: no hedging until then).
  Duration delay = never;
  /// p in (0, 100): hedge after the p-th percentile of recent call latencies; 0: the fixed delay.
  double percentile = 0.0;
  std::size_t window = 1000;      ///< latencies kept (the most recent), percentile > 0
  std::size_t min_samples = 50;   ///< latencies needed before the percentile is used
  Duration min_delay = Duration::zero();  ///< floor of the percentile delay
  double budget_fraction = 0.1;   ///< backups earned per primary call sent, in (0, 1]
  double budget_burst = 10.0;     ///< bucket size in backups, >= 1

  bool enabled() const { return target != HedgeTarget::off; }

  /// Throws nercc::invalid_argument naming the first invalid field (as hedge.<field>).
  void validate() const {
    using ::nercc::detail::message;
    if (target != HedgeTarget::off && target != HedgeTarget::spare && target != HedgeTarget::answered)
      throw invalid_argument(message("hedge.target (", int(target), ") must be off, spare or answered"));
    if (spare_workers < 0 || spare_workers > max_code_size)
      throw invalid_argument(message("hedge.spare_workers (", spare_workers, ") must lie in [0, ", max_code_size, "]"));
    if (target == HedgeTarget::spare && spare_workers < 1)
      throw invalid_argument("hedge.spare_workers (0) must be >= 1 with hedge.target spare");
    if (target != HedgeTarget::spare && spare_workers > 0)
      throw invalid_argument(message("hedge.spare_workers (", spare_workers, ") is used only with hedge.target spare (",
                                     to_string(target), ")"));
    if (delay < Duration::zero()) throw invalid_argument(message("hedge.delay (", seconds(delay), " s) must be >= 0"));
    if (!(percentile >= 0.0 && percentile < 100.0))
      throw invalid_argument(message("hedge.percentile (", percentile, ") must lie in [0, 100)"));
    if (enabled() && percentile == 0.0 && delay == never)
      throw invalid_argument("hedge.delay (never) must be finite when hedge.percentile is 0");
    if (percentile > 0.0) {
      if (window < 1) throw invalid_argument("hedge.window (0) must be >= 1");
      if (min_samples < 1 || min_samples > window)
        throw invalid_argument(message("hedge.min_samples (", min_samples, ") must lie in [1, hedge.window (", window, ")]"));
    }
    if (min_delay < Duration::zero() || min_delay == never)
      throw invalid_argument(message("hedge.min_delay (", seconds(min_delay), " s) must be >= 0 and finite"));
    if (!(budget_fraction > 0.0 && budget_fraction <= 1.0))
      throw invalid_argument(message("hedge.budget_fraction (", budget_fraction, ") must lie in (0, 1]"));
    if (!(budget_burst >= 1.0 && std::isfinite(budget_burst)))
      throw invalid_argument(message("hedge.budget_burst (", budget_burst, ") must be finite and >= 1"));
  }
};

/// The last `capacity` latencies with their nearest-rank percentiles. Insert O(capacity)
/// (a sorted copy is kept), percentile O(1). Not synchronised.
class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t capacity) : capacity_(capacity) {
    if (capacity < 1) throw invalid_argument("capacity (0) must be >= 1");
    ring_.reserve(capacity);
    sorted_.reserve(capacity);
  }

  /// Adds one latency, evicting the oldest when full.
  void add(Duration d) {
    if (ring_.size() < capacity_) {
      ring_.push_back(d);
    } else {
      const Duration old = ring_[next_];
      sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), old));
      ring_[next_] = d;
      next_ = (next_ + 1) % capacity_;
    }
    sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), d), d);
  }

  std::size_t size() const { return sorted_.size(); }
  std::size_t capacity() const { return capacity_; }

  /// Nearest rank: the smallest kept latency x with at least p% of the kept latencies <= x
  /// (rank ceil(p n / 100), at least 1). p in (0, 100]; the window must not be empty.
  Duration percentile(double p) const {
    if (sorted_.empty()) throw invalid_argument("percentile of an empty latency window");
    if (!(p > 0.0 && p <= 100.0)) throw invalid_argument(::nercc::detail::message("p (", p, ") must lie in (0, 100]"));
    const double n = double(sorted_.size());
    // p n / 100 is exact for whole p; the slack keeps a product such as 99.9 x 1000 on its integer.
    std::size_t rank = std::size_t(std::ceil(p * n / 100.0 - 1e-9));
    rank = std::min(std::max<std::size_t>(rank, 1), sorted_.size());
    return sorted_[rank - 1];
  }

 private:
  std::size_t capacity_;
  std::vector<Duration> ring_;  // insertion order; next_ is the oldest once full
  std::size_t next_ = 0;
  std::vector<Duration> sorted_;
};

/// One call of a group as the hedge policy sees it.
struct HedgeCall {
  bool outstanding = false;  ///< no usable answer yet, and a copy is still awaited
  bool hedged = false;       ///< a backup was sent already
  Index query = -1;          ///< replication/uncoded: the query position it computes
};

/// A group's collection as the hedge policy sees it.
struct HedgeGroupView {
  GroupShape shape;
  Index quorum = 0;            ///< usable answers that decide the group
  Index usable = 0;            ///< usable answers so far
  std::vector<Index> coverage; ///< covers_queries: usable answers per query position
  std::vector<HedgeCall> calls;
};

/// The hedging policy of a Runtime: the hedge delay (fixed or a tracked percentile), the
/// budget, the choice of calls and of backup workers. Not synchronised: the owner guards it.
class HedgePolicy {
 public:
  /// Validates `p`; `num_workers` is N (spare workers are numbered from it).
  HedgePolicy(const HedgeParams& p, Index num_workers)
      : params_((p.validate(), p)),
        num_workers_(num_workers),
        window_(std::max<std::size_t>(p.window, 1)),
        budget_(p.budget_burst) {
    if (num_workers < 1) throw invalid_argument(::nercc::detail::message("num_workers (", num_workers, ") must be >= 1"));
  }

  const HedgeParams& params() const { return params_; }
  bool enabled() const { return params_.enabled(); }
  /// True when latencies feed the delay (percentile > 0); the owner may skip observe otherwise.
  bool tracks_latency() const { return enabled() && params_.percentile > 0.0; }

  /// One call latency: a copy's send to its well-formed answer.
  void observe(Duration latency) {
    if (tracks_latency()) window_.add(std::max(latency, Duration::zero()));
  }
  std::size_t samples() const { return window_.size(); }

  /// The hedge delay of a group dispatched now; nullopt: the group is not hedged.
  std::optional<Duration> delay() const {
    if (!enabled()) return std::nullopt;
    if (params_.percentile > 0.0 && window_.size() >= params_.min_samples)
      return std::max(params_.min_delay, window_.percentile(params_.percentile));
    if (params_.delay == never) return std::nullopt;
    return params_.delay;
  }

  /// True when a call sent at `sent` is due a backup at `now` under the current delay.
  bool due(TimePoint sent, TimePoint now) const {
    const auto d = delay();
    return d && now >= saturating_add(sent, *d);
  }

  /// `calls` primary calls were sent: each earns budget_fraction of a backup (bucket capped).
  void calls_sent(std::size_t calls) {
    budget_ = std::min(params_.budget_burst, budget_ + params_.budget_fraction * double(calls));
  }
  /// Backups the budget holds now (fractional).
  double budget() const { return budget_; }
  /// Pays one backup if the budget holds one.
  bool take_budget() {
    if (budget_ < 1.0) return false;
    budget_ -= 1.0;
    return true;
  }

  /// The worker a backup goes to, or -1 when none is free: the next spare (round robin), or the
  /// front of `answered` (workers of the group whose calls answered, in order), taken from it.
  Index backup_worker(std::deque<Index>& answered) {
    if (params_.target == HedgeTarget::spare) {
      const Index w = num_workers_ + next_spare_;
      next_spare_ = (next_spare_ + 1) % params_.spare_workers;
      return w;
    }
    if (params_.target != HedgeTarget::answered || answered.empty()) return -1;
    const Index w = answered.front();
    answered.pop_front();
    return w;
  }

  /// The calls of `g` to hedge now, ascending: for covers_queries, the lowest outstanding
  /// unhedged call of each position short of shape.copies usable answers and with no hedged
  /// outstanding call;
  /// otherwise the lowest outstanding unhedged calls, so that quorum - usable outstanding calls
  /// are hedged in all.
  static std::vector<std::size_t> calls_to_hedge(const HedgeGroupView& g) {
    std::vector<std::size_t> out;
    if (g.shape.covers_queries) {
      const std::size_t positions = g.coverage.size();
      std::vector<char> settled(positions, 0);  // covered, hedged already, or chosen
      for (std::size_t q = 0; q < positions; ++q) settled[q] = g.coverage[q] >= g.shape.copies;
      for (const HedgeCall& c : g.calls)
        if (c.outstanding && c.hedged && c.query >= 0 && std::size_t(c.query) < positions) settled[std::size_t(c.query)] = 1;
      for (std::size_t s = 0; s < g.calls.size(); ++s) {
        const HedgeCall& c = g.calls[s];
        if (!c.outstanding || c.hedged || c.query < 0 || std::size_t(c.query) >= positions) continue;
        if (settled[std::size_t(c.query)]) continue;
        settled[std::size_t(c.query)] = 1;
        out.push_back(s);
      }
      return out;
    }
    Index wanted = g.quorum - g.usable;
    for (const HedgeCall& c : g.calls)
      if (c.outstanding && c.hedged) --wanted;
    for (std::size_t s = 0; s < g.calls.size() && wanted > 0; ++s)
      if (g.calls[s].outstanding && !g.calls[s].hedged) {
        out.push_back(s);
        --wanted;
      }
    return out;
  }

 private:
  HedgeParams params_;
  Index num_workers_;
  LatencyWindow window_;
  double budget_;
  Index next_spare_ = 0;
};

}  // namespace runtime
NERCC_NAMESPACE_END
