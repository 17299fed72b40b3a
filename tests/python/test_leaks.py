"""Reference counting: 10^5 encode/decode calls neither grow the resident set nor keep
references to their inputs."""
import gc
import sys

import numpy as np

import nercc

CALLS = 100_000


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_no_leak_over_1e5_calls():
    p = nercc.CodeParams(num_queries=4, num_workers=8)
    enc, dec = nercc.Encoder("spline", p), nercc.Decoder("spline", p)
    x = np.random.default_rng(0).standard_normal((4, 16))
    ids = np.array([0, 2, 3, 5, 7])
    y = enc.encode(x)[ids]
    ids_list = ids.tolist()

    def step():
        c = enc.encode(x)
        r = dec.decode(ids, y)
        r2 = dec.decode(ids_list, y)
        return c, r.values, r.available, r.reliability, r.provenance, r.rejected_workers, r2.diagnostics

    for _ in range(2000):  # warm up the allocator and the decoder's cache
        step()
    gc.collect()
    refs = (sys.getrefcount(x), sys.getrefcount(y), sys.getrefcount(ids), sys.getrefcount(enc), sys.getrefcount(dec))
    before = rss_bytes()
    for _ in range(CALLS):
        step()
    gc.collect()
    grown = rss_bytes() - before
    assert refs == (sys.getrefcount(x), sys.getrefcount(y), sys.getrefcount(ids), sys.getrefcount(enc),
                    sys.getrefcount(dec))
    # A leak of one 16-value array per call would be > 10 MB here.
    assert grown < 4 * 1024 * 1024, grown


def test_errors_do_not_leak():
    dec = nercc.Decoder("berrut", nercc.CodeParams(num_queries=4, num_workers=8))
    y = np.zeros((4, 8))

    def failing_decodes(count):
        for _ in range(count):
            try:
                dec.decode([0, 0, 1, 2], y)
            except nercc.InvalidArgument:
                pass

    failing_decodes(1000)
    gc.collect()
    refs = sys.getrefcount(y)
    before = rss_bytes()
    failing_decodes(20_000)
    gc.collect()
    assert sys.getrefcount(y) == refs
    assert rss_bytes() - before < 2 * 1024 * 1024
