// The k-th order statistic T_(k:N) of N i.i.d. worker times: the time at which the k-th
// fastest of N workers has answered, i.e. when a group with quorum k can decode.
//   P(T_(k:N) <= t) = sum_{j=k}^{N} C(N, j) F(t)^j (1 - F(t))^(N-j) = P(Bin(N, F(t)) >= k).
// All functions are pure and safe to call from many threads.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

namespace detail {

/// Checks 1 <= k <= n.
inline void check_order(Index k, Index n) {
  using nercc::detail::message;
  if (n < 1) throw invalid_argument(message("n (", n, ") must be >= 1"));
  if (k < 1 || k > n) throw invalid_argument(message("k (", k, ") must lie in [1, n (", n, ")]"));
}

/// P(Bin(n, u) >= k) for 0 <= k <= n + 1. Summed in log space with a log-sum-exp, so neither
/// C(n, j) nor u^j overflows or underflows before the tail itself does; log C(n, j) comes from
/// the product recurrence C(n, j) = C(n, j - 1) (n - j + 1) / j (no lgamma: it is not
/// thread-safe everywhere). The relative error is of order (n + |log tail|) ulps, so tiny tails
/// keep their digits (1 - lower tail would round them to 0).
inline double binomial_upper_tail(Index n, Index k, double u) {
  if (k <= 0) return 1.0;
  if (k > n || u <= 0.0) return 0.0;
  if (u >= 1.0) return 1.0;
  const double log_u = std::log(u), log_v = std::log1p(-u);
  double log_c = 0.0;  // log C(n, j), advanced to j = k
  for (Index j = 1; j <= k; ++j) log_c += std::log(double(n - j + 1) / double(j));
  std::vector<double> terms;
  terms.reserve(std::size_t(n - k + 1));
  for (Index j = k;; ++j) {
    terms.push_back(log_c + double(j) * log_u + double(n - j) * log_v);
    if (j == n) break;
    log_c += std::log(double(n - j) / double(j + 1));
  }
  const double top = *std::max_element(terms.begin(), terms.end());
  double sum = 0.0;
  for (double t : terms) sum += std::exp(t - top);
  return std::min(1.0, std::exp(top) * sum);
}

}  // namespace detail

/// P(T_(k:N) <= t) = P(Bin(N, F(t)) >= k) for any model with a cdf. Throws
/// nercc::invalid_argument unless 1 <= k <= n.
template <class Model>
double order_statistic_cdf(const Model& model, Index k, Index n, double t) {
  detail::check_order(k, n);
  return detail::binomial_upper_tail(n, k, model.cdf(t));
}

/// The level u* = inf{u : P(Bin(n, u) >= k) >= p} that F must reach: the p-quantile of
/// Beta(k, n - k + 1), the law of the k-th order statistic of n uniforms. Found by bisection
/// on [0, 1] until the bracket stops shrinking (the tail is increasing in u).
inline double order_statistic_level(Index k, Index n, double p) {
  detail::check_order(k, n);
  if (!(p > 0.0 && p < 1.0)) throw invalid_argument(nercc::detail::message("p (", p, ") must lie in (0, 1)"));
  double lo = 0.0, hi = 1.0;
  for (;;) {
    const double mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) return hi;
    (detail::binomial_upper_tail(n, k, mid) >= p ? hi : lo) = mid;
  }
}

/// The p-quantile inf{t : P(T_(k:N) <= t) >= p}, p in (0, 1). Since the cdf depends on t only
/// through F(t) and increases with it, the quantile is F^{-1}(u*) with u* from
/// order_statistic_level: exact for discrete (empirical) F too, where bisecting in t would not
/// land on an atom. Throws nercc::invalid_argument for a bad k, n or p.
template <class Model>
double order_statistic_quantile(const Model& model, Index k, Index n, double p) {
  return model.quantile(order_statistic_level(k, n, p));
}

}  // namespace plan
NERCC_NAMESPACE_END
