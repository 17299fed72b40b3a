// Decoding a never-seen answered set: building D_F (plus the cache insertion and eviction of a
// full cache) dominates; the outputs have one column so the combine costs next to nothing.
#include "bench_common.hpp"

#include <benchmark/benchmark.h>

#include <set>

namespace {

using nercc::Index;
using S = float;

template <class Scheme>
void BM_DecoderMatrix(benchmark::State& state) {
  nercc::CodeParams p = nercc_bench::decoder_params(state.range(0), state.range(1));
  const Index f = nercc_bench::answered(p.num_workers, p.num_queries);
  // Four times as many distinct sets as the cache holds, visited in a cycle: every decode
  // misses, and every insertion evicts. (20, 10) has only 190 sets of 18 workers.
  const std::size_t sets = p.num_workers > 20 ? 4 * p.decoder_cache_capacity : 128;
  p.decoder_cache_capacity = sets / 4;
  const nercc::Decoder<Scheme, S> dec(p);
  std::mt19937_64 rng(7);
  std::set<std::vector<Index>> distinct;
  while (distinct.size() < sets) distinct.insert(nercc_bench::random_set(p.num_workers, f, rng));
  const std::vector<std::vector<Index>> ids(distinct.begin(), distinct.end());
  const nercc::RowMatrix<S> y = nercc_bench::random_matrix<S>(f, 1, 3);
  nercc::RowMatrix<S> out(p.num_queries, 1);
  nercc::DecodeDiagnostics diag;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    dec.decode_into(ids[i], y, out, &diag);
    hits += diag.cache_hit;
    i = (i + 1 == sets) ? 0 : i + 1;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["cache_hits"] = double(hits);
  // The matrix built: K x |F| coefficients.
  state.SetBytesProcessed(state.iterations() * p.num_queries * f * Index(sizeof(S)));
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "K"});
  for (auto nk : std::vector<std::pair<int, int>>{{20, 10}, {60, 10}, {100, 20}, {200, 40}}) b->Args({nk.first, nk.second});
}

}  // namespace

BENCHMARK_TEMPLATE(BM_DecoderMatrix, nercc::SplineScheme)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_DecoderMatrix, nercc::BerrutScheme)->Apply(shapes);
