// The planner check's measurements, report and driver: the cluster's per-call latency law
// (fitted from GroupLog records); table.md, summary.json and runs.csv; and run_plan_check(), the
// check itself for any workload (PlanCheckWorkload), which plan_check_main.cpp (LeNet5, RelAcc
// floors) and ../related_queries/plan_check_main.cpp (the forecaster, MSE ceilings) describe.
#pragma once

#include "format.hpp"
#include "plan_check.hpp"
#include "serve.hpp"
#include "worker_pool.hpp"

#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/runtime.hpp>
#include <nercc/runtime/from_plan.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
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

/// What the check needs of a workload; its program fills it (model, data, workers, fallback).
struct PlanCheckWorkload {
  std::string title;         ///< for the report, e.g. "LeNet5, Fashion-MNIST"
  std::string workers_text;  ///< what the worker processes serve, for the report
  nercc::Index input_dim = 0, output_dim = 0;
  /// Arguments of `count` worker processes that live at most `lifetime_seconds`.
  std::function<std::vector<std::vector<std::string>>(int count, double lifetime_seconds)> worker_argvs;
  /// The accuracy table of `params` (configurations and tuner settings chosen by the check).
  std::function<nercc::plan::AccuracyTable(const nercc::plan::CalibrateParams&)> calibrate;
  std::string calibration_text;  ///< which queries calibrate() uses, for the report
  /// Serves s.send_seconds.size() queries, query i being the workload's query s.first + i.
  std::function<Measured(const ServeRequest&)> serve;
  std::int64_t first_query = 0;               ///< of the served queries (after any calibration queries)
  nercc::runtime::Fallback<float> fallback;   ///< the front end's fallback model
  nercc::plan::FallbackModel fallback_model;  ///< its quality against the served model, its time
  std::string fallback_text;                  ///< what it is, for the report
};

