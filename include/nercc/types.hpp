// Matrix types shared by the whole library: samples are rows (row-major), sizes Eigen::Index.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>

#include <Eigen/Core>

#include <type_traits>

NERCC_NAMESPACE_BEGIN

static_assert(std::is_same<Index, Eigen::Index>::value,
              "nercc::Index must be Eigen::Index: do not redefine EIGEN_DEFAULT_DENSE_INDEX_TYPE");

/// Row-major dynamic matrix: one sample (query, coded query, output) per row.
template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Dynamic column vector.
template <class S>
using Vector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

NERCC_NAMESPACE_END
