// The selector's online protocol over a corpus, leave-one-task-out: for each held-out task a
// Selector fitted on the other tasks short-lists k codes under the SLO and the worker budget;
// "verifying" an entry reads the held-out task's measured utilities of its code (verify()
// tunes a code's lambdas: here its best measured lambdas, found by the corpus's full lambda
// grid), and its cost is the corpus's model evaluations of that code's configurations plus the
// features'. Part of the evaluation example, not of the library.
#pragma once

#include <nercc/select.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace select_evaluation {

using nercc::Index;
namespace sel = nercc::select;

/// Model evaluations per (task, configuration) of a run log, in the matrix's row and column order.
inline Eigen::MatrixXd evaluation_counts(const sel::RunLog& log, const sel::PerformanceMatrix& m) {
  std::map<std::string, Index> rows, cols;
  for (Index i = 0; i < m.num_tasks(); ++i) rows[m.tasks[std::size_t(i)]] = i;
  for (Index j = 0; j < m.num_configs(); ++j) cols[m.config_ids[std::size_t(j)]] = j;
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(m.num_tasks(), m.num_configs());
  for (const sel::RunRecord& r : log.records) counts(rows.at(r.task), cols.at(r.config.id())) = r.model_evaluations;
  return counts;
}

/// The model evaluations of measuring `columns` together when configurations of one code
/// (scheme, K, N, ordering, spread) share calls as the tuner shares them: per code, the plain
/// queries once and the coded queries once per distinct lambda_enc. From a configuration's own
/// count c = B (K + N) (B: calibration batches times straggler counts): B K + B N per lambda_enc.
inline double shared_cost(const sel::PerformanceMatrix& m, const Eigen::RowVectorXd& counts, const std::vector<Index>& columns) {
  using Code = std::tuple<int, Index, Index, int, double>;
  std::map<Code, std::pair<double, std::vector<double>>> codes;  // B, distinct lambda_enc
  for (Index c : columns) {
    const sel::Configuration& g = m.configs[std::size_t(c)];
    auto& [batches, lambdas] = codes[Code{int(g.scheme), g.num_queries, g.num_workers, int(g.ordering), g.worker_spread}];
    batches = std::max(batches, counts(c) / double(g.num_queries + g.num_workers));
    if (std::find(lambdas.begin(), lambdas.end(), g.lambda_enc) == lambdas.end()) lambdas.push_back(g.lambda_enc);
  }
  double total = 0.0;
  for (const auto& [code, value] : codes)
    total += value.first * (double(std::get<1>(code)) + double(value.second.size()) * double(std::get<2>(code)));
  return total;
}

/// One learner's online figures for one k.
struct OnlineResult {
  std::string learner;
  Index k = 0;
  Index tasks = 0, hits = 0;          ///< held-out tasks with a feasible measured configuration; hits among them
  double mean_regret = 0.0;            ///< best feasible minus verified, mean over tasks
  double cost_ratio = 0.0;             ///< sum over tasks of the exhaustive sweep / sum of the short lists' cost
  double shared_cost_ratio = 0.0;      ///< the same with calls shared within a code (both sides)
  double hit_rate() const { return tasks > 0 ? double(hits) / double(tasks) : 0.0; }
};

struct OnlineSetup {
  sel::SelectionRequest request;
  Index max_workers = 1 << 30;
  std::vector<Index> ks = {1, 3, 5};
  double tolerance = 0.01;
  double feature_evaluations = 0.0;  ///< model evaluations of the task features, per task
};

/// The online protocol for one learner (made fresh per fold by `make`), every k of setup.ks.
inline std::vector<OnlineResult> online_protocol(const sel::PerformanceMatrix& m, const Eigen::MatrixXd& counts,
                                                 const std::function<std::unique_ptr<sel::Learner>()>& make,
                                                 const OnlineSetup& setup) {
  const Index k_max = *std::max_element(setup.ks.begin(), setup.ks.end());
  std::vector<OnlineResult> out;
  for (Index k : setup.ks) {
    OnlineResult r;
    r.k = k;
    out.push_back(r);
  }
  std::vector<double> exhaustive(setup.ks.size(), 0.0), listed(setup.ks.size(), 0.0), exhaustive_shared(setup.ks.size(), 0.0),
      listed_shared(setup.ks.size(), 0.0);
  for (Index t = 0; t < m.num_tasks(); ++t) {
    const sel::Selector selector(m.without_task(t), make());
    for (OnlineResult& r : out) r.learner = selector.learner().name();
    sel::SelectionBudget budget;
    budget.k = k_max;
    budget.max_workers = setup.max_workers;
    const sel::ShortList list = selector.select(m.task_features.row(t).transpose(), m.environment_features.row(t).transpose(),
                                                setup.request, budget);
    // The best measured configuration that meets the same SLO and budget.
    double best = -std::numeric_limits<double>::infinity();
    std::vector<Index> measured;
    for (Index c = 0; c < m.num_configs(); ++c) {
      if (std::isnan(m.utility(t, c))) continue;
      measured.push_back(c);
      const sel::Configuration& g = m.configs[std::size_t(c)];
      if (g.num_workers <= setup.max_workers && sel::predicted_latency(g, setup.request) <= setup.request.slo_seconds)
        best = std::max(best, m.utility(t, c));
    }
    if (!std::isfinite(best)) continue;
    const double sweep = counts.row(t).sum(), sweep_shared = shared_cost(m, counts.row(t), measured);
    for (std::size_t i = 0; i < setup.ks.size(); ++i) {
      OnlineResult& r = out[i];
      std::vector<Index> columns;
      double verified = -std::numeric_limits<double>::infinity();
      for (std::size_t e = 0; e < list.entries.size() && Index(e) < r.k; ++e)
        for (Index c : measured)
          if (sel::code_of(m.configs[std::size_t(c)]) == sel::code_of(list.entries[e].config)) {
            columns.push_back(c);
            verified = std::max(verified, m.utility(t, c));
          }
      ++r.tasks;
      const bool hit = std::isfinite(verified) && verified >= best - setup.tolerance * std::abs(best);
      r.hits += hit ? 1 : 0;
      // A short list with no entry measured on the task picks nothing: it counts as the worst.
      double worst = best;
      for (Index c : measured) worst = std::min(worst, m.utility(t, c));
      r.mean_regret += best - (std::isfinite(verified) ? verified : worst);
      double cost = setup.feature_evaluations;
      for (Index c : columns) cost += counts(t, c);
      exhaustive[i] += sweep;
      listed[i] += cost;
      exhaustive_shared[i] += sweep_shared;
      listed_shared[i] += setup.feature_evaluations + shared_cost(m, counts.row(t), columns);
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    OnlineResult& r = out[i];
    if (r.tasks > 0) r.mean_regret /= double(r.tasks);
    r.cost_ratio = listed[i] > 0.0 ? exhaustive[i] / listed[i] : 0.0;
    r.shared_cost_ratio = listed_shared[i] > 0.0 ? exhaustive_shared[i] / listed_shared[i] : 0.0;
  }
  return out;
}

}  // namespace select_evaluation
