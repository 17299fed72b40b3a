// Issue 16, core library: regression tests for defects 3 (lambda = +pos_inf in O(n d)), 4 (point sets
// that made NaN coding matrices), 5 (decode reporting ok with non-finite estimates) and the weak
// spots (size limits, aliasing, empty answered sets, overflowing encodes).
#include <nercc/nercc.hpp>

#include "coding.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using Catch::Matchers::Contains;
using nercc::Index;
using nercc::RowMatrix;

namespace {

const double pos_inf = std::numeric_limits<double>::infinity();

std::vector<double> random_values(Index n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = u(rng);
  return v;
}

// The weighted least-squares line through (t, y) (one column per output), by its 2 x 2 normal
// equations: an implementation independent of the library's. Returns its values at `points`.
RowMatrix<double> normal_equation_line(const std::vector<double>& t, const RowMatrix<double>& y,
                                       const std::vector<double>& w, const std::vector<double>& points) {
  long double s0 = 0, s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const long double wi = w.empty() ? 1.0L : w[i];
    s0 += wi, s1 += wi * t[i], s2 += wi * t[i] * t[i];
  }
  RowMatrix<double> out(Index(points.size()), y.cols());
  for (Index c = 0; c < y.cols(); ++c) {
    long double b0 = 0, b1 = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const long double wi = w.empty() ? 1.0L : w[i];
      b0 += wi * y(Index(i), c), b1 += wi * t[i] * y(Index(i), c);
    }
    const long double det = s0 * s2 - s1 * s1;
    const long double a = (b0 * s2 - b1 * s1) / det, b = (s0 * b1 - s1 * b0) / det;
    for (std::size_t k = 0; k < points.size(); ++k) out(Index(k), c) = double(a + b * points[k]);
  }
  return out;
}

// The dense formula the library used before (n x n hat matrix): M(k, i) = w_i (1/W + dz_k dt_i / Sxx).
RowMatrix<double> dense_line_operator(const std::vector<double>& t, const std::vector<double>& w,
                                      const std::vector<double>& points) {
  const Index n = Index(t.size());
  double wsum = 0, tw = 0;
  for (Index i = 0; i < n; ++i) {
    const double wi = w.empty() ? 1.0 : w[std::size_t(i)];
    wsum += wi, tw += wi * t[std::size_t(i)];
  }
  const double mean = tw / wsum;
  double sxx = 0;
  for (Index i = 0; i < n; ++i)
    sxx += (w.empty() ? 1.0 : w[std::size_t(i)]) * (t[std::size_t(i)] - mean) * (t[std::size_t(i)] - mean);
  RowMatrix<double> m(Index(points.size()), n);
  for (Index k = 0; k < m.rows(); ++k)
    for (Index i = 0; i < n; ++i)
      m(k, i) = (w.empty() ? 1.0 : w[std::size_t(i)]) *
                (1.0 / wsum + (points[std::size_t(k)] - mean) * (t[std::size_t(i)] - mean) / sxx);
  return m;
}

double scaled_difference(const RowMatrix<double>& a, const RowMatrix<double>& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

nercc::CodeParams code(Index k, Index n) {
  nercc::CodeParams p;
  p.num_queries = k, p.num_workers = n;
  return p;
}

template <class Scheme>
void expect_empty_ids_rejected(const nercc::CodeParams& p) {
  const nercc::Decoder<Scheme, double> dec(p);
  CHECK_THROWS_AS(dec.decoding_matrix(std::vector<Index>{}), nercc::invalid_argument);
  CHECK_THROWS_WITH(dec.decoding_matrix(std::vector<Index>{}), Contains("decoding_matrix: ids is empty"));
}

}  // namespace

