// Decoder<Scheme, S>: whichever workers answered in, estimates of the K predictions out.
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/detail/fit_matrix.hpp>
#include <nercc/detail/lru_cache.hpp>
#include <nercc/detail/small_buffer.hpp>
#include <nercc/detail/stream_rows.hpp>
#include <nercc/errors.hpp>
#include <nercc/ordering_options.hpp>
#include <nercc/params.hpp>
#include <nercc/reliability.hpp>
#include <nercc/robust/adversary_budget.hpp>
#include <nercc/robust/leave_one_out.hpp>
#include <nercc/robust/majority_vote.hpp>
#include <nercc/robust/residual_detector.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

NERCC_NAMESPACE_BEGIN

/// Recovers estimates of f(x_1..x_K) from the outputs of the workers that answered.
///
/// decode(ids, outputs) takes the answered worker ids (distinct, in [0, N), any order) and
/// their outputs (row j belongs to worker ids[j]; |F| x m). Rows holding NaN or infinity are
/// dropped and reported, never decoded. With fewer usable answers than min_answers the status
/// is insufficient_answers and every row is NaN. Regression schemes compute D_F Y_F with the
/// decoding matrix D_F (K x |F|) of the usable answered set, summed in ascending worker order,
/// so the result does not depend on the order of the answers. An estimate that overflows from
/// finite answers is never reported as one: its row is NaN and unavailable, the status partial,
/// and DecodeDiagnostics::estimates_non_finite counts it (the rows are checked only where
/// D_F times the answers' magnitude could overflow). Ids must be of an integer type (a
/// static_assert rejects floating-point ids, which would be truncated). A decode uses O(N)
/// scratch (a worker -> answer table: on the stack up to 256 workers, else on the heap), which
/// nercc::max_code_size bounds at 8 MiB.
///
/// Provenance and reliability (DecodeResult::provenance, ::reliability): a query whose value
/// a worker computed itself is exact (reliability 1); an estimate combined from the answers is
/// estimated, scored by estimate_reliability (<nercc/reliability.hpp>); a query without a value
/// is unavailable (0). Both are computed once per answered set and cached with D_F.
///
/// Systematic layouts (Scheme::is_systematic, e.g. from systematic_params): worker k < K
/// computed query k itself, so an answered (finite) systematic worker's output is copied to its
/// query's row bitwise and reported exact, and only the rows of the queries whose own worker is
/// missing or was rejected are combined, with the rows of D_F for them alone (computed and
/// cached per answered set). Note: with lambda_dec > 0 an answered systematic worker's output
/// is thus returned as is rather than smoothed; lambda_dec smooths only the estimates of the
/// missing queries (decoding_matrix shows this: unit rows for the exact queries).
///
/// Spline and Berrut codes check the answers in the same pass over them that decodes them
/// (detail/stream_rows.hpp): when an answer turns out non-finite, the decode runs again without
/// it, so a rejected answer costs a second pass and a second answered set in the cache.
///
/// Wrong answers (CodeParams::num_adversaries = E > 0): before decoding, the spline and Berrut
/// decoders look for wrong finite answers among the usable ones (robust/residual_detector.hpp,
/// on the leave-one-out matrix of the answered set, cached per set like D_F), drop the flagged
/// ones and decode the rest as usual, systematic workers included (a flagged systematic
/// worker's query is estimated, not copied). The group needs K + 2E usable answers before the
/// flags (min_answers, when set) and K after them (robust::min_answers_after_flags).
/// Replication votes among the copies of each query with 3 or more answers (robust/majority_vote.hpp) and drops the outvoted copies. Flagged
/// workers are reported in DecodeResult::flagged_workers with their scores and counted in
/// DecodeDiagnostics::answers_flagged. E = 0 runs none of this.
///
/// With CodeParams::ordering set, every batch was encoded in its own order: pass the QueryOrder
/// that Encoder::encode returned for the batch to decode(ids, outputs, order), and row k of the
/// result is query k of the caller's batch again. The overloads without an order throw
/// nercc::invalid_state then, rather than return rows in the wrong order.
///
/// Thread safety: immutable after construction; decode, decode_into and decoding_matrix are
/// const and safe to call from many threads at once. The decoding matrices are kept in an
/// internal, mutex-protected LRU cache of CodeParams::decoder_cache_capacity answered sets, so a
/// repeated answered set costs no new solve.
template <class Scheme, class S>
class Decoder {
  static_assert(detail::is_scheme<Scheme>::value,
                "nercc::Decoder<Scheme, S>: Scheme must be SplineScheme, BerrutScheme, ReplicationScheme or UncodedScheme");
  static_assert(std::is_floating_point<S>::value, "nercc::Decoder<Scheme, S>: S must be float, double or long double");

