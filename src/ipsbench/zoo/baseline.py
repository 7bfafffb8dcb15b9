"""The in-process baseline: IPS of the compiled model called directly, the ceiling for REST."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ipsbench.zoo.catalog import ModelSpec

BATCHES = (1, 32)
MIN_SECONDS = 1.0
MIN_CALLS = 5
WARMUP_CALLS = 3


def measure_baseline(serve: Callable[[Any], Any], spec: ModelSpec) -> dict[str, dict[str, float]]:
    """{"batch_1": {...}, "batch_32": {...}} for a compiled serving function."""
    return {f"batch_{b}": measure_batch(serve, spec, b) for b in BATCHES}


def measure_batch(serve: Callable[[Any], Any], spec: ModelSpec, batch: int) -> dict[str, float]:
    """Call `serve` on a fixed batch until steady; IPS counts rows, not calls.

    Runs at least MIN_SECONDS and at least MIN_CALLS calls after warm-up, so a slow model
    (resnet50 at batch 32 takes seconds a call) still gets MIN_CALLS samples for its median.
    """
    import tensorflow as tf

    rng = np.random.default_rng(spec.seed)
    x = tf.constant(rng.standard_normal((batch, *spec.input_shape), dtype=np.float32))
    for _ in range(WARMUP_CALLS):
        _block(serve(x))
    latencies: list[float] = []
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        _block(serve(x))
        latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS and len(latencies) >= MIN_CALLS:
            break
    return {
        "ips": round(batch * len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "calls": len(latencies),
        "seconds": round(elapsed, 3),
    }


def _block(result: Any) -> None:
    # Pull the result to host memory so the timing covers the whole computation.
    for value in result.values() if isinstance(result, dict) else [result]:
        value.numpy()
