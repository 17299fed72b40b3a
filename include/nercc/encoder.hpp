// Encoder<Scheme, S>: K queries in, N coded queries out.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/detail/sorted_sites.hpp>
#include <nercc/errors.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <type_traits>

NERCC_NAMESPACE_BEGIN

/// Turns a group of K queries (rows of X, K x d) into N coded queries (N x d), one per worker.
/// Regression schemes compute coded = E X with E = encoding_matrix() (N x K, fixed per
/// configuration); replication and uncoded copy rows. Immutable after construction: encode
/// and encode_into are const, reentrant and safe to call from many threads at once.
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
    const Index n = params_.num_workers, k = params_.num_queries;
    if constexpr (Scheme::is_regression) {
      matrix_ = Scheme::fit_matrix(params_.resolved_query_points(), params_.resolved_worker_points(),
                                   params_.lambda_enc)
                    .template cast<S>();
    } else {
      matrix_ = RowMatrix<S>::Zero(n, k);
      for (Index w = 0; w < n; ++w) matrix_(w, Scheme::query_of_worker(w, k)) = S(1);
    }
  }

  /// The N x d coded queries for the K x d queries X. Throws nercc::shape_mismatch or
  /// nercc::non_finite_input for bad X. Thread-safe.
  RowMatrix<S> encode(const Eigen::Ref<const RowMatrix<S>>& queries) const {
    RowMatrix<S> coded(params_.num_workers, queries.cols());
    encode_into(queries, coded);
    return coded;
  }

  /// As encode(), into caller storage of shape N x d, without allocating. Thread-safe.
  void encode_into(const Eigen::Ref<const RowMatrix<S>>& queries, Eigen::Ref<RowMatrix<S>> coded) const {
    const Index k = params_.num_queries, n = params_.num_workers, d = queries.cols();
    if (queries.rows() != k)
      throw shape_mismatch(detail::message("queries has ", queries.rows(), " rows, expected num_queries (", k, ")"));
    if (coded.rows() != n || coded.cols() != d)
      throw shape_mismatch(detail::message("coded is ", coded.rows(), " x ", coded.cols(), ", expected ", n, " x ", d,
                                           " (num_workers x query dimension)"));
    if (!detail::all_finite(queries)) detail::check_finite_rows(queries, "queries");
    const S* in = queries.data();
    const Index in_stride = queries.outerStride();
    if constexpr (Scheme::is_regression) {
      detail::combine_rows<S>(n, k, d, matrix_.data(), k, [&](Index q) { return in + q * in_stride; }, coded.data(),
                              coded.outerStride(), params_.num_threads);
    } else {
      for (Index w = 0; w < n; ++w) coded.row(w) = queries.row(Scheme::query_of_worker(w, k));
    }
  }

  /// E (N x K): coded = E X. For replication/uncoded, the 0/1 assignment of workers to queries.
  const RowMatrix<S>& encoding_matrix() const { return matrix_; }
  const CodeParams& params() const { return params_; }
  Index num_queries() const { return params_.num_queries; }
  Index num_workers() const { return params_.num_workers; }

 private:
  CodeParams params_;
  RowMatrix<S> matrix_;
};

NERCC_NAMESPACE_END
