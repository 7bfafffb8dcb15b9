"""The ASGI application: the three protocols' routes on one Starlette app, JSON errors."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ipsbench.server import skil_deploy, skil_routes, tfserving_routes, v2_routes
from ipsbench.server.auth import SkilAuth
from ipsbench.server.errors import ClientError
from ipsbench.server.http import error_response
from ipsbench.server.loading import Execution, load_keras_file, load_savedmodel
from ipsbench.server.models import ServedModel
from ipsbench.server.registry import Registry
from ipsbench.server.stats import ModelStats

log = logging.getLogger("ipsbench.server")


@dataclass
class ServerConfig:
    build_dir: Path | None
    zoo_entries: list[dict] = field(default_factory=list)
    synthetic: list[ServedModel] = field(default_factory=list)
    execution: Execution | None = None
    data_dir: Path = Path(".ipsbench-server")
    max_body_bytes: int = 64 << 20
    auth: SkilAuth | None = None


def create_app(config: ServerConfig) -> Starlette:
    registry = Registry()

    async def load_keras(path: Path, name: str) -> ServedModel:
        loop = asyncio.get_running_loop()
        model = await loop.run_in_executor(
            config.execution.pool, load_keras_file, path, name, config.execution
        )
        await model.warm_up()
        model.stats = ModelStats()  # warm-up calls are not the clients' inferences
        freeze_heap()
        return model

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Load in the background so /v2/health/live answers at once; ready flips when all
        # models are loaded and warmed up.
        task = asyncio.create_task(_load_all(config, registry))
        yield
        task.cancel()

    app = Starlette(
        routes=v2_routes.routes()
        + tfserving_routes.routes()
        + skil_routes.routes()
        + skil_deploy.routes(),
        lifespan=lifespan,
        exception_handlers={
            ClientError: _client_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.registry = registry
    app.state.max_body_bytes = config.max_body_bytes
    app.state.skil_auth = config.auth or SkilAuth.from_environment(3600)
    app.state.skil = skil_deploy.SkilDeployments(registry, config.data_dir, load_keras)
    return app


def freeze_heap() -> None:
    """Exempt everything loaded so far (TensorFlow, the models) from the cyclic GC.

    A JSON batch parses into tens of thousands of nested lists; while they are alive they are
    promoted to the oldest GC generation, which triggers full collections every few requests.
    With TensorFlow's ~300k objects on the heap a full collection took 150-210 ms here (cnn-1m,
    batch 32, JSON): a third of the requests stalled behind one. Frozen objects are never
    scanned again, so a full collection only walks what requests allocated.
    """
    gc.collect()
    gc.freeze()


async def _load_all(config: ServerConfig, registry: Registry) -> None:
    try:
        for model in config.synthetic:
            registry.add(model)
        loop = asyncio.get_running_loop()
        for entry in config.zoo_entries:
            model = await loop.run_in_executor(
                config.execution.pool, load_savedmodel, config.build_dir, entry, config.execution
            )
            await model.warm_up()
            model.stats = ModelStats()
            registry.add(model)
        freeze_heap()
        registry.ready = True
        loop_kind = type(asyncio.get_running_loop()).__module__.split(".")[0]
        print(
            f"ipsbench serve: ready ({loop_kind} event loop), {len(registry.models)} model(s): "
            f"{', '.join(registry.models)}",
            file=sys.stderr,
            flush=True,
        )
    except Exception as exc:
        registry.load_error = f"{type(exc).__name__}: {exc}"
        log.exception("loading models failed")
        print(
            f"ipsbench serve: loading models failed: {registry.load_error}",
            file=sys.stderr,
            flush=True,
        )


async def _client_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientError)
    return error_response(exc.status, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail or "error")


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, f"internal server error: {type(exc).__name__}")
