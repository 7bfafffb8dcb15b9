"""`DIR/manifest.json`: what was built, where, its checksums and its in-process baseline.

Other parts of ipsbench (the server, the load engine, reports) read this file; its keys are a
contract: `schema_version`, `tensorflow`, and per model `name, architecture, params, input,
output, files, sha256, baseline, built_at` (plus `spec_hash`, used to tell a current build).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ipsbench.errors import UserError
from ipsbench.fsutil import atomic_write_text

MANIFEST_SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
FILE_KEYS = ("savedmodel", "triton", "keras", "h5")


def manifest_path(build_dir: Path) -> Path:
    return build_dir / MANIFEST_NAME


def empty_manifest(tensorflow_version: str) -> dict[str, Any]:
    return {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "tensorflow": tensorflow_version,
        "models": [],
    }


def load_manifest(build_dir: Path, *, required: bool = False) -> dict[str, Any] | None:
    """The manifest, or None when there is none yet (an error when `required`)."""
    path = manifest_path(build_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise UserError(
                f"no built zoo in {build_dir} (no {MANIFEST_NAME}); run `ipsbench models build`"
            ) from None
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}: corrupted manifest ({exc.msg} at line {exc.lineno}); "
            "delete it and run `ipsbench models build --force`"
        ) from None
    _validate(data, path)
    return data


def _validate(data: Any, path: Path) -> None:
    if not isinstance(data, dict):
        raise UserError(f"{path}: corrupted manifest (not a JSON object)")
    version = data.get("schema_version")
    if version != MANIFEST_SCHEMA_VERSION:
        raise UserError(
            f"{path}: manifest schema_version {version!r} is not {MANIFEST_SCHEMA_VERSION}; "
            "rebuild with `ipsbench models build --force`"
        )
    models = data.get("models")
    if not isinstance(models, list):
        raise UserError(f"{path}: corrupted manifest (`models` is not a list)")
    for i, entry in enumerate(models):
        missing = [
            k
            for k in ("name", "params", "input", "output", "files")
            if not isinstance(entry, dict) or k not in entry
        ]
        if missing:
            raise UserError(
                f"{path}: corrupted manifest (model #{i + 1} lacks {', '.join(missing)})"
            )


def save_manifest(build_dir: Path, data: dict[str, Any]) -> None:
    data["models"].sort(key=lambda m: m["name"])
    atomic_write_text(manifest_path(build_dir), json.dumps(data, indent=2) + "\n")


def find_entry(data: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not data:
        return None
    return next((m for m in data["models"] if m["name"] == name), None)


def built_entry(data: dict[str, Any], name: str, build_dir: Path) -> dict[str, Any]:
    """The entry of a model that must be built, or a user error saying how to build it."""
    entry = find_entry(data, name)
    if entry is None:
        raise UserError(
            f"model {name!r} is not built in {build_dir}; run `ipsbench models build {name}`"
        )
    return entry


def put_entry(data: dict[str, Any], entry: dict[str, Any]) -> None:
    data["models"] = [m for m in data["models"] if m["name"] != entry["name"]] + [entry]
