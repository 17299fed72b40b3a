// Opt-in xtensor interop (CMake target nercc::xtensor): encode and decode xt::xtensor batches
// whose leading axis is the query/worker axis and whose trailing shape is anything
// (K x 1 x 28 x 28 images, K x 10 logits). Row-major inputs are read in place, not copied.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <xtensor/xtensor.hpp>

#include <array>
#include <cstddef>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Decode result with the estimates shaped K x (trailing shape of the worker outputs).
template <class S, std::size_t R>
struct TensorDecodeResult {
  xt::xtensor<S, R> values;
  DecodeStatus status = DecodeStatus::ok;
  std::vector<bool> available;
  std::vector<Index> rejected_workers;
  DecodeDiagnostics diagnostics;

  bool ok() const { return status == DecodeStatus::ok; }
};

namespace detail {
// A row-major view (rows = leading axis) of a tensor; copies only column-major tensors.
template <class S, std::size_t R, xt::layout_type L>
class RowView {
 public:
  RowView(const xt::xtensor<S, R, L>& t, const char* field) {
    static_assert(R >= 1, "nercc: a tensor batch needs a leading axis (rank >= 1)");
    if constexpr (L == xt::layout_type::row_major) {
      data_ = t.data();
    } else {
      copy_ = xt::xtensor<S, R, xt::layout_type::row_major>(t);
      data_ = copy_.data();
    }
    rows_ = Index(t.shape()[0]);
    cols_ = 1;
    for (std::size_t a = 1; a < R; ++a) cols_ *= Index(t.shape()[a]);
    if (rows_ > 0 && cols_ == 0) throw shape_mismatch(message(field, " has an empty trailing shape"));
  }
  Eigen::Map<const RowMatrix<S>> matrix() const { return {data_, rows_, cols_}; }

 private:
  const S* data_ = nullptr;
  Index rows_ = 0, cols_ = 0;
  xt::xtensor<S, R, xt::layout_type::row_major> copy_;
};

template <class S, std::size_t R, xt::layout_type L>
std::array<std::size_t, R> with_leading(const xt::xtensor<S, R, L>& t, Index leading) {
  std::array<std::size_t, R> shape;
  for (std::size_t a = 0; a < R; ++a) shape[a] = t.shape()[a];
  shape[0] = std::size_t(leading);
  return shape;
}
}  // namespace detail

/// Encodes K queries (leading axis K, any trailing shape) into N coded queries of the same
/// trailing shape. Same errors and thread safety as Encoder::encode.
template <class Scheme, class S, std::size_t R, xt::layout_type L>
xt::xtensor<S, R> encode(const Encoder<Scheme, S>& encoder, const xt::xtensor<S, R, L>& queries) {
  const detail::RowView<S, R, L> in(queries, "queries");
  xt::xtensor<S, R> coded(detail::with_leading(queries, encoder.num_workers()));
  Eigen::Map<RowMatrix<S>> out(coded.data(), encoder.num_workers(), in.matrix().cols());
  encoder.encode_into(in.matrix(), out);
  return coded;
}

/// Decodes the answered workers' outputs (leading axis |F|, any trailing shape) into K
/// estimates of the same trailing shape. Same semantics, errors and thread safety as
/// Decoder::decode.
template <class Scheme, class S, class Ids, std::size_t R, xt::layout_type L>
TensorDecodeResult<S, R> decode(const Decoder<Scheme, S>& decoder, const Ids& ids, const xt::xtensor<S, R, L>& outputs) {
  const detail::RowView<S, R, L> in(outputs, "answered_outputs");
  DecodeResult<S> r = decoder.decode(ids, in.matrix());
  TensorDecodeResult<S, R> t;
  t.values = xt::xtensor<S, R>(detail::with_leading(outputs, decoder.num_queries()));
  Eigen::Map<RowMatrix<S>>(t.values.data(), r.values.rows(), r.values.cols()) = r.values;
  t.status = r.status;
  t.available = std::move(r.available);
  t.rejected_workers = std::move(r.rejected_workers);
  t.diagnostics = r.diagnostics;
  return t;
}

NERCC_NAMESPACE_END