TEST_CASE("lambda = +pos_inf: the least-squares line equals the dense formula and the normal equations",
          "[spline][issue16]") {
  for (Index n : {3, 4, 7, 25}) {
    for (bool weighted : {false, true}) {
      const std::vector<double> t = random_values(n, -1.0, 1.0, std::uint64_t(n));
      const std::vector<double> w =
          weighted ? random_values(n, 0.5, 2.0, 100 + std::uint64_t(n)) : std::vector<double>{};
      const RowMatrix<double> y = nercc_test::random_matrix<double>(n, 3, std::uint32_t(200 + n));
      const std::vector<double> points = {-1.5, -0.3, 0.0, t[0], 0.8, 2.0};
      const nercc::SmoothingSpline<double> spline(t, y, pos_inf, w);
      const RowMatrix<double> fit = spline.evaluate(points);
      CHECK(scaled_difference(fit, dense_line_operator(t, w, points) * y) < 1e-14);
      CHECK(scaled_difference(fit, normal_equation_line(t, y, w, points)) < 1e-13);
      if (!weighted) {
        const RowMatrix<double> m = nercc::spline_evaluation_matrix(t, points, pos_inf);
        CHECK(scaled_difference(m, dense_line_operator(t, w, points)) < 1e-14);
        CHECK(scaled_difference(m * y, fit) < 1e-14);
      }
    }
  }
}

TEST_CASE("lambda = +pos_inf scales as O(n d): n = 200000 would need 320 GB as a dense hat matrix",
          "[spline][issue16]") {
  const Index n = 200000;
  const std::vector<double> t = random_values(n, -1.0, 1.0, 5);
  RowMatrix<double> y(n, 1);
  for (Index i = 0; i < n; ++i) y(i, 0) = 3.0 - 2.0 * t[std::size_t(i)] + 0.1 * std::sin(40.0 * t[std::size_t(i)]);
  const std::vector<double> points = {-0.9, 0.1, 0.7};
  const nercc::SmoothingSpline<double> spline(t, y, pos_inf);
  CHECK(scaled_difference(spline.evaluate(points), normal_equation_line(t, y, {}, points)) < 1e-11);
  const RowMatrix<double> m = nercc::spline_evaluation_matrix(t, points, pos_inf);
  REQUIRE(m.rows() == 3);
  REQUIRE(m.cols() == n);
  CHECK(scaled_difference(m * y, normal_equation_line(t, y, {}, points)) < 1e-11);

  // Encoder and decoder at lambda = +pos_inf with many workers build their matrices in O(N K).
  nercc::CodeParams p = code(200, 20000);
  p.lambda_enc = p.lambda_dec = pos_inf;
  const nercc::Encoder<nercc::SplineScheme, double> enc(p);
  CHECK(enc.encoding_matrix().allFinite());
}

TEST_CASE("validate rejects point sets outside [-1, 1] or closer than min_point_separation", "[params][issue16]") {
  nercc::CodeParams p = code(3, 5);
  p.query_points = {0.0, 1e-300, 0.5};
  p.worker_points = {-1.0, -0.5, 0.25, 0.75, 1.0};
  CHECK_THROWS_AS(p.validate(), nercc::invalid_argument);
  CHECK_THROWS_WITH(p.validate(),
                    Contains("query_points[0] (0) and query_points[1] (") && Contains("min_point_separation"));
  CHECK_THROWS_AS((nercc::Encoder<nercc::SplineScheme, double>(p)), nercc::invalid_argument);

  p.query_points = {-1e308, 0.0, 1e308};
  CHECK_THROWS_WITH(p.validate(), Contains("query_points[0] (-1e+308) is outside [-1, 1]"));
  p.query_points = {-0.5, 0.0, 0.5};
  p.worker_points = {-1.0, -0.5, 0.25, 1.5, 1.0};
  CHECK_THROWS_WITH(p.validate(), Contains("worker_points[3] (1.5) is outside [-1, 1]"));
  p.worker_points = {-1.0, 0.25, 0.5, 0.25, 1.0};
  CHECK_THROWS_WITH(p.validate(), Contains("worker_points repeats the point 0.25 (at indices 1 and 3)"));
  p.worker_points = nercc::chebyshev_second_kind(5);
  CHECK_NOTHROW(p.validate());
}

