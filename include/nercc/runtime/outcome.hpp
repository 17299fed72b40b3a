// QueryOutcome: what every submitted query ends with, a value or the reason it has none.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_status.hpp>
#include <nercc/index.hpp>
#include <nercc/types.hpp>

#include <cstdint>
#include <string>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Why a query has no result. Every submitted query ends with exactly one QueryOutcome.
enum class QueryError {
  none,             ///< a result (QueryOutcome::value) with its decode status
  rejected,         ///< a full queue with the reject policy refused it
  shed,             ///< the overload controller refused admission
  too_few_answers,  ///< its group was decided with fewer usable answers than min_answers
  unavailable,      ///< replication/uncoded: no worker computing this query answered
  shut_down,        ///< the runtime shut down before the query completed
  internal,         ///< encode or decode threw (the message says what)
};

inline const char* to_string(QueryError e) {
  switch (e) {
    case QueryError::none: return "none";
    case QueryError::rejected: return "rejected";
    case QueryError::shed: return "shed";
    case QueryError::too_few_answers: return "too_few_answers";
    case QueryError::unavailable: return "unavailable";
    case QueryError::shut_down: return "shut_down";
    case QueryError::internal: return "internal";
  }
  return "unknown";
}

/// How a query's value was produced (the decoder's QueryProvenance, plus the fallback).
enum class Provenance {
  exact,      ///< a worker's answer for this very query (replication, uncoded, an answered systematic worker)
  estimated,  ///< combined from the answers of its group by the decoder (spline, Berrut)
  /// the runtime's fallback model (the group could not give this query a value, or its estimate
  /// was less reliable than RuntimeParams::fallback_below_reliability)
  fallback,
};

inline const char* to_string(Provenance p) {
  switch (p) {
    case Provenance::exact: return "exact";
    case Provenance::estimated: return "estimated";
    case Provenance::fallback: return "fallback";
  }
  return "unknown";
}

/// The outcome of one query: the estimate of f(x) (1 x output_dim) or an error naming why.
template <class S>
struct QueryOutcome {
  QueryError error = QueryError::none;
  std::string message;  ///< empty on success
  RowMatrix<S> value;   ///< 1 x output_dim on success, empty otherwise
  DecodeStatus status = DecodeStatus::ok;  ///< decode status of the query's group
  std::uint64_t query = 0;   ///< id returned in submission order, from 1
  std::uint64_t group = 0;   ///< 0 when the query never joined a group
  Index answers_used = 0;    ///< usable worker answers its group decoded from
  double latency_seconds = 0;  ///< submit to outcome, on the runtime's clock
  Provenance provenance = Provenance::estimated;  ///< on success: how the value was produced
  /// On success: completed by RuntimeParams::early_release, before its group was decided.
  bool released_early = false;
  /// On success: an answer its value was computed from came from a hedged backup copy (for
  /// replication and uncoded: the answer of this query's position the decode used; for spline and
  /// Berrut: any answer of its group; with early release: its own answer). A flag beside
  /// provenance, since a hedged value is still exact or estimated.
  bool hedged = false;
  /// The decoder's reliability score of the query's value (DecodeResult::reliability): 1 for an
  /// exact value, in (0, 1] for an estimate (higher is more trustworthy; a ranking score, not a
  /// probability), 0 when its group gave it none. For a fallback answer: the score of what the
  /// fallback replaced (0 when there was no value).
  double reliability = 0.0;
  bool ok() const { return error == QueryError::none; }
};

}  // namespace runtime
NERCC_NAMESPACE_END
