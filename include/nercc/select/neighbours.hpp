// The learners that predict from similar training tasks: ISAC (the mean utility of the task's
// k-means cluster) and ArgoSmArT (the utility of the nearest training task). Both compare tasks
// by Euclidean distance of their standardised task features.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/select/kmeans.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/performance_matrix.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// ISAC: k-means clusters of the training tasks' standardised features; a new task gets the
/// mean measured utility of its nearest cluster (configurations unmeasured in the cluster: the
/// corpus mean).
class Isac : public Learner {
 public:
  explicit Isac(KMeansParams params = {}) : params_(params) { params_.validate(); }
  std::string name() const override { return "ISAC"; }
  const KMeansResult& clustering() const { return clusters_; }

 protected:
  void do_fit(const PerformanceMatrix& m) override {
    scaler_ = Standardizer::fit(m.task_features);
    clusters_ = kmeans(scaler_.apply(m.task_features), params_);
    const Eigen::VectorXd global = measured_column_means(m.utility);
    cluster_scores_.resize(clusters_.centroids.rows(), m.num_configs());
    for (Index c = 0; c < clusters_.centroids.rows(); ++c) {
      std::vector<Index> members;
      for (Index i = 0; i < m.num_tasks(); ++i)
        if (clusters_.assignment[std::size_t(i)] == c) members.push_back(i);
      Eigen::MatrixXd rows(Index(members.size()), m.num_configs());
      for (std::size_t r = 0; r < members.size(); ++r) rows.row(Index(r)) = m.utility.row(members[r]);
      const Eigen::VectorXd mean = measured_column_means(rows, std::numeric_limits<double>::quiet_NaN());
      for (Index j = 0; j < m.num_configs(); ++j) cluster_scores_(c, j) = std::isnan(mean(j)) ? global(j) : mean(j);
    }
  }
  Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd&) const override {
    return cluster_scores_.row(nearest_row(clusters_.centroids, scaler_.apply_row(task_features.transpose()))).transpose();
  }

 private:
  KMeansParams params_;
  Standardizer scaler_;
  KMeansResult clusters_;
  Eigen::MatrixXd cluster_scores_;
};

/// ArgoSmArT: a new task gets the measured utility of the nearest training task (standardised
/// features; ties: the first task); configurations it did not measure: the corpus mean.
class ArgoSmart : public Learner {
 public:
  std::string name() const override { return "ArgoSmArT"; }

 protected:
  void do_fit(const PerformanceMatrix& m) override {
    scaler_ = Standardizer::fit(m.task_features);
    features_ = scaler_.apply(m.task_features);
    utility_ = m.utility;
    global_ = measured_column_means(m.utility);
  }
  Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd&) const override {
    const Index t = nearest_row(features_, scaler_.apply_row(task_features.transpose()));
    Eigen::VectorXd s = utility_.row(t).transpose();
    for (Index j = 0; j < s.size(); ++j)
      if (std::isnan(s(j))) s(j) = global_(j);
    return s;
  }

 private:
  Standardizer scaler_;
  Eigen::MatrixXd features_, utility_;
  Eigen::VectorXd global_;
};

}  // namespace select
NERCC_NAMESPACE_END
