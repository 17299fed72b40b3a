// Planning for the Fashion-MNIST LeNet5: profile its latency per batch size, calibrate the codes'
// accuracy on it with the tuner, plan for a p99 SLO, and compare the plan's cost with the
// cheapest uncoded and replicated configurations meeting the same SLO. The workers' straggling
// is the bimodal model of plan_checks::example_stragglers (5% of calls 3x slower or worse); on a
// real cluster, fit it from the runtime's GroupLog records with fit_straggler_model.
//   nercc_plan_lenet [rate=4000] [floor=0.95] [slo_ms ...]   (default SLOs: 5 10 20 40 ms)
#include "../common/cli.hpp"
#include "../fashion_mnist/models.hpp"

#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>

#include <plan_instances.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace np = nercc::plan;
using nercc::Index;
using nercc::SchemeKind;
using Mat = nercc::RowMatrix<float>;

namespace {

// Seconds per call of f, the median of 51 after 5 warm-up calls.
template <class F>
double median_seconds(F&& f) {
  std::vector<np::BatchLatency> b = np::profile([&](Index) { f(); }, {1}, {5, 51});
  return b.front().median;
}

// The cheapest plan with only `schemes`, or nullptr-like empty result.
np::PlanResult cheapest(np::PlanRequest r, const np::StragglerModel& m, const np::AccuracyTable& t,
                        std::vector<SchemeKind> schemes) {
  r.grid.schemes = std::move(schemes);
  r.runners_up = 0;
  return np::plan(r, m, t);
}

}  // namespace

