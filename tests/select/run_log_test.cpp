#include <nercc/select/performance_matrix.hpp>
#include <nercc/select/run_log_csv.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nercc::select::Configuration;
using nercc::select::RunLog;
using nercc::select::RunRecord;

const double run_log_nan = std::numeric_limits<double>::quiet_NaN();

RunRecord run_log_record(const std::string& task, double feature, nercc::Index k, nercc::Index n, double rel_acc) {
  RunRecord r;
  r.task = task;
  r.task_features = {feature, 0.1 * feature};
  r.environment_features = {2.5};
  r.config.scheme = nercc::SchemeKind::berrut;
  r.config.num_queries = k;
  r.config.num_workers = n;
  r.mse = {0.0, 1.0 / 3.0, run_log_nan, 1e-17};
  r.rel_acc = {1.0, rel_acc};
  r.encode_seconds = 1.25e-4;
  r.straggler_law = "shifted_exponential(shift=1,rate=\"2\")";
  r.latency_seconds = 0.0123456789012345678;
  r.cost = 24;
  r.model_evaluations = 1200;
  r.latency_quantile = 0.99;
  r.latency = {0.0125, run_log_nan, 1.0 / 7.0};
  return r;
}

RunLog run_log_example() {
  RunLog log;
  log.task_feature_names = {"curvature", "lipschitz, q90"};
  log.environment_feature_names = {"arrival_rate"};
  log.records.push_back(run_log_record("x sin x", 1.0, 4, 8, 0.9));
  log.records.push_back(run_log_record("x sin x", 1.0, 4, 6, 0.8));
  RunRecord r = run_log_record("tanh, scale 2", 3.0, 4, 8, 0.7);
  r.config.scheme = nercc::SchemeKind::spline;
  r.config.lambda_enc = 1e-5;
  r.config.lambda_dec = 0.3;
  r.config.ordering = nercc::OrderingMethod::greedy_two_opt;
  r.config.worker_spread = 0.05;
  r.config.quorum = 6;
  r.config.deadline_level = 0.9;
  r.config.early_release = true;
  r.config.fallback = true;
  r.rel_acc = {run_log_nan, 0.5, 0.25};
  r.latency_quantile = run_log_nan;  // not planned
  r.latency.clear();
  log.records.push_back(r);
  return log;
}

std::string run_log_text(const RunLog& log) {
  std::ostringstream out;
  nercc::select::write_run_log_csv(out, log);
  return out.str();
}

RunLog run_log_parse(const std::string& text) {
  std::istringstream in(text);
  return nercc::select::read_run_log_csv(in);
}

bool run_log_same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

TEST_CASE("run log: CSV round trip is exact", "[select][run_log]") {
  const RunLog log = run_log_example();
  const RunLog back = run_log_parse(run_log_text(log));
  REQUIRE(back.task_feature_names == log.task_feature_names);
  REQUIRE(back.environment_feature_names == log.environment_feature_names);
  REQUIRE(back.records.size() == log.records.size());
  for (std::size_t i = 0; i < log.records.size(); ++i) {
    const RunRecord &a = log.records[i], &b = back.records[i];
    CHECK(a.task == b.task);
    CHECK(a.task_features == b.task_features);
    CHECK(a.environment_features == b.environment_features);
    CHECK(a.config.id() == b.config.id());
    CHECK(a.config.features() == b.config.features());
    REQUIRE(a.mse.size() == b.mse.size());
    for (std::size_t s = 0; s < a.mse.size(); ++s) CHECK(run_log_same(a.mse[s], b.mse[s]));
    REQUIRE(a.rel_acc.size() == b.rel_acc.size());
    for (std::size_t s = 0; s < a.rel_acc.size(); ++s) CHECK(run_log_same(a.rel_acc[s], b.rel_acc[s]));
    CHECK(run_log_same(a.encode_seconds, b.encode_seconds));
    CHECK(run_log_same(a.decode_seconds, b.decode_seconds));
    CHECK(a.straggler_law == b.straggler_law);
    CHECK(a.latency_seconds == b.latency_seconds);
    CHECK(a.cost == b.cost);
    CHECK(a.model_evaluations == b.model_evaluations);
    CHECK(run_log_same(a.latency_quantile, b.latency_quantile));
    REQUIRE(a.latency.size() == b.latency.size());
    for (std::size_t s = 0; s < a.latency.size(); ++s) CHECK(run_log_same(a.latency[s], b.latency[s]));
  }
  CHECK(back.records[0].latency[2] == 1.0 / 7.0);
  CHECK(back.records[2].latency.empty());
  CHECK(std::isnan(back.records[2].latency_quantile));
  // Written again, the text is the same.
  CHECK(run_log_text(back) == run_log_text(log));
}

