// ThreadExecutor: asynchronous workers as threads of this process (nercc::nercc links Threads).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/optim/detail/engine.hpp>
#include <nercc/optim/detail/slowdown.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Runs the workers as num_workers threads; the calling thread is the server. A worker takes
/// its next task once its last message has been applied. Worker
/// slow_worker (if >= 0) sleeps (slow_factor - 1) times its compute time after each message,
/// so it is slow_factor times slower: a straggler. The objective's const members are called
/// from all workers at once. An exception thrown by a worker or the objective stops the run
/// and is rethrown to the caller. run() is const; separate runs may use one executor at once.
struct ThreadExecutor {
  Index num_workers = 4;     ///< worker threads, >= 1
  Index slow_worker = -1;    ///< index of the straggler, or -1 for none
  double slow_factor = 1.0;  ///< >= 1: how many times slower the straggler is

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using nercc::detail::message;
    if (num_workers < 1) throw invalid_argument(message("num_workers (", num_workers, ") must be >= 1"));
    if (slow_worker < -1 || slow_worker >= num_workers)
      throw invalid_argument(message("slow_worker (", slow_worker, ") must be -1 or in [0, num_workers = ", num_workers, ")"));
    if (!(slow_factor >= 1.0) || !std::isfinite(slow_factor))
      throw invalid_argument(message("slow_factor (", slow_factor, ") must be finite and >= 1"));
  }

  template <class Engine>
  void run(Engine& engine) const {
    validate();
    std::mutex mutex;
    std::condition_variable work_ready, message_ready;
    bool stop = false;
    Index submitted = 0;
    std::vector<char> waiting(std::size_t(num_workers), 0);  // message sent, not yet applied
    std::exception_ptr failure;

    const auto halt = [&](std::exception_ptr e) {
      std::lock_guard<std::mutex> lock(mutex);
      if (e && !failure) failure = e;
      stop = true;
      work_ready.notify_all();
      message_ready.notify_all();
    };
    const auto worker = [&](Index id) {
      try {
        detail::Workspace ws;
        Vector<double> y, payload;
        for (;;) {
          detail::Task task;
          {
            std::unique_lock<std::mutex> lock(mutex);
            work_ready.wait(lock, [&] { return stop || (!waiting[std::size_t(id)] && engine.can_dispatch()); });
            if (stop) return;
            task = engine.dispatch(id);
            y = engine.x();
          }
          detail::run_slowed(id == slow_worker, slow_factor, [&] { engine.compute(task, y, payload, ws); });
          std::lock_guard<std::mutex> lock(mutex);
          engine.submit(task, std::move(payload));
          waiting[std::size_t(id)] = 1;
          ++submitted;
          message_ready.notify_one();
        }
      } catch (...) {
        halt(std::current_exception());
      }
    };

    std::vector<std::thread> threads;
    try {
      for (Index w = 0; w < num_workers; ++w) threads.emplace_back(worker, w);
      std::unique_lock<std::mutex> lock(mutex);
      Index seen = 0;
      while (!stop && engine.next_epoch()) {
        work_ready.notify_all();
        while (!stop && !engine.epoch_complete()) {
          message_ready.wait(lock, [&] { return stop || submitted != seen; });
          seen = submitted;
          if (engine.apply_ready([&](const detail::Task& t) { waiting[std::size_t(t.worker)] = 0; }) > 0)
            work_ready.notify_all();
        }
      }
    } catch (...) {
      halt(std::current_exception());
    }
    halt(nullptr);
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }
};

}  // namespace optim
NERCC_NAMESPACE_END