struct PlanCheckReport {
  std::string title, workers_text, calibration_text, fallback_text;
  Quality quality = Quality::rel_acc;
  CallLatency calls;
  double fallback_seconds = 0;
  double calibration_seconds = 0;
  nercc::plan::AccuracyTable accuracy;
  nercc::plan::PlanRequest request;  ///< without SLO and quality bound
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

/// "lo-hi" of the measured quality over the rounds.
inline std::string quality_spread(Quality quality, const RunConfig& r, int digits) {
  if (quality == Quality::rel_acc) return round_spread(r, [](const TurnResult& x) { return x.rel_acc(); }, digits);
  if (r.round_mse.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(r.round_mse.begin(), r.round_mse.end());
  return fixed(*lo, digits) + "-" + fixed(*hi, digits);
}

inline std::string plan_check_markdown(const PlanCheckArgs& a, const PlanCheckReport& r) {
  const double q = a.slo_quantile;
  const std::string pq = "p" + fixed(100 * q, q * 100 == std::floor(q * 100) ? 0 : 1);
  std::ostringstream o;
  const Quality ql = r.quality;
  const std::string qn = quality_name(ql);
  const int qd = ql == Quality::rel_acc ? 4 : 5;  // digits
  const auto quality_of = [&](const RunConfig& run) { return measured_quality(ql, run); };
  o << "# The planner's pick against the cluster (" << r.title << ")\n\n";
  o << "| SLO " << pq << " ms | " << bound_name(ql) << " | planner's pick | predicted " << pq << " ms | measured " << pq
    << " ms (rounds) | measured / predicted | predicted " << qn << " | measured " << qn
    << " | measured cheapest feasible | pick is the measured cheapest |\n"
    << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Check& c : r.checks) {
    o << "| " << fixed(c.slo_seconds * 1e3, 0) << " | " << c.bound << " | ";
    if (c.plans.empty()) {
      o << "infeasible (" << c.infeasible << ") | | | | | | | |\n";
      continue;
    }
    const Verdict v = judge(c, r.runs, q);
    const CheckedPlan& p = c.plans[std::size_t(v.pick)];
    const RunConfig& run = r.runs[p.run];
    o << describe(p.plan) << " (" << p.plan.cost << " workers) | " << ms(p.plan.p_slo) << " | "
      << (run.ran ? fixed(run.pooled.quantile_of_all(q), 1) + " (" +
                        round_spread(run, [q](const TurnResult& x) { return x.quantile_of_all(q); }, 1) + ")"
                  : std::string("not run"))
      << " | " << fixed(v.p_ratio, 2) << " | " << fixed(predicted_quality(ql, p.plan), qd) << " | "
      << (run.ran ? fixed(quality_of(run), qd) : "-") << " | ";
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
  o << "\nmeasured / predicted: the pick's measured " << pq << " over its prediction (target: within 10%); "
    << "(rounds): the lowest and highest of the rounds.\n\n";

  for (const Check& c : r.checks) {
    if (c.plans.empty()) continue;
    o << "## SLO " << pq << " <= " << fixed(c.slo_seconds * 1e3, 0) << " ms, " << qn
      << (ql == Quality::rel_acc ? " >= " : " <= ") << c.bound << "\n\n"
      << "| plan | from | workers | predicted p50 ms | measured p50 ms | predicted " << pq << " ms | measured " << pq
      << " ms (rounds) | ratio | predicted " << qn << " | measured " << qn
      << " (rounds) | exact % | estimated % | fallback % | missing % | measured feasible |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const CheckedPlan& p : c.plans) {
      const RunConfig& run = r.runs[p.run];
      o << "| " << describe(p.plan) << (p.planner_pick ? " **(pick)**" : "") << " | " << p.origin << " | " << p.plan.cost
        << " | " << ms(p.plan.p50) << " | ";
      if (!run.ran) {
        o << run.not_run << " | " << ms(p.plan.p_slo) << " | | | " << fixed(predicted_quality(ql, p.plan), qd)
          << " | | | | | | |\n";
        continue;
      }
      const TurnResult& t = run.pooled;
      const double mq = t.quantile_of_all(q);
      o << fixed(t.quantile_of_all(0.5), 1) << " | " << ms(p.plan.p_slo) << " | " << fixed(mq, 1) << " ("
        << round_spread(run, [q](const TurnResult& x) { return x.quantile_of_all(q); }, 1) << ") | "
        << fixed(mq * 1e-3 / p.plan.p_slo, 2) << " | " << fixed(predicted_quality(ql, p.plan), qd) << " | "
        << fixed(quality_of(run), qd) << " (" << quality_spread(ql, run, qd) << ") | " << fixed(100 * t.share("exact"), 1)
        << " | " << fixed(100 * t.share("estimated"), 1) << " | " << fixed(100 * t.share("fallback"), 1) << " | "
        << fixed(100 * t.missing_share(), 1) << " | " << (measured_feasible(c, run, q) ? "yes" : "no") << " |\n";
    }
    o << "\n";
  }

  const auto& cl = r.calls;
  o << "## How it was measured\n\n"
    << "Worker processes: " << a.max_workers() << " (" << r.workers_text << ") on 127.0.0.1; no worker is killed. Injected delay per call: " << a.latency.base_ms << " ms + Exp("
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
    << "2. Accuracy: nercc::plan::calibrate on " << r.calibration_text << ", systematic layout (TuneParams::systematic, spreads 0.05, 0.2, 0.5), K = " << a.coded_queries
    << ", N in {";
  for (std::size_t i = 0; i < a.coded_workers.size(); ++i) o << (i ? ", " : "") << a.coded_workers[i];
  o << "}, every answer count: " << r.accuracy.entries().size() << " entries in " << fixed(r.calibration_seconds, 1)
    << " s" << (ql == Quality::mse ? "; MSE per output element against the served model" : "") << ".\n"
    << "3. Fallback model (deadline plans): " << r.fallback_text << ", " << ms(r.fallback_seconds, 3)
    << " ms per query.\n"
    << "4. plan(): K = " << a.coded_queries << ", N <= " << a.max_redundancy << " K, b = 1, pool " << a.max_workers()
    << " workers, price 1 per worker, concurrent workers (PlanRequest::concurrent_workers: each worker process "
       "serves overlapping calls, so one set carries the load and a plan costs its N), runners-up " << a.runners_up
    << "; each (SLO, " << bound_name(ql) << ") runs plan()'s list and the cheapest plan of each scheme (from). A plan runs through "
       "to_runtime_params (group timeout and deadline = the SLO, except a deadline plan's own deadline).\n"
    << "5. Each configuration serves " << a.queries << " queries in each of " << a.rounds
    << " rounds (an order rotated by one per round). A query without an answer counts as infinitely late in the "
       "measured quantiles"
    << (ql == Quality::rel_acc ? " and as wrong in RelAcc" : "; the MSE is over the answered queries")
    << " (as in the planner). measured feasible: measured " << pq << " <= SLO and " << qn << " within the "
    << bound_name(ql) << ". The measured cheapest: the fewest workers among the measured feasible plans, then the "
       "better " << qn << ".\n";
  return o.str();
}

inline std::string plan_check_json(const PlanCheckArgs& a, const PlanCheckReport& r) {
  const double q = a.slo_quantile;
  std::ostringstream o;
  o << "{\"demo\":\"grpc_cluster_plan_check\",\"config\":{\"coded_queries\":" << a.coded_queries
    << ",\"max_redundancy\":" << a.max_redundancy << ",\"rate\":" << a.rate << ",\"queries\":" << a.queries
    << ",\"rounds\":" << a.rounds << ",\"slo_quantile\":" << q << ",\"workload\":\"" << r.title
    << "\",\"quality\":\"" << quality_name(r.quality) << "\"}"
    << ",\"calls\":{\"count\":" << r.calls.calls << ",\"median_ms\":" << json_number(r.calls.unit_seconds * 1e3)
    << ",\"p99_ms\":" << json_number(r.calls.p99_seconds * 1e3) << ",\"family\":\""
    << nercc::plan::to_string(r.calls.fit->family) << "\",\"ks\":" << json_number(r.calls.fit->ks)
    << ",\"front_end_ms\":" << json_number(r.calls.front_end_seconds * 1e3) << "},\"checks\":[";
  for (std::size_t i = 0; i < r.checks.size(); ++i) {
    const Check& c = r.checks[i];
    o << (i ? "," : "") << "{\"slo_ms\":" << c.slo_seconds * 1e3 << ",\"bound\":" << c.bound;
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
        << ",\"predicted_quality\":" << json_number(predicted_quality(r.quality, p.plan))
        << ",\"ran\":" << (run.ran ? "true" : "false");
      if (run.ran)
        o << ",\"measured_p_ms\":" << json_number(run.pooled.quantile_of_all(q))
          << ",\"measured_quality\":" << json_number(measured_quality(r.quality, run)) << ",\"queries\":" << run.pooled.queries
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
  o << "key,slo_ms,queries,ok,missing,lost,p50_ms,p99_ms,p999_ms,quality,predicted_p50_ms,predicted_p99_ms,predicted_quality\n";
  for (const RunConfig& run : r.runs) {
    if (!run.ran) continue;
    const TurnResult& t = run.pooled;
    o << "\"" << run.key << "\"," << run.slo_seconds * 1e3 << "," << t.queries << "," << t.ok << "," << t.missing << ","
      << t.lost << "," << json_number(t.quantile_of_all(0.5)) << "," << json_number(t.quantile_of_all(0.99)) << ","
      << json_number(t.quantile_of_all(0.999)) << "," << json_number(measured_quality(r.quality, run)) << ","
      << json_number(run.plan.p50 * 1e3) << "," << json_number(run.plan.p99 * 1e3) << ","
      << json_number(predicted_quality(r.quality, run.plan)) << "\n";
  }
  return o.str();
}

namespace plan_check_detail {

namespace rt = nercc::runtime;
namespace np = nercc::plan;

inline rt::Duration seconds(double s) { return std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double>(s)); }

/// Poisson arrivals of `count` queries at `rate`, the same for every configuration of a round.
inline std::vector<double> poisson_times(std::int64_t count, double rate, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate);
  std::vector<double> t;
  double now = 0;
  for (std::int64_t i = 0; i < count; ++i) t.push_back(now += gap(rng));
  return t;
}

/// Step 1: uncoded calls, K = N = calibration_group(), each query leaving with its answer.
inline CallLatency measure_calls(const PlanCheckArgs& a, const PlanCheckWorkload& w, WorkerPool& pool) {
  std::vector<rt::GroupLog> logs;
  std::mutex m;
  ServeRequest s;
  s.ports = pool.ports();
  s.ports.resize(std::size_t(a.calibration_group()));
  s.params.scheme = nercc::SchemeKind::uncoded;
  s.params.code.num_queries = s.params.code.num_workers = nercc::Index(s.ports.size());
  s.params.input_dim = w.input_dim;
  s.params.output_dim = w.output_dim;
  s.params.early_release = true;
  s.params.deadline = seconds(2.0);
  s.params.group_timeout = seconds(2.0);
  s.params.overload.enabled = false;
  s.params.group_log = [&](const rt::GroupLog& g) {
    std::lock_guard<std::mutex> lock(m);
    logs.push_back(g);
  };
  s.first = w.first_query;
  s.send_seconds = poisson_times(a.calibration_queries, a.rate, a.seed * 7919);
  s.rpc_timeout = std::chrono::milliseconds(3000);
  const TurnResult t = w.serve(s).turn;
  if (t.lost != 0 || t.missing != 0)
    throw std::runtime_error("calibration round: " + std::to_string(t.missing + t.lost) + " queries without an answer");
  std::lock_guard<std::mutex> lock(m);
  return fit_call_latency(logs);
}

/// Step 2: the systematic codes' accuracy on the workload's model, per (K, N, answers). The
/// tuner minimises the MSE (TuneParams' default) for both qualities; every entry has both.
inline np::CalibrateParams calibration_params(const PlanCheckArgs& a) {
  np::CalibrateParams c;
  for (nercc::Index n : a.coded_workers) c.configs.emplace_back(nercc::Index(a.coded_queries), n);
  c.tune.systematic = true;
  c.tune.worker_spreads = {0.05, 0.2, 0.5};
  c.tune.batches = a.smoke ? 4 : 32;
  c.tune.answered_sets = a.smoke ? 4 : 16;
  c.tune.grid_points = a.smoke ? 3 : 6;
  c.tune.refine_rounds = 1;
  c.tune.max_model_calls = 8;
  return c;
}

/// Step 3: the feasible plans of one (SLO, bound): plan()'s list, then the cheapest plan of each
/// scheme it does not already hold. New runtime configurations are appended to `runs`.
inline Check plan_one(const np::PlanRequest& base, double slo, Quality quality, double bound, const PlanCheckWorkload& w,
                      const np::StragglerModel& model, const np::AccuracyTable& table, std::vector<RunConfig>& runs) {
  np::PlanRequest r = base;
  r.slo_seconds = slo;
  (quality == Quality::rel_acc ? r.accuracy_floor : r.max_mse) = bound;
  Check c;
  c.slo_seconds = slo, c.bound = bound, c.quality = quality;
  const np::PlanResult res = np::plan(r, model, table);
  if (res.plans.empty()) {
    c.infeasible = std::string(np::to_string(res.binding)) + ": " + res.message;
    return c;
  }
  const auto add = [&](const np::Plan& p, const std::string& origin) {
    const rt::RuntimeParams params = np::to_runtime_params(p, r, w.input_dim, w.output_dim);
    const std::string key = run_key(params, p.fallback);
    for (const auto& existing : c.plans)
      if (runs[existing.run].key == key) return;
    std::size_t at = 0;
    while (at < runs.size() && runs[at].key != key) ++at;
    if (at == runs.size()) {
      RunConfig rc;
      rc.key = key, rc.plan = p, rc.slo_seconds = slo, rc.params = params;
      if (p.worker_sets != 1) rc.not_run = "needs " + std::to_string(p.worker_sets) + " worker sets; the cluster runs one";
      runs.push_back(std::move(rc));
    }
    c.plans.push_back({p, at, c.plans.empty(), origin});
  };
  for (const np::Plan& p : res.plans) add(p, "plan()");
  for (nercc::SchemeKind s : base.grid.schemes) {
    np::PlanRequest only = r;
    only.grid.schemes = {s};
    only.runners_up = 0;
    const np::PlanResult one = np::plan(only, model, table);
    if (!one.plans.empty()) add(one.plans.front(), std::string("cheapest ") + nercc::to_string(s));
  }
  return c;
}

}  // namespace plan_check_detail

