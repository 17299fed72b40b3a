// Runtime<S>: the staged coded serving pipeline (group -> encode -> dispatch -> collect ->
// decode -> complete), joined by bounded queues, around a user transport. This file holds the
// stage threads and their queues; the policies and services they use are units of their own:
// DecisionRule (decision_rule.hpp), OverloadController (overload_controller.hpp), TimerService
// (timer_service.hpp), MetricsRecorder (metrics_recorder.hpp), padding (padding.hpp), the
// transport contract (transport.hpp), outcomes (outcome.hpp) and the record of a group in
// flight (group.hpp); policies.hpp chooses the policies from RuntimeParams.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/errors.hpp>
#include <nercc/query_provenance.hpp>
#include <nercc/robust/adversary_budget.hpp>
#include <nercc/runtime/any_code.hpp>
#include <nercc/runtime/bounded_queue.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/decision_rule.hpp>
#include <nercc/runtime/fallback.hpp>
#include <nercc/runtime/group.hpp>
#include <nercc/runtime/hedge_policy.hpp>
#include <nercc/runtime/idle_tracker.hpp>
#include <nercc/runtime/metrics.hpp>
#include <nercc/runtime/metrics_recorder.hpp>
#include <nercc/runtime/outcome.hpp>
#include <nercc/runtime/overload_controller.hpp>
#include <nercc/runtime/padding.hpp>
#include <nercc/runtime/params.hpp>
#include <nercc/runtime/policies.hpp>
#include <nercc/runtime/quarantine_policy.hpp>
#include <nercc/runtime/timer_service.hpp>
#include <nercc/runtime/transport.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {
namespace detail {

template <class S>
struct Ticket;

// The runtime core whose thread is running here (null on other threads).
inline const void*& running_core() {
  static thread_local const void* core = nullptr;
  return core;
}

// Everything the stages share. Outlives the Runtime while transports hold completions.
//
// Locks. control_mutex (the overload controller) is taken before the metrics recorder's lock
// (a leaf); a group's m may be held while hedge_mutex (the hedge policy, a leaf) is taken;
// every other lock is taken alone: inflight_mutex, quarantine_mutex, the queues', the timer
// service's and the idle tracker's. No lock is held while user code runs (transport,
// cancel handles, callbacks, the group log sink).
template <class S>
struct Core {
  using AsyncFn = std::function<CancelHandle(Index, const Eigen::Ref<const RowMatrix<S>>&, Completion<S>)>;
  using SyncFn = std::function<RowMatrix<S>(Index, const Eigen::Ref<const RowMatrix<S>>&)>;

  Core(RuntimeParams p, AnyCode<S> c, std::shared_ptr<Clock> clk)
      : params(std::move(p)),
        code(std::move(c)),
        clock(std::move(clk)),
        rule(make_decision_rule(params)),
        admission(params.admission_capacity, params.admission_policy),
        encode_q(params.stage_capacity, params.stage_policy),
        dispatch_q(params.stage_capacity, params.stage_policy),
        decode_q(params.max_inflight_groups, QueuePolicy::block),
        io_q(std::numeric_limits<std::size_t>::max(), QueuePolicy::reject),
        metrics(code.num_workers(), code.num_workers() + params.hedge.spare_workers),
        overload(make_overload_policy(params)),
        hedge(make_hedge_policy(params)),
        quarantine(make_quarantine_policy(params)),
        timers(clock, &idle) {}

  RuntimeParams params;
  AnyCode<S> code;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<const DecisionRule> rule;
  AsyncFn async_transport;
  SyncFn sync_transport;
  Fallback<S> fallback;

  BoundedQueue<Admission<S>> admission;
  BoundedQueue<GroupPtr<S>> encode_q, dispatch_q;
  BoundedQueue<DecodeWork<S>> decode_q;
  BoundedQueue<std::function<void()>> io_q;

  std::atomic<bool> accepting{true}, stopping{false};
  std::atomic<std::uint64_t> next_query{0}, next_group{0};

  IdleTracker idle;  // work queued or in hand at a stage (wait_idle waits for none)
  MetricsRecorder metrics;

  std::mutex control_mutex;
  std::unique_ptr<OverloadPolicy> overload;  // guarded by control_mutex
  std::atomic<bool> shedding{false};         // overload->shedding(), read without the lock by submit

  std::mutex hedge_mutex;               // a leaf, also taken while a group's m is held
  std::unique_ptr<HedgePolicy> hedge;   // guarded by hedge_mutex (params and enabled() are immutable)

  mutable std::mutex quarantine_mutex;         // taken alone
  std::unique_ptr<QuarantinePolicy> quarantine;  // guarded by quarantine_mutex (enabled() is immutable)

  mutable std::mutex inflight_mutex;
  std::condition_variable inflight_cv;
  std::unordered_map<std::uint64_t, GroupPtr<S>> inflight;
  std::atomic<std::size_t> inflight_count{0};

  TimerService timers;

  // ---- outcomes ----

  void deliver(const std::shared_ptr<Query<S>>& q, QueryOutcome<S>&& out) {
    out.query = q->id;
    out.latency_seconds = seconds(clock->now() - q->submitted);
    metrics.query_completed(out.error, out.latency_seconds, out.provenance, out.released_early, out.hedged);
    try {
      q->sink(std::move(out));
    } catch (...) {
      metrics.callback_threw();
    }
  }

  void fail_query(const std::shared_ptr<Query<S>>& q, QueryError e, std::string why, std::uint64_t group = 0) {
    QueryOutcome<S> out;
    out.error = e;
    out.message = std::move(why);
    out.group = group;
    deliver(q, std::move(out));
  }

  // Fails the group's queries that early release has not completed.
  void fail_group(const GroupPtr<S>& g, QueryError e, const std::string& why) {
    for (std::size_t i = 0; i < g->queries.size(); ++i)
      if (!released(*g, i)) fail_query(g->queries[i], e, why, g->id);
  }

  // Read by the decode stage once the group is decided, when `released` no longer changes.
  static bool released(const Group<S>& g, std::size_t i) { return i < g.released.size() && g.released[i]; }

  static std::string shutdown_message() { return "runtime shut down before the query completed"; }

  // Hands g to the next stage's queue; a refused group fails its queries.
  void forward(BoundedQueue<GroupPtr<S>>& q, const char* stage, GroupPtr<S> g) {
    g->stage_entered = clock->now();
    const std::size_t capacity = q.capacity();
    idle.add();
    GroupPtr<S> item = g;
    const PushResult r = q.push(item);
    if (r == PushResult::ok) return;
    idle.done();
    if (r == PushResult::full)
      fail_group(g, QueryError::rejected,
                 ::nercc::detail::message("the ", stage, " queue is full (capacity ", capacity, ")"));
    else
      fail_group(g, QueryError::shut_down, shutdown_message());
  }

