// Engine: the algorithm shared by every executor. The server side hands out tasks, applies
// messages and manages epochs; the worker side turns a task and a copy of x into a message.
// Executors only move tasks and messages (in one thread, many threads, or over MPI).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/optim/detail/staleness_gate.hpp>
#include <nercc/optim/objective.hpp>
#include <nercc/optim/params.hpp>
#include <nercc/optim/progress.hpp>
#include <nercc/optim/prox.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {
namespace detail {

/// Which member of the family runs.
enum class Method {
  decoupled,       ///< DAP-SVRG: worker takes the prox step, server adds
  prox_at_server,  ///< worker sends the variance-reduced gradient, server takes the prox step
  decoupled_sgd,   ///< DAP-SGD: decoupled, no variance reduction
};

/// One unit of work: message `index` of epoch `epoch`, computed by `worker` on x as of
/// `read_version`.
struct Task {
  Index worker = 0;
  Index epoch = 0;
  Index index = 0;
  Index read_version = 0;
  double step = 0.0;
};

/// Scratch a worker reuses across tasks.
struct Workspace {
  std::vector<Index> batch;
  Vector<double> y, gradient, snapshot_gradient;
};

/// splitmix64: a tiny, portable generator, so minibatches are identical on every platform.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Minibatch of step j of message `index` in epoch `epoch`: b uniform draws from [0, n).
inline void sample_batch(std::uint64_t seed, const Task& task, Index j, Index n, Index b, std::vector<Index>& out) {
  std::uint64_t state = seed;
  for (const auto part : {std::uint64_t(task.epoch), std::uint64_t(task.index), std::uint64_t(j)})
    state = splitmix64(state) ^ part;
  out.resize(std::size_t(b));
  for (auto& i : out) i = std::min(n - 1, Index(double(splitmix64(state) >> 11) * 0x1.0p-53 * double(n)));
}

template <class Objective, class Prox, class Callback>
class Engine {
 public:
  Engine(const Objective& objective, const Prox& prox, const SvrgParams& params, Method method, Vector<double> x0,
         Callback& callback)
      : objective_(objective),
        prox_(prox),
        params_(params),
        method_(method),
        callback_(callback),
        x_(std::move(x0)),
        gate_(params.max_staleness),
        per_epoch_(params.messages_per_epoch(objective.num_terms())),
        gamma_(params.relaxation) {
    check_objective<Objective>();
    check_prox<Prox>();
    params_.validate();
    if (x_.size() != objective_.dim())
      throw shape_mismatch(nercc::detail::message("x0 has size ", x_.size(), ", the objective's dim() is ",
                                                  objective_.dim()));
    if (method_ == Method::prox_at_server && params_.group_size != 1)
      throw invalid_argument(nercc::detail::message("group_size (", params_.group_size,
                                                    ") must be 1 when the prox runs at the server"));
  }

  Index dim() const { return x_.size(); }
  const Vector<double>& x() const { return x_; }
  bool variance_reduced() const { return method_ != Method::decoupled_sgd; }

  // ---- server side (one thread at a time) ----

  /// Closes the running epoch, reports progress, and opens the next epoch (snapshot and full
  /// gradient). False when the run is over (all epochs done, or the callback said stop).
  bool next_epoch() {
    if (open_) {
      ++completed_;
      open_ = false;
    }
    if (!report_progress() || completed_ == params_.epochs) return false;
    if (variance_reduced()) {
      snapshot_ = x_;
      mean_gradient_.resize(x_.size());
      objective_.full_gradient(snapshot_, mean_gradient_);
    }
    dispatched_ = applied_ = 0;
    epoch_stats_ = {};
    epoch_sum_ = 0;
    open_ = true;
    return true;
  }

  bool can_dispatch() const { return open_ && dispatched_ < per_epoch_ && gate_.can_open(); }
  /// The next task, for `worker`. A worker takes a new task only once its last message has
  /// been applied (as a parameter server replies with the new x), so a server held back by
  /// the staleness bound also holds back the fast workers instead of letting them pile up
  /// messages computed on the same x.
  Task dispatch(Index worker) {
    const double step = params_.step / (1.0 + params_.step_decay * double(completed_));
    return Task{worker, completed_, dispatched_++, gate_.open(), step};
  }

  /// Queues a worker's message; apply_ready() applies it when the staleness bound allows.
  void submit(const Task& task, Vector<double>&& payload) { pending_.emplace_back(task, std::move(payload)); }
  bool has_pending() const { return !pending_.empty(); }

