// The codes under attack in the Byzantine evaluation, behind one interface: how a group is
// encoded, how answers are decoded (with their flags) at a detection threshold, the plain
// decode, and where an error hurts most. The mechanisms are the library's; this only wires them.
#pragma once

#include "attacks.hpp"

#include <nercc/nercc.hpp>
#include <nercc/robust/leave_one_out.hpp>
#include <nercc/robust/rational_locator.hpp>
#include <nercc/robust/residual_detector.hpp>

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nercc_examples {

/// A decode: K x d estimates (NaN rows unavailable) and the flagged answers as rows of the
/// answers given.
struct Decoded {
  AnswerMatrix values;
  std::vector<Index> flagged;
};

using DecodeFn = std::function<Decoded(const std::vector<Index>& ids, const AnswerMatrix& y, double threshold)>;

/// One robust decoder of an encoding.
struct Detector {
  std::string name;             ///< residual, locator (ApproxIFER), vote (replication)
  bool uses_threshold = false;  ///< whether CodeParams::detection_threshold changes it
  DecodeFn decode;
};

/// One encoding (scheme and layout at N workers) with the decoders evaluated on its answers.
struct Encoding {
  std::string scheme, layout;
  Index n = 0, k = 0, e = 0;
  std::vector<double> points;  ///< the workers' points (regression codes)
  /// Coded queries (N x p) of a batch (K x p); empty for replication, whose workers compute
  /// the queries themselves (query_of_worker).
  std::function<void(const AnswerMatrix& batch, AnswerMatrix& coded)> encode;
  std::function<Index(Index worker)> query_of_worker;
  std::function<AnswerMatrix(const std::vector<Index>& ids, const AnswerMatrix& y)> plain;  ///< E = 0 decode
  std::function<std::vector<Index>(const std::vector<Index>& ids, Index e)> worst;         ///< worst_rows
  /// For the adaptive attacker's bound (regression codes): the plain decoding matrix and the
  /// leave-one-out check matrix of an answered set, and the detector's first-step scale of some
  /// answers (at E = e and a threshold).
  std::function<nercc::RowMatrix<double>(const std::vector<Index>& ids)> decoding, check;
  std::function<double(const std::vector<Index>& ids, const AnswerMatrix& y, double threshold)> scale;
  std::vector<Detector> detectors;
};

namespace detail_coders {

inline std::vector<Index> rows_of(const std::vector<Index>& ids, const std::vector<Index>& workers) {
  std::vector<Index> rows;
  for (Index w : workers)
    for (std::size_t r = 0; r < ids.size(); ++r)
      if (ids[r] == w) rows.push_back(Index(r));
  return rows;
}

inline AnswerMatrix without_rows(const AnswerMatrix& y, const std::vector<Index>& ids, const std::vector<Index>& drop,
                                 std::vector<Index>& kept) {
  kept.clear();
  std::vector<Index> rows;
  for (std::size_t r = 0; r < ids.size(); ++r)
    if (std::find(drop.begin(), drop.end(), Index(r)) == drop.end()) kept.push_back(ids[r]), rows.push_back(Index(r));
  AnswerMatrix out(Index(rows.size()), y.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(Index(r)) = y.row(rows[r]);
  return out;
}

// Robust decoders of one scheme, one per threshold, built on first use (decoders are
// thread-safe; the evaluation is single-threaded).
template <class Scheme>
class RobustDecoders {
 public:
  explicit RobustDecoders(nercc::CodeParams p) : params_(std::move(p)) {}
  const nercc::Decoder<Scheme, float>& at(double threshold) {
    auto it = by_threshold_.find(threshold);
    if (it == by_threshold_.end()) {
      nercc::CodeParams p = params_;
      p.detection_threshold = threshold;
      it = by_threshold_.emplace(threshold, std::make_unique<nercc::Decoder<Scheme, float>>(p)).first;
    }
    return *it->second;
  }

 private:
  nercc::CodeParams params_;
  std::map<double, std::unique_ptr<nercc::Decoder<Scheme, float>>> by_threshold_;
};

}  // namespace detail_coders

/// A spline or Berrut encoding with E = e adversaries; params carries N, K, the points and the
/// lambdas. with_locator adds ApproxIFER's rational error locator (Berrut only).
template <class Scheme>
Encoding regression_encoding(const std::string& scheme, const std::string& layout, nercc::CodeParams params, Index e,
                             bool with_locator) {
  using namespace detail_coders;
  Encoding enc;
  enc.scheme = scheme;
  enc.layout = layout;
  enc.n = params.num_workers;
  enc.k = params.num_queries;
  enc.e = e;
  params.num_adversaries = 0;
  auto encoder = std::make_shared<nercc::Encoder<Scheme, float>>(params);
  auto plain = std::make_shared<nercc::Decoder<Scheme, float>>(params);
  nercc::CodeParams robust = params;
  robust.num_adversaries = e;
  auto decoders = std::make_shared<RobustDecoders<Scheme>>(robust);
  const std::vector<double> points = params.resolved_worker_points();
  enc.points = points;
  const double lambda = params.lambda_dec;
  enc.encode = [encoder](const AnswerMatrix& batch, AnswerMatrix& coded) { encoder->encode_into(batch, coded); };
  enc.plain = [plain](const std::vector<Index>& ids, const AnswerMatrix& y) { return plain->decode(ids, y).values; };
  enc.decoding = [plain](const std::vector<Index>& ids) {
    return nercc::RowMatrix<double>(plain->decoding_matrix(ids).template cast<double>());
  };
  enc.check = [points, lambda](const std::vector<Index>& ids) {
    std::vector<double> sites;
    for (Index w : ids) sites.push_back(points[std::size_t(w)]);
    return nercc::robust::leave_one_out_matrix(Scheme{}, sites, lambda);
  };
  enc.worst = [f = enc.decoding, c = enc.check](const std::vector<Index>& ids, Index count) {
    return worst_rows(f(ids), c(ids), count);
  };
  enc.scale = [c = enc.check, e](const std::vector<Index>& ids, const AnswerMatrix& y, double threshold) {
    std::vector<const float*> rows;
    for (Index r = 0; r < y.rows(); ++r) rows.push_back(y.row(r).data());
    return nercc::robust::detect_wrong_answers<float>(c(ids), rows.data(), y.cols(), std::max<Index>(e, 1), threshold)
        .scale;
  };
  enc.detectors.push_back({"residual", true, [decoders](const std::vector<Index>& ids, const AnswerMatrix& y, double t) {
                             const auto r = decoders->at(t).decode(ids, y);
                             return Decoded{r.values, rows_of(ids, r.flagged_workers)};
                           }});
  if (with_locator)
    enc.detectors.push_back({"locator", false, [plain, points, e](const std::vector<Index>& ids, const AnswerMatrix& y,
                                                                  double) {
                               std::vector<double> sites;
                               std::vector<const float*> rows;
                               for (std::size_t r = 0; r < ids.size(); ++r) {
                                 sites.push_back(points[std::size_t(ids[r])]);
                                 rows.push_back(y.row(Index(r)).data());
                               }
                               const auto found = nercc::robust::locate_by_rational_fit<float>(
                                   sites, rows.data(), y.cols(), plain->num_queries(), e);
                               std::vector<Index> kept;
                               const AnswerMatrix rest = without_rows(y, ids, found.flagged, kept);
                               std::vector<Index> flagged = found.flagged;
                               std::sort(flagged.begin(), flagged.end());
                               return Decoded{plain->decode(kept, rest).values, flagged};
                             }});
  return enc;
}

/// Replication over N = (2E + 1 + S) K workers with the majority vote of the Decoder.
inline Encoding replication_encoding(Index k, Index n, Index e) {
  using namespace detail_coders;
  Encoding enc;
  enc.scheme = "replication";
  enc.layout = "copies";
  enc.n = n;
  enc.k = k;
  enc.e = e;
  nercc::CodeParams p;
  p.num_queries = k;
  p.num_workers = n;
  auto plain = std::make_shared<nercc::Decoder<nercc::ReplicationScheme, float>>(p);
  p.num_adversaries = e;
  auto voting = std::make_shared<nercc::Decoder<nercc::ReplicationScheme, float>>(p);
  enc.query_of_worker = [k](Index w) { return nercc::ReplicationScheme::query_of_worker(w, k); };
  enc.plain = [plain](const std::vector<Index>& ids, const AnswerMatrix& y) { return plain->decode(ids, y).values; };
  // Worst: every wrong answer on copies of one query (the query with the fewest answers).
  enc.worst = [k](const std::vector<Index>& ids, Index count) {
    std::vector<Index> copies(static_cast<std::size_t>(k), 0);
    for (Index w : ids) ++copies[std::size_t(nercc::ReplicationScheme::query_of_worker(w, k))];
    const Index q = Index(std::min_element(copies.begin(), copies.end()) - copies.begin());
    std::vector<Index> rows;
    for (std::size_t r = 0; r < ids.size() && Index(rows.size()) < count; ++r)
      if (nercc::ReplicationScheme::query_of_worker(ids[r], k) == q) rows.push_back(Index(r));
    return rows;
  };
  enc.detectors.push_back({"vote", false, [voting](const std::vector<Index>& ids, const AnswerMatrix& y, double) {
                             const auto r = voting->decode(ids, y);
                             return Decoded{r.values, rows_of(ids, r.flagged_workers)};
                           }});
  return enc;
}

}  // namespace nercc_examples
