// AnyCode<S>: an Encoder/Decoder pair whose scheme is chosen at run time (SchemeKind).
#pragma once

#include <nercc/config.hpp>
#include <nercc/decode_result.hpp>
#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/errors.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>
#include <nercc/types.hpp>

#include <algorithm>
#include <memory>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace runtime {

/// The Encoder and Decoder of one scheme, selected by SchemeKind at construction. Copies share
/// the same immutable code. All members are const and thread-safe (the Decoder's matrix cache
/// is internally synchronised).
template <class S>
class AnyCode {
 public:
  /// Builds and validates the code (nercc::invalid_argument names the bad field).
  AnyCode(SchemeKind kind, const CodeParams& params) : impl_(make(kind, params)) {}

  SchemeKind kind() const { return impl_->kind(); }
  const CodeParams& params() const { return impl_->params(); }
  Index num_queries() const { return params().num_queries; }
  Index num_workers() const { return params().num_workers; }
  /// The fewest usable answers the decoder accepts (CodeParams::min_answers resolved).
  Index min_answers() const { return impl_->min_answers(); }
  /// True for the regression schemes (spline, Berrut); false for replication and uncoded.
  bool is_regression() const { return scheme_facts(kind()).is_regression; }
  /// The query worker `w` computes, for replication and uncoded (-1 for regression schemes).
  Index query_of_worker(Index w) const { return impl_->query_of_worker(w); }

  /// Encoder::encode_into(queries, coded, order) of the chosen scheme: `order` receives the
  /// batch's order (the identity unless CodeParams::ordering is set).
  void encode_into(const Eigen::Ref<const RowMatrix<S>>& queries, Eigen::Ref<RowMatrix<S>> coded,
                   QueryOrder& order) const {
    impl_->encode_into(queries, coded, order);
  }
  /// Decoder::decode(ids, outputs, order) of the chosen scheme, with the batch's order. The
  /// result carries, per query, its provenance (exact, estimated, unavailable) and reliability
  /// score (DecodeResult::provenance, ::reliability), which the runtime's outcomes report and
  /// RuntimeParams::fallback_below_reliability acts on.
  DecodeResult<S> decode(const std::vector<Index>& ids, const Eigen::Ref<const RowMatrix<S>>& outputs,
                         const QueryOrder& order) const {
    return impl_->decode(ids, outputs, order);
  }

  /// True when coded row k is query k and worker k's answer decodes to itself (the scheme's
  /// is_systematic: the first K worker points are the query points, for the spline with
  /// lambda_enc = 0; always for replication and uncoded).
  bool systematic() const { return impl_->systematic(); }

  /// The query position (0..K-1, before any ordering) that worker `w` computes exactly, or -1:
  /// query_of_worker for replication and uncoded, w for w < K in a systematic layout.
  Index exact_query_of_worker(Index w) const {
    if (!is_regression()) return query_of_worker(w);
    return w < num_queries() && systematic() ? w : -1;
  }

  /// `count` workers to use when redundancy is lowered (count in [K, N], ascending ids).
  /// Regression schemes take points spread evenly over the worker indices (both ends kept) so
  /// the decoder still sees the whole interval of the default (sorted) points; a systematic
  /// layout (the first K worker points are the query points, as clustered_worker_points makes
  /// them) and replication take workers 0..count-1: every query point keeps its own worker and
  /// the companions go last round first.
  std::vector<Index> worker_subset(Index count) const {
    const Index n = num_workers();
    if (count < num_queries() || count > n)
      throw invalid_argument(::nercc::detail::message("workers in use (", count, ") must lie in [num_queries (", num_queries(),
                                             "), num_workers (", n, ")]"));
    std::vector<Index> ids(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i) {
      if (!is_regression() || count == 1 || detail::query_points_lead_worker_points(params())) ids[std::size_t(i)] = i;
      else ids[std::size_t(i)] = Index((double(i) * double(n - 1)) / double(count - 1) + 0.5);
    }
    return ids;
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual SchemeKind kind() const = 0;
    virtual const CodeParams& params() const = 0;
    virtual Index min_answers() const = 0;
    virtual Index query_of_worker(Index w) const = 0;
    virtual bool systematic() const = 0;
    virtual void encode_into(const Eigen::Ref<const RowMatrix<S>>&, Eigen::Ref<RowMatrix<S>>, QueryOrder&) const = 0;
    virtual DecodeResult<S> decode(const std::vector<Index>&, const Eigen::Ref<const RowMatrix<S>>&,
                                   const QueryOrder&) const = 0;
  };

  template <class Scheme>
  struct Model final : Concept {
    explicit Model(const CodeParams& p) : encoder(p), decoder(p), is_systematic(Scheme::is_systematic(encoder.params())) {}
    SchemeKind kind() const override { return Scheme::kind; }
    const CodeParams& params() const override { return encoder.params(); }
    Index min_answers() const override { return decoder.min_answers(); }
    Index query_of_worker(Index w) const override { return Scheme::query_of_worker(w, encoder.params().num_queries); }
    bool systematic() const override { return is_systematic; }
    void encode_into(const Eigen::Ref<const RowMatrix<S>>& q, Eigen::Ref<RowMatrix<S>> c,
                     QueryOrder& order) const override {
      encoder.encode_into(q, c, order);
    }
    DecodeResult<S> decode(const std::vector<Index>& ids, const Eigen::Ref<const RowMatrix<S>>& y,
                           const QueryOrder& order) const override {
      return decoder.decode(ids, y, order);
    }
    Encoder<Scheme, S> encoder;
    Decoder<Scheme, S> decoder;
    bool is_systematic;  // computed once: the runtime asks for every answer under early release
  };

  static std::shared_ptr<const Concept> make(SchemeKind kind, const CodeParams& p) {
    return visit_scheme(kind, [&](auto tag) -> std::shared_ptr<const Concept> {
      return std::make_shared<Model<decltype(tag)>>(p);
    });
  }

  std::shared_ptr<const Concept> impl_;
};

}  // namespace runtime
NERCC_NAMESPACE_END