  void record_stage(Stage stage, TimePoint since) { metrics.stage_latency(stage, seconds(clock->now() - since)); }

  // ---- overload ----

  // Load: the fuller of the admission queue and the in-flight window.
  void observe_load() {
    if (!overload->enabled()) return;
    const double load = std::max(double(admission.size()) / double(admission.capacity()),
                                 double(inflight_count.load()) / double(params.max_inflight_groups));
    std::lock_guard<std::mutex> guard(control_mutex);
    const OverloadAction action = overload->observe(load);
    shedding.store(overload->shedding());
    metrics.overload(action, overload->workers_in_use(), overload->shedding());
  }

  Index workers_in_use() {
    std::lock_guard<std::mutex> guard(control_mutex);
    return overload->workers_in_use();
  }

  // ---- stages ----

  void submit(const Eigen::Ref<const RowMatrix<S>>& x, std::function<void(QueryOutcome<S>&&)> sink) {
    if (x.rows() != 1 || x.cols() != params.input_dim)
      throw shape_mismatch(::nercc::detail::message("query is ", x.rows(), " x ", x.cols(), ", expected 1 x input_dim (",
                                                    params.input_dim, ")"));
    if (!x.allFinite()) throw non_finite_input("query holds NaN or infinity");
    auto q = std::make_shared<Query<S>>();
    q->id = next_query.fetch_add(1) + 1;
    q->x = x;
    q->sink = std::move(sink);
    q->submitted = clock->now();
    metrics.query_submitted();
    if (!accepting.load()) return fail_query(q, QueryError::shut_down, shutdown_message());
    if (shedding.load()) {
      observe_load();
      if (shedding.load())
        return fail_query(q, QueryError::shed, "overload: admission is being shed at the lowest redundancy");
    }
    Admission<S> item{q, 0};
    idle.add();
    // A callback submitting again runs on a decode thread: waiting for room there could wait on
    // itself, so the runtime's own threads never wait at admission.
    const bool own_thread = running_core() == this && admission.policy() == QueuePolicy::block;
    PushResult r = own_thread ? admission.try_push(item) : admission.push(item);
    if (own_thread && r == PushResult::full) {
      r = admission.push_unbounded(item);
      if (r == PushResult::ok) metrics.admitted_past_capacity();
    }
    if (r == PushResult::ok) return;
    idle.done();
    if (r == PushResult::full)
      fail_query(q, QueryError::rejected,
                 ::nercc::detail::message("the admission queue is full (capacity ", admission.capacity(), ")"));
    else
      fail_query(q, QueryError::shut_down, shutdown_message());
  }

  void close_group(GroupPtr<S> g) {
    const Index k = code.num_queries(), d = params.input_dim, r = Index(g->queries.size());
    g->closed = clock->now();
    g->blocks = (r + k - 1) / k;
    const Index rows = g->blocks * k;
    g->inputs.resize(rows, d);
    for (Index i = 0; i < r; ++i) g->inputs.row(i) = g->queries[std::size_t(i)]->x;
    pad_rows(params.pad, g->inputs, r);
    const Index used = workers_in_use();
    g->workers = code.worker_subset(used);
    g->shape.workers = used;
    g->shape.min_answers = code.min_answers();
    g->shape.covers_queries = !code.is_regression();
    g->shape.queries = std::min(r, k);  // replication/uncoded: position q is covered in every block at once
    // With E > 0 replication votes: a position is covered once its copies can outvote E wrong ones.
    if (!code.is_regression() && code.params().num_adversaries > 0) g->shape.copies = robust::copies_to_outvote(code.params().num_adversaries);
    g->quorum = rule->quorum(g->shape);
    std::vector<double> waits;
    waits.reserve(g->queries.size());
    for (auto& q : g->queries) waits.push_back(seconds(g->closed - q->submitted));
    metrics.group_formed(r < rows, waits);
    forward(encode_q, "encode", std::move(g));
  }

  void group_loop() {
    running_core() = this;
    GroupPtr<S> open;
    while (auto item = admission.pop()) {
      if (stopping.load()) {
        if (item->query) fail_query(item->query, QueryError::shut_down, shutdown_message());
      } else if (!item->query) {
        if (open && open->id == item->flush) {
          close_group(std::move(open));
          open.reset();
        }
      } else {
        observe_load();
        if (!open) {
          open = std::make_shared<Group<S>>();
          open->id = next_group.fetch_add(1) + 1;
          open->first_submit = item->query->submitted;
          const std::uint64_t id = open->id;
          timers.schedule(saturating_add(clock->now(), params.group_timeout), [this, id] {
            Admission<S> token{nullptr, id};
            idle.add();
            if (admission.push_unbounded(token) != PushResult::ok) idle.done();
          });
        }
        open->queries.push_back(std::move(item->query));
        if (Index(open->queries.size()) == code.num_queries() * params.worker_batch) {
          close_group(std::move(open));
          open.reset();
        }
      }
      idle.done();
    }
    if (open) fail_group(open, QueryError::shut_down, shutdown_message());
    encode_q.close();
  }

  void encode_loop() {
    running_core() = this;
    while (auto g = encode_q.pop()) {
      if (stopping.load()) {
        fail_group(*g, QueryError::shut_down, shutdown_message());
      } else {
        bool encoded = false;
        try {
          Group<S>& group = **g;
          const Index n = code.num_workers(), k = code.num_queries(), b = group.blocks, d = params.input_dim;
          group.coded.resize(n * b, d);
          group.orders.resize(std::size_t(b));
          for (Index j = 0; j < b; ++j) {
            Eigen::Map<RowMatrix<S>, 0, Eigen::OuterStride<>> block(group.coded.data() + j * d, n, d,
                                                                     Eigen::OuterStride<>(b * d));
            code.encode_into(group.inputs.middleRows(j * k, k), block, group.orders[std::size_t(j)]);
          }
          encoded = true;
        } catch (const std::exception& e) {
          fail_group(*g, QueryError::internal, std::string("encode failed: ") + e.what());
        }
        if (encoded) {
          record_stage(Stage::encode, (*g)->stage_entered);
          forward(dispatch_q, "dispatch", std::move(*g));
        }
      }
      idle.done();
    }
  }

