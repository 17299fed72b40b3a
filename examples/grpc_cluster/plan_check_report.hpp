// The planner check's measurements and report: the cluster's per-call latency law (fitted from
// GroupLog records), and table.md, summary.json and runs.csv of plan_check_main.cpp.
#pragma once

#include "format.hpp"
#include "plan_check.hpp"
#include "serve.hpp"

#include <nercc/plan.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

/// The per-call latency law of the cluster: a call's time from dispatch to its answer at the
/// front end (the worker's injected delay and LeNet5, gRPC both ways, the transport's threads).
struct CallLatency {
  std::size_t calls = 0;
  double unit_seconds = 0;  ///< the median call: the planner's profiled latency of b = 1
  double p90_seconds = 0, p99_seconds = 0, max_seconds = 0;
  double front_end_seconds = 0;  ///< median decision-to-every-outcome time (GroupLog::decode_seconds)
  std::optional<nercc::plan::FitResult> fit;  ///< in units of unit_seconds (a slowdown)
};

inline double sorted_quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = std::size_t(std::max(1.0, std::ceil(q * double(v.size()))));
  return v[std::min(rank, v.size()) - 1];
}

/// The law of `logs`' answered calls (pending ones censored at the decision) in units of their
/// median, fitted by fit_straggler_model. Throws std::invalid_argument without an answered call.
inline CallLatency fit_call_latency(const std::vector<nercc::runtime::GroupLog>& logs) {
  const nercc::plan::WorkerTimes raw = nercc::plan::worker_times_from_logs(logs);
  if (raw.observed.empty()) throw std::invalid_argument("fit_call_latency: no answered call in the logs");
  CallLatency c;
  c.calls = raw.observed.size();
  c.unit_seconds = sorted_quantile(raw.observed, 0.5);
  c.p90_seconds = sorted_quantile(raw.observed, 0.9);
  c.p99_seconds = sorted_quantile(raw.observed, 0.99);
  c.max_seconds = sorted_quantile(raw.observed, 1.0);
  std::vector<double> decode;
  for (const auto& g : logs) decode.push_back(g.decode_seconds);
  c.front_end_seconds = sorted_quantile(decode, 0.5);
  c.fit = nercc::plan::fit_straggler_model(nercc::plan::worker_times_from_logs(logs, c.unit_seconds));
  return c;
}

struct PlanCheckReport {
  CallLatency calls;
  FallbackInfo fallback;
  double fallback_seconds = 0;
  double calibration_seconds = 0;
  nercc::plan::AccuracyTable accuracy;
  nercc::plan::PlanRequest request;  ///< without SLO and floor
  std::vector<Check> checks;
  std::vector<RunConfig> runs;
};

inline std::string ms(double seconds, int digits = 1) { return fixed(seconds * 1e3, digits); }

/// "lo-hi" of a per-round figure.
template <class F>
std::string round_spread(const RunConfig& r, F&& of, int digits) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& t : r.rounds) lo = std::min(lo, of(t)), hi = std::max(hi, of(t));
  if (r.rounds.empty()) return "-";
  auto text = [&](double v) { return std::isinf(v) ? std::string("inf") : fixed(v, digits); };
  return text(lo) + "-" + text(hi);
}

