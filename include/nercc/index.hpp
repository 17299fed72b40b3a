// Index: the signed size type of every nercc size and worker id. Standard library only, so the
// planner and the parameter structs need no Eigen; it is Eigen::Index (types.hpp checks).
#pragma once

#include <nercc/config.hpp>

#include <cstddef>

NERCC_NAMESPACE_BEGIN

using Index = std::ptrdiff_t;

NERCC_NAMESPACE_END
