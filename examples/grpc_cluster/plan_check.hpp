// The planner check on the cluster: its options, the candidates it runs (the planner's feasible
// plans per SLO and quality bound), and the verdict per (SLO, bound): the planner's pick against
// the configuration the cluster measured as cheapest among them, with predicted and measured
// p-quantile and quality. The quality is the workload's: RelAcc above a floor for a classifier
// (LeNet5, plan_check_main.cpp), MSE against the served model below a ceiling for a regression
// model (the forecaster, ../related_queries/plan_check_main.cpp).
#pragma once

#include "../common/cli.hpp"

#include "cluster_common.hpp"
#include "frontend_options.hpp"
#include "turn_result.hpp"

#include <nercc/plan.hpp>
#include <nercc/runtime/from_plan.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

inline const char* const plan_check_usage = R"(usage: nercc_grpc_plan_check [options]
The planner against the cluster: measure the per-call latency law of the LeNet5 workers (a
calibration round of uncoded calls), calibrate the codes' accuracy on LeNet5, plan for each SLO
and floor, run every plan the planner found feasible on the workers, and compare.
  --smoke                 a minute: smoke LeNet5, K 2, N <= 4, short runs, then checks the
                          report (options after it override these)
  --out DIR               where the results go (default .)
  --coded-queries K       the planner's K (default 8)
  --max-redundancy R      N <= R K (default 2); workers started: floor(R K)
  --coded-workers LIST    N values whose codes are calibrated (default 10,12,16)
  --slo-ms LIST           p99 SLOs (default 40,50,70)
  --floors LIST           RelAcc floors (default 0.9,0.97)
  --max-mse LIST          MSE ceilings instead, for a regression workload (nercc_related_queries_plan_check)
  --slo-quantile Q        the SLO's quantile (default 0.99)
  --runners-up R          plans the planner returns after its pick (default 4)
  --rate R                queries per second, Poisson arrivals (default 300)
  --calibration-queries Q queries of the latency calibration round (default 4000)
  --calibration-workers N uncoded group size (and workers) of that round (default K: the calls a
                          group of the cheapest plans dispatches at once; on two cores a call's
                          latency grows with that number)
  --queries Q             queries per configuration per round (default 1500)
  --rounds R              rounds; every configuration takes one turn per round (default 2)
  --fallback-train N      training images the fallback model is distilled on; 0: all (default 0)
  --model lenet5|smoke    (default lenet5)
  --cache-dir DIR, --data-dir DIR, --worker-bin PATH, --seed N, --quiet: as nercc_grpc_frontend
)";

/// The quality a workload is planned and judged by.
enum class Quality {
  rel_acc,  ///< argmax agreement with the served model, a floor (PlanRequest::accuracy_floor)
  mse,      ///< mean squared error per output against the served model, a ceiling (PlanRequest::max_mse)
};

inline const char* quality_name(Quality q) { return q == Quality::rel_acc ? "RelAcc" : "MSE"; }
inline const char* bound_name(Quality q) { return q == Quality::rel_acc ? "RelAcc floor" : "MSE ceiling"; }
/// Whether a quality value meets its bound (a RelAcc floor, an MSE ceiling).
inline bool meets(Quality q, double value, double bound) { return q == Quality::rel_acc ? value >= bound : value <= bound; }
/// The planner's prediction of the quality.
inline double predicted_quality(Quality q, const nercc::plan::Plan& p) { return q == Quality::rel_acc ? p.rel_acc : p.mse; }

struct PlanCheckArgs : ClusterModelFlags {
  Quality quality = Quality::rel_acc;  ///< set by the program, before parsing
  std::string out = ".";
  bool smoke = false;
  int coded_queries = 8;
  double max_redundancy = 2;
  std::vector<nercc::Index> coded_workers = {10, 12, 16};
  std::vector<double> slo_ms = {40, 50, 70};
  std::vector<double> floors = {0.9, 0.97};
  std::vector<double> max_mse = {0.001, 0.005};
  double slo_quantile = 0.99;
  int runners_up = 4;
  double rate = 300;
  std::int64_t calibration_queries = 4000;
  int calibration_workers = 0;
  std::int64_t queries = 1500;
  int rounds = 2;
  bool progress = true;
  LatencyParams latency;

  /// Workers of the latency calibration round.
  int calibration_group() const { return calibration_workers > 0 ? calibration_workers : coded_queries; }
  int max_workers() const { return int(std::floor(max_redundancy * coded_queries + 1e-9)); }
  /// The quality bounds checked: the floors or the ceilings.
  const std::vector<double>& bounds() const { return quality == Quality::rel_acc ? floors : max_mse; }
};

