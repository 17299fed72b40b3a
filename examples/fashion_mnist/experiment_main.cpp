// nercc_fashion_mnist_experiment: how well each scheme recovers a real model's predictions on
// Fashion-MNIST as stragglers grow. Writes results.csv, results.md and PNG plots (gnuplot).
// Exit code 0 on success, 1 when --require-nercc-below-berrut fails, 2 on bad usage or errors.
#include "../common/cli.hpp"
#include "models.hpp"
#include "progress.hpp"

#include <nercc/ordering.hpp>
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
#include <iterator>
#include <limits>
#include <map>
#include <memory>
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
using nercc_examples::FloatRowMatrix;
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

struct Shape {
  Index n, k;
};

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

// The schemes, in the order of every table and plot. The coded ones come first; those from
// nercc_chain to nercc_two_opt_cumdist are the ordering and placement variants (--no-orderings
// leaves them out).
enum Scheme {
  nercc_tuned,
  nercc_zero,
  berrut,
  nercc_chain,
  nercc_two_opt,
  nercc_principal,
  nercc_two_opt_wide,
  berrut_two_opt,
  nercc_two_opt_cumdist,
  nercc_clustered,
  nercc_two_opt_clustered,
  berrut_two_opt_clustered,
  replication,
  uncoded,
  scheme_count
};
constexpr int first_variant = nercc_chain;
constexpr int coded_count = replication;  // schemes whose workers get coded queries
const char* const scheme_names[scheme_count] = {
    "nercc_tuned",     "nercc_lambda0",  "berrut",         "nercc_chain", "nercc_two_opt", "nercc_principal",
    "nercc_two_opt_wide", "berrut_two_opt", "nercc_two_opt_cumdist", "nercc_clustered", "nercc_two_opt_clustered",
    "berrut_two_opt_clustered", "replication", "uncoded"};
const char* const scheme_titles[scheme_count] = {"NeRCC (tuned)",
                                                 "NeRCC (lambda = 0)",
                                                 "Berrut (BACC)",
                                                 "NeRCC + greedy chain",
                                                 "NeRCC + 2-opt",
                                                 "NeRCC + principal direction",
                                                 "NeRCC + 2-opt, wide query points",
                                                 "Berrut + 2-opt",
                                                 "NeRCC + 2-opt, chain-distance query points",
                                                 "NeRCC, clustered worker points",
                                                 "NeRCC + 2-opt, clustered worker points",
                                                 "Berrut + 2-opt, clustered worker points",
                                                 "replication",
                                                 "uncoded"};

bool active(const Options& o, int scheme) {
  return o.orderings || scheme < first_variant || scheme >= coded_count;
}

struct Stat {
  double mean = std::nan(""), ci95 = std::nan(""), min = std::nan(""), max = std::nan("");
  Index count = 0;
};

