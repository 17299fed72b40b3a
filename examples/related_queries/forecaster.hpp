// The workload's learned model: a small MLP with a linear skip path, trained with LibTorch on
// the forecast windows. This header does not include LibTorch (users see Eigen matrices only);
// link the target nercc_related_queries_model.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>

namespace nercc_examples {

/// Everything that determines the trained weights (with the data and the thread count).
/// The defaults were chosen on the calibration year (2014) with the model trained on 2012-2013
/// (nercc_related_queries_experiment --validate): wider or longer-trained nets overfit the ~700
/// windows and lose to ridge there.
struct ForecasterConfig {
  int hidden = 8;            ///< width of the two hidden layers
  int epochs = 100;
  int batch_size = 32;
  double learning_rate = 2e-3;  ///< AdamW peak rate, cosine-decayed to zero over all steps
  double weight_decay = 1.0;    ///< AdamW's decoupled decay (times the rate per step)
  std::uint64_t seed = 1;
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
};

/// A trained forecaster: rows of inputs in, rows of (standardised) forecasts out. Copies share
/// the weights. Immutable after training; predict() is safe to call from many threads at once.
class Forecaster {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// Trains on (x, y) with mean squared error, minibatches in a seeded order, on `threads`
  /// intra-op threads (0 keeps the caller's setting). Deterministic for a given config, data and
  /// thread count. Throws std::invalid_argument for a bad config or mismatched data.
  static Forecaster train(const Matrix& x, const Matrix& y, const ForecasterConfig& config, int threads = 1);

  /// Forecasts of the rows of x (x.cols() must equal the training inputs' width), without
  /// autograd, on `threads` intra-op threads.
  Matrix predict(const Matrix& x, int threads = 1) const;

  /// Writes the weights and the layer widths to `path` (LibTorch's archive format); load()
  /// reads them back into a forecaster whose predict() returns the same values. Both throw
  /// std::runtime_error naming the file when it cannot be written or read.
  void save(const std::string& path) const;
  static Forecaster load(const std::string& path);

  double train_seconds() const;
  Eigen::Index input_dim() const;
  Eigen::Index output_dim() const;

 private:
  struct Impl;
  explicit Forecaster(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace nercc_examples
