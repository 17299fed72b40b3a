// The related-query workload (examples/related_queries): the weather reader and its errors, the
// forecast windows and the time split, the group draws, the ridge fallback against an
// independent solve, the coded evaluation's invariants, and the LibTorch forecaster.
#include "coded_evaluation.hpp"
#include "forecaster.hpp"
#include "ridge.hpp"
#include "seattle_weather.hpp"
#include "workload.hpp"

#include <catch2/catch.hpp>

#include <Eigen/QR>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ex = nercc_examples;
using Catch::Matchers::Contains;

namespace {

std::string temp_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "nercc_related_queries_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

const char* const header = "date,precipitation,temp_max,temp_min,wind,weather\n";

// Days from 2012-01-01 for `days` days, in the file's format, values that depend on the day.
std::string synthetic_csv(int first_year, int days) {
  std::string text = header;
  int y = first_year, m = 1, d = 1;
  for (int i = 0; i < days; ++i) {
    char line[128];
    std::snprintf(line, sizeof line, "%04d/%02d/%02d,%.1f,%.1f,%.1f,%.1f,rain\n", y, m, d, double(i % 5),
                  10.0 + 8.0 * std::sin(0.0172 * i) + 0.1 * (i % 7), 3.0 + 6.0 * std::sin(0.0172 * i), 2.0 + (i % 3));
    text += line;
    if (++d > ex::detail::days_in_month(y, m)) {
      d = 1;
      if (++m > 12) m = 1, ++y;
    }
  }
  return text;
}

}  // namespace

TEST_CASE("the weather reader parses rows, counts days across leap years and rejects bad files") {
  const auto path = temp_file("ok.csv", std::string(header) + "2012/02/28,1.5,10.0,2.0,3.0,rain\n"
                                                              "2012/02/29,0.0,11.0,3.0,4.0,sun\r\n"
                                                              "2012/03/01,0.0,12.5,-1.5,2.5,sun\n");
  const auto days = ex::load_seattle_weather(path);
  REQUIRE(days.size() == 3);
  CHECK(days[1].month == 2);
  CHECK(days[1].day == 29);
  CHECK(days[1].day_of_year == 60);
  CHECK(days[2].day_of_year == 61);
  CHECK(days[0].days_since_epoch == 15398);  // 2012-02-28: 42 years incl. 10 leap days, plus 58 days
  CHECK(days[2].temp_max == 12.5);
  CHECK(days[2].temp_min == -1.5);
  CHECK(days[0].precipitation == 1.5);
  CHECK(days[1].wind == 4.0);

  CHECK_THROWS_WITH(ex::load_seattle_weather("/nonexistent/seattle-weather.csv"),
                    Contains("apt-get install python3-vega-datasets"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("header.csv", "day,t\n2012/01/01,1\n")), Contains("header"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("gap.csv", std::string(header) + "2012/01/01,0,1,1,1,sun\n"
                                                                                        "2012/01/03,0,1,1,1,sun\n")),
                    Contains("gap.csv:3") && Contains("does not follow"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("date.csv", std::string(header) + "2013/02/29,0,1,1,1,sun\n")),
                    Contains("yyyy/mm/dd"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("num.csv", std::string(header) + "2013/02/01,0,warm,1,1,sun\n")),
                    Contains("temp_max") && Contains("warm"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("nan.csv", std::string(header) + "2013/02/01,0,nan,1,1,sun\n")),
                    Contains("not a finite number"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("short.csv", std::string(header) + "2013/02/01,0,1\n")),
                    Contains("expected 6"));
  CHECK_THROWS_WITH(ex::load_seattle_weather(temp_file("empty.csv", header)), Contains("no data rows"));
}

