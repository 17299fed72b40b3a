// What wrong workers answer, and where they sit: the attack and placement policies of the
// Byzantine evaluation, apart from the decoders they are measured against.
#pragma once

#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

using nercc::Index;
using AnswerMatrix = nercc::RowMatrix<float>;

enum class AttackKind { sign_flip, noise, constant, copy, other_query, adaptive };

/// One attack of the issue. noise: sigma times the answers' root mean square per coordinate.
struct Attack {
  AttackKind kind;
  double sigma = 0.0;
  std::string name;
};

/// Every attack, in the order of every table.
inline const std::vector<Attack>& all_attacks() {
  static const std::vector<Attack> table = {
      {AttackKind::sign_flip, 0, "sign_flip"},     {AttackKind::noise, 1, "noise_1"},
      {AttackKind::noise, 10, "noise_10"},         {AttackKind::noise, 100, "noise_100"},
      {AttackKind::constant, 0, "constant"},       {AttackKind::copy, 0, "copy_other_worker"},
      {AttackKind::other_query, 0, "other_query"}, {AttackKind::adaptive, 0, "adaptive"},
  };
  return table;
}

inline const Attack& attack_named(const std::string& name) {
  for (const Attack& a : all_attacks())
    if (a.name == name) return a;
  throw std::invalid_argument("unknown attack \"" + name + "\"");
}

/// Root mean square of the answers: the output scale the attacks are relative to.
inline double output_scale(const AnswerMatrix& y) {
  return std::sqrt(y.cast<double>().squaredNorm() / double(std::max<Index>(1, y.size())));
}

/// The answers with the non-adaptive attack applied at rows `bad`. other: the same workers'
/// answers on another group's coded queries (other_query). The adaptive attack needs the
/// decoder: see adaptive_bias below.
inline AnswerMatrix apply_attack(const Attack& attack, const AnswerMatrix& y, const std::vector<Index>& bad,
                                 const AnswerMatrix& other, std::mt19937_64& rng) {
  AnswerMatrix out = y;
  const double scale = output_scale(y);
  std::normal_distribution<double> normal;
  for (Index r : bad) {
    switch (attack.kind) {
      case AttackKind::sign_flip: out.row(r) = -y.row(r); break;
      case AttackKind::noise:
        for (Index m = 0; m < y.cols(); ++m) out(r, m) += float(attack.sigma * scale * normal(rng));
        break;
      case AttackKind::constant: out.row(r).setConstant(float(scale)); break;
      case AttackKind::copy: {
        // a uniformly random honest answer
        std::vector<Index> honest;
        for (Index j = 0; j < y.rows(); ++j)
          if (std::find(bad.begin(), bad.end(), j) == bad.end()) honest.push_back(j);
        out.row(r) = y.row(honest[std::uniform_int_distribution<std::size_t>(0, honest.size() - 1)(rng)]);
        break;
      }
      case AttackKind::other_query: out.row(r) = other.row(r); break;
      case AttackKind::adaptive: throw std::logic_error("apply_attack: the adaptive attack needs the decoder");
    }
  }
  return out;
}

/// The adaptive attacker's direction at each bad row: down the answer's top output, up its
/// runner-up (the bias that moves argmax decisions most per unit of norm), unit length.
inline AnswerMatrix adaptive_direction(const AnswerMatrix& y, const std::vector<Index>& bad) {
  AnswerMatrix dir = AnswerMatrix::Zero(y.rows(), y.cols());
  for (Index r : bad) {
    Index top = 0, second = y.cols() > 1 ? 1 : 0;
    for (Index m = 0; m < y.cols(); ++m)
      if (y(r, m) > y(r, top)) top = m;
    second = top == 0 && y.cols() > 1 ? 1 : 0;
    for (Index m = 0; m < y.cols(); ++m)
      if (m != top && y(r, m) > y(r, second)) second = m;
    if (top == second) {
      dir(r, top) = 1.0f;
    } else {
      dir(r, top) = -float(std::sqrt(0.5));
      dir(r, second) = float(std::sqrt(0.5));
    }
  }
  return dir;
}

/// The adaptive attacker: the largest bias amplitude a (in units of the output scale) along
/// adaptive_direction with which `caught(answers)` stays false, by doubling then bisection
/// (the attacker knows the code and the detector, so it can run them). Returns the attacked
/// answers; `amplitude` gets a times the scale.
template <class Caught>
AnswerMatrix adaptive_bias(const AnswerMatrix& y, const std::vector<Index>& bad, const Caught& caught,
                           double& amplitude) {
  const double scale = output_scale(y);
  const AnswerMatrix dir = adaptive_direction(y, bad);
  const auto attacked = [&](double a) { return AnswerMatrix(y + float(a * scale) * dir); };
  double lo = 0.0, hi = 1.0 / 64;
  while (hi < 1e6 && !caught(attacked(hi))) lo = hi, hi *= 2;
  if (hi >= 1e6) lo = hi;  // never caught: the detector does not see this bias at all
  else
    for (int step = 0; step < 10; ++step) {
      const double mid = 0.5 * (lo + hi);
      if (caught(attacked(mid))) hi = mid;
      else lo = mid;
    }
  amplitude = lo * scale;
  return attacked(lo);
}

enum class Placement { random, worst };

inline const char* to_string(Placement p) { return p == Placement::random ? "random" : "worst"; }

/// E distinct rows among u, uniformly at random, ascending.
inline std::vector<Index> random_rows(std::mt19937_64& rng, Index u, Index e) {
  std::vector<Index> all(static_cast<std::size_t>(u));
  std::iota(all.begin(), all.end(), Index(0));
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<std::size_t>(e));
  std::sort(all.begin(), all.end());
  return all;
}

/// The E rows where an error hurts most for the least evidence: largest |D_a| / |C_a|, D the
/// plain decoding matrix of the answered set (K x u: how much of an error at a reaches the
/// estimates) and C its leave-one-out check matrix (u x u: how much of it the detector sees).
/// The adaptive attacker's damage bound is proportional to this ratio.
inline std::vector<Index> worst_rows(const nercc::RowMatrix<double>& decoding, const nercc::RowMatrix<double>& check,
                                     Index e) {
  const Index u = check.cols();
  std::vector<double> ratio(static_cast<std::size_t>(u));
  for (Index a = 0; a < u; ++a) ratio[std::size_t(a)] = decoding.col(a).norm() / std::max(check.col(a).norm(), 1e-300);
  std::vector<Index> order(static_cast<std::size_t>(u));
  std::iota(order.begin(), order.end(), Index(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](Index x, Index y) { return ratio[std::size_t(x)] > ratio[std::size_t(y)]; });
  order.resize(static_cast<std::size_t>(e));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace nercc_examples
