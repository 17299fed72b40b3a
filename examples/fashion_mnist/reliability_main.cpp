// nercc_fashion_mnist_reliability: how well per-query reliability scores predict whether a coded
// estimate keeps the model's argmax (ROC AUC with bootstrap intervals), and the RelAcc reached
// when a cheap fallback model answers the least reliable estimates. LeNet5 (or the ResNet) on
// Fashion-MNIST; NeRCC and Berrut, systematic (clustered) and default layouts.
// Writes results.csv, results.md and, with gnuplot, relacc_vs_fallback_<layout>.png.
// Exit code 0 on success, 1 when --check fails, 2 on bad usage or errors.
#include "../common/cli.hpp"
#include "models.hpp"
#include "progress.hpp"
#include "reliability_fallback.hpp"
#include "reliability_metrics.hpp"
#include "reliability_scores.hpp"

#include <nercc/tune.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace nercc_examples;
namespace fs = std::filesystem;

const char* const usage = R"(usage: nercc_fashion_mnist_reliability [options]
  --out DIR             output directory (default docs/results/fashion_mnist/reliability)
  --model NAME          lenet5 or resnet (default lenet5)
  --k K                 queries per group (default 8)
  --ratios LIST         redundancies N/K, comma-separated; N = round(ratio K) (default 1.25,1.5,2)
  --trials T            random (batch, answered set) trials per (N, S) (default 1500)
  --spread X            companion spread of the systematic layout (default 0.005)
  --bootstrap B         bootstrap resamples per AUC (default 1000)
  --fallback-train N    training images the linear fallback is distilled on (default 20000)
  --fallback-iterations I   FISTA steps of the fallback (default 300)
  --tune-batches B      calibration batches for NeRCC's lambdas in the default layout (default 8)
  --tune-sets A         answered sets per calibration batch (default 8)
  --seed N              seed of every random draw (default 1)
  --threads N           intra-op threads of the model (default 1)
  --data-dir DIR        Fashion-MNIST idx files
  --cache-dir DIR       weight cache
  --smoke               tiny configuration for tests: smoke-trained LeNet5, K = 4, ratios 1.5,2,
                        40 trials, 50 resamples, fallback on 2000 images
  --check               exit 1 unless every table row is there, every AUC lies in [0, 1], exact
                        answers all agree and the decoder's reliability equals this program's
  --no-plots            do not run gnuplot
  --quiet               no progress bars
S runs from 1 to N - K (the decoder needs K answers).
)";

struct Options {
  std::string out = "docs/results/fashion_mnist/reliability";
  FmnistModel model = FmnistModel::lenet5;
  Index k = 8;
  std::vector<double> ratios{1.25, 1.5, 2.0};
  Index trials = 1500;
  double spread = 0.005;
  int bootstrap = 1000;
  Index fallback_train = 20000, fallback_iterations = 300;
  Index tune_batches = 8, tune_sets = 8;
  std::uint64_t seed = 1;
  int threads = 1;
  std::string data_dir, cache_dir;
  bool smoke = false, check = false, plots = true, progress = true;
  std::string command;
};

