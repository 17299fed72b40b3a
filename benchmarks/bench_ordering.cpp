// Encode-side cost of ordering a batch of K queries (d = 784: Fashion-MNIST; d = 150528:
// 224 x 224 x 3 images), exact distances and random projections to p = 32.
#include "bench_common.hpp"

#include <nercc/ordering.hpp>

#include <benchmark/benchmark.h>

namespace {

using nercc::Index;

// Arguments: method, K, d, projection_dim (0: exact), projection kind.
void BM_OrderQueries(benchmark::State& state) {
  const auto method = nercc::OrderingMethod(state.range(0));
  const Index k = state.range(1), d = state.range(2);
  nercc::OrderingOptions options;
  options.projection_dim = state.range(3);
  options.projection = nercc::Projection(state.range(4));
  const nercc::RowMatrix<float> x = nercc_bench::random_matrix<float>(k, d, 7);
  for (auto _ : state) benchmark::DoNotOptimize(nercc::order_queries(x, method, options));
}

void ordering_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"method", "K", "d", "p", "proj"});
  for (int method = 0; method < 4; ++method)
    for (int k : {10, 16, 20}) {
      b->Args({method, k, 784, 0, 0});
      b->Args({method, k, 150528, 0, 0});
      b->Args({method, k, 150528, 32, int(nercc::Projection::rademacher)});
      b->Args({method, k, 150528, 32, int(nercc::Projection::count_sketch)});
    }
}

BENCHMARK(BM_OrderQueries)->Apply(ordering_args)->Unit(benchmark::kMicrosecond);

}  // namespace
