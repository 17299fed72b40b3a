// plan(): the cheapest coded serving configuration that meets a latency SLO and an accuracy
// floor, by an exhaustive search over schemes, (K, N), worker batch sizes and quorums.
//
// The latency model of one query (background section 6). Queries arrive as a Poisson process of
// rate lambda; batch-aware dispatch collects n = b K queries (b groups of K) and sends them to
// one worker set of N workers, each running one batch of b coded queries. A query's latency is
//   W + encode + Y + decode,
// W the wait for the rest of its batch to arrive (a query at uniform position in the batch waits
// for Gamma(m, lambda) with m uniform on {0..n-1}), Y = latency(b) * X_rule, latency(b) the
// profiled latency of batch size b and X_rule the completion time of the rule in units of it:
// the k-th order statistic of N i.i.d. slowdowns X (coded schemes, quorum k), or the time every
// query has one answer (replication: prod_q (1 - (1 - F)^{r_q}); uncoded: F^K). Worker sets are
// busy for Y per batch (outstanding calls are cancelled at the decision), and enough sets are run
// to keep their utilisation lambda / n * E[Y] / sets <= max_utilisation; queueing for a set is
// not in the latency (simulate() measures it). Workers that serve overlapping calls without
// slowing them (PlanRequest::concurrent_workers) need one set at any rate.
//
// Release policies (PlanGrid::early_release). With group release every query of a group
// completes at the group's decision. With early release a query completes at the first answer
// of a worker that computed it exactly (a replica, its uncoded worker, worker k of a systematic
// layout), or at the decision when none came first: its latency is min(X_own, X_rule), whose
// law is 1 - (1 - F_own)(1 - P(rule decided | own missing)). Accuracy is unchanged by early
// release under a quorum (the decided answered set is the same), and under a deadline exact
// answers also rescue queries of groups with fewer than K answers. Deadline plans answer failed
// queries with the request's fallback model when it has one (PlanRequest::fallback): at the
// deadline plus the fallback's time, counted with the fallback's RelAcc.
//
// Hedged requests (PlanGrid::hedge_levels; replication and uncoded, the quorum rule): a query
// still without an answer at the hedge delay d = Q(level) (in slowdown units) gets one backup
// call on a worker of its set that already answered (runtime HedgeTarget::answered: no extra
// workers), so its first answer comes at min(X_replicas, d + X'), X' an independent slowdown.
// The model assumes such a worker is free (the set runs N calls, and by d most answered) and
// that the hedge budget never refuses a backup (to_runtime_params sets it to every call).
//
// Wrong answers (PlanRequest::num_adversaries = E > 0). A configuration is kept only when it
// can outvote E wrong answers as robust::workers_for_adversaries counts them: spline and Berrut
// decide at a quorum of at least K + 2E answers (S = N - quorum stragglers on top), and their
// accuracy is the table's at quorum - E answers (the decode after the E wrong ones are dropped);
// replication needs 2E + 1 copies of every query and decides a query at its (2E + 1)-th answer
// (a majority of its copies agrees whichever E are wrong); uncoded cannot. Only quorum rules
// with group release are enumerated (an early exact answer or a deadline's partial set could be
// the wrong one), and the coded decode costs PlanRequest::robust_decode times the plain one.
//
// Quality. accuracy_floor bounds RelAcc (argmax agreement: classifiers); max_mse bounds the
// mean squared error per output element against the served model's outputs (regression
// workloads; calibrate() with TuneParams::metric = TuneMetric::mse measures it). A plan's MSE is
// over its answered queries: decoded ones at the table's MSE, exact ones at 0, the fallback's at
// FallbackModel::mse.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/accuracy.hpp>
#include <nercc/plan/profile.hpp>
#include <nercc/plan/straggler.hpp>
#include <nercc/robust/adversary_budget.hpp>
#include <nercc/schemes.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// Front-end time to encode or decode one batch: fixed + per_element * K * N * b seconds.
struct CodecCost {
  double fixed_seconds = 0.0;
  double per_element_seconds = 0.0;
  double seconds(Index k, Index n, Index b) const { return fixed_seconds + per_element_seconds * double(k * n * b); }
};

/// The configurations plan() enumerates.
struct PlanGrid {
  std::vector<SchemeKind> schemes{std::begin(all_schemes), std::end(all_schemes)};
  std::vector<Index> num_queries = {1, 2, 4, 6, 8, 12, 16};  ///< K values
  double max_redundancy = 3.0;       ///< N <= floor(max_redundancy K)
  Index max_workers_per_set = 48;    ///< N <= this
  std::vector<Index> batch_sizes;    ///< worker batch sizes b; empty: every profiled size
  /// Decision rules of the coded schemes. quorums: decode at the k-th answer, every k in [K, N].
  /// deadline_levels: decode at a deadline with the answers that arrived (or at all N), the
  /// deadline being latency(b) times the slowdown quantile at each level (snapped up to plan()'s
  /// probability grid); fewer than K answers by then fail the group's queries.
  bool quorums = true;
  std::vector<double> deadline_levels = {0.5, 0.7, 0.8, 0.9, 0.97, 0.99, 0.999};
  /// Also enumerate every rule with early release where a worker computes a query exactly:
  /// replication, uncoded, and coded entries measured in a systematic layout (worker_spread > 0,
  /// and lambda_enc = 0 for the spline). See the file comment.
  bool early_release = true;
  /// Hedged variants of replication and uncoded: one per level in (0, 1), the backup sent at
  /// that quantile of a call's latency (see the file comment). Empty: no hedging.
  std::vector<double> hedge_levels = {0.9, 0.95, 0.99};
};

/// A cheap model at the front end that answers the queries a deadline plan leaves unanswered.
/// It is present when either of its quality figures is known.
struct FallbackModel {
  /// Its RelAcc against the served model (argmax agreement); NaN: unknown.
  double rel_acc = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;  ///< its latency per query, added to the deadline
  /// Its MSE per output element against the served model; NaN: unknown (a plan that uses it
  /// then fails a finite PlanRequest::max_mse).
  double mse = std::numeric_limits<double>::quiet_NaN();
  bool enabled() const { return !std::isnan(rel_acc) || !std::isnan(mse); }
};