  void dispatch_loop(const std::shared_ptr<Core>& self) {
    running_core() = this;
    while (auto item = dispatch_q.pop()) {
      GroupPtr<S> g = std::move(*item);
      bool admitted = false;
      {
        std::unique_lock<std::mutex> lock(inflight_mutex);
        if (params.stage_policy == QueuePolicy::block)
          inflight_cv.wait(lock, [&] { return stopping.load() || inflight.size() < params.max_inflight_groups; });
        admitted = !stopping.load() && inflight.size() < params.max_inflight_groups;
        if (admitted) inflight.emplace(g->id, g);
        inflight_count.store(inflight.size());
      }
      if (!admitted) {
        if (stopping.load()) fail_group(g, QueryError::shut_down, shutdown_message());
        else
          fail_group(g, QueryError::rejected,
                     ::nercc::detail::message("the in-flight window is full (max_inflight_groups ",
                                              params.max_inflight_groups, ")"));
        idle.done();
        continue;
      }
      dispatch(self, g);
      record_stage(Stage::dispatch, g->stage_entered);
      idle.done();
    }
  }

  void dispatch(const std::shared_ptr<Core>& self, const GroupPtr<S>& g) {
    const std::size_t n = g->workers.size();
    const bool hedging = hedge->enabled();
    std::optional<Duration> hedge_delay;
    if (hedging) {
      std::lock_guard<std::mutex> guard(hedge_mutex);
      hedge_delay = hedge->delay();
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    QuarantinePolicy::Plan plan;
    if (quarantine->enabled()) {
      std::lock_guard<std::mutex> guard(quarantine_mutex);
      plan = quarantine->plan(g->id, g->workers, clock->now());
    }
    std::uint64_t overrides = 0;
    const std::vector<char> withhold = affordable_withholding(*g, plan.withhold, overrides);
    std::uint64_t withheld = 0;
    {
      std::lock_guard<std::mutex> guard(g->m);
      g->states.assign(n, CallState::pending);
      g->arrival.assign(n, nan);
      g->cancels.assign(n, CancelHandle{});
      g->primary.assign(n, CopyState::none);
      if (hedging) {
        g->backup.assign(n, CopyState::none);
        g->backup_cancels.assign(n, CancelHandle{});
        g->backup_worker.assign(n, -1);
        g->backup_sent.assign(n, TimePoint{});
        g->won_by_backup.assign(n, 0);
        g->budget_refused.assign(n, 0);
        if (hedge_delay) g->hedge_delay = seconds(*hedge_delay);
      }
      g->answers.resize(Index(n), g->blocks * params.output_dim);
      g->coverage.assign(std::size_t(g->shape.queries), 0);
      if (params.early_release) g->released.assign(g->queries.size(), 0);
      // A withheld call counts as a straggler that has resolved: the quorum stays N_used - S.
      for (std::size_t s = 0; s < n; ++s)
        if (withhold[s]) {
          g->states[s] = CallState::quarantined;
          g->primary[s] = CopyState::done;
          ++g->progress.resolved;
          ++withheld;
        }
      g->dispatched = clock->now();
    }
    if (quarantine->enabled()) metrics.quarantine_dispatch(withheld, plan.probes.size(), overrides);
    timers.schedule(saturating_add(g->dispatched, rule->deadline()), [this, g] { decide(g, Decision::deadline); });
    if (hedge_delay)
      timers.schedule(saturating_add(g->dispatched, *hedge_delay), [weak = std::weak_ptr<Core>(self), g] {
        if (const auto core = weak.lock()) core->hedge_due(core, g);
      });
    std::size_t sent = 0;
    for (std::size_t slot = 0; slot < n; ++slot) {
      {
        std::lock_guard<std::mutex> guard(g->m);
        if (g->decided) break;  // decided already (deadline): the rest need not be sent
        if (g->states[slot] == CallState::quarantined) continue;
        g->primary[slot] = CopyState::outstanding;
      }
      metrics.call_sent();
      ++sent;
      send(self, g, slot, g->workers[slot], false);
    }
    if (hedging) {
      std::lock_guard<std::mutex> guard(hedge_mutex);
      hedge->calls_sent(sent);
    }
  }

  // Of the calls the quarantine wants withheld (slots, by priority), those the group can spare:
  // it keeps min_answers calls and, for replication and uncoded, one per query position; the
  // others are sent anyway and counted in `overrides`.
  std::vector<char> affordable_withholding(const Group<S>& g, const std::vector<std::size_t>& wanted,
                                           std::uint64_t& overrides) const {
    std::vector<char> out(g.workers.size(), 0);
    if (wanted.empty()) return out;
    std::vector<Index> per_position(std::size_t(code.num_queries()), 0);
    if (g.shape.covers_queries)
      for (Index w : g.workers) ++per_position[std::size_t(code.query_of_worker(w))];
    Index left = Index(g.workers.size());
    for (std::size_t s : wanted) {
      const Index q = g.shape.covers_queries ? code.query_of_worker(g.workers[s]) : -1;
      if (left - 1 < g.shape.min_answers || (q >= 0 && per_position[std::size_t(q)] <= 1)) {
        ++overrides;
        continue;
      }
      out[s] = 1;
      --left;
      if (q >= 0) --per_position[std::size_t(q)];
    }
    return out;
  }

  // Why a copy of a call is cancelled: its group was decided, or its other copy answered first.
  enum class CancelReason { decided, lost };

  // Sends one copy of call `slot` (the coded rows of the slot's worker) to `worker`: the
  // primary (backup = false) or its hedged backup.
  void send(const std::shared_ptr<Core>& self, const GroupPtr<S>& g, std::size_t slot, Index worker, bool backup) {
    auto ticket = std::make_shared<Ticket<S>>(self, g, Index(slot), backup, worker);
    const Index row = g->workers[slot] * g->blocks;
    if (async_transport) {
      CancelHandle cancel;
      try {
        cancel = async_transport(worker, g->coded.middleRows(row, g->blocks), Completion<S>(ticket));
      } catch (...) {
        ticket->resolve(CallState::failed, nullptr);
      }
      if (cancel) keep_cancel(g, slot, backup, std::move(cancel));
      return;
    }
    std::function<void()> task = [this, ticket, g, slot, worker, backup, row] {
      if (const auto why = unwanted(*g, slot, backup)) {  // its answer could not be used any more
        count_cancel(*why);
        return;
      }
      try {
        const RowMatrix<S> y = sync_transport(worker, g->coded.middleRows(row, g->blocks));
        ticket->resolve(CallState::answered, &y);
      } catch (...) {
        ticket->resolve(CallState::failed, nullptr);
      }
    };
    if (io_q.push(task) != PushResult::ok) ticket->resolve(CallState::failed, nullptr);
  }

  // Keeps a sent copy's cancel handle for later, or runs it now if the copy is no longer wanted.
  void keep_cancel(const GroupPtr<S>& g, std::size_t slot, bool backup, CancelHandle cancel) {
    std::optional<CancelReason> now;
    {
      std::lock_guard<std::mutex> guard(g->m);
      const CopyState c = (backup ? g->backup : g->primary)[slot];
      if (c == CopyState::outstanding) {
        if (g->cancels_run) now = CancelReason::decided;
        else (backup ? g->backup_cancels : g->cancels)[slot] = std::move(cancel);
      } else if (c == CopyState::lost) {
        now = CancelReason::lost;
      }
    }
    if (now) run_cancel(cancel, *now);
  }

  static std::optional<CancelReason> unwanted(Group<S>& g, std::size_t slot, bool backup) {
    std::lock_guard<std::mutex> guard(g.m);
    if (g.decided) return CancelReason::decided;
    if ((backup ? g.backup : g.primary)[slot] == CopyState::lost) return CancelReason::lost;
    return std::nullopt;
  }

  void count_cancel(CancelReason why) {
    if (why == CancelReason::decided) metrics.call_cancelled();
    else metrics.hedge(MetricsRecorder::HedgeEvent::loser_cancelled);
  }

  void run_cancel(CancelHandle& cancel, CancelReason why = CancelReason::decided) {
    try {
      cancel();
    } catch (...) {
      // A failing cancel changes nothing: the call's answer, if any, is late.
    }
    count_cancel(why);
  }

  // ---- hedging ----

  // A group's hedge delay has passed: from now until it is decided, the calls its decision still
  // needs get backups (hedge_policy.hpp).
  void hedge_due(const std::shared_ptr<Core>& self, const GroupPtr<S>& g) {
    Backups backups;
    {
      std::lock_guard<std::mutex> guard(g->m);
      if (g->decided) return;
      g->hedge_armed = true;
      backups = plan_backups(*g, clock->now());
    }
    send_backups(self, g, backups);
  }

  struct Backups {
    std::vector<std::pair<std::size_t, Index>> calls;  // (slot, worker)
    std::uint64_t refused = 0;                          // calls the budget refused for the first time
  };

  // With g.m held: the backups to send now, marked as sent. Takes the hedge policy's lock (a leaf).
  Backups plan_backups(Group<S>& g, TimePoint now) {
    Backups out;
    HedgeGroupView view;
    view.shape = g.shape;
    view.quorum = g.quorum;
    view.usable = g.progress.usable;
    view.coverage = g.coverage;
    view.calls.resize(g.states.size());
    for (std::size_t s = 0; s < g.states.size(); ++s) {
      HedgeCall& c = view.calls[s];
      c.outstanding = g.states[s] == CallState::pending &&
                      (g.primary[s] == CopyState::outstanding || g.backup[s] == CopyState::outstanding);
      c.hedged = g.backup[s] != CopyState::none;
      c.query = g.shape.covers_queries ? code.query_of_worker(g.workers[s]) : -1;
    }
    const std::vector<std::size_t> due = HedgePolicy::calls_to_hedge(view);
    if (due.empty()) return out;
    std::lock_guard<std::mutex> guard(hedge_mutex);
    for (std::size_t s : due) {
      if (hedge->budget() < 1.0) {
        if (!g.budget_refused[s]) {
          g.budget_refused[s] = 1;
          ++out.refused;
        }
        continue;
      }
      const Index worker = hedge->backup_worker(g.answered_workers);
      if (worker < 0) break;  // no worker free to take it
      hedge->take_budget();
      g.backup[s] = CopyState::outstanding;
      g.backup_worker[s] = worker;
      g.backup_sent[s] = now;
      out.calls.emplace_back(s, worker);
    }
    return out;
  }

  void send_backups(const std::shared_ptr<Core>& self, const GroupPtr<S>& g, const Backups& b) {
    if (b.refused) metrics.hedge(MetricsRecorder::HedgeEvent::refused_budget, b.refused);
    for (const auto& call : b.calls) {
      metrics.hedge(MetricsRecorder::HedgeEvent::sent);
      send(self, g, call.first, call.second, true);
    }
  }

  // A copy's result (output is null unless state is answered). The call's slot takes the first
  // usable answer of its copies; a copy that fails while the other is awaited leaves it pending.
  void resolve(const std::shared_ptr<Core>& self, const GroupPtr<S>& g, Index slot, bool backup, CallState state,
               const RowMatrix<S>* output) {
    const TimePoint now = clock->now();
    if (state == CallState::answered) {
      if (output->rows() != g->blocks || output->cols() != params.output_dim) state = CallState::bad_shape;
      else if (!output->allFinite()) state = CallState::non_finite;
    }
    enum class Fate { used, late, discarded, waiting } fate = Fate::used;
    bool decided_now = false, queue_release = false, observe = false;
    Duration latency{};
    CancelHandle loser;
    Backups backups;
    {
      std::lock_guard<std::mutex> guard(g->m);
      const std::size_t s = std::size_t(slot);
      const bool hedged_group = !g->backup.empty();
      std::vector<CopyState>& mine = backup ? g->backup : g->primary;
      mine[s] = CopyState::done;
      if (state == CallState::answered && hedge->tracks_latency()) {
        observe = true;
        latency = now - (backup ? g->backup_sent[s] : g->dispatched);
      }
      if (g->decided) {
        fate = Fate::late;
      } else if (g->states[s] != CallState::pending) {
        fate = Fate::discarded;  // its other copy settled the call
      } else {
        std::vector<CopyState>* other = hedged_group ? (backup ? &g->primary : &g->backup) : nullptr;
        const bool other_awaited = other && (*other)[s] == CopyState::outstanding;
        if (state != CallState::answered && other_awaited) {
          fate = Fate::waiting;
        } else {
          g->states[s] = state;
          g->arrival[s] = seconds(now - g->dispatched);
          CollectProgress& p = g->progress;
          ++p.resolved;
          if (state == CallState::answered) {
            g->answers.row(Index(g->answer_slot.size())) =
                Eigen::Map<const Eigen::Matrix<S, 1, Eigen::Dynamic>>(output->data(), output->size());
            g->answer_slot.push_back(slot);
            p.usable = Index(g->answer_slot.size());
            const Index q = code.query_of_worker(g->workers[s]);
            if (q >= 0 && q < Index(g->coverage.size()) && ++g->coverage[std::size_t(q)] == g->shape.copies) ++p.covered;
            if (other_awaited) {  // the other copy lost: cancel it
              (*other)[s] = CopyState::lost;
              CancelHandle& h = (backup ? g->cancels : g->backup_cancels)[s];
              loser = std::move(h);
              h = nullptr;
            }
            if (backup) g->won_by_backup[s] = 1;
            else if (hedged_group && hedge->params().target == HedgeTarget::answered)
              g->answered_workers.push_back(g->workers[s]);
            // With E > 0 an answer is trusted only once the decoder has checked it (params.hpp).
            if (params.early_release && code.params().num_adversaries == 0)
              release_exact(*g, g->workers[s], *output, backup, queue_release);
          }
          if (const auto d = rule->on_progress(g->shape, p)) decided_now = mark_decided(*g, *d, now);
        }
        if (!decided_now && g->hedge_armed) backups = plan_backups(*g, now);
      }
    }
    if (observe) {
      std::lock_guard<std::mutex> guard(hedge_mutex);
      hedge->observe(latency);
    }
    using HedgeEvent = MetricsRecorder::HedgeEvent;
    switch (fate) {
      case Fate::late: metrics.call_resolved(state, true); break;
      case Fate::discarded:
        if (state == CallState::answered) metrics.hedge(HedgeEvent::answer_discarded);
        break;
      case Fate::waiting: metrics.hedge(HedgeEvent::copy_failed); break;
      case Fate::used:
        metrics.call_resolved(state, false);
        if (backup && state == CallState::answered) metrics.hedge(HedgeEvent::won);
        break;
    }
    if (loser) run_cancel(loser, CancelReason::lost);
    if (queue_release) to_decode(g, true);
    if (decided_now) to_decode(g);
    defer_backups(self, g, std::move(backups));
  }

  // From a completion the transport may be on this thread's stack (a call failed inline) and
  // hold its own locks: backups decided here go out from the timer thread instead.
  void defer_backups(const std::shared_ptr<Core>& self, const GroupPtr<S>& g, Backups b) {
    if (b.refused) metrics.hedge(MetricsRecorder::HedgeEvent::refused_budget, b.refused);
    b.refused = 0;
    if (b.calls.empty()) return;
    idle.add();
    timers.schedule(clock->now(), [weak = std::weak_ptr<Core>(self), g, b] {
      if (const auto core = weak.lock()) {
        core->send_backups(core, g, b);
        core->idle.done();
      }
    });
  }

  // Row of query position q of block j in the group's queries (through the block's order).
  std::size_t query_index(const Group<S>& g, Index j, Index q) const {
    return std::size_t(j * code.num_queries() + g.orders[std::size_t(j)][std::size_t(q)]);
  }
  // With g.m held: marks the queries `worker` computed exactly as released and keeps its answer
  // rows for the decode stage; `queue` is set when the group needs a release item queued.
  void release_exact(Group<S>& g, Index worker, const RowMatrix<S>& output, bool hedged, bool& queue) {
    const Index q = code.exact_query_of_worker(worker);
    if (q < 0) return;
    for (Index j = 0; j < g.blocks; ++j) {
      const std::size_t i = query_index(g, j, q);
      if (i >= g.queries.size() || g.released[i]) continue;
      g.released[i] = 1;
      g.to_release.push_back(Release<S>{i, output.row(j), hedged});
    }
    if (!g.to_release.empty() && !g.release_queued) queue = g.release_queued = true;
  }

  // The decode stage's side of early release: completes the released queries waiting in g.
  void deliver_released(const GroupPtr<S>& g) {
    std::vector<Release<S>> ready;
    {
      std::lock_guard<std::mutex> guard(g->m);
      ready.swap(g->to_release);
      g->release_queued = false;
    }
    for (auto& r : ready) {
      QueryOutcome<S> out;
      out.group = g->id;
      out.answers_used = 1;
      out.provenance = Provenance::exact;
      out.released_early = true;
      out.hedged = r.hedged;
      out.reliability = 1.0;
      out.value = std::move(r.value);
      deliver(g->queries[r.query], std::move(out));
    }
  }

  static bool mark_decided(Group<S>& g, Decision d, TimePoint now) {
    g.decided = true;
    g.decision = d;
    g.decided_at = now;
    return true;
  }

  void decide(const GroupPtr<S>& g, Decision d) {
    {
      std::lock_guard<std::mutex> guard(g->m);
      if (g->decided) return;
      mark_decided(*g, d, clock->now());
    }
    to_decode(g);
  }

  // Decided groups number at most max_inflight_groups, the decode queue's capacity; release
  // items at most one more per group in flight.
  void to_decode(const GroupPtr<S>& g, bool release = false) {
    idle.add();
    DecodeWork<S> item{g, release};
    if (decode_q.push_unbounded(item) == PushResult::ok) return;
    handle(item);
    idle.done();
  }

  void handle(const DecodeWork<S>& work) {
    if (work.release) deliver_released(work.group);
    else finish(work.group);
  }

  void decode_loop() {
    running_core() = this;
    while (auto work = decode_q.pop()) {
      handle(*work);
      idle.done();
    }
  }

  // The decode stage: cancel what is outstanding, decode, complete every query, log.
  void finish(const GroupPtr<S>& g) {
    std::vector<CancelHandle> to_cancel;
    GroupLog log;
    {
      std::lock_guard<std::mutex> guard(g->m);
      g->cancels_run = true;
      const bool hedged_group = !g->backup.empty();
      for (std::size_t s = 0; s < g->states.size(); ++s) {
        if (g->primary[s] == CopyState::outstanding && g->cancels[s]) to_cancel.push_back(std::move(g->cancels[s]));
        if (hedged_group && g->backup[s] == CopyState::outstanding && g->backup_cancels[s])
          to_cancel.push_back(std::move(g->backup_cancels[s]));
      }
      g->cancels.clear();  // handles may hold completions, which hold the group
      g->backup_cancels.clear();
      log.call_states = g->states;
      log.arrival_seconds = g->arrival;
      log.hedge_delay_seconds = g->hedge_delay;
      if (hedged_group && params.group_log) {
        log.backup_workers = g->backup_worker;
        log.backup_sent_seconds.assign(g->states.size(), std::numeric_limits<double>::quiet_NaN());
        log.answered_by_backup.assign(g->states.size(), false);
        for (std::size_t s = 0; s < g->states.size(); ++s) {
          if (g->backup[s] != CopyState::none) log.backup_sent_seconds[s] = seconds(g->backup_sent[s] - g->dispatched);
          log.answered_by_backup[s] = g->won_by_backup[s] != 0;
        }
      }
      log.decision = g->decision;
      log.usable_answers = Index(g->answer_slot.size());
    }
    for (auto& c : to_cancel) run_cancel(c);
    // Free the group's place in the in-flight window before any callback runs: a callback that
    // submits again under blocking policies would otherwise wait on the window it holds.
    {
      std::lock_guard<std::mutex> guard(inflight_mutex);
      inflight.erase(g->id);
      inflight_count.store(inflight.size());
    }
    inflight_cv.notify_one();

    const Index usable = log.usable_answers;
    DecodeStatus status = DecodeStatus::insufficient_answers;
    std::vector<Index> checked;  // workers whose answers the robust decode checked (transport indices)
    if (log.decision == Decision::shutdown) {
      record_verdicts(*g, checked, log.flagged_workers);
      fail_group(g, QueryError::shut_down, shutdown_message());
    } else {
      std::vector<Index> ids(static_cast<std::size_t>(usable));
      for (Index i = 0; i < usable; ++i) ids[std::size_t(i)] = g->workers[std::size_t(g->answer_slot[std::size_t(i)])];
      try {
        // Every block has the same answered set, so the same status and availability pattern.
        const Index m = params.output_dim;
        std::vector<DecodeResult<S>> r;
        r.reserve(std::size_t(g->blocks));
        for (Index j = 0; j < g->blocks; ++j)
          r.push_back(code.decode(ids, g->answers.topRows(usable).middleCols(j * m, m), g->orders[std::size_t(j)]));
        status = r.front().status;
        verdicts(*g, ids, r, checked, log.flagged_workers);
        // Before any outcome: a caller reacting to one sees the quarantine it caused.
        record_verdicts(*g, checked, log.flagged_workers);
        complete_group(g, r, usable);
      } catch (const std::exception& e) {
        record_verdicts(*g, {}, {});
        fail_group(g, QueryError::internal, std::string("decode failed: ") + e.what());
      }
    }
    const TimePoint done = clock->now();
    metrics.group_decided(log.decision, status, usable, seconds(g->decided_at - g->dispatched),
                          seconds(done - g->decided_at));
    if (params.group_log) {
      log.group = g->id;
      log.scheme = code.kind();
      log.num_queries = code.num_queries();
      log.num_workers = code.num_workers();
      log.quorum = g->quorum;
      log.real_queries = Index(g->queries.size());
      log.blocks = g->blocks;
      log.workers = g->workers;
      log.status = status;
      log.group_seconds = seconds(g->closed - g->first_submit);
      log.collect_seconds = seconds(g->decided_at - g->dispatched);
      log.decode_seconds = seconds(done - g->decided_at);
      try {
        params.group_log(log);
      } catch (...) {
        // The log is advisory; a failing sink must not stop the pipeline.
      }
    }
  }

  // Read once g is decided: the transport index of the worker that gave answer i (the call's
  // backup worker when its backup's answer was used).
  Index answer_worker(const Group<S>& g, std::size_t i) const {
    const std::size_t s = std::size_t(g.answer_slot[i]);
    return !g.won_by_backup.empty() && g.won_by_backup[s] ? g.backup_worker[s] : g.workers[s];
  }

  // The robust decode's verdicts on g's answers `ids` (code worker indices, in answer order):
  // the workers whose answers it checked and those it flagged, as transport indices, each once.
  // Spline and Berrut check every answer once min_answers arrived (the detector runs even when
  // the answers left after its flags are too few to decode); replication the answers of the
  // queries with 3 or more answers (the ones that voted).
  void verdicts(const Group<S>& g, const std::vector<Index>& ids, const std::vector<DecodeResult<S>>& blocks,
                std::vector<Index>& checked, std::vector<Index>& flagged) const {
    checked.clear();
    flagged.clear();
    if (code.params().num_adversaries == 0 || (code.is_regression() && Index(ids.size()) < code.min_answers())) return;
    const auto add = [](std::vector<Index>& to, Index w) {
      if (std::find(to.begin(), to.end(), w) == to.end()) to.push_back(w);
    };
    std::vector<Index> copies(std::size_t(code.num_queries()), 0);
    if (!code.is_regression())
      for (Index w : ids) ++copies[std::size_t(code.query_of_worker(w))];
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (code.is_regression() || copies[std::size_t(code.query_of_worker(ids[i]))] >= 3) add(checked, answer_worker(g, i));
    for (const DecodeResult<S>& r : blocks)
      for (Index w : r.flagged_workers) {
        const auto at = std::find(ids.begin(), ids.end(), w);
        if (at != ids.end()) add(flagged, answer_worker(g, std::size_t(at - ids.begin())));
      }
  }

  // Counts g's flags and hands its verdicts to the quarantine (every decided group, so that
  // its probes end).
  void record_verdicts(const Group<S>& g, const std::vector<Index>& checked, const std::vector<Index>& flagged) {
    metrics.group_flagged(flagged);
    if (!quarantine->enabled()) return;
    std::vector<std::pair<Index, QuarantineEvent>> events;
    {
      std::lock_guard<std::mutex> guard(quarantine_mutex);
      events = quarantine->record(g.id, checked, flagged, clock->now());
    }
    for (const auto& e : events) metrics.quarantine(e.second);
  }

  void complete_group(const GroupPtr<S>& g, const std::vector<DecodeResult<S>>& blocks, Index usable) {
    const std::size_t k = std::size_t(code.num_queries());
    const Provenance provenance = code.is_regression() ? Provenance::estimated : Provenance::exact;
    const std::vector<char> hedged = hedged_queries(*g);
    for (std::size_t i = 0; i < g->queries.size(); ++i) {
      if (released(*g, i)) continue;
      const DecodeResult<S>& r = blocks[i / k];
      const std::size_t j = i % k;
      QueryOutcome<S> out;
      out.group = g->id;
      out.status = r.status;
      out.answers_used = usable;
      out.provenance = provenance;
      if (r.status == DecodeStatus::insufficient_answers) {
        out.error = QueryError::too_few_answers;
        out.message = ::nercc::detail::message(usable, " usable answers when decided (", to_string(g->decision),
                                               "), fewer than min_answers (", code.min_answers(), ")");
      } else if (!r.available[j]) {
        out.error = QueryError::unavailable;
        out.message = "no worker computing this query answered in time";
      } else {
        out.value = r.values.row(Index(j));
        out.hedged = hedged[i] != 0;
        out.reliability = r.reliability[j];
        if (r.provenance[j] == QueryProvenance::exact) out.provenance = Provenance::exact;
      }
      if (fallback) {
        if (!out.ok()) {
          answer_by_fallback(*g->queries[i], out);
        } else if (out.provenance == Provenance::estimated && out.reliability < params.fallback_below_reliability) {
          // A failing fallback leaves the estimate in place: an unreliable value beats none.
          if (answer_by_fallback(*g->queries[i], out)) metrics.fallback_low_reliability();
        }
      }
      deliver(g->queries[i], std::move(out));
    }
  }

  // Read once the group is decided. Which decoded queries used a backup's answer: for
  // replication and uncoded, those whose position's first usable answer (the one the decoder
  // selects, in arrival order) came from a backup; for spline and Berrut, all of them when any
  // answer of the group did.
  std::vector<char> hedged_queries(const Group<S>& g) const {
    std::vector<char> hedged(g.queries.size(), 0);
    if (g.won_by_backup.empty()) return hedged;
    if (code.is_regression()) {
      for (Index s : g.answer_slot)
        if (g.won_by_backup[std::size_t(s)]) return std::vector<char>(g.queries.size(), 1);
      return hedged;
    }
    std::vector<char> seen(std::size_t(code.num_queries()), 0);
    for (Index s : g.answer_slot) {
      const Index q = code.query_of_worker(g.workers[std::size_t(s)]);
      if (q < 0 || q >= code.num_queries() || seen[std::size_t(q)]) continue;
      seen[std::size_t(q)] = 1;
      if (!g.won_by_backup[std::size_t(s)]) continue;
      for (Index j = 0; j < g.blocks; ++j) {
        const std::size_t i = query_index(g, j, q);
        if (i < hedged.size()) hedged[i] = 1;
      }
    }
    return hedged;
  }

  // Replaces the error of `out` with the fallback model's answer to q, if it gives a usable one.
  // Returns whether it did (a failure is counted and leaves `out` as it was).
  bool answer_by_fallback(const Query<S>& q, QueryOutcome<S>& out) {
    try {
      RowMatrix<S> y = fallback(q.x);
      if (y.rows() == 1 && y.cols() == params.output_dim && y.allFinite()) {
        out.error = QueryError::none;
        out.message.clear();
        out.value = std::move(y);
        out.provenance = Provenance::fallback;
        out.hedged = false;
        return true;
      }
    } catch (...) {
      // Counted below; the query keeps its error.
    }
    metrics.fallback_failed();
    return false;
  }

  void shutdown_inflight() {
    std::vector<GroupPtr<S>> groups;
    {
      std::lock_guard<std::mutex> guard(inflight_mutex);
      for (auto& e : inflight) groups.push_back(e.second);
    }
    for (auto& g : groups) decide(g, Decision::shutdown);
  }

  void io_loop() {
    running_core() = this;
    while (auto task = io_q.pop()) (*task)();
  }

  RuntimeMetrics snapshot() const {
    RuntimeMetrics m = metrics.snapshot();
    auto fill = [](StageMetrics& s, const auto& q) {
      s.capacity = q.capacity();
      s.depth = q.size();
      s.max_depth = q.max_size();
    };
    fill(m.admission, admission);
    fill(m.encode, encode_q);
    fill(m.dispatch, dispatch_q);
    fill(m.decode, decode_q);
    if (quarantine->enabled()) {
      std::lock_guard<std::mutex> guard(quarantine_mutex);
      m.workers_quarantined = quarantine->quarantined_count();
    }
    {
      std::lock_guard<std::mutex> guard(inflight_mutex);
      m.inflight_groups = inflight.size();
      m.collect.capacity = params.max_inflight_groups;
      m.collect.depth = inflight.size();
    }
    return m;
  }
};

// One copy of a call: the first resolution wins.
template <class S>
struct Ticket final : CallTarget<S> {
  Ticket(std::shared_ptr<Core<S>> c, GroupPtr<S> g, Index s, bool b, Index w)
      : core(std::move(c)), group(std::move(g)), slot(s), backup(b), target(w) {}
  void resolve(CallState state, const RowMatrix<S>* output) override {
    if (used.exchange(true)) return;
    core->resolve(core, group, slot, backup, state, output);
  }
  Index worker() const override { return target; }
  std::shared_ptr<Core<S>> core;
  GroupPtr<S> group;
  Index slot;
  bool backup;   // the hedged copy of the call
  Index target;  // the worker it went to
  std::atomic<bool> used{false};
};

}  // namespace detail

/// The coded serving pipeline. Queries (1 x input_dim rows) are grouped K at a time (b K with
/// RuntimeParams::worker_batch = b; or at group_timeout, padded by RuntimeParams::pad), encoded
/// into N coded queries per block of K, sent through the transport, collected until the quorum
/// N - S or the deadline, decoded, and completed through a future or a callback. Stages run on
/// their own threads, joined by bounded queues.
///
/// Each call's `coded` has one row per block of the group (1 unless worker_batch > 1); the
/// answer must have as many rows, of output_dim columns. The transport is either asynchronous,
///   CancelHandle transport(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded, Completion<S> done)
/// which must not block (call `done` later from any thread; `coded` is valid during the call
/// only), or synchronous,
///   RowMatrix<S> transport(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded)
/// which the runtime runs on io_threads of its own. Exceptions thrown by either count as a
/// failed call. A synchronous call that never returns blocks shutdown: use the asynchronous
/// form for calls that can hang.
///
/// Hedged requests (RuntimeParams::hedge, hedge_policy.hpp): a call still outstanding at the
/// group's hedge delay gets a backup copy of its coded rows on another worker, through the same
/// transport (with HedgeTarget::spare the worker index is N .. N + spare_workers - 1, so the
/// transport must serve those too). The first usable answer of the two is used and the other
/// copy's CancelHandle is run; Completion::worker() names the worker a copy went to. Counted in
/// RuntimeMetrics (hedges_*), logged per call in GroupLog, flagged in QueryOutcome::hedged.
///
/// Guarantee: every submitted query gets exactly one QueryOutcome, including on shutdown.
///
/// Thread safety: submit, metrics and wait_idle are safe from many threads; shutdown is safe to
/// call concurrently with them and is idempotent. Callbacks and futures are completed on the
/// runtime's decode threads, or on the submitting thread when admission refuses the query.
template <class S>
class Runtime {
  static_assert(std::is_floating_point<S>::value, "nercc::runtime::Runtime<S>: S must be float, double or long double");

