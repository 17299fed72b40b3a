// One measurement of the Byzantine evaluation: groups of K queries through one encoding, each
// decoder at each threshold, with no adversary and under every attack at random and at the
// worst positions. Accumulates RelAcc, MSE, the damage against the clean decode and the
// precision and recall of the flags.
#pragma once

#include "attacks.hpp"
#include "coders.hpp"

#include <Eigen/SVD>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace nercc_examples {

/// A model and where its queries come from.
struct Task {
  std::string name;
  std::function<AnswerMatrix(const AnswerMatrix& inputs)> model;  ///< rows in, rows of outputs out
  std::function<AnswerMatrix(std::mt19937_64& rng, Index k)> draw;  ///< K queries of one group
};

/// Totals of one (detector, threshold, attack, placement) over the groups.
struct Tally {
  Index groups = 0, queries = 0, agree = 0, adversaries = 0, flagged = 0, caught = 0, honest = 0, honest_flagged = 0,
        groups_false_flag = 0, bound_violations = 0, bound_groups = 0, bound_skipped = 0;
  double sq_error = 0.0, damage_sum = 0.0, damage_max = 0.0, amplitude_sum = 0.0, bound_max = 0.0;
  Index values = 0;  ///< entries behind sq_error (available estimates times d)
};

struct Key {
  std::string detector;
  double threshold;
  std::string attack;  ///< "none" for no adversary
  std::string placement;
  bool operator<(const Key& o) const {
    return std::tie(detector, threshold, attack, placement) < std::tie(o.detector, o.threshold, o.attack, o.placement);
  }
};

/// What one evaluation measures, and its results.
struct Measurement {
  std::string model, scheme, layout;
  Index n = 0, k = 0, e = 0, s = 0;
  std::map<Key, Tally> tallies;
  Index plain_agree = 0, plain_queries = 0;  ///< the E = 0 decoder with no adversary
};

/// The oracle's rows: detector "oracle", attack "erased" (the wrong answers dropped, whatever
/// they were) at each placement, and "none" (the plain decode of every answer).
inline const std::string oracle_detector = "oracle", oracle_attack = "erased";

struct EvalConfig {
  Index groups = 50;
  Index s = 0;
  std::vector<double> thresholds;
  std::vector<std::string> attacks;  ///< names from all_attacks()
  std::vector<Placement> placements{Placement::random, Placement::worst};
  std::uint64_t seed = 1;
  /// Called with every group's answered workers and their honest answers (before any attack).
  std::function<void(const std::vector<Index>& ids, const AnswerMatrix& y)> on_answers;
};

namespace detail_eval {

inline Index argmax(const AnswerMatrix& m, Index row) {
  Index best = 0;
  for (Index c = 1; c < m.cols(); ++c)
    if (m(row, c) > m(row, best)) best = c;
  return best;
}

inline void score(Tally& t, const Decoded& got, const AnswerMatrix& truth, const AnswerMatrix* clean,
                  const std::vector<Index>& bad, Index u) {
  ++t.groups;
  const Index k = truth.rows(), d = truth.cols();
  for (Index q = 0; q < k; ++q) {
    ++t.queries;
    if (!got.values.row(q).allFinite()) continue;
    t.agree += argmax(got.values, q) == argmax(truth, q) ? 1 : 0;
    t.sq_error += (got.values.row(q).cast<double>() - truth.row(q).cast<double>()).squaredNorm();
    t.values += d;
  }
  if (clean) {
    double sq = 0.0;
    Index count = 0;
    for (Index q = 0; q < k; ++q)
      if (got.values.row(q).allFinite() && clean->row(q).allFinite()) {
        sq += (got.values.row(q).cast<double>() - clean->row(q).cast<double>()).squaredNorm();
        count += d;
      }
    const double damage = count > 0 ? sq / double(count) : 0.0;
    t.damage_sum += damage;
    t.damage_max = std::max(t.damage_max, damage);
  }
  t.adversaries += Index(bad.size());
  t.flagged += Index(got.flagged.size());
  Index caught = 0;
  for (Index r : got.flagged) caught += std::find(bad.begin(), bad.end(), r) != bad.end() ? 1 : 0;
  t.caught += caught;
  t.honest += u - Index(bad.size());
  t.honest_flagged += Index(got.flagged.size()) - caught;
  t.groups_false_flag += Index(got.flagged.size()) > caught ? 1 : 0;
}

}  // namespace detail_eval

