"""The table `ipsbench run` prints at the end: model x users -> IPS, p99, flags."""

from __future__ import annotations

from typing import Any


def flags(step: dict[str, Any]) -> str:
    out = []
    if not step.get("stable"):
        out.append("unstable")
    if step.get("client_bound"):
        out.append("client-bound")
    if step.get("worker_lost"):
        out.append("worker-lost")
    if step.get("error_rate"):
        out.append(f"errors {100 * step['error_rate']:.1f}%")
    return ", ".join(out)


def summary_table(steps: list[dict[str, Any]]) -> str:
    headers = ["model", "users", "IPS", "p50 ms", "p99 ms", "flags"]
    rows = []
    for s in steps:
        lat = s.get("latency_ms") or {}
        rows.append(
            [
                s["model"],
                str(s["users"]),
                f"{s['ips']:,.1f}",
                "-" if lat.get("p50") is None else f"{lat['p50']:.2f}",
                "-" if lat.get("p99") is None else f"{lat['p99']:.2f}",
                flags(s),
            ]
        )
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    right = {1, 2, 3, 4}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
