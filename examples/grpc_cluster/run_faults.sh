#!/usr/bin/env bash
# The cluster demo's fault run: the front end (nercc_grpc_faults) in a network namespace of its
# own and each LeNet5 worker in another, joined by a veth pair per worker (front 10.231.W.1,
# worker 10.231.W.2), each worker namespace with an empty nftables table for the injected
# partition and packet loss. The namespaces and links are created here and deleted on any exit.
# Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN), ip(8) and nft(8) (scripts/lib/deps.sh).
#
#   examples/grpc_cluster/run_faults.sh [--build-dir DIR | --bin PATH] [--out DIR] [--smoke]
#                                       [--workers N] [-- nercc_grpc_faults OPTIONS]
#
# --build-dir  CMake build tree to build nercc_grpc_faults in (default build/demo)
# --bin        a built nercc_grpc_faults (no build; used by the CTest)
# --out        results (default docs/results/grpc_cluster/faults; with --smoke BUILD/grpc_cluster_faults_smoke)
# --smoke      a few seconds per scenario, 6 workers, the smoke LeNet5
# --workers    worker processes, each in its own namespace (default 12; 6 with --smoke)
# Exit code: that of nercc_grpc_faults (0: no query lost or duplicated), 77 when network
# namespaces or nftables are not available here (the CTest reports a skip), 2 on bad usage.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/demo"
bin=""
out=""
smoke=0
workers=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --workers) workers="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run_faults.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -z "$workers" ] && { [ "$smoke" = 1 ] && workers=6 || workers=12; }
if [ -z "$out" ]; then
  out="$root/docs/results/grpc_cluster/faults"
  [ "$smoke" = 1 ] && out="$build/grpc_cluster_faults_smoke"
fi

skip() { echo "run_faults.sh: SKIPPED: $*" >&2; exit 77; }
ip_bin="$(command -v ip || true)"
[ -n "$ip_bin" ] || skip "ip(8) not found (Debian package iproute2; scripts/lib/deps.sh installs it)"
command -v nft >/dev/null || skip "nft(8) not found (Debian package nftables; scripts/lib/deps.sh installs it)"
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (run as root, e.g. in the project's container)"

if [ -z "$bin" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNERCC_BUILD_TESTS=OFF -DNERCC_BUILD_BENCHMARKS=OFF
  fi
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target nercc_grpc_faults nercc_grpc_worker ||
    { echo "run_faults.sh: cannot build the fault run (were gRPC and LibTorch found at configure time?)" >&2; exit 1; }
  bin="$build/examples/grpc_cluster/nercc_grpc_faults"
fi

# Names unique to this run, so that runs side by side never meet: nf<pid>fe, nf<pid>w<i>.
tag="nf$$"
fe="${tag}fe"
spaces=()
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  # The workers die with the front end (PR_SET_PDEATHSIG); deleting a namespace deletes its
  # end of the veth pair, which deletes the pair.
  for ns in "${spaces[@]}"; do
    for p in $("$ip_bin" netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    "$ip_bin" netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Namespaces left by a run of this script that was SIGKILLed (its pid is gone): delete them.
for ns in $("$ip_bin" netns list 2>/dev/null | awk '{print $1}' | grep -E '^nf[0-9]+(fe|w[0-9]+)$' || true); do
  owner="${ns#nf}"
  owner="${owner%%[fw]*}"
  kill -0 "$owner" 2>/dev/null || "$ip_bin" netns del "$ns" 2>/dev/null || true
done

"$ip_bin" netns add "$fe" 2>/dev/null || skip "cannot create a network namespace here (ip netns add failed)"
spaces+=("$fe")
"$ip_bin" -n "$fe" link set lo up
netns_list=""
hosts=""
for ((w = 0; w < workers; w++)); do
  ns="${tag}w$w"
  "$ip_bin" netns add "$ns"
  spaces+=("$ns")
  "$ip_bin" -n "$ns" link set lo up
  "$ip_bin" link add "${tag}a$w" netns "$fe" type veth peer name "${tag}b$w" netns "$ns" ||
    skip "cannot create a veth pair here"
  "$ip_bin" -n "$fe" addr add "10.231.$w.1/24" dev "${tag}a$w"
  "$ip_bin" -n "$ns" addr add "10.231.$w.2/24" dev "${tag}b$w"
  "$ip_bin" -n "$fe" link set "${tag}a$w" up
  "$ip_bin" -n "$ns" link set "${tag}b$w" up
  "$ip_bin" netns exec "$ns" nft -f - <<'EOF' || skip "nftables does not work in a network namespace here"
table inet nercc_fault {
  chain input { type filter hook input priority 0; policy accept; }
  chain output { type filter hook output priority 0; policy accept; }
}
EOF
  netns_list+="${netns_list:+,}$ns"
  hosts+="${hosts:+,}10.231.$w.2"
done

args=(--netns "$netns_list" --hosts "$hosts" --ip-bin "$ip_bin" --out "$out")
[ "$smoke" = 1 ] && args=(--smoke "${args[@]}")
[ "$smoke" = 1 ] && [ ! -t 2 ] && args+=(--quiet)
echo "run_faults.sh: $workers workers in namespaces ${tag}w0..; front end in $fe; results in $out" >&2
mkdir -p "$out"
# Bounded below the CTest's 400 s for the smoke run, so that this script still cleans up.
limit=5400
[ "$smoke" = 1 ] && limit=330
"$ip_bin" netns exec "$fe" timeout --kill-after=10 "$limit" "$bin" "${args[@]}" "${extra[@]}" &
pid=$!
code=0
wait "$pid" || code=$?
pid=""
[ -f "$out/queries.csv" ] && gzip -f "$out/queries.csv"
exit "$code"