/// The robust decode's time (num_adversaries > 0) as a multiple of the plain decode's, per
/// coded scheme. Defaults: BM_RobustDecode, E = 1 at (N, K) = (27, 12), d = 784 (about 7x the
/// spline decode, 5x Berrut's, of a never-seen answered set). Replication's vote compares
/// copies: its decode cost is unchanged.
struct RobustDecodeCost {
  double spline_factor = 7.0;
  double berrut_factor = 5.0;
  double factor(SchemeKind s) const {
    return s == SchemeKind::spline ? spline_factor : s == SchemeKind::berrut ? berrut_factor : 1.0;
  }
};

/// What plan() must satisfy, and the measurements it plans from.
struct PlanRequest {
  double arrival_rate = 100.0;   ///< queries per second
  double slo_quantile = 0.99;    ///< q of the SLO "q-quantile of query latency <= slo_seconds"
  double slo_seconds = 0.1;
  double accuracy_floor = 0.0;   ///< RelAcc floor; <= 0: accuracy is not constrained
  /// MSE ceiling per output element against the served model (regression workloads, where
  /// argmax agreement means nothing); +infinity: not constrained. See the file comment.
  double max_mse = std::numeric_limits<double>::infinity();
  /// E: wrong answers every group must outvote; 0 plans as if every answer were right.
  Index num_adversaries = 0;
  RobustDecodeCost robust_decode;  ///< used when num_adversaries > 0
  double worker_price = 1.0;     ///< per provisioned worker (per worker-second gives cost per second)
  Index pool_size = 256;         ///< most workers that may be provisioned
  /// Profiled latency per worker batch size (profile()); the median is used.
  std::vector<BatchLatency> profile;
  CodecCost encode, decode;
  double max_utilisation = 0.5;  ///< of each worker set; keeps queueing light
  /// Workers serve overlapping calls, each as fast as alone (their latency is waiting, not
  /// computing: a remote service, an injected delay, spare cores): one worker set carries any
  /// rate and max_utilisation does not apply (Plan::utilisation is then the mean number of
  /// groups in flight). simulate() models serial sets and does not apply to such plans.
  bool concurrent_workers = false;
  Index runners_up = 4;          ///< plans returned after the best
  PlanGrid grid;
  FallbackModel fallback;        ///< answers the failed queries of deadline plans; none by default

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using nercc::detail::message;
    if (!(arrival_rate > 0.0 && std::isfinite(arrival_rate)))
      throw invalid_argument(message("arrival_rate (", arrival_rate, ") must be finite and > 0"));
    if (!(slo_quantile > 0.0 && slo_quantile < 1.0))
      throw invalid_argument(message("slo_quantile (", slo_quantile, ") must lie in (0, 1)"));
    if (!(slo_seconds > 0.0)) throw invalid_argument(message("slo_seconds (", slo_seconds, ") must be > 0"));
    if (!(worker_price >= 0.0)) throw invalid_argument(message("worker_price (", worker_price, ") must be >= 0"));
    if (pool_size < 1) throw invalid_argument(message("pool_size (", pool_size, ") must be >= 1"));
    if (profile.empty()) throw invalid_argument("profile is empty: give the latency of at least one batch size");
    for (std::size_t i = 0; i < profile.size(); ++i)
      if (profile[i].batch_size < 1 || !(profile[i].median > 0.0))
        throw invalid_argument(message("profile[", i, "] needs batch_size >= 1 and median > 0"));
    if (!(max_utilisation > 0.0 && max_utilisation < 1.0))
      throw invalid_argument(message("max_utilisation (", max_utilisation, ") must lie in (0, 1)"));
    if (runners_up < 0) throw invalid_argument(message("runners_up (", runners_up, ") must be >= 0"));
    for (Index k : grid.num_queries)
      if (k < 1) throw invalid_argument(message("grid.num_queries has ", k, ": values must be >= 1"));
    if (!(grid.max_redundancy >= 1.0))
      throw invalid_argument(message("grid.max_redundancy (", grid.max_redundancy, ") must be >= 1"));
    for (std::size_t i = 0; i < grid.hedge_levels.size(); ++i)
      if (!(grid.hedge_levels[i] > 0.0 && grid.hedge_levels[i] < 1.0))
        throw invalid_argument(message("grid.hedge_levels[", i, "] (", grid.hedge_levels[i], ") must lie in (0, 1)"));
    for (std::size_t i = 0; i < grid.deadline_levels.size(); ++i)
      if (!(grid.deadline_levels[i] > 0.0 && grid.deadline_levels[i] < 1.0))
        throw invalid_argument(message("grid.deadline_levels[", i, "] (", grid.deadline_levels[i], ") must lie in (0, 1)"));
    if (!std::isnan(fallback.rel_acc) && !(fallback.rel_acc >= 0.0 && fallback.rel_acc <= 1.0))
      throw invalid_argument(message("fallback.rel_acc (", fallback.rel_acc, ") must lie in [0, 1] (NaN: unknown)"));
    if (!std::isnan(fallback.mse) && !(fallback.mse >= 0.0 && std::isfinite(fallback.mse)))
      throw invalid_argument(message("fallback.mse (", fallback.mse, ") must be finite and >= 0 (NaN: unknown)"));
    if (!(max_mse > 0.0))
      throw invalid_argument(message("max_mse (", max_mse, ") must be > 0 (+infinity: not constrained)"));
    if (!(robust_decode.spline_factor > 0.0 && std::isfinite(robust_decode.spline_factor)))
      throw invalid_argument(message("robust_decode.spline_factor (", robust_decode.spline_factor, ") must be finite and > 0"));
    if (!(robust_decode.berrut_factor > 0.0 && std::isfinite(robust_decode.berrut_factor)))
      throw invalid_argument(message("robust_decode.berrut_factor (", robust_decode.berrut_factor, ") must be finite and > 0"));
    if (!(fallback.seconds >= 0.0 && std::isfinite(fallback.seconds)))
      throw invalid_argument(message("fallback.seconds (", fallback.seconds, ") must be finite and >= 0"));
    if (grid.max_workers_per_set < 1)
      throw invalid_argument(message("grid.max_workers_per_set (", grid.max_workers_per_set, ") must be >= 1"));
    if (num_adversaries < 0) throw invalid_argument(message("num_adversaries (", num_adversaries, ") must be >= 0"));
    if (num_adversaries > 0) {
      Index fewest = std::numeric_limits<Index>::max();
      for (SchemeKind s : grid.schemes)
        for (Index k : grid.num_queries) {
          const Index needed = robust::workers_for_adversaries(s, k, num_adversaries, 0);
          const Index most = std::min(grid.max_workers_per_set, Index(std::floor(grid.max_redundancy * double(k))));
          if (needed > 0 && needed <= most) return;
          if (needed > 0) fewest = std::min(fewest, needed);
        }
      throw invalid_argument(message(
          "num_adversaries (", num_adversaries, ") is too large for the grid: no scheme of grid.schemes and K of ",
          "grid.num_queries fits within grid.max_redundancy (", grid.max_redundancy, ") x K and grid.max_workers_per_set (",
          grid.max_workers_per_set, ") workers",
          fewest == std::numeric_limits<Index>::max() ? std::string() : message(" (the fewest it needs: ", fewest, ")")));
    }
  }

  /// Front-end seconds to decode one batch of `scheme` (the robust decode's when num_adversaries > 0).
  double decode_seconds(SchemeKind scheme, Index k, Index n, Index b) const {
    const double plain = decode.seconds(k, n, b);
    return num_adversaries > 0 ? plain * robust_decode.factor(scheme) : plain;
  }
};

