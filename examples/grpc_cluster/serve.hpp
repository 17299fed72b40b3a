// What the cluster's drivers (the frontier sweep, the planner check) share: the Fashion-MNIST
// test queries with the served model's own answers, the worker processes' arguments,
// serve_queries(), which submits any model's queries at given times through nercc::runtime over
// gRPC (the related-query sweep uses it too), and serve(), which counts what came back for LeNet5.
#pragma once

#include "cluster_common.hpp"
#include "fallback_model.hpp"
#include "grpc_transport.hpp"
#include "turn_result.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nercc_cluster {

/// Test images, their labels and the served model's logits and class for each.
struct Dataset {
  std::vector<float> images;  // count x 784
  std::vector<std::uint8_t> labels;
  nercc::RowMatrix<float> reference;  // count x 10
  std::vector<int> reference_class;
  nercc::Index count = 0;
};

inline int argmax(const float* logits, nercc::Index m) { return int(std::max_element(logits, logits + m) - logits); }

/// The served model (cache, else trained with a progress bar when `progress`): loaded by the
/// driver first, so the workers only ever load it from the cache.
inline nercc_examples::TrainResult load_model(const std::string& model, const std::string& cache_dir,
                                              const std::string& data_dir, bool progress) {
  nercc_examples::TrainOptions options;
  options.cache_dir = cache_dir;
  options.data_dir = data_dir;
  options.progress = progress;
  return nercc_examples::train_or_load(model_config(model), options);
}

/// The first `count` test images and the served model's answers to them.
inline Dataset load_dataset(const nercc_examples::Classifier& model, const std::string& data_dir, std::int64_t count) {
  const auto test = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(data_dir), "t10k", count);
  Dataset d;
  d.count = nercc::Index(test.count);
  d.images = test.images;
  d.labels = test.labels;
  d.reference = model.logits(Eigen::Map<const nercc::RowMatrix<float>>(d.images.data(), d.count, 784), 2);
  for (nercc::Index i = 0; i < d.count; ++i) d.reference_class.push_back(argmax(d.reference.row(i).data(), d.reference.cols()));
  return d;
}

/// Arguments of `count` worker processes: an ephemeral port each, the model, a seed per worker
/// for its injected delays, and a lifetime that bounds it even if the driver hangs.
inline std::vector<std::vector<std::string>> worker_argvs(int count, const std::string& model, const std::string& cache_dir,
                                                          std::uint64_t seed, double lifetime_seconds,
                                                          const LatencyParams& latency) {
  std::vector<std::vector<std::string>> argvs;
  for (int w = 0; w < count; ++w) {
    std::vector<std::string> v = {"--port", "0", "--model", model, "--seed", std::to_string(seed * 1000 + std::uint64_t(w))};
    if (!cache_dir.empty()) v.insert(v.end(), {"--cache-dir", cache_dir});
    v.insert(v.end(), {"--lifetime-s", std::to_string(lifetime_seconds)});
    for (auto& f : latency.to_args()) v.push_back(f);
    argvs.push_back(std::move(v));
  }
  return argvs;
}

/// What the report says about the fallback model.
struct FallbackInfo {
  double agreement = 0;       // argmax agreement with the served model on the test images
  double accuracy = 0;        // the fallback's accuracy on their labels
  double model_accuracy = 0;  // the served model's accuracy on them
  std::int64_t test_images = 0, train_images = 0;
  double ridge = 0;
};

inline double label_accuracy(const nercc::RowMatrix<float>& logits, const std::vector<std::uint8_t>& labels) {
  std::int64_t right = 0;
  for (nercc::Index i = 0; i < logits.rows(); ++i)
    right += argmax(logits.row(i).data(), logits.cols()) == labels[std::size_t(i)];
  return double(right) / double(logits.rows());
}

/// The fallback model measured on the test images against the served model and the labels.
inline FallbackInfo describe_fallback(const LinearFallback& fallback, const Dataset& data, std::int64_t train_images) {
  FallbackInfo fb;
  const nercc::RowMatrix<float> logits =
      fallback.logits(Eigen::Map<const nercc::RowMatrix<float>>(data.images.data(), data.count, 784));
  fb.agreement = argmax_agreement(logits, data.reference);
  fb.accuracy = label_accuracy(logits, data.labels);
  fb.model_accuracy = label_accuracy(data.reference, data.labels);
  fb.test_images = data.count;
  fb.train_images = train_images;
  fb.ridge = fallback.ridge();
  return fb;
}

