// How good a ranking is for one task whose utilities were measured: whether the chosen
// configuration is within a tolerance of the best, its regret, and NDCG@k.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
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

}  // namespace select
NERCC_NAMESPACE_END
