// nercc_fashion_mnist_train: trains a Fashion-MNIST classifier (or loads it from the weight
// cache) and prints its test accuracy. Exit code 0 on success, 1 when the accuracy is below
// --min-accuracy, 2 on bad usage or missing data.
#include "../common/cli.hpp"
#include "models.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

const char* const usage = R"(usage: nercc_fashion_mnist_train [options]
  --model lenet5|resnet   network to train (default lenet5)
  --epochs N              training epochs (default: 5 for lenet5, 3 for resnet)
  --seed N                seed of initialisation and shuffling (default 1)
  --smoke                 tiny configuration: 2000 training and 1000 test images
  --cache-dir DIR         weight cache (default $NERCC_CACHE_DIR, $XDG_CACHE_HOME/nercc
                          or $HOME/.cache/nercc)
  --no-cache              neither read nor write the weight cache
  --retrain               train even if the cache holds the weights, then overwrite them
  --data-dir DIR          Fashion-MNIST idx files (default $NERCC_FASHION_MNIST_DIR or
                          /usr/share/datasets/fashion-mnist)
  --threads N             intra-op threads for training and evaluation (default: all cores)
  --min-accuracy X        exit with code 1 if the test accuracy is below X
  --quiet                 no progress bars
)";

struct Args {
  nercc_examples::TrainConfig config;
  nercc_examples::TrainOptions options;
  std::int64_t test_limit = 0;
  double min_accuracy = 0;
};

using nercc_examples::parse_integer;
using nercc_examples::parse_real;

Args parse(int argc, char** argv) {
  // Model and --smoke choose the base configuration; explicit --epochs/--seed override it.
  std::string model = "lenet5";
  bool smoke = false;
  long long epochs = 0, seed = -1;
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " expects a value");
      return argv[++i];
    };
    if (flag == "--model") model = value();
    else if (flag == "--epochs") epochs = parse_integer(flag, value());
    else if (flag == "--seed") seed = parse_integer(flag, value());
    else if (flag == "--smoke") smoke = true;
    else if (flag == "--cache-dir") a.options.cache_dir = value();
    else if (flag == "--no-cache") a.options.use_cache = false;
    else if (flag == "--retrain") a.options.force_retrain = true;
    else if (flag == "--data-dir") a.options.data_dir = value();
    else if (flag == "--threads") a.options.threads = int(parse_integer(flag, value()));
    else if (flag == "--min-accuracy") a.min_accuracy = parse_real(flag, value());
    else if (flag == "--quiet") a.options.progress = false;
    else if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  const auto kind = nercc_examples::parse_fmnist_model(model);
  a.config = smoke ? nercc_examples::TrainConfig::smoke(kind) : nercc_examples::TrainConfig::defaults(kind);
  if (epochs != 0) a.config.epochs = int(epochs);
  if (seed >= 0) a.config.seed = std::uint64_t(seed);
  if (a.options.threads < 0) throw std::invalid_argument("--threads must be >= 0");
  a.test_limit = smoke ? 1000 : 0;
  a.config.validate();
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_train: %s\n%s", e.what(), usage);
    return 2;
  }
  try {
    const auto result = nercc_examples::train_or_load(args.config, args.options);
    const auto test = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(args.options.data_dir),
                                                         "t10k", args.test_limit);
    const double accuracy =
        nercc_examples::test_accuracy(result.classifier, test, args.options.threads, args.options.progress);
    std::printf("model %s\nconfig %s\nsource %s\n", nercc_examples::to_string(args.config.model).c_str(),
                args.config.cache_key().c_str(), result.from_cache ? "cache" : "trained");
    if (!result.from_cache) std::printf("train_seconds %.1f\n", result.train_seconds);
    if (!result.cache_file.empty()) std::printf("cache_file %s\n", result.cache_file.c_str());
    std::printf("test_accuracy %.4f (%lld images)\n", accuracy, static_cast<long long>(test.count));
    if (accuracy < args.min_accuracy) {
      std::fprintf(stderr, "nercc_fashion_mnist_train: test accuracy %.4f is below --min-accuracy %.4f\n", accuracy,
                   args.min_accuracy);
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nercc_fashion_mnist_train: %s\n", e.what());
    return 2;
  }
  return 0;
}
