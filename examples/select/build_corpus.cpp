// The selector's corpus builder (issue 17): tasks (a model under an input distribution) x coded
// configurations, each measured with nercc's encoder and decoder through the tuner
// (tune_lambdas evaluates every (lambda_enc, lambda_dec) pair of its grid on the same batches and
// answered sets: one call per (task, scheme, K, N, ordering, stragglers) measures all lambda
// pairs), with encode/decode times and the planner's latency under a straggler law. Writes the
// run log as CSV, reads it back (the text must round-trip exactly), checks the corpus's
// invariants (corpus_checks.hpp) and, with --first-look, prints a leave-one-task-out look at
// the learners (minutes on the full corpus; the evaluation proper is examples/select/evaluation).
//
//   nercc_select_corpus [--smoke] [--first-look] [--out corpus.csv] [--families analytic,random_features,...]
//                       [--batches 16] [--answered-sets 8] [--rows 256] [--train-images 5000]
//                       [--resnet-epochs 3] [--resnet-images 0]
// The ResNet's defaults are its published training configuration (cached in ~/.cache/nercc
// once trained); --resnet-epochs 0 leaves it out.
// Families: analytic (always built); random_features (needs zlib and Fashion-MNIST); fmnist and
// related_queries (need LibTorch, Fashion-MNIST and Debian's Seattle weather data). Default:
// every family compiled in.
#include "analytic_tasks.hpp"
#include "corpus_checks.hpp"
#include "measure_task.hpp"
#include "planner_outcomes.hpp"
#include "task.hpp"
#ifdef NERCC_SELECT_ZLIB
#include "random_feature_tasks.hpp"
#endif
#ifdef NERCC_SELECT_TORCH
#include "fmnist_model_tasks.hpp"
#include "related_query_tasks.hpp"
#endif

#include "../common/cli.hpp"

#include <nercc/select.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sel = nercc::select;
namespace sc = select_corpus;
using nercc::Index;

namespace {

std::vector<std::string> compiled_families() {
  std::vector<std::string> f{"analytic"};
#ifdef NERCC_SELECT_ZLIB
  f.push_back("random_features");
#endif
#ifdef NERCC_SELECT_TORCH
  f.push_back("fmnist");
  f.push_back("related_queries");
#endif
  return f;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string minutes(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", int(s) / 60, int(s) % 60);
  return buf;
}

}  // namespace

int main(int argc, char** argv) try {
  bool smoke = false, first_look = false;
  std::string out_path = "select_corpus.csv";
  std::vector<std::string> families = compiled_families();
  long long batches = 16, answered_sets = 8;
  [[maybe_unused]] long long rows = 256, train_images = 5000, resnet_epochs = 3, resnet_images = 0;  // data families
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    auto number = [&]() { return nercc_examples::parse_number<long long>(a, argv[++i]); };
    if (a == "--smoke") smoke = true;
    else if (a == "--first-look") first_look = true;
    else if (a == "--out" && has_value) out_path = argv[++i];
    else if (a == "--families" && has_value) families = nercc_examples::split_list(argv[++i], ',');
    else if (a == "--batches" && has_value) batches = number();
    else if (a == "--answered-sets" && has_value) answered_sets = number();
    else if (a == "--rows" && has_value) rows = number();
    else if (a == "--train-images" && has_value) train_images = number();
    else if (a == "--resnet-epochs" && has_value) resnet_epochs = number();
    else if (a == "--resnet-images" && has_value) resnet_images = number();
    else throw std::invalid_argument("unknown or incomplete argument '" + a + "'");
  }
  const std::vector<std::string> available = compiled_families();
  for (const std::string& f : families)
    if (std::find(available.begin(), available.end(), f) == available.end()) {
      std::string built;
      for (const std::string& b : available) built += (built.empty() ? "" : ", ") + b;
      throw std::invalid_argument("--families: '" + f + "' is not built into this program (built: " + built + ")");
    }
  auto wanted = [&](const char* f) { return std::find(families.begin(), families.end(), f) != families.end(); };
  const auto start = std::chrono::steady_clock::now();

  sc::Grid grid;
  grid.codes = smoke ? std::vector<std::pair<Index, Index>>{{4, 8}}
                     : std::vector<std::pair<Index, Index>>{{2, 4}, {4, 6}, {4, 8}, {6, 9}, {6, 12}, {8, 12}, {8, 16}, {12, 18}};
  grid.orderings = smoke ? std::vector<nercc::OrderingMethod>{nercc::OrderingMethod::as_given}
                         : std::vector<nercc::OrderingMethod>{nercc::OrderingMethod::as_given,
                                                              nercc::OrderingMethod::principal_direction};
  grid.max_stragglers = smoke ? 1 : 2;
  grid.batches = Index(batches);
  grid.answered_sets = Index(answered_sets);
  const sc::StragglerLaw law;
  const auto times = sc::grid_code_times(grid, law);
  const std::size_t configs_per_task = grid.codes.size() * grid.orderings.size() * (16 + 1);  // spline 4 x 4 lambdas, Berrut

