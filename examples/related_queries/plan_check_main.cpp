// nercc_related_queries_plan_check: the planner check (../grpc_cluster/plan_check_report.hpp,
// run_plan_check) on the related-query workload, judged by MSE ceilings instead of RelAcc
// floors. The forecaster (LibTorch) and the ridge fallback are trained on Seattle weather
// 2012-2014 and the forecaster saved to OUT/forecaster.pt for the worker processes
// (nercc_related_queries_worker); the codes are calibrated (nercc::plan::calibrate_batches, the
// tuner minimising the MSE) on groups of K consecutive 2014 windows, as serving groups the 2015
// windows it submits in time order. MSE: per output (standardised max and min temperature)
// against the forecaster's own forecast, over the answered queries, as the planner predicts it.
// Exit code: 0 on success, 1 on a runtime error or an inconsistent report (a lost query among
// them), 2 on bad usage.
#include "../grpc_cluster/plan_check.hpp"
#include "../grpc_cluster/plan_check_report.hpp"
#include "../grpc_cluster/serve.hpp"
#include "cluster_flags.hpp"
#include "forecaster.hpp"
#include "ridge.hpp"
#include "seattle_weather.hpp"
#include "workload.hpp"

#include <nercc/plan.hpp>
#include <nercc/plan/calibrate.hpp>
#include <nercc/runtime.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace ex = nercc_examples;
namespace rt = nercc::runtime;
namespace np = nercc::plan;
using nercc::Index;
using namespace nercc_cluster;

