// The related-query cluster sweep's report (cluster_main.cpp): per configuration and round the
// latencies and answers by provenance (the cluster demo's TurnResult), and the forecasts'
// mean absolute error in deg C against the model's own forecast and against the observed
// temperature, overall and for the estimated answers beside the ridge fallback's error on the
// same queries; pooled over rounds with each figure's spread; the p99-MAE frontier per
// redundancy; table.md, summary.json, rounds.csv and frontier.dat (for cluster_frontier.gp).
#pragma once

#include "../grpc_cluster/report.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace nercc_examples {

/// Sums of absolute errors (deg C) over a set of answered queries.
struct ErrorSums {
  std::int64_t count = 0;
  double vs_model = 0, vs_truth = 0;
  void add(double model, double truth) { ++count, vs_model += model, vs_truth += truth; }
  void merge(const ErrorSums& o) { count += o.count, vs_model += o.vs_model, vs_truth += o.vs_truth; }
  double mean_model() const { return count ? vs_model / double(count) : std::nan(""); }
  double mean_truth() const { return count ? vs_truth / double(count) : std::nan(""); }
};

/// One configuration's queries in one round (or pooled).
struct ForecastTurn {
  nercc_cluster::TurnResult base;  ///< latencies, provenance, missing, lost (agree unused)
  ErrorSums answered;              ///< every answered query
  ErrorSums estimated;             ///< the answers the code estimated
  ErrorSums ridge_on_estimated;    ///< the ridge fallback on those same queries
  double exact_max_deviation = 0;  ///< largest |exact answer - local model| (deg C): the workers serve the model

  void merge(const ForecastTurn& o) {
    base.merge(o.base);
    answered.merge(o.answered);
    estimated.merge(o.estimated);
    ridge_on_estimated.merge(o.ridge_on_estimated);
    exact_max_deviation = std::max(exact_max_deviation, o.exact_max_deviation);
  }
  /// How many times closer to the model (or the truth) the estimates are than ridge on the same queries.
  double gain_model() const { return ridge_on_estimated.vs_model / estimated.vs_model; }
  double gain_truth() const { return ridge_on_estimated.vs_truth / estimated.vs_truth; }
};

struct ForecastFigure {
  const char* name;
  const char* heading;
  std::function<double(const ForecastTurn&)> of;
  int digits;
  double scale;
};

inline const std::vector<ForecastFigure>& forecast_figures() {
  using nercc_cluster::figure;
  auto base = [](const char* name) {
    return [f = figure(name).of](const ForecastTurn& t) { return f(t.base); };
  };
  static const std::vector<ForecastFigure> f = {
      {"p50_ms", "p50 ms", base("p50_ms"), 1, 1},
      {"p99_ms", "p99 ms", base("p99_ms"), 1, 1},
      {"p999_ms", "p99.9 ms", base("p999_ms"), 1, 1},
      {"mae_model", "MAE vs model", [](const ForecastTurn& t) { return t.answered.mean_model(); }, 3, 1},
      {"mae_truth", "MAE vs truth", [](const ForecastTurn& t) { return t.answered.mean_truth(); }, 3, 1},
      {"exact", "exact %", base("exact"), 1, 100},
      {"estimated", "estimated %", base("estimated"), 1, 100},
      {"fallback", "fallback %", base("fallback"), 1, 100},
      {"hedged", "hedged %", base("hedged"), 1, 100},
      {"missing", "missing %", base("missing"), 1, 100},
      {"est_mae_model", "estimates: MAE vs model", [](const ForecastTurn& t) { return t.estimated.mean_model(); }, 3, 1},
      {"est_gain_model", "ridge / estimate (model)", [](const ForecastTurn& t) { return t.gain_model(); }, 2, 1},
      {"est_mae_truth", "estimates: MAE vs truth", [](const ForecastTurn& t) { return t.estimated.mean_truth(); }, 3, 1},
      {"est_gain_truth", "ridge / estimate (truth)", [](const ForecastTurn& t) { return t.gain_truth(); }, 2, 1},
  };
  return f;
}

inline const ForecastFigure& forecast_figure(const std::string& name) {
  for (const auto& f : forecast_figures())
    if (name == f.name) return f;
  throw std::logic_error("no figure " + name);
}

struct ForecastResult {
  nercc_cluster::Configuration config;
  std::vector<ForecastTurn> rounds;
  ForecastTurn pooled;  // set by finish()
  nercc::runtime::RuntimeMetrics counters;
  bool on_frontier = false;

