"""Run profiles: `quick` (the main job, under 10 minutes here) and `full` (for publication)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    models: tuple[str, ...]
    users: str
    warmup: float
    window: float
    min_windows: int
    max_windows: int


_SIZES = ("10k", "100k", "1m", "10m")
QUICK = Profile(
    models=("identity", *(f"{a}-{s}" for a in ("mlp", "cnn", "lstm") for s in _SIZES)),
    users="1,2,4,8,16,32",
    warmup=1.0,
    window=1.0,
    min_windows=3,
    max_windows=4,
)
FULL = Profile(
    models=(*QUICK.models, "resnet50"),
    users="1,2,4,8,16,32,64",
    warmup=5.0,
    window=5.0,
    min_windows=3,
    max_windows=10,
)
PROFILES = {"quick": QUICK, "full": FULL}
