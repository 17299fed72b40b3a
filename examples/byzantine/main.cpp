// nercc_byzantine_eval: wrong (Byzantine) answers on Fashion-MNIST (LeNet5, ResNet-8) and a
// smooth synthetic model: RelAcc, detection precision and recall, the adaptive attacker's
// damage, the false flags of honest answers against the detection threshold, and the smallest
// N that keeps RelAcc >= 0.95. Writes attacks.csv, thresholds.csv, smallest_n.csv and
// summary.md. Exit code 0 on success, 1 when a --require check fails, 2 on bad usage or errors.
#include "attacks.hpp"
#include "coders.hpp"
#include "evaluation.hpp"
#include "models.hpp"
#include "progress.hpp"
#include "../common/cli.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace nercc_examples;
namespace fs = std::filesystem;

const char* const usage = R"(usage: nercc_byzantine_eval [options]
  --models LIST            lenet5,resnet,synthetic (default lenet5,resnet,synthetic)
  --parts LIST             attacks,thresholds,smallest,positions (default the first three;
                           positions: honest answers' detector scores by worker)
  --groups N               groups of K queries per configuration (default 100)
  --smallest-groups N      groups per N of the smallest-N sweep (default 60)
  --test-images N          first N test images (default 2000; 0 = all 10000)
  --k N                    queries per group (default 12)
  --e LIST                 adversaries for the attacks part (default 1,2,3; the smallest part
                           takes those <= 2)
  --s LIST                 stragglers for the attacks part (default 0,1,2; the smallest part
                           takes those <= 1)
  --threshold X            detection threshold of the attacks and smallest parts
                           (default nercc::CodeParams{}.detection_threshold)
  --thresholds LIST        thresholds of the calibration part (default 0,2,3,4,5,6,8,12)
  --spread X               worker spread of the systematic layout (default 0.3)
  --max-n N                largest N of the smallest-N sweep (default 3K)
  --seed N                 seed (default 1)
  --smoke                  the smoke-test training configuration (seconds-long LeNet5 training)
  --require-caught ATTACK  exit 1 unless, for the spline in today's layout, ATTACK (a name of the
                           attacks table, e.g. noise_100) at random positions is flagged with
                           precision and recall 1 and RelAcc stays within --require-tolerance of
                           the same decoder's RelAcc with no adversary
  --require-tolerance X    RelAcc tolerance of --require-caught (default 0.05)
  --cache-dir DIR          weight cache (default $NERCC_CACHE_DIR or ~/.cache/nercc)
  --data-dir DIR           Fashion-MNIST idx files (default $NERCC_FASHION_MNIST_DIR or Debian's)
  --out DIR                output directory (default byzantine_results)
  --threads N              model threads (default 1)
  --quiet                  no progress bars
)";

struct Options {
  std::vector<std::string> models{"lenet5", "resnet", "synthetic"};
  std::vector<std::string> parts{"attacks", "thresholds", "smallest"};
  Index groups = 100, smallest_groups = 60, test_images = 2000, k = 12, max_n = 0;
  std::vector<Index> es{1, 2, 3}, ss{0, 1, 2};
  double threshold = nercc::CodeParams{}.detection_threshold;
  std::vector<double> thresholds{0, 2, 3, 4, 5, 6, 8, 12};
  double spread = 0.3;
  std::uint64_t seed = 1;
  bool smoke = false, progress = true;
  std::string require_attack;
  double require_tolerance = 0.05;
  std::string cache_dir, data_dir, out = "byzantine_results";
  int threads = 1;
};