/// How serve() runs one configuration.
struct ServeRequest {
  std::vector<int> ports;                 ///< the workers the transport serves, in order
  nercc::runtime::RuntimeParams params;
  nercc::runtime::Fallback<float> fallback;  ///< empty: none
  std::int64_t first = 0;                 ///< query i serves test image (first + i) mod count
  std::vector<double> send_seconds;       ///< when query i is submitted, from the start; ascending
  std::chrono::milliseconds rpc_timeout{1000};
  std::chrono::milliseconds drain{10000};  ///< how long to wait for the last outcomes before shutdown
  std::function<void(std::int64_t)> before_submit;  ///< called before query i is submitted (may be empty)
};

/// Serves queries 0..count-1 (count = s.send_seconds.size()) at their times through a Runtime
/// over a fresh GrpcTransport, for any model: query(i) returns query i (1 x input_dim),
/// record(i, outcome) is called once per query that got an outcome, from a runtime thread
/// (distinct i never race, and everything record wrote is visible once this returns). Waits for
/// the outcomes, then shuts the runtime down, which gives every pending query one. Returns, per
/// query, whether it got an outcome (false: lost). `metrics` gets the runtime's counters.
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

/// What serve_recorded keeps of a query's outcome.
struct ServedRecord {
  bool done = false;  ///< it got an outcome (false: lost)
  bool ok = false;    ///< the outcome is an answer (false: an error, counted missing)
  bool hedged = false;
  double latency_ms = 0;
  nercc::runtime::Provenance provenance = nercc::runtime::Provenance::estimated;
  nercc::RowMatrix<float> value;  ///< the answer, 1 x output_dim
};

/// serve_queries keeping every query's outcome, and counting them in `turn` (queries, lost,
/// missing, ok, and the answers' latencies, provenance and backup copies); the caller judges
/// the answers' values.
template <class Query>
std::vector<ServedRecord> serve_recorded(const ServeRequest& s, Query query, TurnResult& turn,
                                        nercc::runtime::RuntimeMetrics& metrics) {
  namespace rt = nercc::runtime;
  const auto count = std::int64_t(s.send_seconds.size());
  std::vector<ServedRecord> records(static_cast<std::size_t>(count));
  const std::vector<bool> done = serve_queries(
      s, query,
      [&](std::int64_t i, rt::QueryOutcome<float>&& o) {
        ServedRecord& r = records[std::size_t(i)];
        r.ok = o.ok();
        if (!r.ok) return;
        r.latency_ms = o.latency_seconds * 1e3;
        r.provenance = o.provenance;
        r.hedged = o.hedged;
        r.value = std::move(o.value);
      },
      metrics);
  turn.queries += count;
  for (std::int64_t i = 0; i < count; ++i) {
    ServedRecord& r = records[std::size_t(i)];
    r.done = done[std::size_t(i)];
    if (!r.done) ++turn.lost;
    else if (!r.ok) ++turn.missing;
    else {
      ++turn.ok;
      turn.latency_ms.push_back(r.latency_ms);
      ++turn.provenance[rt::to_string(r.provenance)];
      if (r.hedged) ++turn.hedged;
    }
  }
  return records;
}

/// serve_queries on the Fashion-MNIST test images (query i: image (first + i) mod count),
/// counted against the served model's own classes.
inline TurnResult serve(const ServeRequest& s, const Dataset& data, nercc::runtime::RuntimeMetrics& metrics) {
  const nercc::Index m_out = nercc_examples::Classifier::num_classes;
  const auto row_of = [&](std::int64_t i) { return nercc::Index((s.first + i) % data.count); };
  TurnResult t;
  const std::vector<ServedRecord> records = serve_recorded(
      s, [&](std::int64_t i) { return Eigen::Map<const nercc::RowMatrix<float>>(data.images.data() + row_of(i) * 784, 1, 784); },
      t, metrics);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ServedRecord& r = records[i];
    if (r.done && r.ok && argmax(r.value.data(), m_out) == data.reference_class[std::size_t(row_of(std::int64_t(i)))]) ++t.agree;
  }
  t.finish();
  return t;
}

}  // namespace nercc_cluster
