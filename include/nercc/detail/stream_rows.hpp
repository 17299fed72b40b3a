// The one-pass kernel of the systematic codes: while each input row streams through the cache
// once, check it (scaled |x| sums), copy it to its output row (the systematic rows) and fold it
// into the few combined rows (the estimates of missing queries, the companions).
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/detail/simd.hpp>
#include <nercc/detail/small_buffer.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// Bytes of each input row per chunk of stream_rows: long sequential runs keep the hardware
/// prefetchers streaming (4 KiB runs, one page each, measured 3x slower).
constexpr Index stream_rows_chunk_bytes = Index(64) * 1024;
/// Bytes of all inputs' chunks together when the CombineRows kernel rereads them (half of L2).
constexpr Index stream_rows_reread_bytes = Index(512) * 1024;
/// Up to this many combined rows are summed while the inputs stream (in their output rows, read
/// and written once per 4 inputs); more go through the register-tiled CombineRows kernel on
/// each chunk, reread from L2.
constexpr Index stream_rows_max_accumulated = 8;

template <class S>
struct StreamChunk {
  // Over columns [a, a + w) of the Q inputs: abs_sum[q] = sum |x| (when abs_sum), copies, and
  // out[p] = coef * inputs (P <= stream_rows_max_accumulated rows), summed c_0 x_0 then one
  // multiply-add per q, as CombineRows does, so estimates equal the dense kernel's of the same
  // instruction set.
  static void portable(Index P, Index Q, Index a, Index w, const S* coef, Index coef_stride, const S* const* in,
                       S* const* copy_to, S* const* out, S* abs_sum) {
    using Array = Eigen::Array<S, Eigen::Dynamic, 1>;
    for (Index q = 0; q < Q; ++q) {
      const Eigen::Map<const Array> x(in[q] + a, w);
      if (abs_sum) abs_sum[q] = x.abs().sum();
      if (copy_to[q]) Eigen::Map<Array>(copy_to[q] + a, w) = x;
      for (Index p = 0; p < P; ++p) {
        Eigen::Map<Array> sum(out[p] + a, w);
        const S c = coef[p * coef_stride + q];
        if (q == 0) sum = c * x;
        else sum += c * x;
      }
    }
  }

#if NERCC_SIMD_DISPATCH
  using Ops = Avx2Ops<S>;
  using V = typename Ops::V;
  static constexpr Index L = Ops::lanes;
  static constexpr int G = 4;  // inputs streamed together: the sums are read and written once per G

  // Inputs q0 .. q0 + Gn - 1 over columns [a, a + w): folded into out[p], checked, copied.
  template <int Gn>
  NERCC_TARGET_AVX2 static void group(Index P, Index q0, Index a, Index w, const S* coef, Index coef_stride,
                                      const S* const* in, S* const* copy_to, S* const* out, S* abs_sum) {
    const S* x[Gn];
    S* to[Gn];
    V total[Gn];
    for (int g = 0; g < Gn; ++g) x[g] = in[q0 + g] + a, to[g] = copy_to[q0 + g], total[g] = Ops::zero();
    const Index full = w / L * L;
    for (Index i = 0; i < full; i += L) {
      V v[Gn];
      for (int g = 0; g < Gn; ++g) {
        v[g] = Ops::load(x[g] + i);
        total[g] = Ops::add(total[g], Ops::abs(v[g]));
        if (to[g]) Ops::store(to[g] + a + i, v[g]);
      }
      for (Index p = 0; p < P; ++p) {
        const S* c = coef + p * coef_stride + q0;
        S* sum = out[p] + a + i;
        V acc = q0 == 0 ? Ops::mul(Ops::broadcast(c), v[0]) : Ops::fmadd(Ops::broadcast(c), v[0], Ops::load(sum));
        for (int g = 1; g < Gn; ++g) acc = Ops::fmadd(Ops::broadcast(c + g), v[g], acc);
        Ops::store(sum, acc);
      }
    }
    for (int g = 0; g < Gn; ++g) {
      S tail(0);
      for (Index i = full; i < w; ++i) {
        const S xi = x[g][i];
        tail += std::abs(xi);
        if (to[g]) to[g][a + i] = xi;
        for (Index p = 0; p < P; ++p) {
          const S c = coef[p * coef_stride + q0 + g];
          S& sum = out[p][a + i];
          sum = q0 + g == 0 ? c * xi : std::fma(c, xi, sum);
        }
      }
      if (abs_sum) abs_sum[q0 + g] = Ops::sum(total[g]) + tail;
    }
  }

