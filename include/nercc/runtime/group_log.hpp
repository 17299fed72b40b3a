// GroupLog: the compact record of one decided group (how it was decided, when each worker
// answered). Standard library only, so the planner can fit straggler models to these logs
// without the runtime.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_status.hpp>
#include <nercc/index.hpp>
#include <nercc/schemes.hpp>

#include <cstdint>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Why a group stopped collecting.
enum class Decision {
  quorum,    ///< N - S usable answers arrived (replication/uncoded: or every query was covered)
  resolved,  ///< every call answered or failed before the quorum
  deadline,  ///< the deadline passed first; decoded with what had arrived
  shutdown,  ///< the runtime shut down
};

inline const char* to_string(Decision d) {
  switch (d) {
    case Decision::quorum: return "quorum";
    case Decision::resolved: return "resolved";
    case Decision::deadline: return "deadline";
    case Decision::shutdown: return "shutdown";
  }
  return "unknown";
}

/// What became of one call of a group, as the collect stage saw it when the group was decided.
/// `quarantined`: never sent, the worker being quarantined (RuntimeParams::quarantine).
enum class CallState : std::uint8_t { pending, answered, failed, bad_shape, non_finite, quarantined };

/// Compact record of one decided group: its configuration, when each worker answered, how it
/// was decided, and the decode. Plain data, delivered to RuntimeParams::group_log on a decode
/// thread; the planner and selectors read these.
struct GroupLog {
  std::uint64_t group = 0;
  SchemeKind scheme = SchemeKind::spline;
  Index num_queries = 0;   ///< K
  Index num_workers = 0;   ///< N configured
  Index quorum = 0;        ///< usable answers that decide the group
  Index real_queries = 0;  ///< queries submitted into this group (< blocks K when padded)
  Index blocks = 1;        ///< code blocks of K queries (RuntimeParams::worker_batch when full)
  std::vector<Index> workers;           ///< workers called (all N unless redundancy was lowered)
  std::vector<CallState> call_states;   ///< per entry of workers
  std::vector<double> arrival_seconds;  ///< per entry of workers: since dispatch; NaN if none
  Index usable_answers = 0;
  /// Workers (transport indices) whose answers the robust decoder flagged as wrong
  /// (CodeParams::num_adversaries > 0), each once, in the order found.
  std::vector<Index> flagged_workers;
  /// Hedging (RuntimeParams::hedge), per entry of workers: the worker its backup copy went to
  /// (-1: none), when it was sent (seconds since dispatch; NaN: none), and whether the call's
  /// usable answer came from the backup. arrival_seconds is then the first usable answer of
  /// either copy. Empty when hedging is off.
  std::vector<Index> backup_workers;
  std::vector<double> backup_sent_seconds;
  std::vector<bool> answered_by_backup;
  double hedge_delay_seconds = std::numeric_limits<double>::quiet_NaN();  ///< the group's hedge delay; NaN: the group was not hedged
  Decision decision = Decision::quorum;
  DecodeStatus status = DecodeStatus::ok;
  double group_seconds = 0;     ///< first query submitted to group closed
  double collect_seconds = 0;   ///< dispatch to decision
  double decode_seconds = 0;    ///< decision to every outcome delivered
};

}  // namespace runtime
NERCC_NAMESPACE_END
