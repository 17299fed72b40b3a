// What tolerating E wrong answers (CodeParams::num_adversaries) demands of each scheme: the
// checks, the fewest answers a decode needs, and the workers it costs. Standard library only
// (the planner uses it).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>

#include <algorithm>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// The answers a coded decode needs to locate E wrong ones among them: K + 2E (E to drop and E
/// more so that the E wrong ones stay a minority of every local fit).
constexpr Index answers_to_locate(Index num_queries, Index num_adversaries) { return num_queries + 2 * num_adversaries; }

/// The copies of a query a majority vote needs to outvote E wrong ones: 2E + 1.
constexpr Index copies_to_outvote(Index num_adversaries) { return 2 * num_adversaries + 1; }

/// The fewest usable answers a decode locating E = num_adversaries wrong ones needs: for the
/// spline and Berrut codes K + 2E (E to drop and E more so that the E wrong ones stay a
/// minority of every local fit, as the 2E extra evaluations of an error-correcting code);
/// for replication, one (a query with 3 or more answers gets a majority vote, others keep the
/// first answer); E = 0 changes nothing.
template <class Scheme>
Index min_answers_with_adversaries(const CodeParams& p) {
  const Index e = p.num_adversaries;
  if (e == 0 || !Scheme::is_regression) return detail::effective_min_answers<Scheme>(p);
  return p.min_answers > 0 ? p.min_answers : answers_to_locate(p.num_queries, e);
}

/// The fewest usable answers a decode needs once its flagged answers are dropped: the K + 2E
/// that located them were there before the flags, so for spline and Berrut with E > 0 the
/// plain decode's K (min_answers - 2E when set); otherwise min_answers_with_adversaries.
template <class Scheme>
Index min_answers_after_flags(const CodeParams& p) {
  const Index before = min_answers_with_adversaries<Scheme>(p);
  if (p.num_adversaries == 0 || !Scheme::is_regression) return before;
  return std::max(Scheme::default_min_answers(p.num_queries), before - 2 * p.num_adversaries);
}

/// Throws nercc::invalid_argument naming the fields when the scheme cannot tolerate
/// E = num_adversaries: spline and Berrut need num_workers >= num_queries + 2E and, when set,
/// min_answers >= num_queries + 2E (S = N - min_answers stragglers come on top of the 2E);
/// replication needs 2E + 1 copies of every query (num_workers >= (2E + 1) num_queries);
/// uncoded has no redundancy (E must be 0).
template <class Scheme>
void check_adversary_budget(const CodeParams& p) {
  using detail::message;
  const Index e = p.num_adversaries, k = p.num_queries, n = p.num_workers;
  if (e == 0) return;
  const Index needed = answers_to_locate(k, e);
  if (Scheme::requires_workers_equal_queries)
    throw invalid_argument(message("num_adversaries (", e, ") must be 0 for ", Scheme::name,
                                   ": without redundancy a wrong answer cannot be found"));
  if (Scheme::is_regression) {
    if (n < needed)
      throw invalid_argument(message("num_adversaries (", e, ") is too large for num_workers (", n,
                                     ") and num_queries (", k, "): ", Scheme::name,
                                     " needs num_workers >= num_queries + 2 * num_adversaries (", needed, ")"));
    if (p.min_answers > 0 && p.min_answers < needed)
      throw invalid_argument(message("min_answers (", p.min_answers, ") is too small for num_adversaries (", e,
                                     ") and num_queries (", k, "): locating wrong answers needs min_answers >= ",
                                     "num_queries + 2 * num_adversaries (", needed,
                                     "), so at most num_workers - that many stragglers (S)"));
    return;
  }
  if (n < copies_to_outvote(e) * k)
    throw invalid_argument(message("num_adversaries (", e, ") is too large for num_workers (", n,
                                   ") and num_queries (", k, "): ", Scheme::name,
                                   " outvotes E wrong copies with 2E + 1 copies of every query, num_workers >= ",
                                   copies_to_outvote(e) * k));
}

/// The fewest workers per group with which `scheme` decodes K queries despite E wrong answers
/// and S stragglers, as check_adversary_budget counts them: spline and Berrut K + 2E + S (the
/// K + 2E answers a decode needs, plus S that may be missing; a minimum for the detector to run,
/// not an accuracy guarantee); replication (2E + 1 + S) K (every query keeps a majority of 2E + 1
/// copies whichever S are missing); uncoded K when E = S = 0, else -1 (it cannot). ApproxIFER's
/// count for its Berrut locator is 2K + 2E + S - 1. Throws nercc::invalid_argument naming a
/// negative argument or K < 1. Thread-safe (pure).
inline Index workers_for_adversaries(SchemeKind scheme, Index num_queries, Index num_adversaries, Index stragglers) {
  using detail::message;
  if (num_queries < 1) throw invalid_argument(message("num_queries (", num_queries, ") must be >= 1"));
  if (num_adversaries < 0) throw invalid_argument(message("num_adversaries (", num_adversaries, ") must be >= 0"));
  if (stragglers < 0) throw invalid_argument(message("stragglers (", stragglers, ") must be >= 0"));
  switch (scheme) {
    case SchemeKind::spline:
    case SchemeKind::berrut: return answers_to_locate(num_queries, num_adversaries) + stragglers;
    case SchemeKind::replication: return (copies_to_outvote(num_adversaries) + stragglers) * num_queries;
    case SchemeKind::uncoded: return num_adversaries == 0 && stragglers == 0 ? num_queries : -1;
  }
  throw invalid_argument(message("scheme (", int(scheme), ") is not a SchemeKind"));
}

}  // namespace robust
NERCC_NAMESPACE_END
