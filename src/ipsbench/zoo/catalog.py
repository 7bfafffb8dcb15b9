"""Read and validate `models/zoo.toml`, the catalog of networks. No TensorFlow here."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsbench.errors import UserError

CATALOG_SCHEMA_VERSION = 1
ARCHITECTURES = ("identity", "mlp", "cnn", "lstm")

# Keys every entry has, then the keys each builder needs, with their expected types.
_COMMON: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "architecture": str,
    "builder": str,
    "input_shape": list,
    "outputs": int,
    "params": int,
    "tolerance": (int, float),
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {"profiles": list, "max_batch_size": int}
_BUILDER_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "dense": {"hidden": list, "output_activation": str},
    "resnet": {"stem": int, "stages": list, "blocks": int},
    "lstm": {"units": list},
    "keras_application": {"application": str},
}


@dataclass(frozen=True)
class ModelSpec:
    """One catalog entry, validated."""

    name: str
    architecture: str
    builder: str
    input_shape: tuple[int, ...]
    outputs: int
    params: int
    tolerance: float
    max_batch_size: int
    profiles: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)  # builder-specific keys
    seed: int = 0

    @property
    def exact(self) -> bool:
        return self.tolerance == 0

    def params_ok(self, counted: int) -> bool:
        if self.exact:
            return counted == self.params
        return abs(counted - self.params) <= self.tolerance * self.params

    def spec_hash(self) -> str:
        """Fingerprint of everything that shapes the built files; a change means rebuild."""
        blob = json.dumps(
            {
                "name": self.name,
                "builder": self.builder,
                "input_shape": self.input_shape,
                "outputs": self.outputs,
                "options": self.options,
                "seed": self.seed,
                "max_batch_size": self.max_batch_size,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Catalog:
    path: Path
    seed: int
    models: tuple[ModelSpec, ...]

    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def get(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        raise UserError(f"unknown model {name!r}; the zoo has: {', '.join(self.names())}")

    def select(self, names: list[str] | None) -> list[ModelSpec]:
        """The named models in catalog order (all when `names` is empty); unknown names fail."""
        if not names:
            return list(self.models)
        wanted = set(names)
        for n in names:
            self.get(n)
        return [m for m in self.models if m.name in wanted]

    def profile(self, profile: str) -> list[ModelSpec]:
        return [m for m in self.models if profile in m.profiles]


def default_catalog_path() -> Path:
    """`$IPSBENCH_ZOO`, else `models/zoo.toml` in the working folder, else the source tree's."""
    env = os.environ.get("IPSBENCH_ZOO")
    if env:
        return Path(env)
    here = Path("models/zoo.toml")
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[3] / "models" / "zoo.toml"


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or default_catalog_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"zoo catalog not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: malformed TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    return parse_catalog(raw, path)


def parse_catalog(raw: dict[str, Any], path: Path) -> Catalog:
    version = raw.get("schema_version")
    if version != CATALOG_SCHEMA_VERSION:
        raise UserError(
            f"{path}: schema_version is {version!r}; this ipsbench reads {CATALOG_SCHEMA_VERSION}"
        )
    seed = _typed(raw, "seed", int, path, "top level")
    max_batch = _typed(raw, "max_batch_size", int, path, "top level")
    entries = raw.get("model")
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{path}: no [[model]] entries")
    models: list[ModelSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        spec = _parse_entry(entry, index, path, seed, max_batch)
        if spec.name in seen:
            raise UserError(f"{path}: model {spec.name!r} is listed twice")
        seen.add(spec.name)
        models.append(spec)
    return Catalog(path=path, seed=seed, models=tuple(models))


def _parse_entry(entry: Any, index: int, path: Path, seed: int, max_batch: int) -> ModelSpec:
    where = f"model #{index}"
    if not isinstance(entry, dict):
        raise UserError(f"{path}: {where} is not a table")
    if isinstance(entry.get("name"), str):
        where = f"model {entry['name']!r}"
    values = {key: _typed(entry, key, kind, path, where) for key, kind in _COMMON.items()}
    builder = values["builder"]
    if builder not in _BUILDER_KEYS:
        raise UserError(
            f"{path}: {where}: builder {builder!r} is not one of {', '.join(_BUILDER_KEYS)}"
        )
    if values["architecture"] not in ARCHITECTURES:
        raise UserError(
            f"{path}: {where}: architecture {values['architecture']!r} is not one of "
            f"{', '.join(ARCHITECTURES)}"
        )
    options = {
        key: _typed(entry, key, kind, path, where) for key, kind in _BUILDER_KEYS[builder].items()
    }
    known = set(_COMMON) | set(_OPTIONAL) | set(_BUILDER_KEYS[builder])
    unknown = sorted(set(entry) - known)
    if unknown:
        raise UserError(f"{path}: {where}: unknown key(s) {', '.join(unknown)}")
    shape = values["input_shape"]
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise UserError(f"{path}: {where}: input_shape must be a list of positive integers")
    for key in ("hidden", "stages", "units"):
        if key in options and not all(isinstance(u, int) and u > 0 for u in options[key]):
            raise UserError(f"{path}: {where}: {key} must be a list of positive integers")
    if values["params"] <= 0 or not 0 <= values["tolerance"] < 1:
        raise UserError(f"{path}: {where}: params must be > 0 and tolerance in [0, 1)")
    profiles = entry.get("profiles", [])
    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise UserError(f"{path}: {where}: profiles must be a list of strings")
    mbs = entry.get("max_batch_size", max_batch)
    if not isinstance(mbs, int) or mbs < 1:
        raise UserError(f"{path}: {where}: max_batch_size must be a positive integer")
    return ModelSpec(
        name=values["name"],
        architecture=values["architecture"],
        builder=builder,
        input_shape=tuple(shape),
        outputs=values["outputs"],
        params=values["params"],
        tolerance=float(values["tolerance"]),
        max_batch_size=mbs,
        profiles=tuple(profiles),
        options=options,
        seed=seed,
    )


def _typed(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path, where: str
) -> Any:
    if key not in table:
        raise UserError(f"{path}: {where}: missing key {key!r}")
    value = table[key]
    # bool is an int in Python; a `true` where a number belongs is still a mistake.
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise UserError(f"{path}: {where}: {key} must be {expected}, not {value!r}")
    return value
