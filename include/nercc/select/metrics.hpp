// How good a ranking is for one task whose utilities were measured: whether the chosen
// configuration is within a tolerance of the best, its regret, and NDCG@k; and Spearman's rank
// correlation (the feature sanity check).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// The figures of one ranking on one task.
struct RankingOutcome {
  Index chosen = -1;            ///< the first ranked configuration measured on the task
  double chosen_utility = 0.0;
  double best_utility = 0.0;    ///< the best measured utility of the task
  double regret = 0.0;          ///< best_utility - chosen_utility (>= 0)
  bool hit = false;             ///< chosen_utility >= best_utility - tolerance |best_utility|
  double ndcg = 0.0;            ///< NDCG@k
};

/// Scores `ranking` (configuration indices, best first: every column of `utility` once) against
/// the measured utilities of one task (NaN: not measured; such configurations are skipped, their
/// outcome being unknown). NDCG@k = DCG@k / ideal DCG@k, DCG@k = sum_{i<k} rel_i / log2(i + 2)
/// over the measured configurations in ranked order, with relevance rel = (u - min) / (max - min)
/// (1 for all when max = min). Throws nercc::invalid_argument when no configuration is measured,
/// the ranking is not a permutation of the columns, tolerance < 0 or k < 1.
inline RankingOutcome score_ranking(const Eigen::VectorXd& utility, const std::vector<Index>& ranking,
                                    double tolerance = 0.01, Index k = 5) {
  using nercc::detail::message;
  if (!(tolerance >= 0.0)) throw invalid_argument(message("tolerance (", tolerance, ") must be >= 0"));
  if (k < 1) throw invalid_argument(message("k (", k, ") must be >= 1"));
  std::vector<char> seen(std::size_t(utility.size()), 0);
  if (Index(ranking.size()) != utility.size())
    throw invalid_argument(message("ranking has ", ranking.size(), " entries for ", utility.size(), " configurations"));
  for (Index c : ranking) {
    if (c < 0 || c >= utility.size() || seen[std::size_t(c)])
      throw invalid_argument(message("ranking is not a permutation of the ", utility.size(), " configurations (entry ", c, ")"));
    seen[std::size_t(c)] = 1;
  }
  std::vector<double> measured;  // in ranked order
  RankingOutcome r;
  for (Index c : ranking)
    if (!std::isnan(utility(c))) {
      if (r.chosen < 0) r.chosen = c;
      measured.push_back(utility(c));
    }
  if (measured.empty()) throw invalid_argument("no configuration of the task is measured");
  const double best = *std::max_element(measured.begin(), measured.end());
  const double worst = *std::min_element(measured.begin(), measured.end());
  r.chosen_utility = utility(r.chosen);
  r.best_utility = best;
  r.regret = best - r.chosen_utility;
  r.hit = r.chosen_utility >= best - tolerance * std::abs(best);
  auto relevance = [&](double u) { return best > worst ? (u - worst) / (best - worst) : 1.0; };
  std::vector<double> ideal = measured;
  std::sort(ideal.begin(), ideal.end(), std::greater<double>());
  double dcg = 0.0, idcg = 0.0;
  for (std::size_t i = 0; i < measured.size() && Index(i) < k; ++i) {
    dcg += relevance(measured[i]) / std::log2(double(i) + 2.0);
    idcg += relevance(ideal[i]) / std::log2(double(i) + 2.0);
  }
  r.ndcg = dcg / idcg;  // idcg >= 1: the best has relevance 1
  return r;
}

/// Spearman's rank correlation of paired samples: the Pearson correlation of their midranks
/// (tied values share the mean of their ranks). NaN when either sample is constant. Throws
/// nercc::invalid_argument for samples of different sizes or fewer than 2 pairs,
/// non_finite_input naming the first non-finite value.
inline double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  using nercc::detail::message;
  if (x.size() != y.size()) throw invalid_argument(message("spearman: x has ", x.size(), " values, y has ", y.size()));
  if (x.size() < 2) throw invalid_argument(message("spearman: needs >= 2 pairs, has ", x.size()));
  auto midranks = [](const std::vector<double>& v, const char* name) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) throw non_finite_input(message("spearman: ", name, "[", i, "] (", v[i], ") is not finite"));
    std::vector<std::size_t> order(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * double(i + j) + 1.0;
      i = j + 1;
    }
    return Eigen::Map<const Eigen::VectorXd>(rank.data(), Index(rank.size())).eval();
  };
  const Eigen::VectorXd rx = midranks(x, "x"), ry = midranks(y, "y");
  const Eigen::VectorXd cx = rx.array() - rx.mean(), cy = ry.array() - ry.mean();
  const double norms = cx.norm() * cy.norm();
  return norms > 0.0 ? cx.dot(cy) / norms : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace select
NERCC_NAMESPACE_END
