// What the optimisers report: per-epoch progress (to a callback) and the final result.
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <type_traits>
#include <utility>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Staleness of applied messages: the number of server updates between a worker's read of x
/// and the application of its message.
struct StalenessStats {
  Index messages = 0;  ///< messages applied
  double mean = 0.0;   ///< mean staleness (0 when no message)
  Index max = 0;       ///< largest staleness
};

/// State after an epoch (epoch 0: the starting point), handed to the progress callback on the
/// thread that called the optimiser (rank 0 under MPI).
struct Progress {
  Index epoch = 0;                 ///< epochs completed
  const Vector<double>* x = nullptr;  ///< the server's iterate; valid during the callback only
  double objective = 0.0;          ///< f(x) + h(x), NaN when the objective has no value()
  double relaxation = 1.0;         ///< gamma in use at the end of the epoch
  StalenessStats epoch_staleness;  ///< messages of this epoch
  StalenessStats total_staleness;  ///< all messages so far
};

/// Outcome of a run: the final server iterate and its statistics.
struct OptimResult {
  Vector<double> x;                ///< final iterate
  Index epochs = 0;                ///< epochs completed (fewer than asked when the callback stopped)
  double relaxation = 1.0;         ///< final gamma
  StalenessStats staleness;        ///< all applied messages
};

/// The callback that does nothing (and lets the optimiser skip computing objective values).
struct NoProgress {
  bool operator()(const Progress&) const { return true; }
};

namespace detail {
/// Calls a progress callback; one returning bool stops the run by returning false.
template <class Callback>
bool report(Callback& callback, const Progress& progress) {
  static_assert(std::is_invocable_v<Callback&, const Progress&>,
                "nercc::optim: the progress callback must be callable as callback(const nercc::optim::Progress&), "
                "returning void or bool (false stops the run)");
  if constexpr (std::is_same_v<std::invoke_result_t<Callback&, const Progress&>, void>) {
    callback(progress);
    return true;
  } else {
    return bool(callback(progress));
  }
}
}  // namespace detail

}  // namespace optim
NERCC_NAMESPACE_END
