// Command line of nercc_fashion_mnist_experiment: the usage text, Options and parse().
#pragma once

#include "../common/cli.hpp"
#include "models.hpp"
#include "variants.hpp"

#include <nercc/index.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nercc_examples {

inline const char* const usage = R"(usage: nercc_fashion_mnist_experiment [options]
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

struct Options {
  std::string out = "docs/results/fashion_mnist";
  std::vector<FmnistModel> models{FmnistModel::lenet5, FmnistModel::resnet};
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

inline Options parse(int argc, char** argv) {
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
      for (const auto& m : split_list(value(), ',')) o.models.push_back(parse_fmnist_model(m));
      models_set = true;
    } else if (flag == "--shapes") {
      o.shapes.clear();
      for (const auto& s : split_list(value(), ',')) {
        const auto nk = split_list(s, 'x');
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
      for (const auto& v : split_list(value(), ',')) {
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
    if (!models_set) o.models = {FmnistModel::lenet5};
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

inline bool active(const Options& o, const Variant& v) { return o.orderings || v.role != Role::variant; }

}  // namespace nercc_examples