bool has(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    const auto integers = [&](Index min) {
      std::vector<Index> v;
      const std::string text = value();
      for (const std::string& part : split_list(text, ',')) v.push_back(Index(parse_integer(flag, part, min)));
      if (v.empty()) throw std::invalid_argument(flag + " needs at least one value");
      return v;
    };
    if (flag == "--models") {
      o.models = split_list(value(), ',');
      for (const auto& m : o.models)
        if (m != "lenet5" && m != "resnet" && m != "synthetic")
          throw std::invalid_argument("--models: unknown model \"" + m + "\" (lenet5, resnet, synthetic)");
    } else if (flag == "--parts") {
      o.parts = split_list(value(), ',');
      for (const auto& p : o.parts)
        if (p != "attacks" && p != "thresholds" && p != "smallest" && p != "positions")
          throw std::invalid_argument("--parts: unknown part \"" + p + "\" (attacks, thresholds, smallest, positions)");
    } else if (flag == "--groups") o.groups = Index(parse_integer(flag, value(), 1));
    else if (flag == "--smallest-groups") o.smallest_groups = Index(parse_integer(flag, value(), 1));
    else if (flag == "--test-images") o.test_images = Index(parse_integer(flag, value(), 0));
    else if (flag == "--k") o.k = Index(parse_integer(flag, value(), 2));
    else if (flag == "--e") o.es = integers(1);
    else if (flag == "--s") o.ss = integers(0);
    else if (flag == "--threshold") {
      o.threshold = parse_real(flag, value());
      if (!(std::isfinite(o.threshold) && o.threshold >= 0))
        throw std::invalid_argument("--threshold must be finite and >= 0");
    } else if (flag == "--thresholds") {
      o.thresholds.clear();
      for (const std::string& part : split_list(value(), ',')) {
        const double t = parse_real(flag, part);
        if (!(std::isfinite(t) && t >= 0)) throw std::invalid_argument("--thresholds: each must be finite and >= 0");
        o.thresholds.push_back(t);
      }
      if (o.thresholds.empty()) throw std::invalid_argument("--thresholds needs at least one value");
    } else if (flag == "--spread") {
      o.spread = parse_real(flag, value());
      if (!(o.spread > 0 && o.spread < 1)) throw std::invalid_argument("--spread must be in (0, 1)");
    } else if (flag == "--max-n") o.max_n = Index(parse_integer(flag, value(), 2));
    else if (flag == "--seed") o.seed = std::uint64_t(parse_integer(flag, value(), 0));
    else if (flag == "--smoke") o.smoke = true;
    else if (flag == "--require-caught") {
      o.require_attack = value();
      if (o.require_attack == "adaptive")
        throw std::invalid_argument("--require-caught: the adaptive attacker is never caught by design");
      attack_named(o.require_attack);  // throws naming an unknown attack
    } else if (flag == "--require-tolerance") {
      o.require_tolerance = parse_real(flag, value());
      if (!(o.require_tolerance >= 0 && o.require_tolerance < 1))
        throw std::invalid_argument("--require-tolerance must be in [0, 1)");
    } else if (flag == "--cache-dir") o.cache_dir = value();
    else if (flag == "--data-dir") o.data_dir = value();
    else if (flag == "--out") o.out = value();
    else if (flag == "--threads") o.threads = int(parse_integer(flag, value(), 1));
    else if (flag == "--quiet") o.progress = false;
    else if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  if (o.max_n == 0) o.max_n = 3 * o.k;
  if (o.max_n < o.k + 2) throw std::invalid_argument("--max-n must be >= K + 2");
  return o;
}

std::string num(double v, int digits = 4) {
  if (std::isnan(v)) return "";
  std::ostringstream s;
  s.precision(digits);
  s << v;
  return s.str();
}

// The smooth synthetic model: 10 outputs tanh(W x / sqrt(8)) of 8 inputs, the K queries of a
// group samples of a random smooth curve at the code's query points (so the code approximates
// its outputs well: the case where no honest answer should ever be flagged).
constexpr Index synthetic_inputs = 8, synthetic_outputs = 10;

