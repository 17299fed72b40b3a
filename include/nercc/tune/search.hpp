// The search behind tune_lambdas (<nercc/tune.hpp>): the coarse grid and its refinement over
// (lambda_enc, lambda_dec) on fixed samples, and the loop over worker spreads. Implementation
// detail of the tuner; the public entry points are in <nercc/tune.hpp>.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/params.hpp>
#include <nercc/points.hpp>
#include <nercc/tune/params.hpp>
#include <nercc/tune/sampling.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN

namespace detail {

/// The ordering of candidates (TuneEntry or TuneResult): the chosen metric, then the other, then
/// the smaller lambdas (exact ties happen where smoothing is negligible).
template <class Candidate>
auto tune_key(TuneMetric metric, const Candidate& e) {
  return metric == TuneMetric::mse ? std::make_tuple(e.mse.mean, -e.rel_acc.mean, e.lambda_enc + e.lambda_dec)
                                   : std::make_tuple(-e.rel_acc.mean, e.mse.mean, e.lambda_enc + e.lambda_dec);
}

/// The lambda search of tune_lambdas for one scheme and one set of worker points, on batches
/// that are the K-row blocks of `queries` (see tune_lambdas for the objective and TuneParams for
/// the grid and the refinement).
///
/// Holds its parameters and queries by value. The model is held by reference: a search lives
/// only inside one tune_lambdas call, which owns neither the model nor a copy of it, so the
/// reference cannot outlive the caller's model; and a copy would be wrong, since models may be
/// stateful (a noise source, a call counter, a network with caches) or not copyable, and the
/// searches of several worker spreads must call the same model in sequence. Not copyable, so it
/// cannot escape with the reference. Not thread-safe: one search runs on one thread.
template <class Scheme, class S, class Model>
class LambdaSearch {
 public:
  /// Params must be valid (TuneParams::validate) with worker_spreads empty. reference: the
  /// model's outputs on `queries`, or null to compute them here (one model call).
  LambdaSearch(TuneParams params, RowMatrix<S> queries, Model& model, const RowMatrix<S>* reference = nullptr)
      : p_(std::move(params)), k_(p_.code.num_queries), n_(p_.code.num_workers), queries_(std::move(queries)),
        model_(model) {
    draw_answered_sets();
    if (reference != nullptr) {
      reference_ = *reference;
      model_calls_ = 1;  // the budget counts the reference call once per search
    } else {
      reference_ = call_model(queries_, p_.batches * k_);
    }
    if (!reference_.allFinite())
      throw invalid_argument("the model's outputs on the calibration queries are not all finite");
  }

  LambdaSearch(const LambdaSearch&) = delete;
  LambdaSearch& operator=(const LambdaSearch&) = delete;

  const RowMatrix<S>& reference() const { return reference_; }

  TuneResult run() {
    std::vector<double> axis{0.0};
    if constexpr (Scheme::has_lambdas) {
      for (Index i = 0; i < p_.grid_points; ++i)
        axis.push_back(p_.grid_points == 1 ? p_.lambda_min
                                          : p_.lambda_min * std::pow(p_.lambda_max / p_.lambda_min,
                                                                     double(i) / double(p_.grid_points - 1)));
    }
    const std::vector<double> zero{0.0};
    if (p_.warm_start)
      evaluate_grid(p_.systematic ? zero : warm_window(axis, p_.warm_lambda_enc), warm_window(axis, p_.warm_lambda_dec), 0);
    else
      evaluate_grid(p_.systematic ? zero : axis, axis, 0);
    if constexpr (Scheme::has_lambdas) {
      for (Index round = 1; round <= p_.refine_rounds; ++round) {
        const TuneEntry& best = table_[best_index()];
        const auto enc = p_.systematic ? zero : local_axis(tried(&std::pair<double, double>::first), best.lambda_enc);
        const auto dec = local_axis(tried(&std::pair<double, double>::second), best.lambda_dec);
        // Keep the lambda_enc values that the budget allows, nearest to the best first.
        std::vector<double> affordable;
        Index calls = model_calls_;
        for (double v : enc) {
          if (outputs_.count(v) == 0) {
            if (calls >= p_.max_model_calls) continue;
            ++calls;
          }
          affordable.push_back(v);
        }
        if (!evaluate_grid(affordable, dec, round)) break;
      }
    }
    TuneResult r;
    const TuneEntry& best = table_[best_index()];
    r.lambda_enc = best.lambda_enc;
    r.lambda_dec = best.lambda_dec;
    r.mse = best.mse;
    r.rel_acc = best.rel_acc;
    r.table = table_;
    r.code = p_.code;
    r.code.lambda_enc = best.lambda_enc;
    r.code.lambda_dec = best.lambda_dec;
    r.model_calls = model_calls_;
    r.trials = Index(trials_.size());
    return r;
  }

