// Runs a plan on nercc::runtime with a simulated transport: Poisson arrivals and worker answers
// delayed by latency(b) * X, X drawn from the straggler model, on a ManualClock moved from event
// to event (nothing sleeps). Shared by the planner tests and examples/plan.
#pragma once

#include <nercc/plan.hpp>
#include <nercc/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <vector>

namespace plan_checks {

using Mat = nercc::RowMatrix<double>;

/// A smooth classifier R^d -> R^m: tanh(x W), W fixed by the seed.
struct ToyClassifier {
  Mat w;
  ToyClassifier(nercc::Index d, nercc::Index m, std::uint64_t seed) : w(d, m) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> normal(0.0, 1.0 / std::sqrt(double(d)));
    for (nercc::Index i = 0; i < w.size(); ++i) w.data()[i] = normal(g);
  }
  Mat operator()(const Mat& x) const { return Mat((x * w).array().tanh()); }
};

inline Mat gaussian_queries(nercc::Index rows, nercc::Index d, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Mat x(rows, d);
  for (nercc::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(g);
  return x;
}

struct RuntimeRun {
  /// Query latency on the runtime's clock (seconds); a failed query (its group's deadline passed
  /// without an answer for it) counts as +infinity.
  double p50 = 0.0, p99 = 0.0;
  double rel_acc = 0.0;  ///< argmax agreement with the model on the plain query (failed: disagree)
  long queries = 0, ok = 0;
  std::vector<nercc::runtime::GroupLog> logs;  ///< the runtime's record of every group
};

inline nercc::Index argmax(const Eigen::Ref<const Mat>& row) {
  nercc::Index best = 0;
  for (nercc::Index c = 1; c < row.cols(); ++c)
    if (row(0, c) > row(0, best)) best = c;
  return best;
}

/// Runs `groups` groups of plan `p` (b K queries each, one call of b coded queries per worker)
/// through a Runtime on queries `x` (one row per query, reused cyclically).
inline RuntimeRun run_on_runtime(const nercc::plan::Plan& p, const nercc::plan::PlanRequest& r,
                                 const nercc::plan::StragglerModel& model, const ToyClassifier& f, const Mat& x,
                                 long groups, std::uint64_t seed) {
  namespace rt = nercc::runtime;
  using std::chrono::duration;
  const double scale = nercc::plan::detail::batch_latency(r, p.batch_size);
  auto clock = std::make_shared<rt::ManualClock>();
  struct Call {
    double due;
    rt::Completion<double> done;
    Mat output;
    bool cancelled = false;
  };
  auto later = [](const std::shared_ptr<Call>& a, const std::shared_ptr<Call>& b) { return a->due > b->due; };
  std::priority_queue<std::shared_ptr<Call>, std::vector<std::shared_ptr<Call>>, decltype(later)> due(later);
  std::mutex m;
  std::mt19937_64 g(seed);
  double now = 0.0;
  auto transport = [&](nercc::Index, const Eigen::Ref<const Mat>& input, rt::Completion<double> done) -> rt::CancelHandle {
    auto call = std::make_shared<Call>(Call{0.0, done, f(Mat(input))});
    std::lock_guard<std::mutex> guard(m);
    call->due = now + scale * model.sample(g);
    due.push(call);
    return [&m, call] {
      std::lock_guard<std::mutex> guard2(m);
      call->cancelled = true;
    };
  };
  rt::RuntimeParams params = nercc::plan::to_runtime_params(p, r, x.cols(), f.w.cols());
  params.admission_capacity = 1u << 16;
  params.max_inflight_groups = 1u << 12;
  params.stage_capacity = 1u << 12;
  std::mutex log_mutex;
  std::vector<rt::GroupLog> logs;
  params.group_log = [&](const rt::GroupLog& record) {
    std::lock_guard<std::mutex> guard(log_mutex);
    logs.push_back(record);
  };
  rt::Runtime<double> runtime(params, transport, clock);

  const long total = groups * long(p.num_queries * p.batch_size);
  std::vector<double> latency;
  latency.reserve(std::size_t(total));
  std::atomic<long> outcomes{0}, agree{0}, ok{0};
  std::exponential_distribution<double> gap(r.arrival_rate);
  double next_arrival = gap(g);
  long submitted = 0;
  auto advance_to = [&](double t) {
    if (t > now) {
      clock->advance(std::chrono::duration_cast<rt::Duration>(duration<double>(t - now)));
      std::lock_guard<std::mutex> guard(m);
      now = t;
    }
  };
  std::mutex results;
  while (outcomes.load() < total) {
    std::shared_ptr<Call> next;
    {
      std::lock_guard<std::mutex> guard(m);
      if (!due.empty() && (submitted == total || due.top()->due <= next_arrival)) next = due.top(), due.pop();
    }
    if (next) {
      advance_to(next->due);
      if (!next->cancelled) next->done(next->output);
    } else if (submitted < total) {
      advance_to(next_arrival);
      {
        // Drawn before submit: the dispatch thread draws worker times from g during it.
        std::lock_guard<std::mutex> guard(m);
        next_arrival = now + gap(g);
      }
      const Mat q = x.row(submitted % x.rows());
      const nercc::Index truth = argmax(f(q));
      runtime.submit(q, [&, truth](rt::QueryOutcome<double>&& o) {
        std::lock_guard<std::mutex> guard(results);
        latency.push_back(o.ok() ? o.latency_seconds : std::numeric_limits<double>::infinity());
        if (o.ok()) ++ok, agree += argmax(o.value) == truth ? 1 : 0;
        ++outcomes;
      });
      ++submitted;
    } else {
      advance_to(now + r.slo_seconds);  // nothing due: let timeouts and deadlines fire
    }
    runtime.wait_idle();
  }
  runtime.shutdown();
  RuntimeRun out;
  std::sort(latency.begin(), latency.end());
  out.queries = total;
  out.ok = ok.load();
  out.p50 = nercc::plan::detail::order_quantile(latency, 0.5);
  out.p99 = nercc::plan::detail::order_quantile(latency, 0.99);
  out.rel_acc = double(agree.load()) / double(total);
  out.logs = std::move(logs);
  return out;
}

}  // namespace plan_checks
