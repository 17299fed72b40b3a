// Binary logistic regression as a finite-sum objective (the test problem of the optimisers).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// f(w) = (1/n) sum_i log(1 + exp(-y_i a_i^T w)), a_i the rows of A (n x d), y_i in {-1, +1}.
/// grad f_i(w) = -y_i sigma(-y_i a_i^T w) a_i; each f_i is (||a_i||^2 / 4)-smooth. Owns its
/// data; immutable, so every member is safe to call from many threads at once.
class LogisticRegression {
 public:
  LogisticRegression(RowMatrix<double> features, Vector<double> labels)
      : a_(std::move(features)), y_(std::move(labels)) {
    using nercc::detail::message;
    if (a_.rows() != y_.size())
      throw shape_mismatch(message("labels (", y_.size(), ") must have one entry per feature row (", a_.rows(), ")"));
    if (a_.rows() < 1) throw invalid_argument(message("features must have at least one row"));
    for (Index i = 0; i < y_.size(); ++i)
      if (y_[i] != 1.0 && y_[i] != -1.0)
        throw invalid_argument(message("labels[", i, "] (", y_[i], ") must be -1 or +1"));
  }

  Index num_terms() const { return a_.rows(); }
  Index dim() const { return a_.cols(); }
  const RowMatrix<double>& features() const { return a_; }
  const Vector<double>& labels() const { return y_; }

  /// Largest smoothness constant of one term, max_i ||a_i||^2 / 4 (bounds minibatch smoothness).
  double max_term_smoothness() const { return a_.rowwise().squaredNorm().maxCoeff() / 4.0; }

  void gradient(const Eigen::Ref<const Vector<double>>& w, const std::vector<Index>& batch,
                Eigen::Ref<Vector<double>> out) const {
    out.setZero();
    for (const Index i : batch) out += loss_slope(i, a_.row(i).dot(w)) * a_.row(i).transpose();
    out /= double(batch.size());
  }
  void full_gradient(const Eigen::Ref<const Vector<double>>& w, Eigen::Ref<Vector<double>> out) const {
    const Vector<double> margins = a_ * w;
    Vector<double> slopes(a_.rows());
    for (Index i = 0; i < a_.rows(); ++i) slopes[i] = loss_slope(i, margins[i]);
    out.noalias() = a_.transpose() * slopes / double(a_.rows());
  }
  double value(const Eigen::Ref<const Vector<double>>& w) const {
    const Vector<double> z = -(y_.array() * (a_ * w).array()).matrix();
    // log(1 + e^z) without overflow.
    return (z.array().max(0.0) + (-z.array().abs()).exp().log1p()).mean();
  }

 private:
  /// d/dm log(1 + exp(-y_i m)) = -y_i / (1 + exp(y_i m)).
  double loss_slope(Index i, double margin) const { return -y_[i] / (1.0 + std::exp(y_[i] * margin)); }

  RowMatrix<double> a_;
  Vector<double> y_;
};

}  // namespace optim
NERCC_NAMESPACE_END
