// The accuracy table the planner reads: RelAcc and MSE per (scheme, K, N, answers used),
// measured on the user's model by calibrate() (nercc/plan/calibrate.hpp, which needs the tuner).
// Standard library only.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/schemes.hpp>

#include <map>
#include <optional>
#include <tuple>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace plan {

/// One measured configuration: the tuned lambdas and the estimates with `answers` answers.
struct AccuracyEntry {
  SchemeKind scheme = SchemeKind::spline;
  Index num_queries = 0;  ///< K
  Index num_workers = 0;  ///< N
  Index answers = 0;      ///< usable answers decoded from (N - S)
  double rel_acc = 0.0;   ///< mean RelAcc
  double rel_acc_std_error = 0.0;
  double mse = 0.0;       ///< mean MSE against the uncoded outputs
  double lambda_enc = 0.0, lambda_dec = 0.0;
  OrderingMethod ordering = OrderingMethod::as_given;  ///< the query ordering it was measured with
  double worker_spread = 0.0;  ///< clustered_worker_points spread it was measured with; 0: default points
};

/// The schemes whose accuracy is measured (is_regression). The others (replication, uncoded)
/// return each query's own answer, exact whenever it has one.
inline std::vector<SchemeKind> measured_schemes() {
  std::vector<SchemeKind> out;
  for (SchemeKind s : all_schemes)
    if (scheme_facts(s).is_regression) out.push_back(s);
  return out;
}

/// RelAcc/MSE per (scheme, K, N, answers). Schemes that are not measured_schemes() are exact
/// whenever every query has an answer, so they need no entries: lookup() answers RelAcc 1, MSE 0
/// for them.
/// Plain data; const members are thread-safe.
class AccuracyTable {
 public:
  /// Adds or replaces the entry of (scheme, K, N, answers).
  void add(const AccuracyEntry& e) { entries_[key(e.scheme, e.num_queries, e.num_workers, e.answers)] = e; }

  /// The entry for `answers` answers, conservatively: a measured count is returned as is; an
  /// unmeasured one takes the entry of the largest measured count below it (more answers never
  /// decode worse), with `answers` set to the request. Empty when no count <= answers was
  /// measured for (scheme, K, N).
  std::optional<AccuracyEntry> lookup(SchemeKind scheme, Index k, Index n, Index answers) const {
    if (!scheme_facts(scheme).is_regression) {
      AccuracyEntry e;
      e.scheme = scheme, e.num_queries = k, e.num_workers = n, e.answers = answers;
      e.rel_acc = 1.0;
      return e;
    }
    auto it = entries_.upper_bound(key(scheme, k, n, answers));
    if (it == entries_.begin()) return std::nullopt;
    --it;
    const auto& [s, kk, nn, a] = it->first;
    if (s != int(scheme) || kk != k || nn != n || a > answers) return std::nullopt;
    AccuracyEntry e = it->second;
    e.answers = answers;
    return e;
  }

  const std::map<std::tuple<int, Index, Index, Index>, AccuracyEntry>& entries() const { return entries_; }

 private:
  static std::tuple<int, Index, Index, Index> key(SchemeKind s, Index k, Index n, Index a) { return {int(s), k, n, a}; }
  std::map<std::tuple<int, Index, Index, Index>, AccuracyEntry> entries_;
};

}  // namespace plan
NERCC_NAMESPACE_END
