"""`ipsbench compare RUN_DIR RUN_DIR…`: overlay runs; compare like with like, loudly otherwise."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ipsbench.errors import UserError
from ipsbench.fsutil import atomic_write_text
from ipsbench.report import figures
from ipsbench.report.data import RunData, load_run_data
from ipsbench.report.page import render_page

# What must match for a comparison to be fair, and how to read it from a run.
CHECKED: dict[str, Any] = {
    "CPU model": lambda r: (r.run.get("system") or {}).get("cpu", {}).get("model"),
    "cores": lambda r: (r.run.get("system") or {}).get("cpu", {}).get("cores"),
    "GPU": lambda r: [g.get("name") for g in (r.run.get("system") or {}).get("gpu") or []],
    "batch": lambda r: sorted({s["batch"] for s in r.steps}),
    "protocol": lambda r: sorted({s["protocol"] for s in r.steps}),
    "TensorFlow version": lambda r: (
        (r.run.get("system") or {}).get("versions", {}).get("tensorflow")
    ),
    "Locust version": lambda r: (r.run.get("system") or {}).get("versions", {}).get("locust"),
    "ipsbench version": lambda r: (r.run.get("system") or {}).get("versions", {}).get("ipsbench"),
    "window (s)": lambda r: (r.run.get("configuration") or {}).get("window"),
    "warm-up (s)": lambda r: (r.run.get("configuration") or {}).get("warmup"),
}
TOPOLOGY = ("app_servers", "model_servers")


def unfair_differences(runs: list[RunData]) -> list[str]:
    out = []
    for name, read in CHECKED.items():
        values = [read(r) for r in runs]
        if any(v != values[0] for v in values[1:]):
            shown = "; ".join(f"{r.label}: {v}" for r, v in zip(runs, values, strict=True))
            out.append(f"UNFAIR COMPARISON: {name} differs ({shown})")
    return out


def _topology(r: RunData, key: str) -> Any:
    return (r.run.get("topology") or {}).get(key)


def comparison_table(runs: list[RunData]) -> str:
    """Peak IPS and its p99 per model for each run, with ratios against the first run."""
    base = runs[0]
    models = list(dict.fromkeys(m for r in runs for m in r.models()))
    head = ["model"]
    for r in runs:
        head += [f"{r.label} IPS", "p99 ms"]
    head += [f"vs {base.label}"] if len(runs) > 1 else []
    rows = []
    for m in models:
        row = [m]
        peaks = [r.peak(m) for r in runs]
        for p in peaks:
            row += [f"{p['ips']:,.1f}", f"{p['latency_ms']['p99']:,.2f}"] if p else ["-", "-"]
        ratios = []
        for r, p in zip(runs[1:], peaks[1:], strict=True):
            if p and peaks[0]:
                ratios.append(
                    f"{r.label}: {p['ips'] / peaks[0]['ips']:.2f}× IPS, "
                    f"{p['latency_ms']['p99'] / peaks[0]['latency_ms']['p99']:.2f}× p99"
                )
        if len(runs) > 1:
            row.append("; ".join(ratios) or "-")
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, len(head) - 1) and len(runs) > 1 or i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def compare_runs(folders: list[Path], out: Path | None = None, *, force: bool = False) -> int:
    if len(folders) < 2:
        raise UserError("compare needs at least two run folders")
    runs = [load_run_data(f) for f in folders]
    model_sets = [set(r.models()) for r in runs]
    if any(s != model_sets[0] for s in model_sets[1:]) and not force:
        shown = "; ".join(
            f"{r.label}: {', '.join(sorted(s))}" for r, s in zip(runs, model_sets, strict=True)
        )
        raise UserError(
            f"the runs measured different models ({shown}); pass --force to compare anyway"
        )
    warnings = unfair_differences(runs)
    for w in warnings:
        print(w, file=sys.stderr)
    figs = [
        (
            "ips-vs-users",
            "IPS against concurrent users, every run and model overlaid.",
            figures.ips_vs_users(runs),
        ),
        (
            "latency-vs-throughput",
            "p99 and p50 against IPS for every run and model.",
            figures.latency_vs_throughput(runs),
        ),
        (
            "spectrum",
            "Latency percentiles at each model's peak step, per run.",
            figures.percentile_spectrum(runs),
        ),
    ]
    for key in TOPOLOGY:
        others = [k for k in TOPOLOGY if k != key]
        varies = len({_topology(r, key) for r in runs}) > 1
        fixed = all(len({_topology(r, k) for r in runs}) == 1 for k in others)
        if varies and fixed:
            figs.append(
                (
                    f"scaling-{key}",
                    "Peak IPS as servers are added, with the linear-scaling line.",
                    figures.topology_scaling(runs, key),
                )
            )
    target = out or runs[0].folder
    target.mkdir(parents=True, exist_ok=True)
    page = render_page(
        "ipsbench compare: " + " vs ".join(r.label for r in runs), runs, figs, warnings
    )
    atomic_write_text(target / "compare.html", page)
    print(comparison_table(runs))
    print(f"\ncomparison: {target / 'compare.html'}")
    return 0
