// The configuration of query ordering (which query goes to which query point), shared by
// CodeParams and order_queries, and the permutation checks the codes need.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/small_buffer.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// How order_queries chooses the order.
enum class OrderingMethod {
  as_given,             ///< the identity: query k at point k
  greedy_chain,         ///< nearest-neighbour chain: from a start, always step to the closest unvisited query
  greedy_two_opt,       ///< the greedy chain, then 2-opt segment reversals while the open path shortens
  principal_direction,  ///< sorted by the score on the leading principal direction of the centred queries
};

inline const char* to_string(OrderingMethod method) {
  switch (method) {
    case OrderingMethod::as_given: return "as_given";
    case OrderingMethod::greedy_chain: return "greedy_chain";
    case OrderingMethod::greedy_two_opt: return "greedy_two_opt";
    case OrderingMethod::principal_direction: return "principal_direction";
  }
  return "unknown";
}

/// The order of one encoded batch: position i (query point alpha_i) holds query order[i].
using QueryOrder = std::vector<Index>;

/// Where the greedy chain starts.
enum class ChainStart {
  best_of_all,    ///< run the chain from every query and keep the shortest: O(K^3) on the distances
  farthest_pair,  ///< start at the lower-index end of the farthest pair: O(K^2)
};

/// The random projection used when OrderingOptions::projection_dim is in [1, d).
enum class Projection {
  /// y = x R / sqrt(p) with R (d x p) of independent +-1 entries: O(K d p) for the projection.
  rademacher,
  /// Sparse sign (CountSketch): coordinate c of x is added with sign s(c) to output h(c);
  /// unbiased inner products like rademacher, a little more variance, O(K d) for the projection.
  count_sketch,
};

/// Options of order_queries. An aggregate: set the fields, then validate() (order_queries calls it).
struct OrderingOptions {
  /// p: 0 computes exact distances (O(K^2 d)); p in [1, d) computes them on a seeded random
  /// projection of the queries to p dimensions; p >= d is the same as 0.
  Index projection_dim = 0;
  Projection projection = Projection::rademacher;
  /// Seed of the projection; the signs are a hash of (seed, coordinate), so they are the same with
  /// every standard library and do not depend on how the work is blocked.
  std::uint64_t seed = 0x6e65726363ULL;
  ChainStart chain_start = ChainStart::best_of_all;
  /// Upper bound on the 2-opt sweeps (each O(K^2)); the search usually stops far earlier.
  int max_two_opt_passes = 100;
  /// Upper bound on the power iterations of principal_direction (each O(K^2)).
  int max_power_iterations = 500;
  /// The power iteration stops when the unit iterate moves less than this (2-norm).
  double power_tolerance = 1e-12;

  /// Throws nercc::invalid_argument naming the first bad field and its value.
  void validate() const {
    using detail::message;
    if (projection_dim < 0) throw invalid_argument(message("projection_dim (", projection_dim, ") must be >= 0"));
    if (projection != Projection::rademacher && projection != Projection::count_sketch)
      throw invalid_argument(message("projection (", int(projection), ") is not a nercc::Projection"));
    if (chain_start != ChainStart::best_of_all && chain_start != ChainStart::farthest_pair)
      throw invalid_argument(message("chain_start (", int(chain_start), ") is not a nercc::ChainStart"));
    if (max_two_opt_passes < 1)
      throw invalid_argument(message("max_two_opt_passes (", max_two_opt_passes, ") must be >= 1"));
    if (max_power_iterations < 1)
      throw invalid_argument(message("max_power_iterations (", max_power_iterations, ") must be >= 1"));
    if (!(power_tolerance > 0) || !std::isfinite(power_tolerance))
      throw invalid_argument(message("power_tolerance (", power_tolerance, ") must be finite and > 0"));
  }
};

namespace detail {

/// Throws unless perm holds each of 0..n-1 exactly once; the message starts with `function` and
/// calls the vector `argument`. Allocates nothing for n <= 1024.
inline void check_permutation(const char* function, const std::vector<Index>& perm, Index n,
                              const char* argument = "perm") {
  if (Index(perm.size()) != n)
    throw invalid_argument(message(function, ": ", argument, " has ", perm.size(), " entries, expected ", n));
  SmallBuffer<char, 1024> seen(perm.size(), 0);
  for (std::size_t i = 0; i < perm.size(); ++i) {
    const Index v = perm[i];
    if (v < 0 || v >= n)
      throw invalid_argument(message(function, ": ", argument, "[", i, "] (", v, ") is outside [0, ", n, ")"));
    if (seen[std::size_t(v)])
      throw invalid_argument(message(function, ": ", argument, " repeats ", v, " (at index ", i, ")"));
    seen[std::size_t(v)] = 1;
  }
}

/// Throws unless `method` is one of the OrderingMethod values; names `field`.
inline void check_ordering_method(const char* field, OrderingMethod method) {
  if (method != OrderingMethod::as_given && method != OrderingMethod::greedy_chain &&
      method != OrderingMethod::greedy_two_opt && method != OrderingMethod::principal_direction)
    throw invalid_argument(message(field, " (", int(method), ") is not a nercc::OrderingMethod"));
}

inline std::vector<Index> identity_permutation(Index n) {
  std::vector<Index> perm(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) perm[std::size_t(i)] = i;
  return perm;
}

}  // namespace detail

NERCC_NAMESPACE_END