/// One configuration with its predictions.
struct Plan {
  SchemeKind scheme = SchemeKind::spline;
  Index num_queries = 0;   ///< K
  Index num_workers = 0;   ///< N per set
  Index batch_size = 1;    ///< b: groups per worker batch
  Index quorum = 0;        ///< answers waited for (replication/uncoded and deadline plans: N; replication/uncoded decide once every query is covered)
  /// > 0: the deadline rule, seconds from dispatch: decode with the answers that arrived by
  /// then (or at all N); 0: the quorum rule.
  double deadline = 0.0;
  /// Deadline plans: the probability that a query has no answer at the deadline (group release:
  /// its group has fewer than K answers; early release: nor did its own worker answer). Such
  /// queries fail, or go to the fallback when `fallback` is set.
  double failure = 0.0;
  bool early_release = false;  ///< queries leave at their exact answer (RuntimeParams::early_release)
  bool fallback = false;       ///< failed queries are answered by the request's fallback model
  /// > 0: hedged requests, a backup call for a query without an answer this many seconds after
  /// dispatch (on a worker of the set that answered); 0: none.
  double hedge_delay = 0.0;
  Index worker_sets = 0;
  Index total_workers = 0; ///< worker_sets * N
  double cost = 0.0;       ///< total_workers * worker_price
  double p50 = 0.0, p_slo = 0.0, p99 = 0.0;  ///< predicted query latency quantiles (seconds)
  double mean_service = 0.0;                 ///< E[Y], seconds a set is busy per batch
  double utilisation = 0.0;
  /// Expected RelAcc (deadline plans: over the answers by the deadline, failed queries counting
  /// as wrong) and MSE (of the decoded queries).
  double rel_acc = std::numeric_limits<double>::quiet_NaN();
  double mse = std::numeric_limits<double>::quiet_NaN();
  double lambda_enc = 0.0, lambda_dec = 0.0;
  OrderingMethod ordering = OrderingMethod::as_given;  ///< from the accuracy entry
  double worker_spread = 0.0;  ///< clustered worker points' spread from the accuracy entry; 0: default points
  Index num_adversaries = 0;   ///< wrong answers it outvotes (the request's; CodeParams::num_adversaries)
  std::string explanation;
};

/// The constraint that leaves nothing feasible.
enum class Binding { none, accuracy, pool_size, latency };

inline const char* to_string(Binding b) {
  switch (b) {
    case Binding::none: return "none";
    case Binding::accuracy: return "accuracy";
    case Binding::pool_size: return "pool_size";
    case Binding::latency: return "latency";
  }
  return "unknown";
}

/// plan()'s answer: the cheapest feasible plan first, then the runners-up (by cost, then
/// RelAcc, then p_slo). Empty plans: `binding` names the constraint and `message` says by how much.
struct PlanResult {
  std::vector<Plan> plans;
  Binding binding = Binding::none;
  std::string message;
  Index candidates = 0;          ///< configurations enumerated
  Index latency_evaluations = 0; ///< of which the latency distribution was computed
};

namespace detail {

/// P(W <= w) for the collection wait of a query at a uniform position of a batch of n under
/// Poisson arrivals of rate lambda: E[min(P, n - 1) + 1] / n with P ~ Poisson(lambda w).
inline double collection_cdf(double w, Index n, double lambda) {
  if (w < 0.0) return 0.0;
  if (n <= 1) return 1.0;
  const double x = lambda * w;
  // The pmf by p_{j+1} = p_j x / (j + 1); in log space only where exp(-x) underflows.
  const bool logs = x > 700.0;
  double p = logs ? 0.0 : std::exp(-x), log_p = -x, below = 0.0, mean_below = 0.0;  // sums over j <= n - 2
  for (Index j = 0; j <= n - 2; ++j) {
    if (logs) p = std::exp(log_p), log_p += std::log(x / double(j + 1));
    below += p;
    mean_below += double(j + 1) * p;
    if (!logs) p *= x / double(j + 1);
  }
  return std::min(1.0, (mean_below + double(n) * std::max(0.0, 1.0 - below)) / double(n));
}

/// The slowdown X on a probability grid: boundaries v in steps of 0.01 to 0.9, then 32 per
/// decade of 1 - v down to 1e-9, then 1. Within a cell (v[i], v[i + 1]] X is taken as uniform
/// between the knots y[i] = Q(v[i]) and y[i + 1] (the quantile interpolated linearly); the last
/// cell, whose upper knot is infinite, is an atom at the quantile of its middle. A completion
/// rule with cdf H(F) puts mass H(v[i + 1]) - H(v[i]) on cell i.
struct SlowdownGrid {
  std::vector<double> v;  ///< boundaries, v.front() = 0, v.back() = 1
  std::vector<double> y;  ///< knots Q(v[i]) for every boundary but the last
  double tail = 0.0;      ///< the last cell's atom

  explicit SlowdownGrid(const StragglerModel& model) {
    for (int i = 0; i <= 90; ++i) v.push_back(0.01 * i);
    for (int j = 1; j <= 256; ++j) v.push_back(1.0 - 0.1 * std::pow(10.0, -double(j) / 32.0));
    v.push_back(1.0);
    for (std::size_t i = 0; i + 1 < v.size(); ++i) y.push_back(model.quantile(v[i]));
    tail = model.quantile(0.5 * (v[v.size() - 2] + 1.0));
  }
};

/// x^e for an integer e >= 0, by squaring.
inline double int_pow(double x, Index e) {
  double r = 1.0;
  for (; e > 0; e >>= 1, x *= x)
    if (e & 1) r *= x;
  return r;
}

/// Binomial upper tails P(Bin(n, v) >= k) at every grid boundary v for n = 1..max_n, from the
/// pmf of n + 1 built from that of n (Pascal's rule, a convex combination: stable, no pow).
struct BinomialTails {
  std::vector<std::vector<double>> by_n;  ///< by_n[n][i * (n + 2) + k]

