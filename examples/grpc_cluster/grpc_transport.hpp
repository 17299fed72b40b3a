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

/// Workers on 127.0.0.1:port, one channel each, and one completion queue polled by a thread of
/// its own. call() is nercc::runtime's asynchronous transport: it starts the RPC (bounded by
/// rpc_timeout) and returns at once; the poller completes the runtime's Completion with the
/// reply, or fails it; the cancel handle is ClientContext::TryCancel. Thread-safe: call() may
/// run on many threads at once.
class GrpcTransport {
 public:
  using Index = nercc::Index;
  using Matrix = nercc::RowMatrix<float>;

  GrpcTransport(const std::vector<int>& ports, std::chrono::milliseconds rpc_timeout) : rpc_timeout_(rpc_timeout) {
    for (int port : ports) {
      auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
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
