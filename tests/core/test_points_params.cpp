#include <nercc/params.hpp>
#include <nercc/points.hpp>

#include <catch2/catch.hpp>

#include <cmath>

TEST_CASE("Chebyshev and uniform point sets", "[points]") {
  const double pi = std::acos(-1.0);
  const auto a = nercc::chebyshev_first_kind(10);
  REQUIRE(a.size() == 10);
  for (int k = 1; k <= 10; ++k) CHECK(a[std::size_t(k - 1)] == Approx(std::cos((2 * k - 1) * pi / 20)).margin(1e-15));
  const auto b = nercc::chebyshev_second_kind(7);
  REQUIRE(b.size() == 7);
  CHECK(b.front() == 1.0);
  CHECK(b.back() == -1.0);
  CHECK(b[3] == 0.0);
  for (int i = 0; i < 7; ++i) {
    CHECK(b[std::size_t(i)] == Approx(std::cos(i * pi / 6)).margin(1e-15));
    CHECK(b[std::size_t(i)] == -b[std::size_t(6 - i)]);
  }
  CHECK(nercc::chebyshev_second_kind(1) == std::vector<double>{0.0});
  const auto u = nercc::uniform_points(5);
  CHECK(u == std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0});
  CHECK_THROWS_WITH(nercc::uniform_points(0), Catch::Matchers::Contains("uniform_points: n (0) must be >= 1"));
}

TEST_CASE("CodeParams::validate names the bad field and value", "[params][errors]") {
  using Catch::Matchers::Contains;
  nercc::CodeParams p;
  CHECK_NOTHROW(p.validate());
  auto expect = [](nercc::CodeParams q, const std::string& text) {
    CHECK_THROWS_AS(q.validate(), nercc::invalid_argument);
    CHECK_THROWS_WITH(q.validate(), Contains(text) && Contains("nercc::invalid_argument"));
  };
  nercc::CodeParams q = p;
  q.num_queries = 0;
  expect(q, "num_queries (0) must be >= 1");
  q = p;
  q.num_workers = -2;
  expect(q, "num_workers (-2) must be >= 1");
  q = p;
  q.lambda_enc = -0.5;
  expect(q, "lambda_enc (-0.5) must be >= 0");
  q = p;
  q.lambda_dec = NAN;
  expect(q, "lambda_dec (nan)");
  q = p;
  q.query_points = {0.1, 0.2};
  expect(q, "query_points has 2 points, expected 10");
  q = p;
  q.worker_points = nercc::uniform_points(20);
  q.worker_points[7] = q.worker_points[3];
  expect(q, "worker_points repeats the point");
  q = p;
  q.worker_points = nercc::uniform_points(20);
  q.worker_points[2] = INFINITY;
  expect(q, "worker_points[2] (inf) is not finite");
  q = p;
  q.min_answers = 21;
  expect(q, "min_answers (21) must be <= num_workers (20)");
  q = p;
  q.lambda_enc = INFINITY;
  CHECK_NOTHROW(q.validate());
}

TEST_CASE("nercc errors carry a stable id and a hierarchy", "[errors]") {
  nercc::shape_mismatch s("x");
  CHECK(s.id() == nercc::error_id::shape_mismatch);
  CHECK(std::string(s.what()) == "nercc::shape_mismatch: x");
  const nercc::invalid_argument& base = s;
  CHECK(base.id() == nercc::error_id::shape_mismatch);
  nercc::non_finite_input n("y");
  CHECK(dynamic_cast<const nercc::error*>(&n) != nullptr);
}
