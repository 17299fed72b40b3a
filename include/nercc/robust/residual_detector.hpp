// Which answers of a regression code are wrong: a greedy matched-filter search over the
// leave-one-out residuals, with a robust scale. The policy; robust/leave_one_out.hpp is the
// mechanism it reads.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/types.hpp>

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// Coordinates whose medians give detect_wrong_answers its scale (evenly spaced when d is larger).
constexpr Index scale_coordinates = 128;

/// Answers a detector flagged: positions among the answers it was given, with their scores, in
/// the order found.
struct Detection {
  std::vector<Index> flagged;
  std::vector<double> scores;
  double scale = 0.0;  ///< sqrt(sum_m sigma_m^2): a score is |t_j| / scale
};

/// Flags at most `max_adversaries` answers (plus their twins, below) among u answers, given
/// the leave-one-out matrix C of their sites (robust/leave_one_out.hpp) and the answers
/// (rows[i]: answer i, d values).
///
/// Model: the residuals C Y are the code's approximation error plus C E, E the errors, nonzero
/// in the rows of the wrong answers only. Step s (s < max_adversaries): with the columns of
/// the answers flagged so far projected out (v_j = column j of C made orthogonal to them), the
/// matched filter of answer j is t_j = v_j^T C Y / |v_j| (d values: the share of the residuals
/// an error at j explains, per output coordinate; for a single error at a, |t_a| >= |t_j| by
/// Cauchy-Schwarz). The scale of coordinate m is sigma_m = median_j |t_jm| / 0.6745 over the
/// first step's candidates (a median: robust to the wrong answers and the neighbours their
/// errors leak into), floored at 1024 eps(S) times the answers' root mean square; sum_m
/// sigma_m^2 is estimated from scale_coordinates evenly spaced coordinates when d is larger. The score of j is
///   score_j = |t_j| / sqrt(sum_m sigma_m^2)
/// (about 1 for the median answer; the approximation error is not spread evenly, so correct
/// answers near the ends or across gaps score higher); the answer with the largest score is
/// flagged when it exceeds `threshold` (0: always, which spends the whole budget of
/// max_adversaries as a locator does), else the search stops. Twins: an unflagged answer whose v_j has
/// cosine >= `twin_cosine` with the flagged answer's, and a score above the threshold too, is
/// flagged with it: two answers at nearly the same point (a systematic worker and its close
/// companion) explain each other's error equally well, so which one is wrong cannot be told,
/// and both are dropped.
///
/// A single error e at answer a changes t_a by |c_a| e (first step), so an error that stays
/// below the threshold has |e| <= (threshold * scale + |t_a without it|) / |c_a|: the adaptive
/// attacker's budget. O(max_adversaries u^2 d), plus the choice among
/// sets below. Thread-safe
/// (pure).
template <class S>
Detection detect_wrong_answers(const RowMatrix<double>& check, const S* const* rows, Index d, Index max_adversaries,
                               double threshold, double twin_cosine = 0.99, double twin_ratio = 0.9) {
  const Index u = check.rows();
  if (u < 3 || max_adversaries < 1 || d < 1) return {};
  double sum_sq = 0.0;
  for (Index i = 0; i < u; ++i)
    sum_sq += double(Eigen::Map<const Eigen::Matrix<S, 1, Eigen::Dynamic>>(rows[i], d).squaredNorm());
  // coef (u x u) times the answers, with the decoder's combine kernel, in S: the d-long products
  // are most of the cost, and the scores need no more than S's precision.
  const auto times_answers = [&](const RowMatrix<double>& coef) {
    const RowMatrix<S> c = coef.template cast<S>();
    RowMatrix<S> out(u, d);
    detail::combine_rows<S>(u, u, d, c.data(), u, [rows](Index q) { return rows[q]; }, out.data(), d);
    return out;
  };
  const double floor = 1024.0 * double(std::numeric_limits<S>::epsilon()) * std::sqrt(sum_sq / double(u * d));

  const RowMatrix<double> gram = check.transpose() * check;
  const RowMatrix<S> projected = times_answers(gram);  // row j: c_j^T C Y
  const std::size_t n = static_cast<std::size_t>(u);
  double scale = 0.0;  // sqrt(sum_m sigma_m^2), from the first step
  std::vector<double> norm(n), score(n), column(n);
  // The greedy search; with `only`, each step picks its answer among those alone.
  const auto search = [&](const std::vector<Index>* only) {
    Detection d_found;
    std::vector<char> out(n, 0);
    RowMatrix<double> basis(u, 0);  // orthonormal basis of the flagged columns
    for (Index step = 0; step < max_adversaries; ++step) {
      RowMatrix<double> v = check;
      if (basis.cols() > 0) v -= basis * (basis.transpose() * check);
      std::vector<Index> live;
      for (Index j = 0; j < u; ++j) {
        norm[std::size_t(j)] = v.col(j).norm();
        if (!out[std::size_t(j)] && norm[std::size_t(j)] > 1e-9 * check.col(j).norm()) live.push_back(j);
      }
      if (live.size() < 3) break;
      RowMatrix<S> later;  // v^T C Y after the first step; the row of j is t_j times |v_j|
      if (basis.cols() > 0) later = times_answers(v.transpose() * check);
      const RowMatrix<S>& t = basis.cols() > 0 ? later : projected;
      if (scale == 0.0) {
        // The medians of at most scale_coordinates evenly spaced coordinates stand for all d:
        // they are the costliest step otherwise (a selection per coordinate).
        const Index sampled = std::min(d, scale_coordinates);
        double total = 0.0;
        for (Index i = 0; i < sampled; ++i) {
          const Index m = i * d / sampled;
          for (std::size_t c = 0; c < live.size(); ++c)
            column[c] = std::abs(double(t(live[c], m))) / norm[std::size_t(live[c])];
          const auto mid = column.begin() + std::ptrdiff_t(live.size() / 2);
          std::nth_element(column.begin(), mid, column.begin() + std::ptrdiff_t(live.size()));
          const double sigma = std::max(*mid / 0.6745, floor);
          total += sigma * sigma;
        }
        scale = std::sqrt(total * double(d) / double(sampled));
      }
      Index best = -1;
      for (Index j : live) {
        score[std::size_t(j)] = std::sqrt(double(t.row(j).squaredNorm())) / norm[std::size_t(j)] / scale;
        if (only && std::find(only->begin(), only->end(), j) == only->end()) continue;
        if (best < 0 || score[std::size_t(j)] > score[std::size_t(best)]) best = j;
      }
      if (best < 0 || !(score[std::size_t(best)] > threshold)) break;
      std::vector<Index> now{best};
      for (Index j : live)
        if (j != best && score[std::size_t(j)] > threshold && score[std::size_t(j)] >= twin_ratio * score[std::size_t(best)] &&
            std::abs(v.col(j).dot(v.col(best))) >= twin_cosine * norm[std::size_t(j)] * norm[std::size_t(best)])
          now.push_back(j);
      for (Index j : now) {
        out[std::size_t(j)] = 1;
        d_found.flagged.push_back(j);
        d_found.scores.push_back(score[std::size_t(j)]);
        Vector<double> q = check.col(j);
        if (basis.cols() > 0) q -= basis * (basis.transpose() * q);
        const double qn = q.norm();
        if (!(qn > 1e-9 * check.col(j).norm())) continue;
        basis.conservativeResize(Eigen::NoChange, basis.cols() + 1);
        basis.col(basis.cols() - 1) = q / qn;
      }
    }
    return d_found;
  };
  Detection found = search(nullptr);
  found.scale = scale;
  if (max_adversaries < 2 || found.flagged.size() < 2) return found;

  // Greedy picks can be fooled by errors at neighbouring answers, which together look like
  // errors elsewhere (a block of similar errors looks locally smooth): choose the set A of as
  // many answers as there were picks (twins aside) that explains most of the residuals,
  //   trace((C_A^T C_A)^-1 (C_A^T C Y)(C_A^T C Y)^T),
  // over every set when there are at most 20000, else by swapping one pick at a time while
  // that explains more; then search again among the final picks for their order, scores and
  // twins. O(|A|^3) per set from the u x u products, whatever d.
  std::vector<Index> picks;  // the first pick of each step: its twins follow it
  for (Index j : found.flagged) {
    bool twin = false;
    for (Index p : picks)
      if (std::abs(gram(j, p)) >= twin_cosine * std::sqrt(gram(j, j) * gram(p, p))) twin = true;
    if (!twin) picks.push_back(j);
  }
  const RowMatrix<double> energy = (projected * projected.transpose()).template cast<double>();
  const auto explained = [&](const std::vector<Index>& set) {
    const Index k = Index(set.size());
    Eigen::MatrixXd g(k, k), h(k, k);
    for (Index a = 0; a < k; ++a)
      for (Index b = 0; b < k; ++b) {
        g(a, b) = gram(set[std::size_t(a)], set[std::size_t(b)]);
        h(a, b) = energy(set[std::size_t(a)], set[std::size_t(b)]);
      }
    const Eigen::LLT<Eigen::MatrixXd> llt(g);
    if (llt.info() != Eigen::Success) return -1.0;
    return llt.solve(h).trace();
  };
  std::vector<Index> start = picks;
  const Index k = Index(picks.size());
  double sets = 1.0;
  for (Index i = 0; i < k; ++i) sets = sets * double(u - i) / double(i + 1);
  if (sets <= 20000.0) {
    std::vector<Index> trial(static_cast<std::size_t>(k));
    for (Index i = 0; i < k; ++i) trial[std::size_t(i)] = i;
    double top = -1.0;
    for (;;) {
      const double e = explained(trial);
      if (e > top) top = e, picks = trial;
      Index i = k - 1;  // next combination in lexicographic order
      while (i >= 0 && trial[std::size_t(i)] == u - k + i) --i;
      if (i < 0) break;
      ++trial[std::size_t(i)];
      for (Index j = i + 1; j < k; ++j) trial[std::size_t(j)] = trial[std::size_t(j - 1)] + 1;
    }
  } else {
    double current = explained(picks);
    for (int round = 0; round < 4 * int(k); ++round) {
      double gain = 0.0;
      std::size_t at = 0;
      Index with = -1;
      for (std::size_t i = 0; i < picks.size(); ++i)
        for (Index j = 0; j < u; ++j) {
          if (std::find(picks.begin(), picks.end(), j) != picks.end()) continue;
          std::vector<Index> trial = picks;
          trial[i] = j;
          const double e = explained(trial);
          if (e - current > gain) gain = e - current, at = i, with = j;
        }
      if (with < 0 || !(gain > 1e-9 * current)) break;
      picks[at] = with;
      current += gain;
    }
  }
  std::sort(picks.begin(), picks.end());
  std::sort(start.begin(), start.end());
  if (picks == start) return found;
  found = search(&picks);
  found.scale = scale;
  return found;
}

}  // namespace robust
NERCC_NAMESPACE_END
