// Where the runtime's policies are chosen from RuntimeParams: a new decision rule or overload
// policy is a unit of its own (decision_rule.hpp, overload_controller.hpp show the interfaces)
// plus its case here.
#pragma once

#include <nercc/config.hpp>
#include <nercc/runtime/decision_rule.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/params.hpp>

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

}  // namespace runtime
NERCC_NAMESPACE_END
