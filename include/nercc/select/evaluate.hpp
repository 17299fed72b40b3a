// Offline evaluation of a learner, leave-one-task-out over a corpus (the MetaOD protocol), and
// its comparison with a baseline by the Wilcoxon signed-rank test on the per-task regrets.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/metrics.hpp>
#include <nercc/select/performance_matrix.hpp>
#include <nercc/select/wilcoxon.hpp>

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

struct EvaluationParams {
  double tolerance = 0.01;  ///< a hit: the chosen utility within this fraction of the best
  Index ndcg_k = 5;
};

/// One learner's leave-one-task-out figures: per task, and their means.
struct Evaluation {
  std::string learner;
  std::vector<std::string> tasks;
  std::vector<RankingOutcome> outcomes;  ///< per held-out task, in the matrix's row order
  double accuracy = 0.0;                 ///< fraction of hits
  double mean_regret = 0.0;
  double mean_ndcg = 0.0;

  std::vector<double> regrets() const {
    std::vector<double> out;
    for (const RankingOutcome& o : outcomes) out.push_back(o.regret);
    return out;
  }
};

/// For each task t: fits `learner` on the other tasks, ranks the configurations from t's
/// features, scores the ranking on t's measured utilities (score_ranking). The learner is left
/// fitted on the last fold. Throws nercc::invalid_argument for fewer than 2 tasks or a
/// configuration measured on fewer than 2 tasks (a fold would have it unmeasured), and what
/// PerformanceMatrix::validate and the learner throw.
inline Evaluation leave_one_task_out(const PerformanceMatrix& m, Learner& learner, const EvaluationParams& params = {}) {
  using nercc::detail::message;
  m.validate();
  if (m.num_tasks() < 2) throw invalid_argument(message("leave-one-task-out needs >= 2 tasks, the corpus has ", m.num_tasks()));
  for (Index j = 0; j < m.num_configs(); ++j)
    if ((m.utility.col(j).array() == m.utility.col(j).array()).count() < 2)
      throw invalid_argument(message("configuration '", m.config_ids[std::size_t(j)],
                                     "' is measured on fewer than 2 tasks: leave-one-task-out needs 2"));
  Evaluation e;
  e.learner = learner.name();
  for (Index t = 0; t < m.num_tasks(); ++t) {
    learner.fit(m.without_task(t));
    const std::vector<Index> ranking =
        learner.rank(m.task_features.row(t).transpose(), m.environment_features.row(t).transpose());
    e.tasks.push_back(m.tasks[std::size_t(t)]);
    e.outcomes.push_back(score_ranking(m.utility.row(t).transpose(), ranking, params.tolerance, params.ndcg_k));
    e.accuracy += e.outcomes.back().hit ? 1.0 : 0.0;
    e.mean_regret += e.outcomes.back().regret;
    e.mean_ndcg += e.outcomes.back().ndcg;
  }
  const double n = double(m.num_tasks());
  e.accuracy /= n, e.mean_regret /= n, e.mean_ndcg /= n;
  return e;
}

/// Wilcoxon signed-rank test of baseline regret minus learner regret over the same tasks:
/// p_greater small means the learner's regret is lower. Throws nercc::invalid_argument unless
/// both evaluations cover the same tasks in the same order.
inline WilcoxonResult compare_regret(const Evaluation& learner, const Evaluation& baseline) {
  if (learner.tasks != baseline.tasks)
    throw invalid_argument("compare_regret: the evaluations cover different tasks (" + learner.learner + " vs " +
                           baseline.learner + ")");
  std::vector<double> d;
  for (std::size_t i = 0; i < learner.outcomes.size(); ++i) d.push_back(baseline.outcomes[i].regret - learner.outcomes[i].regret);
  return wilcoxon_signed_rank(d);
}

}  // namespace select
NERCC_NAMESPACE_END
