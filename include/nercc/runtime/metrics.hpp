// What the runtime reports: counters, queue depths and latency histograms (RuntimeMetrics,
// exported as JSON), and one GroupLog record per decided group.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Latencies in log-spaced buckets: 4 per decade from 1 us to 1000 s, then one overflow bucket.
/// Plain data; not synchronised (the runtime guards its own copies and hands out snapshots).
struct LatencyHistogram {
  static constexpr int buckets_per_decade = 4;
  static constexpr int decades = 9;  // 1e-6 .. 1e3 s
  static constexpr int num_buckets = buckets_per_decade * decades + 1;

  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(num_buckets, 0);
  std::uint64_t count = 0;
  double sum_seconds = 0.0;
  double max_seconds = 0.0;

  /// Upper edge of bucket b in seconds (+infinity for the overflow bucket).
  static double upper_bound(int b) {
    if (b >= num_buckets - 1) return HUGE_VAL;
    return 1e-6 * std::pow(10.0, double(b + 1) / buckets_per_decade);
  }
  void record(double secs) {
    int b = 0;
    while (b < num_buckets - 1 && secs > upper_bound(b)) ++b;
    ++counts[std::size_t(b)];
    ++count;
    sum_seconds += secs;
    if (secs > max_seconds) max_seconds = secs;
  }
  /// Upper edge of the bucket holding quantile q in [0, 1] (0 when empty): an upper estimate
  /// within one bucket (a factor 10^(1/4)).
  double quantile(double q) const {
    if (count == 0) return 0.0;
    const double target = q * double(count);
    std::uint64_t seen = 0;
    for (int b = 0; b < num_buckets; ++b) {
      seen += counts[std::size_t(b)];
      if (double(seen) >= target && seen > 0) return b == num_buckets - 1 ? max_seconds : upper_bound(b);
    }
    return max_seconds;
  }
  double mean() const { return count ? sum_seconds / double(count) : 0.0; }
};

/// One stage: its input queue and the time items spend in the stage (queue wait + work).
struct StageMetrics {
  std::size_t capacity = 0;
  std::size_t depth = 0;      ///< items queued at the snapshot
  std::size_t max_depth = 0;  ///< largest depth seen
  LatencyHistogram latency;
};

/// Snapshot of a Runtime's counters. Plain data: copy it, compare it, print it with to_json().
/// Every query submitted ends in exactly one of completed_ok or the error counters, so
/// submitted == completed_ok + rejected + shed + too_few_answers + unavailable + shut_down +
/// internal_errors once the runtime is idle.
struct RuntimeMetrics {
  std::uint64_t submitted = 0;
  std::uint64_t completed_ok = 0;
  std::uint64_t rejected = 0;         ///< refused by a full queue (reject policy)
  std::uint64_t shed = 0;             ///< refused by the overload controller
  std::uint64_t too_few_answers = 0;  ///< group decided with fewer usable answers than min_answers
  std::uint64_t unavailable = 0;      ///< replication/uncoded: no worker of this query answered
  std::uint64_t shut_down = 0;        ///< pending when the runtime shut down
  std::uint64_t internal_errors = 0;  ///< an exception in encode/decode (message in the outcome)
  std::uint64_t callback_exceptions = 0;  ///< user completion callbacks that threw (swallowed)
  std::uint64_t released_early = 0;  ///< completed_ok queries completed by early release
  std::uint64_t fallback_answers = 0;  ///< completed_ok queries answered by the fallback model
  std::uint64_t fallback_failed = 0;   ///< fallback calls that threw or gave a wrong shape or non-finite values
  /// Of fallback_answers: queries whose estimate was less reliable than
  /// RuntimeParams::fallback_below_reliability (the rest had no value).
  std::uint64_t fallback_low_reliability = 0;
  std::uint64_t hedged_answers = 0;    ///< completed_ok queries whose value used a backup's answer (QueryOutcome::hedged)
  /// Queries submitted from the runtime's own threads (a callback submitting again) while the
  /// admission queue was full under QueuePolicy::block: admitted past its capacity, since waiting
  /// there could stall the pipeline that has to drain it.
  std::uint64_t admitted_past_capacity = 0;

