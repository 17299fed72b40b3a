// nercc_fashion_mnist_experiment: how well each scheme recovers a real model's predictions on
// Fashion-MNIST as stragglers grow. Writes results.csv, results.md and PNG plots (gnuplot).
// Exit code 0 on success, 1 when --require-nercc-below-berrut fails, 2 on bad usage or errors.
#include "../common/cli.hpp"
#include "models.hpp"
#include "progress.hpp"
#include "variants.hpp"

#include <nercc/runtime/any_code.hpp>
#include <nercc/tune.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using nercc::Index;
using nercc_examples::BatchCode;
using nercc_examples::FloatRowMatrix;
using nercc_examples::Role;
using nercc_examples::Shape;
using nercc_examples::Tuning;
using nercc_examples::Variant;
using nercc_examples::VariantCode;
using nercc_examples::Workers;
using nercc_examples::is_coded;
using nercc_examples::variants;
namespace fs = std::filesystem;

const char* const usage = R"(usage: nercc_fashion_mnist_experiment [options]
  --out DIR               output directory (default docs/results/fashion_mnist)
  --models LIST           comma-separated, from lenet5,resnet (default both)
  --shapes LIST           comma-separated NxK code shapes (default 20x10,60x10,40x20)
  --trials T              random (batch, answered set) trials per S (default 200)
  --s-step D              evaluate S = O, O + D, O + 2D, ... up to N/2 (default 1)
  --s-offset O            the first S evaluated (default 0)
  --merge FILE            add the rows of an earlier run's results.csv (other S values of the
                          same configuration, e.g. --s-offset 1 --s-step 2 after a run with
                          --s-step 2) to this run's before writing every output; repeatable,
                          and with an --s-offset above N/2 the run only merges
  --tune-batches B        calibration batches of K training images per tuning (default 8)
  --tune-sets A           answered sets per calibration batch (default 8)
  --worker-spreads LIST    comma-separated spreads in (0, 1) that the clustered worker points
                          are tuned over (default 0.005,0.02,0.1,0.4)
  --seed N                seed of every random draw (default 1)
  --threads N             intra-op threads of the model (default: all cores)
  --data-dir DIR          Fashion-MNIST idx files (default $NERCC_FASHION_MNIST_DIR or
                          /usr/share/datasets/fashion-mnist)
  --cache-dir DIR         weight cache (default $NERCC_CACHE_DIR, $XDG_CACHE_HOME/nercc
                          or $HOME/.cache/nercc)
  --smoke                 tiny configuration for tests: smoke-trained LeNet5, 2000 training
                          and 1000 test images, shapes 20x10,60x10, S step 3, 16 trials,
                          4 x 4 tuning samples, spreads 0.02,0.4
  --require-nercc-below-berrut
                          exit with code 1 unless, for every model and shape, tuned NeRCC's
                          MSE averaged over the S evaluated is below Berrut's
  --require-ordering-helps
                          exit with code 1 unless, for every model and shape, NeRCC with
                          2-opt ordering has a lower MSE, averaged over the S evaluated, than
                          tuned NeRCC without ordering
  --require-clustering-helps
                          exit with code 1 unless, for every model and shape, NeRCC with
                          2-opt and clustered worker points has a RelAcc, averaged over the
                          S evaluated, at least that of NeRCC with 2-opt alone
  --no-orderings          only the schemes of the original comparison: no query ordering
                          or point placement variants
  --no-plots              do not run gnuplot
  --quiet                 no progress bars
)";

// How replication and uncoded use the same N workers as the coded schemes (also in results.md).
const char* const worker_count_note =
    "All schemes use the same N workers, each computing one model evaluation per group, and the "
    "same S random stragglers among them. NeRCC and Berrut send N coded queries for K queries. "
    "Replication sends query n mod K to worker n (N/K replicas each); a query is lost when all "
    "its replicas straggle. Uncoded serves N/K independent groups of K queries, one query per "
    "worker, with no redundancy (N/K times the throughput of the others); the batch's K queries "
    "sit on K of the N workers, so a straggler among those loses its query. Replicated and "
    "uncoded answers are exact, so their MSE (over the queries that have an answer) is 0; a lost "
    "query counts as a disagreement in RelAcc.";

