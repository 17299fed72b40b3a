// Which answers of a regression code are wrong: a greedy matched-filter search over the
// leave-one-out residuals, with a robust scale. The policy; robust/leave_one_out.hpp is the
// mechanism it reads.
#pragma once

#include <nercc/config.hpp>
#include <nercc/detail/combine_rows.hpp>
#include <nercc/types.hpp>

#include <Eigen/Cholesky>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace robust {

/// Coordinates whose medians give detect_wrong_answers its scale (evenly spaced when d is larger).
constexpr Index scale_coordinates = 128;

/// A detection threshold (CodeParams::detection_threshold) for the spline code in today's
/// layout on classifier logits, from the calibration in docs/results/byzantine (Fashion-MNIST,
/// LeNet5 and ResNet-8, K = 12, E = 1, 2, S = 0, 1): with no adversary it flags at most 0.04%
/// of the honest answers (RelAcc within 0.1 point of the plain decode; 0 flags E per group and
/// costs about 5 points), and it still catches noise of 10 and 100 times the output scale
/// (recall >= 0.99); it misses most sign flips of logits, errors about the size of the code's
/// own approximation error there (recall 0.16 to 0.31, against 0.88 to 0.93 at 0). The
/// systematic layouts flag 0.3 to 1% of honest answers at 5 and need about 12; Berrut misses up
/// to 40% of noise 10 times the scale at the worst positions. The default 0 keeps the locator's
/// behaviour.
constexpr double recommended_detection_threshold = 5.0;

