#!/usr/bin/python3
"""Golden reference fixtures for nercc (smoothing spline and Berrut interpolant).

Run:  /usr/bin/python3 scripts/make_fixtures.py      (needs numpy + scipy >= 1.10 only;
      about 15 minutes, most of it the exact n = 400 cases)
Writes tests/fixtures/spline_cases.txt and tests/fixtures/berrut_cases.txt.

These numbers are the independent reference for the C++ tests: nothing here comes from the
C++ side. Two references for the smoothing spline
  min_g sum_i w_i (y_i - g(t_i))^2 + lam * int g''^2     (sum convention, as SciPy)
  * exact:  the Reinsch system solved in exact rational arithmetic (fractions.Fraction) on the
            double inputs taken as exact rationals, result rounded once to the nearest double;
  * scipy:  scipy.interpolate.make_smoothing_spline, with LINEAR extrapolation outside the
            sites (the natural spline is linear there; BSpline would continue the end cubic).
The Berrut interpolant is exact rational arithmetic only.

SciPy 1.10 facts (checked by hand, re-checked at run time in check_scipy_limits):
  * smallest n accepted is 5; n = 1 raises "Length t is not enough for k=3", n = 2..4 raise an
    unrelated "setting an array element with a sequence" ValueError. So n < 5 is exact-only.
  * x must be strictly ascending (we sort; sites in the fixtures stay unsorted).
  * lam = 0 is accepted and gives the natural interpolating cubic spline; lam=None means GCV
    (never used here).
  * SciPy solves (X + lam W^-1 E) c = y unscaled, so for huge lam (1e6, 1e9) the X part drowns
    in rounding of lam*E and it loses digits; the exact values stay the expected ones.
"""
import bisect
import os
import sys
from fractions import Fraction as Fr

import numpy as np
import scipy
from scipy.interpolate import make_smoothing_spline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures")
SEED = 20240607
EXACT_MAX_N = 400

# Agreement asserted between SciPy and the exact reference, relative to max |expected| of the
# case, per lambda range (SciPy's error grows with lam / min spacing^3; measured worst is about
# 10x below each bound). lam = 1e9 is only reported (see docstring).
SCIPY_TOL = [(0.0, 1e-13), (1e-2, 2e-10), (1.0, 1e-8), (1e3, 3e-5), (1e6, 5e-4)]


def scipy_tol(lam):
    for bound, tol in SCIPY_TOL:
        if lam <= bound:
            return tol
    return None


# ----------------------------------------------------------------------------- exact spline
def exact_spline(sites, values, weights, lam, points):
    """Exact natural smoothing spline; returns p x d list of doubles (correctly rounded)."""
    n, d = len(sites), len(values[0])
    order = sorted(range(n), key=lambda i: sites[i])
    t = [Fr(sites[i]) for i in order]
    y = [[Fr(v) for v in values[i]] for i in order]
    w = [Fr(weights[i]) if weights is not None else Fr(1) for i in order]
    z_all = [Fr(z) for z in points]
    if n == 1:   # any line through the point has zero cost; the constant is the convention
        return [[float(y[0][c]) for c in range(d)] for _ in z_all]
    if n == 2:   # the line through both points interpolates at zero penalty
        return [[float(y[0][c] + (z - t[0]) * (y[1][c] - y[0][c]) / (t[1] - t[0]))
                 for c in range(d)] for z in z_all]
    L = Fr(lam)
    h = [t[i + 1] - t[i] for i in range(n - 1)]
    m = n - 2
    # Q column j (interior knot j+1, 0-based knots): rows j, j+1, j+2
    qcol = [((j, 1 / h[j]), (j + 1, -1 / h[j] - 1 / h[j + 1]), (j + 2, 1 / h[j + 1]))
            for j in range(m)]
    A = [[Fr(0)] * m for _ in range(m)]
    for j in range(m):
        A[j][j] += (h[j] + h[j + 1]) / 3
        if j + 1 < m:
            A[j][j + 1] += h[j + 1] / 6
            A[j + 1][j] += h[j + 1] / 6
    if L != 0:
        for j in range(m):
            for k in range(max(0, j - 2), min(m, j + 3)):
                s = Fr(0)
                for r, qa in qcol[j]:
                    for r2, qb in qcol[k]:
                        if r == r2:
                            s += qa * qb / w[r]
                A[j][k] += L * s
    rhs = [[sum(q * y[r][c] for r, q in qcol[j]) for c in range(d)] for j in range(m)]
    # banded Gaussian elimination (SPD, no pivoting needed), half-bandwidth 2
    for k in range(m):
        for i in range(k + 1, min(m, k + 3)):
            f = A[i][k] / A[k][k]
            if f == 0:
                continue
            for jj in range(k, min(m, k + 3)):
                A[i][jj] -= f * A[k][jj]
            for c in range(d):
                rhs[i][c] -= f * rhs[k][c]
    gam = [[Fr(0)] * d for _ in range(m)]
    for k in range(m - 1, -1, -1):
        for c in range(d):
            s = rhs[k][c]
            for jj in range(k + 1, min(m, k + 3)):
                s -= A[k][jj] * gam[jj][c]
            gam[k][c] = s / A[k][k]
    G = [[Fr(0)] * d] + gam + [[Fr(0)] * d]   # g'' at all knots, natural ends
    g = [row[:] for row in y]
    if L != 0:
        for j in range(m):
            for r, q in qcol[j]:
                for c in range(d):
                    g[r][c] -= L * q * gam[j][c] / w[r]
    s0 = [(g[1][c] - g[0][c]) / h[0] - h[0] * G[1][c] / 6 for c in range(d)]
    s1 = [(g[-1][c] - g[-2][c]) / h[-1] + h[-1] * G[-2][c] / 6 for c in range(d)]
    out = []
    for z in z_all:
        if z <= t[0]:
            row = [g[0][c] + (z - t[0]) * s0[c] for c in range(d)]
        elif z >= t[-1]:
            row = [g[-1][c] + (z - t[-1]) * s1[c] for c in range(d)]
        else:
            i = bisect.bisect_right(t, z) - 1
            a, b, hh = z - t[i], t[i + 1] - z, h[i]
            row = [(a * g[i + 1][c] + b * g[i][c]) / hh
                   - (a * b / 6) * ((1 + a / hh) * G[i + 1][c] + (1 + b / hh) * G[i][c])
                   for c in range(d)]
        out.append([float(v) for v in row])   # Fraction -> float is correctly rounded
    return out


