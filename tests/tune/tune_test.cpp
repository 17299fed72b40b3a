#include <nercc/tune.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

using nercc::Index;
using nercc::RowMatrix;

namespace {

constexpr Index dim_in = 6, dim_out = 4;

// A smooth nonlinear "model": f(x) = tanh(x W).
RowMatrix<double> weights() {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 0.6);
  RowMatrix<double> w(dim_in, dim_out);
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = normal(rng);
  return w;
}

RowMatrix<double> smooth_model(const RowMatrix<double>& x) {
  static const RowMatrix<double> w = weights();
  return (x * w).array().tanh().matrix();
}

// Batches whose queries lie on a smooth random curve through the query points: x_k = c(alpha_k),
// c_j(t) = a_j sin(w_j t + phi_j). Then f o u_enc is smooth and interpolation is nearly exact.
struct SmoothBatches {
  std::vector<double> alpha;
  std::uint64_t seed;
  RowMatrix<double> operator()(Index b) const {
    std::mt19937_64 rng(seed * 1000 + std::uint64_t(b));
    std::uniform_real_distribution<double> amp(0.5, 1.5), freq(0.5, 2.0), phase(0.0, 6.28);
    RowMatrix<double> x(Index(alpha.size()), dim_in);
    for (Index j = 0; j < dim_in; ++j) {
      const double a = amp(rng), w = freq(rng), phi = phase(rng);
      for (Index k = 0; k < x.rows(); ++k) x(k, j) = a * std::sin(w * alpha[std::size_t(k)] + phi);
    }
    return x;
  }
};

// Workers add N(0, sigma^2) noise to every output; the reference call (batches * K rows) is
// clean, as the uncoded model is.
struct NoisyWorkers {
  double sigma;
  Index coded_rows;
  std::mt19937_64 rng{11};
  RowMatrix<double> operator()(const RowMatrix<double>& x) {
    RowMatrix<double> y = smooth_model(x);
    if (x.rows() == coded_rows) {
      std::normal_distribution<double> noise(0.0, sigma);
      for (Index i = 0; i < y.size(); ++i) y.data()[i] += noise(rng);
    }
    return y;
  }
};

nercc::TuneParams base_params(Index k, Index n, Index s) {
  nercc::TuneParams p;
  p.code.num_queries = k;
  p.code.num_workers = n;
  p.stragglers = {s};
  return p;
}

const nercc::TuneEntry& entry(const nercc::TuneResult& r, double le, double ld) {
  for (const auto& e : r.table)
    if (e.lambda_enc == le && e.lambda_dec == ld) return e;
  throw std::logic_error("pair not in the table");
}

// Mean squared error of a code on fresh smooth batches with noisy workers, straight through
// Encoder/Decoder: an evaluation independent of the tuner's own.
double fresh_mse(const nercc::CodeParams& code, Index s, double sigma, Index trials) {
  const nercc::Encoder<nercc::SplineScheme, double> enc(code);
  const nercc::Decoder<nercc::SplineScheme, double> dec(code);
  const SmoothBatches batches{code.resolved_query_points(), 999};
  std::mt19937_64 rng(123);
  std::normal_distribution<double> noise(0.0, sigma);
  double total = 0.0;
  for (Index t = 0; t < trials; ++t) {
    const RowMatrix<double> x = batches(t);
    RowMatrix<double> y = smooth_model(enc.encode(x));
    for (Index i = 0; i < y.size(); ++i) y.data()[i] += noise(rng);
    std::vector<Index> ids(std::size_t(code.num_workers));
    for (Index i = 0; i < code.num_workers; ++i) ids[std::size_t(i)] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(std::size_t(code.num_workers - s));
    RowMatrix<double> answered(Index(ids.size()), dim_out);
    for (std::size_t j = 0; j < ids.size(); ++j) answered.row(Index(j)) = y.row(ids[j]);
    const auto r = dec.decode(ids, answered);
    total += (r.values - smooth_model(x)).squaredNorm() / double(x.rows() * dim_out);
  }
  return total / double(trials);
}

// The same pairs in the same order with the same estimates.
void check_same_tables(const nercc::TuneResult& a, const nercc::TuneResult& b) {
  REQUIRE(a.table.size() == b.table.size());
  for (std::size_t i = 0; i < a.table.size(); ++i) {
    CHECK(a.table[i].lambda_enc == b.table[i].lambda_enc);
    CHECK(a.table[i].lambda_dec == b.table[i].lambda_dec);
    CHECK(a.table[i].mse.mean == b.table[i].mse.mean);
    CHECK(a.table[i].rel_acc.mean == b.table[i].rel_acc.mean);
  }
}

