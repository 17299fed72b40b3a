// nercc_related_queries_cluster: the gRPC cluster frontier sweep on the related-query workload.
// It trains the forecaster (LibTorch) and the ridge fallback on Seattle weather 2012-2014, saves
// the forecaster for the worker processes (nercc_related_queries_worker), and at each redundancy
// N/K serves the 2015 forecast windows in time order, so that the runtime groups K consecutive
// windows, with every policy of the LeNet5 sweep (../grpc_cluster/policies.hpp) on the same N
// workers, ridge answering for the fallback policies. One worker is SIGKILLed part-way through
// every turn and restarted after it. Reports (cluster_report.hpp) p50/p99/p99.9, the forecasts'
// MAE against the model and the truth, the estimates beside ridge on the same queries, answers
// by provenance, lost queries and each figure's spread over rounds, and plots p99 against MAE.
//
// Exit code: 0 on success, 1 when a query was lost or on a runtime error, 2 on bad usage.
#include "../grpc_cluster/frontend_options.hpp"
#include "../grpc_cluster/policies.hpp"
#include "../grpc_cluster/serve.hpp"
#include "../grpc_cluster/worker_pool.hpp"
#include "cluster_flags.hpp"
#include "cluster_report.hpp"
#include "forecaster.hpp"
#include "ridge.hpp"
#include "seattle_weather.hpp"
#include "workload.hpp"

#include <nercc/runtime.hpp>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace ex = nercc_examples;
namespace rt = nercc::runtime;
using nercc_cluster::FrontendArgs;
using SteadyClock = std::chrono::steady_clock;

const char* const usage = R"(usage: nercc_related_queries_cluster [options]
The cluster frontier sweep on the related-query workload: at each redundancy N/K every policy of
the LeNet5 sweep serves the same consecutive 2015 forecast windows on the same N forecaster
worker processes, in rounds.
  --data FILE             seattle-weather.csv (default: Debian's python3-vega-datasets copy)
  --epochs N              training epochs of the forecaster (default 100; --smoke 20)
  --no-plot               skip gnuplot (frontier.png)
  --smoke                 under a minute: K 2, ratios 1,2 (4 workers), 1 round of 60 queries
                          at 200 q/s, a 20-epoch forecaster (options after it override these)
The sweep's options are those of nercc_grpc_frontend (its --help), with 400 queries per policy
per round by default: --out --policies --ratios --coded-queries --spread --lambda-dec
--fallback-reliability --queries --rounds --rate --deadline-ms --grace-ms --group-timeout-ms
--kill-at --kill-worker --worker-bin --seed --quiet --long and the injected delay's flags.
)";

struct Args {
  FrontendArgs sweep;
  std::string data = ex::seattle_weather_default_path;
  int epochs = 100;
  bool plot = true;
};

// Takes this program's own flags; forwards the rest to the LeNet5 sweep's parser, after a
// default of 400 queries per turn: the run restarts the killed worker after every turn (about
// a second), so that the default run of 3 rounds stays near five minutes.
Args parse_args(int argc, char** argv) {
  Args a;
  // One round under --smoke: a worker restart per turn dominates the smoke run's time.
  ex::RelatedClusterFlags f = ex::parse_related_cluster_flags(
      argc, argv, usage, {argv[0], "--queries", "400"}, {"--rounds", "1"}, "the LeNet5 sweep",
      [&](const std::string& flag) {
        if (flag != "--no-plot") return false;
        a.plot = false;
        return true;
      });
  a.data = f.data;
  a.epochs = f.epochs;
  std::vector<char*> forwarded = f.forwarded_argv();
  a.sweep = nercc_cluster::parse_frontend_args(int(forwarded.size()), forwarded.data());
  return a;
}

/// A directory of its own under the system's temporary directory, removed with this object.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nercc_related_cluster_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a directory like " + pattern);
    path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// What the sweep needs of the workload: the windows, the model's and ridge's forecasts of each.
