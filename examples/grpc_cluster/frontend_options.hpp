// The cluster demo front end's options: usage text, FrontendArgs and their parsing. The build
// defines NERCC_GRPC_WORKER_PATH, the worker executable built with the front end.
#pragma once

#include "../common/cli.hpp"

#include "cluster_common.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

using nercc_examples::split_list;

inline const char* const frontend_usage = R"(usage: nercc_grpc_frontend [options]
  --smoke                 a few seconds' run: smoke LeNet5, 4 workers, K 2, 120 queries at
                          150 q/s (options after it override these)
  --out DIR               where table.md, summary.json and latency_*.dat go (default .)
  --schemes LIST          comma-separated, of uncoded,replication,berrut,nercc (default all)
  --workers N             worker processes per scheme, the same for every scheme (default 12)
  --coded-queries K       K of Berrut and NeRCC (default 4); uncoded uses K = N
  --replicas R            replication factor, K = N / R (default 3)
  --stragglers S          Berrut and NeRCC decode at N - S answers (default 4)
  --lambda-enc X          NeRCC encoder smoothing (default 0)
  --lambda-dec X          NeRCC decoder smoothing (default 0)
  --queries Q             queries per scheme (default 8000)
  --rounds R              the schemes take turns in R rounds of Q/R queries each; the killed
                          worker is restarted after each turn (default 4)
  --rate R                queries per second, fixed spacing (default 300)
  --deadline-ms X         a group decodes with what arrived after this long (default 250)
  --group-timeout-ms X    a partial group closes this long after its first query (default 50)
  --kill-at F             SIGKILL one worker after this fraction of the queries; < 0: never
                          (default 0.33)
  --kill-worker I         which worker to kill (default 1)
  --model lenet5|smoke    weights: the published LeNet5 (cache, else trained with a progress
                          bar) or the seconds-long smoke LeNet5 (default lenet5)
  --cache-dir DIR         weight cache (default: the Fashion-MNIST example's for lenet5,
                          OUT/cache for smoke, so a smoke run never touches the user's cache)
  --data-dir DIR          Fashion-MNIST idx files (default: the example's)
  --worker-bin PATH       the worker executable (default: the one built with this program)
  --seed N                seed of the workers' injected delays (default 1)
  --quiet                 no progress bars
)";

struct FrontendArgs {
  std::string out = ".";
  std::vector<std::string> schemes = {"uncoded", "replication", "berrut", "nercc"};
  int workers = 12;
  int coded_queries = 4;
  int replicas = 3;
  int stragglers = 4;
  double lambda_enc = 0, lambda_dec = 0;
  std::int64_t queries = 8000;
  int rounds = 4;
  double rate = 300;
  double deadline_ms = 250;
  double group_timeout_ms = 50;
  double kill_at = 0.33;
  int kill_worker = 1;
  std::string model = "lenet5";
  std::string cache_dir, data_dir;
  std::string worker_bin = NERCC_GRPC_WORKER_PATH;
  std::uint64_t seed = 1;
  bool progress = true;
  LatencyParams latency;
};

inline FrontendArgs parse_frontend_args(int argc, char** argv) {
  FrontendArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("%s%s", frontend_usage, latency_usage());
      std::exit(0);
    }
    if (flag == "--quiet") {
      a.progress = false;
      continue;
    }
    if (flag == "--smoke") {
      a.model = "smoke";
      a.workers = 4;
      a.coded_queries = 2;
      a.replicas = 2;
      a.stragglers = 1;
      a.queries = 120;
      a.rounds = 2;
      a.rate = 150;
      a.kill_at = 0.5;
      a.deadline_ms = 200;
      a.group_timeout_ms = 20;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown)");
    const std::string v = argv[++i];
    if (a.latency.parse(flag, v)) continue;
    if (flag == "--out") a.out = v;
    else if (flag == "--schemes") a.schemes = split_list(v, ',');
    else if (flag == "--workers") a.workers = int(parse_integer(flag, v));
    else if (flag == "--coded-queries") a.coded_queries = int(parse_integer(flag, v));
    else if (flag == "--replicas") a.replicas = int(parse_integer(flag, v));
    else if (flag == "--stragglers") a.stragglers = int(parse_integer(flag, v));
    else if (flag == "--lambda-enc") a.lambda_enc = parse_real(flag, v);
    else if (flag == "--lambda-dec") a.lambda_dec = parse_real(flag, v);
    else if (flag == "--queries") a.queries = parse_integer(flag, v);
    else if (flag == "--rounds") a.rounds = int(parse_integer(flag, v));
    else if (flag == "--rate") a.rate = parse_real(flag, v);
    else if (flag == "--deadline-ms") a.deadline_ms = parse_real(flag, v);
    else if (flag == "--group-timeout-ms") a.group_timeout_ms = parse_real(flag, v);
    else if (flag == "--kill-at") a.kill_at = parse_real(flag, v);
    else if (flag == "--kill-worker") a.kill_worker = int(parse_integer(flag, v));
    else if (flag == "--model") a.model = v;
    else if (flag == "--cache-dir") a.cache_dir = v;
    else if (flag == "--data-dir") a.data_dir = v;
    else if (flag == "--worker-bin") a.worker_bin = v;
    else if (flag == "--seed") a.seed = std::uint64_t(parse_integer(flag, v));
    else throw std::invalid_argument("unknown option " + flag);
  }
  for (const auto& s : a.schemes)
    if (s != "uncoded" && s != "replication" && s != "berrut" && s != "nercc")
      throw std::invalid_argument("--schemes: unknown scheme \"" + s + "\"");
  if (a.workers < 2 || a.workers > 64) throw std::invalid_argument("--workers must lie in [2, 64]");
  if (a.replicas < 1 || a.workers % a.replicas != 0)
    throw std::invalid_argument("--replicas must be >= 1 and divide --workers");
  if (a.coded_queries < 1 || a.coded_queries > a.workers)
    throw std::invalid_argument("--coded-queries must lie in [1, --workers]");
  if (a.stragglers < 0 || a.stragglers > a.workers - a.coded_queries)
    throw std::invalid_argument("--stragglers must lie in [0, workers - coded-queries]");
  if (a.queries < 1 || a.queries > 1000000) throw std::invalid_argument("--queries must lie in [1, 1e6]");
  if (a.rounds < 1 || a.rounds > a.queries) throw std::invalid_argument("--rounds must lie in [1, --queries]");
  if (!(a.rate > 0 && a.rate <= 20000)) throw std::invalid_argument("--rate must lie in (0, 20000]");
  if (!(a.deadline_ms > 0 && a.group_timeout_ms > 0))
    throw std::invalid_argument("--deadline-ms and --group-timeout-ms must be > 0");
  if (a.kill_at >= 1) throw std::invalid_argument("--kill-at must be < 1");
  if (a.kill_worker < 0 || a.kill_worker >= a.workers) throw std::invalid_argument("--kill-worker must lie in [0, workers)");
  model_config(a.model);
  if (a.model == "smoke" && a.cache_dir.empty()) a.cache_dir = a.out + "/cache";
  a.latency.validate();
  return a;
}

}  // namespace nercc_cluster
