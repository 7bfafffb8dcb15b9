"""How long `ipsbench report` takes on a run of 200 steps (target: under 10 s without PNGs).

    python benchmarks/report_speed.py [--steps 200]

Builds a results folder of N steps (20 models × N/20 user levels) from the golden fixture's
steps, HDR histograms included, then times the report as a process, as a user would run it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, ipsbench

from ipsbench.results import load_steps

FIXTURE = REPO / "tests" / "fixtures" / "runs" / "golden-1x1"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    templates = load_steps(FIXTURE)[0]
    archs = ["mlp", "cnn", "lstm", "identity"]
    levels = max(1, args.steps // 20)
    with tempfile.TemporaryDirectory() as tmp_name:
        folder = Path(tmp_name) / "big"
        folder.mkdir()
        (folder / "run.json").write_text((FIXTURE / "run.json").read_text())
        lines = []
        for m in range(20):
            for u in range(levels):
                step = dict(templates[(m + u) % len(templates)])
                step.update(model=f"{archs[m % 4]}-{m}", users=2**u, ips=step["ips"] * (1 + u / 10))
                lines.append(json.dumps(step))
        (folder / "steps.jsonl").write_text("\n".join(lines[: args.steps]) + "\n")
        started = time.perf_counter()
        ipsbench("report", str(folder), "--no-png", stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        size = (folder / "report.html").stat().st_size
    print(
        f"ipsbench report on {args.steps} steps (20 models), no PNGs: {seconds:.2f} s "
        f"(target < 10 s); report.html {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
