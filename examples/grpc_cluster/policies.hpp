// The frontier sweep's policies: one table entry per policy, naming how it configures the
// runtime (RuntimeParams), whether the front end's fallback model backs it, and at which
// redundancies it applies. A configuration is a policy at one redundancy N/K (and, for the
// policies with a short deadline T, one T).
#pragma once

#include "frontend_options.hpp"
#include "models.hpp"

#include <nercc/params.hpp>
#include <nercc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

/// What a policy's configure() may depend on: K and N of the redundancy, and the sweep's knobs.
struct PolicyContext {
  nercc::Index k = 0;     ///< queries per group of the coded and replicated policies
  nercc::Index n = 0;     ///< workers: the same for every policy at this redundancy
  double deadline_ms = 0; ///< the long deadline (policies without a grace rule)
  double grace_ms = 0;    ///< the short deadline T (policies with uses_grace)
  double spread = 0;      ///< companion spread of the systematic layouts
  double lambda_dec = 0;
  double gate = 0;        ///< reliability below which the gated policies use the fallback
};

struct Policy {
  const char* name;        ///< --policies key and file-name part
  const char* label;       ///< table label (T is appended for uses_grace policies)
  bool needs_redundancy;   ///< applies only at N > K (coded: nothing to tolerate at N = K)
  bool uses_grace;         ///< one configuration per --grace-ms value
  bool fallback;           ///< the front end's fallback model answers what the runtime cannot
  void (*configure)(nercc::runtime::RuntimeParams&, const PolicyContext&);
};

namespace policy_detail {
namespace rt = nercc::runtime;
inline rt::Duration ms(double v) {
  return std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double, std::milli>(v));
}
// Per-request serving as deployed: every query leaves with its own worker's answer (early
// release), so an uncoded or replicated query never waits for the rest of its group.
inline void uncoded(rt::RuntimeParams& p, const PolicyContext& c, double deadline_ms) {
  p.scheme = nercc::SchemeKind::uncoded;
  p.code.num_queries = c.n;
  p.code.num_workers = c.n;
  p.early_release = true;
  p.deadline = ms(deadline_ms);
}
// Hedged requests as deployed against tails: each query on its own worker (K = 8 of the N), a
// backup copy to one of the other N - K workers (spares) once a call is slower than the p90 of
// recent calls (10 ms until 50 calls were seen), the first answer wins and the other copy is
// cancelled. The budget lets backups be at most (N - K) / K of the calls (capped at 1), the
// extra load the coded policies' N - K workers carry. At N = K there is no spare: a backup goes
// to a worker of the same group that has answered, at most 10% of the calls.
inline void hedged(rt::RuntimeParams& p, const PolicyContext& c) {
  p.scheme = nercc::SchemeKind::uncoded;
  p.code.num_queries = c.k;
  p.code.num_workers = c.k;
  p.early_release = true;
  p.deadline = ms(c.deadline_ms);
  rt::HedgeParams& h = p.hedge;
  h.percentile = 90;
  h.min_samples = 50;
  h.delay = ms(10);
  if (c.n > c.k) {
    h.target = rt::HedgeTarget::spare;
    h.spare_workers = c.n - c.k;
    h.budget_fraction = std::min(1.0, double(c.n - c.k) / double(c.k));
  } else {
    h.target = rt::HedgeTarget::answered;
    h.budget_fraction = 0.1;
  }
}
// Today's layout: default (Chebyshev) points, decided at the quorum N - S with S = ceil((N - K) / 2)
// (as today's demo, S = 4 at N - K = 8): S = N - K would decode every group from K answers only.
inline void default_layout(rt::RuntimeParams& p, const PolicyContext& c, nercc::SchemeKind kind) {
  p.scheme = kind;
  p.code.num_queries = c.k;
  p.code.num_workers = c.n;
  p.code.lambda_dec = kind == nercc::SchemeKind::spline ? c.lambda_dec : 0.0;
  p.stragglers = (c.n - c.k + 1) / 2;
  p.deadline = ms(c.deadline_ms);
}
// Systematic layout (nercc::systematic_params: worker k at query point k, companions clustered
// next to the query points, lambda_enc = 0), early release and the grace rule: exact answers leave at once, the rest are
// decided at T (or when every call resolved) from every answer that came.
inline void systematic_grace(rt::RuntimeParams& p, const PolicyContext& c, nercc::SchemeKind kind) {
  p.scheme = kind;
  p.code = nercc::systematic_params(c.k, c.n, c.spread);
  p.code.lambda_dec = kind == nercc::SchemeKind::spline ? c.lambda_dec : 0.0;
  p.stragglers = 0;
  p.early_release = true;
  p.deadline = ms(c.grace_ms);
}
// The same, and an estimate whose reliability score (DecodeResult::reliability) is below the
// gate goes to the fallback model too: estimates with no answered companion rarely agree with
// the model, and the score sends them there.
inline void systematic_gated(rt::RuntimeParams& p, const PolicyContext& c, nercc::SchemeKind kind) {
  systematic_grace(p, c, kind);
  p.fallback_below_reliability = c.gate;
}
}  // namespace policy_detail

