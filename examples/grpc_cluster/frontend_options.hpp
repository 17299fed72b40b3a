// The cluster demo front end's options: usage text, FrontendArgs and their parsing. The build
// defines NERCC_GRPC_WORKER_PATH, the worker executable built with the front end.
#pragma once

#include "../common/cli.hpp"

#include "cluster_common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

using nercc_examples::split_list;

inline const char* const frontend_usage = R"(usage: nercc_grpc_frontend [options]
The frontier sweep: at each redundancy N/K every policy (policies.hpp) serves the same
Fashion-MNIST queries on the same N LeNet5 worker processes, in rounds.
  --smoke                 a minute: smoke LeNet5, K 2, ratios 1,2 (4 workers), 2 rounds of 60
                          queries at 200 q/s (options after it override these)
  --long                  the long sweep: 4 rounds of 3000 queries, grace deadlines 5,8,15 ms
                          (85 configurations, about 70 minutes on two cores)
  --out DIR               where the results go (default .)
  --policies LIST         comma-separated policy names (default all; see policies.hpp)
  --ratios LIST           redundancies N/K; K x ratio must be an integer (default 1,1.25,1.5,2,3)
  --coded-queries K       queries per group of the coded and replicated policies (default 8);
                          uncoded uses K = N
  --spread X              companion spread of the systematic layouts (default 0.02)
  --lambda-dec X          NeRCC decoder smoothing (default 0)
  --fallback-reliability X  the gated policies' threshold: an estimate whose reliability score
                          is below X is answered by the fallback model (default 0.9)
  --queries Q             queries per policy per round (default 800)
  --rounds R              rounds; in each, every configuration serves Q queries, in an order
                          rotated by one per round (default 3)
  --rate R                queries per second, fixed spacing (default 300; at N/K = 3 the workers
                          then take 900 calls/s, about a core of LeNet5 and gRPC)
  --deadline-ms X         deadline of the policies without a grace rule (default 250)
  --grace-ms LIST         deadline T of the grace-rule and fallback policies; one configuration
                          per value (default 8)
  --group-timeout-ms X    a partial group closes this long after its first query (default 25:
                          a group of 8 fills in 23.3 ms at 300 q/s)
  --kill-at F             SIGKILL one worker after this fraction of every turn; < 0: never
                          (default 0.33); it is restarted after the turn
  --kill-worker I         which worker to kill (default 1)
  --fallback-train N      training images the fallback model is distilled on; 0: all 60000
                          (default 0; --smoke 4000)
  --model lenet5|smoke    weights: the published LeNet5 (cache, else trained with a progress
                          bar) or the seconds-long smoke LeNet5 (default lenet5)
  --cache-dir DIR         weight cache (default: the Fashion-MNIST example's for lenet5,
                          OUT/cache for smoke, so a smoke run never touches the user's cache)
  --data-dir DIR          Fashion-MNIST idx files (default: the example's)
  --worker-bin PATH       the worker executable (default: the one built with this program)
  --seed N                seed of the workers' injected delays (default 1)
  --quiet                 no progress output
)";

/// The flags every cluster driver shares: the served LeNet5, where its weights and the data
/// are, the worker executable and the injected delays' seed.
struct WorkerModelFlags {
  std::string model = "lenet5";
  std::string cache_dir, data_dir;
  std::string worker_bin = NERCC_GRPC_WORKER_PATH;
  std::uint64_t seed = 1;

  /// Takes v when flag is one of these flags; false otherwise.
  bool parse_worker_model_flag(const std::string& flag, const std::string& v) {
    if (flag == "--model") model = v;
    else if (flag == "--cache-dir") cache_dir = v;
    else if (flag == "--data-dir") data_dir = v;
    else if (flag == "--worker-bin") worker_bin = v;
    else if (flag == "--seed") seed = std::uint64_t(parse_integer(flag, v));
    else return false;
    return true;
  }
  /// Checks the model name; a smoke model without a cache directory gets out/cache (never the
  /// user's cache).
  void finish_model_flags(const std::string& out) {
    model_config(model);
    if (model == "smoke" && cache_dir.empty()) cache_dir = out + "/cache";
  }
};

/// The worker flags and the fallback model's training images, for the drivers with a fallback.
struct ClusterModelFlags : WorkerModelFlags {
  std::int64_t fallback_train = 0;
  bool fallback_train_set = false;  ///< --fallback-train was given: --smoke keeps it

  /// Takes v when flag is one of these flags; false otherwise.
  bool parse_model_flag(const std::string& flag, const std::string& v) {
    if (flag != "--fallback-train") return parse_worker_model_flag(flag, v);
    fallback_train = parse_integer(flag, v, 0);
    fallback_train_set = true;
    return true;
  }
  /// --smoke: the smoke LeNet5, its fallback distilled on 4000 images unless --fallback-train said.
  void smoke_model() {
    model = "smoke";
    if (!fallback_train_set) fallback_train = 4000;
  }
};

struct FrontendArgs : ClusterModelFlags {
  std::string out = ".";
  std::vector<std::string> policies;  // empty: all
  std::vector<double> ratios = {1, 1.25, 1.5, 2, 3};
  int coded_queries = 8;
  double spread = 0.02;
  double lambda_dec = 0;
  double fallback_reliability = 0.9;
  std::int64_t queries = 800;
  int rounds = 3;
  double rate = 300;
  double deadline_ms = 250;
  std::vector<double> grace_ms = {8};
  double group_timeout_ms = 25;
  double kill_at = 0.33;
  int kill_worker = 1;
  bool progress = true;
  LatencyParams latency;

  /// N for a redundancy: K x ratio (checked to be an integer by parse_frontend_args).
  int workers_at(double ratio) const { return int(std::lround(ratio * coded_queries)); }
  /// A worker's lifetime for a sweep of `turns` turns: their serving time plus generous room for
  /// start-ups and drains (a worker outliving a crashed front end stops by itself).
  double worker_lifetime_s(std::size_t turns) const {
    return double(queries) * double(turns) / rate + 2.0 * double(turns) + 600.0;
  }
  /// Worker processes the sweep needs: N at the largest redundancy.
  int max_workers() const {
    int n = 0;
    for (double r : ratios) n = std::max(n, workers_at(r));
    return n;
  }
};

inline FrontendArgs parse_frontend_args(int argc, char** argv) {
  FrontendArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (common_flag(flag, frontend_usage, a.progress)) continue;
    if (flag == "--smoke") {
      a.smoke_model();
      a.coded_queries = 2;
      a.ratios = {1, 2};
      a.queries = 60;
      a.rounds = 2;
      a.rate = 200;
      a.kill_at = 0.5;
      a.deadline_ms = 200;
      continue;
    }
    if (flag == "--long") {
      a.rounds = 4;
      a.queries = 3000;
      a.grace_ms = {5, 8, 15};
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string v = argv[++i];
    if (a.latency.parse(flag, v) || a.parse_model_flag(flag, v)) continue;
    if (flag == "--out") a.out = v;
    else if (flag == "--policies") a.policies = split_list(v, ',');
    else if (flag == "--ratios") a.ratios = parse_real_list(flag, v);
    else if (flag == "--coded-queries") a.coded_queries = int(parse_integer(flag, v));
    else if (flag == "--spread") a.spread = parse_real(flag, v);
    else if (flag == "--lambda-dec") a.lambda_dec = parse_real(flag, v);
    else if (flag == "--fallback-reliability") a.fallback_reliability = parse_real(flag, v);
    else if (flag == "--queries") a.queries = parse_integer(flag, v);
    else if (flag == "--rounds") a.rounds = int(parse_integer(flag, v));
    else if (flag == "--rate") a.rate = parse_real(flag, v);
    else if (flag == "--deadline-ms") a.deadline_ms = parse_real(flag, v);
    else if (flag == "--grace-ms") a.grace_ms = parse_real_list(flag, v);
    else if (flag == "--group-timeout-ms") a.group_timeout_ms = parse_real(flag, v);
    else if (flag == "--kill-at") a.kill_at = parse_real(flag, v);
    else if (flag == "--kill-worker") a.kill_worker = int(parse_integer(flag, v));
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (a.coded_queries < 1 || a.coded_queries > 64) throw std::invalid_argument("--coded-queries must lie in [1, 64]");
  for (double r : a.ratios) {
    const double n = r * a.coded_queries;
    if (!(r >= 1) || std::abs(n - std::round(n)) > 1e-9)
      throw std::invalid_argument("--ratios: " + std::to_string(r) + " is below 1 or gives a fractional N at K = " +
                                  std::to_string(a.coded_queries));
  }
  if (a.max_workers() > 64) throw std::invalid_argument("--ratios x --coded-queries needs more than 64 workers");
  if (a.max_workers() < 2) throw std::invalid_argument("--ratios x --coded-queries must give at least 2 workers");
  if (!(a.spread > 0 && a.spread < 1)) throw std::invalid_argument("--spread must lie in (0, 1)");
  if (!(a.lambda_dec >= 0)) throw std::invalid_argument("--lambda-dec must be >= 0");
  if (!(a.fallback_reliability > 0 && a.fallback_reliability <= 1))
    throw std::invalid_argument("--fallback-reliability must lie in (0, 1]");
  if (a.queries < 1 || a.queries > 1000000) throw std::invalid_argument("--queries must lie in [1, 1e6]");
  if (a.rounds < 1 || a.rounds > 1000) throw std::invalid_argument("--rounds must lie in [1, 1000]");
  if (!(a.rate > 0 && a.rate <= 20000)) throw std::invalid_argument("--rate must lie in (0, 20000]");
  if (!(a.deadline_ms > 0 && a.group_timeout_ms > 0))
    throw std::invalid_argument("--deadline-ms and --group-timeout-ms must be > 0");
  for (double t : a.grace_ms)
    if (!(t > 0)) throw std::invalid_argument("--grace-ms values must be > 0");
  if (a.kill_at >= 1) throw std::invalid_argument("--kill-at must be < 1");
  if (a.kill_worker < 0 || a.kill_worker >= a.workers_at(*std::min_element(a.ratios.begin(), a.ratios.end())))
    throw std::invalid_argument("--kill-worker must lie in [0, the smallest N)");
  a.finish_model_flags(a.out);
  a.latency.validate();
  return a;
}

}  // namespace nercc_cluster
