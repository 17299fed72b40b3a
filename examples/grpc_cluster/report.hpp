// The cluster demo's report: per-scheme results (latencies, agreement, outcomes, the runtime's
// counters) and their table.md, summary.json and latency CDF files.
#pragma once

#include "frontend_options.hpp"
#include "models.hpp"

#include <nercc/runtime.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

inline std::string display_name(const std::string& scheme) {
  if (scheme == "nercc") return "NeRCC";
  if (scheme == "berrut") return "Berrut";
  return scheme;
}

struct SchemeSetup {
  std::string name;
  nercc::SchemeKind kind;
  nercc::Index k, n, s;
};

// The runtime's counters that the summary reports, summed over rounds.
struct Counter {
  const char* name;
  std::uint64_t nercc::runtime::RuntimeMetrics::*member;
};
inline const Counter reported_counters[] = {
    {"calls_sent", &nercc::runtime::RuntimeMetrics::calls_sent},
    {"answers_used", &nercc::runtime::RuntimeMetrics::answers_used},
    {"answers_failed", &nercc::runtime::RuntimeMetrics::answers_failed},
    {"late_answers", &nercc::runtime::RuntimeMetrics::late_answers},
    {"calls_cancelled", &nercc::runtime::RuntimeMetrics::calls_cancelled},
    {"groups_formed", &nercc::runtime::RuntimeMetrics::groups_formed},
    {"groups_padded", &nercc::runtime::RuntimeMetrics::groups_padded},
    {"groups_decided_deadline", &nercc::runtime::RuntimeMetrics::groups_decided_deadline},
    {"unavailable", &nercc::runtime::RuntimeMetrics::unavailable},
    {"too_few_answers", &nercc::runtime::RuntimeMetrics::too_few_answers},
    {"rejected", &nercc::runtime::RuntimeMetrics::rejected},
    {"shed", &nercc::runtime::RuntimeMetrics::shed},
    {"redundancy_lowered", &nercc::runtime::RuntimeMetrics::redundancy_lowered},
};

struct SchemeResult {
  SchemeSetup setup;
  std::vector<double> latency_ms;  // successful queries; sorted by finish()
  std::int64_t queries = 0, ok = 0, agree = 0, missing = 0, lost = 0;
  double sq_err = 0;               // summed over successful queries and the 10 logits
  double seconds = 0;              // first submit to last outcome, summed over rounds
  nercc::runtime::RuntimeMetrics counters;  // only reported_counters are summed

  void add(const nercc::runtime::RuntimeMetrics& m) {
    for (const auto& c : reported_counters) counters.*c.member += m.*c.member;
  }

  void finish() { std::sort(latency_ms.begin(), latency_ms.end()); }
  double mse() const { return ok ? sq_err / double(ok * nercc_examples::Classifier::num_classes) : std::nan(""); }
  /// Successful queries per second while queries were being served.
  double throughput() const { return seconds > 0 ? double(ok) / seconds : 0.0; }

  double quantile(double q) const {
    if (latency_ms.empty()) return std::nan("");
    const auto rank = std::size_t(std::ceil(q * double(latency_ms.size())));
    return latency_ms[std::min(latency_ms.size(), std::max<std::size_t>(rank, 1)) - 1];
  }
  double rel_acc() const { return queries ? double(agree) / double(queries) : 0.0; }
};

inline std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline std::string markdown(const FrontendArgs& a, const std::vector<SchemeResult>& results) {
  std::ostringstream o;
  o << "| scheme | K | N | S | p50 ms | p99 ms | p99.9 ms | throughput q/s | RelAcc | MSE | missing | lost |\n"
    << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : results)
    o << "| " << display_name(r.setup.name) << " | " << r.setup.k << " | " << r.setup.n << " | " << r.setup.s << " | "
      << fixed(r.quantile(0.5), 1) << " | " << fixed(r.quantile(0.99), 1) << " | " << fixed(r.quantile(0.999), 1)
      << " | " << fixed(r.throughput(), 1) << " | " << fixed(r.rel_acc(), 4) << " | " << fixed(r.mse(), 4) << " | "
      << r.missing << " | " << r.lost << " |\n";
  o << "\n" << a.queries << " Fashion-MNIST test queries per scheme at " << a.rate << " q/s, the schemes taking turns in "
    << a.rounds << " rounds, " << a.workers << " worker processes ("
    << (a.model == "smoke" ? "smoke-trained LeNet5" : "LeNet5") << ") on 127.0.0.1";
  if (a.kill_at >= 0)
    o << "; worker " << a.kill_worker << " SIGKILLed after " << a.kill_at * 100 << "% of every turn (restarted between turns)";
  o << ". Injected delay per call: " << a.latency.base_ms << " ms + Exp(" << a.latency.jitter_ms << " ms), x"
    << a.latency.slow_factor << " for " << a.latency.slow_fraction * 100 << "% of calls, + Pareto(" << a.latency.tail_ms
    << " ms, alpha " << a.latency.tail_alpha << ") for " << a.latency.tail_fraction * 100 << "%, capped at "
    << a.latency.max_ms << " ms. Deadline " << a.deadline_ms << " ms, group timeout " << a.group_timeout_ms
    << " ms. Latency: submit to outcome of the answered queries (grouping wait included). RelAcc: fraction of all "
       "queries whose decoded argmax equals the uncoded model's (computed locally); a missing query counts as a "
       "disagreement. missing: queries whose outcome is an error (e.g. their only worker died); lost: queries "
       "without any outcome.\n";
  return o.str();
}