/// Every policy, in table order.
inline const std::vector<Policy>& all_policies() {
  using nercc::SchemeKind;
  namespace d = policy_detail;
  static const std::vector<Policy> table = {
      {"uncoded", "uncoded", false, false, false,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::uncoded(p, c, c.deadline_ms); }},
      {"uncoded_fallback", "uncoded + deadline + fallback", false, true, true,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::uncoded(p, c, c.grace_ms); }},
      {"hedged", "hedged requests (p90)", false, false, false,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::hedged(p, c); }},
      {"replication", "replication", true, false, false,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) {
         // Worker n computes query n mod K: N = rK gives r replicas each; otherwise the first
         // N mod K queries have one more replica than the rest.
         p.scheme = SchemeKind::replication;
         p.code.num_queries = c.k;
         p.code.num_workers = c.n;
         p.early_release = true;
         p.deadline = d::ms(c.deadline_ms);
       }},
      {"nercc", "NeRCC", true, false, false,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::default_layout(p, c, SchemeKind::spline); }},
      {"berrut", "Berrut", true, false, false,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::default_layout(p, c, SchemeKind::berrut); }},
      {"nercc_sys", "NeRCC sys + grace + fallback", true, true, true,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::systematic_grace(p, c, SchemeKind::spline); }},
      {"berrut_sys", "Berrut sys + grace + fallback", true, true, true,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::systematic_grace(p, c, SchemeKind::berrut); }},
      {"nercc_sys_gated", "NeRCC sys + grace + gated fallback", true, true, true,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::systematic_gated(p, c, SchemeKind::spline); }},
      {"berrut_sys_gated", "Berrut sys + grace + gated fallback", true, true, true,
       [](nercc::runtime::RuntimeParams& p, const PolicyContext& c) { d::systematic_gated(p, c, SchemeKind::berrut); }},
  };
  return table;
}

inline const Policy& find_policy(const std::string& name) {
  for (const auto& p : all_policies())
    if (name == p.name) return p;
  std::string known;
  for (const auto& p : all_policies()) known += std::string(known.empty() ? "" : ", ") + p.name;
  throw std::invalid_argument("--policies: unknown policy \"" + name + "\" (known: " + known + ")");
}

/// One row of the sweep: a policy at one redundancy (and one T), with its runtime parameters.
struct Configuration {
  const Policy* policy = nullptr;
  double ratio = 1;
  double deadline_ms = 0;  ///< the deadline it runs with (T for uses_grace policies)
  nercc::runtime::RuntimeParams params;

  /// Workers the transport serves: the code's N and the hedge's spares.
  nercc::Index workers() const {
    return params.code.num_workers + (params.hedge.target == nercc::runtime::HedgeTarget::spare ? params.hedge.spare_workers : 0);
  }

  std::string label() const {
    if (!policy->uses_grace) return policy->label;
    char t[32];
    std::snprintf(t, sizeof t, " (T=%g ms)", deadline_ms);
    return policy->label + std::string(t);
  }
  /// File-name-safe key, e.g. "r1.25_nercc_sys_T8".
  std::string key() const {
    char buf[96];
    if (policy->uses_grace) std::snprintf(buf, sizeof buf, "r%g_%s_T%g", ratio, policy->name, deadline_ms);
    else std::snprintf(buf, sizeof buf, "r%g_%s", ratio, policy->name);
    return buf;
  }
};

/// Every configuration of the sweep, by redundancy, then policy (table order), then T.
inline std::vector<Configuration> configurations(const FrontendArgs& a) {
  std::vector<const Policy*> chosen;
  if (a.policies.empty())
    for (const auto& p : all_policies()) chosen.push_back(&p);
  else
    for (const auto& name : a.policies) chosen.push_back(&find_policy(name));
  std::vector<Configuration> out;
  for (double ratio : a.ratios) {
    PolicyContext c;
    c.k = a.coded_queries;
    c.n = a.workers_at(ratio);
    c.deadline_ms = a.deadline_ms;
    c.spread = a.spread;
    c.lambda_dec = a.lambda_dec;
    c.gate = a.fallback_reliability;
    for (const Policy* p : chosen) {
      if (p->needs_redundancy && c.n <= c.k) continue;
      const std::vector<double> deadlines = p->uses_grace ? a.grace_ms : std::vector<double>{a.deadline_ms};
      for (double t : deadlines) {
        Configuration cfg;
        cfg.policy = p;
        cfg.ratio = ratio;
        cfg.deadline_ms = t;
        c.grace_ms = t;
        auto& r = cfg.params;
        r.input_dim = nercc_examples::Classifier::input_dim;
        r.output_dim = nercc_examples::Classifier::num_classes;
        r.group_timeout = policy_detail::ms(a.group_timeout_ms);
        r.admission_capacity = std::size_t(std::min<std::int64_t>(a.queries, 1 << 16));
        p->configure(r, c);
        r.validate();
        if (cfg.workers() != c.n)
          throw std::logic_error(std::string("policy ") + p->name + " uses " + std::to_string(cfg.workers()) +
                                 " workers, not the redundancy's " + std::to_string(c.n));
        out.push_back(std::move(cfg));
      }
    }
  }
  if (out.empty()) throw std::invalid_argument("--policies and --ratios leave no configuration to run");
  return out;
}

}  // namespace nercc_cluster