struct Options {
  std::string out = "docs/results/fashion_mnist";
  std::vector<nercc_examples::FmnistModel> models{nercc_examples::FmnistModel::lenet5,
                                                  nercc_examples::FmnistModel::resnet};
  std::vector<Shape> shapes{{20, 10}, {60, 10}, {40, 20}};
  Index trials = 200;
  Index s_step = 1;
  Index s_offset = 0;
  std::vector<std::string> merge;
  Index tune_batches = 8;
  Index tune_sets = 8;
  /// Spreads the clustered placements are tuned over (TuneParams::worker_spreads).
  std::vector<double> worker_spreads{0.005, 0.02, 0.1, 0.4};
  std::uint64_t seed = 1;
  int threads = 0;
  std::string data_dir, cache_dir;
  bool smoke = false;
  bool require_nercc_below_berrut = false;
  bool require_ordering_helps = false;
  bool require_clustering_helps = false;
  bool plots = true;
  bool progress = true;
  bool orderings = true;
};

using nercc_examples::parse_integer;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  for (std::string part; std::getline(s, part, sep);) parts.push_back(part);
  return parts;
}

Options parse(int argc, char** argv) {
  Options o;
  bool shapes_set = false, trials_set = false, step_set = false, models_set = false, spreads_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " expects a value");
      return argv[++i];
    };
    if (flag == "--out") o.out = value();
    else if (flag == "--models") {
      o.models.clear();
      for (const auto& m : split(value(), ',')) o.models.push_back(nercc_examples::parse_fmnist_model(m));
      models_set = true;
    } else if (flag == "--shapes") {
      o.shapes.clear();
      for (const auto& s : split(value(), ',')) {
        const auto nk = split(s, 'x');
        if (nk.size() != 2) throw std::invalid_argument("--shapes expects NxK items, got \"" + s + "\"");
        const Shape shape{Index(parse_integer("--shapes N", nk[0], 1)), Index(parse_integer("--shapes K", nk[1], 1))};
        if (shape.n < shape.k || shape.n % shape.k != 0)
          throw std::invalid_argument("--shapes " + s + ": N must be a multiple of K (replication and uncoded need it)");
        o.shapes.push_back(shape);
      }
      shapes_set = true;
    } else if (flag == "--trials") {
      o.trials = Index(parse_integer(flag, value(), 2));
      trials_set = true;
    } else if (flag == "--s-step") {
      o.s_step = Index(parse_integer(flag, value(), 1));
      step_set = true;
    } else if (flag == "--s-offset") o.s_offset = Index(parse_integer(flag, value(), 0));
    else if (flag == "--merge") o.merge.push_back(value());
    else if (flag == "--tune-batches") o.tune_batches = Index(parse_integer(flag, value(), 1));
    else if (flag == "--tune-sets") o.tune_sets = Index(parse_integer(flag, value(), 1));
    else if (flag == "--worker-spreads") {
      o.worker_spreads.clear();
      for (const auto& v : split(value(), ',')) {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(x > 0.0 && x < 1.0))
          throw std::invalid_argument("--worker-spreads expects values in (0, 1), got \"" + v + "\"");
        o.worker_spreads.push_back(x);
      }
      spreads_set = true;
    }
    else if (flag == "--seed") o.seed = std::uint64_t(parse_integer(flag, value(), 0));
    else if (flag == "--threads") o.threads = int(parse_integer(flag, value(), 1));
    else if (flag == "--data-dir") o.data_dir = value();
    else if (flag == "--cache-dir") o.cache_dir = value();
    else if (flag == "--smoke") o.smoke = true;
    else if (flag == "--require-nercc-below-berrut") o.require_nercc_below_berrut = true;
    else if (flag == "--require-ordering-helps") o.require_ordering_helps = true;
    else if (flag == "--require-clustering-helps") o.require_clustering_helps = true;
    else if (flag == "--no-plots") o.plots = false;
    else if (flag == "--no-orderings") o.orderings = false;
    else if (flag == "--quiet") o.progress = false;
    else if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  if (o.smoke) {
    if (!models_set) o.models = {nercc_examples::FmnistModel::lenet5};
    if (!shapes_set) o.shapes = {{20, 10}, {60, 10}};
    if (!trials_set) o.trials = 16;
    if (!step_set) o.s_step = 3;
    o.tune_batches = std::min<Index>(o.tune_batches, 4);
    o.tune_sets = std::min<Index>(o.tune_sets, 4);
    if (!spreads_set) o.worker_spreads = {0.02, 0.4};
  }
  if ((o.require_ordering_helps || o.require_clustering_helps) && !o.orderings)
    throw std::invalid_argument("--require-ordering-helps and --require-clustering-helps need the variants: drop "
                                "--no-orderings");
  if (o.threads == 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  return o;
}

bool active(const Options& o, const Variant& v) { return o.orderings || v.role != Role::variant; }

