"""The run store: `reports/<run-id>/run.json` and `steps.jsonl`, both schema-versioned.

`steps.jsonl` gets one line per finished step, appended, flushed and fsynced as the step ends,
so an interrupted run keeps every finished step; `run.json` is rewritten atomically.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ipsbench.fsutil import atomic_write_text

SCHEMA_VERSION = 1
RUN_FILE = "run.json"
STEPS_FILE = "steps.jsonl"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


@dataclass
class RunStore:
    folder: Path
    run: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, run: dict[str, Any]) -> RunStore:
        folder.mkdir(parents=True, exist_ok=True)
        store = cls(folder, {"schema_version": SCHEMA_VERSION, **run})
        store.save_run()
        return store

    @classmethod
    def open_existing(cls, folder: Path) -> RunStore:
        run, _, _ = load_run(folder)
        return cls(folder, run)

    def save_run(self) -> None:
        atomic_write_text(
            self.folder / RUN_FILE, json.dumps(self.run, indent=2, default=str) + "\n"
        )

    def update_run(self, **changes: Any) -> None:
        self.run.update(changes)
        self.save_run()

    def append_step(self, step: dict[str, Any]) -> None:
        line = json.dumps({"schema_version": SCHEMA_VERSION, **step}, separators=(",", ":"))
        with open(self.folder / STEPS_FILE, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def steps(self) -> list[dict[str, Any]]:
        return load_steps(self.folder)[0]


def load_run(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(run.json, the readable steps, one message per unreadable step line)."""
    path = folder / RUN_FILE
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{folder} holds no {RUN_FILE}: not a results folder") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is corrupted ({exc.msg} at line {exc.lineno})") from None
    version = run.get("schema_version") if isinstance(run, dict) else None
    run = _upgrade(run, version, path)
    steps, problems = load_steps(folder)
    return run, steps, problems


# Upgrades from older schema versions: {old version: function(run) -> run of version + 1}.
# Version 1 is the first released; nothing older can be upgraded.
UPGRADES: dict[int, Any] = {}


def _upgrade(run: Any, version: Any, path: Path) -> dict[str, Any]:
    if not isinstance(version, int):
        raise ValueError(f"{path} has no schema_version: not written by ipsbench")
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"{path} has schema_version {version}, newer than this ipsbench reads "
            f"({SCHEMA_VERSION}): upgrade ipsbench"
        )
    while version < SCHEMA_VERSION:
        if version not in UPGRADES:
            raise ValueError(
                f"{path} has schema_version {version}, which cannot be upgraded to "
                f"{SCHEMA_VERSION} (no such released format)"
            )
        run = UPGRADES[version](run)
        version += 1
    return run


def load_steps(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    path = folder / STEPS_FILE
    steps: list[dict[str, Any]] = []
    problems: list[str] = []
    if not path.exists():
        return steps, problems
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            step = json.loads(line)
        except json.JSONDecodeError:
            problems.append(f"{path}:{number}: not a JSON line (truncated?); skipped")
            continue
        if not isinstance(step, dict) or step.get("schema_version") != SCHEMA_VERSION:
            problems.append(f"{path}:{number}: unknown schema_version; skipped")
            continue
        steps.append(step)
    return steps, problems
