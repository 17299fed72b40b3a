"""Thread safety with the GIL released: a pool decoding different answered sets concurrently
gives the serial results, and encode, decode, spline fits and plan() run without the GIL."""
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import nercc


def test_pool_decodes_equal_serial_decodes():
    k, n, d = 10, 20, 64
    p = nercc.CodeParams(num_queries=k, num_workers=n, decoder_cache_capacity=8)  # small cache: evictions under load
    enc, dec = nercc.Encoder("spline", p, np.float32), nercc.Decoder("spline", p, np.float32)
    rng = np.random.default_rng(11)
    jobs = []
    for _ in range(200):
        x = rng.standard_normal((k, d)).astype(np.float32)
        ids = np.sort(rng.choice(n, size=int(rng.integers(k, n + 1)), replace=False))
        jobs.append((ids, np.tanh(enc.encode(x))[ids]))
    serial = [dec.decode(ids, y).values for ids, y in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda job: dec.decode(*job).values, jobs))
    for a, b in zip(serial, parallel):
        assert np.array_equal(a, b)


def calls_run_without_the_gil(call):
    """True when another Python thread ran while call() was inside C++: with a switch interval
    longer than the call, a thread holding the GIL is never asked to drop it, so the other
    thread can only run if the call released it."""
    stamps, done = [], threading.Event()

    def ticker():
        while not done.is_set():
            stamps.append(time.perf_counter())
            time.sleep(0.0005)

    old = sys.getswitchinterval()
    sys.setswitchinterval(5.0)
    t = threading.Thread(target=ticker)
    try:
        t.start()
        time.sleep(0.05)
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
    finally:
        done.set()
        t.join()
        sys.setswitchinterval(old)
    inside = sum(1 for s in stamps if t0 < s < t1)
    return inside >= 3, inside, t1 - t0


@pytest.fixture(scope="module")
def large():
    k, n, d = 10, 20, 400_000
    p = nercc.CodeParams(num_queries=k, num_workers=n)
    x = np.random.default_rng(1).standard_normal((k, d))
    return p, x


def test_encode_releases_the_gil(large):
    p, x = large
    enc = nercc.Encoder("berrut", p)
    ok, inside, seconds = calls_run_without_the_gil(lambda: [enc.encode(x) for _ in range(3)])
    assert ok, (inside, seconds)


def test_decode_releases_the_gil(large):
    p, x = large
    enc, dec = nercc.Encoder("spline", p), nercc.Decoder("spline", p)
    coded = enc.encode(x)
    ids = list(range(0, 20, 2)) + [1, 3, 5]
    ok, inside, seconds = calls_run_without_the_gil(lambda: [dec.decode(ids, coded[ids]) for _ in range(3)])
    assert ok, (inside, seconds)


def test_spline_fit_releases_the_gil():
    sites = np.linspace(-1, 1, 200_000)
    values = np.random.default_rng(2).standard_normal((200_000, 8))
    ok, inside, seconds = calls_run_without_the_gil(lambda: nercc.SmoothingSpline(sites, values, 1e-6))
    assert ok, (inside, seconds)


def test_control_a_gil_holding_call_is_detected():
    # The detector itself: a pure-Python busy loop holds the GIL, so the ticker cannot run.
    def busy():
        end = time.perf_counter() + 0.1
        while time.perf_counter() < end:
            pass

    ok, inside, _ = calls_run_without_the_gil(busy)
    assert not ok, inside


def test_plan_and_simulate_release_the_gil():
    pl = nercc.plan
    req = pl.PlanRequest(profile=[pl.BatchLatency(batch_size=b, median=0.01 * b) for b in (1, 2, 4)], runners_up=20)
    model = pl.StragglerModel.bimodal()
    ok, inside, seconds = calls_run_without_the_gil(lambda: pl.plan(req, model, pl.AccuracyTable()))
    assert ok, (inside, seconds)
    best = pl.plan(req, model, pl.AccuracyTable()).plans[0]
    ok, inside, seconds = calls_run_without_the_gil(
        lambda: pl.simulate(best, req, model, pl.SimulateParams(batches=200_000)))
    assert ok, (inside, seconds)


def test_tune_lambdas_releases_the_gil_between_model_calls():
    rng = np.random.default_rng(4)
    calibration = rng.standard_normal((200, 64))
    params = nercc.TuneParams(code=nercc.CodeParams(num_queries=10, num_workers=20), stragglers=[4], batches=8,
                              answered_sets=16, grid_points=10, max_model_calls=12)
    ok, inside, seconds = calls_run_without_the_gil(lambda: nercc.tune_lambdas(params, calibration, np.tanh))
    assert ok, (inside, seconds)
