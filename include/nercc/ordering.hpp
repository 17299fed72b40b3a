// Query ordering: which of the K queries goes to which query point alpha_i. The encoder threads
// its curve through the queries in this order, so an order in which consecutive queries are
// similar gives a shorter, smoother curve and a more accurate decoder. CodeParams::ordering
// applies it inside Encoder/Decoder.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/types.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {

/// SplitMix64 finaliser: a stateless hash of a counter, so any projection entry is computable alone.
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Columns of X handled at a time: bounds the double-precision temporaries to K x 512.
constexpr Index ordering_block = 512;

/// Gram matrix G = Xc Xc^T (K x K, double) of the centred rows Xc = X - 1 mean^T. O(K^2 d).
template <class S>
RowMatrix<double> centred_gram(const Eigen::Ref<const RowMatrix<S>>& x) {
  const Index k = x.rows(), d = x.cols();
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(d);
  for (Index r = 0; r < k; ++r) mean += x.row(r).template cast<double>();
  mean /= double(k);
  RowMatrix<double> g = RowMatrix<double>::Zero(k, k);
  RowMatrix<double> block;
  for (Index c0 = 0; c0 < d; c0 += ordering_block) {
    const Index b = std::min(ordering_block, d - c0);
    block = x.middleCols(c0, b).template cast<double>().rowwise() - mean.segment(c0, b);
    g.selfadjointView<Eigen::Lower>().rankUpdate(block);
  }
  g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
  return g;
}

/// The rows of X projected to p dimensions (K x p, double, not centred).
template <class S>
RowMatrix<double> project_rows(const Eigen::Ref<const RowMatrix<S>>& x, const OrderingOptions& options) {
  const Index k = x.rows(), d = x.cols(), p = options.projection_dim;
  RowMatrix<double> y = RowMatrix<double>::Zero(k, p);
  const std::uint64_t key = mix64(options.seed);
  if (options.projection == Projection::count_sketch) {
    // Bucket and sign once per coordinate (a hash and a division), then K cheap passes.
    std::vector<Index> bucket(static_cast<std::size_t>(d));
    std::vector<double> sign(static_cast<std::size_t>(d));
    for (Index c = 0; c < d; ++c) {
      const std::uint64_t h = mix64(key ^ std::uint64_t(c));
      bucket[std::size_t(c)] = Index((h >> 1) % std::uint64_t(p));
      sign[std::size_t(c)] = (h & 1) ? -1.0 : 1.0;
    }
    for (Index r = 0; r < k; ++r) {
      const S* row = x.row(r).data();
      double* out = y.row(r).data();
      for (Index c = 0; c < d; ++c) out[bucket[std::size_t(c)]] += sign[std::size_t(c)] * double(row[c]);
    }
    return y;
  }
  const Index words = (p + 63) / 64;  // 64 signs per hash
  RowMatrix<double> block, signs;
  for (Index c0 = 0; c0 < d; c0 += ordering_block) {
    const Index b = std::min(ordering_block, d - c0);
    signs.resize(b, p);
    for (Index i = 0; i < b; ++i)
      for (Index w = 0; w < words; ++w) {
        const std::uint64_t bits = mix64(key ^ std::uint64_t((c0 + i) * words + w));
        for (Index j = w * 64; j < std::min(p, w * 64 + 64); ++j) signs(i, j) = ((bits >> (j - w * 64)) & 1) ? -1.0 : 1.0;
      }
    block = x.middleCols(c0, b).template cast<double>();
    y.noalias() += block * signs;
  }
  return y / std::sqrt(double(p));
}

/// The centred Gram matrix of the rows, exact or on the projection the options ask for.
template <class S>
RowMatrix<double> ordering_gram(const Eigen::Ref<const RowMatrix<S>>& x, const OrderingOptions& options) {
  if (options.projection_dim == 0 || options.projection_dim >= x.cols()) return centred_gram<S>(x);
  RowMatrix<double> y = project_rows<S>(x, options);
  y.rowwise() -= y.colwise().mean();
  return y * y.transpose();
}

/// Euclidean distances from a Gram matrix: D_ij = sqrt(G_ii + G_jj - 2 G_ij), clamped at 0.
inline RowMatrix<double> distances_from_gram(const RowMatrix<double>& g) {
  const Index k = g.rows();
  RowMatrix<double> dist(k, k);
  for (Index i = 0; i < k; ++i)
    for (Index j = 0; j < k; ++j) dist(i, j) = i == j ? 0.0 : std::sqrt(std::max(0.0, g(i, i) + g(j, j) - 2.0 * g(i, j)));
  return dist;
}

inline double chain_length(const RowMatrix<double>& dist, const std::vector<Index>& perm) {
  double s = 0;
  for (std::size_t i = 1; i < perm.size(); ++i) s += dist(perm[i - 1], perm[i]);
  return s;
}