  BinomialTails(const std::vector<double>& v, Index max_n) : by_n(std::size_t(max_n + 1)) {
    const std::size_t g = v.size();
    for (Index n = 1; n <= max_n; ++n) by_n[std::size_t(n)].resize(g * std::size_t(n + 2));
    std::vector<double> pmf(std::size_t(max_n + 1));
    for (std::size_t i = 0; i < g; ++i) {
      std::fill(pmf.begin(), pmf.end(), 0.0);
      pmf[0] = 1.0;
      for (Index n = 1; n <= max_n; ++n) {
        for (Index j = n; j >= 1; --j) pmf[std::size_t(j)] = pmf[std::size_t(j)] * (1.0 - v[i]) + pmf[std::size_t(j - 1)] * v[i];
        pmf[0] *= 1.0 - v[i];
        double* tail = &by_n[std::size_t(n)][i * std::size_t(n + 2)];
        tail[n + 1] = 0.0;
        for (Index k = n; k >= 0; --k) tail[k] = std::min(1.0, tail[k + 1] + pmf[std::size_t(k)]);
      }
    }
  }
  /// P(Bin(n, v[i]) >= k).
  double operator()(Index n, std::size_t i, Index k) const { return by_n[std::size_t(n)][i * std::size_t(n + 2) + std::size_t(k)]; }
};

/// The law of X_rule in slowdown units: cells [lo, hi] with uniform mass, and the same law as
/// knot weights for the trapezoid rule (each cell's mass split between its two knots). Y =
/// latency(b) * X_rule scales it. A fallback atom holds the queries answered by the fallback
/// model: at `fallback_at` (slowdown units) plus the fallback's seconds, which do not scale.
struct ServiceLaw {
  std::vector<double> lo, hi, mass;   ///< cells with mass > 1e-14, ascending
  std::vector<double> knot, weight;   ///< ascending knots with weight > 0
  double mean = 0.0;                  ///< E[X_rule; answered by a worker]
  double total = 1.0;                 ///< P(answered): below 1 only for a deadline rule without fallback
  double fallback_mass = 0.0, fallback_at = 0.0;
};

/// The law of a completion rule with cdf H(F), given at each grid boundary. With a cut (a
/// deadline at boundary `cut`), cells from the cut up are replaced by an atom of mass
/// h.back() - h[cut] at the knot y[cut]; h.back() < 1 leaves the rest failed, of which
/// `fallback` goes to the fallback atom at the cut.
inline ServiceLaw service_law(const SlowdownGrid& g, const std::vector<double>& h, std::size_t cut = std::size_t(-1),
                              double fallback = 0.0) {
  ServiceLaw s;
  const std::size_t all = g.v.size() - 1, cells = std::min(all, cut);
  s.lo.reserve(cells + 1), s.hi.reserve(cells + 1), s.mass.reserve(cells + 1), s.knot.reserve(all + 1), s.weight.reserve(all + 1);
  std::vector<double> w(all + 1, 0.0);  // knot j = y[j], j < all - 1; knot all - 1 and all: the tail atom
  for (std::size_t i = 0; i < cells; ++i) {
    const double m = h[i + 1] - h[i];
    if (!(m > 1e-14)) continue;
    const bool last = i + 1 == all;
    const double a = last ? g.tail : g.y[i], b = last ? g.tail : g.y[i + 1];
    s.lo.push_back(a), s.hi.push_back(b), s.mass.push_back(m);
    s.mean += m * 0.5 * (a + b);
    w[last ? all : i] += 0.5 * m;
    w[last ? all : i + 1] += 0.5 * m;
  }
  if (cut < all) {
    const double m = h.back() - h[cut];
    if (m > 1e-14) {
      s.lo.push_back(g.y[cut]), s.hi.push_back(g.y[cut]), s.mass.push_back(m);
      s.mean += m * g.y[cut];
      w[cut] += m;
    }
    if (fallback > 1e-14) s.fallback_mass = fallback, s.fallback_at = g.y[cut];
  }
  for (std::size_t j = 0; j <= all; ++j)
    if (w[j] > 0.0) s.knot.push_back(j + 1 >= all ? g.tail : g.y[j]), s.weight.push_back(w[j]);
  s.total = h.back() - h.front() + s.fallback_mass;
  return s;
}

/// P(W + c + scale X_rule <= t), the fallback atom shifted by fallback_seconds. Without a
/// collection wait (n = 1) exactly, from the uniform cells; else by the trapezoid rule over each
/// cell.
inline double latency_cdf(double t, const ServiceLaw& y, double scale, double c, Index n, double lambda,
                          double fallback_seconds = 0.0) {
  const double x = (t - c) / scale;
  double p = 0.0;
  const double fallback_wait = t - c - fallback_seconds - scale * y.fallback_at;  // collection wait that fits
  if (n <= 1) {
    for (std::size_t i = 0; i < y.lo.size() && y.lo[i] <= x; ++i)
      p += y.mass[i] * (x >= y.hi[i] ? 1.0 : (x - y.lo[i]) / (y.hi[i] - y.lo[i]));
    if (fallback_wait >= 0.0) p += y.fallback_mass;
    return p;
  }
  for (std::size_t i = 0; i < y.knot.size() && y.knot[i] <= x; ++i)
    p += y.weight[i] * collection_cdf(scale * (x - y.knot[i]), n, lambda);
  if (y.fallback_mass > 0.0) p += y.fallback_mass * collection_cdf(fallback_wait, n, lambda);
  return p;
}

/// The q-quantile of W + c + scale X_rule, by bisection to a relative 1e-5; `hi` > 0 is a known
/// upper bound (the cdf reaches q there), else one is found by doubling. +infinity when the
/// rule fails with probability >= 1 - q.
inline double latency_quantile(double q, const ServiceLaw& y, double scale, double c, Index n, double lambda,
                               double hi = 0.0, double fallback_seconds = 0.0) {
  if (q >= y.total - 1e-12) return std::numeric_limits<double>::infinity();
  double lo = c;
  if (!(hi > 0.0)) {
    hi = c + fallback_seconds + scale * y.knot.back() + (double(n) + 10.0 * std::sqrt(double(n)) + 10.0) / lambda;
    while (latency_cdf(hi, y, scale, c, n, lambda, fallback_seconds) < q) hi *= 2.0;
  }
  while (hi - lo > 1e-5 * hi) {
    const double mid = 0.5 * (lo + hi);
    (latency_cdf(mid, y, scale, c, n, lambda, fallback_seconds) >= q ? hi : lo) = mid;
  }
  return hi;
}

/// A configuration before its latency is known: its law is shared with every configuration of
/// the same completion rule (owned by the Enumeration).
struct Candidate {
  Plan plan;
  const ServiceLaw* law = nullptr;  ///< of one query's latency
  double scale = 0.0;  ///< latency(b)
  double codec = 0.0;
  double fallback_seconds = 0.0;
  bool accurate = false, fits_pool = false;

