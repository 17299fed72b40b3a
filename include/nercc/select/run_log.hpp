// The run log: one RunRecord per measured (task, configuration) pair, the selector's corpus.
// Standard library only. CSV form: <nercc/select/run_log_csv.hpp>.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/configuration.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// One measured (task, configuration) pair.
///
/// - task: the task's id (a model under an input distribution). Records of one task carry the
///   same task and environment features.
/// - task_features: cheap features of the task (<nercc/select/features.hpp>), named by
///   RunLog::task_feature_names; environment_features: of the serving environment (worker
///   latency law, pool, arrival rate), named by RunLog::environment_feature_names. All finite.
/// - mse[s], rel_acc[s]: measured MSE against the uncoded outputs and RelAcc (argmax
///   agreement) with s stragglers, s = 0, 1, ...; NaN where s was not measured (s > N - K
///   cannot be decoded). The vectors may be shorter than the log's widest record.
/// - encode_seconds, decode_seconds: front-end time per group (K queries), measured on the
///   machine that built the log: machine- and load-dependent, unlike the other outcomes (the
///   builder documents how it times them); NaN: not measured.
/// - straggler_law, latency_seconds, cost: the planner's predicted SLO-quantile latency and
///   worker cost of this configuration under the named straggler law (free text, e.g.
///   "shifted_exponential(shift=1,rate=2)"); NaN: not planned.
/// - latency_quantile: the level q of latency_seconds and latency (e.g. 0.99); NaN: not planned.
/// - latency[s]: the planner's q-quantile latency when the group decodes at its (N - s)-th
///   answer, i.e. tolerating s stragglers (the latency that goes with mse[s] and rel_acc[s]);
///   NaN where s was not planned. May be shorter than mse.
/// - model_evaluations: the model calls the measurement cost (what selection saves).
struct RunRecord {
  std::string task;
  std::vector<double> task_features;
  std::vector<double> environment_features;
  Configuration config;
  std::vector<double> mse;
  std::vector<double> rel_acc;
  double encode_seconds = std::numeric_limits<double>::quiet_NaN();
  double decode_seconds = std::numeric_limits<double>::quiet_NaN();
  std::string straggler_law;
  double latency_seconds = std::numeric_limits<double>::quiet_NaN();
  double cost = std::numeric_limits<double>::quiet_NaN();
  double model_evaluations = 0.0;
  double latency_quantile = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> latency;
};

inline void validate_record(const RunRecord& r, const std::vector<std::string>& task_feature_names,
                            const std::vector<std::string>& environment_feature_names, const std::string& where);

/// A corpus of runs and the names of their features. Plain data.
struct RunLog {
  std::vector<std::string> task_feature_names;
  std::vector<std::string> environment_feature_names;
  std::vector<RunRecord> records;

  /// The longest mse / rel_acc / latency vector of the records: straggler counts 0..max-1 are logged.
  std::size_t straggler_counts() const {
    std::size_t n = 0;
    for (const RunRecord& r : records) n = std::max({n, r.mse.size(), r.rel_acc.size(), r.latency.size()});
    return n;
  }

  /// Throws nercc::invalid_argument naming the record (index and task) and the field: see
  /// validate_record().
  void validate() const {
    for (std::size_t i = 0; i < records.size(); ++i)
      validate_record(records[i], task_feature_names, environment_feature_names,
                      nercc::detail::message("records[", i, "] (task '", records[i].task, "')"));
  }
};

/// Throws nercc::invalid_argument starting with `where` and naming the field: an empty task id,
/// feature vectors whose length differs from the names (shape_mismatch), non-finite features
/// (non_finite_input), an invalid configuration, negative or infinite outcomes, RelAcc outside
/// [0, 1], latency_quantile outside (0, 1).
inline void validate_record(const RunRecord& r, const std::vector<std::string>& task_feature_names,
                            const std::vector<std::string>& environment_feature_names, const std::string& where) {
  using nercc::detail::message;
  auto check_features = [&](const char* field, const std::vector<double>& values, const std::vector<std::string>& names) {
    if (values.size() != names.size())
      throw shape_mismatch(message(where, ": ", field, " has ", values.size(), " values for ", names.size(), " names"));
    for (std::size_t j = 0; j < values.size(); ++j)
      if (!std::isfinite(values[j]))
        throw non_finite_input(message(where, ": ", field, "[", j, "] (", names[j], ") is ", values[j]));
  };
  if (r.task.empty()) throw invalid_argument(message(where, ": task is empty"));
  check_features("task_features", r.task_features, task_feature_names);
  check_features("environment_features", r.environment_features, environment_feature_names);
  try {
    r.config.validate();
  } catch (const invalid_argument& e) {
    throw invalid_argument(message(where, ": config: ", e.what()));
  }
  for (std::size_t s = 0; s < r.mse.size(); ++s)
    if (!(std::isnan(r.mse[s]) || (r.mse[s] >= 0.0 && std::isfinite(r.mse[s]))))
      throw invalid_argument(message(where, ": mse[", s, "] (", r.mse[s], ") must be finite and >= 0, or NaN"));
  for (std::size_t s = 0; s < r.rel_acc.size(); ++s)
    if (!(std::isnan(r.rel_acc[s]) || (r.rel_acc[s] >= 0.0 && r.rel_acc[s] <= 1.0)))
      throw invalid_argument(message(where, ": rel_acc[", s, "] (", r.rel_acc[s], ") must lie in [0, 1], or be NaN"));
  for (std::size_t s = 0; s < r.latency.size(); ++s)
    if (!(std::isnan(r.latency[s]) || (r.latency[s] >= 0.0 && std::isfinite(r.latency[s]))))
      throw invalid_argument(message(where, ": latency[", s, "] (", r.latency[s], ") must be finite and >= 0, or NaN"));
  if (!(std::isnan(r.latency_quantile) || (r.latency_quantile > 0.0 && r.latency_quantile < 1.0)))
    throw invalid_argument(message(where, ": latency_quantile (", r.latency_quantile, ") must lie in (0, 1), or be NaN"));
  const double outcomes[] = {r.encode_seconds, r.decode_seconds, r.latency_seconds, r.cost};
  const char* names[] = {"encode_seconds", "decode_seconds", "latency_seconds", "cost"};
  for (int j = 0; j < 4; ++j)
    if (!(std::isnan(outcomes[j]) || (outcomes[j] >= 0.0 && std::isfinite(outcomes[j]))))
      throw invalid_argument(message(where, ": ", names[j], " (", outcomes[j], ") must be finite and >= 0, or NaN"));
  if (!(r.model_evaluations >= 0.0 && std::isfinite(r.model_evaluations)))
    throw invalid_argument(message(where, ": model_evaluations (", r.model_evaluations, ") must be finite and >= 0"));
}

}  // namespace select
NERCC_NAMESPACE_END
