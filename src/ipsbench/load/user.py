"""`InferenceUser`: a Locust user playing one application server's stream of inference calls.

Closed loop, no think time: it sends the next request when the last one answered. The body is
encoded once per (model, batch, protocol) and reused; the answer is decoded and checked (the
wrong number of rows is a failure). Requests are named after the model in Locust's stats.
"""

from __future__ import annotations

import os
import socket
import time
from itertools import count
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task

from ipsbench.load import options  # noqa: F401  (registers the --ips-* options)
from ipsbench.load.worker import WorkerState, install
from ipsbench.protocols.base import ProtocolError
from ipsbench.protocols.skil import LOGIN_PATH, login_body

_pinning = count()


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    opts = environment.parsed_options
    if opts is not None:
        InferenceUser.network_timeout = opts.ips_timeout
        InferenceUser.connection_timeout = min(opts.ips_timeout, 10.0)
    from locust.runners import MasterRunner

    if not isinstance(environment.runner, MasterRunner):
        install(environment)


def failure_kind(error: BaseException | None, status: int) -> str:
    """http_<status> when the server answered; else timeout or connection."""
    # FastHttpUser reports some error statuses only through the exception's `code`.
    status = status or int(getattr(error, "code", 0) or 0)
    if status > 0:
        return f"http_{status}"
    timed_out = isinstance(error, (TimeoutError, socket.timeout, gevent.Timeout))
    return "timeout" if timed_out or "timed out" in str(error).lower() else "connection"


class InferenceUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0
    # The zoo models a locustfile measures when --ips-model is not given.
    default_models: tuple[str, ...] = ()

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        targets = [
            t.strip().rstrip("/")
            for t in (getattr(opts, "ips_targets", "") or "").split(",")
            if t.strip()
        ]
        targets = targets or [self.host.rstrip("/")]
        worker_index = getattr(self.environment.runner, "worker_index", 0) or 0
        # Pin this user to one model server, spreading users evenly (NxM topology).
        self.target = targets[(next(_pinning) + worker_index) % len(targets)]
        self._token: str | None = None
        self._skil = opts.ips_protocol == "skil"

    def _login(self) -> None:
        user = os.environ.get("IPSBENCH_SKIL_USER") or "admin"
        password = os.environ.get("IPSBENCH_SKIL_PASSWORD", "")
        with self.client.request(
            "POST",
            self.target + LOGIN_PATH,
            data=login_body(user, password),
            headers={"Content-Type": "application/json"},
            catch_response=True,
            name="skil login",
        ) as response:
            if response.status_code == 200:
                self._token = response.json().get("token")
            else:
                response.failure(f"login answered {response.status_code}")
                self._token = None

    @task
    def infer(self) -> None:
        state: WorkerState | None = getattr(self.environment, "ips_worker", None)
        phase = state.phase if state else None
        if phase is None:
            gevent.sleep(0.05)  # between steps or before the first phase message
            return
        codec = phase.codec
        headers = codec.headers
        if self._skil:
            if self._token is None:
                self._login()
                if self._token is None:
                    gevent.sleep(0.1)
                    return
            headers = {**headers, "Authorization": f"Bearer {self._token}"}
        started = time.perf_counter()
        with self.client.request(
            "POST",
            self.target + codec.path,
            data=codec.body,
            headers=headers,
            catch_response=True,
            name=codec.model.name,
        ) as response:
            latency = time.perf_counter() - started
            recorder = state.recorder  # the phase the request completes in
            status = response.status_code or 0
            error = getattr(response, "error", None)
            if error is not None or status != 200:
                kind = failure_kind(error, status)
                if kind == "http_401":
                    self._token = None  # SKIL: log in again
                response.failure(kind)
                if recorder is not None:
                    recorder.failure(kind)
                return
            try:
                rows = codec.decode(response.content or b"", response.headers or {})
            except ProtocolError as exc:
                response.failure(f"malformed: {exc}")
                if recorder is not None:
                    recorder.failure("malformed")
                return
            response.success()
            if recorder is not None:
                recorder.success(latency, rows, response.headers.get("Server-Timing"))
