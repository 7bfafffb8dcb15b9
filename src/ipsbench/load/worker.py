"""The app-server side of a step: follow the master's phases, ship each window's counts.

The master broadcasts `ips_phase` at every phase change (a step's warm-up, each window); on it,
every worker sends what it recorded in the phase just ended (`ips_window`) and starts a new
recorder. A request belongs to the phase in which it completes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psutil

from ipsbench.load.recorder import WindowRecorder
from ipsbench.protocols.base import Codec, ModelRef, make_codec

PHASE = "ips_phase"
WINDOW = "ips_window"


@dataclass
class Phase:
    step: int
    window: int
    codec: Codec


@dataclass
class WorkerState:
    worker_id: str
    phase: Phase | None = None
    recorder: WindowRecorder | None = None
    _codecs: dict[tuple, Codec] = field(default_factory=dict)
    _process: Any = field(default_factory=psutil.Process)

    def __post_init__(self) -> None:
        self._process.cpu_percent(None)  # the first call only starts the measurement

    def codec_for(self, data: dict[str, Any]) -> Codec:
        """Encoded once per (model, batch, protocol, binary, deployment) and reused."""
        model = data["model"]
        key = (
            model["name"],
            tuple(model["input_shape"]),
            data["protocol"],
            data["batch"],
            data.get("binary", False),
            data.get("deployment", "benchmark"),
        )
        if key not in self._codecs:
            ref = ModelRef(
                model["name"],
                tuple(model["input_shape"]),
                model.get("input_name", "input"),
                model.get("output_name", "output"),
            )
            self._codecs[key] = make_codec(
                data["protocol"],
                ref,
                data["batch"],
                binary=data.get("binary", False),
                deployment=data.get("deployment", "benchmark"),
            )
        return self._codecs[key]

    def on_phase(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """Switch to the new phase; returns the report of the phase that ended (if any)."""
        report = None
        if self.recorder is not None:
            report = self.recorder.report(self._process.cpu_percent(None), self.worker_id)
        else:
            self._process.cpu_percent(None)
        if data.get("stop"):
            self.phase, self.recorder = None, None
            return report
        self.phase = Phase(data["step"], data["window"], self.codec_for(data))
        self.recorder = WindowRecorder(data["step"], data["window"])
        return report


def install(environment: Any) -> WorkerState:
    """Hook a worker (or a local runner) up to the master's phases."""
    runner = environment.runner
    state = WorkerState(getattr(runner, "client_id", None) or "local")
    environment.ips_worker = state

    def on_phase(environment: Any, msg: Any, **_: Any) -> None:
        report = state.on_phase(msg.data)
        if report is not None:
            environment.runner.send_message(WINDOW, report)

    runner.register_message(PHASE, on_phase)
    return state