 public:
  using Scalar = S;
  using scheme_type = Scheme;

  /// Copies and validates params (nercc::invalid_argument names the bad field).
  explicit Decoder(CodeParams params)
      : params_(validated(std::move(params))),
        query_points_(Scheme::is_regression ? params_.resolved_query_points() : std::vector<double>{}),
        worker_points_(Scheme::is_regression ? params_.resolved_worker_points() : std::vector<double>{}),
        min_answers_(robust::min_answers_with_adversaries<Scheme>(params_)),
        plain_min_answers_(robust::min_answers_after_flags<Scheme>(params_)),
        systematic_(Scheme::is_regression && Scheme::is_systematic(params_)),
        cache_(params_.decoder_cache_capacity),
        checks_(params_.num_adversaries > 0 ? params_.decoder_cache_capacity : 0) {}

  /// Estimates (K x m) from the answered workers' outputs; see the class comment. `ids` is any
  /// container of integers with size() and operator[] (std::vector<Index>, std::vector<int>,
  /// Eigen vectors). Throws for repeated or out-of-range ids and mismatched shapes, and
  /// nercc::invalid_state when CodeParams::ordering is set (use the overload taking the order).
  /// Thread-safe.
  template <class Ids>
  DecodeResult<S> decode(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs) const {
    require_as_given("decode");
    return decode_result(ids, outputs, nullptr);
  }

  /// As decode(), for a batch encoded in `order` (from Encoder::encode(queries, order)); rows
  /// come back in the caller's order. Throws nercc::invalid_argument unless order is a
  /// permutation of 0..K-1. Thread-safe.
  template <class Ids>
  DecodeResult<S> decode(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs, const QueryOrder& order) const {
    check_order(order);
    return decode_result(ids, outputs, order.data());
  }

  /// As decode(), into caller storage of shape K x m; unavailable rows are NaN. out must not
  /// overlap outputs (nercc::invalid_argument names it: answers would be read after being
  /// overwritten). When given, `provenance` and `reliability` are resized to K and filled as
  /// DecodeResult's, and `flagged_workers` and `flag_scores` are cleared and filled as
  /// DecodeResult's (CodeParams::num_adversaries > 0). Allocates nothing when the answered set is cached, |F|, N <= 256 and the
  /// vectors given (if any) already hold K entries. Thread-safe.
  template <class Ids>
  DecodeStatus decode_into(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs, Eigen::Ref<RowMatrix<S>> out,
                           DecodeDiagnostics* diagnostics = nullptr,
                           std::vector<QueryProvenance>* provenance = nullptr,
                           std::vector<double>* reliability = nullptr,
                           std::vector<Index>* flagged_workers = nullptr,
                           std::vector<double>* flag_scores = nullptr) const {
    require_as_given("decode_into");
    return decode_reporting(ids, outputs, out, diagnostics, provenance, reliability, flagged_workers, flag_scores,
                            nullptr);
  }

  /// As decode(ids, outputs, order), into caller storage of shape K x m, as decode_into above.
  /// Thread-safe.
  template <class Ids>
  DecodeStatus decode_into(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs, Eigen::Ref<RowMatrix<S>> out,
                           const QueryOrder& order, DecodeDiagnostics* diagnostics = nullptr,
                           std::vector<QueryProvenance>* provenance = nullptr,
                           std::vector<double>* reliability = nullptr,
                           std::vector<Index>* flagged_workers = nullptr,
                           std::vector<double>* flag_scores = nullptr) const {
    check_order(order);
    return decode_reporting(ids, outputs, out, diagnostics, provenance, reliability, flagged_workers, flag_scores,
                            order.data());
  }

