// Shapes and inputs shared by the benchmark files.
#pragma once

#include <nercc/nercc.hpp>

#include <algorithm>
#include <random>
#include <vector>

namespace nercc_bench {

/// Answered workers when a tenth of the N workers straggle (at least K answer).
inline nercc::Index answered(nercc::Index n, nercc::Index k) { return std::max(k, n - n / 10); }

/// The code of the decode benchmarks: N workers, K queries, a little decoder smoothing.
inline nercc::CodeParams decoder_params(nercc::Index n, nercc::Index k) {
  nercc::CodeParams p;
  p.num_workers = n;
  p.num_queries = k;
  p.lambda_dec = 1e-3;
  return p;
}

/// A sorted random set of `f` distinct worker ids in [0, n).
inline std::vector<nercc::Index> random_set(nercc::Index n, nercc::Index f, std::mt19937_64& rng) {
  std::vector<nercc::Index> all(static_cast<std::size_t>(n));
  for (nercc::Index i = 0; i < n; ++i) all[std::size_t(i)] = i;
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(std::size_t(f));
  std::sort(all.begin(), all.end());
  return all;
}

template <class S>
nercc::RowMatrix<S> random_matrix(nercc::Index rows, nercc::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<S> u(S(-1), S(1));
  nercc::RowMatrix<S> m(rows, cols);
  for (nercc::Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

}  // namespace nercc_bench