struct Served {
  ex::ForecastWorkload w;
  ex::FloatRowMatrix model;  // the forecaster's outputs on every window
  ex::FloatRowMatrix ridge;  // the fallback's
};

// One turn: queries 0..count-1 are test windows (first + i) mod test windows, in time order.
ex::ForecastTurn run_turn(const FrontendArgs& a, nercc_cluster::WorkerPool& pool, const Served& s,
                          const ex::RidgeRegression& ridge, const nercc_cluster::Configuration& config,
                          std::int64_t first, rt::RuntimeMetrics& metrics) {
  const ex::ForecastWorkload& w = s.w;
  const std::int64_t count = a.queries;
  nercc_cluster::ServeRequest req;
  req.ports = pool.ports();
  req.ports.resize(std::size_t(config.workers()));
  req.params = config.params;
  if (config.policy->fallback)
    req.fallback = [&ridge](const Eigen::Ref<const nercc::RowMatrix<float>>& x) {
      return nercc::RowMatrix<float>(ridge.predict(x));
    };
  req.first = first;
  for (std::int64_t i = 0; i < count; ++i) req.send_seconds.push_back(double(i) / a.rate);
  req.rpc_timeout = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 1000);
  req.drain = std::chrono::milliseconds(std::int64_t(a.deadline_ms) + 10000);
  const std::int64_t kill_index = a.kill_at < 0 ? -1 : std::int64_t(a.kill_at * double(count));
  req.before_submit = [&](std::int64_t i) {
    if (i == kill_index) pool.kill_worker(std::size_t(a.kill_worker));
  };
  auto row_of = [&](std::int64_t i) { return w.train_end + Eigen::Index((first + i) % w.test_rows()); };

  const Eigen::Index d = w.queries.cols();
  ex::ForecastTurn t;
  const std::vector<nercc_cluster::ServedRecord> records = nercc_cluster::serve_recorded(
      req, [&](std::int64_t i) { return Eigen::Map<const ex::FloatRowMatrix>(w.queries.data() + row_of(i) * d, 1, d); },
      t.base, metrics);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const nercc_cluster::ServedRecord& r = records[i];
    if (!r.done || !r.ok) continue;
    const Eigen::Index row = row_of(std::int64_t(i));
    const double vs_model = w.mae_celsius(r.value.row(0), s.model.row(row));
    const double vs_truth = w.mae_celsius(r.value.row(0), w.targets.row(row));
    t.answered.add(vs_model, vs_truth);
    if (r.provenance == rt::Provenance::exact) t.exact_max_deviation = std::max(t.exact_max_deviation, vs_model);
    if (r.provenance == rt::Provenance::estimated) {
      t.estimated.add(vs_model, vs_truth);
      t.ridge_on_estimated.add(w.mae_celsius(s.ridge.row(row), s.model.row(row)),
                               w.mae_celsius(s.ridge.row(row), w.targets.row(row)));
    }
  }
  return t;
}

