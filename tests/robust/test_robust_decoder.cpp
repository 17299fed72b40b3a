// Byzantine-robust decoding (issue 18): every attack of the issue on a synthetic smooth model,
// adversaries at every position (the worst included) and at random, for the spline and Berrut
// codes in the default and the systematic layout; replication's vote; the error paths.
#include <catch2/catch.hpp>

#include "../support/coding.hpp"

#include <nercc/nercc.hpp>
#include <nercc/robust/leave_one_out.hpp>
#include <nercc/robust/rational_locator.hpp>
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
  SmoothTask(const std::vector<double>& alpha, std::uint32_t seed, Index dim = robust_dim) {
    std::mt19937 g(seed);
    std::normal_distribution<double> nd;
    weights.resize(dim, robust_inputs);
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

namespace {

// E adversaries at the given workers, sign flip or noise sigma 10: all flagged, and the values
// are those of the plain decode of the clean answers without the flagged ones. (Threshold 0
// spends the budget of E searches, each flagging an answer and its twins, so correct answers
// can be flagged too: the systematic Berrut layout's clusters gave more than 2E flags in some trials.)
template <class Scheme>
void check_several(bool systematic, const std::vector<Index>& bad, Attack attack) {
  INFO(Scheme::name << (systematic ? " systematic" : ""));
  const nercc::CodeParams p = robust_code(systematic, Index(bad.size()));
  nercc::CodeParams plain_params = p;
  plain_params.num_adversaries = 0;
  const nercc::Encoder<Scheme, double> enc(p);
  const nercc::Decoder<Scheme, double> robust(p), plain(plain_params);
  const SmoothTask task(p.resolved_query_points(), 11);
  const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
  RowMatrix<double> y = clean;
  for (Index b : bad) corrupt(y, b, attack, clean, std::uint32_t(b));
  const auto r = robust.decode(all_workers(robust_n), y);
  REQUIRE(r.ok());
  for (Index b : bad) CHECK(std::count(r.flagged_workers.begin(), r.flagged_workers.end(), b) == 1);
  std::vector<Index> ids;
  RowMatrix<double> rest;
  without(clean, r.flagged_workers, ids, rest);
  CHECK(r.values == plain.decode(ids, rest).values);
}

}  // namespace

TEST_CASE("robust decode with E = 2 and 3: adversaries at random and side by side", "[robust]") {
  std::mt19937 g(5);
  for (Attack a : {Attack::sign_flip, Attack::noise_10}) {
    for (Index e : {2, 3}) {
      for (int trial = 0; trial < 10; ++trial) {
        std::vector<Index> all = all_workers(robust_n);
        std::shuffle(all.begin(), all.end(), g);
        const std::vector<Index> bad(all.begin(), all.begin() + e);
        INFO("E = " << e << ", " << attack_name(a) << ", random trial " << trial);
        check_several<nercc::SplineScheme>(false, bad, a);
        check_several<nercc::SplineScheme>(true, bad, a);
        check_several<nercc::BerrutScheme>(false, bad, a);
        check_several<nercc::BerrutScheme>(true, bad, a);
      }
      for (Index first : {Index(0), Index(12), robust_n - e}) {  // the ends and the middle, side by side
        std::vector<Index> bad;
        for (Index i = 0; i < e; ++i) bad.push_back(first + i);
        INFO("E = " << e << ", " << attack_name(a) << ", adjacent from " << first);
        check_several<nercc::SplineScheme>(false, bad, a);
        // Berrut cannot locate three side by side at an end: the default points cluster there
        // (the four nearest the end lie within 0.03), so the three wrong ones outnumber the
        // right one in every local fit and it is the one that looks wrong.
        if (!(e == 3 && first != 12)) check_several<nercc::BerrutScheme>(false, bad, a);
      }
    }
  }
}

TEST_CASE("adaptive attacker: the largest bias under the threshold obeys the documented bound", "[robust]") {
  using Scheme = nercc::SplineScheme;
  nercc::CodeParams p = robust_code(false, 1);
  const nercc::Encoder<Scheme, double> enc(p);
  const SmoothTask task(p.resolved_query_points(), 13);
  const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
  const std::vector<double> beta = p.resolved_worker_points();
  const RowMatrix<double> check = nercc::robust::leave_one_out_matrix(Scheme{}, beta, p.lambda_dec);
  const auto detect = [&](const RowMatrix<double>& y, double threshold) {
    std::vector<const double*> rows;
    for (Index w = 0; w < robust_n; ++w) rows.push_back(y.row(w).data());
    return nercc::robust::detect_wrong_answers<double>(check, rows.data(), y.cols(), 1, threshold);
  };
  // A threshold twice the clean answers' top score: no false flag.
  const auto null = detect(clean, 0.0);
  REQUIRE(null.scores.size() == 1);
  p.detection_threshold = 2.0 * null.scores[0];
  const nercc::Decoder<Scheme, double> robust(p);
  const auto honest = robust.decode(all_workers(robust_n), clean);
  CHECK(honest.flagged_workers.empty());
  const double rms = std::sqrt(clean.squaredNorm() / double(clean.size()));
  for (Index bad : {Index(0), Index(6), Index(13)}) {
    INFO("adaptive adversary at worker " << bad);
    const auto attacked = [&](double b) {
      RowMatrix<double> y = clean;
      y.row(bad).array() += b * rms;
      return y;
    };
    const auto flagged = [&](double b) {
      const auto r = robust.decode(all_workers(robust_n), attacked(b));
      return std::count(r.flagged_workers.begin(), r.flagged_workers.end(), bad) == 1;
    };
    double lo = 0.0, hi = 1.0;
    while (!flagged(hi)) hi *= 2.0;
    for (int i = 0; i < 50; ++i) (flagged(0.5 * (lo + hi)) ? hi : lo) = 0.5 * (lo + hi);
    REQUIRE(!flagged(lo));
    REQUIRE(flagged(hi));
    // |c_a| |e| <= threshold * scale + |t_a of the clean answers| (triangle inequality).
    const nercc::Vector<double> c = check.col(bad);
    const double t_clean = (c.transpose() * check * clean).norm() / c.norm();
    const double e_norm = lo * rms * std::sqrt(double(clean.cols()));
    const double scale = detect(attacked(lo), 1e300).scale;
    CHECK(c.norm() * e_norm <= p.detection_threshold * scale + t_clean + 1e-9);
    // The damage is linear in the bias: D_F column bad times it.
    const auto r = robust.decode(all_workers(robust_n), attacked(lo));
    const RowMatrix<double> d = robust.decoding_matrix(all_workers(robust_n));
    const RowMatrix<double> damage = r.values - robust.decode(all_workers(robust_n), clean).values;
    CHECK(damage.cwiseAbs().maxCoeff() == Approx(d.col(bad).cwiseAbs().maxCoeff() * lo * rms).epsilon(1e-9));
  }
}

TEST_CASE("E = 0 is today's decoder; E > 0 without a flag decodes bitwise the same", "[robust]") {
  for (bool systematic : {false, true}) {
    INFO((systematic ? "systematic" : "default layout"));
    nercc::CodeParams p = robust_code(systematic, 0);
    const nercc::Encoder<nercc::SplineScheme, double> enc(p);
    const SmoothTask task(p.resolved_query_points(), 17);
    RowMatrix<double> y = task.model<double>(enc.encode(task.queries));
    corrupt(y, 3, Attack::sign_flip, y, 1);
    // 24 of the 27 answers (three stragglers), in a shuffled order.
    const std::vector<Index> ids = nercc_test::random_subset(robust_n, robust_n - 3, 21);
    RowMatrix<double> answers(Index(ids.size()), y.cols());
    for (Index r = 0; r < answers.rows(); ++r) answers.row(r) = y.row(ids[std::size_t(r)]);
    const nercc::Decoder<nercc::SplineScheme, double> plain(p);
    const auto r0 = plain.decode(ids, answers);
    CHECK(r0.flagged_workers.empty());
    CHECK(r0.flag_scores.empty());
    CHECK(r0.diagnostics.answers_flagged == 0);
    CHECK(plain.min_answers() == robust_k);
    p.num_adversaries = 2;
    p.detection_threshold = 1e300;  // nothing is ever flagged
    const nercc::Decoder<nercc::SplineScheme, double> robust(p);
    CHECK(robust.min_answers() == robust_k + 4);
    const auto r2 = robust.decode(ids, answers);
    CHECK(r2.flagged_workers.empty());
    CHECK(r2.values == r0.values);
    CHECK(r2.provenance == r0.provenance);
    CHECK(r2.reliability == r0.reliability);
    CHECK(r2.diagnostics.answers_used == r0.diagnostics.answers_used);
  }
}

TEST_CASE("a wrong systematic worker is not copied: its query is estimated from the rest", "[robust]") {
  for (bool berrut : {false, true}) {
    const nercc::CodeParams p = robust_code(true, 1);
    const SmoothTask task(p.resolved_query_points(), 19);
    const auto run = [&](auto tag) {
      using Scheme = decltype(tag);
      const nercc::Encoder<Scheme, float> enc(p);
      const nercc::Decoder<Scheme, float> robust(p);
      REQUIRE(robust.systematic());
      const RowMatrix<double> x = enc.encode(task.queries.cast<float>()).template cast<double>();
      const RowMatrix<float> clean = task.model<float>(x);
      RowMatrix<float> y = clean;
      y.row(4).array() += 3.0f;  // a plausible-looking but wrong exact answer
      RowMatrix<float> out(robust_k, robust_dim);
      std::vector<nercc::QueryProvenance> provenance;
      std::vector<Index> flagged{99};
      std::vector<double> scores;
      nercc::DecodeDiagnostics diag;
      const auto status = robust.decode_into(all_workers(robust_n), y, out, &diag, &provenance, nullptr, &flagged, &scores);
      CHECK(status == nercc::DecodeStatus::ok);
      CHECK(std::count(flagged.begin(), flagged.end(), Index(4)) == 1);
      CHECK(flagged.size() == scores.size());
      CHECK(diag.answers_flagged == Index(flagged.size()));
      CHECK(provenance[4] == nercc::QueryProvenance::estimated);
      CHECK(diag.queries_exact == robust_k - 1);
      // Nothing of the attack (3 added to every value) gets through: the decode is the plain
      // one of the clean answers without the flagged workers.
      nercc::CodeParams plain_params = p;
      plain_params.num_adversaries = 0;
      const nercc::Decoder<Scheme, float> plain(plain_params);
      std::vector<Index> ids;
      RowMatrix<float> rest;
      without(clean, flagged, ids, rest);
      CHECK(out == plain.decode(ids, rest).values);
    };
    INFO((berrut ? "berrut" : "spline"));
    if (berrut) run(nercc::BerrutScheme{});
    else run(nercc::SplineScheme{});
  }
}

TEST_CASE("replication votes among 3 or more copies and flags the outvoted ones", "[robust]") {
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 12;  // 3 copies of every query
  p.num_adversaries = 1;
  const nercc::Decoder<nercc::ReplicationScheme, double> dec(p);
  const RowMatrix<double> x = nercc_test::random_matrix<double>(4, 5, 3);
  RowMatrix<double> y(12, 5);
  for (Index w = 0; w < 12; ++w) y.row(w) = x.row(w % 4);
  y.row(1) *= -1.0;                 // query 1's first copy is wrong
  y(6, 0) += 1e-13;                 // query 2's copies differ by rounding only: they agree
  y.row(7) = x.row(2);              // query 3's second copy computed query 2
  std::vector<Index> ids = all_workers(12);
  const auto r = dec.decode(ids, y);
  REQUIRE(r.ok());
  CHECK(r.flagged_workers == std::vector<Index>{1, 7});
  CHECK(r.flag_scores == std::vector<double>{2.0 / 3.0, 2.0 / 3.0});
  CHECK(r.values == x);
  // Only two copies of query 0 answered: no vote, the first answer given is kept unchecked.
  RowMatrix<double> z = y;
  z.row(0) *= -1.0;
  std::vector<Index> no_eight;
  for (Index w = 0; w < 12; ++w)
    if (w != 8) no_eight.push_back(w);
  RowMatrix<double> answers(11, 5);
  for (Index r2 = 0; r2 < 11; ++r2) answers.row(r2) = z.row(no_eight[std::size_t(r2)]);
  const auto t = dec.decode(no_eight, answers);
  CHECK(t.flagged_workers == std::vector<Index>{1, 7});
  CHECK(t.values.row(0) == z.row(0));
  // Four copies, a 2-2 tie on query 1: no majority, nothing flagged, the first answer kept.
  p.num_workers = 16;
  const nercc::Decoder<nercc::ReplicationScheme, double> four(p);
  RowMatrix<double> w4(16, 5);
  for (Index w = 0; w < 16; ++w) w4.row(w) = x.row(w % 4);
  w4.row(1) *= -1.0;
  w4.row(5) *= -1.0;
  const auto tie = four.decode(all_workers(16), w4);
  CHECK(tie.flagged_workers.empty());
  CHECK(tie.values.row(1) == w4.row(1));
  // E = 0: no vote, the first answer wins as always.
  p.num_adversaries = 0;
  const nercc::Decoder<nercc::ReplicationScheme, double> plain(p);
  const auto u = plain.decode(ids, y);
  CHECK(u.flagged_workers.empty());
  CHECK(u.values.row(1) == y.row(1));
}

TEST_CASE("num_adversaries too large for N, K and S: errors name the fields", "[robust]") {
  const auto message_of = [](auto tag, const nercc::CodeParams& p) {
    try {
      nercc::Decoder<decltype(tag), double> d(p);
    } catch (const nercc::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nercc::CodeParams p;
  p.num_queries = 12;
  p.num_workers = 27;
  p.num_adversaries = 8;  // 12 + 16 > 27
  for (const std::string& m : {message_of(nercc::SplineScheme{}, p), message_of(nercc::BerrutScheme{}, p)}) {
    CHECK(m.find("num_adversaries (8)") != std::string::npos);
    CHECK(m.find("num_workers (27)") != std::string::npos);
    CHECK(m.find("num_queries (12)") != std::string::npos);
  }
  p.num_adversaries = 7;  // 12 + 14 <= 27
  CHECK(message_of(nercc::SplineScheme{}, p).empty());
  p.min_answers = 25;     // S = 2 stragglers leave 25 < 26 answers
  const std::string s = message_of(nercc::SplineScheme{}, p);
  CHECK(s.find("min_answers (25)") != std::string::npos);
  CHECK(s.find("num_adversaries (7)") != std::string::npos);
  p.min_answers = 0;
  p.num_adversaries = -1;
  CHECK(message_of(nercc::SplineScheme{}, p).find("num_adversaries (-1)") != std::string::npos);
  p.num_adversaries = 1;
  p.detection_threshold = -1.0;
  CHECK(message_of(nercc::SplineScheme{}, p).find("detection_threshold (-1)") != std::string::npos);
  p.detection_threshold = std::nan("");
  CHECK(message_of(nercc::BerrutScheme{}, p).find("detection_threshold") != std::string::npos);
  p.detection_threshold = 0.0;
  p.num_workers = 24;  // replication: 3 copies of 12 queries need 36
  CHECK(message_of(nercc::ReplicationScheme{}, p).find("num_workers (24)") != std::string::npos);
  p.num_workers = 36;
  CHECK(message_of(nercc::ReplicationScheme{}, p).empty());
  p.num_workers = 12;
  CHECK(message_of(nercc::UncodedScheme{}, p).find("num_adversaries (1) must be 0") != std::string::npos);
}

TEST_CASE("robust decode reports insufficient answers below K + 2E", "[robust]") {
  nercc::CodeParams p = robust_code(false, 2);
  const nercc::Decoder<nercc::BerrutScheme, double> dec(p);
  const std::vector<Index> ids = nercc_test::random_subset(robust_n, robust_k + 3, 4);
  const RowMatrix<double> y = nercc_test::random_matrix<double>(Index(ids.size()), 3, 5);
  const auto r = dec.decode(ids, y);
  CHECK(r.status == nercc::DecodeStatus::insufficient_answers);
  CHECK(r.flagged_workers.empty());
}

TEST_CASE("robust decode at exactly K + 2E answers: a flag does not fail the group", "[robust]") {
  // K + 2E answers locate the wrong one; the K + 2E - 1 left decode (they need K).
  for (Index e : {Index(1), Index(2)}) {
    nercc::CodeParams p;
    p.num_queries = robust_k;
    p.num_workers = robust_k + 2 * e;
    p.num_adversaries = e;
    p.detection_threshold = nercc::robust::recommended_detection_threshold;
    const nercc::Encoder<nercc::SplineScheme, double> enc(p);
    const nercc::Decoder<nercc::SplineScheme, double> dec(p);
    const SmoothTask task(p.resolved_query_points(), 31);
    const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
    RowMatrix<double> y = clean;
    const Index bad = p.num_workers / 2;
    const double scale = std::sqrt(y.squaredNorm() / double(y.size()));
    y.row(bad).array() += 100.0 * scale;
    const auto r = dec.decode(all_workers(p.num_workers), y);
    INFO("E = " << e);
    CHECK(r.status == nercc::DecodeStatus::ok);
    CHECK(std::count(r.flagged_workers.begin(), r.flagged_workers.end(), bad) == 1);
    CHECK(r.diagnostics.answers_used == p.num_workers - Index(r.flagged_workers.size()));
    CHECK(r.values.allFinite());
    // One answer fewer than K + 2E: nothing is located or decoded.
    std::vector<Index> fewer = all_workers(p.num_workers);
    fewer.pop_back();
    CHECK(dec.decode(fewer, clean.topRows(p.num_workers - 1)).status == nercc::DecodeStatus::insufficient_answers);
  }
}

TEST_CASE("robust decode with many outputs (the scale from 128 of 784 coordinates)", "[robust]") {
  const auto run = [](auto tag, bool systematic) {
    using Scheme = decltype(tag);
    INFO(Scheme::name << (systematic ? " systematic" : ""));
    const nercc::CodeParams p = robust_code(systematic, 1);
    const nercc::Encoder<Scheme, float> enc(p);
    const nercc::Decoder<Scheme, float> robust(p);
    const SmoothTask task(p.resolved_query_points(), 23, 784);
    const std::vector<double> beta = p.resolved_worker_points();
    const RowMatrix<float> clean = task.model<float>(enc.encode(task.queries.cast<float>()).template cast<double>());
    for (Index bad = 0; bad < robust_n; ++bad) {
      INFO("sign flip at worker " << bad);
      RowMatrix<float> y = clean;
      y.row(bad) = -y.row(bad);
      const auto r = robust.decode(all_workers(robust_n), y);
      CHECK(std::count(r.flagged_workers.begin(), r.flagged_workers.end(), bad) == 1);
      for (Index w : r.flagged_workers) CHECK(std::abs(beta[std::size_t(w)] - beta[std::size_t(bad)]) < 0.1);  // twins only
    }
  };
  for (bool systematic : {false, true}) {
    run(nercc::SplineScheme{}, systematic);
    run(nercc::BerrutScheme{}, systematic);
  }
}

TEST_CASE("Berrut: the residual detector against the rational error locator (ApproxIFER's baseline)", "[robust]") {
  // E = 1 at every worker, every attack but the copy of a far worker: how often each flags the
  // right answer (measured: 162 and 154 of 162).
  nercc::CodeParams p = robust_code(false, 1);
  const nercc::Encoder<nercc::BerrutScheme, double> enc(p);
  const nercc::Decoder<nercc::BerrutScheme, double> robust(p);
  const SmoothTask task(p.resolved_query_points(), 29), other(p.resolved_query_points(), 30);
  const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
  const RowMatrix<double> elsewhere = other.model<double>(enc.encode(other.queries));
  const std::vector<double> beta = p.resolved_worker_points();
  int residual_hits = 0, locator_hits = 0, cases = 0;
  for (Attack a : {Attack::sign_flip, Attack::noise_1, Attack::noise_10, Attack::noise_100, Attack::constant,
                   Attack::other_query})
    for (Index bad = 0; bad < robust_n; ++bad) {
      RowMatrix<double> y = clean;
      corrupt(y, bad, a, elsewhere, std::uint32_t(300 + bad));
      const auto r = robust.decode(all_workers(robust_n), y);
      residual_hits += std::count(r.flagged_workers.begin(), r.flagged_workers.end(), bad) == 1;
      std::vector<const double*> rows;
      for (Index w = 0; w < robust_n; ++w) rows.push_back(y.row(w).data());
      const auto l = nercc::robust::locate_by_rational_fit<double>(beta, rows.data(), y.cols(), robust_k, 1);
      REQUIRE(l.flagged.size() == 1);
      locator_hits += l.flagged[0] == bad;
      ++cases;
    }
  INFO("residual detector " << residual_hits << ", rational locator " << locator_hits << " of " << cases);
  CHECK(residual_hits == cases);
  CHECK(locator_hits < residual_hits);
}

TEST_CASE("workers_for_adversaries: what E wrong answers and S stragglers cost each scheme", "[robust]") {
  using nercc::SchemeKind;
  using nercc::robust::workers_for_adversaries;
  using ReplicationDecoder = nercc::Decoder<nercc::ReplicationScheme, double>;
  using BerrutDecoder = nercc::Decoder<nercc::BerrutScheme, double>;
  using SplineDecoder = nercc::Decoder<nercc::SplineScheme, double>;
  CHECK(workers_for_adversaries(SchemeKind::spline, 12, 1, 0) == 14);
  CHECK(workers_for_adversaries(SchemeKind::berrut, 12, 3, 2) == 20);
  CHECK(workers_for_adversaries(SchemeKind::replication, 12, 1, 0) == 36);
  CHECK(workers_for_adversaries(SchemeKind::replication, 4, 2, 1) == 24);
  CHECK(workers_for_adversaries(SchemeKind::uncoded, 12, 0, 0) == 12);
  CHECK(workers_for_adversaries(SchemeKind::uncoded, 12, 1, 0) == -1);
  // The counts agree with what the Decoder accepts: N passes, N - 1 is refused (S = 0).
  for (Index e : {1, 2, 3}) {
    nercc::CodeParams p;
    p.num_queries = 12;
    p.num_adversaries = e;
    p.num_workers = workers_for_adversaries(SchemeKind::spline, 12, e, 0);
    CHECK_NOTHROW(SplineDecoder(p));
    p.num_workers = workers_for_adversaries(SchemeKind::replication, 12, e, 0);
    CHECK_NOTHROW(ReplicationDecoder(p));
    --p.num_workers;
    CHECK_THROWS_AS(ReplicationDecoder(p), nercc::invalid_argument);
    p.num_workers = workers_for_adversaries(SchemeKind::berrut, 12, e, 0) - 1;
    CHECK_THROWS_AS(BerrutDecoder(p), nercc::invalid_argument);
  }
  CHECK_THROWS_WITH(workers_for_adversaries(SchemeKind::spline, 12, -1, 0), Catch::Contains("num_adversaries (-1)"));
  CHECK_THROWS_WITH(workers_for_adversaries(SchemeKind::spline, 12, 1, -2), Catch::Contains("stragglers (-2)"));
  CHECK_THROWS_WITH(workers_for_adversaries(SchemeKind::spline, 0, 1, 0), Catch::Contains("num_queries (0)"));
}

// The detector's scale leaves out what the top candidates explain: an error leaks into every
// residual in proportion to its size, so a scale that kept the leak would cap the wrong
// answers' scores near a constant whatever the error. Here the scores grow with the error.
TEST_CASE("detector scores grow with the error: the scale ignores the wrong answers' leak", "[robust]") {
  for (const Index e : {Index(1), Index(2)}) {
    const nercc::CodeParams p = robust_code(false, e);
    const std::vector<Index> bad = e == 1 ? std::vector<Index>{9} : std::vector<Index>{5, 17};
    const auto scores = [&](auto scheme, double size) {
      const nercc::Encoder<decltype(scheme), double> enc(p);
      const SmoothTask task(p.resolved_query_points(), 11);
      RowMatrix<double> y = task.model<double>(enc.encode(task.queries));
      const double rms = std::sqrt(y.squaredNorm() / double(y.size()));
      std::mt19937 g(5);
      std::normal_distribution<double> nd;
      for (Index a : bad)
        for (Index m = 0; m < y.cols(); ++m) y(a, m) += size * rms * nd(g);
      const RowMatrix<double> check =
          nercc::robust::leave_one_out_matrix(scheme, p.resolved_worker_points(), p.lambda_dec);
      std::vector<const double*> rows;
      for (Index r = 0; r < y.rows(); ++r) rows.push_back(y.row(r).data());
      const auto found = nercc::robust::detect_wrong_answers<double>(check, rows.data(), y.cols(), e, 0.0);
      std::vector<Index> flagged = found.flagged;
      std::sort(flagged.begin(), flagged.end());
      CHECK(flagged == bad);
      return found.scores;
    };
    for (int s = 0; s < 2; ++s) {
      const auto small = s == 0 ? scores(nercc::SplineScheme{}, 10.0) : scores(nercc::BerrutScheme{}, 10.0);
      const auto large = s == 0 ? scores(nercc::SplineScheme{}, 1000.0) : scores(nercc::BerrutScheme{}, 1000.0);
      REQUIRE(small.size() == bad.size());
      REQUIRE(large.size() == bad.size());
      for (std::size_t i = 0; i < bad.size(); ++i) {
        INFO("E = " << e << (s == 0 ? " spline" : " Berrut") << ", adversary " << i << ": scores " << small[i]
                    << " at 10x, " << large[i] << " at 1000x the output scale");
        CHECK(large[i] > 30.0 * small[i]);
        CHECK(small[i] > nercc::robust::recommended_detection_threshold);
      }
    }
  }
}

// The recommended threshold on a smooth model: a large error at any worker of the spline code
// is still flagged, alone.
TEST_CASE("detector: with nothing above the threshold, the budget E does not change the scale", "[robust]") {
  // Rough answers (independent per worker, as a classifier's logits of unrelated queries look to
  // the code): the honest answers that fit worst are not explained away at a larger E, so the
  // scores and the flags are those of E = 1.
  const nercc::CodeParams p = robust_code(false, 1);
  const RowMatrix<double> y = nercc_test::random_matrix<double>(robust_n, 10, 8);
  std::vector<const double*> rows;
  for (Index r = 0; r < y.rows(); ++r) rows.push_back(y.row(r).data());
  const auto run = [&](auto scheme) {
    const RowMatrix<double> check =
        nercc::robust::leave_one_out_matrix(scheme, p.resolved_worker_points(), p.lambda_dec);
    const double t = nercc::robust::recommended_detection_threshold;
    const auto one = nercc::robust::detect_wrong_answers<double>(check, rows.data(), y.cols(), 1, t);
    CHECK(one.flagged.empty());
    CHECK(one.scale > 0.0);
    for (Index e : {Index(2), Index(3)}) {
      const auto more = nercc::robust::detect_wrong_answers<double>(check, rows.data(), y.cols(), e, t);
      INFO(decltype(scheme)::name << ", E = " << e);
      CHECK(more.flagged.empty());
      CHECK(more.scale == one.scale);
    }
    // At threshold 0 every pick stays explained: the spread of the rest is smaller.
    CHECK(nercc::robust::detect_wrong_answers<double>(check, rows.data(), y.cols(), 3, 0.0).scale < one.scale);
  };
  run(nercc::SplineScheme{});
  run(nercc::BerrutScheme{});
}

TEST_CASE("recommended threshold: the spline code still flags large errors at every worker", "[robust]") {
  nercc::CodeParams p = robust_code(false, 1);
  p.detection_threshold = nercc::robust::recommended_detection_threshold;
  const nercc::Encoder<nercc::SplineScheme, double> enc(p);
  const nercc::Decoder<nercc::SplineScheme, double> dec(p);
  const SmoothTask task(p.resolved_query_points(), 3);
  const RowMatrix<double> clean = task.model<double>(enc.encode(task.queries));
  const double rms = std::sqrt(clean.squaredNorm() / double(clean.size()));
  for (Index a = 0; a < robust_n; ++a)
    for (const double size : {10.0, 100.0}) {
      RowMatrix<double> y = clean;
      std::mt19937 g{std::uint32_t(a)};
      std::normal_distribution<double> nd;
      for (Index m = 0; m < y.cols(); ++m) y(a, m) += size * rms * nd(g);
      const auto r = dec.decode(all_workers(robust_n), y);
      INFO("worker " << a << ", noise " << size << " x the output scale");
      CHECK(r.flagged_workers == std::vector<Index>{a});
    }
}
