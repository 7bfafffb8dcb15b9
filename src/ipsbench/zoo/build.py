"""`ipsbench models build`: build, export, measure and record the catalog's networks.

Each model is built in a staging folder inside the output folder and renamed into place only
when all its files are written; the manifest is rewritten (atomically) after every model, so an
interrupted build keeps every model it finished and never leaves half-written files in place.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ipsbench.errors import UserError
from ipsbench.fsutil import atomic_write_text, ensure_writable_dir, replace_path, sha256_path
from ipsbench.zoo.catalog import Catalog, ModelSpec
from ipsbench.zoo.export import (
    relative_paths,
    serving_function,
    tfserving_models_config,
    write_keras_files,
    write_savedmodel,
    write_triton_entry,
)
from ipsbench.zoo.manifest import (
    FILE_KEYS,
    empty_manifest,
    find_entry,
    load_manifest,
    put_entry,
    save_manifest,
)
from ipsbench.zoo.networks import INPUT_NAME, OUTPUT_NAME

DEFAULT_BUILD_DIR = Path("models/build")
# Inside the tensorflow/serving image the zoo's tfserving/ folder is mounted at /models.
TFSERVING_BASE_PATH = "/models"


@dataclass(frozen=True)
class BuildOutcome:
    name: str
    action: str  # "built", "skipped" (current), "measured" (current, baseline added)
    seconds: float
    entry: dict[str, Any]


ProgressFn = Callable[[str, int, int], None]


def build_models(
    catalog: Catalog,
    names: list[str] | None,
    out: Path = DEFAULT_BUILD_DIR,
    *,
    force: bool = False,
    baseline: bool = True,
    progress: ProgressFn | None = None,
    on_outcome: Callable[[BuildOutcome], None] | None = None,
) -> list[BuildOutcome]:
    """Build the named models (all when none are named) into `out`; returns what was done."""
    specs = catalog.select(names)
    try:
        ensure_writable_dir(out)
    except OSError as exc:
        raise UserError(f"cannot write to --out {out}: {exc.strerror or exc}") from None
    from ipsbench.tf_env import import_tf

    tf, _ = import_tf()
    manifest = load_manifest(out) or empty_manifest(tf.__version__)
    manifest["tensorflow"] = tf.__version__
    outcomes = []
    for index, spec in enumerate(specs):
        if progress:
            progress(spec.name, index, len(specs))
        started = time.perf_counter()
        current = find_entry(manifest, spec.name)
        if not force and _is_current(current, spec, out, tf.__version__):
            action = "skipped"
            entry = current
            if baseline and not entry.get("baseline"):
                entry = dict(
                    entry, baseline=_baseline_from_keras(out / entry["files"]["keras"], spec)
                )
                action = "measured"
        else:
            entry = _build_one(spec, out, tf.__version__, baseline)
            action = "built"
        put_entry(manifest, entry)
        save_manifest(out, manifest)
        _write_models_config(out, manifest)
        outcomes.append(BuildOutcome(spec.name, action, time.perf_counter() - started, entry))
        if on_outcome:
            on_outcome(outcomes[-1])
    if progress:
        progress("", len(specs), len(specs))
    return outcomes


def _is_current(entry: dict[str, Any] | None, spec: ModelSpec, out: Path, tf_version: str) -> bool:
    if not entry or entry.get("spec_hash") != spec.spec_hash():
        return False
    if entry.get("tensorflow") != tf_version:
        return False
    return all((out / entry["files"].get(key, "")).exists() for key in FILE_KEYS)


def _build_one(spec: ModelSpec, out: Path, tf_version: str, baseline: bool) -> dict[str, Any]:
    from ipsbench.zoo.networks import build_network

    staging = Path(tempfile.mkdtemp(dir=out, prefix=f".staging-{spec.name}-"))
    try:
        model = build_network(spec)
        rel = relative_paths(spec.name)
        staged = {key: staging / path for key, path in rel.items()}
        write_keras_files(model, staged["keras"], staged["h5"])
        write_savedmodel(model, spec, staged["savedmodel"])
        write_triton_entry(staged["savedmodel"], spec, staged["triton"])
        sha = {key: sha256_path(path) for key, path in staged.items()}
        measured = _measure(model, spec) if baseline else None
        # Everything is written: move the files into place. The savedmodel's parent (the
        # TF Serving model folder) is replaced whole, so an older version folder cannot linger.
        replace_path(staging / "tfserving" / spec.name, out / "tfserving" / spec.name)
        replace_path(staged["triton"], out / rel["triton"])
        replace_path(staged["keras"], out / rel["keras"])
        replace_path(staged["h5"], out / rel["h5"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "name": spec.name,
        "architecture": spec.architecture,
        "params": int(model.count_params()),
        "input": {"name": INPUT_NAME, "shape": [None, *spec.input_shape], "dtype": "float32"},
        "output": {"name": OUTPUT_NAME, "shape": [None, spec.outputs], "dtype": "float32"},
        "max_batch_size": spec.max_batch_size,
        "files": rel,
        "sha256": sha,
        "baseline": measured,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tensorflow": tf_version,
        "spec_hash": spec.spec_hash(),
    }


def _measure(model: Any, spec: ModelSpec) -> dict[str, Any]:
    from ipsbench.zoo.baseline import measure_baseline

    return measure_baseline(serving_function(model, spec.input_shape), spec)


def _baseline_from_keras(path: Path, spec: ModelSpec) -> dict[str, Any]:
    from ipsbench.tf_env import import_tf

    _, keras = import_tf()
    return _measure(keras.models.load_model(path, compile=False), spec)


def _write_models_config(out: Path, manifest: dict[str, Any]) -> None:
    names = sorted(m["name"] for m in manifest["models"])
    atomic_write_text(
        out / "tfserving" / "models.config", tfserving_models_config(names, TFSERVING_BASE_PATH)
    )
