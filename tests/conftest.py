from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.fixture(scope="session")
def built_zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every catalog model, built once per test session (no baseline: that is tested apart)."""
    out = tmp_path_factory.mktemp("zoo")
    result = run_cli("models", "build", "--out", str(out), "--no-baseline", timeout=1500)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def built_manifest(built_zoo: Path) -> dict:
    return json.loads((built_zoo / "manifest.json").read_text())
