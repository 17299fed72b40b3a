// Fitting straggler models to observed worker times, read from the runtime's GroupLog records.
// A group stops collecting at its quorum, so the workers that had not answered are right-
// censored at the group's collect time: every fit below is a censored maximum-likelihood (or
// EM) fit, and the goodness of fit is the Kolmogorov-Smirnov distance to the Kaplan-Meier
// estimate. All functions are pure and safe to call from many threads.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/plan/straggler.hpp>
#include <nercc/runtime/group_log.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// Worker response times: `observed` answered at that time; `censored` had not answered by
/// that time (the group was decided first). Times in the unit of the model to fit.
struct WorkerTimes {
  std::vector<double> observed;
  std::vector<double> censored;

  /// Throws nercc::invalid_argument unless there is an observation and every time is finite
  /// and >= 0.
  void validate() const {
    using nercc::detail::message;
    if (observed.empty()) throw invalid_argument("observed is empty: a fit needs at least one answer");
    auto check = [](const std::vector<double>& v, const char* name) {
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!(std::isfinite(v[i]) && v[i] >= 0.0))
          throw invalid_argument(message(name, "[", i, "] (", v[i], ") must be finite and >= 0"));
    };
    check(observed, "observed");
    check(censored, "censored");
  }
};

/// Collects worker times from GroupLog records, divided by `unit_seconds` (for example the
/// profiled latency of the batch size the workers ran, so the model is a slowdown factor).
/// Answered calls give observations at arrival_seconds; pending calls are censored at the
/// group's collect_seconds; failed, malformed and non-finite answers carry no time and are
/// skipped. Throws nercc::invalid_argument unless unit_seconds > 0.
inline WorkerTimes worker_times_from_logs(const std::vector<runtime::GroupLog>& logs, double unit_seconds = 1.0) {
  if (!(unit_seconds > 0.0 && std::isfinite(unit_seconds)))
    throw invalid_argument(nercc::detail::message("unit_seconds (", unit_seconds, ") must be finite and > 0"));
  WorkerTimes t;
  for (const auto& g : logs)
    for (std::size_t i = 0; i < g.call_states.size() && i < g.arrival_seconds.size(); ++i) {
      if (g.call_states[i] == runtime::CallState::answered && std::isfinite(g.arrival_seconds[i]))
        t.observed.push_back(g.arrival_seconds[i] / unit_seconds);
      else if (g.call_states[i] == runtime::CallState::pending)
        t.censored.push_back(g.collect_seconds / unit_seconds);
    }
  return t;
}

/// The Kaplan-Meier estimate of F at each distinct observed time (ascending): the censored
/// counterpart of the empirical cdf (equal to it without censoring).
struct KaplanMeier {
  std::vector<double> times;
  std::vector<double> cdf;            ///< F(times[i]), right-continuous
  std::vector<std::size_t> at_risk;   ///< times not below times[i] (observed or censored)
  std::size_t total = 0;              ///< observed + censored
};

inline KaplanMeier kaplan_meier(const WorkerTimes& data) {
  // Events sorted by time; at equal times observations come first (censored at t survived t).
  std::vector<std::pair<double, int>> events;
  events.reserve(data.observed.size() + data.censored.size());
  for (double t : data.observed) events.emplace_back(t, 0);
  for (double t : data.censored) events.emplace_back(t, 1);
  std::sort(events.begin(), events.end());
  KaplanMeier km;
  km.total = events.size();
  double survival = 1.0;
  std::size_t at_risk = events.size(), i = 0;
  while (i < events.size()) {
    const double t = events[i].first;
    std::size_t deaths = 0, leaving = 0;
    for (; i < events.size() && events[i].first == t; ++i, ++leaving) deaths += events[i].second == 0 ? 1 : 0;
    if (deaths > 0) {
      survival *= 1.0 - double(deaths) / double(at_risk);
      km.times.push_back(t);
      km.cdf.push_back(1.0 - survival);
      km.at_risk.push_back(at_risk);
    }
    at_risk -= leaving;
  }
  return km;
}

/// sup |F_model - F_KM|, checked on both sides of every jump where at least 5% of the times
/// are still at risk: beyond, the estimate rests on a few survivors of the censoring and its
/// noise would swamp the distance (and the KS critical value, which assumes no censoring).
template <class Model>
double ks_distance(const Model& model, const KaplanMeier& km) {
  double d = 0.0, before = 0.0;
  for (std::size_t i = 0; i < km.times.size(); ++i) {
    if (20 * km.at_risk[i] >= km.total) {
      const double f = model.cdf(km.times[i]);
      d = std::max({d, std::abs(f - km.cdf[i]), std::abs(f - before)});
    }
    before = km.cdf[i];
  }
  return d;
}

