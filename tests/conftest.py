from __future__ import annotations

import json
from dataclasses import dataclass
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


@pytest.fixture(scope="session")
def reference_server(built_zoo: Path, tmp_path_factory: pytest.TempPathFactory):
    """The reference server hosting identity and mlp-100k plus a synthetic model."""
    from tests.server_proc import running_server

    tmp = tmp_path_factory.mktemp("server")
    with running_server(
        "--models",
        str(built_zoo),
        "--model",
        "identity",
        "--model",
        "mlp-100k",
        "--synthetic",
        "name=calib,service_ms=5,slots=4",
        "--max-body-mb",
        "1",
        "--data-dir",
        str(tmp / "data"),
        log=tmp / "server.log",
    ) as url:
        yield url


@pytest.fixture(scope="session")
def kserve_server(built_zoo: Path, tmp_path_factory: pytest.TempPathFactory):
    """KServe's own ModelServer hosting the same models (an engine we did not write)."""
    from ipsbench.server.kserve_launch import kserve_python
    from tests.server_proc import running_server

    if not kserve_python().exists():
        pytest.fail(
            "KServe's environment is missing: run `bash scripts/kserve-venv.sh` (test.sh does)"
        )
    log = tmp_path_factory.mktemp("kserve") / "server.log"
    with running_server(
        "--engine",
        "kserve",
        "--models",
        str(built_zoo),
        "--model",
        "identity",
        "--model",
        "mlp-100k",
        log=log,
    ) as url:
        yield url


@dataclass(frozen=True)
class Target:
    url: str
    engine: str

    def lacks(self, *features: str) -> None:
        """Skip, saying why, where KServe does not implement a feature the test checks."""
        if self.engine == "kserve":
            pytest.skip(f"KServe 0.21 does not serve {', '.join(features)}")


@pytest.fixture(scope="session", params=["reference", "kserve"])
def server(request: pytest.FixtureRequest) -> Target:
    """Every engine the TF Serving and V2 protocol tests run against."""
    return Target(request.getfixturevalue(f"{request.param}_server"), request.param)
