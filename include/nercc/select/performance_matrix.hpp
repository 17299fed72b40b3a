// The task x configuration performance matrix the learners fit, built from a run log and a
// utility (higher is better), with the tasks' and configurations' features.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/configuration.hpp>
#include <nercc/select/run_log.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// The score of one record, higher is better; NaN: the record does not count (not measured).
using Utility = std::function<double(const RunRecord&)>;

/// RelAcc with `stragglers` stragglers (NaN where not measured).
inline Utility rel_acc_utility(std::size_t stragglers) {
  return [stragglers](const RunRecord& r) {
    return stragglers < r.rel_acc.size() ? r.rel_acc[stragglers] : std::numeric_limits<double>::quiet_NaN();
  };
}

/// -log10(MSE) with `stragglers` stragglers (NaN where not measured; MSE 0 counts as 1e-300).
inline Utility neg_log_mse_utility(std::size_t stragglers) {
  return [stragglers](const RunRecord& r) {
    if (stragglers >= r.mse.size() || std::isnan(r.mse[stragglers])) return std::numeric_limits<double>::quiet_NaN();
    return -std::log10(std::max(r.mse[stragglers], 1e-300));
  };
}

/// Tasks as rows, configurations as columns. Plain data.
struct PerformanceMatrix {
  std::vector<std::string> tasks;                 ///< task ids, row order
  std::vector<Configuration> configs;             ///< column order
  std::vector<std::string> config_ids;            ///< configs[c].id()
  std::vector<std::string> task_feature_names, environment_feature_names;
  Eigen::MatrixXd task_features;                  ///< tasks x task features
  Eigen::MatrixXd environment_features;           ///< tasks x environment features
  Eigen::MatrixXd config_features;                ///< configs x Configuration::feature_names()
  Eigen::MatrixXd utility;                        ///< tasks x configs, higher is better; NaN: not measured

  Index num_tasks() const { return Index(tasks.size()); }
  Index num_configs() const { return Index(configs.size()); }

  /// The column of configuration `id`; throws nercc::invalid_argument for an unknown one.
  Index config_index(const std::string& id) const {
    for (std::size_t c = 0; c < config_ids.size(); ++c)
      if (config_ids[c] == id) return Index(c);
    throw invalid_argument(nercc::detail::message("configuration '", id, "' is not in the performance matrix"));
  }

  /// The matrix without task row t (for leave-one-task-out). Throws unless t is a row.
  PerformanceMatrix without_task(Index t) const {
    if (t < 0 || t >= num_tasks())
      throw invalid_argument(nercc::detail::message("task (", t, ") must lie in [0, ", num_tasks(), ")"));
    PerformanceMatrix m = *this;
    m.tasks.erase(m.tasks.begin() + t);
    auto drop = [&](Eigen::MatrixXd& a) {
      Eigen::MatrixXd b(a.rows() - 1, a.cols());
      b.topRows(t) = a.topRows(t);
      b.bottomRows(a.rows() - 1 - t) = a.bottomRows(a.rows() - 1 - t);
      a = std::move(b);
    };
    drop(m.task_features);
    drop(m.environment_features);
    drop(m.utility);
    return m;
  }

