// The front end's fallback forecaster: ridge regression (a linear autoregression on the same
// window, with the seasonal terms), fitted in closed form. The strongest cheap baseline a
// practitioner runs next to a learned forecaster: O(d) per forecast, seconds to refit.
// Eigen only.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

/// y = x W + b. The intercept is not penalised.
class RidgeRegression {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// Minimises ||X W + 1 b - Y||^2 + lambda ||W||^2 (X centred first, so b is the unpenalised
  /// intercept). Throws std::invalid_argument for lambda < 0, mismatched or empty inputs.
  static RidgeRegression fit(const Matrix& x, const Matrix& y, double lambda) {
    if (!(lambda >= 0) || !std::isfinite(lambda))
      throw std::invalid_argument("ridge: lambda (" + std::to_string(lambda) + ") must be finite and >= 0");
    if (x.rows() < 1 || x.rows() != y.rows())
      throw std::invalid_argument("ridge: x has " + std::to_string(x.rows()) + " rows and y " +
                                  std::to_string(y.rows()) + ": they must match and be >= 1");
    const Eigen::MatrixXd xd = x.cast<double>(), yd = y.cast<double>();
    const Eigen::RowVectorXd x_mean = xd.colwise().mean(), y_mean = yd.colwise().mean();
    const Eigen::MatrixXd xc = xd.rowwise() - x_mean, yc = yd.rowwise() - y_mean;
    Eigen::MatrixXd gram = xc.transpose() * xc;
    gram.diagonal().array() += lambda;
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(gram);
    if (ldlt.info() != Eigen::Success)
      throw std::invalid_argument("ridge: the normal equations are singular; use lambda > 0");
    RidgeRegression r;
    r.weights_ = ldlt.solve(xc.transpose() * yc);
    r.bias_ = y_mean - x_mean * r.weights_;
    r.lambda_ = lambda;
    return r;
  }

  /// Forecasts of the rows of x.
  Matrix predict(const Matrix& x) const {
    if (x.cols() != weights_.rows())
      throw std::invalid_argument("ridge: x has " + std::to_string(x.cols()) + " columns, the model " +
                                  std::to_string(weights_.rows()));
    return ((x.cast<double>() * weights_).rowwise() + bias_).cast<float>();
  }

  double lambda() const { return lambda_; }
  const Eigen::MatrixXd& weights() const { return weights_; }
  const Eigen::RowVectorXd& bias() const { return bias_; }

 private:
  Eigen::MatrixXd weights_;
  Eigen::RowVectorXd bias_;
  double lambda_ = 0;
};

/// The lambdas the examples choose ridge's penalty from.
inline const std::vector<double>& ridge_lambda_grid() {
  static const std::vector<double> grid = {1e-2, 1e-1, 1, 3, 10, 30, 100, 300, 1000};
  return grid;
}

/// Picks lambda from `grid` by the mean absolute error of a fit on rows [0, holdout_begin) on
/// rows [holdout_begin, rows) (a time split), then refits on all rows with it.
inline RidgeRegression fit_ridge_time_split(const RidgeRegression::Matrix& x, const RidgeRegression::Matrix& y,
                                            Eigen::Index holdout_begin, const std::vector<double>& grid) {
  if (grid.empty()) throw std::invalid_argument("ridge: the lambda grid is empty");
  if (holdout_begin < 1 || holdout_begin >= x.rows())
    throw std::invalid_argument("ridge: holdout_begin (" + std::to_string(holdout_begin) + ") must lie in [1, " +
                                std::to_string(x.rows() - 1) + "]");
  const Eigen::Index held = x.rows() - holdout_begin;
  double best_error = std::numeric_limits<double>::infinity(), best_lambda = grid.front();
  for (double lambda : grid) {
    const auto r = RidgeRegression::fit(x.topRows(holdout_begin), y.topRows(holdout_begin), lambda);
    const double error = (r.predict(x.bottomRows(held)) - y.bottomRows(held)).cwiseAbs().mean();
    if (error < best_error) best_error = error, best_lambda = lambda;
  }
  return RidgeRegression::fit(x, y, best_lambda);
}

}  // namespace nercc_examples
