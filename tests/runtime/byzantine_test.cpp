// Wrong answers in the runtime (CodeParams::num_adversaries > 0): the robust decode inside the
// pipeline, flag counts per worker, the quarantine policy and early release held until the
// decision. A simulated transport on a manual clock, one worker turned Byzantine.
#include "support.hpp"

#include <nercc/decoder.hpp>
#include <nercc/points.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

using namespace nercc_test;
using std::chrono::milliseconds;

namespace {

// A smooth synthetic model R^3 -> R^4.
Mat smooth_model(const Mat& x) {
  Mat y(x.rows(), 4);
  for (Index i = 0; i < x.rows(); ++i) {
    y(i, 0) = x.row(i).sum();
    y(i, 1) = std::sin(x(i, 0)) + 0.5 * x(i, 1) * x(i, 2);
    y(i, 2) = std::cos(x(i, 1) - x(i, 2));
    y(i, 3) = std::exp(0.3 * x(i, 2)) - x(i, 0) * x(i, 0);
  }
  return y;
}

enum class Attack { sign_flip, noise };

// Which worker lies and how; switchable while the runtime runs.
struct Adversary {
  std::atomic<Index> worker{-1};
  std::atomic<bool> honest{false};
  Attack attack = Attack::sign_flip;
  std::mutex m;
  std::mt19937_64 rng{3};
  Mat corrupt(const Mat& y) {
    if (attack == Attack::sign_flip) return -y;
    std::lock_guard<std::mutex> guard(m);
    std::normal_distribution<double> noise(0.0, 10.0);  // sigma 10 on outputs of size about 1
    Mat z = y;
    for (Index i = 0; i < z.size(); ++i) z.data()[i] += noise(rng);
    return z;
  }
};

// The completion of a call to the Byzantine worker: passes on a corrupted answer.
struct LyingCompletion {
  rt::Completion<double> done;
  std::shared_ptr<Adversary> adversary;
  void operator()(const Mat& y) const { done(adversary->corrupt(y)); }
  void fail() const { done.fail(); }
};

// Simulated workers (1 ms per call, no stragglers) with one adversary; counts calls per worker.
struct Cluster {
  std::shared_ptr<rt::ManualClock> clock = std::make_shared<rt::ManualClock>();
  std::shared_ptr<Adversary> adversary = std::make_shared<Adversary>();
  rt::SimulatedTransport<double> sim{smooth_model, [](Index, Index) { return rt::Duration(milliseconds(1)); }, clock};
  std::mutex m;
  std::map<Index, long> calls;

  auto transport() {
    return [this, h = sim.transport()](Index w, const Eigen::Ref<const Mat>& x, rt::Completion<double> done) {
      {
        std::lock_guard<std::mutex> guard(m);
        ++calls[w];
      }
      if (w == adversary->worker.load() && !adversary->honest.load())
        return h(w, x, LyingCompletion{std::move(done), adversary});
      return h(w, x, std::move(done));
    };
  }
  long calls_to(Index w) {
    std::lock_guard<std::mutex> guard(m);
    return calls[w];
  }
};

// K = 4 queries, N = 8 workers, E = 1, S = 0: the robust decode needs K + 2E = 6 answers.
rt::RuntimeParams byzantine_params(nercc::SchemeKind scheme = nercc::SchemeKind::spline, Index n = 8) {
  rt::RuntimeParams p = small_params(scheme, 4, n, 0);
  p.output_dim = 4;
  p.code.lambda_enc = 1e-4;
  p.code.lambda_dec = 1e-4;
  p.code.num_adversaries = 1;
  // Flag only answers that stand out (the median answer scores about 1, honest ones at most
  // about 1.2 on this code, a sign flip about 100): at 0 the detector
  // would drop one answer of every group, honest or not.
  p.code.detection_threshold = 10.0;
  p.overload.enabled = false;
  return p;
}

// Query j of group g: 1 x 3, smooth in j, different in every group.
Mat group_query(Index g, Index j) {
  const double t = -0.9 + 0.6 * double(j) + 0.01 * double(g % 7);
  Mat x(1, 3);
  x << t, 0.5 * t * t - 0.2, std::sin(1.3 * t + 0.1 * double(g % 5));
  return x;
}

struct GroupRun {
  std::vector<rt::QueryOutcome<double>> outcomes;
  double max_error = 0;  // against the model, over the group's queries
};

// Submits one full group of K queries, lets every call land, returns its outcomes.
GroupRun run_group(rt::Runtime<double>& runtime, Cluster& c, Index g) {
  const Index k = runtime.code().num_queries();
  std::vector<std::future<rt::QueryOutcome<double>>> f;
  for (Index j = 0; j < k; ++j) f.push_back(runtime.submit(group_query(g, j)));
  runtime.wait_idle();
  c.clock->advance(milliseconds(1));
  c.sim.wait_delivered();
  runtime.wait_idle();
  GroupRun r;
  for (Index j = 0; j < k; ++j) {
    REQUIRE(ready(f[std::size_t(j)]));
    r.outcomes.push_back(f[std::size_t(j)].get());
    const auto& o = r.outcomes.back();
    REQUIRE(o.ok());
    r.max_error = std::max(r.max_error, (o.value - smooth_model(group_query(g, j))).cwiseAbs().maxCoeff());
  }
  return r;
}

// The reference: the plain decode (E = 0) of the same code from the honest answers of `workers`.
Mat reference_decode(const rt::RuntimeParams& p, Index g, const std::vector<Index>& workers) {
  const Index k = p.code.num_queries;
  Mat q(k, 3);
  for (Index j = 0; j < k; ++j) q.row(j) = group_query(g, j);
  nercc::CodeParams plain = p.code;
  plain.num_adversaries = 0;
  nercc::Encoder<nercc::SplineScheme, double> enc(plain);
  nercc::Decoder<nercc::SplineScheme, double> dec(plain);
  const Mat coded = enc.encode(q);
  Mat answers(Index(workers.size()), p.output_dim);
  for (std::size_t i = 0; i < workers.size(); ++i) answers.row(Index(i)) = smooth_model(coded.row(workers[i]));
  const auto r = dec.decode(workers, answers);
  REQUIRE(r.ok());
  return r.values;
}

std::vector<Index> all_but(Index n, Index out) {
  std::vector<Index> w;
  for (Index i = 0; i < n; ++i)
    if (i != out) w.push_back(i);
  return w;
}

// Max error against the model of group g's reference decode from the honest answers of `workers`.
double reference_error(const rt::RuntimeParams& p, Index g, const std::vector<Index>& workers) {
  const Mat ref = reference_decode(p, g, workers);
  double e = 0;
  for (Index j = 0; j < p.code.num_queries; ++j)
    e = std::max(e, (ref.row(j) - smooth_model(group_query(g, j))).cwiseAbs().maxCoeff());
  return e;
}

// The clean code's max error over groups [0, groups) with every worker answering, and with one
// straggler at the worst place.
std::pair<double, double> clean_errors(const rt::RuntimeParams& p, Index groups) {
  const Index n = p.code.num_workers;
  double all = 0, straggler = 0;
  for (Index g = 0; g < groups; ++g) {
    all = std::max(all, reference_error(p, g, all_but(n, -1)));
    for (Index w = 0; w < n; ++w) straggler = std::max(straggler, reference_error(p, g, all_but(n, w)));
  }
  return {all, straggler};
}

}  // namespace

