// Straggler models: the distribution F of one worker's response time, parametric or empirical.
// Every model offers cdf(t) = P(T <= t), quantile(p) = inf{t : F(t) >= p} for p in (0, 1]
// (quantile(0) is the lower end of the support) and sample(urbg).
// Models are immutable once built: all members are const and safe to call from many threads
// (sample() uses only the caller's generator). Times are in any unit, used consistently.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

namespace detail {

/// Standard normal CDF Phi(z) = erfc(-z / sqrt 2) / 2 (accurate in both tails).
inline double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

/// Phi^{-1}(p) for p in (0, 1), by bisection on Phi until the bracket stops shrinking. Phi is
/// below DBL_MIN at z = -38, so [-38, 38] brackets every representable p.
inline double normal_quantile(double p) {
  double lo = -38.0, hi = 38.0;
  for (;;) {
    const double mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) return hi;
    (normal_cdf(mid) >= p ? hi : lo) = mid;
  }
}

/// Checks a probability argument of quantile(): p in [0, 1].
inline void check_probability(double p) {
  if (!(p >= 0.0 && p <= 1.0))
    throw invalid_argument(nercc::detail::message("p (", p, ") must lie in [0, 1]"));
}

}  // namespace detail

/// T = shift + E with E ~ Exponential(rate): F(t) = 1 - exp(-rate (t - shift)) for t >= shift.
/// The classic model of coded computing: a deterministic service time plus a random delay.
struct ShiftedExponentialParams {
  double shift = 0.0;  ///< the minimum response time (>= 0)
  double rate = 1.0;   ///< the rate of the exponential delay (> 0); mean delay 1 / rate

  /// Throws nercc::invalid_argument naming the bad field; `prefix` qualifies nested fields.
  void validate(const std::string& prefix = "") const {
    using nercc::detail::message;
    if (!(std::isfinite(shift) && shift >= 0.0))
      throw invalid_argument(message(prefix, "shift (", shift, ") must be finite and >= 0"));
    if (!(std::isfinite(rate) && rate > 0.0))
      throw invalid_argument(message(prefix, "rate (", rate, ") must be finite and > 0"));
  }
};

/// The shifted exponential model (closed-form cdf and quantile).
class ShiftedExponentialModel {
 public:
  explicit ShiftedExponentialModel(const ShiftedExponentialParams& params) : p_(params) { p_.validate(); }

  const ShiftedExponentialParams& params() const noexcept { return p_; }
  double cdf(double t) const { return t <= p_.shift ? 0.0 : -std::expm1(-p_.rate * (t - p_.shift)); }
  /// shift - log(1 - p) / rate; +infinity at p = 1.
  double quantile(double p) const {
    detail::check_probability(p);
    return p_.shift - std::log1p(-p) / p_.rate;
  }
  template <class URBG>
  double sample(URBG& g) const {
    return p_.shift + std::exponential_distribution<double>(p_.rate)(g);
  }

 private:
  ShiftedExponentialParams p_;
};

/// A fast and a slow population of workers: each response is drawn from `slow` with
/// probability slow_probability, otherwise from `fast`. F = (1 - w) F_fast + w F_slow.
struct BimodalParams {
  ShiftedExponentialParams fast{1.0, 1.0};   ///< the usual worker
  ShiftedExponentialParams slow{5.0, 0.25};  ///< a slow worker (for example a busy host)
  double slow_probability = 0.1;             ///< w, in [0, 1]

  /// Throws nercc::invalid_argument naming the bad field (e.g. "slow.rate").
  void validate() const {
    fast.validate("fast.");
    slow.validate("slow.");
    if (!(slow_probability >= 0.0 && slow_probability <= 1.0))
      throw invalid_argument(
          nercc::detail::message("slow_probability (", slow_probability, ") must lie in [0, 1]"));
  }
};

/// The bimodal slow-worker model. The quantile has no closed form: it is found by bisection
/// between the two components' quantiles, which bracket it.
class BimodalModel {
 public:
  // Validates before the components are built, so errors name the nested field ("slow.rate").
  explicit BimodalModel(const BimodalParams& params)
      : p_((params.validate(), params)), fast_(params.fast), slow_(params.slow) {}

  const BimodalParams& params() const noexcept { return p_; }
  double cdf(double t) const {
    const double w = p_.slow_probability;
    return (1.0 - w) * fast_.cdf(t) + w * slow_.cdf(t);
  }
  double quantile(double p) const {
    detail::check_probability(p);
    const double w = p_.slow_probability;
    if (p == 0.0) {  // the lower end of the support
      if (w == 0.0) return p_.fast.shift;
      if (w == 1.0) return p_.slow.shift;
      return std::min(p_.fast.shift, p_.slow.shift);
    }
    if (p == 1.0) return std::numeric_limits<double>::infinity();
    // The mixture quantile lies between the components' quantiles.
    double lo = std::min(fast_.quantile(p), slow_.quantile(p));
    double hi = std::max(fast_.quantile(p), slow_.quantile(p));
    if (cdf(lo) >= p) return lo;  // one component carries all the mass
    for (;;) {
      const double mid = 0.5 * (lo + hi);
      if (!(mid > lo && mid < hi)) return hi;
      (cdf(mid) >= p ? hi : lo) = mid;
    }
  }
  template <class URBG>
  double sample(URBG& g) const {
    const bool slow = std::bernoulli_distribution(p_.slow_probability)(g);
    return slow ? slow_.sample(g) : fast_.sample(g);
  }

