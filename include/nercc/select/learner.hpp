// Learner: the common interface of the selector's learners (fit on a performance matrix,
// score every configuration for a new task's features), the feature standardiser they share,
// and GlobalBest, the baseline every learner is compared with.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/performance_matrix.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// Column-wise z-scores fitted on training rows: (x - mean) / sd, sd = 1 for a constant column.
struct Standardizer {
  Eigen::RowVectorXd mean, scale;

  static Standardizer fit(const Eigen::MatrixXd& rows) {
    Standardizer s;
    s.mean = rows.colwise().mean();
    s.scale = Eigen::RowVectorXd::Ones(rows.cols());
    if (rows.rows() > 1)
      for (Index j = 0; j < rows.cols(); ++j) {
        const double sd = std::sqrt((rows.col(j).array() - s.mean(j)).square().sum() / double(rows.rows() - 1));
        if (sd > 0.0) s.scale(j) = sd;
      }
    return s;
  }
  Eigen::MatrixXd apply(const Eigen::MatrixXd& rows) const {
    return (rows.rowwise() - mean).array().rowwise() / scale.array();
  }
  Eigen::RowVectorXd apply_row(const Eigen::RowVectorXd& row) const { return (row - mean).array() / scale.array(); }
};

/// Mean of each column over its measured (non-NaN) entries; `fallback` where none is measured.
inline Eigen::VectorXd measured_column_means(const Eigen::MatrixXd& utility, double fallback = 0.0) {
  Eigen::VectorXd out(utility.cols());
  for (Index j = 0; j < utility.cols(); ++j) {
    double sum = 0.0;
    Index n = 0;
    for (Index i = 0; i < utility.rows(); ++i)
      if (!std::isnan(utility(i, j))) sum += utility(i, j), ++n;
    out(j) = n > 0 ? sum / double(n) : fallback;
  }
  return out;
}

/// The configurations by decreasing score, ties by column order; NaN scores last.
inline std::vector<Index> ranking_of(const Eigen::VectorXd& scores) {
  std::vector<Index> order(std::size_t(scores.size()));
  std::iota(order.begin(), order.end(), Index(0));
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
    if (std::isnan(scores(b))) return !std::isnan(scores(a));
    return scores(a) > scores(b);
  });
  return order;
}

/// A learner: fit() on a corpus (a PerformanceMatrix), then scores() predicts the utility of
/// every configuration of that corpus (its columns, higher is better) for a new task from its
/// task and environment features. fit() replaces any earlier fit; learners are deterministic
/// given their parameters (seed included). Thread safety: scores() and rank() are const and may
/// run concurrently; fit() must not run concurrently with anything on the same object.
class Learner {
 public:
  virtual ~Learner() = default;

  /// Short name for reports ("GlobalBest", "ISAC", ...).
  virtual std::string name() const = 0;

  /// Throws what PerformanceMatrix::validate throws (empty corpus, non-finite features, ...).
  void fit(const PerformanceMatrix& m) {
    m.validate();
    fitted_ = false;
    task_dims_ = m.task_features.cols();
    environment_dims_ = m.environment_features.cols();
    configs_ = m.num_configs();
    do_fit(m);
    fitted_ = true;
  }

  /// Predicted utility per configuration (size num_configs of the fitted corpus). Throws
  /// nercc::invalid_state before fit(), shape_mismatch for feature vectors of the wrong size,
  /// non_finite_input for NaN or infinite features.
  Eigen::VectorXd scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd& environment_features) const {
    using nercc::detail::message;
    if (!fitted_) throw invalid_state(name() + ": scores() before fit()");
    if (task_features.size() != task_dims_)
      throw shape_mismatch(message("task_features has ", task_features.size(), " values, the corpus has ", task_dims_));
    if (environment_features.size() != environment_dims_)
      throw shape_mismatch(message("environment_features has ", environment_features.size(), " values, the corpus has ",
                                   environment_dims_));
    if (!task_features.allFinite()) throw non_finite_input("task_features hold NaN or infinity");
    if (!environment_features.allFinite()) throw non_finite_input("environment_features hold NaN or infinity");
    return do_scores(task_features, environment_features);
  }

  /// The configurations (column indices) by decreasing predicted utility; see ranking_of.
  std::vector<Index> rank(const Eigen::VectorXd& task_features, const Eigen::VectorXd& environment_features) const {
    return ranking_of(scores(task_features, environment_features));
  }

  Index num_configs() const { return configs_; }

 protected:
  virtual void do_fit(const PerformanceMatrix& m) = 0;
  virtual Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features,
                                    const Eigen::VectorXd& environment_features) const = 0;

 private:
  bool fitted_ = false;
  Index task_dims_ = 0, environment_dims_ = 0, configs_ = 0;
};

/// GlobalBest: every task gets the same ranking, by mean measured utility over the corpus.
class GlobalBest : public Learner {
 public:
  std::string name() const override { return "GlobalBest"; }

 protected:
  void do_fit(const PerformanceMatrix& m) override { means_ = measured_column_means(m.utility); }
  Eigen::VectorXd do_scores(const Eigen::VectorXd&, const Eigen::VectorXd&) const override { return means_; }

 private:
  Eigen::VectorXd means_;
};

}  // namespace select
NERCC_NAMESPACE_END
