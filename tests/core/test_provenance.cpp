// Issue 15, item 2: per-query provenance (exact, estimated, unavailable) and the reliability
// score of DecodeResult, for every scheme; the score's own properties (reliability.hpp).
#include <nercc/nercc.hpp>

#include "coding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using nercc::Index;
using nercc::QueryProvenance;
using nercc::RowMatrix;
using nercc_test::random_matrix;
using nercc_test::random_subset;

namespace {

// The invariants every DecodeResult keeps.
template <class S>
void check_decode_outcomes(const nercc::DecodeResult<S>& r, Index k) {
  REQUIRE(r.provenance.size() == std::size_t(k));
  REQUIRE(r.reliability.size() == std::size_t(k));
  REQUIRE(r.available.size() == std::size_t(k));
  Index exact = 0, estimated = 0, unavailable = 0;
  for (Index q = 0; q < k; ++q) {
    const auto i = std::size_t(q);
    const double rel = r.reliability[i];
    CHECK(rel >= 0.0);
    CHECK(rel <= 1.0);
    CHECK(r.available[i] == (r.provenance[i] != QueryProvenance::unavailable));
    CHECK(r.available[i] == r.values.row(q).allFinite());
    switch (r.provenance[i]) {
      case QueryProvenance::exact:
        ++exact;
        CHECK(rel == 1.0);
        break;
      case QueryProvenance::estimated:
        ++estimated;
        CHECK(rel > 0.0);
        break;
      case QueryProvenance::unavailable:
        ++unavailable;
        CHECK(rel == 0.0);
        break;
    }
  }
  CHECK(r.diagnostics.queries_exact == exact);
  CHECK(r.diagnostics.queries_estimated == estimated);
  CHECK(r.diagnostics.queries_unavailable == unavailable);
}

}  // namespace

TEST_CASE("estimate_reliability: 1 on an answered point, 1/2 a query spacing away, never 0", "[provenance]") {
  const std::vector<double> alpha{-0.5, 0.0, 0.5};
  CHECK(nercc::estimate_reliability(alpha, 1, {0.0, 0.9}) == 1.0);
  CHECK(nercc::estimate_reliability(alpha, 1, {0.5}) == Approx(0.5));      // r = 1
  CHECK(nercc::estimate_reliability(alpha, 1, {-1.0, 1.0}) == Approx(0.2)); // r = 2
  CHECK(nercc::estimate_reliability(alpha, 0, {0.0}) == Approx(0.5));      // spacing to the one neighbour
  CHECK(nercc::estimate_reliability({0.3}, 0, {-0.7}) == Approx(0.8));     // K = 1: spacing 2, r = 1/2
  // The spacing is local: with a far query point on one side, the near one sets it.
  CHECK(nercc::estimate_reliability({-0.9, 0.0, 0.1}, 1, {0.05}) == Approx(0.8));
}

TEST_CASE("estimate_reliability never increases when the nearest answered point moves away", "[provenance]") {
  std::mt19937 g(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int trial = 0; trial < 500; ++trial) {
    const Index k = 1 + Index(trial % 9);
    std::vector<double> alpha = nercc::chebyshev_first_kind(k);
    const Index q = Index(g() % std::uint32_t(k));
    std::vector<double> answered(1 + g() % 6);
    for (double& b : answered) b = u(g);
    double before = nercc::estimate_reliability(alpha, q, answered);
    CHECK(before > 0.0);
    CHECK(before <= 1.0);
    // Move the nearest point farther from alpha_q, a step at a time.
    for (int step = 0; step < 5; ++step) {
      const double a = alpha[std::size_t(q)];
      auto nearest = std::min_element(answered.begin(), answered.end(),
                                      [a](double x, double y) { return std::abs(x - a) < std::abs(y - a); });
      const double away = *nearest >= a ? 0.1 : -0.1;
      *nearest += away * double(1 + g() % 3);
      const double after = nercc::estimate_reliability(alpha, q, answered);
      CHECK(after <= before);
      CHECK(after > 0.0);
      before = after;
    }
  }
}

TEMPLATE_TEST_CASE("provenance: a systematic layout is exact exactly where the query's own worker answered",
                   "[provenance]", float, double) {
  using S = TestType;
  const nercc::CodeParams p = nercc::systematic_params(6, 13, 0.3);
  const nercc::Decoder<nercc::SplineScheme, S> spline(p);
  const nercc::Decoder<nercc::BerrutScheme, S> berrut(p);
  for (std::uint32_t seed = 0; seed < 40; ++seed) {
    const std::vector<Index> ids = random_subset(13, 6 + Index(seed % 8), seed);
    const RowMatrix<S> y = random_matrix<S>(Index(ids.size()), 3, seed);
    for (const auto& r : {spline.decode(ids, y), berrut.decode(ids, y)}) {
      REQUIRE(r.ok());
      check_decode_outcomes(r, 6);
      for (Index q = 0; q < 6; ++q) {
        const bool own = std::find(ids.begin(), ids.end(), q) != ids.end();
        CHECK((r.provenance[std::size_t(q)] == QueryProvenance::exact) == own);
        if (!own) CHECK(r.reliability[std::size_t(q)] < 1.0);
      }
    }
  }
}

