// The frontier sweep's report: per configuration and round the latencies, agreement with the
// served model, answers by provenance and the runtime's counters; pooled over rounds with the
// spread (min and max) of each figure over rounds; the p99-RelAcc frontier per redundancy; and
// table.md, summary.json, rounds.csv and frontier.dat (for frontier.gp).
#pragma once

#include "format.hpp"
#include "policies.hpp"
#include "serve.hpp"
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

// The runtime's counters that the summary reports, summed over rounds.
struct Counter {
  const char* name;
  std::uint64_t nercc::runtime::RuntimeMetrics::*member;
};
inline const Counter reported_counters[] = {
    {"calls_sent", &nercc::runtime::RuntimeMetrics::calls_sent},
    {"answers_used", &nercc::runtime::RuntimeMetrics::answers_used},
    {"answers_failed", &nercc::runtime::RuntimeMetrics::answers_failed},
    {"late_answers", &nercc::runtime::RuntimeMetrics::late_answers},
    {"calls_cancelled", &nercc::runtime::RuntimeMetrics::calls_cancelled},
    {"groups_formed", &nercc::runtime::RuntimeMetrics::groups_formed},
    {"groups_padded", &nercc::runtime::RuntimeMetrics::groups_padded},
    {"groups_decided_deadline", &nercc::runtime::RuntimeMetrics::groups_decided_deadline},
    {"released_early", &nercc::runtime::RuntimeMetrics::released_early},
    {"fallback_answers", &nercc::runtime::RuntimeMetrics::fallback_answers},
    {"fallback_failed", &nercc::runtime::RuntimeMetrics::fallback_failed},
    {"fallback_low_reliability", &nercc::runtime::RuntimeMetrics::fallback_low_reliability},
    {"hedges_sent", &nercc::runtime::RuntimeMetrics::hedges_sent},
    {"hedges_won", &nercc::runtime::RuntimeMetrics::hedges_won},
    {"hedges_refused_budget", &nercc::runtime::RuntimeMetrics::hedges_refused_budget},
    {"hedged_answers", &nercc::runtime::RuntimeMetrics::hedged_answers},
    {"unavailable", &nercc::runtime::RuntimeMetrics::unavailable},
    {"too_few_answers", &nercc::runtime::RuntimeMetrics::too_few_answers},
    {"rejected", &nercc::runtime::RuntimeMetrics::rejected},
    {"shed", &nercc::runtime::RuntimeMetrics::shed},
    {"redundancy_lowered", &nercc::runtime::RuntimeMetrics::redundancy_lowered},
};

/// The figures the report gives for every configuration: pooled value and spread over rounds.
struct Figure {
  const char* name;     // json/csv name
  const char* heading;  // table heading
  double (*of)(const TurnResult&);
  int digits;
  double scale;  // table display scale (100 for percentages)
};
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

inline const Figure& figure(const std::string& name) {
  for (const auto& f : figures())
    if (name == f.name) return f;
  throw std::logic_error("no figure " + name);
}

struct ConfigResult {
  Configuration config;
  std::vector<TurnResult> rounds;
  TurnResult pooled;                        // all rounds; set by finish()
  nercc::runtime::RuntimeMetrics counters;  // only reported_counters are summed
  bool on_frontier = false;                 // set by mark_frontier()

