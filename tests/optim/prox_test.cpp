#include <nercc/optim/prox.hpp>

#include <catch2/catch.hpp>

#include <Eigen/SVD>

#include <random>
#include <string>

using nercc::Index;
using nercc::Vector;
namespace optim = nercc::optim;

namespace {

Vector<double> random_vector(Index n, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  Vector<double> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

/// The prox objective h(u) + ||u - v||^2 / (2 eta), minimised by prox(v).
template <class Prox>
double prox_objective(const Prox& h, const Vector<double>& u, const Vector<double>& v, double eta) {
  return h.value(u) + (u - v).squaredNorm() / (2.0 * eta);
}

/// prox(v) must beat every perturbation (the prox objective is strongly convex, so this is
/// a check that could fail for any wrong operator), at several scales.
template <class Prox>
void check_minimises(const Prox& h, Index n, double eta, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 20; ++trial) {
    const Vector<double> v = random_vector(n, rng);
    Vector<double> p(n);
    h.prox(v, eta, p);
    const double best = prox_objective(h, p, v, eta);
    for (const double scale : {1e-1, 1e-3, 1e-5}) {
      for (int k = 0; k < 30; ++k) {
        const Vector<double> u = p + random_vector(n, rng, scale);
        CHECK(best <= prox_objective(h, u, v, eta) + 1e-13);
      }
    }
  }
}

}  // namespace

TEST_CASE("every prox minimises h(u) + ||u - v||^2 / (2 eta)", "[optim][prox]") {
  check_minimises(optim::L1Prox(0.3), 12, 0.7, 1);
  check_minimises(optim::ElasticNetProx(0.3, 0.5), 12, 0.7, 2);
  check_minimises(optim::NuclearNormProx(4, 3, 0.4), 12, 0.9, 3);
  // Stay inside the box: outside it h is +infinity and the comparison says nothing.
  const optim::BoxProx box(-0.5, 0.25);
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 50; ++trial) {
    const Vector<double> v = random_vector(10, rng);
    Vector<double> p(10);
    box.prox(v, 1.0, p);
    REQUIRE(box.value(p) == 0.0);
    std::uniform_real_distribution<double> inside(-0.5, 0.25);
    for (int k = 0; k < 30; ++k) {
      Vector<double> u(10);
      for (auto& x : u) x = inside(rng);
      CHECK((p - v).squaredNorm() <= (u - v).squaredNorm());
    }
  }
}

TEST_CASE("L1 and elastic-net prox satisfy the subgradient optimality conditions", "[optim][prox]") {
  std::mt19937_64 rng(5);
  const Vector<double> v = random_vector(200, rng);
  const double eta = 0.5, l1 = 0.8, l2 = 0.3;
  Vector<double> p(v.size());
  optim::ElasticNetProx(l1, l2).prox(v, eta, p);
  Index zeros = 0;
  for (Index i = 0; i < v.size(); ++i) {
    if (p[i] == 0.0) {
      ++zeros;
      CHECK(std::abs(v[i]) <= eta * l1);
    } else {
      // 0 = (p - v)/eta + l2 p + l1 sign(p)
      CHECK((p[i] - v[i]) / eta + l2 * p[i] + l1 * (p[i] > 0 ? 1.0 : -1.0) == Approx(0.0).margin(1e-14));
    }
  }
  CHECK(zeros > 0);
  CHECK(zeros < v.size());

  Vector<double> q = v;
  optim::L1Prox(l1).prox(q, eta, q);  // in place
  Vector<double> r(v.size());
  optim::ElasticNetProx(l1, 0.0).prox(v, eta, r);
  CHECK(q == r);
}

TEST_CASE("nuclear-norm prox shrinks the singular values by eta * lambda", "[optim][prox]") {
  std::mt19937_64 rng(6);
  const Index rows = 7, cols = 5;
  const Vector<double> v = random_vector(rows * cols, rng);
  const double eta = 0.5, lambda = 3.0;
  const optim::NuclearNormProx h(rows, cols, lambda);
  Vector<double> p(v.size());
  h.prox(v, eta, p);

  // Independent reference: Jacobi SVD (the operator uses the divide-and-conquer SVD).
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Mat mv = Eigen::Map<const Mat>(v.data(), rows, cols);
  Eigen::JacobiSVD<Eigen::MatrixXd> ref(mv, Eigen::ComputeThinU | Eigen::ComputeThinV);
  Vector<double> shrunk = (ref.singularValues().array() - eta * lambda).max(0.0).matrix();
  const Mat expected = ref.matrixU() * shrunk.asDiagonal() * ref.matrixV().transpose();
  CHECK((Eigen::Map<const Mat>(p.data(), rows, cols) - expected).norm() < 1e-12);
  CHECK(shrunk.minCoeff() == 0.0);  // the rank really drops
  CHECK(h.value(p) == Approx(lambda * shrunk.sum()).epsilon(1e-12));
  CHECK_THROWS_AS(h.prox(Vector<double>::Zero(6), eta, p), nercc::shape_mismatch);
}

TEST_CASE("box prox clamps and its value is the indicator", "[optim][prox]") {
  const optim::BoxProx box(-1.0, 2.0);
  Vector<double> v(4), p(4);
  v << -3.0, -1.0, 0.5, 7.0;
  box.prox(v, 123.0, p);
  CHECK(p == (Vector<double>(4) << -1.0, -1.0, 0.5, 2.0).finished());
  CHECK(box.value(p) == 0.0);
  CHECK(std::isinf(box.value(v)));
}

TEST_CASE("prox constructors name the invalid field", "[optim][prox]") {
  CHECK_THROWS_WITH(optim::L1Prox(-1.0), Catch::Contains("lambda (-1)"));
  CHECK_THROWS_WITH(optim::ElasticNetProx(0.1, -2.0), Catch::Contains("l2 (-2)"));
  CHECK_THROWS_WITH(optim::NuclearNormProx(0, 3, 1.0), Catch::Contains("rows (0)"));
  CHECK_THROWS_WITH(optim::BoxProx(1.0, 0.0), Catch::Contains("lower (1) must be <= upper (0)"));
  CHECK_THROWS_AS(optim::L1Prox(std::nan("")), nercc::invalid_argument);
}
