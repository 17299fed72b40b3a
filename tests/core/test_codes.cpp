#include <nercc/nercc.hpp>

#include <catch2/catch.hpp>

#include "coding.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using nercc::Index;
using nercc::RowMatrix;
using nercc_test::random_matrix;
using nercc_test::random_subset;
using nercc_test::rows_of;

namespace {
nercc::CodeParams params(Index k, Index n) {
  nercc::CodeParams p;
  p.num_queries = k;
  p.num_workers = n;
  return p;
}
// Queries on a smooth curve through the query points, so a smooth model gives smooth outputs.
template <class S>
RowMatrix<S> curve_queries(const nercc::CodeParams& p, Index d) {
  const auto alpha = p.resolved_query_points();
  RowMatrix<S> x(p.num_queries, d);
  for (Index k = 0; k < x.rows(); ++k)
    for (Index j = 0; j < d; ++j) x(k, j) = S(std::sin(double(j + 1) * alpha[std::size_t(k)] + 0.3 * double(j)));
  return x;
}
// A smooth nonlinear "model": tanh of a fixed linear map, m = 4 outputs.
template <class S>
RowMatrix<S> model(const RowMatrix<S>& x) {
  const RowMatrix<S> w = random_matrix<S>(x.cols(), 4, 99) / S(std::sqrt(double(x.cols())));
  return RowMatrix<S>((x * w).array().tanh());
}
// Coded end to end: encode, run the model, keep the answered rows, decode.
template <class Scheme, class S>
nercc::DecodeResult<S> run(const nercc::CodeParams& p, const RowMatrix<S>& x, const std::vector<Index>& ids) {
  const nercc::Encoder<Scheme, S> enc(p);
  const nercc::Decoder<Scheme, S> dec(p);
  return dec.decode(ids, rows_of<S>(model<S>(enc.encode(x)), ids));
}
template <class S>
double mse(const RowMatrix<S>& a, const RowMatrix<S>& b) {
  return (a - b).template cast<double>().squaredNorm() / double(a.size());
}
template <class S>
constexpr double eps() {
  return std::is_same<S, float>::value ? 1e-5 : 1e-12;
}
}  // namespace

TEMPLATE_TEST_CASE("encode then identity then decode reproduces linear data exactly (spline)", "[codes]", float, double) {
  using S = TestType;
  auto p = params(10, 20);
  p.min_answers = 2;
  for (double lambda : {0.0, 1e-3, 10.0}) {
    p.lambda_enc = p.lambda_dec = lambda;
    const auto alpha = p.resolved_query_points();
    RowMatrix<S> x(10, 3);
    for (Index k = 0; k < 10; ++k) x.row(k) << S(1 + 2 * alpha[std::size_t(k)]), S(-3 * alpha[std::size_t(k)]), S(0.5);
    const nercc::Encoder<nercc::SplineScheme, S> enc(p);
    const nercc::Decoder<nercc::SplineScheme, S> dec(p);
    const RowMatrix<S> coded = enc.encode(x);
    for (Index keep : {20, 15, 10, 3}) {
      const auto ids = random_subset(20, keep, std::uint32_t(keep));
      const auto r = dec.decode(ids, rows_of<S>(coded, ids));
      REQUIRE(r.ok());
      CHECK((r.values - x).cwiseAbs().maxCoeff() < S(eps<S>() * 10));
    }
  }
}

TEMPLATE_TEST_CASE("Berrut code reproduces constant data exactly", "[codes]", float, double) {
  using S = TestType;
  const auto p = params(8, 12);
  const RowMatrix<S> x = RowMatrix<S>::Constant(8, 5, S(2.5));
  const nercc::Encoder<nercc::BerrutScheme, S> enc(p);
  const nercc::Decoder<nercc::BerrutScheme, S> dec(p);
  const auto ids = random_subset(12, 9, 5);
  const auto r = dec.decode(ids, rows_of<S>(enc.encode(x), ids));
  CHECK((r.values.array() - S(2.5)).abs().maxCoeff() < S(eps<S>()));
}

