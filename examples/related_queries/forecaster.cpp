// The only translation unit of the related-query example that includes LibTorch.
#include "forecaster.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

void ForecasterConfig::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("ForecasterConfig: " + what); };
  if (hidden < 1) fail("hidden (" + std::to_string(hidden) + ") must be >= 1");
  if (epochs < 1) fail("epochs (" + std::to_string(epochs) + ") must be >= 1");
  if (batch_size < 1) fail("batch_size (" + std::to_string(batch_size) + ") must be >= 1");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    fail("learning_rate (" + std::to_string(learning_rate) + ") must be positive and finite");
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    fail("weight_decay (" + std::to_string(weight_decay) + ") must be >= 0 and finite");
}

namespace {

constexpr double pi = 3.14159265358979323846;

// Two ReLU layers plus a linear path from the inputs: the linear part alone is the ridge
// forecaster's family, so training can only add what is non-linear in the weather.
struct NetImpl : torch::nn::Module {
  NetImpl(std::int64_t in, std::int64_t hidden, std::int64_t out)
      : fc1(register_module("fc1", torch::nn::Linear(in, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, hidden))),
        fc3(register_module("fc3", torch::nn::Linear(hidden, out))),
        skip(register_module("skip", torch::nn::Linear(in, out))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    return fc3(torch::relu(fc2(torch::relu(fc1(x))))) + skip(x);
  }

  torch::nn::Linear fc1, fc2, fc3, skip;
};
TORCH_MODULE(Net);

void use_threads(int threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
}

torch::Tensor as_tensor(const Forecaster::Matrix& m) {
  return torch::from_blob(const_cast<float*>(m.data()), {m.rows(), m.cols()}, torch::kFloat32);
}

}  // namespace

struct Forecaster::Impl {
  mutable Net net{nullptr};  // forward() is not const in LibTorch; it does not change the weights
  Eigen::Index in = 0, out = 0;
  double seconds = 0;
};

Forecaster::Forecaster(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Forecaster Forecaster::train(const Matrix& x, const Matrix& y, const ForecasterConfig& config, int threads) {
  config.validate();
  if (x.rows() < 1 || x.rows() != y.rows() || x.cols() < 1 || y.cols() < 1)
    throw std::invalid_argument("Forecaster::train: x is " + std::to_string(x.rows()) + " x " +
                                std::to_string(x.cols()) + " and y " + std::to_string(y.rows()) + " x " +
                                std::to_string(y.cols()) + ": rows must match and be >= 1");
  if (!x.allFinite() || !y.allFinite()) throw std::invalid_argument("Forecaster::train: x or y is not finite");
  use_threads(threads);
  torch::manual_seed(config.seed);
  auto impl = std::make_shared<Impl>();
  impl->net = Net(x.cols(), config.hidden, y.cols());
  impl->in = x.cols();
  impl->out = y.cols();

  const auto inputs = as_tensor(x), targets = as_tensor(y);
  torch::optim::AdamW optimizer(impl->net->parameters(),
                                torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  const std::int64_t n = x.rows(), batches = (n + config.batch_size - 1) / config.batch_size;
  const std::int64_t total = batches * config.epochs;
  // Own Fisher-Yates on mt19937_64: std::shuffle's output differs between standard libraries.
  std::mt19937_64 rng(config.seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[std::size_t(i)] = i;
  const auto start = std::chrono::steady_clock::now();
  impl->net->train();
  std::int64_t step = 0;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    const auto perm = torch::from_blob(order.data(), {n}, torch::kInt64);
    for (std::int64_t b = 0; b < batches; ++b, ++step) {
      const double lr = 0.5 * config.learning_rate * (1.0 + std::cos(pi * double(step) / double(total)));
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      const auto idx = perm.slice(0, b * config.batch_size, std::min((b + 1) * config.batch_size, n));
      optimizer.zero_grad();
      const auto loss = torch::mse_loss(impl->net->forward(inputs.index_select(0, idx)), targets.index_select(0, idx));
      loss.backward();
      optimizer.step();
    }
  }
  impl->net->eval();
  impl->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Forecaster(std::move(impl));
}

Forecaster::Matrix Forecaster::predict(const Matrix& x, int threads) const {
  if (x.cols() != impl_->in)
    throw std::invalid_argument("Forecaster::predict: x has " + std::to_string(x.cols()) + " columns, expected " +
                                std::to_string(impl_->in));
  use_threads(threads);
  torch::NoGradGuard no_grad;
  Matrix out(x.rows(), impl_->out);
  if (x.rows() == 0) return out;
  const auto result = impl_->net->forward(as_tensor(x)).contiguous();
  std::copy(result.data_ptr<float>(), result.data_ptr<float>() + out.size(), out.data());
  return out;
}

void Forecaster::save(const std::string& path) const {
  try {
    torch::serialize::OutputArchive archive;
    impl_->net->save(archive);
    archive.write("widths", torch::tensor({std::int64_t(impl_->in), impl_->net->fc1->options.out_features(),
                                           std::int64_t(impl_->out)}));
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot write the forecaster to " + path + ": " + e.what_without_backtrace());
  }
}

Forecaster Forecaster::load(const std::string& path) {
  auto impl = std::make_shared<Impl>();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor widths;
    archive.read("widths", widths);
    if (widths.numel() != 3) throw std::runtime_error("cannot read the forecaster " + path + ": bad layer widths");
    const auto w = widths.to(torch::kInt64);
    impl->in = w[0].item<std::int64_t>();
    impl->out = w[2].item<std::int64_t>();
    impl->net = Net(impl->in, w[1].item<std::int64_t>(), impl->out);
    impl->net->load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot read the forecaster " + path + ": " + e.what_without_backtrace());
  }
  impl->net->eval();
  return Forecaster(std::move(impl));
}

double Forecaster::train_seconds() const { return impl_->seconds; }
Eigen::Index Forecaster::input_dim() const { return impl_->in; }
Eigen::Index Forecaster::output_dim() const { return impl_->out; }

}  // namespace nercc_examples