TEST_CASE("forecast windows hold the standardised days before their target, split by time") {
  const auto days = ex::load_seattle_weather(temp_file("series.csv", synthetic_csv(2012, 1461)));
  ex::ForecastSpec spec;
  spec.window = 5;
  spec.horizon = 2;
  const ex::ForecastWorkload w = ex::make_forecast_workload(days, spec);
  const Eigen::Index n = 1461 - 5 - 2 + 1;
  REQUIRE(w.rows() == n);
  REQUIRE(w.queries.cols() == 4 * 5 + 2);
  // Targets in 2015 are the test set; 2014 is the calibration year.
  for (Eigen::Index i = 0; i < n; ++i) {
    const int year = days[std::size_t(i + 5 + 2 - 1)].year;
    CHECK((i < w.train_end) == (year < 2015));
    CHECK((i >= w.calibration_begin && i < w.train_end) == (year == 2014));
  }
  // Standardisation: z = (v - mean) / scale with the training days' statistics.
  const auto z_max = [&](Eigen::Index t) { return (days[std::size_t(t)].temp_max - w.target_mean(0)) / w.target_scale(0); };
  const auto z_min = [&](Eigen::Index t) { return (days[std::size_t(t)].temp_min - w.target_mean(1)) / w.target_scale(1); };
  for (Eigen::Index i : {Eigen::Index(0), Eigen::Index(17), n - 1}) {
    for (Eigen::Index t = 0; t < 5; ++t) {
      CHECK(w.queries(i, 4 * t) == Approx(z_max(i + t)).margin(1e-5));
      CHECK(w.queries(i, 4 * t + 1) == Approx(z_min(i + t)).margin(1e-5));
    }
    CHECK(w.targets(i, 0) == Approx(z_max(i + 6)).margin(1e-5));
    CHECK(w.targets(i, 1) == Approx(z_min(i + 6)).margin(1e-5));
    CHECK(w.persistence(i, 0) == Approx(z_max(i + 4)).margin(1e-5));
    const double phase = 6.283185307179586 * (days[std::size_t(i + 6)].day_of_year - 1) / 365.25;
    CHECK(w.queries(i, 20) == Approx(std::sin(phase)).margin(1e-6));
    CHECK(w.queries(i, 21) == Approx(std::cos(phase)).margin(1e-6));
  }
  // Training days' standardised temperatures have mean 0 and unit variance.
  const Eigen::Index train_days = w.train_end - 1 + 6 + 1;
  double sum = 0, squares = 0;
  for (Eigen::Index t = 0; t < train_days; ++t) sum += z_max(t), squares += z_max(t) * z_max(t);
  CHECK(sum / double(train_days) == Approx(0.0).margin(1e-9));
  CHECK(squares / double(train_days) == Approx(1.0));
  // mae_celsius scales back to degrees.
  Eigen::RowVector2f a(0.0f, 0.0f), b(1.0f, -2.0f);
  CHECK(w.mae_celsius(a, b) == Approx((w.target_scale(0) + 2.0 * w.target_scale(1)) / 2.0));

  spec.window = 0;
  CHECK_THROWS_WITH(ex::make_forecast_workload(days, spec), Contains("window"));
  spec.window = 5;
  spec.calibration_year = 2015;
  CHECK_THROWS_WITH(ex::make_forecast_workload(days, spec), Contains("calibration_year"));
  spec.calibration_year = 2014;
  const auto short_series = ex::load_seattle_weather(temp_file("short_series.csv", synthetic_csv(2012, 400)));
  CHECK_THROWS_WITH(ex::make_forecast_workload(short_series, spec), Contains("test windows"));
}

TEST_CASE("groups are consecutive windows or distinct random ones inside their range") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const auto related = ex::draw_group(rng, ex::GroupKind::related, 100, 130, 8);
    REQUIRE(related.size() == 8);
    CHECK(related.front() >= 100);
    CHECK(related.back() < 130);
    for (std::size_t q = 1; q < related.size(); ++q) CHECK(related[q] == related[q - 1] + 1);
    const auto unrelated = ex::draw_group(rng, ex::GroupKind::unrelated, 100, 130, 8);
    REQUIRE(unrelated.size() == 8);
    CHECK(std::set<Eigen::Index>(unrelated.begin(), unrelated.end()).size() == 8);
    for (auto r : unrelated) CHECK((r >= 100 && r < 130));
  }
  CHECK(ex::draw_group(rng, ex::GroupKind::related, 0, 8, 8).front() == 0);
  CHECK_THROWS_WITH(ex::draw_group(rng, ex::GroupKind::related, 0, 7, 8), Contains("k (8)"));
}