RowMatrix<double> random_rows(Index rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  RowMatrix<double> x(rows, dim_in);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
  return x;
}

}  // namespace

TEST_CASE("noisy worker outputs: the tuner finds a decoder smoothing away from zero", "[tune]") {
  auto p = base_params(8, 40, 4);
  const SmoothBatches batches{p.code.resolved_query_points(), 1};
  NoisyWorkers model{0.1, p.batches * p.code.num_workers};
  const auto r = nercc::tune_lambdas(p, batches, model);

  CHECK(r.lambda_dec >= p.lambda_min);
  for (const auto& e : r.table) CHECK(r.mse.mean <= e.mse.mean);
  const auto& zero = entry(r, 0.0, 0.0);
  CHECK(r.mse.mean < 0.5 * zero.mse.mean);
  CHECK(r.code.lambda_enc == r.lambda_enc);
  CHECK(r.code.lambda_dec == r.lambda_dec);

  // On fresh batches and fresh noise the tuned pair still halves the error of lambda = 0.
  nercc::CodeParams interpolating = p.code;
  const double tuned_mse = fresh_mse(r.code, 4, 0.1, 300);
  const double zero_mse = fresh_mse(interpolating, 4, 0.1, 300);
  CHECK(tuned_mse < 0.5 * zero_mse);
}

TEST_CASE("more worker noise calls for more decoder smoothing", "[tune]") {
  auto p = base_params(8, 40, 0);
  const SmoothBatches batches{p.code.resolved_query_points(), 2};
  NoisyWorkers quiet{0.02, p.batches * p.code.num_workers};
  NoisyWorkers loud{0.3, p.batches * p.code.num_workers};
  const auto low = nercc::tune_lambdas(p, batches, quiet);
  const auto high = nercc::tune_lambdas(p, batches, loud);
  CHECK(high.lambda_dec > low.lambda_dec);
}

TEST_CASE("noiseless smooth data: the tuner prefers small lambdas", "[tune]") {
  auto p = base_params(8, 40, 4);
  const SmoothBatches batches{p.code.resolved_query_points(), 3};
  const auto r = nercc::tune_lambdas(p, batches, smooth_model);
  // Smoothing starts to matter near h^3, h the smallest spacing of the worker points.
  auto beta = p.code.resolved_worker_points();
  std::sort(beta.begin(), beta.end());
  double h = 2.0;
  for (std::size_t i = 1; i < beta.size(); ++i) h = std::min(h, beta[i] - beta[i - 1]);
  CHECK(r.lambda_enc <= h * h * h);
  CHECK(r.lambda_dec <= h * h * h);
  CHECK(r.mse.mean <= entry(r, 0.0, 0.0).mse.mean);
  for (const auto& e : r.table)
    if (e.lambda_enc >= 1.0 || e.lambda_dec >= 1.0) CHECK(e.mse.mean > 10.0 * r.mse.mean);
}

TEST_CASE("on the same samples the tuned spline beats Berrut", "[tune]") {
  auto p = base_params(8, 40, 10);
  const SmoothBatches batches{p.code.resolved_query_points(), 4};
  const auto spline = nercc::tune_lambdas(p, batches, smooth_model);
  p.scheme = nercc::SchemeKind::berrut;
  const auto berrut = nercc::tune_lambdas(p, batches, smooth_model);
  REQUIRE(berrut.table.size() == 1);
  CHECK(berrut.model_calls == 2);
  CHECK(spline.mse.mean < berrut.mse.mean);
  CHECK(spline.mse.trials == berrut.mse.trials);
}

TEST_CASE("an ordering is part of the tuned configuration", "[tune][ordering]") {
  // The smooth batches with their rows shuffled: as given, the curve zigzags between far points.
  auto p = base_params(10, 30, 3);
  const SmoothBatches smooth{p.code.resolved_query_points(), 5};
  const auto shuffled = [&](Index b) {
    RowMatrix<double> x = smooth(b);
    std::mt19937_64 rng(std::uint64_t(b) + 77);
    for (Index i = x.rows() - 1; i > 0; --i) x.row(i).swap(x.row(Index(rng() % std::uint64_t(i + 1))));
    return x;
  };
  const auto as_given = nercc::tune_lambdas(p, shuffled, smooth_model);
  p.code.ordering = nercc::OrderingMethod::greedy_two_opt;
  const auto ordered = nercc::tune_lambdas(p, shuffled, smooth_model);
  CHECK(ordered.code.ordering == nercc::OrderingMethod::greedy_two_opt);
  CHECK(ordered.mse.trials == as_given.mse.trials);
  // Decoded in the caller's order and compared with the model on the caller's rows: a wrong
  // order would not lower the error tenfold.
  CHECK(ordered.mse.mean < 0.1 * as_given.mse.mean);
  CHECK(ordered.rel_acc.mean >= as_given.rel_acc.mean);
}

