// The fault run's report: per query what happened, per run (scenario x scheme) the outcome
// counts, lost and duplicated queries, p99 before, during and after the fault and the time to
// recover, written as faults.md, summary.json, events.csv, windows.csv and queries.csv.
#pragma once

#include <nercc/runtime.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace nercc_cluster {

/// One submitted query. Times in seconds from the run's start (steady clock).
struct QueryRecord {
  double submit_s = 0, done_s = 0;
  int error = -1;    // the first outcome's nercc::runtime::QueryError; -1: no outcome
  int outcomes = 0;  // how many outcomes arrived (must be 1)
};

inline const nercc::runtime::QueryError all_errors[] = {
    nercc::runtime::QueryError::none,        nercc::runtime::QueryError::too_few_answers,
    nercc::runtime::QueryError::unavailable, nercc::runtime::QueryError::rejected,
    nercc::runtime::QueryError::shed,        nercc::runtime::QueryError::shut_down,
    nercc::runtime::QueryError::internal};

inline std::string outcome_name(int error) {
  if (error < 0) return "lost";
  const auto e = nercc::runtime::QueryError(error);
  return e == nercc::runtime::QueryError::none ? "ok" : nercc::runtime::to_string(e);
}

/// Rolling p99 windows are this long, evaluated every step; recovery must last `hold`.
constexpr double window_s = 1.0, window_step_s = 0.1, recovery_hold_s = 1.0, recovery_factor = 1.5;

struct FaultRun {
  std::string scenario, scheme;
  nercc::Index k = 0, n = 0, s = 0;
  double fault_start_s = 0, fault_end_s = 0, end_s = 0, warmup_s = 1.0;
  std::vector<QueryRecord> queries;
  nercc::runtime::RuntimeMetrics metrics;  // the runtime's counters at the end of the run

  std::int64_t count(int error) const {
    return std::count_if(queries.begin(), queries.end(), [&](const QueryRecord& q) { return q.error == error; });
  }
  std::int64_t lost() const { return count(-1); }
  std::int64_t duplicated() const {
    return std::count_if(queries.begin(), queries.end(), [](const QueryRecord& q) { return q.outcomes > 1; });
  }

  /// p99 latency (ms) of the successful queries submitted in [from, to); NaN when none.
  double p99_ok(double from, double to) const { return quantile(latencies(from, to, false), 0.99); }
  double p99_before() const { return p99_ok(std::min(warmup_s, fault_start_s / 2), fault_start_s); }
  double p99_during() const { return p99_ok(fault_start_s, fault_end_s); }
  double p99_after() const { return p99_ok(fault_end_s, end_s); }

  /// p99 (ms) of every query submitted in [from, from + window_s), an error counting as an
  /// infinite latency: a window is only as good as its slowest 1%, failures included.
  double rolling_p99(double from) const { return quantile(latencies(from, from + window_s, true), 0.99); }

  /// Time to recover (s): from the fault's end to the first window start u such that the
  /// rolling p99 of every window starting in [u, u + recovery_hold_s] is within
  /// recovery_factor x p99_before(). NaN when that does not happen before the run ends.
  double recovery_s() const {
    const double bound = recovery_factor * p99_before();
    const int steps = int(std::floor((end_s - window_s - fault_end_s) / window_step_s + 1e-9));
    const int hold = int(std::lround(recovery_hold_s / window_step_s));
    int good_run = 0;
    for (int i = 0; i <= steps; ++i) {
      const double p = rolling_p99(fault_end_s + i * window_step_s);
      good_run = (!std::isnan(p) && p <= bound) ? good_run + 1 : 0;
      if (good_run > hold) return (i - hold) * window_step_s;
    }
    return std::nan("");
  }

 private:
  std::vector<double> latencies(double from, double to, bool errors_as_inf) const {
    std::vector<double> v;
    for (const auto& q : queries)
      if (q.submit_s >= from && q.submit_s < to) {
        if (q.error == 0) v.push_back((q.done_s - q.submit_s) * 1e3);
        else if (errors_as_inf) v.push_back(INFINITY);
      }
    return v;
  }
  static double quantile(std::vector<double> v, double q) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const auto rank = std::size_t(std::ceil(q * double(v.size())));
    return v[std::min(v.size(), std::max<std::size_t>(rank, 1)) - 1];
  }
};

