// plan() against the brute force over the same grid on random instances: the fraction of
// instances where both return the same plans, and the planning times.
//   nercc_plan_agreement [instances=500] [seed=1]
#include "../common/cli.hpp"

#include <nercc/plan.hpp>

#include <brute_force.hpp>
#include <plan_instances.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  const long long instances = argc > 1 ? nercc_examples::parse_integer("instances", argv[1], 1) : 500;
  const long long seed = argc > 2 ? nercc_examples::parse_integer("seed", argv[2]) : 1;
  std::mt19937_64 g(static_cast<std::uint64_t>(seed));
  using clock = std::chrono::steady_clock;
  std::vector<double> plan_ms, brute_ms;
  long long same = 0, feasible = 0, candidates = 0, evaluations = 0;
  for (long long i = 0; i < instances; ++i) {
    const auto inst = plan_checks::random_instance(g);
    const auto table = plan_checks::synthetic_accuracy(inst.request.grid.num_queries);
    const auto t0 = clock::now();
    const auto fast = nercc::plan::plan(inst.request, inst.model, table);
    const auto t1 = clock::now();
    const auto slow = plan_checks::brute_force(inst.request, inst.model, table);
    const auto t2 = clock::now();
    plan_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    brute_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    bool all = fast.plans.size() == slow.size();
    for (std::size_t j = 0; all && j < slow.size(); ++j)
      all = plan_checks::same_config(fast.plans[j], slow[j]) && fast.plans[j].cost == slow[j].cost;
    same += all;
    feasible += !slow.empty();
    candidates += fast.candidates;
    evaluations += fast.latency_evaluations;
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto p90 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() * 9 / 10];
  };
  std::printf("instances %lld (feasible %lld), identical plans %lld (%.1f%%)\n", instances, feasible, same,
              100.0 * double(same) / double(instances));
  std::printf("candidates per instance %.0f, latency evaluations per instance %.1f\n",
              double(candidates) / double(instances), double(evaluations) / double(instances));
  std::printf("plan(): median %.2f ms, p90 %.2f ms; brute force: median %.2f ms, p90 %.2f ms\n", median(plan_ms),
              p90(plan_ms), median(brute_ms), p90(brute_ms));
  return same == instances ? 0 : 1;
}
