// The combine kernel on every instruction set this CPU runs: each against an exact reference
// within the rounding bound of its sums, against each other, and bitwise across thread counts.
#include <nercc/detail/combine_rows.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using nercc::Index;
using nercc::detail::Simd;

namespace {

// One combine problem: strided coefficients, inputs reached through a permuted row table, and
// output rows with padding that must stay untouched.
template <class S>
struct Problem {
  Index P, Q, d, coef_stride, in_stride, out_stride;
  std::vector<S> coef, in;
  std::vector<const S*> rows;

  Problem(Index p, Index q, Index cols, std::mt19937& rng) : P(p), Q(q), d(cols) {
    std::uniform_int_distribution<Index> extra(0, 37);
    coef_stride = Q + extra(rng) % 6;
    in_stride = d + extra(rng);
    out_stride = d + extra(rng);
    std::uniform_real_distribution<S> u(S(-1), S(1));
    coef.resize(std::size_t(std::max(Index(1), P * coef_stride)));
    in.resize(std::size_t(std::max(Index(1), Q * in_stride)));
    for (S& c : coef) c = u(rng);
    for (S& x : in) x = u(rng);
    std::vector<Index> order(static_cast<std::size_t>(Q));
    std::iota(order.begin(), order.end(), Index(0));
    std::shuffle(order.begin(), order.end(), rng);
    for (Index r : order) rows.push_back(in.data() + r * in_stride);
  }

  static constexpr S pad_value = S(12345);

  std::vector<S> run(Simd simd, Index threads) const {
    std::vector<S> out(std::size_t(P * out_stride), pad_value);
    nercc::detail::combine_rows<S>(P, Q, d, coef.data(), coef_stride, [this](Index q) { return rows[std::size_t(q)]; },
                                   out.data(), out_stride, threads, simd);
    return out;
  }

  S coef_at(Index p, Index q) const { return coef[std::size_t(p * coef_stride + q)]; }
  S in_at(Index q, Index c) const { return rows[std::size_t(q)][c]; }
};

// Both kernels sum Q rounded terms in order (the portable one as product then add, the AVX2 one
// as fused multiply-adds): each is within gamma_Q * sum_q |c_q x_q| of the exact sum, with
// gamma_Q = Q u / (1 - Q u) and u the unit roundoff, so two kernels are within twice that.
template <class S>
long double gamma(Index Q) {
  const long double u = std::numeric_limits<S>::epsilon() / 2;
  return Q * u / (1 - Q * u);
}

template <class S>
void check_against_exact(const Problem<S>& pb, const std::vector<S>& out, long double scale) {
  Index bad = 0;
  for (Index p = 0; p < pb.P; ++p) {
    for (Index c = 0; c < pb.d; ++c) {
      long double exact = 0, magnitude = 0;
      for (Index q = 0; q < pb.Q; ++q) {
        const long double t = static_cast<long double>(pb.coef_at(p, q)) * pb.in_at(q, c);
        exact += t;
        magnitude += std::fabs(t);
      }
      if (std::fabs(out[std::size_t(p * pb.out_stride + c)] - exact) > scale * gamma<S>(pb.Q) * magnitude) ++bad;
    }
    for (Index c = pb.d; c < pb.out_stride; ++c)
      if (out[std::size_t(p * pb.out_stride + c)] != Problem<S>::pad_value) ++bad;
  }
  CHECK(bad == 0);
}

// Random shapes: P and Q from 1 to 40 with d of any remainder modulo the vector widths, a few
// wide enough for two threads to split the columns, and one Q too large to pack.
template <class S>
std::vector<Problem<S>> problems() {
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<Index> rows(1, 40), narrow(1, 300);
  std::vector<Problem<S>> all;
  for (int i = 0; i < 120; ++i) all.emplace_back(rows(rng), rows(rng), narrow(rng), rng);
  for (int i = 0; i < 4; ++i) {
    const Index p = rows(rng), q = rows(rng);
    const Index two_threads = 2 * nercc::detail::combine_rows_values_per_thread / (p + q) + 1;
    all.emplace_back(p, q, two_threads + narrow(rng), rng);
  }
  all.emplace_back(3, 300, 101, rng);
  return all;
}

std::vector<Simd> kernels() {
  std::vector<Simd> s{Simd::portable};
  if (nercc::detail::cpu_simd() != Simd::portable) s.push_back(nercc::detail::cpu_simd());
  return s;
}

}  // namespace

TEMPLATE_TEST_CASE("combine_rows: every kernel is within the rounding bound of the exact sums", "[combine_rows]", float,
                   double) {
  if (kernels().size() == 1) WARN("this CPU has no AVX2 + FMA: only the portable kernel is checked");
  for (const Problem<TestType>& pb : problems<TestType>())
    for (Simd simd : kernels()) {
      INFO("P " << pb.P << ", Q " << pb.Q << ", d " << pb.d << ", kernel " << nercc::detail::simd_name(simd));
      check_against_exact(pb, pb.run(simd, 1), 1.0L);
    }
}

TEMPLATE_TEST_CASE("combine_rows: the dispatched kernel equals the portable one up to rounding", "[combine_rows]", float,
                   double) {
  const Simd best = kernels().back();
  for (const Problem<TestType>& pb : problems<TestType>()) {
    INFO("P " << pb.P << ", Q " << pb.Q << ", d " << pb.d);
    const std::vector<TestType> portable = pb.run(Simd::portable, 1), dispatched = pb.run(best, 1);
    Index bad = 0;
    for (Index p = 0; p < pb.P; ++p)
      for (Index c = 0; c < pb.d; ++c) {
        long double magnitude = 0;
        for (Index q = 0; q < pb.Q; ++q) magnitude += std::fabs(static_cast<long double>(pb.coef_at(p, q)) * pb.in_at(q, c));
        const std::size_t i = std::size_t(p * pb.out_stride + c);
        if (std::fabs(static_cast<long double>(portable[i]) - dispatched[i]) > 2 * gamma<TestType>(pb.Q) * magnitude) ++bad;
      }
    CHECK(bad == 0);
  }
}

TEMPLATE_TEST_CASE("combine_rows: results are bitwise independent of the thread count", "[combine_rows]", float, double) {
  for (const Problem<TestType>& pb : problems<TestType>())
    for (Simd simd : kernels()) {
      INFO("P " << pb.P << ", Q " << pb.Q << ", d " << pb.d << ", kernel " << nercc::detail::simd_name(simd));
      const std::vector<TestType> one = pb.run(simd, 1);
      const bool two_same = pb.run(simd, 2) == one, three_same = pb.run(simd, 3) == one;
      CHECK(two_same);
      CHECK(three_same);
    }
}

TEST_CASE("combine_rows: the kernel in use is the CPU's unless NERCC_DISABLE_SIMD_DISPATCH is set", "[combine_rows]") {
  const Simd used = nercc::detail::simd_level();
  CHECK((used == nercc::detail::cpu_simd() || used == Simd::portable));
}