const char* const usage = R"(usage: nercc_related_queries_plan_check [options]
The planner against the cluster on the related-query workload: measure the per-call latency law
of the forecaster workers, calibrate the codes' MSE on consecutive 2014 forecast windows, plan for
each SLO and MSE ceiling, run every plan the planner found feasible on the workers (the 2015
windows in time order), and compare.
  --data FILE             seattle-weather.csv (default: Debian's python3-vega-datasets copy)
  --epochs N              training epochs of the forecaster (default 100; --smoke 20)
  --max-mse LIST          MSE ceilings per standardised output against the forecaster
                          (default 0.001,0.005; --smoke 1,0.0001)
The other options are nercc_grpc_plan_check's (its --help) but --floors, --model, --cache-dir,
--data-dir and --fallback-train (LeNet5's): --smoke --out --coded-queries --max-redundancy
--coded-workers --slo-ms --slo-quantile --runners-up --rate --calibration-queries
--calibration-workers --queries --rounds --worker-bin --seed --quiet and the injected delay's flags.
)";

struct Args {
  PlanCheckArgs check;
  std::string data = ex::seattle_weather_default_path;
  int epochs = 100;
};

Args parse_args(int argc, char** argv) {
  ex::RelatedClusterFlags f = ex::parse_related_cluster_flags(argc, argv, usage, {argv[0]}, {},
                                                              "the LeNet5 plan check", [](const std::string&) { return false; });
  Args a;
  a.data = f.data;
  a.epochs = f.epochs;
  std::vector<char*> forwarded = f.forwarded_argv();
  a.check = parse_plan_check_args(int(forwarded.size()), forwarded.data(), Quality::mse);
  return a;
}

int run(const Args& args) {
  const PlanCheckArgs& a = args.check;
  const ex::ForecastWorkload w = ex::make_forecast_workload(ex::load_seattle_weather(args.data));
  const Eigen::Index train = w.train_end;
  ex::ForecasterConfig config;
  config.epochs = args.epochs;
  config.seed = a.seed;
  if (a.progress) std::fprintf(stderr, "training the forecaster (%d epochs) and the ridge fallback\n", args.epochs);
  const ex::Forecaster forecaster = ex::Forecaster::train(w.queries.topRows(train), w.targets.topRows(train), config, 1);
  const ex::RidgeRegression ridge = ex::fit_ridge_time_split(w.queries.topRows(train), w.targets.topRows(train),
                                                             w.calibration_begin, ex::ridge_lambda_grid());
  const ex::FloatRowMatrix model = forecaster.predict(w.queries);
  const ex::FloatRowMatrix fallback = ridge.predict(w.queries);

  // The workers load the forecaster from the results directory; it must forecast the same.
  std::filesystem::create_directories(a.out);
  const std::string model_file = (std::filesystem::path(a.out) / "forecaster.pt").string();
  forecaster.save(model_file);
  if (ex::Forecaster::load(model_file).predict(w.queries) != model)
    throw std::runtime_error("the forecaster loaded from " + model_file + " forecasts differently from the trained one");

  // Squared error per output of rows [begin, end) of `m` against the forecaster.
  const auto mse_vs_model = [&](const ex::FloatRowMatrix& m, Eigen::Index begin, Eigen::Index end) {
    return double((m.middleRows(begin, end - begin) - model.middleRows(begin, end - begin)).squaredNorm()) /
           double((end - begin) * ex::ForecastWorkload::outputs);
  };

  PlanCheckWorkload pw;
  pw.title = "the forecaster, Seattle weather (related queries)";
  pw.workers_text = "the forecaster, " + std::to_string(args.epochs) + " epochs";
  pw.input_dim = w.queries.cols();
  pw.output_dim = ex::ForecastWorkload::outputs;
  pw.worker_argvs = [&](int count, double lifetime) { return worker_argvs(count, model_file, "", a.seed, lifetime, a.latency); };
  pw.calibrate = [&](const np::CalibrateParams& c) {
    std::mt19937_64 rng(a.seed * 104729);
    return np::calibrate_batches(
        c,
        [&](Index k, Index) {
          return ex::gather_rows(w.queries, ex::draw_group(rng, ex::GroupKind::related, w.calibration_begin, train, k));
        },
        [&](const ex::FloatRowMatrix& q) { return forecaster.predict(q); });
  };
  pw.calibration_text = "groups of K consecutive windows of the calibration year (" +
                        std::to_string(train - w.calibration_begin) + " windows of 2014; the served queries are the " +
                        std::to_string(w.test_rows()) + " windows of 2015 in time order)";
  pw.serve = [&](const ServeRequest& s) {
    const Eigen::Index d = w.queries.cols();
    auto row_of = [&](std::int64_t i) { return train + Eigen::Index((s.first + i) % w.test_rows()); };
    Measured m;
    rt::RuntimeMetrics metrics;
    const std::vector<ServedRecord> records = serve_recorded(
        s, [&](std::int64_t i) { return Eigen::Map<const ex::FloatRowMatrix>(w.queries.data() + row_of(i) * d, 1, d); },
        m.turn, metrics);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const ServedRecord& r = records[i];
      if (!r.done || !r.ok) continue;
      m.squared_error += double((r.value.row(0) - model.row(row_of(std::int64_t(i)))).squaredNorm());
      m.values += ex::ForecastWorkload::outputs;
    }
    return m;
  };
  pw.first_query = 0;
  pw.fallback = [&ridge](const Eigen::Ref<const nercc::RowMatrix<float>>& x) {
    return nercc::RowMatrix<float>(ridge.predict(x));
  };
  // The planner's figure for the fallback: its MSE against the forecaster on the calibration year.
  pw.fallback_model.mse = mse_vs_model(fallback, w.calibration_begin, train);
  {
    const ex::FloatRowMatrix one = w.queries.row(train);
    pw.fallback_model.seconds = np::profile([&](Index) { (void)ridge.predict(one); }, {1}, {5, 51}).front().median;
  }
  pw.fallback_text = "ridge regression on the windows (lambda " + fixed(ridge.lambda(), 4) + "); MSE against the forecaster " +
                     fixed(pw.fallback_model.mse, 5) + " on the 2014 windows (the planner's figure), " +
                     fixed(mse_vs_model(fallback, train, w.rows()), 5) + " on the 2015 windows";
  if (a.progress)
    std::fprintf(stderr, "ridge's MSE against the forecaster: %.5f (2014), %.5f (2015)\n", pw.fallback_model.mse,
                 mse_vs_model(fallback, train, w.rows()));
  return run_plan_check(a, pw);
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_related_queries_plan_check", usage, argc, argv, parse_args, run);
}