Options parse(int argc, char** argv) {
  Options o;
  bool k_set = false, ratios_set = false, trials_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    o.command += (i > 1 ? " " : "") + flag;
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " expects a value");
      o.command += std::string(" ") + argv[i + 1];
      return argv[++i];
    };
    if (flag == "--out") o.out = value();
    else if (flag == "--model") o.model = parse_fmnist_model(value());
    else if (flag == "--k") o.k = Index(parse_integer(flag, value(), 2)), k_set = true;
    else if (flag == "--ratios") {
      o.ratios.clear();
      for (const auto& r : split_list(value(), ',')) {
        const double x = parse_real(flag, r);
        if (!(x > 1.0 && x <= 8.0)) throw std::invalid_argument("--ratios expects values in (1, 8], got " + r);
        o.ratios.push_back(x);
      }
      ratios_set = true;
    } else if (flag == "--trials") o.trials = Index(parse_integer(flag, value(), 1)), trials_set = true;
    else if (flag == "--spread") {
      o.spread = parse_real(flag, value());
      if (!(o.spread > 0 && o.spread < 1)) throw std::invalid_argument("--spread must lie in (0, 1)");
    } else if (flag == "--bootstrap") o.bootstrap = int(parse_integer(flag, value(), 0));
    else if (flag == "--fallback-train") o.fallback_train = Index(parse_integer(flag, value(), 100));
    else if (flag == "--fallback-iterations") o.fallback_iterations = Index(parse_integer(flag, value(), 1));
    else if (flag == "--tune-batches") o.tune_batches = Index(parse_integer(flag, value(), 1));
    else if (flag == "--tune-sets") o.tune_sets = Index(parse_integer(flag, value(), 1));
    else if (flag == "--seed") o.seed = std::uint64_t(parse_integer(flag, value(), 0));
    else if (flag == "--threads") o.threads = int(parse_integer(flag, value(), 1));
    else if (flag == "--data-dir") o.data_dir = value();
    else if (flag == "--cache-dir") o.cache_dir = value();
    else if (flag == "--smoke") o.smoke = true;
    else if (flag == "--check") o.check = true;
    else if (flag == "--no-plots") o.plots = false;
    else if (flag == "--quiet") o.progress = false;
    else if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else throw std::invalid_argument("unknown option " + flag);
  }
  if (o.smoke) {
    if (!k_set) o.k = 4;
    if (!ratios_set) o.ratios = {1.5, 2.0};
    if (!trials_set) o.trials = 40;
    o.bootstrap = std::min(o.bootstrap, 50);
    o.fallback_train = std::min<Index>(o.fallback_train, 2000);
    o.fallback_iterations = std::min<Index>(o.fallback_iterations, 60);
    o.tune_batches = std::min<Index>(o.tune_batches, 2);
    o.tune_sets = std::min<Index>(o.tune_sets, 2);
  }
  return o;
}

// The configurations measured at every (N, S).
struct Config {
  const char* name;
  nercc::SchemeKind scheme;
  bool systematic;  ///< clustered worker points, query k's own worker is worker k, lambda_enc = 0
};
const std::vector<Config> configs = {
    {"nercc_systematic", nercc::SchemeKind::spline, true},
    {"berrut_systematic", nercc::SchemeKind::berrut, true},
    {"nercc_default", nercc::SchemeKind::spline, false},
    {"berrut_default", nercc::SchemeKind::berrut, false},
};

std::uint64_t derive_seed(std::uint64_t seed, Index n, Index s, int purpose) {
  std::uint64_t h = seed * 0x9e3779b97f4a7c15ULL;
  for (std::uint64_t v : {std::uint64_t(n), std::uint64_t(s), std::uint64_t(purpose)})
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL;
  return h;
}

// One estimated query.
struct Record {
  std::size_t config;
  Index n, s;
  bool agrees, fallback_agrees;
  Scores scores;
};

// Per (config, N, S): exact answers seen and how many of them agreed (they must all).
struct ExactCount {
  std::size_t exact = 0, exact_agree = 0, total = 0;
};

struct Checks {
  double library_max_diff = 0;  // max |decoder reliability - 1 / (1 + r^2)| over estimates
  std::size_t library_compared = 0, library_missing = 0, provenance_mismatch = 0;
};

std::string num(double v, int precision = 3) {
  if (std::isnan(v)) return "-";
  std::ostringstream s;
  s.precision(precision);
  s << std::fixed << v;
  return s.str();
}

