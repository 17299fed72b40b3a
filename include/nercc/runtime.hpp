// nercc::runtime: the optional serving runtime (std::thread only; nercc::nercc links Threads).
// Never included by nercc.hpp.
#pragma once

#include <nercc/runtime/any_code.hpp>
#include <nercc/runtime/bounded_queue.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/decision_rule.hpp>
#include <nercc/runtime/fallback.hpp>
#include <nercc/runtime/group.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/runtime/hedge_policy.hpp>
#include <nercc/runtime/metrics.hpp>
#include <nercc/runtime/metrics_recorder.hpp>
#include <nercc/runtime/outcome.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/padding.hpp>
#include <nercc/runtime/params.hpp>
#include <nercc/runtime/pipeline.hpp>
#include <nercc/runtime/policies.hpp>
#include <nercc/runtime/quarantine_policy.hpp>
#include <nercc/runtime/timer_service.hpp>
#include <nercc/runtime/transport.hpp>
