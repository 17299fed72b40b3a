// The cluster's serving loop for any model: submits queries at given times through
// nercc::runtime over a fresh gRPC transport, waits for their outcomes, shuts the runtime down
// and hands every outcome to the caller. The caller says what query i is and what it keeps of
// its outcome; the timing, the hooks and the runtime's configuration come in the cluster's
// ServeRequest (../grpc_cluster/serve.hpp).
#pragma once

#include "../grpc_cluster/grpc_transport.hpp"
#include "../grpc_cluster/serve.hpp"

#include <nercc/runtime.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nercc_cluster {

/// Serves queries 0..count-1 (count = s.send_seconds.size()): query(i) returns query i
/// (1 x input_dim), record(i, outcome) is called once per query that got an outcome, from a
/// runtime thread (distinct i never race, and everything record wrote is visible once this
/// returns). s.first is the caller's to use in query(). Returns, per query, whether it got an
/// outcome (false: lost). `metrics` gets the runtime's counters.
template <class Query, class Record>
std::vector<bool> serve_queries(const ServeRequest& s, Query query, Record record,
                                nercc::runtime::RuntimeMetrics& metrics) {
  namespace rt = nercc::runtime;
  using Clock = std::chrono::steady_clock;
  auto cluster = std::make_unique<GrpcTransport>(s.ports, s.rpc_timeout);
  if (!cluster->wait_connected(std::chrono::seconds(30))) throw std::runtime_error("could not connect to the workers");

  const auto count = std::int64_t(s.send_seconds.size());
  std::vector<bool> done(static_cast<std::size_t>(count), false);
  std::mutex m;
  std::condition_variable cv;
  std::int64_t outcomes = 0;
  {
    // The runtime is shut down before `cluster` goes (see GrpcTransport::transport()).
    rt::Runtime<float> runtime(s.params, cluster->transport(), rt::steady_clock(), s.fallback);
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < count; ++i) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.send_seconds[std::size_t(i)])));
      if (s.before_submit) s.before_submit(i);
      runtime.submit(query(i), [&, i](rt::QueryOutcome<float>&& o) {
        record(i, std::move(o));
        std::lock_guard<std::mutex> guard(m);
        done[std::size_t(i)] = true;
        ++outcomes;
        cv.notify_all();
      });
    }
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait_until(lock, Clock::now() + s.drain, [&] { return outcomes == count; });
    }
    // Shutdown gives every query still pending an outcome (shut_down): none is lost silently.
    runtime.shutdown();
    metrics = runtime.metrics();
  }
  // Outstanding RPCs were cancelled at decode and are bounded by rpc_timeout: this is quick.
  cluster.reset();
  std::lock_guard<std::mutex> guard(m);
  return done;
}

}  // namespace nercc_cluster