// The code of every configuration at N workers. NeRCC's lambdas in the default layout are
// tuned once per N on training images, over every S measured (equal weights).
std::vector<nercc::CodeParams> code_params(const Options& o, const Classifier& clf,
                                           const Eigen::Ref<const FloatMatrix>& train, Index n,
                                           std::map<std::pair<std::size_t, Index>, std::string>& settings) {
  auto logits = [&](const FloatMatrix& x) { return clf.logits(x, o.threads); };
  std::vector<nercc::CodeParams> out;
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const Config& cfg = configs[c];
    nercc::CodeParams p;
    p.num_queries = o.k;
    p.num_workers = n;
    std::string& note = settings[{c, n}];
    if (cfg.systematic) {
      p.worker_points = nercc::clustered_worker_points(p.resolved_query_points(), n, o.spread);
      note = "clustered worker points, spread " + num(o.spread, 3) + ", lambda_enc = lambda_dec = 0";
    } else if (nercc::scheme_facts(cfg.scheme).has_lambdas) {
      nercc::TuneParams tp;
      tp.code = p;
      tp.scheme = cfg.scheme;
      tp.stragglers.clear();
      for (Index s = 1; s <= n - o.k; ++s) tp.stragglers.push_back(s);
      tp.seed = derive_seed(o.seed, n, 0, 0);
      tp.batches = o.tune_batches;
      tp.answered_sets = o.tune_sets;
      p = nercc::tune_lambdas(tp, train, logits).code;
      std::ostringstream l;
      l << "default points, tuned lambda_enc " << p.lambda_enc << ", lambda_dec " << p.lambda_dec;
      note = l.str();
    } else {
      note = "default points";
    }
    out.push_back(p);
  }
  return out;
}

// Runs every configuration at (N, S) for o.trials trials; appends the estimates to `records`.
void run_point(const Options& o, const Classifier& clf, const Eigen::Ref<const FloatMatrix>& test,
               const std::vector<Index>& fallback_pred, const std::vector<nercc::CodeParams>& params, Index n, Index s,
               std::vector<Record>& records, std::map<std::tuple<std::size_t, Index, Index>, ExactCount>& exact,
               Checks& checks) {
  const Index k = o.k;
  std::vector<std::unique_ptr<CodeUnderTest>> codes;
  for (std::size_t c = 0; c < configs.size(); ++c) codes.push_back(make_code(configs[c].scheme, params[c]));

  // Model rows per trial: the K queries, then per configuration its coded rows; a systematic
  // code's first K rows are the queries themselves, so only its companions are evaluated.
  std::vector<Index> offset;
  Index rows_per_trial = k;
  for (const Config& cfg : configs) {
    offset.push_back(rows_per_trial - (cfg.systematic ? k : 0));  // row of worker w: offset + w
    rows_per_trial += cfg.systematic ? n - k : n;
  }
  std::mt19937_64 rng(derive_seed(o.seed, n, s, 1));
  FloatMatrix coded(n, test.cols());
  const Index chunk = std::max<Index>(1, 4096 / rows_per_trial);
  for (Index t0 = 0; t0 < o.trials; t0 += chunk) {
    const Index count = std::min(chunk, o.trials - t0);
    FloatMatrix inputs(count * rows_per_trial, test.cols());
    std::vector<std::vector<Index>> batches, answered;
    for (Index t = 0; t < count; ++t) {
      batches.push_back(nercc::random_subset(rng, test.rows(), k));
      auto block = inputs.middleRows(t * rows_per_trial, rows_per_trial);
      for (Index q = 0; q < k; ++q) block.row(q) = test.row(batches.back()[std::size_t(q)]);
      for (std::size_t c = 0; c < codes.size(); ++c) {
        codes[c]->encode(block.topRows(k), coded);
        const Index first = configs[c].systematic ? k : 0;
        block.middleRows(offset[c] + first, n - first) = coded.bottomRows(n - first);
      }
      auto ids = nercc::random_subset(rng, n, n - s);
      std::sort(ids.begin(), ids.end());
      answered.push_back(std::move(ids));
    }
    const FloatMatrix outputs = clf.logits(inputs, o.threads);
    for (Index t = 0; t < count; ++t) {
      const auto block = outputs.middleRows(t * rows_per_trial, rows_per_trial);
      const auto& ids = answered[std::size_t(t)];
      FloatMatrix got(Index(ids.size()), block.cols());
      for (std::size_t c = 0; c < codes.size(); ++c) {
        const CodeUnderTest& code = *codes[c];
        // A systematic worker w < K computes query w itself: its answer is the model's output on it.
        for (std::size_t j = 0; j < ids.size(); ++j)
          got.row(Index(j)) = block.row(configs[c].systematic && ids[j] < k ? ids[j] : offset[c] + ids[j]);
        const auto r = code.decode(ids, got);
        if (r.status != nercc::DecodeStatus::ok) throw std::runtime_error("a decode with N - S >= K answers failed");
        const FloatMatrix d = code.at_queries(ids);
        ExactCount& ex = exact[{c, n, s}];
        for (Index q = 0; q < k; ++q) {
          const Index truth = nercc::argmax_of_row(block.row(q));
          const bool agrees = nercc::argmax_of_row(r.values.row(q)) == truth;
          const bool is_exact = configs[c].systematic && std::binary_search(ids.begin(), ids.end(), q);
          ++ex.total;
          const double lib = library_reliability(r, q);
          const int lib_exact = library_says_exact(r, q);
          if (lib_exact >= 0 && (lib_exact == 1) != is_exact) ++checks.provenance_mismatch;
          if (is_exact) {
            ++ex.exact;
            ex.exact_agree += agrees ? 1 : 0;
            continue;
          }
          Record rec{c, n, s, agrees, fallback_pred[std::size_t(batches[std::size_t(t)][std::size_t(q)])] == truth,
                     score_estimate(code, q, ids, got, d, r.values.row(q), lib)};
          if (std::isnan(lib)) {
            ++checks.library_missing;
          } else {
            const double r_geo = -rec.scores[geometric];
            checks.library_max_diff = std::max(checks.library_max_diff, std::abs(lib - 1.0 / (1.0 + r_geo * r_geo)));
            ++checks.library_compared;
          }
          records.push_back(rec);
        }
      }
    }
  }
}

