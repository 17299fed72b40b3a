#!/usr/bin/env bash
# The gRPC cluster demo: builds the worker and the front end if needed, then runs every scheme
# (uncoded, replication, Berrut, NeRCC) against the same number of LeNet5 worker processes on
# 127.0.0.1, one of them SIGKILLed part-way, and writes table.md, summary.json and
# latency_cdf.png to the output directory.
#
#   examples/grpc_cluster/run_demo.sh [--build-dir DIR] [--out DIR] [--smoke] [--faults] [-- FRONT-END OPTIONS]
#
# --build-dir  CMake build tree (default build/demo; configured here when it has no cache)
# --out        results (default docs/results/grpc_cluster; with --smoke, BUILD/grpc_cluster_smoke)
# --smoke      a few seconds: smoke LeNet5 trained into OUT/cache, 4 workers, 120 queries
# --faults     the fault run instead (run_faults.sh: workers in network namespaces, frozen,
#              killed, partitioned, lossy, overloaded; needs root); options after -- go to
#              nercc_grpc_faults
# Options after -- go to nercc_grpc_frontend (see its --help). The front end starts and stops
# the workers itself (they die with it); this script stops the front end on exit and bounds
# the run to 30 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/demo"
out=""
smoke=0
faults=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
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
  if [ "$smoke" = 1 ]; then out="$build/grpc_cluster_smoke"; else out="$root/docs/results/grpc_cluster"; fi
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
[ "$smoke" = 1 ] && args+=(--smoke)
args+=(--out "$out")
timeout --kill-after=10 1800 "$frontend" "${args[@]}" "${extra[@]}" &
pid=$!
wait "$pid"
pid=""

if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$out'" "$root/examples/grpc_cluster/cdf.gp"
  echo "latency CDF: $out/latency_cdf.png"
else
  echo "run_demo.sh: gnuplot not found; no latency_cdf.png" >&2
fi
