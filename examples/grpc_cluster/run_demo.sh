#!/usr/bin/env bash
# The gRPC cluster demo, a sweep of the p99-RelAcc frontier: builds the worker and the front end
# if needed, then, at each redundancy N/K, runs every policy (uncoded, uncoded + deadline +
# fallback, replication, NeRCC, Berrut, and the systematic NeRCC and Berrut with early release,
# the grace rule and the fallback, with and without the reliability gate) on the same N LeNet5
# worker processes on 127.0.0.1, one of them SIGKILLed part-way through every turn, and writes
# table.md, summary.json, rounds.csv, frontier.dat and frontier.png to the output directory.
#
#   examples/grpc_cluster/run_demo.sh [--build-dir DIR] [--out DIR] [--smoke] [--long] [--faults] [-- FRONT-END OPTIONS]
#
# --build-dir  CMake build tree (default build/demo; configured here when it has no cache)
# --out        results (default docs/results/grpc_cluster/frontier; with --smoke,
#              BUILD/grpc_cluster_smoke)
# --smoke      about a minute: smoke LeNet5 trained into OUT/cache, K 2, N/K 1 and 2 (4 workers)
# --long       the long sweep (4 rounds of 3000 queries, T = 5, 8, 15 ms: 85 configurations;
#              about 70 minutes on two cores)
# --faults     the fault run instead (run_faults.sh: workers in network namespaces, frozen,
#              killed, partitioned, lossy, overloaded; needs root); options after -- go to
#              nercc_grpc_faults
# Options after -- go to nercc_grpc_frontend (see its --help). The front end starts and stops
# the workers itself (they die with it); this script stops the front end on exit and bounds
# the run to 30 minutes (3 hours with --long).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/demo"
out=""
smoke=0
faults=0
long=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --long) long=1; shift ;;
    --faults) faults=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run_demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$faults" = 1 ]; then
  args=(--build-dir "$build")
  [ -n "$out" ] && args+=(--out "$out")
  [ "$smoke" = 1 ] && args+=(--smoke)
  exec "$root/examples/grpc_cluster/run_faults.sh" "${args[@]}" -- "${extra[@]}"
fi
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out="$build/grpc_cluster_smoke"; else out="$root/docs/results/grpc_cluster/frontier"; fi
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNERCC_BUILD_TESTS=OFF -DNERCC_BUILD_BENCHMARKS=OFF
fi
if ! cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target nercc_grpc_frontend nercc_grpc_worker; then
  echo "run_demo.sh: cannot build the demo (were gRPC and LibTorch found at configure time?)" >&2
  exit 1
fi
frontend="$build/examples/grpc_cluster/nercc_grpc_frontend"

pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

args=()
bound=1800
[ "$smoke" = 1 ] && args+=(--smoke)
if [ "$long" = 1 ]; then args+=(--long); bound=10800; fi
args+=(--out "$out")
timeout --kill-after=10 "$bound" "$frontend" "${args[@]}" "${extra[@]}" &
pid=$!
wait "$pid"
pid=""

if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$out'" "$root/examples/grpc_cluster/frontier.gp"
  echo "frontier plot: $out/frontier.png"
else
  echo "run_demo.sh: gnuplot not found; no frontier.png" >&2
fi
