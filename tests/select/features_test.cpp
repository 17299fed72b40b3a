#include <nercc/select/features.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

namespace sel = nercc::select;
using nercc::Index;
using nercc::RowMatrix;

namespace {

RowMatrix<double> features_queries(Index rows, Index d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  RowMatrix<double> x(rows, d);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < d; ++j) x(i, j) = 2.0 * nercc::uniform_unit(rng) - 1.0;
  return x;
}

}  // namespace

TEST_CASE("features: a linear model has no curvature and its scale as Lipschitz constant", "[select][features]") {
  const RowMatrix<double> x = features_queries(40, 3, 1);
  // f(x) = 2.5 Q x with Q orthogonal (a rotation in the first two coordinates): ||f(a) - f(b)|| = 2.5 ||a - b||.
  Eigen::Matrix3d q;
  q << 0.6, -0.8, 0, 0.8, 0.6, 0, 0, 0, 1;
  auto linear = [&](const RowMatrix<double>& in) -> RowMatrix<double> { return 2.5 * in * q.transpose(); };
  sel::FeatureParams params;
  const sel::TaskFeatures f = sel::task_features(params, x, linear);
  CHECK(f["input_dim"] == 3);
  CHECK(f["output_dim"] == 3);
  CHECK(f["curvature_q50"] < 1e-9);
  CHECK(f["curvature_q90"] < 1e-9);
  CHECK(f["second_difference_q90"] < 1e-9);
  CHECK(f["lipschitz_q50"] == Approx(2.5).epsilon(1e-12));
  CHECK(f["lipschitz_q90"] == Approx(2.5).epsilon(1e-12));
  // Cost: M = min(64, 40) margins + 3 p (N - 2) curve points + chords * P.
  CHECK(f.model_evaluations == 40 + 3 * 8 * 14 + 16 * 9);
  CHECK(f.names.size() == f.values.size());
}

TEST_CASE("features: float queries and a float model", "[select][features]") {
  const RowMatrix<float> x = features_queries(40, 3, 1).cast<float>();
  auto linear = [](const RowMatrix<float>& in) -> RowMatrix<float> { return 2.5f * in; };
  const sel::TaskFeatures f = sel::task_features(sel::FeatureParams{}, x, linear);
  CHECK(f["lipschitz_q50"] == Approx(2.5).epsilon(1e-5));
  CHECK(f["curvature_q90"] < 1e-3);  // rounding of float second differences over steps ~0.1
}

TEST_CASE("features: x^T x has second derivative 2 along every direction", "[select][features]") {
  const RowMatrix<double> x = features_queries(30, 4, 2);
  auto square = [](const RowMatrix<double>& in) -> RowMatrix<double> { return in.rowwise().squaredNorm(); };
  const sel::TaskFeatures f = sel::task_features(sel::FeatureParams{}, x, square);
  CHECK(f["output_dim"] == 1);
  CHECK(f["curvature_q50"] == Approx(2.0).epsilon(1e-9));
  CHECK(f["curvature_q90"] == Approx(2.0).epsilon(1e-9));
  CHECK(f["second_difference_q50"] == Approx(2.0).epsilon(1e-9));
  CHECK(f["second_difference_q90"] == Approx(2.0).epsilon(1e-9));
  // A diagonal quadratic form 0.5 x^T diag(1, 2, 3, 4) x: curvature within [1, 4].
  auto form = [](const RowMatrix<double>& in) -> RowMatrix<double> {
    RowMatrix<double> out(in.rows(), 1);
    for (Index i = 0; i < in.rows(); ++i) {
      out(i, 0) = 0.0;
      for (Index j = 0; j < 4; ++j) out(i, 0) += 0.5 * double(j + 1) * in(i, j) * in(i, j);
    }
    return out;
  };
  const sel::TaskFeatures g = sel::task_features(sel::FeatureParams{}, x, form);
  CHECK(g["curvature_q50"] >= 1.0 - 1e-9);
  CHECK(g["curvature_q90"] <= 4.0 + 1e-9);
  CHECK(g["curvature_q90"] > g["curvature_q50"] - 1e-12);
}

TEST_CASE("features: margins, output scale and group distances by hand", "[select][features]") {
  // Rows 0..8: x = i + 1 in one coordinate; f(x) = [x, 0]: margin |x| = 1..9.
  RowMatrix<double> x(9, 1);
  for (Index i = 0; i < 9; ++i) x(i, 0) = double(i + 1);
  auto model = [](const RowMatrix<double>& in) -> RowMatrix<double> {
    RowMatrix<double> out = RowMatrix<double>::Zero(in.rows(), 2);
    out.col(0) = in.col(0);
    return out;
  };
  sel::FeatureParams params;
  params.num_queries = 3;
  params.num_workers = 5;
  const sel::TaskFeatures f = sel::task_features(params, x, model);
  CHECK(f["margin_q10"] == 1.0);  // x_(ceil(0.9)) = x_(1)
  CHECK(f["margin_q50"] == 5.0);  // x_(ceil(4.5)) = x_(5)
  // Outputs {1..9} and nine zeros: mean 2.5, variance (sum i^2) / 18 - 2.5^2 = 285 / 18 - 6.25.
  CHECK(f["output_sd"] == Approx(std::sqrt(285.0 / 18.0 - 6.25)).epsilon(1e-12));
  // Groups {1,2,3}, {4,5,6}, {7,8,9}: mean distance within (1 + 2 + 1) / 3 = 4/3; over all 36
  // pairs of 1..9: sum_{d=1..8} d (9 - d) / 36 = 120 / 36 = 10/3; ratio 0.4.
  CHECK(f["group_distance_ratio"] == Approx(0.4).epsilon(1e-12));
  // One output: the margin is |f|.
  auto scalar = [](const RowMatrix<double>& in) -> RowMatrix<double> { return -in.col(0); };
  CHECK(sel::task_features(params, x, scalar)["margin_q50"] == 5.0);
}

TEST_CASE("features: bad input is rejected", "[select][features]") {
  RowMatrix<double> x = features_queries(20, 2, 3);
  auto identity = [](const RowMatrix<double>& in) -> RowMatrix<double> { return in; };
  sel::FeatureParams params;
  params.chord_points = 2;
  CHECK_THROWS_WITH(sel::task_features(params, x, identity), Catch::Contains("chord_points (2)"));
  CHECK_THROWS_WITH(sel::task_features(sel::FeatureParams{}, x.topRows(5), identity),
                    Catch::Contains("fewer than num_queries (8)"));
  auto short_model = [](const RowMatrix<double>& in) -> RowMatrix<double> { return in.topRows(1); };
  CHECK_THROWS_AS(sel::task_features(sel::FeatureParams{}, x, short_model), nercc::shape_mismatch);
  auto nan_model = [](const RowMatrix<double>& in) -> RowMatrix<double> { return in.array() / 0.0 * 0.0; };
  CHECK_THROWS_AS(sel::task_features(sel::FeatureParams{}, x, nan_model), nercc::non_finite_input);
  x(3, 1) = std::nan("");
  CHECK_THROWS_WITH(sel::task_features(sel::FeatureParams{}, x, identity), Catch::Contains("queries row 3"));
  CHECK_THROWS_WITH(sel::TaskFeatures{}["curvature"], Catch::Contains("no task feature named 'curvature'"));
}
