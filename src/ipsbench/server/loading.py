"""Load what the server hosts: the built zoo (SavedModels), Keras files, synthetic models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ipsbench.errors import UserError
from ipsbench.server.models import ComputeModel, SyntheticModel
from ipsbench.zoo.manifest import load_manifest


@dataclass(frozen=True)
class Execution:
    """How compiled models run: a thread pool sized to the cores, optional dynamic batching."""

    pool: ThreadPoolExecutor
    workers: int
    max_batch: int = 0
    batch_timeout_s: float = 0.0


def zoo_entries(build_dir: Path, only: list[str] | None) -> list[dict[str, Any]]:
    """Manifest entries to serve (fails early, before TensorFlow loads, on a wrong name)."""
    manifest = load_manifest(build_dir, required=True)
    entries = manifest["models"]
    if only:
        known = {e["name"] for e in entries}
        missing = [n for n in only if n not in known]
        if missing:
            raise UserError(
                f"not built in {build_dir}: {', '.join(missing)}; run `ipsbench models build`"
            )
        entries = [e for e in entries if e["name"] in only]
    return entries


def load_savedmodel(build_dir: Path, entry: dict[str, Any], execution: Execution) -> ComputeModel:
    """The zoo model's SavedModel `serving_default` signature: a compiled, fixed-signature graph."""
    from ipsbench.tf_env import import_tf

    tf, _ = import_tf()
    loaded = tf.saved_model.load(str(build_dir / entry["files"]["savedmodel"]))
    signature = loaded.signatures["serving_default"]
    in_name, out_name = entry["input"]["name"], entry["output"]["name"]

    def run(
        x: np.ndarray, _keep: Any = loaded
    ) -> np.ndarray:  # _keep: the signature needs it alive
        return signature(**{in_name: tf.constant(x)})[out_name].numpy()

    return _compute_model(
        entry["name"],
        run,
        tuple(entry["input"]["shape"][1:]),
        tuple(entry["output"]["shape"][1:]),
        entry.get("max_batch_size", 64),
        "tensorflow_savedmodel",
        execution,
    )


def load_keras_file(path: Path, name: str, execution: Execution) -> ComputeModel:
    """A Keras .h5/.keras file (a SKIL upload) wrapped in a compiled tf.function."""
    from ipsbench.tf_env import import_tf
    from ipsbench.zoo.export import OUTPUT_NAME, serving_function

    tf, keras = import_tf()
    model = keras.models.load_model(path, compile=False)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("only models with one input and one output can be served")
    in_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    out_shape = tuple(int(d) for d in model.outputs[0].shape[1:])
    fn = serving_function(model, in_shape)

    def run(x: np.ndarray) -> np.ndarray:
        return fn(tf.constant(x))[OUTPUT_NAME].numpy()

    return _compute_model(name, run, in_shape, out_shape, 64, "tensorflow_keras", execution)


def _compute_model(
    name: str,
    run: Any,
    in_shape: tuple,
    out_shape: tuple,
    max_batch_size: int,
    platform: str,
    execution: Execution,
) -> ComputeModel:
    return ComputeModel(
        name=name,
        input_shape=in_shape,
        output_shape=out_shape,
        platform=platform,
        max_batch_size=max_batch_size,
        fn=run,
        pool=execution.pool,
        workers=execution.workers,
        max_batch=execution.max_batch,
        batch_timeout_s=execution.batch_timeout_s,
    )


_SYNTHETIC_KEYS = {
    "name": str,
    "service_ms": float,
    "slots": int,
    "stall_every_s": float,
    "stall_s": float,
    "input": str,
}


def parse_synthetic(text: str) -> SyntheticModel:
    """`name=calib,service_ms=5,slots=4[,stall_every_s=10,stall_s=1][,input=1x4]`."""
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, raw = part.partition("=")
        if not sep or key not in _SYNTHETIC_KEYS:
            raise UserError(
                f"--synthetic {text!r}: {part!r} is not one of "
                f"{', '.join(k + '=…' for k in _SYNTHETIC_KEYS)}"
            )
        try:
            values[key] = _SYNTHETIC_KEYS[key](raw)
        except ValueError:
            raise UserError(
                f"--synthetic {text!r}: {key} must be a {_SYNTHETIC_KEYS[key].__name__}"
            ) from None
    for key in ("name", "service_ms", "slots"):
        if key not in values:
            raise UserError(f"--synthetic {text!r} needs {key}=…")
    if values["service_ms"] <= 0 or values["slots"] < 1:
        raise UserError(f"--synthetic {text!r}: service_ms must be > 0 and slots >= 1")
    try:
        shape = tuple(int(d) for d in values.get("input", "1").split("x"))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise UserError(f"--synthetic {text!r}: input must look like 1 or 32x32x3")
    every, stall = values.get("stall_every_s", 0.0), values.get("stall_s", 0.0)
    if stall and not 0 < stall < every:
        raise UserError(f"--synthetic {text!r}: stall_s must be shorter than stall_every_s")
    return SyntheticModel(
        name=values["name"],
        input_shape=shape,
        output_shape=shape,
        service_s=values["service_ms"] / 1000,
        slots=values["slots"],
        stall_every_s=every,
        stall_s=stall,
    )