def sanity_check_exact(sites, values, weights, lam, points, ex):
    """Cheap independent checks of the exact path: interpolation at lam=0, LS line at lam=1e9."""
    pos = {float(v): i for i, v in enumerate(sites)}
    if lam == 0 or len(sites) <= 2:
        for k, z in enumerate(points):
            if float(z) in pos:
                assert np.array_equal(ex[k], values[pos[float(z)]]), "lam=0 must interpolate"
    if lam >= 1e9 and len(sites) >= 3:
        # smoothing spline -> weighted least-squares line as lam -> inf, O(1/lam) away
        sw = np.ones(len(sites)) if weights is None else np.asarray(weights)
        A = np.stack([np.ones(len(sites)), sites], 1) * np.sqrt(sw)[:, None]
        coef = np.linalg.lstsq(A, values * np.sqrt(sw)[:, None], rcond=None)[0]
        line = np.stack([np.ones(len(points)), points], 1) @ coef
        assert np.max(np.abs(line - ex)) <= 1e-5 * np.max(np.abs(ex)), "lam=1e9 must be ~LS line"


# ----------------------------------------------------------------------------- scipy spline
def scipy_spline(sites, values, weights, lam, points):
    sites = np.asarray(sites, float)
    values = np.asarray(values, float)
    order = np.argsort(sites)
    xs, ys = sites[order], values[order]
    ws = None if weights is None else np.asarray(weights, float)[order]
    z = np.asarray(points, float)
    out = np.empty((len(z), ys.shape[1]))
    lo, hi = xs[0], xs[-1]
    for c in range(ys.shape[1]):
        spl = make_smoothing_spline(xs, ys[:, c], w=ws, lam=lam)
        v = spl(np.clip(z, lo, hi))
        d0, d1 = spl(lo, nu=1), spl(hi, nu=1)
        v = np.where(z < lo, spl(lo) + (z - lo) * d0, v)
        v = np.where(z > hi, spl(hi) + (z - hi) * d1, v)
        out[:, c] = v
    return out


def check_scipy_limits():
    x = np.linspace(0.0, 1.0, 8)
    for n in range(1, 5):
        try:
            make_smoothing_spline(x[:n], x[:n] ** 2, lam=1.0)
            raise SystemExit("scipy now accepts n=%d: update the header" % n)
        except ValueError:
            pass
    s = make_smoothing_spline(x[:5], np.sin(x[:5]), lam=0.0)
    assert np.allclose(s(x[:5]), np.sin(x[:5]), rtol=0, atol=1e-13)


