// What every cluster sweep shares, whatever its quality metric (LeNet5's RelAcc, the forecaster's
// MAE): per configuration the turns of every round, pooled with each figure's spread over rounds;
// the rounds loop (turn order rotated per round, the killed worker restarted after each turn,
// progress with an ETA); the Pareto frontier per redundancy; and the report pieces written the
// same way for every sweep (the markdown table, the JSON fields of a result, rounds.csv and the
// frontier blocks for gnuplot). A turn type provides merge(), finish() and base_turn(), the
// TurnResult holding its latencies, provenance and lost count.
#pragma once

#include "format.hpp"
#include "frontend_options.hpp"
#include "policies.hpp"
#include "turn_result.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace nercc_cluster {

inline const TurnResult& base_turn(const TurnResult& t) { return t; }

// The runtime's counters that the summaries report, summed over rounds.
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

/// A figure the report gives for every configuration: pooled value and spread over rounds.
template <class Turn>
struct SweepFigure {
  const char* name;     // json/csv name
  const char* heading;  // table heading
  std::function<double(const Turn&)> of;
  int digits;
  double scale;  // table display scale (100 for percentages)
};

template <class Turn>
const SweepFigure<Turn>& find_figure(const std::vector<SweepFigure<Turn>>& figures, const std::string& name) {
  for (const auto& f : figures)
    if (name == f.name) return f;
  throw std::logic_error("no figure " + name);
}

/// One configuration over the rounds of a sweep.
template <class Turn>
struct SweepResult {
  Configuration config;
  std::vector<Turn> rounds;
  Turn pooled;                              // all rounds; set by finish()
  nercc::runtime::RuntimeMetrics counters;  // only reported_counters are summed
  bool on_frontier = false;                 // set by mark_pareto()

  void add(Turn turn, const nercc::runtime::RuntimeMetrics& m) {
    turn.finish();
    rounds.push_back(std::move(turn));
    for (const auto& c : reported_counters) counters.*c.member += m.*c.member;
  }
  void finish() {
    pooled = Turn{};
    for (const auto& r : rounds) pooled.merge(r);
    pooled.finish();
  }
  /// Smallest and largest per-round value (rounds where it is undefined left out).
  std::pair<double, double> spread(const SweepFigure<Turn>& f) const {
    double lo = std::nan(""), hi = std::nan("");
    for (const auto& r : rounds) {
      const double v = f.of(r);
      if (std::isnan(v)) continue;
      lo = std::isnan(lo) ? v : std::min(lo, v);
      hi = std::isnan(hi) ? v : std::max(hi, v);
    }
    return {lo, hi};
  }
  /// "pooled (min-max)" as the tables show it.
  std::string cell(const SweepFigure<Turn>& f) const {
    const auto [lo, hi] = spread(f);
    return fixed(f.of(pooled) * f.scale, f.digits) + " (" + fixed(lo * f.scale, f.digits) + "-" +
           fixed(hi * f.scale, f.digits) + ")";
  }
};

/// Per redundancy, marks the configurations no other one beats on every component of `key`
/// (each lower is better) at once. A configuration whose key starts with NaN (no answered
/// query, hence no p99) is never on the frontier and beats none.
template <class Turn, class Key>
void mark_pareto(std::vector<SweepResult<Turn>>& results, Key key) {
  for (auto& a : results) {
    const std::vector<double> ka = key(a);
    a.on_frontier = !std::isnan(ka.at(0));
    for (const auto& b : results) {
      if (&a == &b || b.config.ratio != a.config.ratio || !a.on_frontier) continue;
      const std::vector<double> kb = key(b);
      if (std::isnan(kb.at(0))) continue;
      bool no_worse = true, better = false;
      for (std::size_t i = 0; i < ka.size(); ++i) no_worse = no_worse && kb[i] <= ka[i], better = better || kb[i] < ka[i];
      if (no_worse && better) a.on_frontier = false;
    }
  }
}

