// What came of one configuration's queries in one turn on the cluster (or pooled over turns):
// latencies of the answered queries, agreement with the served model, answers by provenance,
// and the queries that failed or got no outcome at all.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace nercc_cluster {

/// One configuration's queries in one round (or pooled over rounds).
struct TurnResult {
  std::vector<double> latency_ms;  // answered queries; sorted by finish()
  std::int64_t queries = 0, ok = 0, agree = 0, missing = 0, lost = 0;
  std::map<std::string, std::int64_t> provenance;  // answered queries by provenance name
  std::int64_t hedged = 0;  // answered queries whose value came from a backup copy (any provenance)

  void merge(const TurnResult& r) {
    latency_ms.insert(latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    queries += r.queries, ok += r.ok, agree += r.agree, missing += r.missing, lost += r.lost, hedged += r.hedged;
    for (const auto& [name, count] : r.provenance) provenance[name] += count;
  }
  void finish() { std::sort(latency_ms.begin(), latency_ms.end()); }
  double quantile(double q) const {
    if (latency_ms.empty()) return std::nan("");
    const auto rank = std::size_t(std::ceil(q * double(latency_ms.size())));
    return latency_ms[std::min(latency_ms.size(), std::max<std::size_t>(rank, 1)) - 1];
  }
  /// The q-quantile over every query, a query without an answer counting as infinitely late
  /// (as the planner counts a failed query against the SLO). Needs finish().
  double quantile_of_all(double q) const {
    if (queries == 0) return std::nan("");
    const auto rank = std::max<std::int64_t>(1, std::int64_t(std::ceil(q * double(queries))));
    return rank <= std::int64_t(latency_ms.size()) ? latency_ms[std::size_t(rank - 1)]
                                                   : std::numeric_limits<double>::infinity();
  }
  /// Fraction of all queries whose answer's argmax is the served model's; no answer disagrees.
  double rel_acc() const { return queries ? double(agree) / double(queries) : std::nan(""); }
  /// Fraction of all queries answered with this provenance.
  double share(const std::string& name) const {
    const auto it = provenance.find(name);
    return queries ? double(it == provenance.end() ? 0 : it->second) / double(queries) : std::nan("");
  }
  double hedged_share() const { return queries ? double(hedged) / double(queries) : std::nan(""); }
  double missing_share() const { return queries ? double(missing) / double(queries) : std::nan(""); }
};

}  // namespace nercc_cluster
