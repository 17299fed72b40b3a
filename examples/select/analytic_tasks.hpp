// The analytic tasks of the selector's corpus: models with a known shape (x sin x at several
// frequencies, random tanh networks at several weight scales), each under several input
// distributions. Part of the corpus-builder example, not of the library.
#pragma once

#include "task.hpp"

#include <nercc/select/random.hpp>
#include <nercc/tune/sampling.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace select_corpus {

inline double normal(std::mt19937_64& rng) { return nercc::select::standard_normal(rng); }

/// f(x) = (w x) sin(w x), elementwise.
inline Model x_sin_x(double w) {
  return [w](const Matrix& x) -> Matrix { return ((w * x.array()) * (w * x.array()).sin()).matrix(); };
}

/// f(x) = W2 tanh(W1 x), W1 (hidden x d) and W2 (outputs x hidden) with N(0, scale^2 / fan-in) entries.
inline Model tanh_network(double scale, nercc::Index d, nercc::Index hidden, nercc::Index outputs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Matrix w1(hidden, d), w2(outputs, hidden);
  for (nercc::Index i = 0; i < w1.size(); ++i) w1.data()[i] = scale * normal(rng) / std::sqrt(double(d));
  for (nercc::Index i = 0; i < w2.size(); ++i) w2.data()[i] = normal(rng) / std::sqrt(double(hidden));
  return [w1, w2](const Matrix& x) -> Matrix { return (x * w1.transpose()).array().tanh().matrix() * w2.transpose(); };
}

/// Input distributions: "uniform" on [-1, 1]^d, "gaussian" N(0, 0.5^2 I), "related": arrival
/// order in runs of 8 queries near one random centre (spread 0.1), as related-query workloads.
inline Matrix queries(const std::string& law, nercc::Index rows, nercc::Index d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Matrix x(rows, d);
  Eigen::RowVectorXd centre(d);
  for (nercc::Index i = 0; i < rows; ++i) {
    if (law == "related" && i % 8 == 0)
      for (nercc::Index j = 0; j < d; ++j) centre(j) = 2.0 * nercc::uniform_unit(rng) - 1.0;
    for (nercc::Index j = 0; j < d; ++j)
      x(i, j) = law == "uniform"    ? 2.0 * nercc::uniform_unit(rng) - 1.0
                : law == "gaussian" ? 0.5 * normal(rng)
                                    : centre(j) + 0.1 * normal(rng);
  }
  return x;
}

/// Every analytic task; `smoke`: two of them.
inline std::vector<Task> analytic_tasks(bool smoke, nercc::Index rows = 256, nercc::Index d = 8) {
  std::vector<std::pair<std::string, Model>> models;
  for (double w : {1.0, 2.0, 4.0}) models.emplace_back("xsinx_w" + std::to_string(int(w)), x_sin_x(w));
  for (double s : {0.5, 1.0, 2.0, 4.0})
    models.emplace_back("tanh_s" + std::to_string(s).substr(0, 3), tanh_network(s, d, 32, 10, 17));
  std::vector<Task> tasks;
  std::uint64_t seed = 100;
  for (const auto& [name, model] : models)
    for (const char* law : {"uniform", "gaussian", "related"}) {
      tasks.push_back(Task{name + "/" + law, model, queries(law, rows, d, ++seed)});
      if (smoke && tasks.size() == 2) return tasks;
    }
  return tasks;
}

}  // namespace select_corpus