# ----------------------------------------------------------------------------- exact Berrut
def exact_berrut(sites, values, points):
    n, d = len(sites), len(values[0])
    order = sorted(range(n), key=lambda i: sites[i])
    t = [Fr(sites[i]) for i in order]
    y = [[Fr(v) for v in values[i]] for i in order]
    out = []
    for zf in points:
        z = Fr(zf)
        hit = [i for i in range(n) if t[i] == z]
        if hit:
            out.append([float(v) for v in y[hit[0]]])
            continue
        num = [Fr(0)] * d
        den = Fr(0)
        for i in range(n):
            wgt = (1 if i % 2 == 0 else -1) / (z - t[i])   # sign from the RANK i
            den += wgt
            for c in range(d):
                num[c] += wgt * y[i][c]
        out.append([float(num[c] / den) for c in range(d)])
    return out


# ----------------------------------------------------------------------------- case data
rng = np.random.default_rng(SEED)


def distinct_sites(n, lo, hi):
    while True:
        s = rng.uniform(lo, hi, n)
        if len(np.unique(s)) == n:
            return s   # unsorted on purpose


def make_points(sites, n_at=12, n_in=14):
    s = np.sort(np.asarray(sites, float))
    lo, hi = s[0], s[-1]
    span = hi - lo if hi > lo else 1.0
    at = s if len(s) <= n_at else rng.choice(s, n_at, replace=False)
    inside = rng.uniform(lo, hi, n_in) if hi > lo else lo + span * rng.uniform(-0.5, 0.5, 4)
    out = [lo - span * f for f in (0.01, 0.3, 2.0)] + [hi + span * f for f in (0.01, 0.3, 2.0)]
    pts = np.concatenate([at, inside, out])
    rng.shuffle(pts)
    return pts


def make_values(sites, d, scale=1.0):
    s = np.asarray(sites, float) / (np.max(np.abs(sites)) or 1.0)
    cols = [np.sin(3 * s + c) + 0.3 * rng.standard_normal(len(s)) for c in range(d)]
    return scale * np.stack(cols, axis=1)


def cheb1(K):
    return np.cos((2 * np.arange(1, K + 1) - 1) * np.pi / (2 * K))


def cheb2(N):
    return np.cos(np.arange(N) * np.pi / (N - 1))


def coding_configs():
    """(name, sites, points): encoder K=10 -> N=20, 60; decoder 16 of 20 -> K=10."""
    a = cheb1(10)
    b = cheb2(20)
    keep = np.sort(rng.choice(20, 16, replace=False))   # worker-index order: beta descending
    return [("enc_K10_N20", a, cheb2(20)),
            ("enc_K10_N60", a, cheb2(60)),
            ("dec_N20F16_K10", b[keep], a)]


# ----------------------------------------------------------------------------- output
def fmt(a):
    return " ".join("%.17g" % float(v) for v in np.ravel(a))


def write_case(f, name, sites, weights, values, points, lam, ref, expected, extra=None):
    values = np.asarray(values, float)
    n, d = values.shape
    f.write("case %s n=%d d=%d p=%d lambda=%.17g weighted=%d reference=%s\n"
            % (name, n, d, len(points), lam, 0 if weights is None else 1, ref))
    f.write("sites %s\n" % fmt(sites))
    if weights is not None:
        f.write("weights %s\n" % fmt(weights))
    f.write("values %s\n" % fmt(values))
    f.write("points %s\n" % fmt(points))
    f.write("expected %s\n" % fmt(expected))
    if extra is not None:
        f.write("scipy %s\n" % fmt(extra))
    f.write("end\n")


def header():
    return ("# generated by scripts/make_fixtures.py (numpy %s, scipy %s) -- do not edit\n"
            % (np.__version__, scipy.__version__))