 private:
  struct Trial {
    Index batch;
    std::vector<Index> answered;
  };

  void draw_answered_sets() {
    std::mt19937_64 rng(p_.seed ^ 0x9e3779b97f4a7c15ULL);
    std::vector<double> cumulative;
    double total = 0.0;
    for (std::size_t i = 0; i < p_.stragglers.size(); ++i) {
      total += p_.straggler_weights.empty() ? 1.0 : p_.straggler_weights[i];
      cumulative.push_back(total);
    }
    for (Index b = 0; b < p_.batches; ++b)
      for (Index j = 0; j < p_.answered_sets; ++j) {
        const double u = uniform_unit(rng) * total;
        const auto pick = std::size_t(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
        const Index s = p_.stragglers[std::min(pick, p_.stragglers.size() - 1)];
        trials_.push_back(Trial{b, random_subset(rng, n_, n_ - s)});
      }
  }

  RowMatrix<S> call_model(const RowMatrix<S>& inputs, Index rows) {
    RowMatrix<S> out = model_(inputs);
    ++model_calls_;
    if (out.rows() != rows || out.cols() < 1)
      throw shape_mismatch(message("the model returned ", out.rows(), " x ", out.cols(), " for ", inputs.rows(),
                                   " inputs; expected one output row per input row"));
    if (reference_.size() > 0 && out.cols() != reference_.cols())
      throw shape_mismatch(message("the model returned ", out.cols(), " output columns, earlier ", reference_.cols()));
    return out;
  }

  // The coded outputs of every batch for lambda_enc = lambda (one model call, then kept).
  const RowMatrix<S>& outputs_for(double lambda) {
    auto it = outputs_.find(lambda);
    if (it != outputs_.end()) return it->second;
    CodeParams c = p_.code;
    c.lambda_enc = lambda;
    const Encoder<Scheme, S> encoder(c);
    RowMatrix<S> coded(p_.batches * n_, queries_.cols());
    // The order of a batch depends on its queries only, so every lambda_enc finds the same one.
    orders_.resize(std::size_t(p_.batches));
    for (Index b = 0; b < p_.batches; ++b)
      encoder.encode_into(queries_.middleRows(b * k_, k_), coded.middleRows(b * n_, n_), orders_[std::size_t(b)]);
    return outputs_.emplace(lambda, call_model(coded, p_.batches * n_)).first->second;
  }

  const Decoder<Scheme, S>& decoder_for(double lambda) {
    auto it = decoders_.find(lambda);
    if (it != decoders_.end()) return *it->second;
    CodeParams c = p_.code;
    c.lambda_dec = lambda;
    // Room for every answered set: each decoder decodes them all once per lambda_enc.
    c.decoder_cache_capacity = std::max<std::size_t>(c.decoder_cache_capacity, trials_.size());
    return *decoders_.emplace(lambda, std::make_unique<Decoder<Scheme, S>>(c)).first->second;
  }

  // Evaluates every untried pair of enc x dec; false if there was none.
  bool evaluate_grid(const std::vector<double>& enc, const std::vector<double>& dec, Index round) {
    bool any = false;
    for (double le : enc)
      for (double ld : dec) {
        if (!tried_.emplace(le, ld).second) continue;
        any = true;
        table_.push_back(evaluate(le, ld, round));
      }
    return any;
  }

  TuneEntry evaluate(double le, double ld, Index round) {
    const RowMatrix<S>& outputs = outputs_for(le);
    const Decoder<Scheme, S>& decoder = decoder_for(ld);
    const Index m = reference_.cols();
    RowMatrix<S> answered, decoded(k_, m);
    std::vector<double> mse, agree;
    mse.reserve(trials_.size());
    agree.reserve(trials_.size());
    for (const Trial& t : trials_) {
      answered.resize(Index(t.answered.size()), m);
      for (std::size_t j = 0; j < t.answered.size(); ++j) answered.row(Index(j)) = outputs.row(t.batch * n_ + t.answered[j]);
      const auto truth = reference_.middleRows(t.batch * k_, k_);
      if (decoder.decode_into(t.answered, answered, decoded, orders_[std::size_t(t.batch)]) != DecodeStatus::ok) {
        mse.push_back(std::numeric_limits<double>::infinity());
        agree.push_back(0.0);
        continue;
      }
      mse.push_back((decoded.template cast<double>() - truth.template cast<double>()).squaredNorm() / double(k_ * m));
      Index same = 0;
      for (Index q = 0; q < k_; ++q) same += argmax_of_row(decoded.row(q)) == argmax_of_row(truth.row(q)) ? 1 : 0;
      agree.push_back(double(same) / double(k_));
    }
    TuneEntry e;
    e.lambda_enc = le;
    e.lambda_dec = ld;
    e.mse = summarise(mse);
    e.rel_acc = summarise(agree);
    e.round = round;
    return e;
  }

  std::size_t best_index() const {
    std::size_t best = 0;
    for (std::size_t i = 1; i < table_.size(); ++i)
      if (tune_key(p_.metric, table_[i]) < tune_key(p_.metric, table_[best])) best = i;
    return best;
  }

  // The warm start's coarse axis: 0, and the grid values (axis[1..]) within warm_start_radius
  // steps of the one nearest to `predicted` in log lambda (a predicted 0: the smallest).
  std::vector<double> warm_window(const std::vector<double>& axis, double predicted) const {
    std::size_t centre = 1;
    if (predicted > 0.0)
      for (std::size_t j = 2; j < axis.size(); ++j)
        if (std::abs(std::log(axis[j] / predicted)) < std::abs(std::log(axis[centre] / predicted))) centre = j;
    const std::size_t r = std::size_t(p_.warm_start_radius);
    std::vector<double> window{0.0};
    for (std::size_t j = std::max<std::size_t>(1, centre > r ? centre - r : 1); j < axis.size() && j <= centre + r; ++j)
      window.push_back(axis[j]);
    return window;
  }

  // The distinct values tried on one axis (&pair::first: lambda_enc), ascending.
  std::vector<double> tried(double std::pair<double, double>::*axis) const {
    std::vector<double> v;
    for (const auto& pair : tried_) v.push_back(pair.*axis);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

  // The best value, its tried neighbours, and refine_points log-spaced values between the best
  // and each positive neighbour; ordered nearest to the best first.
  std::vector<double> local_axis(const std::vector<double>& sorted, double best) const {
    const auto at = std::size_t(std::lower_bound(sorted.begin(), sorted.end(), best) - sorted.begin());
    std::vector<double> below, above;
    if (at > 0) {
      const double lo = sorted[at - 1];
      if (lo > 0.0)
        for (Index i = p_.refine_points; i >= 1; --i)
          below.push_back(lo * std::pow(best / lo, double(i) / double(p_.refine_points + 1)));
      below.push_back(lo);
    }
    if (at + 1 < sorted.size()) {
      const double hi = sorted[at + 1];
      if (best > 0.0)
        for (Index i = 1; i <= p_.refine_points; ++i)
          above.push_back(best * std::pow(hi / best, double(i) / double(p_.refine_points + 1)));
      above.push_back(hi);
    }
    std::vector<double> local{best};
    for (std::size_t i = 0; i < std::max(below.size(), above.size()); ++i) {
      if (i < below.size()) local.push_back(below[i]);
      if (i < above.size()) local.push_back(above[i]);
    }
    return local;
  }

  const TuneParams p_;
  const Index k_, n_;
  RowMatrix<S> queries_;  // batches * K rows: batch b is rows [b K, (b + 1) K)
  Model& model_;
  std::vector<Trial> trials_;
  RowMatrix<S> reference_;
  std::map<double, RowMatrix<S>> outputs_;
  std::vector<QueryOrder> orders_;  // per batch
  std::map<double, std::unique_ptr<Decoder<Scheme, S>>> decoders_;
  std::set<std::pair<double, double>> tried_;
  std::vector<TuneEntry> table_;
  Index model_calls_ = 0;
};

/// tune_lambdas for one scheme on validated params: one LambdaSearch, or with worker_spreads
/// one per spread on the same samples (the model sees the plain queries once) and the best.
template <class Scheme, class S, class Model>
TuneResult run_search(const TuneParams& params, RowMatrix<S> queries, Model& model) {
  if (params.worker_spreads.empty()) return LambdaSearch<Scheme, S, Model>(params, std::move(queries), model).run();
  TuneResult best;
  std::vector<TuneEntry> table;
  Index calls = 0;
  RowMatrix<S> reference;
  for (std::size_t i = 0; i < params.worker_spreads.size(); ++i) {
    const double spread = params.worker_spreads[i];
    TuneParams p = params;
    p.worker_spreads.clear();
    p.code.worker_points = clustered_worker_points(params.code.resolved_query_points(), p.code.num_workers, spread);
    LambdaSearch<Scheme, S, Model> search(std::move(p), queries, model, i == 0 ? nullptr : &reference);
    if (i == 0) reference = search.reference();
    TuneResult r = search.run();
    calls += r.model_calls - (i == 0 ? 0 : 1);
    for (TuneEntry& e : r.table) {
      e.worker_spread = spread;
      table.push_back(e);
    }
    if (i == 0 || tune_key(params.metric, r) < tune_key(params.metric, best)) {
      best = std::move(r);
      best.worker_spread = spread;
    }
  }
  best.table = std::move(table);
  best.model_calls = calls;
  return best;
}

}  // namespace detail

NERCC_NAMESPACE_END
