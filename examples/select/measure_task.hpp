// Measuring one corpus task over the configuration grid: cheap features, then for every
// (scheme, K, N, ordering) the tuner's MSE and RelAcc of every lambda pair per straggler count,
// the encode and decode time per group, and the planner's latency and cost under the straggler
// law. Part of the corpus-builder example.
#pragma once

#include "codec_timing.hpp"
#include "planner_outcomes.hpp"
#include "task.hpp"

#include <nercc/select/features.hpp>
#include <nercc/select/run_log.hpp>
#include <nercc/tune.hpp>

#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace select_corpus {

/// The configuration grid and the measurement's sample sizes.
struct Grid {
  std::vector<std::pair<nercc::Index, nercc::Index>> codes;  ///< (K, N)
  std::vector<nercc::OrderingMethod> orderings;
  std::vector<nercc::SchemeKind> schemes{nercc::SchemeKind::spline, nercc::SchemeKind::berrut};
  nercc::Index max_stragglers = 2;  ///< s = 0 .. max_stragglers are measured
  nercc::Index batches = 8, answered_sets = 8;

  /// Rows the tuner passes to the model for one task (reference K rows per batch, N per coded
  /// batch and lambda_enc value: 4 for spline, 1 for Berrut), for the builder's ETA.
  double model_rows() const {
    double rows = 0.0;
    for (const auto& [k, n] : codes)
      for (nercc::SchemeKind scheme : schemes)
        rows += double(batches * (k + (scheme == nercc::SchemeKind::spline ? 4 : 1) * n));
    return rows * double(orderings.size()) * double(max_stragglers + 1);
  }
};

/// Planner figures of every code of the grid (independent of the task).
inline std::map<std::pair<nercc::Index, nercc::Index>, CodeTimes> grid_code_times(const Grid& grid, const StragglerLaw& law) {
  std::map<std::pair<nercc::Index, nercc::Index>, CodeTimes> out;
  for (const auto& code : grid.codes) out[code] = code_times(law, code.first, code.second, grid.max_stragglers);
  return out;
}

/// The task's features and its records, one per configuration, in configuration-id order.
struct TaskMeasurement {
  nercc::select::TaskFeatures features;
  std::vector<nercc::select::RunRecord> records;
};

inline TaskMeasurement measure_task(const Task& task, const Grid& grid, const StragglerLaw& law,
                                    const std::map<std::pair<nercc::Index, nercc::Index>, CodeTimes>& times,
                                    const std::vector<double>& environment_features) {
  namespace sel = nercc::select;
  using nercc::Index;
  TaskMeasurement out;
  out.features = sel::task_features(sel::FeatureParams{}, task.queries, task.model);
  const Index outputs = Index(out.features["output_dim"]);
  const std::size_t counts = std::size_t(grid.max_stragglers + 1);
  std::map<std::string, sel::RunRecord> records;  // by configuration id, in id order
  for (const auto& [k, n] : grid.codes)
    for (nercc::OrderingMethod ordering : grid.orderings)
      for (nercc::SchemeKind scheme : grid.schemes) {
        nercc::CodeParams code;
        code.num_queries = k;
        code.num_workers = n;
        code.ordering = ordering;
        const CodecSeconds codec = time_codec(scheme, code, task.queries, outputs);
        const CodeTimes& t = times.at({k, n});
        for (Index s = 0; s <= grid.max_stragglers && s <= n - k; ++s) {
          nercc::TuneParams tp;
          tp.code = code;
          tp.scheme = scheme;
          tp.stragglers = {s};
          tp.batches = grid.batches;
          tp.answered_sets = grid.answered_sets;
          tp.lambda_min = 1e-6;  // lambdas {0, 1e-6, 1e-4, 1e-2} on both axes, no refinement
          tp.lambda_max = 1e-2;
          tp.grid_points = 3;
          tp.refine_rounds = 0;
          tp.max_model_calls = 5;
          const nercc::TuneResult r = nercc::tune_lambdas(tp, task.queries, task.model);
          for (const nercc::TuneEntry& e : r.table) {
            sel::Configuration c;
            c.scheme = scheme, c.num_queries = k, c.num_workers = n, c.ordering = ordering;
            c.lambda_enc = e.lambda_enc, c.lambda_dec = e.lambda_dec;
            sel::RunRecord& rec = records[c.id()];
            if (rec.task.empty()) {
              rec.task = task.id;
              rec.task_features = out.features.values;
              rec.environment_features = environment_features;
              rec.config = c;
              rec.mse.assign(counts, std::numeric_limits<double>::quiet_NaN());
              rec.rel_acc = rec.mse;
              rec.encode_seconds = codec.encode;
              rec.decode_seconds = codec.decode;
              rec.straggler_law = law.name();
              rec.latency_quantile = law.quantile;
              for (double q : t.quantile_by_stragglers) rec.latency.push_back(codec.encode + q + codec.decode);
              rec.latency_seconds = rec.latency[0];  // the configuration's quorum: all N answers
              rec.cost = double(n) * t.mean_all_answers / double(k);
            }
            rec.mse[std::size_t(s)] = e.mse.mean;
            rec.rel_acc[std::size_t(s)] = e.rel_acc.mean;
            // Measuring this configuration alone: the reference outputs and its coded queries.
            rec.model_evaluations += double(tp.batches * (k + n));
          }
        }
      }
  for (auto& [id, rec] : records) out.records.push_back(std::move(rec));
  return out;
}

}  // namespace select_corpus
