// Straggler emulation shared by the thread and MPI executors.
#pragma once

#include <nercc/config.hpp>

#include <chrono>
#include <thread>

NERCC_NAMESPACE_BEGIN
namespace optim {
namespace detail {

/// Runs work(); when slow, then sleeps (factor - 1) times as long as work() took, so the
/// caller is `factor` times slower than its peers whatever the machine.
template <class Work>
void run_slowed(bool slow, double factor, Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  if (slow) std::this_thread::sleep_for((factor - 1.0) * (std::chrono::steady_clock::now() - start));
}

}  // namespace detail
}  // namespace optim
NERCC_NAMESPACE_END