/// Parses the options of a workload judged by `quality`; the other quality's bound flag is an
/// error naming it.
inline PlanCheckArgs parse_plan_check_args(int argc, char** argv, Quality quality = Quality::rel_acc) {
  PlanCheckArgs a;
  a.quality = quality;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (common_flag(flag, plan_check_usage, a.progress)) continue;
    if (flag == "--smoke") {
      a.smoke = true;
      a.smoke_model();
      a.coded_queries = 2;
      a.coded_workers = {3, 4};
      a.slo_ms = {40};
      a.floors = {0.5, 0.9};
      a.max_mse = {1.0, 0.0001};  // the second leaves the fallback-heavy and coded plans out
      a.runners_up = 2;
      a.rate = 200;
      a.calibration_queries = 400;
      a.queries = 200;
      a.rounds = 1;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string v = argv[++i];
    if (a.latency.parse(flag, v) || a.parse_model_flag(flag, v)) continue;
    if (flag == "--out") a.out = v;
    else if (flag == "--coded-queries") a.coded_queries = int(parse_integer(flag, v));
    else if (flag == "--max-redundancy") a.max_redundancy = parse_real(flag, v);
    else if (flag == "--coded-workers") {
      a.coded_workers.clear();
      for (double n : parse_real_list(flag, v)) a.coded_workers.push_back(nercc::Index(n));
    } else if (flag == "--slo-ms") a.slo_ms = parse_real_list(flag, v);
    else if (flag == "--floors" || flag == "--max-mse") {
      if ((flag == "--floors") != (quality == Quality::rel_acc))
        throw std::invalid_argument(flag + " does not apply to this workload: it is judged by " +
                                    bound_name(quality) + "s (" + (quality == Quality::rel_acc ? "--floors" : "--max-mse") + ")");
      (flag == "--floors" ? a.floors : a.max_mse) = parse_real_list(flag, v);
    }
    else if (flag == "--slo-quantile") a.slo_quantile = parse_real(flag, v);
    else if (flag == "--runners-up") a.runners_up = int(parse_integer(flag, v, 0));
    else if (flag == "--rate") a.rate = parse_real(flag, v);
    else if (flag == "--calibration-queries") a.calibration_queries = parse_integer(flag, v);
    else if (flag == "--calibration-workers") a.calibration_workers = int(parse_integer(flag, v, 0));
    else if (flag == "--queries") a.queries = parse_integer(flag, v);
    else if (flag == "--rounds") a.rounds = int(parse_integer(flag, v));
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (a.coded_queries < 1 || a.coded_queries > 32) throw std::invalid_argument("--coded-queries must lie in [1, 32]");
  if (!(a.max_redundancy >= 1)) throw std::invalid_argument("--max-redundancy must be >= 1");
  if (a.max_workers() > 64) throw std::invalid_argument("--max-redundancy x --coded-queries must be <= 64 workers");
  for (nercc::Index n : a.coded_workers)
    if (n <= a.coded_queries || n > a.max_workers())
      throw std::invalid_argument("--coded-workers: " + std::to_string(n) + " must lie in (K, floor(R K)]");
  for (double s : a.slo_ms)
    if (!(s > 0)) throw std::invalid_argument("--slo-ms values must be > 0");
  for (double f : a.floors)
    if (!(f >= 0 && f <= 1)) throw std::invalid_argument("--floors values must lie in [0, 1]");
  for (double m : a.max_mse)
    if (!(m > 0 && std::isfinite(m))) throw std::invalid_argument("--max-mse values must be finite and > 0");
  if (!(a.slo_quantile > 0 && a.slo_quantile < 1)) throw std::invalid_argument("--slo-quantile must lie in (0, 1)");
  if (!(a.rate > 0 && a.rate <= 5000)) throw std::invalid_argument("--rate must lie in (0, 5000]");
  if (a.calibration_queries < 50 || a.calibration_queries > 1000000)
    throw std::invalid_argument("--calibration-queries must lie in [50, 1e6]");
  if (a.calibration_workers > a.max_workers())
    throw std::invalid_argument("--calibration-workers must be <= floor(R K) workers");
  if (a.queries < 1 || a.queries > 1000000) throw std::invalid_argument("--queries must lie in [1, 1e6]");
  if (a.rounds < 1 || a.rounds > 100) throw std::invalid_argument("--rounds must lie in [1, 100]");
  a.finish_model_flags(a.out);
  a.latency.validate();
  return a;
}

/// A configuration the check runs: one plan's runtime parameters (a plan's runtime depends on
/// the SLO through the deadline and group timeout, so the same plan at two SLOs runs twice).
struct RunConfig {
  std::string key;  ///< identifies the runtime configuration
  nercc::plan::Plan plan;
  double slo_seconds = 0;
  nercc::runtime::RuntimeParams params;
  TurnResult pooled;  ///< every round, finish()ed
  std::vector<TurnResult> rounds;  ///< one per round, finish()ed
  /// Quality::mse: squared errors against the served model, summed over the outputs of the
  /// answered queries, and their count, per round and pooled.
  std::vector<double> round_mse;
  double squared_error = 0;
  std::int64_t values = 0;
  bool ran = false;
  std::string not_run;  ///< why it was not run (more than one worker set)
};

/// One planned plan of one (SLO, floor) and where its measurement is.
struct CheckedPlan {
  nercc::plan::Plan plan;
  std::size_t run = 0;      ///< index into the runs
  bool planner_pick = false;
  std::string origin;       ///< "plan()" or "cheapest <scheme>"
};

/// What a workload's serve() measured in one turn: the turn, and for Quality::mse the squared
/// errors of the answered queries' outputs against the served model's.
struct Measured {
  TurnResult turn;
  double squared_error = 0;
  std::int64_t values = 0;  ///< outputs summed over (answered queries x output_dim)
};

/// One (SLO, quality bound): what the planner said and what the cluster measured.
struct Check {
  double slo_seconds = 0;
  double bound = 0;  ///< the RelAcc floor or the MSE ceiling
  Quality quality = Quality::rel_acc;
  std::string infeasible;  ///< the planner's message when nothing is feasible
  std::vector<CheckedPlan> plans;  ///< the pick first, then by cost
};

/// A configuration's key: everything in its RuntimeParams that changes what it does, and whether
/// the fallback model backs it.
inline std::string run_key(const nercc::runtime::RuntimeParams& p, bool fallback) {
  std::ostringstream o;
  o << nercc::to_string(p.scheme) << " K=" << p.code.num_queries << " N=" << p.code.num_workers << " S=" << p.stragglers
    << " b=" << p.worker_batch << " deadline=" << std::chrono::duration<double>(p.deadline).count()
    << " timeout=" << std::chrono::duration<double>(p.group_timeout).count() << (p.early_release ? " early" : "")
    << " le=" << p.code.lambda_enc << " ld=" << p.code.lambda_dec << " pts=" << p.code.worker_points.size()
    << " hedge=" << std::chrono::duration<double>(p.hedge.delay).count() << (fallback ? " fallback" : "");
  for (double x : p.code.worker_points) o << "," << x;
  return o.str();
}

/// A plan in a few words: scheme, K, N, rule, release, hedge, fallback.
inline std::string describe(const nercc::plan::Plan& p) {
  char buf[192];
  char rule[96];
  if (p.deadline > 0) std::snprintf(rule, sizeof rule, "deadline %.2f ms", 1e3 * p.deadline);
  else std::snprintf(rule, sizeof rule, "quorum %lld", (long long)p.quorum);
  std::snprintf(buf, sizeof buf, "%s K=%lld N=%lld %s%s%s%s", nercc::to_string(p.scheme), (long long)p.num_queries,
                (long long)p.num_workers, rule, p.early_release ? ", early release" : "",
                p.hedge_delay > 0 ? (", hedged at " + std::to_string(1e3 * p.hedge_delay).substr(0, 5) + " ms").c_str() : "",
                p.fallback ? ", fallback" : "");
  return buf;
}

/// The verdict of one check, from the measurements.
struct Verdict {
  int pick = -1;               ///< index in Check::plans of the planner's pick; -1: none
  int measured_cheapest = -1;  ///< of the plans measured feasible, the cheapest (then better quality); -1: none
  bool pick_feasible = false;  ///< the pick met the SLO and the bound on the cluster
  bool pick_is_cheapest = false;  ///< the pick costs what the measured cheapest costs and is feasible
  double p_ratio = std::nan("");  ///< the pick's measured / predicted SLO quantile
};

inline double measured_quantile(const RunConfig& r, double q) { return r.pooled.quantile_of_all(q); }
/// The measured quality of a run (every round): RelAcc, or the MSE of the answered queries.
inline double measured_quality(Quality quality, const RunConfig& r) {
  if (quality == Quality::rel_acc) return r.pooled.rel_acc();
  return r.values > 0 ? r.squared_error / double(r.values) : std::nan("");
}
/// Whether a run met the check's SLO and bound.
inline bool measured_feasible(const Check& c, const RunConfig& r, double q) {
  return r.ran && measured_quantile(r, q) * 1e-3 <= c.slo_seconds && meets(c.quality, measured_quality(c.quality, r), c.bound);
}
/// Whether run a measured better quality than run b.
inline bool better_quality(Quality quality, const RunConfig& a, const RunConfig& b) {
  const double x = measured_quality(quality, a), y = measured_quality(quality, b);
  return quality == Quality::rel_acc ? x > y : x < y;
}

inline Verdict judge(const Check& c, const std::vector<RunConfig>& runs, double q) {
  Verdict v;
  for (std::size_t i = 0; i < c.plans.size(); ++i) {
    const CheckedPlan& p = c.plans[i];
    if (p.planner_pick) v.pick = int(i);
    const RunConfig& r = runs[p.run];
    if (!measured_feasible(c, r, q)) continue;
    if (v.measured_cheapest < 0) {
      v.measured_cheapest = int(i);
      continue;
    }
    const CheckedPlan& best = c.plans[std::size_t(v.measured_cheapest)];
    const RunConfig& rb = runs[best.run];
    if (p.plan.cost < best.plan.cost || (p.plan.cost == best.plan.cost && better_quality(c.quality, r, rb)))
      v.measured_cheapest = int(i);
  }
  if (v.pick >= 0) {
    const CheckedPlan& p = c.plans[std::size_t(v.pick)];
    const RunConfig& r = runs[p.run];
    if (r.ran) {
      v.p_ratio = measured_quantile(r, q) * 1e-3 / p.plan.p_slo;
      v.pick_feasible = measured_feasible(c, r, q);
    }
    v.pick_is_cheapest = v.pick_feasible && v.measured_cheapest >= 0 &&
                         c.plans[std::size_t(v.measured_cheapest)].plan.cost == p.plan.cost;
  }
  return v;
}

/// Throws std::logic_error naming the first inconsistency of the report: a query without an
/// outcome (or counted twice), a run without its queries, a check without a pick or a stated
/// infeasibility, a pick that is not the planner's first plan, a planner-feasible plan whose
/// prediction misses its SLO or its bound, a RelAcc outside [0, 1] (a negative or missing MSE), a
/// measured cheapest that some measured feasible plan undercuts.
inline void check_consistency(const std::vector<Check>& checks, const std::vector<RunConfig>& runs,
                              std::int64_t expected_queries, double q) {
  auto fail = [](const std::string& what) { throw std::logic_error("plan check: " + what); };
  for (const RunConfig& r : runs) {
    if (!r.ran) {
      if (r.not_run.empty()) fail(r.key + ": neither run nor a reason why not");
      continue;
    }
    const TurnResult& t = r.pooled;
    if (t.lost != 0) fail(r.key + ": " + std::to_string(t.lost) + " queries lost");
    if (t.queries != expected_queries || t.ok + t.missing != t.queries || std::int64_t(t.latency_ms.size()) != t.ok)
      fail(r.key + ": queries " + std::to_string(t.queries) + ", ok " + std::to_string(t.ok) + ", missing " +
           std::to_string(t.missing) + " (expected " + std::to_string(expected_queries) + ")");
    if (!(t.rel_acc() >= 0 && t.rel_acc() <= 1)) fail(r.key + ": RelAcc " + std::to_string(t.rel_acc()));
    if (!checks.empty() && checks.front().quality == Quality::mse && t.ok > 0 && !(measured_quality(Quality::mse, r) >= 0))
      fail(r.key + ": MSE " + std::to_string(measured_quality(Quality::mse, r)));
  }
  for (const Check& c : checks) {
    const std::string where =
        "SLO " + std::to_string(c.slo_seconds * 1e3) + " ms, " + bound_name(c.quality) + " " + std::to_string(c.bound);
    if (c.plans.empty() != !c.infeasible.empty()) fail(where + ": plans and an infeasibility message together, or neither");
    if (c.plans.empty()) continue;
    if (!c.plans.front().planner_pick) fail(where + ": the first plan is not the planner's pick");
    for (std::size_t i = 0; i < c.plans.size(); ++i) {
      const auto& p = c.plans[i];
      if (i > 0 && p.planner_pick) fail(where + ": two picks");
      if (p.run >= runs.size()) fail(where + ": a plan without a run");
      if (!(p.plan.p_slo <= c.slo_seconds * (1 + 1e-9))) fail(where + ": a feasible plan predicted above the SLO");
      const double predicted = predicted_quality(c.quality, p.plan);
      if (!meets(c.quality, predicted, c.bound + (c.quality == Quality::rel_acc ? -1e-12 : 1e-12)))
        fail(where + ": a feasible plan predicted outside the bound");
      if (i > 0 && p.plan.cost < c.plans.front().plan.cost) fail(where + ": a feasible plan cheaper than the pick");
    }
    const Verdict v = judge(c, runs, q);
    if (v.pick != 0) fail(where + ": the verdict lost the pick");
    for (const auto& p : c.plans) {
      const RunConfig& r = runs[p.run];
      if (v.measured_cheapest < 0) continue;
      if (measured_feasible(c, r, q) && p.plan.cost < c.plans[std::size_t(v.measured_cheapest)].plan.cost)
        fail(where + ": a measured feasible plan is cheaper than the measured cheapest");
    }
    if (v.measured_cheapest < 0 && v.pick_feasible) fail(where + ": the pick is feasible but no cheapest was found");
  }
}

}  // namespace nercc_cluster
