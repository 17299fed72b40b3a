// Issue 15, item 1: systematic layouts (systematic_params) and the copy fast paths of Encoder
// and Decoder. The reference for every fast path is the dense path of the same code with its
// worker points rotated (the query points last), which is not systematic: the same points, the
// same curve, every row computed by arithmetic.
#include <nercc/nercc.hpp>

#include "coding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

using Catch::Matchers::Contains;
using nercc::Index;
using nercc::QueryProvenance;
using nercc::RowMatrix;
using nercc_test::random_matrix;
using nercc_test::rows_of;

namespace {

// The same code with worker w renamed (w + N - K) mod N: the query points go last.
nercc::CodeParams rotated_layout(const nercc::CodeParams& p) {
  nercc::CodeParams q = p;
  const auto n = std::size_t(p.num_workers), k = std::size_t(p.num_queries);
  for (std::size_t w = 0; w < n; ++w) q.worker_points[(w + n - k) % n] = p.worker_points[w];
  return q;
}
Index rotated_id(const nercc::CodeParams& p, Index w) { return (w + p.num_workers - p.num_queries) % p.num_workers; }

template <class S>
bool rows_bitwise_equal(const Eigen::Ref<const RowMatrix<S>>& a, const Eigen::Ref<const RowMatrix<S>>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index r = 0; r < a.rows(); ++r)
    if (std::memcmp(a.row(r).data(), b.row(r).data(), std::size_t(a.cols()) * sizeof(S)) != 0) return false;
  return true;
}

template <class S>
double systematic_rounding() {
  return std::is_same<S, float>::value ? 1e-5 : 1e-13;
}

// |a - b| <= tol * (1 + max |b|) entrywise, the tolerance of a combine of O(1) coefficients.
template <class S>
bool close_to_reference(const RowMatrix<S>& a, const RowMatrix<double>& b, double tol) {
  const double scale = 1.0 + b.cwiseAbs().maxCoeff();
  return (a.template cast<double>() - b).cwiseAbs().maxCoeff() <= tol * scale;
}

template <class Scheme>
std::vector<nercc::CodeParams> systematic_layouts() {
  std::vector<nercc::CodeParams> all;
  all.push_back(nercc::systematic_params(4, 12, 0.3));
  all.push_back(nercc::systematic_params(8, 10, 0.1));
  all.push_back(nercc::systematic_params(5, 16, 0.6, {-0.9, -0.5, 0.0, 0.2, 0.8}));
  all.push_back(nercc::systematic_params(16, 24, 0.2));
  for (auto& p : all) p.min_answers = 1;
  return all;
}

template <class Scheme, class S>
void check_systematic_encode(const nercc::CodeParams& p) {
  const nercc::Encoder<Scheme, S> fast(p);
  const nercc::Encoder<Scheme, S> dense(rotated_layout(p));
  REQUIRE(fast.systematic());
  REQUIRE_FALSE(dense.systematic());
  const Index k = p.num_queries, n = p.num_workers, d = 37;
  const RowMatrix<S> x = random_matrix<S>(k, d, 11);
  const RowMatrix<S> coded = fast.encode(x);
  CHECK(rows_bitwise_equal<S>(coded.topRows(k), x));
  const RowMatrix<S> reference = dense.encode(x);
  RowMatrix<double> expected(n, d);
  for (Index w = 0; w < n; ++w) expected.row(w) = reference.row(rotated_id(p, w)).template cast<double>();
  CHECK(close_to_reference<S>(coded, expected, systematic_rounding<S>()));
  const RowMatrix<double> product = fast.encoding_matrix().template cast<double>() * x.template cast<double>();
  CHECK(close_to_reference<S>(coded, product, systematic_rounding<S>()));
  CHECK(fast.encoding_matrix().topRows(k) == RowMatrix<S>::Identity(k, k));
}

}  // namespace