namespace detail {

inline double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * 3.14159265358979323846); }

inline double min_observed(const WorkerTimes& d) { return *std::min_element(d.observed.begin(), d.observed.end()); }

/// Censored exponential MLE above `shift` with weights: rate = sum w_obs / sum w (t - shift)+.
inline double weighted_exponential_rate(const std::vector<double>& t_obs, const std::vector<double>& w_obs,
                                        const std::vector<double>& t_cen, const std::vector<double>& w_cen,
                                        double shift) {
  double events = 0.0, exposure = 0.0;
  for (std::size_t i = 0; i < t_obs.size(); ++i) {
    events += w_obs[i];
    exposure += w_obs[i] * std::max(0.0, t_obs[i] - shift);
  }
  for (std::size_t i = 0; i < t_cen.size(); ++i) exposure += w_cen[i] * std::max(0.0, t_cen[i] - shift);
  // Floors keep the rate finite when every weighted time sits at the shift.
  return std::max(events, 1e-12) / std::max(exposure, 1e-12 * std::max(1.0, shift));
}

/// The candidate with the smallest KS distance among `shifts`, fitted by `fit_at(shift)`.
template <class Fit>
auto best_shift(const std::vector<double>& shifts, const KaplanMeier& km, Fit&& fit_at) {
  auto best = fit_at(shifts.front());
  double best_d = ks_distance(best, km);
  for (std::size_t i = 1; i < shifts.size(); ++i) {
    auto m = fit_at(shifts[i]);
    const double d = ks_distance(m, km);
    if (d < best_d) best = std::move(m), best_d = d;
  }
  return best;
}

/// Shift candidates in [0, min observed): the MLE of a shift sits at the smallest observation,
/// where the log-normal likelihood is unbounded, so the shift is chosen by the KS distance.
inline std::vector<double> shift_grid(double t_min) {
  std::vector<double> s{0.0};
  for (double c : {0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995}) s.push_back(c * t_min);
  return s;
}

}  // namespace detail

/// Censored MLE: shift = the smallest observation, rate = answers / total time above the shift.
inline ShiftedExponentialModel fit_shifted_exponential(const WorkerTimes& data) {
  data.validate();
  const double shift = detail::min_observed(data);
  const std::vector<double> w_obs(data.observed.size(), 1.0), w_cen(data.censored.size(), 1.0);
  // n / (n - 1) removes the downward bias of the minimum as the shift (exact without censoring).
  const double n = double(data.observed.size());
  const double rate = detail::weighted_exponential_rate(data.observed, w_obs, data.censored, w_cen, shift) *
                      (n > 1.0 ? (n - 1.0) / n : 1.0);
  return ShiftedExponentialModel({shift, rate});
}

/// Censored log-normal: for each shift of detail::shift_grid, (mu, sigma) by EM on
/// log(t - shift) (censored values replaced by their conditional moments, 200 iterations);
/// the shift with the smallest KS distance wins.
inline LogNormalModel fit_log_normal(const WorkerTimes& data) {
  data.validate();
  const KaplanMeier km = kaplan_meier(data);
  auto fit_at = [&](double shift) {
    std::vector<double> z, zc;
    for (double t : data.observed) z.push_back(std::log(std::max(t - shift, 1e-300)));
    for (double t : data.censored)
      if (t > shift) zc.push_back(std::log(t - shift));
    double mu = 0.0, var = 0.0;
    for (double v : z) mu += v;
    mu /= double(z.size());
    for (double v : z) var += (v - mu) * (v - mu);
    double sigma = std::max(std::sqrt(var / double(z.size())), 1e-3);
    const double n = double(z.size() + zc.size());
    for (int it = 0; it < 200 && !zc.empty(); ++it) {
      double s1 = 0.0, s2 = 0.0;
      for (double v : z) s1 += v, s2 += v * v;
      for (double c : zc) {
        const double a = (c - mu) / sigma;
        const double tail = 1.0 - detail::normal_cdf(a);
        // The inverse Mills ratio; beyond a = 30 the tail underflows and it tends to a.
        const double mills = tail > 1e-300 ? detail::normal_pdf(a) / tail : a;
        s1 += mu + sigma * mills;
        s2 += mu * mu + sigma * sigma + sigma * (c + mu) * mills;
      }
      const double mu_before = mu, sigma_before = sigma;
      mu = s1 / n;
      sigma = std::max(std::sqrt(std::max(s2 / n - mu * mu, 0.0)), 1e-3);
      if (std::abs(mu - mu_before) + std::abs(sigma - sigma_before) < 1e-10) break;
    }
    return LogNormalModel({shift, mu, sigma});
  };
  return detail::best_shift(detail::shift_grid(detail::min_observed(data)), km, fit_at);
}

