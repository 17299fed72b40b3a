// DecisionRule: when a group stops collecting answers and is decoded.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/runtime/clock.hpp>
#include <nercc/runtime/group_log.hpp>

#include <algorithm>
#include <optional>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// What a decision rule knows of a group when it is dispatched.
struct GroupShape {
  Index workers = 0;      ///< calls sent (the workers in use)
  Index min_answers = 0;  ///< the fewest usable answers the decoder accepts
  /// True when every worker computes one query as is (replication, uncoded); then `queries`
  /// query positions must each get `copies` usable answers.
  bool covers_queries = false;
  Index queries = 0;
  /// Usable answers that cover a position: 1, or 2E + 1 when the decoder outvotes E wrong
  /// copies (replication with CodeParams::num_adversaries = E > 0).
  Index copies = 1;
};

/// The group's collection so far, after a call resolved.
struct CollectProgress {
  Index resolved = 0;  ///< calls answered or failed (late answers excluded)
  Index usable = 0;    ///< well-formed finite answers
  Index covered = 0;   ///< covers_queries: positions with `copies` usable answers
};

/// A policy deciding groups. The collect stage asks it after every resolved call, and arms one
/// timer per group at dispatch + deadline(); shutdown decides every group it has not. A new
/// rule is a class implementing this interface plus its case in make_decision_rule
/// (policies.hpp). Rules are immutable once built and called from many threads at once.
class DecisionRule {
 public:
  virtual ~DecisionRule() = default;
  /// Usable answers that decide the group (reported in GroupLog::quorum).
  virtual Index quorum(const GroupShape& shape) const = 0;
  /// Time after dispatch at which a group still collecting is decided with what arrived
  /// (Decision::deadline).
  virtual Duration deadline() const = 0;
  /// After a call of the group resolved: the decision, if the group is decided now.
  virtual std::optional<Decision> on_progress(const GroupShape& shape, const CollectProgress& progress) const = 0;
};

/// The rule of RuntimeParams: decide at N_used - S usable answers (never fewer than the decoder's
/// min_answers, never more than the calls), when every query position is covered (replication,
/// uncoded), when every call has resolved, or at the deadline, whichever comes first.
class QuorumOrDeadline final : public DecisionRule {
 public:
  QuorumOrDeadline(Index stragglers, Duration deadline) : stragglers_(stragglers), deadline_(deadline) {
    if (stragglers < 0) throw invalid_argument(::nercc::detail::message("stragglers (", stragglers, ") must be >= 0"));
    if (deadline <= Duration::zero())
      throw invalid_argument(::nercc::detail::message("deadline (", seconds(deadline), " s) must be > 0"));
  }
  Index quorum(const GroupShape& s) const override {
    return std::min(s.workers, std::max(s.min_answers, s.workers - stragglers_));
  }
  Duration deadline() const override { return deadline_; }
  std::optional<Decision> on_progress(const GroupShape& s, const CollectProgress& p) const override {
    const bool all_covered = s.covers_queries && p.covered == s.queries;
    if (p.usable >= quorum(s) || all_covered) return Decision::quorum;
    if (p.resolved == s.workers) return Decision::resolved;
    return std::nullopt;
  }

 private:
  Index stragglers_;
  Duration deadline_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
