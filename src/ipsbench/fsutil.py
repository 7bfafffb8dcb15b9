"""Filesystem helpers: atomic writes and content hashes.

Everything ipsbench writes goes to a temporary path first and is renamed into place, so a crash
or an interrupt never leaves a half-written file where a reader would trust it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_path(staged: Path, target: Path) -> None:
    """Move a staged file or folder onto `target`, replacing what was there.

    A folder cannot be swapped atomically with rename(2), so the old one is first renamed aside
    (same filesystem, cheap), the new one renamed in, and only then the old one deleted.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if target.exists() or target.is_symlink():
        aside = target.with_name(f".{target.name}.old-{os.getpid()}")
        if aside.exists():
            remove_path(aside)
        os.replace(target, aside)
    os.replace(staged, target)
    if aside is not None:
        remove_path(aside)


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def link_or_copy_tree(src: Path, dst: Path) -> None:
    """Mirror a folder with hard links (saves the disk a second copy of large SavedModels)."""

    def link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=link)


def sha256_path(path: Path) -> str:
    """SHA-256 of a file, or of a folder's relative paths and contents in sorted order."""
    digest = hashlib.sha256()
    if path.is_file():
        _feed_file(digest, path)
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        _feed_file(digest, file)
    return digest.hexdigest()


def _feed_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)


def ensure_writable_dir(path: Path) -> None:
    """Create `path` if needed and prove we can write there, or raise OSError."""
    path.mkdir(parents=True, exist_ok=True)
    probe = tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-", delete=True)
    probe.close()
