// RuntimeParams: everything that configures a Runtime, checked by validate().
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/params.hpp>
#include <nercc/runtime/bounded_queue.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/runtime/hedge_policy.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/padding.hpp>
#include <nercc/runtime/quarantine_policy.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Configuration of a Runtime: the code, the shapes, the group/deadline policy, queue
/// capacities, thread counts, the overload controller and the group log sink. An aggregate with
/// defaults; the Runtime copies it and calls validate().
struct RuntimeParams {
  SchemeKind scheme = SchemeKind::spline;  ///< chosen per runtime instance
  CodeParams code;                         ///< K, N, points, lambdas, min_answers
  Index input_dim = 0;                     ///< d: columns of a query (required)
  Index output_dim = 0;                    ///< m: columns of a worker output (required)
  /// S: a group decodes once N_used - S usable answers arrived (never fewer than the decoder's
  /// min_answers). Replication and uncoded also decode as soon as every query has an answer.
  Index stragglers = 0;
  /// b: a group takes up to b K queries, coded as b independent blocks of K with the same
  /// workers, so each call carries one coded query per block (blocks x input_dim) and must
  /// answer blocks x output_dim: batch-aware dispatch, one model batch per worker per group.
  /// A group closed early has ceil(real / K) blocks.
  Index worker_batch = 1;
  /// Close a partial group this long after its first query; `never`: only at full size (or
  /// shutdown).
  Duration group_timeout = std::chrono::milliseconds(5);
  PadPolicy pad = PadPolicy::repeat_last;
  /// From dispatch: decode with what arrived, or fail the group's queries with too_few_answers
  /// when fewer than min_answers usable answers arrived. `never`: no deadline (a group waits
  /// for its quorum or for every call to resolve).
  Duration deadline = std::chrono::milliseconds(100);

  /// Early release: a query completes the moment a worker that computed it exactly answers (a
  /// replica for replication, its own worker for uncoded, worker k for query k of a systematic
  /// spline or Berrut layout, see AnyCode::systematic), with that answer as its value
  /// (Provenance::exact); only the group's other queries wait for its decision. No effect on a
  /// code without such workers. Combined with stragglers = 0 and a deadline T this is the grace
  /// rule: exact answers leave at once, the rest are decoded at T (or when every call resolved)
  /// from every answer that arrived, instead of at the quorum.
  /// With code.num_adversaries > 0 an answer cannot be trusted before the decoder has checked
  /// it against the others, so early release holds: nothing leaves before the group's decision,
  /// and a systematic worker's answer the decoder did not flag then completes its query as
  /// exact (QueryOutcome::released_early false), a flagged one is replaced by the estimate.
  bool early_release = false;

  /// Hedged requests (hedge_policy.hpp): once a call is outstanding past the hedge delay, a
  /// backup copy of its coded rows goes to another worker; the first answer is used and the
  /// other copy cancelled. Works with every scheme; with uncoded it is the classic hedged-requests
  /// baseline. Off by default. With HedgeTarget::spare the transport must serve worker indices
  /// up to num_workers + hedge.spare_workers - 1.
  HedgeParams hedge;

  /// With a fallback model (Runtime's fourth argument): a query whose estimate's reliability
  /// (DecodeResult) is below this is answered by the fallback instead (counted in
  /// RuntimeMetrics::fallback_low_reliability). In [0, 1]; 0: only queries without a value go to
  /// the fallback. Exact values are never replaced.
  double fallback_below_reliability = 0.0;

  std::size_t admission_capacity = 1024;  ///< queries waiting to be grouped
  QueuePolicy admission_policy = QueuePolicy::reject;
  std::size_t stage_capacity = 16;        ///< groups waiting at the encode and dispatch stages
  /// Policy of the encode and dispatch queues and of the in-flight window (reject: a group
  /// arriving at a full window fails its queries with QueryError::rejected).
  QueuePolicy stage_policy = QueuePolicy::block;
  std::size_t max_inflight_groups = 32;   ///< groups dispatched and not yet decoded (bounds the decode queue)

  int encode_threads = 1;
  int decode_threads = 1;
  int io_threads = 4;  ///< synchronous transports only: threads that run the calls

  OverloadParams overload;
  /// Quarantine of workers the robust decoder keeps flagging (quarantine_policy.hpp); needs
  /// code.num_adversaries > 0. A quarantined worker's calls are withheld and count as
  /// stragglers of the group (the quorum stays N_used - S); a group never withholds so many that
  /// fewer than the decoder's min_answers workers (for replication: fewer than one worker of a
  /// query) would remain: those calls are sent anyway (RuntimeMetrics::quarantine_overrides).
  QuarantineParams quarantine;
  /// Called with each decided group's record on a decode thread; empty: no log. Must be
  /// thread-safe when decode_threads > 1; exceptions it throws are swallowed.
  std::function<void(const GroupLog&)> group_log;

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using ::nercc::detail::message;
    code.validate();
    if (input_dim < 1) throw invalid_argument(message("input_dim (", input_dim, ") must be >= 1"));
    if (output_dim < 1) throw invalid_argument(message("output_dim (", output_dim, ") must be >= 1"));
    if (stragglers < 0 || stragglers >= code.num_workers)
      throw invalid_argument(
          message("stragglers (", stragglers, ") must lie in [0, num_workers (", code.num_workers, "))"));
    if (worker_batch < 1) throw invalid_argument(message("worker_batch (", worker_batch, ") must be >= 1"));
    if (group_timeout <= Duration::zero())
      throw invalid_argument(message("group_timeout (", seconds(group_timeout), " s) must be > 0"));
    if (deadline <= Duration::zero()) throw invalid_argument(message("deadline (", seconds(deadline), " s) must be > 0"));
    if (admission_capacity < 1) throw invalid_argument("admission_capacity (0) must be >= 1");
    if (stage_capacity < 1) throw invalid_argument("stage_capacity (0) must be >= 1");
    if (max_inflight_groups < 1) throw invalid_argument("max_inflight_groups (0) must be >= 1");
    if (encode_threads < 1) throw invalid_argument(message("encode_threads (", encode_threads, ") must be >= 1"));
    if (decode_threads < 1) throw invalid_argument(message("decode_threads (", decode_threads, ") must be >= 1"));
    if (io_threads < 1) throw invalid_argument(message("io_threads (", io_threads, ") must be >= 1"));
    overload.validate(code);
    hedge.validate();
    quarantine.validate();
    if (quarantine.enabled && code.num_adversaries == 0)
      throw invalid_argument("quarantine.enabled (true) needs code.num_adversaries > 0: without the robust decoder "
                             "no answer is ever flagged");
    if (quarantine.enabled && scheme_facts(scheme).is_regression && code.detection_threshold == 0.0)
      throw invalid_argument("quarantine.enabled (true) needs code.detection_threshold > 0 for spline and Berrut: "
                             "at 0 every decode flags num_adversaries answers, wrong or not");
    if (!(fallback_below_reliability >= 0.0 && fallback_below_reliability <= 1.0))
      throw invalid_argument(
          message("fallback_below_reliability (", fallback_below_reliability, ") must lie in [0, 1]"));
  }
};

}  // namespace runtime
NERCC_NAMESPACE_END
