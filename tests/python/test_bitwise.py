"""The binding returns the C++ API's results bit for bit on the same inputs (every scheme, both
dtypes, default and systematic layouts), whatever the input's container (trailing shapes,
non-contiguous arrays, PyTorch tensors)."""
import os
import subprocess

import numpy as np
import pytest

import nercc

CASES = [  # scheme, K, N, lambda_enc, lambda_dec, spread (0: default points)
    ("spline", 10, 20, 0.0, 0.0, 0.0),
    ("spline", 10, 20, 1e-4, 1e-3, 0.0),
    ("spline", 6, 9, 0.0, 1e-3, 0.5),
    ("berrut", 10, 20, 0.0, 0.0, 0.0),
    ("berrut", 6, 9, 0.0, 0.0, 0.5),
    ("replication", 4, 12, 0.0, 0.0, 0.0),
    ("uncoded", 5, 5, 0.0, 0.0, 0.0),
]


def params_of(scheme, k, n, lam_enc, lam_dec, spread):
    p = nercc.systematic_params(k, n, spread) if spread > 0 else nercc.CodeParams(num_queries=k, num_workers=n)
    p.lambda_enc, p.lambda_dec = lam_enc, lam_dec
    return p


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-K{c[1]}-N{c[2]}-s{c[5]}")
def test_equal_to_cpp(case, dtype, tmp_path):
    scheme, k, n, lam_enc, lam_dec, spread = case
    rng = np.random.default_rng(7)
    d, m = 13, 5
    x = rng.standard_normal((k, d)).astype(dtype)
    answered = np.sort(rng.choice(n, size=max(k, n - 3) if scheme in ("spline", "berrut") else n - 2, replace=False))
    ids = rng.permutation(answered).astype(np.int64)  # any order
    y = rng.standard_normal((ids.size, m)).astype(dtype)
    for name, a in (("x", x), ("ids", ids), ("y", y)):
        a.tofile(tmp_path / f"{name}.bin")
    subprocess.run([os.environ["NERCC_CPP_REFERENCE"], scheme, dtype, str(k), str(n), repr(lam_enc), repr(lam_dec),
                    repr(spread), str(d), str(m), str(tmp_path)], check=True)
    ref = {name: np.fromfile(tmp_path / f"{name}.bin", dtype=dtype) for name in ("coded", "E", "values", "D")}

    p = params_of(scheme, k, n, lam_enc, lam_dec, spread)
    enc, dec = nercc.Encoder(scheme, p, dtype), nercc.Decoder(scheme, p, dtype)
    assert enc.systematic == dec.systematic == (spread > 0)
    coded = enc.encode(x)
    assert coded.dtype == np.dtype(dtype) and coded.shape == (n, d)
    assert bits(coded) == bits(ref["coded"])
    assert bits(enc.encoding_matrix()) == bits(ref["E"])
    r = dec.decode(ids, y)
    assert bits(r.values) == bits(ref["values"])
    assert bits(dec.decoding_matrix(ids)) == bits(ref["D"])
    prov = np.fromfile(tmp_path / "provenance.bin", dtype=np.int32)
    assert [int(q) for q in r.provenance] == prov.tolist()
    assert bits(r.reliability) == bits(np.fromfile(tmp_path / "reliability.bin", dtype=np.float64))
    assert r.status.name == (tmp_path / "status.txt").read_text().strip()
    # The same answers as a list of ids, and again (a cached answered set), decode identically.
    assert bits(dec.decode(ids.tolist(), y).values) == bits(ref["values"])
    again = dec.decode(ids, y)
    assert bits(again.values) == bits(ref["values"])
    assert again.diagnostics.cache_hit == (scheme in ("spline", "berrut"))  # the exact schemes have no matrix to cache


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_containers_give_the_same_bits(dtype):
    p = nercc.CodeParams(num_queries=6, num_workers=10)
    enc, dec = nercc.Encoder("spline", p, dtype), nercc.Decoder("spline", p, dtype)
    rng = np.random.default_rng(3)
    images = rng.standard_normal((6, 3, 4, 5)).astype(dtype)
    flat = enc.encode(images.reshape(6, -1))
    coded = enc.encode(images)
    assert coded.shape == (10, 3, 4, 5)
    assert bits(coded) == bits(flat)
    # Non-contiguous input (documented: copied once) gives the same result.
    wide = np.zeros((6, 120), dtype=dtype)
    wide[:, ::2] = images.reshape(6, -1)
    assert not wide[:, ::2].flags.c_contiguous
    assert bits(enc.encode(wide[:, ::2])) == bits(flat)
    # Fortran order too.
    assert bits(enc.encode(np.asfortranarray(images.reshape(6, -1)))) == bits(flat)
    # out= writes the same values in place.
    out = np.empty((10, 60), dtype=dtype)
    assert enc.encode(images.reshape(6, -1), out=out) is not None
    assert bits(out) == bits(flat)
    # Decoding keeps the trailing shape of the outputs.
    ids = [0, 2, 3, 5, 6, 8, 9]
    r = dec.decode(ids, coded[ids])
    assert r.values.shape == (6, 3, 4, 5)
    assert bits(r.values) == bits(dec.decode(ids, flat[ids]).values.reshape(6, 3, 4, 5))
    # 1-d inputs: one value per query.
    v = rng.standard_normal(6).astype(dtype)
    assert enc.encode(v).shape == (10,)
    assert bits(enc.encode(v)) == bits(enc.encode(v.reshape(6, 1)))


