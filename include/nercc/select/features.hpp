// Cheap task features: what the selector knows of a new task before calibrating anything, from
// a few model evaluations on typical queries. Each feature's cost in model evaluations (rows
// passed to the model) is documented with it; task_features() reports the total.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/params.hpp>
#include <nercc/plan/profile.hpp>
#include <nercc/schemes.hpp>
#include <nercc/tune/sampling.hpp>
#include <nercc/types.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

struct FeatureParams {
  Index num_queries = 8;     ///< K of the probe's coding curves and of the query groups
  Index num_workers = 16;    ///< N: points along each coding curve (>= 3)
  Index curve_groups = 8;    ///< random K-subsets the curvature probe runs through
  Index chords = 16;         ///< random chords between two typical queries
  Index chord_points = 9;    ///< points along each chord (>= 3)
  Index sample_queries = 64; ///< typical queries for the margins and the pair distances (0: every row)
  std::uint64_t seed = 1;

  void validate() const {
    using nercc::detail::message;
    if (num_queries < 2) throw invalid_argument(message("num_queries (", num_queries, ") must be >= 2"));
    if (num_workers < 3 || num_workers < num_queries)
      throw invalid_argument(message("num_workers (", num_workers, ") must be >= 3 and >= num_queries (", num_queries, ")"));
    if (curve_groups < 1) throw invalid_argument(message("curve_groups (", curve_groups, ") must be >= 1"));
    if (chords < 1) throw invalid_argument(message("chords (", chords, ") must be >= 1"));
    if (chord_points < 3) throw invalid_argument(message("chord_points (", chord_points, ") must be >= 3"));
    if (sample_queries < 0) throw invalid_argument(message("sample_queries (", sample_queries, ") must be >= 0"));
  }
};

/// Named feature values and what they cost.
struct TaskFeatures {
  std::vector<std::string> names;
  std::vector<double> values;
  double model_evaluations = 0.0;  ///< rows passed to the model, all features together

  double operator[](const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return values[i];
    throw invalid_argument(nercc::detail::message("no task feature named '", name, "'"));
  }
};

