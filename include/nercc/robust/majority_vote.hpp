// Replication's defence: the copies of one query vote, and the outvoted ones are flagged.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// Whether two answers agree: max_m |a_m - b_m| <= tolerance * max(max|a|, max|b|), with
/// tolerance 1024 eps(S) (replicas of one deterministic model may differ by rounding when
/// their hardware sums in another order, never by more). Exact zero answers agree with each
/// other.
template <class S>
bool answers_agree(const S* a, const S* b, Index d) {
  S diff(0), size(0);
  for (Index m = 0; m < d; ++m) {
    diff = std::max(diff, S(std::abs(a[m] - b[m])));
    size = std::max({size, S(std::abs(a[m])), S(std::abs(b[m]))});
  }
  return diff <= S(1024) * std::numeric_limits<S>::epsilon() * size;
}

/// The vote among the c answers of one query (rows[i], d values, in the order given to the
/// decoder), c >= 3: the winner is the answer that agrees with the most others (ties: the
/// first); when its group (it and those agreeing with it) is a strict majority, the answers
/// outside the group are outvoted and returned (positions among the c), else none are (no
/// majority: nothing can be told). score[i] of an outvoted answer: the share of the c answers
/// that outvoted it, in (1/2, 1]. O(c^2 d).
template <class S>
std::vector<Index> outvoted_answers(const S* const* rows, Index c, Index d, std::vector<double>& score) {
  std::vector<Index> agree(static_cast<std::size_t>(c), 0);
  for (Index i = 0; i < c; ++i)
    for (Index j = i + 1; j < c; ++j)
      if (answers_agree(rows[i], rows[j], d)) ++agree[std::size_t(i)], ++agree[std::size_t(j)];
  Index winner = 0;
  for (Index i = 1; i < c; ++i)
    if (agree[std::size_t(i)] > agree[std::size_t(winner)]) winner = i;
  const Index group = agree[std::size_t(winner)] + 1;
  std::vector<Index> out;
  score.clear();
  if (2 * group <= c) return out;
  for (Index i = 0; i < c; ++i)
    if (i != winner && !answers_agree(rows[i], rows[winner], d)) {
      out.push_back(i);
      score.push_back(double(group) / double(c));
    }
  return out;
}

}  // namespace robust
NERCC_NAMESPACE_END
