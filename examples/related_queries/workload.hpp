// The related-query workload: next-day temperature forecasts from the last `window` days of
// Seattle weather. Consecutive forecast windows share all but one day, so the K windows of one
// group resemble each other the way the candidates of one ranking request or the frames of one
// stream do. Holds the queries (model inputs), the truths, the time split, the group builders and
// the persistence forecast; Eigen and the standard library only, so the experiment, the planner's
// calibration and the cluster demo can share it without LibTorch.
#pragma once

#include "seattle_weather.hpp"

#include <nercc/tune/sampling.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

using FloatRowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// What a query holds and what it forecasts.
struct ForecastSpec {
  int window = 14;      ///< days of observations per query
  int horizon = 1;      ///< forecast the day `horizon` days after the window's last day
  int first_test_year = 2015;  ///< windows whose target day is in this year or later are the test set
  int calibration_year = 2014; ///< training windows of this year calibrate the code (and pick ridge's lambda)

  /// Throws std::invalid_argument naming the bad field.
  void validate() const {
    if (window < 1) throw std::invalid_argument("window (" + std::to_string(window) + ") must be >= 1");
    if (horizon < 1) throw std::invalid_argument("horizon (" + std::to_string(horizon) + ") must be >= 1");
    if (calibration_year >= first_test_year)
      throw std::invalid_argument("calibration_year (" + std::to_string(calibration_year) +
                                  ") must precede first_test_year (" + std::to_string(first_test_year) + ")");
  }
};

/// The forecast windows of a series, standardised with statistics of the training windows.
///
/// Query row i (d = 4 window + 2 columns): for each of the window's days, oldest first, the
/// standardised max and min temperature, log(1 + precipitation) and wind; then the sine and
/// cosine of the target day's position in the year. Target row i: the standardised max and min
/// temperature of the target day. Rows are in time order: row i + 1's window starts one day after
/// row i's.
struct ForecastWorkload {
  static constexpr int features_per_day = 4;
  static constexpr Eigen::Index outputs = 2;  ///< max and min temperature

  ForecastSpec spec;
  FloatRowMatrix queries;   ///< windows x (4 window + 2)
  FloatRowMatrix targets;   ///< windows x 2, standardised
  FloatRowMatrix persistence;  ///< windows x 2: the window's last day's temperatures, standardised
  std::vector<int> target_year;
  /// Truth in degrees Celsius = target_mean + target_scale * standardised value (per column).
  Eigen::Array2d target_mean = Eigen::Array2d::Zero(), target_scale = Eigen::Array2d::Ones();
  Eigen::Index train_end = 0;  ///< rows [0, train_end) are training windows (target before first_test_year)
  Eigen::Index calibration_begin = 0;  ///< rows [calibration_begin, train_end): calibration_year's targets
  std::uint64_t data_fingerprint = 0;  ///< FNV-1a of the observations, for cache keys

  Eigen::Index rows() const { return queries.rows(); }
  Eigen::Index test_rows() const { return rows() - train_end; }
  /// Mean absolute error in degrees Celsius between standardised forecasts and targets, over
  /// both outputs: (1 / 2) sum_c target_scale_c |a_c - b_c| for one row.
  template <class A, class B>
  double mae_celsius(const A& a, const B& b) const {
    double sum = 0;
    for (Eigen::Index c = 0; c < outputs; ++c) sum += target_scale(c) * std::abs(double(a(c)) - double(b(c)));
    return sum / double(outputs);
  }
  /// Mean of mae_celsius between rows [begin, end) of `forecast` and of the targets.
  double mean_mae(const FloatRowMatrix& forecast, Eigen::Index begin, Eigen::Index end) const {
    double sum = 0;
    for (Eigen::Index i = begin; i < end; ++i) sum += mae_celsius(forecast.row(i), targets.row(i));
    return sum / double(end - begin);
  }
};

namespace detail {
inline std::uint64_t fnv1a(std::uint64_t h, double v) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&v);
  for (std::size_t i = 0; i < sizeof v; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}
}  // namespace detail

