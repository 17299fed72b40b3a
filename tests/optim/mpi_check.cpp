// MpiExecutor check, run under mpiexec (ctest registers it with 4 ranks): exit status 0 when
// every check passes on rank 0. Not a Catch2 program: the checks must run on every rank in step.
#include "problem.hpp"

#include <nercc/optim/mpi_executor.hpp>
#include <nercc/optim/simulated_executor.hpp>
#include <nercc/optim/svrg.hpp>

#include <mpi.h>

#include <cstdio>

using namespace optim_test;

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const char* what, double value) {
  ++checks;
  if (!ok) ++failures;
  std::printf("%s: %s (%.3g)\n", ok ? "passed" : "FAILED", what, value);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const Problem& p = problem();
  const Vector<double> x0 = Vector<double>::Zero(p.objective.dim());

  // tau = 0: one task at a time, so the run is the serial one whatever the rank timing.
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 4;
  sp.max_staleness = 0;
  const auto serial = optim::dap_svrg_prox_at_server(p.objective, p.prox, sp, x0, optim::SimulatedExecutor({0.0}));
  const auto lockstep = optim::dap_svrg(p.objective, p.prox, sp, x0, optim::MpiExecutor{MPI_COMM_WORLD, 1, 3.0});
  const double gap = (lockstep.x - serial.x).lpNorm<Eigen::Infinity>();

  // Asynchronous, rank 1 three times slower, automatic relaxation.
  sp.step = p.step(1.0);
  sp.epochs = 60;
  sp.max_staleness = 12;
  sp.automatic_relaxation = true;
  Trace trace(&p, 1e-11);
  const auto async = optim::dap_svrg(p.objective, p.prox, sp, x0, optim::MpiExecutor{MPI_COMM_WORLD, 1, 3.0}, trace);

  if (rank == 0) {
    check(gap <= 1e-14, "tau = 0 over MPI equals the serial prox-at-server run to 1e-14", gap);
    check(lockstep.staleness.max == 0, "tau = 0 gives no staleness", double(lockstep.staleness.max));
    check(p.suboptimality(async.x) < 1e-10, "asynchronous DAP-SVRG over MPI reaches 1e-10", p.suboptimality(async.x));
    check(async.staleness.max <= 12, "no message staler than tau = 12", double(async.staleness.max));
    std::printf("mean staleness %.2f over %ld messages, %ld epochs\n", async.staleness.mean,
                long(async.staleness.messages), long(async.epochs));
  } else {
    // Every rank returns the server's final iterate.
    if ((async.x - x0).norm() == 0.0) ++failures;
  }
  int total = 0;
  MPI_Reduce(&failures, &total, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%d passed, %d failed\n", checks - failures, total);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
