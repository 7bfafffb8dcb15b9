"""Per-model counters in the shape of Triton's `/v2/models/{m}/stats`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class _Duration:
    count: int = 0
    ns: int = 0

    def add(self, seconds: float, count: int = 1) -> None:
        self.count += count
        self.ns += int(seconds * 1e9)

    def json(self) -> dict[str, int]:
        return {"count": self.count, "ns": self.ns}


@dataclass
class ModelStats:
    """Counted on the event loop thread only, so no lock is needed."""

    inference_count: int = 0  # rows inferred (a batch of b rows counts b)
    execution_count: int = 0  # model executions (a dynamic batch counts once)
    last_inference_ms: int = 0
    success: _Duration = field(default_factory=_Duration)
    fail: _Duration = field(default_factory=_Duration)
    queue: _Duration = field(default_factory=_Duration)
    compute_infer: _Duration = field(default_factory=_Duration)
    batch_sizes: dict[int, _Duration] = field(default_factory=dict)

    def record_request(self, rows: int, queue_s: float, compute_s: float, total_s: float) -> None:
        self.inference_count += rows
        self.success.add(total_s)
        self.queue.add(queue_s)
        self.compute_infer.add(compute_s)
        self.last_inference_ms = int(time.time() * 1000)

    def record_execution(self, batch: int, compute_s: float) -> None:
        self.execution_count += 1
        self.batch_sizes.setdefault(batch, _Duration()).add(compute_s)

    def record_failure(self, total_s: float) -> None:
        self.fail.add(total_s)

    def triton_json(self, name: str, version: str) -> dict:
        zero = {"count": 0, "ns": 0}
        return {
            "name": name,
            "version": version,
            "last_inference": self.last_inference_ms,
            "inference_count": self.inference_count,
            "execution_count": self.execution_count,
            "inference_stats": {
                "success": self.success.json(),
                "fail": self.fail.json(),
                "queue": self.queue.json(),
                "compute_input": {"count": self.success.count, "ns": 0},
                "compute_infer": self.compute_infer.json(),
                "compute_output": {"count": self.success.count, "ns": 0},
                "cache_hit": zero,
                "cache_miss": zero,
            },
            "batch_stats": [
                {
                    "batch_size": size,
                    "compute_input": {"count": d.count, "ns": 0},
                    "compute_infer": d.json(),
                    "compute_output": {"count": d.count, "ns": 0},
                }
                for size, d in sorted(self.batch_sizes.items())
            ],
        }
