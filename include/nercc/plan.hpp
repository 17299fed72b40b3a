// nercc::plan: the optional planner, standard library only: straggler models and their fits
// from runtime logs, order statistics of worker times, latency profiling, the accuracy table,
// plan() and simulate(). Never included by nercc.hpp. Two bridges are included on their own,
// where their dependencies are: <nercc/plan/calibrate.hpp> (calibrate(): fills the accuracy
// table with the tuner, needs Eigen) and <nercc/runtime/from_plan.hpp> (to_runtime_params():
// a plan as RuntimeParams, needs the runtime).
#pragma once

#include <nercc/plan/accuracy.hpp>
#include <nercc/plan/fit.hpp>
#include <nercc/plan/order_statistic.hpp>
#include <nercc/plan/planner.hpp>
#include <nercc/plan/profile.hpp>
#include <nercc/plan/simulate.hpp>
#include <nercc/plan/straggler.hpp>