/// The 95% confidence half-width of a mean: 1.96 standard errors.
double ci95(const nercc::MetricEstimate& e) { return 1.96 * e.std_error; }

struct Row {
  std::string model;
  Index n = 0, k = 0, s = 0;
  std::size_t variant = 0;  ///< position in variants()
  double lambda_enc = std::nan(""), lambda_dec = std::nan("");
  double worker_spread = std::nan("");  ///< tuned spread of the clustered worker points
  Index trials = 0;
  nercc::MetricEstimate mse, relacc;
  double available = 0;
  double encode_us = std::nan("");  ///< mean wall time of encoding one batch, ordering included
};

// One seed per (model, shape, S, purpose), so a configuration's numbers do not depend on which
// other configurations run.
std::uint64_t derive_seed(std::uint64_t seed, nercc_examples::FmnistModel model, Shape shape, Index s, int purpose) {
  std::uint64_t h = seed * 0x9e3779b97f4a7c15ULL;
  for (std::uint64_t v : {std::uint64_t(model), std::uint64_t(shape.n), std::uint64_t(shape.k), std::uint64_t(s),
                          std::uint64_t(purpose)})
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL + 0x94d049bb133111ebULL;
  return h;
}

// Per-trial metrics of decoded rows against the uncoded outputs; unavailable rows count as
// disagreements and are left out of the MSE.
struct TrialMetrics {
  std::vector<double> mse, relacc, available;
  void add(const nercc::DecodeResult<float>& r, const nercc::RowMatrix<float>& truth) {
    const Index k = truth.rows(), m = truth.cols();
    double sq = 0;
    Index used = 0, agree = 0;
    for (Index q = 0; q < k; ++q) {
      if (!r.available[std::size_t(q)]) continue;
      ++used;
      sq += (r.values.row(q).cast<double>() - truth.row(q).cast<double>()).squaredNorm();
      agree += nercc::argmax_of_row(r.values.row(q)) == nercc::argmax_of_row(truth.row(q)) ? 1 : 0;
    }
    if (used > 0) mse.push_back(sq / double(used * m));
    relacc.push_back(double(agree) / double(k));
    available.push_back(double(used) / double(k));
  }
};