TEST_CASE("systematic_params: the query points lead, the companions are clustered_worker_points", "[systematic]") {
  const nercc::CodeParams p = nercc::systematic_params(4, 10, 0.25);
  CHECK(p.num_queries == 4);
  CHECK(p.num_workers == 10);
  CHECK(p.lambda_enc == 0.0);
  CHECK(p.query_points.empty());
  CHECK(p.worker_points == nercc::clustered_worker_points(nercc::chebyshev_first_kind(4), 10, 0.25));
  CHECK_NOTHROW(nercc::validate_for(nercc::SchemeKind::spline, p));
  CHECK(nercc::SplineScheme::is_systematic(p));
  CHECK(nercc::BerrutScheme::is_systematic(p));
  const std::vector<double> alpha{-0.7, 0.1, 0.6};
  const nercc::CodeParams given = nercc::systematic_params(3, 3, 0.5, alpha);
  CHECK(given.query_points == alpha);
  CHECK(given.worker_points == alpha);  // N = K: no companions
  nercc::CodeParams smoothed = p;
  smoothed.lambda_enc = 0.1;  // a smoothing encoder mixes the queries: no longer systematic
  CHECK_FALSE(nercc::SplineScheme::is_systematic(smoothed));
  CHECK_FALSE(nercc::Encoder<nercc::SplineScheme, double>(smoothed).systematic());
  CHECK_FALSE(nercc::Decoder<nercc::SplineScheme, double>(smoothed).systematic());
  CHECK(nercc::Decoder<nercc::SplineScheme, double>(p).systematic());
  CHECK_FALSE(nercc::Encoder<nercc::SplineScheme, double>(rotated_layout(p)).systematic());
}

TEST_CASE("systematic_params names the bad argument", "[systematic][errors]") {
  CHECK_THROWS_AS(nercc::systematic_params(0, 4, 0.5), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::systematic_params(0, 4, 0.5), Contains("systematic_params: num_queries (0) must be >= 1"));
  CHECK_THROWS_WITH(nercc::systematic_params(5, 4, 0.5),
                    Contains("systematic_params: num_workers (4) must be >= num_queries (5)"));
  CHECK_THROWS_WITH(nercc::systematic_params(nercc::max_code_size + 1, nercc::max_code_size + 2, 0.5),
                    Contains("systematic_params: num_queries (1048577) must be <= nercc::max_code_size"));
  CHECK_THROWS_WITH(nercc::systematic_params(4, nercc::max_code_size + 1, 0.5),
                    Contains("systematic_params: num_workers (1048577) must be <= nercc::max_code_size"));
  for (double bad : {0.0, 1.0, -0.5, 2.0, std::numeric_limits<double>::quiet_NaN()})
    CHECK_THROWS_AS(nercc::systematic_params(4, 8, bad), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::systematic_params(4, 8, 1.0), Contains("systematic_params: spread (1) must lie in (0, 1)"));
  CHECK_THROWS_WITH(nercc::systematic_params(3, 6, 0.5, {0.1, 0.2}),
                    Contains("systematic_params: query_points has 2 points, expected 3"));
  CHECK_THROWS_WITH(nercc::systematic_params(2, 6, 0.5, {0.1, 1.5}),
                    Contains("systematic_params: query_points[1] (1.5) is outside [-1, 1]"));
  CHECK_THROWS_WITH(nercc::systematic_params(2, 6, 0.5, {0.25, 0.25}),
                    Contains("systematic_params: query_points repeats the point 0.25 (at indices 0 and 1)"));
}

TEMPLATE_TEST_CASE("systematic encode copies the queries and equals the dense encode", "[systematic]", float, double) {
  using S = TestType;
  for (const auto& p : systematic_layouts<nercc::SplineScheme>()) {
    check_systematic_encode<nercc::SplineScheme, S>(p);
    check_systematic_encode<nercc::BerrutScheme, S>(p);
  }
}

TEMPLATE_TEST_CASE("systematic encode with an ordering copies the query of each point in its order", "[systematic]", float, double) {
  using S = TestType;
  nercc::CodeParams p = nercc::systematic_params(6, 14, 0.3);
  p.ordering = nercc::OrderingMethod::greedy_chain;
  const nercc::Encoder<nercc::SplineScheme, S> fast(p);
  const nercc::Encoder<nercc::SplineScheme, S> dense(rotated_layout(p));
  const RowMatrix<S> x = random_matrix<S>(6, 40, 5);
  nercc::QueryOrder order, dense_order;
  const RowMatrix<S> coded = fast.encode(x, order);
  const RowMatrix<S> reference = dense.encode(x, dense_order);
  REQUIRE(order == dense_order);
  bool moved = false;
  for (Index q = 0; q < 6; ++q) {
    CHECK(rows_bitwise_equal<S>(coded.row(q), x.row(order[std::size_t(q)])));
    moved = moved || order[std::size_t(q)] != q;
  }
  CHECK(moved);  // the greedy chain of random queries is not the identity (else this checks nothing new)
  RowMatrix<double> expected(14, 40);
  for (Index w = 0; w < 14; ++w) expected.row(w) = reference.row(rotated_id(p, w)).template cast<double>();
  CHECK(close_to_reference<S>(coded, expected, systematic_rounding<S>()));
}

