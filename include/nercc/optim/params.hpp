// SvrgParams: the one parameter struct of the proximal SVRG family (sync, DAP-SVRG, DAP-SGD).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <cmath>
#include <cstdint>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Parameters of the optimisers for min f(x) + h(x). An aggregate with defaults: set the step
/// at least. Epoch s takes a snapshot x~ and mu = grad f(x~), then applies inner_iterations
/// messages; each message is group_size proximal steps of step eta_s = step / (1 + step_decay s)
/// on a worker's (possibly stale) copy, each step on a minibatch of minibatch terms.
struct SvrgParams {
  double step = 0.0;            ///< eta > 0 (for SVRG about 1 / (3 L_max) or larger with minibatches)
  double step_decay = 0.0;      ///< >= 0; eta_s = step / (1 + step_decay s) (DAP-SGD needs > 0 to converge)
  Index epochs = 30;            ///< outer iterations (snapshots), >= 1
  Index inner_iterations = 0;   ///< messages per epoch; 0: one data pass, ceil(n / (minibatch group_size))
  Index minibatch = 1;          ///< terms per stochastic gradient, >= 1
  Index max_staleness = 64;     ///< tau >= 0: no applied message is more than tau updates old (0: serial)
  Index group_size = 1;         ///< proximal steps a worker takes per message (decoupled methods), >= 1
  double relaxation = 1.0;      ///< gamma in (0, 1]: the server applies x <- x - gamma delta
  bool automatic_relaxation = false;  ///< gamma = min(1, relaxation_constant / mean measured staleness)
  double relaxation_constant = 1.0;   ///< c > 0 of the automatic relaxation (c = 1.5 already stalls in tests)
  std::uint64_t seed = 1;       ///< minibatch of message k in epoch s depends only on (seed, s, k)

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using nercc::detail::message;
    if (!(step > 0.0) || !std::isfinite(step)) throw invalid_argument(message("step (", step, ") must be finite and > 0"));
    if (!(step_decay >= 0.0) || !std::isfinite(step_decay))
      throw invalid_argument(message("step_decay (", step_decay, ") must be finite and >= 0"));
    if (epochs < 1) throw invalid_argument(message("epochs (", epochs, ") must be >= 1"));
    if (inner_iterations < 0) throw invalid_argument(message("inner_iterations (", inner_iterations, ") must be >= 0"));
    if (minibatch < 1) throw invalid_argument(message("minibatch (", minibatch, ") must be >= 1"));
    if (max_staleness < 0) throw invalid_argument(message("max_staleness (", max_staleness, ") must be >= 0"));
    if (group_size < 1) throw invalid_argument(message("group_size (", group_size, ") must be >= 1"));
    if (!(relaxation > 0.0 && relaxation <= 1.0))
      throw invalid_argument(message("relaxation (", relaxation, ") must be in (0, 1]"));
    if (!(relaxation_constant > 0.0) || !std::isfinite(relaxation_constant))
      throw invalid_argument(message("relaxation_constant (", relaxation_constant, ") must be finite and > 0"));
  }

  /// Messages per epoch for n terms: inner_iterations, or one pass over the data.
  Index messages_per_epoch(Index num_terms) const {
    return inner_iterations > 0 ? inner_iterations : (num_terms + minibatch * group_size - 1) / (minibatch * group_size);
  }
};

}  // namespace optim
NERCC_NAMESPACE_END