// Tunes every tuned variant for (shape, S) on training images, then runs every variant on the
// same random test batches and answered sets.
std::vector<Row> run_point(const Options& o, const nercc_examples::Classifier& clf, nercc_examples::FmnistModel model,
                           const Eigen::Ref<const FloatRowMatrix>& train, const Eigen::Ref<const FloatRowMatrix>& test,
                           Shape shape, Index s) {
  const int threads = o.threads;
  auto logits = [&clf, threads](const nercc::RowMatrix<float>& x) { return clf.logits(x, threads); };
  const Index n = shape.n, k = shape.k;
  const auto& table = variants();

  // Every tuning sees the same calibration samples (same seed), so they compare like for like.
  // Variants whose TuneParams agree in the fields variants set share one tuning (as
  // nercc_two_opt_cumdist shares nercc_two_opt's).
  std::map<std::tuple<int, int, std::vector<double>, std::vector<double>>, nercc::TuneResult> tunings;
  auto tune = [&](const Variant& v) -> const nercc::TuneResult& {
    nercc::TuneParams tp;
    tp.code = untuned_params(v, shape);
    if (v.workers == Workers::clustered) tp.worker_spreads = o.worker_spreads;
    tp.scheme = v.scheme;
    tp.stragglers = {s};
    tp.seed = derive_seed(o.seed, model, shape, s, 0);
    tp.batches = o.tune_batches;
    tp.answered_sets = o.tune_sets;
    const auto key = std::make_tuple(int(tp.scheme), int(tp.code.ordering), tp.code.query_points, tp.worker_spreads);
    auto it = tunings.find(key);
    if (it == tunings.end()) it = tunings.emplace(key, nercc::tune_lambdas(tp, train, logits)).first;
    return it->second;
  };

  // The active variants; the coded ones get N model rows per trial, the others answer exactly.
  std::vector<std::size_t> shown, coded;
  std::vector<std::optional<VariantCode>> codes(table.size());
  std::vector<std::optional<nercc::runtime::AnyCode<float>>> exact(table.size());
  std::vector<double> spread(table.size(), std::nan(""));
  for (std::size_t c = 0; c < table.size(); ++c) {
    const Variant& v = table[c];
    if (!active(o, v)) continue;
    shown.push_back(c);
    nercc::CodeParams params = untuned_params(v, shape);
    if (v.tuning == Tuning::tuned) {
      const nercc::TuneResult& r = tune(v);
      params = r.code;
      if (r.worker_spread > 0) spread[c] = r.worker_spread;
    }
    if (is_coded(v)) {
      coded.push_back(c);
      codes[c].emplace(v, std::move(params));
    } else {
      exact[c].emplace(v.scheme, params);
    }
  }

  std::vector<TrialMetrics> metrics(table.size());
  std::vector<double> encode_seconds(table.size(), 0.0);
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };

  std::mt19937_64 rng(derive_seed(o.seed, model, shape, s, 1));
  // Trials in chunks: one model call per chunk on the plain and the coded queries of its trials.
  const Index rows_per_trial = k + Index(coded.size()) * n;
  const Index chunk = std::max<Index>(1, 4096 / rows_per_trial);
  nercc::QueryOrder identity(static_cast<std::size_t>(k));
  std::iota(identity.begin(), identity.end(), Index(0));
  for (Index t0 = 0; t0 < o.trials; t0 += chunk) {
    const Index count = std::min(chunk, o.trials - t0);
    nercc::RowMatrix<float> inputs(count * rows_per_trial, test.cols());
    std::vector<std::vector<Index>> answered(static_cast<std::size_t>(count));
    // batches[t][i]: what coded variant coded[i] needs to decode trial t.
    std::vector<std::vector<BatchCode>> batches(static_cast<std::size_t>(count), std::vector<BatchCode>(coded.size()));
    for (Index t = 0; t < count; ++t) {
      const auto batch = nercc::random_subset(rng, test.rows(), k);
      auto block = inputs.middleRows(t * rows_per_trial, rows_per_trial);
      for (Index q = 0; q < k; ++q) block.row(q) = test.row(batch[std::size_t(q)]);
      for (std::size_t i = 0; i < coded.size(); ++i) {
        const auto start = Clock::now();
        codes[coded[i]]->encode(block.topRows(k), block.middleRows(k + Index(i) * n, n), batches[std::size_t(t)][i]);
        encode_seconds[coded[i]] += seconds_since(start);
      }
      answered[std::size_t(t)] = nercc::random_subset(rng, n, n - s);
    }
    const nercc::RowMatrix<float> outputs = clf.logits(inputs, threads);
    for (Index t = 0; t < count; ++t) {
      const auto block = outputs.middleRows(t * rows_per_trial, rows_per_trial);
      const nercc::RowMatrix<float> truth = block.topRows(k);
      const auto& ids = answered[std::size_t(t)];
      nercc::RowMatrix<float> got(Index(ids.size()), truth.cols());
      for (std::size_t i = 0; i < coded.size(); ++i) {
        for (std::size_t j = 0; j < ids.size(); ++j) got.row(Index(j)) = block.row(k + Index(i) * n + ids[j]);
        metrics[coded[i]].add(codes[coded[i]]->decode(ids, got, batches[std::size_t(t)][i]), truth);
      }
      // Replicas and uncoded workers return f(x) itself (the model is deterministic); a code
      // with fewer than N workers sees those of its group only.
      for (std::size_t c : shown) {
        if (!exact[c]) continue;
        const nercc::runtime::AnyCode<float>& code = *exact[c];
        std::vector<Index> own;
        for (Index w : ids)
          if (w < code.num_workers()) own.push_back(w);
        nercc::RowMatrix<float> own_out(Index(own.size()), truth.cols());
        for (std::size_t j = 0; j < own.size(); ++j) own_out.row(Index(j)) = truth.row(code.query_of_worker(own[j]));
        metrics[c].add(code.decode(own, own_out, identity), truth);
      }
    }
  }

  std::vector<Row> rows;
  for (std::size_t c : shown) {
    const Variant& v = table[c];
    Row r;
    r.model = nercc_examples::to_string(model);
    r.n = n;
    r.k = k;
    r.s = s;
    r.variant = c;
    if (nercc::scheme_facts(v.scheme).has_lambdas)
      r.lambda_enc = codes[c]->params().lambda_enc, r.lambda_dec = codes[c]->params().lambda_dec;
    r.worker_spread = spread[c];
    if (is_coded(v)) r.encode_us = 1e6 * encode_seconds[c] / double(o.trials);
    r.trials = o.trials;
    r.mse = nercc::summarise(metrics[c].mse);
    r.relacc = nercc::summarise(metrics[c].relacc);
    r.available = nercc::summarise(metrics[c].available).mean;
    rows.push_back(r);
  }
  return rows;
}

