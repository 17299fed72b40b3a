// OverloadController: the policy that lowers redundancy, then sheds admission, under load.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/params.hpp>
#include <nercc/robust/adversary_budget.hpp>

#include <algorithm>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// The overload controller's settings. It watches the load, the fuller of the admission queue and
/// the in-flight window (as a fraction of capacity), at every query the group stage takes and at
/// every submit while shedding. After `patience` consecutive observations at or above
/// high_watermark it first removes `workers_step` workers from subsequent groups (down to
/// min_workers), then, at the floor, sheds admission (submit answers QueryError::shed). After
/// `patience` observations at or below low_watermark it undoes one step: stops shedding, then
/// restores workers. Every action is counted in RuntimeMetrics.
struct OverloadParams {
  bool enabled = true;
  double high_watermark = 0.75;  ///< load fraction that counts as overloaded
  double low_watermark = 0.25;   ///< load fraction that counts as relieved
  int patience = 8;              ///< consecutive observations before acting
  /// Floor of workers per group; 0 = num_queries + 2 num_adversaries (K + 2E, capped at N: the
  /// fewest answers a spline or Berrut code locating E wrong answers decodes from; K when E = 0).
  Index min_workers = 0;
  Index workers_step = 0;        ///< workers removed or restored per step; 0 = ceil((N - floor) / 2)
  bool shed = true;              ///< at the floor, refuse admission while overloaded

  /// Throws nercc::invalid_argument naming the bad field (`code` gives K and N).
  void validate(const CodeParams& code) const {
    using ::nercc::detail::message;
    if (!(high_watermark > 0.0 && high_watermark <= 1.0))
      throw invalid_argument(message("overload.high_watermark (", high_watermark, ") must lie in (0, 1]"));
    if (!(low_watermark >= 0.0 && low_watermark < high_watermark))
      throw invalid_argument(message("overload.low_watermark (", low_watermark, ") must lie in [0, high_watermark (",
                                     high_watermark, "))"));
    if (patience < 1) throw invalid_argument(message("overload.patience (", patience, ") must be >= 1"));
    if (min_workers != 0 && (min_workers < code.num_queries || min_workers > code.num_workers))
      throw invalid_argument(message("overload.min_workers (", min_workers, ") must be 0 or lie in [num_queries (",
                                     code.num_queries, "), num_workers (", code.num_workers, ")]"));
    if (min_workers != 0 && min_workers < robust::answers_to_locate(code.num_queries, code.num_adversaries))
      throw invalid_argument(message("overload.min_workers (", min_workers, ") must be >= num_queries + 2 * ",
                                     "num_adversaries (", robust::answers_to_locate(code.num_queries, code.num_adversaries),
                                     "): fewer answers cannot be checked for wrong ones"));
    if (workers_step < 0) throw invalid_argument(message("overload.workers_step (", workers_step, ") must be >= 0"));
  }
  Index floor(const CodeParams& code) const {
    return min_workers ? min_workers : std::min(code.num_workers, robust::answers_to_locate(code.num_queries, code.num_adversaries));
  }
  Index step(const CodeParams& code) const {
    if (workers_step) return workers_step;
    const Index span = code.num_workers - floor(code);
    return span > 0 ? (span + 1) / 2 : 1;
  }
};

/// What one observation made the controller do.
enum class OverloadAction { none, lower_redundancy, start_shedding, stop_shedding, restore_redundancy };

inline const char* to_string(OverloadAction a) {
  switch (a) {
    case OverloadAction::none: return "none";
    case OverloadAction::lower_redundancy: return "lower_redundancy";
    case OverloadAction::start_shedding: return "start_shedding";
    case OverloadAction::stop_shedding: return "stop_shedding";
    case OverloadAction::restore_redundancy: return "restore_redundancy";
  }
  return "unknown";
}

/// A policy against overload, as a pure state machine over load observations: no clock, no
/// queues, no locks. The runtime feeds it loads and applies what it says (workers_in_use() for
/// the next groups, shedding() for admission) and counts every action. Not synchronised: the
/// runtime serialises calls. A new policy is a class implementing this interface plus its case
/// in make_overload_policy (policies.hpp).
class OverloadPolicy {
 public:
  virtual ~OverloadPolicy() = default;
  /// One observation of the load (the fuller of the admission queue and the in-flight window,
  /// as a fraction of capacity).
  virtual OverloadAction observe(double load) = 0;
  /// Workers each new group uses.
  virtual Index workers_in_use() const = 0;
  /// True while admission is being shed.
  virtual bool shedding() const = 0;
  /// False when observe() never acts (the runtime then skips measuring the load).
  virtual bool enabled() const = 0;
};

/// The watermark controller of OverloadParams: after `patience` observations at or above the
/// high watermark, lower redundancy by a step, then shed at the floor; after `patience` at or
/// below the low watermark, undo one step.
class OverloadController final : public OverloadPolicy {
 public:
  /// `params` must be valid for `code` (OverloadParams::validate).
  OverloadController(const OverloadParams& params, const CodeParams& code)
      : params_(params),
        floor_(params.floor(code)),
        step_(params.step(code)),
        max_workers_(code.num_workers),
        workers_(code.num_workers) {}

  /// Disabled: nothing changes.
  OverloadAction observe(double load) override {
    if (!params_.enabled) return OverloadAction::none;
    if (load >= params_.high_watermark) ++over_, under_ = 0;
    else if (load <= params_.low_watermark) ++under_, over_ = 0;
    else over_ = under_ = 0;
    if (over_ >= params_.patience) {
      over_ = 0;
      if (workers_ > floor_) {
        workers_ = std::max(floor_, workers_ - step_);
        return OverloadAction::lower_redundancy;
      }
      if (params_.shed && !shedding_) {
        shedding_ = true;
        return OverloadAction::start_shedding;
      }
    } else if (under_ >= params_.patience) {
      under_ = 0;
      if (shedding_) {
        shedding_ = false;
        return OverloadAction::stop_shedding;
      }
      if (workers_ < max_workers_) {
        workers_ = std::min(max_workers_, workers_ + step_);
        return OverloadAction::restore_redundancy;
      }
    }
    return OverloadAction::none;
  }

  /// N until lowered, never below the floor.
  Index workers_in_use() const override { return workers_; }
  bool shedding() const override { return shedding_; }
  bool enabled() const override { return params_.enabled; }

 private:
  OverloadParams params_;
  Index floor_, step_, max_workers_, workers_;
  int over_ = 0, under_ = 0;
  bool shedding_ = false;
};

}  // namespace runtime
NERCC_NAMESPACE_END
