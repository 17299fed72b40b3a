// Joint tuning of NeRCC's smoothing parameters (lambda_enc, lambda_dec) on calibration data
// with the user's model. Opt-in: not included by <nercc/nercc.hpp>.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/params.hpp>
#include <nercc/points.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// What the tuner minimises: the mean squared error against the uncoded outputs (default), or
/// one minus RelAcc, the fraction of queries whose decoded argmax equals the uncoded argmax.
enum class TuneMetric { mse, rel_acc };

inline const char* to_string(TuneMetric metric) {
  switch (metric) {
    case TuneMetric::mse: return "mse";
    case TuneMetric::rel_acc: return "rel_acc";
  }
  return "unknown";
}

/// Parameters of tune_lambdas. An aggregate with defaults; tune_lambdas copies it and calls
/// validate().
///
/// The search runs over lambda in {0} U {lambda_min * (lambda_max / lambda_min)^(i / (G - 1)),
/// i = 0..G-1} (G = grid_points) on both axes (the coarse grid: every pair), then refines
/// refine_rounds times around the best pair: on each axis, refine_points values spaced evenly
/// in log(lambda) are added between the best value and each of its tried neighbours, and every
/// new pair of the local grid is evaluated. Nothing is added between 0 and a positive value:
/// lambda_min stands for "negligible smoothing", so keep it below any smoothing that matters
/// (smoothing starts near lambda ~ h^3, h the smallest spacing of the points: about 3e-9 for
/// 60 Chebyshev worker points, 2e-6 for 20).
struct TuneParams {
  /// K, N, point sets, ordering, min_answers, num_threads of the code to tune; its lambda fields
  /// are ignored. With an ordering, every calibration batch is encoded and decoded in its order.
  CodeParams code;
  /// SchemeKind::spline tunes; SchemeKind::berrut has no lambda, so only (0, 0) is evaluated (an
  /// estimate on the same samples, for comparison). Replication and uncoded are rejected.
  SchemeKind scheme = SchemeKind::spline;
  /// The straggler counts S to tune for; one value is a fixed S.
  std::vector<Index> stragglers = {0};
  /// P(S = stragglers[i]); empty means uniform. Each sample draws its S from this distribution.
  std::vector<double> straggler_weights;
  TuneMetric metric = TuneMetric::mse;
  std::uint64_t seed = 1;
  /// Calibration batches of K queries; the model sees N * batches coded queries per lambda_enc.
  Index batches = 8;
  /// Random answered sets per batch; a sample (trial) is a (batch, answered set) pair.
  Index answered_sets = 8;
  double lambda_min = 1e-12;  ///< smallest positive lambda of the coarse grid
  double lambda_max = 10.0;   ///< largest lambda of the coarse grid
  Index grid_points = 14;     ///< positive coarse-grid values per axis (plus lambda = 0)
  Index refine_rounds = 2;
  Index refine_points = 2;   ///< values added per side of the best value per axis and round
  /// Budget: calls of the model, the reference call on the plain queries included (one call per
  /// lambda_enc). Refinement stops adding lambda_enc values once it is spent. With
  /// worker_spreads, the budget is per spread.
  Index max_model_calls = 40;
  /// Point placement tuned with the lambdas: empty keeps the code's worker points; otherwise
  /// every spread s gets worker points clustered_worker_points(query points, N, s) and its own
  /// lambda search on the same samples, and the best (spread, lambda_enc, lambda_dec) wins.
  /// Each value in (0, 1); code.worker_points must then be empty.
  std::vector<double> worker_spreads;

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using detail::message;
    code.validate();
    if (scheme == SchemeKind::spline) SplineScheme::validate(code);
    else if (scheme == SchemeKind::berrut) BerrutScheme::validate(code);
    else
      throw invalid_argument(message("scheme (", to_string(scheme), ") must be spline or berrut: ",
                                     "replication and uncoded have nothing to tune"));
    if (stragglers.empty()) throw invalid_argument("stragglers is empty: give at least one straggler count");
    const Index k = code.num_queries, n = code.num_workers;
    const Index needed = code.min_answers > 0 ? code.min_answers : k;
    for (std::size_t i = 0; i < stragglers.size(); ++i)
      if (stragglers[i] < 0 || n - stragglers[i] < needed)
        throw invalid_argument(message("stragglers[", i, "] (", stragglers[i], ") must lie in [0, ", n - needed,
                                       "]: num_workers (", n, ") minus stragglers must leave ", needed, " answers"));
    if (!straggler_weights.empty()) {
      if (straggler_weights.size() != stragglers.size())
        throw invalid_argument(message("straggler_weights has ", straggler_weights.size(), " values, stragglers has ",
                                       stragglers.size()));
      double total = 0.0;
      for (std::size_t i = 0; i < straggler_weights.size(); ++i) {
        if (!(straggler_weights[i] >= 0.0) || !std::isfinite(straggler_weights[i]))
          throw invalid_argument(message("straggler_weights[", i, "] (", straggler_weights[i], ") must be finite and >= 0"));
        total += straggler_weights[i];
      }
      if (!(total > 0.0)) throw invalid_argument("straggler_weights sum to 0");
    }
    if (batches < 1) throw invalid_argument(message("batches (", batches, ") must be >= 1"));
    if (answered_sets < 1) throw invalid_argument(message("answered_sets (", answered_sets, ") must be >= 1"));
    if (!(lambda_min > 0.0) || !std::isfinite(lambda_min))
      throw invalid_argument(message("lambda_min (", lambda_min, ") must be finite and > 0"));
    if (!(lambda_max >= lambda_min) || !std::isfinite(lambda_max))
      throw invalid_argument(message("lambda_max (", lambda_max, ") must be finite and >= lambda_min (", lambda_min, ")"));
    if (grid_points < 1) throw invalid_argument(message("grid_points (", grid_points, ") must be >= 1"));
    if (grid_points > 1 && lambda_max == lambda_min)
      throw invalid_argument(message("lambda_max (", lambda_max, ") equals lambda_min: set grid_points to 1"));
    if (refine_rounds < 0) throw invalid_argument(message("refine_rounds (", refine_rounds, ") must be >= 0"));
    if (refine_points < 1) throw invalid_argument(message("refine_points (", refine_points, ") must be >= 1"));
    for (std::size_t i = 0; i < worker_spreads.size(); ++i)
      if (!(worker_spreads[i] > 0.0 && worker_spreads[i] < 1.0))
        throw invalid_argument(message("worker_spreads[", i, "] (", worker_spreads[i], ") must lie in (0, 1)"));
    if (!worker_spreads.empty() && !code.worker_points.empty())
      throw invalid_argument("worker_spreads sets the worker points: leave code.worker_points empty");
    const Index coarse_calls = scheme == SchemeKind::spline ? grid_points + 2 : 2;
    if (max_model_calls < coarse_calls)
      throw invalid_argument(message("max_model_calls (", max_model_calls, ") must be >= ", coarse_calls,
                                     " (the reference call and one per coarse lambda_enc)"));
  }
};

