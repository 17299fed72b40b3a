// The one hot kernel of the codes: rows of the output are small linear combinations of input
// rows (encode: N x K coefficients, decode: K x |F|), streamed over the columns.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <algorithm>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// out_p = sum_q coef(p, q) * in_q for p < P, over d columns. `in_row(q)` gives the start of
/// input row q; coef is row-major with row stride coef_stride; out rows are out_stride apart.
/// Columns are processed in blocks that keep one block of every input row in cache, and four
/// input rows are folded per pass so each output element is loaded and stored P * Q / 4 times.
template <class S, class InRow>
void combine_rows(Index P, Index Q, Index d, const S* coef, Index coef_stride, InRow in_row, S* out, Index out_stride) {
  using Seg = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>;
  using ConstSeg = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>>;
  constexpr Index block = 2048;
  for (Index c0 = 0; c0 < d; c0 += block) {
    const Index len = std::min(block, d - c0);
    for (Index p = 0; p < P; ++p) {
      const S* c = coef + p * coef_stride;
      Seg o(out + p * out_stride + c0, len);
      if (Q == 0) {
        o.setZero();
        continue;
      }
      o = c[0] * ConstSeg(in_row(0) + c0, len);
      Index q = 1;
      for (; q + 3 < Q; q += 4)
        o += c[q] * ConstSeg(in_row(q) + c0, len) + c[q + 1] * ConstSeg(in_row(q + 1) + c0, len) +
             c[q + 2] * ConstSeg(in_row(q + 2) + c0, len) + c[q + 3] * ConstSeg(in_row(q + 3) + c0, len);
      for (; q < Q; ++q) o += c[q] * ConstSeg(in_row(q) + c0, len);
    }
  }
}

}  // namespace detail
NERCC_NAMESPACE_END