Task synthetic_task(std::uint64_t seed) {
  constexpr Index inputs = synthetic_inputs, outputs = synthetic_outputs;
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd;
  auto weights = std::make_shared<AnswerMatrix>(outputs, inputs);
  for (Index i = 0; i < weights->size(); ++i) weights->data()[i] = float(nd(g) / std::sqrt(double(inputs)));
  Task t;
  t.name = "synthetic";
  t.model = [weights](const AnswerMatrix& x) {
    return AnswerMatrix((x * weights->transpose()).array().tanh().matrix());
  };
  t.draw = [](std::mt19937_64& rng, Index k) {
    std::normal_distribution<double> n01;
    const std::vector<double> alpha = nercc::chebyshev_first_kind(k);
    AnswerMatrix q(k, synthetic_inputs);
    for (Index j = 0; j < synthetic_inputs; ++j) {
      const double a0 = n01(rng), a1 = n01(rng), a2 = n01(rng);
      for (Index r = 0; r < k; ++r)
        q(r, j) = float(a0 + a1 * std::cos(2 * alpha[std::size_t(r)]) + a2 * std::sin(3 * alpha[std::size_t(r)]));
    }
    return q;
  };
  return t;
}

struct Loaded {
  std::vector<Task> tasks;
  std::vector<std::string> notes;  // per model: weights and test accuracy
};

Loaded load_tasks(const Options& o) {
  Loaded l;
  std::shared_ptr<FashionMnistSplit> test;
  for (const std::string& name : o.models) {
    if (name == "synthetic") {
      l.tasks.push_back(synthetic_task(o.seed));
      l.notes.push_back("synthetic: 10 outputs tanh(W x / sqrt 8), queries on a random smooth curve per group");
      continue;
    }
    if (!test)
      test = std::make_shared<FashionMnistSplit>(
          load_fashion_mnist(fashion_mnist_dir(o.data_dir), "t10k", o.test_images));
    const FmnistModel model = parse_fmnist_model(name);
    TrainOptions train;
    train.data_dir = o.data_dir;
    train.cache_dir = o.cache_dir;
    train.threads = o.threads;
    train.progress = o.progress;
    const TrainConfig config = o.smoke ? TrainConfig::smoke(model) : TrainConfig::defaults(model);
    const TrainResult trained = train_or_load(config, train);
    const double accuracy = test_accuracy(trained.classifier, *test, o.threads, false);
    l.notes.push_back(name + ": " + config.cache_key() + ", test accuracy " + num(accuracy) + " on " +
                      std::to_string(test->count) + " test images" + (trained.from_cache ? " (cached weights)" : ""));
    Task t;
    t.name = name;
    const Classifier clf = trained.classifier;
    const int threads = o.threads;
    t.model = [clf, threads](const AnswerMatrix& x) { return AnswerMatrix(clf.logits(x, threads)); };
    t.draw = [test](std::mt19937_64& rng, Index k) {
      const std::vector<Index> rows = random_rows(rng, Index(test->count), k);
      AnswerMatrix q(k, FashionMnistSplit::pixels);
      for (Index r = 0; r < k; ++r) q.row(r) = images_matrix(*test).row(rows[std::size_t(r)]);
      return q;
    };
    l.tasks.push_back(std::move(t));
  }
  return l;
}

// The encodings evaluated at N workers for K queries and E adversaries: NeRCC spline and
// Berrut in today's layout (Berrut with ApproxIFER's locator too) and the systematic layout.
std::vector<Encoding> coded_encodings(const Options& o, Index n, Index e) {
  std::vector<Encoding> v;
  nercc::CodeParams today;
  today.num_queries = o.k;
  today.num_workers = n;
  nercc::CodeParams sys = nercc::systematic_params(o.k, n, o.spread);
  v.push_back(regression_encoding<nercc::SplineScheme>("spline", "today", today, e, false));
  v.push_back(regression_encoding<nercc::BerrutScheme>("berrut", "today", today, e, true));
  v.push_back(regression_encoding<nercc::SplineScheme>("spline", "systematic", sys, e, false));
  v.push_back(regression_encoding<nercc::BerrutScheme>("berrut", "systematic", sys, e, false));
  return v;
}

std::uint64_t seed_of(const Options& o, const std::string& model, Index n, Index e, Index s, int part) {
  std::uint64_t h = o.seed * 0x9e3779b97f4a7c15ULL + std::hash<std::string>{}(model);
  for (std::uint64_t v : {std::uint64_t(n), std::uint64_t(e), std::uint64_t(s), std::uint64_t(part)})
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL;
  return h;
}