inline std::string json_line(const FrontendArgs& a, const std::vector<SchemeResult>& results) {
  std::ostringstream o;
  o.precision(6);
  auto num = [&](double v) -> std::ostringstream& {
    if (std::isnan(v)) o << "null";
    else o << v;
    return o;
  };
  const auto& l = a.latency;
  o << "{\"demo\":\"grpc_cluster\",\"config\":{\"workers\":" << a.workers << ",\"queries\":" << a.queries
    << ",\"rate\":" << a.rate << ",\"rounds\":" << a.rounds << ",\"deadline_ms\":" << a.deadline_ms << ",\"group_timeout_ms\":" << a.group_timeout_ms
    << ",\"kill_at\":" << a.kill_at << ",\"kill_worker\":" << a.kill_worker << ",\"model\":\"" << a.model
    << "\",\"lambda_enc\":" << a.lambda_enc << ",\"lambda_dec\":" << a.lambda_dec << ",\"latency\":{\"base_ms\":"
    << l.base_ms << ",\"jitter_ms\":" << l.jitter_ms << ",\"slow_fraction\":" << l.slow_fraction
    << ",\"slow_factor\":" << l.slow_factor << ",\"tail_fraction\":" << l.tail_fraction << ",\"tail_ms\":" << l.tail_ms
    << ",\"tail_alpha\":" << l.tail_alpha << ",\"max_ms\":" << l.max_ms << "}},\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    o << (i ? "," : "") << "{\"scheme\":\"" << r.setup.name << "\",\"K\":" << r.setup.k << ",\"N\":" << r.setup.n
      << ",\"S\":" << r.setup.s << ",\"p50_ms\":";
    num(r.quantile(0.5)) << ",\"p99_ms\":";
    num(r.quantile(0.99)) << ",\"p999_ms\":";
    num(r.quantile(0.999)) << ",\"max_ms\":";
    num(r.latency_ms.empty() ? std::nan("") : r.latency_ms.back()) << ",\"throughput_qps\":";
    num(r.throughput()) << ",\"rel_acc\":";
    num(r.rel_acc()) << ",\"mse\":";
    num(r.mse()) << ",\"queries\":" << r.queries << ",\"ok\":" << r.ok << ",\"missing\":" << r.missing
                 << ",\"lost\":" << r.lost;
    for (const auto& c : reported_counters) o << ",\"" << c.name << "\":" << r.counters.*c.member;
    o << "}";
  }
  o << "]}";
  return o.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

// Sorted latencies, their empirical CDF, and the fraction at least as slow (for the tail
// panel of cdf.gp, which a log scale cannot show at 1 - CDF = 0). About 1000 evenly spaced
// points below the 99th percentile and every point above it keep the files small.
inline std::string cdf_data(const SchemeResult& r) {
  std::ostringstream o;
  o << "# latency_ms cdf at_least (" << display_name(r.setup.name) << ", answered queries)\n";
  const std::size_t n = r.latency_ms.size(), tail = n - n / 100, stride = std::max<std::size_t>(1, n / 1000);
  for (std::size_t i = 0; i < n; ++i)
    if (i >= tail || i % stride == 0 || i + 1 == n)
      o << r.latency_ms[i] << " " << double(i + 1) / double(n) << " " << double(n - i) / double(n) << "\n";
  return o.str();
}

}  // namespace nercc_cluster
