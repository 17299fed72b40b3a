// The learners that regress utility on joint (task, configuration) feature rows: BoostedTrees
// (gradient-boosted trees on [task features, configuration features]) and MetaInf (a kernel
// ridge predictor on [task, environment, configuration] features, after MetaInf, which maps
// model, hardware and data features jointly to each method's performance). One training row per
// measured entry of the performance matrix; a new task is scored by predicting one row per
// configuration.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/gradient_boosting.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/performance_matrix.hpp>
#include <nercc/select/random.hpp>
#include <nercc/tune/sampling.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// Standardised joint rows [task features, (environment features,) configuration features].
class JointRows {
 public:
  JointRows() = default;
  JointRows(const PerformanceMatrix& m, bool with_environment)
      : with_environment_(with_environment),
        task_(Standardizer::fit(m.task_features)),
        environment_(Standardizer::fit(m.environment_features)),
        configs_(Standardizer::fit(m.config_features).apply(m.config_features)) {}

  /// The row of a task (raw features) with configuration c.
  Eigen::RowVectorXd row(const Eigen::RowVectorXd& task, const Eigen::RowVectorXd& environment, Index c) const {
    const Eigen::RowVectorXd t = task_.apply_row(task);
    const Eigen::RowVectorXd e = with_environment_ ? environment_.apply_row(environment) : Eigen::RowVectorXd();
    Eigen::RowVectorXd out(t.size() + e.size() + configs_.cols());
    out << t, e, configs_.row(c);
    return out;
  }

  /// Every measured entry of m as (rows, utilities), with the task (row of m) of each when
  /// `task_of` is given.
  void training_set(const PerformanceMatrix& m, Eigen::MatrixXd& x, Eigen::VectorXd& y,
                    std::vector<Index>* task_of = nullptr) const {
    Index n = 0;
    for (Index i = 0; i < m.num_tasks(); ++i)
      for (Index j = 0; j < m.num_configs(); ++j) n += !std::isnan(m.utility(i, j));
    x.resize(n, width());
    y.resize(n);
    Index k = 0;
    for (Index i = 0; i < m.num_tasks(); ++i)
      for (Index j = 0; j < m.num_configs(); ++j)
        if (!std::isnan(m.utility(i, j))) {
          x.row(k) = row(m.task_features.row(i), m.environment_features.row(i), j);
          y(k++) = m.utility(i, j);
          if (task_of) task_of->push_back(i);
        }
  }

  Index width() const {
    return task_.mean.size() + (with_environment_ ? environment_.mean.size() : 0) + configs_.cols();
  }
  Index num_configs() const { return configs_.rows(); }

 private:
  bool with_environment_ = false;
  Standardizer task_, environment_;
  Eigen::MatrixXd configs_;
};

/// Gradient-boosted trees on [task features, configuration features].
class BoostedTrees : public Learner {
 public:
  explicit BoostedTrees(BoostingParams params = {}) : model_(params) {}
  std::string name() const override { return "BoostedTrees"; }

 protected:
  void do_fit(const PerformanceMatrix& m) override {
    rows_ = JointRows(m, false);
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
    rows_.training_set(m, x, y);
    model_.fit(x, y);
  }
  Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd& environment) const override {
    Eigen::VectorXd s(rows_.num_configs());
    for (Index c = 0; c < s.size(); ++c) s(c) = model_.predict(rows_.row(task_features.transpose(), environment.transpose(), c));
    return s;
  }

 private:
  GradientBoostedTrees model_;
  JointRows rows_;
};

struct MetaInfParams {
  Index random_features = 256;  ///< D, random Fourier features of the Gaussian kernel
  /// Kernel length scale on the standardised rows; 0: chosen by 3-fold cross-validation over
  /// the training tasks (task i in fold i mod 3) among {1/8, 1/4, 1/2, 1} times the median
  /// pairwise distance of the rows.
  double bandwidth = 0.0;
  double ridge = 1e-6;          ///< times the number of rows
  std::uint64_t seed = 1;

  void validate() const {
    using nercc::detail::message;
    if (random_features < 1) throw invalid_argument(message("random_features (", random_features, ") must be >= 1"));
    if (!(bandwidth >= 0.0 && std::isfinite(bandwidth)))
      throw invalid_argument(message("bandwidth (", bandwidth, ") must be finite and >= 0"));
    if (!(ridge > 0.0)) throw invalid_argument(message("ridge (", ridge, ") must be > 0"));
  }
};