def test_torch_tensors_are_read_in_place():
    torch = pytest.importorskip("torch")
    p = nercc.CodeParams(num_queries=4, num_workers=7)
    enc, dec = nercc.Encoder("berrut", p, np.float32), nercc.Decoder("berrut", p, np.float32)
    t = torch.randn(4, 2, 8)
    coded = enc.encode(t)
    assert bits(coded) == bits(enc.encode(t.numpy()))
    ids = [1, 2, 4, 5, 6]
    r = dec.decode(torch.tensor(ids), torch.from_numpy(coded[ids]))
    assert bits(r.values) == bits(dec.decode(ids, coded[ids]).values)
    with pytest.raises(nercc.DTypeError, match="float64"):
        enc.encode(t.double())
    # Read in place, not copied: the encoder sees a tensor over `out`'s memory overlap it.
    buf = np.zeros((7, 3), np.float32)
    with pytest.raises(nercc.InvalidArgument, match="overlap"):
        enc.encode(torch.from_numpy(buf[:4]), out=buf)


def test_contiguous_arrays_are_read_in_place():
    enc = nercc.Encoder("spline", nercc.CodeParams(num_queries=4, num_workers=7))
    buf = np.zeros((7, 3))
    with pytest.raises(nercc.InvalidArgument, match="overlap"):  # the encoder saw buf's own memory
        enc.encode(buf[:4], out=buf)
    flat = np.zeros(42)
    strided = flat.reshape(7, 6)[:4, ::2]  # not C-contiguous, over the same memory as out
    out = flat[:21].reshape(7, 3)
    enc.encode(strided, out=out)  # copied once (documented) before encoding, so no overlap


def test_results_are_not_views_of_the_inputs():
    p = nercc.CodeParams(num_queries=3, num_workers=3)
    dec = nercc.Decoder("uncoded", p)
    y = np.arange(6.0).reshape(3, 2)
    r = dec.decode([0, 1, 2], y)
    y[:] = -1
    assert r.values.tolist() == [[0, 1], [2, 3], [4, 5]]
    enc = nercc.Encoder("spline", nercc.CodeParams(num_queries=3, num_workers=5))
    e = enc.encoding_matrix()
    assert not e.flags.writeable
    del enc
    assert np.isfinite(e).all()  # the view keeps its encoder alive
