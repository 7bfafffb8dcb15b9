"""The Locust web UI in headless Chromium: start a swarm, see inferences per second appear."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipsbench.server.process import free_port, stop, wait_until_answers
from tests.helpers import REPO, ZOO
from tests.server_proc import SKIL_ENV, running_server

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_web_ui_shows_inferences_per_second(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: scripts/system-packages.sh installs it")
    from playwright.sync_api import sync_playwright

    port = free_port()
    with running_server(
        "--no-zoo",
        "--synthetic",
        "name=fast,service_ms=2,slots=8",
        "--data-dir",
        str(tmp_path / "d"),
    ) as target:
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(REPO / "locustfiles" / "zoo.py"),
                "--host",
                target,
                "--web-host",
                "127.0.0.1",
                "--web-port",
                str(port),
                "--ips-model",
                "fast",
                "--ips-users",
                "2,4",
                "--ips-warmup",
                "1",
                "--ips-window",
                "1",
                "--ips-min-windows",
                "3",
                "--ips-max-windows",
                "3",
                "--ips-results",
                str(tmp_path),
                "--ips-run-id",
                "web",
            ],
            cwd=REPO,
            env={**os.environ, **SKIL_ENV, "IPSBENCH_ZOO": str(ZOO)},
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "locust.log", "wb"),
        )
        try:
            ui = f"http://127.0.0.1:{port}/"
            wait_until_answers(ui, 30, locust)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(ui)
                page.get_by_role("button", name=re.compile("start", re.I)).first.click()
                page.get_by_role("tab", name="Inferences/s").click()
                # The Inferences/s column (4th) holds a number once the first window has closed.
                cell = page.locator("table tbody tr td:nth-child(4)").filter(
                    has_text=re.compile(r"^\d[\d,.]*$")
                )
                cell.first.wait_for(timeout=30_000)
                page.screenshot(path=str(tmp_path / "web-ui.png"))
                text = page.locator("table").first.inner_text()
                assert float(cell.first.inner_text().replace(",", "")) > 0
                browser.close()
            assert "fast" in text
            folder = tmp_path / "web"
            deadline = time.monotonic() + 60
            while (
                not (folder / "steps.jsonl").exists()
                or len((folder / "steps.jsonl").read_text().splitlines()) < 2
            ):
                assert time.monotonic() < deadline, "the web UI run wrote no steps"
                time.sleep(0.5)
            steps = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
            assert [s["users"] for s in steps] == [2, 4] and all(s["ips"] > 0 for s in steps)
            assert json.loads((folder / "run.json").read_text())["status"] in (
                "running",
                "completed",
            )
        finally:
            stop(locust)
