// The one hot kernel of the codes: rows of the output are small linear combinations of input
// rows (encode: N x K coefficients, decode: K x |F|), streamed over the columns.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <thread>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

template <class S, class InRow>
struct CombineRows {
  // A tile is Rows output rows x Width columns; its accumulators stay in registers while every
  // input row is folded in (ascending q), so each output value is stored exactly once.
  static constexpr Index Width = 2 * EIGEN_MAX_STATIC_ALIGN_BYTES / Index(sizeof(S)) > 0
                                     ? 2 * EIGEN_MAX_STATIC_ALIGN_BYTES / Index(sizeof(S))
                                     : 8;
  // Each column block of the inputs is copied to an L1-sized scratch at a padded row stride:
  // input rows a multiple of 4 KiB apart (224 x 224 x 3 floats are) share L1 sets and would
  // evict each other between the P / Rows passes over the block.
  static constexpr Index pack_size = 24 * 1024 / Index(sizeof(S));
  static constexpr Index pad = 64 / Index(sizeof(S));
  using Tile = Eigen::Array<S, Width, 1>;
  using ConstTile = Eigen::Map<const Tile, Eigen::Unaligned>;
  using OutTile = Eigen::Map<Tile, Eigen::Unaligned>;

  Index P, Q;
  const S* coef;
  Index coef_stride;
  InRow in_row;
  S* out;
  Index out_stride;

  // Output rows p .. p + Rows - 1 over columns [c0, c1); input row q, column c is row(q)[c - base].
  template <int Rows, class Row>
  void tiles(Index p, Index c0, Index c1, const Row& row, Index base) const {
    const S* c[Rows];
    for (int r = 0; r < Rows; ++r) c[r] = coef + (p + r) * coef_stride;
    Index col = c0;
    for (; col + Width <= c1; col += Width) {
      Tile acc[Rows];
      const ConstTile x0(row(0) + (col - base));
      for (int r = 0; r < Rows; ++r) acc[r] = c[r][0] * x0;
      for (Index q = 1; q < Q; ++q) {
        const ConstTile x(row(q) + (col - base));
        for (int r = 0; r < Rows; ++r) acc[r] += c[r][q] * x;
      }
      for (int r = 0; r < Rows; ++r) OutTile(out + (p + r) * out_stride + col) = acc[r];
    }
    for (; col < c1; ++col)
      for (int r = 0; r < Rows; ++r) {
        S acc = c[r][0] * row(0)[col - base];
        for (Index q = 1; q < Q; ++q) acc += c[r][q] * row(q)[col - base];
        out[(p + r) * out_stride + col] = acc;
      }
  }

  template <class Row>
  void all_rows(Index c0, Index c1, const Row& row, Index base) const {
    Index p = 0;
    for (; p + 4 <= P; p += 4) tiles<4>(p, c0, c1, row, base);
    if (p + 2 <= P) tiles<2>(p, c0, c1, row, base), p += 2;
    if (p < P) tiles<1>(p, c0, c1, row, base);
  }

  void columns(Index c0, Index c1) const {
    if (Q == 0) {
      for (Index p = 0; p < P; ++p) std::fill(out + p * out_stride + c0, out + p * out_stride + c1, S(0));
      return;
    }
    const Index block = (pack_size / Q - pad) / Width * Width;
    if (block < Width) {  // too many input rows to pack: read them in place, a tile at a time
      const auto direct = [this](Index q) { return in_row(q); };
      for (Index b0 = c0; b0 < c1; b0 += Width) all_rows(b0, std::min(c1, b0 + Width), direct, 0);
      return;
    }
    const Index stride = block + pad;
    alignas(64) S pack[pack_size];
    const auto packed = [&pack, stride](Index q) -> const S* { return pack + q * stride; };
    for (Index b0 = c0; b0 < c1; b0 += block) {
      const Index b1 = std::min(c1, b0 + block);
      for (Index q = 0; q < Q; ++q) std::copy(in_row(q) + b0, in_row(q) + b1, pack + q * stride);
      all_rows(b0, b1, packed, b0);
    }
  }
};

/// Whether every entry of m is finite, in one vectorised pass (x * 0 is NaN exactly when x is
/// not finite); Eigen's allFinite does not vectorise and would cost more than the combine.
template <class Derived>
bool all_finite(const Eigen::MatrixBase<Derived>& m) {
  using S = typename Derived::Scalar;
  S zero(0);
  for (Index r = 0; r < m.rows(); ++r) zero += (m.row(r).array() * S(0)).sum();
  return zero == S(0);
}

/// Values (inputs plus outputs) a thread must have before combine_rows splits the columns:
/// below this, starting a thread costs more than it saves.
constexpr Index combine_rows_values_per_thread = Index(1) << 18;

/// out_p = sum_q coef(p, q) * in_q for p < P over d columns, summed in ascending q (so the
/// result depends only on the order of the input rows). `in_row(q)` gives the start of input
/// row q; coef is row-major with row stride coef_stride; out rows are out_stride apart. Up to
/// `threads` threads (the caller's included) take contiguous column ranges. No heap
/// allocation on one thread (the scratch is 24 KiB of stack); out must not overlap the inputs.
template <class S, class InRow>
void combine_rows(Index P, Index Q, Index d, const S* coef, Index coef_stride, InRow in_row, S* out, Index out_stride,
                  Index threads = 1) {
  using Kernel = CombineRows<S, InRow>;
  const Kernel kernel{P, Q, coef, coef_stride, in_row, out, out_stride};
  const Index useful = std::max(Index(1), d * (P + Q) / combine_rows_values_per_thread);
  const Index t = std::min(threads, useful);
  if (t <= 1) {
    kernel.columns(0, d);
    return;
  }
  // Ranges are whole tiles wide, so no two threads write the same cache line of a row
  // (beyond the one where their ranges meet).
  const Index tiles = (d + Kernel::Width - 1) / Kernel::Width;
  const auto bound = [&](Index i) { return std::min(d, (tiles * i / t) * Kernel::Width); };
  std::vector<std::thread> helpers;
  helpers.reserve(std::size_t(t - 1));
  struct Joiner {
    std::vector<std::thread>& threads;
    ~Joiner() {
      for (auto& th : threads) th.join();
    }
  } joiner{helpers};
  for (Index i = 1; i < t; ++i) helpers.emplace_back([&kernel, b0 = bound(i), b1 = bound(i + 1)] { kernel.columns(b0, b1); });
  kernel.columns(0, bound(1));
}

}  // namespace detail
NERCC_NAMESPACE_END
