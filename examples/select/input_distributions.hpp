// Input distributions of the corpus's data-backed tasks: a base set of typical queries (a test
// split, in its order), a class-conditional subset of it, and noisy copies. Part of the
// corpus-builder example, not of the library.
#pragma once

#include "task.hpp"

#include <nercc/select/random.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace select_corpus {

/// The first `rows` rows of `x` whose label is in `classes`, in their order. Throws
/// std::runtime_error when fewer qualify.
template <class Label>
Matrix class_subset(const Matrix& x, const std::vector<Label>& labels, const std::vector<int>& classes, nercc::Index rows) {
  Matrix out(rows, x.cols());
  nercc::Index taken = 0;
  for (nercc::Index i = 0; i < x.rows() && taken < rows; ++i)
    if (std::find(classes.begin(), classes.end(), int(labels[std::size_t(i)])) != classes.end())
      out.row(taken++) = x.row(i);
  if (taken < rows)
    throw std::runtime_error("class_subset: only " + std::to_string(taken) + " rows of the chosen classes, " +
                             std::to_string(rows) + " wanted");
  return out;
}

/// x + N(0, sigma^2) noise on every entry, clamped to [lo, hi] (pass infinities for none).
inline Matrix noisy(const Matrix& x, double sigma, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Matrix out = x;
  for (nercc::Index i = 0; i < out.size(); ++i)
    out.data()[i] = std::clamp(out.data()[i] + sigma * nercc::select::standard_normal(rng), lo, hi);
  return out;
}

/// The rows of x in a random order (related arrivals made unrelated).
inline Matrix shuffled(const Matrix& x, std::uint64_t seed) {
  std::vector<nercc::Index> order(std::size_t(x.rows()));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = nercc::Index(i);
  std::mt19937_64 rng(seed);  // Fisher-Yates with the library's draws (random_subset sorts its subset)
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[std::size_t(nercc::uniform_below(rng, nercc::Index(i)))]);
  Matrix out(x.rows(), x.cols());
  for (nercc::Index i = 0; i < x.rows(); ++i) out.row(i) = x.row(order[std::size_t(i)]);
  return out;
}

}  // namespace select_corpus