TEMPLATE_TEST_CASE("clustered worker points make the codes systematic: worker k computes f(x_k)", "[codes][points]",
                   float, double) {
  using S = TestType;
  auto p = params(6, 15);
  p.worker_points = nercc::clustered_worker_points(p.resolved_query_points(), 15, 0.1);
  const RowMatrix<S> x = random_matrix<S>(6, 9, 4);
  const nercc::Encoder<nercc::SplineScheme, S> enc(p);
  const nercc::Encoder<nercc::BerrutScheme, S> benc(p);
  const RowMatrix<S> coded = enc.encode(x), bcoded = benc.encode(x);
  const S tol = S(100) * S(eps<S>());
  CHECK((coded.topRows(6) - x).cwiseAbs().maxCoeff() <= tol);
  CHECK((bcoded.topRows(6) - x).cwiseAbs().maxCoeff() <= tol);
  // Any answered set holding worker k decodes query k to worker k's output (interpolation at
  // alpha_k = beta_k), however unrelated the other outputs are.
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  const nercc::Decoder<nercc::BerrutScheme, S> bdec(p);
  const RowMatrix<S> y = random_matrix<S>(15, 4, 6);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto ids = random_subset(15, 6 + Index(seed % 9), std::uint32_t(seed + 10));
    const auto r = dec.decode(ids, rows_of<S>(y, ids));
    const auto br = bdec.decode(ids, rows_of<S>(y, ids));
    for (Index w : ids)
      if (w < 6) {
        CHECK((r.values.row(w) - y.row(w)).cwiseAbs().maxCoeff() <= S(10) * S(eps<S>()));
        CHECK((br.values.row(w) - y.row(w)).cwiseAbs().maxCoeff() <= S(10) * S(eps<S>()));
      }
  }
}

TEMPLATE_TEST_CASE("decode does not depend on the order of the answers (bitwise)", "[codes]", float, double) {
  using S = TestType;
  const auto p = params(10, 24);
  const RowMatrix<S> y = random_matrix<S>(24, 7, 3);
  auto ids = random_subset(24, 17, 8);
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  const nercc::Decoder<nercc::BerrutScheme, S> bdec(p);
  const auto a = dec.decode(ids, rows_of<S>(y, ids)).values;
  const auto ab = bdec.decode(ids, rows_of<S>(y, ids)).values;
  std::mt19937 g(1);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(ids.begin(), ids.end(), g);
    CHECK((dec.decode(ids, rows_of<S>(y, ids)).values.array() == a.array()).all());
    CHECK((bdec.decode(ids, rows_of<S>(y, ids)).values.array() == ab.array()).all());
  }
}

TEST_CASE("spline error falls as N grows for a smooth nonlinear model", "[codes]") {
  double previous_full = INFINITY, previous_stragglers = INFINITY;
  for (Index n : {20, 40, 80, 160}) {
    const auto p = params(10, n);
    const RowMatrix<double> x = curve_queries<double>(p, 6);
    const RowMatrix<double> truth = model<double>(x);
    std::vector<Index> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), Index(0));
    const double full = mse(run<nercc::SplineScheme, double>(p, x, all).values, truth);
    const double stragglers =
        mse(run<nercc::SplineScheme, double>(p, x, random_subset(n, n - n / 10, std::uint32_t(n))).values, truth);
    INFO("N = " << n << ": MSE " << full << " with all workers, " << stragglers << " with 10% stragglers");
    CHECK(full < previous_full / 4);
    CHECK(stragglers < previous_stragglers);
    previous_full = full;
    previous_stragglers = stragglers;
  }
  CHECK(previous_full < 1e-6);
}

TEST_CASE("on a smooth model the spline code beats Berrut", "[codes]") {
  const auto p = params(10, 40);
  const RowMatrix<double> x = curve_queries<double>(p, 6);
  const RowMatrix<double> truth = model<double>(x);
  for (Index keep : {40, 34, 28}) {
    const auto ids = random_subset(40, keep, std::uint32_t(keep));
    const double spline = mse(run<nercc::SplineScheme, double>(p, x, ids).values, truth);
    const double berrut = mse(run<nercc::BerrutScheme, double>(p, x, ids).values, truth);
    INFO("answers " << keep << ": spline " << spline << ", Berrut " << berrut);
    CHECK(spline < berrut);
  }
}

