// QuarantinePolicy: keeps a worker whose answers the robust decoder keeps flagging as wrong
// (CodeParams::num_adversaries > 0) out of the groups, and probes it again after a cool-down.
// Plain state without threads or locks: the pipeline (pipeline.hpp) guards it, withholds the
// calls and counts the events.
//
// Semantics. A worker's record is the list of its last `window` checked groups: groups whose
// decode ran the detector over its answer (spline and Berrut: every group decoded from at
// least min_answers answers that include the worker's; replication: a group in which its
// query had 3 or more answers), each marked flagged or not. Once `flags_to_quarantine` of
// them are flagged the worker is quarantined: groups dispatched during its cool-down
// (`cool_down` at first) send it nothing. The first group dispatched after the cool-down sends
// it its call as usual, a probe, whose answer the decode checks like any other: not flagged,
// the worker is re-admitted with an empty record and the first cool-down; flagged, it stays
// quarantined for `backoff` times its last cool-down. A probe that cannot tell (the worker did
// not answer in time, or the group was not decoded) is sent again with the next group. One
// probe per worker is in flight at a time; a worker probing stays out of the other groups.
// Backup copies (hedging) go where the hedge policy sends them; their answers count against
// the worker that gave them.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/runtime/clock.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Settings of the quarantine (RuntimeParams::quarantine). Off by default. An aggregate with
/// defaults; validate() names the bad field.
struct QuarantineParams {
  bool enabled = false;
  Index window = 10;              ///< n: a worker's last n checked groups
  Index flags_to_quarantine = 3;  ///< m: flagged in m of them quarantines the worker
  Duration cool_down = std::chrono::seconds(1);  ///< first time out before a probe
  double backoff = 2.0;  ///< a flagged probe multiplies the worker's cool-down by this (>= 1)

  /// Throws nercc::invalid_argument naming the first invalid field (as quarantine.<field>).
  void validate() const {
    using ::nercc::detail::message;
    if (window < 1) throw invalid_argument(message("quarantine.window (", window, ") must be >= 1"));
    if (flags_to_quarantine < 1 || flags_to_quarantine > window)
      throw invalid_argument(message("quarantine.flags_to_quarantine (", flags_to_quarantine,
                                     ") must lie in [1, quarantine.window (", window, ")]"));
    if (cool_down <= Duration::zero() || cool_down == never)
      throw invalid_argument(message("quarantine.cool_down (", seconds(cool_down), " s) must be > 0 and finite"));
    if (!(std::isfinite(backoff) && backoff >= 1.0))
      throw invalid_argument(message("quarantine.backoff (", backoff, ") must be finite and >= 1"));
  }
};

/// What a group's verdicts did to a worker.
enum class QuarantineEvent {
  quarantined,  ///< flagged in m of its last n checked groups
  readmitted,   ///< its probe was checked and not flagged
  extended,     ///< its probe was flagged: quarantined again, for longer
};

/// The quarantine of a Runtime (see the semantics at the top of quarantine_policy.hpp).
/// Workers are the transport's indices. Not synchronised: the owner guards it.
class QuarantinePolicy {
 public:
  /// Validates `p`.
  explicit QuarantinePolicy(const QuarantineParams& p) : params_((p.validate(), p)) {}

  const QuarantineParams& params() const { return params_; }
  bool enabled() const { return params_.enabled; }

  /// A group's calls as the policy wants them: the positions (into the group's workers) to
  /// withhold, in order of priority (the longest quarantined first), and the positions sent as
  /// probes. The owner may still send a withheld call (when the group could not decode
  /// without it); see withheld().
  struct Plan {
    std::vector<std::size_t> withhold;
    std::vector<std::size_t> probes;
  };

  /// The plan for group `group` calling `workers` (transport indices) at `now`. A quarantined
  /// worker past its cool-down and not probing becomes a probe of this group.
  Plan plan(std::uint64_t group, const std::vector<Index>& workers, TimePoint now) {
    Plan out;
    if (!enabled()) return out;
    for (std::size_t s = 0; s < workers.size(); ++s) {
      Worker* w = find(workers[s]);
      if (!w || w->state == State::admitted) continue;
      if (w->state == State::quarantined && now >= w->until) {
        w->state = State::probing;
        w->probe_group = group;
        out.probes.push_back(s);
      } else {
        out.withhold.push_back(s);
      }
    }
    std::stable_sort(out.withhold.begin(), out.withhold.end(), [&](std::size_t a, std::size_t b) {
      return find(workers[a])->since < find(workers[b])->since;
    });
    return out;
  }

