// Random-feature classifiers of the corpus: the train-and-serve example's model (random Fourier
// features of the image and a softmax classifier on them) at several bandwidths, trained here by
// FISTA on a few thousand Fashion-MNIST images, under the Fashion-MNIST input distributions.
// Needs zlib. Part of the corpus-builder example.
#pragma once

#include "../train_and_serve/softmax_regression.hpp"
#include "fmnist_inputs.hpp"
#include "task.hpp"

#include <nercc/optim.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace select_corpus {

/// Bandwidths 2, 8 and 32 (`smoke`: 8 alone), D random features, trained on `train`; every
/// distribution of fmnist_distributions(test, rows).
inline std::vector<Task> random_feature_tasks(bool smoke, const LabelledImages& train, const LabelledImages& test,
                                              nercc::Index rows, nercc::Index num_features = 300) {
  const std::vector<double> bandwidths = smoke ? std::vector<double>{8.0} : std::vector<double>{2.0, 8.0, 32.0};
  const auto distributions = fmnist_distributions(test, rows);
  std::vector<Task> tasks;
  for (double bandwidth : bandwidths) {
    const train_and_serve::RandomFeatures features(train.images.cols(), num_features, bandwidth, 1);
    const train_and_serve::SoftmaxRegression objective(features(train.images), train.labels, 10);
    nercc::optim::FistaParams fp;
    fp.lipschitz = objective.smoothness();
    fp.tolerance = 1e-7;
    fp.max_iterations = 300;
    const nercc::optim::ElasticNetProx regulariser(1e-5, 1e-3);
    const nercc::Vector<double> w =
        nercc::optim::fista(objective, regulariser, fp, nercc::Vector<double>::Zero(objective.dim())).x;
    const Matrix weights = Eigen::Map<const Matrix>(w.data(), num_features, 10);
    const Model model = [features, weights](const Matrix& x) -> Matrix { return features(x) * weights; };
    const std::string name = "rff_bw" + std::to_string(int(bandwidth));
    std::printf("trained %s (FISTA, %ld images, D = %ld)\n", name.c_str(), long(train.images.rows()), long(num_features));
    std::fflush(stdout);
    for (const auto& [law, queries] : distributions) tasks.push_back(Task{name + "/" + law, model, queries});
  }
  return tasks;
}

}  // namespace select_corpus
