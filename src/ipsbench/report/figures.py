"""Plotly figures, each a pure function of loaded runs. Readable in grey: every line differs by
marker symbol and dash as well as colour; every axis has a title with its unit."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ipsbench.load.histogram import decode
from ipsbench.report.data import ARCH_ORDER, RunData, architecture

SYMBOLS = [
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "star",
    "triangle-down",
    "cross",
    "pentagon",
]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
COLOURS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
]
LAYOUT = {
    "template": "plotly_white",
    "font": {"size": 13},
    "legend": {"orientation": "h", "y": -0.18},
}


def _style(i: int) -> dict[str, Any]:
    return {
        "symbol": SYMBOLS[i % len(SYMBOLS)],
        "dash": DASHES[i % len(DASHES)],
        "colour": COLOURS[i % len(COLOURS)],
    }


def _flags(step: dict[str, Any]) -> str:
    reasons = [
        r
        for r, on in (
            ("unstable", not step.get("stable")),
            ("client-bound", step.get("client_bound")),
            ("worker lost", step.get("worker_lost")),
        )
        if on
    ]
    return ", ".join(reasons) or "stable"


def _architectures(runs: list[RunData]) -> list[str]:
    present = {architecture(m) for r in runs for m in r.models()}
    return [a for a in (*ARCH_ORDER, "other") if a in present]


def _series(runs: list[RunData]) -> list[tuple[RunData, str, str]]:
    """(run, model, legend name) in a stable order; the run's label only when several runs."""
    many = len(runs) > 1
    return [(r, m, f"{m} ({r.label})" if many else m) for r in runs for m in r.models()]


def ips_vs_users(runs: list[RunData]) -> go.Figure:
    """The headline chart: IPS against concurrent users (log2), a line per model, a panel per
    architecture; unstable or client-bound steps drawn hollow, the reason on hover."""
    archs = _architectures(runs)
    fig = make_subplots(
        rows=1,
        cols=len(archs),
        subplot_titles=[a.upper() if a != "identity" else "identity" for a in archs],
        shared_yaxes=False,
    )
    for i, (run, model, name) in enumerate(_series(runs)):
        steps = run.steps_of(model)
        style = _style(i)
        hollow = [
            not s.get("stable") or s.get("client_bound") or s.get("worker_lost") for s in steps
        ]
        fig.add_trace(
            go.Scatter(
                x=[s["users"] for s in steps],
                y=[s["ips"] for s in steps],
                name=name,
                mode="lines+markers",
                line={"dash": style["dash"], "color": style["colour"], "width": 2},
                marker={
                    "symbol": [style["symbol"] + ("-open" if h else "") for h in hollow],
                    "size": 9,
                    "color": style["colour"],
                    "line": {"width": 2, "color": style["colour"]},
                },
                customdata=[[_flags(s), s["latency_ms"]["p99"]] for s in steps],
                hovertemplate=f"{name}<br>%{{x}} users: %{{y:,.1f}} IPS<br>p99 %{{customdata[1]}} ms<br>%{{customdata[0]}}<extra></extra>",
            ),
            row=1,
            col=archs.index(architecture(model)) + 1,
        )
    fig.update_xaxes(type="log", dtick=math.log10(2), title_text="concurrent users (log2)")
    fig.update_yaxes(title_text="inferences / s", rangemode="tozero", col=1)
    fig.update_layout(
        title="Inferences per second vs concurrent users (hollow: unstable or client-bound)",
        height=460,
        **LAYOUT,
    )
    return fig


def latency_vs_throughput(runs: list[RunData]) -> go.Figure:
    fig = go.Figure()
    for i, (run, model, name) in enumerate(_series(runs)):
        steps = run.steps_of(model)
        style = _style(i)
        x = [s["ips"] for s in steps]
        for key, dash, suffix in (("p99", "solid", "p99"), ("p50", "dash", "p50")):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[s["latency_ms"][key] for s in steps],
                    name=f"{name} {suffix}",
                    mode="lines+markers",
                    line={"dash": dash, "color": style["colour"]},
                    marker={"symbol": style["symbol"], "size": 7},
                    customdata=[s["users"] for s in steps],
                    hovertemplate=f"{name}<br>%{{x:,.1f}} IPS, %{{customdata}} users<br>{suffix} %{{y:,.2f}} ms<extra></extra>",
                )
            )
    fig.update_xaxes(title_text="inferences / s")
    fig.update_yaxes(title_text="latency (ms, log)", type="log")
    fig.update_layout(title="Latency vs throughput (solid: p99, dashed: p50)", height=460, **LAYOUT)
    return fig