/// Answers a detector flagged: positions among the answers it was given, with their scores, in
/// the order found.
struct Detection {
  std::vector<Index> flagged;
  std::vector<double> scores;
  double scale = 0.0;  ///< sqrt(sum_m sigma_m^2) of the first step: its scores are |t_j| / scale
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
/// Cauchy-Schwarz). The step's best candidate b has the largest |t_j|. The step's scale comes
/// from the residuals once the step's top candidates are explained (r = max_adversaries - s of
/// them, chosen greedily: b, then the largest |t_j| with the columns chosen so far projected
/// out, and so on; of those after b, only the ones whose score at that scale exceeds the
/// threshold, lest explaining the honest answers that fit worst shrink the spread of the rest
/// and inflate every score the more the larger the budget): with w_j = v_j made orthogonal to
/// their columns, sigma_m =
/// median over the other candidates of |w_j^T C Y|_m / |w_j| / 0.6745, floored at 1024 eps(S)
/// times the answers' root mean square (an error at a leaks into every t_j through v_j^T v_a,
/// in proportion to its size, so a median of the t_j themselves would grow with the errors and
/// cap their scores near a constant; the w_j hold none of it); sum_m sigma_m^2 is estimated from
/// scale_coordinates evenly spaced coordinates when d is larger. The score of j is
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
/// below the threshold has |e| <= (threshold * scale + |t_a without it|) / |c_a|, scale the
/// first step's (Detection::scale): the adaptive attacker's budget. O(max_adversaries u^2 d), plus the choice among
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
  double scale = 0.0;       // sqrt(sum_m sigma_m^2) of the first step (Detection::scale)
  double step_scale = 0.0;  // of the current step
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
      // The step's best candidate by its matched filter (the ranking needs no scale).
      Index best = -1;
      for (Index j : live) {
        score[std::size_t(j)] = std::sqrt(double(t.row(j).squaredNorm())) / norm[std::size_t(j)];
        if (only && std::find(only->begin(), only->end(), j) == only->end()) continue;
        if (best < 0 || score[std::size_t(j)] > score[std::size_t(best)]) best = j;
      }
      if (best < 0) break;
      // The step's scale: the spread of the residuals once the step's top candidates (as many as
      // the budget has left) are explained, from w_j = v_j made orthogonal to their columns. An
      // error leaks into every t_j (through v_j^T v_a) in proportion to its size, so a scale
      // taken with it would grow with the errors and cap their scores; the w_j hold none of it.
      // The medians of at most scale_coordinates evenly spaced coordinates stand for all d (a
      // selection per coordinate is the costliest step otherwise).
      {
        const std::size_t budget = std::size_t(std::min<Index>(max_adversaries - step, Index(live.size()) - 2));
        const Index sampled = std::min(d, scale_coordinates);
        // The top candidates one at a time, each explained before the next is chosen: an error
        // at a also raises the |t_j| of a's neighbours, which by raw |t_j| would take the places
        // of other wrong answers and leave those answers' leak in the scale. On the sampled
        // coordinates: w_j^T C Y = t_j - (v_j^T v_a / |v_a|^2) t_a as a's column is projected out.
        std::vector<Index> top{best};
        std::vector<double> top_score{score[std::size_t(best)]};  // |t_j| / |v_j| with the earlier picks explained
        if (budget > 1) {
          Eigen::MatrixXd g = v.transpose() * v;
          Eigen::MatrixXd ts = Eigen::MatrixXd::Zero(u, sampled);
          for (Index j : live)
            for (Index i = 0; i < sampled; ++i) ts(j, i) = double(t(j, i * d / sampled));
          while (top.size() < budget) {
            const Index a = top.back();
            const double gaa = g(a, a);
            if (!(gaa > 0.0)) break;
            const Eigen::VectorXd ga = g.col(a);
            const Eigen::RowVectorXd ta = ts.row(a);
            for (Index j : live) ts.row(j) -= (ga(j) / gaa) * ta;
            g.noalias() -= ga * ga.transpose() / gaa;
            Index next = -1;
            double next_score = -1.0;
            for (Index j : live) {
              if (std::find(top.begin(), top.end(), j) != top.end()) continue;
              if (!(g(j, j) > 1e-18 * check.col(j).squaredNorm())) continue;  // a twin: explained already
              const double sc = ts.row(j).norm() / std::sqrt(g(j, j));
              if (sc > next_score) next_score = sc, next = j;
            }
            if (next < 0) break;
            top.push_back(next);
            top_score.push_back(next_score * std::sqrt(double(d) / double(sampled)));
          }
        }
        // sqrt(sum_m sigma_m^2) with the columns of `picked` explained; 0 when no candidate is left.
        const auto spread = [&](const std::vector<Index>& picked) {
          const std::size_t r = picked.size();
          Eigen::MatrixXd cols(u, Index(r));
          for (std::size_t i = 0; i < r; ++i) cols.col(Index(i)) = v.col(picked[i]);
          const Eigen::HouseholderQR<Eigen::MatrixXd> qr(cols);
          const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(u, Index(r));
          const Eigen::MatrixXd rr = qr.matrixQR().topRows(Index(r)).template triangularView<Eigen::Upper>();
          Eigen::MatrixXd z(Index(r), sampled);  // q^T C Y on the sampled coordinates
          for (Index i = 0; i < sampled; ++i)
            for (std::size_t c = 0; c < r; ++c) z(Index(c), i) = double(t(picked[c], i * d / sampled));
          z = rr.transpose().template triangularView<Eigen::Lower>().solve(z);
          std::vector<Index> rest;
          std::vector<double> wnorm;
          Eigen::MatrixXd along(Index(r), 0);
          for (Index j : live) {
            if (std::find(picked.begin(), picked.end(), j) != picked.end()) continue;
            const Eigen::VectorXd a = q.transpose() * v.col(j);
            const double w2 = norm[std::size_t(j)] * norm[std::size_t(j)] - a.squaredNorm();
            if (!(w2 > 1e-18 * check.col(j).squaredNorm())) continue;  // a twin: explained with the picks
            rest.push_back(j), wnorm.push_back(std::sqrt(w2));
            along.conservativeResize(Eigen::NoChange, along.cols() + 1);
            along.col(along.cols() - 1) = a;
          }
          if (rest.empty()) return 0.0;
          double total = 0.0;
          for (Index i = 0; i < sampled; ++i) {
            const Index m = i * d / sampled;
            for (std::size_t c = 0; c < rest.size(); ++c)
              column[c] = std::abs(double(t(rest[c], m)) - along.col(Index(c)).dot(z.col(i))) / wnorm[c];
            const auto mid = column.begin() + std::ptrdiff_t(rest.size() / 2);
            std::nth_element(column.begin(), mid, column.begin() + std::ptrdiff_t(rest.size()));
            const double sigma = std::max(*mid / 0.6745, floor);
            total += sigma * sigma;
          }
          return std::sqrt(total * double(d) / double(sampled));
        };
        step_scale = spread(top);
        if (!(step_scale > 0.0)) break;
        // Only the picks after b that score above the threshold stay explained (see above).
        std::vector<Index> kept{best};
        for (std::size_t i = 1; i < top.size(); ++i)
          if (top_score[i] / step_scale > threshold) kept.push_back(top[i]);
        if (kept.size() < top.size()) {
          const double wider = spread(kept);
          if (wider > 0.0) step_scale = wider;
        }
        if (scale == 0.0) scale = step_scale;
      }
      for (Index j : live) score[std::size_t(j)] /= step_scale;
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
  // The set that explains most is not always right: on smooth answers two wrong ones can be
  // outexplained by a pair of their neighbours that, searched again, scores under the
  // threshold. Keep the greedy flags when the chosen set confirms none.
  Detection refined = search(&picks);
  refined.scale = scale;
  return refined.flagged.empty() ? found : refined;
}

}  // namespace robust
NERCC_NAMESPACE_END