/// Censored bimodal fit: fast.shift = the smallest observation; for a slow shift at an
/// observation from the median to the second largest, weights and rates by EM (60 iterations);
/// the slow shift of the largest censored likelihood wins.
inline BimodalModel fit_bimodal(const WorkerTimes& data) {
  data.validate();
  std::vector<double> sorted = data.observed;
  std::sort(sorted.begin(), sorted.end());
  const double s1 = sorted.front();
  const std::size_t no = data.observed.size(), nc = data.censored.size();
  std::vector<double> r_obs(no), r_cen(nc), f_obs(no), f_cen(nc);  // slow / fast responsibilities
  auto em = [&](double s2) {
    BimodalParams p;
    p.fast.shift = s1;
    p.slow.shift = s2;
    p.slow_probability = 0.1;
    p.fast.rate = p.slow.rate = 1.0 / std::max(sorted[sorted.size() / 2] - s1, 1e-12);
    for (int it = 0; it < 60; ++it) {
      const double w = p.slow_probability;
      for (std::size_t i = 0; i < no; ++i) {
        const double t = data.observed[i];
        const double a = (1.0 - w) * p.fast.rate * std::exp(-p.fast.rate * (t - s1));
        const double b = t >= s2 ? w * p.slow.rate * std::exp(-p.slow.rate * (t - s2)) : 0.0;
        r_obs[i] = a + b > 0.0 ? b / (a + b) : (t >= s2 ? 1.0 : 0.0);
        f_obs[i] = 1.0 - r_obs[i];
      }
      for (std::size_t i = 0; i < nc; ++i) {
        const double c = data.censored[i];
        const double a = (1.0 - w) * (c <= s1 ? 1.0 : std::exp(-p.fast.rate * (c - s1)));
        const double b = w * (c <= s2 ? 1.0 : std::exp(-p.slow.rate * (c - s2)));
        r_cen[i] = a + b > 0.0 ? b / (a + b) : 1.0;
        f_cen[i] = 1.0 - r_cen[i];
      }
      double slow_mass = 0.0;
      for (double r : r_obs) slow_mass += r;
      for (double r : r_cen) slow_mass += r;
      const double w_before = p.slow_probability;
      p.slow_probability = std::clamp(slow_mass / double(no + nc), 0.0, 1.0);
      p.fast.rate = detail::weighted_exponential_rate(data.observed, f_obs, data.censored, f_cen, s1);
      p.slow.rate = detail::weighted_exponential_rate(data.observed, r_obs, data.censored, r_cen, s2);
      if (std::abs(p.slow_probability - w_before) < 1e-10) break;
    }
    return BimodalModel(p);
  };
  // The slow shift by the censored likelihood, which (unlike the KS distance, blind beyond the
  // body) weighs the tail the planner reads. It is not smooth in the shift: scan indices of the
  // sorted observations (quantiles 0.5 to 0.98), then zoom around the best until adjacent
  // observations are reached.
  auto score = [&](std::size_t i) {
    const BimodalModel m = em(sorted[i]);
    const BimodalParams& p = m.params();
    const double w = p.slow_probability;
    auto part = [](const ShiftedExponentialParams& c, double t, bool density) {
      if (t < c.shift) return density ? 0.0 : 1.0;
      const double survive = std::exp(-c.rate * (t - c.shift));
      return density ? c.rate * survive : survive;
    };
    double log_likelihood = 0.0;
    for (double t : data.observed)
      log_likelihood += std::log(std::max((1.0 - w) * part(p.fast, t, true) + w * part(p.slow, t, true), 1e-300));
    for (double c : data.censored)
      log_likelihood += std::log(std::max((1.0 - w) * part(p.fast, c, false) + w * part(p.slow, c, false), 1e-300));
    return -log_likelihood;
  };
  // First 24 shifts evenly spaced in time from the median to the second-largest observation
  // (under censoring the slow workers' answers can all lie in the top percent), then zoom in
  // index space around the best.
  const std::size_t first = sorted.size() / 2, last = sorted.size() >= 2 ? sorted.size() - 2 : 0;
  std::size_t best = first;
  double best_d = score(best);
  std::size_t lo = first, hi = last;
  for (int j = 1; j <= 24 && last > first; ++j) {
    const double v = sorted[first] + (sorted[last] - sorted[first]) * double(j) / 24.0;
    const std::size_t i = std::size_t(std::lower_bound(sorted.begin() + std::ptrdiff_t(first),
                                                       sorted.begin() + std::ptrdiff_t(last) + 1, v) - sorted.begin());
    const double d = score(i);
    if (d < best_d) best = i, best_d = d;
  }
  if (last > first) {  // the neighbouring grid values bound the zoom
    const double spacing = (sorted[last] - sorted[first]) / 24.0;
    lo = std::size_t(std::lower_bound(sorted.begin() + std::ptrdiff_t(first), sorted.begin() + std::ptrdiff_t(best),
                                      sorted[best] - spacing) - sorted.begin());
    hi = std::size_t(std::upper_bound(sorted.begin() + std::ptrdiff_t(best), sorted.begin() + std::ptrdiff_t(last) + 1,
                                      sorted[best] + spacing) - sorted.begin());
    hi = std::min(hi, last);
  }
  while (hi > lo + 1) {
    const std::size_t step = std::max<std::size_t>(1, (hi - lo) / 12);
    for (std::size_t i = lo; i <= hi; i += step) {
      const double d = score(i);
      if (d < best_d) best = i, best_d = d;
    }
    if (step == 1) break;
    lo = best > lo + step ? best - step : lo;
    hi = std::min(hi, best + step);
  }
  return em(sorted[best]);
}

