// The configurations the Fashion-MNIST experiment compares, as one table, and the code of each
// at a shape (N, K). Encoding, decoding and every report iterate over the table; adding a
// configuration is one row here.
#pragma once

#include <nercc/ordering.hpp>
#include <nercc/runtime/any_code.hpp>
#include <nercc/tune.hpp>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nercc_examples {

using nercc::Index;

/// A code shape: N workers for K queries.
struct Shape {
  Index n, k;
};

/// Where a variant's query points (alpha) come from.
enum class QueryPoints {
  chebyshev,       ///< the library's default (Chebyshev points of the first kind)
  wide,            ///< the default points stretched so the outermost sit at -1 and 1
  chain_distance,  ///< per batch: spaced like the distances along the batch's ordered chain
};

/// Which workers a variant uses, and where their points (beta) are.
enum class Workers {
  all,        ///< the N workers, the library's default points
  clustered,  ///< the N workers, clustered_worker_points with the spread tuned on training images
  first_k,    ///< K of the N workers: uncoded serves N/K groups and the batch sits on one of them
};

/// How a variant's parameters are chosen.
enum class Tuning {
  none,   ///< lambda = 0 and the default points
  tuned,  ///< tune_lambdas on training images (the lambdas and, with Workers::clustered, the spread)
};

/// Which tables of results.md show a variant.
enum class Role {
  compared,  ///< the original comparison: the main table (and the ordering table when coded)
  baseline,  ///< the main table only
  variant,   ///< an ordering or placement variant: the ordering table; --no-orderings drops it
};

/// One configuration of the experiment. Whether workers get coded queries, and whether lambdas
/// are reported, are facts of the scheme (nercc::scheme_facts).
struct Variant {
  const char* name;   ///< the scheme column of results.csv
  const char* title;  ///< tables and plot keys
  nercc::SchemeKind scheme;
  nercc::OrderingMethod ordering;
  QueryPoints query_points;
  Workers workers;
  Tuning tuning;
  Role role;
};

/// Every configuration, in the order of every table and plot.
inline const std::vector<Variant>& variants() {
  using nercc::SchemeKind;
  using O = nercc::OrderingMethod;
  using Q = QueryPoints;
  using W = Workers;
  static const std::vector<Variant> table = {
      {"nercc_tuned", "NeRCC (tuned)", SchemeKind::spline, O::as_given, Q::chebyshev, W::all, Tuning::tuned,
       Role::compared},
      {"nercc_lambda0", "NeRCC (lambda = 0)", SchemeKind::spline, O::as_given, Q::chebyshev, W::all, Tuning::none,
       Role::baseline},
      {"berrut", "Berrut (BACC)", SchemeKind::berrut, O::as_given, Q::chebyshev, W::all, Tuning::none, Role::compared},
      {"nercc_chain", "NeRCC + greedy chain", SchemeKind::spline, O::greedy_chain, Q::chebyshev, W::all, Tuning::tuned,
       Role::variant},
      {"nercc_two_opt", "NeRCC + 2-opt", SchemeKind::spline, O::greedy_two_opt, Q::chebyshev, W::all, Tuning::tuned,
       Role::variant},
      {"nercc_principal", "NeRCC + principal direction", SchemeKind::spline, O::principal_direction, Q::chebyshev,
       W::all, Tuning::tuned, Role::variant},
      {"nercc_two_opt_wide", "NeRCC + 2-opt, wide query points", SchemeKind::spline, O::greedy_two_opt, Q::wide,
       W::all, Tuning::tuned, Role::variant},
      {"berrut_two_opt", "Berrut + 2-opt", SchemeKind::berrut, O::greedy_two_opt, Q::chebyshev, W::all, Tuning::none,
       Role::variant},
      // Its points change with every batch, which the tuner does not model: it is tuned with the
      // default points, so it shares nercc_two_opt's lambdas.
      {"nercc_two_opt_cumdist", "NeRCC + 2-opt, chain-distance query points", SchemeKind::spline, O::greedy_two_opt,
       Q::chain_distance, W::all, Tuning::tuned, Role::variant},
      {"nercc_clustered", "NeRCC, clustered worker points", SchemeKind::spline, O::as_given, Q::chebyshev,
       W::clustered, Tuning::tuned, Role::variant},
      {"nercc_two_opt_clustered", "NeRCC + 2-opt, clustered worker points", SchemeKind::spline, O::greedy_two_opt,
       Q::chebyshev, W::clustered, Tuning::tuned, Role::variant},
      // Berrut has no lambdas; the tuner still picks its spread on the same training samples.
      {"berrut_two_opt_clustered", "Berrut + 2-opt, clustered worker points", SchemeKind::berrut, O::greedy_two_opt,
       Q::chebyshev, W::clustered, Tuning::tuned, Role::variant},
      {"replication", "replication", SchemeKind::replication, O::as_given, Q::chebyshev, W::all, Tuning::none,
       Role::compared},
      {"uncoded", "uncoded", SchemeKind::uncoded, O::as_given, Q::chebyshev, W::first_k, Tuning::none, Role::compared},
  };
  return table;
}

