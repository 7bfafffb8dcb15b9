"""`InferenceSteps`: the LoadTestShape a locustfile imports so Locust walks ipsbench's steps."""

from __future__ import annotations

import logging
from typing import Any

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
