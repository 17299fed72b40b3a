// The staleness study behind docs/results/optim.md: suboptimality per epoch of DAP-SVRG with
// gamma = 1 and with the automatic relaxation, and of DAP-SGD, under the simulated executor
// with 4, 8 and 16 jittered workers (mean staleness about 3, 7, 15), plus synchronous proximal
// SVRG. Prints a summary table; with a directory argument also writes <dir>/optim_curves.dat
// (gnuplot blocks, one per run). Deterministic.
#include "problem.hpp"

#include <nercc/optim/simulated_executor.hpp>
#include <nercc/optim/svrg.hpp>

#include <cstdio>
#include <fstream>
#include <string>

using namespace optim_test;

int main(int argc, char** argv) {
  const Problem& p = problem();
  const Vector<double> x0 = Vector<double>::Zero(p.objective.dim());
  std::ofstream curves;
  if (argc > 1) curves.open(std::string(argv[1]) + "/optim_curves.dat");
  const auto write = [&](const std::string& name, const Trace& t) {
    if (!curves) return;
    curves << "# " << name << "\n";
    for (std::size_t s = 0; s < t.suboptimality.size(); ++s) curves << s << ' ' << std::max(t.suboptimality[s], 1e-16) << '\n';
    curves << "\n\n";
  };
  std::printf("%-28s %8s %10s %10s %12s %12s\n", "run", "workers", "mean stal.", "gamma", "epochs<1e-10",
              "subopt@60");
  const auto row = [&](const std::string& name, Index w, const optim::OptimResult& r, const Trace& t) {
    std::printf("%-28s %8ld %10.2f %10.3f %12ld %12.2e\n", name.c_str(), long(w), r.staleness.mean, r.relaxation,
                long(t.first_below(1e-10)), t.suboptimality.back());
    write(name + " W=" + std::to_string(w), t);
  };

  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 60;
  Trace sync(&p);
  row("prox-SVRG (sync, eta=0.3/L)", 1, optim::prox_svrg(p.objective, p.prox, sp, x0, sync), sync);

  for (const Index w : {4, 8, 16}) {
    const optim::SimulatedExecutor executor(w, jittered_delay);
    optim::SvrgParams base;
    base.step = p.step(1.0);
    base.epochs = 60;
    Trace fixed(&p);
    row("DAP-SVRG gamma=1", w, optim::dap_svrg(p.objective, p.prox, base, x0, executor, fixed), fixed);
    auto relaxed_params = base;
    relaxed_params.automatic_relaxation = true;
    Trace relaxed(&p);
    row("DAP-SVRG automatic gamma", w, optim::dap_svrg(p.objective, p.prox, relaxed_params, x0, executor, relaxed),
        relaxed);
    auto sgd_params = relaxed_params;
    sgd_params.step_decay = 0.5;
    Trace sgd(&p);
    row("DAP-SGD automatic gamma", w, optim::dap_sgd(p.objective, p.prox, sgd_params, x0, executor, sgd), sgd);
  }
}
