// Systematic codes (issue 15): the copy fast paths of encode and decode against a memcpy of
// their output and against the dense path of the same points, at the large shape (N = 24,
// K = 16, d = 150528 = 224 x 224 x 3, float, one thread, 2 of the 24 workers missing).
//
// "The same bytes": BM_MemcpyOutput copies rows x d floats, rows = K (a decode's output) or N
// (an encode's output); bytes_per_second of every benchmark here counts the output alone, so
// the ratio of two rates is the ratio of their times. The dense reference is the same code
// with its worker points rotated (query points last): the same curve, every row computed.
#include "bench_common.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using nercc::Index;
using S = float;

constexpr Index N = 24, K = 16, D = 150528;

nercc::CodeParams systematic_code() { return nercc::systematic_params(K, N, 0.1); }

// The same points, the query points last: not systematic, so encode and decode run dense.
nercc::CodeParams rotated_code() {
  const nercc::CodeParams s = systematic_code();
  nercc::CodeParams p = s;
  for (Index w = 0; w < N; ++w) p.worker_points[std::size_t((w + N - K) % N)] = s.worker_points[std::size_t(w)];
  return p;
}

// range(0): 0 = systematic worker 1 and companion 20 missing, 1 = systematic workers 1 and 9
// missing. Ids of the rotated layout when `rotated`.
std::vector<Index> answered(std::int64_t missing, bool rotated) {
  const std::vector<Index> gone = missing == 0 ? std::vector<Index>{1, 20} : std::vector<Index>{1, 9};
  std::vector<Index> ids;
  for (Index w = 0; w < N; ++w)
    if (w != gone[0] && w != gone[1]) ids.push_back(rotated ? (w + N - K) % N : w);
  return ids;
}

void label(benchmark::State& state, const char* path) {
  state.SetLabel(std::string(path) + " " + nercc::detail::simd_name(nercc::detail::simd_level()));
}

// range(0) = 1: systematic fast path; 0: the dense path (rotated points).
void BM_SystematicEncode(benchmark::State& state) {
  const bool fast = state.range(0) == 1;
  const nercc::Encoder<nercc::SplineScheme, S> enc(fast ? systematic_code() : rotated_code());
  if (enc.systematic() != fast) return state.SkipWithError("layout is not what the benchmark expects");
  const nercc::RowMatrix<S> x = nercc_bench::random_matrix<S>(K, D, 1);
  nercc::RowMatrix<S> coded(N, D);
  for (auto _ : state) {
    enc.encode_into(x, coded);
    benchmark::DoNotOptimize(coded.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * N * D * Index(sizeof(S)));
  label(state, fast ? "systematic" : "dense");
}

// range(0): which workers are missing (see answered); range(1) = 1: systematic fast path,
// 0: the dense path (rotated points). The answered set is cached, as in serving.
void BM_SystematicDecode(benchmark::State& state) {
  const bool fast = state.range(1) == 1;
  const nercc::Decoder<nercc::SplineScheme, S> dec(fast ? systematic_code() : rotated_code());
  if (dec.systematic() != fast) return state.SkipWithError("layout is not what the benchmark expects");
  const std::vector<Index> ids = answered(state.range(0), !fast);
  const nercc::RowMatrix<S> y = nercc_bench::random_matrix<S>(Index(ids.size()), D, 3);
  nercc::RowMatrix<S> out(K, D);
  dec.decode_into(ids, y, out);
  for (auto _ : state) {
    dec.decode_into(ids, y, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * K * D * Index(sizeof(S)));
  label(state, fast ? "systematic" : "dense");
}

// range(0) rows of D floats: K for a decode's output, N for an encode's.
void BM_MemcpyOutput(benchmark::State& state) {
  const std::size_t bytes = std::size_t(state.range(0) * D) * sizeof(S);
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * std::int64_t(bytes));
}

}  // namespace

BENCHMARK(BM_MemcpyOutput)->ArgName("rows")->Arg(K)->Arg(N)->UseRealTime();
BENCHMARK(BM_SystematicEncode)->ArgName("systematic")->Arg(1)->Arg(0)->UseRealTime();
BENCHMARK(BM_SystematicDecode)->ArgNames({"missing", "systematic"})->Args({0, 1})->Args({1, 1})->Args({0, 0})->Args({1, 0})->UseRealTime();
