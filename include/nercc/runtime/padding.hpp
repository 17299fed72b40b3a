// PadPolicy: how a group closed early fills its empty rows.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/types.hpp>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// How a group closed by the timeout with r < K queries fills its K - r empty rows. The
/// padding rows are encoded and computed like real queries; their estimates are discarded.
enum class PadPolicy {
  repeat_last,  ///< copy the last real query (keeps the encoded curve smooth; default)
  zeros,        ///< zero rows
};

/// Fills rows real.. of `inputs` by `policy` (real >= 1 rows hold the group's queries).
template <class S>
void pad_rows(PadPolicy policy, RowMatrix<S>& inputs, Index real) {
  for (Index i = real; i < inputs.rows(); ++i) {
    if (policy == PadPolicy::zeros) inputs.row(i).setZero();
    else inputs.row(i) = inputs.row(real - 1);
  }
}

}  // namespace runtime
NERCC_NAMESPACE_END