/// Nearest-neighbour chain from `start`; ties go to the lower index. O(K^2).
inline std::vector<Index> greedy_from(const RowMatrix<double>& dist, Index start) {
  const Index k = dist.rows();
  std::vector<Index> perm{start};
  std::vector<char> used(std::size_t(k), 0);
  used[std::size_t(start)] = 1;
  for (Index step = 1; step < k; ++step) {
    const Index at = perm.back();
    Index next = -1;
    for (Index j = 0; j < k; ++j)
      if (!used[std::size_t(j)] && (next < 0 || dist(at, j) < dist(at, next))) next = j;
    used[std::size_t(next)] = 1;
    perm.push_back(next);
  }
  return perm;
}

inline std::vector<Index> greedy_chain(const RowMatrix<double>& dist, ChainStart start) {
  const Index k = dist.rows();
  if (start == ChainStart::farthest_pair) {
    Index far = 0;
    double best = -1;
    for (Index i = 0; i < k; ++i)
      for (Index j = i + 1; j < k; ++j)
        if (dist(i, j) > best) best = dist(i, j), far = i;
    return greedy_from(dist, far);
  }
  std::vector<Index> best = greedy_from(dist, 0);
  double best_length = chain_length(dist, best);
  for (Index s = 1; s < k; ++s) {
    std::vector<Index> perm = greedy_from(dist, s);
    const double length = chain_length(dist, perm);
    if (length < best_length) best = std::move(perm), best_length = length;
  }
  return best;
}

/// 2-opt on the open path: reverse perm[i..j] whenever that shortens it (first improvement).
/// A reversal changes at most the two edges around the segment; at the ends there is no edge.
inline void two_opt(const RowMatrix<double>& dist, std::vector<Index>& perm, int max_passes) {
  const Index k = Index(perm.size());
  // Moves must gain more than rounding, or equal-length reversals could cycle.
  const double eps = 1e-12 * chain_length(dist, perm);
  auto at = [&](Index i) { return perm[std::size_t(i)]; };
  for (int pass = 0; pass < max_passes; ++pass) {
    bool improved = false;
    for (Index i = 0; i + 1 < k; ++i)
      for (Index j = i + 1; j < k; ++j) {
        double before = 0, after = 0;
        if (i > 0) before += dist(at(i - 1), at(i)), after += dist(at(i - 1), at(j));
        if (j + 1 < k) before += dist(at(j), at(j + 1)), after += dist(at(i), at(j + 1));
        if (after < before - eps) {
          std::reverse(perm.begin() + i, perm.begin() + j + 1);
          improved = true;
        }
      }
    if (!improved) return;
  }
}

/// Queries sorted by their score on the leading eigenvector of G = Xc Xc^T. Power iteration on G
/// is power iteration on the covariance Xc^T Xc seen through the rows (v = Xc^T u gives
/// Xc v = G u), so the scores come out without a d-dimensional vector. The start G e_m, m the
/// row farthest from the mean, is deterministic and zero only when all rows are equal.
inline std::vector<Index> principal_order(const RowMatrix<double>& g, const OrderingOptions& options) {
  std::vector<Index> perm = identity_permutation(g.rows());
  Index m = 0;
  g.diagonal().maxCoeff(&m);
  Eigen::VectorXd u = g.col(m);
  if (!(u.norm() > 0)) return perm;
  u.normalize();
  for (int it = 0; it < options.max_power_iterations; ++it) {
    Eigen::VectorXd next = g * u;
    const double norm = next.norm();
    if (!(norm > 0)) break;
    next /= norm;
    const double moved = (next - u).norm();
    u = next;
    if (moved < options.power_tolerance) break;
  }
  std::stable_sort(perm.begin(), perm.end(), [&](Index a, Index b) { return u[a] < u[b]; });
  return perm;
}

template <class S>
double path_length(const Eigen::Ref<const RowMatrix<S>>& x, const std::vector<Index>& perm) {
  check_permutation("path_length", perm, x.rows());
  double s = 0;
  for (std::size_t i = 1; i < perm.size(); ++i)
    s += (x.row(perm[i]).template cast<double>() - x.row(perm[i - 1]).template cast<double>()).norm();
  return s;
}

