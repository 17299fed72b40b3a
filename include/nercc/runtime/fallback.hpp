// Fallback: a cheap model at the front end that answers a query its group could not decode, or
// whose estimate was not reliable enough.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <functional>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// Called as fallback(query) (1 x input_dim) for a query whose group was decided without an
/// answer for it (QueryError::too_few_answers or unavailable), or whose estimate's reliability
/// score is below RuntimeParams::fallback_below_reliability; it returns 1 x output_dim. Its
/// answer becomes the query's value with Provenance::fallback (a failure leaves the estimate). It runs on a decode thread, so it
/// should be cheap (a small distilled model); it may be called from several decode threads at
/// once. If it throws, or returns a wrong shape or non-finite values, the query keeps its error
/// and RuntimeMetrics::fallback_failed counts it. Empty: no fallback.
template <class S>
using Fallback = std::function<RowMatrix<S>(const Eigen::Ref<const RowMatrix<S>>&)>;

}  // namespace runtime
NERCC_NAMESPACE_END
