// select(): the online half of the selector. For a new task (its cheap features) it ranks the
// corpus's configurations by a fitted learner's predicted utility, keeps those that meet the
// latency SLO under the worker-time law (the planner's order statistics) and the worker budget,
// and returns the best k: the short list that verify() (<nercc/select/verify.hpp>) measures.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/order_statistic.hpp>
#include <nercc/plan/planner.hpp>
#include <nercc/plan/straggler.hpp>
#include <nercc/schemes.hpp>
#include <nercc/select/configuration.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/performance_matrix.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// The serving requirement: the slo_quantile of a group's completion time must not exceed
/// slo_seconds, each worker call taking a time drawn i.i.d. from worker_time (seconds).
struct SelectionRequest {
  double slo_quantile = 0.99;
  double slo_seconds = 0.1;
  /// The law of one worker call's time; the default is an example (10 ms plus an exponential
  /// delay of mean 10 ms): give the measured one (plan::fit_* or an EmpiricalModel).
  plan::StragglerModel worker_time = plan::ShiftedExponentialModel(plan::ShiftedExponentialParams{0.01, 100.0});
  /// The straggler count the corpus's utility was measured at: a coded configuration without a
  /// quorum decodes at N - stragglers answers (at least K).
  Index stragglers = 1;

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using nercc::detail::message;
    if (!(slo_quantile > 0.0 && slo_quantile < 1.0))
      throw invalid_argument(message("request.slo_quantile (", slo_quantile, ") must lie in (0, 1)"));
    if (!(slo_seconds > 0.0)) throw invalid_argument(message("request.slo_seconds (", slo_seconds, ") must be > 0"));
    if (stragglers < 0) throw invalid_argument(message("request.stragglers (", stragglers, ") must be >= 0"));
  }
};

/// What the short list may spend: k configurations to verify, each using at most max_workers
/// workers per group (the worker cost of serving it).
struct SelectionBudget {
  Index k = 3;
  Index max_workers = std::numeric_limits<Index>::max();
};

/// The predicted slo_quantile of a group's completion time under `request` (seconds):
/// - coded (regression) schemes, quorum rule: the quorum-th order statistic of N worker times,
///   quorum = config.quorum, or max(K, N - request.stragglers) when 0;
/// - coded, deadline rule: the deadline worker_time.quantile(deadline_level), or all N if sooner;
/// - replication and uncoded: the time every query has an answer, P = prod over queries of
///   (1 - (1 - F)^replicas) (the planner's cover law); hedging is not modelled (conservative).
/// Throws what the straggler model and the order statistics throw.
inline double predicted_latency(const Configuration& config, const SelectionRequest& request) {
  const Index k = config.num_queries, n = config.num_workers;
  const double p = request.slo_quantile;
  const plan::StragglerModel& law = request.worker_time;
  if (!scheme_facts(config.scheme).is_regression) {
    const std::vector<Index> replicas = plan::detail::replica_counts(plan::detail::worker_queries(config.scheme, k, n), k);
    double lo = 0.0, hi = 1.0;  // the level u with all_covered(u) = p, by bisection
    for (;;) {
      const double mid = 0.5 * (lo + hi);
      if (!(mid > lo && mid < hi)) break;
      (plan::detail::all_covered(replicas, mid) >= p ? hi : lo) = mid;
    }
    return law.quantile(hi);
  }
  const double all = plan::order_statistic_quantile(law, n, n, p);
  if (config.deadline_level > 0.0) return std::min(all, law.quantile(config.deadline_level));
  const Index quorum = config.quorum > 0 ? config.quorum : std::max(k, n - request.stragglers);
  return plan::order_statistic_quantile(law, quorum, n, p);
}

/// A configuration's code: (scheme, K, N, ordering, worker spread), what verify() measures
/// once, tuning its lambdas.
inline std::tuple<int, Index, Index, int, double> code_of(const Configuration& c) {
  return {int(c.scheme), c.num_queries, c.num_workers, int(c.ordering), c.worker_spread};
}

/// One configuration of a short list.
struct ShortListEntry {
  Index column = -1;  ///< its column in the selector's corpus
  Configuration config;
  std::string id;                   ///< config.id()
  double predicted_utility = 0.0;   ///< the learner's score (the corpus's utility, higher is better)
  double predicted_latency = 0.0;   ///< predicted_latency(config, request), seconds
};

/// select()'s answer: up to k entries of distinct codes (code_of), best predicted utility first
/// (ties: lower latency, then corpus order), and how many configurations met each constraint. Empty entries: `message`
/// says which constraint left none.
struct ShortList {
  std::vector<ShortListEntry> entries;
  Index within_budget = 0;  ///< configurations with N <= budget.max_workers
  Index feasible = 0;       ///< of which meet the SLO
  std::string message;
};

/// Throws nercc::invalid_argument naming list.entries[i].config and the field for the first
/// invalid configuration of the list.
inline void validate_entries(const ShortList& list) {
  for (std::size_t i = 0; i < list.entries.size(); ++i) {
    try {
      list.entries[i].config.validate();
    } catch (const invalid_argument& e) {
      const std::string what = e.what();  // "nercc::invalid_argument: <message>"
      const std::size_t colon = what.find(": ");
      throw invalid_argument(nercc::detail::message("list.entries[", i, "].config: ",
                                                    colon == std::string::npos ? what : what.substr(colon + 2)));
    }
  }
}

