#include <nercc/xtensor.hpp>

#include <catch2/catch.hpp>

#include <random>

using nercc::Index;
using nercc::RowMatrix;

TEST_CASE("xtensor batches of images encode like the flattened matrix", "[xtensor]") {
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 7;
  const nercc::Encoder<nercc::SplineScheme, float> enc(p);
  xt::xtensor<float, 4> images({4, 1, 28, 28});
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(0, 1);
  for (auto& v : images) v = u(g);
  const xt::xtensor<float, 4> coded = nercc::encode(enc, images);
  REQUIRE(coded.shape()[0] == 7);
  REQUIRE(coded.shape()[1] == 1);
  REQUIRE(coded.shape()[2] == 28);
  REQUIRE(coded.shape()[3] == 28);
  const Eigen::Map<const RowMatrix<float>> flat(images.data(), 4, 784);
  const RowMatrix<float> expected = enc.encode(flat);
  CHECK((Eigen::Map<const RowMatrix<float>>(coded.data(), 7, 784) - expected).cwiseAbs().maxCoeff() == 0.0f);

  // A column-major tensor holds the same values and must give the same coded queries.
  xt::xtensor<float, 4, xt::layout_type::column_major> cm = images;
  const xt::xtensor<float, 4> coded_cm = nercc::encode(enc, cm);
  CHECK(coded_cm == coded);
}

TEST_CASE("xtensor logits decode like the matrix, with status and diagnostics", "[xtensor]") {
  nercc::CodeParams p;
  p.num_queries = 3;
  p.num_workers = 6;
  const nercc::Decoder<nercc::BerrutScheme, double> dec(p);
  xt::xtensor<double, 2> logits({5, 10});
  for (std::size_t i = 0; i < logits.size(); ++i) logits.data()[i] = double(i % 7) - 3.0;
  logits(2, 4) = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Index> ids{5, 0, 3, 1, 2};
  const auto r = nercc::decode(dec, ids, logits);
  REQUIRE(r.values.shape()[0] == 3);
  REQUIRE(r.values.shape()[1] == 10);
  const auto m = dec.decode(ids, Eigen::Map<const RowMatrix<double>>(logits.data(), 5, 10));
  CHECK(r.status == m.status);
  CHECK(r.rejected_workers == std::vector<Index>{3});
  CHECK((Eigen::Map<const RowMatrix<double>>(r.values.data(), 3, 10).array() == m.values.array()).all());
}

TEST_CASE("xtensor: a wrong leading dimension is a shape error", "[xtensor][errors]") {
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 7;
  const nercc::Encoder<nercc::BerrutScheme, float> enc(p);
  xt::xtensor<float, 3> bad({5, 2, 2});
  CHECK_THROWS_AS(nercc::encode(enc, bad), nercc::shape_mismatch);
}
