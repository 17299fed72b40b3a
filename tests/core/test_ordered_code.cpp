// CodeParams::ordering: the encoder reorders each batch, the decoder puts the rows back.
#include <nercc/nercc.hpp>

#include "../support/coding.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace {

using nercc::Index;
using nercc::OrderingMethod;
using nercc::QueryOrder;
template <class S>
using Mat = nercc::RowMatrix<S>;
using Catch::Matchers::Contains;

// K queries on a smooth closed curve in d dimensions, visited in a random order: ordered along
// the curve they are close neighbours, as given they zigzag.
template <class S>
Mat<S> shuffled_curve(Index k, Index d, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<double> t(static_cast<std::size_t>(k));
  for (Index i = 0; i < k; ++i) t[std::size_t(i)] = 0.9 * 3.14159 * double(i) / double(k);
  std::shuffle(t.begin(), t.end(), g);
  Mat<S> x(k, d);
  for (Index i = 0; i < k; ++i)
    for (Index j = 0; j < d; ++j) x(i, j) = S(std::sin(double(j + 1) * 0.25 * t[std::size_t(i)] + 0.3 * double(j)));
  return x;
}

// A smooth nonlinear model standing in for the user's: tanh of a fixed linear map.
template <class S>
Mat<S> tanh_model(const Mat<S>& x) {
  const Mat<S> w = nercc_test::random_matrix<S>(x.cols(), 5, 99);
  return (x * w).array().tanh().matrix();
}

nercc::CodeParams params(Index k, Index n, OrderingMethod ordering, double lambda = 0.0) {
  nercc::CodeParams p;
  p.num_queries = k;
  p.num_workers = n;
  p.lambda_enc = lambda;
  p.lambda_dec = lambda;
  p.ordering = ordering;
  return p;
}

template <class Scheme, class S>
void check_equals_plain_code_on_reordered_batch(OrderingMethod method, Index k, Index n, double lambda) {
  const Mat<S> x = shuffled_curve<S>(k, 12, std::uint32_t(k * 31 + n));
  const nercc::Encoder<Scheme, S> encoder(params(k, n, method, lambda));
  const nercc::Decoder<Scheme, S> decoder(params(k, n, method, lambda));
  const nercc::Encoder<Scheme, S> plain_encoder(params(k, n, OrderingMethod::as_given, lambda));
  const nercc::Decoder<Scheme, S> plain_decoder(params(k, n, OrderingMethod::as_given, lambda));

  QueryOrder order;
  const Mat<S> coded = encoder.encode(x, order);
  REQUIRE(Index(order.size()) == k);
  // The chains always reorder a shuffled curve; the principal direction may keep the caller's
  // order when its own is not shorter (as with K = 8 here).
  if (method != OrderingMethod::principal_direction) REQUIRE(order != nercc::detail::identity_permutation(k));
  Mat<S> reordered(k, x.cols());
  for (Index i = 0; i < k; ++i) reordered.row(i) = x.row(order[std::size_t(i)]);
  // Exactly the plain code applied to the batch in the chosen order: same sums, same rounding.
  CHECK(coded == plain_encoder.encode(reordered));

  const auto ids = nercc_test::random_subset(n, n - (n - k) / 2, 5);
  const Mat<S> answers = nercc_test::rows_of(tanh_model(coded), ids);
  const auto r = decoder.decode(ids, answers, order);
  const auto plain = plain_decoder.decode(ids, answers);
  REQUIRE(r.status == nercc::DecodeStatus::ok);
  for (Index i = 0; i < k; ++i) CHECK(r.values.row(order[std::size_t(i)]) == plain.values.row(i));

  Mat<S> into(k, answers.cols());
  CHECK(decoder.decode_into(ids, answers, into, order) == nercc::DecodeStatus::ok);
  CHECK(into == r.values);
}

}  // namespace

TEST_CASE("ordering: the code equals the plain code on the reordered batch, rows back in the caller's order",
          "[ordering][codes]") {
  for (auto method : {OrderingMethod::greedy_chain, OrderingMethod::greedy_two_opt, OrderingMethod::principal_direction}) {
    CAPTURE(nercc::to_string(method));
    check_equals_plain_code_on_reordered_batch<nercc::SplineScheme, double>(method, 10, 20, 0.0);
    check_equals_plain_code_on_reordered_batch<nercc::SplineScheme, float>(method, 12, 30, 1e-4);
    check_equals_plain_code_on_reordered_batch<nercc::BerrutScheme, double>(method, 8, 16, 0.0);
    check_equals_plain_code_on_reordered_batch<nercc::BerrutScheme, float>(method, 16, 24, 0.0);
  }
}

TEST_CASE("ordering: decoding a shuffled smooth batch in order is far more accurate", "[ordering][codes]") {
  const Index k = 12, n = 36;
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const Mat<double> x = shuffled_curve<double>(k, 8, seed);
    const Mat<double> truth = tanh_model(x);
    double err[2];
    for (int ordered = 0; ordered < 2; ++ordered) {
      const auto p = params(k, n, ordered ? OrderingMethod::greedy_two_opt : OrderingMethod::as_given);
      const nercc::Encoder<nercc::SplineScheme, double> encoder(p);
      const nercc::Decoder<nercc::SplineScheme, double> decoder(p);
      QueryOrder order;
      const Mat<double> outputs = tanh_model(encoder.encode(x, order));
      const auto ids = nercc_test::random_subset(n, n - 4, seed);
      // Rows in the wrong order would make the error of order 1, not small.
      err[ordered] = (decoder.decode(ids, nercc_test::rows_of(outputs, ids), order).values - truth).norm() / truth.norm();
    }
    CAPTURE(seed, err[0], err[1]);
    CHECK(err[1] < 0.25 * err[0]);
    CHECK(err[1] < 0.05);
  }
}

