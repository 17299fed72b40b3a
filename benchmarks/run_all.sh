#!/usr/bin/env bash
# The one command for nercc's performance figures: builds nercc_bench (Release, portable flags),
# runs every benchmark with repetitions (medians), then the NumPy/SciPy comparison.
#   benchmarks/run_all.sh [BUILD_DIR]          (default: build/perf)
# Environment: REPETITIONS (default 5); NATIVE=1 also builds BUILD_DIR-native with
# -march=native and runs the encode/decode benchmarks there (figures for this CPU only).
# Encode/decode run twice: with the kernel dispatched for this CPU, then with
# NERCC_DISABLE_SIMD_DISPATCH=1 (the portable kernel); BM_CombineRows compares both kernels directly.
# Results go to BUILD_DIR/results/ as JSON and console text.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/perf}"
reps="${REPETITIONS:-5}"
jobs="${JOBS:-2}"

configure_and_build() {  # dir, extra cmake arguments...
  local dir="$1"
  shift
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DNERCC_BUILD_TESTS=OFF -DNERCC_BUILD_EXAMPLES=OFF \
    -DNERCC_BUILD_BENCHMARKS=ON "$@" > /dev/null
  cmake --build "$dir" --target nercc_bench nercc_reference_io -j "$jobs"
}

run_bench() {  # dir, filter, name
  mkdir -p "$1/results"
  "$1/benchmarks/nercc_bench" --benchmark_filter="$2" --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true --benchmark_out="$1/results/$3.json" \
    --benchmark_out_format=json | tee "$1/results/$3.txt"
}

configure_and_build "$build"
echo "== $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
run_bench "$build" "." bench
echo "== portable kernel (NERCC_DISABLE_SIMD_DISPATCH=1)"
NERCC_DISABLE_SIMD_DISPATCH=1 run_bench "$build" "BM_Encode|BM_Decode/" bench_portable

if [[ "${NATIVE:-0}" == 1 ]]; then
  configure_and_build "$build-native" -DCMAKE_CXX_FLAGS=-march=native
  echo "== -march=native"
  run_bench "$build-native" "BM_Encode|BM_Decode/|BM_DecodeNew|BM_Memcpy" bench_native
fi

echo "== NumPy/SciPy reference"
if /usr/bin/python3 -c "import numpy, scipy" 2> /dev/null; then
  /usr/bin/python3 "$root/benchmarks/compare_reference.py" --bench "$build/benchmarks/nercc_bench" \
    --io "$build/benchmarks/nercc_reference_io" --repetitions "$reps" | tee "$build/results/compare_reference.txt"
else
  echo "python3-numpy/python3-scipy not installed: comparison skipped"
fi
