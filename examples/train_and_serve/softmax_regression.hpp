// The example's model: random Fourier features of the image (nonlinear in the pixels) and a
// softmax classifier on them (convex in the weights), as a finite-sum objective for nercc::optim.
#pragma once

#include <nercc/types.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace train_and_serve {

using nercc::Index;
using nercc::RowMatrix;
using nercc::Vector;

/// z(x) = sqrt(2 / D) cos(Omega x + b), Omega_ij ~ N(0, 1 / bandwidth^2), b_j ~ U[0, 2 pi):
/// z(x)^T z(x') approximates the Gaussian kernel exp(-||x - x'||^2 / (2 bandwidth^2)).
/// A wider bandwidth gives a smoother model.
class RandomFeatures {
 public:
  RandomFeatures(Index input_dim, Index num_features, double bandwidth, std::uint64_t seed)
      : omega_(num_features, input_dim), offset_(num_features) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0 / bandwidth);
    std::uniform_real_distribution<double> phase(0.0, 2.0 * M_PI);
    for (Index i = 0; i < omega_.size(); ++i) omega_.data()[i] = normal(rng);
    for (auto& b : offset_) b = phase(rng);
  }
  Index size() const { return omega_.rows(); }

  /// Features of the rows of x (n x input_dim) as rows (n x D).
  template <class Derived>
  RowMatrix<double> operator()(const Eigen::MatrixBase<Derived>& x) const {
    RowMatrix<double> z = x.template cast<double>() * omega_.transpose();
    z.rowwise() += offset_.transpose();
    return (std::sqrt(2.0 / double(size())) * z.array().cos()).matrix();
  }

 private:
  RowMatrix<double> omega_;
  Vector<double> offset_;
};

/// f(w) = (1/n) sum_i [log sum_c exp(z_i^T W_c) - z_i^T W_{y_i}], w = vec(W), W features x
/// classes row-major. grad f_i = z_i (softmax(z_i^T W) - e_{y_i})^T. Immutable (thread-safe).
class SoftmaxRegression {
 public:
  SoftmaxRegression(RowMatrix<double> features, std::vector<int> labels, Index classes)
      : z_(std::move(features)), y_(std::move(labels)), classes_(classes) {}

  Index num_terms() const { return z_.rows(); }
  Index dim() const { return z_.cols() * classes_; }
  const RowMatrix<double>& features() const { return z_; }

  void gradient(const Eigen::Ref<const Vector<double>>& w, const std::vector<Index>& batch,
                Eigen::Ref<Vector<double>> out) const {
    const auto W = weights(w);
    Eigen::Map<RowMatrix<double>> G(out.data(), z_.cols(), classes_);
    G.setZero();
    Eigen::RowVectorXd p(classes_);
    for (const Index i : batch) {
      p = z_.row(i) * W;
      softmax_minus_label(p, y_[std::size_t(i)]);
      G.noalias() += z_.row(i).transpose() * p;
    }
    G /= double(batch.size());
  }
  void full_gradient(const Eigen::Ref<const Vector<double>>& w, Eigen::Ref<Vector<double>> out) const {
    RowMatrix<double> p = z_ * weights(w);
    for (Index i = 0; i < p.rows(); ++i) {
      Eigen::RowVectorXd row = p.row(i);
      softmax_minus_label(row, y_[std::size_t(i)]);
      p.row(i) = row;
    }
    Eigen::Map<RowMatrix<double>>(out.data(), z_.cols(), classes_).noalias() = z_.transpose() * p / double(z_.rows());
  }
  double value(const Eigen::Ref<const Vector<double>>& w) const {
    const RowMatrix<double> logits = z_ * weights(w);
    double sum = 0.0;
    for (Index i = 0; i < logits.rows(); ++i) {
      const double top = logits.row(i).maxCoeff();
      sum += top + std::log((logits.row(i).array() - top).exp().sum()) - logits(i, y_[std::size_t(i)]);
    }
    return sum / double(logits.rows());
  }

  /// A bound on the smoothness of f: ||Z||_2^2 / (2 n), ||Z||_2 by power iteration.
  double smoothness() const {
    Vector<double> v = Vector<double>::Ones(z_.cols()).normalized();
    double s = 0.0;
    for (int k = 0; k < 100; ++k) {
      const Vector<double> u = z_.transpose() * (z_ * v);
      s = u.norm();
      v = u / s;
    }
    return 0.5 * s * 1.02 / double(z_.rows());  // 2% margin over the power-iteration estimate
  }
  /// Largest smoothness of one term, max_i ||z_i||^2 / 2.
  double max_term_smoothness() const { return 0.5 * z_.rowwise().squaredNorm().maxCoeff(); }

  Eigen::Map<const RowMatrix<double>> weights(const Eigen::Ref<const Vector<double>>& w) const {
    return Eigen::Map<const RowMatrix<double>>(w.data(), z_.cols(), classes_);
  }

 private:
  static void softmax_minus_label(Eigen::RowVectorXd& logits, int label) {
    logits.array() = (logits.array() - logits.maxCoeff()).exp();
    logits /= logits.sum();
    logits[label] -= 1.0;
  }

  RowMatrix<double> z_;
  std::vector<int> y_;
  Index classes_;
};

}  // namespace train_and_serve