TEST_CASE("run log: a log without the latency columns reads with them NaN", "[select][run_log]") {
  // The columns as written before latency_quantile and latency_s<s> existed.
  const std::string old =
      "task,scheme,num_queries,num_workers,ordering,worker_spread,lambda_enc,lambda_dec,quorum,deadline_level,"
      "early_release,fallback,hedge_level,encode_seconds,decode_seconds,straggler_law,latency_seconds,cost,"
      "model_evaluations,task.curvature,mse_s0,rel_acc_s0,mse_s1,rel_acc_s1\n"
      "t,berrut,4,8,as_given,0,0,0,0,0,0,0,0,,,,0.5,,10,2,0.25,1,,0.75\n";
  const RunLog log = run_log_parse(old);
  REQUIRE(log.records.size() == 1);
  const RunRecord& r = log.records[0];
  CHECK(std::isnan(r.latency_quantile));
  CHECK(r.latency.empty());
  CHECK(r.latency_seconds == 0.5);
  CHECK(r.mse.size() == 1);
  CHECK(r.rel_acc == std::vector<double>{1.0, 0.75});
  // Written again it gains the new columns, empty, and reads back the same.
  const std::string text = run_log_text(log);
  CHECK(text.find(",latency_quantile,") != std::string::npos);
  CHECK(text.find(",latency_s1") != std::string::npos);
  CHECK(run_log_text(run_log_parse(text)) == text);
}

TEST_CASE("run log: bad CSV names the line and the column", "[select][run_log]") {
  const std::string text = run_log_text(run_log_example());
  const std::size_t header_end = text.find('\n');
  const std::string header = text.substr(0, header_end);
  auto fails_with = [](const std::string& csv, const std::string& fragment) {
    try {
      run_log_parse(csv);
    } catch (const nercc::invalid_argument& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
      return;
    }
    FAIL("no exception for a log that should contain " << fragment);
  };
  // A bad number in line 3 (the second record).
  std::string bad = text;
  const std::size_t line3 = bad.find('\n', bad.find('\n') + 1) + 1;
  bad.replace(bad.find(",4,6,", line3), 5, ",4,six,");
  fails_with(bad, "run log line 3, column num_workers: 'six' is not a number");
  fails_with(header + "\n\"x\",berrut,4,8,as_given\n", "run log line 2: 5 cells");
  fails_with("task,scheme\n", "column num_queries is missing");
  fails_with(header + ",colour\n", "unknown column 'colour'");
  fails_with(header + ",task\n", "column task appears twice");
  std::string bad_scheme = text;
  bad_scheme.replace(bad_scheme.find("berrut"), 6, "turbo");
  fails_with(bad_scheme, "run log line 2, column scheme: 'turbo' is not a scheme");
  std::string bad_flag = text;
  bad_flag.replace(bad_flag.find("as_given,0,0,0,0,0,0,"), 21, "as_given,0,0,0,0,0,2,");
  fails_with(bad_flag, "column early_release: '2' is not 0 or 1");
  // A NaN feature is non_finite_input, naming the line and the feature.
  std::string nan_feature = text;
  nan_feature.replace(nan_feature.find(",1,0.10000000000000001,"), 23, ",nan,0.10000000000000001,");
  try {
    run_log_parse(nan_feature);
    FAIL("no exception for a NaN feature");
  } catch (const nercc::non_finite_input& e) {
    CHECK(std::string(e.what()).find("run log line 2") != std::string::npos);
    CHECK(std::string(e.what()).find("(curvature)") != std::string::npos);
  }
  // An invalid configuration (N < K) is rejected by the record check.
  std::string small_n = text;
  small_n.replace(small_n.find(",4,8,"), 5, ",4,3,");
  fails_with(small_n, "num_workers (3) must be >= num_queries (4)");
  fails_with("", "no header line");
}

