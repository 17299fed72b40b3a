// k-means clustering (Lloyd's iterations from k-means++ seeds, best of several restarts), the
// mechanism of the ISAC learner. Deterministic given the seed.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/tune/sampling.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

struct KMeansParams {
  Index clusters = 3;        ///< k; clamped to the number of distinct-enough rows given
  Index restarts = 8;        ///< k-means++ seedings tried; the lowest within-cluster sum wins
  Index max_iterations = 100;
  std::uint64_t seed = 1;

  void validate() const {
    using nercc::detail::message;
    if (clusters < 1) throw invalid_argument(message("clusters (", clusters, ") must be >= 1"));
    if (restarts < 1) throw invalid_argument(message("restarts (", restarts, ") must be >= 1"));
    if (max_iterations < 1) throw invalid_argument(message("max_iterations (", max_iterations, ") must be >= 1"));
  }
};

struct KMeansResult {
  Eigen::MatrixXd centroids;    ///< clusters x dims
  std::vector<Index> assignment;  ///< cluster of each row
  double inertia = 0.0;         ///< sum of squared distances to the assigned centroids
};

/// The index of the row of `centroids` nearest to `x` (Euclidean; ties: the lowest index).
inline Index nearest_row(const Eigen::MatrixXd& centroids, const Eigen::RowVectorXd& x) {
  Index best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (Index c = 0; c < centroids.rows(); ++c) {
    const double d = (centroids.row(c) - x).squaredNorm();
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

/// k-means of the rows of `x` with min(params.clusters, rows) clusters. A cluster left empty
/// by an iteration keeps its centroid. Throws nercc::invalid_argument for bad params or no row.
inline KMeansResult kmeans(const Eigen::MatrixXd& x, const KMeansParams& params) {
  params.validate();
  const Index n = x.rows();
  if (n < 1) throw invalid_argument("kmeans: no row to cluster");
  const Index k = std::min(params.clusters, n);
  std::mt19937_64 rng(params.seed);
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (Index restart = 0; restart < params.restarts; ++restart) {
    // k-means++: each next seed drawn with probability proportional to the squared distance.
    Eigen::MatrixXd centroids(k, x.cols());
    centroids.row(0) = x.row(uniform_below(rng, n));
    Eigen::VectorXd d2(n);
    for (Index i = 0; i < n; ++i) d2(i) = (x.row(i) - centroids.row(0)).squaredNorm();
    for (Index c = 1; c < k; ++c) {
      const double total = d2.sum();
      Index pick = uniform_below(rng, n);
      if (total > 0.0) {
        double r = uniform_unit(rng) * total;
        for (pick = 0; pick < n - 1 && (r -= d2(pick)) >= 0.0; ++pick) {
        }
      }
      centroids.row(c) = x.row(pick);
      for (Index i = 0; i < n; ++i) d2(i) = std::min(d2(i), (x.row(i) - centroids.row(c)).squaredNorm());
    }
    std::vector<Index> assignment(std::size_t(n), -1);
    for (Index it = 0; it < params.max_iterations; ++it) {
      bool changed = false;
      for (Index i = 0; i < n; ++i) {
        const Index c = nearest_row(centroids, x.row(i));
        changed = changed || c != assignment[std::size_t(i)];
        assignment[std::size_t(i)] = c;
      }
      if (!changed) break;
      Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, x.cols());
      Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
      for (Index i = 0; i < n; ++i) sums.row(assignment[std::size_t(i)]) += x.row(i), counts(assignment[std::size_t(i)]) += 1;
      for (Index c = 0; c < k; ++c)
        if (counts(c) > 0) centroids.row(c) = sums.row(c) / counts(c);
    }
    double inertia = 0.0;
    for (Index i = 0; i < n; ++i) inertia += (x.row(i) - centroids.row(assignment[std::size_t(i)])).squaredNorm();
    if (inertia < best.inertia) best = KMeansResult{centroids, assignment, inertia};
  }
  return best;
}

}  // namespace select
NERCC_NAMESPACE_END