/// A metric over the trials: mean, standard error of the mean (sample standard deviation /
/// sqrt(trials); 0 for one trial), and the smallest and largest per-trial values.
struct MetricEstimate {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std_error = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  Index trials = 0;
};

/// One evaluated pair. A trial whose decode fails (non-finite model outputs leave too few
/// answers) counts as MSE +infinity and RelAcc 0.
struct TuneEntry {
  double lambda_enc = 0.0;
  double lambda_dec = 0.0;
  MetricEstimate mse;
  MetricEstimate rel_acc;
  Index round = 0;            ///< 0: coarse grid; r: r-th refinement
  double worker_spread = 0.0;  ///< the TuneParams::worker_spreads value; 0: the code's own worker points
};

/// What tune_lambdas found. The estimates of the best pair are in-sample (the same trials chose
/// it), hence slightly optimistic; evaluate on fresh data for an unbiased number.
struct TuneResult {
  double lambda_enc = 0.0;
  double lambda_dec = 0.0;
  MetricEstimate mse;
  MetricEstimate rel_acc;
  double worker_spread = 0.0;    ///< the chosen worker spread; 0 without TuneParams::worker_spreads
  std::vector<TuneEntry> table;  ///< every pair tried, in evaluation order (spread by spread)
  /// TuneParams::code with the tuned lambdas (and, with worker_spreads, the chosen worker
  /// points), ready for Encoder/Decoder
  CodeParams code;
  Index model_calls = 0;
  Index trials = 0;              ///< samples per pair: batches * answered_sets
};