int run(const Args& args) {
  const auto run_start = SteadyClock::now();
  const FrontendArgs& a = args.sweep;
  Served s;
  s.w = ex::make_forecast_workload(ex::load_seattle_weather(args.data));
  const ex::ForecastWorkload& w = s.w;
  const Eigen::Index train = w.train_end;
  ex::ForecasterConfig model_config;
  model_config.epochs = args.epochs;
  model_config.seed = a.seed;
  if (a.progress) std::fprintf(stderr, "training the forecaster (%d epochs) and the ridge fallback\n", args.epochs);
  const ex::Forecaster forecaster =
      ex::Forecaster::train(w.queries.topRows(train), w.targets.topRows(train), model_config, /*threads=*/1);
  const ex::RidgeRegression ridge =
      ex::fit_ridge_time_split(w.queries.topRows(train), w.targets.topRows(train), w.calibration_begin,
                               ex::ridge_lambda_grid());
  s.model = forecaster.predict(w.queries);
  s.ridge = ridge.predict(w.queries);

  // The workers load the forecaster from this file; it must give back the same forecasts.
  const TempDir work;
  const std::string model_file = (work.path / "forecaster.pt").string();
  forecaster.save(model_file);
  if (ex::Forecaster::load(model_file).predict(w.queries) != s.model)
    throw std::runtime_error("the forecaster loaded from " + model_file + " forecasts differently from the trained one");

  ex::ForecastRunInfo info;
  info.sweep = a;
  info.data = args.data;
  info.test_windows = w.test_rows();
  info.train_windows = train;
  info.epochs = args.epochs;
  info.model_mae = w.mean_mae(s.model, train, w.rows());
  info.ridge_mae = w.mean_mae(s.ridge, train, w.rows());
  for (Eigen::Index i = train; i < w.rows(); ++i)
    info.ridge_vs_model_mae += w.mae_celsius(s.ridge.row(i), s.model.row(i)) / double(w.test_rows());
  info.ridge_lambda = ridge.lambda();
  if (a.progress)
    std::fprintf(stderr, "test MAE (deg C): forecaster %.3f, ridge %.3f; ridge is %.3f from the forecaster\n",
                 info.model_mae, info.ridge_mae, info.ridge_vs_model_mae);

  std::vector<ex::ForecastResult> results;
  for (auto& c : nercc_cluster::configurations(a)) {
    c.params.input_dim = w.queries.cols();
    c.params.output_dim = ex::ForecastWorkload::outputs;
    c.params.validate();
    results.emplace_back();
    results.back().config = std::move(c);
  }
  const std::size_t turns = results.size() * std::size_t(a.rounds);
  if (a.progress)
    std::fprintf(stderr, "%zu configurations x %d rounds = %zu turns of %lld queries at %g q/s on %d worker processes\n",
                 results.size(), a.rounds, turns, (long long)a.queries, a.rate, a.max_workers());
  const double lifetime = a.worker_lifetime_s(turns);
  nercc_cluster::WorkerPool pool(a.worker_bin,
                                 nercc_cluster::worker_argvs(a.max_workers(), model_file, "", a.seed, lifetime, a.latency),
                                 300.0);
  nercc_cluster::run_rounds(
      a, pool, results,
      [&](ex::ForecastResult& r, std::int64_t first, rt::RuntimeMetrics& metrics) {
        return run_turn(a, pool, s, ridge, r.config, first, metrics);
      },
      [](const ex::ForecastTurn& t) { return "MAE vs model " + nercc_cluster::fixed(t.answered.mean_model(), 3); });
  pool.stop();
  ex::mark_forecast_frontier(results);
  info.seconds = std::chrono::duration<double>(SteadyClock::now() - run_start).count();

  const std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  const std::string table = ex::forecast_markdown(info, results);
  nercc_cluster::write_file(out / "table.md", table);
  nercc_cluster::write_file(out / "summary.json", ex::forecast_json(info, results) + "\n");
  nercc_cluster::write_file(out / "rounds.csv", ex::forecast_rounds_csv(results));
  nercc_cluster::write_file(out / "frontier.dat", ex::forecast_frontier_data(info, results));
  if (args.plot) {
    const std::string command = "gnuplot -e \"dir='" + out.string() + "'\" '" NERCC_RELATED_CLUSTER_PLOT "'";
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("gnuplot failed (install Debian's gnuplot-nox, or pass --no-plot): " + command);
  }
  std::cout << table << std::endl;
  if (a.progress) std::fprintf(stderr, "done in %s; results in %s\n", nercc_cluster::minutes(info.seconds).c_str(), a.out.c_str());

  bool lost = false;
  for (const auto& r : results) lost = lost || r.pooled.base.lost > 0;
  return lost ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_related_queries_cluster", usage, argc, argv, parse_args, run);
}