inline std::string minutes(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  return buf;
}

/// Every round, every configuration takes one turn, in an order rotated by one per round so that
/// background load and the turns after a worker restart fall on all alike. `turn(result, first,
/// metrics)` serves one turn from query `first` on and returns it; `describe(turn)` says its
/// quality for the progress line.
template <class Turn, class ServeTurn, class Describe, class Pool>
void run_rounds(const FrontendArgs& a, Pool& pool, std::vector<SweepResult<Turn>>& results, ServeTurn turn,
                Describe describe) {
  using Clock = std::chrono::steady_clock;
  const std::size_t turns = results.size() * std::size_t(a.rounds);
  const auto start = Clock::now();
  std::size_t done = 0;
  for (int round = 0; round < a.rounds; ++round) {
    for (std::size_t j = 0; j < results.size(); ++j) {
      SweepResult<Turn>& r = results[(j + std::size_t(round)) % results.size()];
      nercc::runtime::RuntimeMetrics metrics;
      Turn t = turn(r, a.queries * round, metrics);
      if (a.kill_at >= 0) pool.restart(std::size_t(a.kill_worker));
      r.add(std::move(t), metrics);
      ++done;
      if (a.progress) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        const Turn& last = r.rounds.back();
        std::fprintf(stderr, "[%zu/%zu] round %d/%d, N/K %g, %s: p99 %s ms, %s, lost %lld (elapsed %s, left ~%s)\n",
                     done, turns, round + 1, a.rounds, r.config.ratio, r.config.label().c_str(),
                     fixed(base_turn(last).quantile(0.99), 1).c_str(), describe(last).c_str(),
                     (long long)base_turn(last).lost, minutes(elapsed).c_str(),
                     minutes(elapsed / double(done) * double(turns - done)).c_str());
      }
    }
  }
  for (auto& r : results) r.finish();
}

/// One markdown table per redundancy: policy, K, N, S, deadline, every figure, lost, frontier.
template <class Turn>
std::string sweep_tables(const FrontendArgs& a, const std::vector<SweepResult<Turn>>& results,
                         const std::vector<SweepFigure<Turn>>& figures) {
  std::ostringstream o;
  for (double ratio : a.ratios) {
    o << "## N/K = " << ratio << " (K = " << a.coded_queries << ", N = " << a.workers_at(ratio) << " workers)\n\n"
      << "| policy | K | N | S | deadline ms";
    for (const auto& f : figures) o << " | " << f.heading;
    o << " | lost | frontier |\n|---|---|---|---|---";
    for (std::size_t i = 0; i < figures.size(); ++i) o << "|---";
    o << "|---|---|\n";
    for (const auto& r : results) {
      if (r.config.ratio != ratio) continue;
      const auto& p = r.config.params;
      o << "| " << r.config.label() << " | " << p.code.num_queries << " | " << r.config.workers() << " | "
        << p.stragglers << " | " << r.config.deadline_ms;
      for (const auto& f : figures) o << " | " << r.cell(f);
      o << " | " << base_turn(r.pooled).lost << " | " << (r.on_frontier ? "yes" : "") << " |\n";
    }
    o << "\n";
  }
  return o.str();
}

