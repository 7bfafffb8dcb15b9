"""`ipsbench models list`: the catalog joined with what the build folder holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ipsbench.zoo.catalog import Catalog
from ipsbench.zoo.manifest import find_entry, load_manifest


def zoo_rows(catalog: Catalog, build_dir: Path) -> list[dict[str, Any]]:
    manifest = load_manifest(build_dir)
    rows = []
    for spec in catalog.models:
        entry = find_entry(manifest, spec.name)
        if entry is None:
            state = "no"
        elif entry.get("spec_hash") != spec.spec_hash():
            state = "stale"
        else:
            state = "yes"
        base = (entry or {}).get("baseline") or {}
        rows.append(
            {
                "name": spec.name,
                "architecture": spec.architecture,
                "params": entry["params"] if entry else spec.params,
                "input_shape": list(spec.input_shape),
                "built": state,
                "baseline_ips_batch_1": base.get("batch_1", {}).get("ips"),
                "baseline_ips_batch_32": base.get("batch_32", {}).get("ips"),
            }
        )
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    headers = ["name", "architecture", "params", "input", "built", "IPS @1", "IPS @32"]
    body = [
        [
            r["name"],
            r["architecture"],
            f"{r['params']:,}",
            "[" + ", ".join(str(d) for d in r["input_shape"]) + "]",
            r["built"],
            _num(r["baseline_ips_batch_1"]),
            _num(r["baseline_ips_batch_32"]),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(headers)]
    numeric = {2, 5, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in body])


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"
