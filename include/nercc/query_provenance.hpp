// QueryProvenance: how a decode produced each query's value. Standard library only, so records
// that carry it (the runtime's outcomes, the planner's calibration) need no Eigen.
#pragma once

#include <nercc/config.hpp>

NERCC_NAMESPACE_BEGIN

/// How the value of one query was produced by a decode.
enum class QueryProvenance {
  /// A worker computed this very query, and its answer is returned as is: the query's own
  /// worker of a systematic spline or Berrut layout (see systematic_params), a replica, or the
  /// uncoded worker. Its reliability is 1.
  exact,
  /// Combined by the code's decoder from the answers of workers that computed mixtures of the
  /// queries; DecodeResult::reliability scores it in (0, 1] (see <nercc/reliability.hpp>).
  estimated,
  /// No value: the row is NaN (too few answers, no replica answered, or the estimate
  /// overflowed). Its reliability is 0.
  unavailable,
};

inline const char* to_string(QueryProvenance provenance) {
  switch (provenance) {
    case QueryProvenance::exact: return "exact";
    case QueryProvenance::estimated: return "estimated";
    case QueryProvenance::unavailable: return "unavailable";
  }
  return "unknown";
}

NERCC_NAMESPACE_END
