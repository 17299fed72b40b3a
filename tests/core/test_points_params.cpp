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

TEST_CASE("clustered_worker_points: the query points first, then companions toward the centre", "[points]") {
  // Hand-computed: queries {0.8, 0.2, -0.4}, centre 0.2; 0.8 steps down (gap 0.6), 0.2 sits at
  // the centre and steps down (gap 0.6), -0.4 steps up (gap 0.6). N = 8: companions 2, 2, 1.
  const std::vector<double> a{0.8, 0.2, -0.4};
  const auto b = nercc::clustered_worker_points(a, 8, 0.5);
  const std::vector<double> want{0.8, 0.2, -0.4,                    // the query points
                                 0.8 - 0.075, 0.2 - 0.075, -0.4 + 0.15,  // round 1: j / c_k = 1/2, 1/2, 1
                                 0.8 - 0.15, 0.2 - 0.15};           // round 2
  REQUIRE(b.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(b[i] == Approx(want[i]).margin(1e-15));
  CHECK(nercc::clustered_worker_points(a, 3, 0.5) == a);  // N = K: the query points alone
  // K = 1 steps toward the farther end.
  CHECK(nercc::clustered_worker_points({0.5}, 2, 0.5)[1] == Approx(0.5 - 0.25 * 1.5));
  CHECK(nercc::clustered_worker_points({-0.2}, 3, 0.8)[2] == Approx(-0.2 + 0.4 * 1.2));
}

TEST_CASE("clustered_worker_points: invariants over shapes and spreads", "[points]") {
  for (nercc::Index k : {1, 2, 3, 7, 10, 20})
    for (nercc::Index n : {k, k + 1, 2 * k, 2 * k + 3, 6 * k})
      for (double spread : {1e-3, 0.05, 0.5, 0.999}) {
        const auto a = nercc::chebyshev_first_kind(k);
        const auto b = nercc::clustered_worker_points(a, n, spread);
        INFO("K " << k << " N " << n << " spread " << spread);
        REQUIRE(nercc::Index(b.size()) == n);
        for (nercc::Index q = 0; q < k; ++q) CHECK(b[std::size_t(q)] == a[std::size_t(q)]);
        nercc::CodeParams p;
        p.num_queries = k;
        p.num_workers = n;
        p.query_points = a;
        p.worker_points = b;
        CHECK_NOTHROW(p.validate());  // distinct and finite
        std::vector<double> sorted_a(a);
        std::sort(sorted_a.begin(), sorted_a.end());
        double max_gap = k == 1 ? 1.0 + std::abs(a[0]) : 0.0;
        for (std::size_t i = 1; i < sorted_a.size(); ++i) max_gap = std::max(max_gap, sorted_a[i] - sorted_a[i - 1]);
        for (double v : b) {
          CHECK(std::abs(v) <= 1.0);
          // Each companion lies within spread / 2 of the widest gap from a query point.
          const auto it = std::lower_bound(sorted_a.begin(), sorted_a.end(), v);
          double nearest = 2.0;
          if (it != sorted_a.end()) nearest = std::min(nearest, *it - v);
          if (it != sorted_a.begin()) nearest = std::min(nearest, v - *(it - 1));
          CHECK(nearest <= 0.5 * spread * max_gap + 1e-15);
        }
        // Symmetric query points give symmetric worker points (as sets) when the companions
        // divide evenly and no query point sits at the centre (odd K's middle one steps down).
        if ((n - k) % k == 0 && k % 2 == 0) {
          std::vector<double> s(b), m(b);
          for (double& v : m) v = -v;
          std::sort(s.begin(), s.end());
          std::sort(m.begin(), m.end());
          for (std::size_t i = 0; i < s.size(); ++i) CHECK(s[i] == Approx(m[i]).margin(1e-14));
        }
      }
}

TEST_CASE("clustered_worker_points names the bad argument", "[points][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(nercc::clustered_worker_points({}, 3, 0.5), Contains("query_points is empty"));
  CHECK_THROWS_WITH(nercc::clustered_worker_points({0.1, 0.1}, 3, 0.5), Contains("query_points repeats the point 0.1"));
  CHECK_THROWS_WITH(nercc::clustered_worker_points({0.1, 1.5}, 3, 0.5), Contains("query_points[1] (1.5) is outside [-1, 1]"));
  CHECK_THROWS_WITH(nercc::clustered_worker_points({0.1, 0.5}, 1, 0.5),
                    Contains("num_workers (1) must be >= the number of query points (2)"));
  for (double bad : {0.0, 1.0, -0.1, double(NAN)})
    CHECK_THROWS_AS(nercc::clustered_worker_points({0.1, 0.5}, 4, bad), nercc::invalid_argument);
  CHECK_THROWS_WITH(nercc::clustered_worker_points({0.1, 0.5}, 4, 1.0), Contains("spread (1) must lie in (0, 1)"));
}
