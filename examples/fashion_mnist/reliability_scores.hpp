// Candidate reliability scores of one coded estimate, computed from the code's public API
// (points, decoding matrices) and the estimate itself. Higher = more reliable for every score,
// so one AUC convention fits all.
#pragma once

#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/tune/sampling.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace nercc_examples {

using nercc::Index;
using FloatMatrix = nercc::RowMatrix<float>;

/// The candidates, in the order of every table.
enum Score : int {
  geometric,         ///< -r, r = distance from alpha_k to the nearest answered beta / spacing of alpha_k
  library,           ///< DecodeResult::reliability (the decoder's own score), when it has one
  row_l2,            ///< -||row k of D_F||_2: noise amplification
  row_l1,            ///< -||row k of D_F||_1: the Lebesgue-type constant of the estimate
  loo_shift,         ///< -||estimate - estimate without the nearest answer||_inf
  loo_residual,      ///< -||y_w - prediction of y_w from the other answers||_inf, w the nearest answer
  loo_stable,        ///< 1 if the estimate without the nearest answer has the same argmax, else 0
  margin,            ///< top-1 minus top-2 logit of the estimate
  prob_margin,       ///< top-1 minus top-2 softmax probability of the estimate
  margin_x_geo,      ///< margin * 1 / (1 + r^2) (margin weighted by the geometric reliability)
  margin_over_loo,   ///< margin / loo_shift: how many times the leave-one-out change fits in the margin
  margin_over_l1,    ///< margin / ||row k of D_F||_1
  score_count
};

inline const char* score_name(int s) {
  static const char* const names[score_count] = {"geometric", "library",      "row_l2",          "row_l1",
                                                 "loo_shift", "loo_residual", "loo_stable",      "margin",
                                                 "prob_margin", "margin_x_geo", "margin_over_loo", "margin_over_l1"};
  return names[s];
}

using Scores = std::array<double, score_count>;

/// r_k = min_j |alpha_k - beta_j| / g_k, g_k the distance from alpha_k to the nearest other
/// query point (2 when K = 1), by sorting the query points (the decoder's implementation scans
/// them; this one is independent, to check it).
inline double relative_distance(const std::vector<double>& alpha, Index k, const std::vector<double>& answered_beta) {
  std::vector<double> sorted(alpha);
  std::sort(sorted.begin(), sorted.end());
  const double a = alpha[std::size_t(k)];
  const auto at = std::size_t(std::lower_bound(sorted.begin(), sorted.end(), a) - sorted.begin());
  double gap = std::numeric_limits<double>::infinity();
  if (at > 0) gap = std::min(gap, a - sorted[at - 1]);
  if (at + 1 < sorted.size()) gap = std::min(gap, sorted[at + 1] - a);
  if (!std::isfinite(gap)) gap = 2.0;
  double nearest = std::numeric_limits<double>::infinity();
  for (double b : answered_beta) nearest = std::min(nearest, std::abs(b - a));
  return nearest / gap;
}

/// Top-1 minus top-2 of a row, and the same for its softmax.
inline std::pair<double, double> margins(const Eigen::Ref<const Eigen::RowVectorXf>& logits) {
  Eigen::RowVectorXd v = logits.cast<double>();
  const Index top = nercc::argmax_of_row(v);
  const double first = v[top];
  v[top] = -std::numeric_limits<double>::infinity();
  const double second = v.maxCoeff();
  const Eigen::RowVectorXd p = (logits.cast<double>().array() - first).exp().matrix();
  const double z = p.sum();
  return {first - second, (1.0 - std::exp(second - first)) / z};
}

// DecodeResult::reliability when the decoder has it (the member arrived with the provenance
// work); NaN otherwise, so this program builds against either.
template <class R, class = void>
struct has_reliability : std::false_type {};
template <class R>
struct has_reliability<R, std::void_t<decltype(std::declval<const R&>().reliability)>> : std::true_type {};