TEST_CASE("byzantine runtime: flags land on the lying worker only, estimates as the robust decode of the rest",
          "[runtime][byzantine]") {
  const Attack attack = GENERATE(Attack::sign_flip, Attack::noise);
  const Index bad = GENERATE(Index(0), Index(3), Index(7));
  INFO("attack " << int(attack) << ", worker " << bad);
  Cluster c;
  c.adversary->worker = bad;
  c.adversary->attack = attack;
  const auto p = byzantine_params();
  std::vector<rt::GroupLog> logs;
  std::mutex log_m;
  auto q = p;
  q.group_log = [&](const rt::GroupLog& l) {
    std::lock_guard<std::mutex> guard(log_m);
    logs.push_back(l);
  };
  rt::Runtime<double> runtime(q, c.transport(), c.clock);
  const Index groups = 12;
  for (Index g = 0; g < groups; ++g) {
    const GroupRun r = run_group(runtime, c, g);
    const Mat ref = reference_decode(p, g, all_but(8, bad));
    for (Index j = 0; j < 4; ++j) CHECK((r.outcomes[std::size_t(j)].value - ref.row(j)).cwiseAbs().maxCoeff() < 1e-12);
  }
  const auto m = runtime.metrics();
  INFO(m.to_json());
  REQUIRE(m.flags_per_worker.size() == 8);
  for (Index w = 0; w < 8; ++w) CHECK(m.flags_per_worker[std::size_t(w)] == (w == bad ? std::uint64_t(groups) : 0u));
  CHECK(m.flags_total == std::uint64_t(groups));
  CHECK(m.groups_with_flags == std::uint64_t(groups));
  CHECK(m.outcomes() == m.submitted);
  CHECK(m.completed_ok == std::uint64_t(4 * groups));
  REQUIRE(logs.size() == std::size_t(groups));
  for (const auto& l : logs) CHECK(l.flagged_workers == std::vector<Index>{bad});
  CHECK(m.to_json().find("\"flags_per_worker\":[") != std::string::npos);
}

