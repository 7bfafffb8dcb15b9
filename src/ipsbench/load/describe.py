"""What the master learns from a target before it loads it: input shapes, self-description."""

from __future__ import annotations

import functools
from typing import Any

import requests

from ipsbench.errors import UserError
from ipsbench.protocols import tfserving, v2
from ipsbench.protocols.base import ProtocolError


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in text.lower().replace(",", "x").split("x") if d.strip())
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise UserError(f"--input-shape {text!r}: give the row shape like 100 or 32x32x3")
    return shape


@functools.cache
def zoo_shapes() -> dict[str, tuple[int, ...]]:
    """Row shapes of the catalog's models (zoo.toml; no TensorFlow needed)."""
    try:
        from ipsbench.zoo.catalog import load_catalog

        return {m.name: m.input_shape for m in load_catalog().models}
    except Exception:  # a worker fleet may not ship the catalog; shapes then come from the server
        return {}


def model_input(
    target: str, protocol: str, model: str, override: str = "", timeout: float = 10.0
) -> dict[str, Any]:
    """{"name", "input_shape", "input_name", "output_name"} for the phase messages."""
    if override:
        return {"name": model, "input_shape": list(parse_shape(override)), "input_name": "input"}
    known = zoo_shapes().get(model)
    if known is not None:
        return {"name": model, "input_shape": list(known), "input_name": "input"}
    module = v2 if protocol in ("v2", "skil") else tfserving
    try:
        answer = requests.get(target + module.metadata_path(model), timeout=timeout)
        answer.raise_for_status()
        shape, name = module.input_shape_from_metadata(answer.json())
    except (requests.RequestException, ValueError, ProtocolError) as exc:
        raise UserError(
            f"model {model!r} is not in the zoo and {target} gave no input shape for it "
            f"({type(exc).__name__}); pass --input-shape"
        ) from None
    return {"name": model, "input_shape": list(shape), "input_name": name}


def self_description(
    target: str, protocol: str, models: list[str], timeout: float = 5.0
) -> dict[str, Any]:
    """What the target says about itself (V2 server metadata, model metadata), for run.json."""
    out: dict[str, Any] = {"url": target}
    paths = {"server": "/v2"} if protocol != "tfserving" else {}
    for m in models:
        paths[m] = v2.metadata_path(m) if protocol != "tfserving" else f"/v1/models/{m}"
    for key, path in paths.items():
        try:
            r = requests.get(target + path, timeout=timeout)
            out[key] = r.json() if r.ok else {"status": r.status_code}
        except (requests.RequestException, ValueError) as exc:
            out[key] = {"error": type(exc).__name__}
    return out
