// ALORS: low-rank completion of the task x configuration matrix, with a regression from task
// features to the task factors, so that a new task's row is predicted from its features.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/performance_matrix.hpp>
#include <nercc/tune/sampling.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

NERCC_NAMESPACE_BEGIN
namespace select {

struct AlorsParams {
  Index rank = 3;                 ///< r, the number of latent factors
  double factor_ridge = 1e-4;     ///< ridge on the factors in the completion
  double feature_ridge = 1e-3;    ///< ridge of the regression from standardised features to factors
  Index max_iterations = 500;     ///< alternating least-squares sweeps
  double tolerance = 1e-10;       ///< stop when the relative change of the fit error is below it
  std::uint64_t seed = 1;         ///< initial configuration factors

  void validate() const {
    using nercc::detail::message;
    if (rank < 1) throw invalid_argument(message("rank (", rank, ") must be >= 1"));
    if (!(factor_ridge >= 0.0)) throw invalid_argument(message("factor_ridge (", factor_ridge, ") must be >= 0"));
    if (!(feature_ridge >= 0.0)) throw invalid_argument(message("feature_ridge (", feature_ridge, ") must be >= 0"));
    if (max_iterations < 1) throw invalid_argument(message("max_iterations (", max_iterations, ") must be >= 1"));
    if (!(tolerance >= 0.0)) throw invalid_argument(message("tolerance (", tolerance, ") must be >= 0"));
  }
};

/// ALORS. The completion fits Y_ij ~ b_j + U_i . V_j on the measured entries (b the
/// configuration offsets, U tasks x r, V configs x r) by alternating ridge least squares; then
/// U ~ [x, 1] W on the standardised task features x by ridge regression. A new task's scores
/// are b + V W^T [x, 1].
class Alors : public Learner {
 public:
  explicit Alors(AlorsParams params = {}) : params_(params) { params_.validate(); }
  std::string name() const override { return "ALORS"; }

  /// The completed training matrix b^T + U V^T (tasks x configs).
  Eigen::MatrixXd completed() const { return (u_ * v_.transpose()).rowwise() + offsets_.transpose(); }
  const Eigen::MatrixXd& task_factors() const { return u_; }

 protected:
  void do_fit(const PerformanceMatrix& m) override {
    const Index t = m.num_tasks(), c = m.num_configs(), r = params_.rank;
    const Eigen::MatrixXd& y = m.utility;
    std::mt19937_64 rng(params_.seed);
    v_.resize(c, r);
    for (Index j = 0; j < c; ++j)
      for (Index k = 0; k < r; ++k) v_(j, k) = uniform_unit(rng) - 0.5;
    offsets_ = measured_column_means(y);
    u_ = Eigen::MatrixXd::Zero(t, r);
    double previous = std::numeric_limits<double>::infinity();
    for (Index it = 0; it < params_.max_iterations; ++it) {
      // Task factors, one ridge problem per task over its measured configurations.
      for (Index i = 0; i < t; ++i) {
        Eigen::MatrixXd a = params_.factor_ridge * Eigen::MatrixXd::Identity(r, r);
        Eigen::VectorXd rhs = Eigen::VectorXd::Zero(r);
        for (Index j = 0; j < c; ++j)
          if (!std::isnan(y(i, j))) {
            a.noalias() += v_.row(j).transpose() * v_.row(j);
            rhs += v_.row(j).transpose() * (y(i, j) - offsets_(j));
          }
        u_.row(i) = a.ldlt().solve(rhs).transpose();
      }
      // Configuration factors and offsets, one ridge problem per configuration (offset unpenalised).
      for (Index j = 0; j < c; ++j) {
        Eigen::MatrixXd a = Eigen::MatrixXd::Zero(r + 1, r + 1);
        a.topLeftCorner(r, r).diagonal().setConstant(params_.factor_ridge);
        Eigen::VectorXd rhs = Eigen::VectorXd::Zero(r + 1);
        Eigen::VectorXd z(r + 1);
        for (Index i = 0; i < t; ++i)
          if (!std::isnan(y(i, j))) {
            z << u_.row(i).transpose(), 1.0;
            a.noalias() += z * z.transpose();
            rhs += z * y(i, j);
          }
        const Eigen::VectorXd sol = a.ldlt().solve(rhs);
        v_.row(j) = sol.head(r).transpose();
        offsets_(j) = sol(r);
      }
      double error = 0.0;
      const Eigen::MatrixXd fit = completed();
      for (Index i = 0; i < t; ++i)
        for (Index j = 0; j < c; ++j)
          if (!std::isnan(y(i, j))) error += (y(i, j) - fit(i, j)) * (y(i, j) - fit(i, j));
      if (std::abs(previous - error) <= params_.tolerance * std::max(error, 1e-300)) break;
      previous = error;
    }
    scaler_ = Standardizer::fit(m.task_features);
    Eigen::MatrixXd x(t, m.task_features.cols() + 1);
    x << scaler_.apply(m.task_features), Eigen::VectorXd::Ones(t);
    Eigen::MatrixXd gram = x.transpose() * x;
    gram.diagonal().head(x.cols() - 1).array() += params_.feature_ridge;
    weights_ = gram.ldlt().solve(x.transpose() * u_);
  }

  Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd&) const override {
    Eigen::RowVectorXd x(task_features.size() + 1);
    x << scaler_.apply_row(task_features.transpose()), 1.0;
    return offsets_ + v_ * (x * weights_).transpose();
  }

 private:
  AlorsParams params_;
  Eigen::MatrixXd u_, v_, weights_;
  Eigen::VectorXd offsets_;
  Standardizer scaler_;
};

}  // namespace select
NERCC_NAMESPACE_END