TEST_CASE("byzantine runtime: E = 0 decodes the lie, E = 1 keeps the clean accuracy", "[runtime][byzantine]") {
  double error[2] = {0, 0};
  for (Index e : {0, 1}) {
    Cluster c;
    c.adversary->worker = 2;
    auto p = byzantine_params();
    p.code.num_adversaries = e;
    rt::Runtime<double> runtime(p, c.transport(), c.clock);
    for (Index g = 0; g < 6; ++g) error[e] = std::max(error[e], run_group(runtime, c, g).max_error);
    CHECK(runtime.metrics().flags_total == (e ? 6u : 0u));
  }
  double clean = 0;
  {
    Cluster c;  // nobody lies
    rt::Runtime<double> runtime(byzantine_params(), c.transport(), c.clock);
    for (Index g = 0; g < 6; ++g) clean = std::max(clean, run_group(runtime, c, g).max_error);
  }
  const auto reference = clean_errors(byzantine_params(), 6);
  INFO("max error: E = 0 " << error[0] << ", E = 1 " << error[1] << ", clean " << clean << ", clean code "
                           << reference.first << ", with its worst straggler " << reference.second);
  CHECK(clean <= reference.first * (1 + 1e-9));  // no answer of an honest cluster dropped
  CHECK(error[0] > 10 * reference.second);        // one sign flip ruins the plain decode
  // The liar costs no more than one straggler of the clean code.
  CHECK(error[1] <= reference.second * (1 + 1e-9));
  WARN("byzantine runtime: max error with a sign-flipping worker, E = 0: " << error[0] << ", E = 1: " << error[1]
                                                                            << "; no adversary: " << clean
                                                                            << "; clean code with its worst straggler: "
                                                                            << reference.second);
}

TEST_CASE("byzantine runtime: quarantine after m of n, probe re-admits an honest worker, keeps out a liar",
          "[runtime][byzantine][quarantine]") {
  const bool reform = GENERATE(true, false);
  Cluster c;
  const Index bad = 5;
  c.adversary->worker = bad;
  auto p = byzantine_params(nercc::SchemeKind::spline, 9);  // N = K + 2E + 3: room to withhold
  p.quarantine.enabled = true;
  p.quarantine.window = 4;
  p.quarantine.flags_to_quarantine = 3;
  p.quarantine.cool_down = milliseconds(50);
  p.quarantine.backoff = 2.0;
  std::vector<rt::GroupLog> logs;
  std::mutex log_m;
  p.group_log = [&](const rt::GroupLog& l) {
    std::lock_guard<std::mutex> guard(log_m);
    logs.push_back(l);
  };
  rt::Runtime<double> runtime(p, c.transport(), c.clock);
  Index g = 0;
  for (; g < 3; ++g) run_group(runtime, c, g);  // three flags: quarantined at the third
  auto m = runtime.metrics();
  CHECK(m.quarantines == 1);
  CHECK(m.workers_quarantined == 1);
  CHECK(m.flags_per_worker[std::size_t(bad)] == 3);
  const long before = c.calls_to(bad);
  CHECK(before == 3);

  // During the cool-down: worker 5 gets nothing, the others decode as if it straggled.
  auto clean_params = byzantine_params(nercc::SchemeKind::spline, 9);
  for (int i = 0; i < 3; ++i, ++g) {
    const GroupRun r = run_group(runtime, c, g);
    const Mat ref = reference_decode(clean_params, g, all_but(9, bad));
    for (Index j = 0; j < 4; ++j) CHECK((r.outcomes[std::size_t(j)].value - ref.row(j)).cwiseAbs().maxCoeff() < 1e-12);
    // As accurate as the clean code with one straggler (what a quarantined worker is).
    CHECK(r.max_error <= clean_errors(clean_params, g + 1).second * (1 + 1e-9));
  }
  CHECK(c.calls_to(bad) == before);
  m = runtime.metrics();
  CHECK(m.calls_withheld == 3);
  CHECK(m.flags_per_worker[std::size_t(bad)] == 3);
  {
    std::lock_guard<std::mutex> guard(log_m);
    CHECK(logs.back().call_states[std::size_t(bad)] == rt::CallState::quarantined);
    // S = 0: the quorum stays 9, so with one call withheld the group waits for the other 8.
    CHECK(logs.back().decision == rt::Decision::resolved);
  }

  // Cool-down over: the next group probes it.
  c.clock->advance(milliseconds(50));
  c.adversary->honest = reform;
  run_group(runtime, c, g++);
  m = runtime.metrics();
  CHECK(m.quarantine_probes == 1);
  CHECK(c.calls_to(bad) == before + 1);
  if (reform) {
    CHECK(m.readmissions == 1);
    CHECK(m.workers_quarantined == 0);
    run_group(runtime, c, g++);
    CHECK(c.calls_to(bad) == before + 2);  // back in the groups
  } else {
    CHECK(m.quarantine_extensions == 1);
    CHECK(m.workers_quarantined == 1);
    CHECK(m.flags_per_worker[std::size_t(bad)] == 4);
    // Kept out for 2 x 50 ms now: not probed after 50 ms, probed after 100 ms.
    c.clock->advance(milliseconds(50));
    run_group(runtime, c, g++);
    CHECK(c.calls_to(bad) == before + 1);
    c.clock->advance(milliseconds(50));
    run_group(runtime, c, g++);
    CHECK(c.calls_to(bad) == before + 2);
    CHECK(runtime.metrics().quarantine_probes == 2);
    CHECK(runtime.metrics().quarantine_extensions == 2);
  }
  m = runtime.metrics();
  CHECK(m.outcomes() == m.submitted);
  CHECK(m.completed_ok == m.submitted);
  for (Index w = 0; w < 9; ++w)
    if (w != bad) CHECK(m.flags_per_worker[std::size_t(w)] == 0);
}