/// The sentences every sweep's table note shares: rounds and turn order, the workers, the
/// killed worker, the injected delay law and the group timeout.
inline std::string sweep_setting(const FrontendArgs& a, const std::string& queries, const std::string& workers) {
  std::ostringstream o;
  o << "Each cell: the figure over all " << a.rounds << " rounds pooled, and in parentheses its smallest and largest "
    << "value in a single round. Per configuration and round " << queries << " at " << a.rate
    << " q/s (fixed spacing); in every round each configuration takes one turn, in an order rotated by one per "
       "round, so background load and the turns after a worker restart fall on all alike. The "
    << a.max_workers() << " worker processes (" << workers << ") run on 127.0.0.1; at N/K = r the first N = rK "
    << "of them serve every policy";
  if (a.kill_at >= 0)
    o << "; worker " << a.kill_worker << " is SIGKILLed after " << a.kill_at * 100
      << "% of every turn and restarted after the turn";
  const auto& l = a.latency;
  o << ". Injected delay per call: " << l.base_ms << " ms + Exp(" << l.jitter_ms << " ms), x" << l.slow_factor << " for "
    << l.slow_fraction * 100 << "% of calls, + Pareto(" << l.tail_ms << " ms, alpha " << l.tail_alpha << ") for "
    << l.tail_fraction * 100 << "%, capped at " << l.max_ms << " ms. Group timeout " << a.group_timeout_ms
    << " ms for every policy.";
  return o.str();
}

/// The sweep's settings as JSON members (no braces), shared by every summary.json.
inline std::string sweep_config_json(const FrontendArgs& a) {
  std::ostringstream o;
  const auto& l = a.latency;
  o << "\"coded_queries\":" << a.coded_queries << ",\"ratios\":[";
  for (std::size_t i = 0; i < a.ratios.size(); ++i) o << (i ? "," : "") << a.ratios[i];
  o << "],\"worker_processes\":" << a.max_workers() << ",\"queries_per_round\":" << a.queries << ",\"rounds\":" << a.rounds
    << ",\"rate\":" << a.rate << ",\"deadline_ms\":" << a.deadline_ms << ",\"grace_ms\":[";
  for (std::size_t i = 0; i < a.grace_ms.size(); ++i) o << (i ? "," : "") << a.grace_ms[i];
  o << "],\"group_timeout_ms\":" << a.group_timeout_ms << ",\"kill_at\":" << a.kill_at << ",\"kill_worker\":"
    << a.kill_worker << ",\"spread\":" << a.spread << ",\"lambda_dec\":" << a.lambda_dec
    << ",\"fallback_reliability\":" << a.fallback_reliability << ",\"latency\":{\"base_ms\":" << l.base_ms
    << ",\"jitter_ms\":" << l.jitter_ms << ",\"slow_fraction\":" << l.slow_fraction << ",\"slow_factor\":"
    << l.slow_factor << ",\"tail_fraction\":" << l.tail_fraction << ",\"tail_ms\":" << l.tail_ms
    << ",\"tail_alpha\":" << l.tail_alpha << ",\"max_ms\":" << l.max_ms << "}";
  return o.str();
}

/// One result as JSON members (no braces): its configuration, counts, every figure pooled, per
/// round, smallest and largest, and the summed counters.
template <class Turn>
std::string result_json_members(const SweepResult<Turn>& r, const std::vector<SweepFigure<Turn>>& figures) {
  std::ostringstream o;
  const auto& p = r.config.params;
  const TurnResult& t = base_turn(r.pooled);
  o << "\"key\":\"" << r.config.key() << "\",\"policy\":\"" << r.config.policy->name << "\",\"label\":\""
    << r.config.label() << "\",\"ratio\":" << r.config.ratio << ",\"K\":" << p.code.num_queries
    << ",\"N\":" << r.config.workers() << ",\"S\":" << p.stragglers << ",\"deadline_ms\":" << r.config.deadline_ms
    << ",\"queries\":" << t.queries << ",\"ok\":" << t.ok << ",\"missing_count\":" << t.missing << ",\"lost\":" << t.lost
    << ",\"rounds_reported\":" << r.rounds.size() << ",\"on_frontier\":" << (r.on_frontier ? "true" : "false");
  for (const auto& f : figures) {
    const auto [lo, hi] = r.spread(f);
    o << ",\"" << f.name << "\":" << json_number(f.of(r.pooled)) << ",\"" << f.name << "_rounds\":[";
    for (std::size_t k = 0; k < r.rounds.size(); ++k) o << (k ? "," : "") << json_number(f.of(r.rounds[k]));
    o << "],\"" << f.name << "_min\":" << json_number(lo) << ",\"" << f.name << "_max\":" << json_number(hi);
  }
  for (const auto& c : reported_counters) o << ",\"" << c.name << "\":" << r.counters.*c.member;
  return o.str();
}

