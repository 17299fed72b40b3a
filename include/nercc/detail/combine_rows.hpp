// The one hot kernel of the codes: rows of the output are small linear combinations of input
// rows (encode: N x K coefficients, decode: K x |F|), streamed over the columns.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/simd.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

#if NERCC_SIMD_DISPATCH
// 256-bit operations on float or double, compiled for AVX2 + FMA whatever the build's flags.
template <class S>
struct Avx2Vector {
  using type = __m256d;
};
template <>
struct Avx2Vector<float> {
  using type = __m256;
};

template <class S>
struct Avx2Ops {
  static constexpr bool is_float = std::is_same<S, float>::value;
  using V = typename Avx2Vector<S>::type;
  static constexpr Index lanes = 32 / Index(sizeof(S));
  NERCC_TARGET_AVX2 static V load(const S* p) {
    if constexpr (is_float) return _mm256_loadu_ps(p); else return _mm256_loadu_pd(p);
  }
  NERCC_TARGET_AVX2 static V load(const S* p, __m256i m) {
    if constexpr (is_float) return _mm256_maskload_ps(p, m); else return _mm256_maskload_pd(p, m);
  }
  NERCC_TARGET_AVX2 static V broadcast(const S* p) {
    if constexpr (is_float) return _mm256_broadcast_ss(p); else return _mm256_broadcast_sd(p);
  }
  NERCC_TARGET_AVX2 static V mul(V a, V b) {
    if constexpr (is_float) return _mm256_mul_ps(a, b); else return _mm256_mul_pd(a, b);
  }
  NERCC_TARGET_AVX2 static V zero() {
    if constexpr (is_float) return _mm256_setzero_ps(); else return _mm256_setzero_pd();
  }
  NERCC_TARGET_AVX2 static V add(V a, V b) {
    if constexpr (is_float) return _mm256_add_ps(a, b); else return _mm256_add_pd(a, b);
  }
  NERCC_TARGET_AVX2 static V abs(V a) {
    if constexpr (is_float) return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); else return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a);
  }
  NERCC_TARGET_AVX2 static S sum(V a) {
    alignas(32) S lanes_of[lanes];
    store(lanes_of, a);
    S total(0);
    for (Index i = 0; i < lanes; ++i) total += lanes_of[i];
    return total;
  }
  NERCC_TARGET_AVX2 static V fmadd(V a, V b, V c) {
    if constexpr (is_float) return _mm256_fmadd_ps(a, b, c); else return _mm256_fmadd_pd(a, b, c);
  }
  NERCC_TARGET_AVX2 static void store(S* p, V v) {
    if constexpr (is_float) _mm256_storeu_ps(p, v); else _mm256_storeu_pd(p, v);
  }
  NERCC_TARGET_AVX2 static void store(S* p, V v, __m256i m) {
    if constexpr (is_float) _mm256_maskstore_ps(p, m, v); else _mm256_maskstore_pd(p, m, v);
  }
  // All bits set in the first n lanes.
  NERCC_TARGET_AVX2 static __m256i first(Index n) {
    if constexpr (is_float)
      return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    else
      return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
};

// The AVX2 path of CombineRows. A tile is Rows output rows x Vecs vectors held in registers
// (6 x 2 takes 12 of the 16, enough independent sums to cover the FMA latency on both pipes).
// Every value is c_0 * x_0 followed by one fused multiply-add per further q, ascending, in full
// tiles and in the masked tail alike, so a column's result does not depend on range splits.
template <class S>
struct Avx2Tiles {
  using Ops = Avx2Ops<S>;
  using V = typename Ops::V;
  static constexpr Index L = Ops::lanes;

  template <bool Masked>
  NERCC_TARGET_AVX2 static V load(const S* p, __m256i m) {
    return Masked ? Ops::load(p, m) : Ops::load(p);
  }