  void add(ForecastTurn turn, const nercc::runtime::RuntimeMetrics& m) {
    turn.base.finish();
    rounds.push_back(std::move(turn));
    for (const auto& c : nercc_cluster::reported_counters) counters.*c.member += m.*c.member;
  }
  void finish() {
    pooled = ForecastTurn{};
    for (const auto& r : rounds) pooled.merge(r);
    pooled.base.finish();
  }
  /// Smallest and largest per-round value (rounds where it is undefined left out).
  std::pair<double, double> spread(const ForecastFigure& f) const {
    double lo = std::nan(""), hi = std::nan("");
    for (const auto& r : rounds) {
      const double v = f.of(r);
      if (std::isnan(v)) continue;
      lo = std::isnan(lo) ? v : std::min(lo, v);
      hi = std::isnan(hi) ? v : std::max(hi, v);
    }
    return {lo, hi};
  }
};

/// Per redundancy, marks the configurations no other one beats on pooled p99 (lower), MAE
/// against the model over the answered queries (lower) and missing share (lower) at once.
inline void mark_forecast_frontier(std::vector<ForecastResult>& results) {
  auto key = [](const ForecastResult& r) {
    return std::array<double, 3>{r.pooled.base.quantile(0.99), r.pooled.answered.mean_model(), r.pooled.base.missing_share()};
  };
  for (auto& a : results) {
    const auto ka = key(a);
    a.on_frontier = !std::isnan(ka[0]);
    for (const auto& b : results) {
      if (&a == &b || b.config.ratio != a.config.ratio || !a.on_frontier) continue;
      const auto kb = key(b);
      if (std::isnan(kb[0])) continue;
      bool no_worse = true, better = false;
      for (int i = 0; i < 3; ++i) no_worse = no_worse && kb[i] <= ka[i], better = better || kb[i] < ka[i];
      if (no_worse && better) a.on_frontier = false;
    }
  }
}

/// What the report says about the run beside the configurations.
struct ForecastRunInfo {
  nercc_cluster::FrontendArgs sweep;
  std::string data;
  long long test_windows = 0, train_windows = 0;
  double model_mae = 0, ridge_mae = 0, ridge_vs_model_mae = 0, ridge_lambda = 0;
  int epochs = 0;
  double seconds = 0;  ///< wall time of the whole run
};

inline std::string cell(const ForecastResult& r, const ForecastFigure& f) {
  using nercc_cluster::fixed;
  const auto [lo, hi] = r.spread(f);
  return fixed(f.of(r.pooled) * f.scale, f.digits) + " (" + fixed(lo * f.scale, f.digits) + "-" +
         fixed(hi * f.scale, f.digits) + ")";
}

