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

/// ROC AUC of `scores` for the positives `positive` (agreeing estimates): the probability that
/// a random positive scores above a random negative, ties counting one half. Mann-Whitney U
/// from average ranks, O(n log n). NaN when either class is empty. Throws std::invalid_argument
/// for mismatched sizes or a NaN score (it has no rank).
inline double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  if (scores.size() != positive.size())
    throw std::invalid_argument("roc_auc: scores and positive differ in size");
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  for (double s : scores)
    if (std::isnan(s)) throw std::invalid_argument("roc_auc: a score is NaN");
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0.0;  // sum of the positives' ranks (1-based, ties averaged)
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mean_rank = 0.5 * double(i + 1 + j);  // ranks i+1..j
    for (std::size_t t = i; t < j; ++t)
      if (positive[order[t]]) rank_sum += mean_rank, ++positives;
    i = j;
  }
  const std::size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double u = rank_sum - 0.5 * double(positives) * double(positives + 1);
  return u / (double(positives) * double(negatives));
}

/// AUC with a percentile bootstrap interval (resampling the estimates with replacement).
struct AucEstimate {
  double auc = std::numeric_limits<double>::quiet_NaN();
  double lo = std::numeric_limits<double>::quiet_NaN();  ///< 2.5th percentile
  double hi = std::numeric_limits<double>::quiet_NaN();  ///< 97.5th percentile
};

inline AucEstimate bootstrap_auc(const std::vector<double>& scores, const std::vector<bool>& positive,
                                 int resamples, std::uint64_t seed) {
  AucEstimate e;
  e.auc = roc_auc(scores, positive);
  if (std::isnan(e.auc) || resamples < 1) return e;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, scores.size() - 1);
  std::vector<double> s(scores.size()), values;
  std::vector<bool> p(scores.size());
  values.reserve(std::size_t(resamples));
  for (int b = 0; b < resamples; ++b) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::size_t j = pick(rng);
      s[i] = scores[j];
      p[i] = positive[j];
    }
    const double a = roc_auc(s, p);
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
/// fraction q of the estimates with the lowest scores. Within a block of tied scores straddling
/// the cut, the expectation over random tie-breaking. q in [0, 1].
inline double relacc_with_fallback(std::vector<ScoredEstimate> estimates, std::size_t exact, double q) {
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("relacc_with_fallback: q must lie in [0, 1]");
  const std::size_t n = estimates.size();
  if (n + exact == 0) return std::numeric_limits<double>::quiet_NaN();
  std::sort(estimates.begin(), estimates.end(),
            [](const ScoredEstimate& a, const ScoredEstimate& b) { return a.score < b.score; });
  const double cut = q * double(n);  // estimates [0, cut) go to the fallback
  double right = double(exact);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    double agree = 0, fallback = 0;
    while (j < n && estimates[j].score == estimates[i].score) {
      agree += estimates[j].agrees ? 1 : 0;
      fallback += estimates[j].fallback_agrees ? 1 : 0;
      ++j;
    }
    const double block = double(j - i);
    const double sent = std::clamp(cut - double(i), 0.0, block) / block;  // fraction of the block sent
    right += sent * fallback + (1.0 - sent) * agree;
    i = j;
  }
  return right / double(n + exact);
}

/// The fraction q (on a grid of `steps` + 1 points) that maximises relacc_with_fallback, the
/// RelAcc there, and the score below which estimates go to the fallback (the q-quantile).
struct BestCut {
  double q = 0, relacc = 0, threshold = -std::numeric_limits<double>::infinity();
};

inline BestCut best_cut(const std::vector<ScoredEstimate>& estimates, std::size_t exact, int steps) {
  BestCut best;
  best.relacc = relacc_with_fallback(estimates, exact, 0.0);
  std::vector<double> sorted;
  for (const auto& e : estimates) sorted.push_back(e.score);
  std::sort(sorted.begin(), sorted.end());
  for (int i = 1; i <= steps; ++i) {
    const double q = double(i) / double(steps);
    const double r = relacc_with_fallback(estimates, exact, q);
    if (r > best.relacc + 1e-12) {
      best.q = q;
      best.relacc = r;
      const std::size_t at = std::min(sorted.size() - 1, std::size_t(q * double(sorted.size())));
      best.threshold = q >= 1.0 ? std::numeric_limits<double>::infinity() : sorted[at];
    }
  }
  return best;
}

}  // namespace nercc_examples
