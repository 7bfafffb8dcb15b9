"""SKIL's deployment API: upload a model file, create a deployment, add a model, start it.

Deployment `benchmark` (id "0") always exists and holds the zoo the server loaded. Uploaded
files are stored under the server's own data folder with names the server chooses; a
`fileLocation` is accepted only when it names such a file, so no client path is trusted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipsbench.protocols.skil_client import slug
from ipsbench.server.errors import ClientError, bad_request, not_found
from ipsbench.server.http import json_response, parse_json_object, read_body
from ipsbench.server.models import ServedModel
from ipsbench.server.registry import Registry

BENCHMARK = "benchmark"
UPLOAD_SUFFIXES = (".h5", ".hdf5", ".keras")
STATES = ("created", "starting", "started", "stopping", "stopped", "unhealthy", "failed")
KerasLoader = Callable[[Path, str], Awaitable[ServedModel]]


@dataclass
class SkilModel:
    id: str
    name: str
    deployment_id: str
    file_location: str
    scale: int = 1
    state: str = "created"
    error: str = ""
    served: ServedModel | None = None
    task: asyncio.Task | None = None

    def json(self, deployment_slug: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "deploymentId": self.deployment_id,
            "modelType": "model",
            "fileLocation": self.file_location,
            "scale": self.scale,
            "state": self.state,
            "uri": [f"{deployment_slug}/model/{slug(self.name)}/default"],
            "error": self.error,
        }


@dataclass
class Deployment:
    id: str
    name: str
    models: dict[str, SkilModel] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return slug(self.name)


class SkilDeployments:
    def __init__(self, registry: Registry, data_dir: Path, load_keras: KerasLoader) -> None:
        self.registry = registry
        self.uploads = data_dir / "uploads"
        self.load_keras = load_keras
        self.deployments: dict[str, Deployment] = {"0": Deployment("0", BENCHMARK)}
        self._next_id = 1

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id - 1)

    def deployment(self, ref: str) -> Deployment:
        """By id, name or slug."""
        for d in self.deployments.values():
            if ref in (d.id, d.name, d.slug):
                return d
        raise not_found(f"unknown deployment {ref!r}")

    def resolve(self, deployment: str, model: str, version: str) -> ServedModel:
        """The served model behind /endpoints/{deployment}/model/{model}/{version}."""
        d = self.deployment(deployment)
        entity = next((m for m in d.models.values() if model in (m.name, slug(m.name), m.id)), None)
        if entity is None and d.name == BENCHMARK:
            # The zoo the server loaded; a model pushed to `benchmark` under the same name wins.
            name = next((n for n in self.registry.models if slug(n) == slug(model)), model)
            served = self.registry.get(name)
        elif entity is None:
            raise not_found(f"deployment {d.name!r} has no model {model!r}")
        elif entity.state != "started" or entity.served is None:
            raise ClientError(503, f"model {entity.name!r} is {entity.state}, not started")
        else:
            served = entity.served
        if version not in ("default", "latest", served.version):
            raise not_found(f"model {model!r} has no version {version!r}; use `default`")
        return served

    def deployment_json(self, d: Deployment) -> dict[str, Any]:
        models = [m.json(d.slug) for m in d.models.values()]
        if d.name == BENCHMARK:
            pushed = {m.name for m in d.models.values()}
            models += [
                {
                    "id": n,
                    "name": n,
                    "state": "started",
                    "modelType": "model",
                    "uri": [f"{d.slug}/model/{slug(n)}/default"],
                }
                for n in sorted(self.registry.models)
                if n not in pushed
            ]
        return {
            "id": d.id,
            "name": d.name,
            "deploymentSlug": d.slug,
            "status": "Deployed",
            "body": {"models": models, "transforms": [], "knn": []},
        }

    def upload_path(self, original: str) -> Path:
        suffix = Path(original).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise bad_request(
                f"cannot import {original!r}: upload a Keras {' or '.join(UPLOAD_SUFFIXES)} file"
            )
        self.uploads.mkdir(parents=True, exist_ok=True)
        return self.uploads / f"{uuid.uuid4().hex}{suffix}"

    def uploaded_file(self, location: Any) -> Path:
        if not isinstance(location, str) or not location.startswith("file://"):
            raise bad_request(
                "`fileLocation` must be file://<path> as returned by /api/upload/model"
            )
        path = Path(location[len("file://") :]).resolve()
        if path.parent != self.uploads.resolve() or not path.is_file():
            raise bad_request("`fileLocation` must name a file uploaded to this server")
        return path

    async def _start(self, entity: SkilModel) -> None:
        try:
            entity.served = await self.load_keras(
                Path(entity.file_location[len("file://") :]), entity.name
            )
            entity.state = "started"
        except (
            Exception
        ) as exc:  # a file that is not a loadable model: the model failed, not the server
            entity.state, entity.error = "failed", f"{type(exc).__name__}: {exc}"[:500]


def routes() -> list[Route]:
    return [
        Route("/api/upload/model", upload, methods=["POST"]),
        Route("/deployment", create_deployment, methods=["POST"]),
        Route("/deployments", list_deployments),
        Route("/deployment/{id}", get_deployment),
        Route("/deployment/{id}/models", list_models),
        Route("/deployment/{id}/model", add_model, methods=["POST"]),
        Route("/deployment/{id}/model/{model_id}", model_entity, methods=["GET", "DELETE"]),
        Route("/deployment/{id}/model/{model_id}/state", set_state, methods=["POST"]),
    ]


def _store(request: Request) -> SkilDeployments:
    request.app.state.skil_auth.require(request)
    return request.app.state.skil


async def upload(request: Request) -> Response:
    store = _store(request)
    limit = request.app.state.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ClientError(413, f"upload of {declared} bytes exceeds the limit of {limit} bytes")
    try:
        form = await request.form(max_files=4, max_fields=16, max_part_size=limit)
    except Exception as exc:  # malformed multipart: the client's mistake
        raise bad_request(f"malformed multipart upload: {exc}") from None
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str):
        raise bad_request("the upload needs a multipart field `file`")
    target = store.upload_path(upload_file.filename or "")
    size = 0
    with target.open("wb") as out:
        while chunk := await upload_file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise ClientError(413, f"upload exceeds the limit of {limit} bytes")
            out.write(chunk)
    return json_response(
        {
            "fileUploadResponseList": [
                {
                    "fileName": upload_file.filename,
                    "path": str(target),
                    "status": "uploaded",
                    "fileSize": size,
                }
            ]
        }
    )


async def create_deployment(request: Request) -> Response:
    store = _store(request)
    name = parse_json_object(await read_body(request)).get("name")
    if not isinstance(name, str) or not slug(name):
        raise bad_request("a deployment needs a non-empty `name`")
    d = Deployment(store._new_id(), name)
    store.deployments[d.id] = d
    return json_response(store.deployment_json(d))


async def list_deployments(request: Request) -> Response:
    store = _store(request)
    return json_response([store.deployment_json(d) for d in store.deployments.values()])


async def get_deployment(request: Request) -> Response:
    store = _store(request)
    return json_response(store.deployment_json(store.deployment(request.path_params["id"])))


async def list_models(request: Request) -> Response:
    store = _store(request)
    d = store.deployment(request.path_params["id"])
    return json_response(store.deployment_json(d)["body"]["models"])


async def add_model(request: Request) -> Response:
    store = _store(request)
    d = store.deployment(request.path_params["id"])
    body = parse_json_object(await read_body(request))
    name = body.get("name")
    if not isinstance(name, str) or not slug(name):
        raise bad_request("a model needs a non-empty `name`")
    path = store.uploaded_file(body.get("fileLocation"))
    scale = body.get("scale", 1)
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise bad_request("`scale` must be a positive integer")
    if any(m.name == name for m in d.models.values()):
        raise ClientError(
            409, f"deployment {d.name!r} already has a model {name!r}; delete it first"
        )
    entity = SkilModel(store._new_id(), name, d.id, f"file://{path}", scale)
    d.models[entity.id] = entity
    return json_response(entity.json(d.slug))


def _entity(store: SkilDeployments, request: Request) -> tuple[Deployment, SkilModel]:
    d = store.deployment(request.path_params["id"])
    entity = d.models.get(request.path_params["model_id"])
    if entity is None:
        raise not_found(
            f"deployment {d.name!r} has no model id {request.path_params['model_id']!r}"
        )
    return d, entity


async def model_entity(request: Request) -> Response:
    store = _store(request)
    d, entity = _entity(store, request)
    if request.method == "DELETE":
        if entity.task:
            entity.task.cancel()
        del d.models[entity.id]
    return json_response(entity.json(d.slug))


async def set_state(request: Request) -> Response:
    store = _store(request)
    d, entity = _entity(store, request)
    wanted = parse_json_object(await read_body(request)).get("state")
    if wanted == "start":
        if entity.state not in ("started", "starting"):
            entity.state, entity.error = "starting", ""
            entity.task = asyncio.create_task(store._start(entity))
    elif wanted == "stop":
        if entity.task:
            entity.task.cancel()
        entity.state, entity.served = "stopped", None
    else:
        raise bad_request("`state` must be `start` or `stop`")
    return json_response(entity.json(d.slug))
