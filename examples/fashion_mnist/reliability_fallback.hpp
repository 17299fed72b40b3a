// The cheap front-end model of the reliability measurement: softmax regression on the raw
// pixels (plus a bias), distilled from the served model's argmax on training images, solved with
// nercc::optim::fista. Its agreement with the served model is what a fallback answer is worth.
#pragma once

#include "../train_and_serve/softmax_regression.hpp"

#include <nercc/optim.hpp>
#include <nercc/tune/sampling.hpp>

#include <vector>

namespace nercc_examples {

/// A linear classifier: logits = [x, 1] W (W is 785 x 10).
class LinearFallback {
 public:
  /// Fits W to the labels (the served model's argmax of each row of images) with a small ridge
  /// penalty, `iterations` FISTA steps.
  LinearFallback(const Eigen::Ref<const nercc::RowMatrix<float>>& images, const std::vector<int>& labels,
                 nercc::Index classes, nercc::Index iterations) {
    train_and_serve::SoftmaxRegression objective(with_bias(images), labels, classes);
    nercc::optim::FistaParams fp;
    fp.lipschitz = objective.smoothness() + ridge;
    fp.max_iterations = iterations;
    fp.tolerance = 1e-10;
    const nercc::optim::ElasticNetProx ridge_prox(0.0, ridge);
    const auto x = nercc::optim::fista(objective, ridge_prox, fp, nercc::Vector<double>::Zero(objective.dim())).x;
    weights_ = Eigen::Map<const nercc::RowMatrix<double>>(x.data(), images.cols() + 1, classes);
  }

  /// Logits of each row of images.
  nercc::RowMatrix<float> logits(const Eigen::Ref<const nercc::RowMatrix<float>>& images) const {
    return (with_bias(images) * weights_).cast<float>();
  }

  /// Argmax of the logits of each row.
  std::vector<nercc::Index> predict(const Eigen::Ref<const nercc::RowMatrix<float>>& images) const {
    const nercc::RowMatrix<float> l = logits(images);
    std::vector<nercc::Index> out(static_cast<std::size_t>(l.rows()));
    for (nercc::Index i = 0; i < l.rows(); ++i) out[std::size_t(i)] = nercc::argmax_of_row(l.row(i));
    return out;
  }

 private:
  static constexpr double ridge = 1e-4;

  static nercc::RowMatrix<double> with_bias(const Eigen::Ref<const nercc::RowMatrix<float>>& images) {
    nercc::RowMatrix<double> z(images.rows(), images.cols() + 1);
    z.leftCols(images.cols()) = images.cast<double>();
    z.col(images.cols()).setOnes();
    return z;
  }

  nercc::RowMatrix<double> weights_;
};

}  // namespace nercc_examples