std::vector<std::string> attack_names() {
  std::vector<std::string> v;
  for (const Attack& a : all_attacks()) v.push_back(a.name);
  return v;
}

const char* const csv_header =
    "model,scheme,layout,detector,N,K,E,S,threshold,attack,placement,groups,relacc,relacc_clean,relacc_plain,mse,"
    "damage_mse_mean,damage_mse_max,precision,recall,false_flag_rate,groups_false_flag,amplitude_mean,bound_mse_max,"
    "bound_violations,bound_groups,bound_skipped";

double ratio(Index a, Index b) { return b > 0 ? double(a) / double(b) : std::nan(""); }

void write_rows(std::ofstream& f, const Measurement& m) {
  for (const auto& [key, t] : m.tallies) {
    const Tally& clean = m.tallies.at({key.detector, key.threshold, "none", "none"});
    f << m.model << ',' << m.scheme << ',' << m.layout << ',' << key.detector << ',' << m.n << ',' << m.k << ','
      << m.e << ',' << m.s << ',' << (key.threshold < 0 ? std::string("") : num(key.threshold)) << ',' << key.attack
      << ',' << key.placement << ',' << t.groups << ',' << num(ratio(t.agree, t.queries)) << ','
      << num(ratio(clean.agree, clean.queries)) << ',' << num(ratio(m.plain_agree, m.plain_queries)) << ','
      << num(t.values > 0 ? t.sq_error / double(t.values) : std::nan("")) << ','
      << num(key.attack == "none" ? std::nan("") : t.damage_sum / double(t.groups)) << ','
      << num(key.attack == "none" ? std::nan("") : t.damage_max) << ',' << num(ratio(t.caught, t.flagged)) << ','
      << num(ratio(t.caught, t.adversaries)) << ',' << num(ratio(t.honest_flagged, t.honest)) << ','
      << t.groups_false_flag << ',' << num(key.attack == "adaptive" ? t.amplitude_sum / double(t.groups) : std::nan(""))
      << ',' << num(t.bound_groups > 0 ? t.bound_max : std::nan("")) << ','
      << (t.bound_groups > 0 ? std::to_string(t.bound_violations) : std::string("")) << ',' << t.bound_groups << ','
      << t.bound_skipped << '\n';
  }
  f.flush();
}

double relacc(const Measurement& m, const std::string& det, double t, const std::string& attack,
              const std::string& placement) {
  const auto it = m.tallies.find({det, t, attack, placement});
  return it == m.tallies.end() ? std::nan("") : ratio(it->second.agree, it->second.queries);
}

