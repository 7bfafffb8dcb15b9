"""The master's step controller: phases, merging the workers' windows, stability, results.

Locust's shape worker calls `tick()` once a second; the controller answers with the user count
of the current step and, at phase boundaries, broadcasts `ips_phase` and gathers the workers'
`ips_window` reports (custom messages rather than `report_to_master`, which fires on Locust's
3 s stats timer and so cannot mark window boundaries).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import gevent

from ipsbench.errors import UserError
from ipsbench.load import histogram as hdr
from ipsbench.load.checks import failed_checks
from ipsbench.load.describe import model_input, self_description
from ipsbench.load.plan import Step, is_stable, make_plan, parse_list, parse_users
from ipsbench.load.worker import PHASE, WINDOW
from ipsbench.results import RunStore, new_run_id, utc_now
from ipsbench.system import collect_system

log = logging.getLogger("ipsbench")
REPORT_WAIT_S = 3.0


class StepController:
    def __init__(self, environment: Any) -> None:
        self.env = environment
        self.runner = environment.runner
        opts = environment.parsed_options
        self.opts = opts
        self.protocol, self.batch = opts.ips_protocol, opts.ips_batch
        host = (environment.host or "").rstrip("/")
        self.targets = parse_list(opts.ips_targets) or [host]
        models = parse_list(opts.ips_model) or [
            m for cls in environment.user_classes for m in getattr(cls, "default_models", ())
        ]
        if not models:
            raise UserError("no model to load: pass --ips-model")
        self.models = list(dict.fromkeys(models))
        self.inputs = {
            m: model_input(self.targets[0], self.protocol, m, opts.ips_input_shape)
            for m in self.models
        }
        plan = make_plan(self.models, parse_users(opts.ips_users))
        self.store = self._open_store(plan)
        done = {(s["model"], s["protocol"], s["batch"], s["users"]) for s in self.store.steps()}
        self.plan: list[Step] = [s for s in plan if s.key(self.protocol, self.batch) not in done]
        self.skipped = len(plan) - len(self.plan)
        self.reports: dict[tuple[int, int], list[dict]] = defaultdict(list)
        self.runner.register_message(WINDOW, self._on_window)
        self.position = -1
        self.phase_window = -1
        self.phase_started = 0.0
        self.windows: list[dict] = []
        self.step_started_at = ""
        self.worker_lost = False
        self.finished = False

    # -- the run folder
    def _open_store(self, plan: list[Step]) -> RunStore:
        opts = self.opts
        if opts.ips_resume:
            folder = Path(opts.ips_resume)
            store = RunStore.open_existing(folder)
            store.update_run(status="running", resumed_at=utc_now())
            return store
        run_id = opts.ips_run_id or new_run_id()
        folder = Path(opts.ips_results) / run_id
        config = {k[4:]: v for k, v in vars(opts).items() if k.startswith("ips_")}
        return RunStore.create(
            folder,
            {
                "run_id": run_id,
                "status": "running",
                "started_at": utc_now(),
                "system": collect_system(),
                "target": {
                    "urls": self.targets,
                    "protocol": self.protocol,
                    "self_description": self_description(
                        self.targets[0], self.protocol, self.models
                    ),
                },
                "topology": {
                    "app_servers": self._worker_count(),
                    "model_servers": len(self.targets),
                    "name": f"{self._worker_count()}x{len(self.targets)}",
                    "label": opts.ips_topology_label,
                },
                "models": self.inputs,
                "configuration": config,
                "plan": [{"model": s.model, "users": s.users} for s in plan],
            },
        )

    def _worker_ids(self) -> set[str]:
        clients = getattr(self.runner, "clients", None)
        if clients is None:
            return {"local"}
        return {w.id for w in clients.values() if w.state not in ("missing",)}

    def _worker_count(self) -> int:
        return len(self._worker_ids())

    # -- messages
    def _on_window(self, environment: Any, msg: Any, **_: Any) -> None:
        data = msg.data
        self.reports[(data["step"], data["window"])].append(data)

    def _broadcast(self, step: Step | None, window: int) -> None:
        if step is None:
            self.runner.send_message(PHASE, {"stop": True})
            return
        self.runner.send_message(
            PHASE,
            {
                "step": step.index,
                "window": window,
                "model": self.inputs[step.model],
                "protocol": self.protocol,
                "batch": self.batch,
                "binary": bool(self.opts.ips_binary),
                "deployment": self.opts.ips_deployment,
            },
        )

    # -- the shape's clock
    def tick(self) -> tuple[int, float] | None:
        if self.finished:
            return None
        now = time.perf_counter()
        if self.position < 0:
            if not self.plan:
                self._finish("completed")
                return None
            self._start_step(0, now)
        step = self.plan[self.position]
        elapsed = now - self.phase_started
        if self.phase_window < 0 and elapsed >= self.opts.ips_warmup:
            self.expected = self._worker_ids()
            self._begin(step, 0, now)
            self.step_started_at = utc_now()
        elif self.phase_window >= 0 and elapsed >= self.opts.ips_window:
            self._close_window(step, now)
            if self.finished:
                return None
        step = self.plan[self.position]
        return step.users, max(step.users, 100)

    def _begin(self, step: Step, window: int, now: float) -> None:
        self.phase_window = window
        self.phase_started = now
        self._broadcast(step, window)

    def _start_step(self, position: int, now: float) -> None:
        self.position = position
        self.windows = []
        self.reports.clear()  # what is left is the previous step's cut-off window
        self.worker_lost = False
        self._begin(self.plan[position], -1, now)

    def _close_window(self, step: Step, now: float) -> None:
        window, duration = self.phase_window, now - self.phase_started
        self._begin(step, window + 1, now)  # workers ship window `window` on this message
        deadline = time.perf_counter() + REPORT_WAIT_S
        while (
            len(self.reports[(step.index, window)]) < len(self.expected)
            and time.perf_counter() < deadline
        ):
            gevent.sleep(0.01)
        reports = self.reports.pop((step.index, window), [])
        if len(reports) < len(self.expected) or self._worker_ids() != self.expected:
            self.worker_lost = True
        self.windows.append(self._merge_window(reports, duration))
        stable = is_stable(self.windows, self.opts.ips_tolerance)
        if (stable and len(self.windows) >= self.opts.ips_min_windows) or len(
            self.windows
        ) >= self.opts.ips_max_windows:
            self._record(step, stable)
            if self.position + 1 < len(self.plan):
                self._start_step(self.position + 1, time.perf_counter())
            else:
                self._broadcast(None, 0)
                self._finish("completed")

    @staticmethod
    def _merge_window(reports: list[dict], duration: float) -> dict:
        merged = hdr.merge([r["hdr"] for r in reports])
        inferences = sum(r["inferences"] for r in reports)
        return {
            "duration_s": duration,
            "reports": reports,
            "histogram": merged,
            "inferences": inferences,
            "ips": inferences / duration if duration > 0 else 0.0,
            "p99_ms": hdr.latency_summary_ms(merged)["p99"],
            "cpu_max": max((r["cpu_percent"] for r in reports), default=0.0),
        }

    def _record(self, step: Step, stable: bool) -> None:
        windows = self.windows
        reports = [r for w in windows for r in w["reports"]]
        merged = hdr.new_histogram()
        for w in windows:
            merged.add(w["histogram"])
        duration = sum(w["duration_s"] for w in windows)
        requests_ = sum(r["requests"] for r in reports)
        inferences = sum(r["inferences"] for r in reports)
        failures: Counter = Counter()
        for r in reports:
            failures.update(r["failures"])
        timed = sum(r["server_timed"] for r in reports)
        cpu_max = max((w["cpu_max"] for w in windows), default=0.0)
        record = {
            "step": step.index,
            "model": step.model,
            "protocol": self.protocol,
            "batch": self.batch,
            "users": step.users,
            "app_servers": len(self.expected),
            "model_servers": len(self.targets),
            "duration_s": round(duration, 3),
            "windows": len(windows),
            "window_ips": [round(w["ips"], 1) for w in windows],
            "requests": requests_,
            "inferences": inferences,
            "ips": round(inferences / duration, 2) if duration else 0.0,
            "error_rate": round(sum(failures.values()) / requests_, 6) if requests_ else 0.0,
            "failures": dict(failures),
            "latency_ms": hdr.latency_summary_ms(merged),
            "server_ms": {
                "queue": round(sum(r["server_queue_ms"] for r in reports) / timed, 3),
                "compute": round(sum(r["server_compute_ms"] for r in reports) / timed, 3),
            }
            if timed
            else None,
            "hdr": hdr.encode(merged) if merged.get_total_count() else "",
            "stable": stable,
            "client_cpu_max": round(cpu_max, 1),
            "client_bound": cpu_max > self.opts.ips_cpu_limit,
            "worker_lost": self.worker_lost,
            "started_at": self.step_started_at,
            "ended_at": utc_now(),
        }
        self.store.append_step(record)
        flags = [
            f
            for f, on in (
                ("unstable", not stable),
                ("client-bound", record["client_bound"]),
                ("worker lost", self.worker_lost),
            )
            if on
        ]
        p99 = record["latency_ms"]["p99"]
        log.info(
            "step %d/%d %s users=%d: %s IPS, p99 %s ms, errors %.2f%%%s",
            self.position + 1 + self.skipped,
            len(self.plan) + self.skipped,
            step.model,
            step.users,
            f"{record['ips']:,.1f}",
            "-" if p99 is None else f"{p99:,.2f}",
            100 * record["error_rate"],
            f" [{', '.join(flags)}]" if flags else "",
        )

    def live_rows(self) -> list[dict[str, Any]]:
        """Finished steps, then the step in progress with its last window (for the web UI)."""
        from ipsbench.load.summary import flags

        rows = []
        for s in self.store.steps():
            lat = s.get("latency_ms") or {}
            rows.append(
                {
                    "model": s["model"],
                    "users": s["users"],
                    "state": "done",
                    "ips": round(s["ips"], 1),
                    "p50_ms": lat.get("p50"),
                    "p99_ms": lat.get("p99"),
                    "error_rate": s["error_rate"],
                    "flags": flags(s),
                }
            )
        if not self.finished and 0 <= self.position < len(self.plan):
            step = self.plan[self.position]
            last = self.windows[-1] if self.windows else None
            summary = hdr.latency_summary_ms(last["histogram"]) if last else {}
            rows.append(
                {
                    "model": step.model,
                    "users": step.users,
                    "state": "warm-up"
                    if self.phase_window < 0
                    else f"window {self.phase_window + 1}",
                    "ips": round(last["ips"], 1) if last else None,
                    "p50_ms": summary.get("p50"),
                    "p99_ms": summary.get("p99"),
                    "error_rate": None,
                    "flags": "",
                }
            )
        return rows

    def _finish(self, status: str) -> None:
        if self.finished:
            return
        self.finished = True
        failed = failed_checks(self.store.steps(), self.opts)
        self.store.update_run(status=status, ended_at=utc_now(), checks_failed=failed)
        for line in failed:
            log.error("check failed: %s", line)
        if failed:
            self.env.process_exit_code = 3

    def interrupt(self) -> None:
        """Ctrl-C, SIGTERM or a stop from the web UI: keep every finished step."""
        if not self.finished:
            self._finish("interrupted")