TEST_CASE("run log: validate names the record and field", "[select][run_log]") {
  RunLog log = run_log_example();
  log.records[1].rel_acc[1] = 1.5;
  CHECK_THROWS_WITH(log.validate(), Catch::Contains("records[1] (task 'x sin x'): rel_acc[1] (1.5)"));
  log = run_log_example();
  log.records[2].task_features.pop_back();
  CHECK_THROWS_AS(log.validate(), nercc::shape_mismatch);
  log = run_log_example();
  log.records[0].cost = -1;
  CHECK_THROWS_WITH(log.validate(), Catch::Contains("cost (-1)"));
  log = run_log_example();
  log.records[1].latency[0] = -0.5;
  CHECK_THROWS_WITH(log.validate(), Catch::Contains("records[1] (task 'x sin x'): latency[0] (-0.5)"));
  log = run_log_example();
  log.records[0].latency[2] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(log.validate(), Catch::Contains("latency[2] (inf)"));
  log = run_log_example();
  log.records[0].latency_quantile = 1.0;
  CHECK_THROWS_WITH(log.validate(), Catch::Contains("latency_quantile (1) must lie in (0, 1)"));
}

TEST_CASE("performance matrix: rows, columns, utilities and errors", "[select][matrix]") {
  const RunLog log = run_log_example();
  const auto m = nercc::select::performance_matrix(log, nercc::select::rel_acc_utility(1));
  REQUIRE(m.num_tasks() == 2);
  REQUIRE(m.num_configs() == 3);
  CHECK(m.tasks[0] == "x sin x");
  CHECK(m.utility(0, 0) == 0.9);
  CHECK(m.utility(0, 1) == 0.8);
  CHECK(std::isnan(m.utility(0, 2)));
  CHECK(std::isnan(m.utility(1, 0)));
  CHECK(m.utility(1, 2) == 0.5);
  CHECK(m.task_features(1, 0) == 3.0);
  CHECK(m.environment_features(1, 0) == 2.5);
  CHECK(m.config_index(log.records[2].config.id()) == 2);
  CHECK_THROWS_WITH(m.config_index("berrut:K9:N9:as_given"), Catch::Contains("is not in the performance matrix"));
  const auto w = m.without_task(0);
  CHECK(w.num_tasks() == 1);
  CHECK(w.utility(0, 2) == 0.5);
  CHECK(w.task_features(0, 0) == 3.0);
  const auto mse = nercc::select::performance_matrix(log, nercc::select::neg_log_mse_utility(1));
  CHECK(mse.utility(0, 0) == Approx(-std::log10(1.0 / 3.0)));

  CHECK_THROWS_WITH(nercc::select::performance_matrix(RunLog{}, nercc::select::rel_acc_utility(0)),
                    Catch::Contains("run log is empty"));
  RunLog twice = log;
  twice.records.push_back(twice.records[0]);
  CHECK_THROWS_WITH(nercc::select::performance_matrix(twice, nercc::select::rel_acc_utility(0)),
                    Catch::Contains("is logged twice"));
  RunLog moved = log;
  moved.records[1].task_features[0] = 7.0;
  CHECK_THROWS_WITH(nercc::select::performance_matrix(moved, nercc::select::rel_acc_utility(0)),
                    Catch::Contains("task 'x sin x' has records with different features"));
  // Utility NaN everywhere in a column: that configuration is measured on no task.
  CHECK_THROWS_WITH(nercc::select::performance_matrix(log, nercc::select::rel_acc_utility(0)),
                    Catch::Contains("is measured on no task"));
}