  template <int Rows, int Vecs, bool Masked, class Row>
  NERCC_TARGET_AVX2 static void tile(const S* const* c, Index Q, Row row, Index x_off, S* const* o, __m256i m) {
    V acc[Rows][Vecs];
    V x[Vecs];
    for (int v = 0; v < Vecs; ++v) x[v] = load<Masked>(row(0) + x_off + v * L, m);
    for (int r = 0; r < Rows; ++r) {
      const V b = Ops::broadcast(c[r]);
      for (int v = 0; v < Vecs; ++v) acc[r][v] = Ops::mul(b, x[v]);
    }
    for (Index q = 1; q < Q; ++q) {
      for (int v = 0; v < Vecs; ++v) x[v] = load<Masked>(row(q) + x_off + v * L, m);
      for (int r = 0; r < Rows; ++r) {
        const V b = Ops::broadcast(c[r] + q);
        for (int v = 0; v < Vecs; ++v) acc[r][v] = Ops::fmadd(b, x[v], acc[r][v]);
      }
    }
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < Vecs; ++v) {
        if (Masked)
          Ops::store(o[r] + v * L, acc[r][v], m);
        else
          Ops::store(o[r] + v * L, acc[r][v]);
      }
  }

  // Output rows p .. p + Rows - 1 of kernel k over columns [c0, c1), as CombineRows::tiles.
  template <int Rows, class K, class Row>
  NERCC_TARGET_AVX2 static void tiles(const K& k, Index p, Index c0, Index c1, const Row& row, Index base) {
    const S* c[Rows];
    S* first[Rows];
    S* o[Rows];
    for (int r = 0; r < Rows; ++r) c[r] = k.coef + (p + r) * k.coef_stride, first[r] = k.out_row(p + r);
    const auto at = [&](Index col) -> S* const* {
      for (int r = 0; r < Rows; ++r) o[r] = first[r] + col;
      return o;
    };
    Index col = c0;
    for (; col + 2 * L <= c1; col += 2 * L) tile<Rows, 2, false>(c, k.Q, row, col - base, at(col), __m256i());
    if (col + L <= c1) tile<Rows, 1, false>(c, k.Q, row, col - base, at(col), __m256i()), col += L;
    if (col < c1) tile<Rows, 1, true>(c, k.Q, row, col - base, at(col), Ops::first(c1 - col));
  }

  template <class K, class Row>
  NERCC_TARGET_AVX2 static void all_rows(const K& k, Index c0, Index c1, const Row& row, Index base) {
    Index p = 0;
    for (; p + 6 <= k.P; p += 6) tiles<6>(k, p, c0, c1, row, base);
    if (p + 4 <= k.P) tiles<4>(k, p, c0, c1, row, base), p += 4;
    if (p + 2 <= k.P) tiles<2>(k, p, c0, c1, row, base), p += 2;
    if (p < k.P) tiles<1>(k, p, c0, c1, row, base);
  }
};
#endif

template <class S, class InRow, class OutRow>
struct CombineRows {
  // A tile is Rows output rows x Width columns; its accumulators stay in registers while every
  // input row is folded in (ascending q), so each output value is stored exactly once.
  static constexpr Index Width = 2 * EIGEN_MAX_STATIC_ALIGN_BYTES / Index(sizeof(S)) > 0
                                     ? 2 * EIGEN_MAX_STATIC_ALIGN_BYTES / Index(sizeof(S))
                                     : 8;
  // Column blocks and thread ranges are whole cache lines and whole tiles of either path.
  static constexpr Index Step = std::max(Width, Index(64 / sizeof(S)));
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
  OutRow out_row;
  Simd simd;

  // Output rows p .. p + Rows - 1 over columns [c0, c1); input row q, column c is row(q)[c - base].
  template <int Rows, class Row>
  void tiles(Index p, Index c0, Index c1, const Row& row, Index base) const {
    const S* c[Rows];
    S* o[Rows];
    for (int r = 0; r < Rows; ++r) c[r] = coef + (p + r) * coef_stride, o[r] = out_row(p + r);
    Index col = c0;
    for (; col + Width <= c1; col += Width) {
      Tile acc[Rows];
      const ConstTile x0(row(0) + (col - base));
      for (int r = 0; r < Rows; ++r) acc[r] = c[r][0] * x0;
      for (Index q = 1; q < Q; ++q) {
        const ConstTile x(row(q) + (col - base));
        for (int r = 0; r < Rows; ++r) acc[r] += c[r][q] * x;
      }
      for (int r = 0; r < Rows; ++r) OutTile(o[r] + col) = acc[r];
    }
    for (; col < c1; ++col)
      for (int r = 0; r < Rows; ++r) {
        S acc = c[r][0] * row(0)[col - base];
        for (Index q = 1; q < Q; ++q) acc += c[r][q] * row(q)[col - base];
        o[r][col] = acc;
      }
  }

  template <class Row>
  void all_rows(Index c0, Index c1, const Row& row, Index base) const {
#if NERCC_SIMD_DISPATCH
    if constexpr (std::is_same<S, float>::value || std::is_same<S, double>::value)
      if (simd == Simd::avx2) return Avx2Tiles<S>::all_rows(*this, c0, c1, row, base);
#endif
    Index p = 0;
    for (; p + 4 <= P; p += 4) tiles<4>(p, c0, c1, row, base);
    if (p + 2 <= P) tiles<2>(p, c0, c1, row, base), p += 2;
    if (p < P) tiles<1>(p, c0, c1, row, base);
  }