  /// D_F (K x |ids|, columns in the order of ids): the estimates are D_F times the outputs.
  /// Row i belongs to query point alpha_i (with an ordering: to query order[i] of the batch).
  /// For replication/uncoded, the 0/1 selection of the first answer of each query; for a
  /// systematic layout, the unit row of worker i for every answered systematic worker i. Throws
  /// nercc::invalid_argument naming `ids` when it is empty (no answered set, no matrix), as for
  /// bad or repeated ids. Thread-safe.
  template <class Ids>
  RowMatrix<S> decoding_matrix(const Ids& ids) const {
    const Index f = Index(ids.size()), k = params_.num_queries;
    if (f == 0)
      throw invalid_argument("decoding_matrix: ids is empty: a decoding matrix needs at least one answered worker");
    detail::SmallBuffer<Index> row_of_worker(std::size_t(params_.num_workers), Index(-1));
    check_ids(ids, row_of_worker);
    RowMatrix<S> d = RowMatrix<S>::Zero(k, f);
    if constexpr (Scheme::is_regression) {
      detail::SmallBuffer<Index> sorted(std::size_t(f), Index(0));
      Index u = 0;
      for (Index w = 0; w < params_.num_workers; ++w)
        if (row_of_worker[std::size_t(w)] >= 0) sorted[std::size_t(u++)] = w;
      bool hit = false;
      const auto dec = decoding_for(sorted.data(), f, hit);
      for (Index c = 0; c < f; ++c) {
        const Index j = row_of_worker[std::size_t(sorted[std::size_t(c)])];
        for (std::size_t e = 0; e < dec->estimated.size(); ++e) d(dec->estimated[e], j) = dec->coef(Index(e), c);
      }
      for (std::size_t x = 0; x < dec->exact.size(); ++x)
        d(dec->exact[x], row_of_worker[std::size_t(sorted[std::size_t(dec->exact_column[x])])]) = S(1);
    } else {
      std::vector<bool> filled(std::size_t(k), false);
      for (Index j = 0; j < f; ++j) {
        const Index q = Scheme::query_of_worker(Index(ids[j]), k);
        if (!filled[std::size_t(q)]) d(q, j) = S(1), filled[std::size_t(q)] = true;
      }
    }
    return d;
  }

  const CodeParams& params() const { return params_; }
  /// Whether the code is a systematic spline or Berrut code, decoded with the copy fast path.
  bool systematic() const { return systematic_; }
  Index num_queries() const { return params_.num_queries; }
  Index num_workers() const { return params_.num_workers; }
  /// The fewest usable answers a decode accepts (min_answers resolved).
  Index min_answers() const { return min_answers_; }
  /// Answered sets whose decoding matrix is cached now. Thread-safe.
  std::size_t cached_sets() const { return cache_.size(); }

 private:
  static CodeParams validated(CodeParams p) {
    p.validate();
    Scheme::validate(p);
    robust::check_adversary_budget<Scheme>(p);
    return p;
  }

  void require_as_given(const char* function) const {
    if (params_.ordering != OrderingMethod::as_given)
      throw invalid_state(detail::message(function, ": ordering is ", to_string(params_.ordering),
                                          ", so each batch has its own order: pass the order that "
                                          "Encoder::encode returned for the batch"));
  }

  void check_order(const QueryOrder& order) const {
    detail::check_permutation("decode", order, params_.num_queries, "order");
  }

  template <class Ids>
  DecodeResult<S> decode_result(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs, const Index* order) const {
    const std::size_t k = std::size_t(params_.num_queries);
    DecodeResult<S> r;
    r.values.resize(params_.num_queries, outputs.cols());
    r.provenance.resize(k);
    r.reliability.resize(k);
    r.status = decode_impl(ids, outputs, r.values, r.diagnostics, r.provenance.data(), r.reliability.data(),
                           &r.rejected_workers, &r.flagged_workers, &r.flag_scores, order);
    r.available.resize(k);
    for (std::size_t q = 0; q < k; ++q) r.available[q] = r.provenance[q] != QueryProvenance::unavailable;
    return r;
  }

