// A plan as a runtime configuration: the bridge from the standard-library-only planner
// (nercc/plan.hpp) to the runtime (RuntimeParams). Included on its own, by code that runs a plan.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/planner.hpp>
#include <nercc/points.hpp>
#include <nercc/runtime/params.hpp>
#include <nercc/schemes.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// RuntimeParams for one worker set of `p`: scheme, K, N, the tuned lambdas, ordering and
/// clustered worker points (coded schemes), stragglers S = N - quorum (schemes that are not
/// is_regression: S = 0, they decide once every query is covered), worker_batch = b (a group of
/// b K queries, one call of b coded queries per worker) and the dimensions. group_timeout is the
/// SLO latency, past which a query has missed it anyway; so is the deadline, except for a
/// deadline plan (S = 0, deadline = p.deadline). early_release as the plan's; a hedged plan
/// hedges at its delay onto workers that answered, with a budget that refuses nothing. A plan with
/// `fallback` set expects the request's fallback model as the Runtime's fallback (constructor
/// argument), which RuntimeParams do not carry. Run `p.worker_sets` runtimes (or transports) to
/// provision the plan. A plan that outvotes E wrong answers decodes robustly with E
/// (code.num_adversaries). Throws nercc::invalid_argument for bad dimensions.
inline runtime::RuntimeParams to_runtime_params(const Plan& p, const PlanRequest& request, Index input_dim,
                                                Index output_dim) {
  runtime::RuntimeParams r;
  r.scheme = p.scheme;
  r.code.num_queries = p.num_queries;
  r.code.num_workers = p.num_workers;
  r.code.lambda_enc = p.lambda_enc;
  r.code.lambda_dec = p.lambda_dec;
  r.code.num_adversaries = p.num_adversaries;  // at threshold 0 E answers are dropped, as the planner assumed
  const bool coded = scheme_facts(p.scheme).is_regression;
  if (coded) {
    r.code.ordering = p.ordering;
    if (p.worker_spread > 0.0)
      r.code.worker_points = clustered_worker_points(r.code.resolved_query_points(), p.num_workers, p.worker_spread);
  }
  r.worker_batch = p.batch_size;
  r.early_release = p.early_release;
  if (p.hedge_delay > 0.0) {
    // The planner's model: backups on workers that answered, never refused by the budget.
    r.hedge.target = runtime::HedgeTarget::answered;
    r.hedge.delay = std::chrono::duration_cast<runtime::Duration>(std::chrono::duration<double>(p.hedge_delay));
    r.hedge.budget_fraction = 1.0;
    r.hedge.budget_burst = double(p.num_workers);
  }
  r.stragglers = coded ? p.num_workers - p.quorum : 0;
  r.input_dim = input_dim;
  r.output_dim = output_dim;
  const auto slo = std::chrono::duration_cast<runtime::Duration>(std::chrono::duration<double>(request.slo_seconds));
  r.group_timeout = slo;
  r.deadline = slo;
  if (p.deadline > 0.0) {
    r.stragglers = 0;
    r.deadline = std::max(runtime::Duration(1), std::chrono::duration_cast<runtime::Duration>(
                                                    std::chrono::duration<double>(p.deadline)));
  }
  r.overload.enabled = false;  // the plan provisions for its load; lowering N would change its accuracy
  r.validate();
  return r;
}

}  // namespace plan
NERCC_NAMESPACE_END