  NERCC_TARGET_AVX2 static void avx2(Index P, Index Q, Index a, Index w, const S* coef, Index coef_stride,
                                     const S* const* in, S* const* copy_to, S* const* out, S* abs_sum) {
    Index q = 0;
    for (; q + G <= Q; q += G) group<G>(P, q, a, w, coef, coef_stride, in, copy_to, out, abs_sum);
    switch (Q - q) {
      case 3: return group<3>(P, q, a, w, coef, coef_stride, in, copy_to, out, abs_sum);
      case 2: return group<2>(P, q, a, w, coef, coef_stride, in, copy_to, out, abs_sum);
      case 1: return group<1>(P, q, a, w, coef, coef_stride, in, copy_to, out, abs_sum);
      default: return;
    }
  }
#endif
};

/// One pass over Q input rows of d columns (in_row(q): the start of row q), in column chunks:
///  - copies: copy_to[q] (Q entries; null: none) receives row q bitwise;
///  - combines: out_row(p)[c] = sum_q coef(p, q) * in_row(q)[c] for p < P, summed in ascending q
///    (coef row-major, row stride coef_stride), as combine_rows_to;
///  - checks: when magnitude is given (Q entries), magnitude[q] = 2^-64 sum |row q| as
///    scaled_abs_sum computes it (finite exactly when the row is; summed per chunk).
/// Each input is read from memory once: a systematic encode or decode costs about a copy of its
/// inputs. Up to `threads` threads take column ranges as combine_rows_to does (each with its own
/// partial magnitudes, which then allocate). Outputs must not overlap the inputs.
template <class S, class InRow, class OutRow>
void stream_rows(Index P, Index Q, Index d, const S* coef, Index coef_stride, InRow in_row, OutRow out_row,
                 S* const* copy_to, S* magnitude, Index threads = 1, Simd simd = simd_level()) {
  if (simd != cpu_simd()) simd = Simd::portable;
  using Kernel = CombineRows<S, InRow, OutRow>;
  const Kernel kernel{P, Q, coef, coef_stride, in_row, out_row, simd};
  const bool accumulate = P <= stream_rows_max_accumulated;
  const Index acc_rows = accumulate ? P : 0;
  // The CombineRows kernel rereads every input's chunk: all of them must fit in L2 together.
  const Index chunk_bytes = accumulate ? stream_rows_chunk_bytes
                                       : std::min(stream_rows_chunk_bytes, stream_rows_reread_bytes / std::max(Q, Index(1)));
  const Index chunk = std::max(Kernel::Step, chunk_bytes / Index(sizeof(S)) / Kernel::Step * Kernel::Step);
  const S scale = std::ldexp(S(1), -64);
  if (magnitude) std::fill(magnitude, magnitude + Q, S(0));

  const auto columns = [&](Index c0, Index c1, S* mag) {
    SmallBuffer<const S*> in(std::size_t(Q), nullptr);
    SmallBuffer<S> sums(std::size_t(Q), S(0));
    for (Index q = 0; q < Q; ++q) in[std::size_t(q)] = in_row(q);
    S* out[stream_rows_max_accumulated];
    for (Index p = 0; p < acc_rows; ++p) out[p] = out_row(p);
    for (Index a = c0; a < c1; a += chunk) {
      const Index w = std::min(c1, a + chunk) - a;
#if NERCC_SIMD_DISPATCH
      if (simd == Simd::avx2)
        StreamChunk<S>::avx2(acc_rows, Q, a, w, coef, coef_stride, in.data(), copy_to, out, mag ? sums.data() : nullptr);
      else
#endif
        StreamChunk<S>::portable(acc_rows, Q, a, w, coef, coef_stride, in.data(), copy_to, out,
                                 mag ? sums.data() : nullptr);
      if (!accumulate) kernel.columns(a, a + w);
      if (!mag) continue;
      for (Index q = 0; q < Q; ++q) {
        const S s = sums[std::size_t(q)];
        // A finite chunk whose plain sum overflows is summed again, scaled (as scaled_abs_sum).
        mag[q] += std::isfinite(s) ? s * scale
                                   : scaled_abs_sum(Eigen::Map<const RowMatrix<S>>(in[std::size_t(q)] + a, 1, w));
      }
    }
  };
  const Index per_column = Q + P + Index(std::count_if(copy_to, copy_to + Q, [](S* t) { return t != nullptr; }));
  if (threads <= 1 || !magnitude) {
    split_columns(d, per_column, Kernel::Step, threads, [&](Index c0, Index c1, Index) { columns(c0, c1, magnitude); });
    return;
  }
  std::vector<std::vector<S>> partial(std::size_t(threads), std::vector<S>(std::size_t(Q), S(0)));
  split_columns(d, per_column, Kernel::Step, threads,
                [&](Index c0, Index c1, Index part) { columns(c0, c1, partial[std::size_t(part)].data()); });
  for (const auto& part : partial)
    for (Index q = 0; q < Q; ++q) magnitude[q] += part[std::size_t(q)];
}

}  // namespace detail
NERCC_NAMESPACE_END
