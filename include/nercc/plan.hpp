// nercc::plan: the optional planner (std-only): straggler models and their fits from runtime
// logs, order statistics of worker times, latency profiling, accuracy calibration, plan(),
// simulate() and the conversion of a plan into RuntimeParams. Never included by nercc.hpp.
#pragma once

#include <nercc/plan/accuracy.hpp>
#include <nercc/plan/fit.hpp>
#include <nercc/plan/order_statistic.hpp>
#include <nercc/plan/planner.hpp>
#include <nercc/plan/profile.hpp>
#include <nercc/plan/simulate.hpp>
#include <nercc/plan/straggler.hpp>
#include <nercc/plan/to_runtime.hpp>
