// One smoothing-spline fit over n sites: the time per site must not grow with n.
#include "bench_common.hpp"

#include <benchmark/benchmark.h>

namespace {

using nercc::Index;

void BM_SplineFit(benchmark::State& state) {
  const Index n = state.range(0);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> gap(0.5, 1.5);
  std::vector<double> sites(static_cast<std::size_t>(n));
  double t = 0;
  for (auto& s : sites) s = (t += gap(rng));
  const nercc::RowMatrix<double> y = nercc_bench::random_matrix<double>(n, 1, 9);
  for (auto _ : state) {
    const nercc::SmoothingSpline<double> fit(sites, y, 1.0);
    benchmark::DoNotOptimize(fit.fitted_values().data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  // Sites and values read; fitted values and second derivatives written.
  state.SetBytesProcessed(state.iterations() * n * 4 * Index(sizeof(double)));
}

}  // namespace

BENCHMARK(BM_SplineFit)->ArgName("n")->RangeMultiplier(10)->Range(10, 100000);
