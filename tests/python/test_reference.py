"""The binding against an independent NumPy/SciPy reference: Chebyshev points, Berrut's
interpolant, SciPy's smoothing spline (same lambda convention), encode = E @ X, decode = D_F @ Y,
and the exact schemes' semantics."""
import numpy as np
import pytest
from scipy.interpolate import CubicSpline, make_smoothing_spline

import nercc


def cheb1(n):
    return np.cos((2.0 * np.arange(1, n + 1) - 1.0) * np.pi / (2.0 * n))


def cheb2(n):
    return np.cos(np.arange(n) * np.pi / (n - 1))


def berrut(sites, values, points):
    order = np.argsort(sites)
    t, y = sites[order], values[order]
    out = np.empty((points.size,) + y.shape[1:])
    for i, z in enumerate(points):
        hit = np.nonzero(t == z)[0]
        if hit.size:
            out[i] = y[hit[0]]
            continue
        w = (-1.0) ** np.arange(t.size) / (z - t)
        out[i] = np.tensordot(w, y, axes=1) / w.sum()
    return out


def scipy_spline(sites, values, points, lam):
    """SciPy's smoothing spline (sum convention; lam = 0: SciPy's natural interpolating spline),
    continued linearly outside the sites as a natural spline is (SciPy extends the end cubics)."""
    order = np.argsort(sites)
    t = sites[order]
    cols = values.reshape(values.shape[0], -1)[order]
    if lam == 0:
        fits = [CubicSpline(t, cols[:, j], bc_type="natural") for j in range(cols.shape[1])]
    else:
        fits = [make_smoothing_spline(t, cols[:, j], lam=lam) for j in range(cols.shape[1])]
    z = np.clip(points, t[0], t[-1])
    out = np.stack([f(z) + f.derivative()(z) * (points - z) for f in fits], axis=1)
    return out


def test_points():
    for n in (1, 2, 5, 20):
        np.testing.assert_allclose(nercc.chebyshev_first_kind(n), cheb1(n), atol=1e-15)
        np.testing.assert_allclose(nercc.uniform_points(n), np.linspace(-1, 1, n) if n > 1 else [0.0], atol=1e-15)
    for n in (2, 5, 20):
        np.testing.assert_allclose(nercc.chebyshev_second_kind(n), cheb2(n), atol=1e-15)
    q = nercc.chebyshev_first_kind(4)
    w = nercc.clustered_worker_points(q, 10, 0.5)
    assert w.shape == (10,) and np.array_equal(w[:4], q)
    p = nercc.systematic_params(4, 10, 0.5)
    assert np.array_equal(p.worker_points, w)


def test_berrut_interpolant_and_matrix():
    rng = np.random.default_rng(1)
    sites = rng.permutation(cheb2(9))
    values = rng.standard_normal((9, 3))
    points = np.linspace(-1.2, 1.2, 31)
    f = nercc.BerrutInterpolant(sites, values)
    np.testing.assert_allclose(f.evaluate(points), berrut(sites, values, points), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.evaluate(sites), values, rtol=0, atol=1e-15)  # interpolates
    a = nercc.berrut_evaluation_matrix(sites, points)
    np.testing.assert_allclose(a @ values, berrut(sites, values, points), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 1e-4, 1e-1])
def test_smoothing_spline_matches_scipy(lam):
    rng = np.random.default_rng(2)
    sites = rng.permutation(cheb1(12))
    values = rng.standard_normal((12, 2, 2))
    points = np.linspace(-0.99, 0.99, 25)
    f = nercc.SmoothingSpline(sites, values, lam)
    got = f.evaluate(points)
    assert got.shape == (25, 2, 2) and f.dimension == 4 and f.num_sites == 12
    ref = scipy_spline(sites, values, points, lam).reshape(25, 2, 2)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)
    a = nercc.spline_evaluation_matrix(sites, points, lam)
    np.testing.assert_allclose(a @ values.reshape(12, 4), ref.reshape(25, 4), rtol=1e-7, atol=1e-9)
    f32 = nercc.SmoothingSpline(sites, values.astype(np.float32), lam)
    assert f32.dtype == np.float32 and f32.evaluate(points).dtype == np.float32


def test_least_squares_line_at_infinite_lambda():
    sites = np.linspace(-1, 1, 7)
    values = 2 * sites + 1 + np.array([0.1, -0.1, 0.05, 0, -0.05, 0.1, -0.1])
    slope, intercept = np.polyfit(sites, values, 1)
    got = nercc.SmoothingSpline(sites, values, np.inf).evaluate([-0.5, 0.3])
    np.testing.assert_allclose(got, slope * np.array([-0.5, 0.3]) + intercept, rtol=1e-12)


