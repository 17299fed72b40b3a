// nercc_grpc_plan_check: does the planner pick what the cluster measures as cheapest? On the
// LeNet5 worker processes of the cluster demo (127.0.0.1, injected stragglers, no killed worker),
// judged by RelAcc floors; run_plan_check() (plan_check_report.hpp) does the check, this file
// describes the workload: LeNet5 on Fashion-MNIST, the accuracy calibrated on the first test
// images and the served queries the test images after them, the distilled linear fallback.
// Exit code: 0 on success, 1 on a runtime error or an inconsistent report (a lost query among
// them), 2 on bad usage.
#include "fallback_model.hpp"
#include "plan_check.hpp"
#include "plan_check_report.hpp"
#include "serve.hpp"

#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/runtime.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace {

using nercc::Index;
using Matrix = nercc::RowMatrix<float>;
namespace np = nercc::plan;
using namespace nercc_cluster;

int run(const PlanCheckArgs& a) {
  const auto trained = load_model(a.model, a.cache_dir, a.data_dir, a.progress);
  // Accuracy calibration images first, then the served queries (out of sample).
  const Index cal_images = a.smoke ? 200 : 2000;
  const std::int64_t test_count = std::min<std::int64_t>(10000, cal_images + a.queries * a.rounds + a.calibration_queries);
  const Dataset data = load_dataset(trained.classifier, a.data_dir, test_count);
  bool cached = false;
  const LinearFallback fallback =
      load_or_fit_linear_fallback(trained.classifier, trained.cache_file, a.data_dir, a.fallback_train, cached);
  const FallbackInfo info = describe_fallback(fallback, data, a.fallback_train);

  PlanCheckWorkload w;
  w.title = "LeNet5, Fashion-MNIST";
  w.workers_text = a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5";
  w.input_dim = 784;
  w.output_dim = nercc_examples::Classifier::num_classes;
  w.worker_argvs = [&a](int count, double lifetime) {
    return worker_argvs(count, a.model, a.cache_dir, a.seed, lifetime, a.latency);
  };
  w.calibrate = [&](const np::CalibrateParams& c) {
    const Eigen::Map<const Matrix> x(data.images.data(), cal_images, 784);
    const auto& clf = trained.classifier;
    return np::calibrate(c, x, [&clf](const Matrix& q) { return clf.logits(q, 1); });
  };
  w.calibration_text = "the first " + std::to_string(cal_images) + " test images (the served queries are the test images after them)";
  w.serve = [&data](const ServeRequest& s) {
    nercc::runtime::RuntimeMetrics metrics;
    return Measured{serve(s, data, metrics)};
  };
  w.first_query = cal_images;
  w.fallback = fallback.as_fallback();
  w.fallback_model.rel_acc = info.agreement;
  {
    const Eigen::Map<const Matrix> one(data.images.data(), 1, 784);
    w.fallback_model.seconds = np::profile([&](Index) { (void)fallback.logits(one); }, {1}, {5, 51}).front().median;
  }
  w.fallback_text = "linear, distilled from LeNet5; agrees with it on " + fixed(100 * info.agreement, 1) + "% of " +
                    std::to_string(info.test_images) + " test images";
  return run_plan_check(a, w);
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main(
      "nercc_grpc_plan_check", nercc_cluster::plan_check_usage, argc, argv,
      [](int argc_, char** argv_) { return nercc_cluster::parse_plan_check_args(argc_, argv_, nercc_cluster::Quality::rel_acc); },
      run);
}
