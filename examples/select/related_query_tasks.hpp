// The related-query forecasters of the corpus: the related-queries example's next-day
// temperature forecaster (LibTorch) on Debian's Seattle weather data, at two widths, under three
// distributions of the test windows: "related" (in time order, so a K-row group is K consecutive
// windows, as one stream's requests), "unrelated" (the same windows shuffled) and "noisy" (time
// order, N(0, 0.3^2) added to the standardised inputs). Part of the corpus-builder example.
#pragma once

#include "../related_queries/forecaster.hpp"
#include "../related_queries/workload.hpp"
#include "input_distributions.hpp"
#include "task.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace select_corpus {

/// Widths 8 (the example's default) and 32 (`smoke`: 8 and the related distribution alone),
/// at most `rows` test windows per distribution. Throws std::runtime_error when the data are missing.
inline std::vector<Task> related_query_tasks(bool smoke, nercc::Index rows) {
  const nercc_examples::ForecastWorkload w = nercc_examples::make_forecast_workload(nercc_examples::load_seattle_weather());
  const nercc::Index test_rows = std::min(rows, w.test_rows());
  const Matrix related = w.queries.middleRows(w.train_end, test_rows).cast<double>();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Task> tasks;
  for (int hidden : smoke ? std::vector<int>{8} : std::vector<int>{8, 32}) {
    nercc_examples::ForecasterConfig c;
    c.hidden = hidden;
    const nercc_examples::Forecaster f =
        nercc_examples::Forecaster::train(w.queries.topRows(w.train_end), w.targets.topRows(w.train_end), c, 1);
    const Model model = [f](const Matrix& q) -> Matrix { return f.predict(q.cast<float>(), 1).cast<double>(); };
    const std::string name = "forecast_h" + std::to_string(hidden);
    std::printf("trained %s (LibTorch, %ld windows)\n", name.c_str(), long(w.train_end));
    std::fflush(stdout);
    tasks.push_back(Task{name + "/related", model, related});
    if (smoke) return tasks;
    tasks.push_back(Task{name + "/unrelated", model, shuffled(related, 11)});
    tasks.push_back(Task{name + "/noisy", model, noisy(related, 0.3, -inf, inf, 13)});
  }
  return tasks;
}

}  // namespace select_corpus
