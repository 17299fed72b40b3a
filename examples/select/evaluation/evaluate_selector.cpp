// The selector's evaluation (issue 17) over a corpus CSV (nercc_select_corpus):
//   - offline, leave-one-task-out for every standard learner: selection accuracy (within 1% of
//     the task's best), regret, NDCG@5, Wilcoxon p of regret below GlobalBest's;
//   - online (online_protocol.hpp), k in {1, 3, 5}: how often the short list of codes, verified,
//     holds a configuration within 1% of the best that meets the SLO, and its model evaluations against
//     the exhaustive sweep;
//   - feature sanity: Spearman correlation of the curvature probe with the measured spline
//     (NeRCC) and Berrut MSE across tasks.
// Writes OUT/evaluation.md, CSVs and gnuplot scripts (run `gnuplot *.gp` in OUT for the PNGs).
//
//   nercc_select_evaluation --corpus corpus.csv --out DIR [--name NAME] [--stragglers 1]
//       [--slo-seconds 0.06] [--max-workers N] [--feature-evaluations 544] [--seed 1]
#include "online_protocol.hpp"

#include "../../common/cli.hpp"

#include <nercc/select.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace sel = nercc::select;
namespace ev = select_evaluation;
using nercc::Index;

namespace {

std::string fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string general(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

/// Per task, the median over `scheme`'s configurations of the measured MSE with s stragglers.
std::vector<double> median_mse(const sel::RunLog& log, const std::vector<std::string>& tasks, nercc::SchemeKind scheme,
                               std::size_t s) {
  std::vector<double> out;
  for (const std::string& task : tasks) {
    std::vector<double> v;
    for (const sel::RunRecord& r : log.records)
      if (r.task == task && r.config.scheme == scheme && s < r.mse.size() && !std::isnan(r.mse[s])) v.push_back(r.mse[s]);
    if (v.empty()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    out.push_back(v[v.size() / 2]);
  }
  return out;
}

Index feature_column(const sel::PerformanceMatrix& m, const std::string& name) {
  for (std::size_t j = 0; j < m.task_feature_names.size(); ++j)
    if (m.task_feature_names[j] == name) return Index(j);
  return -1;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string corpus_path, out_dir, name;
  long long stragglers = 1, max_workers = 1 << 30, seed = 1;
  double slo_seconds = 0.06, feature_evaluations = 544.0;  // task_features, FeatureParams{}: 3*8*14 + 16*9 + 64
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--corpus" && has_value) corpus_path = argv[++i];
    else if (a == "--out" && has_value) out_dir = argv[++i];
    else if (a == "--name" && has_value) name = argv[++i];
    else if (a == "--stragglers" && has_value) stragglers = nercc_examples::parse_integer(a, argv[++i], 0);
    else if (a == "--slo-seconds" && has_value) slo_seconds = nercc_examples::parse_real(a, argv[++i]);
    else if (a == "--max-workers" && has_value) max_workers = nercc_examples::parse_integer(a, argv[++i], 1);
    else if (a == "--feature-evaluations" && has_value) feature_evaluations = nercc_examples::parse_real(a, argv[++i]);
    else if (a == "--seed" && has_value) seed = nercc_examples::parse_integer(a, argv[++i], 0);
    else throw std::invalid_argument("unknown or incomplete argument '" + a + "'");
  }
  if (corpus_path.empty() || out_dir.empty()) throw std::invalid_argument("--corpus and --out are required");
  if (name.empty()) name = corpus_path;
  std::ifstream in(corpus_path);
  if (!in) throw std::runtime_error("cannot read " + corpus_path);
  const sel::RunLog log = sel::read_run_log_csv(in);
  const sel::PerformanceMatrix m = sel::performance_matrix(log, sel::neg_log_mse_utility(std::size_t(stragglers)));
  const Eigen::MatrixXd counts = ev::evaluation_counts(log, m);
  std::printf("%s: %ld tasks x %ld configurations, utility -log10 MSE(S = %lld)\n", name.c_str(), long(m.num_tasks()),
              long(m.num_configs()), stragglers);

  // Offline: leave-one-task-out.
  std::vector<sel::Evaluation> offline;
  std::vector<sel::WilcoxonResult> tests;
  for (auto& learner : sel::standard_learners(std::uint64_t(seed))) {
    offline.push_back(sel::leave_one_task_out(m, *learner));
    tests.push_back(sel::compare_regret(offline.back(), offline.front()));
    const sel::Evaluation& e = offline.back();
    std::printf("  %-12s accuracy %.3f  regret %.4f  NDCG@5 %.3f  Wilcoxon p %.4g\n", e.learner.c_str(), e.accuracy,
                e.mean_regret, e.mean_ndcg, tests.back().p_greater);
  }
  std::size_t best = 1;  // the best learner other than GlobalBest: accuracy, then regret
  for (std::size_t i = 2; i < offline.size(); ++i)
    if (std::make_pair(-offline[i].accuracy, offline[i].mean_regret) < std::make_pair(-offline[best].accuracy, offline[best].mean_regret))
      best = i;

  // Online.
  ev::OnlineSetup setup;
  setup.request.slo_seconds = slo_seconds;
  setup.request.stragglers = Index(stragglers);
  setup.max_workers = Index(max_workers);
  setup.feature_evaluations = feature_evaluations;
  Index feasible = 0;
  for (const sel::Configuration& c : m.configs)
    feasible += c.num_workers <= setup.max_workers && sel::predicted_latency(c, setup.request) <= slo_seconds;
  std::vector<std::vector<ev::OnlineResult>> online;
  for (std::size_t i = 0; i < offline.size(); ++i)
    online.push_back(ev::online_protocol(m, counts, [&, i] { return std::move(sel::standard_learners(std::uint64_t(seed))[i]); },
                                         setup));

  // Feature sanity.
  const std::vector<double> spline = median_mse(log, m.tasks, nercc::SchemeKind::spline, std::size_t(stragglers));
  const std::vector<double> berrut = median_mse(log, m.tasks, nercc::SchemeKind::berrut, std::size_t(stragglers));
  std::ostringstream features_csv, sanity;
  features_csv << "task,curvature_q50,curvature_q90,spline_median_mse,berrut_median_mse\n";
  const Index q50 = feature_column(m, "curvature_q50"), q90 = feature_column(m, "curvature_q90");
  for (Index t = 0; t < m.num_tasks(); ++t)
    features_csv << m.tasks[std::size_t(t)] << "," << (q50 >= 0 ? m.task_features(t, q50) : NAN) << ","
                 << (q90 >= 0 ? m.task_features(t, q90) : NAN) << "," << spline[std::size_t(t)] << "," << berrut[std::size_t(t)]
                 << "\n";
  sanity << "| feature | spline (NeRCC) median MSE | Berrut median MSE |\n|---|---|---|\n";
  for (Index col : {q50, q90}) {
    if (col < 0) continue;
    std::vector<double> f;
    for (Index t = 0; t < m.num_tasks(); ++t) f.push_back(m.task_features(t, col));
    auto rho = [&](const std::vector<double>& mse) {
      std::vector<double> x, y;
      for (std::size_t t = 0; t < mse.size(); ++t)
        if (!std::isnan(mse[t])) x.push_back(f[t]), y.push_back(mse[t]);
      return x.size() >= 2 ? general(sel::spearman(x, y)) : std::string("n/a");
    };
    sanity << "| " << m.task_feature_names[std::size_t(col)] << " | " << rho(spline) << " | " << rho(berrut) << " |\n";
  }

  // CSVs and plots.
  std::ostringstream learners_csv, regret_csv, online_csv;
  learners_csv << "learner,accuracy,mean_regret,mean_ndcg5,wilcoxon_p_regret_below_globalbest,wilcoxon_n\n";
  for (std::size_t i = 0; i < offline.size(); ++i)
    learners_csv << offline[i].learner << "," << offline[i].accuracy << "," << offline[i].mean_regret << ","
                 << offline[i].mean_ndcg << "," << tests[i].p_greater << "," << tests[i].n << "\n";
  regret_csv << "task";
  for (const auto& e : offline) regret_csv << "," << e.learner;
  regret_csv << "\n";
  for (Index t = 0; t < m.num_tasks(); ++t) {
    regret_csv << m.tasks[std::size_t(t)];
    for (const auto& e : offline) regret_csv << "," << e.outcomes[std::size_t(t)].regret;
    regret_csv << "\n";
  }
  online_csv << "learner,k,tasks,hits,hit_rate,mean_regret,fewer_evaluations,fewer_evaluations_shared\n";
  for (const auto& rows : online)
    for (const auto& r : rows)
      online_csv << r.learner << "," << r.k << "," << r.tasks << "," << r.hits << "," << r.hit_rate() << "," << r.mean_regret
                 << "," << r.cost_ratio << "," << r.shared_cost_ratio << "\n";
  write(out_dir + "/learners.csv", learners_csv.str());
  write(out_dir + "/regret.csv", regret_csv.str());
  write(out_dir + "/online.csv", online_csv.str());
  write(out_dir + "/features.csv", features_csv.str());
  write(out_dir + "/regret.gp",
        "# Leave-one-task-out regret per learner (gnuplot regret.gp, in this folder).\n"
        "set terminal pngcairo size 900,500\nset output 'regret.png'\nset datafile separator ','\n"
        "set title 'Leave-one-task-out regret per held-out task (" + name + ")'\n"
        "set ylabel 'regret (decades of MSE)'\nset xtics rotate by -45 noenhanced\nset key noenhanced outside\n"
        "set style data linespoints\nplot for [c=2:" + std::to_string(offline.size() + 1) +
        "] 'regret.csv' using c:xtic(1) title columnheader(c)\n");
  write(out_dir + "/online.gp",
        "# Online protocol: hit rate against evaluation savings (gnuplot online.gp, in this folder).\n"
        "set terminal pngcairo size 900,500\nset output 'online.png'\nset datafile separator ','\n"
        "set title 'Verified short lists, k = 1, 3, 5 (" + name + ")'\nset key noenhanced outside\n"
        "set xlabel 'model evaluations: exhaustive sweep / short list (shared calls)'\nset logscale x\n"
        "set ylabel 'tasks with a verified configuration within 1% of the best'\nset yrange [0:1.05]\n"
        "plot for [l in 'GlobalBest ISAC ArgoSmArT ALORS BoostedTrees MetaInf'] 'online.csv' "
        "using (strcol(1) eq l ? $8 : 1/0):5 with linespoints title l\n");

  // The report.
  const sel::Evaluation& top = offline[best];
  const ev::OnlineResult* k3 = nullptr;
  for (const auto& r : online[best])
    if (r.k == 3) k3 = &r;
  std::ostringstream md;
  md << "# Selector evaluation: " << name << "\n\n"
     << "Corpus `" << corpus_path << "`: " << m.num_tasks() << " tasks x " << m.num_configs()
     << " configurations. Utility: -log10 MSE with " << stragglers << " straggler(s); a hit is a utility within 1% of the "
     << "task's best. Learners with their default parameters, seed " << seed << ".\n\n"
     << "## Targets\n\n| target | measured | bound | status |\n|---|---|---|---|\n"
     << "| selection accuracy of the best learner (" << top.learner << ") | " << fixed(top.accuracy) << " | >= 0.90 | "
     << (top.accuracy >= 0.90 ? "met" : "missed") << " |\n"
     << "| its regret below GlobalBest's, Wilcoxon | p = " << general(tests[best].p_greater) << " | < 0.05 | "
     << (tests[best].p_greater < 0.05 ? "met" : "missed") << " |\n";
  if (k3)
    md << "| k = 3 verified within 1% (" << top.learner << ") | " << fixed(k3->hit_rate()) << " (" << k3->hits << "/"
       << k3->tasks << ") | >= 0.95 | " << (k3->hit_rate() >= 0.95 ? "met" : "missed") << " |\n"
       << "| ... at fewer model evaluations (shared calls) | " << fixed(k3->shared_cost_ratio, 1) << "x | >= 5x | "
       << (k3->shared_cost_ratio >= 5.0 ? "met" : "missed") << " |\n";
  md << "\nA configuration is a code with its lambdas; the offline figures rank configurations, the online ones "
     << "codes whose lambdas verification tunes.\n";
  md << "\n## Offline, leave-one-task-out\n\n| learner | accuracy | mean regret | NDCG@5 | Wilcoxon p (regret below GlobalBest) |\n"
     << "|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < offline.size(); ++i)
    md << "| " << offline[i].learner << " | " << fixed(offline[i].accuracy) << " | " << fixed(offline[i].mean_regret, 4)
       << " | " << fixed(offline[i].mean_ndcg) << " | " << (i == 0 ? std::string("-") : general(tests[i].p_greater)) << " |\n";
  md << "\nRegret per task: `regret.csv`, `regret.png`.\n\n## Online: verified short lists\n\n"
     << "SLO: p" << 100.0 * setup.request.slo_quantile << " of a group's completion <= " << slo_seconds
     << " s, worker time 10 ms + Exp(mean 10 ms), quorum N - " << stragglers << " (at least K); at most " << max_workers
     << " workers per group: " << feasible << " of " << m.num_configs() << " configurations qualify. Each held-out task: "
     << "the selector, fitted on the other tasks, lists k codes (scheme, K, N, ordering: one entry per code, since "
     << "verify() tunes a code's lambdas); verifying a code reads its best measured lambdas on the task (the corpus's "
     << "full lambda grid, not verify()'s cheaper warm start); the pick is the list's best; a hit is within 1% of the "
     << "best qualifying configuration. Cost: the corpus's model evaluations of the listed codes' configurations plus "
     << feature_evaluations << " for the task features (FeatureParams{}), against every configuration of the task; "
     << "`shared` counts a code's plain queries once and its coded queries once per lambda_enc, as the tuner shares "
     << "them (on both sides; the target uses it, the smaller of the two ratios).\n\n"
     << "| learner | k | hit rate | mean regret | fewer evaluations | fewer (shared calls) |\n|---|---|---|---|---|---|\n";
  for (const auto& rows : online)
    for (const auto& r : rows)
      md << "| " << r.learner << " | " << r.k << " | " << fixed(r.hit_rate()) << " (" << r.hits << "/" << r.tasks << ") | "
         << fixed(r.mean_regret, 4) << " | " << fixed(r.cost_ratio, 1) << "x | " << fixed(r.shared_cost_ratio, 1) << "x |\n";
  md << "\nPlot: `online.png`.\n\n## Feature sanity\n\nSpearman rank correlation across the " << m.num_tasks()
     << " tasks between the curvature probe and the median (over the scheme's configurations) measured MSE with "
     << stragglers << " straggler(s); per-task values in `features.csv`.\n\n"
     << sanity.str();
  write(out_dir + "/evaluation.md", md.str());
  std::printf("wrote %s/evaluation.md\n", out_dir.c_str());
  return 0;
} catch (const std::exception& e) {
  std::cerr << "nercc_select_evaluation: " << e.what() << "\n";
  return 1;
}
