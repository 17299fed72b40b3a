#!/usr/bin/env python3
"""nercc against the NumPy/SciPy way of the field's published code, in one run.

The reference encodes as coded = E @ X (E prebuilt: the strictest comparison for nercc) and
decodes a never-seen answered set by building D_F (Berrut weights with NumPy; the spline
operator from one scipy.interpolate.make_smoothing_spline fit per answered worker, the fits
being linear in the data) and then D_F @ Y, all in float32 like nercc_bench. It checks that
both give the same numbers (float64, through nercc_reference_io), then times both on the same
shapes (nercc from nercc_bench's JSON, median of repetitions) and prints the speed ratios.

Optional: needs only Debian's python3-numpy and python3-scipy; never needed to build or test.
Usage: compare_reference.py --bench BUILD/benchmarks/nercc_bench --io BUILD/benchmarks/nercc_reference_io
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.interpolate import make_smoothing_spline

SHAPES = [(20, 10, 784), (60, 10, 3072), (24, 16, 150528)]  # (N, K, d), as in bench_codes.cpp
LAMBDA_DEC = 1e-3  # BM_DecodeNew's


def chebyshev_first_kind(n):
    return np.cos((2.0 * np.arange(1, n + 1) - 1.0) * np.pi / (2.0 * n))


def chebyshev_second_kind(n):
    p = np.cos(np.arange(n) * np.pi / (n - 1))
    p[n - n // 2:] = -p[: n // 2][::-1]  # symmetric about 0, as nercc makes it
    if n % 2:
        p[n // 2] = 0.0
    return p


def answered(n, k):
    return max(k, n - n // 10)  # a tenth of the workers straggle, as in the benchmarks


def berrut_matrix(sites, points):
    """Berrut's interpolant as a matrix: NumPy weights (-1)^rank / (z - t), normalised."""
    order = np.argsort(sites)
    t = sites[order]
    sign = (-1.0) ** np.arange(t.size)
    diff = points[:, None] - t[None, :]
    on_site = diff == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        w = sign / diff
    w /= w.sum(axis=1, keepdims=True)
    hit = on_site.any(axis=1)
    w[hit] = on_site[hit]
    m = np.empty_like(w)
    m[:, order] = w
    return m


def spline_matrix(sites, points, lam):
    """The smoothing spline as a matrix: one make_smoothing_spline fit per site (unit data).
    Beyond the sites the natural spline continues as a line, as nercc's does."""
    order = np.argsort(sites)
    t = sites[order]
    lo, hi = t[0], t[-1]
    inside = np.clip(points, lo, hi)
    m = np.empty((points.size, sites.size))
    for j in range(sites.size):
        e = np.zeros(sites.size)
        e[j] = 1.0
        spl = make_smoothing_spline(t, e, lam=lam)
        slope = spl.derivative()(inside)
        m[:, order[j]] = spl(inside) + slope * (points - inside)
    return m


def fit_matrix(scheme, sites, points, lam):
    return spline_matrix(sites, points, lam) if scheme == "spline" else berrut_matrix(sites, points)


def median_seconds(fn, min_time=0.5, min_runs=3):
    runs = []
    start = time.perf_counter()
    while len(runs) < min_runs or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return float(np.median(runs))


def check_equal(io, scheme, n, k, d, rng):
    """nercc (float64) and the reference give the same coded queries and estimates."""
    lam_enc, lam_dec = 1e-4, LAMBDA_DEC
    alpha, beta = chebyshev_first_kind(k), chebyshev_second_kind(n)
    x = rng.standard_normal((k, d))
    # Keep both end workers so the decoder's points stay inside the answered sites.
    ids = np.concatenate(([0, n - 1], rng.choice(np.arange(1, n - 1), answered(n, k) - 2, replace=False)))
    rng.shuffle(ids)
    y = rng.standard_normal((ids.size, 7))
    with tempfile.TemporaryDirectory() as tmp:
        x.tofile(os.path.join(tmp, "x.bin"))
        ids.astype(np.int64).tofile(os.path.join(tmp, "ids.bin"))
        y.tofile(os.path.join(tmp, "y.bin"))
        subprocess.run([io, scheme, str(n), str(k), repr(lam_enc), repr(lam_dec), str(d), tmp], check=True)
        coded = np.fromfile(os.path.join(tmp, "coded.bin")).reshape(n, d)
        decoded = np.fromfile(os.path.join(tmp, "decoded.bin")).reshape(k, 7)
    ref_coded = fit_matrix(scheme, alpha, beta, lam_enc) @ x
    ref_decoded = fit_matrix(scheme, beta[ids], alpha, lam_dec) @ y
    err = max(np.abs(coded - ref_coded).max() / np.abs(ref_coded).max(),
              np.abs(decoded - ref_decoded).max() / np.abs(ref_decoded).max())
    return err


def nercc_times(bench, repetitions):
    """Median real time (s) of each benchmark nercc_bench runs for the comparison."""
    out = subprocess.run(
        [bench, "--benchmark_filter=BM_Encode/.*threads:1|BM_DecodeNew|BM_Memcpy",
         f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            times[b["run_name"]] = b["real_time"] * scale[b["time_unit"]]
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of nercc_bench")
    ap.add_argument("--io", required=True, help="path of nercc_reference_io")
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(1)

    worst = 0.0
    for scheme in ("spline", "berrut"):
        for n, k, d in SHAPES:
            err = check_equal(args.io, scheme, n, k, min(d, 3072), rng)
            worst = max(worst, err)
            print(f"same numbers  {scheme:6s} N={n:3d} K={k:2d}: max relative difference {err:.1e}")
    if worst > 1e-8:
        print("FAIL: nercc and the NumPy/SciPy reference disagree")
        return 1

    times = nercc_times(args.bench, args.repetitions)
    print(f"\n{'what':34s} {'NumPy/SciPy':>12s} {'nercc':>12s} {'speed-up':>9s}")
    for n, k, d in SHAPES:
        alpha, beta = chebyshev_first_kind(k), chebyshev_second_kind(n)
        x = rng.standard_normal((k, d)).astype(np.float32)
        e = fit_matrix("spline", alpha, beta, 0.0).astype(np.float32)
        ref = median_seconds(lambda: e @ x)
        ours = times[f"BM_Encode/N:{n}/K:{k}/d:{d}/threads:1/real_time"]
        print(f"{'encode N=%d K=%d d=%d' % (n, k, d):34s} {ref * 1e6:10.1f}us {ours * 1e6:10.1f}us {ref / ours:8.1f}x")
        f = answered(n, k)
        ids = np.sort(rng.choice(n, f, replace=False))
        y = rng.standard_normal((f, d)).astype(np.float32)
        for scheme in ("spline", "berrut"):
            ref = median_seconds(lambda: fit_matrix(scheme, beta[ids], alpha, LAMBDA_DEC).astype(np.float32) @ y)
            ours = times[f"BM_DecodeNew<nercc::{scheme.capitalize()}Scheme>/N:{n}/K:{k}/d:{d}/real_time"]
            label = "new-set decode %s N=%d K=%d d=%d" % (scheme, n, k, d)
            print(f"{label:34s} {ref * 1e6:10.1f}us {ours * 1e6:10.1f}us {ref / ours:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
