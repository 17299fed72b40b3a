// The cluster demo's asynchronous gRPC client as a nercc::runtime transport: one channel per
// worker and one completion queue polled by a thread of its own.
#pragma once

#include "worker.grpc.pb.h"

#include <nercc/runtime.hpp>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <thread>
#include <vector>

namespace nercc_cluster {

/// Reconnection and liveness settings of the transport's channels; 0 keeps gRPC's default.
/// The fault run (faults_main.cpp) uses fault_tolerant(); the demo keeps gRPC's defaults.
///
/// Backoff (gRPC core, per channel): after a connection is lost or an attempt fails, the
/// channel waits initial_backoff_ms, then multiplies the wait by 1.6 (with +-20% jitter) per
/// failed attempt up to max_backoff_ms, and gives each attempt at least connect_timeout_ms.
/// gRPC's defaults are 1 s, 120 s and 20 s: a worker back after a minute could wait two more.
/// An RPC started while its channel is in TRANSIENT_FAILURE fails at once (no wait_for_ready),
/// which the runtime counts as a failed answer.
///
/// Keepalive: with keepalive_time_ms set, the client sends an HTTP/2 PING after that long
/// without reads and closes the connection when no ack comes within keepalive_timeout_ms,
/// failing the calls on it. This is what detects a worker that is frozen (SIGSTOP: its kernel
/// still ACKs, the TCP connection stays open) or cut off by a partition, instead of sending
/// every call down a dead connection until its deadline. The worker must accept pings this
/// often (worker_main.cpp: no minimum interval, no strikes).
struct ChannelSettings {
  int initial_backoff_ms = 0;  ///< GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS (default 1000)
  int max_backoff_ms = 0;      ///< GRPC_ARG_MAX_RECONNECT_BACKOFF_MS (default 120000)
  int connect_timeout_ms = 0;  ///< GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: minimum connect timeout (default 20000)
  int keepalive_time_ms = 0;   ///< GRPC_ARG_KEEPALIVE_TIME_MS (default: no pings)
  int keepalive_timeout_ms = 0;  ///< GRPC_ARG_KEEPALIVE_TIMEOUT_MS (default 20000)

  /// What the fault run uses: a lost connection is retried after 100 ms, then at most every
  /// second, each attempt given 1 s; a silent connection is closed after 1 s + 1 s, pinging
  /// also without calls in flight and with no limit on pings without data.
  static ChannelSettings fault_tolerant() { return {100, 1000, 1000, 1000, 1000}; }

  grpc::ChannelArguments arguments() const {
    grpc::ChannelArguments args;
    if (initial_backoff_ms > 0) args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, initial_backoff_ms);
    if (max_backoff_ms > 0) args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_backoff_ms);
    if (connect_timeout_ms > 0) args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, connect_timeout_ms);
    if (keepalive_time_ms > 0) {
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, keepalive_time_ms);
      args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
      args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
      args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, keepalive_time_ms);
    }
    if (keepalive_timeout_ms > 0) args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, keepalive_timeout_ms);
    return args;
  }
};

/// Workers at host:port targets, one channel each, and one completion queue polled by a thread of
/// its own. call() is nercc::runtime's asynchronous transport: it starts the RPC (bounded by
/// rpc_timeout) and returns at once; the poller completes the runtime's Completion with the
/// reply, or fails it; the cancel handle is ClientContext::TryCancel. Thread-safe: call() may
/// run on many threads at once.
class GrpcTransport {
 public:
  using Index = nercc::Index;
  using Matrix = nercc::RowMatrix<float>;

  /// Workers on 127.0.0.1:port, gRPC's default channel settings.
  GrpcTransport(const std::vector<int>& ports, std::chrono::milliseconds rpc_timeout)
      : GrpcTransport(loopback_targets(ports), rpc_timeout, ChannelSettings{}) {}

  /// Workers at "host:port" targets, one channel each with `settings`.
  GrpcTransport(const std::vector<std::string>& targets, std::chrono::milliseconds rpc_timeout,
                const ChannelSettings& settings)
      : rpc_timeout_(rpc_timeout) {
    for (const auto& target : targets) {
      auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), settings.arguments());
      channels_.push_back(channel);
      stubs_.push_back(Worker::NewStub(channel));
    }
    poller_ = std::thread([this] { poll_loop(); });
  }
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;
  /// Waits for every outstanding RPC (each is bounded by rpc_timeout) and stops the poller.
  ~GrpcTransport() {
    cq_.Shutdown();
    poller_.join();
  }

  /// Whether every channel connected within `timeout`.
  bool wait_connected(std::chrono::seconds timeout) {
    const auto until = std::chrono::system_clock::now() + timeout;
    for (auto& c : channels_)
      if (!c->WaitForConnected(until)) return false;
    return true;
  }

  /// The transport to hand a Runtime<float>. It holds a plain pointer: the runtime's shared
  /// state can outlive the runtime in completions the poller still holds, and must not keep
  /// this object (and so its poller thread) alive. Shut the runtime down before destroying this.
  auto transport() {
    return [this](Index worker, const Eigen::Ref<const Matrix>& coded, nercc::runtime::Completion<float> done) {
      return call(worker, coded, std::move(done));
    };
  }

  /// Starts the RPC of one call to `worker`.
  nercc::runtime::CancelHandle call(Index worker, const Eigen::Ref<const Matrix>& coded,
                                    nercc::runtime::Completion<float> done) {
    auto c = std::make_shared<Call>(std::move(done));
    InferRequest request;
    request.set_rows(std::uint32_t(coded.rows()));
    request.set_cols(std::uint32_t(coded.cols()));
    auto* data = request.mutable_data();
    data->Reserve(int(coded.size()));
    for (Index r = 0; r < coded.rows(); ++r)
      for (Index j = 0; j < coded.cols(); ++j) data->AddAlreadyReserved(coded(r, j));
    c->context.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    c->rpc = stubs_[std::size_t(worker)]->PrepareAsyncInfer(&c->context, request, &cq_);
    c->rpc->StartCall();
    // The queue's tag owns one reference until the poller sees the RPC finish.
    c->rpc->Finish(&c->reply, &c->status, new std::shared_ptr<Call>(c));
    return [weak = std::weak_ptr<Call>(c)] {
      if (auto alive = weak.lock()) alive->context.TryCancel();
    };
  }

 private:
  struct Call {
    explicit Call(nercc::runtime::Completion<float> d) : done(std::move(d)) {}
    nercc::runtime::Completion<float> done;
    grpc::ClientContext context;
    InferReply reply;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<InferReply>> rpc;
  };

  static std::vector<std::string> loopback_targets(const std::vector<int>& ports) {
    std::vector<std::string> targets;
    for (int port : ports) targets.push_back("127.0.0.1:" + std::to_string(port));
    return targets;
  }

  void poll_loop() {
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      const std::unique_ptr<std::shared_ptr<Call>> owner(static_cast<std::shared_ptr<Call>*>(tag));
      Call& c = **owner;
      const auto& r = c.reply;
      if (ok && c.status.ok() && r.data_size() == int(r.rows()) * int(r.cols()))
        c.done(Eigen::Map<const Matrix>(r.data().data(), Index(r.rows()), Index(r.cols())));
      else c.done.fail();
    }
  }

  std::chrono::milliseconds rpc_timeout_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<Worker::Stub>> stubs_;
  grpc::CompletionQueue cq_;
  std::thread poller_;
};

}  // namespace nercc_cluster
