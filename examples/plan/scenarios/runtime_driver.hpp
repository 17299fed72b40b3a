// Runs a plan on nercc::runtime with nercc::runtime::SimulatedTransport: Poisson arrivals and
// worker answers delayed by latency(b) * X, X drawn from the straggler model, on a ManualClock
// moved from event to event (nothing sleeps). Shared by the planner tests and examples/plan.
#pragma once

#include <nercc/plan.hpp>
#include <nercc/runtime.hpp>
#include <nercc/runtime/from_plan.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
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
  const auto duration = [](double s) {
    return std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double>(s));
  };
  const double scale = nercc::plan::detail::batch_latency(r, p.batch_size);
  auto clock = std::make_shared<rt::ManualClock>();
  // One generator draws the arrivals here and the worker times in the transport (on the
  // runtime's dispatch thread, during submit and wait_idle).
  std::mt19937_64 g(seed);
  std::mutex g_mutex;
  rt::SimulatedTransport<double> workers(
      f,
      [&](nercc::Index, nercc::Index) {
        std::lock_guard<std::mutex> guard(g_mutex);
        return duration(scale * model.sample(g));
      },
      clock);
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
  rt::Runtime<double> runtime(params, workers.transport(), clock);

  const long total = groups * long(p.num_queries * p.batch_size);
  std::vector<double> latency;
  latency.reserve(std::size_t(total));
  std::atomic<long> outcomes{0}, agree{0}, ok{0};
  std::exponential_distribution<double> gap(r.arrival_rate);
  const auto draw_gap = [&] {
    std::lock_guard<std::mutex> guard(g_mutex);
    return duration(gap(g));
  };
  rt::TimePoint next_arrival = clock->now() + draw_gap();
  long submitted = 0;
  std::mutex results;
  // From event to event: the next answer due (cancelled calls included) or the next arrival.
  while (outcomes.load() < total) {
    const std::optional<rt::TimePoint> due = workers.next_due();
    if (due && (submitted == total || *due <= next_arrival)) {
      clock->advance(*due - clock->now());
    } else if (submitted < total) {
      clock->advance(next_arrival - clock->now());
      next_arrival = clock->now() + draw_gap();  // before submit, which draws worker times
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
      clock->advance(duration(r.slo_seconds));  // nothing due: let timeouts and deadlines fire
    }
    workers.wait_delivered();
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