namespace detail {

template <class M, class S, class = void>
struct is_batch_model : std::false_type {};
template <class M, class S>
struct is_batch_model<M, S, std::enable_if_t<std::is_convertible<std::invoke_result_t<M&, const RowMatrix<S>&>, RowMatrix<S>>::value>>
    : std::true_type {};

template <class Source, class = void>
struct batch_source_scalar {
  using type = void;
};
template <class Source>
struct batch_source_scalar<Source, std::void_t<typename std::decay_t<std::invoke_result_t<Source&, Index>>::Scalar>> {
  using type = typename std::decay_t<std::invoke_result_t<Source&, Index>>::Scalar;
};

/// Uniform integer in [0, n) without the implementation-defined std distributions, so a seed
/// gives the same samples with every standard library.
inline Index uniform_below(std::mt19937_64& rng, Index n) {
  const std::uint64_t range = std::uint64_t(n);
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t v;
  do v = rng();
  while (v >= limit);
  return Index(v % range);
}

inline double uniform_unit(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

/// `count` distinct values of [0, n), ascending (partial Fisher-Yates).
inline std::vector<Index> random_subset(std::mt19937_64& rng, Index n, Index count) {
  std::vector<Index> all(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) all[std::size_t(i)] = i;
  for (Index i = 0; i < count; ++i) std::swap(all[std::size_t(i)], all[std::size_t(i + uniform_below(rng, n - i))]);
  all.resize(std::size_t(count));
  std::sort(all.begin(), all.end());
  return all;
}

inline MetricEstimate summarise(const std::vector<double>& values) {
  MetricEstimate e;
  e.trials = Index(values.size());
  if (values.empty()) return e;
  double sum = 0.0;
  for (double v : values) sum += v;
  e.mean = sum / double(values.size());
  double squares = 0.0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  e.std_error = values.size() > 1 ? std::sqrt(squares / double(values.size() - 1) / double(values.size())) : 0.0;
  if (!std::isfinite(e.mean)) e.std_error = std::numeric_limits<double>::infinity();
  e.min = *std::min_element(values.begin(), values.end());
  e.max = *std::max_element(values.begin(), values.end());
  return e;
}

template <class Derived>
Index argmax_of_row(const Eigen::MatrixBase<Derived>& row) {
  Index best = 0;
  for (Index c = 1; c < row.size(); ++c)
    if (row(c) > row(best)) best = c;
  return best;
}

/// The ordering of candidates: the chosen metric, then the other, then the smaller lambdas
/// (exact ties happen where smoothing is negligible).
/// (TuneEntry or TuneResult.)
template <class Candidate>
auto tune_key(TuneMetric metric, const Candidate& e) {
  return metric == TuneMetric::mse ? std::make_tuple(e.mse.mean, -e.rel_acc.mean, e.lambda_enc + e.lambda_dec)
                                   : std::make_tuple(-e.rel_acc.mean, e.mse.mean, e.lambda_enc + e.lambda_dec);
}

/// The machinery of tune_lambdas for one scheme; batches are K-row blocks of `queries`.
template <class Scheme, class S, class Model>
class LambdaSearch {
 public:
  /// reference: the model's outputs on `queries`, or null to compute them here.
  LambdaSearch(const TuneParams& params, RowMatrix<S> queries, Model& model, const RowMatrix<S>* reference = nullptr)
      : p_(params), k_(params.code.num_queries), n_(params.code.num_workers), queries_(std::move(queries)), model_(model) {
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

  const RowMatrix<S>& reference() const { return reference_; }

  TuneResult run() {
    std::vector<double> axis{0.0};
    if constexpr (std::is_same<Scheme, SplineScheme>::value) {
      for (Index i = 0; i < p_.grid_points; ++i)
        axis.push_back(p_.grid_points == 1 ? p_.lambda_min
                                          : p_.lambda_min * std::pow(p_.lambda_max / p_.lambda_min,
                                                                     double(i) / double(p_.grid_points - 1)));
    }
    evaluate_grid(axis, axis, 0);
    if constexpr (std::is_same<Scheme, SplineScheme>::value) {
      for (Index round = 1; round <= p_.refine_rounds; ++round) {
        const TuneEntry& best = table_[best_index()];
        auto enc = local_axis(tried_enc(), best.lambda_enc);
        const auto dec = local_axis(tried_dec(), best.lambda_dec);
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

  std::vector<double> tried_enc() const {
    std::vector<double> v;
    for (const auto& pair : tried_) v.push_back(pair.first);
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }
  std::vector<double> tried_dec() const {
    std::vector<double> v;
    for (const auto& pair : tried_) v.push_back(pair.second);
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

  const TuneParams& p_;
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

template <class Scheme, class S, class Model>
TuneResult run_search(const TuneParams& params, RowMatrix<S> queries, Model& model) {
  if (params.worker_spreads.empty()) return LambdaSearch<Scheme, S, Model>(params, std::move(queries), model).run();
  // One search per spread on the same samples; the model sees the plain queries once.
  TuneResult best;
  std::vector<TuneEntry> table;
  Index calls = 0;
  RowMatrix<S> reference;
  for (std::size_t i = 0; i < params.worker_spreads.size(); ++i) {
    const double spread = params.worker_spreads[i];
    TuneParams p = params;
    p.worker_spreads.clear();
    p.code.worker_points = clustered_worker_points(params.code.resolved_query_points(), p.code.num_workers, spread);
    LambdaSearch<Scheme, S, Model> search(p, queries, model, i == 0 ? nullptr : &reference);
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

template <class S, class Model>
TuneResult run_tuning(const TuneParams& params, RowMatrix<S> queries, Model& model) {
  if (params.scheme == SchemeKind::spline) return run_search<SplineScheme, S, Model>(params, std::move(queries), model);
  return run_search<BerrutScheme, S, Model>(params, std::move(queries), model);
}

}  // namespace detail

/// Tunes (lambda_enc, lambda_dec) of a NeRCC code for `model` on calibration queries.
///
/// Objective (background: the nested argument): the end-to-end error
///   E_{batch, F} (1 / (K m)) sum_k || u_dec(alpha_k) - f(x_k) ||^2
/// (or 1 - RelAcc), where u_enc smooths the batch x_1..x_K with lambda_enc, the workers compute
/// f at u_enc(beta_n), F is a random answered set of N - S workers (S drawn from the straggler
/// model) and u_dec smooths the answered outputs with lambda_dec. Both lambdas must be tuned
/// jointly: a smoother encoder makes f o u_enc easier to decode but moves u_enc(alpha_k) away
/// from x_k. The expectation is estimated on batches x answered_sets samples drawn once from
/// the seed, and every pair is scored on the same samples (common random numbers), so the
/// comparison between pairs is not blurred by sampling noise.
///
/// calibration: rows are queries (d columns); each batch is K distinct rows drawn at random.
/// model: callable as model(const RowMatrix<S>& inputs) returning one output row per input row
/// (anything convertible to RowMatrix<S>). It is called once on the plain queries and once per
/// lambda_enc with all batches' coded queries stacked (batches * N rows): the coded outputs
/// depend on lambda_enc only, so every lambda_dec reuses them.
///
/// Deterministic for a given seed (and a deterministic model). Thread safety: reentrant; the
/// model is called on the calling thread only, and exceptions it throws propagate unchanged.
/// Throws nercc::invalid_argument for bad params (naming the field) or too few calibration
/// rows, nercc::shape_mismatch if the model returns the wrong number of rows.
template <class Derived, class Model>
TuneResult tune_lambdas(const TuneParams& params, const Eigen::MatrixBase<Derived>& calibration, Model&& model) {
  using S = typename Derived::Scalar;
  static_assert(std::is_floating_point<S>::value, "nercc::tune_lambdas: calibration must hold float or double");
  static_assert(detail::is_batch_model<std::remove_reference_t<Model>, S>::value,
                "nercc::tune_lambdas: model must be callable as model(const nercc::RowMatrix<S>&) and return a "
                "matrix convertible to nercc::RowMatrix<S> (one output row per input row)");
  params.validate();
  const Index k = params.code.num_queries;
  if (calibration.rows() < k)
    throw invalid_argument(detail::message("calibration has ", calibration.rows(),
                                           " rows, fewer than num_queries (", k, ")"));
  std::mt19937_64 rng(params.seed);
  RowMatrix<S> queries(params.batches * k, calibration.cols());
  for (Index b = 0; b < params.batches; ++b) {
    const auto rows = detail::random_subset(rng, calibration.rows(), k);
    for (Index q = 0; q < k; ++q) queries.row(b * k + q) = calibration.row(rows[std::size_t(q)]);
  }
  return detail::run_tuning<S>(params, std::move(queries), model);
}

/// As above, with calibration batches from `batches`: callable as batches(Index b) for
/// b = 0..params.batches-1 (in that order, once each), returning the K x d batch b as a matrix
/// convertible to RowMatrix<S>; S is its scalar type.
template <class Source, class Model,
          std::enable_if_t<!std::is_base_of<Eigen::EigenBase<std::decay_t<Source>>, std::decay_t<Source>>::value, int> = 0>
TuneResult tune_lambdas(const TuneParams& params, Source&& batches, Model&& model) {
  using S = typename detail::batch_source_scalar<std::remove_reference_t<Source>>::type;
  static_assert(std::is_floating_point<S>::value,
                "nercc::tune_lambdas: batches must be callable as batches(Eigen::Index) and return a float or "
                "double Eigen matrix (the K x d batch)");
  static_assert(detail::is_batch_model<std::remove_reference_t<Model>, S>::value,
                "nercc::tune_lambdas: model must be callable as model(const nercc::RowMatrix<S>&) and return a "
                "matrix convertible to nercc::RowMatrix<S> (one output row per input row)");
  params.validate();
  const Index k = params.code.num_queries;
  RowMatrix<S> queries;
  for (Index b = 0; b < params.batches; ++b) {
    const RowMatrix<S> batch = batches(b);
    if (batch.rows() != k || (b > 0 && batch.cols() != queries.cols()))
      throw shape_mismatch(detail::message("calibration batch ", b, " is ", batch.rows(), " x ", batch.cols(),
                                           ", expected num_queries (", k, ") rows",
                                           b > 0 ? detail::message(" and ", queries.cols(), " columns") : ""));
    if (b == 0) queries.resize(params.batches * k, batch.cols());
    queries.middleRows(b * k, k) = batch;
  }
  return detail::run_tuning<S>(params, std::move(queries), model);
}

NERCC_NAMESPACE_END