/// The families fit_straggler_model considers.
enum class ModelFamily { shifted_exponential, bimodal, log_normal, empirical };

inline const char* to_string(ModelFamily f) {
  switch (f) {
    case ModelFamily::shifted_exponential: return "shifted_exponential";
    case ModelFamily::bimodal: return "bimodal";
    case ModelFamily::log_normal: return "log_normal";
    case ModelFamily::empirical: return "empirical";
  }
  return "unknown";
}

/// The chosen model and the KS distance of every parametric candidate.
struct FitResult {
  StragglerModel model;
  ModelFamily family = ModelFamily::shifted_exponential;
  double ks = 0.0;                 ///< KS distance of the chosen model to the Kaplan-Meier estimate
  double ks_critical = 0.0;        ///< the 1% KS critical value 1.628 / sqrt(observations)
  double ks_shifted_exponential = 0.0, ks_bimodal = 0.0, ks_log_normal = 0.0;
};

/// Fits the three parametric families and keeps the one with the smallest KS distance to the
/// Kaplan-Meier estimate. The bimodal model has two more parameters than the shifted
/// exponential, so it must beat it by a margin of 0.25 critical values to be chosen (on data
/// from a shifted exponential it would otherwise win by fitting noise). When even the best
/// family fails the KS test at the 1% level and nothing is censored, the empirical model is
/// returned instead (with censoring the empirical cdf of the answers alone would be
/// optimistic, so the best parametric fit is kept). Throws nercc::invalid_argument for bad data.
inline FitResult fit_straggler_model(const WorkerTimes& data) {
  data.validate();
  const KaplanMeier km = kaplan_meier(data);
  const auto exp_m = fit_shifted_exponential(data);
  const auto bim_m = fit_bimodal(data);
  const auto log_m = fit_log_normal(data);
  FitResult r{StragglerModel(exp_m)};
  r.ks_shifted_exponential = ks_distance(exp_m, km);
  r.ks_bimodal = ks_distance(bim_m, km);
  r.ks_log_normal = ks_distance(log_m, km);
  r.ks_critical = 1.628 / std::sqrt(double(data.observed.size()));
  r.ks = r.ks_shifted_exponential;
  if (r.ks_bimodal + 0.25 * r.ks_critical < r.ks) {
    r = FitResult{StragglerModel(bim_m), ModelFamily::bimodal, r.ks_bimodal, r.ks_critical, r.ks_shifted_exponential,
                  r.ks_bimodal, r.ks_log_normal};
  }
  if (r.ks_log_normal < r.ks) {
    r = FitResult{StragglerModel(log_m), ModelFamily::log_normal, r.ks_log_normal, r.ks_critical,
                  r.ks_shifted_exponential, r.ks_bimodal, r.ks_log_normal};
  }
  if (r.ks > r.ks_critical && data.censored.empty()) {
    r.model = StragglerModel(EmpiricalModel(data.observed));
    r.family = ModelFamily::empirical;
    r.ks = 0.0;
  }
  return r;
}

}  // namespace plan
NERCC_NAMESPACE_END