template <class R>
double library_reliability(const R& r, Index k) {
  if constexpr (has_reliability<R>::value) {
    if (std::size_t(k) < r.reliability.size()) return r.reliability[std::size_t(k)];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// 1 when DecodeResult::provenance says query k is exact, 0 when it says otherwise, -1 without it.
template <class R>
int library_says_exact(const R& r, Index k) {
  if constexpr (has_reliability<R>::value) {
    using Provenance = std::decay_t<decltype(r.provenance[0])>;
    return r.provenance[std::size_t(k)] == Provenance::exact ? 1 : 0;
  }
  return -1;
}

/// A spline or Berrut code under test: encoder, decoder, and a second decoder with the worker
/// points as its query points (row w of its decoding matrix predicts worker w's answer from the
/// others: the leave-one-out residual).
class CodeUnderTest {
 public:
  virtual ~CodeUnderTest() = default;
  virtual void encode(const Eigen::Ref<const FloatMatrix>& batch, Eigen::Ref<FloatMatrix> coded) const = 0;
  virtual nercc::DecodeResult<float> decode(const std::vector<Index>& ids,
                                            const Eigen::Ref<const FloatMatrix>& answers) const = 0;
  /// K x |ids|: the estimates at the query points.
  virtual FloatMatrix at_queries(const std::vector<Index>& ids) const = 0;
  /// N x |ids|: the fitted curve at every worker point.
  virtual FloatMatrix at_workers(const std::vector<Index>& ids) const = 0;
  const nercc::CodeParams& params() const { return params_; }
  const std::vector<double>& alpha() const { return alpha_; }
  const std::vector<double>& beta() const { return beta_; }

 protected:
  explicit CodeUnderTest(nercc::CodeParams p)
      : params_(std::move(p)), alpha_(params_.resolved_query_points()), beta_(params_.resolved_worker_points()) {}
  nercc::CodeParams params_;
  std::vector<double> alpha_, beta_;
};

template <class Scheme>
class SchemeCode final : public CodeUnderTest {
 public:
  explicit SchemeCode(nercc::CodeParams p)
      : CodeUnderTest(std::move(p)), encoder_(params_), decoder_(params_), cross_(cross_params(params_)) {}
  void encode(const Eigen::Ref<const FloatMatrix>& batch, Eigen::Ref<FloatMatrix> coded) const override {
    encoder_.encode_into(batch, coded);
  }
  nercc::DecodeResult<float> decode(const std::vector<Index>& ids,
                                    const Eigen::Ref<const FloatMatrix>& answers) const override {
    return decoder_.decode(ids, answers);
  }
  FloatMatrix at_queries(const std::vector<Index>& ids) const override { return decoder_.decoding_matrix(ids); }
  FloatMatrix at_workers(const std::vector<Index>& ids) const override { return cross_.decoding_matrix(ids); }

 private:
  static nercc::CodeParams cross_params(const nercc::CodeParams& p) {
    nercc::CodeParams c = p;
    c.num_queries = p.num_workers;
    c.query_points = p.resolved_worker_points();
    c.worker_points = c.query_points;
    c.min_answers = 1;
    return c;
  }
  nercc::Encoder<Scheme, float> encoder_;
  nercc::Decoder<Scheme, float> decoder_, cross_;
};

inline std::unique_ptr<CodeUnderTest> make_code(nercc::SchemeKind kind, const nercc::CodeParams& p) {
  return nercc::visit_scheme(kind, [&](auto tag) -> std::unique_ptr<CodeUnderTest> {
    using Tag = decltype(tag);
    if constexpr (Tag::is_regression) return std::make_unique<SchemeCode<Tag>>(p);
    else throw std::invalid_argument("make_code: the reliability measurement needs a coded (regression) scheme");
  });
}

/// Every candidate score of the estimate of query k. `ids` ascending, `answers` their rows,
/// `d` the decoding matrix of ids (at_queries), `estimate` row k of the decode.
inline Scores score_estimate(const CodeUnderTest& code, Index k, const std::vector<Index>& ids,
                             const Eigen::Ref<const FloatMatrix>& answers, const Eigen::Ref<const FloatMatrix>& d,
                             const Eigen::Ref<const Eigen::RowVectorXf>& estimate, double library_score) {
  Scores s{};
  const std::vector<double>& beta = code.beta();
  std::vector<double> answered_beta;
  Index nearest = 0;  // position in ids of the answer nearest alpha_k
  const double a = code.alpha()[std::size_t(k)];
  for (std::size_t j = 0; j < ids.size(); ++j) {
    answered_beta.push_back(beta[std::size_t(ids[j])]);
    if (std::abs(answered_beta[j] - a) < std::abs(answered_beta[std::size_t(nearest)] - a)) nearest = Index(j);
  }
  const double r = relative_distance(code.alpha(), k, answered_beta);
  const double geo = 1.0 / (1.0 + r * r);
  s[geometric] = -r;
  s[library] = library_score;
  const Eigen::RowVectorXd row = d.row(k).cast<double>();
  s[row_l2] = -row.norm();
  s[row_l1] = -row.lpNorm<1>();

  // Leave the nearest answer out: the estimate and that answer's prediction from the rest.
  std::vector<Index> rest;
  FloatMatrix rest_answers(answers.rows() - 1, answers.cols());
  for (std::size_t j = 0; j < ids.size(); ++j)
    if (Index(j) != nearest) {
      rest_answers.row(Index(rest.size())) = answers.row(Index(j));
      rest.push_back(ids[j]);
    }
  const Eigen::RowVectorXd without = (code.at_queries(rest).row(k).cast<double>() * rest_answers.cast<double>());
  const Eigen::RowVectorXd predicted =
      code.at_workers(rest).row(ids[std::size_t(nearest)]).cast<double>() * rest_answers.cast<double>();
  const double shift = (estimate.cast<double>() - without).lpNorm<Eigen::Infinity>();
  s[loo_shift] = -shift;
  s[loo_residual] = -(answers.row(nearest).cast<double>() - predicted).lpNorm<Eigen::Infinity>();
  s[loo_stable] = nercc::argmax_of_row(without) == nercc::argmax_of_row(estimate) ? 1.0 : 0.0;

  const auto [m, pm] = margins(estimate);
  s[margin] = m;
  s[prob_margin] = pm;
  s[margin_x_geo] = m * geo;
  s[margin_over_loo] = m / (shift + 1e-9);
  s[margin_over_l1] = m / row.lpNorm<1>();
  return s;
}

}  // namespace nercc_examples
