// profile(): time the user's batched model callable per batch size, the latency profile the
// planner reads.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// How profile() measures each batch size.
struct ProfileParams {
  Index warmup = 3;    ///< untimed calls per batch size first (caches, allocator, JIT)
  Index repeats = 21;  ///< timed calls per batch size (>= 1)

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using nercc::detail::message;
    if (warmup < 0) throw invalid_argument(message("warmup (", warmup, ") must be >= 0"));
    if (repeats < 1) throw invalid_argument(message("repeats (", repeats, ") must be >= 1"));
  }
};

/// The measured latency of one batch size, in seconds. Quantiles are the order statistics
/// x_(ceil(q r)) of the r timed calls (so every reported value was observed): the median and
/// the quartiles (whose gap, the interquartile range, is the robust spread), min and max.
struct BatchLatency {
  Index batch_size = 0;
  double median = 0.0;
  double lower_quartile = 0.0;
  double upper_quartile = 0.0;
  double min = 0.0;
  double max = 0.0;
  std::vector<double> seconds;  ///< the timed calls, in call order

  double interquartile_range() const { return upper_quartile - lower_quartile; }
};

namespace detail {
/// x_(ceil(q n)) of the sorted values (q in (0, 1]).
inline double order_quantile(const std::vector<double>& sorted, double q) {
  const double i = std::ceil(q * double(sorted.size())) - 1.0;
  return sorted[std::size_t(std::max(0.0, i))];
}
}  // namespace detail

/// Calls model(b) warmup + repeats times for each b in batch_sizes, in order, timing each
/// timed call with now() (a callable returning a std::chrono time point), and returns one
/// BatchLatency per batch size. model(b) must run one batched inference of b queries; its
/// exceptions propagate. Runs on the calling thread; the callables are called only from it.
/// Throws nercc::invalid_argument for bad params or a batch size < 1.
template <class Model, class Now>
std::vector<BatchLatency> profile(Model&& model, const std::vector<Index>& batch_sizes, const ProfileParams& params,
                                  Now&& now) {
  static_assert(std::is_invocable_v<Model&, Index>,
                "nercc::plan::profile: model must be callable as model(Index batch_size)");
  using nercc::detail::message;
  params.validate();
  for (std::size_t i = 0; i < batch_sizes.size(); ++i)
    if (batch_sizes[i] < 1)
      throw invalid_argument(message("batch_sizes[", i, "] (", batch_sizes[i], ") must be >= 1"));

  std::vector<BatchLatency> out;
  out.reserve(batch_sizes.size());
  for (Index b : batch_sizes) {
    for (Index i = 0; i < params.warmup; ++i) model(b);
    BatchLatency row;
    row.batch_size = b;
    row.seconds.reserve(std::size_t(params.repeats));
    for (Index i = 0; i < params.repeats; ++i) {
      const auto start = now();
      model(b);
      row.seconds.push_back(std::chrono::duration<double>(now() - start).count());
    }
    std::vector<double> sorted = row.seconds;
    std::sort(sorted.begin(), sorted.end());
    row.median = detail::order_quantile(sorted, 0.5);
    row.lower_quartile = detail::order_quantile(sorted, 0.25);
    row.upper_quartile = detail::order_quantile(sorted, 0.75);
    row.min = sorted.front();
    row.max = sorted.back();
    out.push_back(std::move(row));
  }
  return out;
}

/// profile() timed with std::chrono::steady_clock.
template <class Model>
std::vector<BatchLatency> profile(Model&& model, const std::vector<Index>& batch_sizes,
                                  const ProfileParams& params = {}) {
  return profile(std::forward<Model>(model), batch_sizes, params, [] { return std::chrono::steady_clock::now(); });
}

}  // namespace plan
NERCC_NAMESPACE_END