@pytest.mark.parametrize("scheme", ["spline", "berrut"])
def test_codes_against_numpy(scheme):
    k, n, d = 10, 20, 17
    p = nercc.CodeParams(num_queries=k, num_workers=n, lambda_dec=1e-3 if scheme == "spline" else 0.0)
    enc, dec = nercc.Encoder(scheme, p), nercc.Decoder(scheme, p)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((k, d))
    alpha, beta = cheb1(k), cheb2(n)
    e_ref = berrut(alpha, np.eye(k), beta) if scheme == "berrut" else scipy_spline(alpha, np.eye(k), beta, 0.0)
    np.testing.assert_allclose(enc.encoding_matrix(), e_ref, atol=1e-9)
    np.testing.assert_allclose(enc.encode(x), e_ref @ x, atol=1e-9)
    ids = np.array([0, 2, 3, 5, 6, 7, 9, 11, 12, 13, 15, 17, 18, 19])
    answers = np.tanh(enc.encode(x))[ids]
    if scheme == "berrut":
        d_ref = berrut(beta[ids], np.eye(ids.size), alpha)
    else:
        d_ref = scipy_spline(beta[ids], np.eye(ids.size), alpha, 1e-3)
    np.testing.assert_allclose(dec.decoding_matrix(ids), d_ref, atol=1e-8)
    r = dec.decode(ids, answers)
    np.testing.assert_allclose(r.values, d_ref @ answers, atol=1e-8)
    assert r.ok and all(q == nercc.QueryProvenance.estimated for q in r.provenance)
    assert ((r.reliability > 0) & (r.reliability <= 1)).all()


def test_exact_schemes():
    rng = np.random.default_rng(5)
    y = rng.standard_normal((12, 3))
    dec = nercc.Decoder("replication", nercc.CodeParams(num_queries=4, num_workers=12))
    ids = [5, 1, 8, 2]  # worker w computes query w % 4: query 3 has no answer
    r = dec.decode(ids, y[:4])
    assert r.status == nercc.DecodeStatus.partial
    assert r.available.tolist() == [True, True, True, False]
    np.testing.assert_array_equal(r.values[1], y[0])  # worker 5 (first in the given order) wins over worker 1
    np.testing.assert_array_equal(r.values[0], y[2])
    np.testing.assert_array_equal(r.values[2], y[3])
    assert np.isnan(r.values[3]).all()
    assert r.provenance[3] == nercc.QueryProvenance.unavailable and r.reliability[3] == 0.0
    assert r.provenance[0] == nercc.QueryProvenance.exact and r.reliability[0] == 1.0
    uncoded = nercc.Encoder("uncoded", nercc.CodeParams(num_queries=3, num_workers=3))
    np.testing.assert_array_equal(uncoded.encoding_matrix(), np.eye(3))


def test_systematic_decode_returns_exact_answers():
    p = nercc.systematic_params(4, 8, 0.5)
    enc, dec = nercc.Encoder("berrut", p), nercc.Decoder("berrut", p)
    assert enc.systematic and dec.systematic
    x = np.random.default_rng(6).standard_normal((4, 5))
    coded = enc.encode(x)
    np.testing.assert_array_equal(coded[:4], x)
    ids = [0, 2, 4, 5, 6, 7]
    r = dec.decode(ids, coded[ids] * 2)
    np.testing.assert_array_equal(r.values[[0, 2]], 2 * x[[0, 2]])
    assert [q.name for q in r.provenance] == ["exact", "estimated", "exact", "estimated"]
    assert r.diagnostics.queries_exact == 2 and r.diagnostics.queries_estimated == 2


def test_non_finite_outputs_are_rejected_and_reported():
    p = nercc.CodeParams(num_queries=4, num_workers=8)
    dec = nercc.Decoder("spline", p)
    y = np.ones((6, 2))
    y[1, 0] = np.nan
    r = dec.decode([0, 1, 2, 3, 5, 7], y)
    assert r.rejected_workers.tolist() == [1]
    assert r.diagnostics.answers_rejected_non_finite == 1 and r.diagnostics.answers_used == 5
    np.testing.assert_allclose(r.values, 1.0, atol=1e-12)
    y[:3] = np.inf
    assert dec.decode([0, 1, 2, 3, 5, 7], y).status == nercc.DecodeStatus.insufficient_answers


def test_ordering_round_trip():
    p = nercc.CodeParams(num_queries=6, num_workers=12, ordering=nercc.OrderingMethod.greedy_two_opt)
    enc, dec = nercc.Encoder("berrut", p), nercc.Decoder("berrut", p)
    x = np.random.default_rng(8).standard_normal((6, 4))
    coded, order = enc.encode_with_order(x)
    assert sorted(order.tolist()) == list(range(6))
    assert order.tolist() == nercc.order_queries(x, nercc.OrderingMethod.greedy_two_opt).tolist()
    # The batch in its order, coded without ordering, gives the same coded rows; decoding with the
    # order returns the caller's order.
    plain = nercc.CodeParams(num_queries=6, num_workers=12)
    assert np.array_equal(nercc.Encoder("berrut", plain).encode(x[order]), coded)
    ids = [0, 1, 3, 4, 6, 8, 9, 11]
    r = dec.decode(ids, np.sin(coded[ids]), order)
    in_order = nercc.Decoder("berrut", plain).decode(ids, np.sin(coded[ids])).values
    np.testing.assert_array_equal(r.values[order], in_order)


