// The test problem: elastic-net logistic regression on synthetic data with a sparse truth,
// and its reference solution by FISTA run to convergence.
#pragma once

#include <nercc/optim/fista.hpp>
#include <nercc/optim/logistic.hpp>
#include <nercc/optim/progress.hpp>
#include <nercc/optim/prox.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace optim_test {

using nercc::Index;
using nercc::Vector;
namespace optim = nercc::optim;

struct Problem {
  optim::LogisticRegression objective;
  optim::ElasticNetProx prox;
  Vector<double> x_star;  // FISTA reference
  double f_star;          // f(x_star) + h(x_star)

  double objective_value(const Vector<double>& x) const { return objective.value(x) + prox.value(x); }
  double suboptimality(const Vector<double>& x) const { return objective_value(x) - f_star; }
  /// Step k / L_max, L_max the largest smoothness constant of one term.
  double step(double k) const { return k / objective.max_term_smoothness(); }
};

inline optim::LogisticRegression make_logistic(Index n, Index d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  nercc::RowMatrix<double> a(n, d);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < d; ++j) a(i, j) = normal(rng);
  a /= std::sqrt(double(d));  // rows of norm about 1
  Vector<double> truth = Vector<double>::Zero(d);
  for (Index j = 0; j < d; j += 4) truth[j] = 8.0 * normal(rng);
  Vector<double> y(n);
  std::uniform_real_distribution<double> unif;
  for (Index i = 0; i < n; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-a.row(i).dot(truth)));
    y[i] = unif(rng) < p ? 1.0 : -1.0;
  }
  return optim::LogisticRegression(std::move(a), std::move(y));
}

/// n = 400 terms, d = 40, l1 = 0.01, l2 = 0.002: 6 of 40 weights nonzero at the solution.
inline const Problem& problem() {
  static const Problem p = [] {
    auto f = make_logistic(400, 40, 7);
    optim::ElasticNetProx h(0.01, 0.002);
    optim::FistaParams fp;
    // ||A||_2^2 / (4 n) bounds the smoothness of f.
    const double lipschitz = Eigen::JacobiSVD<Eigen::MatrixXd>(f.features()).singularValues()[0];
    fp.lipschitz = lipschitz * lipschitz / (4.0 * double(f.num_terms()));
    fp.tolerance = 1e-15;
    auto r = optim::fista(f, h, fp, Vector<double>::Zero(f.dim()));
    Problem out{std::move(f), h, r.x, 0.0};
    out.f_star = out.objective_value(out.x_star);
    return out;
  }();
  return p;
}

/// Progress callback that records the suboptimality after each epoch (index = epoch) and
/// stops the run once it falls below stop_below.
struct Trace {
  const Problem* problem;
  double stop_below;
  std::vector<double> suboptimality;

  explicit Trace(const Problem* p, double stop = -std::numeric_limits<double>::infinity()) : problem(p), stop_below(stop) {}
  bool operator()(const optim::Progress& p) {
    suboptimality.push_back(problem->suboptimality(*p.x));
    return suboptimality.back() >= stop_below;
  }
  /// First epoch whose suboptimality is below `level`, or -1.
  Index first_below(double level) const {
    for (std::size_t s = 0; s < suboptimality.size(); ++s)
      if (suboptimality[s] < level) return Index(s);
    return -1;
  }
};

/// Scripted delay 1 + 0.5 u, u in [0, 1) a hash of (worker, message): jittered equal-speed workers.
inline double jittered_delay(Index worker, Index message) {
  std::uint64_t z = std::uint64_t(worker) * 0x9E3779B97F4A7C15ull + std::uint64_t(message) * 0xD1B54A32D192ED03ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  z ^= z >> 29;
  return 1.0 + 0.5 * double(z >> 11) * 0x1.0p-53;
}

}  // namespace optim_test