TEST_CASE("worker spreads: a placement search on the same samples, one reference call", "[tune][points]") {
  // Unstructured queries and one straggler in 16: clustering the worker points at the query
  // points (systematic, near copies) should beat the default spread-out points.
  auto p = base_params(8, 16, 1);
  p.grid_points = 5;
  const RowMatrix<double> calibration = random_rows(200, 3);
  Index calls = 0;
  auto model = [&](const RowMatrix<double>& x) {
    ++calls;
    return smooth_model(x);
  };
  const auto plain = nercc::tune_lambdas(p, calibration, model);
  CHECK(plain.worker_spread == 0.0);
  calls = 0;
  p.worker_spreads = {0.02, 0.3, 0.9};
  const auto r = nercc::tune_lambdas(p, calibration, model);

  REQUIRE(std::count(p.worker_spreads.begin(), p.worker_spreads.end(), r.worker_spread) == 1);
  CHECK(r.code.worker_points ==
        nercc::clustered_worker_points(p.code.resolved_query_points(), p.code.num_workers, r.worker_spread));
  CHECK(r.code.lambda_enc == r.lambda_enc);
  CHECK(r.code.lambda_dec == r.lambda_dec);
  // Every spread searched; the winner is the best entry of the whole table.
  std::set<double> spreads;
  std::set<std::pair<double, double>> enc_values;  // (spread, lambda_enc): one model call each
  for (const auto& e : r.table) {
    spreads.insert(e.worker_spread);
    enc_values.emplace(e.worker_spread, e.lambda_enc);
    CHECK(e.mse.mean >= r.mse.mean);
  }
  CHECK(spreads == std::set<double>(p.worker_spreads.begin(), p.worker_spreads.end()));
  CHECK(calls == r.model_calls);
  CHECK(r.model_calls == 1 + Index(enc_values.size()));
  // Independent check on fresh batches through Encoder/Decoder: the tuned placement wins.
  auto fresh = [&](const nercc::CodeParams& code) {
    const nercc::Encoder<nercc::SplineScheme, double> enc(code);
    const nercc::Decoder<nercc::SplineScheme, double> dec(code);
    std::mt19937_64 rng(5);
    double total = 0.0;
    const Index trials = 400;
    for (Index t = 0; t < trials; ++t) {
      const RowMatrix<double> x = random_rows(code.num_queries, 1000 + std::uint64_t(t));
      const RowMatrix<double> y = smooth_model(enc.encode(x));
      std::vector<Index> ids(std::size_t(code.num_workers));
      for (Index i = 0; i < code.num_workers; ++i) ids[std::size_t(i)] = i;
      std::shuffle(ids.begin(), ids.end(), rng);
      ids.resize(std::size_t(code.num_workers - 1));
      RowMatrix<double> answered(Index(ids.size()), dim_out);
      for (std::size_t j = 0; j < ids.size(); ++j) answered.row(Index(j)) = y.row(ids[j]);
      total += (dec.decode(ids, answered).values - smooth_model(x)).squaredNorm() / double(x.rows() * dim_out);
    }
    return total / double(trials);
  };
  CHECK(fresh(r.code) < 0.1 * fresh(plain.code));
}

TEST_CASE("systematic: only lambda_enc = 0 is tried, so worker k computes query k exactly", "[tune][points]") {
  auto p = base_params(8, 12, 2);
  p.grid_points = 4;
  p.worker_spreads = {0.1, 0.5};
  p.systematic = true;
  const RowMatrix<double> calibration = random_rows(120, 7);
  Index calls = 0;
  auto model = [&](const RowMatrix<double>& x) {
    ++calls;
    return smooth_model(x);
  };
  const auto r = nercc::tune_lambdas(p, calibration, model);
  CHECK(r.lambda_enc == 0.0);
  for (const auto& e : r.table) CHECK(e.lambda_enc == 0.0);
  CHECK(calls == 1 + 2);  // the reference call, then lambda_enc = 0 once per spread
  CHECK(nercc::SplineScheme::is_systematic(r.code));
  // The systematic rows are the queries themselves.
  const nercc::Encoder<nercc::SplineScheme, double> enc(r.code);
  const RowMatrix<double> x = random_rows(8, 99);
  CHECK((enc.encode(x).topRows(8) - x).cwiseAbs().maxCoeff() < 1e-12);
  // Lambda_dec is still tuned: the table holds several values of it.
  std::set<double> dec;
  for (const auto& e : r.table) dec.insert(e.lambda_dec);
  CHECK(dec.size() > 1);
}