Stat summarise(const std::vector<double>& v) {
  Stat s;
  s.count = Index(v.size());
  if (v.empty()) return s;
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.ci95 = v.size() > 1 ? 1.96 * std::sqrt(sq / double(v.size() - 1) / double(v.size())) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

struct Row {
  std::string model;
  Index n = 0, k = 0, s = 0;
  Scheme scheme = nercc_tuned;
  double lambda_enc = std::nan(""), lambda_dec = std::nan("");
  double worker_spread = std::nan("");  ///< tuned spread of the clustered worker points
  Index trials = 0;
  Stat mse, relacc;
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

// `count` distinct values of [0, n) in ascending order.
std::vector<Index> sample_indices(std::mt19937_64& rng, Index n, Index count) {
  std::vector<Index> all(static_cast<std::size_t>(n)), picked;
  std::iota(all.begin(), all.end(), Index(0));
  std::sample(all.begin(), all.end(), std::back_inserter(picked), count, rng);
  return picked;
}

Index argmax(const float* row, Index m) {
  Index best = 0;
  for (Index c = 1; c < m; ++c)
    if (row[c] > row[best]) best = c;
  return best;
}

// Per-trial metrics of decoded rows against the uncoded outputs; unavailable rows count as
// disagreements and are left out of the MSE.
struct TrialMetrics {
  std::vector<double> mse, relacc, available;
  void add(const nercc::RowMatrix<float>& decoded, const std::vector<bool>& ok, const nercc::RowMatrix<float>& truth) {
    const Index k = truth.rows(), m = truth.cols();
    double sq = 0;
    Index used = 0, agree = 0;
    for (Index q = 0; q < k; ++q) {
      if (!ok[std::size_t(q)]) continue;
      ++used;
      sq += (decoded.row(q).cast<double>() - truth.row(q).cast<double>()).squaredNorm();
      agree += argmax(decoded.row(q).data(), m) == argmax(truth.row(q).data(), m) ? 1 : 0;
    }
    if (used > 0) mse.push_back(sq / double(used * m));
    relacc.push_back(double(agree) / double(k));
    available.push_back(double(used) / double(k));
  }
};

nercc::CodeParams code_params(Shape shape, nercc::OrderingMethod ordering = nercc::OrderingMethod::as_given) {
  nercc::CodeParams p;
  p.num_queries = shape.k;
  p.num_workers = shape.n;
  p.ordering = ordering;
  return p;
}

// The default query points stretched so the outermost ones sit at -1 and 1, where the outermost
// worker points are: no worker extrapolates past the queries.
std::vector<double> wide_query_points(Index k) {
  std::vector<double> a = nercc::chebyshev_first_kind(k);
  const double scale = 1.0 / std::abs(a.front());
  for (double& v : a) v *= scale;
  return a;
}

// Query points spaced like the cumulative distances along the batch's chain (the placement the
// issue proposed; measured here, not kept in the library): position i of `ordered` gets
// a_min + (a_max - a_min) c_i / c_K over the default points' range.
std::vector<double> chain_distance_points(const nercc::RowMatrix<float>& ordered) {
  const Index k = ordered.rows();
  const std::vector<double> cheb = nercc::chebyshev_first_kind(k);
  const double lo = -std::abs(cheb.front()), hi = std::abs(cheb.front());
  std::vector<double> c(static_cast<std::size_t>(k), 0.0);
  for (Index i = 1; i < k; ++i)
    c[std::size_t(i)] = c[std::size_t(i - 1)] + (ordered.row(i) - ordered.row(i - 1)).cast<double>().norm();
  const double total = c.back() > 0 ? c.back() : 1.0;
  std::vector<double> a(static_cast<std::size_t>(k));
  // The small even term keeps the points distinct when two images are equal.
  for (Index i = 0; i < k; ++i)
    a[std::size_t(i)] = lo + (hi - lo) * (0.999 * c[std::size_t(i)] / total + 0.001 * double(i) / double(k - 1));
  return a;
}

// Tunes NeRCC (and its ordering/placement variants) for (shape, S) on training images, then runs
// every scheme on the same random test batches and answered sets.
std::vector<Row> run_point(const Options& o, const nercc_examples::Classifier& clf, nercc_examples::FmnistModel model,
                           const Eigen::Ref<const FloatRowMatrix>& train, const Eigen::Ref<const FloatRowMatrix>& test,
                           Shape shape, Index s) {
  const int threads = o.threads;
  auto logits = [&clf, threads](const nercc::RowMatrix<float>& x) { return clf.logits(x, threads); };
  using nercc::OrderingMethod;
  using nercc::SchemeKind;
  const Index n = shape.n, k = shape.k;

  // Every tuning sees the same calibration samples (same seed), so they compare like for like.
  auto tune = [&](nercc::CodeParams code, std::vector<double> spreads = {},
                  nercc::SchemeKind kind = nercc::SchemeKind::spline) {
    nercc::TuneParams tp;
    tp.code = std::move(code);
    tp.worker_spreads = std::move(spreads);
    tp.scheme = kind;
    tp.stragglers = {s};
    tp.seed = derive_seed(o.seed, model, shape, s, 0);
    tp.batches = o.tune_batches;
    tp.answered_sets = o.tune_sets;
    return nercc::tune_lambdas(tp, train, logits);
  };
  nercc::CodeParams wide = code_params(shape, OrderingMethod::greedy_two_opt);
  wide.query_points = wide_query_points(k);
  std::vector<nercc::TuneResult> tuned(static_cast<std::size_t>(coded_count));
  tuned[nercc_tuned] = tune(code_params(shape));
  if (o.orderings) {
    tuned[nercc_chain] = tune(code_params(shape, OrderingMethod::greedy_chain));
    tuned[nercc_two_opt] = tune(code_params(shape, OrderingMethod::greedy_two_opt));
    tuned[nercc_principal] = tune(code_params(shape, OrderingMethod::principal_direction));
    tuned[nercc_two_opt_wide] = tune(wide);
    tuned[nercc_clustered] = tune(code_params(shape), o.worker_spreads);
    tuned[nercc_two_opt_clustered] = tune(code_params(shape, OrderingMethod::greedy_two_opt), o.worker_spreads);
    // Berrut has no lambdas; the tuner still picks its spread on the same training samples.
    tuned[berrut_two_opt_clustered] =
        tune(code_params(shape, OrderingMethod::greedy_two_opt), o.worker_spreads, nercc::SchemeKind::berrut);
    // Its points change with every batch, which the tuner does not model: it borrows 2-opt's lambdas.
    tuned[nercc_two_opt_cumdist].code = tuned[nercc_two_opt].code;
  }

  // The codes of the coded schemes (nercc_two_opt_cumdist builds one per batch instead).
  std::vector<std::unique_ptr<nercc::runtime::AnyCode<float>>> codes(static_cast<std::size_t>(coded_count));
  auto add = [&](int scheme, SchemeKind kind, const nercc::CodeParams& p) {
    if (active(o, scheme)) codes[std::size_t(scheme)] = std::make_unique<nercc::runtime::AnyCode<float>>(kind, p);
  };
  add(nercc_tuned, SchemeKind::spline, tuned[nercc_tuned].code);
  add(nercc_zero, SchemeKind::spline, code_params(shape));
  add(berrut, SchemeKind::berrut, code_params(shape));
  for (int c : {nercc_chain, nercc_two_opt, nercc_principal, nercc_two_opt_wide, nercc_clustered, nercc_two_opt_clustered})
    add(c, SchemeKind::spline, tuned[std::size_t(c)].code);
  add(berrut_two_opt, SchemeKind::berrut, code_params(shape, OrderingMethod::greedy_two_opt));
  add(berrut_two_opt_clustered, SchemeKind::berrut, tuned[berrut_two_opt_clustered].code);
  const nercc::runtime::AnyCode<float> replicated(SchemeKind::replication, code_params(shape));
  const nercc::runtime::AnyCode<float> uncoded_code(SchemeKind::uncoded, code_params({k, k}));
  std::vector<int> coded_schemes;
  for (int c = 0; c < coded_count; ++c)
    if (active(o, c)) coded_schemes.push_back(c);
  const Index coded = Index(coded_schemes.size());

  TrialMetrics metrics[scheme_count];
  double encode_seconds[scheme_count] = {};
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };

  std::mt19937_64 rng(derive_seed(o.seed, model, shape, s, 1));
  // Trials in chunks: one model call per chunk on the plain and the coded queries of its trials.
  const Index rows_per_trial = k + coded * n;
  const Index chunk = std::max<Index>(1, 4096 / rows_per_trial);
  for (Index t0 = 0; t0 < o.trials; t0 += chunk) {
    const Index count = std::min(chunk, o.trials - t0);
    nercc::RowMatrix<float> inputs(count * rows_per_trial, test.cols());
    std::vector<std::vector<Index>> answered(static_cast<std::size_t>(count));
    // orders[t][i]: the batch order of coded scheme coded_schemes[i] in trial t.
    std::vector<std::vector<nercc::QueryOrder>> orders(static_cast<std::size_t>(count),
                                                       std::vector<nercc::QueryOrder>(coded_schemes.size()));
    std::vector<std::vector<double>> cumdist_points(static_cast<std::size_t>(count));
    for (Index t = 0; t < count; ++t) {
      const auto batch = sample_indices(rng, test.rows(), k);
      auto block = inputs.middleRows(t * rows_per_trial, rows_per_trial);
      for (Index q = 0; q < k; ++q) block.row(q) = test.row(batch[std::size_t(q)]);
      for (std::size_t i = 0; i < coded_schemes.size(); ++i) {
        const int c = coded_schemes[i];
        auto out = block.middleRows(k + Index(i) * n, n);
        nercc::QueryOrder& order = orders[std::size_t(t)][i];
        const auto start = Clock::now();
        if (c == nercc_two_opt_cumdist) {
          order = nercc::order_queries(block.topRows(k), OrderingMethod::greedy_two_opt);
          nercc::RowMatrix<float> ordered(k, test.cols());
          for (Index q = 0; q < k; ++q) ordered.row(q) = block.row(order[std::size_t(q)]);
          nercc::CodeParams p = tuned[nercc_two_opt_cumdist].code;
          p.ordering = OrderingMethod::as_given;
          p.query_points = chain_distance_points(ordered);
          p.decoder_cache_capacity = 0;
          out = nercc::Encoder<nercc::SplineScheme, float>(p).encode(ordered);
          cumdist_points[std::size_t(t)] = p.query_points;
        } else {
          codes[std::size_t(c)]->encode_into(block.topRows(k), out, order);
        }
        encode_seconds[c] += seconds_since(start);
      }
      answered[std::size_t(t)] = sample_indices(rng, n, n - s);
    }
    const nercc::RowMatrix<float> outputs = clf.logits(inputs, threads);
    for (Index t = 0; t < count; ++t) {
      const auto block = outputs.middleRows(t * rows_per_trial, rows_per_trial);
      const nercc::RowMatrix<float> truth = block.topRows(k);
      const auto& ids = answered[std::size_t(t)];
      nercc::RowMatrix<float> got(Index(ids.size()), truth.cols());
      for (std::size_t i = 0; i < coded_schemes.size(); ++i) {
        const int c = coded_schemes[i];
        const nercc::QueryOrder& order = orders[std::size_t(t)][i];
        for (std::size_t j = 0; j < ids.size(); ++j) got.row(Index(j)) = block.row(k + Index(i) * n + ids[j]);
        if (c == nercc_two_opt_cumdist) {
          nercc::CodeParams p = tuned[nercc_two_opt_cumdist].code;
          p.ordering = OrderingMethod::as_given;
          p.query_points = cumdist_points[std::size_t(t)];
          p.decoder_cache_capacity = 0;
          const auto r = nercc::Decoder<nercc::SplineScheme, float>(p).decode(ids, got);
          nercc::RowMatrix<float> values(k, truth.cols());
          for (Index q = 0; q < k; ++q) values.row(order[std::size_t(q)]) = r.values.row(q);
          metrics[c].add(values, r.available, truth);
        } else {
          const auto r = codes[std::size_t(c)]->decode(ids, got, order);
          metrics[c].add(r.values, r.available, truth);
        }
      }
      // Replicas and uncoded workers return f(x) itself: the model is deterministic.
      const nercc::QueryOrder identity = nercc::detail::identity_permutation(k);
      for (std::size_t j = 0; j < ids.size(); ++j) got.row(Index(j)) = truth.row(replicated.query_of_worker(ids[j]));
      const auto rep = replicated.decode(ids, got, identity);
      metrics[replication].add(rep.values, rep.available, truth);
      std::vector<Index> own;
      for (Index w : ids)
        if (w < k) own.push_back(w);
      nercc::RowMatrix<float> own_out(Index(own.size()), truth.cols());
      for (std::size_t j = 0; j < own.size(); ++j) own_out.row(Index(j)) = truth.row(own[j]);
      const auto unc = uncoded_code.decode(own, own_out, identity);
      metrics[uncoded].add(unc.values, unc.available, truth);
    }
  }

  std::vector<Row> rows;
  for (int c = 0; c < scheme_count; ++c) {
    if (!active(o, c)) continue;
    Row r;
    r.model = nercc_examples::to_string(model);
    r.n = n;
    r.k = k;
    r.s = s;
    r.scheme = Scheme(c);
    if (c < coded_count && c != nercc_zero && c != berrut && c != berrut_two_opt && c != berrut_two_opt_clustered)
      r.lambda_enc = tuned[std::size_t(c)].code.lambda_enc, r.lambda_dec = tuned[std::size_t(c)].code.lambda_dec;
    if (c == nercc_zero) r.lambda_enc = 0.0, r.lambda_dec = 0.0;
    if (c < coded_count && tuned[std::size_t(c)].worker_spread > 0) r.worker_spread = tuned[std::size_t(c)].worker_spread;
    if (c < coded_count) r.encode_us = 1e6 * encode_seconds[c] / double(o.trials);
    r.trials = o.trials;
    r.mse = summarise(metrics[c].mse);
    r.relacc = summarise(metrics[c].relacc);
    r.available = summarise(metrics[c].available).mean;
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
    f << r.model << ',' << r.n << ',' << r.k << ',' << r.s << ',' << scheme_names[r.scheme] << ','
      << num(r.lambda_enc) << ',' << num(r.lambda_dec) << ',' << r.trials << ',' << num(r.mse.mean, 6) << ','
      << num(r.mse.ci95) << ',' << num(r.mse.min) << ',' << num(r.mse.max) << ',' << r.mse.count << ','
      << num(r.relacc.mean, 6) << ',' << num(r.relacc.ci95) << ',' << num(r.relacc.min) << ','
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
    const auto name = std::find(std::begin(scheme_names), std::end(scheme_names), v[4]);
    if (name == std::end(scheme_names)) throw std::runtime_error(file.string() + ": unknown scheme " + v[4]);
    r.scheme = Scheme(name - std::begin(scheme_names));
    r.lambda_enc = real(v[5]), r.lambda_dec = real(v[6]);
    r.trials = integer(v[7]);
    r.mse = Stat{real(v[8]), real(v[9]), real(v[10]), real(v[11]), integer(v[12])};
    r.relacc = Stat{real(v[13]), real(v[14]), real(v[15]), real(v[16]), r.trials};
    r.available = real(v[17]);
    r.encode_us = real(v[18]);
    r.worker_spread = real(v[19]);
    rows.push_back(r);
  }
  return rows;
}

using Group = std::map<Index, std::vector<const Row*>>;  // S -> rows by scheme

// Rows of one (model, shape), keyed by S.
Group group_of(const std::vector<Row>& rows, const std::string& model, Shape shape) {
  Group g;
  for (const Row& r : rows)
    if (r.model == model && r.n == shape.n && r.k == shape.k) {
      auto& v = g[r.s];
      v.resize(scheme_count, nullptr);
      v[std::size_t(r.scheme)] = &r;
    }
  return g;
}

std::string plot_stem(const std::string& model, Shape shape) {
  return model + "_N" + std::to_string(shape.n) + "_K" + std::to_string(shape.k);
}

// Per S: MSE / RelAcc of every coded scheme, the best ordered NeRCC's MSE over Berrut's, and the
// mean encode time per batch (ordering included) under the table.
void write_ordering_table(std::ofstream& f, const Group& g) {
  f << "\nQuery ordering and point placement (each cell: MSE / RelAcc; best ratio: the lowest MSE of the "
       "NeRCC ordering and placement variants over Berrut's MSE; clustered worker points: "
       "nercc::clustered_worker_points with the spread tuned on training images):\n\n| S |";
  for (int c = 0; c < coded_count; ++c)
    if (c != nercc_zero) f << ' ' << scheme_titles[c] << " |";
  f << " best ratio |\n|---|";
  for (int c = 1; c < coded_count; ++c) f << "---|";
  f << "---|\n";
  std::vector<double> encode_us(static_cast<std::size_t>(coded_count), 0.0);
  for (const auto& [s, v] : g) {
    f << "| " << s << " |";
    double best = std::numeric_limits<double>::infinity();
    for (int c = 0; c < coded_count; ++c) {
      if (c == nercc_zero) continue;
      const Row& r = *v[std::size_t(c)];
      f << ' ' << num(r.mse.mean) << " / " << num(r.relacc.mean);
      if (!std::isnan(r.worker_spread)) f << " (spread " << num(r.worker_spread, 2) << ")";
      f << " |";
      if (c >= first_variant && c != berrut_two_opt && c != berrut_two_opt_clustered) best = std::min(best, r.mse.mean);
      encode_us[std::size_t(c)] += r.encode_us / double(g.size());
    }
    f << ' ' << num(best / v[berrut]->mse.mean, 3) << " |\n";
  }
  f << "\nEncode time per batch (microseconds, mean over S; ordering included, wall time of one thread):";
  for (int c = 0; c < coded_count; ++c)
    if (c != nercc_zero) f << (c ? "; " : " ") << scheme_titles[c] << " " << num(encode_us[std::size_t(c)], 3);
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
        const Row &t = *v[nercc_tuned], &z = *v[nercc_zero], &b = *v[berrut];
        f << "| " << s << " | " << num(t.mse.mean) << " ± " << num(t.mse.ci95, 2) << " | " << num(t.relacc.mean)
          << " | " << num(t.lambda_enc, 3) << " | " << num(t.lambda_dec, 3) << " | " << num(z.mse.mean) << " ± "
          << num(z.mse.ci95, 2) << " | " << num(z.relacc.mean) << " | " << num(b.mse.mean) << " ± "
          << num(b.mse.ci95, 2) << " | " << num(b.relacc.mean) << " | " << num(t.mse.mean / b.mse.mean, 3) << " | "
          << num(v[replication]->relacc.mean) << " | " << num(v[uncoded]->relacc.mean) << " |\n";
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
      std::vector<int> shown;
      for (int c = 0; c < scheme_count; ++c)
        if (active(o, c)) shown.push_back(c);
      dat << "# S, then per scheme (";
      for (std::size_t i = 0; i < shown.size(); ++i) dat << (i ? " " : "") << scheme_names[shown[i]];
      dat << "): mse_mean mse_ci95 relacc_mean relacc_ci95\n";
      for (const auto& [s, v] : g) {
        dat << s;
        for (int c : shown) {
          const Row& r = *v[std::size_t(c)];
          auto cell = [](double x) { return std::isnan(x) ? std::string("?") : num(x, 8); };
          dat << ' ' << cell(r.mse.mean) << ' ' << cell(r.mse.ci95) << ' ' << cell(r.relacc.mean) << ' '
              << cell(r.relacc.ci95);
        }
        dat << '\n';
      }
      const std::string title = name + ", N = " + std::to_string(shape.n) + ", K = " + std::to_string(shape.k);
      const std::string src = "'plot_data/" + stem + ".dat'";
      gp << "\nset output '" << stem << "_mse.png'\nset logscale y\nset ylabel 'MSE vs uncoded logits'\n"
         << "set title '" << title << ": MSE (replication, uncoded: exact, not shown)'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        if (shown[i] < coded_count)
          gp << (i ? ", " : "") << src << " using 1:" << 2 + 4 * i << ":" << 3 + 4 * i << " with yerrorlines title '"
             << scheme_titles[shown[i]] << "'";
      gp << "\nunset logscale y\nset output '" << stem << "_relacc.png'\nset ylabel 'RelAcc (argmax agreement)'\n"
         << "set title '" << title << ": RelAcc'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        gp << (i ? ", " : "") << src << " using 1:" << 4 + 4 * i << ":" << 5 + 4 * i << " with yerrorlines title '"
           << scheme_titles[shown[i]] << "'";
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

// For every model and shape, scheme `better`'s MSE averaged over the S evaluated must be below
// scheme `worse`'s (one S alone is noisy with the few trials of the smoke configuration).
// For every model and shape, scheme `better`'s metric averaged over the S evaluated must beat
// scheme `worse`'s: a lower MSE, or (rel_acc) a RelAcc at least as high. One S alone is noisy with
// the few trials of the smoke configuration.
bool averaged_better(const Options& o, const std::vector<Row>& rows, Scheme better, Scheme worse, bool rel_acc) {
  const char* const metric = rel_acc ? "RelAcc" : "MSE";
  bool ok = true;
  for (const auto model : o.models)
    for (const Shape shape : o.shapes) {
      double better_mean = 0, worse_mean = 0;
      const Group g = group_of(rows, nercc_examples::to_string(model), shape);
      for (const auto& [s, v] : g) {
        better_mean += (rel_acc ? v[better]->relacc.mean : v[better]->mse.mean) / double(g.size());
        worse_mean += (rel_acc ? v[worse]->relacc.mean : v[worse]->mse.mean) / double(g.size());
      }
      std::printf("%s N=%lld K=%lld: mean %s over S: %s %g, %s %g\n", nercc_examples::to_string(model).c_str(),
                  static_cast<long long>(shape.n), static_cast<long long>(shape.k), metric, scheme_names[better],
                  better_mean, scheme_names[worse], worse_mean);
      if (!(rel_acc ? better_mean >= worse_mean : better_mean < worse_mean)) ok = false;
    }
  if (!ok)
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s's %s is not %s %s's\n", scheme_names[better], metric,
                 rel_acc ? "at least" : "below", scheme_names[worse]);
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
      std::set<std::tuple<std::string, Index, Index, Index, int>> seen;
      for (const Row& r : rows) seen.emplace(r.model, r.n, r.k, r.s, int(r.scheme));
      for (const std::string& file : o.merge)
        for (const Row& r : read_csv(file)) {
          if (!seen.emplace(r.model, r.n, r.k, r.s, int(r.scheme)).second)
            throw std::runtime_error("--merge " + file + " repeats " + r.model + " N=" + std::to_string(r.n) +
                                     " K=" + std::to_string(r.k) + " S=" + std::to_string(r.s) + " " +
                                     scheme_names[r.scheme]);
          if (r.trials != o.trials) throw std::runtime_error("--merge " + file + " has another trial count");
          rows.push_back(r);
        }
      // The order of a single run: model, shape as given, S, scheme.
      auto rank = [&](const Row& r) {
        Index m = 0, sh = 0;
        while (m < Index(o.models.size()) && nercc_examples::to_string(o.models[std::size_t(m)]) != r.model) ++m;
        while (sh < Index(o.shapes.size()) && (o.shapes[std::size_t(sh)].n != r.n || o.shapes[std::size_t(sh)].k != r.k)) ++sh;
        return std::make_tuple(m, sh, r.s, int(r.scheme));
      };
      std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
    }
    write_csv(out / "results.csv", rows);
    write_markdown(out / "results.md", o, rows, notes);
    if (o.plots) write_plots(out, o, rows);
    std::printf("wrote %s, %s%s\n", (out / "results.csv").string().c_str(), (out / "results.md").string().c_str(),
                o.plots ? " and PNG plots" : "");
    bool ok = true;
    if (o.require_nercc_below_berrut) ok = averaged_better(o, rows, nercc_tuned, berrut, false) && ok;
    if (o.require_ordering_helps) ok = averaged_better(o, rows, nercc_two_opt, nercc_tuned, false) && ok;
    if (o.require_clustering_helps)
      ok = averaged_better(o, rows, nercc_two_opt_clustered, nercc_two_opt, true) && ok;
    if (!ok) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s\n", e.what());
    return 2;
  }
  return 0;
}
