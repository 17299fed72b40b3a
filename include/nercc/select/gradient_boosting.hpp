// Gradient-boosted regression trees (squared loss): the regressor of the BoostedTrees learner.
// Trees grow level by level; each level scans every feature once in its presorted order, so a
// tree costs O(depth * features * rows) after one O(features * rows log rows) sort.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/tune/sampling.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

struct BoostingParams {
  Index trees = 200;
  double learning_rate = 0.1;    ///< shrinkage of each tree's contribution
  Index max_depth = 3;
  Index min_samples_leaf = 3;
  double subsample = 1.0;        ///< fraction of rows each tree is fitted on (drawn from the seed)
  std::uint64_t seed = 1;

  void validate() const {
    using nercc::detail::message;
    if (trees < 1) throw invalid_argument(message("trees (", trees, ") must be >= 1"));
    if (!(learning_rate > 0.0 && learning_rate <= 1.0))
      throw invalid_argument(message("learning_rate (", learning_rate, ") must lie in (0, 1]"));
    if (max_depth < 1) throw invalid_argument(message("max_depth (", max_depth, ") must be >= 1"));
    if (min_samples_leaf < 1) throw invalid_argument(message("min_samples_leaf (", min_samples_leaf, ") must be >= 1"));
    if (!(subsample > 0.0 && subsample <= 1.0))
      throw invalid_argument(message("subsample (", subsample, ") must lie in (0, 1]"));
  }
};

/// y ~ base + learning_rate * sum of trees, each tree fitted to the residuals of the previous.
/// Deterministic given params.seed. predict() is const and thread-safe.
class GradientBoostedTrees {
 public:
  explicit GradientBoostedTrees(BoostingParams params = {}) : params_(params) { params_.validate(); }