template <class S>
std::vector<Index> order_queries(const Eigen::Ref<const RowMatrix<S>>& x, OrderingMethod method,
                                 const OrderingOptions& options) {
  options.validate();
  const Index k = x.rows();
  if (k < 1) throw invalid_argument(message("order_queries: X has ", k, " rows, expected K >= 1 queries"));
  check_ordering_method("order_queries: method", method);
  const std::vector<Index> identity = identity_permutation(k);
  if (method == OrderingMethod::as_given || k < 3) {  // with K <= 2 every order has the same path
    check_finite_rows(x, "X");
    return identity;
  }
  const RowMatrix<double> g = ordering_gram<S>(x, options);
  // A NaN or infinity anywhere in X makes G non-finite (through the column mean or the projected
  // sums), so the costly element-wise scan of X runs only to name the row.
  if (!g.allFinite()) check_finite_rows(x, "X");
  std::vector<Index> perm;
  if (method == OrderingMethod::principal_direction) {
    perm = principal_order(g, options);
  } else {
    const RowMatrix<double> dist = distances_from_gram(g);
    perm = greedy_chain(dist, options.chain_start);
    if (method == OrderingMethod::greedy_two_opt) two_opt(dist, perm, options.max_two_opt_passes);
  }
  // The heuristics work on Gram-derived (maybe projected) distances; measured exactly, keep the
  // caller's order unless the new one is shorter by more than rounding (a mere reversal is not).
  return path_length<S>(x, perm) < (1 - 1e-12) * path_length<S>(x, identity) ? perm : identity;
}

template <class Derived>
using ordering_scalar = typename Derived::Scalar;

template <class Derived>
constexpr void check_ordering_scalar() {
  static_assert(std::is_same<ordering_scalar<Derived>, float>::value || std::is_same<ordering_scalar<Derived>, double>::value,
                "nercc::order_queries / path_length: the queries must be float or double");
}

}  // namespace detail

/// The open path length sum_{i=1}^{K-1} ||x_{perm[i]} - x_{perm[i-1]}||_2 of the rows of X
/// (K x d, float or double) visited in the order perm, accumulated in double. O(K d).
/// Throws nercc::invalid_argument unless perm is a permutation of 0..K-1. Thread-safe (pure).
template <class Derived>
double path_length(const Eigen::MatrixBase<Derived>& x, const std::vector<Index>& perm) {
  detail::check_ordering_scalar<Derived>();
  using S = detail::ordering_scalar<Derived>;
  return detail::path_length<S>(Eigen::Ref<const RowMatrix<S>>(x.derived()), perm);
}

/// The inverse permutation: inv[perm[i]] = i, so query point inv[k] holds query k. O(K).
/// Throws nercc::invalid_argument unless perm is a permutation of 0..size-1. Thread-safe (pure).
inline std::vector<Index> invert_permutation(const std::vector<Index>& perm) {
  detail::check_permutation("invert_permutation", perm, Index(perm.size()));
  std::vector<Index> inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[std::size_t(perm[i])] = Index(i);
  return inv;
}

/// An order of the K queries (rows of X, K x d, float or double): perm[i] is the row placed at
/// query point i. The goal is a short open path sum_i ||x_{perm[i+1]} - x_{perm[i]}||.
///
/// Cost (D: the distances, from the centred Gram matrix, accumulated in double):
///   - D exact: O(K^2 d); with options.projection_dim = p in [1, d): rademacher O(K d p),
///     count_sketch O(K d), plus O(K^2 p) for the Gram matrix of the projection.
///   - greedy_chain: O(K^3) from the best of all starts, O(K^2) from the farthest pair.
///   - greedy_two_opt: the chain plus O(K^2) per 2-opt sweep.
///   - principal_direction: O(K^2) per power iteration on the Gram matrix, then a sort.
///   - Every method except as_given ends with two exact path lengths, O(K d).
///
/// Guarantees: the result is a permutation of 0..K-1, a function of (X, method, options) alone;
/// its exact path_length is never longer than as_given's, because the identity is returned
/// unless the heuristic's order is shorter by more than a relative 1e-12; greedy_two_opt's path
/// on D is never longer than greedy_chain's (it starts there and only accepts improving moves).
/// With K <= 2 every method returns the identity. A projection makes D approximate (Johnson-Lindenstrauss: relative
/// distance errors about 1/sqrt(p)), so the heuristics may do worse than on exact distances.
///
/// Throws nercc::invalid_argument for K < 1, a bad method or a bad option (naming the field),
/// nercc::non_finite_input if X holds NaN or infinity. Thread-safe (pure; allocates O(K^2 +
/// K * 512) doubles, plus O(d) for the mean or the count_sketch hashes; an X that is not
/// row-major contiguous is copied once).
template <class Derived>
std::vector<Index> order_queries(const Eigen::MatrixBase<Derived>& x, OrderingMethod method,
                                 const OrderingOptions& options = {}) {
  detail::check_ordering_scalar<Derived>();
  using S = detail::ordering_scalar<Derived>;
  return detail::order_queries<S>(Eigen::Ref<const RowMatrix<S>>(x.derived()), method, options);
}

NERCC_NAMESPACE_END