  /// Group `group` was decided at `now`: `checked` are the workers whose answers its decode
  /// checked, `flagged` those of them found wrong (transport indices; duplicates ignored).
  /// Call it for every group planned, decoded or not (with empty lists then), so that its
  /// probes end. Returns what happened to whom, in the order of `checked`, then the probes.
  std::vector<std::pair<Index, QuarantineEvent>> record(std::uint64_t group, const std::vector<Index>& checked,
                                                        const std::vector<Index>& flagged, TimePoint now) {
    std::vector<std::pair<Index, QuarantineEvent>> events;
    if (!enabled()) return events;
    for (Index id : checked) {
      const bool bad = std::find(flagged.begin(), flagged.end(), id) != flagged.end();
      Worker& w = at(id);
      if (w.state == State::probing && w.probe_group == group) {
        if (bad) {
          w.cool_down = grow(w.cool_down);
          quarantine(w, now);
          events.emplace_back(id, QuarantineEvent::extended);
        } else {
          w = fresh();
          w.last_group = group;
          events.emplace_back(id, QuarantineEvent::readmitted);
        }
        continue;
      }
      if (w.state != State::admitted || w.last_group == group) continue;
      w.last_group = group;
      w.history.push_back(bad ? 1 : 0);
      if (Index(w.history.size()) > params_.window) w.history.pop_front();
      if (Index(std::count(w.history.begin(), w.history.end(), char(1))) >= params_.flags_to_quarantine) {
        w.since = now;
        quarantine(w, now);
        events.emplace_back(id, QuarantineEvent::quarantined);
      }
    }
    // Probes of this group that could not tell: due again at once.
    for (Worker& w : workers_)
      if (w.state == State::probing && w.probe_group == group) {
        w.state = State::quarantined;
        w.until = now;
      }
    return events;
  }

  /// True while `worker` is kept out of groups (quarantined or probing).
  bool quarantined(Index worker) const {
    const Worker* w = find(worker);
    return w && w->state != State::admitted;
  }
  /// Workers quarantined or probing now.
  Index quarantined_count() const {
    return Index(std::count_if(workers_.begin(), workers_.end(), [](const Worker& w) { return w.state != State::admitted; }));
  }
  /// When `worker`'s cool-down ends (meaningful while quarantined).
  TimePoint cool_down_end(Index worker) const {
    const Worker* w = find(worker);
    return w ? w->until : TimePoint{};
  }

 private:
  enum class State { admitted, quarantined, probing };
  struct Worker {
    State state = State::admitted;
    std::deque<char> history;     // flagged (1) or not (0), oldest first, at most window
    std::uint64_t last_group = 0; // the last group recorded (a group counts once)
    TimePoint since{}, until{};   // quarantined since; cool-down end
    Duration cool_down{};         // the current cool-down
    std::uint64_t probe_group = 0;
  };

  void quarantine(Worker& w, TimePoint now) {
    w.state = State::quarantined;
    w.history.clear();
    w.until = saturating_add(now, w.cool_down);
  }
  Duration grow(Duration d) const {
    const double next = double(d.count()) * params_.backoff;
    if (!(next < double(never.count()) / 2)) return never / 2;
    return Duration(Duration::rep(next));
  }
  Worker& at(Index id) {
    if (id < 0) throw invalid_argument(::nercc::detail::message("worker (", id, ") must be >= 0"));
    if (std::size_t(id) >= workers_.size()) workers_.resize(std::size_t(id) + 1, fresh());
    return workers_[std::size_t(id)];
  }
  Worker* find(Index id) { return id >= 0 && std::size_t(id) < workers_.size() ? &workers_[std::size_t(id)] : nullptr; }
  const Worker* find(Index id) const {
    return id >= 0 && std::size_t(id) < workers_.size() ? &workers_[std::size_t(id)] : nullptr;
  }
  Worker fresh() const {
    Worker w;
    w.cool_down = params_.cool_down;
    return w;
  }

  QuarantineParams params_;
  std::vector<Worker> workers_;  // by transport index, grown on demand
};

}  // namespace runtime
NERCC_NAMESPACE_END