  std::uint64_t groups_formed = 0;
  std::uint64_t groups_padded = 0;  ///< closed by the group timeout with fewer than K queries
  std::uint64_t groups_decided_quorum = 0;    ///< reached the quorum (or every query covered)
  std::uint64_t groups_decided_resolved = 0;  ///< every call resolved before the quorum
  std::uint64_t groups_decided_deadline = 0;  ///< the deadline passed first
  std::uint64_t groups_decided_shutdown = 0;
  std::uint64_t decode_ok = 0, decode_partial = 0, decode_insufficient = 0;

  std::uint64_t calls_sent = 0;
  std::uint64_t answers_used = 0;      ///< answers that arrived in time, well-formed and finite
  std::uint64_t answers_failed = 0;    ///< transport reported a failure or threw
  std::uint64_t answers_bad_shape = 0; ///< output not 1 x output_dim
  std::uint64_t answers_non_finite = 0;
  std::uint64_t late_answers = 0;      ///< arrived after their group was decided (dropped)
  std::uint64_t calls_cancelled = 0;   ///< cancel handles invoked for outstanding calls

  // Hedging (RuntimeParams::hedge). calls_sent and the answer counters above count each call
  // once (its first usable copy, or its failure once no copy is left); these count the copies.
  std::uint64_t hedges_sent = 0;       ///< backup copies sent
  std::uint64_t hedges_won = 0;        ///< calls whose usable answer came from the backup
  std::uint64_t hedges_cancelled = 0;  ///< losing copies (primary or backup) cancelled once the other answered
  std::uint64_t hedge_answers_discarded = 0;  ///< copies that answered after the other copy had (dropped)
  std::uint64_t hedge_copies_failed = 0;      ///< copies that failed while the other copy was still awaited
  std::uint64_t hedges_refused_budget = 0;    ///< calls due a backup that the budget refused (once per call)

  // Wrong answers (CodeParams::num_adversaries > 0) and the quarantine (RuntimeParams::quarantine).
  /// flags_per_worker[w]: decided groups in which the robust decoder flagged worker w's answer
  /// (w the transport's index; size N + hedge.spare_workers). A group counts a worker once.
  std::vector<std::uint64_t> flags_per_worker;
  std::uint64_t flags_total = 0;        ///< the sum of flags_per_worker
  std::uint64_t groups_with_flags = 0;  ///< decided groups that flagged at least one answer
  std::uint64_t quarantines = 0;        ///< workers quarantined (m flags in their last n checked groups)
  std::uint64_t quarantine_probes = 0;  ///< probe calls sent to quarantined workers past their cool-down
  std::uint64_t readmissions = 0;       ///< probes checked and not flagged: the worker is back
  std::uint64_t quarantine_extensions = 0;  ///< probes flagged: the worker stays out, for longer
  std::uint64_t calls_withheld = 0;     ///< calls not sent because their worker was quarantined
  /// Calls sent to a quarantined worker because withholding them would have left the group
  /// unable to decode (fewer than min_answers workers, or a replicated query without a worker).
  std::uint64_t quarantine_overrides = 0;
  Index workers_quarantined = 0;        ///< quarantined (or probing) at the snapshot

  std::uint64_t redundancy_lowered = 0;  ///< overload steps that removed workers from groups
  std::uint64_t redundancy_restored = 0;
  std::uint64_t shedding_started = 0;
  std::uint64_t shedding_stopped = 0;
  Index workers_in_use = 0;  ///< workers per group now (N unless lowered)
  bool shedding = false;

  std::size_t live_queries = 0;      ///< admitted and not yet completed
  std::size_t max_live_queries = 0;  ///< the most ever admitted and not yet completed
  std::size_t inflight_groups = 0;

  /// answers_per_group[a]: decided groups with a usable answers (size N + 1).
  std::vector<std::uint64_t> answers_per_group;
  StageMetrics admission, encode, dispatch, collect, decode;
  LatencyHistogram end_to_end;  ///< submit to outcome, successful queries only

  /// Total of the outcome counters (equals submitted when idle).
  std::uint64_t outcomes() const {
    return completed_ok + rejected + shed + too_few_answers + unavailable + shut_down + internal_errors;
  }