 public:
  using Scalar = S;

  /// Validates params (nercc::invalid_argument names the bad field), builds the code and
  /// starts the stage threads.
  /// `fallback` (optional, see fallback.hpp) answers the queries a group decides without a value.
  template <class Transport>
  Runtime(RuntimeParams params, Transport transport, std::shared_ptr<Clock> clock = steady_clock(),
          Fallback<S> fallback = {}) {
    constexpr bool is_async = detail::is_async_transport<Transport, S>::value;
    constexpr bool is_sync = detail::is_sync_transport<Transport, S>::value;
    static_assert(is_async || is_sync,
                  "nercc::runtime::Runtime: the transport must be callable either as "
                  "transport(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded, Completion<S> done) "
                  "returning a CancelHandle (asynchronous), or as "
                  "transport(Index worker, const Eigen::Ref<const RowMatrix<S>>& coded) returning RowMatrix<S> "
                  "(synchronous)");
    if (!clock) throw invalid_argument("clock (null) must point to a Clock");
    params.validate();
    if (params.fallback_below_reliability > 0.0 && !fallback)
      throw invalid_argument(::nercc::detail::message("fallback_below_reliability (", params.fallback_below_reliability,
                                                      ") needs a fallback model (the Runtime's fourth argument)"));
    AnyCode<S> code(params.scheme, params.code);
    core_ = std::make_shared<detail::Core<S>>(std::move(params), std::move(code), std::move(clock));
    core_->fallback = std::move(fallback);
    if constexpr (is_async) core_->async_transport = std::move(transport);
    else if constexpr (is_sync) core_->sync_transport = std::move(transport);
    start(is_async);
  }

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  /// Shuts down (see shutdown()).
  ~Runtime() { shutdown(); }

