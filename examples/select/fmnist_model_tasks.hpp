// Fashion-MNIST networks of the corpus, all trained in C++ with LibTorch through the example
// libraries (nercc_fmnist_models, nercc_related_queries_model): LeNet5 (the published
// configuration, cached), the ResNet-8 (its published configuration by default), a LeNet5
// trained on 2000 images (a small, under-trained CNN) and two small MLPs (the forecaster's
// network, two hidden layers with a linear skip path, regressing one-hot labels), under the
// Fashion-MNIST input distributions. Part of the corpus-builder example; needs LibTorch.
#pragma once

#include "../fashion_mnist/models.hpp"
#include "../related_queries/forecaster.hpp"
#include "fmnist_inputs.hpp"
#include "task.hpp"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace select_corpus {

/// A classifier as a double model.
inline Model classifier_model(const nercc_examples::Classifier& c) {
  return [c](const Matrix& x) -> Matrix {
    const nercc_examples::FloatRowMatrix in = x.cast<float>();
    return c.logits(in, 1).cast<double>();
  };
}

/// An MLP classifier: the forecaster's network fitted to one-hot labels by mean squared error.
inline Model mlp_classifier(const LabelledImages& train, int hidden, int epochs) {
  nercc_examples::Forecaster::Matrix x = train.images.cast<float>(), y(train.images.rows(), 10);
  y.setZero();
  for (nercc::Index i = 0; i < y.rows(); ++i) y(i, train.labels[std::size_t(i)]) = 1.0f;
  nercc_examples::ForecasterConfig c;
  c.hidden = hidden;
  c.epochs = epochs;
  c.batch_size = 64;
  c.weight_decay = 1e-4;
  const nercc_examples::Forecaster f = nercc_examples::Forecaster::train(x, y, c, 1);
  return [f](const Matrix& q) -> Matrix { return f.predict(q.cast<float>(), 1).cast<double>(); };
}

/// Trains (or loads from the cache) one network.
inline Model fmnist_network(const nercc_examples::TrainConfig& config) {
  nercc_examples::TrainOptions o;
  o.threads = 1;
  o.progress = false;
  const nercc_examples::TrainResult r = nercc_examples::train_or_load(config, o);
  std::printf("%s %s (%.0f s)\n", r.from_cache ? "loaded" : "trained", config.cache_key().c_str(), r.train_seconds);
  std::fflush(stdout);
  return classifier_model(r.classifier);
}

/// `smoke`: one small MLP; otherwise LeNet5, ResNet-8 (its published configuration with
/// `resnet_epochs` epochs on the first `resnet_images` training images, 0: all; 0 epochs: left
/// out), the small CNN and MLPs of hidden width 16 and 64. `train`: the training images of the MLPs.
inline std::vector<Task> fmnist_model_tasks(bool smoke, const LabelledImages& train, const LabelledImages& test,
                                            nercc::Index rows, int resnet_epochs, nercc::Index resnet_images) {
  using nercc_examples::FmnistModel;
  using nercc_examples::TrainConfig;
  std::vector<std::pair<std::string, Model>> models;
  if (!smoke) {
    models.emplace_back("lenet5", fmnist_network(TrainConfig::defaults(FmnistModel::lenet5)));
    if (resnet_epochs > 0) {
      TrainConfig rc = TrainConfig::defaults(FmnistModel::resnet);
      rc.epochs = resnet_epochs;
      rc.train_limit = resnet_images;
      models.emplace_back("resnet8", fmnist_network(rc));
    }
    models.emplace_back("cnn_small", fmnist_network(TrainConfig::smoke(FmnistModel::lenet5)));
  }
  for (int hidden : smoke ? std::vector<int>{16} : std::vector<int>{16, 64}) {
    const std::string name = "mlp_h" + std::to_string(hidden);
    models.emplace_back(name, mlp_classifier(train, hidden, smoke ? 1 : 5));
    std::printf("trained %s (LibTorch, %ld images)\n", name.c_str(), long(train.images.rows()));
    std::fflush(stdout);
  }
  const auto distributions = fmnist_distributions(test, rows);
  std::vector<Task> tasks;
  for (const auto& [name, model] : models)
    for (const auto& [law, queries] : distributions) {
      tasks.push_back(Task{name + "/" + law, model, queries});
      if (smoke) return tasks;
    }
  return tasks;
}

}  // namespace select_corpus