TEMPLATE_TEST_CASE("encoding and decoding matrices are the linear maps encode and decode apply", "[codes]", float, double) {
  using S = TestType;
  auto p = params(6, 11);
  p.lambda_enc = 1e-3;
  p.lambda_dec = 1e-2;
  const RowMatrix<S> x = random_matrix<S>(6, 9, 4);
  const nercc::Encoder<nercc::SplineScheme, S> enc(p);
  CHECK((enc.encoding_matrix() * x - enc.encode(x)).cwiseAbs().maxCoeff() < S(eps<S>() * 10));
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  const std::vector<Index> ids{7, 2, 9, 0, 4, 10, 5};
  const RowMatrix<S> y = random_matrix<S>(7, 3, 6);
  const RowMatrix<S> d = dec.decoding_matrix(ids);
  REQUIRE(d.rows() == 6);
  REQUIRE(d.cols() == 7);
  CHECK((d * y - dec.decode(ids, y).values).cwiseAbs().maxCoeff() < S(eps<S>() * 10));
  // D_F is the spline operator from the answered worker points to the query points.
  const auto beta = p.resolved_worker_points();
  std::vector<double> sites;
  for (Index id : ids) sites.push_back(beta[std::size_t(id)]);
  const RowMatrix<double> ref = nercc::spline_evaluation_matrix(sites, p.resolved_query_points(), p.lambda_dec);
  CHECK((d.template cast<double>() - ref).cwiseAbs().maxCoeff() < eps<S>());
}

TEMPLATE_TEST_CASE("encode_into and decode_into write into caller storage, including strided blocks", "[codes]", float, double) {
  using S = TestType;
  const auto p = params(5, 9);
  const RowMatrix<S> x = random_matrix<S>(5, 13, 2);
  const nercc::Encoder<nercc::SplineScheme, S> enc(p);
  RowMatrix<S> big = RowMatrix<S>::Constant(12, 20, S(-7));
  enc.encode_into(x, big.block(1, 2, 9, 13));
  CHECK((big.block(1, 2, 9, 13) - enc.encode(x)).cwiseAbs().maxCoeff() == S(0));
  CHECK(big(0, 0) == S(-7));
  CHECK(big(11, 19) == S(-7));
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  const std::vector<Index> ids{0, 1, 2, 4, 5, 8};
  const RowMatrix<S> y = random_matrix<S>(6, 4, 3);
  RowMatrix<S> out(5, 4);
  nercc::DecodeDiagnostics diag;
  CHECK(dec.decode_into(ids, y, out, &diag) == nercc::DecodeStatus::ok);
  CHECK((out - dec.decode(ids, y).values).cwiseAbs().maxCoeff() == S(0));
  CHECK(diag.answers_used == 6);
  CHECK(diag.answers_received == 6);
}

TEMPLATE_TEST_CASE("non-finite worker outputs are dropped and reported, never decoded", "[codes]", float, double) {
  using S = TestType;
  const auto p = params(6, 14);
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  std::vector<Index> ids{13, 0, 5, 7, 2, 9, 11, 4, 3};
  RowMatrix<S> y = random_matrix<S>(9, 3, 12);
  y(2, 1) = std::numeric_limits<S>::quiet_NaN();
  y(6, 0) = std::numeric_limits<S>::infinity();
  const auto r = dec.decode(ids, y);
  CHECK(r.ok());
  CHECK(r.values.allFinite());
  CHECK(r.diagnostics.answers_rejected_non_finite == 2);
  CHECK(r.diagnostics.answers_used == 7);
  CHECK(r.rejected_workers == std::vector<Index>{5, 11});
  std::vector<Index> clean_ids{13, 0, 7, 2, 9, 4, 3};
  RowMatrix<S> clean(7, 3);
  clean << y.row(0), y.row(1), y.row(3), y.row(4), y.row(5), y.row(7), y.row(8);
  CHECK((dec.decode(clean_ids, clean).values.array() == r.values.array()).all());
}

TEMPLATE_TEST_CASE("too few usable answers give insufficient_answers and NaN, not garbage", "[codes]", float, double) {
  using S = TestType;
  auto p = params(6, 10);
  const nercc::Decoder<nercc::SplineScheme, S> dec(p);
  CHECK(dec.min_answers() == 6);
  const std::vector<Index> ids{0, 3, 5, 9, 1};
  const auto r = dec.decode(ids, random_matrix<S>(5, 2, 1));
  CHECK(r.status == nercc::DecodeStatus::insufficient_answers);
  CHECK(r.values.array().isNaN().all());
  CHECK(std::none_of(r.available.begin(), r.available.end(), [](bool b) { return b; }));
  p.min_answers = 3;
  const nercc::Decoder<nercc::SplineScheme, S> lenient(p);
  CHECK(lenient.decode(ids, random_matrix<S>(5, 2, 1)).ok());
  // Enough rows received, but non-finite ones do not count.
  RowMatrix<S> y = random_matrix<S>(6, 2, 2);
  y(0, 0) = std::numeric_limits<S>::quiet_NaN();
  CHECK(dec.decode(std::vector<Index>{0, 1, 2, 3, 4, 5}, y).status == nercc::DecodeStatus::insufficient_answers);
  CHECK(dec.decode(std::vector<Index>{}, RowMatrix<S>(0, 2)).status == nercc::DecodeStatus::insufficient_answers);
}

