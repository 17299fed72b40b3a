// Fashion-MNIST classifiers trained with LibTorch, for the examples (experiment, cluster demo,
// planner). This header does not include LibTorch: users see Eigen matrices only, and their
// translation units compile in seconds. Link the target nercc_fmnist_models.
#pragma once

#include "../common/fashion_mnist.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>

namespace nercc_examples {

/// Images or logits, one sample per row (same type as nercc::RowMatrix<float>).
using FloatRowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The split's images as a count x 784 matrix, without a copy (valid while the split lives).
inline Eigen::Map<const FloatRowMatrix> images_matrix(const FashionMnistSplit& split) {
  return {split.images.data(), Eigen::Index(split.count), FashionMnistSplit::pixels};
}

enum class FmnistModel {
  lenet5,  ///< LeNet5 as in the NeRCC paper: conv 6@5x5 pad 2, pool, conv 16@5x5, pool, fc 120/84/10.
  resnet,  ///< ResNet-8: 3x3 stem, three basic residual blocks (16, 32, 64 channels), global pool.
};

/// "lenet5" or "resnet".
std::string to_string(FmnistModel model);
/// Inverse of to_string; throws std::invalid_argument naming the accepted values.
FmnistModel parse_fmnist_model(const std::string& name);

/// Everything that determines the trained weights; all of it goes into the cache key.
struct TrainConfig {
  FmnistModel model = FmnistModel::lenet5;
  int epochs = 5;
  int batch_size = 64;
  double learning_rate = 2e-3;  ///< AdamW peak rate, cosine-decayed to zero over all steps.
  double weight_decay = 1e-4;
  std::uint64_t seed = 1;
  std::int64_t train_limit = 0;  ///< First train_limit training images; 0 = all 60000.

  /// The configuration used for the published numbers.
  static TrainConfig defaults(FmnistModel model);
  /// A seconds-long configuration for tests: 2000 images, few epochs.
  static TrainConfig smoke(FmnistModel model);

  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
  /// File-name-safe key, e.g. "fmnist-lenet5-a1-e5-b64-lr0.002-wd0.0001-s1-nall".
  std::string cache_key() const;
};

/// How to train; none of this changes the weights (apart from thread count, see threads).
struct TrainOptions {
  std::string data_dir;       ///< Empty: fashion_mnist_dir() ($NERCC_FASHION_MNIST_DIR or Debian's).
  std::string cache_dir;      ///< Empty: default_cache_dir().
  bool use_cache = true;      ///< false: neither read nor write the cache.
  bool force_retrain = false; ///< Train even when a valid cache file exists, then overwrite it.
  /// Intra-op threads while training; 0 keeps the calling thread's setting (LibTorch's default
  /// is all cores). Float reductions may round differently with another thread count, so
  /// weights are reproducible for a given count.
  int threads = 0;
  bool progress = true;       ///< Progress bar on stderr.
};

/// $NERCC_CACHE_DIR, else $XDG_CACHE_HOME/nercc, else $HOME/.cache/nercc; throws
/// std::runtime_error if none of these variables is set.
std::string default_cache_dir();

/// A trained classifier: 784 pixels in [0, 1] per row in, 10 logits per row out.
/// Copies share the weights. Immutable after construction; logits() is safe to call from many
/// threads at once.
class Classifier {
 public:
  static constexpr Eigen::Index input_dim = 784;
  static constexpr Eigen::Index num_classes = 10;

  /// Logits of each row of images (rows x 784) as a rows x 10 matrix. Runs without autograd
  /// on `threads` intra-op threads. With LibTorch's OpenMP backend the count is a property of
  /// the calling thread, so serving workers that each pass 1 do not oversubscribe the cores.
  FloatRowMatrix logits(const Eigen::Ref<const FloatRowMatrix>& images, int threads = 1) const;

  /// Same as logits(), on raw storage: images is rows x 784 row-major, out is rows x 10 row-major.
  void logits_into(const float* images, Eigen::Index rows, float* out, int threads = 1) const;

  FmnistModel model() const;

 private:
  struct Impl;
  explicit Classifier(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend struct ClassifierAccess;
};

/// What train_or_load did.
struct TrainResult {
  Classifier classifier;
  bool from_cache = false;    ///< Loaded from cache_file rather than trained.
  double train_seconds = 0;   ///< Wall time of training (0 when loaded).
  std::string cache_file;     ///< Empty when the cache is disabled.
};

/// Loads the weights for config from the cache, or trains them on the training split and
/// stores them there. A corrupt or mismatched cache file is reported on stderr and retrained.
/// Throws std::runtime_error when the data are missing or the cache cannot be written.
TrainResult train_or_load(const TrainConfig& config, const TrainOptions& options = {});

/// Fraction of images whose argmax logit equals the label, in batches on `threads` threads.
double test_accuracy(const Classifier& classifier, const FashionMnistSplit& data, int threads = 1,
                     bool progress = true);

}  // namespace nercc_examples