TEST_CASE("ridge matches an independent least-squares solve and recovers an exact linear map") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  const Eigen::Index rows = 60, d = 6, m = 2;
  ex::RidgeRegression::Matrix x(rows, d), y(rows, m);
  Eigen::MatrixXd w_true(d, m);
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = 0; j < m; ++j) w_true(i, j) = normal(rng);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < d; ++j) x(i, j) = float(normal(rng));
  const Eigen::RowVector2d b_true(0.5, -1.5);
  y = ((x.cast<double>() * w_true).rowwise() + b_true).cast<float>();

  const auto exact = ex::RidgeRegression::fit(x, y, 0.0);
  CHECK((exact.weights() - w_true).cwiseAbs().maxCoeff() < 1e-4);
  CHECK((exact.bias() - b_true).cwiseAbs().maxCoeff() < 1e-4);
  CHECK((exact.predict(x) - y).cwiseAbs().maxCoeff() < 1e-4);

  // Penalised: the least-squares solution of the augmented system [X_c; sqrt(l) I] W = [Y_c; 0].
  const double lambda = 7.0;
  const auto ridge = ex::RidgeRegression::fit(x, y, lambda);
  const Eigen::MatrixXd xd = x.cast<double>(), yd = y.cast<double>();
  Eigen::MatrixXd a(rows + d, d), rhs = Eigen::MatrixXd::Zero(rows + d, m);
  a.topRows(rows) = xd.rowwise() - xd.colwise().mean();
  a.bottomRows(d) = std::sqrt(lambda) * Eigen::MatrixXd::Identity(d, d);
  rhs.topRows(rows) = yd.rowwise() - yd.colwise().mean();
  const Eigen::MatrixXd reference = a.colPivHouseholderQr().solve(rhs);
  CHECK((ridge.weights() - reference).cwiseAbs().maxCoeff() < 1e-9);
  CHECK((ridge.bias() - (yd.colwise().mean() - xd.colwise().mean() * reference)).cwiseAbs().maxCoeff() < 1e-9);

  // The time split picks the lambda with the smallest hold-out error: 0 on noiseless data.
  CHECK(ex::fit_ridge_time_split(x, y, 40, {100.0, 0.0, 10.0}).lambda() == 0.0);

  CHECK_THROWS_WITH(ex::RidgeRegression::fit(x, y, -1.0), Contains("lambda"));
  CHECK_THROWS_WITH(ex::RidgeRegression::fit(x, y.topRows(10), 1.0), Contains("rows"));
  CHECK_THROWS_WITH(ridge.predict(x.leftCols(3)), Contains("columns"));
  CHECK_THROWS_WITH(ex::fit_ridge_time_split(x, y, 0, {1.0}), Contains("holdout_begin"));
  CHECK_THROWS_WITH(ex::fit_ridge_time_split(x, y, 10, {}), Contains("grid"));
}