/// The position of the variant called `name` in variants(); throws for an unknown name.
inline std::size_t variant_index(const std::string& name) {
  const auto& table = variants();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (name == table[i].name) return i;
  throw std::invalid_argument("unknown scheme " + name);
}

/// Workers get coded queries (a regression scheme); otherwise they answer single queries exactly.
inline bool is_coded(const Variant& v) { return nercc::scheme_facts(v.scheme).is_regression; }

/// The default query points stretched so the outermost ones sit at -1 and 1, where the outermost
/// worker points are: no worker extrapolates past the queries.
inline std::vector<double> wide_query_points(Index k) {
  std::vector<double> a = nercc::chebyshev_first_kind(k);
  const double scale = 1.0 / std::abs(a.front());
  for (double& v : a) v *= scale;
  return a;
}

/// Query points spaced like the cumulative distances along the batch's chain (the placement the
/// issue proposed; measured here, not kept in the library): position i of `ordered` gets
/// a_min + (a_max - a_min) c_i / c_K over the default points' range.
inline std::vector<double> chain_distance_points(const nercc::RowMatrix<float>& ordered) {
  const Index k = ordered.rows();
  const std::vector<double> cheb = nercc::chebyshev_first_kind(k);
  const double lo = -std::abs(cheb.front()), hi = std::abs(cheb.front());
  std::vector<double> c(static_cast<std::size_t>(k), 0.0);
  for (Index i = 1; i < k; ++i)
    c[std::size_t(i)] = c[std::size_t(i - 1)] + (ordered.row(i) - ordered.row(i - 1)).cast<double>().norm();
  const double total = c.back() > 0 ? c.back() : 1.0;
  std::vector<double> a(static_cast<std::size_t>(k));
  // The small even term keeps the points distinct when two images are equal.
  for (Index i = 0; i < k; ++i)
    a[std::size_t(i)] = lo + (hi - lo) * (0.999 * c[std::size_t(i)] / total + 0.001 * double(i) / double(k - 1));
  return a;
}

/// The variant's code parameters at `shape` before tuning (lambda = 0, default worker points).
/// Per-batch query points are left at the default, which is what the tuner sees.
inline nercc::CodeParams untuned_params(const Variant& v, Shape shape) {
  nercc::CodeParams p;
  p.num_queries = shape.k;
  p.num_workers = v.workers == Workers::first_k ? shape.k : shape.n;
  p.ordering = v.ordering;
  if (v.query_points == QueryPoints::wide) p.query_points = wide_query_points(shape.k);
  return p;
}

/// What encode leaves for decode about one batch.
struct BatchCode {
  nercc::QueryOrder order;
  std::vector<double> query_points;  ///< QueryPoints::chain_distance: this batch's points
};

/// A coded variant's code at one (shape, S): one nercc::runtime::AnyCode, or for per-batch query
/// points a code built for each batch. Encode and decode are const and reentrant.
class VariantCode {
 public:
  VariantCode(const Variant& v, nercc::CodeParams params) : variant_(&v), params_(std::move(params)) {
    if (v.query_points == QueryPoints::chain_distance) {
      // The batch's code is used once: no decoding matrices to keep.
      params_.ordering = nercc::OrderingMethod::as_given;
      params_.decoder_cache_capacity = 0;
    } else {
      code_.emplace(v.scheme, params_);
    }
  }

  /// Encodes the K x d `batch` into `coded` (N x d).
  void encode(const Eigen::Ref<const nercc::RowMatrix<float>>& batch, Eigen::Ref<nercc::RowMatrix<float>> coded,
              BatchCode& state) const {
    if (code_) return code_->encode_into(batch, coded, state.order);
    state.order = nercc::order_queries(batch, variant_->ordering);
    nercc::RowMatrix<float> ordered(batch.rows(), batch.cols());
    for (Index q = 0; q < batch.rows(); ++q) ordered.row(q) = batch.row(state.order[std::size_t(q)]);
    state.query_points = chain_distance_points(ordered);
    nercc::visit_scheme(variant_->scheme, [&](auto tag) {
      nercc::Encoder<decltype(tag), float>(batch_params(state)).encode_into(ordered, coded);
    });
  }

  /// The estimates of the batch in its caller's order, from the answers `outputs` of workers `ids`.
  nercc::DecodeResult<float> decode(const std::vector<Index>& ids,
                                    const Eigen::Ref<const nercc::RowMatrix<float>>& outputs,
                                    const BatchCode& state) const {
    if (code_) return code_->decode(ids, outputs, state.order);
    return nercc::visit_scheme(variant_->scheme, [&](auto tag) {
      return nercc::Decoder<decltype(tag), float>(batch_params(state)).decode(ids, outputs, state.order);
    });
  }

  /// The parameters of every batch's code (the tuned lambdas and worker points).
  const nercc::CodeParams& params() const { return params_; }

 private:
  nercc::CodeParams batch_params(const BatchCode& state) const {
    nercc::CodeParams p = params_;
    p.query_points = state.query_points;
    return p;
  }

  const Variant* variant_;
  nercc::CodeParams params_;
  std::optional<nercc::runtime::AnyCode<float>> code_;
};

}  // namespace nercc_examples