TEMPLATE_TEST_CASE("replication: first answer wins, exact, and a lost query is reported", "[codes]", float, double) {
  using S = TestType;
  const auto p = params(4, 8);
  const nercc::Encoder<nercc::ReplicationScheme, S> enc(p);
  const nercc::Decoder<nercc::ReplicationScheme, S> dec(p);
  const RowMatrix<S> x = random_matrix<S>(4, 3, 9);
  const RowMatrix<S> coded = enc.encode(x);
  for (Index w = 0; w < 8; ++w) CHECK(coded.row(w) == x.row(w % 4));
  // Worker 5 and worker 1 both serve query 1; the first given wins.
  RowMatrix<S> y(5, 3);
  y << x.row(0), x.row(1) * S(2), x.row(1), x.row(2), x.row(3);
  const auto r = dec.decode(std::vector<Index>{0, 5, 1, 2, 7}, y);
  CHECK(r.ok());
  CHECK(r.values.row(1) == x.row(1) * S(2));
  CHECK(r.values.row(3) == x.row(3));
  CHECK(r.diagnostics.answers_used == 4);
  const auto lost = dec.decode(std::vector<Index>{0, 4, 1, 6}, RowMatrix<S>(rows_of<S>(coded, {0, 4, 1, 6})));
  CHECK(lost.status == nercc::DecodeStatus::partial);
  CHECK(lost.available == std::vector<bool>{true, true, true, false});
  CHECK(lost.values.row(3).array().isNaN().all());
  CHECK(lost.diagnostics.queries_unavailable == 1);
  // A non-finite replica is skipped in favour of a finite one.
  RowMatrix<S> z(2, 3);
  z << x.row(2), x.row(2);
  z(0, 0) = std::numeric_limits<S>::infinity();
  const auto s = dec.decode(std::vector<Index>{2, 6}, z);
  CHECK(s.values.row(2) == x.row(2));
  CHECK(s.rejected_workers == std::vector<Index>{2});
  const RowMatrix<S> dm = dec.decoding_matrix(std::vector<Index>{0, 5, 1});
  CHECK(dm(0, 0) == S(1));
  CHECK(dm(1, 1) == S(1));
  CHECK(dm(1, 2) == S(0));
}

TEMPLATE_TEST_CASE("uncoded: N must equal K, a missing worker loses its query", "[codes]", float, double) {
  using S = TestType;
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH((nercc::Encoder<nercc::UncodedScheme, S>(params(4, 6))),
                    Contains("num_workers (6) must equal num_queries (4) for UncodedScheme"));
  const auto p = params(4, 4);
  const nercc::Encoder<nercc::UncodedScheme, S> enc(p);
  const nercc::Decoder<nercc::UncodedScheme, S> dec(p);
  const RowMatrix<S> x = random_matrix<S>(4, 2, 1);
  CHECK(enc.encode(x) == x);
  const auto r = dec.decode(std::vector<Index>{3, 0, 1}, RowMatrix<S>(rows_of<S>(x, {3, 0, 1})));
  CHECK(r.status == nercc::DecodeStatus::partial);
  CHECK(r.available == std::vector<bool>{true, true, false, true});
  CHECK(r.values.row(3) == x.row(3));
}