/// Runs cfg.groups groups of K queries of `task` through `enc`, S = cfg.s stragglers at random.
/// Chunks of groups share one model call (the other_query attack uses the next group of the
/// chunk). Calls tick() after each group.
inline Measurement evaluate(const Task& task, const Encoding& enc, const EvalConfig& cfg,
                            const std::function<void()>& tick = {}) {
  using namespace detail_eval;
  Measurement out;
  out.model = task.name;
  out.scheme = enc.scheme;
  out.layout = enc.layout;
  out.n = enc.n;
  out.k = enc.k;
  out.e = enc.e;
  out.s = cfg.s;
  std::mt19937_64 rng(cfg.seed);
  const Index n = enc.n, k = enc.k, chunk = std::max<Index>(2, std::min<Index>(16, 4096 / (n + k)));
  for (Index g0 = 0; g0 < cfg.groups; g0 += chunk) {
    const Index count = std::min(chunk, cfg.groups - g0) < 2 ? 2 : std::min(chunk, cfg.groups - g0);
    // Inputs of the chunk: per group K queries then (coded encodings) N coded queries.
    std::vector<AnswerMatrix> batches;
    for (Index g = 0; g < count; ++g) batches.push_back(task.draw(rng, k));
    const Index p = batches[0].cols();
    const Index per = enc.encode ? k + n : k;
    AnswerMatrix inputs(count * per, p);
    for (Index g = 0; g < count; ++g) {
      inputs.middleRows(g * per, k) = batches[std::size_t(g)];
      if (enc.encode) {
        AnswerMatrix coded(n, p);
        enc.encode(batches[std::size_t(g)], coded);
        inputs.middleRows(g * per + k, n) = coded;
      }
    }
    const AnswerMatrix outputs = task.model(inputs);
    const auto answers_of = [&](Index g) {  // every worker's answer of group g (N x d)
      if (enc.encode) return AnswerMatrix(outputs.middleRows(g * per + k, n));
      AnswerMatrix all(n, outputs.cols());
      for (Index w = 0; w < n; ++w) all.row(w) = outputs.row(g * per + enc.query_of_worker(w));
      return all;
    };
    const Index used = std::min(count, cfg.groups - g0);
    for (Index g = 0; g < used; ++g) {
      const AnswerMatrix truth = outputs.middleRows(g * per, k);
      const AnswerMatrix all = answers_of(g), other_all = answers_of((g + 1) % count);
      std::vector<Index> ids = random_rows(rng, n, n - cfg.s);
      const Index u = Index(ids.size());
      AnswerMatrix y(u, all.cols()), other(u, all.cols());
      for (Index r = 0; r < u; ++r) y.row(r) = all.row(ids[std::size_t(r)]), other.row(r) = other_all.row(ids[std::size_t(r)]);

      if (cfg.on_answers) cfg.on_answers(ids, y);
      const AnswerMatrix plain = enc.plain(ids, y);
      for (Index q = 0; q < k; ++q) {
        ++out.plain_queries;
        out.plain_agree += plain.row(q).allFinite() && argmax(plain, q) == argmax(truth, q) ? 1 : 0;
      }
      std::vector<std::vector<Index>> positions;
      for (Placement pl : cfg.placements)
        positions.push_back(pl == Placement::random ? random_rows(rng, u, enc.e) : enc.worst(ids, enc.e));
      // The oracle: the plain decode of the answers with the wrong ones erased, what a perfect
      // detector would leave whatever they answered (the bound on every detector of this code).
      score(out.tallies[{oracle_detector, -1.0, "none", "none"}], Decoded{plain, {}}, truth, nullptr, {}, u);
      for (std::size_t pi = 0; pi < cfg.placements.size(); ++pi) {
        std::vector<Index> kept;
        const AnswerMatrix rest = detail_coders::without_rows(y, ids, positions[pi], kept);
        score(out.tallies[{oracle_detector, -1.0, oracle_attack, to_string(cfg.placements[pi])}],
              Decoded{enc.plain(kept, rest), positions[pi]}, truth, &plain, positions[pi], u);
      }
      for (const Detector& det : enc.detectors) {
        const std::vector<double> thresholds = det.uses_threshold ? cfg.thresholds : std::vector<double>{-1.0};
        for (double t : thresholds) {
          const Decoded clean = det.decode(ids, y, t);
          score(out.tallies[{det.name, t, "none", "none"}], clean, truth, nullptr, {}, u);
          for (std::size_t pi = 0; pi < cfg.placements.size(); ++pi) {
            const std::vector<Index>& bad = positions[pi];
            for (const std::string& name : cfg.attacks) {
              const Attack& attack = attack_named(name);
              Tally& tally = out.tallies[{det.name, t, name, to_string(cfg.placements[pi])}];
              AnswerMatrix attacked;
              if (attack.kind == AttackKind::adaptive) {
                const auto caught = [&](const AnswerMatrix& z) {
                  const Decoded got = det.decode(ids, z, t);
                  for (Index r : got.flagged)
                    if (std::find(bad.begin(), bad.end(), r) != bad.end()) return true;
                  return false;
                };
                double amplitude = 0.0;
                attacked = adaptive_bias(y, bad, caught, amplitude);
                tally.amplitude_sum += amplitude;
                // The documented bound for wrong answers A that stay under a threshold t > 0 in a
                // decode that flags nothing (the first step's scores of A are then <= t): with
                // G = C^T C, G_AA E_A = B, |B_j| <= |c_j| t scale + |c_j^T C Y| (Y the clean
                // answers), so |E_A| <= |B| / sigma_min(G_AA) and the damage to the estimates is
                // at most |D_A| |E_A| (MSE: squared over K d), plus the difference between the
                // plain decode and the clean one. (E = 1: |e| <= (t scale + |t_a|) / |C_a|.) A
                // decode that flags honest answers under attack breaks the premise: counted apart.
                if (det.uses_threshold && t > 0 && enc.check) {
                  const Decoded got = det.decode(ids, attacked, t);
                  if (!got.flagged.empty()) {
                    ++tally.bound_skipped;
                  } else {
                    const nercc::RowMatrix<double> c = enc.check(ids), dm = enc.decoding(ids);
                    const nercc::RowMatrix<double> gram = c.transpose() * c, res = c * y.cast<double>();
                    const double sc = enc.scale(ids, attacked, t);
                    const Index na = Index(bad.size());
                    Eigen::MatrixXd gaa(na, na), da(dm.rows(), na);
                    double b_sq = 0.0;
                    for (Index i = 0; i < na; ++i) {
                      const Index ai = bad[std::size_t(i)];
                      for (Index j = 0; j < na; ++j) gaa(i, j) = gram(ai, bad[std::size_t(j)]);
                      da.col(i) = dm.col(ai);
                      const double b = c.col(ai).norm() * t * sc + (c.col(ai).transpose() * res).norm();
                      b_sq += b * b;
                    }
                    const double smallest = Eigen::JacobiSVD<Eigen::MatrixXd>(gaa).singularValues()(na - 1);
                    const double reach = Eigen::JacobiSVD<Eigen::MatrixXd>(da).singularValues()(0) * std::sqrt(b_sq) /
                                         smallest;
                    const double moved = (plain.cast<double>() - clean.values.cast<double>()).norm();
                    const double bound = (reach + moved) * (reach + moved) / double(k * y.cols());
                    tally.bound_max = std::max(tally.bound_max, bound);
                    double sq = 0.0;
                    for (Index q = 0; q < k; ++q)
                      sq += (got.values.row(q).cast<double>() - clean.values.row(q).cast<double>()).squaredNorm();
                    ++tally.bound_groups;
                    if (sq / double(k * y.cols()) > bound * (1 + 1e-6) + 1e-12) ++tally.bound_violations;
                  }
                }
              } else {
                attacked = apply_attack(attack, y, bad, other, rng);
              }
              score(tally, det.decode(ids, attacked, t), truth, &clean.values, bad, u);
            }
          }
        }
      }
      if (tick) tick();
    }
  }
  return out;
}

}  // namespace nercc_examples
