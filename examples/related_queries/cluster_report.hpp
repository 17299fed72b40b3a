// The related-query cluster sweep's report (cluster_main.cpp): per configuration and round the
// latencies and answers by provenance (the cluster demo's TurnResult), and the forecasts'
// mean absolute error in deg C against the model's own forecast and against the observed
// temperature, overall and for the estimated answers beside the ridge fallback's error on the
// same queries; pooled over rounds with each figure's spread; the p99-MAE frontier per
// redundancy; table.md, summary.json, rounds.csv and frontier.dat (for cluster_frontier.gp).
#pragma once

#include "../grpc_cluster/report.hpp"
#include "../grpc_cluster/sweep.hpp"

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

  void finish() { base.finish(); }
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

inline const nercc_cluster::TurnResult& base_turn(const ForecastTurn& t) { return t.base; }

using ForecastFigure = nercc_cluster::SweepFigure<ForecastTurn>;
using ForecastResult = nercc_cluster::SweepResult<ForecastTurn>;

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
  return nercc_cluster::find_figure(forecast_figures(), name);
}

/// Per redundancy, marks the configurations no other one beats on pooled p99 (lower), MAE
/// against the model over the answered queries (lower) and missing share (lower) at once.
inline void mark_forecast_frontier(std::vector<ForecastResult>& results) {
  nercc_cluster::mark_pareto(results, [](const ForecastResult& r) {
    return std::vector<double>{r.pooled.base.quantile(0.99), r.pooled.answered.mean_model(), r.pooled.base.missing_share()};
  });
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

inline std::string forecast_markdown(const ForecastRunInfo& info, const std::vector<ForecastResult>& results) {
  using nercc_cluster::fixed;
  const auto& a = info.sweep;
  std::ostringstream o;
  o << "# gRPC cluster frontier on the related-query workload: p99 against forecast error\n\n"
    << nercc_cluster::sweep_tables(a, results, forecast_figures())
    << nercc_cluster::sweep_setting(a,
                                    std::to_string(a.queries) + " queries (the test windows, " +
                                        std::to_string(info.test_windows) +
                                        " with targets in 2015, in time order, cycling, so the runtime groups K "
                                        "consecutive windows)",
                                    "the LibTorch forecaster")
    << " Policies: as in the LeNet5 frontier (examples/grpc_cluster/policies.hpp, docs/results/grpc_cluster/"
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
  o << "{\"demo\":\"related_queries_cluster\",\"config\":{" << nercc_cluster::sweep_config_json(a)
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
    o << (i ? "," : "") << "{" << nercc_cluster::result_json_members(r, forecast_figures())
      << ",\"estimated_count\":" << r.pooled.estimated.count
      << ",\"exact_max_deviation\":" << json_number(r.pooled.exact_max_deviation) << "}";
  }
  o << "]}";
  return o.str();
}

inline std::string forecast_rounds_csv(const std::vector<ForecastResult>& results) {
  return nercc_cluster::sweep_rounds_csv(results, forecast_figures());
}

/// For cluster_frontier.gp (columns: see frontier_blocks, with MAE vs model as the quality).
inline std::string forecast_frontier_data(const ForecastRunInfo& info, const std::vector<ForecastResult>& results) {
  return nercc_cluster::frontier_blocks(info.sweep.ratios, results, forecast_figure("p99_ms"), forecast_figure("mae_model"));
}

}  // namespace nercc_examples
