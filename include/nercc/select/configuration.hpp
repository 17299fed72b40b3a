// Configuration: one coded serving configuration as the selector names, logs and describes it
// (scheme, K, N, layout and spread, query ordering, lambdas, decision rule and release policy).
// Standard library only.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/schemes.hpp>

#include <cmath>
#include <string>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// One configuration of the selector's grid. Plain data; the fields mirror plan::Plan and
/// plan::AccuracyEntry so a configuration maps onto the planner's and the runtime's parameters.
struct Configuration {
  SchemeKind scheme = SchemeKind::berrut;
  Index num_queries = 1;  ///< K
  Index num_workers = 1;  ///< N
  OrderingMethod ordering = OrderingMethod::as_given;
  double worker_spread = 0.0;  ///< > 0: systematic layout with clustered companions of this spread
  double lambda_enc = 0.0, lambda_dec = 0.0;
  Index quorum = 0;             ///< answers decoded from under the quorum rule; 0: N
  double deadline_level = 0.0;  ///< > 0: the deadline rule at this slowdown quantile; 0: quorum rule
  bool early_release = false;   ///< queries leave at their exact answer
  bool fallback = false;        ///< deadline failures answered by a fallback model
  double hedge_level = 0.0;     ///< > 0: hedged requests at this quantile (replication, uncoded)

  /// Throws nercc::invalid_argument naming the bad field.
  void validate() const {
    using nercc::detail::message;
    bool known = false;
    for (SchemeKind s : all_schemes) known = known || s == scheme;
    if (!known) throw invalid_argument(message("scheme (", int(scheme), ") is not a SchemeKind"));
    nercc::detail::check_ordering_method("ordering", ordering);
    if (num_queries < 1) throw invalid_argument(message("num_queries (", num_queries, ") must be >= 1"));
    if (num_workers < num_queries)
      throw invalid_argument(message("num_workers (", num_workers, ") must be >= num_queries (", num_queries, ")"));
    if (quorum != 0 && (quorum < num_queries || quorum > num_workers))
      throw invalid_argument(message("quorum (", quorum, ") must be 0 or lie in [num_queries, num_workers]"));
    const double values[] = {worker_spread, lambda_enc, lambda_dec};
    const char* names[] = {"worker_spread", "lambda_enc", "lambda_dec"};
    for (int i = 0; i < 3; ++i)
      if (!(values[i] >= 0.0 && std::isfinite(values[i])))
        throw invalid_argument(message(names[i], " (", values[i], ") must be finite and >= 0"));
    if (!(deadline_level >= 0.0 && deadline_level < 1.0))
      throw invalid_argument(message("deadline_level (", deadline_level, ") must lie in [0, 1)"));
    if (!(hedge_level >= 0.0 && hedge_level < 1.0))
      throw invalid_argument(message("hedge_level (", hedge_level, ") must lie in [0, 1)"));
  }

  /// A canonical name, equal for equal configurations: the key of the performance matrix.
  std::string id() const {
    using nercc::detail::message;
    std::string s = message(to_string(scheme), ":K", num_queries, ":N", num_workers, ":", to_string(ordering));
    if (worker_spread > 0.0) s += message(":spread", worker_spread);
    if (lambda_enc > 0.0 || lambda_dec > 0.0) s += message(":lam", lambda_enc, ",", lambda_dec);
    if (quorum > 0) s += message(":q", quorum);
    if (deadline_level > 0.0) s += message(":dl", deadline_level);
    if (early_release) s += ":early";
    if (fallback) s += ":fallback";
    if (hedge_level > 0.0) s += message(":hedge", hedge_level);
    return s;
  }

  /// Numeric description for the learners that regress on configurations, named by
  /// feature_names(): one-hot scheme and ordering, K, N, N/K, log10(1 + 1e6 lambda) of each
  /// lambda (the lambdas span decades), spread, quorum / N, deadline and hedge levels, flags.
  std::vector<double> features() const {
    std::vector<double> f;
    for (SchemeKind s : all_schemes) f.push_back(s == scheme ? 1.0 : 0.0);
    for (OrderingMethod o : orderings()) f.push_back(o == ordering ? 1.0 : 0.0);
    f.push_back(double(num_queries));
    f.push_back(double(num_workers));
    f.push_back(double(num_workers) / double(num_queries));
    f.push_back(std::log10(1.0 + 1e6 * lambda_enc));
    f.push_back(std::log10(1.0 + 1e6 * lambda_dec));
    f.push_back(worker_spread);
    f.push_back(quorum > 0 ? double(quorum) / double(num_workers) : 1.0);
    f.push_back(deadline_level);
    f.push_back(hedge_level);
    f.push_back(early_release ? 1.0 : 0.0);
    f.push_back(fallback ? 1.0 : 0.0);
    return f;
  }

  /// The names of features(), in order.
  static std::vector<std::string> feature_names() {
    std::vector<std::string> n;
    for (SchemeKind s : all_schemes) n.push_back(std::string("scheme_") + to_string(s));
    for (OrderingMethod o : orderings()) n.push_back(std::string("ordering_") + to_string(o));
    for (const char* s : {"num_queries", "num_workers", "redundancy", "log_lambda_enc", "log_lambda_dec",
                          "worker_spread", "quorum_fraction", "deadline_level", "hedge_level", "early_release",
                          "fallback"})
      n.push_back(s);
    return n;
  }

  /// Every OrderingMethod, in declaration order.
  static std::vector<OrderingMethod> orderings() {
    return {OrderingMethod::as_given, OrderingMethod::greedy_chain, OrderingMethod::greedy_two_opt,
            OrderingMethod::principal_direction};
  }

};

/// The SchemeKind printed as `name` by to_string; throws nercc::invalid_argument naming `field`.
inline SchemeKind parse_scheme(const std::string& name, const std::string& field) {
  for (SchemeKind s : all_schemes)
    if (name == to_string(s)) return s;
  throw invalid_argument(nercc::detail::message(field, ": '", name, "' is not a scheme (spline, berrut, replication, uncoded)"));
}

/// The OrderingMethod printed as `name` by to_string; throws nercc::invalid_argument naming `field`.
inline OrderingMethod parse_ordering(const std::string& name, const std::string& field) {
  for (OrderingMethod o : Configuration::orderings())
    if (name == to_string(o)) return o;
  throw invalid_argument(nercc::detail::message(
      field, ": '", name, "' is not an ordering (as_given, greedy_chain, greedy_two_opt, principal_direction)"));
}

}  // namespace select
NERCC_NAMESPACE_END