TEST_CASE("decoder cache: a repeated answered set is a hit, capacity bounds it", "[codes][cache]") {
  auto p = params(5, 12);
  p.decoder_cache_capacity = 3;
  const nercc::Decoder<nercc::SplineScheme, double> dec(p);
  const RowMatrix<double> y = random_matrix<double>(12, 2, 1);
  std::vector<std::vector<Index>> sets;
  for (std::uint32_t s = 0; s < 6; ++s) sets.push_back(random_subset(12, 8, s));
  const auto first = dec.decode(sets[0], rows_of<double>(y, sets[0]));
  CHECK_FALSE(first.diagnostics.cache_hit);
  auto shuffled = sets[0];
  std::reverse(shuffled.begin(), shuffled.end());
  const auto again = dec.decode(shuffled, rows_of<double>(y, shuffled));
  CHECK(again.diagnostics.cache_hit);
  CHECK((again.values.array() == first.values.array()).all());
  for (const auto& s : sets) dec.decode(s, rows_of<double>(y, s));
  CHECK(dec.cached_sets() == 3);
  p.decoder_cache_capacity = 0;
  const nercc::Decoder<nercc::SplineScheme, double> uncached(p);
  const auto u = uncached.decode(sets[0], rows_of<double>(y, sets[0]));
  CHECK((u.values.array() == first.values.array()).all());
  CHECK(uncached.cached_sets() == 0);
}

TEST_CASE("codes reject bad parameters and arguments with the field and value", "[codes][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH((nercc::Encoder<nercc::SplineScheme, float>(params(5, 3))),
                    Contains("num_workers (3) must be >= num_queries (5) for SplineScheme"));
  CHECK_THROWS_WITH((nercc::Decoder<nercc::BerrutScheme, float>(params(5, 3))), Contains("num_workers (3) must be >= num_queries (5)"));
  CHECK_THROWS_WITH((nercc::Decoder<nercc::ReplicationScheme, float>(params(5, 4))), Contains("num_workers (4)"));
  CHECK_THROWS_WITH((nercc::Encoder<nercc::SplineScheme, float>(params(0, 3))), Contains("num_queries (0) must be >= 1"));
  auto p = params(4, 8);
  p.lambda_dec = -1;
  CHECK_THROWS_WITH((nercc::Decoder<nercc::SplineScheme, float>(p)), Contains("lambda_dec (-1)"));
  p = params(4, 8);
  p.query_points = {0.1, 0.2, 0.1, 0.4};
  CHECK_THROWS_WITH((nercc::Encoder<nercc::SplineScheme, double>(p)), Contains("query_points repeats the point 0.1"));

  const nercc::Encoder<nercc::SplineScheme, double> enc(params(4, 8));
  CHECK_THROWS_AS(enc.encode(RowMatrix<double>::Zero(3, 5)), nercc::shape_mismatch);
  CHECK_THROWS_WITH(enc.encode(RowMatrix<double>::Zero(3, 5)), Contains("queries has 3 rows, expected num_queries (4)"));
  RowMatrix<double> out(7, 5);
  CHECK_THROWS_WITH(enc.encode_into(RowMatrix<double>::Zero(4, 5), out), Contains("coded is 7 x 5, expected 8 x 5"));
  RowMatrix<double> x = RowMatrix<double>::Zero(4, 5);
  x(2, 3) = NAN;
  CHECK_THROWS_AS(enc.encode(x), nercc::non_finite_input);
  CHECK_THROWS_WITH(enc.encode(x), Contains("queries row 2 holds a NaN or infinite value"));

  const nercc::Decoder<nercc::SplineScheme, double> dec(params(4, 8));
  const RowMatrix<double> y = RowMatrix<double>::Zero(5, 3);
  CHECK_THROWS_WITH(dec.decode(std::vector<Index>{0, 1, 2, 3}, y), Contains("answered_outputs has 5 rows, but answered_worker_ids has 4 ids"));
  CHECK_THROWS_WITH(dec.decode(std::vector<Index>{0, 1, 8, 3, 4}, y), Contains("answered_worker_ids[2] (8) is out of range [0, 8)"));
  CHECK_THROWS_WITH(dec.decode(std::vector<Index>{0, -1, 2, 3, 4}, y), Contains("answered_worker_ids[1] (-1) is out of range"));
  CHECK_THROWS_WITH(dec.decode(std::vector<int>{0, 1, 2, 1, 4}, y), Contains("answered_worker_ids repeats worker 1 (at positions 1 and 3)"));
  RowMatrix<double> small(3, 3);
  CHECK_THROWS_WITH(dec.decode_into(std::vector<Index>{0, 1, 2, 3, 4}, y, small), Contains("out is 3 x 3, expected 4 x 3"));
  CHECK_THROWS_WITH(dec.decoding_matrix(std::vector<Index>{0, 9}), Contains("answered_worker_ids[1] (9)"));
}