inline std::string plan_check_markdown(const PlanCheckArgs& a, const PlanCheckReport& r) {
  const double q = a.slo_quantile;
  const std::string pq = "p" + fixed(100 * q, q * 100 == std::floor(q * 100) ? 0 : 1);
  std::ostringstream o;
  o << "# The planner's pick against the cluster (LeNet5, Fashion-MNIST)\n\n";
  o << "| SLO " << pq << " ms | RelAcc floor | planner's pick | predicted " << pq << " ms | measured " << pq
    << " ms | measured / predicted | predicted RelAcc | measured RelAcc | measured cheapest feasible | pick is the measured cheapest |\n"
    << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Check& c : r.checks) {
    o << "| " << fixed(c.slo_seconds * 1e3, 0) << " | " << c.floor << " | ";
    if (c.plans.empty()) {
      o << "infeasible (" << c.infeasible << ") | | | | | | | |\n";
      continue;
    }
    const Verdict v = judge(c, r.runs, q);
    const CheckedPlan& p = c.plans[std::size_t(v.pick)];
    const RunConfig& run = r.runs[p.run];
    o << describe(p.plan) << " (" << p.plan.cost << " workers) | " << ms(p.plan.p_slo) << " | "
      << (run.ran ? fixed(run.pooled.quantile_of_all(q), 1) : "not run") << " | " << fixed(v.p_ratio, 2) << " | "
      << fixed(p.plan.rel_acc, 4) << " | " << (run.ran ? fixed(run.pooled.rel_acc(), 4) : "-") << " | ";
    if (v.measured_cheapest < 0) o << "none of the plans run";
    else {
      const CheckedPlan& m = c.plans[std::size_t(v.measured_cheapest)];
      o << describe(m.plan) << " (" << m.plan.cost << " workers)";
    }
    o << " | ";
    if (v.pick_is_cheapest) o << "yes";
    else if (v.pick_feasible) o << "no: a cheaper plan met both";
    else if (v.measured_cheapest < 0) o << "no: no plan met both";
    else if (c.plans[std::size_t(v.measured_cheapest)].plan.cost == p.plan.cost)
      o << "no: the pick missed; a plan of the same cost met both";
    else o << "no: the pick missed; the cheapest that met both costs more";
    o << " |\n";
  }
  o << "\nmeasured / predicted: the pick's measured " << pq << " over its prediction (target: within 10%).\n\n";

  for (const Check& c : r.checks) {
    if (c.plans.empty()) continue;
    o << "## SLO " << pq << " <= " << fixed(c.slo_seconds * 1e3, 0) << " ms, RelAcc >= " << c.floor << "\n\n"
      << "| plan | from | workers | predicted p50 ms | measured p50 ms | predicted " << pq << " ms | measured " << pq
      << " ms (rounds) | ratio | predicted RelAcc | measured RelAcc (rounds) | exact % | estimated % | fallback % | missing % | measured feasible |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const CheckedPlan& p : c.plans) {
      const RunConfig& run = r.runs[p.run];
      o << "| " << describe(p.plan) << (p.planner_pick ? " **(pick)**" : "") << " | " << p.origin << " | " << p.plan.cost
        << " | " << ms(p.plan.p50) << " | ";
      if (!run.ran) {
        o << run.not_run << " | " << ms(p.plan.p_slo) << " | | | " << fixed(p.plan.rel_acc, 4) << " | | | | | | |\n";
        continue;
      }
      const TurnResult& t = run.pooled;
      const double mq = t.quantile_of_all(q);
      o << fixed(t.quantile_of_all(0.5), 1) << " | " << ms(p.plan.p_slo) << " | " << fixed(mq, 1) << " ("
        << round_spread(run, [q](const TurnResult& x) { return x.quantile_of_all(q); }, 1) << ") | "
        << fixed(mq * 1e-3 / p.plan.p_slo, 2) << " | " << fixed(p.plan.rel_acc, 4) << " | " << fixed(t.rel_acc(), 4)
        << " (" << round_spread(run, [](const TurnResult& x) { return x.rel_acc(); }, 4) << ") | " << fixed(100 * t.share("exact"), 1) << " | " << fixed(100 * t.share("estimated"), 1) << " | "
        << fixed(100 * t.share("fallback"), 1) << " | " << fixed(100 * t.missing_share(), 1) << " | "
        << (mq * 1e-3 <= c.slo_seconds && t.rel_acc() >= c.floor ? "yes" : "no") << " |\n";
    }
    o << "\n";
  }

  const auto& cl = r.calls;
  o << "## How it was measured\n\n"
    << "Worker processes: " << a.max_workers() << " (" << (a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5")
    << ") on 127.0.0.1; no worker is killed. Injected delay per call: " << a.latency.base_ms << " ms + Exp("
    << a.latency.jitter_ms << " ms), x" << a.latency.slow_factor << " for " << a.latency.slow_fraction * 100
    << "% of calls, + Pareto(" << a.latency.tail_ms << " ms, alpha " << a.latency.tail_alpha << ") for "
    << a.latency.tail_fraction * 100 << "%, capped at " << a.latency.max_ms << " ms. Queries arrive as a Poisson process of "
    << a.rate << " q/s (the planner's arrival model), the same arrival times for every configuration of a round.\n\n"
    << "1. Latency law: " << a.calibration_queries << " uncoded queries (K = N = "
    << a.calibration_group()
    << ", each call on its own worker) gave " << cl.calls << " call times, dispatch to answer at the front end: median "
    << ms(cl.unit_seconds, 2) << " ms, p90 " << ms(cl.p90_seconds, 2) << " ms, p99 " << ms(cl.p99_seconds, 2)
    << " ms, max " << ms(cl.max_seconds, 2) << " ms. The planner's profile is b = 1 at the median, and its straggler "
    << "model the fit of the call times over the median: " << nercc::plan::to_string(cl.fit->family) << " (KS "
    << fixed(cl.fit->ks, 4) << ", 1% critical " << fixed(cl.fit->ks_critical, 4) << "). Front end decide-and-deliver "
    << "time (median GroupLog::decode_seconds, the planner's decode cost): " << ms(cl.front_end_seconds, 3) << " ms.\n"
    << "2. Accuracy: nercc::plan::calibrate on the first " << (a.smoke ? 200 : 2000)
    << " test images, systematic layout (TuneParams::systematic, spreads 0.05, 0.2, 0.5), K = " << a.coded_queries
    << ", N in {";
  for (std::size_t i = 0; i < a.coded_workers.size(); ++i) o << (i ? ", " : "") << a.coded_workers[i];
  o << "}, every answer count: " << r.accuracy.entries().size() << " entries in " << fixed(r.calibration_seconds, 1)
    << " s. The served queries are the test images after them.\n"
    << "3. Fallback model (deadline plans): linear, distilled from LeNet5; agrees with it on "
    << fixed(100 * r.fallback.agreement, 1) << "% of " << r.fallback.test_images << " test images, "
    << ms(r.fallback_seconds, 3) << " ms per query.\n"
    << "4. plan(): K = " << a.coded_queries << ", N <= " << a.max_redundancy << " K, b = 1, pool " << a.max_workers()
    << " workers, price 1 per worker, concurrent workers (PlanRequest::concurrent_workers: each worker process "
       "serves overlapping calls, so one set carries the load and a plan costs its N), runners-up " << a.runners_up
    << "; each (SLO, floor) runs plan()'s list and the cheapest plan of each scheme (from). A plan runs through "
       "to_runtime_params (group timeout and deadline = the SLO, except a deadline plan's own deadline).\n"
    << "5. Each configuration serves " << a.queries << " queries in each of " << a.rounds
    << " rounds (an order rotated by one per round). A query without an answer counts as infinitely late in the "
       "measured quantiles and as wrong in RelAcc (as in the planner). measured feasible: measured "
    << pq << " <= SLO and RelAcc >= floor. The measured cheapest: the fewest workers among the measured feasible "
       "plans, then the higher RelAcc.\n";
  return o.str();
}