std::string num(double v, int precision = 4) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

void write_csv(const fs::path& file, const std::vector<Row>& rows) {
  std::ofstream f(file);
  f << "model,N,K,S,scheme,lambda_enc,lambda_dec,trials,mse_mean,mse_ci95,mse_min,mse_max,mse_trials,"
       "relacc_mean,relacc_ci95,relacc_min,relacc_max,available_mean,encode_us_mean,worker_spread\n";
  for (const Row& r : rows)
    f << r.model << ',' << r.n << ',' << r.k << ',' << r.s << ',' << variants()[r.variant].name << ','
      << num(r.lambda_enc) << ',' << num(r.lambda_dec) << ',' << r.trials << ',' << num(r.mse.mean, 6) << ','
      << num(ci95(r.mse)) << ',' << num(r.mse.min) << ',' << num(r.mse.max) << ',' << r.mse.trials << ','
      << num(r.relacc.mean, 6) << ',' << num(ci95(r.relacc)) << ',' << num(r.relacc.min) << ','
      << num(r.relacc.max) << ',' << num(r.available, 6) << ',' << num(r.encode_us) << ','
      << num(r.worker_spread) << '\n';
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

// The rows of a results.csv written by write_csv (empty fields are NaN).
std::vector<Row> read_csv(const fs::path& file) {
  std::ifstream f(file);
  if (!f) throw std::runtime_error("cannot read " + file.string());
  std::string line;
  std::getline(f, line);
  if (line.rfind("model,N,K,S,scheme,", 0) != 0) throw std::runtime_error(file.string() + " is not a results.csv");
  std::vector<Row> rows;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::vector<std::string> v = split(line, ',');
    if (line.back() == ',') v.emplace_back();
    if (v.size() != 20) throw std::runtime_error(file.string() + ": a row has " + std::to_string(v.size()) + " fields, expected 20");
    auto real = [](const std::string& x) { return x.empty() ? std::nan("") : std::stod(x); };
    auto integer = [](const std::string& x) { return Index(std::stoll(x)); };
    Row r;
    r.model = v[0];
    r.n = integer(v[1]), r.k = integer(v[2]), r.s = integer(v[3]);
    try {
      r.variant = nercc_examples::variant_index(v[4]);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(file.string() + ": " + e.what());
    }
    r.lambda_enc = real(v[5]), r.lambda_dec = real(v[6]);
    r.trials = integer(v[7]);
    r.mse = nercc::MetricEstimate{real(v[8]), real(v[9]) / 1.96, real(v[10]), real(v[11]), integer(v[12])};
    r.relacc = nercc::MetricEstimate{real(v[13]), real(v[14]) / 1.96, real(v[15]), real(v[16]), r.trials};
    r.available = real(v[17]);
    r.encode_us = real(v[18]);
    r.worker_spread = real(v[19]);
    rows.push_back(r);
  }
  return rows;
}

using Group = std::map<Index, std::vector<const Row*>>;  // S -> rows by position in variants()

// Rows of one (model, shape), keyed by S.
Group group_of(const std::vector<Row>& rows, const std::string& model, Shape shape) {
  Group g;
  for (const Row& r : rows)
    if (r.model == model && r.n == shape.n && r.k == shape.k) {
      auto& v = g[r.s];
      v.resize(variants().size(), nullptr);
      v[r.variant] = &r;
    }
  return g;
}

// The row of the variant called `name` among the rows of one S.
const Row& row_of(const std::vector<const Row*>& rows, const char* name) {
  const Row* r = rows[nercc_examples::variant_index(name)];
  if (r == nullptr) throw std::runtime_error(std::string("no results for scheme ") + name);
  return *r;
}

// The coded variants of the ordering table: all but the baseline.
bool in_ordering_table(const Variant& v) { return is_coded(v) && v.role != Role::baseline; }

std::string plot_stem(const std::string& model, Shape shape) {
  return model + "_N" + std::to_string(shape.n) + "_K" + std::to_string(shape.k);
}

