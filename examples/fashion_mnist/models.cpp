// The only translation unit that includes LibTorch (each one costs about a minute to compile).
#include "models.hpp"

#include "progress.hpp"

#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace nercc_examples {

namespace {

// Bump when an architecture changes, so old cache files no longer match.
constexpr int architecture_version = 1;

// Fashion-MNIST training-set pixel mean and standard deviation.
constexpr double pixel_mean = 0.2860, pixel_std = 0.3530;
constexpr double pi = 3.14159265358979323846;

torch::Tensor normalise(const torch::Tensor& x) { return (x - pixel_mean) / pixel_std; }

struct LeNet5Impl : torch::nn::Module {
  LeNet5Impl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 6, 5).padding(2)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)))),
        fc1(register_module("fc1", torch::nn::Linear(16 * 5 * 5, 120))),
        fc2(register_module("fc2", torch::nn::Linear(120, 84))),
        fc3(register_module("fc3", torch::nn::Linear(84, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(normalise(x))), 2);  // 6x14x14
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);             // 16x5x5
    x = torch::relu(fc1(x.flatten(1)));
    x = torch::relu(fc2(x));
    return fc3(x);
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(LeNet5);

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1(register_module("conv1", conv3x3(in, out, stride))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2(register_module("conv2", conv3x3(out, out, 1))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      shortcut = register_module(
          "shortcut", torch::nn::Sequential(
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                          torch::nn::BatchNorm2d(out)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (shortcut ? shortcut->forward(x) : x));
  }

  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNet8Impl : torch::nn::Module {
  ResNet8Impl()
      : stem(register_module("stem", conv3x3(1, 16, 1))),
        stem_bn(register_module("stem_bn", torch::nn::BatchNorm2d(16))),
        block1(register_module("block1", BasicBlock(16, 16, 1))),   // 28x28
        block2(register_module("block2", BasicBlock(16, 32, 2))),   // 14x14
        block3(register_module("block3", BasicBlock(32, 64, 2))),   // 7x7
        fc(register_module("fc", torch::nn::Linear(64, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(stem_bn(stem(normalise(x))));
    x = block3(block2(block1(x)));
    return fc(x.mean({2, 3}));
  }

  torch::nn::Conv2d stem;
  torch::nn::BatchNorm2d stem_bn;
  BasicBlock block1, block2, block3;
  torch::nn::Linear fc;
};
TORCH_MODULE(ResNet8);

// Type-erased network: both architectures behind one forward().
struct Network {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

Network make_network(FmnistModel model) {
  if (model == FmnistModel::lenet5) {
    LeNet5 net;
    return {net.ptr(), [net](const torch::Tensor& x) mutable { return net->forward(x); }};
  }
  ResNet8 net;
  return {net.ptr(), [net](const torch::Tensor& x) mutable { return net->forward(x); }};
}

// Sets the calling thread's intra-op thread count; a no-op when it already matches, which is
// the common case on a serving worker.
void use_threads(int threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

struct Classifier::Impl {
  FmnistModel model;
  Network net;
};

struct ClassifierAccess {
  static Classifier make(FmnistModel model, Network net) {
    return Classifier(std::make_shared<const Classifier::Impl>(Classifier::Impl{model, std::move(net)}));
  }
};

std::string to_string(FmnistModel model) { return model == FmnistModel::lenet5 ? "lenet5" : "resnet"; }

FmnistModel parse_fmnist_model(const std::string& name) {
  if (name == "lenet5") return FmnistModel::lenet5;
  if (name == "resnet") return FmnistModel::resnet;
  throw std::invalid_argument("model \"" + name + "\" is not one of lenet5, resnet");
}

TrainConfig TrainConfig::defaults(FmnistModel model) {
  TrainConfig c;
  c.model = model;
  if (model == FmnistModel::resnet) {
    c.epochs = 3;
    c.batch_size = 128;
    c.learning_rate = 3e-3;
    c.weight_decay = 5e-4;
  }
  return c;
}

TrainConfig TrainConfig::smoke(FmnistModel model) {
  TrainConfig c = defaults(model);
  c.train_limit = 2000;
  c.epochs = model == FmnistModel::lenet5 ? 3 : 1;
  c.batch_size = 32;
  return c;
}

void TrainConfig::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("TrainConfig: " + what); };
  if (epochs < 1) fail("epochs (" + std::to_string(epochs) + ") must be >= 1");
  if (batch_size < 1) fail("batch_size (" + std::to_string(batch_size) + ") must be >= 1");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    fail("learning_rate (" + format_number(learning_rate) + ") must be positive and finite");
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    fail("weight_decay (" + format_number(weight_decay) + ") must be >= 0 and finite");
  if (train_limit < 0) fail("train_limit (" + std::to_string(train_limit) + ") must be >= 0");
}

std::string TrainConfig::cache_key() const {
  std::ostringstream key;
  key << "fmnist-" << to_string(model) << "-a" << architecture_version << "-e" << epochs << "-b" << batch_size
      << "-lr" << format_number(learning_rate) << "-wd" << format_number(weight_decay) << "-s" << seed << "-n"
      << (train_limit > 0 ? std::to_string(train_limit) : std::string("all"));
  return key.str();
}

std::string default_cache_dir() {
  if (auto dir = env_or_empty("NERCC_CACHE_DIR"); !dir.empty()) return dir;
  if (auto dir = env_or_empty("XDG_CACHE_HOME"); !dir.empty()) return dir + "/nercc";
  if (auto dir = env_or_empty("HOME"); !dir.empty()) return dir + "/.cache/nercc";
  throw std::runtime_error("no cache directory: set NERCC_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
}

Classifier::Classifier(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

FmnistModel Classifier::model() const { return impl_->model; }

void Classifier::logits_into(const float* images, Eigen::Index rows, float* out, int threads) const {
  if (rows < 0) throw std::invalid_argument("logits_into: rows (" + std::to_string(rows) + ") must be >= 0");
  if (rows == 0) return;
  use_threads(threads);
  torch::NoGradGuard no_grad;
  // from_blob does not copy; the module never writes to its input.
  const auto x = torch::from_blob(const_cast<float*>(images), {rows, 1, 28, 28}, torch::kFloat32);
  const auto y = impl_->net.forward(x).contiguous();
  std::memcpy(out, y.data_ptr<float>(), std::size_t(rows * num_classes) * sizeof(float));
}

FloatRowMatrix Classifier::logits(const Eigen::Ref<const FloatRowMatrix>& images, int threads) const {
  if (images.cols() != input_dim)
    throw std::invalid_argument("logits: images has " + std::to_string(images.cols()) + " columns, expected 784");
  FloatRowMatrix out(images.rows(), num_classes);
  if (images.outerStride() == input_dim) {
    logits_into(images.data(), images.rows(), out.data(), threads);
  } else {
    const FloatRowMatrix packed = images;
    logits_into(packed.data(), packed.rows(), out.data(), threads);
  }
  return out;
}

double test_accuracy(const Classifier& classifier, const FashionMnistSplit& data, int threads, bool progress) {
  constexpr std::int64_t batch = 500;
  std::int64_t correct = 0;
  std::vector<float> logits(std::size_t(batch * Classifier::num_classes));
  ProgressBar bar("eval  " + to_string(classifier.model()), data.count, progress);
  for (std::int64_t begin = 0; begin < data.count; begin += batch) {
    const std::int64_t rows = std::min(batch, data.count - begin);
    classifier.logits_into(data.images.data() + begin * Classifier::input_dim, rows, logits.data(), threads);
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = logits.data() + r * Classifier::num_classes;
      const auto best = std::max_element(row, row + Classifier::num_classes) - row;
      correct += best == data.labels[std::size_t(begin + r)];
    }
    const auto done = begin + rows;
    std::ostringstream status;
    status << "acc " << std::fixed << std::setprecision(4) << double(correct) / double(done);
    bar.update(done, status.str());
  }
  bar.finish();
  return data.count > 0 ? double(correct) / double(data.count) : 0.0;
}

namespace {

constexpr const char* key_field = "nercc_cache_key";
constexpr const char* weights_field = "weights";

void train(Network& net, const TrainConfig& config, const FashionMnistSplit& data, bool progress) {
  auto params = net.module->parameters();
  torch::optim::AdamW optimizer(params,
                                torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  const auto images = torch::from_blob(const_cast<float*>(data.images.data()), {data.count, 1, 28, 28}, torch::kFloat32);
  const auto labels = torch::from_blob(const_cast<std::uint8_t*>(data.labels.data()), {data.count}, torch::kUInt8)
                          .to(torch::kInt64);
  const std::int64_t batches_per_epoch = (data.count + config.batch_size - 1) / config.batch_size;
  const std::int64_t total_steps = batches_per_epoch * config.epochs;

  // Own Fisher-Yates on mt19937_64: std::shuffle's output differs between standard libraries.
  std::mt19937_64 rng(config.seed);
  std::vector<std::int64_t> order(std::size_t(data.count));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::int64_t(i);

  net.module->train();
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    const auto perm = torch::from_blob(order.data(), {data.count}, torch::kInt64);
    ProgressBar bar("train " + to_string(config.model) + " epoch " + std::to_string(epoch) + "/" +
                        std::to_string(config.epochs),
                    batches_per_epoch, progress);
    double loss_sum = 0;
    std::int64_t seen = 0, correct = 0;
    for (std::int64_t b = 0; b < batches_per_epoch; ++b, ++step) {
      const double lr = 0.5 * config.learning_rate * (1.0 + std::cos(pi * double(step) / double(total_steps)));
      for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      const auto idx = perm.slice(0, b * config.batch_size, std::min((b + 1) * config.batch_size, data.count));
      const auto x = images.index_select(0, idx);
      const auto y = labels.index_select(0, idx);
      optimizer.zero_grad();
      const auto out = net.forward(x);
      const auto loss = torch::nn::functional::cross_entropy(out, y);
      loss.backward();
      optimizer.step();

      const auto n = idx.size(0);
      loss_sum += loss.item<double>() * double(n);
      correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
      seen += n;
      std::ostringstream status;
      status << "loss " << std::fixed << std::setprecision(4) << loss_sum / double(seen) << " acc "
             << double(correct) / double(seen);
      bar.update(b + 1, status.str());
    }
    bar.finish();
  }
  net.module->eval();
}

// Loads weights saved under config's key into net; returns why not on failure.
std::string try_load(Network& net, const std::string& path, const std::string& key) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue stored_key;
    if (!archive.try_read(key_field, stored_key) || !stored_key.isString())
      return "has no cache key";
    if (stored_key.toStringRef() != key) return "was written for " + stored_key.toStringRef();
    torch::serialize::InputArchive weights;
    archive.read(weights_field, weights);
    // Module::load replaces tensors without checking shapes, so check them here.
    std::vector<std::vector<std::int64_t>> shapes;
    for (const auto& t : net.module->parameters()) shapes.push_back(t.sizes().vec());
    for (const auto& t : net.module->buffers()) shapes.push_back(t.sizes().vec());
    net.module->load(weights);
    std::size_t i = 0;
    for (const auto& t : net.module->parameters())
      if (t.sizes().vec() != shapes[i++]) return "holds tensors of the wrong shape";
    for (const auto& t : net.module->buffers())
      if (t.sizes().vec() != shapes[i++]) return "holds tensors of the wrong shape";
    return {};
  } catch (const std::exception& e) {
    std::string what = e.what();
    // LibTorch appends a long C++ backtrace; its first line says what went wrong.
    return "is unreadable (" + what.substr(0, what.find('\n')) + ")";
  }
}

void save(const Network& net, const std::string& path, const std::string& key) {
  torch::serialize::OutputArchive archive, weights;
  net.module->save(weights);
  archive.write(key_field, c10::IValue(key));
  archive.write(weights_field, weights);
  // Write-then-rename: a concurrent reader never sees half a file.
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

}  // namespace

TrainResult train_or_load(const TrainConfig& config, const TrainOptions& options) {
  config.validate();
  const std::string key = config.cache_key();
  std::string cache_file;
  if (options.use_cache) {
    const std::string dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
    cache_file = dir + "/" + key + ".pt";
  }

  if (!cache_file.empty() && !options.force_retrain && std::filesystem::exists(cache_file)) {
    Network net = make_network(config.model);
    const std::string problem = try_load(net, cache_file, key);
    if (problem.empty()) {
      net.module->eval();
      return {ClassifierAccess::make(config.model, std::move(net)), true, 0.0, cache_file};
    }
    std::fprintf(stderr, "nercc: cache file %s %s; retraining\n", cache_file.c_str(), problem.c_str());
  }

  const auto data = load_fashion_mnist(fashion_mnist_dir(options.data_dir), "train", config.train_limit);
  use_threads(options.threads);
  torch::manual_seed(config.seed);
  Network net = make_network(config.model);
  const auto start = std::chrono::steady_clock::now();
  train(net, config, data, options.progress);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!cache_file.empty()) {
    std::filesystem::create_directories(std::filesystem::path(cache_file).parent_path());
    save(net, cache_file, key);
  }
  return {ClassifierAccess::make(config.model, std::move(net)), false, seconds, cache_file};
}

}  // namespace nercc_examples
