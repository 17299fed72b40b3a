#include "problem.hpp"

#include <nercc/optim/simulated_executor.hpp>
#include <nercc/optim/svrg.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <stdexcept>

using namespace optim_test;

namespace {

std::vector<bool> support(const Vector<double>& x) {
  std::vector<bool> s(std::size_t(x.size()));
  for (Index i = 0; i < x.size(); ++i) s[std::size_t(i)] = x[i] != 0.0;
  return s;
}

/// One full proximal-gradient step prox(x - eta grad f(x)): exact zeros for the support test
/// of methods whose server iterate is a relaxed (not proximal) point.
Vector<double> prox_gradient_point(const Problem& p, const Vector<double>& x, double eta) {
  Vector<double> g(x.size());
  p.objective.full_gradient(x, g);
  Vector<double> out = x - eta * g;
  p.prox.prox(out, eta, out);
  return out;
}

}  // namespace

TEST_CASE("the FISTA reference satisfies the optimality conditions", "[optim][svrg]") {
  const Problem& p = problem();
  Vector<double> g(p.x_star.size());
  p.objective.full_gradient(p.x_star, g);
  Index nonzero = 0;
  for (Index j = 0; j < g.size(); ++j) {
    const double x = p.x_star[j];
    if (x == 0.0) {
      CHECK(std::abs(g[j]) < p.prox.l1);
    } else {
      ++nonzero;
      CHECK(g[j] + p.prox.l2 * x + p.prox.l1 * (x > 0 ? 1.0 : -1.0) == Approx(0.0).margin(1e-12));
    }
  }
  CHECK(nonzero > 2);
  CHECK(nonzero < g.size() / 2);
}

TEST_CASE("proximal SVRG: 1e-10 suboptimality, FISTA's support, linear rate", "[optim][svrg]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 15;
  Trace trace{&p};
  const auto r = optim::prox_svrg(p.objective, p.prox, sp, Vector<double>::Zero(p.objective.dim()), trace);
  CHECK(r.epochs == 15);
  CHECK(r.staleness.max == 0);
  CHECK(p.suboptimality(r.x) < 1e-10);
  CHECK(support(r.x) == support(p.x_star));
  CHECK((r.x - p.x_star).norm() < 1e-6);

  // log10 suboptimality against epoch, over the epochs above the rounding floor (1e-13):
  // a straight line (R^2 close to 1) with a clearly negative slope.
  std::vector<double> e, l;
  for (std::size_t s = 0; s < trace.suboptimality.size() && trace.suboptimality[s] > 1e-13; ++s) {
    e.push_back(double(s));
    l.push_back(std::log10(trace.suboptimality[s]));
  }
  REQUIRE(e.size() >= 5);
  const double n = double(e.size());
  const double me = std::accumulate(e.begin(), e.end(), 0.0) / n, ml = std::accumulate(l.begin(), l.end(), 0.0) / n;
  double see = 0, sel = 0, sll = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    see += (e[i] - me) * (e[i] - me);
    sel += (e[i] - me) * (l[i] - ml);
    sll += (l[i] - ml) * (l[i] - ml);
  }
  const double slope = sel / see, r2 = sel * sel / (see * sll);
  INFO("slope " << slope << " decades/epoch, R^2 " << r2);
  CHECK(slope < -1.0);
  CHECK(r2 > 0.97);
  for (std::size_t i = 1; i < l.size(); ++i) CHECK(l[i] < l[i - 1]);  // monotone on this problem
}

TEST_CASE("with zero delay DAP-SVRG equals the prox-at-server variant to 1e-14", "[optim][svrg]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 8;
  sp.minibatch = 3;
  const optim::SimulatedExecutor serial({0.0});
  const Vector<double> x0 = Vector<double>::Constant(p.objective.dim(), 0.1);
  const auto dap = optim::dap_svrg(p.objective, p.prox, sp, x0, serial);
  const auto server = optim::dap_svrg_prox_at_server(p.objective, p.prox, sp, x0, serial);
  const auto sync = optim::prox_svrg(p.objective, p.prox, sp, x0);
  CHECK(dap.staleness.max == 0);
  CHECK((dap.x - server.x).lpNorm<Eigen::Infinity>() <= 1e-14);
  CHECK(server.x == sync.x);
  CHECK((dap.x - x0).norm() > 1.0);  // it did move
}

