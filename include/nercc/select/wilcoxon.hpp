// The Wilcoxon signed-rank test of paired differences (for example the regret of GlobalBest
// minus the regret of a learner, task by task). Standard library only.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/straggler.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// The test's outcome. Zero differences are dropped (Wilcoxon's convention): n counts the rest.
struct WilcoxonResult {
  Index n = 0;
  double w_plus = 0.0;   ///< sum of the ranks of |d| over positive d (midranks for ties)
  double w_minus = 0.0;  ///< n (n + 1) / 2 - w_plus
  bool exact = false;    ///< exact null distribution (n <= 25, no ties); else normal approximation
  double z = 0.0;        ///< normal approximation: (w_plus - n (n + 1) / 4) / sd, without correction; 0 if exact
  double p_greater = 1.0;   ///< P(W+ >= w_plus): the differences tend to be positive
  double p_less = 1.0;      ///< P(W+ <= w_plus): they tend to be negative
  double p_two_sided = 1.0; ///< min(1, 2 min(p_greater, p_less))
};

/// Wilcoxon signed-rank test of `differences` against a distribution symmetric about 0.
/// Exact when n <= 25 and no |d| ties (the distribution of W+ by counting subsets of ranks);
/// otherwise the normal approximation with mean n (n + 1) / 4, variance
/// n (n + 1) (2n + 1) / 24 - sum (t^3 - t) / 48 over tie groups of size t, and a continuity
/// correction of 1/2 towards the mean. Ties are exact equality of |d|. With n = 0 every p is 1.
/// Throws nercc::non_finite_input naming the first non-finite difference.
inline WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& differences) {
  using nercc::detail::message;
  std::vector<double> d;
  for (std::size_t i = 0; i < differences.size(); ++i) {
    if (!std::isfinite(differences[i]))
      throw non_finite_input(message("differences[", i, "] (", differences[i], ") is not finite"));
    if (differences[i] != 0.0) d.push_back(differences[i]);
  }
  WilcoxonResult r;
  r.n = Index(d.size());
  if (d.empty()) return r;
  std::vector<std::size_t> order(d.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return std::abs(d[a]) < std::abs(d[b]); });
  double tie_term = 0.0;
  bool ties = false;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && std::abs(d[order[j + 1]]) == std::abs(d[order[i]])) ++j;
    const double rank = 0.5 * double(i + j) + 1.0;  // midrank of positions i..j (1-based)
    for (std::size_t k = i; k <= j; ++k)
      if (d[order[k]] > 0.0) r.w_plus += rank;
    const double t = double(j - i + 1);
    tie_term += t * t * t - t;
    ties = ties || j > i;
    i = j + 1;
  }
  const double n = double(r.n);
  r.w_minus = n * (n + 1.0) / 2.0 - r.w_plus;
  if (r.n <= 25 && !ties) {
    r.exact = true;
    // count[s]: subsets of {1..n} with rank sum s; W+ is uniform over the 2^n sign patterns.
    const std::size_t max_sum = std::size_t(r.n * (r.n + 1) / 2);
    std::vector<double> count(max_sum + 1, 0.0);
    count[0] = 1.0;
    for (std::size_t k = 1; k <= std::size_t(r.n); ++k)
      for (std::size_t s = max_sum; s >= k; --s) count[s] += count[s - k];
    const double total = std::ldexp(1.0, int(r.n));
    const std::size_t w = std::size_t(std::llround(r.w_plus));
    double below = 0.0;  // P(W+ <= w)
    for (std::size_t s = 0; s <= w; ++s) below += count[s];
    r.p_less = below / total;
    r.p_greater = (total - below + count[w]) / total;
  } else {
    const double mean = n * (n + 1.0) / 4.0;
    const double sd = std::sqrt(n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_term / 48.0);
    if (sd > 0.0) {
      r.z = (r.w_plus - mean) / sd;
      r.p_greater = plan::detail::normal_cdf(-(r.w_plus - mean - 0.5) / sd);
      r.p_less = plan::detail::normal_cdf((r.w_plus - mean + 0.5) / sd);
    }
  }
  r.p_greater = std::min(1.0, r.p_greater);
  r.p_less = std::min(1.0, r.p_less);
  r.p_two_sided = std::min(1.0, 2.0 * std::min(r.p_greater, r.p_less));
  return r;
}

}  // namespace select
NERCC_NAMESPACE_END
