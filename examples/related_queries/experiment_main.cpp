// The related-query experiment of docs/results/related_queries: next-day temperature forecasts
// on Debian's Seattle weather observations, served coded in groups of K consecutive windows
// (and, as the control, K random windows); each query whose exact answer is lost is decoded and
// compared with the fallback forecaster (ridge) on the same query.
#include "../common/cli.hpp"
#include "coded_evaluation.hpp"
#include "forecaster.hpp"
#include "report.hpp"
#include "ridge.hpp"
#include "seattle_weather.hpp"
#include "workload.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace ex = nercc_examples;

namespace {

struct Options {
  std::string data = ex::seattle_weather_default_path;
  std::string out = "related_queries_results";
  std::vector<long long> ks = {8};
  std::vector<double> ratios = {1.25, 1.5, 2.0};
  std::vector<long long> stragglers = {1, 2, 4};
  std::vector<double> spreads = {0.05, 0.1, 0.2, 0.4, 0.8};
  long long groups = 2000;
  double fallback_below = 0.75;
  long long window = 14;
  long long seed = 1;
  ex::ForecasterConfig model;
  bool plots = true;
  bool quiet = false;
  bool require_model_beats_persistence = false;
  bool require_related_helps = false;
  bool validate = false;
};

void usage() {
  std::printf(
      "nercc_related_queries_experiment [options]\n"
      "  --data FILE            seattle-weather.csv (default: Debian's python3-vega-datasets copy)\n"
      "  --out DIR              results.md, results.csv, related_queries.png (default related_queries_results)\n"
      "  --ks LIST              queries per group (default 8)\n"
      "  --ratios LIST          redundancies N/K (default 1.25,1.5,2)\n"
      "  --stragglers LIST      lost workers per group, kept where <= N - K (default 1,2,4)\n"
      "  --groups N             test groups per configuration (default 2000)\n"
      "  --window N             days per forecast window (default 14)\n"
      "  --fallback-below X     the hybrid answers estimates of reliability below X with the fallback\n"
      "                         (default 0.75: between an answered companion, r <= 0.4, and the nearest\n"
      "                         answer a neighbour's, r >= 0.6)\n"
      "  --epochs N             training epochs of the forecaster (default 100)\n"
      "  --hidden N             hidden width of the forecaster (default 8)\n"
      "  --weight-decay X       AdamW weight decay of the forecaster (default 1)\n"
      "  --validate             only train on the years before the calibration year and print the\n"
      "                         calibration year's MAE of the model and ridge (to choose the model)\n"
      "  --seed N               seeds training, groups and losses (default 1)\n"
      "  --smoke                a seconds-long configuration (K 8, ratios 1.25,1.5, S 1, 200 groups)\n"
      "  --no-plots             skip gnuplot\n"
      "  --quiet                print the table only\n"
      "  --require-model-beats-persistence  exit 1 unless the model's test MAE is below persistence's\n"
      "  --require-related-helps            exit 1 unless, for every code at S = 1, the coded estimate is\n"
      "                                     closer to the model on related groups than on unrelated ones\n");
}

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw std::invalid_argument(std::string(argv[i]) + " expects a value");
    return argv[++i];
  };
  auto integers = [](const std::string& flag, const std::string& text, long long min) {
    std::vector<long long> v;
    for (const auto& part : ex::split_list(text, ',')) v.push_back(ex::parse_integer(flag, part, min));
    if (v.empty()) throw std::invalid_argument(flag + " expects a list");
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage(), std::exit(0);
    else if (a == "--data") o.data = value(i);
    else if (a == "--out") o.out = value(i);
    else if (a == "--ks") o.ks = integers(a, value(i), 2);
    else if (a == "--stragglers") o.stragglers = integers(a, value(i), 1);
    else if (a == "--ratios") {
      o.ratios.clear();
      for (const auto& part : ex::split_list(value(i), ',')) {
        const double r = ex::parse_real(a, part);
        if (!(r >= 1.0)) throw std::invalid_argument("--ratios: " + part + " must be >= 1");
        o.ratios.push_back(r);
      }
    } else if (a == "--groups") o.groups = ex::parse_integer(a, value(i), 1);
    else if (a == "--window") o.window = ex::parse_integer(a, value(i), 1);
    else if (a == "--fallback-below") {
      o.fallback_below = ex::parse_real(a, value(i));
      if (!std::isfinite(o.fallback_below)) throw std::invalid_argument("--fallback-below must be finite");
    }
    else if (a == "--epochs") o.model.epochs = int(ex::parse_integer(a, value(i), 1));
    else if (a == "--hidden") o.model.hidden = int(ex::parse_integer(a, value(i), 1));
    else if (a == "--weight-decay") o.model.weight_decay = ex::parse_real(a, value(i));
    else if (a == "--validate") o.validate = true;
    else if (a == "--seed") o.seed = ex::parse_integer(a, value(i), 0);
    else if (a == "--smoke") {
      o.ks = {8};
      o.ratios = {1.25, 1.5};
      o.stragglers = {1};
      o.groups = 200;
    } else if (a == "--no-plots") o.plots = false;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--require-model-beats-persistence") o.require_model_beats_persistence = true;
    else if (a == "--require-related-helps") o.require_related_helps = true;
    else throw std::invalid_argument("unknown option " + a + " (see --help)");
  }
  o.model.seed = std::uint64_t(o.seed);
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  ex::ForecastSpec spec;
  spec.window = int(o.window);
  const ex::ForecastWorkload w = ex::make_forecast_workload(ex::load_seattle_weather(o.data), spec);
  const Eigen::Index train = w.train_end;
  if (o.validate) {
    // Model selection on the calibration year, never on the test year.
    const Eigen::Index fit = w.calibration_begin;
    const auto m = ex::Forecaster::train(w.queries.topRows(fit), w.targets.topRows(fit), o.model, 1);
    const auto r = ex::fit_ridge_time_split(w.queries.topRows(train), w.targets.topRows(train), fit, ex::ridge_lambda_grid());
    const auto r_fit = ex::RidgeRegression::fit(w.queries.topRows(fit), w.targets.topRows(fit), r.lambda());
    std::printf("hold-out MAE (deg C, %lld windows): model %.4f, ridge %.4f (lambda %g), persistence %.4f\n",
                (long long)(train - fit), w.mean_mae(m.predict(w.queries), fit, train),
                w.mean_mae(r_fit.predict(w.queries), fit, train), r.lambda(), w.mean_mae(w.persistence, fit, train));
    return 0;
  }

  const ex::Forecaster forecaster =
      ex::Forecaster::train(w.queries.topRows(train), w.targets.topRows(train), o.model, /*threads=*/1);
  const ex::RidgeRegression ridge = ex::fit_ridge_time_split(
      w.queries.topRows(train), w.targets.topRows(train), w.calibration_begin, ex::ridge_lambda_grid());
  ex::ReferenceForecasts reference{forecaster.predict(w.queries), ridge.predict(w.queries)};
  auto model = [&](const nercc::RowMatrix<float>& x) { return forecaster.predict(x); };

  ex::ModelSummary summary;
  summary.train_rows = train;
  summary.test_rows = w.test_rows();
  summary.train_seconds = forecaster.train_seconds();
  summary.ridge_lambda = ridge.lambda();
  summary.model_mae = w.mean_mae(reference.model, train, w.rows());
  summary.ridge_mae = w.mean_mae(reference.fallback, train, w.rows());
  summary.persistence_mae = w.mean_mae(w.persistence, train, w.rows());
  for (Eigen::Index i = train; i < w.rows(); ++i)
    summary.ridge_vs_model_mae += w.mae_celsius(reference.fallback.row(i), reference.model.row(i)) / double(w.test_rows());
  summary.model_train_mae = w.mean_mae(reference.model, 0, train);
  summary.ridge_train_mae = w.mean_mae(reference.fallback, 0, train);
  if (!o.quiet) ex::print_summary(summary);

  std::vector<ex::ResultRow> rows;
  for (long long k : o.ks) {
    for (double ratio : o.ratios) {
      const nercc::Index n = nercc::Index(std::lround(ratio * double(k)));
      std::vector<nercc::Index> ss;
      for (long long s : o.stragglers)
        if (s <= n - k) ss.push_back(s);
      if (ss.empty()) continue;
      for (ex::GroupKind kind : {ex::GroupKind::related, ex::GroupKind::unrelated}) {
        for (ex::Layout layout : {ex::Layout::systematic, ex::Layout::chebyshev}) {
          auto run = [&](auto scheme) {
            using Scheme = decltype(scheme);
            const ex::TunedCode tuned =
                ex::tune_code<Scheme>(w, k, n, layout, kind, ss, o.spreads, std::uint64_t(o.seed), model);
            const auto errors = ex::evaluate_missing_queries<Scheme>(w, tuned.code, kind, o.groups, ss,
                                                                     std::uint64_t(o.seed) + 1, model, reference,
                                                                     o.fallback_below);
            for (const auto& e : errors) {
              rows.push_back(ex::make_row(Scheme::name, layout, kind, tuned, e));
              if (!o.quiet) ex::print_row(rows.back());
            }
          };
          run(nercc::SplineScheme{});
          run(nercc::BerrutScheme{});
        }
      }
    }
  }
  ex::write_results(o.out, summary, rows, o.plots);
  std::printf("%s", ex::results_table(rows).c_str());

  int failures = 0;
  if (o.require_model_beats_persistence && !(summary.model_mae < summary.persistence_mae)) {
    std::fprintf(stderr, "FAIL: the model's test MAE %.4f is not below persistence's %.4f\n", summary.model_mae,
                 summary.persistence_mae);
    ++failures;
  }
  if (o.require_related_helps) failures += ex::check_related_helps(rows);
  for (const auto& r : rows)
    if (!std::isfinite(r.coded_vs_truth) || r.unavailable > 0) {
      std::fprintf(stderr, "FAIL: %s %s %s K %lld N %lld S %lld: coded MAE %g, %lld unavailable\n", r.scheme.c_str(),
                   r.layout.c_str(), r.kind.c_str(), r.k, r.n, r.s, r.coded_vs_truth, r.unavailable);
      ++failures;
    }
  return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nercc_related_queries_experiment: %s\n", e.what());
  return 2;
}
