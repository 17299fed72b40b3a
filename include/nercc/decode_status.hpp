// DecodeStatus: the numerical outcome of a decode. Standard library only, so records that carry
// it (runtime::GroupLog, the planner's fits) need no Eigen.
#pragma once

#include <nercc/config.hpp>

NERCC_NAMESPACE_BEGIN

/// Outcome of a decode.
enum class DecodeStatus {
  ok,                    ///< every query has an estimate
  partial,               ///< some queries have no estimate (rows are NaN): replication/uncoded without an answer for them, or a coded estimate that overflowed
  insufficient_answers,  ///< fewer usable answers than min_answers: nothing decoded (all rows NaN)
};

inline const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::partial: return "partial";
    case DecodeStatus::insufficient_answers: return "insufficient_answers";
  }
  return "unknown";
}

NERCC_NAMESPACE_END