TEST_CASE("DAP-SVRG with several local steps per message converges", "[optim][svrg]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 40;
  sp.group_size = 4;
  sp.automatic_relaxation = true;
  Trace trace{&p, 1e-11};
  const auto r = optim::dap_svrg(p.objective, p.prox, sp, Vector<double>::Zero(p.objective.dim()),
                                 optim::SimulatedExecutor(4, jittered_delay), trace);
  INFO("epochs " << r.epochs << ", mean staleness " << r.staleness.mean);
  CHECK(r.staleness.mean > 2.0);
  CHECK(p.suboptimality(r.x) < 1e-10);
  CHECK(support(prox_gradient_point(p, r.x, sp.step)) == support(p.x_star));
}

TEST_CASE("a callback returning false stops the run", "[optim][svrg]") {
  const Problem& p = problem();
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 50;
  std::vector<double> objective;
  const auto r = optim::prox_svrg(p.objective, p.prox, sp, Vector<double>::Zero(p.objective.dim()),
                                  [&](const optim::Progress& pr) {
                                    CHECK(pr.epoch == Index(objective.size()));
                                    objective.push_back(pr.objective);
                                    return pr.epoch < 3;
                                  });
  CHECK(r.epochs == 3);
  REQUIRE(objective.size() == 4);
  CHECK(objective[0] == Approx(std::log(2.0)).epsilon(1e-14));  // f(0) + h(0), a mean of 400 rounded terms
  CHECK(objective[3] == Approx(p.objective_value(r.x)).epsilon(1e-15));
}

TEST_CASE("SvrgParams and the solvers name invalid arguments", "[optim][svrg]") {
  const Problem& p = problem();
  const auto bad = [](auto edit) {
    optim::SvrgParams sp;
    sp.step = 0.1;
    edit(sp);
    return sp;
  };
  CHECK_THROWS_WITH(optim::SvrgParams{}.validate(), Catch::Contains("step (0)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.epochs = 0; }).validate(), Catch::Contains("epochs (0)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.minibatch = 0; }).validate(), Catch::Contains("minibatch (0)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.max_staleness = -1; }).validate(), Catch::Contains("max_staleness (-1)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.group_size = 0; }).validate(), Catch::Contains("group_size (0)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.relaxation = 1.5; }).validate(), Catch::Contains("relaxation (1.5)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.relaxation_constant = 0; }).validate(),
                    Catch::Contains("relaxation_constant (0)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.step_decay = -1; }).validate(), Catch::Contains("step_decay (-1)"));
  CHECK_THROWS_WITH(bad([](auto& s) { s.inner_iterations = -2; }).validate(), Catch::Contains("inner_iterations (-2)"));

  const optim::SimulatedExecutor serial({0.0});
  CHECK_THROWS_AS(optim::dap_svrg(p.objective, p.prox, bad([](auto&) {}), Vector<double>::Zero(3), serial),
                  nercc::shape_mismatch);
  CHECK_THROWS_WITH(optim::dap_svrg_prox_at_server(p.objective, p.prox, bad([](auto& s) { s.group_size = 2; }),
                                                   Vector<double>::Zero(p.objective.dim()), serial),
                    Catch::Contains("group_size (2)"));
  CHECK_THROWS_WITH(optim::SimulatedExecutor(0, jittered_delay), Catch::Contains("num_workers (0)"));
  CHECK_THROWS_WITH(optim::dap_svrg(p.objective, p.prox, bad([](auto&) {}), Vector<double>::Zero(p.objective.dim()),
                                    optim::SimulatedExecutor(2, [](Index, Index) { return -1.0; })),
                    Catch::Contains("must be finite and >= 0"));
}

TEST_CASE("FISTA matches proximal SVRG on a box-constrained problem", "[optim][svrg]") {
  const Problem& p = problem();
  const optim::BoxProx box(-0.5, 0.5);
  optim::FistaParams fp;
  fp.lipschitz = 1.0;
  CHECK_THROWS_WITH(optim::FistaParams{}.validate(), Catch::Contains("lipschitz (0)"));
  fp.lipschitz = p.objective.max_term_smoothness();  // bounds the smoothness of the mean
  const auto ref = optim::fista(p.objective, box, fp, Vector<double>::Zero(p.objective.dim()));
  REQUIRE(ref.converged);
  optim::SvrgParams sp;
  sp.step = p.step(0.3);
  sp.epochs = 25;
  const auto r = optim::prox_svrg(p.objective, box, sp, Vector<double>::Zero(p.objective.dim()));
  CHECK(r.x.cwiseAbs().maxCoeff() == 0.5);  // the box is active
  CHECK(p.objective.value(r.x) - p.objective.value(ref.x) < 1e-10);
  CHECK((r.x - ref.x).norm() < 1e-5);
}