  template <class Ids>
  DecodeStatus decode_reporting(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs,
                                Eigen::Ref<RowMatrix<S>> out, DecodeDiagnostics* diagnostics,
                                std::vector<QueryProvenance>* provenance, std::vector<double>* reliability,
                                std::vector<Index>* flagged, std::vector<double>* flag_scores,
                                const Index* order) const {
    DecodeDiagnostics local;
    if (provenance) provenance->resize(std::size_t(params_.num_queries));
    if (reliability) reliability->resize(std::size_t(params_.num_queries));
    if (flagged) flagged->clear();
    if (flag_scores) flag_scores->clear();
    return decode_impl(ids, outputs, out, diagnostics ? *diagnostics : local, provenance ? provenance->data() : nullptr,
                       reliability ? reliability->data() : nullptr, nullptr, flagged, flag_scores, order);
  }

  // Range and repetition checks; row_of_worker[w] = position of worker w in ids, or -1.
  template <class Ids>
  void check_ids(const Ids& ids, detail::SmallBuffer<Index>& row_of_worker) const {
    using Id = std::decay_t<decltype(ids[0])>;
    static_assert(std::is_integral<Id>::value,
                  "nercc::Decoder: worker ids must be integers (std::vector<nercc::Index>, std::vector<int>, "
                  "Eigen::VectorXi, ...): a floating-point id would be truncated to another worker");
    const Index n = params_.num_workers;
    for (Index j = 0; j < Index(ids.size()); ++j) {
      const Index w = Index(ids[j]);
      if (w < 0 || w >= n)
        throw invalid_argument(detail::message("answered_worker_ids[", j, "] (", w, ") is out of range [0, ", n, ")"));
      Index& slot = row_of_worker[std::size_t(w)];
      if (slot >= 0)
        throw invalid_argument(
            detail::message("answered_worker_ids repeats worker ", w, " (at positions ", slot, " and ", j, ")"));
      slot = j;
    }
  }

  // What a decode of one answered set needs, cached per set. Columns follow the usable answers
  // in ascending worker order.
  struct Decoding {
    RowMatrix<S> coef;                 // the rows of D_F of the estimated query points
    std::vector<Index> estimated;      // the query point of each row of coef
    std::vector<Index> exact;          // systematic: query points whose own worker answered
    std::vector<Index> exact_column;   // ... and the column of that worker's answer
    std::vector<double> reliability;   // per query point: 1 exact, estimate_reliability otherwise
  };

  // The decoding of the sorted usable worker ids `sorted` (cached).
  std::shared_ptr<const Decoding> decoding_for(const Index* sorted, Index u, bool& hit) const {
    if (auto m = cache_.find(sorted, std::size_t(u))) {
      hit = true;
      return m;
    }
    hit = false;
    const Index k = params_.num_queries;
    auto dec = std::make_shared<Decoding>();
    dec->reliability.assign(std::size_t(k), 1.0);
    std::vector<double> sites(static_cast<std::size_t>(u));
    std::vector<char> answered(std::size_t(k), 0);
    for (Index c = 0; c < u; ++c) {
      const Index w = sorted[c];
      sites[std::size_t(c)] = worker_points_[std::size_t(w)];
      if (systematic_ && w < k) {
        dec->exact.push_back(w);
        dec->exact_column.push_back(c);
        answered[std::size_t(w)] = 1;
      }
    }
    std::vector<double> points;
    for (Index q = 0; q < k; ++q)
      if (!answered[std::size_t(q)]) {
        dec->estimated.push_back(q);
        points.push_back(query_points_[std::size_t(q)]);
        dec->reliability[std::size_t(q)] = estimate_reliability(query_points_, q, sites);
      }
    if (!points.empty())
      dec->coef = detail::checked_fit_matrix<S>(Scheme{}, sites, points, params_.lambda_dec, "decoding matrix");
    return cache_.insert(sorted, std::size_t(u), std::move(dec));
  }