TEST_CASE("reliability of a missing systematic query falls as its companions go missing", "[provenance]") {
  // K = 4, N = 12: query 0's companions are workers 4 (nearer) and 8 (farther).
  const nercc::CodeParams p = nercc::systematic_params(4, 12, 0.3);
  REQUIRE(std::abs(p.worker_points[4] - p.worker_points[0]) < std::abs(p.worker_points[8] - p.worker_points[0]));
  const nercc::Decoder<nercc::SplineScheme, double> dec(p);
  const auto reliability_without = [&](std::vector<Index> gone) {
    std::vector<Index> ids;
    for (Index w = 0; w < 12; ++w)
      if (std::find(gone.begin(), gone.end(), w) == gone.end()) ids.push_back(w);
    const auto r = dec.decode(ids, random_matrix<double>(Index(ids.size()), 2, 1));
    REQUIRE(r.provenance[0] == QueryProvenance::estimated);
    return r.reliability[0];
  };
  const double both = reliability_without({0}), far = reliability_without({0, 4}), none = reliability_without({0, 4, 8});
  CHECK(both > far);
  CHECK(far > none);
  CHECK(both > 0.9);  // a companion a small fraction of the query spacing away
  CHECK(none == Approx(0.5));  // the nearest answer is the neighbouring query's point, a spacing away
}

TEMPLATE_TEST_CASE("provenance: a non-systematic code estimates every query, scored from the usable points",
                   "[provenance]", float, double) {
  using S = TestType;
  nercc::CodeParams p;
  p.num_queries = 5;
  p.num_workers = 9;
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  REQUIRE_FALSE(dec.systematic());
  const std::vector<Index> ids{8, 0, 3, 5, 6, 2};
  RowMatrix<S> y = random_matrix<S>(6, 2, 3);
  y(1, 0) = std::numeric_limits<S>::infinity();  // worker 0 rejected: its point does not count
  const auto r = dec.decode(ids, y);
  REQUIRE(r.ok());
  check_decode_outcomes(r, 5);
  const auto alpha = p.resolved_query_points();
  const auto beta = p.resolved_worker_points();
  const std::vector<double> usable{beta[8], beta[3], beta[5], beta[6], beta[2]};
  for (Index q = 0; q < 5; ++q) {
    CHECK(r.provenance[std::size_t(q)] == QueryProvenance::estimated);
    CHECK(r.reliability[std::size_t(q)] == nercc::estimate_reliability(alpha, q, usable));
  }
  const auto repeat = dec.decode(ids, y);  // cached: the same outcomes
  CHECK(repeat.diagnostics.cache_hit);
  CHECK(repeat.reliability == r.reliability);
}

TEMPLATE_TEST_CASE("provenance: replication and uncoded are exact or unavailable", "[provenance]", float, double) {
  using S = TestType;
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 8;
  const nercc::Decoder<nercc::ReplicationScheme, S> rep(p);
  const std::vector<Index> ids{5, 0, 6};  // queries 1, 0, 2 answered; query 3 (workers 3, 7) lost
  const auto r = rep.decode(ids, random_matrix<S>(3, 2, 1));
  CHECK(r.status == nercc::DecodeStatus::partial);
  check_decode_outcomes(r, 4);
  CHECK(r.provenance == std::vector<QueryProvenance>{QueryProvenance::exact, QueryProvenance::exact,
                                                     QueryProvenance::exact, QueryProvenance::unavailable});
  p.num_workers = 4;
  const nercc::Decoder<nercc::UncodedScheme, S> unc(p);
  const auto u = unc.decode(std::vector<Index>{3, 1}, random_matrix<S>(2, 2, 2));
  check_decode_outcomes(u, 4);
  CHECK(u.provenance == std::vector<QueryProvenance>{QueryProvenance::unavailable, QueryProvenance::exact,
                                                     QueryProvenance::unavailable, QueryProvenance::exact});
}

TEST_CASE("provenance: too few answers leaves every query unavailable", "[provenance]") {
  const nercc::Decoder<nercc::BerrutScheme, double> dec(nercc::systematic_params(5, 8, 0.2));
  const auto r = dec.decode(std::vector<Index>{0, 1, 2, 6}, random_matrix<double>(4, 3, 4));
  CHECK(r.status == nercc::DecodeStatus::insufficient_answers);
  check_decode_outcomes(r, 5);
  for (Index q = 0; q < 5; ++q) CHECK(r.provenance[std::size_t(q)] == QueryProvenance::unavailable);
  std::vector<QueryProvenance> prov{QueryProvenance::exact};
  std::vector<double> rel{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  RowMatrix<double> out(5, 3);
  CHECK(dec.decode_into(std::vector<Index>{0, 1, 2, 6}, random_matrix<double>(4, 3, 4), out, nullptr, &prov, &rel) ==
        nercc::DecodeStatus::insufficient_answers);
  CHECK(prov == std::vector<QueryProvenance>(5, QueryProvenance::unavailable));
  CHECK(rel == std::vector<double>(5, 0.0));
}

TEST_CASE("QueryProvenance prints its name", "[provenance]") {
  CHECK(std::string(nercc::to_string(QueryProvenance::exact)) == "exact");
  CHECK(std::string(nercc::to_string(QueryProvenance::estimated)) == "estimated");
  CHECK(std::string(nercc::to_string(QueryProvenance::unavailable)) == "unavailable");
}