int run(const Options& o) {
  const fs::path out(o.out);
  fs::create_directories(out);
  const Loaded loaded = load_tasks(o);
  std::ofstream notes(out / "models.txt");
  for (const std::string& n : loaded.notes) {
    notes << n << '\n';
    std::fprintf(stderr, "%s\n", n.c_str());
  }
  bool ok = true;
  std::ostringstream failures;
  // Part 1: every attack at ApproxIFER's N = 2K + 2E + S - 1, and replication at (2E + 1 + S) K.
  if (has(o.parts, "attacks")) {
    std::ofstream f(out / "attacks.csv");
    f << csv_header << '\n';
    const Index units = Index(loaded.tasks.size() * o.es.size() * o.ss.size()) * o.groups * 5;
    ProgressBar bar("attacks", units, o.progress);
    Index done = 0;
    for (const Task& task : loaded.tasks)
      for (Index e : o.es)
        for (Index s : o.ss) {
          const Index n = 2 * o.k + 2 * e + s - 1;
          std::vector<Encoding> encs = coded_encodings(o, n, e);
          encs.push_back(replication_encoding(o.k, (2 * e + 1 + s) * o.k, e));
          EvalConfig cfg;
          cfg.groups = o.groups;
          cfg.s = s;
          cfg.thresholds = {o.threshold};
          cfg.attacks = attack_names();
          cfg.seed = seed_of(o, task.name, n, e, s, 1);
          for (const Encoding& enc : encs) {
            const std::string label = task.name + " " + enc.scheme + "/" + enc.layout + " E" + std::to_string(e) +
                                      " S" + std::to_string(s);
            const Measurement m = evaluate(task, enc, cfg, [&] { bar.update(++done, label); });
            write_rows(f, m);
            if (!o.require_attack.empty() && enc.scheme == "spline" && enc.layout == "today") {
              const auto& t = m.tallies.at({"residual", o.threshold, o.require_attack, "random"});
              const double drop = relacc(m, "residual", o.threshold, "none", "none") -
                                  relacc(m, "residual", o.threshold, o.require_attack, "random");
              if (t.caught != t.adversaries || t.caught != t.flagged || drop > o.require_tolerance) {
                ok = false;
                failures << "  " << label << ": " << o.require_attack << " caught " << t.caught << " of " << t.adversaries
                         << " with " << t.flagged << " flags, RelAcc drop " << num(drop) << " (tolerance "
                         << o.require_tolerance << ")\n";
              }
            }
          }
        }
    bar.finish();
  }

  // Part 2: the calibration of the threshold: false flags with no adversary, recall of the
  // attacks, RelAcc cost with no adversary and under every attack, for each threshold.
  if (has(o.parts, "thresholds")) {
    std::ofstream f(out / "thresholds.csv");
    f << csv_header << '\n';
    const std::vector<Index> es{1, 2};
    const Index units = Index(loaded.tasks.size() * es.size()) * 2 * o.groups * 4;
    ProgressBar bar("thresholds", units, o.progress);
    Index done = 0;
    for (const Task& task : loaded.tasks)
      for (Index e : es)
        for (Index s : {Index(0), Index(1)}) {
          const Index n = 2 * o.k + 2 * e + s - 1;
          EvalConfig cfg;
          cfg.groups = o.groups;
          cfg.s = s;
          cfg.thresholds = o.thresholds;
          cfg.attacks = attack_names();  // and both placements: the RelAcc each threshold keeps under attack
          cfg.seed = seed_of(o, task.name, n, e, s, 2);
          for (const Encoding& enc : coded_encodings(o, n, e)) {
            const std::string label = task.name + " " + enc.scheme + "/" + enc.layout + " E" + std::to_string(e);
            write_rows(f, evaluate(task, enc, cfg, [&] { bar.update(++done, label); }));
          }
        }
    bar.finish();
  }

  // Part 3: the smallest N with RelAcc >= 0.95 under every attack (both placements) and
  // with none, E = 1, 2 and S = 0, 1.
  if (has(o.parts, "smallest")) {
    std::ofstream f(out / "smallest_n.csv");
    f << "model,scheme,layout,detector,E,S,N,worst_relacc,worst_case,meets\n";
    std::ofstream detail(out / "smallest_n_detail.csv");
    detail << csv_header << '\n';
    std::vector<Index> es, ss;  // the issue's E = 1, 2 and S = 0, 1, as far as --e and --s keep them
    for (Index e : o.es)
      if (e <= 2) es.push_back(e);
    for (Index s : o.ss)
      if (s <= 1) ss.push_back(s);
    ProgressBar bar("smallest N", Index(loaded.tasks.size() * es.size() * ss.size()), o.progress);
    Index done = 0;
    for (const Task& task : loaded.tasks)
      for (Index e : es)
        for (Index s : ss) {
          bar.update(done++, task.name + " E" + std::to_string(e) + " S" + std::to_string(s));
          std::map<std::string, bool> found;  // scheme/layout/detector -> met at some N
          for (Index n = o.k + 2 * e + s; n <= o.max_n; ++n) {
            EvalConfig cfg;
            cfg.groups = o.smallest_groups;
            cfg.s = s;
            cfg.thresholds = {o.threshold};
            cfg.attacks = attack_names();
            cfg.seed = seed_of(o, task.name, n, e, s, 3);
            bool all_met = true;
            for (const Encoding& enc : coded_encodings(o, n, e)) {
              // Each detector at its threshold, and the oracle (a perfect detector's bound).
              std::vector<std::pair<std::string, double>> judged;
              for (const Detector& det : enc.detectors) judged.emplace_back(det.name, det.uses_threshold ? o.threshold : -1.0);
              judged.emplace_back(oracle_detector, -1.0);
              bool pending = false;
              for (const auto& jd : judged) pending = pending || !found[enc.scheme + "/" + enc.layout + "/" + jd.first];
              if (!pending) continue;
              Measurement m;
              try {
                m = evaluate(task, enc, cfg);
              } catch (const nercc::invalid_argument&) {
                all_met = false;  // a layout that does not exist at this N (systematic needs more)
                continue;
              }
              write_rows(detail, m);
              for (const auto& [name, t] : judged) {
                const std::string key = enc.scheme + "/" + enc.layout + "/" + name;
                if (found[key]) continue;
                double worst = 2.0;
                std::string worst_case;
                for (const auto& [k, tally] : m.tallies) {
                  if (k.detector != name || k.threshold != t) continue;
                  const double r = ratio(tally.agree, tally.queries);
                  if (r < worst) worst = r, worst_case = k.attack + "/" + k.placement;
                }
                const bool meets = worst >= 0.95;
                f << task.name << ',' << enc.scheme << ',' << enc.layout << ',' << name << ',' << e << ','
                  << s << ',' << n << ',' << num(worst) << ',' << worst_case << ',' << (meets ? 1 : 0) << '\n';
                if (meets) found[key] = true;
                else all_met = false;
              }
            }
            f.flush();
            if (all_met) break;
          }
        }
    bar.update(done, "done");
    bar.finish();
  }
  // Part 4: where honest answers score high: the detector's first-step score |t_j| / scale of
  // every honest answer (no adversary, S = 0, E = 1), by worker, at N = 2K + 1 and 2K + 5.
  if (has(o.parts, "positions")) {
    std::ofstream f(out / "positions.csv");
    f << "model,scheme,layout,N,worker,point,groups,median,p90,p99,max\n";
    for (const Task& task : loaded.tasks)
      for (Index n : {2 * o.k + 1, 2 * o.k + 5})
        for (const Encoding& enc : coded_encodings(o, n, 1)) {
          std::vector<std::vector<double>> scores(static_cast<std::size_t>(n));
          EvalConfig cfg;
          cfg.groups = o.groups;
          cfg.thresholds = {o.threshold};
          cfg.attacks = {};
          cfg.placements = {};
          cfg.seed = seed_of(o, task.name, n, 1, 0, 4);
          cfg.on_answers = [&](const std::vector<Index>& ids, const AnswerMatrix& y) {
            const nercc::RowMatrix<double> c = enc.check(ids);
            const nercc::RowMatrix<double> t = c.transpose() * (c * y.cast<double>());
            const double scale = enc.scale(ids, y, std::numeric_limits<double>::max());  // the best alone explained
            for (std::size_t r = 0; r < ids.size(); ++r)
              scores[std::size_t(ids[r])].push_back(t.row(Index(r)).norm() / c.col(Index(r)).norm() / scale);
          };
          evaluate(task, enc, cfg);
          const std::vector<double> points = enc.points;
          for (Index w = 0; w < n; ++w) {
            std::vector<double>& v = scores[std::size_t(w)];
            std::sort(v.begin(), v.end());
            const auto q = [&](double p) { return v.empty() ? std::nan("") : v[std::size_t(p * double(v.size() - 1))]; };
            f << task.name << ',' << enc.scheme << ',' << enc.layout << ',' << n << ',' << w << ','
              << num(points[std::size_t(w)]) << ',' << v.size() << ',' << num(q(0.5)) << ',' << num(q(0.9)) << ','
              << num(q(0.99)) << ',' << num(v.empty() ? std::nan("") : v.back()) << '\n';
          }
        }
  }
  std::printf("wrote %s\n", out.string().c_str());
  if (!ok) {
    std::fprintf(stderr, "nercc_byzantine_eval: --require-caught %s failed:\n%s", o.require_attack.c_str(),
                 failures.str().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return nercc_examples::run_main("nercc_byzantine_eval", usage, argc, argv, parse, run); }