  // The tasks (training the data-backed models).
  std::vector<sc::Task> tasks;
  if (wanted("analytic")) tasks = sc::analytic_tasks(smoke);
#ifdef NERCC_SELECT_ZLIB
  if (wanted("random_features") || wanted("fmnist")) {
    const sc::LabelledImages train = sc::load_fmnist("train", Index(train_images)), test = sc::load_fmnist("t10k", 0);
    if (wanted("random_features"))
      for (sc::Task& t : sc::random_feature_tasks(smoke, train, test, Index(rows))) tasks.push_back(std::move(t));
#ifdef NERCC_SELECT_TORCH
    if (wanted("fmnist"))
      for (sc::Task& t : sc::fmnist_model_tasks(smoke, train, test, Index(rows), int(resnet_epochs), Index(resnet_images)))
        tasks.push_back(std::move(t));
#endif
  }
#endif
#ifdef NERCC_SELECT_TORCH
  if (wanted("related_queries"))
    for (sc::Task& t : sc::related_query_tasks(smoke, Index(rows))) tasks.push_back(std::move(t));
#endif
  std::printf("%zu tasks x %zu configurations (%.0f s preparing them)\n", tasks.size(), configs_per_task,
              seconds_since(start));
  std::fflush(stdout);

  // The ETA: each task's model rows times its model's time per row (timed once on its queries)
  // plus a fixed part, rescaled by how the finished tasks compared with their estimates.
  std::vector<double> estimate;
  for (const sc::Task& t : tasks) {
    const auto t0 = std::chrono::steady_clock::now();
    if (t.model(t.queries).rows() != t.queries.rows()) throw std::runtime_error(t.id + ": the model lost rows");
    estimate.push_back(0.1 + seconds_since(t0) / double(t.queries.rows()) * (grid.model_rows() + 1000.0));
  }
  double estimated_left = 0.0, estimated_done = 0.0, measured_done = 0.0;
  for (double e : estimate) estimated_left += e;
  std::printf("estimated measuring time %s (m:ss)\n", minutes(estimated_left).c_str());

  sel::RunLog log;
  log.environment_feature_names = {"straggler_shift_seconds", "straggler_rate_per_second", "latency_quantile"};
  const std::vector<double> environment = {law.params.shift, law.params.rate, law.quantile};
  std::map<std::string, double> feature_costs;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    sc::TaskMeasurement m = sc::measure_task(tasks[i], grid, law, times, environment);
    if (log.task_feature_names.empty()) log.task_feature_names = m.features.names;
    feature_costs[tasks[i].id] = m.features.model_evaluations;
    for (auto& r : m.records) log.records.push_back(std::move(r));
    measured_done += seconds_since(t0);
    estimated_done += estimate[i];
    estimated_left -= estimate[i];
    std::printf("[%2zu/%zu] %-26s %zu configurations, features %.0f model evaluations, %.1f s; elapsed %s, ETA %s\n",
                i + 1, tasks.size(), tasks[i].id.c_str(), m.records.size(), m.features.model_evaluations,
                seconds_since(t0), minutes(seconds_since(start)).c_str(),
                minutes(estimated_left * measured_done / estimated_done).c_str());
    std::fflush(stdout);
  }
  std::string text;
  {
    std::ostringstream s;
    sel::write_run_log_csv(s, log);
    text = s.str();
    std::ofstream out(out_path);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + out_path);
  }
  std::ifstream in(out_path);
  const sel::RunLog back = sel::read_run_log_csv(in);
  std::ostringstream again;
  sel::write_run_log_csv(again, back);
  if (back.records.size() != log.records.size() || again.str() != text)
    throw std::runtime_error("the CSV read back differs from the log written");
  sc::check_corpus(back, grid, law, times, feature_costs, configs_per_task);
  std::printf("wrote %s: %zu records, %zu tasks, in %s (m:ss); read back exactly, checks passed\n", out_path.c_str(),
              back.records.size(), tasks.size(), minutes(seconds_since(start)).c_str());
  std::fflush(stdout);
  if (!first_look) return 0;

  // A first look, utility -log10 MSE with one straggler.
  const sel::PerformanceMatrix m = sel::performance_matrix(back, sel::neg_log_mse_utility(1));
  std::printf("matrix: %ld tasks x %ld configurations; leave-one-task-out, utility -log10 MSE(S = 1):\n",
              long(m.num_tasks()), long(m.num_configs()));
  if (m.num_tasks() < 3) return 0;
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
