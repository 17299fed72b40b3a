// The input distributions of the corpus's Fashion-MNIST tasks: the test split in its order, its
// upper-body garments only (classes 0, 2, 4, 6: T-shirt, pullover, coat, shirt, the classes the
// models confuse most), and the test split with N(0, 0.2^2) pixel noise clamped to [0, 1].
// Needs zlib (the idx files are gzipped). Part of the corpus-builder example.
#pragma once

#include "../common/fashion_mnist.hpp"
#include "input_distributions.hpp"
#include "task.hpp"

#include <string>
#include <utility>
#include <vector>

namespace select_corpus {

/// Labelled images as double rows.
struct LabelledImages {
  Matrix images;
  std::vector<int> labels;
};

/// The first `limit` images of split "train" or "t10k" (0: all).
inline LabelledImages load_fmnist(const std::string& split, nercc::Index limit) {
  const auto s = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(), split, limit);
  LabelledImages out;
  out.images = Eigen::Map<const nercc::RowMatrix<float>>(s.images.data(), s.count, s.pixels).cast<double>();
  out.labels.assign(s.labels.begin(), s.labels.end());
  return out;
}

/// (name, queries) of every distribution, `rows` queries each, from the test split `test`.
inline std::vector<std::pair<std::string, Matrix>> fmnist_distributions(const LabelledImages& test, nercc::Index rows) {
  return {{"test", test.images.topRows(rows)},
          {"tops", class_subset(test.images, test.labels, {0, 2, 4, 6}, rows)},
          {"noisy", noisy(test.images.topRows(rows), 0.2, 0.0, 1.0, 7)}};
}

}  // namespace select_corpus