/// Kernel ridge regression with a Gaussian kernel of length scale `bandwidth`, approximated by
/// random Fourier features phi(x) = sqrt(2 / D) cos(W x + b), W ~ N(0, 1 / bandwidth^2),
/// b ~ U[0, 2 pi) (drawn from the seed). predict() is const and thread-safe.
class RandomFeatureRidge {
 public:
  RandomFeatureRidge() = default;
  RandomFeatureRidge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double bandwidth, const MetaInfParams& params) {
    const Index d = params.random_features;
    std::mt19937_64 rng(params.seed);
    const double two_pi = 6.283185307179586;
    w_.resize(d, x.cols());
    for (Index i = 0; i < d; ++i)
      for (Index j = 0; j < x.cols(); ++j) w_(i, j) = standard_normal(rng) / bandwidth;
    phase_.resize(d);
    for (Index i = 0; i < d; ++i) phase_(i) = two_pi * uniform_unit(rng);
    mean_ = y.mean();
    const Eigen::MatrixXd phi = features(x);
    Eigen::MatrixXd gram = phi.transpose() * phi;
    gram.diagonal().array() += params.ridge * double(x.rows());
    coefficients_ = gram.ldlt().solve(phi.transpose() * (y.array() - mean_).matrix());
  }

  Eigen::VectorXd predict(const Eigen::MatrixXd& x) const { return (features(x) * coefficients_).array() + mean_; }

 private:
  Eigen::MatrixXd features(const Eigen::MatrixXd& x) const {
    const Eigen::MatrixXd z = (x * w_.transpose()).rowwise() + phase_.transpose();
    return std::sqrt(2.0 / double(w_.rows())) * z.array().cos().matrix();
  }

  Eigen::MatrixXd w_;
  Eigen::VectorXd phase_, coefficients_;
  double mean_ = 0.0;
};

/// MetaInf-style predictor: RandomFeatureRidge from [task, environment, configuration]
/// features to utility, the bandwidth cross-validated over tasks unless given.
class MetaInf : public Learner {
 public:
  explicit MetaInf(MetaInfParams params = {}) : params_(params) { params_.validate(); }
  std::string name() const override { return "MetaInf"; }
  double bandwidth() const { return bandwidth_; }

 protected:
  void do_fit(const PerformanceMatrix& m) override {
    rows_ = JointRows(m, true);
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
    std::vector<Index> task_of;
    rows_.training_set(m, x, y, &task_of);
    bandwidth_ = params_.bandwidth > 0.0 ? params_.bandwidth : cross_validated_bandwidth(x, y, task_of);
    model_ = RandomFeatureRidge(x, y, bandwidth_, params_);
  }
  Eigen::VectorXd do_scores(const Eigen::VectorXd& task_features, const Eigen::VectorXd& environment) const override {
    Eigen::MatrixXd x(rows_.num_configs(), rows_.width());
    for (Index c = 0; c < x.rows(); ++c) x.row(c) = rows_.row(task_features.transpose(), environment.transpose(), c);
    return model_.predict(x);
  }

 private:
  double cross_validated_bandwidth(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const std::vector<Index>& task_of) const {
    const Index n = x.rows();
    std::vector<double> distances;
    const Index step = std::max<Index>(1, n / 200);
    for (Index a = 0; a < n; a += step)
      for (Index b = a + step; b < n; b += step) distances.push_back((x.row(a) - x.row(b)).norm());
    double median = 1.0;
    if (!distances.empty()) {
      std::nth_element(distances.begin(), distances.begin() + std::ptrdiff_t(distances.size() / 2), distances.end());
      if (distances[distances.size() / 2] > 0.0) median = distances[distances.size() / 2];
    }
    double best = median, best_error = std::numeric_limits<double>::infinity();
    for (double factor : {0.125, 0.25, 0.5, 1.0}) {
      double error = 0.0;
      for (Index fold = 0; fold < 3; ++fold) {
        std::vector<Index> train, test;
        for (Index i = 0; i < n; ++i) (task_of[std::size_t(i)] % 3 == fold ? test : train).push_back(i);
        if (train.empty() || test.empty()) continue;
        const RandomFeatureRidge model(x(train, Eigen::all), y(train), factor * median, params_);
        error += (model.predict(x(test, Eigen::all)) - y(test)).squaredNorm();
      }
      if (error < best_error) best_error = error, best = factor * median;
    }
    return best;
  }

  MetaInfParams params_;
  JointRows rows_;
  RandomFeatureRidge model_;
  double bandwidth_ = 0.0;
};

}  // namespace select
NERCC_NAMESPACE_END
