// simulate(): a discrete-event simulation of a plan, to check plan()'s analytic latency. Poisson
// arrivals fill batches of b K queries; a closed batch is encoded, waits for the first free of
// the plan's worker sets (first come, first served), which runs it for latency(b) times the
// completion time of N sampled slowdowns (k-th fastest, or every query covered); then decode.
// With early release a query leaves at its own worker's answer when that comes first; a query
// a deadline leaves unanswered fails, or is answered by the fallback model; a hedged plan gives
// a query without an answer at its hedge delay a backup call; with num_adversaries = E a
// replicated query is answered at the (2E + 1)-th answer of its copies. Unlike plan(),
// queueing for a worker set is included.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/planner.hpp>
#include <nercc/robust/adversary_budget.hpp>
#include <nercc/plan/straggler.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

struct SimulateParams {
  Index batches = 20000;   ///< batches simulated (b K queries each)
  Index warmup = 200;      ///< first batches left out of the statistics
  std::uint64_t seed = 1;
};

/// Query latency quantiles (seconds) and the simulated worker-set utilisation.
struct SimulationResult {
  double p50 = 0.0, p_slo = 0.0, p99 = 0.0;  ///< failed queries count as +infinity
  double mean = 0.0;                         ///< of the queries that did not fail
  double failed = 0.0;                       ///< fraction of queries failed (deadline plans)
  double fallback = 0.0;                     ///< fraction answered by the fallback (deadline plans)
  double mean_queue_wait = 0.0;  ///< per batch, for a free worker set
  double utilisation = 0.0;
  Index queries = 0;             ///< queries in the statistics
};

namespace detail {

/// One batch in slowdown units: returns the time its worker set is held (the decision: the
/// quorum-th fastest of N sampled workers; a scheme that is not is_regression, `covers` =
/// worker_queries() not empty: the time every query has one answer; a deadline `cut` > 0: that
/// capped at the cut), and sets release[q] to the time query q of each block leaves: the
/// decision, or with early release its own worker's answer if earlier (replicas; worker q of a
/// systematic layout); +infinity when it has no answer at the decision (fewer than K answers by
/// the deadline, or none of its replicas). A `hedge` delay > 0 (covering schemes) gives a query
/// still without an answer then a backup call with its own slowdown.
template <class URBG>
double sample_batch(const Plan& p, const std::vector<Index>& covers, const StragglerModel& model, URBG& g,
                    std::vector<double>& x, std::vector<double>& scratch, std::vector<double>& release,
                    double cut = 0.0, double hedge = 0.0) {
  const Index n = p.num_workers, k = p.num_queries;
  const double inf = std::numeric_limits<double>::infinity();
  x.resize(std::size_t(n));
  for (double& t : x) t = model.sample(g);
  release.assign(std::size_t(k), inf);  // own answers first
  if (!covers.empty() && p.num_adversaries > 0) {
    // A majority vote: query q is answered at the (2E + 1)-th answer of its copies.
    const std::size_t votes = std::size_t(robust::copies_to_outvote(p.num_adversaries));
    for (Index q = 0; q < k; ++q) {
      scratch.clear();
      for (std::size_t w = 0; w < covers.size(); ++w)
        if (covers[w] == q) scratch.push_back(x[w]);
      if (scratch.size() < votes) continue;
      std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(votes - 1), scratch.end());
      release[std::size_t(q)] = scratch[votes - 1];
    }
  } else if (!covers.empty()) {
    for (std::size_t w = 0; w < covers.size(); ++w) release[std::size_t(covers[w])] = std::min(release[std::size_t(covers[w])], x[w]);
    if (hedge > 0.0)
      for (double& t : release)
        if (t > hedge) t = std::min(t, hedge + model.sample(g));
  } else if (p.early_release) {
    for (Index q = 0; q < k; ++q) release[std::size_t(q)] = x[std::size_t(q)];
  }
  scratch = x;
  double decision;
  bool decodable = true;
  if (!covers.empty()) {
    decision = *std::max_element(release.begin(), release.end());
    if (cut > 0.0) decision = std::min(decision, cut);
  } else if (cut > 0.0) {
    std::nth_element(scratch.begin(), scratch.begin() + (k - 1), scratch.end());
    decodable = scratch[std::size_t(k - 1)] <= cut;
    decision = std::min(cut, *std::max_element(x.begin(), x.end()));
  } else {
    std::nth_element(scratch.begin(), scratch.begin() + (p.quorum - 1), scratch.end());
    decision = scratch[std::size_t(p.quorum - 1)];
  }
  for (double& t : release) {
    const bool answered = covers.empty() ? decodable || t <= decision : t <= decision;
    if (!answered) t = inf;
    else if (!(p.early_release && t <= decision)) t = decision;
  }
  return decision;
}