  /// Throws: nercc::invalid_argument for no task or no configuration, a configuration with no
  /// measured task, or a non-finite utility other than NaN; shape_mismatch for inconsistent
  /// sizes; non_finite_input for non-finite features.
  void validate() const {
    using nercc::detail::message;
    if (tasks.empty() || configs.empty())
      throw invalid_argument(message("performance matrix is empty (", tasks.size(), " tasks, ", configs.size(), " configurations)"));
    const Index t = num_tasks(), c = num_configs();
    if (config_ids.size() != configs.size() || task_features.rows() != t || environment_features.rows() != t ||
        Index(task_feature_names.size()) != task_features.cols() ||
        Index(environment_feature_names.size()) != environment_features.cols() || config_features.rows() != c ||
        utility.rows() != t || utility.cols() != c)
      throw shape_mismatch(message("performance matrix of ", t, " tasks and ", c, " configurations has inconsistent sizes"));
    if (!task_features.allFinite() || !environment_features.allFinite() || !config_features.allFinite())
      throw non_finite_input("performance matrix features hold NaN or infinity");
    for (Index j = 0; j < c; ++j) {
      bool measured = false;
      for (Index i = 0; i < t; ++i) {
        const double u = utility(i, j);
        if (std::isinf(u))
          throw invalid_argument(message("utility of task '", tasks[std::size_t(i)], "', configuration '",
                                         config_ids[std::size_t(j)], "' is ", u));
        measured = measured || !std::isnan(u);
      }
      if (!measured)
        throw invalid_argument(message("configuration '", config_ids[std::size_t(j)], "' is measured on no task"));
    }
  }
};

/// The matrix of `log` under `utility`: tasks and configurations in order of first appearance,
/// records whose utility is NaN left unmeasured. Throws nercc::invalid_argument for an empty
/// log, a (task, configuration) pair logged twice, a task whose records carry different
/// features, a configuration with no measured task, an infinite utility; and what
/// RunLog::validate throws.
inline PerformanceMatrix performance_matrix(const RunLog& log, const Utility& utility) {
  using nercc::detail::message;
  if (log.records.empty()) throw invalid_argument("run log is empty");
  log.validate();
  PerformanceMatrix m;
  m.task_feature_names = log.task_feature_names;
  m.environment_feature_names = log.environment_feature_names;
  std::map<std::string, std::size_t> task_row, config_col;
  std::vector<const RunRecord*> first_of_task;
  for (const RunRecord& r : log.records) {
    if (task_row.emplace(r.task, m.tasks.size()).second) {
      m.tasks.push_back(r.task);
      first_of_task.push_back(&r);
    } else {
      const RunRecord& f = *first_of_task[task_row[r.task]];
      if (f.task_features != r.task_features || f.environment_features != r.environment_features)
        throw invalid_argument(message("task '", r.task, "' has records with different features (configuration '",
                                       r.config.id(), "' against '", f.config.id(), "')"));
    }
    const std::string id = r.config.id();
    if (config_col.emplace(id, m.configs.size()).second) {
      m.configs.push_back(r.config);
      m.config_ids.push_back(id);
    }
  }
  const Index t = m.num_tasks(), c = m.num_configs();
  const Index p = Index(log.task_feature_names.size()), q = Index(log.environment_feature_names.size());
  m.task_features.resize(t, p);
  m.environment_features.resize(t, q);
  for (Index i = 0; i < t; ++i) {
    for (Index j = 0; j < p; ++j) m.task_features(i, j) = first_of_task[std::size_t(i)]->task_features[std::size_t(j)];
    for (Index j = 0; j < q; ++j)
      m.environment_features(i, j) = first_of_task[std::size_t(i)]->environment_features[std::size_t(j)];
  }
  m.config_features.resize(c, Index(Configuration::feature_names().size()));
  for (Index j = 0; j < c; ++j) {
    const std::vector<double> f = m.configs[std::size_t(j)].features();
    for (std::size_t k = 0; k < f.size(); ++k) m.config_features(j, Index(k)) = f[k];
  }
  m.utility = Eigen::MatrixXd::Constant(t, c, std::numeric_limits<double>::quiet_NaN());
  std::vector<bool> logged(std::size_t(t * c), false);
  for (const RunRecord& r : log.records) {
    const Index i = Index(task_row[r.task]), j = Index(config_col[r.config.id()]);
    if (logged[std::size_t(i * c + j)])
      throw invalid_argument(message("task '", r.task, "', configuration '", r.config.id(), "' is logged twice"));
    logged[std::size_t(i * c + j)] = true;
    m.utility(i, j) = utility(r);
  }
  m.validate();
  return m;
}

}  // namespace select
NERCC_NAMESPACE_END