TEST_CASE("systematic encode still refuses to return overflowed companion rows", "[systematic][errors]") {
  nercc::CodeParams p = nercc::systematic_params(4, 12, 0.9);
  const nercc::Encoder<nercc::BerrutScheme, float> enc(p);
  RowMatrix<float> x(4, 3);
  for (Index k = 0; k < 4; ++k) x.row(k).setConstant((k % 2 == 0 ? 1.0f : -1.0f) * 3.3e38f);
  // Berrut's companions between queries of alternating sign have weights above 1 in sum.
  const RowMatrix<double> e = enc.encoding_matrix().cast<double>();
  REQUIRE(e.bottomRows(8).cwiseAbs().rowwise().sum().maxCoeff() * 3.3e38 > double(std::numeric_limits<float>::max()));
  CHECK_THROWS_WITH(enc.encode(x), Contains("overflowed although the queries are finite"));
  CHECK(enc.encode(x / 1e6f).allFinite());
}

namespace {

// Decodes `ids` (worker ids of the systematic layout p; `poison` of them answer NaN) with the
// fast path and with the dense path of the rotated layout, and checks they agree: exact rows
// bitwise equal to the answers, estimated rows equal up to rounding, provenance as expected.
template <class Scheme, class S>
void check_systematic_decode(const nercc::CodeParams& p, const std::vector<Index>& ids, const std::vector<Index>& poison = {},
                  const nercc::QueryOrder* order = nullptr) {
  const Index k = p.num_queries, m = 5;
  const nercc::Decoder<Scheme, S> fast(p);
  const nercc::Decoder<Scheme, S> dense(rotated_layout(p));
  REQUIRE(fast.systematic());
  RowMatrix<S> y = random_matrix<S>(Index(ids.size()), m, std::uint32_t(ids.size() * 7 + poison.size()));
  for (Index w : poison)
    for (std::size_t j = 0; j < ids.size(); ++j)
      if (ids[j] == w) y(Index(j), 1) = std::numeric_limits<S>::quiet_NaN();
  std::vector<Index> dense_ids(ids.size());
  for (std::size_t j = 0; j < ids.size(); ++j) dense_ids[j] = rotated_id(p, ids[j]);

  const nercc::DecodeResult<S> r = order ? fast.decode(ids, y, *order) : fast.decode(ids, y);
  const nercc::DecodeResult<S> ref = order ? dense.decode(dense_ids, y, *order) : dense.decode(dense_ids, y);
  REQUIRE(r.ok());
  REQUIRE(ref.ok());
  CHECK(r.rejected_workers.size() == poison.size());

  // The row of the caller's batch that query point i fills.
  const auto row_of = [&](Index i) { return order ? (*order)[std::size_t(i)] : i; };
  Index exact = 0;
  for (Index i = 0; i < k; ++i) {
    const Index row = row_of(i);
    const auto at = std::find(ids.begin(), ids.end(), i);
    const bool answered = at != ids.end() && std::find(poison.begin(), poison.end(), i) == poison.end();
    const auto prov = r.provenance[std::size_t(row)];
    const double rel = r.reliability[std::size_t(row)];
    CHECK(r.available[std::size_t(row)]);
    if (answered) {
      ++exact;
      CHECK(prov == QueryProvenance::exact);
      CHECK(rel == 1.0);
      CHECK(rows_bitwise_equal<S>(r.values.row(row), y.row(Index(at - ids.begin()))));
      if (p.lambda_dec == 0.0)  // the dense interpolant passes through its sites
        CHECK(close_to_reference<S>(RowMatrix<S>(ref.values.row(row)), r.values.row(row).template cast<double>(), 1e2 * systematic_rounding<S>()));
    } else {
      CHECK(prov == QueryProvenance::estimated);
      CHECK(rel > 0.0);
      CHECK(rel < 1.0);
      CHECK(close_to_reference<S>(RowMatrix<S>(r.values.row(row)), ref.values.row(row).template cast<double>(), 1e2 * systematic_rounding<S>()));
    }
    // Estimates score the same on both paths: the score depends on the points alone.
    if (ref.provenance[std::size_t(row)] == QueryProvenance::estimated && !answered)
      CHECK(ref.reliability[std::size_t(row)] == Approx(rel));
  }
  CHECK(r.diagnostics.queries_exact == exact);
  CHECK(r.diagnostics.queries_estimated == k - exact);
  CHECK(r.diagnostics.queries_unavailable == 0);

  // decoding_matrix(ids) * Y, from the usable rows (the rejected rows get no weight).
  std::vector<Index> usable_ids;
  std::vector<Index> usable_rows;
  for (std::size_t j = 0; j < ids.size(); ++j)
    if (std::find(poison.begin(), poison.end(), ids[j]) == poison.end())
      usable_ids.push_back(ids[j]), usable_rows.push_back(Index(j));
  const RowMatrix<double> dmat = fast.decoding_matrix(usable_ids).template cast<double>();
  RowMatrix<double> yu(Index(usable_rows.size()), m);
  for (std::size_t j = 0; j < usable_rows.size(); ++j) yu.row(Index(j)) = y.row(usable_rows[j]).template cast<double>();
  const RowMatrix<double> product = dmat * yu;
  RowMatrix<S> by_point(k, m);
  for (Index i = 0; i < k; ++i) by_point.row(i) = r.values.row(row_of(i));
  CHECK(close_to_reference<S>(by_point, product, 1e2 * systematic_rounding<S>()));

  // The independent operator: the fit through the usable points, evaluated at the estimated
  // query points.
  std::vector<double> sites;
  for (Index w : usable_ids) sites.push_back(p.worker_points[std::size_t(w)]);
  const auto alpha = p.resolved_query_points();
  const RowMatrix<double> op = std::is_same<Scheme, nercc::SplineScheme>::value
                                   ? nercc::spline_evaluation_matrix(sites, alpha, p.lambda_dec)
                                   : nercc::berrut_evaluation_matrix(sites, alpha);
  const RowMatrix<double> fitted = op * yu;
  for (Index i = 0; i < k; ++i)
    if (r.provenance[std::size_t(row_of(i))] == QueryProvenance::estimated)
      CHECK(close_to_reference<S>(RowMatrix<S>(by_point.row(i)), fitted.row(i), 1e2 * systematic_rounding<S>()));

  // decode_into: the same values and outcomes, and a cache hit the second time.
  RowMatrix<S> out(k, m);
  nercc::DecodeDiagnostics diag;
  std::vector<QueryProvenance> prov;
  std::vector<double> rel;
  const nercc::DecodeStatus status =
      order ? fast.decode_into(ids, y, out, *order, &diag, &prov, &rel) : fast.decode_into(ids, y, out, &diag, &prov, &rel);
  CHECK(status == nercc::DecodeStatus::ok);
  CHECK(diag.cache_hit);
  CHECK(rows_bitwise_equal<S>(out, r.values));
  CHECK(prov == r.provenance);
  CHECK(rel == r.reliability);
}

}  // namespace

