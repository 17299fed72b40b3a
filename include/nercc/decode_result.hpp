// What a decode reports: the estimates and the numerical outcome, never an exception.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_status.hpp>
#include <nercc/query_provenance.hpp>
#include <nercc/types.hpp>

#include <vector>

NERCC_NAMESPACE_BEGIN

/// Counts describing one decode. Plain data, no allocation.
struct DecodeDiagnostics {
  Index answers_received = 0;            ///< rows passed to decode
  Index answers_used = 0;                ///< rows that contributed to the estimates
  Index answers_rejected_non_finite = 0; ///< rows dropped because they held NaN or infinity
  Index queries_exact = 0;               ///< queries returned exactly as a worker computed them
  Index queries_estimated = 0;           ///< queries combined from the answers by the decoder
  Index queries_unavailable = 0;         ///< queries without an estimate (their rows are NaN)
  /// Coded estimates that overflowed from finite answers (counted in queries_unavailable too):
  /// reported unavailable with status partial, never as ok.
  Index estimates_non_finite = 0;
  Index answers_flagged = 0;             ///< finite answers dropped as wrong (CodeParams::num_adversaries > 0)
  bool cache_hit = false;                ///< the decoding matrix of this answered set was cached
};

/// Result of Decoder::decode: K x m values (row k is f(x_k) or its estimate), the status, how
/// each query's value was produced and how reliable it is, which workers were rejected for
/// non-finite outputs, and counts. All per-query vectors have K entries, in the caller's query
/// order (the order of the rows of values).
template <class S>
struct DecodeResult {
  RowMatrix<S> values;
  DecodeStatus status = DecodeStatus::ok;
  std::vector<bool> available;             ///< available[k]: row k of values holds a value (not NaN)
  /// provenance[k]: exact (a worker computed query k itself), estimated (the decoder combined
  /// it from the answers) or unavailable; available[k] == (provenance[k] != unavailable).
  std::vector<QueryProvenance> provenance;
  /// reliability[k] in [0, 1]: 1 for exact, estimate_reliability (<nercc/reliability.hpp>, in
  /// (0, 1]) for estimated, 0 for unavailable. Higher means the estimate is more trustworthy;
  /// a ranking score for thresholds (fallbacks), not a probability.
  std::vector<double> reliability;
  std::vector<Index> rejected_workers;     ///< worker ids whose outputs were non-finite
  /// Worker ids whose finite answers were found wrong and left out of the decode (only with
  /// CodeParams::num_adversaries > 0), in the order found, and how strongly: flag_scores[i]
  /// belongs to flagged_workers[i]. Spline and Berrut: the residual score (about 1 for the
  /// median answer; see robust/residual_detector.hpp); replication: the share of the query's
  /// answers that outvoted it, in (1/2, 1].
  std::vector<Index> flagged_workers;
  std::vector<double> flag_scores;
  DecodeDiagnostics diagnostics;

  bool ok() const { return status == DecodeStatus::ok; }
};

NERCC_NAMESPACE_END
