# Type stubs of nercc.plan (the planner).
from enum import Enum
from typing import Any, List, Optional, Sequence

from . import OrderingMethod, Scheme

class Binding(Enum):
    none = 0
    accuracy = 1
    pool_size = 2
    latency = 3

class CodecCost:
    fixed_seconds: float
    per_element_seconds: float
    def __init__(self, **fields: Any) -> None: ...

class BatchLatency:
    batch_size: int
    median: float
    lower_quartile: float
    upper_quartile: float
    min: float
    max: float
    seconds: List[float]
    def __init__(self, **fields: Any) -> None: ...

class PlanGrid:
    schemes: List[Scheme]
    num_queries: List[int]
    max_redundancy: float
    max_workers_per_set: int
    batch_sizes: List[int]
    quorums: bool
    deadline_levels: List[float]
    early_release: bool
    hedge_levels: List[float]
    def __init__(self, **fields: Any) -> None: ...

class FallbackModel:
    rel_acc: float
    mse: float
    seconds: float
    def __init__(self, **fields: Any) -> None: ...

class RobustDecodeCost:
    spline_factor: float
    berrut_factor: float
    def __init__(self, **fields: Any) -> None: ...

class PlanRequest:
    arrival_rate: float
    slo_quantile: float
    slo_seconds: float
    accuracy_floor: float
    max_mse: float
    num_adversaries: int
    robust_decode: RobustDecodeCost
    worker_price: float
    pool_size: int
    profile: List[BatchLatency]
    encode: CodecCost
    decode: CodecCost
    max_utilisation: float
    runners_up: int
    grid: PlanGrid
    fallback: FallbackModel
    concurrent_workers: bool
    def __init__(self, **fields: Any) -> None: ...
    def validate(self) -> None: ...

class AccuracyEntry:
    scheme: Scheme
    num_queries: int
    num_workers: int
    answers: int
    rel_acc: float
    rel_acc_std_error: float
    mse: float
    lambda_enc: float
    lambda_dec: float
    ordering: OrderingMethod
    worker_spread: float
    def __init__(self, **fields: Any) -> None: ...

class AccuracyTable:
    def __init__(self) -> None: ...
    def add(self, entry: AccuracyEntry) -> None: ...
    def lookup(self, scheme: Scheme, num_queries: int, num_workers: int, answers: int) -> Optional[AccuracyEntry]: ...
    def entries(self) -> List[AccuracyEntry]: ...

class StragglerModel:
    @staticmethod
    def shifted_exponential(shift: float = 0.0, rate: float = 1.0) -> StragglerModel: ...
    @staticmethod
    def bimodal(fast_shift: float = 1.0, fast_rate: float = 1.0, slow_shift: float = 5.0, slow_rate: float = 0.25,
                slow_probability: float = 0.1) -> StragglerModel: ...
    @staticmethod
    def log_normal(shift: float = 0.0, mu: float = 0.0, sigma: float = 0.5) -> StragglerModel: ...
    @staticmethod
    def empirical(samples: Sequence[float]) -> StragglerModel: ...
    def cdf(self, t: float) -> float: ...
    def quantile(self, p: float) -> float: ...

class Plan:
    scheme: Scheme
    num_queries: int
    num_workers: int
    batch_size: int
    quorum: int
    deadline: float
    failure: float
    early_release: bool
    fallback: bool
    hedge_delay: float
    worker_sets: int
    total_workers: int
    cost: float
    p50: float
    p_slo: float
    p99: float
    mean_service: float
    utilisation: float
    rel_acc: float
    mse: float
    num_adversaries: int
    lambda_enc: float
    lambda_dec: float
    ordering: OrderingMethod
    worker_spread: float
    explanation: str
    def __init__(self, **fields: Any) -> None: ...

class PlanResult:
    plans: List[Plan]
    binding: Binding
    message: str
    candidates: int
    latency_evaluations: int

class SimulateParams:
    batches: int
    warmup: int
    seed: int
    def __init__(self, **fields: Any) -> None: ...

class SimulationResult:
    p50: float
    p_slo: float
    p99: float
    mean: float
    failed: float
    fallback: float
    mean_queue_wait: float
    utilisation: float
    queries: int

def plan(request: PlanRequest, model: StragglerModel, accuracy: AccuracyTable) -> PlanResult: ...
def simulate(plan: Plan, request: PlanRequest, model: StragglerModel,
             params: SimulateParams = ...) -> SimulationResult: ...