// The summary of a set of estimates under every score.
struct Summary {
  std::size_t estimates = 0, exact = 0, total = 0;
  double agree = 0, fallback_agree = 0;
  std::array<AucEstimate, score_count> auc;
  std::array<BestCut, score_count> cut;
};

template <class Pick>
Summary summarise(const Options& o, const std::vector<Record>& records, std::size_t exact, std::size_t total,
                  Pick pick, std::uint64_t seed) {
  Summary sm;
  sm.exact = exact;
  sm.total = total;
  std::vector<const Record*> chosen;
  for (const Record& r : records)
    if (pick(r)) chosen.push_back(&r);
  sm.estimates = chosen.size();
  std::vector<bool> pos;
  for (const Record* r : chosen) {
    pos.push_back(r->agrees);
    sm.agree += r->agrees ? 1 : 0;
    sm.fallback_agree += r->fallback_agrees ? 1 : 0;
  }
  if (!chosen.empty()) sm.agree /= double(chosen.size()), sm.fallback_agree /= double(chosen.size());
  for (int sc = 0; sc < score_count; ++sc) {
    std::vector<double> v;
    std::vector<ScoredEstimate> e;
    bool missing = false;
    for (const Record* r : chosen) {
      missing = missing || std::isnan(r->scores[std::size_t(sc)]);
      v.push_back(r->scores[std::size_t(sc)]);
      e.push_back({r->scores[std::size_t(sc)], r->agrees, r->fallback_agrees});
    }
    if (missing || chosen.empty()) continue;
    sm.auc[std::size_t(sc)] = bootstrap_auc(v, pos, o.bootstrap, seed + std::uint64_t(sc));
    sm.cut[std::size_t(sc)] = best_cut(e, exact, 100);
  }
  return sm;
}

// Estimates farther than this (in query spacings) from every answer: the hard subset.
constexpr double hard_distance = 0.25;

// Scores shown in the plot (besides the oracle and the random order).
const std::vector<int> plotted = {geometric, row_l1, loo_shift, margin, margin_x_geo, margin_over_loo};

