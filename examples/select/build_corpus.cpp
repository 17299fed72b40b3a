// The selector's corpus builder (issue 17), first part: analytic tasks x coded configurations,
// each measured with nercc's encoder and decoder through the tuner (tune_lambdas evaluates every
// (lambda_enc, lambda_dec) pair of its grid on the same batches and answered sets: one call per
// (task, scheme, K, N, ordering, stragglers) measures all lambda pairs). Writes the run log as
// CSV, reads it back, and prints a first leave-one-task-out look at the learners.
//
//   nercc_select_corpus [--smoke] [--out corpus.csv] [--batches 8] [--answered-sets 8]
#include "analytic_tasks.hpp"

#include "../common/cli.hpp"

#include <nercc/select.hpp>
#include <nercc/tune.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sel = nercc::select;
using nercc::Index;

int main(int argc, char** argv) try {
  bool smoke = false;
  std::string out_path = "select_corpus.csv";
  long long batches = 8, answered_sets = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--smoke") smoke = true;
    else if (a == "--out" && has_value) out_path = argv[++i];
    else if (a == "--batches" && has_value) batches = nercc_examples::parse_number<long long>(a, argv[++i]);
    else if (a == "--answered-sets" && has_value) answered_sets = nercc_examples::parse_number<long long>(a, argv[++i]);
    else throw std::invalid_argument("unknown or incomplete argument '" + a + "'");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::pair<Index, Index>> codes =
      smoke ? std::vector<std::pair<Index, Index>>{{4, 8}}
            : std::vector<std::pair<Index, Index>>{{2, 4}, {4, 6}, {4, 8}, {6, 9}, {6, 12}, {8, 12}, {8, 16}, {12, 18}};
  const std::vector<nercc::OrderingMethod> orderings =
      smoke ? std::vector<nercc::OrderingMethod>{nercc::OrderingMethod::as_given}
            : std::vector<nercc::OrderingMethod>{nercc::OrderingMethod::as_given, nercc::OrderingMethod::principal_direction};
  const std::vector<Index> straggler_counts = smoke ? std::vector<Index>{0, 1} : std::vector<Index>{0, 1, 2};

  sel::RunLog log;
  for (const select_corpus::Task& task : select_corpus::analytic_tasks(smoke)) {
    const sel::TaskFeatures features = sel::task_features(sel::FeatureParams{}, task.queries, task.model);
    if (log.task_feature_names.empty()) log.task_feature_names = features.names;
    std::map<std::string, sel::RunRecord> records;  // by configuration id, in id order
    for (const auto& [k, n] : codes)
      for (nercc::OrderingMethod ordering : orderings)
        for (nercc::SchemeKind scheme : {nercc::SchemeKind::spline, nercc::SchemeKind::berrut})
          for (Index s : straggler_counts) {
            nercc::TuneParams tp;
            tp.code.num_queries = k;
            tp.code.num_workers = n;
            tp.code.ordering = ordering;
            tp.scheme = scheme;
            tp.stragglers = {s};
            tp.batches = Index(batches);
            tp.answered_sets = Index(answered_sets);
            tp.lambda_min = 1e-6;  // lambdas {0, 1e-6, 1e-4, 1e-2} on both axes, no refinement
            tp.lambda_max = 1e-2;
            tp.grid_points = 3;
            tp.refine_rounds = 0;
            tp.max_model_calls = 5;
            const nercc::TuneResult r = nercc::tune_lambdas(tp, task.queries, task.model);
            for (const nercc::TuneEntry& e : r.table) {
              sel::Configuration c;
              c.scheme = scheme, c.num_queries = k, c.num_workers = n, c.ordering = ordering;
              c.lambda_enc = e.lambda_enc, c.lambda_dec = e.lambda_dec;
              sel::RunRecord& rec = records[c.id()];
              rec.task = task.id;
              rec.task_features = features.values;
              rec.config = c;
              rec.mse.resize(straggler_counts.size());
              rec.rel_acc.resize(straggler_counts.size());
              rec.mse[std::size_t(s)] = e.mse.mean;
              rec.rel_acc[std::size_t(s)] = e.rel_acc.mean;
              // Measuring this configuration alone: the reference outputs and its coded queries.
              rec.model_evaluations += double(tp.batches * (k + n));
            }
          }
    for (auto& [id, rec] : records) log.records.push_back(std::move(rec));
    std::printf("%-22s %zu configurations, features cost %.0f model evaluations\n", task.id.c_str(), records.size(),
                features.model_evaluations);
  }
  {
    std::ofstream out(out_path);
    sel::write_run_log_csv(out, log);
    if (!out) throw std::runtime_error("cannot write " + out_path);
  }
  std::ifstream in(out_path);
  const sel::RunLog back = sel::read_run_log_csv(in);
  if (back.records.size() != log.records.size()) throw std::runtime_error("the CSV read back differs");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s: %zu records in %.1f s\n", out_path.c_str(), back.records.size(), seconds);

  // A first look (analytic tasks only, utility -log10 MSE with one straggler).
  const sel::PerformanceMatrix m = sel::performance_matrix(back, sel::neg_log_mse_utility(1));
  std::printf("matrix: %ld tasks x %ld configurations; leave-one-task-out, utility -log10 MSE(S = 1):\n",
              long(m.num_tasks()), long(m.num_configs()));
  std::vector<sel::Evaluation> results;
  for (auto& learner : sel::standard_learners()) {
    results.push_back(sel::leave_one_task_out(m, *learner));
    const sel::Evaluation& e = results.back();
    const sel::WilcoxonResult w = sel::compare_regret(e, results.front());
    std::printf("  %-12s accuracy %.3f  mean regret %.4f  NDCG@5 %.3f  Wilcoxon p (regret below GlobalBest) %.4g\n",
                e.learner.c_str(), e.accuracy, e.mean_regret, e.mean_ndcg, w.p_greater);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "nercc_select_corpus: " << e.what() << "\n";
  return 1;
}
