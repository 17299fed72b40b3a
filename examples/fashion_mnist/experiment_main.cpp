// nercc_fashion_mnist_experiment: how well each scheme recovers a real model's predictions on
// Fashion-MNIST as stragglers grow. Writes results.csv, results.md and PNG plots (gnuplot).
// Exit code 0 on success, 1 when --require-nercc-below-berrut fails, 2 on bad usage or errors.
//
// The configurations compared are the table in variants.hpp; the command line is in
// experiment_options.hpp and the outputs in experiment_report.hpp.
#include "experiment_options.hpp"
#include "experiment_report.hpp"
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
#include <exception>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace nercc_examples;
using nercc::Index;
namespace fs = std::filesystem;

// One seed per (model, shape, S, purpose), so a configuration's numbers do not depend on which
// other configurations run.
std::uint64_t derive_seed(std::uint64_t seed, FmnistModel model, Shape shape, Index s, int purpose) {
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
std::vector<Row> run_point(const Options& o, const Classifier& clf, FmnistModel model,
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
    r.model = to_string(model);
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
    const std::string data_dir = fashion_mnist_dir(o.data_dir);
    // Tuning sees training images only; the trials draw test images.
    const auto train_split = load_fashion_mnist(data_dir, "train", o.smoke ? 2000 : 0);
    const auto test_split = load_fashion_mnist(data_dir, "t10k", o.smoke ? 1000 : 0);
    const auto train = images_matrix(train_split);
    const auto test = images_matrix(test_split);
    const fs::path out(o.out);
    fs::create_directories(out);

    std::vector<Row> rows;
    std::map<std::string, std::string> notes;
    Index units = 0;
    for (const Shape shape : o.shapes)
      if (o.s_offset <= shape.n / 2) units += (shape.n / 2 - o.s_offset) / o.s_step + 1;
    for (const auto model : o.models) {
      TrainOptions train_options;
      train_options.data_dir = o.data_dir;
      train_options.cache_dir = o.cache_dir;
      train_options.threads = o.threads;
      train_options.progress = o.progress;
      const auto config = o.smoke ? TrainConfig::smoke(model) : TrainConfig::defaults(model);
      const auto trained = train_or_load(config, train_options);
      const double accuracy = test_accuracy(trained.classifier, test_split, o.threads, o.progress);
      notes[to_string(model)] = config.cache_key() + ", test accuracy " + num(accuracy, 4) + " on " +
                                std::to_string(test_split.count) + " images";

      ProgressBar bar("experiment " + to_string(model), units, o.progress);
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
        while (m < Index(o.models.size()) && to_string(o.models[std::size_t(m)]) != r.model) ++m;
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
