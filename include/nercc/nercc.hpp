// nercc: coded straggler tolerance for prediction serving. The umbrella header of the core
// library (Eigen only), query ordering included. Opt-in modules are included on their own:
// <nercc/xtensor.hpp>, <nercc/tune.hpp>, <nercc/runtime.hpp>, <nercc/plan.hpp>, <nercc/optim.hpp>.
#pragma once

#include <nercc/berrut.hpp>
#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering.hpp>
#include <nercc/params.hpp>
#include <nercc/points.hpp>
#include <nercc/query_provenance.hpp>
#include <nercc/reliability.hpp>
#include <nercc/schemes.hpp>
#include <nercc/smoothing_spline.hpp>
#include <nercc/types.hpp>
