// MetricsRecorder: the one place where the runtime's events become RuntimeMetrics counters.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_status.hpp>
#include <nercc/index.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/runtime/metrics.hpp>
#include <nercc/runtime/outcome.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/quarantine_policy.hpp>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// The stages whose latency RuntimeMetrics records.
enum class Stage { admission, encode, dispatch, collect, decode };

/// Turns pipeline events into counters and histograms. Every method is thread-safe (one mutex,
/// a leaf: no other lock is taken while it is held, and no user code runs under it).
class MetricsRecorder {
 public:
  /// `num_workers`: N; `transport_workers`: the workers the transport serves (N plus spares;
  /// at least N), for the flag counts.
  explicit MetricsRecorder(Index num_workers, Index transport_workers = 0) {
    m_.workers_in_use = num_workers;
    m_.answers_per_group.assign(std::size_t(num_workers + 1), 0);
    m_.flags_per_worker.assign(std::size_t(std::max(num_workers, transport_workers)), 0);
  }

  /// A query passed the shape checks and is now live.
  void query_submitted() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.submitted;
    m_.max_live_queries = std::max(m_.max_live_queries, ++m_.live_queries);
  }
  /// A query got its outcome (`latency_seconds` from submit).
  void query_completed(QueryError error, double latency_seconds, Provenance provenance = Provenance::estimated,
                       bool released_early = false, bool hedged = false) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (error == QueryError::none && released_early) ++m_.released_early;
    if (error == QueryError::none && hedged) ++m_.hedged_answers;
    if (error == QueryError::none && provenance == Provenance::fallback) ++m_.fallback_answers;
    switch (error) {
      case QueryError::none:
        ++m_.completed_ok;
        m_.end_to_end.record(latency_seconds);
        break;
      case QueryError::rejected: ++m_.rejected; break;
      case QueryError::shed: ++m_.shed; break;
      case QueryError::too_few_answers: ++m_.too_few_answers; break;
      case QueryError::unavailable: ++m_.unavailable; break;
      case QueryError::shut_down: ++m_.shut_down; break;
      case QueryError::internal: ++m_.internal_errors; break;
    }
    --m_.live_queries;
  }
  void admitted_past_capacity() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.admitted_past_capacity;
  }
  void fallback_failed() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.fallback_failed;
  }
  /// The fallback answered a query in place of an estimate below the reliability threshold.
  void fallback_low_reliability() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.fallback_low_reliability;
  }
  void callback_threw() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.callback_exceptions;
  }

  /// A group closed; `admission_waits` are its queries' seconds from submit to the close.
  template <class Waits>
  void group_formed(bool padded, const Waits& admission_waits) {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.groups_formed;
    if (padded) ++m_.groups_padded;
    for (double w : admission_waits) m_.admission.latency.record(w);
  }
  void stage_latency(Stage stage, double secs) {
    std::lock_guard<std::mutex> guard(mutex_);
    stage_metrics(m_, stage).latency.record(secs);
  }

  void call_sent() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.calls_sent;
  }
  /// A call resolved as `state`; `late`: its group had been decided already.
  void call_resolved(CallState state, bool late) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (late) {
      if (state != CallState::failed) ++m_.late_answers;
      return;
    }
    switch (state) {
      case CallState::answered: ++m_.answers_used; break;
      case CallState::failed: ++m_.answers_failed; break;
      case CallState::bad_shape: ++m_.answers_bad_shape; break;
      case CallState::non_finite: ++m_.answers_non_finite; break;
      case CallState::pending:
      case CallState::quarantined: break;
    }
  }

  /// A decided group flagged these workers' answers (transport indices, each once).
  void group_flagged(const std::vector<Index>& workers) {
    if (workers.empty()) return;
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.groups_with_flags;
    for (Index w : workers) {
      if (w >= 0 && std::size_t(w) < m_.flags_per_worker.size()) ++m_.flags_per_worker[std::size_t(w)];
      ++m_.flags_total;
    }
  }
  /// A group was dispatched with `withheld` calls withheld by the quarantine, `probes` probes
  /// and `overrides` calls to quarantined workers sent anyway.
  void quarantine_dispatch(std::uint64_t withheld, std::uint64_t probes, std::uint64_t overrides) {
    std::lock_guard<std::mutex> guard(mutex_);
    m_.calls_withheld += withheld;
    m_.quarantine_probes += probes;
    m_.quarantine_overrides += overrides;
  }
  void quarantine(QuarantineEvent e) {
    std::lock_guard<std::mutex> guard(mutex_);
    switch (e) {
      case QuarantineEvent::quarantined: ++m_.quarantines; break;
      case QuarantineEvent::readmitted: ++m_.readmissions; break;
      case QuarantineEvent::extended: ++m_.quarantine_extensions; break;
    }
  }
  void call_cancelled() {
    std::lock_guard<std::mutex> guard(mutex_);
    ++m_.calls_cancelled;
  }

  /// Hedging: what became of the copies of a call (see RuntimeMetrics).
  enum class HedgeEvent { sent, won, loser_cancelled, answer_discarded, copy_failed, refused_budget };
  void hedge(HedgeEvent e, std::uint64_t count = 1) {
    std::lock_guard<std::mutex> guard(mutex_);
    switch (e) {
      case HedgeEvent::sent: m_.hedges_sent += count; break;
      case HedgeEvent::won: m_.hedges_won += count; break;
      case HedgeEvent::loser_cancelled: m_.hedges_cancelled += count; break;
      case HedgeEvent::answer_discarded: m_.hedge_answers_discarded += count; break;
      case HedgeEvent::copy_failed: m_.hedge_copies_failed += count; break;
      case HedgeEvent::refused_budget: m_.hedges_refused_budget += count; break;
    }
  }

  /// The overload controller observed the load, acted as `action`, and is now in this state.
  void overload(OverloadAction action, Index workers_in_use, bool shedding) {
    std::lock_guard<std::mutex> guard(mutex_);
    switch (action) {
      case OverloadAction::none: break;
      case OverloadAction::lower_redundancy: ++m_.redundancy_lowered; break;
      case OverloadAction::start_shedding: ++m_.shedding_started; break;
      case OverloadAction::stop_shedding: ++m_.shedding_stopped; break;
      case OverloadAction::restore_redundancy: ++m_.redundancy_restored; break;
    }
    m_.workers_in_use = workers_in_use;
    m_.shedding = shedding;
  }

  /// A group was decided as `decision`, decoded with `status` from `usable` answers.
  void group_decided(Decision decision, DecodeStatus status, Index usable, double collect_seconds,
                     double decode_seconds) {
    std::lock_guard<std::mutex> guard(mutex_);
    switch (decision) {
      case Decision::quorum: ++m_.groups_decided_quorum; break;
      case Decision::resolved: ++m_.groups_decided_resolved; break;
      case Decision::deadline: ++m_.groups_decided_deadline; break;
      case Decision::shutdown: ++m_.groups_decided_shutdown; break;
    }
    if (decision != Decision::shutdown) {
      if (status == DecodeStatus::ok) ++m_.decode_ok;
      else if (status == DecodeStatus::partial) ++m_.decode_partial;
      else ++m_.decode_insufficient;
    }
    ++m_.answers_per_group[std::size_t(usable)];
    m_.collect.latency.record(collect_seconds);
    m_.decode.latency.record(decode_seconds);
  }

  /// A copy of the counters (queue depths are the owner's to fill in).
  RuntimeMetrics snapshot() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return m_;
  }

  static StageMetrics& stage_metrics(RuntimeMetrics& m, Stage stage) {
    switch (stage) {
      case Stage::admission: return m.admission;
      case Stage::encode: return m.encode;
      case Stage::dispatch: return m.dispatch;
      case Stage::collect: return m.collect;
      case Stage::decode: return m.decode;
    }
    return m.decode;
  }

 private:
  mutable std::mutex mutex_;
  RuntimeMetrics m_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
