// Encode and cached decode against a plain copy of the same bytes (the memory-speed limit), and
// the combine kernel on each instruction set in one run. Encode and decode are labelled with the
// kernel they ran (NERCC_DISABLE_SIMD_DISPATCH=1 forces "portable").
#include "bench_common.hpp"

#include <benchmark/benchmark.h>

#include <cstring>

namespace {

using nercc::Index;
using S = float;

nercc::CodeParams params(const benchmark::State& state) {
  nercc::CodeParams p;
  p.num_workers = state.range(0);
  p.num_queries = state.range(1);
  p.num_threads = state.range(3);
  return p;
}

// Bytes read plus bytes written by one encode (K x d in, N x d out) or decode (|F| x d in, K x d out).
std::int64_t encode_bytes(Index n, Index k, Index d) { return (n + k) * d * Index(sizeof(S)); }
std::int64_t decode_bytes(Index n, Index k, Index d) { return (nercc_bench::answered(n, k) + k) * d * Index(sizeof(S)); }

void label_kernel(benchmark::State& state) { state.SetLabel(nercc::detail::simd_name(nercc::detail::simd_level())); }

void BM_Encode(benchmark::State& state) {
  const nercc::CodeParams p = params(state);
  const Index d = state.range(2);
  const nercc::Encoder<nercc::SplineScheme, S> enc(p);
  const nercc::RowMatrix<S> x = nercc_bench::random_matrix<S>(p.num_queries, d, 1);
  nercc::RowMatrix<S> coded(p.num_workers, d);
  for (auto _ : state) {
    enc.encode_into(x, coded);
    benchmark::DoNotOptimize(coded.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * encode_bytes(p.num_workers, p.num_queries, d));
  label_kernel(state);
}

void BM_Decode(benchmark::State& state) {
  const nercc::CodeParams p = params(state);
  const Index d = state.range(2), f = nercc_bench::answered(p.num_workers, p.num_queries);
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  std::mt19937_64 rng(2);
  const std::vector<Index> ids = nercc_bench::random_set(p.num_workers, f, rng);
  const nercc::RowMatrix<S> y = nercc_bench::random_matrix<S>(f, d, 3);
  nercc::RowMatrix<S> out(p.num_queries, d);
  dec.decode_into(ids, y, out);  // the answered set is cached from here on
  for (auto _ : state) {
    dec.decode_into(ids, y, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * decode_bytes(p.num_workers, p.num_queries, d));
  label_kernel(state);
}

// A never-seen answered set: no cache, so every decode builds D_F, then combines.
template <class Scheme>
void BM_DecodeNew(benchmark::State& state) {
  nercc::CodeParams p = nercc_bench::decoder_params(state.range(0), state.range(1));
  p.decoder_cache_capacity = 0;
  const Index d = state.range(2), f = nercc_bench::answered(p.num_workers, p.num_queries);
  const nercc::Decoder<Scheme, S> dec(p);
  std::mt19937_64 rng(2);
  const std::vector<Index> ids = nercc_bench::random_set(p.num_workers, f, rng);
  const nercc::RowMatrix<S> y = nercc_bench::random_matrix<S>(f, d, 3);
  nercc::RowMatrix<S> out(p.num_queries, d);
  for (auto _ : state) {
    dec.decode_into(ids, y, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * decode_bytes(p.num_workers, p.num_queries, d));
  label_kernel(state);
}

// The combine of an encode (range(3) == 0: N x K coefficients on K rows) or a decode (1: K x |F|
// on |F| rows) with the kernel given by range(4) (0 portable, 1 avx2), on one thread.
void BM_CombineRows(benchmark::State& state) {
  const Index n = state.range(0), k = state.range(1), d = state.range(2);
  const bool decode = state.range(3) == 1;
  const nercc::detail::Simd simd = state.range(4) == 1 ? nercc::detail::Simd::avx2 : nercc::detail::Simd::portable;
  state.SetLabel(nercc::detail::simd_name(simd));
  if (simd != nercc::detail::Simd::portable && nercc::detail::cpu_simd() != simd) {
    state.SkipWithError("this CPU does not run this kernel");
    return;
  }
  const Index rows_out = decode ? k : n, rows_in = decode ? nercc_bench::answered(n, k) : k;
  const nercc::RowMatrix<S> coef = nercc_bench::random_matrix<S>(rows_out, rows_in, 4);
  const nercc::RowMatrix<S> in = nercc_bench::random_matrix<S>(rows_in, d, 5);
  nercc::RowMatrix<S> out(rows_out, d);
  for (auto _ : state) {
    nercc::detail::combine_rows<S>(rows_out, rows_in, d, coef.data(), rows_in, [&](Index q) { return in.row(q).data(); },
                                   out.data(), d, 1, simd);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * (decode ? decode_bytes(n, k, d) : encode_bytes(n, k, d)));
}

// range(3) == 0: the bytes of an encode of that shape; 1: of a decode.
void BM_Memcpy(benchmark::State& state) {
  const Index n = state.range(0), k = state.range(1), d = state.range(2);
  const std::int64_t bytes = state.range(3) == 0 ? encode_bytes(n, k, d) : decode_bytes(n, k, d);
  const std::size_t half = std::size_t(bytes / 2);
  std::vector<char> src(half, 1), dst(half, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), half);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * std::int64_t(2 * half));
}

// {N, K, d}: small, paper-sized, and large (224 x 224 x 3 images).
const std::vector<std::vector<std::int64_t>> shapes = {{20, 10, 784}, {60, 10, 3072}, {24, 16, 150528}};

void code_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "K", "d", "threads"});
  for (const auto& s : shapes) b->Args({s[0], s[1], s[2], 1});
  b->Args({24, 16, 150528, 2});
}

void shape_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "K", "d"});
  for (const auto& s : shapes) b->Args(s);
}

void kernel_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "K", "d", "decode", "avx2"});
  for (const auto& s : shapes)
    for (std::int64_t decode : {0, 1})
      for (std::int64_t avx2 : {0, 1}) b->Args({s[0], s[1], s[2], decode, avx2});
}

void copy_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "K", "d", "decode"});
  for (const auto& s : shapes) b->Args({s[0], s[1], s[2], 0})->Args({s[0], s[1], s[2], 1});
}

}  // namespace

BENCHMARK(BM_Encode)->Apply(code_args)->UseRealTime();
BENCHMARK(BM_Decode)->Apply(code_args)->UseRealTime();
BENCHMARK_TEMPLATE(BM_DecodeNew, nercc::SplineScheme)->Apply(shape_args)->UseRealTime();
BENCHMARK_TEMPLATE(BM_DecodeNew, nercc::BerrutScheme)->Apply(shape_args)->UseRealTime();
BENCHMARK(BM_CombineRows)->Apply(kernel_args)->UseRealTime();
BENCHMARK(BM_Memcpy)->Apply(copy_args)->UseRealTime();
