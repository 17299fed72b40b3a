// Straggler model fits: parameters recovered from samples of a known model, through GroupLog
// records with the censoring a quorum causes; the family chosen by the KS distance.
#include <nercc/plan.hpp>

#include <catch2/catch.hpp>
#include <plan_checks.hpp>

#include <cmath>
#include <random>
#include <variant>
#include <vector>

using namespace nercc::plan;
namespace rt = nercc::runtime;
using nercc::Index;

namespace {

// Groups of n workers with times unit * X, X ~ model; each decided at its quorum-th answer:
// the others are pending (censored) at that time, one in 20 calls failed.
template <class Model>
std::vector<rt::GroupLog> synthetic_logs(const Model& model, Index groups, Index n, Index quorum, double unit,
                                         std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<rt::GroupLog> logs;
  for (Index g = 0; g < groups; ++g) {
    rt::GroupLog log;
    log.num_workers = n;
    log.quorum = quorum;
    std::vector<double> t(static_cast<std::size_t>(n));
    for (double& v : t) v = unit * model.sample(rng);
    std::vector<double> sorted = t;
    std::sort(sorted.begin(), sorted.end());
    log.collect_seconds = sorted[std::size_t(quorum - 1)];
    for (Index w = 0; w < n; ++w) {
      log.workers.push_back(w);
      if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < 0.05) {
        log.call_states.push_back(rt::CallState::failed);
        log.arrival_seconds.push_back(std::nan(""));
      } else if (t[std::size_t(w)] <= log.collect_seconds) {
        log.call_states.push_back(rt::CallState::answered);
        log.arrival_seconds.push_back(t[std::size_t(w)]);
      } else {
        log.call_states.push_back(rt::CallState::pending);
        log.arrival_seconds.push_back(std::nan(""));
      }
    }
    logs.push_back(std::move(log));
  }
  return logs;
}

template <class Model>
WorkerTimes uncensored(const Model& model, int m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  WorkerTimes t;
  for (int i = 0; i < m; ++i) t.observed.push_back(model.sample(rng));
  return t;
}

// fit_straggler_model must choose `family` on t.
void check_chosen(const WorkerTimes& t, ModelFamily family) {
  const FitResult chosen = fit_straggler_model(t);
  CAPTURE(chosen.ks_shifted_exponential, chosen.ks_bimodal, chosen.ks_log_normal, chosen.ks_critical);
  CHECK(chosen.family == family);
  CHECK(chosen.ks < chosen.ks_critical);
}

}  // namespace

TEST_CASE("fit: worker times from GroupLog records, censored at the decision", "[plan][fit]") {
  rt::GroupLog log;
  log.collect_seconds = 0.004;
  log.call_states = {rt::CallState::answered, rt::CallState::pending, rt::CallState::failed,
                     rt::CallState::answered, rt::CallState::non_finite};
  log.arrival_seconds = {0.002, std::nan(""), std::nan(""), 0.004, 0.003};
  const WorkerTimes t = worker_times_from_logs({log}, 0.001);
  CHECK(t.observed == std::vector<double>{2.0, 4.0});
  CHECK(t.censored == std::vector<double>{4.0});
  plan_checks::throws_naming([] { worker_times_from_logs({}, 0.0); }, "unit_seconds (0)");
  plan_checks::throws_naming([] { fit_shifted_exponential(WorkerTimes{}); }, "observed is empty");
  plan_checks::throws_naming([] { fit_log_normal(WorkerTimes{{1.0}, {-1.0}}); }, "censored[0] (-1)");
}

TEST_CASE("fit: Kaplan-Meier equals the empirical cdf without censoring and handles censoring", "[plan][fit]") {
  const KaplanMeier plain = kaplan_meier(WorkerTimes{{3.0, 1.0, 2.0, 2.0}, {}});
  CHECK(plain.times == std::vector<double>{1.0, 2.0, 3.0});
  CHECK(plain.cdf == std::vector<double>{0.25, 0.75, 1.0});
  // At 1: 1 of 4 at risk; censored at 1.5 leaves 2 at risk; at 2: survival 0.75 * 1/2.
  const KaplanMeier km = kaplan_meier(WorkerTimes{{1.0, 2.0, 3.0}, {1.5}});
  CHECK(km.cdf[0] == Approx(0.25));
  CHECK(km.cdf[1] == Approx(1.0 - 0.75 * 0.5));
  CHECK(km.cdf[2] == Approx(1.0));
}