  /// Submits one query (1 x input_dim); the future always receives exactly one outcome.
  /// Throws nercc::shape_mismatch or nercc::non_finite_input for a bad query (nothing is
  /// submitted then). With QueuePolicy::block on admission it waits for room. Thread-safe.
  std::future<QueryOutcome<S>> submit(const Eigen::Ref<const RowMatrix<S>>& query) {
    auto promise = std::make_shared<std::promise<QueryOutcome<S>>>();
    auto future = promise->get_future();
    core_->submit(query, [promise](QueryOutcome<S>&& o) { promise->set_value(std::move(o)); });
    return future;
  }

  /// As submit(query), completing through callback(QueryOutcome<S>&&), called exactly once
  /// (on a decode thread, or inline when admission refuses the query). A callback may submit
  /// again (a retry): on the runtime's threads submit never waits, and with QueuePolicy::block a
  /// full admission queue takes such a query past its capacity (counted in
  /// RuntimeMetrics::admitted_past_capacity). Exceptions it throws
  /// are counted in RuntimeMetrics::callback_exceptions and swallowed. The callback is stored in
  /// a std::function, so it must be copyable. Thread-safe.
  template <class Callback>
  void submit(const Eigen::Ref<const RowMatrix<S>>& query, Callback callback) {
    constexpr bool callable = std::is_invocable<Callback&, QueryOutcome<S>&&>::value;
    static_assert(callable,
                  "nercc::runtime::Runtime::submit: the callback must be callable as "
                  "callback(nercc::runtime::QueryOutcome<S>&&)");
    if constexpr (callable)
      core_->submit(query, [cb = std::move(callback)](QueryOutcome<S>&& o) mutable { cb(std::move(o)); });
  }

