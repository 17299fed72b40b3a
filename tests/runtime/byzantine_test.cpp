// Wrong answers in the runtime (CodeParams::num_adversaries > 0): the robust decode inside the
// pipeline, flag counts per worker, the quarantine policy and early release held until the
// decision. A simulated transport on a manual clock, one worker turned Byzantine.
#include "support.hpp"

#include <nercc/decoder.hpp>
#include <nercc/points.hpp>
#include <nercc/runtime/simulated_transport.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
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

// Submits one full group of K queries, lets every call land, returns its outcomes (required ok).
GroupRun run_group(rt::Runtime<double>& runtime, Cluster& c, Index g, bool require_ok = true) {
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
    if (!require_ok) continue;
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

TEST_CASE("byzantine runtime: early release holds with E > 0; a lying systematic worker is not released as exact",
          "[runtime][byzantine][early_release]") {
  Cluster c;
  const Index bad = 1;  // computes query 1 itself
  c.adversary->worker = bad;
  auto p = byzantine_params();
  p.code.lambda_enc = 0.0;  // systematic: worker k at query point k
  p.code.worker_points = nercc::clustered_worker_points(p.code.resolved_query_points(), 8, 0.3);
  p.early_release = true;
  rt::Runtime<double> runtime(p, c.transport(), c.clock);
  REQUIRE(runtime.code().systematic());
  const Index k = 4;
  std::vector<std::future<rt::QueryOutcome<double>>> f;
  for (Index j = 0; j < k; ++j) f.push_back(runtime.submit(group_query(0, j)));
  runtime.wait_idle();
  c.clock->advance(milliseconds(1));
  c.sim.wait_delivered();
  runtime.wait_idle();
  for (Index j = 0; j < k; ++j) {
    REQUIRE(ready(f[std::size_t(j)]));
    const auto o = f[std::size_t(j)].get();
    REQUIRE(o.ok());
    CHECK_FALSE(o.released_early);  // held until the decision
    const Mat truth = smooth_model(group_query(0, j));
    if (j == bad) {
      CHECK(o.provenance == rt::Provenance::estimated);  // its worker was flagged: estimated from the rest
      CHECK((o.value - truth).cwiseAbs().maxCoeff() < 0.1);
      CHECK((o.value + truth).cwiseAbs().maxCoeff() > 0.5);  // not the lie
    } else {
      CHECK(o.provenance == rt::Provenance::exact);  // checked, then released as the worker computed it
      CHECK((o.value - truth).cwiseAbs().maxCoeff() < 1e-12);
    }
  }
  const auto m = runtime.metrics();
  CHECK(m.released_early == 0);
  CHECK(m.flags_per_worker[std::size_t(bad)] == 1);
  CHECK(m.flags_total == 1);
  CHECK(m.outcomes() == m.submitted);
}

TEST_CASE("byzantine runtime: replication outvotes a lying copy and waits for 2E + 1 copies",
          "[runtime][byzantine][replication]") {
  auto clock = std::make_shared<rt::ManualClock>();
  ScriptedTransport script;
  rt::RuntimeParams p = small_params(nercc::SchemeKind::replication, 2, 6, 0);
  p.code.num_adversaries = 1;
  p.early_release = true;  // held: a copy is trusted once outvoted or confirmed
  rt::Runtime<double> runtime(p, script.transport(), clock);
  auto f = submit_queries(runtime, 2);
  REQUIRE(script.size() == 6);
  // Worker w computes query w % 2: query 0 has workers 0, 2, 4; worker 2 lies.
  script.call_to(2)->done(-toy_model(script.call_to(2)->input));
  for (Index w : {0, 1, 3}) script.answer(w);
  runtime.wait_idle();
  CHECK_FALSE(ready(f[0]));  // every query has an answer, but not yet 3 copies
  CHECK_FALSE(ready(f[1]));
  script.answer(4);
  script.answer(5);
  runtime.wait_idle();
  for (Index i : {0, 1}) {
    const auto o = f[std::size_t(i)].get();
    REQUIRE(o.ok());
    CHECK_FALSE(o.released_early);
    CHECK((o.value.array() == toy_model(varied_query(i)).array()).all());
  }
  const auto m = runtime.metrics();
  CHECK(m.flags_per_worker == std::vector<std::uint64_t>{0, 0, 1, 0, 0, 0});
  CHECK(m.groups_decided_quorum == 1);
}

TEST_CASE("byzantine runtime: a quarantine the group cannot afford sends the call anyway", "[runtime][byzantine][quarantine]") {
  Cluster c;
  const Index bad = 2;
  c.adversary->worker = bad;
  auto p = byzantine_params(nercc::SchemeKind::spline, 6);  // N = K + 2E: no call to spare
  p.quarantine.enabled = true;
  p.quarantine.window = 2;
  p.quarantine.flags_to_quarantine = 2;
  rt::Runtime<double> runtime(p, c.transport(), c.clock);
  // At N = K + 2E the decoder needs all 6 answers to locate the wrong one, and decodes from the
  // 5 left once it is flagged.
  for (Index g = 0; g < 2; ++g)
    for (const auto& o : run_group(runtime, c, g, false).outcomes) CHECK(o.ok());
  CHECK(runtime.metrics().quarantines == 1);
  c.adversary->honest = true;
  for (Index g = 2; g < 5; ++g) run_group(runtime, c, g);  // sent anyway: every query answered
  const auto m = runtime.metrics();
  INFO(m.to_json());
  CHECK(m.workers_quarantined == 1);
  CHECK(m.calls_withheld == 0);
  CHECK(m.quarantine_overrides == 3);  // the three groups after the quarantine
  CHECK(c.calls_to(bad) == 5);
  CHECK(m.flags_per_worker[std::size_t(bad)] == 2);
  CHECK(m.completed_ok == 20);
  CHECK(m.too_few_answers == 0);
  CHECK(m.outcomes() == m.submitted);
}

TEST_CASE("quarantine policy: m of the last n checked groups, probes, cool-downs", "[runtime][quarantine]") {
  rt::QuarantineParams qp;
  qp.enabled = true;
  qp.window = 3;
  qp.flags_to_quarantine = 2;
  qp.cool_down = milliseconds(10);
  qp.backoff = 3.0;
  rt::QuarantinePolicy q(qp);
  const rt::TimePoint t0{};
  const std::vector<Index> workers{0, 1, 2};
  std::uint64_t g = 0;
  // Worker 1 flagged, clean, clean, flagged: the first flag has left the window of 3 by the
  // fourth group, so one flag in the window; a fifth flag makes two.
  for (bool flagged : {true, false, false, true}) {
    CHECK(q.plan(++g, workers, t0).withhold.empty());
    const auto events = q.record(g, workers, flagged ? std::vector<Index>{1} : std::vector<Index>{}, t0);
    CHECK(events.empty());
  }
  CHECK(q.plan(++g, workers, t0).withhold.empty());
  auto events = q.record(g, workers, {1}, t0);
  REQUIRE(events.size() == 1);
  CHECK(events[0] == std::make_pair(Index(1), rt::QuarantineEvent::quarantined));
  CHECK(q.quarantined(1));
  CHECK(q.quarantined_count() == 1);
  // A group that does not check it changes nothing; it is withheld until the cool-down ends.
  auto plan = q.plan(++g, workers, t0 + milliseconds(9));
  CHECK(plan.withhold == std::vector<std::size_t>{1});
  CHECK(plan.probes.empty());
  CHECK(q.record(g, {0, 2}, {}, t0 + milliseconds(9)).empty());
  // Past the cool-down: one probe; a concurrent group still withholds it.
  plan = q.plan(++g, workers, t0 + milliseconds(10));
  CHECK(plan.probes == std::vector<std::size_t>{1});
  const std::uint64_t probe_group = g;
  CHECK(q.plan(++g, workers, t0 + milliseconds(10)).withhold == std::vector<std::size_t>{1});
  CHECK(q.record(g, {0, 2}, {}, t0 + milliseconds(10)).empty());
  // The probe flagged: 3 x 10 ms more.
  events = q.record(probe_group, workers, {1}, t0 + milliseconds(11));
  REQUIRE(events.size() == 1);
  CHECK(events[0].second == rt::QuarantineEvent::extended);
  CHECK(q.cool_down_end(1) == t0 + milliseconds(41));
  CHECK(q.plan(++g, workers, t0 + milliseconds(40)).probes.empty());
  q.record(g, {0, 2}, {}, t0 + milliseconds(40));
  // A probe that does not answer tells nothing: probed again by the next group.
  CHECK(q.plan(++g, workers, t0 + milliseconds(41)).probes == std::vector<std::size_t>{1});
  CHECK(q.record(g, {0, 2}, {}, t0 + milliseconds(41)).empty());
  CHECK(q.plan(++g, workers, t0 + milliseconds(41)).probes == std::vector<std::size_t>{1});
  events = q.record(g, workers, {}, t0 + milliseconds(42));
  REQUIRE(events.size() == 1);
  CHECK(events[0].second == rt::QuarantineEvent::readmitted);
  CHECK_FALSE(q.quarantined(1));
  // Re-admitted with an empty record and the first cool-down.
  CHECK(q.record(++g, workers, {1}, t0 + milliseconds(50)).empty());
  events = q.record(++g, workers, {1}, t0 + milliseconds(50));
  REQUIRE(events.size() == 1);
  CHECK(q.cool_down_end(1) == t0 + milliseconds(60));
  // The longest quarantined is withheld first.
  q.record(++g, workers, {2}, t0 + milliseconds(55));
  q.record(++g, workers, {2}, t0 + milliseconds(55));
  plan = q.plan(++g, {2, 1}, t0 + milliseconds(56));
  CHECK(plan.withhold == std::vector<std::size_t>{1, 0});
  // Disabled: plans and records nothing.
  rt::QuarantinePolicy off(rt::QuarantineParams{});
  CHECK(off.record(1, workers, {1}, t0).empty());
  CHECK(off.plan(2, workers, t0).withhold.empty());
}

TEST_CASE("byzantine runtime: bad parameters name their field", "[runtime][byzantine][quarantine]") {
  const auto throws_naming = [](const rt::RuntimeParams& p, const char* field) {
    INFO(field);
    CHECK_THROWS_WITH(p.validate(), Catch::Contains(field));
    CHECK_THROWS_AS(p.validate(), nercc::invalid_argument);
  };
  auto p = byzantine_params();
  p.quarantine.enabled = true;
  REQUIRE_NOTHROW(p.validate());
  auto b = p;
  b.quarantine.window = 0;
  throws_naming(b, "quarantine.window (0)");
  b = p;
  b.quarantine.flags_to_quarantine = 0;
  throws_naming(b, "quarantine.flags_to_quarantine (0)");
  b.quarantine.flags_to_quarantine = 11;
  throws_naming(b, "quarantine.flags_to_quarantine (11)");
  b = p;
  b.quarantine.cool_down = rt::Duration::zero();
  throws_naming(b, "quarantine.cool_down");
  b.quarantine.cool_down = rt::never;
  throws_naming(b, "quarantine.cool_down");
  b = p;
  b.quarantine.backoff = 0.5;
  throws_naming(b, "quarantine.backoff (0.5)");
  b.quarantine.backoff = std::numeric_limits<double>::quiet_NaN();
  throws_naming(b, "quarantine.backoff");
  b = p;
  b.code.num_adversaries = 0;
  throws_naming(b, "quarantine.enabled (true) needs code.num_adversaries");
  b = p;
  b.code.detection_threshold = 0.0;
  throws_naming(b, "code.detection_threshold");
  b.scheme = nercc::SchemeKind::replication;  // the vote flags only copies that disagree
  b.code.num_workers = 12;
  CHECK_NOTHROW(b.validate());
  b = p;
  b.overload.min_workers = 5;  // < K + 2E = 6
  throws_naming(b, "overload.min_workers (5)");
  b.overload.min_workers = 6;
  CHECK_NOTHROW(b.validate());
  // A disabled quarantine is still checked, so a typo does not wait for the day it is turned on.
  b = byzantine_params();
  b.quarantine.window = -1;
  throws_naming(b, "quarantine.window (-1)");
  // E too large for the code: the decoder's message, through the Runtime.
  b = byzantine_params();
  b.code.num_adversaries = 3;  // K + 2E = 10 > N = 8
  Cluster c;
  CHECK_THROWS_WITH((rt::Runtime<double>(b, c.transport(), c.clock)), Catch::Contains("num_adversaries (3)"));
  // The overload floor defaults to K + 2E.
  CHECK(rt::OverloadParams{}.floor(byzantine_params().code) == 6);
}

// Not run by default (hidden tag): the runtime's cost of E = 1 against E = 0 on the simulated
// transport (answers at once, on its timer thread, steady clock), K = 8, N = 12, no adversary.
// Wall time per query, 5 alternating rounds; the median of each and of the per-round ratios.
TEST_CASE("byzantine runtime: overhead of E = 1 against E = 0 (timing)", "[.][timing][byzantine]") {
  const Index groups = 400, k = 8;
  const auto per_query_us = [&](Index e) {
    auto p = small_params(nercc::SchemeKind::spline, k, 12, 0);
    p.output_dim = 4;
    p.code.lambda_enc = p.code.lambda_dec = 1e-4;
    p.code.num_adversaries = e;
    p.code.detection_threshold = 10.0;
    p.overload.enabled = false;
    p.admission_policy = rt::QueuePolicy::block;
    auto clock = rt::steady_clock();
    rt::SimulatedTransport<double> sim(smooth_model, [](Index, Index) { return rt::Duration::zero(); }, clock);
    rt::Runtime<double> runtime(p, sim.transport(), clock);
    std::mutex m;
    std::condition_variable cv;
    long left = long(groups * k), failed = 0;
    const auto start = std::chrono::steady_clock::now();
    for (Index i = 0; i < groups * k; ++i)
      runtime.submit(group_query(i / k, i % k), [&](rt::QueryOutcome<double>&& o) {
        std::lock_guard<std::mutex> guard(m);
        failed += !o.ok();
        if (--left == 0) cv.notify_all();
      });
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return left == 0; });
    const double us = 1e6 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(failed == 0);
    return us / double(groups * k);
  };
  std::vector<double> plain, robust, ratio;
  for (int round = 0; round < 5; ++round) {
    plain.push_back(per_query_us(0));
    robust.push_back(per_query_us(1));
    ratio.push_back(robust.back() / plain.back());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const auto range = [](const std::vector<double>& v) {
    return std::to_string(*std::min_element(v.begin(), v.end())) + ".." +
           std::to_string(*std::max_element(v.begin(), v.end()));
  };
  WARN("runtime on the simulated transport, K = 8, N = 12, us per query (median of 5, range): E = 0 "
       << median(plain) << " (" << range(plain) << "), E = 1 " << median(robust) << " (" << range(robust)
       << "); ratio E = 1 / E = 0 per round: median " << median(ratio) << " (" << range(ratio) << ")");
}