TEST_CASE("the search: coarse grid with zero, refinement, one model call per lambda_enc", "[tune]") {
  auto p = base_params(10, 20, 3);
  p.grid_points = 6;
  p.refine_rounds = 2;
  p.refine_points = 1;
  p.max_model_calls = 11;
  // Noisy workers put the best lambda_dec inside the grid, so refinement has work to do.
  NoisyWorkers noisy{0.1, p.batches * p.code.num_workers};
  Index calls = 0;
  auto model = [&](const RowMatrix<double>& x) {
    ++calls;
    return noisy(x);
  };
  const auto r = nercc::tune_lambdas(p, SmoothBatches{p.code.resolved_query_points(), 5}, model);

  Index coarse = 0;
  std::set<double> enc_values;
  bool has_zero = false;
  for (const auto& e : r.table) {
    coarse += e.round == 0 ? 1 : 0;
    enc_values.insert(e.lambda_enc);
    has_zero = has_zero || (e.lambda_enc == 0.0 && e.lambda_dec == 0.0);
    CHECK(e.mse.trials == p.batches * p.answered_sets);
    CHECK(e.mse.min <= e.mse.mean);
    CHECK(e.mse.mean <= e.mse.max);
    CHECK(e.rel_acc.mean >= 0.0);
    CHECK(e.rel_acc.mean <= 1.0);
  }
  CHECK(has_zero);
  CHECK(coarse == 7 * 7);
  CHECK(Index(r.table.size()) > coarse);
  CHECK(calls == r.model_calls);
  CHECK(r.model_calls == 1 + Index(enc_values.size()));
  CHECK(r.model_calls <= p.max_model_calls);
  CHECK(r.trials == p.batches * p.answered_sets);
}

TEST_CASE("deterministic for a seed, and another seed draws other samples", "[tune]") {
  auto p = base_params(10, 20, 4);
  p.grid_points = 4;
  const RowMatrix<double> data = random_rows(200, 6);
  const auto a = nercc::tune_lambdas(p, data, smooth_model);
  const auto b = nercc::tune_lambdas(p, data, smooth_model);
  check_same_tables(a, b);
  p.seed = 2;
  const auto c = nercc::tune_lambdas(p, data, smooth_model);
  CHECK(c.table[0].mse.mean != a.table[0].mse.mean);
}

TEST_CASE("a straggler distribution samples S by weight", "[tune]") {
  auto p = base_params(10, 20, 0);
  p.grid_points = 3;
  const RowMatrix<double> data = random_rows(100, 8);
  const auto fixed = nercc::tune_lambdas(p, data, smooth_model);
  p.stragglers = {0, 10};
  p.straggler_weights = {1.0, 0.0};
  const auto weighted = nercc::tune_lambdas(p, data, smooth_model);
  REQUIRE(fixed.table.size() == weighted.table.size());
  for (std::size_t i = 0; i < fixed.table.size(); ++i) CHECK(fixed.table[i].mse.mean == weighted.table[i].mse.mean);
  p.straggler_weights = {1.0, 1.0};
  const auto mixed = nercc::tune_lambdas(p, data, smooth_model);
  // Ten stragglers out of twenty make the decode harder on average.
  CHECK(entry(mixed, 0.0, 0.0).mse.mean > entry(fixed, 0.0, 0.0).mse.mean);
}

TEST_CASE("float data and a float model", "[tune]") {
  auto p = base_params(8, 24, 2);
  p.grid_points = 4;
  const RowMatrix<float> data = random_rows(64, 9).cast<float>();
  auto model = [](const RowMatrix<float>& x) -> RowMatrix<float> {
    return smooth_model(x.cast<double>()).cast<float>();
  };
  const auto r = nercc::tune_lambdas(p, data, model);
  CHECK(std::isfinite(r.mse.mean));
  CHECK(r.rel_acc.mean > 0.5);
}

