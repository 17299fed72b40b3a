// The cluster demo's worker server, whatever model it serves: the gRPC Worker service over a
// ServedModel, the injected delay per call, the listening port printed as "listening PORT",
// and the stop on SIGTERM/SIGINT or after the lifetime. worker_main.cpp serves LeNet5 with it,
// examples/related_queries/worker_main.cpp the forecaster.
#pragma once

#include "cluster_common.hpp"
#include "worker.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace nercc_cluster {

/// What a worker computes: rows x input_dim floats in, rows x output_dim floats out (both
/// row-major). `run` is called from several gRPC threads at once.
struct ServedModel {
  std::int64_t input_dim = 0;
  std::int64_t output_dim = 0;
  std::function<void(const float* in, std::int64_t rows, float* out)> run;
};

/// The options of every worker, whatever it serves.
struct WorkerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::uint64_t seed = 1;  ///< seed of the injected delays
  double lifetime_s = 900;
  LatencyParams latency;
};

inline const char* worker_options_usage() {
  return R"(  --host ADDR             address to listen on (default 127.0.0.1)
  --port N                port; 0 picks a free one (default 0)
  --seed N                seed of the injected delays (default 1)
  --lifetime-s X          stop by itself after this long (default 900)
)";
}

/// Parses `flag value` pairs: WorkerOptions' own flags here, the others by
/// model_flag(flag, value), which returns whether it knew the flag. --help prints `usage`, the
/// common flags and the delay flags, and exits. Throws std::invalid_argument naming the flag.
template <class ModelFlag>
WorkerOptions parse_worker_options(int argc, char** argv, const char* usage, ModelFlag model_flag) {
  WorkerOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("%s%s%s", usage, worker_options_usage(), latency_usage());
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string value = argv[++i];
    if (o.latency.parse(flag, value)) continue;
    if (flag == "--host") o.host = value;
    else if (flag == "--port") o.port = int(parse_integer(flag, value));
    else if (flag == "--seed") o.seed = std::uint64_t(parse_integer(flag, value));
    else if (flag == "--lifetime-s") o.lifetime_s = parse_real(flag, value);
    else if (!model_flag(flag, value)) throw std::invalid_argument("unknown option " + flag);
  }
  if (o.port < 0 || o.port > 65535) throw std::invalid_argument("--port must lie in [0, 65535]");
  if (!(o.lifetime_s > 0)) throw std::invalid_argument("--lifetime-s must be > 0");
  o.latency.validate();
  return o;
}

namespace worker_detail {

class WorkerService final : public Worker::Service {
 public:
  WorkerService(ServedModel model, LatencyParams latency, std::uint64_t seed)
      : model_(std::move(model)), latency_(latency), rng_(seed) {}

  grpc::Status Infer(grpc::ServerContext* context, const InferRequest* request, InferReply* reply) override {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const std::int64_t rows = request->rows(), in = model_.input_dim, out = model_.output_dim;
    if (rows < 1 || request->cols() != in || request->data_size() != rows * in)
      return {grpc::StatusCode::INVALID_ARGUMENT, "expected rows x " + std::to_string(in) + " inputs"};
    reply->set_rows(std::uint32_t(rows));
    reply->set_cols(std::uint32_t(out));
    reply->mutable_data()->Resize(int(rows * out), 0.0f);
    model_.run(request->data().data(), rows, reply->mutable_data()->mutable_data());

    double delay_ms;
    {
      std::lock_guard<std::mutex> guard(rng_mutex_);
      delay_ms = latency_.sample_ms(rng_);
    }
    // A cancelled call (the front end decoded without it) frees this thread early, as a real
    // server would stop working on it.
    const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(delay_ms));
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      std::this_thread::sleep_for(std::min<Clock::duration>(until - now, std::chrono::milliseconds(1)));
    }
    return grpc::Status::OK;
  }

 private:
  ServedModel model_;
  LatencyParams latency_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
};

}  // namespace worker_detail

/// Serves the model that load() returns (a ServedModel) until SIGTERM/SIGINT or o.lifetime_s,
/// whichever comes first; prints "listening PORT" on stdout once it serves. Returns the exit code.
template <class Load>
int serve_worker(const char* program, const WorkerOptions& o, Load load) {
  // Block the stop signals before LibTorch or gRPC start threads, so only sigtimedwait below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  ServedModel model = load();
  if (model.input_dim < 1 || model.output_dim < 1 || !model.run)
    throw std::logic_error("serve_worker: the loaded model has no dimensions or no run function");
  worker_detail::WorkerService service(std::move(model), o.latency, o.seed);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.host + ":" + std::to_string(o.port), grpc::InsecureServerCredentials(), &port);
  // Accept the front end's keepalive pings however often they come (see ChannelSettings in
  // grpc_transport.hpp), instead of answering them with GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "%s: cannot listen on %s:%d\n", program, o.host.c_str(), o.port);
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);

  timespec timeout{};
  timeout.tv_sec = time_t(o.lifetime_s);
  timeout.tv_nsec = long((o.lifetime_s - double(timeout.tv_sec)) * 1e9);
  siginfo_t info;
  while (sigtimedwait(&stop, &info, &timeout) < 0 && errno == EINTR) {
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}

}  // namespace nercc_cluster