  /// Throws nercc::shape_mismatch unless x has y.size() >= 1 rows, non_finite_input for NaN or
  /// infinity in x or y.
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
    using nercc::detail::message;
    if (x.rows() != y.size() || x.rows() < 1)
      throw shape_mismatch(message("boosting: x has ", x.rows(), " rows and y ", y.size(), " values (need equal, >= 1)"));
    if (!x.allFinite() || !y.allFinite()) throw non_finite_input("boosting: x or y holds NaN or infinity");
    const Index n = x.rows(), p = x.cols();
    std::vector<std::vector<Index>> sorted(static_cast<std::size_t>(p), std::vector<Index>(static_cast<std::size_t>(n)));
    for (Index f = 0; f < p; ++f) {
      auto& order = sorted[std::size_t(f)];
      std::iota(order.begin(), order.end(), Index(0));
      std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return x(a, f) < x(b, f); });
    }
    base_ = y.mean();
    Eigen::VectorXd prediction = Eigen::VectorXd::Constant(n, base_);
    std::mt19937_64 rng(params_.seed);
    trees_.clear();
    for (Index t = 0; t < params_.trees; ++t) {
      std::vector<char> active(std::size_t(n), 1);
      if (params_.subsample < 1.0)
        for (Index i = 0; i < n; ++i) active[std::size_t(i)] = uniform_unit(rng) < params_.subsample;
      const Eigen::VectorXd residual = y - prediction;
      trees_.push_back(grow(x, residual, sorted, active));
      for (Index i = 0; i < n; ++i) prediction(i) += params_.learning_rate * evaluate(trees_.back(), x.row(i));
    }
  }

  double predict(const Eigen::RowVectorXd& x) const {
    double s = base_;
    for (const auto& tree : trees_) s += params_.learning_rate * evaluate(tree, x);
    return s;
  }

 private:
  struct Node {
    Index feature = -1;  ///< -1: a leaf
    double threshold = 0.0;
    Index left = -1, right = -1;
    double value = 0.0;
  };
  using Tree = std::vector<Node>;

  static double evaluate(const Tree& tree, const Eigen::RowVectorXd& x) {
    Index k = 0;
    while (tree[std::size_t(k)].feature >= 0)
      k = x(tree[std::size_t(k)].feature) <= tree[std::size_t(k)].threshold ? tree[std::size_t(k)].left
                                                                              : tree[std::size_t(k)].right;
    return tree[std::size_t(k)].value;
  }

  Tree grow(const Eigen::MatrixXd& x, const Eigen::VectorXd& r, const std::vector<std::vector<Index>>& sorted,
            const std::vector<char>& active) const {
    const Index n = x.rows(), p = x.cols();
    Tree tree(1);
    std::vector<Index> node_of(std::size_t(n), -1);
    double sum = 0.0;
    Index count = 0;
    for (Index i = 0; i < n; ++i)
      if (active[std::size_t(i)]) node_of[std::size_t(i)] = 0, sum += r(i), ++count;
    if (count == 0) return tree;
    tree[0].value = sum / double(count);
    std::vector<Index> frontier = {0};
    struct Stats {
      double sum = 0.0;
      Index count = 0;
    };
    for (Index depth = 0; depth < params_.max_depth && !frontier.empty(); ++depth) {
      const std::size_t m = frontier.size();
      std::vector<Index> slot(tree.size(), -1);
      for (std::size_t s = 0; s < m; ++s) slot[std::size_t(frontier[s])] = Index(s);
      std::vector<Stats> total(m);
      for (Index i = 0; i < n; ++i) {
        const Index node = node_of[std::size_t(i)];
        if (node >= 0 && slot[std::size_t(node)] >= 0) {
          total[std::size_t(slot[std::size_t(node)])].sum += r(i);
          ++total[std::size_t(slot[std::size_t(node)])].count;
        }
      }
      std::vector<double> best_gain(m, 1e-12);
      std::vector<Index> best_feature(m, -1);
      std::vector<double> best_threshold(m, 0.0);
      for (Index f = 0; f < p; ++f) {
        std::vector<Stats> left(m);
        std::vector<double> last(m, 0.0);
        for (Index i : sorted[std::size_t(f)]) {
          const Index node = node_of[std::size_t(i)];
          if (node < 0 || slot[std::size_t(node)] < 0) continue;
          const std::size_t s = std::size_t(slot[std::size_t(node)]);
          const double v = x(i, f);
          const Index nl = left[s].count, nr = total[s].count - nl;
          if (nl >= params_.min_samples_leaf && nr >= params_.min_samples_leaf && v > last[s]) {
            const double sl = left[s].sum, sr = total[s].sum - sl;
            const double gain = sl * sl / double(nl) + sr * sr / double(nr) - total[s].sum * total[s].sum / double(total[s].count);
            if (gain > best_gain[s]) best_gain[s] = gain, best_feature[s] = f, best_threshold[s] = 0.5 * (last[s] + v);
          }
          left[s].sum += r(i);
          ++left[s].count;
          last[s] = v;
        }
      }
      std::vector<Index> next;
      for (std::size_t s = 0; s < m; ++s) {
        if (best_feature[s] < 0) continue;
        const Index node = frontier[s];
        tree[std::size_t(node)].feature = best_feature[s];
        tree[std::size_t(node)].threshold = best_threshold[s];
        tree[std::size_t(node)].left = Index(tree.size());
        tree[std::size_t(node)].right = Index(tree.size()) + 1;
        tree.emplace_back();
        tree.emplace_back();
        next.push_back(tree[std::size_t(node)].left);
        next.push_back(tree[std::size_t(node)].right);
      }
      std::vector<Stats> child(tree.size());
      for (Index i = 0; i < n; ++i) {
        Index& node = node_of[std::size_t(i)];
        if (node < 0 || tree[std::size_t(node)].feature < 0 || slot.size() <= std::size_t(node) || slot[std::size_t(node)] < 0)
          continue;
        const Node& parent = tree[std::size_t(node)];
        node = x(i, parent.feature) <= parent.threshold ? parent.left : parent.right;
        child[std::size_t(node)].sum += r(i);
        ++child[std::size_t(node)].count;
      }
      for (Index c : next) tree[std::size_t(c)].value = child[std::size_t(c)].sum / double(child[std::size_t(c)].count);
      frontier = std::move(next);
    }
    return tree;
  }

  BoostingParams params_;
  double base_ = 0.0;
  std::vector<Tree> trees_;
};

}  // namespace select
NERCC_NAMESPACE_END
