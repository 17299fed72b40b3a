// The cluster front end's fallback model: a linear map from the 784 pixels (and a bias) to the
// served model's 10 logits, distilled in closed form: ridge regression on the served model's own
// logits over training images. It answers, at the front end, the queries the runtime could not
// (nercc::runtime::Fallback); cached next to the served model's weights.
#pragma once

#include "models.hpp"

#include <nercc/runtime.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

/// logits = [x, 1] * weights, weights (784 + 1) x 10. Immutable once built: logits() may run on
/// several threads at once (the runtime's decode threads).
class LinearFallback {
 public:
  using Matrix = nercc::RowMatrix<float>;
  static constexpr Eigen::Index input_dim = nercc_examples::Classifier::input_dim;
  static constexpr Eigen::Index num_classes = nercc_examples::Classifier::num_classes;

  LinearFallback() = default;
  explicit LinearFallback(Matrix weights, double ridge) : weights_(std::move(weights)), ridge_(ridge) {
    if (weights_.rows() != input_dim + 1 || weights_.cols() != num_classes || !weights_.allFinite())
      throw std::invalid_argument("LinearFallback: weights must be 785 x 10 finite values");
  }

  /// Logits of each row of x (rows x 784) as rows x 10.
  Matrix logits(const Eigen::Ref<const Matrix>& x) const {
    if (x.cols() != input_dim) throw std::invalid_argument("LinearFallback::logits: x must have 784 columns");
    Matrix out = x * weights_.topRows(input_dim);
    out.rowwise() += weights_.row(input_dim);
    return out;
  }

  /// The runtime's fallback hook. Shares nothing mutable; the copy of the weights lives in it.
  nercc::runtime::Fallback<float> as_fallback() const {
    return [self = *this](const Eigen::Ref<const Matrix>& x) { return self.logits(x); };
  }

  const Matrix& weights() const { return weights_; }
  /// The ridge penalty the weights were fitted with (chosen on held-out images).
  double ridge() const { return ridge_; }

 private:
  Matrix weights_;
  double ridge_ = 0;
};

/// Fraction of rows whose argmax agrees between two rows x 10 logit matrices.
inline double argmax_agreement(const Eigen::Ref<const LinearFallback::Matrix>& a,
                               const Eigen::Ref<const LinearFallback::Matrix>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.rows() == 0)
    throw std::invalid_argument("argmax_agreement: the logit matrices must have the same nonzero shape");
  std::int64_t agree = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    Eigen::Index ia = 0, ib = 0;
    a.row(i).maxCoeff(&ia);
    b.row(i).maxCoeff(&ib);
    agree += ia == ib ? 1 : 0;
  }
  return double(agree) / double(a.rows());
}

namespace detail {
// [X 1]^T [X 1] and [X 1]^T Y over rows [begin, end), in double.
inline void accumulate_normal_equations(const float* images, const LinearFallback::Matrix& targets, Eigen::Index begin,
                                        Eigen::Index end, Eigen::MatrixXd& gram, Eigen::MatrixXd& rhs) {
  constexpr Eigen::Index d = LinearFallback::input_dim;
  constexpr Eigen::Index block = 2048;
  gram = Eigen::MatrixXd::Zero(d + 1, d + 1);
  rhs = Eigen::MatrixXd::Zero(d + 1, LinearFallback::num_classes);
  for (Eigen::Index b = begin; b < end; b += block) {
    const Eigen::Index rows = std::min(block, end - b);
    Eigen::MatrixXd x(rows, d + 1);
    x.leftCols(d) = Eigen::Map<const LinearFallback::Matrix>(images + b * d, rows, d).cast<double>();
    x.col(d).setOnes();
    gram.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
    rhs.noalias() += x.transpose() * targets.middleRows(b, rows).cast<double>();
  }
  gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
}

inline LinearFallback::Matrix solve_ridge(const Eigen::MatrixXd& gram, const Eigen::MatrixXd& rhs, double ridge) {
  Eigen::MatrixXd a = gram;
  // The bias is not penalised.
  a.diagonal().head(LinearFallback::input_dim).array() += ridge;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
  if (ldlt.info() != Eigen::Success) throw std::runtime_error("LinearFallback: the ridge system could not be factorised");
  return ldlt.solve(rhs).cast<float>();
}
}  // namespace detail

