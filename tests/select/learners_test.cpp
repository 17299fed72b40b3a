#include <nercc/select/alors.hpp>
#include <nercc/select/gradient_boosting.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/learner_set.hpp>
#include <nercc/select/neighbours.hpp>
#include <nercc/select/pairwise_learners.hpp>

#include <select_synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

namespace {

using nercc::Index;
namespace sel = nercc::select;

}  // namespace

TEST_CASE("learners: clustered tasks, each learner but GlobalBest picks its cluster's best", "[select][learners]") {
  const select_synthetic::Clusters train(10);
  const auto m = select_synthetic::matrix(train.features, train.utility);
  const select_synthetic::Clusters fresh(4, 99);  // new tasks from the same clusters
  for (auto& learner : sel::standard_learners()) {
    learner->fit(m);
    INFO(learner->name());
    for (Index i = 0; i < fresh.features.rows(); ++i) {
      const std::vector<Index> ranking = learner->rank(fresh.features.row(i).transpose(), Eigen::VectorXd());
      REQUIRE(ranking.size() == 6);
      if (learner->name() == "GlobalBest") CHECK(ranking[0] == 5);
      else CHECK(ranking[0] == 2 * (i % 3));
    }
  }
}

TEST_CASE("learners: ISAC finds the three clusters", "[select][learners]") {
  const select_synthetic::Clusters train(10);
  sel::Isac isac;
  isac.fit(select_synthetic::matrix(train.features, train.utility));
  const auto& a = isac.clustering().assignment;
  REQUIRE(a.size() == 30);
  for (std::size_t i = 3; i < a.size(); ++i) CHECK(a[i] == a[i % 3]);
  CHECK(a[0] != a[1]);
  CHECK(a[1] != a[2]);
  CHECK(a[0] != a[2]);
}

TEST_CASE("learners: ArgoSmArT returns the nearest task's row, gaps from the corpus mean", "[select][learners]") {
  Eigen::MatrixXd f(3, 1), u(3, 2);
  f << 0, 1, 10;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  u << 0.1, nan, 0.3, 0.4, 0.5, 0.8;
  sel::ArgoSmart argo;
  argo.fit(select_synthetic::matrix(f, u));
  const Eigen::VectorXd s = argo.scores(Eigen::VectorXd::Constant(1, -0.2), Eigen::VectorXd());
  CHECK(s(0) == 0.1);
  CHECK(s(1) == Approx(0.6));  // mean of 0.4 and 0.8
  CHECK(argo.scores(Eigen::VectorXd::Constant(1, 9.0), Eigen::VectorXd())(1) == 0.8);
}

TEST_CASE("learners: ALORS completes a low-rank matrix and predicts rows from features", "[select][learners]") {
  std::mt19937_64 rng(5);
  const Index t = 40, c = 25, p = 3;
  Eigen::MatrixXd features(t + 1, p), v(c, 2), a(p + 1, 2);
  for (Index i = 0; i < t + 1; ++i)
    for (Index j = 0; j < p; ++j) features(i, j) = select_synthetic::normal(rng);
  for (Index j = 0; j < c; ++j) v.row(j) << select_synthetic::normal(rng), select_synthetic::normal(rng);
  for (Index j = 0; j <= p; ++j) a.row(j) << select_synthetic::normal(rng), select_synthetic::normal(rng);
  // Task factors affine in the features: the regression can recover them.
  Eigen::MatrixXd x1(t + 1, p + 1);
  x1 << features, Eigen::VectorXd::Ones(t + 1);
  const Eigen::MatrixXd full = x1 * a * v.transpose();
  Eigen::MatrixXd observed = full.topRows(t);
  std::vector<std::pair<Index, Index>> hidden;
  for (Index i = 0; i < t; ++i)
    for (Index j = 0; j < c; ++j)
      if (nercc::uniform_unit(rng) < 0.3) observed(i, j) = std::numeric_limits<double>::quiet_NaN(), hidden.emplace_back(i, j);
  REQUIRE(hidden.size() > 200);
  sel::AlorsParams params;
  params.rank = 2;
  params.factor_ridge = 1e-10;
  params.feature_ridge = 1e-10;
  params.max_iterations = 3000;
  sel::Alors alors(params);
  alors.fit(select_synthetic::matrix(features.topRows(t), observed));
  const Eigen::MatrixXd completed = alors.completed();
  const double scale = full.cwiseAbs().maxCoeff();
  double worst = 0.0;
  for (const auto& [i, j] : hidden) worst = std::max(worst, std::abs(completed(i, j) - full(i, j)));
  CHECK(worst < 1e-4 * scale);
  // The held-out task (row t): its utilities predicted from its features alone.
  const Eigen::VectorXd predicted = alors.scores(features.row(t).transpose(), Eigen::VectorXd());
  CHECK((predicted - full.row(t).transpose()).cwiseAbs().maxCoeff() < 1e-3 * scale);
  // GlobalBest cannot: the rows differ by more than that.
  sel::GlobalBest global;
  global.fit(select_synthetic::matrix(features.topRows(t), observed));
  CHECK((global.scores(features.row(t).transpose(), Eigen::VectorXd()) - full.row(t).transpose()).cwiseAbs().maxCoeff() >
        0.1 * scale);
}

