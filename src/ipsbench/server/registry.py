"""The models a server hosts, by name, and whether the server is ready."""

from __future__ import annotations

from ipsbench.server.errors import ClientError, not_found
from ipsbench.server.models import ServedModel


class Registry:
    def __init__(self) -> None:
        self.models: dict[str, ServedModel] = {}
        self.ready = False
        self.load_error: str | None = None

    def add(self, model: ServedModel) -> None:
        self.models[model.name] = model

    def get(self, name: str, version: str | None = None) -> ServedModel:
        model = self.models.get(name)
        if model is None:
            if not self.ready:
                raise ClientError(
                    503, f"model {name!r} is not loaded yet; the server is warming up"
                )
            raise not_found(
                f"unknown model {name!r}; this server hosts: {', '.join(sorted(self.models))}"
            )
        if version is not None and version != model.version:
            raise not_found(f"model {name!r} has no version {version!r}; it has {model.version}")
        return model
