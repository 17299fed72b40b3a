// Front-end encode and decode time per group of the corpus's configurations, measured with
// nercc's Encoder and Decoder on the task's queries: machine- and load-dependent. Part of the
// corpus-builder example.
#pragma once

#include "task.hpp"

#include <nercc/decoder.hpp>
#include <nercc/encoder.hpp>
#include <nercc/params.hpp>
#include <nercc/schemes.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace select_corpus {

struct CodecSeconds {
  double encode = 0.0, decode = 0.0;
};

/// Median over `reps` groups (consecutive K-row blocks of `queries`, cycled) of the time to
/// encode a group (with the code's ordering) and to decode it from N - 1 answers (worker
/// rep mod N missing, so the decoder meets each answered set as serving would; outputs of width
/// `outputs`, values irrelevant to the time). Throws what Encoder and Decoder throw.
inline CodecSeconds time_codec(nercc::SchemeKind scheme, const nercc::CodeParams& code, const Matrix& queries,
                               nercc::Index outputs, int reps = 9) {
  using clock = std::chrono::steady_clock;
  return nercc::visit_scheme(scheme, [&](auto tag) {
    using Scheme = decltype(tag);
    const nercc::Encoder<Scheme, double> encoder(code);
    const nercc::Decoder<Scheme, double> decoder(code);
    const nercc::Index k = code.num_queries, n = code.num_workers, blocks = queries.rows() / k;
    const Matrix answers = Matrix::Ones(n - 1, outputs);
    std::vector<double> enc, dec;
    nercc::QueryOrder order;
    for (int r = 0; r < reps; ++r) {
      const Matrix group = queries.middleRows((r % blocks) * k, k);
      std::vector<nercc::Index> ids;
      for (nercc::Index w = 0; w < n; ++w)
        if (w != r % n) ids.push_back(w);
      const auto t0 = clock::now();
      const Matrix coded = encoder.encode(group, order);
      const auto t1 = clock::now();
      const auto decoded = decoder.decode(ids, answers, order);
      const auto t2 = clock::now();
      if (coded.rows() != n || decoded.values.rows() != k) throw std::logic_error("time_codec: unexpected shapes");
      enc.push_back(std::chrono::duration<double>(t1 - t0).count());
      dec.push_back(std::chrono::duration<double>(t2 - t1).count());
    }
    auto median = [](std::vector<double> v) {
      std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
      return v[v.size() / 2];
    };
    return CodecSeconds{median(enc), median(dec)};
  });
}

}  // namespace select_corpus
