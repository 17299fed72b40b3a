// Random sampling and summary statistics shared by the tuner and the experiments that evaluate
// codes on sampled batches and answered sets (examples/fashion_mnist). Standard library only.
//
// The draws use std::mt19937_64 and no std distribution (their algorithms are implementation-
// defined), so a seed gives the same samples with every standard library. Every function is
// reentrant; the generator is the caller's, so share one between threads only with a lock.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// A uniform integer in [0, n), by rejection (no modulo bias). Throws nercc::invalid_argument
/// unless n >= 1.
inline Index uniform_below(std::mt19937_64& rng, Index n) {
  if (n < 1) throw invalid_argument(detail::message("uniform_below: n (", n, ") must be >= 1"));
  const std::uint64_t range = std::uint64_t(n);
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t v;
  do v = rng();
  while (v >= limit);
  return Index(v % range);
}

/// A uniform double in [0, 1): the top 53 bits of one draw, times 2^-53.
inline double uniform_unit(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

/// `count` distinct values of [0, n), ascending: a uniformly random subset (partial Fisher-Yates,
/// count draws). Throws nercc::invalid_argument unless 0 <= count <= n.
inline std::vector<Index> random_subset(std::mt19937_64& rng, Index n, Index count) {
  if (count < 0 || count > n)
    throw invalid_argument(detail::message("random_subset: count (", count, ") must lie in [0, n (", n, ")]"));
  std::vector<Index> all(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) all[std::size_t(i)] = i;
  for (Index i = 0; i < count; ++i) std::swap(all[std::size_t(i)], all[std::size_t(i + uniform_below(rng, n - i))]);
  all.resize(std::size_t(count));
  std::sort(all.begin(), all.end());
  return all;
}

/// A metric over trials: mean, standard error of the mean (sample standard deviation /
/// sqrt(trials); 0 for one trial, +infinity when the mean is not finite), and the smallest and
/// largest per-trial values. NaN everywhere and trials = 0 when there was no trial.
struct MetricEstimate {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std_error = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  Index trials = 0;
};

/// The MetricEstimate of per-trial values (any order; empty gives the no-trial estimate).
inline MetricEstimate summarise(const std::vector<double>& values) {
  MetricEstimate e;
  e.trials = Index(values.size());
  if (values.empty()) return e;
  double sum = 0.0;
  for (double v : values) sum += v;
  e.mean = sum / double(values.size());
  double squares = 0.0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  e.std_error = values.size() > 1 ? std::sqrt(squares / double(values.size() - 1) / double(values.size())) : 0.0;
  if (!std::isfinite(e.mean)) e.std_error = std::numeric_limits<double>::infinity();
  e.min = *std::min_element(values.begin(), values.end());
  e.max = *std::max_element(values.begin(), values.end());
  return e;
}

/// The position of the largest entry of `row` (the first on ties): the predicted class of a row
/// of logits. Row: anything with size() and operator()(Index), such as an Eigen row or vector.
/// Throws nercc::invalid_argument for an empty row.
template <class Row>
Index argmax_of_row(const Row& row) {
  const Index size = Index(row.size());
  if (size < 1) throw invalid_argument("argmax_of_row: the row is empty");
  Index best = 0;
  for (Index c = 1; c < size; ++c)
    if (row(c) > row(best)) best = c;
  return best;
}

NERCC_NAMESPACE_END