inline std::string plan_check_json(const PlanCheckArgs& a, const PlanCheckReport& r) {
  const double q = a.slo_quantile;
  std::ostringstream o;
  o << "{\"demo\":\"grpc_cluster_plan_check\",\"config\":{\"coded_queries\":" << a.coded_queries
    << ",\"max_redundancy\":" << a.max_redundancy << ",\"rate\":" << a.rate << ",\"queries\":" << a.queries
    << ",\"rounds\":" << a.rounds << ",\"slo_quantile\":" << q << ",\"model\":\"" << a.model << "\"}"
    << ",\"calls\":{\"count\":" << r.calls.calls << ",\"median_ms\":" << json_number(r.calls.unit_seconds * 1e3)
    << ",\"p99_ms\":" << json_number(r.calls.p99_seconds * 1e3) << ",\"family\":\""
    << nercc::plan::to_string(r.calls.fit->family) << "\",\"ks\":" << json_number(r.calls.fit->ks)
    << ",\"front_end_ms\":" << json_number(r.calls.front_end_seconds * 1e3) << "},\"checks\":[";
  for (std::size_t i = 0; i < r.checks.size(); ++i) {
    const Check& c = r.checks[i];
    o << (i ? "," : "") << "{\"slo_ms\":" << c.slo_seconds * 1e3 << ",\"floor\":" << c.floor;
    if (c.plans.empty()) {
      o << ",\"infeasible\":true}";
      continue;
    }
    const Verdict v = judge(c, r.runs, q);
    o << ",\"pick\":" << v.pick << ",\"measured_cheapest\":" << v.measured_cheapest << ",\"pick_feasible\":"
      << (v.pick_feasible ? "true" : "false") << ",\"pick_is_cheapest\":" << (v.pick_is_cheapest ? "true" : "false")
      << ",\"pick_p_ratio\":" << json_number(v.p_ratio) << ",\"plans\":[";
    for (std::size_t j = 0; j < c.plans.size(); ++j) {
      const CheckedPlan& p = c.plans[j];
      const RunConfig& run = r.runs[p.run];
      o << (j ? "," : "") << "{\"plan\":\"" << describe(p.plan) << "\",\"from\":\"" << p.origin
        << "\",\"workers\":" << p.plan.cost << ",\"predicted_p_ms\":" << json_number(p.plan.p_slo * 1e3)
        << ",\"predicted_rel_acc\":" << json_number(p.plan.rel_acc) << ",\"ran\":" << (run.ran ? "true" : "false");
      if (run.ran)
        o << ",\"measured_p_ms\":" << json_number(run.pooled.quantile_of_all(q))
          << ",\"measured_rel_acc\":" << json_number(run.pooled.rel_acc()) << ",\"queries\":" << run.pooled.queries
          << ",\"lost\":" << run.pooled.lost << ",\"missing\":" << run.pooled.missing;
      o << "}";
    }
    o << "]}";
  }
  o << "]}";
  return o.str();
}

inline std::string plan_check_csv(const PlanCheckReport& r) {
  std::ostringstream o;
  o << "key,slo_ms,queries,ok,missing,lost,p50_ms,p99_ms,p999_ms,rel_acc,predicted_p50_ms,predicted_p99_ms,predicted_rel_acc\n";
  for (const RunConfig& run : r.runs) {
    if (!run.ran) continue;
    const TurnResult& t = run.pooled;
    o << "\"" << run.key << "\"," << run.slo_seconds * 1e3 << "," << t.queries << "," << t.ok << "," << t.missing << ","
      << t.lost << "," << json_number(t.quantile_of_all(0.5)) << "," << json_number(t.quantile_of_all(0.99)) << ","
      << json_number(t.quantile_of_all(0.999)) << "," << json_number(t.rel_acc()) << ","
      << json_number(run.plan.p50 * 1e3) << "," << json_number(run.plan.p99 * 1e3) << ","
      << json_number(run.plan.rel_acc) << "\n";
  }
  return o.str();
}

}  // namespace nercc_cluster
