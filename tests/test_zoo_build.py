"""Every catalog model builds, counts its parameters right, and its exports load and agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ipsbench.zoo.catalog import load_catalog
from tests.helpers import ZOO, run_cli
from tests.pbtxt import dtype_name, parse_tfserving_config, parse_triton_config

pytestmark = pytest.mark.slow
CATALOG = load_catalog(ZOO)
NAMES = CATALOG.names()


@pytest.fixture(scope="module")
def tf_keras():
    from ipsbench.tf_env import import_tf

    return import_tf()


def _entry(manifest: dict, name: str) -> dict:
    return next(m for m in manifest["models"] if m["name"] == name)


def test_manifest_keeps_the_contracted_keys(built_manifest: dict) -> None:
    assert built_manifest["schema_version"] == 1
    assert isinstance(built_manifest["tensorflow"], str)
    assert sorted(m["name"] for m in built_manifest["models"]) == sorted(NAMES)
    for m in built_manifest["models"]:
        assert {
            "name",
            "architecture",
            "params",
            "input",
            "output",
            "files",
            "sha256",
            "baseline",
            "built_at",
        } <= set(m)
        assert set(m["files"]) == set(m["sha256"]) == {"savedmodel", "triton", "keras", "h5"}
        assert m["input"]["shape"][0] is None and m["output"]["shape"][0] is None
        assert m["baseline"] is None  # built with --no-baseline


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_within_its_bound(built_manifest: dict, name: str) -> None:
    spec = CATALOG.get(name)
    counted = _entry(built_manifest, name)["params"]
    if spec.exact:
        assert counted == spec.params
    else:
        assert abs(counted - spec.params) <= 0.02 * spec.params, counted


@pytest.mark.parametrize("name", NAMES)
def test_exports_load_and_agree_with_keras(
    built_zoo: Path, built_manifest: dict, tf_keras, name: str
) -> None:
    tf, keras = tf_keras
    entry = _entry(built_manifest, name)
    spec = CATALOG.get(name)
    x = np.random.default_rng(7).standard_normal((3, *spec.input_shape)).astype(np.float32)
    model = keras.models.load_model(built_zoo / entry["files"]["keras"], compile=False)
    expected = model(x, training=False).numpy()
    assert expected.shape == (3, spec.outputs)

    loaded = tf.saved_model.load(str(built_zoo / entry["files"]["savedmodel"]))
    signature = loaded.signatures["serving_default"]
    got = signature(input=tf.constant(x))["output"].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)

    h5 = keras.models.load_model(built_zoo / entry["files"]["h5"], compile=False)
    assert h5.count_params() == entry["params"]
    np.testing.assert_allclose(h5(x, training=False).numpy(), expected, rtol=1e-4, atol=1e-5)

    triton_sm = built_zoo / entry["files"]["triton"] / "1" / "model.savedmodel" / "saved_model.pb"
    assert triton_sm.is_file()


@pytest.mark.parametrize("name", NAMES)
def test_triton_config_parses_and_describes_the_model(built_zoo: Path, name: str) -> None:
    spec = CATALOG.get(name)
    config = parse_triton_config((built_zoo / "triton" / name / "config.pbtxt").read_text())
    assert config.name == name
    assert config.platform == "tensorflow_savedmodel"
    assert config.max_batch_size == spec.max_batch_size > 0
    assert [(i.name, dtype_name(i.data_type), list(i.dims)) for i in config.input] == [
        ("input", "TYPE_FP32", list(spec.input_shape))
    ]
    assert [(o.name, dtype_name(o.data_type), list(o.dims)) for o in config.output] == [
        ("output", "TYPE_FP32", [spec.outputs])
    ]


def test_tfserving_models_config_names_every_model(built_zoo: Path) -> None:
    config = parse_tfserving_config((built_zoo / "tfserving" / "models.config").read_text())
    entries = config.model_config_list.config
    assert sorted(c.name for c in entries) == sorted(NAMES)
    for c in entries:
        assert c.base_path == f"/models/{c.name}"
        assert c.model_platform == "tensorflow"
        assert (built_zoo / "tfserving" / c.name / "1" / "saved_model.pb").is_file()


def test_list_reports_built_models(built_zoo: Path) -> None:
    result = run_cli("models", "list", "--json", "--out", str(built_zoo))
    assert result.returncode == 0, result.stderr
    assert {r["built"] for r in json.loads(result.stdout)} == {"yes"}


def test_no_staging_folders_are_left(built_zoo: Path) -> None:
    assert not [p for p in built_zoo.rglob(".*") if p.name.startswith((".staging", ".push"))]