/// The features of a model on typical queries (rows of `queries`, in arrival order), with
/// p = curve_groups, P = chord_points, M = min(sample_queries, rows) (all rows when 0):
///
/// - input_dim, output_dim: d and m. Free (m from the margin evaluations).
/// - curvature_q50, curvature_q90: the coding-curve probe. Each of p random K-subsets is
///   encoded with Berrut's code (K, N) (nercc's Encoder), giving N points u_n on the curve
///   through it; at each interior point, with the tangent step delta = (u_{n+1} - u_{n-1}) / 2,
///   || f(u + delta) - 2 f(u) + f(u - delta) || / ||delta||^2, the model's own second
///   derivative along the curve (f''[u', u'] / |u'|^2: 0 for a linear model; the curve's own
///   bending, common to every model, is left out). Quantiles over all p (N - 2) points.
///   Cost: 3 p (N - 2) evaluations.
/// - lipschitz_q50, lipschitz_q90, second_difference_q50, second_difference_q90: along each
///   of `chords` segments between two random distinct typical queries, at P equally spaced
///   points x_j (step h), ||f(x_{j+1}) - f(x_j)|| / h and
///   ||f(x_{j+1}) - 2 f(x_j) + f(x_{j-1})|| / h^2; quantiles over all chords.
///   Cost: chords * P evaluations.
/// - margin_q10, margin_q50: on M typical queries, the gap between the largest and the second
///   largest output (how far a query is from an argmax flip); |f| when m = 1. output_sd: the
///   standard deviation of all their outputs (the scale the MSE is measured in).
///   Cost: M evaluations.
/// - group_distance_ratio: the mean distance between queries of one group (consecutive blocks
///   of K rows, the groups serving forms), divided by the mean distance between any two of the
///   M sampled queries: below 1 when related queries arrive together. Free.
/// Quantiles are order statistics x_(ceil(q n)); 0 when no point qualifies (every chord or
/// tangent step of zero length). Random draws come from params.seed.
///
/// model: callable as model(const RowMatrix<S>&) returning one output row per input row, as for
/// tune_lambdas; it is called a few times with stacked rows, on the calling thread; its
/// exceptions propagate. Throws nercc::invalid_argument for bad params or fewer than K rows,
/// non_finite_input for non-finite queries or model outputs, shape_mismatch for a model that
/// returns the wrong number of rows.
template <class Derived, class Model>
TaskFeatures task_features(const FeatureParams& params, const Eigen::MatrixBase<Derived>& queries, Model&& model) {
  using S = typename Derived::Scalar;
  static_assert(std::is_floating_point<S>::value, "nercc::select::task_features: queries must hold float or double");
  using nercc::detail::message;
  params.validate();
  const Index rows = queries.rows(), d = queries.cols(), k = params.num_queries, n = params.num_workers;
  if (rows < k) throw invalid_argument(message("queries has ", rows, " rows, fewer than num_queries (", k, ")"));
  nercc::detail::check_finite_rows(queries, "queries");
  const RowMatrix<S> x = queries;
  TaskFeatures out;
  auto evaluate = [&](const RowMatrix<S>& in, const char* probe) {
    const RowMatrix<S> y = model(in);
    if (y.rows() != in.rows())
      throw shape_mismatch(message("model returned ", y.rows(), " rows for ", in.rows(), " inputs (", probe, ")"));
    if (!y.allFinite()) throw non_finite_input(message("model returned NaN or infinity (", probe, ")"));
    out.model_evaluations += double(in.rows());
    return Eigen::MatrixXd(y.template cast<double>());
  };
  auto quantiles = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : plan::detail::order_quantile(v, q);
  };
  auto add = [&](const char* name, double value) {
    out.names.push_back(name);
    out.values.push_back(value);
  };
  std::mt19937_64 rng(params.seed);

  // The typical-query sample: margins, output scale, pair distances.
  const Index m_rows = params.sample_queries == 0 ? rows : std::min(params.sample_queries, rows);
  const std::vector<Index> sample = random_subset(rng, rows, m_rows);
  RowMatrix<S> sampled(m_rows, d);
  for (Index i = 0; i < m_rows; ++i) sampled.row(i) = x.row(sample[std::size_t(i)]);
  const Eigen::MatrixXd outputs = evaluate(sampled, "margins");
  const Index m = outputs.cols();
  std::vector<double> margins;
  for (Index i = 0; i < m_rows; ++i) {
    if (m == 1) {
      margins.push_back(std::abs(outputs(i, 0)));
      continue;
    }
    double top = -std::numeric_limits<double>::infinity(), second = top;
    for (Index j = 0; j < m; ++j) {
      const double v = outputs(i, j);
      if (v > top) second = top, top = v;
      else if (v > second) second = v;
    }
    margins.push_back(top - second);
  }
  const double output_mean = outputs.mean();
  const double output_sd = std::sqrt((outputs.array() - output_mean).square().mean());

  // Coding curves through random K-subsets.
  CodeParams code;
  code.num_queries = k;
  code.num_workers = n;
  const Encoder<BerrutScheme, S> encoder(code);
  RowMatrix<S> probe(3 * params.curve_groups * (n - 2), d);
  std::vector<double> step_norms;
  for (Index g = 0; g < params.curve_groups; ++g) {
    const std::vector<Index> subset = random_subset(rng, rows, k);
    RowMatrix<S> batch(k, d);
    for (Index q = 0; q < k; ++q) batch.row(q) = x.row(subset[std::size_t(q)]);
    const RowMatrix<S> curve = encoder.encode(batch);
    for (Index p = 1; p < n - 1; ++p) {
      const Eigen::Matrix<S, 1, Eigen::Dynamic> delta = (curve.row(p + 1) - curve.row(p - 1)) / S(2);
      const Index r = 3 * (g * (n - 2) + p - 1);
      probe.row(r) = curve.row(p);
      probe.row(r + 1) = curve.row(p) + delta;
      probe.row(r + 2) = curve.row(p) - delta;
      step_norms.push_back(double(delta.norm()));
    }
  }
  const Eigen::MatrixXd probed = evaluate(probe, "curvature");
  std::vector<double> curvature;
  for (std::size_t i = 0; i < step_norms.size(); ++i) {
    if (!(step_norms[i] > 0.0)) continue;
    const Index r = Index(3 * i);
    curvature.push_back((probed.row(r + 1) - 2.0 * probed.row(r) + probed.row(r + 2)).norm() /
                        (step_norms[i] * step_norms[i]));
  }

  // Random chords between distinct typical queries.
  const Index pts = params.chord_points;
  RowMatrix<S> chord_rows(params.chords * pts, d);
  std::vector<double> steps;
  for (Index c = 0; c < params.chords; ++c) {
    const std::vector<Index> ends = random_subset(rng, rows, 2);
    for (Index j = 0; j < pts; ++j) {
      const S t = S(j) / S(pts - 1);
      chord_rows.row(c * pts + j) = x.row(ends[0]) + t * (x.row(ends[1]) - x.row(ends[0]));
    }
    steps.push_back(double((x.row(ends[1]) - x.row(ends[0])).norm()) / double(pts - 1));
  }
  const Eigen::MatrixXd along = evaluate(chord_rows, "chords");
  std::vector<double> lipschitz, second;
  for (Index c = 0; c < params.chords; ++c) {
    const double h = steps[std::size_t(c)];
    if (!(h > 0.0)) continue;
    for (Index j = 0; j + 1 < pts; ++j) lipschitz.push_back((along.row(c * pts + j + 1) - along.row(c * pts + j)).norm() / h);
    for (Index j = 1; j + 1 < pts; ++j)
      second.push_back((along.row(c * pts + j + 1) - 2.0 * along.row(c * pts + j) + along.row(c * pts + j - 1)).norm() / (h * h));
  }

  // Distances within arrival-order groups against any two sampled queries.
  double within = 0.0, any = 0.0;
  Index within_pairs = 0, any_pairs = 0;
  for (Index b = 0; b + k <= rows; b += k)
    for (Index i = b; i < b + k; ++i)
      for (Index j = i + 1; j < b + k; ++j) within += double((x.row(i) - x.row(j)).norm()), ++within_pairs;
  for (Index i = 0; i < m_rows; ++i)
    for (Index j = i + 1; j < m_rows; ++j) any += double((sampled.row(i) - sampled.row(j)).norm()), ++any_pairs;
  const double any_mean = any_pairs > 0 ? any / double(any_pairs) : 0.0;
  const double ratio = any_mean > 0.0 ? (within / double(within_pairs)) / any_mean : 1.0;

  add("input_dim", double(d));
  add("output_dim", double(m));
  add("curvature_q50", quantiles(curvature, 0.5));
  add("curvature_q90", quantiles(curvature, 0.9));
  add("lipschitz_q50", quantiles(lipschitz, 0.5));
  add("lipschitz_q90", quantiles(lipschitz, 0.9));
  add("second_difference_q50", quantiles(second, 0.5));
  add("second_difference_q90", quantiles(second, 0.9));
  add("margin_q10", quantiles(margins, 0.1));
  add("margin_q50", quantiles(margins, 0.5));
  add("output_sd", output_sd);
  add("group_distance_ratio", ratio);
  return out;
}

}  // namespace select
NERCC_NAMESPACE_END
