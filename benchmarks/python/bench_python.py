#!/usr/bin/env python3
"""nercc from Python, in one run (float32, spline code):

1. call overhead: the Python encode/decode call against the C++ call (nercc_bench's BM_Encode
   and BM_Decode, cached answered set, at (N, K, d) = (20, 10, 784));
2. against the NumPy/SciPy reference of benchmarks/compare_reference.py (its shapes, its
   reference code): encode, and decode of a never-seen answered set;
3. 4 Python threads against 1, decoding different answered sets (the GIL is released during
   decode), at the small and middle shapes.

Times are medians of --repetitions samples (spread: min-max); ratios come from the same run.
Usage: bench_python.py --bench BUILD/benchmarks/nercc_bench [--repetitions 9]
(run with PYTHONPATH=BUILD/python and Debian's /usr/bin/python3)
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare_reference as ref  # noqa: E402  (the NumPy/SciPy reference, its shapes and timer)

import nercc  # noqa: E402

SMALL = (20, 10, 784)


def cpp_times(bench, repetitions):
    """Median real time (s) of nercc_bench's encode and cached decode at the small shape
    (compare_reference.nercc_times runs the new-set decodes instead)."""
    n, k, d = SMALL
    out = subprocess.run(
        [bench, f"--benchmark_filter=BM_(Encode|Decode)/N:{n}/K:{k}/d:{d}/threads:1",
         f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
         "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    return {b["run_name"]: b["real_time"] * scale[b["time_unit"]]
            for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}


def per_call(fn, repetitions, sample_seconds=0.05):
    """Median and (min, max) seconds per call over `repetitions` samples of about
    `sample_seconds` each (the calls per sample are set from a first timed call)."""
    t0 = time.perf_counter()
    fn()
    calls = max(1, int(sample_seconds / max(time.perf_counter() - t0, 1e-7)))
    samples = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls)
    return float(np.median(samples)), min(samples), max(samples)


def overhead(cpp, repetitions):
    n, k, d = SMALL
    p = nercc.CodeParams(num_queries=k, num_workers=n)
    enc, dec = nercc.Encoder("spline", p, np.float32), nercc.Decoder("spline", p, np.float32)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((k, d)).astype(np.float32)
    out = np.empty((n, d), np.float32)
    f = ref.answered(n, k)
    ids = np.sort(rng.choice(n, f, replace=False))
    y = rng.standard_normal((f, d)).astype(np.float32)
    dec.decode(ids, y)  # cache the answered set, as BM_Decode does
    rows = [
        ("encode (new array)", lambda: enc.encode(x), cpp[f"BM_Encode/N:{n}/K:{k}/d:{d}/threads:1/real_time"]),
        ("encode (out=)", lambda: enc.encode(x, out=out), cpp[f"BM_Encode/N:{n}/K:{k}/d:{d}/threads:1/real_time"]),
        ("decode (cached set, ids array)", lambda: dec.decode(ids, y),
         cpp[f"BM_Decode/N:{n}/K:{k}/d:{d}/threads:1/real_time"]),
    ]
    ids_list = ids.tolist()
    rows.append(("decode (cached set, ids list)", lambda: dec.decode(ids_list, y), rows[-1][2]))
    # d = 1: the kernels do next to nothing, so the time is the binding's own cost per call.
    x1, y1, out1 = x[:, :1].copy(), y[:, :1].copy(), out[:, :1].copy()
    dec.decode(ids, y1)
    rows += [("encode d=1 (out=): the call alone", lambda: enc.encode(x1, out=out1), None),
             ("decode d=1 (cached): the call alone", lambda: dec.decode(ids, y1), None)]
    print(f"1. call overhead at (N, K, d) = {SMALL}, float32")
    print(f"{'call':36s} {'Python':>10s} {'(min-max)':>17s} {'C++':>9s} {'overhead':>9s}")
    for name, fn, cpp_s in rows:
        med, lo, hi = per_call(fn, repetitions)
        cpp = f"{cpp_s * 1e6:7.2f}us {(med - cpp_s) * 1e6:7.2f}us" if cpp_s is not None else f"{'-':>9s} {'-':>9s}"
        print(f"{name:36s} {med * 1e6:8.2f}us ({lo * 1e6:6.2f}-{hi * 1e6:6.2f}us) {cpp}")


def against_reference(repetitions):
    print("\n2. nercc from Python against the NumPy/SciPy reference (compare_reference.py), float32")
    print(f"{'what':40s} {'NumPy/SciPy':>12s} {'nercc (Py)':>12s} {'speed-up':>9s}")
    rng = np.random.default_rng(2)
    for n, k, d in ref.SHAPES:
        alpha, beta = ref.chebyshev_first_kind(k), ref.chebyshev_second_kind(n)
        x = rng.standard_normal((k, d)).astype(np.float32)
        e = ref.fit_matrix("spline", alpha, beta, 0.0).astype(np.float32)
        enc = nercc.Encoder("spline", nercc.CodeParams(num_queries=k, num_workers=n), np.float32)
        t_ref = ref.median_seconds(lambda: e @ x)
        t_py = per_call(lambda: enc.encode(x), repetitions)[0]
        print(f"{'encode N=%d K=%d d=%d' % (n, k, d):40s} {t_ref * 1e6:10.1f}us {t_py * 1e6:10.1f}us "
              f"{t_ref / t_py:8.1f}x")
        f = ref.answered(n, k)
        ids = np.sort(rng.choice(n, f, replace=False))
        y = rng.standard_normal((f, d)).astype(np.float32)
        for scheme in ("spline", "berrut"):
            p = nercc.CodeParams(num_queries=k, num_workers=n, lambda_dec=ref.LAMBDA_DEC, decoder_cache_capacity=0)
            dec = nercc.Decoder(scheme, p, np.float32)  # no cache: every call is a never-seen set
            t_ref = ref.median_seconds(
                lambda: ref.fit_matrix(scheme, beta[ids], alpha, ref.LAMBDA_DEC).astype(np.float32) @ y)
            t_py = per_call(lambda: dec.decode(ids, y), repetitions)[0]
            label = "new-set decode %s N=%d K=%d d=%d" % (scheme, n, k, d)
            print(f"{label:40s} {t_ref * 1e6:10.1f}us {t_py * 1e6:10.1f}us {t_ref / t_py:8.1f}x")


def pool_throughput(repetitions, jobs=400):
    print("\n3. decoding different answered sets (no cache), 4 Python threads against 1")
    print(f"{'shape (N, K, d)':24s} {'1 thread':>12s} {'4 threads':>12s} {'ratio':>7s} {'(min-max)':>13s}")
    for n, k, d in (SMALL, ref.SHAPES[1]):
        p = nercc.CodeParams(num_queries=k, num_workers=n, lambda_dec=ref.LAMBDA_DEC, decoder_cache_capacity=0)
        dec = nercc.Decoder("spline", p, np.float32)
        rng = np.random.default_rng(3)
        f = ref.answered(n, k)
        work = [(np.sort(rng.choice(n, f, replace=False)), rng.standard_normal((f, d)).astype(np.float32))
                for _ in range(jobs)]

        t0 = time.perf_counter()
        for job in work[:50]:
            dec.decode(*job)
        rounds = max(1, int(0.2 / ((time.perf_counter() - t0) / 50 * jobs)))  # about 0.2 s per 1-thread run

        def run(threads):
            # Each thread decodes its share in a loop (one task per thread, so the executor's
            # per-task cost does not stand in for the binding's).
            shares = [work[i::threads] * rounds for i in range(threads)]
            with ThreadPoolExecutor(max_workers=threads) as pool:
                t0 = time.perf_counter()
                list(pool.map(lambda share: [dec.decode(*job) for job in share], shares))
                return jobs * rounds / (time.perf_counter() - t0)

        one, four = [], []
        for _ in range(repetitions):  # interleaved, so that load changes hit both
            one.append(run(1))
            four.append(run(4))
        ratios = np.array(four) / np.array(one)
        print(f"{str((n, k, d)):24s} {np.median(one):9.0f}/s {np.median(four):9.0f}/s {np.median(ratios):6.2f}x "
              f"({ratios.min():.2f}-{ratios.max():.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of nercc_bench (for the C++ call times)")
    ap.add_argument("--repetitions", type=int, default=9)
    args = ap.parse_args()
    overhead(cpp_times(args.bench, args.repetitions), args.repetitions)
    against_reference(args.repetitions)
    pool_throughput(args.repetitions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