  /// One JSON object; histograms as {count, mean, p50, p99, p999, max} in seconds.
  std::string to_json() const {
    std::ostringstream o;
    o.precision(9);
    auto hist = [&](const LatencyHistogram& h) {
      o << "{\"count\":" << h.count << ",\"mean\":" << h.mean() << ",\"p50\":" << h.quantile(0.5)
        << ",\"p99\":" << h.quantile(0.99) << ",\"p999\":" << h.quantile(0.999) << ",\"max\":" << h.max_seconds
        << "}";
    };
    auto stage = [&](const char* name, const StageMetrics& s) {
      o << "\"" << name << "\":{\"capacity\":" << s.capacity << ",\"depth\":" << s.depth
        << ",\"max_depth\":" << s.max_depth << ",\"latency\":";
      hist(s.latency);
      o << "}";
    };
    o << "{\"submitted\":" << submitted << ",\"completed_ok\":" << completed_ok << ",\"rejected\":" << rejected
      << ",\"shed\":" << shed << ",\"too_few_answers\":" << too_few_answers << ",\"unavailable\":" << unavailable
      << ",\"shut_down\":" << shut_down << ",\"internal_errors\":" << internal_errors
      << ",\"callback_exceptions\":" << callback_exceptions << ",\"admitted_past_capacity\":" << admitted_past_capacity << ",\"released_early\":" << released_early
      << ",\"fallback_answers\":" << fallback_answers << ",\"fallback_failed\":" << fallback_failed
      << ",\"fallback_low_reliability\":" << fallback_low_reliability << ",\"hedged_answers\":" << hedged_answers
      << ",\"groups_formed\":" << groups_formed
      << ",\"groups_padded\":" << groups_padded << ",\"groups_decided_quorum\":" << groups_decided_quorum
      << ",\"groups_decided_resolved\":" << groups_decided_resolved
      << ",\"groups_decided_deadline\":" << groups_decided_deadline
      << ",\"groups_decided_shutdown\":" << groups_decided_shutdown << ",\"decode_ok\":" << decode_ok
      << ",\"decode_partial\":" << decode_partial << ",\"decode_insufficient\":" << decode_insufficient
      << ",\"calls_sent\":" << calls_sent << ",\"answers_used\":" << answers_used
      << ",\"answers_failed\":" << answers_failed << ",\"answers_bad_shape\":" << answers_bad_shape
      << ",\"answers_non_finite\":" << answers_non_finite << ",\"late_answers\":" << late_answers
      << ",\"calls_cancelled\":" << calls_cancelled << ",\"hedges_sent\":" << hedges_sent
      << ",\"hedges_won\":" << hedges_won << ",\"hedges_cancelled\":" << hedges_cancelled
      << ",\"hedge_answers_discarded\":" << hedge_answers_discarded
      << ",\"hedge_copies_failed\":" << hedge_copies_failed << ",\"hedges_refused_budget\":" << hedges_refused_budget
      << ",\"flags_total\":" << flags_total << ",\"groups_with_flags\":" << groups_with_flags
      << ",\"quarantines\":" << quarantines << ",\"quarantine_probes\":" << quarantine_probes
      << ",\"readmissions\":" << readmissions << ",\"quarantine_extensions\":" << quarantine_extensions
      << ",\"calls_withheld\":" << calls_withheld << ",\"quarantine_overrides\":" << quarantine_overrides
      << ",\"workers_quarantined\":" << workers_quarantined << ",\"flags_per_worker\":[";
    for (std::size_t i = 0; i < flags_per_worker.size(); ++i) o << (i ? "," : "") << flags_per_worker[i];
    o << "]"
      << ",\"redundancy_lowered\":" << redundancy_lowered
      << ",\"redundancy_restored\":" << redundancy_restored << ",\"shedding_started\":" << shedding_started
      << ",\"shedding_stopped\":" << shedding_stopped << ",\"workers_in_use\":" << workers_in_use
      << ",\"shedding\":" << (shedding ? "true" : "false") << ",\"live_queries\":" << live_queries
      << ",\"max_live_queries\":" << max_live_queries << ",\"inflight_groups\":" << inflight_groups
      << ",\"answers_per_group\":[";
    for (std::size_t i = 0; i < answers_per_group.size(); ++i) o << (i ? "," : "") << answers_per_group[i];
    o << "],";
    stage("admission", admission);
    o << ",";
    stage("encode", encode);
    o << ",";
    stage("dispatch", dispatch);
    o << ",";
    stage("collect", collect);
    o << ",";
    stage("decode", decode);
    o << ",\"end_to_end\":";
    hist(end_to_end);
    o << "}";
    return o.str();
  }
};

}  // namespace runtime
NERCC_NAMESPACE_END