  void columns(Index c0, Index c1) const {
    if (Q == 0) {
      for (Index p = 0; p < P; ++p) std::fill(out_row(p) + c0, out_row(p) + c1, S(0));
      return;
    }
    const Index block = (pack_size / Q - pad) / Step * Step;
    if (block < Step) {  // too many input rows to pack: read them in place, a tile at a time
      const auto direct = [this](Index q) { return in_row(q); };
      for (Index b0 = c0; b0 < c1; b0 += Step) all_rows(b0, std::min(c1, b0 + Step), direct, 0);
      return;
    }
    const Index stride = block + pad;
    alignas(64) S pack[pack_size];
    const auto packed = [first = static_cast<const S*>(pack), stride](Index q) { return first + q * stride; };
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

/// 2^-64 * sum |x| over m, in one vectorised pass as cheap as all_finite's: finite exactly when
/// every entry is (NaN and infinity propagate; a finite matrix whose plain sum overflows takes a
/// second, scaled pass), and 2^64 times it bounds every |x|. Overflow checks compare it with
/// scaled_overflow_limit.
template <class Derived>
typename Derived::Scalar scaled_abs_sum(const Eigen::MatrixBase<Derived>& m) {
  using S = typename Derived::Scalar;
  const S scale = std::ldexp(S(1), -64);
  S sum(0);
  for (Index r = 0; r < m.rows(); ++r) sum += m.row(r).array().abs().sum();
  if (std::isfinite(sum)) return sum * scale;
  sum = S(0);
  for (Index r = 0; r < m.rows(); ++r) sum += (m.row(r).array().abs() * scale).sum();
  return sum;
}

/// The largest |x| a scaled_abs_sum may bound so that a combination with coefficient row sums
/// of 1 cannot overflow S, in the same scale (max<S> * 2^-64, with a factor 4 for rounding).
template <class S>
S scaled_overflow_limit() {
  return std::ldexp(std::numeric_limits<S>::max(), -66);
}

/// Whether the storage of two row-major matrices (any row strides) overlaps.
template <class A, class B>
bool storage_overlaps(const A& a, const B& b) {
  if (a.size() == 0 || b.size() == 0) return false;
  const auto begin = [](const auto& m) { return reinterpret_cast<std::uintptr_t>(m.data()); };
  const auto end = [](const auto& m) {
    return reinterpret_cast<std::uintptr_t>(m.data() + (m.rows() - 1) * m.outerStride() + m.cols());
  };
  return begin(a) < end(b) && begin(b) < end(a);
}

/// Values (inputs plus outputs) a thread must have before combine_rows splits the columns:
/// below this, starting a thread costs more than it saves.
constexpr Index combine_rows_values_per_thread = Index(1) << 18;

// Runs columns(c0, c1, i) on up to `threads` threads (the caller's included) over contiguous
// ranges i = 0, 1, ... of [0, d) that are whole multiples of `step` wide, so no two threads write the same
// cache line of a row (beyond the one where their ranges meet); one thread when each would get
// fewer than combine_rows_values_per_thread values (`values_per_column` per column).
template <class Columns>
void split_columns(Index d, Index values_per_column, Index step, Index threads, const Columns& columns) {
  const Index useful = std::max(Index(1), d * values_per_column / combine_rows_values_per_thread);
  const Index t = std::min(threads, useful);
  if (t <= 1) {
    columns(Index(0), d, Index(0));
    return;
  }
  const Index tiles = (d + step - 1) / step;
  const auto bound = [&](Index i) { return std::min(d, (tiles * i / t) * step); };
  std::vector<std::thread> helpers;
  helpers.reserve(std::size_t(t - 1));
  struct Joiner {
    std::vector<std::thread>& threads;
    ~Joiner() {
      for (auto& th : threads) th.join();
    }
  } joiner{helpers};
  for (Index i = 1; i < t; ++i)
    helpers.emplace_back([&columns, i, b0 = bound(i), b1 = bound(i + 1)] { columns(b0, b1, i); });
  columns(Index(0), bound(1), Index(0));
}

/// out_row(p)[c] = sum_q coef(p, q) * in_row(q)[c] for p < P over d columns, summed in
/// ascending q (so the result depends only on the order of the input rows). `in_row(q)` gives
/// the start of input row q and `out_row(p)` of output row p (any rows: a decode writes its
/// estimates to scattered rows); coef is row-major with row stride coef_stride. Up to `threads`
/// threads (the caller's included) take contiguous column ranges. No heap allocation on one
/// thread (the scratch is 24 KiB of stack); outputs must not overlap the inputs. `simd` picks
/// the kernel (portable where the CPU lacks it): Simd::avx2 sums with fused multiply-adds, so
/// its results differ from the portable ones by rounding.
template <class S, class InRow, class OutRow>
void combine_rows_to(Index P, Index Q, Index d, const S* coef, Index coef_stride, InRow in_row, OutRow out_row,
                     Index threads = 1, Simd simd = simd_level()) {
  if (simd != cpu_simd()) simd = Simd::portable;
  using Kernel = CombineRows<S, InRow, OutRow>;
  const Kernel kernel{P, Q, coef, coef_stride, in_row, out_row, simd};
  split_columns(d, P + Q, Kernel::Step, threads, [&kernel](Index c0, Index c1, Index) { kernel.columns(c0, c1); });
}

/// combine_rows_to with output rows out + p * out_stride.
template <class S, class InRow>
void combine_rows(Index P, Index Q, Index d, const S* coef, Index coef_stride, InRow in_row, S* out, Index out_stride,
                  Index threads = 1, Simd simd = simd_level()) {
  combine_rows_to<S>(P, Q, d, coef, coef_stride, in_row, [out, out_stride](Index p) { return out + p * out_stride; },
                     threads, simd);
}

}  // namespace detail
NERCC_NAMESPACE_END