/// Builds the windows of `days`. Throws std::invalid_argument for a bad spec and
/// std::runtime_error when the series leaves no training, calibration or test window.
inline ForecastWorkload make_forecast_workload(const std::vector<WeatherDay>& days, const ForecastSpec& spec = {}) {
  spec.validate();
  ForecastWorkload w;
  w.spec = spec;
  const Eigen::Index n_days = Eigen::Index(days.size());
  const Eigen::Index n = n_days - spec.window - spec.horizon + 1;
  if (n < 1)
    throw std::runtime_error("the series has " + std::to_string(n_days) + " days, too few for window " +
                             std::to_string(spec.window) + " and horizon " + std::to_string(spec.horizon));
  // raw(t, j): day t's j-th observed variable.
  Eigen::MatrixXd raw(n_days, ForecastWorkload::features_per_day);
  std::uint64_t h = 1469598103934665603ull;
  for (Eigen::Index t = 0; t < n_days; ++t) {
    const WeatherDay& d = days[std::size_t(t)];
    raw.row(t) << d.temp_max, d.temp_min, std::log1p(std::max(0.0, d.precipitation)), d.wind;
    for (double v : {d.precipitation, d.temp_max, d.temp_min, d.wind, double(d.days_since_epoch)}) h = detail::fnv1a(h, v);
  }
  w.data_fingerprint = h;
  auto target_day = [&](Eigen::Index i) { return i + spec.window + spec.horizon - 1; };
  w.target_year.resize(std::size_t(n));
  w.train_end = 0;
  w.calibration_begin = -1;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int year = days[std::size_t(target_day(i))].year;
    w.target_year[std::size_t(i)] = year;
    if (year < spec.first_test_year) w.train_end = i + 1;
    if (year == spec.calibration_year && w.calibration_begin < 0) w.calibration_begin = i;
  }
  if (w.calibration_begin < 0 || w.calibration_begin >= w.train_end || w.train_end >= n)
    throw std::runtime_error("the series needs training windows, calibration windows (targets in " +
                             std::to_string(spec.calibration_year) + ") and test windows (targets from " +
                             std::to_string(spec.first_test_year) + ")");
  // Statistics of the days the training windows and their targets cover (no test day).
  const Eigen::Index train_days = target_day(w.train_end - 1) + 1;
  const Eigen::RowVectorXd mean = raw.topRows(train_days).colwise().mean();
  Eigen::RowVectorXd scale =
      ((raw.topRows(train_days).rowwise() - mean).array().square().colwise().sum() / double(train_days)).sqrt();
  for (Eigen::Index j = 0; j < scale.size(); ++j)
    if (!(scale(j) > 0)) scale(j) = 1;
  const Eigen::MatrixXd z = (raw.rowwise() - mean).array().rowwise() / scale.array();
  w.target_mean << mean(0), mean(1);
  w.target_scale << scale(0), scale(1);

  const Eigen::Index d = ForecastWorkload::features_per_day * spec.window + 2;
  w.queries.resize(n, d);
  w.targets.resize(n, ForecastWorkload::outputs);
  w.persistence.resize(n, ForecastWorkload::outputs);
  constexpr double two_pi = 6.283185307179586;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index t = 0; t < spec.window; ++t)
      for (Eigen::Index j = 0; j < ForecastWorkload::features_per_day; ++j)
        w.queries(i, t * ForecastWorkload::features_per_day + j) = float(z(i + t, j));
    const double phase = two_pi * double(days[std::size_t(target_day(i))].day_of_year - 1) / 365.25;
    w.queries(i, d - 2) = float(std::sin(phase));
    w.queries(i, d - 1) = float(std::cos(phase));
    w.targets.row(i) << float(z(target_day(i), 0)), float(z(target_day(i), 1));
    w.persistence.row(i) << float(z(i + spec.window - 1, 0)), float(z(i + spec.window - 1, 1));
  }
  return w;
}

/// How the K queries of a group relate.
enum class GroupKind {
  /// K consecutive windows (one stream, one request). Window q + j holds the target day of
  /// window q for j >= horizon, so an estimate of a lost query decoded from its neighbours has
  /// seen its truth: against the observations it is optimistic; against the model's own
  /// forecast (what the lost worker would have returned) it is not.
  related,
  unrelated,  ///< K windows drawn at random without replacement (the control)
};

inline const char* to_string(GroupKind kind) { return kind == GroupKind::related ? "related" : "unrelated"; }

/// The rows of one group of `k` windows from rows [begin, end): consecutive windows from a
/// uniformly random start, or `k` distinct random rows in time order. Throws
/// std::invalid_argument when the range holds fewer than k rows.
inline std::vector<Eigen::Index> draw_group(std::mt19937_64& rng, GroupKind kind, Eigen::Index begin, Eigen::Index end,
                                            Eigen::Index k) {
  if (k < 1 || end - begin < k)
    throw std::invalid_argument("draw_group: k (" + std::to_string(k) + ") must lie in [1, " +
                                std::to_string(end - begin) + "], the rows of the range");
  std::vector<Eigen::Index> rows(std::size_t(k), 0);
  if (kind == GroupKind::related) {
    const Eigen::Index start = begin + nercc::uniform_below(rng, end - begin - k + 1);
    for (Eigen::Index q = 0; q < k; ++q) rows[std::size_t(q)] = start + q;
  } else {
    rows = nercc::random_subset(rng, end - begin, k);
    for (auto& r : rows) r += begin;
  }
  return rows;
}

/// The given rows of `m`, stacked.
inline FloatRowMatrix gather_rows(const FloatRowMatrix& m, const std::vector<Eigen::Index>& rows) {
  FloatRowMatrix out(Eigen::Index(rows.size()), m.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(Eigen::Index(i)) = m.row(rows[i]);
  return out;
}

}  // namespace nercc_examples
