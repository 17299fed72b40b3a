// The Fashion-MNIST model library: configuration checks, cache keys and the inference API
// (Eigen and raw-pointer paths agree, strided input, thread counts, concurrent callers).
#include "models.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

using nercc_examples::Classifier;
using nercc_examples::FloatRowMatrix;
using nercc_examples::FmnistModel;
using nercc_examples::TrainConfig;

namespace {

// One quickly trained classifier shared by the inference cases (training takes ~1 s).
const Classifier& small_lenet() {
  static const Classifier classifier = [] {
    TrainConfig config = TrainConfig::smoke(FmnistModel::lenet5);
    config.epochs = 1;
    nercc_examples::TrainOptions options;
    options.use_cache = false;
    options.progress = false;
    options.threads = 1;
    return nercc_examples::train_or_load(config, options).classifier;
  }();
  return classifier;
}

FloatRowMatrix test_images(Eigen::Index rows) {
  const auto data = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(), "t10k", rows);
  return Eigen::Map<const FloatRowMatrix>(data.images.data(), rows, 784);
}

}  // namespace

TEST_CASE("model names round-trip and unknown names are rejected") {
  for (auto m : {FmnistModel::lenet5, FmnistModel::resnet})
    CHECK(nercc_examples::parse_fmnist_model(nercc_examples::to_string(m)) == m);
  CHECK_THROWS_AS(nercc_examples::parse_fmnist_model("vgg"), std::invalid_argument);
}

TEST_CASE("TrainConfig::validate names the bad field") {
  TrainConfig c = TrainConfig::defaults(FmnistModel::lenet5);
  CHECK_NOTHROW(c.validate());
  c.batch_size = 0;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("batch_size (0)"));
  c = TrainConfig::defaults(FmnistModel::resnet);
  c.learning_rate = -1;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("learning_rate"));
}

TEST_CASE("every training field changes the cache key") {
  const TrainConfig base = TrainConfig::defaults(FmnistModel::lenet5);
  std::vector<TrainConfig> variants(7, base);
  variants[0].model = FmnistModel::resnet;
  variants[1].epochs += 1;
  variants[2].batch_size += 1;
  variants[3].learning_rate *= 2;
  variants[4].weight_decay *= 2;
  variants[5].seed += 1;
  variants[6].train_limit = 100;
  for (const auto& v : variants) CHECK(v.cache_key() != base.cache_key());
  CHECK(base.cache_key().find('/') == std::string::npos);
}

TEST_CASE("the cache directory honours NERCC_CACHE_DIR") {
  const char* old = std::getenv("NERCC_CACHE_DIR");
  const std::string saved = old ? old : "";
  setenv("NERCC_CACHE_DIR", "/tmp/nercc-test-cache", 1);
  CHECK(nercc_examples::default_cache_dir() == "/tmp/nercc-test-cache");
  if (old) setenv("NERCC_CACHE_DIR", saved.c_str(), 1);
  else unsetenv("NERCC_CACHE_DIR");
}

TEST_CASE("logits: Eigen and pointer paths agree, strided and empty inputs work") {
  const Classifier& clf = small_lenet();
  const FloatRowMatrix x = test_images(64);
  const FloatRowMatrix y = clf.logits(x);
  REQUIRE(y.rows() == 64);
  REQUIRE(y.cols() == 10);
  REQUIRE(y.allFinite());

  FloatRowMatrix z(64, 10);
  clf.logits_into(x.data(), 64, z.data());
  CHECK(z == y);

  // Rows are independent: a sub-batch gives the same rows (up to batched-kernel rounding).
  CHECK(clf.logits(x.middleRows(10, 5)).isApprox(y.middleRows(10, 5), 1e-5f));

  FloatRowMatrix wide = FloatRowMatrix::Zero(8, 800);
  wide.leftCols(784) = x.topRows(8);
  CHECK(clf.logits(wide.leftCols(784)).isApprox(y.topRows(8), 1e-5f));

  CHECK(clf.logits(FloatRowMatrix(0, 784)).rows() == 0);
  CHECK_THROWS_AS(clf.logits(FloatRowMatrix(3, 783)), std::invalid_argument);
}

TEST_CASE("logits: thread counts and concurrent callers give the same answers") {
  const Classifier& clf = small_lenet();
  const FloatRowMatrix x = test_images(128);
  const FloatRowMatrix reference = clf.logits(x, 1);
  CHECK(clf.logits(x, 2).isApprox(reference, 1e-5f));

  std::vector<FloatRowMatrix> results(4);
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < results.size(); ++i)
    workers.emplace_back([&, i] { results[i] = clf.logits(x, 1); });
  for (auto& w : workers) w.join();
  for (const auto& r : results) CHECK(r.isApprox(reference, 1e-5f));
}

TEST_CASE("a briefly trained LeNet5 beats chance clearly") {
  const auto test = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(), "t10k", 1000);
  CHECK(nercc_examples::test_accuracy(small_lenet(), test, 1, false) > 0.4);
}
