"""The catalog (zoo.toml) and its validation; no TensorFlow needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipsbench.errors import UserError
from ipsbench.zoo.catalog import load_catalog
from tests.helpers import ZOO, assert_user_error, run_cli

CONTRACT = {
    "identity": ("identity", (1,)),
    "mlp-10k": ("mlp", (100,)),
    "mlp-100k": ("mlp", (100,)),
    "mlp-1m": ("mlp", (100,)),
    "mlp-10m": ("mlp", (100,)),
    "cnn-10k": ("cnn", (32, 32, 3)),
    "cnn-100k": ("cnn", (32, 32, 3)),
    "cnn-1m": ("cnn", (32, 32, 3)),
    "cnn-10m": ("cnn", (32, 32, 3)),
    "resnet50": ("cnn", (224, 224, 3)),
    "lstm-10k": ("lstm", (50, 32)),
    "lstm-100k": ("lstm", (50, 32)),
    "lstm-1m": ("lstm", (50, 32)),
    "lstm-10m": ("lstm", (50, 32)),
}


def test_catalog_has_the_contracted_models() -> None:
    catalog = load_catalog(ZOO)
    assert {m.name: (m.architecture, m.input_shape) for m in catalog.models} == CONTRACT


def test_exact_models_are_exact() -> None:
    catalog = load_catalog(ZOO)
    exact = {m.name: m.params for m in catalog.models if m.exact}
    assert exact == {
        "identity": 2,
        "mlp-100k": 100_602,
        "mlp-1m": 1_002_281,
        "resnet50": 25_636_712,
    }
    assert catalog.get("mlp-100k").options["hidden"] == [490, 102]
    assert catalog.get("mlp-1m").options["hidden"] == [1000, 598, 497]


def test_unknown_name_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown model 'mlp-2m'"):
        load_catalog(ZOO).select(["mlp-2m"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zoo.toml"
    path.write_text(text)
    return path


GOOD_ENTRY = """
schema_version = 1
seed = 1
max_batch_size = 8
[[model]]
name = "tiny"
architecture = "mlp"
builder = "dense"
input_shape = [4]
hidden = [3]
outputs = 2
output_activation = "softmax"
params = 23
tolerance = 0
"""


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("schema_version = 1\n[[model]\n", "malformed TOML"),
        (GOOD_ENTRY.replace("schema_version = 1", "schema_version = 9"), "schema_version is 9"),
        (GOOD_ENTRY + "colour = 'red'\n", "unknown key(s) colour"),
        (GOOD_ENTRY.replace('builder = "dense"\n', ""), "missing key 'builder'"),
        (GOOD_ENTRY.replace("outputs = 2", 'outputs = "two"'), "outputs must be int"),
        (GOOD_ENTRY.replace('"dense"', '"transformer"'), "builder 'transformer' is not one of"),
        (GOOD_ENTRY.replace("hidden = [3]", "hidden = [0]"), "hidden must be a list of positive"),
        (GOOD_ENTRY + GOOD_ENTRY.split("\n", 4)[4], "listed twice"),
    ],
)
def test_malformed_catalog_is_one_line_exit_2(tmp_path: Path, text: str, fragment: str) -> None:
    result = run_cli("models", "list", "--zoo", str(_write(tmp_path, text)), "--out", str(tmp_path))
    assert_user_error(result, fragment)


def test_list_json_on_an_empty_build_folder(tmp_path: Path) -> None:
    result = run_cli("models", "list", "--json", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == list(CONTRACT)
    assert {r["built"] for r in rows} == {"no"}
    assert rows[2]["params"] == 100_602 and rows[2]["input_shape"] == [100]


def test_list_table(tmp_path: Path) -> None:
    result = run_cli("models", "list", "--out", str(tmp_path))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "name",
        "architecture",
        "params",
        "input",
        "built",
        "IPS",
        "@1",
        "IPS",
        "@32",
    ]
    assert lines[5].split() == ["mlp-1m", "mlp", "1,002,281", "[100]", "no", "-", "-"]


def test_build_unknown_model_fails_before_loading_tensorflow(tmp_path: Path) -> None:
    result = run_cli("models", "build", "nonesuch", "--out", str(tmp_path))
    assert_user_error(result, "unknown model 'nonesuch'")
    assert not any(tmp_path.iterdir())
