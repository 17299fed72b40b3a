"""Every error path of the binding: C++ exceptions arrive as nercc.Error subclasses that are
also ValueError / RuntimeError, with the C++ message; dtype and type errors are TypeErrors."""
import numpy as np
import pytest

import nercc


def test_hierarchy():
    assert issubclass(nercc.InvalidArgument, ValueError) and issubclass(nercc.InvalidArgument, nercc.Error)
    assert issubclass(nercc.ShapeMismatch, nercc.InvalidArgument)
    assert issubclass(nercc.NonFiniteInput, nercc.InvalidArgument)
    assert issubclass(nercc.InvalidState, RuntimeError) and issubclass(nercc.InvalidState, nercc.Error)
    assert issubclass(nercc.DTypeError, TypeError) and issubclass(nercc.DTypeError, nercc.Error)


@pytest.mark.parametrize("kwargs, field", [
    ({"num_queries": 0}, "num_queries"),
    ({"num_workers": 0}, "num_workers"),
    ({"num_queries": nercc.max_code_size + 1}, "num_queries"),
    ({"lambda_enc": -1.0}, "lambda_enc"),
    ({"lambda_dec": float("nan")}, "lambda_dec"),
    ({"num_queries": 2, "query_points": [0.1, 2.0]}, "query_points"),
    ({"num_queries": 2, "query_points": [0.1, 0.1]}, "query_points"),
    ({"num_workers": 3, "worker_points": [0.0, 0.5]}, "worker_points"),
    ({"min_answers": -1}, "min_answers"),
    ({"min_answers": 21}, "min_answers"),
    ({"num_threads": 0}, "num_threads"),
    ({"num_adversaries": -1}, "num_adversaries"),
    ({"detection_threshold": -0.5}, "detection_threshold"),
    ({"ordering": nercc.OrderingMethod.greedy_chain,
      "ordering_options": nercc.OrderingOptions(max_two_opt_passes=1, projection_dim=0)}, None),
])
def test_code_params_validation(kwargs, field):
    if field is None:  # a valid combination
        nercc.CodeParams(**kwargs)
        return
    with pytest.raises(nercc.InvalidArgument, match=field) as info:
        nercc.CodeParams(**kwargs)
    assert str(info.value).startswith("nercc::invalid_argument: ")
    assert info.value.error_id == 101


def test_keyword_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'K'"):
        nercc.CodeParams(K=3)
    with pytest.raises(TypeError, match="num_queries cannot be 'x'"):
        nercc.CodeParams(num_queries="x")
    with pytest.raises(TypeError):
        nercc.CodeParams(10)  # keyword arguments only
    with pytest.raises(nercc.InvalidArgument, match="max_two_opt_passes"):
        nercc.OrderingOptions(max_two_opt_passes=0)
    p = nercc.CodeParams(num_queries=3, num_workers=4)
    assert p == nercc.CodeParams(num_queries=3, num_workers=4) and p != nercc.CodeParams()
    p.num_queries = 0  # fields are plain data; the codecs validate
    with pytest.raises(nercc.InvalidArgument, match="num_queries"):
        p.validate()
    with pytest.raises(nercc.InvalidArgument, match="num_queries"):
        nercc.Encoder("spline", p)


def test_codec_construction():
    p = nercc.CodeParams(num_queries=4, num_workers=3)
    for scheme in ("spline", "berrut", "replication"):
        with pytest.raises(nercc.InvalidArgument, match=r"num_workers \(3\) must be >= num_queries \(4\)"):
            nercc.Encoder(scheme, p)
        with pytest.raises(nercc.InvalidArgument, match="num_workers"):
            nercc.Decoder(scheme, p)
    with pytest.raises(nercc.InvalidArgument, match="must equal num_queries"):
        nercc.Encoder("uncoded", nercc.CodeParams(num_queries=3, num_workers=4))
    with pytest.raises(nercc.InvalidArgument, match="scheme \\('lagrange'\\) is not one of spline, berrut"):
        nercc.Encoder("lagrange", nercc.CodeParams())
    with pytest.raises(nercc.DTypeError, match="scheme must be"):
        nercc.Decoder(3.5, nercc.CodeParams())
    with pytest.raises(nercc.DTypeError, match="float16"):
        nercc.Encoder("spline", nercc.CodeParams(), np.float16)
    with pytest.raises(nercc.DTypeError, match="int64"):
        nercc.Decoder("spline", nercc.CodeParams(), "int64")
    with pytest.raises(TypeError):
        nercc.Encoder("spline", {"num_queries": 3})