  // provenance and reliability: K entries each, per caller's query, or null.
  template <class Ids>
  DecodeStatus decode_impl(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs, Eigen::Ref<RowMatrix<S>> out,
                           DecodeDiagnostics& diag, QueryProvenance* provenance, double* reliability,
                           std::vector<Index>* rejected, std::vector<Index>* flagged, std::vector<double>* flag_scores,
                           const Index* order) const {
    const Index k = params_.num_queries, n = params_.num_workers, f = Index(ids.size()), m = outputs.cols();
    if (outputs.rows() != f)
      throw shape_mismatch(detail::message("answered_outputs has ", outputs.rows(),
                                           " rows, but answered_worker_ids has ", f, " ids"));
    if (out.rows() != k || out.cols() != m)
      throw shape_mismatch(detail::message("out is ", out.rows(), " x ", out.cols(), ", expected ", k, " x ", m,
                                           " (num_queries x output dimension)"));
    if (detail::storage_overlaps(outputs, out))
      throw invalid_argument("out overlaps answered_outputs: decode_into needs separate storage for the estimates");
    detail::SmallBuffer<Index> row_of_worker(std::size_t(n), Index(-1));
    check_ids(ids, row_of_worker);

    diag = DecodeDiagnostics{};
    diag.answers_received = f;
    const S nan = std::numeric_limits<S>::quiet_NaN();
    // The caller's row of query point i, and its outcome.
    const auto row_of = [order](Index i) { return order ? order[i] : i; };
    const auto report = [&](Index row, QueryProvenance how, double score) {
      if (provenance) provenance[row] = how;
      if (reliability) reliability[row] = score;
    };
    // magnitude[j] = scaled_abs_sum of answer j: non-finite answers are rejected, and it bounds
    // the answer's largest |value| for the overflow check.
    detail::SmallBuffer<S> magnitude(std::size_t(f), S(0));
    const auto reject_non_finite = [&] {
      for (Index j = 0; j < f; ++j)
        if (!std::isfinite(magnitude[std::size_t(j)])) {
          const Index w = Index(ids[j]);
          row_of_worker[std::size_t(w)] = -1;
          ++diag.answers_rejected_non_finite;
          if (rejected) rejected->push_back(w);
        }
    };
    const auto insufficient = [&] {
      out.setConstant(nan);
      diag.queries_unavailable = k;
      for (Index q = 0; q < k; ++q) report(q, QueryProvenance::unavailable, 0.0);
      return DecodeStatus::insufficient_answers;
    };
    // The regression schemes scan the answers in the pass that decodes them (speculating that
    // all are finite, and decoding again without the rejected ones when not); the others, and
    // a decode that cannot succeed, scan first.
    const bool look_for_wrong = params_.num_adversaries > 0;
    bool scanned = !Scheme::is_regression || f < min_answers_ || f == 0 || look_for_wrong;
    if (scanned) {
      for (Index j = 0; j < f; ++j) magnitude[std::size_t(j)] = detail::scaled_abs_sum(outputs.row(j));
      reject_non_finite();
    }

    const auto flag = [&](Index worker, double score) {
      row_of_worker[std::size_t(worker)] = -1;
      ++diag.answers_flagged;
      if (flagged) flagged->push_back(worker);
      if (flag_scores) flag_scores->push_back(score);
    };

    if constexpr (Scheme::is_regression) {
      if (look_for_wrong && f - diag.answers_rejected_non_finite >= std::max<Index>(min_answers_, 1))
        find_wrong_answers(outputs, row_of_worker, flag);
      for (;;) {
        const Index usable = f - diag.answers_rejected_non_finite - diag.answers_flagged;
        // The K + 2E answers that located the wrong ones were there before the flags: the
        // flags (E, or more with twins) leave a decode that needs K, not K + 2E.
        if (usable + diag.answers_flagged < min_answers_ || usable < plain_min_answers_ || usable == 0)
          return insufficient();
        detail::SmallBuffer<Index> sorted(std::size_t(usable), Index(0));
        detail::SmallBuffer<Index> answer(std::size_t(usable), Index(0));  // the answer j of each column
        detail::SmallBuffer<const S*> rows(std::size_t(usable), nullptr);
        detail::SmallBuffer<S> sorted_magnitude(std::size_t(usable), S(0));
        Index u = 0;
        for (Index w = 0; w < n; ++w) {
          const Index j = row_of_worker[std::size_t(w)];
          if (j < 0) continue;
          sorted[std::size_t(u)] = w;
          answer[std::size_t(u)] = j;
          rows[std::size_t(u)] = outputs.data() + j * outputs.outerStride();
          ++u;
        }
        const auto dec = decoding_for(sorted.data(), usable, diag.cache_hit);
        const Index e = Index(dec->estimated.size()), x = Index(dec->exact.size());
        S* const first = out.data();
        const Index stride = out.outerStride();
        detail::SmallBuffer<S*> copy_to(std::size_t(usable), nullptr);
        for (Index r = 0; r < x; ++r)
          copy_to[std::size_t(dec->exact_column[std::size_t(r)])] = first + row_of(dec->exact[std::size_t(r)]) * stride;
        detail::stream_rows<S>(
            e, usable, m, dec->coef.data(), usable, [&](Index c) { return rows[std::size_t(c)]; },
            [&](Index r) { return first + row_of(dec->estimated[std::size_t(r)]) * stride; }, copy_to.data(),
            scanned ? nullptr : sorted_magnitude.data(), params_.num_threads);
        if (!scanned) {
          for (Index c = 0; c < usable; ++c) magnitude[std::size_t(answer[std::size_t(c)])] = sorted_magnitude[std::size_t(c)];
          scanned = true;
          reject_non_finite();
          if (diag.answers_rejected_non_finite > 0) continue;  // decode again without them
        } else {
          for (Index c = 0; c < usable; ++c) sorted_magnitude[std::size_t(c)] = magnitude[std::size_t(answer[std::size_t(c)])];
        }
        diag.answers_used = e > 0 ? usable : x;  // with every query exact, the companions go unused
        diag.queries_exact = x;
        diag.queries_estimated = e;
        for (Index r = 0; r < x; ++r) report(row_of(dec->exact[std::size_t(r)]), QueryProvenance::exact, 1.0);
        for (Index r = 0; r < e; ++r) {
          const Index q = dec->estimated[std::size_t(r)];
          report(row_of(q), QueryProvenance::estimated, dec->reliability[std::size_t(q)]);
        }
        if (e == 0 || !may_overflow(dec->coef.data(), e, usable, sorted_magnitude.data())) return DecodeStatus::ok;
        for (Index r = 0; r < e; ++r) {
          const Index row = row_of(dec->estimated[std::size_t(r)]);
          if (detail::all_finite(out.row(row))) continue;
          out.row(row).setConstant(nan);
          report(row, QueryProvenance::unavailable, 0.0);
          ++diag.estimates_non_finite;
          ++diag.queries_unavailable;
          --diag.queries_estimated;
        }
        return diag.queries_unavailable == 0 ? DecodeStatus::ok : DecodeStatus::partial;
      }
    } else {
      if (look_for_wrong) outvote_wrong_answers(ids, outputs, row_of_worker, flag);
      const Index usable = f - diag.answers_rejected_non_finite - diag.answers_flagged;
      if (usable < min_answers_ || usable == 0) return insufficient();
      // First usable answer in the given order wins (with a vote, one of the majority).
      detail::SmallBuffer<char> filled(std::size_t(k), 0);
      for (Index j = 0; j < f; ++j) {
        const Index w = Index(ids[j]);
        if (row_of_worker[std::size_t(w)] < 0) continue;
        Index q = Scheme::query_of_worker(w, k);
        if (order) q = order[q];  // estimate i belongs to query order[i] of the batch
        if (filled[std::size_t(q)]) continue;
        out.row(q) = outputs.row(j);
        filled[std::size_t(q)] = 1;
        ++diag.answers_used;
      }
      for (Index q = 0; q < k; ++q) {
        if (filled[std::size_t(q)]) {
          report(q, QueryProvenance::exact, 1.0);
          ++diag.queries_exact;
        } else {
          out.row(q).setConstant(nan);
          report(q, QueryProvenance::unavailable, 0.0);
          ++diag.queries_unavailable;
        }
      }
      return diag.queries_unavailable == 0 ? DecodeStatus::ok : DecodeStatus::partial;
    }
  }

