// SimulatedExecutor: asynchronous workers simulated in one thread with scripted delays.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/optim/detail/engine.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Runs W simulated workers on a virtual clock: worker w reads x when it takes a task and its
/// message arrives delay(w, k) time units later (k counts w's messages from 0); arrivals are
/// processed in time order, ties by worker index, and w takes its next task once its message
/// is applied. The run is a deterministic function of the
/// delays, so staleness patterns can be scripted (W equal delays give staleness W - 1).
/// run() is const and reentrant; the delay function is called on the caller's thread.
class SimulatedExecutor {
 public:
  using DelayFunction = std::function<double(Index worker, Index message)>;

  /// W workers with delays from `delay` (finite, >= 0).
  SimulatedExecutor(Index num_workers, DelayFunction delay) : workers_(num_workers), delay_(std::move(delay)) {
    if (workers_ < 1) throw invalid_argument(nercc::detail::message("num_workers (", workers_, ") must be >= 1"));
    if (!delay_) throw invalid_argument("delay must be a callable, not empty");
  }
  /// One worker per entry, each with a constant delay.
  explicit SimulatedExecutor(std::vector<double> delays)
      : SimulatedExecutor(Index(delays.size()), [d = delays](Index w, Index) { return d[std::size_t(w)]; }) {}

  Index num_workers() const { return workers_; }

  template <class Engine>
  void run(Engine& engine) const {
    struct InFlight {
      double arrival;
      detail::Task task;
      Vector<double> payload;
    };
    detail::Workspace ws;
    std::vector<Index> sent(std::size_t(workers_), 0);
    double now = 0.0;
    while (engine.next_epoch()) {
      std::vector<InFlight> flight;
      std::vector<bool> idle(std::size_t(workers_), true);
      while (!engine.epoch_complete()) {
        for (Index w = 0; w < workers_ && engine.can_dispatch(); ++w) {
          if (!idle[std::size_t(w)]) continue;
          InFlight f{now + checked_delay(w, sent[std::size_t(w)]++), engine.dispatch(w), {}};
          engine.compute(f.task, engine.x(), f.payload, ws);  // the worker reads x now
          idle[std::size_t(w)] = false;
          flight.push_back(std::move(f));
        }
        auto next = flight.begin();
        for (auto it = flight.begin(); it != flight.end(); ++it)
          if (it->arrival < next->arrival || (it->arrival == next->arrival && it->task.worker < next->task.worker))
            next = it;
        now = next->arrival;
        engine.submit(next->task, std::move(next->payload));
        flight.erase(next);
        engine.apply_ready([&](const detail::Task& t) { idle[std::size_t(t.worker)] = true; });
      }
    }
  }

 private:
  double checked_delay(Index worker, Index message) const {
    const double d = delay_(worker, message);
    if (!(d >= 0.0) || !std::isfinite(d))
      throw invalid_argument(nercc::detail::message("delay(", worker, ", ", message, ") (", d, ") must be finite and >= 0"));
    return d;
  }

  Index workers_;
  DelayFunction delay_;
};

}  // namespace optim
NERCC_NAMESPACE_END
