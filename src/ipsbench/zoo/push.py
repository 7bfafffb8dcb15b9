"""`ipsbench models push`: copy built models into a model server's repository, in its layout.

- `tfserving`: TF Serving's base path, `REPO/<name>/<version>/saved_model.pb`, and
  `REPO/models.config` regenerated from every model found in REPO (so pushing one model never
  drops another from the config).
- `v2`: a Triton model repository, `REPO/<name>/config.pbtxt` + `REPO/<name>/1/model.savedmodel/`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ipsbench.errors import UserError
from ipsbench.fsutil import atomic_write_text, ensure_writable_dir, replace_path
from ipsbench.zoo.export import tfserving_models_config
from ipsbench.zoo.manifest import built_entry, load_manifest

REPOSITORY_PROTOCOLS = ("tfserving", "v2")


def push_to_repository(
    names: list[str], protocol: str, repository: Path, build_dir: Path, base_path: str | None = None
) -> list[Path]:
    """Copy the named built models into `repository`; returns the folders written."""
    if protocol not in REPOSITORY_PROTOCOLS:
        raise UserError(f"--protocol {protocol!r} has no repository layout; use tfserving or v2")
    manifest = load_manifest(build_dir, required=True)
    sources = []
    for name in names:
        entry = built_entry(manifest, name, build_dir)
        if protocol == "tfserving":
            source = build_dir / entry["files"]["savedmodel"]
            sources.append((name, source.parent))  # the model folder holding version folders
        else:
            sources.append((name, build_dir / entry["files"]["triton"]))
    try:
        ensure_writable_dir(repository)
    except OSError as exc:
        raise UserError(
            f"cannot write to --repository {repository}: {exc.strerror or exc}"
        ) from None
    written = []
    for name, source in sources:
        if not source.exists():
            raise UserError(
                f"{source} is missing; rebuild with `ipsbench models build --force {name}`"
            )
        staging = Path(tempfile.mkdtemp(dir=repository, prefix=f".push-{name}-"))
        try:
            shutil.copytree(source, staging / name)
            replace_path(staging / name, repository / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        written.append(repository / name)
    if protocol == "tfserving":
        models = sorted(p.name for p in repository.iterdir() if _is_tfserving_model(p))
        prefix = base_path if base_path is not None else str(repository.resolve())
        atomic_write_text(repository / "models.config", tfserving_models_config(models, prefix))
    return written


def _is_tfserving_model(folder: Path) -> bool:
    if not folder.is_dir() or folder.name.startswith("."):
        return False
    return any(v.name.isdigit() and (v / "saved_model.pb").is_file() for v in folder.iterdir())
