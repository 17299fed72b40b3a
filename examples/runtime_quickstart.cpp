// The serving runtime in one page: 400 queries at 4000 q/s through 8 simulated workers, in
// process and asynchronous, where one call in 10 straggles (10x slower). Uncoded, replication
// and NeRCC take turns; one table: latency, agreement with the model, outcomes.
#include <nercc/runtime.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

namespace rt = nercc::runtime;
using Matrix = nercc::RowMatrix<float>;

int main() {
  const Matrix W = Matrix::Random(64, 10) / 8;  // the "model": 64 inputs -> 10 scores
  const auto model = [&](const Matrix& x) { return Matrix((x * W).array().tanh()); };
  const auto argmax = [](const Matrix& scores) { Eigen::Index c; scores.row(0).maxCoeff(&c); return c; };
  const Matrix X = Matrix::Random(400, 64);     // the queries
  struct Setup { const char* name; nercc::SchemeKind scheme; nercc::Index k, s; };
  const Setup setups[] = {{"uncoded", nercc::SchemeKind::uncoded, 8, 0},
                          {"replication", nercc::SchemeKind::replication, 4, 0},
                          {"NeRCC", nercc::SchemeKind::spline, 4, 3}};  // decodes from N - S = 5 answers
  std::printf("| scheme | K | N | S | p50 ms | p99 ms | RelAcc | ok | failed | lost |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Setup& setup : setups) {
    rt::RuntimeParams p;
    p.scheme = setup.scheme;
    p.code.num_queries = setup.k;
    p.code.num_workers = 8;
    p.stragglers = setup.s;
    p.input_dim = 64;
    p.output_dim = 10;
    rt::StragglerDelays delays;  // 2 ms + Exp(0.5 ms); 1 call in 10 takes 10x longer
    rt::SimulatedTransport<float> workers(model, rt::straggler_delays(delays));
    rt::Runtime<float> runtime(p, workers.transport());

    std::vector<std::future<rt::QueryOutcome<float>>> outcomes;
    const auto start = std::chrono::steady_clock::now();
    for (nercc::Index i = 0; i < X.rows(); ++i) {
      std::this_thread::sleep_until(start + i * std::chrono::microseconds(250));
      outcomes.push_back(runtime.submit(X.row(i)));
    }
    for (auto& o : outcomes) o.wait_for(std::chrono::seconds(5));
    runtime.shutdown();  // any query still pending gets an outcome (shut_down): none may be lost

    std::vector<double> latency_ms;
    int ok = 0, failed = 0, lost = 0, agree = 0;
    for (nercc::Index i = 0; i < X.rows(); ++i) {
      auto& f = outcomes[std::size_t(i)];
      if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) { ++lost; continue; }
      const rt::QueryOutcome<float> o = f.get();
      if (!o.ok()) { ++failed; continue; }
      ++ok;
      latency_ms.push_back(1e3 * o.latency_seconds);
      agree += argmax(o.value) == argmax(model(X.row(i))) ? 1 : 0;
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    const auto quantile = [&](double q) {
      return latency_ms.empty() ? 0.0 : latency_ms[std::size_t(q * double(latency_ms.size() - 1))];
    };
    std::printf("| %s | %d | 8 | %d | %.1f | %.1f | %.4f | %d | %d | %d |\n", setup.name, int(setup.k), int(setup.s),
                quantile(0.5), quantile(0.99), double(agree) / double(X.rows()), ok, failed, lost);
  }
}
