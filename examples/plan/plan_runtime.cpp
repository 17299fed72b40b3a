// The planner end to end: calibrate a toy classifier, plan for p99 <= 25 ms, run the plan on
// nercc::runtime with the simulated transport under the same straggler model, and compare the
// prediction with the runtime and with simulate() (also at higher utilisations, where queueing
// the analytic model leaves out appears).
//   nercc_plan_runtime [groups=20000] [floor=0.9]
#include "../common/cli.hpp"

#include <nercc/plan.hpp>

#include <e2e_setup.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace np = nercc::plan;

namespace {

void print_cheapest(const char* what, const np::PlanRequest& r, const np::StragglerModel& m,
                    const np::AccuracyTable& t, std::vector<nercc::SchemeKind> schemes, double coded_cost) {
  np::PlanRequest only = r;
  only.grid.schemes = std::move(schemes);
  const auto res = np::plan(only, m, t);
  if (res.plans.empty()) {
    std::printf("%-12s infeasible (%s): %s\n", what, np::to_string(res.binding), res.message.c_str());
    return;
  }
  std::printf("%-12s %s\n%-12s cost ratio to the plan: %.2f\n", what, res.plans.front().explanation.c_str(), "",
              res.plans.front().cost / coded_cost);
}

}  // namespace

int main(int argc, char** argv) {
  const long long groups = argc > 1 ? nercc_examples::parse_integer("groups", argv[1], 1) : 20000;
  const double floor = argc > 2 ? nercc_examples::parse_real("floor", argv[2]) : 0.9;
  const auto s = plan_checks::e2e_setup(floor);
  const np::StragglerModel stragglers = plan_checks::example_stragglers();
  const auto res = np::plan(s.request, stragglers, s.table);
  if (res.plans.empty()) {
    std::printf("infeasible (%s): %s\n", np::to_string(res.binding), res.message.c_str());
    return 1;
  }
  std::printf("plan (%lld candidates, %lld latency evaluations):\n", (long long)res.candidates,
              (long long)res.latency_evaluations);
  for (const auto& p : res.plans) std::printf("  %s\n", p.explanation.c_str());
  const np::Plan& best = res.plans.front();
  print_cheapest("uncoded", s.request, stragglers, s.table, {nercc::SchemeKind::uncoded}, best.cost);
  print_cheapest("replication", s.request, stragglers, s.table, {nercc::SchemeKind::replication}, best.cost);

  // The overall best, the best spline plan with a quorum rule and the best with a deadline rule,
  // each on the runtime.
  np::PlanRequest coded_request = s.request;
  coded_request.grid.schemes = {nercc::SchemeKind::spline};
  np::PlanRequest deadline_request = coded_request;
  coded_request.grid.deadline_levels.clear();
  const auto coded = np::plan(coded_request, stragglers, s.table);
  deadline_request.grid.quorums = false;
  const auto deadline = np::plan(deadline_request, stragglers, s.table);
  bool ok = true;
  for (const np::Plan* p : {&best, coded.plans.empty() ? nullptr : &coded.plans.front(),
                            deadline.plans.empty() ? nullptr : &deadline.plans.front()}) {
    if (!p) continue;
    const auto run = plan_checks::run_on_runtime(*p, s.request, stragglers, s.model,
                                                 plan_checks::gaussian_queries(4096, 8, 5), long(groups), 6);
    std::printf("\nruntime, %s, %lld groups (%ld queries, %ld ok):\n", p->explanation.c_str(), groups, run.queries,
                run.ok);
    std::printf("  p50 predicted %.3f ms, measured %.3f ms (%+.1f%%)\n", 1e3 * p->p50, 1e3 * run.p50,
                100.0 * (run.p50 / p->p50 - 1.0));
    std::printf("  p99 predicted %.3f ms, measured %.3f ms (%+.1f%%), SLO %.1f ms\n", 1e3 * p->p99, 1e3 * run.p99,
                100.0 * (run.p99 / p->p99 - 1.0), 1e3 * s.request.slo_seconds);
    std::printf("  RelAcc calibrated %.4f, measured %.4f, floor %.2f\n", p->rel_acc, run.rel_acc, floor);
    ok = ok && std::abs(run.p99 / p->p99 - 1.0) <= 0.1 && run.p99 <= s.request.slo_seconds && run.rel_acc >= floor;
  }

  // The plan of the list with the most busy sets on average: the widest range of utilisations
  // reachable with whole sets.
  const auto load_of = [](const np::Plan& p) { return p.utilisation * double(p.worker_sets); };
  const np::Plan& busiest = *std::max_element(res.plans.begin(), res.plans.end(),
                                              [&](const np::Plan& a, const np::Plan& b) { return load_of(a) < load_of(b); });
  std::printf("\nsimulate() with queueing, by worker-set utilisation, for %s:\n  util  sets  p99 predicted  p99 simulated  diff\n",
              busiest.explanation.c_str());
  const double load = load_of(busiest);
  for (nercc::Index sets = nercc::Index(std::ceil(load / 0.1)); double(sets) > load; sets = sets > 8 ? sets * 2 / 3 : sets - 1) {
    np::Plan p = busiest;
    p.worker_sets = sets;
    const auto sim = np::simulate(p, s.request, stragglers, {200000, 1000, 7});
    std::printf("  %.2f  %4lld  %10.3f ms  %10.3f ms  %+5.1f%%\n", sim.utilisation, (long long)p.worker_sets,
                1e3 * busiest.p99, 1e3 * sim.p99, 100.0 * (sim.p99 / busiest.p99 - 1.0));
  }
  std::printf("\n%s\n", ok ? "PASS: p99 within 10% of the prediction and the SLO, accuracy at the floor"
                           : "FAIL: see above");
  return ok ? 0 : 1;
}