def test_encode_errors():
    p = nercc.CodeParams(num_queries=4, num_workers=6)
    enc = nercc.Encoder("spline", p, np.float32)
    with pytest.raises(nercc.DTypeError, match=r"queries has dtype float64, expected float32: convert it first"):
        enc.encode(np.zeros((4, 3)))
    with pytest.raises(nercc.DTypeError, match="int64"):
        enc.encode(np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(nercc.ShapeMismatch, match="0-dimensional"):
        enc.encode(np.float32(1.0))
    with pytest.raises(nercc.ShapeMismatch, match="empty trailing shape"):
        enc.encode(np.zeros((4, 0), dtype=np.float32))
    with pytest.raises(nercc.ShapeMismatch) as info:
        enc.encode(np.zeros((3, 2), dtype=np.float32))
    assert "nercc::shape_mismatch" in str(info.value) and info.value.error_id == 102
    x = np.zeros((4, 2), dtype=np.float32)
    x[2, 1] = np.inf
    with pytest.raises(nercc.NonFiniteInput, match="queries") as info:
        enc.encode(x)
    assert info.value.error_id == 103
    ok = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(nercc.ShapeMismatch, match="out must hold num_workers"):
        enc.encode(ok, out=np.empty((5, 2), dtype=np.float32))
    with pytest.raises(nercc.DTypeError, match="out must be"):
        enc.encode(ok, out=np.empty((6, 2)))
    with pytest.raises(nercc.InvalidArgument, match="C-contiguous"):
        enc.encode(ok, out=np.empty((6, 4), dtype=np.float32)[:, ::2])
    with pytest.raises(nercc.InvalidArgument, match="overlap"):
        enc_overlap(enc)
    ordered = nercc.Encoder("berrut", nercc.CodeParams(num_queries=4, num_workers=6,
                                                      ordering=nercc.OrderingMethod.greedy_chain))
    with pytest.raises(nercc.InvalidState, match="ordering is greedy_chain, so the decoder needs each batch's order"):
        ordered.encode(np.zeros((4, 2)))
    assert issubclass(nercc.InvalidState, RuntimeError)


def enc_overlap(enc):
    buf = np.zeros((6, 2), dtype=np.float32)
    enc.encode(buf[:4], out=buf)


def test_decode_errors():
    p = nercc.CodeParams(num_queries=4, num_workers=6)
    dec = nercc.Decoder("berrut", p)
    y = np.zeros((4, 3))
    with pytest.raises(nercc.InvalidArgument, match=r"answered_worker_ids repeats worker 1"):
        dec.decode([0, 1, 1, 2], y)
    with pytest.raises(nercc.InvalidArgument, match="6"):
        dec.decode([0, 1, 2, 6], y)
    with pytest.raises(nercc.InvalidArgument):
        dec.decode([0, 1, 2, -1], y)
    with pytest.raises(nercc.ShapeMismatch):
        dec.decode([0, 1, 2], y)
    with pytest.raises(nercc.DTypeError, match="ids has dtype float64: expected integers"):
        dec.decode(np.array([0.0, 1.0, 2.0, 3.0]), y)
    with pytest.raises(nercc.DTypeError, match="ids must be a sequence of integers"):
        dec.decode([0, 1, 2, 3.5], y)
    with pytest.raises(nercc.ShapeMismatch, match="ids has 2 dimensions"):
        dec.decode(np.zeros((2, 2), dtype=np.int64), y)
    with pytest.raises(nercc.DTypeError, match="outputs has dtype float32"):
        dec.decode([0, 1, 2, 3], y.astype(np.float32))
    with pytest.raises(nercc.InvalidArgument, match="ids"):
        dec.decoding_matrix([])
    with pytest.raises(nercc.InvalidArgument, match="order"):
        dec.decode([0, 1, 2, 3], y, order=[0, 1, 1, 2])
    ordered = nercc.Decoder("berrut", nercc.CodeParams(num_queries=4, num_workers=6,
                                                      ordering=nercc.OrderingMethod.greedy_chain))
    with pytest.raises(nercc.InvalidState, match="order"):
        ordered.decode([0, 1, 2, 3], y)


def test_curve_errors():
    with pytest.raises(nercc.InvalidArgument, match="lambda"):
        nercc.SmoothingSpline([0, 1, 2], [1.0, 2.0, 3.0], -1.0)
    with pytest.raises(nercc.InvalidArgument, match="sites"):
        nercc.SmoothingSpline([0, 1, 1], [1.0, 2.0, 3.0])
    with pytest.raises(nercc.InvalidArgument, match="sites"):
        nercc.BerrutInterpolant([0, np.nan, 1], [1.0, 2.0, 3.0])
    with pytest.raises(nercc.ShapeMismatch):
        nercc.BerrutInterpolant([0, 1, 2], [1.0, 2.0])
    with pytest.raises(nercc.InvalidArgument, match="weights"):
        nercc.SmoothingSpline([0, 1, 2], [1.0, 2.0, 3.0], 0.1, weights=[1.0, -1.0, 1.0])
    with pytest.raises(nercc.DTypeError, match="int64"):
        nercc.SmoothingSpline([0, 1, 2], np.array([1, 2, 3]))
    with pytest.raises(nercc.DTypeError, match="sites has dtype"):
        nercc.BerrutInterpolant(np.array(["a", "b"]), [1.0, 2.0])
    f = nercc.BerrutInterpolant([0, 1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(nercc.InvalidArgument, match="points"):
        f.evaluate([0.5, np.inf])
    with pytest.raises(nercc.ShapeMismatch, match="points has 2 dimensions"):
        f.evaluate(np.zeros((2, 2)))
    with pytest.raises(nercc.InvalidArgument, match="n"):
        nercc.chebyshev_first_kind(0)
    with pytest.raises(nercc.InvalidArgument, match="spread"):
        nercc.systematic_params(4, 8, 1.5)
    with pytest.raises(nercc.InvalidArgument):
        nercc.order_queries(np.zeros((0, 3)), nercc.OrderingMethod.greedy_chain)


def test_tune_errors():
    good = dict(code=nercc.CodeParams(num_queries=4, num_workers=8), stragglers=[2], batches=1, answered_sets=1,
                grid_points=1, refine_rounds=0, max_model_calls=3, lambda_max=1e-12)
    nercc.TuneParams(**good)
    with pytest.raises(nercc.InvalidArgument, match="stragglers"):
        nercc.TuneParams(**{**good, "stragglers": [7]})
    with pytest.raises(nercc.InvalidArgument, match="scheme"):
        nercc.TuneParams(**{**good, "scheme": nercc.Scheme.replication})
    params = nercc.TuneParams(**good)
    calib = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(nercc.DTypeError, match="callable"):
        nercc.tune_lambdas(params, calib, 42)

    class Boom(Exception):
        pass

    def failing(x):
        raise Boom("from the model")

    with pytest.raises(Boom, match="from the model"):
        nercc.tune_lambdas(params, calib, failing)
    with pytest.raises(nercc.ShapeMismatch):
        nercc.tune_lambdas(params, calib, lambda x: x[:1])
    with pytest.raises(nercc.InvalidArgument, match="calibration has 2 rows"):
        nercc.tune_lambdas(params, calib[:2], lambda x: x)
    bad = calib.copy()
    bad[3, 1] = np.nan
    with pytest.raises(nercc.NonFiniteInput, match="calibration"):
        nercc.tune_lambdas(params, bad, lambda x: x)


def test_plan_errors():
    pl = nercc.plan
    with pytest.raises(nercc.InvalidArgument, match="profile is empty"):
        pl.plan(pl.PlanRequest(), pl.StragglerModel.shifted_exponential(), pl.AccuracyTable())
    req = pl.PlanRequest(profile=[pl.BatchLatency(batch_size=1, median=0.01)], slo_quantile=1.5)
    with pytest.raises(nercc.InvalidArgument, match="slo_quantile"):
        req.validate()
    with pytest.raises(nercc.InvalidArgument, match="rate"):
        pl.StragglerModel.shifted_exponential(rate=0.0)
    with pytest.raises(nercc.InvalidArgument, match="samples"):
        pl.StragglerModel.empirical([])
    ok = pl.PlanRequest(profile=[pl.BatchLatency(batch_size=1, median=0.01)])
    with pytest.raises(nercc.InvalidArgument, match="worker_sets"):
        pl.simulate(pl.Plan(), ok, pl.StragglerModel.shifted_exponential())


def test_errors_do_not_leak_the_gil_or_state():
    dec = nercc.Decoder("spline", nercc.CodeParams(num_queries=4, num_workers=6))
    for _ in range(1000):
        with pytest.raises(nercc.InvalidArgument):
            dec.decode([0, 0, 1, 2], np.zeros((4, 1)))
    assert dec.decode([0, 1, 2, 3], np.ones((4, 1))).ok