TEST_CASE("fit: shifted exponential recovered from censored group logs; ignoring censoring would be biased",
          "[plan][fit]") {
  const ShiftedExponentialModel truth({1.0, 2.0});
  // Quorum 7 of 10: about 30% of the calls are censored.
  const auto logs = synthetic_logs(truth, 800, 10, 7, 0.005, 11);
  const WorkerTimes t = worker_times_from_logs(logs, 0.005);
  REQUIRE(t.censored.size() > 1500);
  const auto fit = fit_shifted_exponential(t);
  CHECK(fit.params().shift == Approx(1.0).margin(0.01));
  CHECK(fit.params().rate == Approx(2.0).epsilon(0.05));
  const auto naive = fit_shifted_exponential(WorkerTimes{t.observed, {}});
  CHECK(naive.params().rate > 2.5);  // the answers alone look much faster than the workers are
  check_chosen(t, ModelFamily::shifted_exponential);
}

TEST_CASE("fit: log-normal recovered, with and without censoring, and chosen", "[plan][fit]") {
  const LogNormalModel truth({0.5, 0.0, 0.5});
  for (bool censor : {false, true}) {
    CAPTURE(censor);
    const WorkerTimes t = censor ? worker_times_from_logs(synthetic_logs(truth, 600, 10, 8, 1.0, 12))
                                 : uncensored(truth, 6000, 13);
    const LogNormalModel fit = fit_log_normal(t);
    CHECK(fit.params().mu == Approx(0.0).margin(0.1));
    CHECK(fit.params().sigma == Approx(0.5).margin(0.06));
    // The quantiles the planner reads: median and 99th percentile within 3%.
    CHECK(fit.quantile(0.5) == Approx(truth.quantile(0.5)).epsilon(0.03));
    CHECK(fit.quantile(0.99) == Approx(truth.quantile(0.99)).epsilon(0.03));
    check_chosen(t, ModelFamily::log_normal);
  }
}

TEST_CASE("fit: bimodal slow workers recovered and chosen", "[plan][fit]") {
  BimodalParams p;
  p.fast = {1.0, 4.0};
  p.slow = {4.0, 1.0};
  p.slow_probability = 0.15;
  const BimodalModel truth(p);
  const WorkerTimes t = uncensored(truth, 8000, 14);
  const BimodalModel fit = fit_bimodal(t);
  CHECK(fit.params().slow_probability == Approx(0.15).margin(0.03));
  CHECK(fit.params().fast.rate == Approx(4.0).epsilon(0.1));
  CHECK(fit.params().slow.shift == Approx(4.0).margin(0.4));
  CHECK(fit.quantile(0.99) == Approx(truth.quantile(0.99)).epsilon(0.05));
  check_chosen(t, ModelFamily::bimodal);
}

TEST_CASE("fit: rare slow workers, nearly all censored by the quorum, are recovered with the tail", "[plan][fit]") {
  // 5% slow workers, quorum 5 of 6: a slow worker is usually the group's last and censored, so
  // its answers are the top percent of the observed times. The planner reads the tail.
  BimodalParams p;
  p.fast = {1.0, 4.0};
  p.slow = {3.0, 1.0};
  p.slow_probability = 0.05;
  const BimodalModel truth(p);
  // Tolerances are about 3 standard deviations of the estimates over seeds at this size (slow
  // rate 0.05, p99 ratio 0.015, p99.9 ratio 0.03); a fit that misses the slow mode is off by
  // 30-40% at p99.9.
  const WorkerTimes t = worker_times_from_logs(synthetic_logs(truth, 20000, 6, 5, 1.0, 15));
  const BimodalModel fit = fit_bimodal(t);
  CAPTURE(fit.params().slow.shift, fit.params().slow.rate, fit.params().slow_probability);
  CHECK(fit.params().slow_probability == Approx(0.05).margin(0.005));
  CHECK(fit.params().slow.shift == Approx(3.0).margin(0.05));
  CHECK(fit.params().slow.rate == Approx(1.0).epsilon(0.15));
  CHECK(order_statistic_quantile(StragglerModel(fit), 5, 6, 0.99) ==
        Approx(order_statistic_quantile(StragglerModel(truth), 5, 6, 0.99)).epsilon(0.05));
  CHECK(order_statistic_quantile(StragglerModel(fit), 5, 6, 0.999) ==
        Approx(order_statistic_quantile(StragglerModel(truth), 5, 6, 0.999)).epsilon(0.1));
}

TEST_CASE("fit: data no family fits fall back to the empirical model", "[plan][fit]") {
  WorkerTimes t;
  for (int i = 0; i < 4000; ++i) t.observed.push_back(i % 2 ? 1.0 : 2.0);  // two atoms
  const FitResult chosen = fit_straggler_model(t);
  CHECK(chosen.family == ModelFamily::empirical);
  CHECK(chosen.model.quantile(0.5) == 1.0);
  CHECK(chosen.model.quantile(0.51) == 2.0);
  // With censoring the answers alone are not the distribution: a parametric fit is kept.
  t.censored = {2.5, 2.5};
  CHECK(fit_straggler_model(t).family != ModelFamily::empirical);
}