void write_curves(const fs::path& file, const std::vector<Record>& records, std::size_t exact,
                  const std::function<bool(const Record&)>& pick) {
  std::vector<std::vector<ScoredEstimate>> by(plotted.size());
  std::vector<ScoredEstimate> oracle, random_order;
  for (const Record& r : records) {
    if (!pick(r)) continue;
    for (std::size_t i = 0; i < plotted.size(); ++i)
      by[i].push_back({r.scores[std::size_t(plotted[i])], r.agrees, r.fallback_agrees});
    // Wrong estimates first, and among them those the fallback gets right.
    oracle.push_back({(r.agrees ? 2.0 : 0.0) + (r.fallback_agrees ? 0.0 : 1.0), r.agrees, r.fallback_agrees});
    random_order.push_back({0.0, r.agrees, r.fallback_agrees});
  }
  std::vector<double> grid;
  for (int i = 0; i <= 50; ++i) grid.push_back(double(i) / 50.0);
  std::vector<std::vector<double>> columns;
  for (const auto& e : by) columns.push_back(relacc_curve(e, exact, grid));
  columns.push_back(relacc_curve(oracle, exact, grid));
  columns.push_back(relacc_curve(random_order, exact, grid));
  std::ofstream f(file);
  f << "# q";
  for (int sc : plotted) f << ' ' << score_name(sc);
  f << " oracle random\n";
  for (std::size_t i = 0; i < grid.size(); ++i) {
    f << grid[i];
    for (const auto& c : columns) f << ' ' << c[i];
    f << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_reliability: %s\n%s", e.what(), usage);
    return 2;
  }
  try {
    const std::string data_dir = fashion_mnist_dir(o.data_dir);
    const auto train_split = load_fashion_mnist(data_dir, "train", o.smoke ? 2000 : 0);
    const auto test_split = load_fashion_mnist(data_dir, "t10k", o.smoke ? 1000 : 0);
    const auto train = images_matrix(train_split);
    const auto test = images_matrix(test_split);
    const fs::path out(o.out);
    fs::create_directories(out / "plot_data");

    TrainOptions topt;
    topt.data_dir = o.data_dir;
    topt.cache_dir = o.cache_dir;
    topt.threads = o.threads;
    topt.progress = o.progress;
    const auto config = o.smoke ? TrainConfig::smoke(o.model) : TrainConfig::defaults(o.model);
    const Classifier clf = train_or_load(config, topt).classifier;

    // The fallback: distilled from the model's argmax on the first training images.
    const Index nf = std::min<Index>(o.fallback_train, train.rows());
    const FloatMatrix teacher = clf.logits(train.topRows(nf), o.threads);
    std::vector<int> labels;
    for (Index i = 0; i < nf; ++i) labels.push_back(int(nercc::argmax_of_row(teacher.row(i))));
    const LinearFallback fallback(train.topRows(nf), labels, Classifier::num_classes, o.fallback_iterations);
    const std::vector<Index> fallback_pred = fallback.predict(test);
    const FloatMatrix test_logits = clf.logits(test, o.threads);
    double fallback_agreement = 0, model_accuracy = 0, fallback_accuracy = 0;
    for (Index i = 0; i < test.rows(); ++i) {
      const Index m = nercc::argmax_of_row(test_logits.row(i));
      fallback_agreement += fallback_pred[std::size_t(i)] == m ? 1 : 0;
      model_accuracy += m == Index(test_split.labels[std::size_t(i)]) ? 1 : 0;
      fallback_accuracy += fallback_pred[std::size_t(i)] == Index(test_split.labels[std::size_t(i)]) ? 1 : 0;
    }
    fallback_agreement /= double(test.rows());
    model_accuracy /= double(test.rows());
    fallback_accuracy /= double(test.rows());

    std::vector<std::pair<Index, Index>> points;  // (N, S)
    std::vector<Index> ns;
    for (double ratio : o.ratios) {
      const Index n = Index(std::lround(ratio * double(o.k)));
      if (n <= o.k) throw std::invalid_argument("--ratios: N = round(ratio K) must exceed K");
      ns.push_back(n);
      for (Index s = 1; s <= n - o.k; ++s) points.emplace_back(n, s);
    }

    std::vector<Record> records;
    std::map<std::tuple<std::size_t, Index, Index>, ExactCount> exact;
    std::map<std::pair<std::size_t, Index>, std::string> settings;
    Checks checks;
    ProgressBar bar("reliability " + to_string(o.model), Index(points.size()), o.progress);
    std::map<Index, std::vector<nercc::CodeParams>> params;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const auto [n, s] = points[i];
      bar.update(Index(i), "N" + std::to_string(n) + " S" + std::to_string(s));
      if (!params.count(n)) params[n] = code_params(o, clf, train, n, settings);
      run_point(o, clf, test, fallback_pred, params[n], n, s, records, exact, checks);
    }
    bar.update(Index(points.size()), "done");
    bar.finish();

    // Tables: per (config, N, S), and per (config, N) over every S.
    std::ofstream csv(out / "results.csv");
    csv << "config,N,K,S,estimates,exact,queries,estimate_agree,fallback_agree";
    for (int sc = 0; sc < score_count; ++sc)
      csv << ',' << score_name(sc) << "_auc," << score_name(sc) << "_lo," << score_name(sc) << "_hi";
    csv << '\n';
    bool ok = true;
    auto row_out = [&](const std::string& c, Index n, const std::string& s, const Summary& sm) {
      csv << c << ',' << n << ',' << o.k << ',' << s << ',' << sm.estimates << ',' << sm.exact << ',' << sm.total << ','
          << sm.agree << ',' << sm.fallback_agree;
      for (int sc = 0; sc < score_count; ++sc) {
        const AucEstimate& a = sm.auc[std::size_t(sc)];
        csv << ',' << a.auc << ',' << a.lo << ',' << a.hi;
        for (double v : {a.auc, a.lo, a.hi})
          if (!std::isnan(v) && !(v >= 0.0 && v <= 1.0)) ok = false;
      }
      csv << '\n';
    };
    std::map<std::pair<std::size_t, Index>, Summary> pooled, hard;
    std::size_t exact_total = 0, exact_agree = 0;
    for (std::size_t c = 0; c < configs.size(); ++c)
      for (Index n : ns) {
        std::size_t ex_n = 0, tot_n = 0;
        for (Index s = 1; s <= n - o.k; ++s) {
          const ExactCount& ex = exact[{c, n, s}];
          ex_n += ex.exact;
          tot_n += ex.total;
          exact_total += ex.exact;
          exact_agree += ex.exact_agree;
          const Summary sm = summarise(
              o, records, ex.exact, ex.total, [&](const Record& r) { return r.config == c && r.n == n && r.s == s; },
              derive_seed(o.seed, n, s, 10 + int(c)));
          row_out(configs[c].name, n, std::to_string(s), sm);
        }
        hard[{c, n}] = summarise(
            o, records, 0, 0,
            [&](const Record& r) { return r.config == c && r.n == n && -r.scores[geometric] >= hard_distance; },
            derive_seed(o.seed, n, 0, 30 + int(c)));
        pooled[{c, n}] = summarise(
            o, records, ex_n, tot_n, [&](const Record& r) { return r.config == c && r.n == n; },
            derive_seed(o.seed, n, 0, 20 + int(c)));
        row_out(configs[c].name, n, "all", pooled[{c, n}]);
        write_curves(out / "plot_data" / (std::string(configs[c].name) + "_N" + std::to_string(n) + ".dat"), records,
                     ex_n, [&](const Record& r) { return r.config == c && r.n == n; });
      }
    csv.close();

    // results.md
    std::ofstream md(out / "results.md");
    md << "# Reliability scores of coded estimates: " << to_string(o.model) << ", K = " << o.k << "\n\n";
    md << "Command: `nercc_fashion_mnist_reliability " << o.command << "`\n\n";
    md << "Model " << config.cache_key() << ": test accuracy " << num(model_accuracy, 4) << " on " << test.rows()
       << " images. Fallback: softmax regression on the pixels distilled from the model's argmax on " << nf
       << " training images (" << o.fallback_iterations << " FISTA steps): agrees with the model on "
       << num(fallback_agreement, 4) << " of the test images (accuracy " << num(fallback_accuracy, 4) << ").\n\n";
    md << o.trials << " trials per (N, S), S = 1 .. N - K; AUC of agreement (positive = the estimate keeps the "
          "model's argmax) over the estimated queries, 95% percentile bootstrap over estimates ("
       << o.bootstrap << " resamples). Exact answers (systematic layouts): " << exact_agree << " of " << exact_total
       << " agree.\n\n";
    md << "Decoder's reliability (DecodeResult::reliability) against this program's 1 / (1 + r^2): "
       << checks.library_compared << " estimates compared, max |difference| " << checks.library_max_diff << ", "
       << checks.library_missing << " without a library score, " << checks.provenance_mismatch
       << " provenance mismatches.\n\n";
    auto auc_table = [&](const std::map<std::pair<std::size_t, Index>, Summary>& sums) {
      md << "| config | N | estimates | agree | fallback agrees |";
      for (int sc = 0; sc < score_count; ++sc) md << ' ' << score_name(sc) << " |";
      md << "\n|---|---|---|---|---|";
      for (int sc = 0; sc < score_count; ++sc) md << "---|";
      md << '\n';
      for (const auto& [key, sm] : sums) {
        md << "| " << configs[key.first].name << " | " << key.second << " | " << sm.estimates << " | "
           << num(sm.agree) << " | " << num(sm.fallback_agree) << " |";
        for (int sc = 0; sc < score_count; ++sc) {
          const AucEstimate& a = sm.auc[std::size_t(sc)];
          md << ' ' << num(a.auc) << (std::isnan(a.lo) ? "" : " [" + num(a.lo, 2) + ", " + num(a.hi, 2) + "]")
             << " |";
        }
        md << '\n';
      }
    };
    md << "## AUC per configuration (pooled over S)\n\n";
    auc_table(pooled);
    md << "\n## AUC among the estimates with no answer within a quarter spacing (r >= " << hard_distance
       << ")\n\nWhere the geometric score has little left to say: which score still ranks these?\n\n";
    auc_table(hard);
    md << "\n## Best fallback cut per configuration (pooled over S)\n\n"
          "RelAcc over all queries with no fallback, with the fallback for every estimate, and at the fraction q of "
          "estimates (lowest scores first) that maximises it, with the score threshold there.\n\n"
          "| config | N | RelAcc, no fallback | all estimates to fallback |";
    for (int sc : plotted) md << ' ' << score_name(sc) << " (q, RelAcc, threshold) |";
    md << "\n|---|---|---|---|";
    for (std::size_t i = 0; i < plotted.size(); ++i) md << "---|";
    md << '\n';
    for (const auto& [key, sm] : pooled) {
      std::vector<ScoredEstimate> e;
      for (const Record& r : records)
        if (r.config == key.first && r.n == key.second) e.push_back({0.0, r.agrees, r.fallback_agrees});
      md << "| " << configs[key.first].name << " | " << key.second << " | "
         << num(relacc_with_fallback(e, sm.exact, 0.0), 4) << " | " << num(relacc_with_fallback(e, sm.exact, 1.0), 4)
         << " |";
      for (int sc : plotted) {
        const BestCut& b = sm.cut[std::size_t(sc)];
        md << ' ' << num(b.q, 2) << ", " << num(b.relacc, 4) << ", " << num(b.threshold, 3) << " |";
      }
      md << '\n';
    }
    // The policy a deployment would run: a fixed threshold on the decoder's reliability.
    const std::vector<double> thresholds{0.5, 0.8, 0.9, 0.95, 0.99};
    md << "\n## Fallback below a fixed reliability threshold\n\n"
          "An estimate goes to the fallback when its reliability 1 / (1 + r^2) (the decoder's score) is below t. "
          "Cells: fraction of the estimates sent, RelAcc over all queries.\n\n| config | N | no fallback |";
    for (double t : thresholds) md << " t = " << t << " |";
    md << "\n|---|---|---|";
    for (std::size_t i = 0; i < thresholds.size(); ++i) md << "---|";
    md << '\n';
    for (const auto& [key, sm] : pooled) {
      std::size_t est = 0;
      std::vector<double> right(thresholds.size(), 0.0), sent(thresholds.size(), 0.0);
      double kept_right = 0;
      for (const Record& r : records) {
        if (r.config != key.first || r.n != key.second) continue;
        ++est;
        const double x = -r.scores[geometric], reliability = 1.0 / (1.0 + x * x);
        kept_right += r.agrees ? 1 : 0;
        for (std::size_t i = 0; i < thresholds.size(); ++i) {
          const bool to_fallback = reliability < thresholds[i];
          sent[i] += to_fallback ? 1 : 0;
          right[i] += (to_fallback ? r.fallback_agrees : r.agrees) ? 1 : 0;
        }
      }
      const double all = double(sm.exact + est);
      md << "| " << configs[key.first].name << " | " << key.second << " | " << num((double(sm.exact) + kept_right) / all, 4)
         << " |";
      for (std::size_t i = 0; i < thresholds.size(); ++i)
        md << ' ' << num(sent[i] / double(std::max<std::size_t>(est, 1)), 2) << ", "
           << num((double(sm.exact) + right[i]) / all, 4) << " |";
      md << '\n';
    }
    md << "\n## Code settings\n\n";
    for (const auto& [key, text] : settings)
      md << "- " << configs[key.first].name << " N = " << key.second << ": " << text << "\n";
    md << "\nPer-S AUCs: results.csv (rows with S = all are the pooled ones above).\n";
    md.close();

    if (o.plots) {
      for (bool systematic : {true, false}) {
        const std::string layout = systematic ? "systematic" : "default";
        const fs::path script = out / "plot_data" / ("relacc_vs_fallback_" + layout + ".gp");
        std::ofstream gp(script);
        gp << "set terminal pngcairo size 1500,900 font ',10'\nset output '" << (out / ("relacc_vs_fallback_" + layout + ".png")).string()
           << "'\nset multiplot layout 2," << ns.size() << " title 'RelAcc vs fraction of estimates sent to the "
           << "linear fallback (" << layout << " layout, " << to_string(o.model) << ", K = " << o.k << ")'\n"
           << "set key bottom right font ',8'\nset grid\nset xlabel 'fraction of estimates sent to the fallback'\n"
              "set ylabel 'RelAcc (all queries)'\n";
        for (std::size_t c = 0; c < configs.size(); ++c) {
          if (configs[c].systematic != systematic) continue;
          for (Index n : ns) {
            const std::string dat = (out / "plot_data" / (std::string(configs[c].name) + "_N" + std::to_string(n) + ".dat")).string();
            gp << "set title '" << configs[c].name << ", N = " << n << "' noenhanced\nplot ";
            for (std::size_t i = 0; i < plotted.size(); ++i)
              gp << "'" << dat << "' using 1:" << i + 2 << " with lines lw 2 title '" << score_name(plotted[i])
                 << "' noenhanced, ";
            gp << "'" << dat << "' using 1:" << plotted.size() + 2 << " with lines dt 2 lc 'black' title 'oracle', '"
               << dat << "' using 1:" << plotted.size() + 3 << " with lines dt 3 lc 'gray' title 'random'\n";
          }
        }
        gp << "unset multiplot\n";
        gp.close();
        const std::string cmd = "gnuplot '" + script.string() + "'";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("gnuplot failed on " + script.string());
      }
    }
    std::printf("wrote %s and %s (%zu estimates); fallback agreement %.4f\n", (out / "results.csv").string().c_str(),
                (out / "results.md").string().c_str(), records.size(), fallback_agreement);

    if (o.check) {
      std::size_t expected_rows = 0;
      for (Index n : ns) expected_rows += configs.size() * std::size_t(n - o.k + 1);
      std::ifstream in(out / "results.csv");
      std::size_t lines = 0;
      for (std::string line; std::getline(in, line);) ++lines;
      if (lines != expected_rows + 1) {
        std::fprintf(stderr, "check: results.csv has %zu lines, expected %zu\n", lines, expected_rows + 1);
        ok = false;
      }
      if (exact_agree != exact_total || exact_total == 0) {
        std::fprintf(stderr, "check: %zu of %zu exact answers agree\n", exact_agree, exact_total);
        ok = false;
      }
      if (checks.library_compared > 0 && checks.library_max_diff > 1e-12) {
        std::fprintf(stderr, "check: decoder reliability differs by %g\n", checks.library_max_diff);
        ok = false;
      }
      if (checks.provenance_mismatch > 0) {
        std::fprintf(stderr, "check: %zu provenance mismatches\n", checks.provenance_mismatch);
        ok = false;
      }
      for (const auto& [key, sm] : pooled)
        if (std::isnan(sm.auc[margin].auc)) {
          std::fprintf(stderr, "check: no margin AUC for %s N=%lld\n", configs[key.first].name, (long long)key.second);
          ok = false;
        }
      if (!ok) return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_reliability: %s\n", e.what());
    return 2;
  }
  return 0;
}
