"""The steps of a run and the rule that says a step is stable."""

from __future__ import annotations

from dataclasses import dataclass

from ipsbench.errors import UserError


@dataclass(frozen=True)
class Step:
    index: int
    model: str
    users: int

    def key(self, protocol: str, batch: int) -> tuple[str, str, int, int]:
        return (self.model, protocol, batch, self.users)


def parse_users(text: str) -> list[int]:
    """`1,2,4,8` or `1-32` (powers of two from 1 to 32)."""
    text = text.strip()
    try:
        if "-" in text and "," not in text:
            low, high = (int(x) for x in text.split("-", 1))
            if low < 1 or high < low:
                raise ValueError
            levels = []
            n = low
            while n <= high:
                levels.append(n)
                n *= 2
            return levels
        levels = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(
            f"--users {text!r}: give numbers like 1,2,4,8 or a range like 1-32"
        ) from None
    if not levels or any(n < 1 for n in levels):
        raise UserError(f"--users {text!r}: every level must be a positive number of users")
    return levels


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def make_plan(models: list[str], users: list[int]) -> list[Step]:
    """Every model over every user level, model by model (as the charts read)."""
    return [Step(i, m, u) for i, (m, u) in enumerate((m, u) for m in models for u in users)]


def agree(values: list[float], tolerance: float) -> bool:
    """All within ±tolerance of their mean (perf_analyzer's stability rule)."""
    if not values:
        return False
    mean = sum(values) / len(values)
    if mean == 0:
        return all(v == 0 for v in values)
    return all(abs(v - mean) <= tolerance * mean for v in values)


def is_stable(windows: list[dict], tolerance: float, last: int = 3) -> bool:
    """The last `last` windows agree on IPS and on p99 latency."""
    if len(windows) < last:
        return False
    tail = windows[-last:]
    p99s = [w["p99_ms"] for w in tail]
    if any(p is None for p in p99s):
        return False
    return agree([w["ips"] for w in tail], tolerance) and agree(p99s, tolerance)
