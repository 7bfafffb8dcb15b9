"""What one app server (a Locust worker) records in the current window of the current step."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ipsbench.load.histogram import encode, new_histogram

_TIMING = re.compile(r"(queue|compute)\s*;\s*dur\s*=\s*([0-9.]+)")


@dataclass
class WindowRecorder:
    """Counts for one phase (a warm-up or a window); shipped to the master when it ends."""

    step: int
    window: int  # -1: warm-up (discarded by the master)
    histogram: Any = field(default_factory=new_histogram)
    requests: int = 0
    inferences: int = 0
    failures: Counter = field(default_factory=Counter)
    server_queue_ms: float = 0.0
    server_compute_ms: float = 0.0
    server_timed: int = 0

    def success(self, latency_s: float, inferences: int, server_timing: str | None) -> None:
        self.requests += 1
        self.inferences += inferences
        self.histogram.record_value(max(1, round(latency_s * 1e6)))
        if server_timing:
            parts = dict(_TIMING.findall(server_timing))
            if "compute" in parts:
                self.server_compute_ms += float(parts["compute"])
                self.server_queue_ms += float(parts.get("queue", 0.0))
                self.server_timed += 1

    def failure(self, kind: str) -> None:
        self.requests += 1
        self.failures[kind] += 1

    def report(self, cpu_percent: float, worker: str) -> dict[str, Any]:
        return {
            "step": self.step,
            "window": self.window,
            "worker": worker,
            "hdr": encode(self.histogram) if self.histogram.get_total_count() else "",
            "requests": self.requests,
            "inferences": self.inferences,
            "failures": dict(self.failures),
            "server_queue_ms": self.server_queue_ms,
            "server_compute_ms": self.server_compute_ms,
            "server_timed": self.server_timed,
            "cpu_percent": cpu_percent,
        }
