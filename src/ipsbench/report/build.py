"""`ipsbench report RUN_DIR [--png]`: report.html (and figures/*.png) in the run folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import plotly.graph_objects as go

from ipsbench.fsutil import atomic_write_text
from ipsbench.report import figures
from ipsbench.report.data import RunData, load_run_data
from ipsbench.report.page import render_page

EXPLAIN = {
    "ips-vs-users": "Inferences per second against concurrent users, one line per model, one panel per "
    "architecture: where a line flattens, the server is saturated.",
    "latency-vs-throughput": "p99 (solid) and p50 (dashed) latency against IPS: where a curve turns up is "
    "that model's useful capacity.",
    "peak-vs-ceiling": "Each model's best stable IPS beside the compiled model called in-process at the same "
    "batch: the gap is what REST and the server cost.",
    "round-trip": "The mean round trip at the lowest concurrency, split by the server's Server-Timing into "
    "queue, model compute and everything else.",
    "spectrum": "The latency distribution at each model's peak step, from the merged HDR histogram, on a "
    "'nines' axis.",
}


def chromium_available() -> bool:
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))


def report_figures(run: RunData) -> list[tuple[str, str, go.Figure]]:
    figs: list[tuple[str, str, go.Figure]] = [
        ("ips-vs-users", EXPLAIN["ips-vs-users"], figures.ips_vs_users([run])),
        (
            "latency-vs-throughput",
            EXPLAIN["latency-vs-throughput"],
            figures.latency_vs_throughput([run]),
        ),
        ("peak-vs-ceiling", EXPLAIN["peak-vs-ceiling"], figures.peak_vs_ceiling(run)),
    ]
    split = figures.round_trip_split(run)
    if split is not None:
        figs.append(("round-trip", EXPLAIN["round-trip"], split))
    figs.append(("spectrum", EXPLAIN["spectrum"], figures.percentile_spectrum([run])))
    return figs


def write_report(folder: Path, png: bool | None = None) -> Path:
    """Write report.html (and PNGs when asked, or by default when a Chromium is found)."""
    run = load_run_data(folder)
    warnings = list(run.problems)
    if not run.steps:
        warnings.append("This run has no finished step yet.")
    if run.run.get("status") != "completed":
        warnings.append(
            f"Run status: {run.run.get('status')} (the figures show the steps that finished)."
        )
    figs = report_figures(run) if run.steps else []
    html = render_page(f"ipsbench run {run.label}", [run], figs, warnings)
    out = folder / "report.html"
    atomic_write_text(out, html)
    for problem in run.problems:
        print(problem, file=sys.stderr)
    if png is None:
        png = chromium_available()
    if png and figs:
        write_pngs(figs, folder / "figures")
    return out


def write_pngs(figs: list[tuple[str, str, go.Figure]], folder: Path) -> list[Path]:
    """One PNG per figure through kaleido (one browser for all of them)."""
    import plotly.io as pio

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{div_id}.png" for div_id, _, _ in figs]
    pio.write_images([f for _, _, f in figs], paths, width=1200, height=560, scale=1)
    return paths
