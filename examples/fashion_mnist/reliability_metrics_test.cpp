// The reliability measurement's statistics: rank-sum AUC against a hand-computed case and a
// brute-force pair count, its invariants, the bootstrap interval and the fallback curve.
#include "reliability_metrics.hpp"

#include <catch2/catch.hpp>

#include <random>

using nercc_examples::bootstrap_auc;
using nercc_examples::relacc_with_fallback;
using nercc_examples::roc_auc;
using nercc_examples::ScoredEstimate;

namespace {
// P(score_pos > score_neg) + 0.5 P(tie), over every pair.
double pairwise_auc(const std::vector<double>& s, const std::vector<bool>& p) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j)
      if (p[i] && !p[j]) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}
}  // namespace

TEST_CASE("roc_auc: a hand-computed case with a tie") {
  // Positives 0.9, 0.4, 0.6 against negatives 0.5, 0.4, 0.1: 0.9 wins 3, 0.4 loses to 0.5, ties
  // 0.4 and beats 0.1 (1.5), 0.6 wins 3: 7.5 of 9 pairs.
  const std::vector<double> s{0.9, 0.5, 0.4, 0.4, 0.6, 0.1};
  const std::vector<bool> p{true, false, true, false, true, false};
  CHECK(roc_auc(s, p) == Approx(7.5 / 9.0).epsilon(1e-12));
}

TEST_CASE("roc_auc: perfect, reversed and constant scores") {
  const std::vector<bool> p{false, true, false, true, true, false};
  const std::vector<double> perfect{0, 1, 0.2, 2, 3, 0.1};
  std::vector<double> reversed;
  for (double v : perfect) reversed.push_back(-v);
  CHECK(roc_auc(perfect, p) == 1.0);
  CHECK(roc_auc(reversed, p) == 0.0);
  CHECK(roc_auc(std::vector<double>(6, 7.0), p) == 0.5);
  // Invariant under a strictly increasing transform.
  std::vector<double> cubed;
  for (double v : perfect) cubed.push_back(v * v * v + 5);
  CHECK(roc_auc(cubed, p) == roc_auc(perfect, p));
}

TEST_CASE("roc_auc: agrees with the brute-force pair count on random scores with ties") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> level(0, 9);  // few levels: many ties
  std::bernoulli_distribution coin(0.3);
  for (int round = 0; round < 20; ++round) {
    std::vector<double> s;
    std::vector<bool> p;
    for (int i = 0; i < 200; ++i) {
      s.push_back(level(rng));
      p.push_back(coin(rng));
    }
    const double a = roc_auc(s, p);
    CHECK(a == Approx(pairwise_auc(s, p)).epsilon(1e-12));
    // Swapping the classes mirrors the AUC.
    std::vector<bool> q;
    for (bool b : p) q.push_back(!b);
    CHECK(roc_auc(s, q) == Approx(1.0 - a).epsilon(1e-12));
  }
}

TEST_CASE("roc_auc: one class only is undefined; bad input throws") {
  CHECK(std::isnan(roc_auc({1, 2, 3}, {true, true, true})));
  CHECK_THROWS_AS(roc_auc({1, 2}, {true}), std::invalid_argument);
  CHECK_THROWS_AS(roc_auc({1, std::nan("")}, {true, false}), std::invalid_argument);
}

TEST_CASE("bootstrap_auc: the interval holds the estimate and narrows with more data") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  auto sample = [&](int n) {
    std::vector<double> s;
    std::vector<bool> p;
    for (int i = 0; i < n; ++i) {
      const bool pos = i % 2 == 0;
      s.push_back(noise(rng) + (pos ? 1.0 : 0.0));  // true AUC = Phi(1 / sqrt 2) = 0.760
      p.push_back(pos);
    }
    return std::make_pair(s, p);
  };
  const auto [s1, p1] = sample(200);
  const auto [s2, p2] = sample(5000);
  const auto small = bootstrap_auc(s1, p1, 400, 1), large = bootstrap_auc(s2, p2, 400, 1);
  CHECK(small.lo <= small.auc);
  CHECK(small.auc <= small.hi);
  CHECK(large.hi - large.lo < small.hi - small.lo);
  CHECK(large.lo < 0.760);
  CHECK(large.hi > 0.760);
}

TEST_CASE("relacc_with_fallback: the ends of the curve and ties") {
  // 2 exact queries; estimates (score, agrees, fallback agrees).
  const std::vector<ScoredEstimate> e{{0.1, false, true}, {0.2, true, false}, {0.9, true, true}, {0.9, false, true}};
  CHECK(relacc_with_fallback(e, 2, 0.0) == Approx(4.0 / 6.0));  // 2 exact + 2 agreeing estimates
  CHECK(relacc_with_fallback(e, 2, 1.0) == Approx(5.0 / 6.0));  // 2 exact + 3 fallback agreements
  CHECK(relacc_with_fallback(e, 2, 0.25) == Approx(5.0 / 6.0));  // the wrong 0.1 goes to the fallback
  // q = 0.75 sends one of the two tied 0.9 estimates: expected 0.5 * (1 + 1) + 0.5 * (1 + 0) = 1.5.
  CHECK(relacc_with_fallback(e, 2, 0.75) == Approx((2 + 1 + 0 + 1.5) / 6.0));
  CHECK_THROWS_AS(relacc_with_fallback(e, 2, 1.5), std::invalid_argument);
}

TEST_CASE("bootstrap weights: integer multiplicities give the AUC of the replicated sample") {
  const std::vector<double> s{0.3, 0.1, 0.3, 0.8, 0.5, 0.1};
  const std::vector<bool> p{true, false, false, true, false, true};
  const std::vector<double> w{2, 0, 1, 3, 1, 1};
  std::vector<double> rs;
  std::vector<bool> rp;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (int c = 0; c < int(w[i]); ++c) rs.push_back(s[i]), rp.push_back(p[i]);
  const nercc_examples::detail::TieBlocks blocks(s);
  CHECK(blocks.auc(p, [&](std::size_t i) { return w[i]; }) == Approx(roc_auc(rs, rp)).epsilon(1e-12));
}
