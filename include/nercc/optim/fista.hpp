// FISTA with adaptive restart: the accurate full-gradient reference solver.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/optim/objective.hpp>
#include <nercc/optim/prox.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Parameters of fista(). An aggregate with defaults; set lipschitz.
struct FistaParams {
  double lipschitz = 0.0;        ///< L > 0, a Lipschitz constant of grad f (step 1/L)
  Index max_iterations = 100000; ///< >= 1
  double tolerance = 1e-14;      ///< stop when ||x_k+1 - x_k|| <= tolerance (1 + ||x_k+1||), >= 0

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using nercc::detail::message;
    if (!(lipschitz > 0.0) || !std::isfinite(lipschitz))
      throw invalid_argument(message("lipschitz (", lipschitz, ") must be finite and > 0"));
    if (max_iterations < 1) throw invalid_argument(message("max_iterations (", max_iterations, ") must be >= 1"));
    if (!(tolerance >= 0.0)) throw invalid_argument(message("tolerance (", tolerance, ") must be >= 0"));
  }
};

/// Result of fista(): the solution, the iterations used and whether the tolerance was met.
struct FistaResult {
  Vector<double> x;
  Index iterations = 0;
  bool converged = false;
};

/// Accelerated proximal gradient (Beck and Teboulle) on f + h with the gradient-based
/// adaptive restart of O'Donoghue and Candes, so it converges linearly on strongly convex
/// problems: x_k+1 = prox_{h/L}(z - grad f(z) / L), z the momentum point, momentum reset when
/// (z - x_k+1)^T (x_k+1 - x_k) > 0. Uses only full gradients. Reentrant.
template <class Objective, class Prox>
FistaResult fista(const Objective& objective, const Prox& prox, const FistaParams& params, Vector<double> x0) {
  check_objective<Objective>();
  check_prox<Prox>();
  params.validate();
  if (x0.size() != objective.dim())
    throw shape_mismatch(nercc::detail::message("x0 has size ", x0.size(), ", the objective's dim() is ", objective.dim()));
  const double eta = 1.0 / params.lipschitz;
  FistaResult r;
  Vector<double> x = std::move(x0), z = x, next(x.size()), g(x.size());
  double t = 1.0;
  for (r.iterations = 1; r.iterations <= params.max_iterations; ++r.iterations) {
    objective.full_gradient(z, g);
    next = z - eta * g;
    prox.prox(next, eta, next);
    const double change = (next - x).norm();
    if ((z - next).dot(next - x) > 0.0) {
      t = 1.0;  // restart: momentum points uphill
      z = next;
    } else {
      const double t_next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
      z = next + ((t - 1.0) / t_next) * (next - x);
      t = t_next;
    }
    x.swap(next);
    if (change <= params.tolerance * (1.0 + x.norm())) {
      r.converged = true;
      break;
    }
  }
  r.iterations = std::min(r.iterations, params.max_iterations);
  r.x = std::move(x);
  return r;
}

}  // namespace optim
NERCC_NAMESPACE_END
