// Matrix types shared by the whole library: samples are rows (row-major), sizes Eigen::Index.
#pragma once

#include <nercc/config.hpp>

#include <Eigen/Core>

NERCC_NAMESPACE_BEGIN

using Index = Eigen::Index;

/// Row-major dynamic matrix: one sample (query, coded query, output) per row.
template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Dynamic column vector.
template <class S>
using Vector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

NERCC_NAMESPACE_END
