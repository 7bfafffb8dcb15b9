"""Hardware and software metadata every run records, one small `collect_*` function each."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from ipsbench import __version__


def collect_cpu() -> dict[str, Any]:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"model": model, "cores": os.cpu_count(), "machine": platform.machine()}


def collect_memory() -> dict[str, Any]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return {"total_gib": round(int(line.split()[1]) / (1 << 20), 1)}
    except (OSError, ValueError):
        pass
    return {"total_gib": None}


def collect_gpu() -> list[dict[str, str]]:
    """GPUs as nvidia-smi reports them; empty where there is none."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, memory, driver = (part.strip() for part in (line.split(",") + ["", ""])[:3])
        gpus.append({"name": name, "memory": memory, "driver": driver})
    return gpus


def collect_os() -> dict[str, str]:
    pretty = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {"name": pretty, "kernel": platform.release()}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def collect_versions() -> dict[str, str | None]:
    """Versions without importing the packages (TensorFlow costs 2 s and 600 MB to import)."""
    tf = _version("tensorflow-cpu") or _version("tensorflow")
    return {
        "python": sys.version.split()[0],
        "ipsbench": __version__,
        "tensorflow": tf,
        "locust": _version("locust"),
        "hdrhistogram": _version("hdrhistogram"),
    }


def collect_git() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def collect_system() -> dict[str, Any]:
    return {
        "cpu": collect_cpu(),
        "memory": collect_memory(),
        "gpu": collect_gpu(),
        "os": collect_os(),
        "versions": collect_versions(),
        "git": collect_git(),
    }


def describe_system(data: dict[str, Any]) -> str:
    cpu, mem, osinfo = data["cpu"], data["memory"], data["os"]
    gpus = ", ".join(g["name"] for g in data["gpu"]) or "none"
    versions = ", ".join(f"{k} {v}" for k, v in data["versions"].items() if v)
    git = data["git"]
    return "\n".join(
        [
            f"CPU       {cpu['model']} ({cpu['cores']} cores, {cpu['machine']})",
            f"memory    {mem['total_gib']} GiB",
            f"GPU       {gpus}",
            f"OS        {osinfo['name']}, kernel {osinfo['kernel']}",
            f"versions  {versions}",
            f"commit    {git['commit']}{' (dirty)' if git['dirty'] else ''}",
        ]
    )