  // Spline and Berrut, E > 0: the detector over the usable answers (row_of_worker[w] >= 0);
  // flag(w, score) removes each answer it flags from the answered set.
  template <class Flag>
  void find_wrong_answers(const Eigen::Ref<const RowMatrix<S>>& outputs, detail::SmallBuffer<Index>& row_of_worker,
                          const Flag& flag) const {
    std::vector<Index> sorted;
    std::vector<const S*> rows;
    std::vector<double> sites;
    for (Index w = 0; w < params_.num_workers; ++w) {
      const Index j = row_of_worker[std::size_t(w)];
      if (j < 0) continue;
      sorted.push_back(w);
      rows.push_back(outputs.data() + j * outputs.outerStride());
      sites.push_back(worker_points_[std::size_t(w)]);
    }
    auto check = checks_.find(sorted.data(), sorted.size());
    if (!check)
      check = checks_.insert(sorted.data(), sorted.size(),
                             std::make_shared<const RowMatrix<double>>(
                                 robust::leave_one_out_matrix(Scheme{}, sites, params_.lambda_dec)));
    const robust::Detection found = robust::detect_wrong_answers<S>(*check, rows.data(), outputs.cols(),
                                                                    params_.num_adversaries, params_.detection_threshold);
    for (std::size_t i = 0; i < found.flagged.size(); ++i)
      flag(sorted[std::size_t(found.flagged[i])], found.scores[i]);
  }