/// A corpus and a learner fitted on it: the selector. select() is const and thread-safe (the
/// learner's scores() is const).
class Selector {
 public:
  /// Fits `learner` on `corpus`. Throws nercc::invalid_argument for a null learner and what
  /// Learner::fit throws (an empty corpus: "performance matrix is empty").
  Selector(PerformanceMatrix corpus, std::unique_ptr<Learner> learner)
      : corpus_(std::move(corpus)), learner_(std::move(learner)) {
    if (!learner_) throw invalid_argument("learner is null");
    learner_->fit(corpus_);
  }

  const PerformanceMatrix& corpus() const { return corpus_; }
  const Learner& learner() const { return *learner_; }

  /// The short list for a task with these features (sizes and names of the corpus's): the k
  /// best predicted configurations that meet the SLO and the budget, one per code (each at its
  /// best-predicted lambdas: verify() tunes a code's lambdas, so a second entry of the same code
  /// would be measured again for nothing). Throws
  /// nercc::shape_mismatch for feature vectors of the wrong size and non_finite_input for NaN or
  /// infinite ones (naming task_features / environment_features), nercc::invalid_argument for
  /// budget.k < 1, a budget.max_workers below every configuration's N ("budget too small"), and
  /// a bad request (naming the field).
  ShortList select(const Eigen::VectorXd& task_features, const Eigen::VectorXd& environment_features,
                   const SelectionRequest& request, const SelectionBudget& budget) const {
    using nercc::detail::message;
    request.validate();
    if (budget.k < 1) throw invalid_argument(message("budget.k (", budget.k, ") must be >= 1"));
    Index fewest = std::numeric_limits<Index>::max();
    for (const Configuration& c : corpus_.configs) fewest = std::min(fewest, c.num_workers);
    if (budget.max_workers < fewest)
      throw invalid_argument(message("budget.max_workers (", budget.max_workers,
                                     ") is too small: every configuration of the corpus needs >= ", fewest, " workers"));
    const Eigen::VectorXd scores = learner_->scores(task_features, environment_features);
    ShortList out;
    std::vector<ShortListEntry> feasible;
    for (Index c = 0; c < corpus_.num_configs(); ++c) {
      const Configuration& config = corpus_.configs[std::size_t(c)];
      if (config.num_workers > budget.max_workers) continue;
      ++out.within_budget;
      const double latency = predicted_latency(config, request);
      if (!(latency <= request.slo_seconds)) continue;
      feasible.push_back(ShortListEntry{c, config, corpus_.config_ids[std::size_t(c)], scores(c), latency});
    }
    out.feasible = Index(feasible.size());
    std::stable_sort(feasible.begin(), feasible.end(), [](const ShortListEntry& a, const ShortListEntry& b) {
      const double ua = std::isnan(a.predicted_utility) ? -std::numeric_limits<double>::infinity() : a.predicted_utility;
      const double ub = std::isnan(b.predicted_utility) ? -std::numeric_limits<double>::infinity() : b.predicted_utility;
      return std::make_tuple(-ua, a.predicted_latency) < std::make_tuple(-ub, b.predicted_latency);
    });
    for (const ShortListEntry& e : feasible) {
      if (out.entries.size() == std::size_t(budget.k)) break;
      bool listed = false;
      for (const ShortListEntry& other : out.entries) listed = listed || code_of(other.config) == code_of(e.config);
      if (!listed) out.entries.push_back(e);
    }
    if (out.entries.empty())
      out.message = message("no configuration with at most ", budget.max_workers, " workers meets p",
                            100.0 * request.slo_quantile, " <= ", request.slo_seconds, " s (", out.within_budget,
                            " within the budget)");
    return out;
  }

  /// A short list of the corpus's configurations named by id (a user's own candidates, in the
  /// given order), predicted figures from the learner and `request`. Throws
  /// nercc::invalid_argument naming ids[i] for a configuration that is not in the corpus, and
  /// what select() throws for the features and the request.
  ShortList short_list(const std::vector<std::string>& ids, const Eigen::VectorXd& task_features,
                       const Eigen::VectorXd& environment_features, const SelectionRequest& request) const {
    using nercc::detail::message;
    request.validate();
    const Eigen::VectorXd scores = learner_->scores(task_features, environment_features);
    ShortList out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto at = std::find(corpus_.config_ids.begin(), corpus_.config_ids.end(), ids[i]);
      if (at == corpus_.config_ids.end())
        throw invalid_argument(message("ids[", i, "] ('", ids[i], "') is not a configuration of the corpus"));
      const Index c = Index(at - corpus_.config_ids.begin());
      const Configuration& config = corpus_.configs[std::size_t(c)];
      out.entries.push_back(ShortListEntry{c, config, ids[i], scores(c), predicted_latency(config, request)});
    }
    out.within_budget = out.feasible = Index(out.entries.size());
    return out;
  }

 private:
  PerformanceMatrix corpus_;
  std::unique_ptr<Learner> learner_;
};

}  // namespace select
NERCC_NAMESPACE_END
