// Shared test helpers for the runtime: a toy model and a scripted asynchronous transport.
#pragma once

#include <nercc/runtime.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

namespace nercc_test {

using nercc::Index;
using Mat = nercc::RowMatrix<double>;
namespace rt = nercc::runtime;

/// A smooth nonlinear model R^d -> R^2 standing in for a network.
inline Mat toy_model(const Eigen::Ref<const Mat>& x) {
  Mat y(x.rows(), 2);
  for (Index i = 0; i < x.rows(); ++i) {
    y(i, 0) = x.row(i).sum() + 0.5 * x(i, 0) * x(i, 0);
    y(i, 1) = std::sin(x.row(i).squaredNorm());
  }
  return y;
}

/// A small runtime: K queries of 3 inputs, 2 outputs, N workers, S stragglers, a 10 ms group
/// timeout and a 100 ms deadline; a little smoothing on both sides of the spline.
inline rt::RuntimeParams small_params(nercc::SchemeKind scheme, Index k = 4, Index n = 8, Index s = 2) {
  rt::RuntimeParams p;
  p.scheme = scheme;
  p.code.num_queries = k;
  p.code.num_workers = n;
  p.code.lambda_enc = 1e-3;
  p.code.lambda_dec = 1e-2;
  p.input_dim = 3;
  p.output_dim = 2;
  p.stragglers = s;
  p.group_timeout = std::chrono::milliseconds(10);
  p.deadline = std::chrono::milliseconds(100);
  return p;
}

/// Query i of a small test (1 x 3): distinct, nonlinear in i.
/// Query i: a 1 x 3 row of 0.1 (i + 1).
inline Mat constant_query(Index i) { return Mat::Constant(1, 3, 0.1 * double(i + 1)); }

inline Mat varied_query(Index i) {
  Mat x(1, 3);
  x << 0.1 * double(i + 1), -0.2 * double(i), 0.05 * double(i * i);
  return x;
}

using Futures = std::vector<std::future<rt::QueryOutcome<double>>>;

/// Submits varied_query(first) .. varied_query(first + count - 1) and waits until idle.
inline Futures submit_queries(rt::Runtime<double>& runtime, Index count, Index first = 0) {
  Futures f;
  for (Index i = 0; i < count; ++i) f.push_back(runtime.submit(varied_query(first + i)));
  runtime.wait_idle();
  return f;
}

inline bool ready(std::future<rt::QueryOutcome<double>>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

/// What a decision rule knows of a group.
inline rt::GroupShape group_shape(Index workers, Index min_answers, bool covers = false, Index queries = 0) {
  rt::GroupShape s;
  s.workers = workers;
  s.min_answers = min_answers;
  s.covers_queries = covers;
  s.queries = queries;
  return s;
}

/// Records every call; the test answers, fails or ignores them by hand.
struct ScriptedTransport {
  struct Call {
    Index worker;
    Mat input;
    rt::Completion<double> done;
    bool cancelled = false;
  };
  std::mutex m;
  std::vector<std::shared_ptr<Call>> calls;

  auto transport() {
    return [this](Index w, const Eigen::Ref<const Mat>& x, rt::Completion<double> done) -> rt::CancelHandle {
      auto call = std::make_shared<Call>(Call{w, x, done});
      std::lock_guard<std::mutex> guard(m);
      calls.push_back(call);
      return [this, call] {
        std::lock_guard<std::mutex> g(m);
        call->cancelled = true;
      };
    };
  }
  std::size_t size() {
    std::lock_guard<std::mutex> guard(m);
    return calls.size();
  }
  std::shared_ptr<Call> call_to(Index worker, std::size_t group_index = 0) {
    std::lock_guard<std::mutex> guard(m);
    std::size_t seen = 0;
    for (auto& c : calls)
      if (c->worker == worker && seen++ == group_index) return c;
    return nullptr;
  }
  /// Answers the call to `worker` with the toy model's output on its coded input.
  void answer(Index worker, std::size_t group_index = 0) {
    auto c = call_to(worker, group_index);
    c->done(toy_model(c->input));
  }
  bool cancelled(Index worker, std::size_t group_index = 0) {
    auto c = call_to(worker, group_index);
    std::lock_guard<std::mutex> guard(m);
    return c->cancelled;
  }
};

}  // namespace nercc_test