 private:
  BimodalParams p_;
  ShiftedExponentialModel fast_, slow_;
};

/// T = shift + exp(mu + sigma Z), Z ~ N(0, 1): F(t) = Phi((log(t - shift) - mu) / sigma).
/// Heavy right tail; a common fit of measured service times.
struct LogNormalParams {
  double shift = 0.0;  ///< the minimum response time (>= 0)
  double mu = 0.0;     ///< mean of log(T - shift)
  double sigma = 0.5;  ///< standard deviation of log(T - shift) (> 0)

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using nercc::detail::message;
    if (!(std::isfinite(shift) && shift >= 0.0))
      throw invalid_argument(message("shift (", shift, ") must be finite and >= 0"));
    if (!std::isfinite(mu)) throw invalid_argument(message("mu (", mu, ") must be finite"));
    if (!(std::isfinite(sigma) && sigma > 0.0))
      throw invalid_argument(message("sigma (", sigma, ") must be finite and > 0"));
  }
};

/// The shifted log-normal model.
class LogNormalModel {
 public:
  explicit LogNormalModel(const LogNormalParams& params) : p_(params) { p_.validate(); }

  const LogNormalParams& params() const noexcept { return p_; }
  double cdf(double t) const {
    return t <= p_.shift ? 0.0 : detail::normal_cdf((std::log(t - p_.shift) - p_.mu) / p_.sigma);
  }
  double quantile(double p) const {
    detail::check_probability(p);
    if (p == 0.0) return p_.shift;
    if (p == 1.0) return std::numeric_limits<double>::infinity();
    return p_.shift + std::exp(p_.mu + p_.sigma * detail::normal_quantile(p));
  }
  template <class URBG>
  double sample(URBG& g) const {
    return p_.shift + std::exp(std::normal_distribution<double>(p_.mu, p_.sigma)(g));
  }

 private:
  LogNormalParams p_;
};

/// The empirical distribution of observed worker response times: F(t) = #{x_i <= t} / n, the
/// quantile is the smallest observation x with F(x) >= p, and sampling resamples uniformly
/// (bootstrap). Order statistics computed from it are exact for this discrete F.
class EmpiricalModel {
 public:
  /// Copies and sorts the observations; each must be finite and >= 0, and there must be one.
  explicit EmpiricalModel(std::vector<double> samples) : x_(std::move(samples)) {
    using nercc::detail::message;
    if (x_.empty()) throw invalid_argument("samples must not be empty");
    for (std::size_t i = 0; i < x_.size(); ++i)
      if (!(std::isfinite(x_[i]) && x_[i] >= 0.0))
        throw invalid_argument(message("samples[", i, "] (", x_[i], ") must be finite and >= 0"));
    std::sort(x_.begin(), x_.end());
  }

  /// The observations, sorted ascending.
  const std::vector<double>& samples() const noexcept { return x_; }
  double cdf(double t) const {
    const auto n_le = std::upper_bound(x_.begin(), x_.end(), t) - x_.begin();
    return double(n_le) / double(x_.size());
  }
  double quantile(double p) const {
    detail::check_probability(p);
    const double n = double(x_.size());
    // Smallest i with (i + 1) / n >= p; the clamp guards against p * n rounding past n.
    const double i = std::max(0.0, std::ceil(p * n) - 1.0);
    return x_[std::min(std::size_t(i), x_.size() - 1)];
  }
  template <class URBG>
  double sample(URBG& g) const {
    return x_[std::uniform_int_distribution<std::size_t>(0, x_.size() - 1)(g)];
  }

 private:
  std::vector<double> x_;
};

/// Any of the straggler models, chosen at run time (the planner holds one of these). Same
/// members and thread-safety as the models it wraps.
class StragglerModel {
 public:
  using Variant = std::variant<ShiftedExponentialModel, BimodalModel, LogNormalModel, EmpiricalModel>;

  StragglerModel(ShiftedExponentialModel m) : m_(std::move(m)) {}
  StragglerModel(BimodalModel m) : m_(std::move(m)) {}
  StragglerModel(LogNormalModel m) : m_(std::move(m)) {}
  StragglerModel(EmpiricalModel m) : m_(std::move(m)) {}

  const Variant& variant() const noexcept { return m_; }
  double cdf(double t) const {
    return std::visit([t](const auto& m) { return m.cdf(t); }, m_);
  }
  double quantile(double p) const {
    return std::visit([p](const auto& m) { return m.quantile(p); }, m_);
  }
  template <class URBG>
  double sample(URBG& g) const {
    return std::visit([&g](const auto& m) { return m.sample(g); }, m_);
  }

 private:
  Variant m_;
};

}  // namespace plan
NERCC_NAMESPACE_END