TEST_CASE("coding matrices are checked once when built: never NaN rows from finite data", "[codes][issue16]") {
  // Valid point sets whose Berrut weights overflow across the two sets (4.9e-324 vs 0).
  nercc::CodeParams p = code(2, 3);
  p.query_points = {-0.5, 4.9e-324};
  p.worker_points = {-1.0, 0.0, 1.0};
  CHECK_NOTHROW(p.validate());
  CHECK_THROWS_AS((nercc::Encoder<nercc::BerrutScheme, double>(p)), nercc::invalid_argument);
  CHECK_THROWS_WITH((nercc::Encoder<nercc::BerrutScheme, double>(p)),
                    Contains("the encoding matrix of berrut has a non-finite entry"));
  const nercc::Decoder<nercc::BerrutScheme, double> dec(p);
  const RowMatrix<double> answers = RowMatrix<double>::Ones(3, 2);
  CHECK_THROWS_WITH(dec.decode(std::vector<Index>{0, 1, 2}, answers),
                    Contains("the decoding matrix of berrut has a non-finite entry"));
}

TEST_CASE("decode never reports ok with a non-finite estimate", "[codes][issue16]") {
  SECTION("double answers near the largest double") {
    const nercc::Decoder<nercc::SplineScheme, double> dec(code(5, 8));
    RowMatrix<double> y(8, 3);
    for (Index j = 0; j < 8; ++j) y.row(j).setConstant((j % 2 == 0 ? 1.0 : -1.0) * 1.7e308);
    std::vector<Index> ids{0, 1, 2, 3, 4, 5, 6, 7};
    const nercc::DecodeResult<double> r = dec.decode(ids, y);
    CHECK(r.status == nercc::DecodeStatus::partial);
    CHECK(r.diagnostics.estimates_non_finite > 0);
    CHECK(r.diagnostics.queries_unavailable == r.diagnostics.estimates_non_finite);
    for (Index q = 0; q < 5; ++q) CHECK(r.available[std::size_t(q)] == r.values.row(q).allFinite());
    RowMatrix<double> out(5, 3);
    nercc::DecodeDiagnostics diag;
    CHECK(dec.decode_into(ids, y, out, &diag) == nercc::DecodeStatus::partial);
    CHECK(diag.estimates_non_finite == r.diagnostics.estimates_non_finite);
  }
  SECTION("float answers near the largest float, Berrut") {
    const nercc::Decoder<nercc::BerrutScheme, float> dec(code(4, 10));
    RowMatrix<float> y(10, 2);
    for (Index j = 0; j < 10; ++j) y.row(j).setConstant((j % 2 == 0 ? 1.0f : -1.0f) * 3.3e38f);
    std::vector<Index> ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const nercc::DecodeResult<float> r = dec.decode(ids, y);
    CHECK(r.status != nercc::DecodeStatus::ok);
    for (Index q = 0; q < 4; ++q) CHECK(r.available[std::size_t(q)] == r.values.row(q).allFinite());
  }
  SECTION("ordinary answers stay ok") {
    const nercc::Decoder<nercc::SplineScheme, double> dec(code(5, 8));
    const RowMatrix<double> y = nercc_test::random_matrix<double>(6, 3, 9);
    const nercc::DecodeResult<double> r = dec.decode(std::vector<Index>{0, 2, 3, 4, 5, 7}, y);
    CHECK(r.ok());
    CHECK(r.diagnostics.estimates_non_finite == 0);
  }
}

TEST_CASE("encode never returns non-finite rows from finite queries", "[codes][issue16]") {
  const nercc::Encoder<nercc::BerrutScheme, float> enc(code(4, 12));
  RowMatrix<float> x(4, 3);
  for (Index k = 0; k < 4; ++k) x.row(k).setConstant((k % 2 == 0 ? 1.0f : -1.0f) * 3.3e38f);
  CHECK_THROWS_AS(enc.encode(x), nercc::non_finite_input);
  CHECK_THROWS_WITH(enc.encode(x), Contains("coded row") && Contains("overflowed although the queries are finite"));
  const nercc::Encoder<nercc::BerrutScheme, float> same(code(4, 12));
  CHECK(same.encode(x / 1e6f).allFinite());
}

