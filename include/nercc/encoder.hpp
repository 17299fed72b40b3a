// Encoder<Scheme, S>: K queries in, N coded queries out.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/detail/fit_matrix.hpp>
#include <nercc/detail/small_buffer.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>

NERCC_NAMESPACE_BEGIN

/// Turns a group of K queries (rows of X, K x d) into N coded queries (N x d), one per worker.
/// Regression schemes compute coded = E X with E = encoding_matrix() (N x K, fixed per
/// configuration); replication and uncoded copy rows. With CodeParams::ordering set, each batch
/// is reordered first (query point alpha_i gets query order[i]), and the order is returned for
/// the decoder: use the overloads taking a QueryOrder.
///
/// Systematic layouts (Scheme::is_systematic, e.g. from systematic_params): the first K rows of
/// E are the identity (set exactly), so encode copies the K queries bitwise to coded rows
/// 0..K-1 (query point k's query, after the ordering) and computes only the other N - K rows,
/// in one pass that reads each query from memory once. Immutable after construction: every
/// member is const, reentrant and safe to call from many threads at once.
template <class Scheme, class S>
class Encoder {
  static_assert(detail::is_scheme<Scheme>::value,
                "nercc::Encoder<Scheme, S>: Scheme must be SplineScheme, BerrutScheme, ReplicationScheme or UncodedScheme");
  static_assert(std::is_floating_point<S>::value, "nercc::Encoder<Scheme, S>: S must be float, double or long double");

 public:
  using Scalar = S;
  using scheme_type = Scheme;

  /// Copies and validates params (nercc::invalid_argument names the bad field).
  explicit Encoder(CodeParams params) : params_(std::move(params)) {
    params_.validate();
    Scheme::validate(params_);
    systematic_ = Scheme::is_regression && Scheme::is_systematic(params_);
    const Index n = params_.num_workers, k = params_.num_queries;
    if constexpr (Scheme::is_regression) {
      matrix_ = detail::checked_fit_matrix<S>(Scheme{}, params_.resolved_query_points(),
                                              params_.resolved_worker_points(), params_.lambda_enc, "encoding matrix");
      // An interpolant at its own sites is the identity up to rounding; copies make it exact.
      if (systematic_) matrix_.topRows(k).setIdentity();
      const Index first = systematic_ ? k : 0;  // the rows computed (the others are copies)
      gain_ = n > first ? matrix_.bottomRows(n - first).cwiseAbs().rowwise().sum().maxCoeff() : S(0);
    } else {
      matrix_ = RowMatrix<S>::Zero(n, k);
      for (Index w = 0; w < n; ++w) matrix_(w, Scheme::query_of_worker(w, k)) = S(1);
    }
  }

  /// The N x d coded queries for the K x d queries X. Throws nercc::shape_mismatch or
  /// nercc::non_finite_input for bad X, nercc::invalid_state when CodeParams::ordering is set
  /// (the order must reach the decoder: use encode(queries, order)). Finite queries whose
  /// combination overflows S (Berrut's weights exceed 1, so float queries near 3e38 can) throw
  /// nercc::non_finite_input naming the coded row, never return infinite rows. Thread-safe.
  RowMatrix<S> encode(const Eigen::Ref<const RowMatrix<S>>& queries) const {
    RowMatrix<S> coded(params_.num_workers, queries.cols());
    encode_into(queries, coded);
    return coded;
  }

  /// As encode(), into caller storage of shape N x d, without allocating; coded must not
  /// overlap queries (nercc::invalid_argument). Non-finite queries are rejected before coded is
  /// written; when finite queries overflow, coded has been written. Thread-safe.
  void encode_into(const Eigen::Ref<const RowMatrix<S>>& queries, Eigen::Ref<RowMatrix<S>> coded) const {
    if (params_.ordering != OrderingMethod::as_given)
      throw invalid_state(detail::message("encode: ordering is ", to_string(params_.ordering),
                                          ", so the decoder needs each batch's order: call encode(queries, order) "
                                          "or encode_into(queries, coded, order)"));
    check_shapes(queries, coded);
    encode_rows(queries, coded, nullptr);
  }

  /// The coded queries of X under CodeParams::ordering, and in `order` the order used (the
  /// identity for as_given); pass it to Decoder::decode with the answers. Thread-safe.
  RowMatrix<S> encode(const Eigen::Ref<const RowMatrix<S>>& queries, QueryOrder& order) const {
    RowMatrix<S> coded(params_.num_workers, queries.cols());
    encode_into(queries, coded, order);
    return coded;
  }

  /// As encode(queries, order), into caller storage of shape N x d. Allocates only for the
  /// ordering itself (nothing with as_given once `order` has K entries). Thread-safe.
  void encode_into(const Eigen::Ref<const RowMatrix<S>>& queries, Eigen::Ref<RowMatrix<S>> coded,
                   QueryOrder& order) const {
    check_shapes(queries, coded);
    if (params_.ordering == OrderingMethod::as_given) {
      order.resize(std::size_t(params_.num_queries));
      for (Index q = 0; q < params_.num_queries; ++q) order[std::size_t(q)] = q;
      encode_rows(queries, coded, nullptr);
      return;
    }
    // Named as "queries" here, before the ordering reads them.
    for (Index q = 0; q < queries.rows(); ++q)
      if (!detail::all_finite(queries.row(q))) detail::check_finite_rows(queries, "queries");
    QueryOrder chosen = order_queries(queries, params_.ordering, params_.ordering_options);
    encode_rows(queries, coded, chosen.data());
    order = std::move(chosen);  // only once encoding succeeded
  }

