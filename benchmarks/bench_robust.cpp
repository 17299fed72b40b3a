// Byzantine-robust decoding (issue 18): a decode that looks for E = 1 wrong answer against the
// plain decode, both of a never-seen answered set (no cache: each decode builds its matrices),
// at (N, K) = (27, 12), d = 784, float, one thread. The answers are a smooth curve sampled at
// the worker points, with worker 9's answer sign-flipped: the robust decode flags it and
// decodes the other 26 (the plain one decodes all 27). Target: within 10x of the plain decode.
#include <benchmark/benchmark.h>

#include <nercc/nercc.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

using nercc::Index;
using S = float;

constexpr Index robust_bench_n = 27, robust_bench_k = 12, robust_bench_d = 784;

// Row w: a smooth function of worker point beta_w, different in every column; row 9 negated.
nercc::RowMatrix<S> attacked_answers(const std::vector<double>& beta) {
  nercc::RowMatrix<S> y(robust_bench_n, robust_bench_d);
  for (Index w = 0; w < robust_bench_n; ++w)
    for (Index m = 0; m < robust_bench_d; ++m)
      y(w, m) = S(std::sin(3.0 * beta[std::size_t(w)] + 0.01 * double(m)) + 0.3 * std::cos(double(m)));
  y.row(9) = -y.row(9);
  return y;
}

// range(0): E (0 = the plain decode); range(1) = 1: Berrut, 0: spline. Caching off: every
// decode is of a never-seen answered set.
void BM_RobustDecode(benchmark::State& state) {
  nercc::CodeParams p;
  p.num_queries = robust_bench_k;
  p.num_workers = robust_bench_n;
  p.num_adversaries = Index(state.range(0));
  p.decoder_cache_capacity = 0;
  const auto run = [&](auto tag) {
    const nercc::Decoder<decltype(tag), S> dec(p);
    const nercc::RowMatrix<S> y = attacked_answers(p.resolved_worker_points());
    std::vector<Index> ids(static_cast<std::size_t>(robust_bench_n));
    for (Index w = 0; w < robust_bench_n; ++w) ids[std::size_t(w)] = w;
    nercc::RowMatrix<S> out(robust_bench_k, robust_bench_d);
    std::vector<Index> flagged;
    std::vector<double> scores;
    dec.decode_into(ids, y, out, nullptr, nullptr, nullptr, &flagged, &scores);
    if (p.num_adversaries > 0 && flagged != std::vector<Index>{9})
      return state.SkipWithError("the robust decode did not flag exactly worker 9");
    for (auto _ : state) {
      dec.decode_into(ids, y, out, nullptr, nullptr, nullptr, &flagged, &scores);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
    state.SetLabel(std::string(decltype(tag)::name) + (p.num_adversaries > 0 ? " robust" : " plain"));
  };
  if (state.range(1) == 1) run(nercc::BerrutScheme{});
  else run(nercc::SplineScheme{});
}

}  // namespace

BENCHMARK(BM_RobustDecode)->ArgNames({"E", "berrut"})->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1})->UseRealTime();