inline std::string forecast_markdown(const ForecastRunInfo& info, const std::vector<ForecastResult>& results) {
  using nercc_cluster::fixed;
  const auto& a = info.sweep;
  std::ostringstream o;
  o << "# gRPC cluster frontier on the related-query workload: p99 against forecast error\n\n";
  for (double ratio : a.ratios) {
    o << "## N/K = " << ratio << " (K = " << a.coded_queries << ", N = " << a.workers_at(ratio) << " workers)\n\n"
      << "| policy | K | N | S | deadline ms";
    for (const auto& f : forecast_figures()) o << " | " << f.heading;
    o << " | lost | frontier |\n|---|---|---|---|---";
    for (std::size_t i = 0; i < forecast_figures().size(); ++i) o << "|---";
    o << "|---|---|\n";
    for (const auto& r : results) {
      if (r.config.ratio != ratio) continue;
      const auto& p = r.config.params;
      o << "| " << r.config.label() << " | " << p.code.num_queries << " | " << r.config.workers() << " | "
        << p.stragglers << " | " << r.config.deadline_ms;
      for (const auto& f : forecast_figures()) o << " | " << cell(r, f);
      o << " | " << r.pooled.base.lost << " | " << (r.on_frontier ? "yes" : "") << " |\n";
    }
    o << "\n";
  }
  o << "Each cell: the figure over all " << a.rounds << " rounds pooled, and in parentheses its smallest and largest "
    << "value in a single round. Per configuration and round " << a.queries << " queries at " << a.rate
    << " q/s (fixed spacing): the test windows (" << info.test_windows
    << ", targets in 2015) in time order, cycling, so the runtime groups K consecutive windows; every configuration "
    << "takes one turn per round, in an order rotated by one per round. The " << a.max_workers()
    << " worker processes serve the LibTorch forecaster on 127.0.0.1; at N/K = r the first N = rK serve every policy";
  if (a.kill_at >= 0)
    o << "; worker " << a.kill_worker << " is SIGKILLed after " << a.kill_at * 100
      << "% of every turn and restarted after the turn";
  o << ". Injected delay per call: " << a.latency.base_ms << " ms + Exp(" << a.latency.jitter_ms << " ms), x"
    << a.latency.slow_factor << " for " << a.latency.slow_fraction * 100 << "% of calls, + Pareto(" << a.latency.tail_ms
    << " ms, alpha " << a.latency.tail_alpha << ") for " << a.latency.tail_fraction * 100 << "%, capped at "
    << a.latency.max_ms << " ms. Group timeout " << a.group_timeout_ms
    << " ms. Policies: as in the LeNet5 frontier (examples/grpc_cluster/policies.hpp, docs/results/grpc_cluster/"
       "frontier/README.md), systematic spread "
    << a.spread << ", lambda_dec " << a.lambda_dec << ", the gated policies' reliability threshold "
    << a.fallback_reliability << "; the fallback policies' fallback is the ridge model.\n\n"
    << "MAE: mean absolute error in deg C over the two outputs (next-day max and min temperature), over the "
       "answered queries, against the model's own forecast computed locally (\"model\") and against the observed "
       "temperature (\"truth\"). estimates: the answers the code estimated (provenance estimated): their MAE, and "
       "ridge / estimate, the ridge fallback's MAE on the same queries over theirs (above 1: the estimate is more "
       "accurate than the fallback alone would have been). exact/estimated/fallback %: answered queries by "
       "provenance, as % of all queries; hedged: answered from a backup copy; missing: outcome an error; lost: no "
       "outcome (must be 0). frontier: no other configuration at this N/K has a p99, an MAE vs model and a missing "
       "share all no larger, one of them smaller.\n\n"
    << "Model: the MLP of examples/related_queries (" << info.epochs << " epochs, trained on " << info.train_windows
    << " windows), test MAE " << fixed(info.model_mae, 3) << " deg C; fallback: ridge (lambda " << info.ridge_lambda
    << "), test MAE " << fixed(info.ridge_mae, 3) << ", " << fixed(info.ridge_vs_model_mae, 3)
    << " from the model's forecast. Data: " << info.data << ". Run time " << fixed(info.seconds, 0) << " s.\n";
  return o.str();
}

inline std::string forecast_json(const ForecastRunInfo& info, const std::vector<ForecastResult>& results) {
  using nercc_cluster::json_number;
  const auto& a = info.sweep;
  std::ostringstream o;
  o << "{\"demo\":\"related_queries_cluster\",\"config\":{\"coded_queries\":" << a.coded_queries << ",\"ratios\":[";
  for (std::size_t i = 0; i < a.ratios.size(); ++i) o << (i ? "," : "") << a.ratios[i];
  o << "],\"worker_processes\":" << a.max_workers() << ",\"queries_per_round\":" << a.queries << ",\"rounds\":" << a.rounds
    << ",\"rate\":" << a.rate << ",\"deadline_ms\":" << a.deadline_ms << ",\"group_timeout_ms\":" << a.group_timeout_ms
    << ",\"kill_at\":" << a.kill_at << ",\"spread\":" << a.spread << ",\"lambda_dec\":" << a.lambda_dec << ",\"fallback_reliability\":" << a.fallback_reliability
    << ",\"seconds\":" << json_number(info.seconds) << ",\"policies\":[";
  // The policies the sweep was asked for, so a check can tell a missing row from an unasked one.
  bool first = true;
  for (const auto& p : nercc_cluster::all_policies()) {
    if (!a.policies.empty() && std::find(a.policies.begin(), a.policies.end(), p.name) == a.policies.end()) continue;
    o << (first ? "" : ",") << "{\"name\":\"" << p.name << "\",\"needs_redundancy\":"
      << (p.needs_redundancy ? "true" : "false") << ",\"fallback\":" << (p.fallback ? "true" : "false") << "}";
    first = false;
  }
  o << "]},\"model\":{\"test_mae\":" << json_number(info.model_mae)
    << ",\"ridge_test_mae\":" << json_number(info.ridge_mae) << ",\"ridge_vs_model_mae\":"
    << json_number(info.ridge_vs_model_mae) << "},\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto& p = r.config.params;
    const auto& t = r.pooled;
    o << (i ? "," : "") << "{\"key\":\"" << r.config.key() << "\",\"policy\":\"" << r.config.policy->name
      << "\",\"label\":\"" << r.config.label() << "\",\"ratio\":" << r.config.ratio << ",\"K\":" << p.code.num_queries
      << ",\"N\":" << r.config.workers() << ",\"S\":" << p.stragglers << ",\"deadline_ms\":" << r.config.deadline_ms
      << ",\"queries\":" << t.base.queries << ",\"ok\":" << t.base.ok << ",\"missing_count\":" << t.base.missing
      << ",\"lost\":" << t.base.lost << ",\"estimated_count\":" << t.estimated.count
      << ",\"exact_max_deviation\":" << json_number(t.exact_max_deviation) << ",\"rounds_reported\":" << r.rounds.size()
      << ",\"on_frontier\":" << (r.on_frontier ? "true" : "false");
    for (const auto& f : forecast_figures()) {
      const auto [lo, hi] = r.spread(f);
      o << ",\"" << f.name << "\":" << json_number(f.of(t)) << ",\"" << f.name << "_min\":" << json_number(lo) << ",\""
        << f.name << "_max\":" << json_number(hi);
    }
    for (const auto& c : nercc_cluster::reported_counters) o << ",\"" << c.name << "\":" << r.counters.*c.member;
    o << "}";
  }
  o << "]}";
  return o.str();
}