TEMPLATE_TEST_CASE("systematic decode copies answered rows and equals the dense decode", "[systematic]", float, double) {
  using S = TestType;
  for (const auto& p : systematic_layouts<nercc::SplineScheme>()) {
    const Index k = p.num_queries, n = p.num_workers;
    std::vector<Index> all(static_cast<std::size_t>(n));
    for (Index w = 0; w < n; ++w) all[std::size_t(w)] = w;
    const auto without = [&](std::vector<Index> gone) {
      std::vector<Index> ids;
      for (Index w = n - 1; w >= 0; --w)  // descending: the order of the answers must not matter
        if (std::find(gone.begin(), gone.end(), w) == gone.end()) ids.push_back(w);
      return ids;
    };
    for (double lambda : {0.0, 1e-2}) {
      nercc::CodeParams q = p;
      q.lambda_dec = lambda;
      DYNAMIC_SECTION("K " << k << " N " << n << " lambda_dec " << lambda) {
        check_systematic_decode<nercc::SplineScheme, S>(q, all);                       // every query exact
        check_systematic_decode<nercc::SplineScheme, S>(q, without({1, n - 1}));       // one systematic, one companion
        check_systematic_decode<nercc::SplineScheme, S>(q, without({0, k - 1}));       // two systematic
        check_systematic_decode<nercc::SplineScheme, S>(q, without({}), {2});          // a NaN answer is a missing one
        check_systematic_decode<nercc::BerrutScheme, S>(q, without({1, n - 1}));
        check_systematic_decode<nercc::BerrutScheme, S>(q, without({0}), {k - 1});
      }
    }
  }
}

