"""A progress bar on stderr for long commands (rich), silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressBar:
    def __init__(self, label: str) -> None:
        self._label = label
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            transient=True,
            disable=not sys.stderr.isatty(),
        )
        self._task = self._progress.add_task(label, total=None)

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def log(self, text: str) -> None:
        """A line on stderr above the bar (printed whether or not the bar is shown)."""
        self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def update(self, item: str, done: int, total: int) -> None:
        description = f"{self._label} {item}" if item else self._label
        self._progress.update(self._task, description=description, completed=done, total=total)
