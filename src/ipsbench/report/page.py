"""The self-contained HTML page: plotly.js embedded once, every figure, the tables."""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ipsbench.load.summary import flags
from ipsbench.report.data import RunData

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:24px}h2{font-size:19px;margin-top:32px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.warn{background:#fff3cd;border:1px solid #e0c36b;padding:8px 12px}
.figure{margin:12px 0 28px 0}.note{color:#555;font-size:13px}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def figure_div(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def steps_table(runs: list[RunData]) -> str:
    head = [
        "run",
        "model",
        "protocol",
        "batch",
        "users",
        "IPS",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "errors",
        "flags",
    ]
    rows = []
    for run in runs:
        for s in run.steps:
            lat = s.get("latency_ms") or {}
            rows.append(
                [
                    run.label,
                    s["model"],
                    s["protocol"],
                    s["batch"],
                    s["users"],
                    f"{s['ips']:,.1f}",
                    lat.get("p50"),
                    lat.get("p90"),
                    lat.get("p99"),
                    lat.get("p999"),
                    f"{100 * s['error_rate']:.2f}%",
                    flags(s) or "stable",
                ]
            )
    left = {0, 1, 2, 11}
    out = [
        "<table id='steps'><tr>"
        + "".join(
            f"<th class='{'l' if i in left else ''}'>{esc(h)}</th>" for i, h in enumerate(head)
        )
        + "</tr>"
    ]
    for r in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td class='{'l' if i in left else ''}'>{esc(v)}</td>" for i, v in enumerate(r)
            )
            + "</tr>"
        )
    return "\n".join(out) + "</table>"


def environment_table(run: RunData) -> str:
    r = run.run
    system = r.get("system") or {}
    cpu, mem, osinfo = system.get("cpu") or {}, system.get("memory") or {}, system.get("os") or {}
    versions, git = system.get("versions") or {}, system.get("git") or {}
    gpus = ", ".join(g.get("name", "") for g in system.get("gpu") or []) or "none"
    target = r.get("target") or {}
    rows = [
        ("run", run.label),
        ("status", r.get("status")),
        ("started", r.get("started_at")),
        ("ended", r.get("ended_at")),
        ("CPU", f"{cpu.get('model', '')} ({cpu.get('cores')} cores)"),
        ("memory", f"{mem.get('total_gib')} GiB"),
        ("GPU", gpus),
        ("OS", f"{osinfo.get('name', '')}, kernel {osinfo.get('kernel', '')}"),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items() if v)),
        ("commit", f"{git.get('commit')}{' (dirty)' if git.get('dirty') else ''}"),
        ("target", f"{', '.join(target.get('urls') or [])} ({target.get('protocol')})"),
        ("target says", json.dumps((target.get("self_description") or {}).get("server"))),
        ("topology", json.dumps(r.get("topology"))),
        ("configuration", json.dumps(r.get("configuration"), sort_keys=True)),
    ]
    return (
        "<table class='env'>"
        + "".join(
            f"<tr><th class='l'>{esc(k)}</th><td class='l'>{esc(v)}</td></tr>" for k, v in rows
        )
        + "</table>"
    )


def render_page(
    title: str, runs: list[RunData], figures: list[tuple[str, str, go.Figure]], warnings: list[str]
) -> str:
    """figures: (id, one-sentence explanation, figure)."""
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}</title>",
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    for w in warnings:
        parts.append(f"<p class='warn'>{esc(w)}</p>")
    for div_id, sentence, fig in figures:
        parts.append(
            f"<div class='figure'><p class='note'>{esc(sentence)}</p>{figure_div(fig, div_id)}</div>"
        )
    parts.append("<h2>Every step</h2>" + steps_table(runs))
    for run in runs:
        parts.append(f"<h2>Environment: {esc(run.label)}</h2>" + environment_table(run))
    parts.append("</body></html>")
    return "\n".join(parts)
