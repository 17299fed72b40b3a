// nercc::runtime: the optional serving runtime (std-only threads; link nercc::threads).
// Never included by nercc.hpp.
#pragma once

#include <nercc/runtime/any_code.hpp>
#include <nercc/runtime/bounded_queue.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/metrics.hpp>
#include <nercc/runtime/params.hpp>
#include <nercc/runtime/pipeline.hpp>