inline std::string fixed_or(double v, int digits, const char* missing) {
  if (std::isnan(v)) return missing;
  if (std::isinf(v)) return "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline std::string fault_table(const std::vector<FaultRun>& runs) {
  std::ostringstream o;
  o << "| scenario | scheme | K | N | S | submitted";
  for (auto e : all_errors) o << " | " << outcome_name(int(e));
  o << " | lost | duplicated | failed calls | p99 before ms | p99 during ms | p99 after ms | recovery s |\n"
    << "|---|---|---|---|---|---";
  for (std::size_t i = 0; i < std::size(all_errors) + 7; ++i) o << "|---";
  o << "|\n";
  for (const auto& r : runs) {
    o << "| " << r.scenario << " | " << (r.scheme == "nercc" ? "NeRCC" : r.scheme) << " | " << r.k << " | " << r.n
      << " | " << r.s << " | " << r.queries.size();
    for (auto e : all_errors) o << " | " << r.count(int(e));
    o << " | " << r.lost() << " | " << r.duplicated() << " | " << r.metrics.answers_failed << " | "
      << fixed_or(r.p99_before(), 1, "n/a") << " | "
      << fixed_or(r.p99_during(), 1, "n/a") << " | " << fixed_or(r.p99_after(), 1, "n/a") << " | "
      << fixed_or(r.recovery_s(), 1, "not in run") << " |\n";
  }
  return o.str();
}

inline std::string fault_json(const std::vector<FaultRun>& runs) {
  std::ostringstream o;
  auto num = [](double v) { return std::isfinite(v) ? fixed_or(v, 4, "null") : std::string("null"); };
  o << "{\"demo\":\"grpc_cluster_faults\",\"runs\":[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    o << (i ? "," : "") << "\n{\"scenario\":\"" << r.scenario << "\",\"scheme\":\"" << r.scheme << "\",\"K\":" << r.k
      << ",\"N\":" << r.n << ",\"S\":" << r.s << ",\"submitted\":" << r.queries.size();
    for (auto e : all_errors) o << ",\"" << outcome_name(int(e)) << "\":" << r.count(int(e));
    o << ",\"lost\":" << r.lost() << ",\"duplicated\":" << r.duplicated() << ",\"fault_start_s\":"
      << num(r.fault_start_s) << ",\"fault_end_s\":" << num(r.fault_end_s) << ",\"end_s\":" << num(r.end_s)
      << ",\"p99_before_ms\":" << num(r.p99_before()) << ",\"p99_during_ms\":" << num(r.p99_during())
      << ",\"p99_after_ms\":" << num(r.p99_after()) << ",\"recovery_s\":" << num(r.recovery_s())
      << ",\"calls_sent\":" << r.metrics.calls_sent << ",\"answers_failed\":" << r.metrics.answers_failed
      << ",\"late_answers\":" << r.metrics.late_answers << ",\"calls_cancelled\":" << r.metrics.calls_cancelled
      << ",\"groups_decided_deadline\":" << r.metrics.groups_decided_deadline
      << ",\"redundancy_lowered\":" << r.metrics.redundancy_lowered << "}";
  }
  o << "]}\n";
  return o.str();
}

inline std::string events_csv(const std::vector<FaultRun>& runs) {
  std::ostringstream o;
  o << "scenario,scheme,fault_start_s,fault_end_s,end_s\n";
  for (const auto& r : runs)
    o << r.scenario << "," << r.scheme << "," << r.fault_start_s << "," << r.fault_end_s << "," << r.end_s << "\n";
  return o.str();
}

/// The rolling p99 (errors as inf) every window_step_s, for plots and to check recovery_s.
inline std::string windows_csv(const std::vector<FaultRun>& runs) {
  std::ostringstream o;
  o << "scenario,scheme,window_start_s,rolling_p99_ms\n";
  for (const auto& r : runs)
    for (double u = 0; u + window_s <= r.end_s + 1e-9; u += window_step_s)
      o << r.scenario << "," << r.scheme << "," << fixed_or(u, 1, "") << "," << fixed_or(r.rolling_p99(u), 2, "")
        << "\n";
  return o.str();
}

inline std::string queries_csv(const std::vector<FaultRun>& runs) {
  std::ostringstream o;
  o << "scenario,scheme,query,submit_s,done_s,outcome,outcomes\n";
  for (const auto& r : runs)
    for (std::size_t i = 0; i < r.queries.size(); ++i) {
      const auto& q = r.queries[i];
      o << r.scenario << "," << r.scheme << "," << i << "," << fixed_or(q.submit_s, 4, "") << ","
        << (q.outcomes ? fixed_or(q.done_s, 4, "") : "") << "," << outcome_name(q.error) << "," << q.outcomes << "\n";
    }
  return o.str();
}

}  // namespace nercc_cluster