TEST_CASE("the coded evaluation counts every lost query once and decodes a constant model exactly") {
  const auto days = ex::load_seattle_weather(temp_file("series2.csv", synthetic_csv(2012, 1461)));
  const ex::ForecastWorkload w = ex::make_forecast_workload(days);
  // A constant model: every code reproduces constants, so each estimate equals the model's output.
  auto constant = [](const nercc::RowMatrix<float>& x) {
    nercc::RowMatrix<float> out(x.rows(), 2);
    out.col(0).setConstant(0.25f);
    out.col(1).setConstant(-0.5f);
    return out;
  };
  ex::ReferenceForecasts reference{constant(w.queries), nercc::RowMatrix<float>::Zero(w.rows(), 2)};
  const nercc::Index k = 8, n = 12, groups = 50;
  const nercc::CodeParams systematic = nercc::systematic_params(k, n, 0.1);
  nercc::CodeParams chebyshev;
  chebyshev.num_queries = k;
  chebyshev.num_workers = n;
  for (auto kind : {ex::GroupKind::related, ex::GroupKind::unrelated}) {
    const auto sys = ex::evaluate_missing_queries<nercc::SplineScheme>(w, systematic, kind, groups, {1, 4}, 9, constant,
                                                                       reference);
    const auto cheb =
        ex::evaluate_missing_queries<nercc::BerrutScheme>(w, chebyshev, kind, groups, {1, 4}, 9, constant, reference);
    REQUIRE(sys.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      const nercc::Index s = i == 0 ? 1 : 4;
      // Systematic: only lost systematic workers' queries are estimated, at most S per group.
      CHECK(sys[i].estimated + sys[i].unavailable <= s * groups);
      CHECK(sys[i].estimated > 0);
      CHECK(sys[i].unavailable == 0);
      // Chebyshev: every query of every group is estimated.
      CHECK(cheb[i].estimated == k * groups);
      CHECK(sys[i].mean(sys[i].coded_vs_model) < 1e-5);
      CHECK(cheb[i].mean(cheb[i].coded_vs_model) < 1e-5);
      CHECK(sys[i].mean(sys[i].coded_vs_truth) == Approx(sys[i].mean(sys[i].model_vs_truth)).epsilon(1e-5));
      // The zero fallback is (0.25 s_0 + 0.5 s_1) / 2 degrees from the model everywhere.
      CHECK(cheb[i].mean(cheb[i].fallback_vs_model) ==
            Approx((0.25 * w.target_scale(0) + 0.5 * w.target_scale(1)) / 2.0).epsilon(1e-5));
    }
  }
  // The hybrid: a threshold of 0 keeps every estimate, one above 1 replaces every estimate.
  auto model_like = [](const nercc::RowMatrix<float>& x) { return nercc::RowMatrix<float>(x.leftCols(2)); };
  ex::ReferenceForecasts linear{model_like(w.queries), nercc::RowMatrix<float>::Zero(w.rows(), 2)};
  for (double threshold : {0.0, 0.75, 2.0}) {
    const auto e = ex::evaluate_missing_queries<nercc::SplineScheme>(w, systematic, ex::GroupKind::related, groups, {2},
                                                                     9, model_like, linear, threshold)[0];
    REQUIRE(e.estimated > 0);
    if (threshold == 0.0) {
      CHECK(e.hybrid_fallbacks == 0);
      CHECK(e.hybrid_vs_model == Approx(e.coded_vs_model));
    } else if (threshold == 2.0) {
      CHECK(e.hybrid_fallbacks == e.estimated);
      CHECK(e.hybrid_vs_model == Approx(e.fallback_vs_model));
      CHECK(e.hybrid_vs_truth == Approx(e.fallback_vs_truth));
    } else {
      // With 4 companions for 8 queries, some lost queries have one and some do not.
      CHECK(e.hybrid_fallbacks > 0);
      CHECK(e.hybrid_fallbacks < e.estimated);
    }
  }
  CHECK_THROWS_WITH(ex::evaluate_missing_queries<nercc::SplineScheme>(w, systematic, ex::GroupKind::related, groups,
                                                                      {5}, 9, constant, reference),
                    Contains("N - K = 4"));
  CHECK_THROWS_WITH(ex::evaluate_missing_queries<nercc::SplineScheme>(w, systematic, ex::GroupKind::related, 0, {1}, 9,
                                                                      constant, reference),
                    Contains("groups (0)"));
}

TEST_CASE("the forecaster learns a linear map, deterministically, and rejects bad input") {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal;
  ex::Forecaster::Matrix x(400, 5), y(400, 2);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index j = 0; j < 5; ++j) x(i, j) = normal(rng);
    y(i, 0) = 0.5f * x(i, 0) - x(i, 3);
    y(i, 1) = x(i, 1) + 0.25f * x(i, 2);
  }
  ex::ForecasterConfig config;
  config.epochs = 150;
  config.weight_decay = 0.0;
  const auto a = ex::Forecaster::train(x, y, config, 1);
  const auto b = ex::Forecaster::train(x, y, config, 1);
  const auto pa = a.predict(x), pb = b.predict(x);
  CHECK(pa == pb);
  // The targets' mean absolute deviation is about 0.9: the fit must be within 5% of that.
  INFO("mean absolute error " << (pa - y).cwiseAbs().mean());
  CHECK((pa - y).cwiseAbs().mean() < 0.045);
  CHECK(a.input_dim() == 5);
  CHECK(a.output_dim() == 2);
  CHECK(a.predict(x.topRows(0)).rows() == 0);
  CHECK_THROWS_WITH(a.predict(x.leftCols(4)), Contains("columns"));
  config.hidden = 0;
  CHECK_THROWS_WITH(ex::Forecaster::train(x, y, config, 1), Contains("hidden (0)"));
  config.hidden = 8;
  CHECK_THROWS_WITH(ex::Forecaster::train(x, y.topRows(3), config, 1), Contains("rows must match"));
}
