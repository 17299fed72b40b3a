// The reliability score of a coded estimate, from the geometry of the code alone. Standard
// library only. One function, so that a better-calibrated score can replace it in one place.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Reliability in (0, 1] of the decoder's estimate at query point alpha_k (k = `query`), given
/// the worker points of the usable answers (`answered_points`, any order, at least one):
///
///   r = min_j |alpha_k - beta_j| / g_k,   reliability = 1 / (1 + r^2),
///
/// g_k the distance from alpha_k to the nearest other query point (2, the width of [-1, 1],
/// when K = 1). The coded curve f(u_enc(t)) passes f(x_k) at alpha_k and f(x_k') at the next
/// query point, so it varies on the scale of g_k: an answer a small fraction of g_k from alpha_k
/// (a companion of the clustered layout, a dense worker grid) pins the estimate down (near 1);
/// when the nearest answer is a whole query spacing away, the estimate is an interpolation
/// across a neighbouring query (1/2 at r = 1, 1/5 at r = 2). It is a ranking score, not a
/// probability: only its order is meant to predict which estimates agree with the model.
/// An exact answer has reliability 1 and an unavailable query 0 (QueryProvenance).
///
/// Cost: O(K + |F|) per query; the Decoder computes it once per answered set, with the decoding
/// matrix, and caches it with it, so it is free on a cache hit. Thread-safe (pure).
/// Preconditions (not checked: the Decoder calls it with validated points): query < K,
/// answered_points non-empty.
inline double estimate_reliability(const std::vector<double>& query_points, Index query,
                                   const std::vector<double>& answered_points) {
  const double alpha = query_points[std::size_t(query)];
  double spacing = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < query_points.size(); ++i)
    if (Index(i) != query) spacing = std::min(spacing, std::abs(query_points[i] - alpha));
  if (!std::isfinite(spacing)) spacing = 2.0;
  double nearest = std::numeric_limits<double>::infinity();
  for (double beta : answered_points) nearest = std::min(nearest, std::abs(beta - alpha));
  const double r = nearest / spacing;
  return 1.0 / (1.0 + r * r);
}

NERCC_NAMESPACE_END
