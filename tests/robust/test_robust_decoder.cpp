// Byzantine-robust decoding (issue 18): every attack of the issue on a synthetic smooth model,
// adversaries at every position (the worst included) and at random, for the spline and Berrut
// codes in the default and the systematic layout; replication's vote; the error paths.
#include <catch2/catch.hpp>

#include <nercc/nercc.hpp>
#include <nercc/robust/leave_one_out.hpp>
#include <nercc/robust/residual_detector.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

using nercc::Index;
using nercc::RowMatrix;

constexpr Index robust_k = 12, robust_n = 27, robust_dim = 64, robust_inputs = 8;

// The synthetic model: d = robust_dim outputs tanh(W x / sqrt(p)) of p = robust_inputs inputs,
// its queries samples of a smooth curve (so that the code approximates it well).
struct SmoothTask {
  RowMatrix<double> weights;  // d x p
  RowMatrix<double> queries;  // K x p
  SmoothTask(const std::vector<double>& alpha, std::uint32_t seed) {
    std::mt19937 g(seed);
    std::normal_distribution<double> nd;
    weights.resize(robust_dim, robust_inputs);
    for (Index i = 0; i < weights.size(); ++i) weights.data()[i] = nd(g) / std::sqrt(double(robust_inputs));
    std::vector<double> a0(robust_inputs), a1(robust_inputs), a2(robust_inputs);
    for (Index j = 0; j < robust_inputs; ++j) a0[std::size_t(j)] = nd(g), a1[std::size_t(j)] = nd(g), a2[std::size_t(j)] = nd(g);
    queries.resize(Index(alpha.size()), robust_inputs);
    for (Index k = 0; k < queries.rows(); ++k)
      for (Index j = 0; j < robust_inputs; ++j)
        queries(k, j) = a0[std::size_t(j)] + a1[std::size_t(j)] * std::cos(2 * alpha[std::size_t(k)]) +
                        a2[std::size_t(j)] * std::sin(3 * alpha[std::size_t(k)]);
  }
  template <class S>
  RowMatrix<S> model(const RowMatrix<double>& x) const {
    return (x * weights.transpose()).array().tanh().matrix().template cast<S>();
  }
};

enum class Attack { sign_flip, noise_1, noise_10, noise_100, constant, copy_far, other_query };

const char* attack_name(Attack a) {
  switch (a) {
    case Attack::sign_flip: return "sign flip";
    case Attack::noise_1: return "noise sigma 1";
    case Attack::noise_10: return "noise sigma 10";
    case Attack::noise_100: return "noise sigma 100";
    case Attack::constant: return "constant vector";
    case Attack::copy_far: return "copy of a far worker";
    case Attack::other_query: return "model output on another coded query";
  }
  return "";
}

// Worker `bad`'s answer under `attack` (scale: the answers' root mean square; `other`: the
// answers of the same code on another group of queries).
template <class S>
void corrupt(RowMatrix<S>& y, Index bad, Attack attack, const RowMatrix<S>& other, std::uint32_t seed) {
  const double scale = std::sqrt(y.template cast<double>().squaredNorm() / double(y.size()));
  std::mt19937 g(seed);
  std::normal_distribution<double> nd;
  const auto noise = [&](double sigma) {
    for (Index m = 0; m < y.cols(); ++m) y(bad, m) += S(sigma * scale * nd(g));
  };
  switch (attack) {
    case Attack::sign_flip: y.row(bad) = -y.row(bad); break;
    case Attack::noise_1: noise(1); break;
    case Attack::noise_10: noise(10); break;
    case Attack::noise_100: noise(100); break;
    case Attack::constant: y.row(bad).setConstant(S(scale)); break;
    case Attack::copy_far: y.row(bad) = y.row((bad + y.rows() / 2) % y.rows()); break;
    case Attack::other_query: y.row(bad) = other.row((bad + 5) % y.rows()); break;
  }
}

std::vector<Index> all_workers(Index n) {
  std::vector<Index> ids(static_cast<std::size_t>(n));
  for (Index w = 0; w < n; ++w) ids[std::size_t(w)] = w;
  return ids;
}