def spline_cases():
    cases = []   # (family, name, sites, weights, values, points, lam)
    lams = [0.0, 1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e6, 1e9]
    for n in [1, 2, 3, 4, 5, 7, 12, 25, 40]:
        for d in [1, 3]:
            for lam in lams:
                s = distinct_sites(n, -1.0, 1.0)
                cases.append(("random", "rand_n%d_d%d_lam%g" % (n, d, lam), s, None,
                              make_values(s, d), make_points(s), lam))
    for n in [3, 5, 12, 40]:
        for lam in [0.0, 1e-3, 1.0, 1e3]:
            s = distinct_sites(n, -1.0, 1.0)
            w = rng.uniform(0.5, 2.0, n)
            cases.append(("weighted", "wtd_n%d_d2_lam%g" % (n, lam), s, w,
                          make_values(s, 2), make_points(s), lam))
    for n in [2, 7, 25]:
        for lam in [0.0, 1.0, 1e3, 1e6]:
            s = distinct_sites(n, -50.0, 80.0)
            w = rng.uniform(0.5, 2.0, n) if n == 25 else None
            cases.append(("wide", "wide_n%d_d2_lam%g%s" % (n, lam, "_w" if w is not None else ""),
                          s, w, make_values(s, 2, 40.0), make_points(s), lam))
    for cname, s, pts in coding_configs():
        for lam in [0.0, 1e-4, 1e-2, 1.0]:
            cases.append(("coding", "coding_%s_lam%g" % (cname, lam), s, None,
                          np.eye(len(s)), pts, lam))
    for n in [200, 400]:
        for lam in [0.0, 1e-3, 1.0]:
            s = distinct_sites(n, -1.0, 1.0)
            cases.append(("large", "large_n%d_d2_lam%g" % (n, lam), s, None,
                          make_values(s, 2), make_points(s), lam))
    return cases


def main():
    check_scipy_limits()
    os.makedirs(OUT, exist_ok=True)
    worst = {}        # family -> (rel err, case)
    worst_lam = {}    # lam -> rel err
    counts = {"exact": 0, "scipy": 0}
    failures = []
    with open(os.path.join(OUT, "spline_cases.txt"), "w") as f:
        f.write(header())
        f.write("# smoothing spline, sum convention: sum w (y-g)^2 + lambda int g''^2; linear"
                " outside the sites\n")
        for fam, name, s, w, vals, pts, lam in spline_cases():
            n = len(s)
            sp = scipy_spline(s, vals, w, lam, pts) if n >= 5 else None
            if n <= EXACT_MAX_N:
                ex = np.array(exact_spline(list(s), vals.tolist(),
                                           None if w is None else list(w), lam, list(pts)))
                counts["exact"] += 1
                sanity_check_exact(s, vals, w, lam, pts, ex)
                if sp is not None:
                    rel = np.max(np.abs(sp - ex)) / max(np.max(np.abs(ex)), 1e-300)
                    key = (fam, "lam<=1" if lam <= 1 else "lam<=1e6" if lam <= 1e6 else "lam=1e9")
                    if rel > worst.get(key, (-1.0, ""))[0]:
                        worst[key] = (rel, name)
                    worst_lam[lam] = max(worst_lam.get(lam, 0.0), rel)
                    tol = scipy_tol(lam)
                    # SciPy's error also grows with n: its bounds are asserted on n <= 40 only.
                    if tol is not None and rel > tol and fam != "large":
                        failures.append("%s: scipy vs exact rel %.3g > %.0e" % (name, rel, tol))
                write_case(f, name, s, w, vals, pts, lam, "exact", ex, sp)
            else:
                counts["scipy"] += 1
                write_case(f, name, s, w, vals, pts, lam, "scipy", sp)
    print("spline cases: %d exact (+scipy where n>=5), %d scipy-only" %
          (counts["exact"], counts["scipy"]))
    print("largest |scipy - exact| / max|exact| per family:")
    for (fam, cls), (rel, name) in sorted(worst.items()):
        print("  %-9s %-9s %.3g  (%s)" % (fam, cls, rel, name))
    print("per lambda (all families):")
    for lam in sorted(worst_lam):
        tol = scipy_tol(lam)
        print("  lam=%-6g %.3g %s" % (lam, worst_lam[lam],
                                      "(asserted <= %g)" % tol if tol else
                                      "(NOT asserted: scipy inaccurate here, exact kept)"))

    nb = 0
    with open(os.path.join(OUT, "berrut_cases.txt"), "w") as f:
        f.write(header())
        f.write("# Berrut rational interpolant, sign (-1)^rank of the site; r(t_i) = y_i\n")
        for n in [1, 2, 3, 5, 10, 16, 40]:
            for d in [1, 2]:
                s = distinct_sites(n, -1.0, 1.0)
                vals = make_values(s, d)
                pts = make_points(s)
                write_case(f, "berrut_n%d_d%d" % (n, d), s, None, vals, pts, 0.0, "exact",
                           exact_berrut(list(s), vals.tolist(), list(pts)))
                nb += 1
        for cname, s, pts in coding_configs():
            vals = np.eye(len(s))
            write_case(f, "berrut_coding_%s" % cname, s, None, vals, pts, 0.0, "exact",
                       exact_berrut(list(s), vals.tolist(), list(pts)))
            nb += 1
    print("berrut cases: %d" % nb)
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