  /// Blocks until no stage has work queued or in hand and every clock change has been acted
  /// on. Groups waiting for answers or a timeout do not count as work; a stage blocked on a
  /// full queue or in-flight window (QueuePolicy::block) does, so with blocking policies call
  /// it only when the transport can still answer. Meant for tests with a ManualClock and a
  /// scripted transport. Thread-safe.
  void wait_idle() const {
    core_->idle.wait();
  }

  /// Stops admission, fails every query not yet decided with QueryError::shut_down, cancels
  /// outstanding calls, joins the threads and releases the transport (destroyed here, unless the
  /// caller holds other copies). Groups already decided still complete normally. Synchronous
  /// calls still queued for a decided group are skipped. Idempotent and thread-safe; must not
  /// be called from a callback or a transport.
  void shutdown() {
    std::lock_guard<std::mutex> guard(shutdown_mutex_);
    if (!running_) return;
    running_ = false;
    core_->timers.detach_clock();  // first, so every change of time is settled by the timer thread
    core_->accepting.store(false);
    core_->stopping.store(true);
    {
      std::lock_guard<std::mutex> inflight_guard(core_->inflight_mutex);
    }
    core_->inflight_cv.notify_all();
    core_->admission.close();
    join(group_thread_);
    for (auto& t : encode_threads_) join(t);
    core_->dispatch_q.close();
    join(dispatch_thread_);
    core_->shutdown_inflight();
    core_->decode_q.close();
    for (auto& t : decode_threads_) join(t);
    core_->timers.stop();  // also drops the timers not yet fired: they hold groups
    core_->io_q.close();
    for (auto& t : io_threads_) join(t);
    // An asynchronous transport may keep the completions of its pending calls, and they hold the
    // core: drop the runtime's copy of the transport here, on this thread, so no reference cycle
    // keeps the core and the transport's state alive after the Runtime is gone.
    auto async = std::move(core_->async_transport);
    auto sync = std::move(core_->sync_transport);
    core_->async_transport = nullptr;
    core_->sync_transport = nullptr;
  }