// The answers without the rows of `drop` (ids and outputs in ascending worker order).
template <class S>
void without(const RowMatrix<S>& y, const std::vector<Index>& drop, std::vector<Index>& ids, RowMatrix<S>& rest) {
  ids.clear();
  for (Index w = 0; w < y.rows(); ++w)
    if (std::find(drop.begin(), drop.end(), w) == drop.end()) ids.push_back(w);
  rest.resize(Index(ids.size()), y.cols());
  for (Index r = 0; r < rest.rows(); ++r) rest.row(r) = y.row(ids[std::size_t(r)]);
}

double max_abs(const RowMatrix<double>& m) { return m.cwiseAbs().maxCoeff(); }

nercc::CodeParams robust_code(bool systematic, Index e) {
  nercc::CodeParams p = systematic ? nercc::systematic_params(robust_k, robust_n, 0.3) : nercc::CodeParams{};
  p.num_queries = robust_k;
  p.num_workers = robust_n;
  p.num_adversaries = e;
  return p;
}

// One attack on every worker in turn: the decoder flags exactly that worker and, when they
// cannot be told apart, a twin at nearly the same point (worker points within 0.1), never
// another; its values are bitwise those of the plain (E = 0) decode of the clean answers
// without the flagged workers: nothing of the attack gets through.
template <class Scheme>
void check_attack_everywhere(bool systematic, Attack attack) {
  const nercc::CodeParams p = robust_code(systematic, 1);
  nercc::CodeParams plain_params = p;
  plain_params.num_adversaries = 0;
  const nercc::Encoder<Scheme, double> enc(p);
  const nercc::Decoder<Scheme, double> robust(p), plain(plain_params);
  const SmoothTask task(p.resolved_query_points(), 7), other(p.resolved_query_points(), 8);
  const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
  const RowMatrix<double> elsewhere = other.model<double>(enc.encode(other.queries));
  const std::vector<double> beta = p.resolved_worker_points();
  INFO(Scheme::name << (systematic ? " systematic" : "") << ", " << attack_name(attack));
  for (Index bad = 0; bad < robust_n; ++bad) {
    INFO("adversary at worker " << bad);
    RowMatrix<double> y = clean;
    corrupt(y, bad, attack, elsewhere, std::uint32_t(100 + bad));
    const auto r = robust.decode(all_workers(robust_n), y);
    REQUIRE(r.ok());
    CHECK(std::count(r.flagged_workers.begin(), r.flagged_workers.end(), bad) == 1);
    CHECK(r.diagnostics.answers_flagged == Index(r.flagged_workers.size()));
    REQUIRE(r.flag_scores.size() == r.flagged_workers.size());
    for (Index w : r.flagged_workers) CHECK(std::abs(beta[std::size_t(w)] - beta[std::size_t(bad)]) < 0.1);
    std::vector<Index> ids;
    RowMatrix<double> rest;
    without(clean, r.flagged_workers, ids, rest);
    const auto reference = plain.decode(ids, rest);
    CHECK(r.values == reference.values);
    CHECK(r.provenance == reference.provenance);
  }
}

}  // namespace

TEST_CASE("robust decode finds every attack at every position (spline)", "[robust]") {
  for (Attack a : {Attack::sign_flip, Attack::noise_1, Attack::noise_10, Attack::noise_100, Attack::constant,
                   Attack::copy_far, Attack::other_query}) {
    check_attack_everywhere<nercc::SplineScheme>(false, a);
    check_attack_everywhere<nercc::SplineScheme>(true, a);
  }
}

TEST_CASE("robust decode finds every attack at every position (Berrut)", "[robust]") {
  for (Attack a : {Attack::sign_flip, Attack::noise_1, Attack::noise_10, Attack::noise_100, Attack::constant,
                   Attack::copy_far, Attack::other_query}) {
    check_attack_everywhere<nercc::BerrutScheme>(false, a);
    check_attack_everywhere<nercc::BerrutScheme>(true, a);
  }
}