/// One line per configuration and round.
inline std::string forecast_rounds_csv(const std::vector<ForecastResult>& results) {
  using nercc_cluster::json_number;
  std::ostringstream o;
  o << "key,ratio,policy,K,N,S,deadline_ms,round,queries,ok,lost";
  for (const auto& f : forecast_figures()) o << "," << f.name;
  o << "\n";
  for (const auto& r : results)
    for (std::size_t k = 0; k < r.rounds.size(); ++k) {
      const auto& t = r.rounds[k];
      const auto& p = r.config.params;
      o << r.config.key() << "," << r.config.ratio << "," << r.config.policy->name << "," << p.code.num_queries << ","
        << r.config.workers() << "," << p.stragglers << "," << r.config.deadline_ms << "," << k << "," << t.base.queries
        << "," << t.base.ok << "," << t.base.lost;
      for (const auto& f : forecast_figures()) o << "," << json_number(f.of(t));
      o << "\n";
    }
  return o.str();
}

/// For cluster_frontier.gp: per redundancy two blocks (every configuration; the frontier by
/// MAE), one line each: ratio, "label", p99, MAE vs model, p99 min, p99 max, MAE min, MAE max,
/// on_frontier (0/1), "short label".
inline std::string forecast_frontier_data(const ForecastRunInfo& info, const std::vector<ForecastResult>& results) {
  std::ostringstream o;
  const ForecastFigure& p99 = forecast_figure("p99_ms");
  const ForecastFigure& mae = forecast_figure("mae_model");
  auto line = [&](const ForecastResult& r) {
    const auto [plo, phi] = r.spread(p99);
    const auto [mlo, mhi] = r.spread(mae);
    o << r.config.ratio << " \"" << r.config.label() << "\" " << p99.of(r.pooled) << " " << mae.of(r.pooled) << " "
      << plo << " " << phi << " " << mlo << " " << mhi << " " << (r.on_frontier ? 1 : 0) << " \""
      << r.config.policy->name;
    if (r.config.policy->uses_grace) o << " T=" << r.config.deadline_ms;
    if (r.pooled.base.missing > 0) o << " (" << nercc_cluster::fixed(r.pooled.base.missing_share() * 100, 1) << "% missing)";
    o << "\"\n";
  };
  const auto& ratios = info.sweep.ratios;
  for (std::size_t i = 0; i < ratios.size(); ++i) {
    std::vector<const ForecastResult*> here, front;
    for (const auto& r : results)
      if (r.config.ratio == ratios[i] && !std::isnan(p99.of(r.pooled)) && !std::isnan(mae.of(r.pooled))) {
        here.push_back(&r);
        if (r.on_frontier) front.push_back(&r);
      }
    std::sort(front.begin(), front.end(),
              [&](const ForecastResult* x, const ForecastResult* y) { return mae.of(x->pooled) < mae.of(y->pooled); });
    o << (i ? "\n\n" : "") << "# N/K = " << ratios[i]
      << ", every configuration: ratio label p99_ms mae_model p99_min p99_max mae_min mae_max on_frontier short_label\n";
    for (const auto* r : here) line(*r);
    o << "\n\n# N/K = " << ratios[i] << ", the frontier by MAE\n";
    for (const auto* r : front) line(*r);
  }
  return o.str();
}

}  // namespace nercc_examples
