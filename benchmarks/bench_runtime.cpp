// The serving pipeline's own cost: queries pushed through group -> encode -> dispatch -> collect
// -> decode -> complete with an instant in-process transport (the worker answers inside the
// call), against the same encodes and decodes done directly. The difference is what the stages,
// queues, locks and bookkeeping cost per query.
#include "bench_common.hpp"

#include <nercc/runtime.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace {

using nercc::Index;
using S = float;
namespace rt = nercc::runtime;

constexpr Index kQueries = 8, kWorkers = 10, kInputDim = 784, kOutputDim = 10;
constexpr Index kGroupsPerIteration = 64;

nercc::CodeParams code_params() {
  nercc::CodeParams p;
  p.num_queries = kQueries;
  p.num_workers = kWorkers;
  return p;
}

// The "model": the first output_dim columns of the coded query, answered inside the call.
struct InstantTransport {
  rt::CancelHandle operator()(Index, const Eigen::Ref<const nercc::RowMatrix<S>>& coded, rt::Completion<S> done) const {
    done(coded.leftCols(kOutputDim));
    return {};
  }
};

// Waits for a known number of outcomes.
struct Countdown {
  std::mutex m;
  std::condition_variable cv;
  std::int64_t left = 0;
  std::atomic<std::int64_t> failed{0};
  void done(bool ok) {
    if (!ok) failed.fetch_add(1);
    std::lock_guard<std::mutex> guard(m);
    if (--left == 0) cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return left == 0; });
  }
};

// CPU seconds this process has used, over all its threads.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Microseconds per query, from a total over `queries` queries.
benchmark::Counter per_query_us(double queries) {
  return benchmark::Counter(queries * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_RuntimePipeline(benchmark::State& state) {
  rt::RuntimeParams p;
  p.scheme = nercc::SchemeKind::spline;
  p.code = code_params();
  p.input_dim = kInputDim;
  p.output_dim = kOutputDim;
  p.stragglers = 0;
  p.admission_policy = nercc::runtime::QueuePolicy::block;
  p.overload.enabled = false;  // measure the steady pipeline, not a controller reacting to the burst
  rt::Runtime<S> runtime(p, InstantTransport{});
  const nercc::RowMatrix<S> queries = nercc_bench::random_matrix<S>(kQueries * kGroupsPerIteration, kInputDim, 1);
  Countdown countdown;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    countdown.left = queries.rows();
    for (Index i = 0; i < queries.rows(); ++i)
      runtime.submit(queries.row(i), [&countdown](rt::QueryOutcome<S>&& o) { countdown.done(o.ok()); });
    countdown.wait();
  }
  const double cpu = process_cpu_seconds() - cpu_start;
  if (countdown.failed.load() != 0) state.SkipWithError("a query failed");
  const double total = double(state.iterations()) * double(queries.rows());
  state.SetItemsProcessed(state.iterations() * queries.rows());
  state.counters["us_per_query"] = per_query_us(total);  // wall time
  // CPU time of every thread (stages, benchmark) per query: below the wall time per query x the
  // cores, the pipeline waits on hand-offs between its threads rather than computing.
  state.counters["cpu_us_per_query"] = benchmark::Counter(1e6 * cpu / total);
}

// The same encodes and decodes (one per group, every worker answered) without the pipeline.
void BM_RuntimeCodecOnly(benchmark::State& state) {
  const nercc::CodeParams p = code_params();
  const nercc::Encoder<nercc::SplineScheme, S> enc(p);
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  const nercc::RowMatrix<S> queries = nercc_bench::random_matrix<S>(kQueries * kGroupsPerIteration, kInputDim, 1);
  std::vector<Index> ids(static_cast<std::size_t>(kWorkers));
  for (Index w = 0; w < kWorkers; ++w) ids[std::size_t(w)] = w;
  nercc::RowMatrix<S> coded(kWorkers, kInputDim), answers(kWorkers, kOutputDim), out(kQueries, kOutputDim);
  for (auto _ : state) {
    for (Index g = 0; g < kGroupsPerIteration; ++g) {
      enc.encode_into(queries.middleRows(g * kQueries, kQueries), coded);
      answers = coded.leftCols(kOutputDim);
      dec.decode_into(ids, answers, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * queries.rows());
  state.counters["us_per_query"] = per_query_us(double(state.iterations()) * double(queries.rows()));
}

}  // namespace

BENCHMARK(BM_RuntimePipeline)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RuntimeCodecOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