  double cdf(double t, const PlanRequest& r) const {
    return latency_cdf(t, *law, scale, codec, plan.batch_size * plan.num_queries, r.arrival_rate, fallback_seconds);
  }
  double quantile(double q, const PlanRequest& r, double hi = 0.0) const {
    return latency_quantile(q, *law, scale, codec, plan.batch_size * plan.num_queries, r.arrival_rate, hi,
                            fallback_seconds);
  }
};

/// Every configuration of the grid with its cost and accuracy, and the laws they point to.
struct Enumeration {
  // (the scheme if it covers (its replicas set the law) else -1, K if cover or deadline, N, quorum,
  // deadline cut or -1, early release, fallback, hedge level index or -1)
  std::map<std::tuple<int, Index, Index, Index, Index, bool, bool, Index>, ServiceLaw> laws;
  std::vector<Candidate> candidates;
};

/// The query each of N workers computes for K queries (the tag's query_of_worker) when the
/// scheme is not is_regression; empty for a coded scheme, whose workers mix the queries.
inline std::vector<Index> worker_queries(SchemeKind scheme, Index k, Index n) {
  if (scheme_facts(scheme).is_regression) return {};
  std::vector<Index> out(static_cast<std::size_t>(n));
  visit_scheme(scheme, [&](auto tag) {
    for (Index w = 0; w < n; ++w) out[std::size_t(w)] = decltype(tag)::query_of_worker(w, k);
  });
  return out;
}

/// replicas[r]: how many of the K queries r workers compute, from worker_queries().
inline std::vector<Index> replica_counts(const std::vector<Index>& queries, Index k) {
  std::vector<Index> per_query(std::size_t(k), 0);
  for (Index q : queries) ++per_query[std::size_t(q)];
  std::vector<Index> replicas(std::size_t(*std::max_element(per_query.begin(), per_query.end()) + 1), 0);
  for (Index c : per_query) ++replicas[std::size_t(c)];
  return replicas;
}

/// P(every query has an answer) when each worker has answered with probability v:
/// prod_r (1 - (1 - v)^r)^replicas[r].
inline double all_covered(const std::vector<Index>& replicas, double v) {
  double p = 1.0;
  for (std::size_t r = 0; r < replicas.size(); ++r)
    if (replicas[r] > 0) p *= int_pow(1.0 - int_pow(1.0 - v, Index(r)), replicas[r]);
  return p;
}

/// P(every query has `votes` answers) when each worker has answered with probability v:
/// prod_r P(Bin(r, v) >= votes)^replicas[r] (replication's majority of 2E + 1 copies).
inline double all_voted(const std::vector<Index>& replicas, double v, Index votes) {
  double p = 1.0;
  for (std::size_t r = 0; r < replicas.size(); ++r) {
    if (replicas[r] == 0) continue;
    double below = 0.0, term = int_pow(1.0 - v, Index(r));  // P(Bin(r, v) = j), j = 0, 1, ...
    for (Index j = 0; j < votes && j <= Index(r); ++j) {
      below += term;
      term = v < 1.0 ? term * double(Index(r) - j) / double(j + 1) * v / (1.0 - v) : 0.0;
    }
    p *= int_pow(std::max(0.0, 1.0 - below), replicas[r]);
  }
  return p;
}

/// The grid boundaries at or just above each deadline level, ascending, without repeats.
inline std::vector<std::size_t> deadline_cuts(const SlowdownGrid& g, const std::vector<double>& levels) {
  std::vector<std::size_t> cuts;
  for (double level : levels) {
    const auto it = std::lower_bound(g.v.begin(), g.v.end(), level - 1e-12);
    cuts.push_back(std::min(std::size_t(it - g.v.begin()), g.v.size() - 2));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

/// P(some worker computing a query exactly answered) when each answered with probability v,
/// averaged over the K queries: replicas[r] of them have r such workers.
inline double own_answered(const std::vector<Index>& replicas, Index k, double v) {
  double p = 0.0;
  for (std::size_t r = 1; r < replicas.size(); ++r) p += double(replicas[r]) * (1.0 - int_pow(1.0 - v, Index(r)));
  return p / double(k);
}

/// Whether an accuracy entry was measured in a systematic layout (clustered worker points lead
/// with the query points, and the spline encoder interpolates): worker k computes query k.
inline bool systematic_entry(const AccuracyEntry& e) {
  return scheme_facts(e.scheme).is_regression && e.worker_spread > 0.0 &&
         (!scheme_facts(e.scheme).has_lambdas || e.lambda_enc == 0.0);
}

/// Accuracy of a coded deadline rule of (scheme, K, N) at grid boundary `cut`: answers by the
/// deadline are A ~ Bin(N, v[cut]); RelAcc = E[RelAcc(A); A >= K] plus, with early release,
/// E[A / N; A < K] (the exact answers of an undecodable group), plus the fallback's RelAcc times
/// the failed fraction; failed queries count as wrong without a fallback. MSE over the answered
/// queries: E[MSE(A); A >= K] (exact answers of undecodable groups at 0, the fallback's at its
/// MSE) over P(answered); lambdas of the most likely A >= K. `failure` gets the fraction of
/// queries left without an answer. Empty when a count with probability above 1e-9 has no entry.
inline std::optional<AccuracyEntry> deadline_accuracy(const AccuracyTable& table, const BinomialTails& tails,
                                                      SchemeKind scheme, Index k, Index n, std::size_t cut,
                                                      bool early, const FallbackModel& fallback, double& failure) {
  AccuracyEntry out;
  out.scheme = scheme, out.num_queries = k, out.num_workers = n, out.answers = n;
  double mass = 0.0, mse = 0.0, mode = -1.0;
  failure = 0.0;
  for (Index a = 0; a <= n; ++a) {
    const double p = tails(n, cut, a) - tails(n, cut, a + 1);
    if (a < k) {
      const double exact = early ? double(a) / double(n) : 0.0;
      out.rel_acc += p * exact;
      failure += p * (1.0 - exact);
      continue;
    }
    if (!(p > 1e-9)) continue;
    const auto e = table.lookup(scheme, k, n, a);
    if (!e) return std::nullopt;
    out.rel_acc += p * e->rel_acc;
    mse += p * e->mse;
    mass += p;
    if (p > mode) mode = p, out.lambda_enc = e->lambda_enc, out.lambda_dec = e->lambda_dec, out.ordering = e->ordering,
                  out.worker_spread = e->worker_spread;
  }
  if (!(mass > 0.0)) return std::nullopt;
  double answered = 1.0 - failure;
  if (fallback.enabled()) out.rel_acc += failure * fallback.rel_acc, mse += failure * fallback.mse, answered = 1.0;
  out.mse = mse / answered;
  return out;
}

inline Enumeration enumerate(const PlanRequest& r, const StragglerModel& model, const AccuracyTable& table) {
  const SlowdownGrid grid(model);
  Enumeration e;
  Index max_n = 1;
  for (Index k : r.grid.num_queries)
    max_n = std::max(max_n, std::min(r.grid.max_workers_per_set, Index(std::floor(r.grid.max_redundancy * double(k)))));
  const BinomialTails tails(grid.v, max_n);
  const std::vector<std::size_t> cuts = deadline_cuts(grid, r.grid.deadline_levels);
  const bool with_fallback = r.fallback.enabled();
  const std::size_t g = grid.v.size();
  std::vector<double> h(g);
  using Key = std::tuple<int, Index, Index, Index, Index, bool, bool, Index>;
  // The law of `key`, built from the cdf `fill` sets in h on first use.
  const auto law_of = [&](const Key& key, std::size_t cut, double fallback, auto fill) -> const ServiceLaw* {
    auto found = e.laws.find(key);
    if (found == e.laws.end()) {
      fill();
      found = e.laws.emplace(key, service_law(grid, h, cut, fallback)).first;
    }
    return &found->second;
  };
  // One candidate per profiled batch size. law: one query's latency; busy: E[time a worker set
  // holds a group] in slowdown units; t_cut: the deadline in slowdown units (0: none); failure:
  // the fraction of queries left without an answer.
  const auto add = [&](SchemeKind scheme, Index k, Index n, Index quorum, const ServiceLaw* law, double busy,
                       const std::optional<AccuracyEntry>& acc, double t_cut, double failure, bool early,
                       double t_hedge = 0.0) {
    for (const BatchLatency& bl : r.profile) {
      const Index b = bl.batch_size;
      if (!r.grid.batch_sizes.empty() &&
          std::find(r.grid.batch_sizes.begin(), r.grid.batch_sizes.end(), b) == r.grid.batch_sizes.end())
        continue;
      Candidate c;
      Plan& p = c.plan;
      p.scheme = scheme, p.num_queries = k, p.num_workers = n, p.batch_size = b, p.quorum = quorum;
      p.deadline = bl.median * t_cut;
      p.failure = failure;
      p.early_release = early;
      p.fallback = t_cut > 0.0 && with_fallback;
      p.hedge_delay = bl.median * t_hedge;
      if (acc) {
        p.rel_acc = acc->rel_acc, p.mse = acc->mse, p.lambda_enc = acc->lambda_enc, p.lambda_dec = acc->lambda_dec;
        p.ordering = acc->ordering, p.worker_spread = acc->worker_spread;
      }
      c.accurate = (r.accuracy_floor <= 0.0 || (acc && acc->rel_acc >= r.accuracy_floor)) &&
                   (std::isinf(r.max_mse) || (acc && acc->mse <= r.max_mse));
      p.num_adversaries = r.num_adversaries;
      c.law = law;
      c.scale = bl.median;
      c.fallback_seconds = p.fallback ? r.fallback.seconds : 0.0;
      p.mean_service = bl.median * busy;
      const double load = r.arrival_rate / double(b * k) * p.mean_service;  // busy sets on average
      p.worker_sets = r.concurrent_workers ? 1 : std::max<Index>(1, Index(std::ceil(load / r.max_utilisation - 1e-12)));
      p.utilisation = load / double(p.worker_sets);
      p.total_workers = p.worker_sets * n;
      p.cost = double(p.total_workers) * r.worker_price;
      c.fits_pool = p.total_workers <= r.pool_size;
      c.codec = r.encode.seconds(k, n, b) + r.decode_seconds(scheme, k, n, b);
      e.candidates.push_back(c);
    }
  };
  const Index adversaries = r.num_adversaries;
  const bool byzantine = adversaries > 0;
  for (SchemeKind scheme : r.grid.schemes) {
    const SchemeFacts facts = scheme_facts(scheme);
    const bool cover = !facts.is_regression;  // decided once every query has an answer
    const int sk = int(scheme);
    if (byzantine && robust::workers_for_adversaries(scheme, 1, adversaries, 0) < 0) continue;  // uncoded
    for (Index k : r.grid.num_queries) {
      const Index n_max = std::min(r.grid.max_workers_per_set, Index(std::floor(r.grid.max_redundancy * double(k))));
      for (Index n = k; n <= n_max; ++n) {
        if (facts.requires_workers_equal_queries && n != k) break;
        // Without coding, N = K is one configuration: keep it once, under the scheme that demands it.
        if (cover && !facts.requires_workers_equal_queries && n == k) continue;
        if (byzantine && cover && n < robust::workers_for_adversaries(scheme, k, adversaries, 0)) continue;
        // Covering schemes: replicas[r] queries have r workers; a coded query has its own worker
        // only in a systematic layout, checked per accuracy entry.
        const std::vector<Index> replicas = cover ? replica_counts(worker_queries(scheme, k, n), k) : std::vector<Index>();
        const auto own = [&](double v) { return cover ? own_answered(replicas, k, v) : v; };
        for (Index quorum = cover ? n : k; quorum <= n && (cover || r.grid.quorums); ++quorum) {
          // Coded: at least K + 2E answers, decoded from the quorum - E right ones.
          if (byzantine && !cover && robust::workers_for_adversaries(scheme, k, adversaries, n - quorum) > n) continue;
          const Key key{cover ? sk : -1, cover ? k : 0, n, quorum, -1, false, false, -1};
          const ServiceLaw* group = law_of(key, std::size_t(-1), 0.0, [&] {
            for (std::size_t i = 0; i < g; ++i)
              h[i] = !cover ? tails(n, i, quorum)
                     : byzantine ? all_voted(replicas, grid.v[i], robust::copies_to_outvote(adversaries))
                              : all_covered(replicas, grid.v[i]);
          });
          const auto acc = table.lookup(scheme, k, n, cover ? quorum : quorum - adversaries);
          add(scheme, k, n, quorum, group, group->mean, acc, 0.0, 0.0, false);
          if (byzantine || !r.grid.early_release || !(cover || (acc && systematic_entry(*acc)))) continue;
          // Released at its own answer, or at the decision (own missing: q of the other N - 1).
          const ServiceLaw* early = law_of({cover ? sk : -1, cover ? k : 0, n, quorum, -1, true, false, -1}, std::size_t(-1),
                                           0.0, [&] {
            for (std::size_t i = 0; i < g; ++i)
              h[i] = cover ? own(grid.v[i]) : 1.0 - (1.0 - grid.v[i]) * (1.0 - tails(n - 1, i, quorum));
          });
          add(scheme, k, n, quorum, early, group->mean, acc, 0.0, 0.0, true);
        }
        // Hedged: query q answers at min(its replicas, d + X'), independently of the others.
        if (byzantine) continue;  // only quorum rules with group release (file comment)
        for (std::size_t l = 0; cover && l < r.grid.hedge_levels.size(); ++l) {
          const double d = model.quantile(r.grid.hedge_levels[l]);
          // hedged(i, r): P(answered by knot i) for a query with r replicas.
          const auto hedged = [&](std::size_t i, std::size_t reps) {
            const double t = i + 1 < g ? grid.y[std::min(i, g - 2)] : std::numeric_limits<double>::infinity();
            const double backup = t > d ? model.cdf(t - d) : 0.0;
            return 1.0 - int_pow(1.0 - grid.v[i], Index(reps)) * (1.0 - backup);
          };
          const ServiceLaw* group = law_of({sk, k, n, n, -1, false, false, Index(l)}, std::size_t(-1), 0.0, [&] {
            for (std::size_t i = 0; i < g; ++i) {
              h[i] = 1.0;
              for (std::size_t reps = 1; reps < replicas.size(); ++reps)
                if (replicas[reps] > 0) h[i] *= int_pow(hedged(i, reps), replicas[reps]);
            }
          });
          const auto acc = table.lookup(scheme, k, n, n);
          add(scheme, k, n, n, group, group->mean, acc, 0.0, 0.0, false, d);
          if (!r.grid.early_release) continue;
          const ServiceLaw* early = law_of({sk, k, n, n, -1, true, false, Index(l)}, std::size_t(-1), 0.0, [&] {
            for (std::size_t i = 0; i < g; ++i) {
              h[i] = 0.0;
              for (std::size_t reps = 1; reps < replicas.size(); ++reps) h[i] += double(replicas[reps]) * hedged(i, reps);
              h[i] /= double(k);
            }
          });
          add(scheme, k, n, n, early, group->mean, acc, 0.0, 0.0, true, d);
        }
        for (std::size_t cut : cuts) {
          const double v_cut = grid.v[cut], t_cut = grid.y[cut];
          // Every group ends by the deadline: the set is busy for min(X_rule, deadline) (quorum 0 in
          // the key: this law is not a query's).
          const ServiceLaw* busy = law_of({cover ? sk : -1, k, n, 0, Index(cut), false, false, -1}, cut, 0.0, [&] {
            for (std::size_t i = 0; i < g; ++i)
              h[i] = i > cut ? 1.0 : cover ? all_covered(replicas, grid.v[i]) : int_pow(grid.v[i], n);
          });
          for (const bool early : {false, true}) {
            double failure = 0.0;
            std::optional<AccuracyEntry> acc;
            if (cover) {
              failure = 1.0 - own(v_cut);
              acc = table.lookup(scheme, k, n, n);
              acc->rel_acc = 1.0 - failure + (with_fallback ? failure * r.fallback.rel_acc : 0.0);
              acc->mse = with_fallback ? failure * r.fallback.mse : 0.0;  // over the answered queries
            } else {
              acc = deadline_accuracy(table, tails, scheme, k, n, cut, early, r.fallback, failure);
            }
            if (early && (!r.grid.early_release || !(cover || (acc && systematic_entry(*acc))))) continue;
            // Group release: all N by v (below the cut), or decided at the cut when answered.
            // Early release: the own answer by v (below the cut), the rest decided at the cut.
            const ServiceLaw* law =
                law_of({cover ? sk : -1, k, n, n, Index(cut), early, with_fallback, -1}, cut,
                       with_fallback ? failure : 0.0, [&] {
                         for (std::size_t i = 0; i < g; ++i)
                           h[i] = i > cut ? 1.0 - failure
                                  : early ? own(grid.v[i])
                                          : cover ? all_covered(replicas, grid.v[i]) : int_pow(grid.v[i], n);
                       });
            add(scheme, k, n, n, law, busy->mean, acc, t_cut, failure, early);
          }
        }
      }
    }
  }
  return e;
}

/// Whether a candidate meets the SLO, P(latency <= slo_seconds) >= slo_quantile, which needs one
/// cdf evaluation; if it does, its p_slo (bracketed by slo_seconds, so never above it), p50 and
/// p99. Otherwise p_slo is +infinity.
inline bool predict_latency(Candidate& c, const PlanRequest& r) {
  Plan& p = c.plan;
  // A rule failing with probability >= 1 - q never reaches the quantile (latency_quantile's test).
  if (r.slo_quantile >= c.law->total - 1e-12 || c.cdf(r.slo_seconds, r) < r.slo_quantile) {
    p.p_slo = std::numeric_limits<double>::infinity();
    return false;
  }
  p.p_slo = c.quantile(r.slo_quantile, r, r.slo_seconds);
  p.p50 = c.quantile(0.5, r, r.slo_quantile >= 0.5 ? p.p_slo : 0.0);
  p.p99 = r.slo_quantile == 0.99 ? p.p_slo : c.quantile(0.99, r, r.slo_quantile >= 0.99 ? p.p_slo : 0.0);
  return true;
}

/// The total order of feasible plans: cost, then RelAcc (higher first; unknown last), then
/// predicted p_slo, then the configuration.
inline bool better(const Plan& a, const Plan& b) {
  auto acc = [](const Plan& p) { return std::isnan(p.rel_acc) ? 1.0 : -p.rel_acc; };
  return std::make_tuple(a.cost, acc(a), a.p_slo, int(a.scheme), a.num_queries, a.num_workers, a.batch_size, a.quorum,
                         a.deadline, a.early_release, a.hedge_delay) <
         std::make_tuple(b.cost, acc(b), b.p_slo, int(b.scheme), b.num_queries, b.num_workers, b.batch_size, b.quorum,
                         b.deadline, b.early_release, b.hedge_delay);
}

inline std::string explain(const Plan& p, const PlanRequest& r) {
  char rule[128], buf[448];
  if (p.deadline > 0.0)
    std::snprintf(rule, sizeof rule, "deadline %.4g s (%s %.2g)%s", p.deadline,
                  p.fallback ? "to the fallback" : "failed", p.failure, p.early_release ? ", early release" : "");
  else
    std::snprintf(rule, sizeof rule, "quorum %lld%s", (long long)p.quorum, p.early_release ? ", early release" : "");
  if (p.hedge_delay > 0.0) {
    const std::size_t used = std::strlen(rule);
    std::snprintf(rule + used, sizeof rule - used, ", hedged at %.4g s", p.hedge_delay);
  }
  std::snprintf(buf, sizeof buf,
                "%s K=%lld N=%lld b=%lld %s: %lld set(s) x %lld workers at utilisation %.2f, cost %.4g; "
                "p%g %.4g s <= SLO %.4g s; RelAcc %.4g",
                to_string(p.scheme), (long long)p.num_queries, (long long)p.num_workers, (long long)p.batch_size, rule,
                (long long)p.worker_sets, (long long)p.num_workers, p.utilisation, p.cost, 100.0 * r.slo_quantile,
                p.p_slo, r.slo_seconds, p.rel_acc);
  std::string out = buf;
  if (!std::isinf(r.max_mse)) out += nercc::detail::message("; MSE ", p.mse, " <= ", r.max_mse);
  if (p.num_adversaries > 0) out += nercc::detail::message("; outvotes ", p.num_adversaries, " wrong answer(s)");
  return out;
}

/// The result when nothing is feasible: the first constraint, in the order accuracy, pool,
/// latency, that no remaining configuration meets.
inline PlanResult infeasible(const std::vector<Candidate>& all, const PlanRequest& r) {
  PlanResult out;
  char buf[256];
  bool any_accurate = false, any_fits = false;
  double best_latency = std::numeric_limits<double>::infinity(), best_acc = 0.0;
  double best_mse = std::numeric_limits<double>::infinity();
  Index fewest_workers = std::numeric_limits<Index>::max();
  for (const Candidate& c : all) {
    if (c.plan.rel_acc == c.plan.rel_acc) best_acc = std::max(best_acc, c.plan.rel_acc);
    if (c.plan.mse == c.plan.mse) best_mse = std::min(best_mse, c.plan.mse);
    if (!c.accurate) continue;
    any_accurate = true;
    fewest_workers = std::min(fewest_workers, c.plan.total_workers);
    if (!c.fits_pool) continue;
    any_fits = true;
    // Only a candidate below the best so far needs its quantile, bracketed by that best.
    if (std::isinf(best_latency)) best_latency = c.quantile(r.slo_quantile, r);
    else if (c.cdf(best_latency, r) >= r.slo_quantile) best_latency = c.quantile(r.slo_quantile, r, best_latency);
  }
  if (!any_accurate) {
    out.binding = Binding::accuracy;
    if (std::isinf(r.max_mse))
      std::snprintf(buf, sizeof buf, "no configuration reaches the accuracy floor %.4g (best measured RelAcc %.4g)",
                    r.accuracy_floor, best_acc);
    else
      std::snprintf(buf, sizeof buf,
                    "no configuration reaches the accuracy floor %.4g and the MSE ceiling max_mse %.4g (best measured "
                    "RelAcc %.4g, MSE %.4g)",
                    r.accuracy_floor, r.max_mse, best_acc, best_mse);
  } else if (!any_fits) {
    out.binding = Binding::pool_size;
    std::snprintf(buf, sizeof buf, "every accurate configuration needs more than pool_size %lld workers (fewest %lld)",
                  (long long)r.pool_size, (long long)fewest_workers);
  } else {
    out.binding = Binding::latency;
    std::snprintf(buf, sizeof buf, "no accurate configuration within the pool meets p%g <= %.4g s (best %.4g s)",
                  100.0 * r.slo_quantile, r.slo_seconds, best_latency);
  }
  out.message = buf;
  return out;
}

}  // namespace detail

/// The cheapest configuration of request.grid that meets the SLO and the accuracy floor, and
/// the runners-up. Exhaustive: every configuration is enumerated with its exact cost; latency
/// distributions are computed in order of cost until the best 1 + runners_up feasible plans
/// are known and every unevaluated configuration costs more than the last of them (so the
/// answer equals that of evaluating everything). A coded configuration without an entry in
/// `accuracy` is infeasible unless accuracy_floor <= 0. Pure; safe from many threads.
/// Throws nercc::invalid_argument for a bad request.
inline PlanResult plan(const PlanRequest& request, const StragglerModel& model, const AccuracyTable& accuracy) {
  request.validate();
  detail::Enumeration e = detail::enumerate(request, model, accuracy);
  std::vector<detail::Candidate>& all = e.candidates;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].accurate && all[i].fits_pool) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return all[a].plan.cost < all[b].plan.cost; });
  PlanResult out;
  const std::size_t wanted = std::size_t(request.runners_up) + 1;
  std::vector<Plan> feasible;
  Index evaluated = 0;
  for (std::size_t i : order) {
    if (feasible.size() >= wanted && all[i].plan.cost > feasible[wanted - 1].cost) break;
    ++evaluated;
    if (!detail::predict_latency(all[i], request)) continue;
    feasible.push_back(all[i].plan);
    std::sort(feasible.begin(), feasible.end(), detail::better);
  }
  if (feasible.empty()) {
    out = detail::infeasible(all, request);
  } else {
    if (feasible.size() > wanted) feasible.resize(wanted);
    for (Plan& p : feasible) p.explanation = detail::explain(p, request);
    out.plans = std::move(feasible);
  }
  out.candidates = Index(all.size());
  out.latency_evaluations = evaluated;
  return out;
}

}  // namespace plan
NERCC_NAMESPACE_END
