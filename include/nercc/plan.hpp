// nercc::plan: the optional planner (std-only): straggler models, order statistics of worker
// times and latency profiling. Never included by nercc.hpp.
#pragma once

#include <nercc/plan/order_statistic.hpp>
#include <nercc/plan/profile.hpp>
#include <nercc/plan/straggler.hpp>
