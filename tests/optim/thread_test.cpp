// ThreadExecutor: real asynchronous workers (also built with ThreadSanitizer).
#include "problem.hpp"

#include <nercc/optim/simulated_executor.hpp>
#include <nercc/optim/svrg.hpp>
#include <nercc/optim/thread_executor.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

using namespace optim_test;

namespace {

/// The test objective, throwing from gradient() once `limit` calls have been made.
struct FailingObjective {
  const optim::LogisticRegression* inner;
  Index limit;
  mutable std::atomic<Index> calls{0};

  Index num_terms() const { return inner->num_terms(); }
  Index dim() const { return inner->dim(); }
  void gradient(const Eigen::Ref<const Vector<double>>& x, const std::vector<Index>& batch,
                Eigen::Ref<Vector<double>> out) const {
    if (++calls > limit) throw std::runtime_error("worker failure");
    inner->gradient(x, batch, out);
  }
  void full_gradient(const Eigen::Ref<const Vector<double>>& x, Eigen::Ref<Vector<double>> out) const {
    inner->full_gradient(x, out);
  }
};

}  // namespace

TEST_CASE("threads with tau = 0 reproduce the serial run to 1e-14", "[optim][threads]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 4;
  sp.max_staleness = 0;
  const Vector<double> x0 = Vector<double>::Zero(p.objective.dim());
  const auto threaded = optim::dap_svrg(p.objective, p.prox, sp, x0, optim::ThreadExecutor{4, 1, 3.0});
  const auto serial = optim::dap_svrg_prox_at_server(p.objective, p.prox, sp, x0, optim::SimulatedExecutor({0.0}));
  CHECK(threaded.staleness.max == 0);
  CHECK(threaded.staleness.messages == 4 * p.objective.num_terms());
  CHECK((threaded.x - serial.x).lpNorm<Eigen::Infinity>() <= 1e-14);
}

TEST_CASE("4 threads, one 4x slower: DAP-SVRG reaches 1e-10 with staleness <= tau", "[optim][threads]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(1.0);
  sp.epochs = 60;
  sp.max_staleness = 12;
  sp.automatic_relaxation = true;
  sp.relaxation_constant = 1.0;
  Trace trace{&p, 1e-11};
  const auto r = optim::dap_svrg(p.objective, p.prox, sp, Vector<double>::Zero(p.objective.dim()),
                                 optim::ThreadExecutor{4, 0, 4.0}, trace);
  INFO("epochs " << r.epochs << ", mean staleness " << r.staleness.mean << ", max " << r.staleness.max);
  CHECK(r.staleness.max <= 12);
  CHECK(p.suboptimality(r.x) < 1e-10);
}

TEST_CASE("an exception on a worker thread reaches the caller", "[optim][threads]") {
  const Problem& p = problem();
  const FailingObjective failing{&p.objective, 500};
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  CHECK_THROWS_WITH(
      optim::dap_svrg(failing, p.prox, sp, Vector<double>::Zero(p.objective.dim()), optim::ThreadExecutor{3}),
      "worker failure");
  // And from the callback, on the server thread, with the workers running.
  CHECK_THROWS_WITH(optim::dap_svrg(p.objective, p.prox, sp, Vector<double>::Zero(p.objective.dim()),
                                    optim::ThreadExecutor{3},
                                    [](const optim::Progress& pr) {
                                      if (pr.epoch == 2) throw std::runtime_error("callback failure");
                                    }),
                    "callback failure");
}

TEST_CASE("ThreadExecutor names invalid fields", "[optim][threads]") {
  CHECK_THROWS_WITH((optim::ThreadExecutor{0}.validate()), Catch::Contains("num_workers (0)"));
  CHECK_THROWS_WITH((optim::ThreadExecutor{2, 2}.validate()), Catch::Contains("slow_worker (2)"));
  CHECK_THROWS_WITH((optim::ThreadExecutor{2, 1, 0.5}.validate()), Catch::Contains("slow_factor (0.5)"));
}