// Per S: MSE / RelAcc of every coded scheme, the best ordered NeRCC's MSE over Berrut's, and the
// mean encode time per batch (ordering included) under the table.
void write_ordering_table(std::ofstream& f, const Group& g) {
  f << "\nQuery ordering and point placement (each cell: MSE / RelAcc; best ratio: the lowest MSE of the "
       "NeRCC ordering and placement variants over Berrut's MSE; clustered worker points: "
       "nercc::clustered_worker_points with the spread tuned on training images):\n\n| S |";
  const auto& table = variants();
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < table.size(); ++c)
    if (in_ordering_table(table[c])) columns.push_back(c);
  for (std::size_t c : columns) f << ' ' << table[c].title << " |";
  f << " best ratio |\n|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) f << "---|";
  f << "---|\n";
  std::vector<double> encode_us(table.size(), 0.0);
  for (const auto& [s, v] : g) {
    f << "| " << s << " |";
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c : columns) {
      const Row& r = *v[c];
      f << ' ' << num(r.mse.mean) << " / " << num(r.relacc.mean);
      if (!std::isnan(r.worker_spread)) f << " (spread " << num(r.worker_spread, 2) << ")";
      f << " |";
      if (table[c].role == Role::variant && nercc::scheme_facts(table[c].scheme).has_lambdas)
        best = std::min(best, r.mse.mean);
      encode_us[c] += r.encode_us / double(g.size());
    }
    f << ' ' << num(best / row_of(v, "berrut").mse.mean, 3) << " |\n";
  }
  f << "\nEncode time per batch (microseconds, mean over S; ordering included, wall time of one thread):";
  for (std::size_t i = 0; i < columns.size(); ++i)
    f << (i ? "; " : " ") << table[columns[i]].title << " " << num(encode_us[columns[i]], 3);
  f << ".\n";
}