TEMPLATE_TEST_CASE("systematic decode with every systematic worker missing estimates every query", "[systematic]",
                   float, double) {
  using S = TestType;
  nercc::CodeParams p = nercc::systematic_params(4, 12, 0.3);  // 8 companions, two per query
  std::vector<Index> companions;
  for (Index w = 11; w >= 4; --w) companions.push_back(w);
  check_systematic_decode<nercc::SplineScheme, S>(p, companions);
  check_systematic_decode<nercc::BerrutScheme, S>(p, companions);
  p.lambda_dec = 0.05;
  check_systematic_decode<nercc::SplineScheme, S>(p, companions);
}

TEMPLATE_TEST_CASE("systematic decode with an ordering returns each query in the caller's row", "[systematic]", float,
                   double) {
  using S = TestType;
  nercc::CodeParams p = nercc::systematic_params(6, 14, 0.3);
  p.ordering = nercc::OrderingMethod::greedy_chain;
  const nercc::QueryOrder order{3, 0, 5, 1, 4, 2};
  std::vector<Index> ids;
  for (Index w = 0; w < 14; ++w)
    if (w != 1 && w != 4 && w != 9) ids.push_back(w);
  check_systematic_decode<nercc::SplineScheme, S>(p, ids, {}, &order);
  check_systematic_decode<nercc::BerrutScheme, S>(p, ids, {5}, &order);
  p.lambda_dec = 1e-2;
  check_systematic_decode<nercc::SplineScheme, S>(p, ids, {0}, &order);
}

TEST_CASE("systematic end to end: encode, answer, decode returns the exact answers", "[systematic]") {
  nercc::CodeParams p = nercc::systematic_params(8, 12, 0.2);
  p.lambda_dec = 1e-3;  // smooths the estimates only
  const nercc::Encoder<nercc::SplineScheme, double> enc(p);
  const nercc::Decoder<nercc::SplineScheme, double> dec(p);
  const RowMatrix<double> x = random_matrix<double>(8, 6, 3);
  const RowMatrix<double> answers = enc.encode(x).array().tanh().matrix();  // an elementwise "model"
  const std::vector<Index> ids{0, 1, 2, 4, 5, 6, 7, 8, 9, 11};            // worker 3 and a companion lost
  const nercc::DecodeResult<double> r = dec.decode(ids, rows_of<double>(answers, ids));
  REQUIRE(r.ok());
  const RowMatrix<double> truth = x.array().tanh().matrix();
  for (Index q = 0; q < 8; ++q) {
    if (q == 3) {
      CHECK(r.provenance[3] == QueryProvenance::estimated);
      CHECK((r.values.row(3) - truth.row(3)).cwiseAbs().maxCoeff() > 0.0);
    } else {
      CHECK(r.provenance[std::size_t(q)] == QueryProvenance::exact);
      CHECK(r.values.row(q) == truth.row(q));  // bitwise: the model's own output
    }
  }
}

TEST_CASE("systematic decode still reports an overflowing estimate unavailable", "[systematic][errors]") {
  const nercc::CodeParams p = nercc::systematic_params(4, 12, 0.9);
  const nercc::Decoder<nercc::BerrutScheme, float> dec(p);
  std::vector<Index> ids;
  for (Index w = 1; w < 12; ++w) ids.push_back(w);  // query 0 estimated, the others exact
  const RowMatrix<double> d = dec.decoding_matrix(ids).cast<double>();
  REQUIRE(d.row(0).cwiseAbs().sum() * 3.3e38 > double(std::numeric_limits<float>::max()));
  // Answers of the sign of their weight: the estimate of query 0 is sum |D_0j| 3.3e38 > max.
  RowMatrix<float> y(11, 2);
  for (Index j = 0; j < 11; ++j) y.row(j).setConstant((d(0, j) >= 0.0 ? 1.0f : -1.0f) * 3.3e38f);
  const nercc::DecodeResult<float> r = dec.decode(ids, y);
  CHECK(r.status == nercc::DecodeStatus::partial);
  CHECK_FALSE(r.available[0]);
  CHECK(r.provenance[0] == QueryProvenance::unavailable);
  CHECK(r.reliability[0] == 0.0);
  CHECK(std::isnan(r.values(0, 0)));
  CHECK(r.diagnostics.estimates_non_finite == 1);
  CHECK(r.diagnostics.queries_unavailable == 1);
  CHECK(r.diagnostics.queries_estimated == 0);
  CHECK(r.diagnostics.queries_exact == 3);
  for (Index q = 1; q < 4; ++q) {
    CHECK(r.provenance[std::size_t(q)] == QueryProvenance::exact);
    CHECK(r.values.row(q) == y.row(q - 1));
  }
}
