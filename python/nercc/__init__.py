"""nercc: coded straggler tolerance for prediction serving.

Encode a group of K queries into N coded queries, let your workers run your model on them,
and decode estimates of all K predictions from whichever workers answer first::

    import numpy as np, nercc
    p = nercc.CodeParams(num_queries=10, num_workers=20)
    enc, dec = nercc.Encoder("spline", p), nercc.Decoder("spline", p)
    coded = enc.encode(X)                      # X: 10 x d  ->  20 x d
    answers = model(coded)                     # what the workers compute
    ids = [w for w in range(20) if w not in (3, 8, 12, 17)]
    r = dec.decode(ids, answers[ids])          # r.values: 10 x m estimates of model(X)

The C++ headers are the product; this package binds them (module nercc._nercc). Arrays of the
codec's dtype (float32 or float64) are read in place when C-contiguous, and every computation
releases the GIL. The planner lives in nercc.plan.
"""
from ._nercc import (  # noqa: F401
    __version__,
    BerrutInterpolant,
    ChainStart,
    CodeParams,
    DecodeDiagnostics,
    DecodeResult,
    DecodeStatus,
    Decoder,
    DTypeError,
    Encoder,
    Error,
    InvalidArgument,
    InvalidState,
    MetricEstimate,
    NonFiniteInput,
    OrderingMethod,
    OrderingOptions,
    Projection,
    QueryProvenance,
    Scheme,
    ShapeMismatch,
    SmoothingSpline,
    TuneEntry,
    TuneMetric,
    TuneParams,
    TuneResult,
    berrut_evaluation_matrix,
    chebyshev_first_kind,
    chebyshev_second_kind,
    clustered_worker_points,
    max_code_size,
    min_point_separation,
    order_queries,
    spline_evaluation_matrix,
    systematic_params,
    tune_lambdas,
    uniform_points,
)
from ._nercc import plan  # noqa: F401

__all__ = [name for name in dir() if not name.startswith("_")] + ["__version__"]

import sys as _sys

_sys.modules[__name__ + ".plan"] = plan  # so that `import nercc.plan` works too