def peak_vs_ceiling(run: RunData) -> go.Figure:
    """Each model's best stable step beside the in-process baseline at the same batch, with the
    ratio printed on the bar."""
    models = run.models()
    peaks = [run.peak(m) for m in models]
    ceilings = [
        run.baseline(m, p["batch"]) if p else None for m, p in zip(models, peaks, strict=True)
    ]
    ratios = [
        f"{p['ips'] / c:.0%} of ceiling" if p and c else "no baseline"
        for p, c in zip(peaks, ceilings, strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=models,
            y=[p["ips"] if p else 0 for p in peaks],
            name="REST peak (best stable step)",
            text=ratios,
            textposition="outside",
            marker={"color": "#1f77b4"},
        )
    )
    fig.add_trace(
        go.Bar(
            x=models,
            y=[c or 0 for c in ceilings],
            name="in-process ceiling (same batch)",
            marker={"color": "#bbbbbb", "pattern": {"shape": "/"}},
        )
    )
    fig.update_xaxes(title_text="model")
    fig.update_yaxes(title_text="inferences / s (log)", type="log")
    fig.update_layout(
        title="Peak IPS against the in-process ceiling", barmode="group", height=460, **LAYOUT
    )
    return fig


def round_trip_split(run: RunData) -> go.Figure | None:
    """Mean round trip at the lowest concurrency split by Server-Timing into server queue, model
    compute and the rest (REST, serialisation, network); None when the server sent no timing."""
    rows = []
    for m in run.models():
        first = next((s for s in run.steps_of(m) if s.get("server_ms")), None)
        if first:
            q, c = first["server_ms"]["queue"], first["server_ms"]["compute"]
            rows.append(
                (f"{m} ({first['users']} u)", q, c, max(0.0, first["latency_ms"]["mean"] - q - c))
            )
    if not rows:
        return None
    fig = go.Figure()
    for index, (label, pattern) in enumerate(
        (("server queue", "x"), ("model compute", ""), ("REST, serialisation, network", "."))
    ):
        fig.add_trace(
            go.Bar(
                x=[r[0] for r in rows],
                y=[r[index + 1] for r in rows],
                name=label,
                marker={"pattern": {"shape": pattern}},
            )
        )
    fig.update_xaxes(title_text="model (users)")
    fig.update_yaxes(title_text="mean milliseconds per request")
    fig.update_layout(
        title="Where the round trip goes at the lowest concurrency",
        barmode="stack",
        height=440,
        **LAYOUT,
    )
    return fig


NINES = [50.0, 90.0, 99.0, 99.9, 99.99]


def percentile_spectrum(runs: list[RunData]) -> go.Figure:
    """Latency at 50, 90, 99, 99.9, 99.99 % and max at each model's peak step (from HDR)."""
    fig = go.Figure()
    for i, (run, model, name) in enumerate(_series(runs)):
        peak = run.peak(model)
        if not peak or not peak.get("hdr"):
            continue
        hist = decode(peak["hdr"])
        xs = [-math.log10(1 - p / 100) for p in NINES] + [5.0]
        ys = [hist.get_value_at_percentile(p) / 1000 for p in NINES] + [hist.get_max_value() / 1000]
        style = _style(i)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=f"{name} ({peak['users']} users)",
                mode="lines+markers",
                line={"dash": style["dash"], "color": style["colour"]},
                marker={"symbol": style["symbol"], "size": 8},
            )
        )
    fig.update_xaxes(
        title_text="percentile",
        tickvals=[-math.log10(1 - p / 100) for p in NINES] + [5.0],
        ticktext=["50%", "90%", "99%", "99.9%", "99.99%", "max"],
    )
    fig.update_yaxes(title_text="latency (ms, log)", type="log")
    fig.update_layout(
        title="Latency percentile spectrum at each model's peak step", height=460, **LAYOUT
    )
    return fig


def topology_scaling(runs: list[RunData], key: str) -> go.Figure:
    """Peak IPS against app servers or model servers, with linear scaling for reference."""
    fig = go.Figure()
    models = list(dict.fromkeys(m for r in runs for m in r.models()))
    for i, model in enumerate(models):
        points = sorted(
            (r.run["topology"][key], r.peak(model)["ips"]) for r in runs if r.peak(model)
        )
        if not points:
            continue
        style = _style(i)
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                name=model,
                mode="lines+markers",
                line={"color": style["colour"], "dash": "solid"},
                marker={"symbol": style["symbol"], "size": 9},
            )
        )
        n0, ips0 = points[0]
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[ips0 * p[0] / n0 for p in points],
                name=f"{model} linear",
                mode="lines",
                line={"color": style["colour"], "dash": "dot"},
            )
        )
    label = "app servers (N)" if key == "app_servers" else "model servers (M)"
    fig.update_xaxes(title_text=label, dtick=1)
    fig.update_yaxes(title_text="peak inferences / s", rangemode="tozero")
    fig.update_layout(title=f"Scaling with {label} (dotted: linear)", height=440, **LAYOUT)
    return fig