def test_tune_lambdas_with_a_python_model():
    rng = np.random.default_rng(9)
    w = rng.standard_normal((6, 3)) / 3
    calls = []

    def model(inputs):
        calls.append(inputs.shape)
        return np.tanh(inputs @ w)

    params = nercc.TuneParams(code=nercc.CodeParams(num_queries=4, num_workers=8), stragglers=[2], batches=2,
                              answered_sets=3, grid_points=3, refine_rounds=0, max_model_calls=6)
    r = nercc.tune_lambdas(params, rng.standard_normal((20, 6)), model)
    assert r.model_calls == len(calls) and calls[0] == (8, 6)
    assert r.trials == 6 and len(r.table) >= 4
    best = min(e.mse.mean for e in r.table)
    assert r.mse.mean == best
    assert r.code.lambda_enc == r.lambda_enc and r.code.lambda_dec == r.lambda_dec


def test_plan_and_simulate():
    pl = nercc.plan
    req = pl.PlanRequest(arrival_rate=200.0, slo_seconds=0.05, profile=[pl.BatchLatency(batch_size=1, median=0.01)])
    req.grid.num_queries = [2, 4]
    req.grid.schemes = [nercc.Scheme.replication, nercc.Scheme.uncoded]
    model = pl.StragglerModel.shifted_exponential(shift=1.0, rate=2.0)
    assert model.cdf(1.0) == 0.0 and abs(model.quantile(0.5) - (1 + np.log(2) / 2)) < 1e-12
    result = pl.plan(req, model, pl.AccuracyTable())
    assert result.binding == pl.Binding.none and result.plans
    best = result.plans[0]
    assert best.cost == min(p.cost for p in result.plans) and best.p_slo <= 0.05
    assert "K=" in best.explanation
    sim = pl.simulate(best, req, model, pl.SimulateParams(batches=2000, warmup=100))
    req.concurrent_workers = True  # one worker set, whatever the load
    assert all(p.worker_sets == 1 for p in pl.plan(req, model, pl.AccuracyTable()).plans)
    assert sim.queries > 0 and 0 < sim.p50 <= sim.p99
    tight = pl.PlanRequest(arrival_rate=200.0, slo_seconds=1e-4, profile=[pl.BatchLatency(batch_size=1, median=0.01)])
    r = pl.plan(tight, model, pl.AccuracyTable())
    assert not r.plans and r.binding == pl.Binding.latency and "0.0001 s" in r.message


def test_plan_outvotes_adversaries():
    pl = nercc.plan
    req = pl.PlanRequest(arrival_rate=200.0, slo_seconds=0.5, profile=[pl.BatchLatency(batch_size=1, median=0.01)],
                         num_adversaries=1)
    req.grid.num_queries = [2]
    req.grid.schemes = [nercc.Scheme.replication, nercc.Scheme.uncoded]
    model = pl.StragglerModel.shifted_exponential(shift=1.0, rate=2.0)
    result = pl.plan(req, model, pl.AccuracyTable())
    assert result.plans and all(p.scheme == nercc.Scheme.replication for p in result.plans)
    assert all(p.num_adversaries == 1 and p.num_workers >= 6 for p in result.plans)  # 2E + 1 copies of 2 queries
    assert req.robust_decode.spline_factor > 1 and req.max_mse == float("inf")
    req.num_adversaries = -1
    with pytest.raises(ValueError, match="num_adversaries"):
        pl.plan(req, model, pl.AccuracyTable())


def test_byzantine_answer_is_flagged_and_left_out():
    p = nercc.CodeParams(num_queries=4, num_workers=12, num_adversaries=1)
    enc, dec = nercc.Encoder("spline", p), nercc.Decoder("spline", p)
    clean_dec = nercc.Decoder("spline", nercc.CodeParams(num_queries=4, num_workers=12))
    x = np.random.default_rng(12).standard_normal((4, 6)) * 0.3
    answers = np.tanh(enc.encode(x))
    ids = list(range(12))
    bad = answers.copy()
    bad[7] += 5.0
    r = dec.decode(ids, bad)
    assert r.flagged_workers.tolist() == [7] and r.flag_scores.shape == (1,) and r.flag_scores[0] > 1
    assert r.diagnostics.answers_flagged == 1
    rest = [w for w in ids if w != 7]
    np.testing.assert_allclose(r.values, clean_dec.decode(rest, answers[rest]).values, atol=1e-12)
    assert dec.decode(ids, answers).flagged_workers.size <= 1  # clean answers: at most E dropped
