"""CI thresholds (as locust-plugins' --check-* options): a missed one makes the exit code 3."""

from __future__ import annotations

from typing import Any


def failed_checks(steps: list[dict[str, Any]], opts: Any) -> list[str]:
    failed = []
    min_ips = getattr(opts, "ips_check_min_ips", 0.0) or 0.0
    if min_ips > 0:
        best: dict[str, float] = {}
        for s in steps:
            if s.get("stable"):
                best[s["model"]] = max(best.get(s["model"], 0.0), s["ips"])
        for model in sorted({s["model"] for s in steps}):
            if best.get(model, 0.0) < min_ips:
                failed.append(
                    f"{model}: best stable IPS {best.get(model, 0.0):,.1f} < {min_ips:,.1f}"
                )
    max_p99 = getattr(opts, "ips_check_max_p99_ms", 0.0) or 0.0
    max_err = getattr(opts, "ips_check_max_error_rate", -1.0)
    for s in steps:
        p99 = (s.get("latency_ms") or {}).get("p99")
        if max_p99 > 0 and (p99 is None or p99 > max_p99):
            failed.append(f"{s['model']} at {s['users']} users: p99 {p99} ms > {max_p99} ms")
        if max_err is not None and max_err >= 0 and s["error_rate"] > max_err:
            failed.append(
                f"{s['model']} at {s['users']} users: error rate {s['error_rate']:.4f} > {max_err}"
            )
    if not steps and (min_ips > 0 or max_p99 > 0):
        failed.append("no step finished")
    return failed
