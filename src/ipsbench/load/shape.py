"""`InferenceSteps`: the LoadTestShape a locustfile imports so Locust walks ipsbench's steps."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import gevent
from locust import LoadTestShape, events

from ipsbench.errors import UserError
from ipsbench.load import webui  # noqa: F401  (the web UI's Inferences/s tab)
from ipsbench.load.controller import StepController

log = logging.getLogger("ipsbench")


class InferenceSteps(LoadTestShape):
    """Closed-loop steps (users per step) with warm-up, windows and a stability rule."""

    controller: StepController | None = None

    def tick(self) -> tuple[int, float] | None:
        if self.controller is None:
            try:
                InferenceSteps.controller = StepController(self.runner.environment)
            except UserError as exc:
                log.error("%s", exc)
                self.runner.environment.process_exit_code = 2
                return None
        return self.controller.tick()


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    # In a headless run with a shape, Locust installs its SIGTERM handler only after the shape
    # has finished, so until then SIGTERM would kill the master outright. Turn it into Ctrl-C,
    # which Locust handles (quitting cleanly); the run is marked interrupted first.
    from locust.runners import WorkerRunner

    if isinstance(environment.runner, WorkerRunner):
        return

    def on_sigterm() -> None:
        if InferenceSteps.controller is not None:
            InferenceSteps.controller.interrupt()
        os.kill(os.getpid(), signal.SIGINT)

    gevent.signal_handler(signal.SIGTERM, on_sigterm)


@events.test_start.add_listener
def _on_start(environment: Any, **_: Any) -> None:
    # A new swarm (e.g. started again from the web UI) is a new run.
    if InferenceSteps.controller is not None and InferenceSteps.controller.finished:
        InferenceSteps.controller = None


@events.test_stop.add_listener
def _on_stop(environment: Any, **_: Any) -> None:
    if InferenceSteps.controller is not None:
        InferenceSteps.controller.interrupt()


@events.quitting.add_listener
def _on_quit(environment: Any, **_: Any) -> None:
    _on_stop(environment)
    controller = InferenceSteps.controller
    if controller is not None and controller.env.process_exit_code:
        environment.process_exit_code = controller.env.process_exit_code