  void add(TurnResult turn, const nercc::runtime::RuntimeMetrics& m) {
    turn.finish();
    rounds.push_back(std::move(turn));
    for (const auto& c : reported_counters) counters.*c.member += m.*c.member;
  }
  void finish() {
    pooled = TurnResult{};
    for (const auto& r : rounds) pooled.merge(r);
    pooled.finish();
  }
  /// min and max over rounds of a per-round figure.
  std::pair<double, double> spread(const Figure& f) const {
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

/// Marks, per redundancy, the configurations no other one beats on both pooled p99 (lower) and
/// RelAcc (higher): the p99-RelAcc frontier. A configuration with no answered query is never on it.
inline void mark_frontier(std::vector<ConfigResult>& results) {
  for (auto& a : results) {
    const double pa = a.pooled.quantile(0.99), ra = a.pooled.rel_acc();
    a.on_frontier = !std::isnan(pa);
    for (const auto& b : results) {
      if (&a == &b || b.config.ratio != a.config.ratio || !a.on_frontier) continue;
      const double pb = b.pooled.quantile(0.99), rb = b.pooled.rel_acc();
      if (!std::isnan(pb) && pb <= pa && rb >= ra && (pb < pa || rb > ra)) a.on_frontier = false;
    }
  }
}


inline std::string markdown(const FrontendArgs& a, const std::vector<ConfigResult>& results, const FallbackInfo& fb) {
  std::ostringstream o;
  o << "# gRPC cluster frontier: p99 against RelAcc at equal worker counts\n\n";
  for (double ratio : a.ratios) {
    o << "## N/K = " << ratio << " (K = " << a.coded_queries << ", N = " << a.workers_at(ratio) << " workers)\n\n"
      << "| policy | K | N | S | deadline ms";
    for (const auto& f : figures()) o << " | " << f.heading;
    o << " | lost | frontier |\n|---|---|---|---|---";
    for (std::size_t i = 0; i < figures().size(); ++i) o << "|---";
    o << "|---|---|\n";
    for (const auto& r : results) {
      if (r.config.ratio != ratio) continue;
      const auto& p = r.config.params;
      o << "| " << r.config.label() << " | " << p.code.num_queries << " | " << r.config.workers() << " | "
        << p.stragglers << " | " << r.config.deadline_ms;
      for (const auto& f : figures()) {
        const auto [lo, hi] = r.spread(f);
        o << " | " << fixed(f.of(r.pooled) * f.scale, f.digits) << " (" << fixed(lo * f.scale, f.digits) << "-"
          << fixed(hi * f.scale, f.digits) << ")";
      }
      o << " | " << r.pooled.lost << " | " << (r.on_frontier ? "yes" : "") << " |\n";
    }
    o << "\n";
  }
  o << "Each cell: the figure over all " << a.rounds << " rounds pooled, and in parentheses its smallest and largest "
    << "value in a single round. Per configuration and round " << a.queries
    << " Fashion-MNIST test queries at " << a.rate << " q/s (fixed spacing); in every round each configuration "
    << "takes one turn, in an order rotated by one per round, so background load and the turns after a worker "
    << "restart fall on all alike. The " << a.max_workers() << " worker processes ("
    << (a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5") << ") run on 127.0.0.1; at N/K = r the first N = rK "
    << "of them serve every policy";
  if (a.kill_at >= 0)
    o << "; worker " << a.kill_worker << " is SIGKILLed after " << a.kill_at * 100
      << "% of every turn and restarted after the turn";
  o << ". Injected delay per call: " << a.latency.base_ms << " ms + Exp(" << a.latency.jitter_ms << " ms), x"
    << a.latency.slow_factor << " for " << a.latency.slow_fraction * 100 << "% of calls, + Pareto(" << a.latency.tail_ms
    << " ms, alpha " << a.latency.tail_alpha << ") for " << a.latency.tail_fraction * 100 << "%, capped at "
    << a.latency.max_ms << " ms. Group timeout " << a.group_timeout_ms << " ms for every policy.\n\n"
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
  const auto& l = a.latency;
  o << "{\"demo\":\"grpc_cluster_frontier\",\"config\":{\"coded_queries\":" << a.coded_queries << ",\"ratios\":[";
  for (std::size_t i = 0; i < a.ratios.size(); ++i) o << (i ? "," : "") << a.ratios[i];
  o << "],\"worker_processes\":" << a.max_workers() << ",\"queries_per_round\":" << a.queries << ",\"rounds\":" << a.rounds
    << ",\"rate\":" << a.rate << ",\"deadline_ms\":" << a.deadline_ms << ",\"grace_ms\":[";
  for (std::size_t i = 0; i < a.grace_ms.size(); ++i) o << (i ? "," : "") << a.grace_ms[i];
  o << "],\"group_timeout_ms\":" << a.group_timeout_ms << ",\"kill_at\":" << a.kill_at << ",\"kill_worker\":"
    << a.kill_worker << ",\"model\":\"" << a.model << "\",\"spread\":" << a.spread << ",\"lambda_dec\":" << a.lambda_dec
    << ",\"fallback_reliability\":" << a.fallback_reliability
    << ",\"latency\":{\"base_ms\":" << l.base_ms << ",\"jitter_ms\":" << l.jitter_ms << ",\"slow_fraction\":"
    << l.slow_fraction << ",\"slow_factor\":" << l.slow_factor << ",\"tail_fraction\":" << l.tail_fraction
    << ",\"tail_ms\":" << l.tail_ms << ",\"tail_alpha\":" << l.tail_alpha << ",\"max_ms\":" << l.max_ms
    << "}},\"fallback\":{\"agreement\":" << json_number(fb.agreement) << ",\"accuracy\":" << json_number(fb.accuracy)
    << ",\"model_accuracy\":" << json_number(fb.model_accuracy) << ",\"test_images\":" << fb.test_images
    << ",\"train_images\":" << fb.train_images << ",\"ridge\":" << json_number(fb.ridge) << "},\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto& p = r.config.params;
    o << (i ? "," : "") << "{\"key\":\"" << r.config.key() << "\",\"policy\":\"" << r.config.policy->name
      << "\",\"label\":\"" << r.config.label() << "\",\"ratio\":" << r.config.ratio << ",\"K\":" << p.code.num_queries
      << ",\"N\":" << r.config.workers() << ",\"S\":" << p.stragglers << ",\"deadline_ms\":" << r.config.deadline_ms
      << ",\"queries\":" << r.pooled.queries << ",\"ok\":" << r.pooled.ok << ",\"missing_count\":" << r.pooled.missing
      << ",\"lost\":" << r.pooled.lost << ",\"on_frontier\":" << (r.on_frontier ? "true" : "false");
    for (const auto& f : figures()) {
      const auto [lo, hi] = r.spread(f);
      o << ",\"" << f.name << "\":" << json_number(f.of(r.pooled)) << ",\"" << f.name << "_rounds\":[";
      for (std::size_t k = 0; k < r.rounds.size(); ++k) o << (k ? "," : "") << json_number(f.of(r.rounds[k]));
      o << "],\"" << f.name << "_min\":" << json_number(lo) << ",\"" << f.name << "_max\":" << json_number(hi);
    }
    for (const auto& c : reported_counters) o << ",\"" << c.name << "\":" << r.counters.*c.member;
    o << "}";
  }
  o << "]}";
  return o.str();
}

/// One line per configuration and round.
inline std::string rounds_csv(const std::vector<ConfigResult>& results) {
  std::ostringstream o;
  o << "key,ratio,policy,K,N,S,deadline_ms,round,queries,ok,lost";
  for (const auto& f : figures()) o << "," << f.name;
  o << "\n";
  for (const auto& r : results)
    for (std::size_t k = 0; k < r.rounds.size(); ++k) {
      const auto& t = r.rounds[k];
      const auto& p = r.config.params;
      o << r.config.key() << "," << r.config.ratio << "," << r.config.policy->name << "," << p.code.num_queries << ","
        << r.config.workers() << "," << p.stragglers << "," << r.config.deadline_ms << "," << k << "," << t.queries << ","
        << t.ok << "," << t.lost;
      for (const auto& f : figures()) o << "," << json_number(f.of(t));
      o << "\n";
    }
  return o.str();
}

/// For frontier.gp: two blocks (gnuplot indices 2i and 2i + 1) per redundancy: every
/// configuration, then those on the frontier by increasing RelAcc; one line per configuration:
/// ratio, "label", p99, RelAcc, p99 min, p99 max, RelAcc min, RelAcc max, on_frontier (0/1),
/// "short label" (the policy's name, and T). Configurations without an answered query are left
/// out (no p99 to plot).
inline std::string frontier_data(const FrontendArgs& a, const std::vector<ConfigResult>& results) {
  std::ostringstream o;
  const Figure& p99 = figure("p99_ms");
  const Figure& acc = figure("rel_acc");
  auto line = [&](const ConfigResult& r) {
    const auto [plo, phi] = r.spread(p99);
    const auto [alo, ahi] = r.spread(acc);
    o << r.config.ratio << " \"" << r.config.label() << "\" " << p99.of(r.pooled) << " " << acc.of(r.pooled) << " "
      << plo << " " << phi << " " << alo << " " << ahi << " " << (r.on_frontier ? 1 : 0) << " \"" << r.config.policy->name;
    if (r.config.policy->uses_grace) o << " T=" << r.config.deadline_ms;
    o << "\"\n";
  };
  const char* const columns = "ratio label p99_ms rel_acc p99_min p99_max rel_acc_min rel_acc_max on_frontier short_label";
  for (std::size_t i = 0; i < a.ratios.size(); ++i) {
    std::vector<const ConfigResult*> here, front;
    for (const auto& r : results)
      if (r.config.ratio == a.ratios[i] && !std::isnan(p99.of(r.pooled))) {
        here.push_back(&r);
        if (r.on_frontier) front.push_back(&r);
      }
    std::sort(front.begin(), front.end(),
              [&](const ConfigResult* x, const ConfigResult* y) { return acc.of(x->pooled) < acc.of(y->pooled); });
    o << (i ? "\n\n" : "") << "# N/K = " << a.ratios[i] << ", every configuration: " << columns << "\n";
    for (const auto* r : here) line(*r);
    o << "\n\n# N/K = " << a.ratios[i] << ", the frontier by RelAcc\n";
    for (const auto* r : front) line(*r);
  }
  return o.str();
}


}  // namespace nercc_cluster