  /// A snapshot of the counters, queue depths and histograms. Thread-safe.
  RuntimeMetrics metrics() const { return core_->snapshot(); }
  const RuntimeParams& params() const { return core_->params; }
  /// The code in use (scheme, K, N, decoder). Thread-safe.
  const AnyCode<S>& code() const { return core_->code; }

 private:
  void start(bool is_async) {
    auto core = core_;
    core->timers.start();
    group_thread_ = std::thread([core] { core->group_loop(); });
    encode_threads_.resize(std::size_t(core->params.encode_threads));
    for (auto& t : encode_threads_) t = std::thread([core] { core->encode_loop(); });
    dispatch_thread_ = std::thread([core] { core->dispatch_loop(core); });
    decode_threads_.resize(std::size_t(core->params.decode_threads));
    for (auto& t : decode_threads_) t = std::thread([core] { core->decode_loop(); });
    if (!is_async) {
      io_threads_.resize(std::size_t(core->params.io_threads));
      for (auto& t : io_threads_) t = std::thread([core] { core->io_loop(); });
    }
    running_ = true;
  }
  static void join(std::thread& t) {
    if (t.joinable()) t.join();
  }

  std::shared_ptr<detail::Core<S>> core_;
  std::thread group_thread_, dispatch_thread_;
  std::vector<std::thread> encode_threads_, decode_threads_, io_threads_;
  bool running_ = false;
  std::mutex shutdown_mutex_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
