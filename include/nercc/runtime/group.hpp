// The pipeline's record of one group in flight and of the items its stages pass along
// (implementation detail of Runtime; see pipeline.hpp).
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/decision_rule.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/runtime/outcome.hpp>
#include <nercc/runtime/transport.hpp>
#include <nercc/types.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {
namespace detail {

template <class S>
struct Query {
  std::uint64_t id = 0;
  RowMatrix<S> x;
  std::function<void(QueryOutcome<S>&&)> sink;
  TimePoint submitted;
};

/// One copy of a call (the primary, or its hedged backup).
enum class CopyState : std::uint8_t {
  none,         // not sent (a backup not sent)
  outstanding,  // sent, awaited
  done,         // resolved (answered or failed)
  lost,         // the other copy answered first; cancelled or to be cancelled
};

// A released query's exact answer waiting for a decode thread.
template <class S>
struct Release {
  std::size_t query = 0;
  RowMatrix<S> value;
  bool hedged = false;  // the answer came from a backup copy
};

template <class S>
struct Group {
  std::uint64_t id = 0;
  std::vector<std::shared_ptr<Query<S>>> queries;  // the real ones (<= worker_batch K)
  Index blocks = 1;                                // code blocks of K queries: ceil(real / K)
  // blocks K x d; blocks N x d worker-major (worker w's coded queries are rows w blocks ..), so
  // each call's input is contiguous.
  RowMatrix<S> inputs, coded;
  std::vector<QueryOrder> orders;                  // of each block, from encode, for decode
  std::vector<Index> workers;                      // workers called, ascending
  GroupShape shape;                                // what the decision rule knows of the group
  Index quorum = 0;
  TimePoint first_submit, closed, stage_entered, dispatched, decided_at;

  // Collect state, guarded by m.
  std::mutex m;
  bool decided = false;
  bool cancels_run = false;
  Decision decision = Decision::quorum;
  std::vector<CallState> states;
  std::vector<double> arrival;
  std::vector<CancelHandle> cancels;  // of the primaries
  // Per slot: its primary and its backup (hedging); a slot is resolved by the first
  // well-formed answer of its copies, or failed once no copy is outstanding.
  std::vector<CopyState> primary, backup;
  std::vector<CancelHandle> backup_cancels;
  std::vector<Index> backup_worker;      // -1: no backup
  std::vector<TimePoint> backup_sent;    // when the backup was sent (if any)
  std::vector<char> won_by_backup;       // the slot's usable answer came from its backup
  std::vector<char> budget_refused;      // counted once per slot
  bool hedge_armed = false;              // dispatch + hedge delay has passed
  double hedge_delay = std::numeric_limits<double>::quiet_NaN();  // seconds; NaN: not hedged
  std::deque<Index> answered_workers;    // HedgeTarget::answered: free to take a backup
  RowMatrix<S> answers;           // usable answers in arrival order, blocks x m flattened to a row
  std::vector<Index> answer_slot; // slot of each row of answers
  std::vector<Index> coverage;    // replication/uncoded: usable answers per real query
  CollectProgress progress;
  // Early release: queries completed with a worker's exact answer before the decision, and the
  // answers waiting for a decode thread to deliver them.
  std::vector<char> released;
  std::vector<Release<S>> to_release;
  bool release_queued = false;
};

template <class S>
using GroupPtr = std::shared_ptr<Group<S>>;

// One decode-stage item: decide-and-complete a group, or deliver its early releases.
template <class S>
struct DecodeWork {
  GroupPtr<S> group;
  bool release = false;
};

// One admission item: a query, or a timeout token that closes group `flush` if still open.
template <class S>
struct Admission {
  std::shared_ptr<Query<S>> query;
  std::uint64_t flush = 0;
};

}  // namespace detail
}  // namespace runtime
NERCC_NAMESPACE_END
