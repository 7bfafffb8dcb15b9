"""A run folder, loaded for reporting: run.json, the readable steps, and what could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsbench.errors import UserError
from ipsbench.results import load_run

ARCH_ORDER = ("identity", "mlp", "cnn", "lstm")


@dataclass(frozen=True)
class RunData:
    folder: Path
    run: dict[str, Any]
    steps: tuple[dict[str, Any], ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return str(self.run.get("run_id") or self.folder.name)

    def models(self) -> list[str]:
        return list(dict.fromkeys(s["model"] for s in self.steps))

    def steps_of(self, model: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.steps if s["model"] == model), key=lambda s: s["users"])

    def baseline(self, model: str, batch: int) -> float | None:
        entry = (self.run.get("baselines") or {}).get(model) or {}
        return (entry.get(f"batch_{batch}") or {}).get("ips")

    def peak(self, model: str) -> dict[str, Any] | None:
        """The best stable step (the best step at all when none is stable)."""
        steps = self.steps_of(model)
        stable = [s for s in steps if s.get("stable") and not s.get("client_bound")]
        pool = stable or steps
        return max(pool, key=lambda s: s["ips"]) if pool else None


def architecture(model: str) -> str:
    head = model.split("-", 1)[0]
    if model == "resnet50":
        return "cnn"
    return head if head in ARCH_ORDER else "other"


def load_run_data(folder: Path) -> RunData:
    try:
        run, steps, problems = load_run(folder)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return RunData(folder, run, tuple(steps), tuple(problems))
