// Encoders and decoders shared by many threads; also run under ThreadSanitizer.
#include <nercc/nercc.hpp>

#include <catch2/catch.hpp>

#include "coding.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

using nercc::Index;
using nercc::RowMatrix;

using nercc_test::random_subset;

namespace {
RowMatrix<float> random_matrix(Index r, Index c, std::uint32_t seed) { return nercc_test::random_matrix<float>(r, c, seed); }
RowMatrix<float> rows_of(const RowMatrix<float>& m, const std::vector<Index>& ids) { return nercc_test::rows_of<float>(m, ids); }
}  // namespace

TEST_CASE("decode is safe from many threads at once, with a small cache under eviction", "[codes][threads]") {
  nercc::CodeParams p;
  p.num_queries = 10;
  p.num_workers = 30;
  p.decoder_cache_capacity = 16;
  const nercc::Decoder<nercc::SplineScheme, float> dec(p);
  const RowMatrix<float> y = random_matrix(30, 16, 5);
  std::vector<std::vector<Index>> sets;
  std::vector<RowMatrix<float>> expected;
  for (std::uint32_t s = 0; s < 40; ++s) {
    sets.push_back(random_subset(30, 20 + Index(s % 10), s));
    const nercc::Decoder<nercc::SplineScheme, float> fresh(p);
    expected.push_back(fresh.decode(sets.back(), rows_of(y, sets.back())).values);
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 25; ++rep)
        for (std::size_t s = 0; s < sets.size(); ++s) {
          const std::size_t i = (s * 7 + std::size_t(t) * 13 + std::size_t(rep)) % sets.size();
          if (!(dec.decode(sets[i], rows_of(y, sets[i])).values.array() == expected[i].array()).all())
            ++mismatches[std::size_t(t)];
        }
    });
  for (auto& th : threads) th.join();
  CHECK(std::accumulate(mismatches.begin(), mismatches.end(), 0) == 0);
}

TEST_CASE("encode and decode split over column threads equal one thread, bitwise, from many callers", "[codes][threads]") {
  nercc::CodeParams p;
  p.num_queries = 16;
  p.num_workers = 24;
  const RowMatrix<float> x = random_matrix(16, 20000, 8);
  const std::vector<Index> ids = random_subset(24, 20, 3);
  const nercc::Encoder<nercc::SplineScheme, float> single_enc(p);
  const nercc::Decoder<nercc::SplineScheme, float> single_dec(p);
  const RowMatrix<float> coded = single_enc.encode(x);
  const RowMatrix<float> decoded = single_dec.decode(ids, rows_of(coded, ids)).values;
  p.num_threads = 3;
  const nercc::Encoder<nercc::SplineScheme, float> enc(p);
  const nercc::Decoder<nercc::SplineScheme, float> dec(p);
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep) {
        const RowMatrix<float> c = enc.encode(x);
        if (!(c.array() == coded.array()).all()) ++mismatches[std::size_t(t)];
        if (!(dec.decode(ids, rows_of(c, ids)).values.array() == decoded.array()).all()) ++mismatches[std::size_t(t)];
      }
    });
  for (auto& th : callers) th.join();
  CHECK(std::accumulate(mismatches.begin(), mismatches.end(), 0) == 0);
}

TEST_CASE("with a query ordering, each caller's batch keeps its own order", "[codes][threads][ordering]") {
  nercc::CodeParams p;
  p.num_queries = 8;
  p.num_workers = 20;
  p.ordering = nercc::OrderingMethod::greedy_two_opt;
  const nercc::Encoder<nercc::SplineScheme, float> enc(p);
  const nercc::Decoder<nercc::SplineScheme, float> dec(p);
  const std::vector<Index> ids = random_subset(20, 17, 4);
  // Different batches have different orders; the shared objects must not mix them up.
  std::vector<RowMatrix<float>> batches, expected;
  for (std::uint32_t b = 0; b < 12; ++b) {
    batches.push_back(random_matrix(8, 64, 100 + b));
    nercc::QueryOrder order;
    const RowMatrix<float> coded = enc.encode(batches.back(), order);
    expected.push_back(dec.decode(ids, rows_of(coded, ids), order).values);
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        for (std::size_t b = 0; b < batches.size(); ++b) {
          const std::size_t i = (b * 5 + std::size_t(t) * 3 + std::size_t(rep)) % batches.size();
          nercc::QueryOrder order;
          const RowMatrix<float> coded = enc.encode(batches[i], order);
          if (!(dec.decode(ids, rows_of(coded, ids), order).values.array() == expected[i].array()).all())
            ++mismatches[std::size_t(t)];
        }
    });
  for (auto& th : threads) th.join();
  CHECK(std::accumulate(mismatches.begin(), mismatches.end(), 0) == 0);
}