int main(int argc, char** argv) {
  const double rate = argc > 1 ? nercc_examples::parse_real("rate", argv[1]) : 4000.0;
  // Floors: comma-separated, planned from the same profile and calibration.
  std::vector<double> floors;
  {
    std::string list = argc > 2 ? argv[2] : "0.95";
    for (std::size_t at = 0; at <= list.size();) {
      const std::size_t comma = std::min(list.find(',', at), list.size());
      floors.push_back(nercc_examples::parse_real("floor", list.substr(at, comma - at).c_str()));
      at = comma + 1;
    }
  }
  std::vector<double> slos_ms;
  for (int i = 3; i < argc; ++i) slos_ms.push_back(nercc_examples::parse_real("slo_ms", argv[i]));
  if (slos_ms.empty()) slos_ms = {5, 10, 20, 40};

  nercc_examples::TrainOptions options;
  options.progress = false;
  options.threads = 1;
  const auto clf = nercc_examples::train_or_load(nercc_examples::TrainConfig::defaults(nercc_examples::FmnistModel::lenet5),
                                                 options).classifier;
  const auto split = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(), "t10k", 2000);
  const Eigen::Map<const Mat> images(split.images.data(), split.count, 784);
  auto logits = [&clf](const Mat& x) { return clf.logits(x, 1); };

  // 1. The latency profile of one worker (one thread), per batch size.
  np::PlanRequest r;
  r.profile = np::profile([&](Index b) { clf.logits(images.topRows(b), 1); }, {1, 2, 4, 8, 16, 32}, {5, 31});
  std::printf("LeNet5 latency per batch size (median, IQR):\n");
  for (const auto& b : r.profile)
    std::printf("  b=%-3lld %8.1f us  (%.1f us)\n", (long long)b.batch_size, 1e6 * b.median, 1e6 * b.interquartile_range());

  // 2. Encode/decode cost per element K * N * b, from one spline code (K = 8, N = 16).
  nercc::CodeParams code;
  code.num_queries = 8, code.num_workers = 16;
  const nercc::Encoder<nercc::SplineScheme, float> enc(code);
  const nercc::Decoder<nercc::SplineScheme, float> dec(code);
  const Mat batch = images.topRows(8), answers = logits(enc.encode(batch)).topRows(12);
  std::vector<Index> ids(12);
  std::iota(ids.begin(), ids.end(), 0);
  Mat coded(16, 784), decoded(8, 10);
  r.encode.per_element_seconds = median_seconds([&] { enc.encode_into(batch, coded); }) / 128.0;
  r.decode.per_element_seconds = median_seconds([&] { dec.decode_into(ids, answers, decoded); }) / 128.0;
  std::printf("encode %.3f us, decode %.3f us per K*N*b element\n", 1e6 * r.encode.per_element_seconds,
              1e6 * r.decode.per_element_seconds);

  // 3. Accuracy of the coded schemes on LeNet5, per (K, N, answers).
  r.grid.num_queries = {2, 4, 8};
  r.grid.max_redundancy = 2.0;
  np::CalibrateParams c;
  for (Index k : r.grid.num_queries)
    for (Index n = k; n <= 2 * k; ++n) c.configs.emplace_back(k, n);
  c.tune.batches = 32;
  c.tune.answered_sets = 16;
  c.tune.grid_points = 6;
  c.tune.refine_rounds = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const np::AccuracyTable table = np::calibrate(c, images, logits);
  // The same in a systematic layout (clustered worker points, lambda_enc = 0): worker k computes
  // query k exactly, so the planner can release it early.
  np::CalibrateParams c_sys = c;
  c_sys.tune.systematic = true;
  c_sys.tune.worker_spreads = {0.05, 0.2, 0.5};
  c_sys.tune.max_model_calls = 8;
  const np::AccuracyTable table_sys = np::calibrate(c_sys, images, logits);
  std::printf("calibrated %zu + %zu (scheme, K, N, answers) entries in %.1f s; RelAcc with every answer / one straggler"
              " (default points; systematic):\n",
              table.entries().size(), table_sys.entries().size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  for (const auto& [k, n] : c.configs)
    for (SchemeKind s : np::measured_schemes()) {
      const auto all = table.lookup(s, k, n, n), one = table.lookup(s, k, n, n - 1);
      const auto sys_all = table_sys.lookup(s, k, n, n), sys_one = table_sys.lookup(s, k, n, n - 1);
      std::printf("  %-6s K=%lld N=%-2lld %.4f / %s; %.4f / %s\n", nercc::to_string(s), (long long)k, (long long)n,
                  all->rel_acc, n > k ? std::to_string(one->rel_acc).c_str() : "-", sys_all->rel_acc,
                  n > k ? std::to_string(sys_one->rel_acc).c_str() : "-");
    }

  // 4. Plans per SLO.
  const np::StragglerModel stragglers = plan_checks::example_stragglers();
  r.arrival_rate = rate;
  r.pool_size = 1000;
  for (double floor : floors) {
    r.accuracy_floor = floor;
    std::printf("\nrate %.0f queries/s, RelAcc >= %.2f, price 1 per worker\n", rate, floor);
    std::printf("| SLO p99 (ms) | plan | cost | coded cost | coded systematic cost | uncoded cost | replication cost | uncoded / plan | replication / plan |\n"
                "|---|---|---|---|---|---|---|---|---|\n");
    for (double slo : slos_ms) {
      r.slo_seconds = slo / 1e3;
      const auto t1 = std::chrono::steady_clock::now();
      const auto res = np::plan(r, stragglers, table);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
      const auto unc = cheapest(r, stragglers, table, {SchemeKind::uncoded});
      const auto rep = cheapest(r, stragglers, table, {SchemeKind::replication});
      const auto coded_only = cheapest(r, stragglers, table, np::measured_schemes());
      const auto coded_sys = cheapest(r, stragglers, table_sys, np::measured_schemes());
      if (res.plans.empty()) {
        std::printf("| %g | infeasible (%s) | | | %s | | | | |\n", slo, np::to_string(res.binding),
                    coded_sys.plans.empty() ? "-" : std::to_string(int(coded_sys.plans.front().cost)).c_str());
        continue;
      }
      const np::Plan& p = res.plans.front();
      auto cost = [](const np::PlanResult& x) { return x.plans.empty() ? std::string("-") : std::to_string(int(x.plans.front().cost)); };
      auto ratio = [&](const np::PlanResult& x) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.2f", x.plans.empty() ? 0.0 : x.plans.front().cost / p.cost);
        return x.plans.empty() ? std::string("-") : std::string(buf);
      };
      char rule[96];
      if (p.deadline > 0.0) std::snprintf(rule, sizeof rule, "deadline %.3f ms", 1e3 * p.deadline);
      else std::snprintf(rule, sizeof rule, "quorum %lld", (long long)p.quorum);
      if (p.early_release) std::strcat(rule, ", early release");
      if (p.hedge_delay > 0.0) std::snprintf(rule + std::strlen(rule), sizeof rule - std::strlen(rule), ", hedged at %.2f ms", 1e3 * p.hedge_delay);
      std::printf("| %g | %s K=%lld N=%lld b=%lld %s, %lld sets, p99 %.2f ms, RelAcc %.3f (%.1f ms to plan) | %g | %s | %s | %s | %s | %s | %s |\n",
                  slo, nercc::to_string(p.scheme), (long long)p.num_queries, (long long)p.num_workers,
                  (long long)p.batch_size, rule, (long long)p.worker_sets, 1e3 * p.p99, p.rel_acc, ms, p.cost,
                  cost(coded_only).c_str(), cost(coded_sys).c_str(), cost(unc).c_str(), cost(rep).c_str(),
                  ratio(unc).c_str(), ratio(rep).c_str());
    }
  }
  std::printf("(-: no configuration of that kind meets the SLO)\n");
  return 0;
}
