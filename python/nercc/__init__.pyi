# Type stubs of the nercc package (the binding nercc._nercc re-exported).
from enum import Enum
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import plan as plan

__version__: str
max_code_size: int
min_point_separation: float

ArrayLike = Any  # numpy.ndarray, a PyTorch CPU tensor, anything with __array__, or a sequence
DTypeLike = Union[str, type, np.dtype]
Ids = Union[Sequence[int], npt.NDArray[np.integer]]

class Error(Exception):
    error_id: int
class InvalidArgument(Error, ValueError): ...
class ShapeMismatch(InvalidArgument): ...
class NonFiniteInput(InvalidArgument): ...
class InvalidState(Error, RuntimeError): ...
class DTypeError(Error, TypeError): ...

class Scheme(Enum):
    spline = 0
    berrut = 1
    replication = 2
    uncoded = 3

class DecodeStatus(Enum):
    ok = 0
    partial = 1
    insufficient_answers = 2

class QueryProvenance(Enum):
    exact = 0
    estimated = 1
    unavailable = 2

class OrderingMethod(Enum):
    as_given = 0
    greedy_chain = 1
    greedy_two_opt = 2
    principal_direction = 3

class Projection(Enum):
    rademacher = 0
    count_sketch = 1

class ChainStart(Enum):
    best_of_all = 0
    farthest_pair = 1

class TuneMetric(Enum):
    mse = 0
    rel_acc = 1

class OrderingOptions:
    projection_dim: int
    projection: Projection
    seed: int
    chain_start: ChainStart
    max_two_opt_passes: int
    max_power_iterations: int
    power_tolerance: float
    def __init__(self, *, projection_dim: int = ..., projection: Projection = ..., seed: int = ...,
                 chain_start: ChainStart = ..., max_two_opt_passes: int = ..., max_power_iterations: int = ...,
                 power_tolerance: float = ...) -> None: ...
    def validate(self) -> None: ...

class CodeParams:
    num_queries: int
    num_workers: int
    lambda_enc: float
    lambda_dec: float
    query_points: List[float]
    worker_points: List[float]
    min_answers: int
    decoder_cache_capacity: int
    num_threads: int
    ordering: OrderingMethod
    ordering_options: OrderingOptions
    num_adversaries: int
    detection_threshold: float
    def __init__(self, *, num_queries: int = 10, num_workers: int = 20, lambda_enc: float = 0.0,
                 lambda_dec: float = 0.0, query_points: Sequence[float] = ..., worker_points: Sequence[float] = ...,
                 min_answers: int = 0, decoder_cache_capacity: int = 1024, num_threads: int = 1,
                 ordering: OrderingMethod = ..., ordering_options: OrderingOptions = ...,
                 num_adversaries: int = 0, detection_threshold: float = 0.0) -> None: ...
    def validate(self) -> None: ...
    def resolved_query_points(self) -> npt.NDArray[np.float64]: ...
    def resolved_worker_points(self) -> npt.NDArray[np.float64]: ...

def systematic_params(num_queries: int, num_workers: int, spread: float,
                      query_points: Sequence[float] = ...) -> CodeParams: ...

class DecodeDiagnostics:
    answers_received: int
    answers_used: int
    answers_rejected_non_finite: int
    answers_flagged: int
    queries_exact: int
    queries_estimated: int
    queries_unavailable: int
    estimates_non_finite: int
    cache_hit: bool

class DecodeResult:
    values: np.ndarray
    status: DecodeStatus
    ok: bool
    available: npt.NDArray[np.bool_]
    provenance: List[QueryProvenance]
    reliability: npt.NDArray[np.float64]
    rejected_workers: npt.NDArray[np.int64]
    flagged_workers: npt.NDArray[np.int64]
    flag_scores: npt.NDArray[np.float64]
    diagnostics: DecodeDiagnostics

class Encoder:
    params: CodeParams
    scheme: Scheme
    dtype: np.dtype
    systematic: bool
    num_queries: int
    num_workers: int
    def __init__(self, scheme: Union[Scheme, str], params: CodeParams, dtype: DTypeLike = "float64") -> None: ...
    def encode(self, queries: ArrayLike, out: Optional[np.ndarray] = None) -> np.ndarray: ...
    def encode_with_order(self, queries: ArrayLike) -> Tuple[np.ndarray, npt.NDArray[np.int64]]: ...
    def encoding_matrix(self) -> np.ndarray: ...

class Decoder:
    params: CodeParams
    scheme: Scheme
    dtype: np.dtype
    systematic: bool
    min_answers: int
    cached_sets: int
    num_queries: int
    num_workers: int
    def __init__(self, scheme: Union[Scheme, str], params: CodeParams, dtype: DTypeLike = "float64") -> None: ...
    def decode(self, ids: Ids, outputs: ArrayLike, order: Optional[Ids] = None) -> DecodeResult: ...
    def decoding_matrix(self, ids: Ids) -> np.ndarray: ...

class SmoothingSpline:
    num_sites: int
    dimension: int
    dtype: np.dtype
    def __init__(self, sites: Sequence[float], values: ArrayLike, lam: float = 0.0,
                 weights: Optional[Sequence[float]] = None) -> None: ...
    def evaluate(self, points: Sequence[float]) -> np.ndarray: ...

class BerrutInterpolant:
    num_sites: int
    dimension: int
    dtype: np.dtype
    def __init__(self, sites: Sequence[float], values: ArrayLike) -> None: ...
    def evaluate(self, points: Sequence[float]) -> np.ndarray: ...

def spline_evaluation_matrix(sites: Sequence[float], points: Sequence[float],
                             lam: float) -> npt.NDArray[np.float64]: ...
def berrut_evaluation_matrix(sites: Sequence[float], points: Sequence[float]) -> npt.NDArray[np.float64]: ...
def chebyshev_first_kind(n: int) -> npt.NDArray[np.float64]: ...
def chebyshev_second_kind(n: int) -> npt.NDArray[np.float64]: ...
def uniform_points(n: int) -> npt.NDArray[np.float64]: ...
def clustered_worker_points(query_points: Sequence[float], num_workers: int,
                            spread: float) -> npt.NDArray[np.float64]: ...
def order_queries(queries: ArrayLike, method: OrderingMethod,
                  options: OrderingOptions = ...) -> npt.NDArray[np.int64]: ...

class MetricEstimate:
    mean: float
    std_error: float
    min: float
    max: float
    trials: int

class TuneParams:
    code: CodeParams
    scheme: Scheme
    stragglers: List[int]
    straggler_weights: List[float]
    metric: TuneMetric
    seed: int
    batches: int
    answered_sets: int
    lambda_min: float
    lambda_max: float
    grid_points: int
    refine_rounds: int
    refine_points: int
    max_model_calls: int
    worker_spreads: List[float]
    systematic: bool
    def __init__(self, **fields: Any) -> None: ...
    def validate(self) -> None: ...

class TuneEntry:
    lambda_enc: float
    lambda_dec: float
    mse: MetricEstimate
    rel_acc: MetricEstimate
    round: int
    worker_spread: float

class TuneResult:
    lambda_enc: float
    lambda_dec: float
    mse: MetricEstimate
    rel_acc: MetricEstimate
    worker_spread: float
    table: List[TuneEntry]
    code: CodeParams
    model_calls: int
    trials: int

def tune_lambdas(params: TuneParams, calibration: ArrayLike,
                 model: Callable[[np.ndarray], ArrayLike]) -> TuneResult: ...
