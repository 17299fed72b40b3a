// Server work per message of DAP-SVRG (decoupled: x <- x - gamma delta) against the
// prox-at-server variant (x <- prox(x - eta v)), with the nuclear-norm prox of a p x p matrix
// (an SVD per message). The claim: the decoupled server's cost grows like d = p^2 only, the
// other's like the SVD, p^3.
#include <nercc/optim/detail/engine.hpp>
#include <nercc/optim/prox.hpp>

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using nercc::Index;
using nercc::Vector;
namespace optim = nercc::optim;

/// A stand-in objective: the server never evaluates gradients per message, so any will do.
struct ZeroObjective {
  Index d;
  Index num_terms() const { return 1000; }
  Index dim() const { return d; }
  void gradient(const Eigen::Ref<const Vector<double>>&, const std::vector<Index>&, Eigen::Ref<Vector<double>> out) const {
    out.setZero();
  }
  void full_gradient(const Eigen::Ref<const Vector<double>>&, Eigen::Ref<Vector<double>> out) const { out.setZero(); }
};

void server_per_message(benchmark::State& state, optim::detail::Method method) {
  const Index p = state.range(0);
  const ZeroObjective objective{p * p};
  const optim::NuclearNormProx prox(p, p, 0.01);
  optim::SvrgParams params;
  params.step = 0.1;
  params.inner_iterations = Index(1) << 40;  // one epoch for the whole benchmark
  optim::NoProgress callback;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  Vector<double> x0(p * p), message(p * p);
  for (auto& v : x0) v = normal(rng);
  for (auto& v : message) v = 1e-3 * normal(rng);
  optim::detail::Engine<ZeroObjective, optim::NuclearNormProx, optim::NoProgress> engine(objective, prox, params,
                                                                                        method, x0, callback);
  engine.next_epoch();
  for (auto _ : state) {
    const auto task = engine.dispatch(0);
    engine.submit(task, Vector<double>(message));  // the received message
    engine.apply_ready([](const optim::detail::Task&) {});
    benchmark::DoNotOptimize(engine.x().data());
  }
  state.counters["d"] = double(p * p);
}

void BM_ServerDecoupled(benchmark::State& state) { server_per_message(state, optim::detail::Method::decoupled); }
void BM_ServerProxAtServer(benchmark::State& state) {
  server_per_message(state, optim::detail::Method::prox_at_server);
}

}  // namespace

BENCHMARK(BM_ServerDecoupled)->RangeMultiplier(2)->Range(16, 128);
BENCHMARK(BM_ServerProxAtServer)->RangeMultiplier(2)->Range(16, 128);
