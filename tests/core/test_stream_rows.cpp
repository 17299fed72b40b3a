// The one-pass kernel of the systematic codes (detail/stream_rows.hpp) against plain loops: the
// combined rows, the copies (bitwise) and the magnitudes, on both instruction sets, one or two
// threads, few combined rows (summed while streaming) and many (the CombineRows path).
#include <nercc/detail/stream_rows.hpp>

#include "coding.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

using nercc::Index;
using nercc::RowMatrix;

namespace {

template <class S>
struct StreamRun {
  RowMatrix<S> out;            // rows 0..P-1 combined, then one row per copied input
  std::vector<S> magnitude;
};

// Inputs x (Q x d); combined rows coef (P x Q); copies of the odd inputs.
template <class S>
StreamRun<S> stream_run(const RowMatrix<S>& coef, const RowMatrix<S>& x, Index threads, nercc::detail::Simd simd) {
  const Index P = coef.rows(), Q = x.rows(), d = x.cols();
  StreamRun<S> r;
  r.out = RowMatrix<S>::Constant(P + Q / 2, d, S(-7));
  r.magnitude.assign(std::size_t(Q), S(-1));
  std::vector<S*> copy_to(std::size_t(Q), nullptr);
  for (Index q = 1; q < Q; q += 2) copy_to[std::size_t(q)] = r.out.row(P + q / 2).data();
  nercc::detail::stream_rows<S>(P, Q, d, coef.data(), Q, [&](Index q) { return x.row(q).data(); },
                         [&](Index p) { return r.out.row(p).data(); }, copy_to.data(), r.magnitude.data(), threads,
                         simd);
  return r;
}

template <class S>
void check_stream(Index P, Index Q, Index d, Index threads) {
  const RowMatrix<S> coef = nercc_test::random_matrix<S>(P, Q, std::uint32_t(P * 100 + Q));
  const RowMatrix<S> x = nercc_test::random_matrix<S>(Q, d, std::uint32_t(d));
  const RowMatrix<double> exact = coef.template cast<double>() * x.template cast<double>();
  const double bound = P == 0 ? 0.0
                               : (std::is_same<S, float>::value ? 1e-5 : 1e-13) * double(Q) *
                                     (coef.template cast<double>().cwiseAbs() * x.template cast<double>().cwiseAbs())
                                         .maxCoeff();
  for (nercc::detail::Simd simd : {nercc::detail::Simd::portable, nercc::detail::Simd::avx2}) {
    if (simd == nercc::detail::Simd::avx2 && nercc::detail::cpu_simd() != simd) continue;
    const StreamRun<S> r = stream_run(coef, x, threads, simd);
    if (P > 0) CHECK((r.out.topRows(P).template cast<double>() - exact).cwiseAbs().maxCoeff() <= bound);
    for (Index q = 1; q < Q; q += 2)
      CHECK(std::memcmp(r.out.row(P + q / 2).data(), x.row(q).data(), std::size_t(d) * sizeof(S)) == 0);
    for (Index q = 0; q < Q; ++q)
      CHECK(double(r.magnitude[std::size_t(q)]) ==
            Approx(double(nercc::detail::scaled_abs_sum(x.row(q)))).epsilon(std::is_same<S, float>::value ? 1e-4 : 1e-10));
    // Threads take column ranges: the same sums, bitwise (magnitudes up to rounding).
    if (threads > 1) {
      const StreamRun<S> one = stream_run(coef, x, 1, simd);
      CHECK(std::memcmp(one.out.data(), r.out.data(), std::size_t(r.out.size()) * sizeof(S)) == 0);
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("stream_rows combines, copies and measures every input in one pass", "[stream_rows]", float, double) {
  using S = TestType;
  for (Index P : {Index(0), Index(1), Index(2), Index(3), nercc::detail::stream_rows_max_accumulated,
                  nercc::detail::stream_rows_max_accumulated + 3})
    for (Index Q : {1, 3, 4, 7, 22})
      for (Index d : {1, 13, 64, 1000}) check_stream<S>(P, Q, d, 1);
  // Longer than a chunk (with a ragged end), and long enough for two threads.
  check_stream<S>(1, 22, nercc::detail::stream_rows_chunk_bytes / Index(sizeof(S)) * 2 + 37, 1);
  check_stream<S>(2, 22, 30011, 2);
  check_stream<S>(nercc::detail::stream_rows_max_accumulated + 1, 16, 30011, 2);
}

TEMPLATE_TEST_CASE("stream_rows: a non-finite input has a non-finite magnitude, a huge finite one does not",
                   "[stream_rows]", float, double) {
  using S = TestType;
  RowMatrix<S> x = nercc_test::random_matrix<S>(3, 300, 1);
  x(0, 250) = std::numeric_limits<S>::quiet_NaN();
  x(1, 7) = -std::numeric_limits<S>::infinity();
  x.row(2).setConstant(std::numeric_limits<S>::max() / S(2));  // the plain sum overflows
  const RowMatrix<S> coef = RowMatrix<S>::Zero(1, 3);
  for (nercc::detail::Simd simd : {nercc::detail::Simd::portable, nercc::detail::Simd::avx2}) {
    if (simd == nercc::detail::Simd::avx2 && nercc::detail::cpu_simd() != simd) continue;
    const StreamRun<S> r = stream_run(coef, x, 1, simd);
    CHECK_FALSE(std::isfinite(r.magnitude[0]));
    CHECK_FALSE(std::isfinite(r.magnitude[1]));
    CHECK(std::isfinite(r.magnitude[2]));
    CHECK(double(r.magnitude[2]) == Approx(double(nercc::detail::scaled_abs_sum(x.row(2)))).epsilon(1e-4));
  }
}
