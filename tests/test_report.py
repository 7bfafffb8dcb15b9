"""Reports and comparisons from golden results folders (tests/fixtures/runs), and in Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, assert_user_error, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "runs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
GOLDEN_COMPARE = """\
model  golden-1x1 IPS  p99 ms  golden-2x1 IPS  p99 ms  vs golden-1x1
-----  --------------  ------  --------------  ------  --------------------------------
calib           313.0   13.73           326.2   14.62  golden-2x1: 1.04× IPS, 1.06× p99
fast            325.8    4.71           692.4    5.75  golden-2x1: 2.13× IPS, 1.22× p99
"""


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "golden-1x1", tmp_path / "golden-2x1"
    shutil.copytree(FIXTURES / "golden-1x1", a)
    shutil.copytree(FIXTURES / "golden-2x1", b)
    return a, b


def test_report_html_holds_every_figure_and_step(runs: tuple[Path, Path]) -> None:
    a, _ = runs
    result = run_cli("report", str(a), "--no-png")
    assert result.returncode == 0, result.stderr
    page = (a / "report.html").read_text()
    for div in (
        "ips-vs-users",
        "latency-vs-throughput",
        "peak-vs-ceiling",
        "round-trip",
        "spectrum",
    ):
        assert f'id="{div}"' in page
    steps = (a / "steps.jsonl").read_text().splitlines()
    assert page.count("<tr><td class='l'>golden-1x1</td>") == len(steps)
    assert "AMD" in page or "Intel" in page or "cores" in page  # the environment table
    assert "<script src=" not in page  # plotly.js is embedded, not fetched
    assert not (a / "figures").exists()


def test_report_pngs(runs: tuple[Path, Path]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: scripts/system-packages.sh installs it")
    a, _ = runs
    assert run_cli("report", str(a), "--png").returncode == 0
    pngs = sorted(p.name for p in (a / "figures").glob("*.png"))
    assert pngs == [
        "ips-vs-users.png",
        "latency-vs-throughput.png",
        "peak-vs-ceiling.png",
        "round-trip.png",
        "spectrum.png",
    ]
    assert all((a / "figures" / p).stat().st_size > 10_000 for p in pngs)


def test_compare_prints_the_golden_table(runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = runs
    result = run_cli("compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == GOLDEN_COMPARE + f"\ncomparison: {tmp_path / 'cmp' / 'compare.html'}\n"
    assert result.stderr == ""  # same machine, same settings: nothing unfair
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert 'id="scaling-app_servers"' in page  # the runs differ only in app servers


def test_compare_warns_loudly_about_unfair_comparisons(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = runs
    run = json.loads((b / "run.json").read_text())
    run["system"]["cpu"]["cores"] = 64
    (b / "run.json").write_text(json.dumps(run))
    result = run_cli("compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0
    assert (
        result.stderr.strip() == "UNFAIR COMPARISON: cores differs (golden-1x1: 2; golden-2x1: 64)"
    )
    assert "UNFAIR COMPARISON: cores differs" in (tmp_path / "cmp" / "compare.html").read_text()


def test_compare_refuses_different_models_unless_forced(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = runs
    lines = [
        line
        for line in (b / "steps.jsonl").read_text().splitlines()
        if '"model":"fast"' not in line
    ]
    (b / "steps.jsonl").write_text("\n".join(lines) + "\n")
    assert_user_error(run_cli("compare", str(a), str(b)), "different models", "--force")
    assert (
        run_cli("compare", str(a), str(b), "--force", "--out", str(tmp_path / "c")).returncode == 0
    )


def test_a_truncated_step_line_is_named_and_the_rest_drawn(runs: tuple[Path, Path]) -> None:
    a, _ = runs
    text = (a / "steps.jsonl").read_text()
    lines = text.splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]
    (a / "steps.jsonl").write_text("\n".join(lines) + "\n")
    result = run_cli("report", str(a), "--no-png")
    assert result.returncode == 0
    assert f"{a / 'steps.jsonl'}:3: not a JSON line (truncated?); skipped" in result.stderr
    page = (a / "report.html").read_text()
    assert (
        "steps.jsonl:3" in page
        and page.count("<tr><td class='l'>golden-1x1</td>") == len(lines) - 1
    )


def test_older_or_unknown_schema_is_refused_with_a_reason(runs: tuple[Path, Path]) -> None:
    a, _ = runs
    run = json.loads((a / "run.json").read_text())
    run["schema_version"] = 0
    (a / "run.json").write_text(json.dumps(run))
    assert_user_error(run_cli("report", str(a)), "schema_version 0", "cannot be upgraded")
    assert_user_error(run_cli("report", str(a.parent / "nothing-here")), "not a results folder")


def test_system_json() -> None:
    result = run_cli("system", "--json")
    data = json.loads(result.stdout)
    assert set(data) == {"cpu", "memory", "gpu", "os", "versions", "git"}
    assert data["cpu"]["cores"] >= 1 and data["versions"]["python"].startswith("3.11")


@pytest.mark.slow
def test_report_page_in_chromium_offline(runs: tuple[Path, Path], tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: scripts/system-packages.sh installs it")
    from playwright.sync_api import sync_playwright

    from tests.test_load_webui import CHROMIUM_ARGS

    a, _ = runs
    assert run_cli("report", str(a), "--no-png").returncode == 0
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests_made: list[str] = []
        page.on("request", lambda r: requests_made.append(r.url))
        page.goto((a / "report.html").as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")
        plots = page.locator(".js-plotly-plot").count()
        drawn = page.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".filter(d => d.querySelectorAll('.main-svg .trace, .main-svg .point, .main-svg path.js-line').length > 0).length"
        )
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert errors == []
    assert plots == 5 and drawn == 5
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests_made)
    assert shot.stat().st_size > 30_000  # a blank page compresses to a few kB