TEST_CASE("ordering as_given: the order overloads return the identity and the plain results", "[ordering][codes]") {
  const Index k = 6, n = 14;
  const auto p = params(k, n, OrderingMethod::as_given);
  const nercc::Encoder<nercc::SplineScheme, double> encoder(p);
  const nercc::Decoder<nercc::SplineScheme, double> decoder(p);
  const Mat<double> x = shuffled_curve<double>(k, 5, 4);
  QueryOrder order{3, 1};  // overwritten
  const Mat<double> coded = encoder.encode(x, order);
  CHECK(order == nercc::detail::identity_permutation(k));
  CHECK(coded == encoder.encode(x));
  const auto ids = nercc_test::random_subset(n, n - 3, 8);
  const Mat<double> answers = nercc_test::rows_of(tanh_model(coded), ids);
  CHECK(decoder.decode(ids, answers, order).values == decoder.decode(ids, answers).values);

  // Replication and uncoded accept the identity order, so one call protocol serves every scheme.
  const nercc::Encoder<nercc::ReplicationScheme, double> rep_encoder(p);
  const nercc::Decoder<nercc::ReplicationScheme, double> rep_decoder(p);
  QueryOrder rep_order;
  const Mat<double> rep_coded = rep_encoder.encode(x, rep_order);
  CHECK(rep_order == nercc::detail::identity_permutation(k));
  const Mat<double> rep_answers = nercc_test::rows_of(rep_coded, ids);
  CHECK(rep_decoder.decode(ids, rep_answers, rep_order).values == rep_decoder.decode(ids, rep_answers).values);
}

TEST_CASE("ordering: misuse is an error, never rows in the wrong order", "[ordering][codes][errors]") {
  const Index k = 8, n = 16;
  const auto p = params(k, n, OrderingMethod::greedy_chain);
  const nercc::Encoder<nercc::SplineScheme, float> encoder(p);
  const nercc::Decoder<nercc::BerrutScheme, float> decoder(p);
  const Mat<float> x = shuffled_curve<float>(k, 4, 2);
  Mat<float> coded(n, 4);
  CHECK_THROWS_AS(encoder.encode(x), nercc::invalid_state);
  CHECK_THROWS_WITH(encoder.encode_into(x, coded), Contains("ordering is greedy_chain") && Contains("encode(queries, order)"));

  QueryOrder order;
  encoder.encode_into(x, coded, order);
  const auto ids = nercc_test::random_subset(n, n, 1);
  const Mat<float> answers = nercc_test::rows_of(coded, ids);
  CHECK_THROWS_AS(decoder.decode(ids, answers), nercc::invalid_state);
  Mat<float> out(k, 4);
  CHECK_THROWS_WITH(decoder.decode_into(ids, answers, out), Contains("decode_into: ordering is greedy_chain"));

  QueryOrder short_order(order.begin(), order.end() - 1);
  CHECK_THROWS_WITH(decoder.decode(ids, answers, short_order), Contains("order has 7 entries, expected 8"));
  QueryOrder repeated = order;
  repeated[1] = repeated[0];
  CHECK_THROWS_WITH(decoder.decode(ids, answers, repeated), Contains("order repeats"));
  QueryOrder outside = order;
  outside[2] = k;
  CHECK_THROWS_WITH(decoder.decode_into(ids, answers, out, outside), Contains("order[2] (8) is outside [0, 8)"));

  // A failed encode leaves the caller's order untouched.
  QueryOrder kept{7, 6, 5, 4, 3, 2, 1, 0};
  Mat<float> bad = x;
  bad(3, 1) = std::nanf("");
  CHECK_THROWS_AS(encoder.encode_into(bad, coded, kept), nercc::non_finite_input);
  CHECK(kept == QueryOrder{7, 6, 5, 4, 3, 2, 1, 0});
}

TEST_CASE("ordering: bad configurations are rejected, naming the field", "[ordering][params][errors]") {
  auto p = params(4, 8, OrderingMethod(9));
  CHECK_THROWS_WITH(p.validate(), Contains("ordering (9) is not a nercc::OrderingMethod"));
  p = params(4, 8, OrderingMethod::greedy_two_opt);
  p.ordering_options.max_two_opt_passes = 0;
  CHECK_THROWS_WITH((nercc::Encoder<nercc::SplineScheme, double>(p)), Contains("max_two_opt_passes (0)"));
  p = params(4, 8, OrderingMethod::greedy_chain);
  CHECK_THROWS_WITH((nercc::Encoder<nercc::ReplicationScheme, float>(p)),
                    Contains("ordering (1) must be as_given for ReplicationScheme"));
  p = params(4, 4, OrderingMethod::principal_direction);
  CHECK_THROWS_WITH((nercc::Decoder<nercc::UncodedScheme, float>(p)), Contains("as_given for UncodedScheme"));
}