TEST_CASE("sizes beyond max_code_size are a nercc::invalid_argument, not bad_alloc", "[params][issue16]") {
  nercc::CodeParams p = code(1, std::numeric_limits<Index>::max());
  CHECK_THROWS_WITH(p.validate(),
                    Contains("num_workers (9223372036854775807) must be <= nercc::max_code_size (1048576)"));
  p = code(Index(1) << 40, Index(1) << 40);
  CHECK_THROWS_WITH(p.validate(), Contains("num_queries (1099511627776) must be <= nercc::max_code_size"));
  CHECK_THROWS_AS((nercc::Decoder<nercc::ReplicationScheme, float>(code(1, Index(1) << 40))), nercc::invalid_argument);
  CHECK_THROWS_AS((nercc::Decoder<nercc::ReplicationScheme, float>(code(1, std::numeric_limits<Index>::max()))),
                  nercc::invalid_argument);
  CHECK_THROWS_AS(nercc::clustered_worker_points({0.5}, Index(1) << 62, 0.5), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::clustered_worker_points({0.5}, Index(1) << 62, 0.5),
                    Contains("clustered_worker_points: num_workers (4611686018427387904) must be <= "
                             "nercc::max_code_size"));
  CHECK_THROWS_AS(nercc::chebyshev_second_kind(Index(1) << 62), nercc::invalid_argument);

  // Replication at the limit uses no points; a decode is exact.
  const nercc::Decoder<nercc::ReplicationScheme, float> dec(code(2, nercc::max_code_size));
  const RowMatrix<float> y = RowMatrix<float>::Constant(2, 3, 7.0f);
  const nercc::DecodeResult<float> r = dec.decode(std::vector<Index>{nercc::max_code_size - 1, 4}, y);
  CHECK(r.ok());
}

TEST_CASE("decode_into rejects an output that overlaps the answers", "[codes][issue16]") {
  const auto check = [](auto tag, Index k, Index n) {
    using Scheme = decltype(tag);
    const nercc::Decoder<Scheme, double> dec(code(k, n));
    std::vector<Index> ids;
    for (Index w = 0; w < k; ++w) ids.push_back(w);
    RowMatrix<double> buf = nercc_test::random_matrix<double>(k, 3, 4);
    CHECK_THROWS_AS(dec.decode_into(ids, buf, buf), nercc::invalid_argument);
    CHECK_THROWS_WITH(dec.decode_into(ids, buf, buf), Contains("out overlaps answered_outputs"));
    // Adjacent but separate blocks of one matrix are fine.
    RowMatrix<double> both = nercc_test::random_matrix<double>(2 * k, 3, 5);
    const RowMatrix<double> answers = both.bottomRows(k);
    const RowMatrix<double> expected = dec.decode(ids, answers).values;
    CHECK(dec.decode_into(ids, both.bottomRows(k), both.topRows(k)) == nercc::DecodeStatus::ok);
    CHECK(both.topRows(k) == expected);
  };
  check(nercc::ReplicationScheme{}, 3, 6);
  check(nercc::UncodedScheme{}, 3, 3);
  check(nercc::SplineScheme{}, 3, 6);

  const nercc::Encoder<nercc::SplineScheme, double> enc(code(3, 6));
  RowMatrix<double> big = nercc_test::random_matrix<double>(6, 2, 6);
  CHECK_THROWS_WITH(enc.encode_into(big.topRows(3), big), Contains("coded overlaps queries"));
}

TEST_CASE("decoding_matrix of an empty answered set is an error naming ids, for every scheme", "[codes][issue16]") {
  expect_empty_ids_rejected<nercc::SplineScheme>(code(3, 6));
  expect_empty_ids_rejected<nercc::BerrutScheme>(code(3, 6));
  expect_empty_ids_rejected<nercc::ReplicationScheme>(code(3, 6));
  expect_empty_ids_rejected<nercc::UncodedScheme>(code(3, 3));
}
