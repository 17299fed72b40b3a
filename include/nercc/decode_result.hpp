// What a decode reports: the estimates and the numerical outcome, never an exception.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_status.hpp>
#include <nercc/types.hpp>

#include <vector>

NERCC_NAMESPACE_BEGIN

/// Counts describing one decode. Plain data, no allocation.
struct DecodeDiagnostics {
  Index answers_received = 0;            ///< rows passed to decode
  Index answers_used = 0;                ///< rows that contributed to the estimates
  Index answers_rejected_non_finite = 0; ///< rows dropped because they held NaN or infinity
  Index queries_unavailable = 0;         ///< queries without an estimate (their rows are NaN)
  /// Coded estimates that overflowed from finite answers (counted in queries_unavailable too):
  /// reported unavailable with status partial, never as ok.
  Index estimates_non_finite = 0;
  bool cache_hit = false;                ///< the decoding matrix of this answered set was cached
};

/// Result of Decoder::decode: K x m estimates (row k estimates f(x_k)), the status, which
/// queries have an estimate, which workers were rejected for non-finite outputs, and counts.
template <class S>
struct DecodeResult {
  RowMatrix<S> values;
  DecodeStatus status = DecodeStatus::ok;
  std::vector<bool> available;           ///< available[k]: row k of values is an estimate
  std::vector<Index> rejected_workers;   ///< worker ids whose outputs were non-finite
  DecodeDiagnostics diagnostics;

  bool ok() const { return status == DecodeStatus::ok; }
};

NERCC_NAMESPACE_END