TEST_CASE("gradient boosting fits a piecewise-constant function", "[select][learners]") {
  std::mt19937_64 rng(3);
  const Index n = 400;
  Eigen::MatrixXd x(n, 3);
  Eigen::VectorXd y(n);
  auto truth = [](double a, double b) { return (a > 0.5 ? 1.0 : 0.0) + (b > 0.3 ? 2.0 : -1.0); };
  for (Index i = 0; i < n; ++i) {
    x.row(i) << nercc::uniform_unit(rng), nercc::uniform_unit(rng), nercc::uniform_unit(rng);  // column 2 is noise
    y(i) = truth(x(i, 0), x(i, 1));
  }
  sel::BoostingParams params;
  params.trees = 60;
  params.learning_rate = 0.5;
  params.max_depth = 2;
  sel::GradientBoostedTrees model(params);
  model.fit(x, y);
  for (double a : {0.1, 0.4, 0.6, 0.9})
    for (double b : {0.05, 0.2, 0.4, 0.95}) {
      Eigen::RowVectorXd q(3);
      q << a, b, 0.5;
      CHECK(model.predict(q) == Approx(truth(a, b)).margin(1e-6));
    }
  // Deterministic, also with subsampling.
  params.subsample = 0.7;
  sel::GradientBoostedTrees s1(params), s2(params);
  s1.fit(x, y);
  s2.fit(x, y);
  Eigen::RowVectorXd q(3);
  q << 0.45, 0.31, 0.2;
  CHECK(s1.predict(q) == s2.predict(q));
  CHECK_THROWS_AS(model.fit(x, y.head(n - 1)), nercc::shape_mismatch);
  params.learning_rate = 0.0;
  CHECK_THROWS_WITH(sel::GradientBoostedTrees(params), Catch::Contains("learning_rate (0)"));
}

TEST_CASE("learners: MetaInf reads the environment features", "[select][learners]") {
  // Tasks alike, environments not: configuration 0 is best when e = 0, configuration 1 when e = 1.
  std::mt19937_64 rng(11);
  const Index t = 24;
  Eigen::MatrixXd f(t, 1), e(t, 1), u(t, 3);
  for (Index i = 0; i < t; ++i) {
    f(i, 0) = select_synthetic::normal(rng);
    e(i, 0) = double(i % 2);
    u.row(i) << (i % 2 ? 0.2 : 1.0), (i % 2 ? 1.0 : 0.3), 0.7;
  }
  sel::MetaInf metainf;
  metainf.fit(select_synthetic::matrix(f, u, e));
  for (double env : {0.0, 1.0})
    CHECK(metainf.rank(Eigen::VectorXd::Constant(1, 0.3), Eigen::VectorXd::Constant(1, env))[0] == Index(env));
  sel::GlobalBest global;
  global.fit(select_synthetic::matrix(f, u, e));
  CHECK(global.rank(Eigen::VectorXd::Constant(1, 0.3), Eigen::VectorXd::Constant(1, 0.0))[0] == 2);
}

TEST_CASE("learners: misuse is rejected", "[select][learners]") {
  const select_synthetic::Clusters train(3);
  const auto m = select_synthetic::matrix(train.features, train.utility);
  for (auto& learner : sel::standard_learners()) {
    INFO(learner->name());
    CHECK_THROWS_AS(learner->scores(Eigen::VectorXd::Zero(2), Eigen::VectorXd()), nercc::invalid_state);
    CHECK_THROWS_WITH(learner->fit(sel::PerformanceMatrix{}), Catch::Contains("performance matrix is empty"));
    learner->fit(m);
    CHECK_THROWS_AS(learner->scores(Eigen::VectorXd::Zero(3), Eigen::VectorXd()), nercc::shape_mismatch);
    CHECK_THROWS_AS(learner->scores(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Zero(1)), nercc::shape_mismatch);
    CHECK_THROWS_AS(learner->scores(Eigen::VectorXd::Constant(2, std::nan("")), Eigen::VectorXd()), nercc::non_finite_input);
    auto bad = m;
    bad.task_features(0, 0) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(learner->fit(bad), nercc::non_finite_input);
    // Deterministic: a second fit gives the same scores.
    learner->fit(m);
    const Eigen::VectorXd s1 = learner->scores(train.features.row(0).transpose(), Eigen::VectorXd());
    learner->fit(m);
    CHECK(s1 == learner->scores(train.features.row(0).transpose(), Eigen::VectorXd()));
  }
  CHECK_THROWS_WITH(sel::Isac(sel::KMeansParams{0}), Catch::Contains("clusters (0)"));
  sel::AlorsParams ap;
  ap.rank = 0;
  CHECK_THROWS_WITH(sel::Alors{ap}, Catch::Contains("rank (0)"));
}
