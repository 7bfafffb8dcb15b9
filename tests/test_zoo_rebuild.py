"""Rebuild rules, reproducibility, the baseline, push, and bad input on the build path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, run_cli
from tests.pbtxt import parse_tfserving_config, parse_triton_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """identity and mlp-100k with their in-process baseline."""
    out = tmp_path_factory.mktemp("small-zoo")
    result = run_cli("models", "build", "identity", "mlp-100k", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "built identity" in " ".join(result.stderr.split())
    return out


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_baseline_is_measured_at_batch_1_and_32(small_zoo: Path) -> None:
    for entry in _manifest(small_zoo)["models"]:
        for key in ("batch_1", "batch_32"):
            base = entry["baseline"][key]
            assert base["ips"] > 0 and base["p50_ms"] > 0
            assert base["calls"] >= 5 and base["seconds"] >= 1.0
            batch = 1 if key == "batch_1" else 32
            # IPS counts rows: calls x batch over the measured time.
            assert base["ips"] == pytest.approx(base["calls"] * batch / base["seconds"], rel=0.01)


def test_current_build_is_skipped_and_force_rebuilds(small_zoo: Path) -> None:
    keras_file = small_zoo / "keras" / "identity.keras"
    before = keras_file.stat().st_mtime_ns
    result = run_cli("models", "build", "identity", "--out", str(small_zoo))
    assert result.returncode == 0, result.stderr
    assert "skipped identity" in " ".join(result.stderr.split())
    assert keras_file.stat().st_mtime_ns == before
    result = run_cli(
        "models", "build", "identity", "--force", "--no-baseline", "--out", str(small_zoo)
    )
    assert result.returncode == 0, result.stderr
    assert keras_file.stat().st_mtime_ns != before
    names = [m["name"] for m in _manifest(small_zoo)["models"]]
    assert names == ["identity", "mlp-100k"]  # the other model's entry survives


def test_build_is_reproducible(tmp_path: Path, small_zoo: Path) -> None:
    from ipsbench.tf_env import import_tf

    _, keras = import_tf()
    result = run_cli("models", "build", "mlp-100k", "--no-baseline", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    a = keras.models.load_model(small_zoo / "keras" / "mlp-100k.keras", compile=False)
    b = keras.models.load_model(tmp_path / "keras" / "mlp-100k.keras", compile=False)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        assert (wa == wb).all()


def test_push_tfserving_and_v2_layouts(tmp_path: Path, small_zoo: Path) -> None:
    repo = tmp_path / "tfs"
    result = run_cli(
        "models",
        "push",
        "identity",
        "--protocol",
        "tfserving",
        "--repository",
        str(repo),
        "--out",
        str(small_zoo),
    )
    assert result.returncode == 0, result.stderr
    result = run_cli(
        "models",
        "push",
        "mlp-100k",
        "--protocol",
        "tfserving",
        "--repository",
        str(repo),
        "--base-path",
        "/models",
        "--out",
        str(small_zoo),
    )
    assert result.returncode == 0, result.stderr
    assert (repo / "identity" / "1" / "saved_model.pb").is_file()
    config = parse_tfserving_config((repo / "models.config").read_text())
    assert {(c.name, c.base_path) for c in config.model_config_list.config} == {
        ("identity", "/models/identity"),
        ("mlp-100k", "/models/mlp-100k"),
    }

    triton = tmp_path / "triton"
    result = run_cli(
        "models",
        "push",
        "identity",
        "mlp-100k",
        "--protocol",
        "v2",
        "--repository",
        str(triton),
        "--out",
        str(small_zoo),
    )
    assert result.returncode == 0, result.stderr
    for name in ("identity", "mlp-100k"):
        assert (triton / name / "1" / "model.savedmodel" / "saved_model.pb").is_file()
        assert parse_triton_config((triton / name / "config.pbtxt").read_text()).name == name


def test_push_of_an_unbuilt_model_is_refused(tmp_path: Path, small_zoo: Path) -> None:
    result = run_cli(
        "models",
        "push",
        "lstm-1m",
        "--protocol",
        "v2",
        "--repository",
        str(tmp_path / "r"),
        "--out",
        str(small_zoo),
    )
    assert_user_error(result, "'lstm-1m' is not built")
    assert not (tmp_path / "r").exists()


def test_unwritable_out_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("models", "build", "identity", "--out", str(blocker / "build"))
    assert_user_error(result, "cannot write to --out")


def test_corrupted_manifest_is_refused(tmp_path: Path, small_zoo: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_zoo, broken)
    text = (broken / "manifest.json").read_text()
    (broken / "manifest.json").write_text(text[: len(text) // 2])
    for args in (
        ("models", "build", "identity"),
        ("models", "list"),
        ("models", "push", "identity", "--protocol", "v2", "--repository", str(tmp_path / "r")),
    ):
        result = run_cli(*args, "--out", str(broken))
        assert_user_error(result, "corrupted manifest")


def test_a_failed_build_leaves_nothing_half_written(tmp_path: Path, small_zoo: Path) -> None:
    """A catalog entry whose parameter count misses its bound fails mid-build."""
    out = tmp_path / "out"
    shutil.copytree(small_zoo, out)
    manifest_before = (out / "manifest.json").read_text()
    zoo = tmp_path / "zoo.toml"
    zoo.write_text(
        "schema_version = 1\nseed = 1\nmax_batch_size = 8\n"
        "[[model]]\nname = 'wrong'\narchitecture = 'mlp'\nbuilder = 'dense'\ninput_shape = [4]\n"
        "hidden = [3]\noutputs = 2\noutput_activation = 'softmax'\n"
        "params = 1000\ntolerance = 0.02\n"
    )
    result = run_cli("models", "build", "--zoo", str(zoo), "--out", str(out))
    assert_user_error(result, "'wrong' has 23 parameters", "within 2% of 1,000")
    assert (out / "manifest.json").read_text() == manifest_before
    leftovers = [p.name for p in out.rglob("*") if "wrong" in p.name or p.name.startswith(".")]
    assert leftovers == []