namespace {
std::string error_of(const nercc::TuneParams& p, const RowMatrix<double>& data = random_rows(50, 1)) {
  try {
    nercc::tune_lambdas(p, data, smooth_model);
  } catch (const nercc::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("bad parameters are rejected, naming the field", "[tune][errors]") {
  using Catch::Matchers::Contains;
  auto p = base_params(10, 20, 11);
  CHECK_THAT(error_of(p), Contains("stragglers[0] (11)"));
  p = base_params(10, 20, 0);
  p.stragglers.clear();
  CHECK_THAT(error_of(p), Contains("stragglers is empty"));
  p = base_params(10, 20, 0);
  p.straggler_weights = {1.0, 2.0};
  CHECK_THAT(error_of(p), Contains("straggler_weights has 2"));
  p.straggler_weights = {-1.0};
  CHECK_THAT(error_of(p), Contains("straggler_weights[0]"));
  p = base_params(10, 20, 0);
  p.scheme = nercc::SchemeKind::replication;
  CHECK_THAT(error_of(p), Contains("scheme (replication)"));
  p = base_params(10, 20, 0);
  p.batches = 0;
  CHECK_THAT(error_of(p), Contains("batches (0)"));
  p = base_params(10, 20, 0);
  p.lambda_min = 0.0;
  CHECK_THAT(error_of(p), Contains("lambda_min (0)"));
  p = base_params(10, 20, 0);
  p.lambda_max = 1e-13;
  CHECK_THAT(error_of(p), Contains("lambda_max"));
  p = base_params(10, 20, 0);
  p.max_model_calls = 5;
  CHECK_THAT(error_of(p), Contains("max_model_calls (5)"));
  p = base_params(10, 8, 0);
  CHECK_THAT(error_of(p), Contains("num_workers (8) must be >= num_queries (10)"));
  p = base_params(10, 20, 0);
  CHECK_THAT(error_of(p, random_rows(9, 1)), Contains("calibration has 9 rows"));
  p = base_params(10, 20, 0);
  p.worker_spreads = {0.1, 1.0};
  CHECK_THAT(error_of(p), Contains("worker_spreads[1] (1) must lie in (0, 1)"));
  p.worker_spreads = {0.1};
  p.code.worker_points = nercc::uniform_points(20);
  CHECK_THAT(error_of(p), Contains("worker_spreads sets the worker points: leave code.worker_points empty"));
  p = base_params(10, 20, 0);
  p.systematic = true;
  CHECK_THAT(error_of(p), Contains("systematic needs worker_spreads"));
}

TEST_CASE("model misbehaviour reaches the caller", "[tune][errors]") {
  const auto p = base_params(10, 20, 0);
  const RowMatrix<double> data = random_rows(50, 2);
  auto short_model = [](const RowMatrix<double>& x) -> RowMatrix<double> { return smooth_model(x).topRows(1); };
  CHECK_THROWS_AS(nercc::tune_lambdas(p, data, short_model), nercc::shape_mismatch);
  auto throwing = [](const RowMatrix<double>&) -> RowMatrix<double> { throw std::runtime_error("model down"); };
  CHECK_THROWS_WITH(nercc::tune_lambdas(p, data, throwing), "model down");
  auto bad_batches = [](Index) { return RowMatrix<double>::Zero(3, dim_in).eval(); };
  CHECK_THROWS_AS(nercc::tune_lambdas(p, bad_batches, smooth_model), nercc::shape_mismatch);
  static_assert(!nercc::detail::is_batch_model<int, double>::value, "an int is no model");
  static_assert(nercc::detail::is_batch_model<decltype(smooth_model), double>::value, "a matrix function is");
}

TEST_CASE("NaN in the calibration data is reported as the data's, not the model's", "[tune][errors]") {
  auto p = base_params(8, 40, 2);
  RowMatrix<double> calibration = random_rows(40, 3);
  calibration(17, 2) = std::nan("");
  const auto model = [](const RowMatrix<double>& x) { return smooth_model(x); };
  CHECK_THROWS_AS(nercc::tune_lambdas(p, calibration, model), nercc::non_finite_input);
  CHECK_THROWS_WITH(nercc::tune_lambdas(p, calibration, model), Catch::Matchers::Contains("calibration row 17"));
  const auto batches = [&](Index b) { return RowMatrix<double>(calibration.middleRows(b * 8 % 32, 8)); };
  CHECK_THROWS_WITH(nercc::tune_lambdas(p, batches, model), Catch::Matchers::Contains("calibration batch 2 row 1"));
}

TEST_CASE("warm start off: the same search as before, bit for bit", "[tune][warm]") {
  auto p = base_params(8, 40, 4);
  const SmoothBatches batches{p.code.resolved_query_points(), 1};
  NoisyWorkers a{0.1, p.batches * p.code.num_workers}, b{0.1, p.batches * p.code.num_workers};
  const auto plain = nercc::tune_lambdas(p, batches, a);
  p.warm_lambda_enc = 1e-3;  // ignored while warm_start is false
  p.warm_lambda_dec = 1e-3;
  p.warm_start_radius = 4;
  const auto off = nercc::tune_lambdas(p, batches, b);
  check_same_tables(off, plain);
  CHECK(off.model_calls == plain.model_calls);
}

TEST_CASE("warm start at a good prediction: the same or a better objective in fewer evaluations", "[tune][warm]") {
  auto p = base_params(8, 40, 4);
  const SmoothBatches batches{p.code.resolved_query_points(), 1};
  NoisyWorkers cold_model{0.1, p.batches * p.code.num_workers};
  const auto cold = nercc::tune_lambdas(p, batches, cold_model);
  // The prediction: the coarse-grid pair the cold search refined from, off by a factor of 2
  // (a selector's prediction is near, not exact).
  const nercc::TuneEntry* coarse_best = nullptr;
  for (const auto& e : cold.table)
    if (e.round == 0 && (coarse_best == nullptr || e.mse.mean < coarse_best->mse.mean)) coarse_best = &e;
  REQUIRE(coarse_best != nullptr);
  REQUIRE(coarse_best->lambda_dec > 0.0);  // noisy workers: decoder smoothing matters (test above)
  nercc::TuneParams warm_params = p;
  warm_params.warm_start = true;
  warm_params.warm_lambda_enc = 2.0 * coarse_best->lambda_enc;
  warm_params.warm_lambda_dec = 2.0 * coarse_best->lambda_dec;
  warm_params.warm_start_radius = 1;
  NoisyWorkers warm_model{0.1, p.batches * p.code.num_workers};
  const auto warm = nercc::tune_lambdas(warm_params, batches, warm_model);
  CHECK(warm.mse.mean <= cold.mse.mean);
  CHECK(warm.model_calls < cold.model_calls);
  CHECK(warm.table.size() < cold.table.size());
  // The coarse grid is cut to 0 and three values per axis around the prediction.
  Index coarse = 0;
  for (const auto& e : warm.table) coarse += e.round == 0 ? 1 : 0;
  CHECK(coarse <= 16);
  CHECK(warm.model_calls <= warm_params.max_model_calls);
}

TEST_CASE("warm start: the coarse window around a predicted lambda", "[tune][warm]") {
  auto p = base_params(4, 8, 0);
  p.lambda_min = 1e-6;
  p.lambda_max = 1e-2;
  p.grid_points = 5;  // 1e-6, 1e-5, 1e-4, 1e-3, 1e-2
  p.refine_rounds = 0;
  p.warm_start = true;
  p.warm_lambda_enc = 0.0;     // nearest: the smallest value
  p.warm_lambda_dec = 1.5e-4;  // nearest: 1e-4
  p.warm_start_radius = 1;
  const auto r = nercc::tune_lambdas(p, random_rows(64, 5), smooth_model);
  std::set<double> enc, dec;
  for (const auto& e : r.table) enc.insert(e.lambda_enc), dec.insert(e.lambda_dec);
  REQUIRE(enc.size() == 3);
  CHECK(*enc.begin() == 0.0);
  CHECK(*enc.rbegin() == Approx(1e-5));
  REQUIRE(dec.size() == 4);
  CHECK(*std::next(dec.begin()) == Approx(1e-5));
  CHECK(*dec.rbegin() == Approx(1e-3));
  CHECK(r.model_calls == 1 + 3);
}

TEST_CASE("warm start: bad fields are named", "[tune][warm][errors]") {
  auto p = base_params(4, 8, 0);
  p.warm_start = true;
  p.warm_lambda_enc = -1.0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("warm_lambda_enc"));
  p.warm_lambda_enc = 0.0;
  p.warm_lambda_dec = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("warm_lambda_dec"));
  p.warm_lambda_dec = 0.0;
  p.warm_start_radius = -1;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("warm_start_radius"));
  // A warm start needs fewer calls: a budget below the full coarse grid's is accepted.
  p.warm_start_radius = 1;
  p.max_model_calls = 5;  // reference, 0 and three grid values
  CHECK_NOTHROW(p.validate());
  p.warm_start = false;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("max_model_calls"));
}
