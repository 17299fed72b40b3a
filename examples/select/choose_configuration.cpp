// The README's selector example: the committed corpus ranks configurations for a new model (here
// a smooth 3-input stand-in), and verify() measures the short list on it. Run from the
// repository's root (it reads docs/results/select/corpus.csv).
#include <nercc/select.hpp>
#include <nercc/types.hpp>

#include <Eigen/Core>

#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

int main() {
  const nercc::RowMatrix<float> queries = nercc::RowMatrix<float>::Random(64, 3);
  const nercc::RowMatrix<float> calibration = nercc::RowMatrix<float>::Random(64, 3);
  auto model = [](const nercc::RowMatrix<float>& x) {
    nercc::RowMatrix<float> y = x.array().tanh();
    return y;
  };
  namespace sel = nercc::select;
  std::ifstream in("docs/results/select/corpus.csv");
  const sel::PerformanceMatrix corpus = sel::performance_matrix(sel::read_run_log_csv(in), sel::neg_log_mse_utility(1));
  const sel::Selector selector(corpus, std::make_unique<sel::BoostedTrees>());
  const std::vector<double> f = sel::task_features(sel::FeatureParams{}, queries, model).values;  // 544 model calls
  sel::SelectionRequest request;  // and request.worker_time = your measured call law
  request.slo_seconds = 0.05;
  sel::SelectionBudget budget;
  budget.k = 3, budget.max_workers = 16;
  const Eigen::VectorXd environment = corpus.environment_features.row(0).transpose();  // the corpus's law
  const sel::ShortList list = selector.select(Eigen::Map<const Eigen::VectorXd>(f.data(), Eigen::Index(f.size())),
                                              environment, request, budget);
  const sel::Verification v = sel::verify(list, calibration, model);  // tuner warm-started per entry
  std::cout << v.best_entry().config.id() << ": MSE " << v.best_entry().mse.mean << " after "
            << v.model_evaluations << " model evaluations\n";
}
