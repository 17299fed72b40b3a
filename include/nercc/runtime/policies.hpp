// Where the runtime's policies are chosen from RuntimeParams: a new decision rule, overload
// policy, hedging or quarantine policy is a unit of its own (decision_rule.hpp, overload_controller.hpp show the interfaces)
// plus its case here.
#pragma once

#include <nercc/config.hpp>
#include <nercc/runtime/decision_rule.hpp>
#include <nercc/runtime/hedge_policy.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/params.hpp>
#include <nercc/runtime/quarantine_policy.hpp>

#include <memory>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// The rule that decides the groups of a Runtime with `params`.
inline std::unique_ptr<const DecisionRule> make_decision_rule(const RuntimeParams& params) {
  return std::make_unique<QuorumOrDeadline>(params.stragglers, params.deadline);
}

/// The overload policy of a Runtime with `params` (params.code gives K and N).
inline std::unique_ptr<OverloadPolicy> make_overload_policy(const RuntimeParams& params) {
  return std::make_unique<OverloadController>(params.overload, params.code);
}

/// The hedging policy of a Runtime with `params` (off unless params.hedge.target is set).
inline std::unique_ptr<HedgePolicy> make_hedge_policy(const RuntimeParams& params) {
  return std::make_unique<HedgePolicy>(params.hedge, params.code.num_workers);
}

/// The quarantine policy of a Runtime with `params` (off unless params.quarantine.enabled).
inline std::unique_ptr<QuarantinePolicy> make_quarantine_policy(const RuntimeParams& params) {
  return std::make_unique<QuarantinePolicy>(params.quarantine);
}

}  // namespace runtime
NERCC_NAMESPACE_END
