// Synthetic corpora with a known answer for the selector's tests.
#pragma once

#include <nercc/select/performance_matrix.hpp>
#include <nercc/select/random.hpp>
#include <nercc/tune/sampling.hpp>

#include <Eigen/Core>

#include <cmath>
#include <random>
#include <string>

namespace select_synthetic {

/// A matrix of the given features and utilities; configuration c is berrut with K = 1, N = c + 1.
inline nercc::select::PerformanceMatrix matrix(const Eigen::MatrixXd& task_features, const Eigen::MatrixXd& utility,
                                               const Eigen::MatrixXd& environment = Eigen::MatrixXd()) {
  nercc::select::PerformanceMatrix m;
  for (Eigen::Index i = 0; i < utility.rows(); ++i) m.tasks.push_back("task" + std::to_string(i));
  for (Eigen::Index c = 0; c < utility.cols(); ++c) {
    nercc::select::Configuration g;
    g.num_queries = 1;
    g.num_workers = c + 1;
    m.configs.push_back(g);
    m.config_ids.push_back(g.id());
  }
  for (Eigen::Index j = 0; j < task_features.cols(); ++j) m.task_feature_names.push_back("f" + std::to_string(j));
  m.task_features = task_features;
  m.environment_features = environment.size() ? environment : Eigen::MatrixXd(utility.rows(), 0);
  for (Eigen::Index j = 0; j < m.environment_features.cols(); ++j)
    m.environment_feature_names.push_back("e" + std::to_string(j));
  m.config_features.resize(utility.cols(), Eigen::Index(nercc::select::Configuration::feature_names().size()));
  for (Eigen::Index c = 0; c < utility.cols(); ++c) {
    const auto f = m.configs[std::size_t(c)].features();
    for (std::size_t k = 0; k < f.size(); ++k) m.config_features(c, Eigen::Index(k)) = f[k];
  }
  m.utility = utility;
  return m;
}

inline double normal(std::mt19937_64& rng) { return nercc::select::standard_normal(rng); }

/// Three clusters of tasks in the plane, centres (0, 0), (5, 0), (0, 5), spread 0.3, `per`
/// tasks each. Six configurations: in cluster c, configuration 2c scores 1.0; configuration 5
/// scores 0.9 everywhere (the best on average, never a cluster's best); the rest 0.5; each entry
/// plus noise of sd 0.01. cluster_of(i) = i % 3.
struct Clusters {
  Eigen::MatrixXd features, utility;
  static Eigen::RowVector2d centre(int c) { return c == 0 ? Eigen::RowVector2d(0, 0) : c == 1 ? Eigen::RowVector2d(5, 0) : Eigen::RowVector2d(0, 5); }
  explicit Clusters(int per, std::uint64_t seed = 7) {
    std::mt19937_64 rng(seed);
    features.resize(3 * per, 2);
    utility.resize(3 * per, 6);
    for (int i = 0; i < 3 * per; ++i) {
      const int c = i % 3;
      features.row(i) = centre(c) + 0.3 * Eigen::RowVector2d(normal(rng), normal(rng));
      for (int j = 0; j < 6; ++j) utility(i, j) = (j == 2 * c ? 1.0 : j == 5 ? 0.9 : 0.5) + 0.01 * normal(rng);
    }
  }
};

}  // namespace select_synthetic
