// The optimisers for min_x f(x) + h(x), f a smooth finite sum and h a regulariser with a prox:
// proximal SVRG (synchronous), DAP-SVRG, its prox-at-server variant, and DAP-SGD.
#pragma once

#include <nercc/config.hpp>
#include <nercc/optim/detail/engine.hpp>
#include <nercc/optim/params.hpp>
#include <nercc/optim/progress.hpp>
#include <nercc/optim/simulated_executor.hpp>
#include <nercc/types.hpp>

#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

namespace detail {
template <class Objective, class Prox, class Executor, class Callback>
OptimResult solve(Method method, const Objective& objective, const Prox& prox, const SvrgParams& params,
                  Vector<double> x0, const Executor& executor, Callback& callback) {
  Engine<Objective, Prox, Callback> engine(objective, prox, params, method, std::move(x0), callback);
  executor.run(engine);
  return engine.result();
}
}  // namespace detail

/// Proximal SVRG (Xiao and Zhang), synchronous: epoch s takes x~ = x, mu = grad f(x~), then
/// inner_iterations times x <- prox_{eta h}(x - eta v), v = grad f_I(x) - grad f_I(x~) + mu.
/// Linear convergence when f + h is strongly convex. Runs on the calling thread; reentrant.
/// Objective and prox: see nercc/optim/objective.hpp and prox.hpp. callback(const Progress&)
/// is called after each epoch (and once at the start); returning false stops the run. An
/// lvalue callback is called in place (not copied), so it can collect a history.
template <class Objective, class Prox, class Callback = NoProgress>
OptimResult prox_svrg(const Objective& objective, const Prox& prox, const SvrgParams& params, Vector<double> x0,
                      Callback&& callback = {}) {
  return detail::solve(detail::Method::prox_at_server, objective, prox, params, std::move(x0),
                       SimulatedExecutor(std::vector<double>{0.0}), callback);
}

/// DAP-SVRG (Huo, Gu, Huang): each worker copies x (possibly stale: y), takes group_size
/// proximal variance-reduced steps y+ = prox_{eta h}(y - eta v) itself and sends
/// delta = y - y+; the server only adds, x <- x - gamma delta, at O(d) per message whatever
/// the prox costs, and keeps every message at most max_staleness updates old. With mean
/// staleness above a few, gamma = 1 can stall; automatic_relaxation sets
/// gamma = min(1, c / mean staleness). Executors: SimulatedExecutor, ThreadExecutor,
/// MpiExecutor. Thread safety: as the executor documents; the callback runs on the server.
template <class Objective, class Prox, class Executor, class Callback = NoProgress>
OptimResult dap_svrg(const Objective& objective, const Prox& prox, const SvrgParams& params, Vector<double> x0,
                     const Executor& executor, Callback&& callback = {}) {
  return detail::solve(detail::Method::decoupled, objective, prox, params, std::move(x0), executor, callback);
}

/// The non-decoupled variant of DAP-SVRG: workers send v = grad f_I(y) - grad f_I(x~) + mu and
/// the server takes the proximal step x <- prox_{eta h}(x - eta v) per message (so its work
/// grows with the cost of the prox). group_size must be 1; relaxation is not used. With no
/// staleness it is proximal SVRG, and equals DAP-SVRG with gamma = 1.
template <class Objective, class Prox, class Executor, class Callback = NoProgress>
OptimResult dap_svrg_prox_at_server(const Objective& objective, const Prox& prox, const SvrgParams& params,
                                    Vector<double> x0, const Executor& executor, Callback&& callback = {}) {
  return detail::solve(detail::Method::prox_at_server, objective, prox, params, std::move(x0), executor, callback);
}

/// DAP-SGD: DAP-SVRG without variance reduction (v = grad f_I(y); no snapshot, no full
/// gradient). Converges sublinearly, and only with a decaying step (step_decay > 0).
template <class Objective, class Prox, class Executor, class Callback = NoProgress>
OptimResult dap_sgd(const Objective& objective, const Prox& prox, const SvrgParams& params, Vector<double> x0,
                    const Executor& executor, Callback&& callback = {}) {
  return detail::solve(detail::Method::decoupled_sgd, objective, prox, params, std::move(x0), executor, callback);
}

}  // namespace optim
NERCC_NAMESPACE_END