void write_markdown(const fs::path& file, const Options& o, const std::vector<Row>& rows,
                    const std::map<std::string, std::string>& model_notes) {
  std::ofstream f(file);
  f << "# Fashion-MNIST: recovering a model's predictions under stragglers\n\n"
    << "Generated by `nercc_fashion_mnist_experiment`" << (o.smoke ? " (smoke configuration)" : "") << ": "
    << o.trials << " trials per row (a random batch of K test images and a random set of N - S "
    << "answering workers, the same for every scheme), seed " << o.seed << ". NeRCC's lambdas are tuned "
    << "per (N, K, S) with `nercc::tune_lambdas` on " << o.tune_batches << " x " << o.tune_sets
    << " (batch, answered set) samples of training images; lambdas use SciPy's sum convention.\n\n"
    << "MSE: mean squared error of the decoded logits against the uncoded model's logits (mean over "
    << "queries and the 10 logits). RelAcc: fraction of queries whose decoded argmax equals the uncoded "
    << "model's argmax. `±` is a 95% confidence half-width over the trials. Ratio: NeRCC (tuned) MSE / "
    << "Berrut MSE.\n\n"
    << worker_count_note << "\n\n";
  for (const auto& note : model_notes) f << "- " << note.first << ": " << note.second << "\n";
  for (const auto model : o.models) {
    const std::string name = nercc_examples::to_string(model);
    for (const Shape shape : o.shapes) {
      const Group g = group_of(rows, name, shape);
      if (g.empty()) continue;
      f << "\n## " << name << ", N = " << shape.n << ", K = " << shape.k << "\n\n"
        << "![RelAcc](" << plot_stem(name, shape) << "_relacc.png) ![MSE](" << plot_stem(name, shape)
        << "_mse.png)\n\n"
        << "| S | NeRCC tuned MSE | RelAcc | lambda_enc | lambda_dec | NeRCC lambda=0 MSE | RelAcc | Berrut MSE | "
           "RelAcc | ratio | replication RelAcc | uncoded RelAcc |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
      for (const auto& [s, v] : g) {
        const Row &t = row_of(v, "nercc_tuned"), &z = row_of(v, "nercc_lambda0"), &b = row_of(v, "berrut");
        f << "| " << s << " | " << num(t.mse.mean) << " ± " << num(ci95(t.mse), 2) << " | " << num(t.relacc.mean)
          << " | " << num(t.lambda_enc, 3) << " | " << num(t.lambda_dec, 3) << " | " << num(z.mse.mean) << " ± "
          << num(ci95(z.mse), 2) << " | " << num(z.relacc.mean) << " | " << num(b.mse.mean) << " ± "
          << num(ci95(b.mse), 2) << " | " << num(b.relacc.mean) << " | " << num(t.mse.mean / b.mse.mean, 3) << " | "
          << num(row_of(v, "replication").relacc.mean) << " | " << num(row_of(v, "uncoded").relacc.mean) << " |\n";
      }
      if (o.orderings) write_ordering_table(f, g);
    }
  }
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

// One data file per (model, shape) and one gnuplot script for all plots, under plot_data/.
void write_plots(const fs::path& out, const Options& o, const std::vector<Row>& rows) {
  const fs::path data_dir = out / "plot_data";
  fs::create_directories(data_dir);
  std::ofstream gp(data_dir / "plots.gp");
  gp << "# Made by nercc_fashion_mnist_experiment; run from the output directory: gnuplot plot_data/plots.gp\n"
     << "set terminal pngcairo size 960,720 noenhanced\nset datafile missing '?'\nset key outside below\n"
     << "set grid\nset xlabel 'stragglers S'\n";
  for (const auto model : o.models) {
    const std::string name = nercc_examples::to_string(model);
    for (const Shape shape : o.shapes) {
      const Group g = group_of(rows, name, shape);
      if (g.empty()) continue;
      const std::string stem = plot_stem(name, shape);
      std::ofstream dat(data_dir / (stem + ".dat"));
      const auto& table = variants();
      std::vector<std::size_t> shown;
      for (std::size_t c = 0; c < table.size(); ++c)
        if (active(o, table[c])) shown.push_back(c);
      dat << "# S, then per scheme (";
      for (std::size_t i = 0; i < shown.size(); ++i) dat << (i ? " " : "") << table[shown[i]].name;
      dat << "): mse_mean mse_ci95 relacc_mean relacc_ci95\n";
      for (const auto& [s, v] : g) {
        dat << s;
        for (std::size_t c : shown) {
          const Row& r = *v[c];
          auto cell = [](double x) { return std::isnan(x) ? std::string("?") : num(x, 8); };
          dat << ' ' << cell(r.mse.mean) << ' ' << cell(ci95(r.mse)) << ' ' << cell(r.relacc.mean) << ' '
              << cell(ci95(r.relacc));
        }
        dat << '\n';
      }
      const std::string title = name + ", N = " + std::to_string(shape.n) + ", K = " + std::to_string(shape.k);
      const std::string src = "'plot_data/" + stem + ".dat'";
      gp << "\nset output '" << stem << "_mse.png'\nset logscale y\nset ylabel 'MSE vs uncoded logits'\n"
         << "set title '" << title << ": MSE (replication, uncoded: exact, not shown)'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        if (is_coded(table[shown[i]]))
          gp << (i ? ", " : "") << src << " using 1:" << 2 + 4 * i << ":" << 3 + 4 * i << " with yerrorlines title '"
             << table[shown[i]].title << "'";
      gp << "\nunset logscale y\nset output '" << stem << "_relacc.png'\nset ylabel 'RelAcc (argmax agreement)'\n"
         << "set title '" << title << ": RelAcc'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        gp << (i ? ", " : "") << src << " using 1:" << 4 + 4 * i << ":" << 5 + 4 * i << " with yerrorlines title '"
           << table[shown[i]].title << "'";
      gp << "\n";
    }
  }
  gp.close();
  const std::string command = "cd '" + out.string() + "' && gnuplot plot_data/plots.gp";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("gnuplot failed (install Debian's gnuplot, or pass --no-plots): " + command);
}

Eigen::Map<const FloatRowMatrix> as_matrix(const nercc_examples::FashionMnistSplit& split) {
  return {split.images.data(), Eigen::Index(split.count), nercc_examples::FashionMnistSplit::pixels};
}

// For every model and shape, scheme `better`'s metric averaged over the S evaluated must beat
// scheme `worse`'s: a lower MSE, or (rel_acc) a RelAcc at least as high. One S alone is noisy with
// the few trials of the smoke configuration.
bool averaged_better(const Options& o, const std::vector<Row>& rows, const char* better, const char* worse,
                     bool rel_acc) {
  const char* const metric = rel_acc ? "RelAcc" : "MSE";
  bool ok = true;
  for (const auto model : o.models)
    for (const Shape shape : o.shapes) {
      double better_mean = 0, worse_mean = 0;
      const Group g = group_of(rows, nercc_examples::to_string(model), shape);
      for (const auto& [s, v] : g) {
        const Row &b = row_of(v, better), &w = row_of(v, worse);
        better_mean += (rel_acc ? b.relacc.mean : b.mse.mean) / double(g.size());
        worse_mean += (rel_acc ? w.relacc.mean : w.mse.mean) / double(g.size());
      }
      std::printf("%s N=%lld K=%lld: mean %s over S: %s %g, %s %g\n", nercc_examples::to_string(model).c_str(),
                  static_cast<long long>(shape.n), static_cast<long long>(shape.k), metric, better, better_mean,
                  worse, worse_mean);
      if (!(rel_acc ? better_mean >= worse_mean : better_mean < worse_mean)) ok = false;
    }
  if (!ok)
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s's %s is not %s %s's\n", better, metric,
                 rel_acc ? "at least" : "below", worse);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s\n%s", e.what(), usage);
    return 2;
  }
  try {
    const std::string data_dir = nercc_examples::fashion_mnist_dir(o.data_dir);
    // Tuning sees training images only; the trials draw test images.
    const auto train_split = nercc_examples::load_fashion_mnist(data_dir, "train", o.smoke ? 2000 : 0);
    const auto test_split = nercc_examples::load_fashion_mnist(data_dir, "t10k", o.smoke ? 1000 : 0);
    const auto train = as_matrix(train_split);
    const auto test = as_matrix(test_split);
    const fs::path out(o.out);
    fs::create_directories(out);

    std::vector<Row> rows;
    std::map<std::string, std::string> notes;
    Index units = 0;
    for (const Shape shape : o.shapes)
      if (o.s_offset <= shape.n / 2) units += (shape.n / 2 - o.s_offset) / o.s_step + 1;
    for (const auto model : o.models) {
      nercc_examples::TrainOptions train_options;
      train_options.data_dir = o.data_dir;
      train_options.cache_dir = o.cache_dir;
      train_options.threads = o.threads;
      train_options.progress = o.progress;
      const auto config =
          o.smoke ? nercc_examples::TrainConfig::smoke(model) : nercc_examples::TrainConfig::defaults(model);
      const auto trained = nercc_examples::train_or_load(config, train_options);
      const double accuracy = nercc_examples::test_accuracy(trained.classifier, test_split, o.threads, o.progress);
      notes[nercc_examples::to_string(model)] =
          config.cache_key() + ", test accuracy " + num(accuracy, 4) + " on " + std::to_string(test_split.count) + " images";

      nercc_examples::ProgressBar bar("experiment " + nercc_examples::to_string(model), units, o.progress);
      Index done = 0;
      for (const Shape shape : o.shapes)
        for (Index s = o.s_offset; s <= shape.n / 2; s += o.s_step) {
          bar.update(done,
                     "N" + std::to_string(shape.n) + " K" + std::to_string(shape.k) + " S" + std::to_string(s));
          for (Row& r : run_point(o, trained.classifier, model, train, test, shape, s)) rows.push_back(r);
          ++done;
        }
      bar.update(units, "done");
      bar.finish();
    }

    if (!o.merge.empty()) {
      std::set<std::tuple<std::string, Index, Index, Index, std::size_t>> seen;
      for (const Row& r : rows) seen.emplace(r.model, r.n, r.k, r.s, r.variant);
      for (const std::string& file : o.merge)
        for (const Row& r : read_csv(file)) {
          if (!seen.emplace(r.model, r.n, r.k, r.s, r.variant).second)
            throw std::runtime_error("--merge " + file + " repeats " + r.model + " N=" + std::to_string(r.n) +
                                     " K=" + std::to_string(r.k) + " S=" + std::to_string(r.s) + " " +
                                     variants()[r.variant].name);
          if (r.trials != o.trials) throw std::runtime_error("--merge " + file + " has another trial count");
          rows.push_back(r);
        }
      // The order of a single run: model, shape as given, S, scheme.
      auto rank = [&](const Row& r) {
        Index m = 0, sh = 0;
        while (m < Index(o.models.size()) && nercc_examples::to_string(o.models[std::size_t(m)]) != r.model) ++m;
        while (sh < Index(o.shapes.size()) && (o.shapes[std::size_t(sh)].n != r.n || o.shapes[std::size_t(sh)].k != r.k)) ++sh;
        return std::make_tuple(m, sh, r.s, r.variant);
      };
      std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
    }
    write_csv(out / "results.csv", rows);
    write_markdown(out / "results.md", o, rows, notes);
    if (o.plots) write_plots(out, o, rows);
    std::printf("wrote %s, %s%s\n", (out / "results.csv").string().c_str(), (out / "results.md").string().c_str(),
                o.plots ? " and PNG plots" : "");
    bool ok = true;
    if (o.require_nercc_below_berrut) ok = averaged_better(o, rows, "nercc_tuned", "berrut", false) && ok;
    if (o.require_ordering_helps) ok = averaged_better(o, rows, "nercc_two_opt", "nercc_tuned", false) && ok;
    if (o.require_clustering_helps)
      ok = averaged_better(o, rows, "nercc_two_opt_clustered", "nercc_two_opt", true) && ok;
    if (!ok) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s\n", e.what());
    return 2;
  }
  return 0;
}
