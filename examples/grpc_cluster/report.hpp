// The frontier sweep's report: per configuration and round the latencies, agreement with the
// served model, answers by provenance and the runtime's counters; pooled over rounds with the
// spread (min and max) of each figure over rounds; the p99-RelAcc frontier per redundancy; and
// table.md, summary.json, rounds.csv and frontier.dat (for frontier.gp).
#pragma once

#include "format.hpp"
#include "policies.hpp"
#include "serve.hpp"
#include "sweep.hpp"
#include "turn_result.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nercc_cluster {

using Figure = SweepFigure<TurnResult>;
using ConfigResult = SweepResult<TurnResult>;

/// The figures the LeNet5 sweep reports for every configuration.
inline const std::vector<Figure>& figures() {
  static const std::vector<Figure> f = {
      {"p50_ms", "p50 ms", [](const TurnResult& r) { return r.quantile(0.5); }, 1, 1},
      {"p99_ms", "p99 ms", [](const TurnResult& r) { return r.quantile(0.99); }, 1, 1},
      {"p999_ms", "p99.9 ms", [](const TurnResult& r) { return r.quantile(0.999); }, 1, 1},
      {"rel_acc", "RelAcc", [](const TurnResult& r) { return r.rel_acc(); }, 4, 1},
      {"exact", "exact %", [](const TurnResult& r) { return r.share("exact"); }, 1, 100},
      {"estimated", "estimated %", [](const TurnResult& r) { return r.share("estimated"); }, 1, 100},
      {"fallback", "fallback %", [](const TurnResult& r) { return r.share("fallback"); }, 1, 100},
      {"hedged", "hedged %", [](const TurnResult& r) { return r.hedged_share(); }, 1, 100},
      {"missing", "missing %", [](const TurnResult& r) { return r.missing_share(); }, 1, 100},
  };
  return f;
}

inline const Figure& figure(const std::string& name) { return find_figure(figures(), name); }

/// Marks, per redundancy, the configurations no other one beats on both pooled p99 (lower) and
/// RelAcc (higher): the p99-RelAcc frontier. A configuration with no answered query is never on it.
inline void mark_frontier(std::vector<ConfigResult>& results) {
  mark_pareto(results, [](const ConfigResult& r) {
    return std::vector<double>{r.pooled.quantile(0.99), -r.pooled.rel_acc()};
  });
}

inline std::string markdown(const FrontendArgs& a, const std::vector<ConfigResult>& results, const FallbackInfo& fb) {
  std::ostringstream o;
  o << "# gRPC cluster frontier: p99 against RelAcc at equal worker counts\n\n"
    << sweep_tables(a, results, figures())
    << sweep_setting(a, std::to_string(a.queries) + " Fashion-MNIST test queries",
                     a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5")
    << "\n\n"
    << "Policies. uncoded: K = N, each query on its own worker, leaving with its answer (early release); "
       "the deadline then fails it (missing). uncoded + deadline + fallback: the same with deadline T, after which "
       "the fallback model answers. hedged requests (p90): K queries, each on its own worker, a backup "
       "copy of a call on one of the N - K spare workers once it is slower than the p90 of recent calls (10 ms "
       "until 50 were seen), the first answer winning; backups at most (N - K)/K of the calls (capped at 1; at "
       "N = K: backups on workers of the group that answered, at most 10%). replication: K queries on N workers, worker n computing query n mod K (N = rK: "
       "r replicas; otherwise the first N mod K queries have one more), each query leaving with its first replica's "
       "answer. NeRCC, Berrut: today's layout (default points), a group decoded at its quorum N - S with S = ceil((N - K)/2). "
       "sys + grace + fallback: the systematic layout (worker k at query point k, the N - K companions clustered "
       "next to the query points with spread "
    << a.spread
    << ", lambda_enc = 0), early release of every exact answer, the rest decided at T (or once every call "
       "resolved) from every answer that came, and the fallback model for what cannot be decoded. "
       "sys + grace + gated fallback: the same, and the fallback model also answers every estimate whose "
       "reliability score (1 / (1 + r^2), r the distance from its query point to the nearest answered worker "
       "point over the distance to the nearest other query point) is below "
    << a.fallback_reliability << ". The coded "
       "and replicated policies need N > K: at N/K = 1 they would be uncoded, and are left out. K, N: queries "
       "per group and workers in use (N includes the hedge's spares). S: answers a group may go without at its "
       "quorum.\n\n"
       "Latency: submit to outcome of the answered queries (grouping wait included). RelAcc: fraction of all "
       "queries whose answer's argmax equals the served model's own (computed locally); a missing query "
       "counts as a disagreement. exact/estimated/fallback: answered queries by provenance, as % of all "
       "queries; hedged: answered queries whose value came from a backup copy (any provenance); missing: queries whose outcome is an error; lost: queries without any outcome (must be 0). "
       "frontier: no other configuration at this N/K has both a lower pooled p99 and a higher RelAcc.\n\n"
    << "Fallback model: linear, 784 pixels + bias -> 10 logits, distilled in closed form (ridge regression on "
       "the served model's logits, penalty "
    << fb.ridge << " chosen on held-out images) from "
    << (fb.train_images > 0 ? std::to_string(fb.train_images) : std::string("all 60000")) << " training images. On "
    << fb.test_images << " test images it agrees with the served model's argmax on " << fixed(fb.agreement * 100, 1)
    << "% (its accuracy " << fixed(fb.accuracy * 100, 1) << "%, the served model's " << fixed(fb.model_accuracy * 100, 1)
    << "%).\n";
  return o.str();
}


inline std::string json_line(const FrontendArgs& a, const std::vector<ConfigResult>& results, const FallbackInfo& fb) {
  std::ostringstream o;
  o << "{\"demo\":\"grpc_cluster_frontier\",\"config\":{" << sweep_config_json(a) << ",\"model\":\"" << a.model
    << "\"},\"fallback\":{\"agreement\":" << json_number(fb.agreement) << ",\"accuracy\":" << json_number(fb.accuracy)
    << ",\"model_accuracy\":" << json_number(fb.model_accuracy) << ",\"test_images\":" << fb.test_images
    << ",\"train_images\":" << fb.train_images << ",\"ridge\":" << json_number(fb.ridge) << "},\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) o << (i ? "," : "") << "{" << result_json_members(results[i], figures()) << "}";
  o << "]}";
  return o.str();
}

inline std::string rounds_csv(const std::vector<ConfigResult>& results) { return sweep_rounds_csv(results, figures()); }

/// For frontier.gp (columns: see frontier_blocks, with RelAcc as the quality).
inline std::string frontier_data(const FrontendArgs& a, const std::vector<ConfigResult>& results) {
  return frontier_blocks(a.ratios, results, figure("p99_ms"), figure("rel_acc"));
}

}  // namespace nercc_cluster
