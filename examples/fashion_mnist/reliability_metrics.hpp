// How well a per-query score predicts argmax agreement: ROC AUC (rank-sum), its bootstrap
// interval, and the RelAcc reached when a fallback answers the least reliable estimates.
// Standard library only, so the unit test builds without LibTorch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

namespace nercc_examples {

/// One estimated (non-exact) query: its score under one candidate (higher = more reliable),
/// whether the estimate's argmax agrees with the model's on the uncoded query, and whether the
/// fallback model's would.
struct ScoredEstimate {
  double score;
  bool agrees;
  bool fallback_agrees;
};

namespace detail {
// The estimates sorted by score, as blocks of tied scores: [begin, end) into order.
struct TieBlocks {
  std::vector<std::size_t> order, ends;
  explicit TieBlocks(const std::vector<double>& scores) : order(scores.size()) {
    for (double s : scores)
      if (std::isnan(s)) throw std::invalid_argument("roc_auc: a score is NaN");
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
      ends.push_back(j);
      i = j;
    }
  }
  // AUC with estimate i counted weight[i] times: for each block, its positives beat the negatives
  // of the blocks below and tie with its own (the Mann-Whitney U with average ranks). O(n).
  template <class Weight>
  double auc(const std::vector<bool>& positive, Weight weight) const {
    double below = 0, u = 0, pos = 0, neg = 0;
    std::size_t begin = 0;
    for (std::size_t end : ends) {
      double p = 0, q = 0;
      for (std::size_t t = begin; t < end; ++t) (positive[order[t]] ? p : q) += weight(order[t]);
      u += p * (below + 0.5 * q);
      below += q;
      pos += p;
      neg += q;
      begin = end;
    }
    if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
    return u / (pos * neg);
  }
};
}  // namespace detail

/// ROC AUC of `scores` for the positives `positive` (agreeing estimates): the probability that
/// a random positive scores above a random negative, ties counting one half (Mann-Whitney U,
/// O(n log n)). NaN when either class is empty. Throws std::invalid_argument for mismatched
/// sizes or a NaN score (it has no rank).
inline double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  if (scores.size() != positive.size())
    throw std::invalid_argument("roc_auc: scores and positive differ in size");
  return detail::TieBlocks(scores).auc(positive, [](std::size_t) { return 1.0; });
}

/// AUC with a percentile bootstrap interval (resampling the estimates with replacement).
struct AucEstimate {
  double auc = std::numeric_limits<double>::quiet_NaN();
  double lo = std::numeric_limits<double>::quiet_NaN();  ///< 2.5th percentile
  double hi = std::numeric_limits<double>::quiet_NaN();  ///< 97.5th percentile
};

/// Each resample is a multiplicity per estimate, so the sort is done once: O(n log n + B n).
inline AucEstimate bootstrap_auc(const std::vector<double>& scores, const std::vector<bool>& positive,
                                 int resamples, std::uint64_t seed) {
  if (scores.size() != positive.size())
    throw std::invalid_argument("bootstrap_auc: scores and positive differ in size");
  AucEstimate e;
  const detail::TieBlocks blocks(scores);
  e.auc = blocks.auc(positive, [](std::size_t) { return 1.0; });
  if (std::isnan(e.auc) || resamples < 1) return e;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, scores.size() - 1);
  std::vector<double> count(scores.size()), values;
  values.reserve(std::size_t(resamples));
  for (int b = 0; b < resamples; ++b) {
    std::fill(count.begin(), count.end(), 0.0);
    for (std::size_t i = 0; i < scores.size(); ++i) count[pick(rng)] += 1.0;
    const double a = blocks.auc(positive, [&](std::size_t i) { return count[i]; });
    if (!std::isnan(a)) values.push_back(a);  // a resample of one class has no AUC
  }
  if (values.empty()) return e;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) { return values[std::min(values.size() - 1, std::size_t(q * double(values.size())))]; };
  e.lo = at(0.025);
  e.hi = at(0.975);
  return e;
}

/// RelAcc over all queries (the `exact` ones agree by definition) when the fallback answers the
/// fraction q of the estimates with the lowest scores, for each q of `fractions` (in [0, 1]).
/// Within a block of tied scores straddling the cut, the expectation over random tie-breaking.
inline std::vector<double> relacc_curve(std::vector<ScoredEstimate> estimates, std::size_t exact,
                                        const std::vector<double>& fractions) {
  for (double q : fractions)
    if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("relacc_curve: a fraction lies outside [0, 1]");
  const std::size_t n = estimates.size();
  if (n + exact == 0) return std::vector<double>(fractions.size(), std::numeric_limits<double>::quiet_NaN());
  std::sort(estimates.begin(), estimates.end(),
            [](const ScoredEstimate& a, const ScoredEstimate& b) { return a.score < b.score; });
  struct Block {
    double begin, size, agree, fallback;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < n;) {
    Block b{double(i), 0, 0, 0};
    std::size_t j = i;
    for (; j < n && estimates[j].score == estimates[i].score; ++j) {
      b.agree += estimates[j].agrees ? 1 : 0;
      b.fallback += estimates[j].fallback_agrees ? 1 : 0;
    }
    b.size = double(j - i);
    blocks.push_back(b);
    i = j;
  }
  std::vector<double> out;
  for (double q : fractions) {
    const double cut = q * double(n);  // estimates [0, cut) go to the fallback
    double right = double(exact);
    for (const Block& b : blocks) {
      const double sent = std::clamp(cut - b.begin, 0.0, b.size) / b.size;  // fraction of the block sent
      right += sent * b.fallback + (1.0 - sent) * b.agree;
    }
    out.push_back(right / double(n + exact));
  }
  return out;
}

inline double relacc_with_fallback(const std::vector<ScoredEstimate>& estimates, std::size_t exact, double q) {
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("relacc_with_fallback: q must lie in [0, 1]");
  return relacc_curve(estimates, exact, {q})[0];
}

/// The fraction q (on a grid of `steps` + 1 points) that maximises the RelAcc of relacc_curve,
/// the RelAcc there, and the score below which estimates go to the fallback (the q-quantile).
struct BestCut {
  double q = 0, relacc = 0, threshold = -std::numeric_limits<double>::infinity();
};

inline BestCut best_cut(const std::vector<ScoredEstimate>& estimates, std::size_t exact, int steps) {
  std::vector<double> grid;
  for (int i = 0; i <= steps; ++i) grid.push_back(double(i) / double(steps));
  const std::vector<double> curve = relacc_curve(estimates, exact, grid);
  std::vector<double> sorted;
  for (const auto& e : estimates) sorted.push_back(e.score);
  std::sort(sorted.begin(), sorted.end());
  BestCut best;
  best.relacc = curve[0];
  for (int i = 1; i <= steps; ++i)
    if (curve[std::size_t(i)] > best.relacc + 1e-12) {
      best.q = grid[std::size_t(i)];
      best.relacc = curve[std::size_t(i)];
      const std::size_t at = std::min(sorted.size() - 1, std::size_t(best.q * double(sorted.size())));
      best.threshold = i == steps ? std::numeric_limits<double>::infinity() : sorted[at];
    }
  return best;
}

}  // namespace nercc_examples