/// The planner check on workload `w`:
///   1. a calibration round of uncoded calls gives the per-call latency law (GroupLog arrival
///      times, fitted by nercc::plan::fit_straggler_model in units of the median call) and the
///      front end's decode-and-deliver time;
///   2. w.calibrate measures the systematic codes' accuracy (RelAcc and MSE) on the model;
///   3. plan() for every (SLO, bound): a RelAcc floor or an MSE ceiling (a.quality), keeping the
///      planner's feasible plans (its pick, its runners-up and the cheapest plan of each scheme);
///   4. every such plan runs on the workers through to_runtime_params, in rounds, the same
///      Poisson arrivals for all in a round;
///   5. per (SLO, bound): the configuration the cluster measured as cheapest among them against
///      the pick, predicted against measured p-quantile and quality, with their spread over rounds.
/// Writes table.md, summary.json, runs.csv to a.out. Returns 0; throws std::logic_error on an
/// inconsistent report (a lost query among them).
inline int run_plan_check(const PlanCheckArgs& a, const PlanCheckWorkload& w) {
  namespace np = nercc::plan;
  using Clock = std::chrono::steady_clock;
  using namespace plan_check_detail;
  const auto run_start = Clock::now();
  PlanCheckReport report;
  report.title = w.title, report.workers_text = w.workers_text, report.calibration_text = w.calibration_text;
  report.fallback_text = w.fallback_text, report.quality = a.quality;
  report.fallback_seconds = w.fallback_model.seconds;

  const int workers = a.max_workers();
  WorkerPool pool(a.worker_bin, w.worker_argvs(workers, 3600.0 + double(a.queries) * 100.0 / a.rate), 300.0);
  if (a.progress)
    std::fprintf(stderr, "latency calibration: %lld uncoded queries on %d workers\n", (long long)a.calibration_queries,
                 a.calibration_group());
  report.calls = measure_calls(a, w, pool);
  if (a.progress) std::fprintf(stderr, "accuracy calibration on %s\n", w.calibration_text.c_str());
  const auto t0 = Clock::now();
  const np::AccuracyTable table = w.calibrate(calibration_params(a));
  report.calibration_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  report.accuracy = table;

  np::PlanRequest base;
  base.arrival_rate = a.rate;
  base.slo_quantile = a.slo_quantile;
  np::BatchLatency unit;
  unit.batch_size = 1;
  unit.median = unit.lower_quartile = unit.upper_quartile = unit.min = unit.max = report.calls.unit_seconds;
  base.profile = {unit};
  base.decode.fixed_seconds = report.calls.front_end_seconds;
  base.pool_size = workers;
  // Each worker serves overlapping calls on several gRPC threads, and its time is mostly the
  // injected delay (a wait): one worker set carries the load.
  base.concurrent_workers = true;
  base.runners_up = a.runners_up;
  base.grid.num_queries = {nercc::Index(a.coded_queries)};
  base.grid.max_redundancy = a.max_redundancy;
  base.grid.max_workers_per_set = workers;
  base.grid.batch_sizes = {1};
  base.fallback = w.fallback_model;
  report.request = base;

  std::vector<RunConfig> runs;
  for (double slo : a.slo_ms)
    for (double bound : a.bounds())
      report.checks.push_back(plan_one(base, slo / 1e3, a.quality, bound, w, report.calls.fit->model, table, runs));

  std::vector<std::size_t> to_run;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].not_run.empty()) to_run.push_back(i);
  if (a.progress)
    std::fprintf(stderr, "%zu configurations to run (%zu planned), %d rounds of %lld queries at %g q/s\n", to_run.size(),
                 runs.size(), a.rounds, (long long)a.queries, a.rate);
  std::vector<std::vector<Measured>> turns(runs.size());
  std::size_t done = 0;
  for (int round = 0; round < a.rounds; ++round) {
    const std::vector<double> times = poisson_times(a.queries, a.rate, a.seed * 1000003 + std::uint64_t(round));
    for (std::size_t j = 0; j < to_run.size(); ++j) {
      const std::size_t at = to_run[(j + std::size_t(round)) % to_run.size()];
      const RunConfig& rc = runs[at];
      ServeRequest s;
      s.ports = pool.ports();
      s.ports.resize(std::size_t(rc.params.code.num_workers));
      s.params = rc.params;
      if (rc.plan.fallback) s.fallback = w.fallback;
      s.first = w.first_query + a.queries * round;
      s.send_seconds = times;
      s.rpc_timeout = std::chrono::milliseconds(std::int64_t(rc.slo_seconds * 1e3) + 1000);
      turns[at].push_back(w.serve(s));
      ++done;
      if (a.progress) {
        const Measured& m = turns[at].back();
        const double quality = a.quality == Quality::rel_acc ? m.turn.rel_acc()
                                                             : m.values ? m.squared_error / double(m.values) : std::nan("");
        std::fprintf(stderr, "[%zu/%zu] %s (SLO %g ms): p99 %s ms, %s %s, missing %lld, lost %lld\n", done,
                     to_run.size() * std::size_t(a.rounds), describe(rc.plan).c_str(), rc.slo_seconds * 1e3,
                     fixed(m.turn.quantile_of_all(a.slo_quantile), 1).c_str(), quality_name(a.quality),
                     fixed(quality, 5).c_str(), (long long)m.turn.missing, (long long)m.turn.lost);
      }
    }
  }
  pool.stop();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (turns[i].empty()) continue;
    RunConfig& r = runs[i];
    r.ran = true;
    for (Measured& m : turns[i]) {
      m.turn.finish();
      r.pooled.merge(m.turn);
      r.rounds.push_back(m.turn);
      r.squared_error += m.squared_error, r.values += m.values;
      r.round_mse.push_back(m.values ? m.squared_error / double(m.values) : std::nan(""));
    }
    r.pooled.finish();
  }
  report.runs = std::move(runs);

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table_md = plan_check_markdown(a, report);
  write_file(out / "table.md", table_md);
  write_file(out / "summary.json", plan_check_json(a, report) + "\n");
  write_file(out / "runs.csv", plan_check_csv(report));
  std::cout << table_md << std::endl;
  if (a.progress)
    std::fprintf(stderr, "done in %.0f s; results in %s\n", std::chrono::duration<double>(Clock::now() - run_start).count(),
                 a.out.c_str());
  check_consistency(report.checks, report.runs, a.queries * a.rounds, a.slo_quantile);
  return 0;
}

}  // namespace nercc_cluster