  /// E (N x K): coded = E X. For replication/uncoded, the 0/1 assignment of workers to queries.
  const RowMatrix<S>& encoding_matrix() const { return matrix_; }
  const CodeParams& params() const { return params_; }
  /// Whether the code is a systematic spline or Berrut code, encoded with the copy fast path.
  bool systematic() const { return systematic_; }
  Index num_queries() const { return params_.num_queries; }
  Index num_workers() const { return params_.num_workers; }

 private:
  void check_shapes(const Eigen::Ref<const RowMatrix<S>>& queries, const Eigen::Ref<RowMatrix<S>>& coded) const {
    const Index k = params_.num_queries, n = params_.num_workers, d = queries.cols();
    if (queries.rows() != k)
      throw shape_mismatch(detail::message("queries has ", queries.rows(), " rows, expected num_queries (", k, ")"));
    if (coded.rows() != n || coded.cols() != d)
      throw shape_mismatch(detail::message("coded is ", coded.rows(), " x ", coded.cols(), ", expected ", n, " x ", d,
                                           " (num_workers x query dimension)"));
    if (detail::storage_overlaps(queries, coded))
      throw invalid_argument("coded overlaps queries: encode_into needs separate storage for its output");
  }

  // The largest scaled_abs_sum of a query row; throws nercc::non_finite_input naming a
  // non-finite entry.
  static S checked_magnitude(const Eigen::Ref<const RowMatrix<S>>& queries, const S* rows) {
    S magnitude(0);
    for (Index q = 0; q < queries.rows(); ++q) {
      if (!std::isfinite(rows[q])) detail::check_finite_rows(queries, "queries");
      magnitude = std::max(magnitude, rows[q]);
    }
    return magnitude;
  }

  // Query point q takes row perm[q] of the queries (row q when perm is null). The queries are
  // checked first; a systematic code copies them and computes the companions. Where E times
  // the queries' magnitude could overflow S, the computed coded rows are checked.
  void encode_rows(const Eigen::Ref<const RowMatrix<S>>& queries, Eigen::Ref<RowMatrix<S>> coded,
                   const Index* perm) const {
    const Index k = params_.num_queries, n = params_.num_workers, d = queries.cols();
    const S* in = queries.data();
    const Index in_stride = queries.outerStride();
    detail::SmallBuffer<S> rows(std::size_t(k), S(0));  // scaled_abs_sum of each query point's row
    if constexpr (Scheme::is_regression) {
      S* const out = coded.data();
      const Index out_stride = coded.outerStride();
      S magnitude(0);
      const auto run = [&](auto row) {
        if (!systematic_) {
          for (Index q = 0; q < k; ++q) rows[std::size_t(q)] = detail::scaled_abs_sum(queries.row(q));
          magnitude = checked_magnitude(queries, rows.data());
          detail::combine_rows<S>(n, k, d, matrix_.data(), k, row, out, out_stride, params_.num_threads);
          return;
        }
        // Check, copy the K queries, combine only the N - K companions. Measured faster than one
        // streaming pass that copies and combines together (performance.md).
        for (Index q = 0; q < k; ++q) rows[std::size_t(q)] = detail::scaled_abs_sum(queries.row(q));
        magnitude = checked_magnitude(queries, rows.data());
        for (Index q = 0; q < k; ++q) std::copy_n(row(q), d, out + q * out_stride);
        detail::combine_rows<S>(n - k, k, d, matrix_.data() + k * k, k, row, out + k * out_stride, out_stride,
                                params_.num_threads);
      };
      if (perm) run([&](Index q) { return in + perm[q] * in_stride; });
      else run([&](Index q) { return in + q * in_stride; });
      if (gain_ * magnitude < detail::scaled_overflow_limit<S>()) return;
      for (Index w = systematic_ ? k : 0; w < n; ++w)
        if (!detail::all_finite(coded.row(w)))
          throw non_finite_input(detail::message("coded row ", w, " overflowed although the queries are finite: ",
                                                 "their combination exceeds the range of the scalar type; ",
                                                 "scale the queries"));
    } else {
      for (Index q = 0; q < k; ++q) rows[std::size_t(q)] = detail::scaled_abs_sum(queries.row(q));
      checked_magnitude(queries, rows.data());
      for (Index w = 0; w < n; ++w) coded.row(w) = queries.row(Scheme::query_of_worker(w, k));
    }
  }

  CodeParams params_;
  RowMatrix<S> matrix_;
  S gain_ = S(1);  // max over the computed rows n of sum_k |E_nk|: |coded| <= gain_ * max |query|
  bool systematic_ = false;
};

NERCC_NAMESPACE_END