  /// Applies queued messages, stalest first, while the staleness bound allows, calling
  /// on_applied(task) for each. Returns how many.
  template <class OnApplied>
  Index apply_ready(OnApplied&& on_applied) {
    std::sort(pending_.begin(), pending_.end(),
              [](const auto& a, const auto& b) { return a.first.read_version < b.first.read_version; });
    Index applied = 0;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (!gate_.can_close(it->first.read_version)) {
        ++it;
        continue;
      }
      apply(it->first, it->second);
      on_applied(it->first);
      it = pending_.erase(it);
      ++applied;
    }
    return applied;
  }

  bool epoch_complete() const { return open_ && applied_ == per_epoch_; }
  const Vector<double>& snapshot() const { return snapshot_; }
  const Vector<double>& mean_gradient() const { return mean_gradient_; }

  OptimResult result() const { return OptimResult{x_, completed_, gamma_, total_stats_}; }

  // ---- worker side ----

  /// Installs the epoch's snapshot and full gradient on a worker that has its own engine
  /// (MPI ranks); threads share the server's.
  void load_epoch(Vector<double> snapshot, Vector<double> mean_gradient) {
    snapshot_ = std::move(snapshot);
    mean_gradient_ = std::move(mean_gradient);
  }
  /// Installs the server's final iterate on such a worker, for its result().
  void load_iterate(Vector<double> x) { x_ = std::move(x); }

  /// The worker's message for `task` computed on its copy y of x. Decoupled: group_size steps
  /// y <- prox_{eta h}(y - eta v), v = grad f_I(y) - grad f_I(x~) + mu (no correction for SGD),
  /// and the message is y_start - y_end. Prox at server: the message is v itself.
  /// Const and reentrant given distinct workspaces: snapshot and mu are read only.
  void compute(const Task& task, const Vector<double>& y, Vector<double>& payload, Workspace& ws) const {
    const Index n = objective_.num_terms();
    ws.gradient.resize(y.size());
    ws.snapshot_gradient.resize(y.size());
    if (method_ == Method::prox_at_server) {
      sample_batch(params_.seed, task, 0, n, params_.minibatch, ws.batch);
      reduced_gradient(y, ws);
      payload = ws.gradient;
      return;
    }
    ws.y = y;
    for (Index j = 0; j < params_.group_size; ++j) {
      sample_batch(params_.seed, task, j, n, params_.minibatch, ws.batch);
      reduced_gradient(ws.y, ws);
      ws.y -= task.step * ws.gradient;
      prox_.prox(ws.y, task.step, ws.y);
    }
    payload = y - ws.y;
  }

 private:
  /// ws.gradient = grad f_I(y) (- grad f_I(x~) + mu when variance reduced).
  void reduced_gradient(const Vector<double>& y, Workspace& ws) const {
    objective_.gradient(y, ws.batch, ws.gradient);
    if (!variance_reduced()) return;
    objective_.gradient(snapshot_, ws.batch, ws.snapshot_gradient);
    ws.gradient += mean_gradient_ - ws.snapshot_gradient;
  }

  void apply(const Task& task, const Vector<double>& payload) {
    const Index staleness = gate_.close(task.read_version);
    for (auto* s : {&epoch_stats_, &total_stats_}) {
      ++s->messages;
      s->max = std::max(s->max, staleness);
    }
    epoch_sum_ += staleness;
    total_sum_ += staleness;
    epoch_stats_.mean = double(epoch_sum_) / double(epoch_stats_.messages);
    total_stats_.mean = double(total_sum_) / double(total_stats_.messages);
    if (method_ == Method::prox_at_server) {
      x_ -= task.step * payload;
      prox_.prox(x_, task.step, x_);
    } else {
      if (params_.automatic_relaxation && total_stats_.mean > 0.0)
        gamma_ = std::min(1.0, params_.relaxation_constant / total_stats_.mean);
      x_ -= gamma_ * payload;
    }
    ++applied_;
  }

  bool report_progress() {
    if constexpr (std::is_same_v<std::remove_cv_t<Callback>, NoProgress>) {
      return true;
    } else {
      Progress p;
      p.epoch = completed_;
      p.x = &x_;
      p.objective = objective_value(objective_, x_) + prox_.value(x_);
      p.relaxation = gamma_;
      p.epoch_staleness = epoch_stats_;
      p.total_staleness = total_stats_;
      return report(callback_, p);
    }
  }

  const Objective& objective_;
  const Prox& prox_;
  SvrgParams params_;
  Method method_;
  Callback& callback_;
  Vector<double> x_, snapshot_, mean_gradient_;
  StalenessGate gate_;
  std::vector<std::pair<Task, Vector<double>>> pending_;
  Index per_epoch_;
  Index completed_ = 0, dispatched_ = 0, applied_ = 0;
  bool open_ = false;
  double gamma_;
  StalenessStats epoch_stats_, total_stats_;
  Index epoch_sum_ = 0, total_sum_ = 0;
};

}  // namespace detail
}  // namespace optim
NERCC_NAMESPACE_END