  // Replication, E > 0: the copies of each query with 3 or more usable answers vote
  // (robust/majority_vote.hpp); flag(w, score) removes the outvoted ones.
  template <class Ids, class Flag>
  void outvote_wrong_answers(const Ids& ids, const Eigen::Ref<const RowMatrix<S>>& outputs,
                             const detail::SmallBuffer<Index>& row_of_worker, const Flag& flag) const {
    const Index k = params_.num_queries;
    std::vector<std::vector<Index>> copies(static_cast<std::size_t>(k));  // answers j of each query, in order
    for (Index j = 0; j < Index(ids.size()); ++j) {
      const Index w = Index(ids[j]);
      if (row_of_worker[std::size_t(w)] >= 0) copies[std::size_t(Scheme::query_of_worker(w, k))].push_back(j);
    }
    std::vector<const S*> rows;
    std::vector<double> scores;
    for (const std::vector<Index>& c : copies) {
      if (c.size() < 3) continue;
      rows.clear();
      for (Index j : c) rows.push_back(outputs.data() + j * outputs.outerStride());
      const std::vector<Index> out = robust::outvoted_answers<S>(rows.data(), Index(c.size()), outputs.cols(), scores);
      for (std::size_t i = 0; i < out.size(); ++i) flag(Index(ids[c[std::size_t(out[i])]]), scores[i]);
    }
  }

  // Whether some estimate could overflow: max_i sum_c |D_ic| magnitude_c over the `rows` rows
  // of coef against the limit (all in scaled_abs_sum's scale). O(K |F|), against the
  // O(K |F| m) of the combine.
  bool may_overflow(const S* coef, Index rows, Index u, const S* magnitude) const {
    for (Index i = 0; i < rows; ++i) {
      S bound(0);
      for (Index c = 0; c < u; ++c) bound += std::abs(coef[i * u + c]) * magnitude[c];
      if (!(bound < detail::scaled_overflow_limit<S>())) return true;
    }
    return false;
  }

  CodeParams params_;
  std::vector<double> query_points_, worker_points_;  // empty for replication and uncoded
  Index min_answers_;
  Index plain_min_answers_;  // what a decode needs once the flagged answers are dropped (E > 0)
  bool systematic_;
  detail::LruCache<Decoding> cache_;
  detail::LruCache<RowMatrix<double>> checks_;  // leave-one-out matrices per usable set (E > 0)
};

NERCC_NAMESPACE_END