/// One line per configuration and round.
template <class Turn>
std::string sweep_rounds_csv(const std::vector<SweepResult<Turn>>& results, const std::vector<SweepFigure<Turn>>& figures) {
  std::ostringstream o;
  o << "key,ratio,policy,K,N,S,deadline_ms,round,queries,ok,lost";
  for (const auto& f : figures) o << "," << f.name;
  o << "\n";
  for (const auto& r : results)
    for (std::size_t k = 0; k < r.rounds.size(); ++k) {
      const TurnResult& t = base_turn(r.rounds[k]);
      const auto& p = r.config.params;
      o << r.config.key() << "," << r.config.ratio << "," << r.config.policy->name << "," << p.code.num_queries << ","
        << r.config.workers() << "," << p.stragglers << "," << r.config.deadline_ms << "," << k << "," << t.queries << ","
        << t.ok << "," << t.lost;
      for (const auto& f : figures) o << "," << json_number(f.of(r.rounds[k]));
      o << "\n";
    }
  return o.str();
}

/// For the frontier plots: per redundancy two blocks (gnuplot indices 2i and 2i + 1): every
/// configuration, then those on the frontier sorted by `quality`; one line each: ratio, "label",
/// p99, quality, p99 min, p99 max, quality min, quality max, on_frontier (0/1), "short label"
/// (the policy's name, T for the grace policies, and the missing share when there is one).
/// Configurations without a p99 or a quality are left out (nothing to plot).
template <class Turn>
std::string frontier_blocks(const std::vector<double>& ratios, const std::vector<SweepResult<Turn>>& results,
                            const SweepFigure<Turn>& p99, const SweepFigure<Turn>& quality) {
  std::ostringstream o;
  auto line = [&](const SweepResult<Turn>& r) {
    const auto [plo, phi] = r.spread(p99);
    const auto [qlo, qhi] = r.spread(quality);
    o << r.config.ratio << " \"" << r.config.label() << "\" " << p99.of(r.pooled) << " " << quality.of(r.pooled) << " "
      << plo << " " << phi << " " << qlo << " " << qhi << " " << (r.on_frontier ? 1 : 0) << " \"" << r.config.policy->name;
    if (r.config.policy->uses_grace) o << " T=" << r.config.deadline_ms;
    if (base_turn(r.pooled).missing > 0) o << " (" << fixed(base_turn(r.pooled).missing_share() * 100, 1) << "% missing)";
    o << "\"\n";
  };
  for (std::size_t i = 0; i < ratios.size(); ++i) {
    std::vector<const SweepResult<Turn>*> here, front;
    for (const auto& r : results)
      if (r.config.ratio == ratios[i] && !std::isnan(p99.of(r.pooled)) && !std::isnan(quality.of(r.pooled))) {
        here.push_back(&r);
        if (r.on_frontier) front.push_back(&r);
      }
    std::sort(front.begin(), front.end(), [&](const SweepResult<Turn>* x, const SweepResult<Turn>* y) {
      return quality.of(x->pooled) < quality.of(y->pooled);
    });
    o << (i ? "\n\n" : "") << "# N/K = " << ratios[i] << ", every configuration: ratio label p99_ms " << quality.name
      << " p99_min p99_max " << quality.name << "_min " << quality.name << "_max on_frontier short_label\n";
    for (const auto* r : here) line(*r);
    o << "\n\n# N/K = " << ratios[i] << ", the frontier by " << quality.name << "\n";
    for (const auto* r : front) line(*r);
  }
  return o.str();
}

}  // namespace nercc_cluster
