// Helpers shared by the coding tests: random data and answered sets.
#pragma once

#include <nercc/types.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace nercc_test {

/// r x c standard normal entries, deterministic for a seed.
template <class S>
nercc::RowMatrix<S> random_matrix(nercc::Index r, nercc::Index c, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<double> nd;
  nercc::RowMatrix<S> m(r, c);
  for (nercc::Index i = 0; i < m.size(); ++i) m.data()[i] = S(nd(g));
  return m;
}

/// `keep` distinct worker ids out of n, in random order.
inline std::vector<nercc::Index> random_subset(nercc::Index n, nercc::Index keep, std::uint32_t seed) {
  std::vector<nercc::Index> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), nercc::Index(0));
  std::mt19937 g(seed);
  std::shuffle(ids.begin(), ids.end(), g);
  ids.resize(std::size_t(keep));
  return ids;
}

/// The rows of m named by ids, in that order (what the answered workers send back).
template <class S>
nercc::RowMatrix<S> rows_of(const nercc::RowMatrix<S>& m, const std::vector<nercc::Index>& ids) {
  nercc::RowMatrix<S> out(nercc::Index(ids.size()), m.cols());
  for (std::size_t j = 0; j < ids.size(); ++j) out.row(nercc::Index(j)) = m.row(ids[j]);
  return out;
}

}  // namespace nercc_test