/// Fits the fallback to `teacher_logits` (count x 10) of `images` (count x 784, row-major): the
/// ridge penalty is chosen from `ridges` by argmax agreement with the teacher on the last tenth
/// of the images (held out), then the weights are refitted on all of them.
inline LinearFallback fit_linear_fallback(const std::vector<float>& images, const LinearFallback::Matrix& teacher_logits,
                                          const std::vector<double>& ridges = {0.1, 1, 10, 100}) {
  const Eigen::Index count = teacher_logits.rows();
  if (count < 20 || std::int64_t(images.size()) != std::int64_t(count) * LinearFallback::input_dim ||
      teacher_logits.cols() != LinearFallback::num_classes)
    throw std::invalid_argument("fit_linear_fallback: need at least 20 images (x 784) and as many rows of 10 logits");
  if (ridges.empty()) throw std::invalid_argument("fit_linear_fallback: ridges is empty");
  const Eigen::Index fit_rows = count - count / 10;
  Eigen::MatrixXd gram_fit, rhs_fit, gram_held, rhs_held;
  detail::accumulate_normal_equations(images.data(), teacher_logits, 0, fit_rows, gram_fit, rhs_fit);
  detail::accumulate_normal_equations(images.data(), teacher_logits, fit_rows, count, gram_held, rhs_held);
  const Eigen::Map<const LinearFallback::Matrix> held(images.data() + fit_rows * LinearFallback::input_dim,
                                                      count - fit_rows, LinearFallback::input_dim);
  double best_ridge = ridges.front(), best_agreement = -1;
  for (double ridge : ridges) {
    if (!(ridge > 0)) throw std::invalid_argument("fit_linear_fallback: every ridge must be > 0");
    const LinearFallback candidate(detail::solve_ridge(gram_fit, rhs_fit, ridge), ridge);
    const double agreement = argmax_agreement(candidate.logits(held), teacher_logits.bottomRows(count - fit_rows));
    if (agreement > best_agreement) best_agreement = agreement, best_ridge = ridge;
  }
  return LinearFallback(detail::solve_ridge(gram_fit + gram_held, rhs_fit + rhs_held, best_ridge), best_ridge);
}

namespace detail {
constexpr std::uint32_t fallback_magic = 0x6e4c4642;  // "BFLn"

inline bool try_read_fallback(const std::string& path, LinearFallback& out) {
  std::ifstream f(path, std::ios::binary);
  std::uint32_t magic = 0, rows = 0, cols = 0;
  double ridge = 0;
  f.read(reinterpret_cast<char*>(&magic), sizeof magic);
  f.read(reinterpret_cast<char*>(&rows), sizeof rows);
  f.read(reinterpret_cast<char*>(&cols), sizeof cols);
  f.read(reinterpret_cast<char*>(&ridge), sizeof ridge);
  if (!f || magic != fallback_magic || rows != LinearFallback::input_dim + 1 || cols != LinearFallback::num_classes)
    return false;
  LinearFallback::Matrix w(rows, cols);
  f.read(reinterpret_cast<char*>(w.data()), std::streamsize(sizeof(float) * std::size_t(w.size())));
  if (!f || f.peek() != std::char_traits<char>::eof() || !w.allFinite()) return false;
  out = LinearFallback(std::move(w), ridge);
  return true;
}

inline void write_fallback(const std::string& path, const LinearFallback& model) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    const std::uint32_t header[3] = {fallback_magic, std::uint32_t(model.weights().rows()),
                                     std::uint32_t(model.weights().cols())};
    const double ridge = model.ridge();
    f.write(reinterpret_cast<const char*>(header), sizeof header);
    f.write(reinterpret_cast<const char*>(&ridge), sizeof ridge);
    f.write(reinterpret_cast<const char*>(model.weights().data()),
            std::streamsize(sizeof(float) * std::size_t(model.weights().size())));
    if (!f) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}
}  // namespace detail

/// Loads the fallback distilled from the model cached at `teacher_cache_file` on the first
/// `train_images` training images (0: all), or fits and caches it (next to that file). An empty
/// teacher_cache_file (no cache) fits without caching. `from_cache` tells which happened.
inline LinearFallback load_or_fit_linear_fallback(const nercc_examples::Classifier& teacher,
                                                  const std::string& teacher_cache_file, const std::string& data_dir,
                                                  std::int64_t train_images, bool& from_cache) {
  const std::string path = teacher_cache_file.empty()
                               ? std::string()
                               : teacher_cache_file + ".linear-fallback-n" +
                                     (train_images > 0 ? std::to_string(train_images) : std::string("all")) + ".bin";
  LinearFallback model;
  from_cache = !path.empty() && std::filesystem::exists(path) && detail::try_read_fallback(path, model);
  if (from_cache) return model;
  const auto train =
      nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(data_dir), "train", train_images);
  const auto logits = teacher.logits(Eigen::Map<const LinearFallback::Matrix>(train.images.data(), train.count, 784), 1);
  model = fit_linear_fallback(train.images, logits);
  if (!path.empty()) detail::write_fallback(path, model);
  return model;
}

}  // namespace nercc_cluster
