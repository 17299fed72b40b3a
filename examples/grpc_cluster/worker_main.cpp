// nercc_grpc_worker: one worker of the cluster demo. Serves LeNet5 logits for batches of
// (coded) Fashion-MNIST images over gRPC (127.0.0.1 unless --host says otherwise), adding an injected service delay per
// call. Prints "listening PORT" on stdout once it serves; stops on SIGTERM/SIGINT or after
// --lifetime-s seconds, whichever comes first.
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
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace {

const char* const usage = R"(usage: nercc_grpc_worker [options]
  --host ADDR             address to listen on (default 127.0.0.1)
  --port N                port; 0 picks a free one (default 0)
  --model lenet5|smoke    weights to serve (default lenet5), from the weight cache
  --cache-dir DIR         weight cache (default: the Fashion-MNIST example's)
  --seed N                seed of the injected delays (default 1)
  --lifetime-s X          stop by itself after this long (default 900)
)";

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string model = "lenet5";
  std::string cache_dir;
  std::uint64_t seed = 1;
  double lifetime_s = 900;
  nercc_cluster::LatencyParams latency;
};

Args parse_args(int argc, char** argv) {
  using nercc_cluster::parse_integer;
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("%s%s", usage, nercc_cluster::latency_usage());
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string value = argv[++i];
    if (a.latency.parse(flag, value)) continue;
    if (flag == "--host") a.host = value;
    else if (flag == "--port") a.port = int(parse_integer(flag, value));
    else if (flag == "--model") a.model = value;
    else if (flag == "--cache-dir") a.cache_dir = value;
    else if (flag == "--seed") a.seed = std::uint64_t(parse_integer(flag, value));
    else if (flag == "--lifetime-s") a.lifetime_s = nercc_cluster::parse_real(flag, value);
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (a.port < 0 || a.port > 65535) throw std::invalid_argument("--port must lie in [0, 65535]");
  if (!(a.lifetime_s > 0)) throw std::invalid_argument("--lifetime-s must be > 0");
  a.latency.validate();
  return a;
}

class WorkerService final : public nercc_cluster::Worker::Service {
 public:
  WorkerService(nercc_examples::Classifier model, nercc_cluster::LatencyParams latency, std::uint64_t seed)
      : model_(std::move(model)), latency_(latency), rng_(seed) {}

  grpc::Status Infer(grpc::ServerContext* context, const nercc_cluster::InferRequest* request,
                     nercc_cluster::InferReply* reply) override {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto in_dim = nercc_examples::Classifier::input_dim, out_dim = nercc_examples::Classifier::num_classes;
    const std::int64_t rows = request->rows();
    if (rows < 1 || request->cols() != in_dim || request->data_size() != rows * in_dim)
      return {grpc::StatusCode::INVALID_ARGUMENT, "expected rows x 784 images"};
    reply->set_rows(std::uint32_t(rows));
    reply->set_cols(std::uint32_t(out_dim));
    reply->mutable_data()->Resize(int(rows * out_dim), 0.0f);
    model_.logits_into(request->data().data(), rows, reply->mutable_data()->mutable_data(), 1);

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
  nercc_examples::Classifier model_;
  nercc_cluster::LatencyParams latency_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
};

int run(const Args& a) {
  // Block the stop signals before gRPC starts threads, so only sigtimedwait below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  nercc_examples::TrainOptions options;
  options.cache_dir = a.cache_dir;
  options.progress = false;
  const auto trained = nercc_examples::train_or_load(nercc_cluster::model_config(a.model), options);

  WorkerService service(trained.classifier, a.latency, a.seed);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(a.host + ":" + std::to_string(a.port), grpc::InsecureServerCredentials(), &port);
  // Accept the front end's keepalive pings however often they come (see ChannelSettings in
  // grpc_transport.hpp), instead of answering them with GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "nercc_grpc_worker: cannot listen on %s:%d\n", a.host.c_str(), a.port);
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);

  timespec timeout{};
  timeout.tv_sec = time_t(a.lifetime_s);
  timeout.tv_nsec = long((a.lifetime_s - double(timeout.tv_sec)) * 1e9);
  siginfo_t info;
  while (sigtimedwait(&stop, &info, &timeout) < 0 && errno == EINTR) {
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return nercc_cluster::run_main("nercc_grpc_worker", usage, argc, argv, parse_args, run); }