/// The profiled median latency of batch size b.
inline double batch_latency(const PlanRequest& r, Index b) {
  for (const BatchLatency& bl : r.profile)
    if (bl.batch_size == b) return bl.median;
  throw invalid_argument(nercc::detail::message("batch_size (", b, ") is not in the request's profile"));
}

}  // namespace detail

/// Simulates `p` under `request` (arrival rate, profile, codec costs, SLO quantile) and the
/// straggler model. Deterministic for a seed; pure. Throws nercc::invalid_argument for a plan
/// whose batch size is not profiled or bad params.
inline SimulationResult simulate(const Plan& p, const PlanRequest& request, const StragglerModel& model,
                                 const SimulateParams& params = {}) {
  request.validate();
  if (params.batches <= params.warmup || params.warmup < 0)
    throw invalid_argument(nercc::detail::message("batches (", params.batches, ") must exceed warmup (", params.warmup,
                                                  ") >= 0"));
  if (p.worker_sets < 1) throw invalid_argument("plan.worker_sets must be >= 1");
  const double scale = detail::batch_latency(request, p.batch_size);
  const Index n = p.batch_size * p.num_queries;
  const double enc = request.encode.seconds(p.num_queries, p.num_workers, p.batch_size);
  const double dec = request.decode_seconds(p.scheme, p.num_queries, p.num_workers, p.batch_size);
  std::mt19937_64 g(params.seed);
  std::exponential_distribution<double> gap(request.arrival_rate);
  std::priority_queue<double, std::vector<double>, std::greater<double>> free_at;
  for (Index s = 0; s < p.worker_sets; ++s) free_at.push(0.0);
  const std::vector<Index> covers = detail::worker_queries(p.scheme, p.num_queries, p.num_workers);
  std::vector<double> latencies, x, scratch, release, arrivals(static_cast<std::size_t>(n));
  latencies.reserve(std::size_t((params.batches - params.warmup) * n));
  const double fallback_seconds = p.fallback ? request.fallback.seconds : 0.0;
  double now = 0.0, busy = 0.0, wait = 0.0, start_time = 0.0;
  Index by_fallback = 0;
  for (Index batch = 0; batch < params.batches; ++batch) {
    for (double& a : arrivals) a = now += gap(g);
    const double ready = now + enc;
    const double start = std::max(ready, free_at.top());
    free_at.pop();
    const double service =
        scale * detail::sample_batch(p, covers, model, g, x, scratch, release, p.deadline / scale, p.hedge_delay / scale);
    free_at.push(start + service);
    if (batch == params.warmup) start_time = arrivals.front();
    if (batch < params.warmup) continue;
    busy += service;
    wait += start - ready;
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
      const double t = release[i % std::size_t(p.num_queries)];  // blocks of K share the workers
      if (std::isfinite(t)) latencies.push_back(start + scale * t + dec - arrivals[i]);
      else if (p.fallback) latencies.push_back(start + service + fallback_seconds + dec - arrivals[i]), ++by_fallback;
      else latencies.push_back(std::numeric_limits<double>::infinity());
    }
  }
  SimulationResult r;
  std::sort(latencies.begin(), latencies.end());
  r.queries = Index(latencies.size());
  r.p50 = detail::order_quantile(latencies, 0.5);
  r.p99 = detail::order_quantile(latencies, 0.99);
  r.p_slo = detail::order_quantile(latencies, request.slo_quantile);
  Index finite = 0;
  for (double l : latencies)
    if (std::isfinite(l)) r.mean += l, ++finite;
  r.mean /= double(std::max<Index>(finite, 1));
  r.failed = 1.0 - double(finite) / double(latencies.size());
  r.fallback = double(by_fallback) / double(latencies.size());
  const double counted = double(params.batches - params.warmup);
  r.mean_queue_wait = wait / counted;
  r.utilisation = busy / (double(p.worker_sets) * std::max(now - start_time, 1e-300));
  return r;
}

}  // namespace plan
NERCC_NAMESPACE_END
