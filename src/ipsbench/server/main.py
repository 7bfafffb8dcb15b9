"""`ipsbench serve`: start the reference model server (or KServe's, with --engine kserve)."""

from __future__ import annotations

import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ipsbench.errors import UserError

DEFAULT_PORT = 9008  # SKIL's API port: the reference server speaks SKIL first


@dataclass
class ServeOptions:
    build_dir: Path = Path("models/build")
    only: list[str] = field(default_factory=list)
    synthetic: list[str] = field(default_factory=list)
    no_zoo: bool = False
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 0  # 0: one compute thread per core
    max_batch: int = 0  # 0 or 1: no dynamic batching
    batch_timeout_us: int = 500
    max_body_mb: float = 64.0
    data_dir: Path = Path(".ipsbench-server")
    token_ttl_s: float = 3600.0
    access_log: bool = False


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening socket with TCP_NODELAY (Linux passes it on to accepted sockets):
    without it, Nagle's algorithm and delayed ACKs add ~40 ms to small answers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    return sock


def serve(options: ServeOptions) -> int:
    """Run until interrupted. Returns the exit code."""
    from ipsbench.server.loading import Execution, parse_synthetic, zoo_entries

    synthetic = [parse_synthetic(s) for s in options.synthetic]
    entries: list[dict] = []
    manifest_exists = (options.build_dir / "manifest.json").exists()
    if not options.no_zoo and (manifest_exists or options.only or not synthetic):
        entries = zoo_entries(options.build_dir, options.only or None)
    if not entries and not synthetic:
        raise UserError(
            "nothing to serve: build the zoo (`ipsbench models build`) or declare --synthetic models"
        )
    if options.max_body_mb <= 0 or options.max_batch < 0 or options.batch_timeout_us < 0:
        raise UserError(
            "--max-body-mb must be > 0; --max-batch and --batch-timeout-us must be >= 0"
        )
    workers = options.workers or os.cpu_count() or 1
    sock = listening_socket(options.host, options.port)
    execution = Execution(
        pool=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="infer"),
        workers=workers,
        max_batch=options.max_batch,
        batch_timeout_s=options.batch_timeout_us / 1e6,
    )
    import uvicorn

    from ipsbench.server.app import ServerConfig, create_app
    from ipsbench.server.auth import SkilAuth
    from ipsbench.server.one_write import OneWriteHttpProtocol

    config = ServerConfig(
        build_dir=options.build_dir,
        zoo_entries=entries,
        synthetic=synthetic,
        execution=execution,
        data_dir=options.data_dir,
        max_body_bytes=int(options.max_body_mb * (1 << 20)),
        auth=SkilAuth.from_environment(options.token_ttl_s),
    )
    app = create_app(config)
    host, port = sock.getsockname()[:2]
    print(
        f"ipsbench serve: listening on http://{_url_host(host)}:{port} "
        f"(TF Serving /v1, KServe V2 /v2, SKIL /login /endpoints)",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            http=OneWriteHttpProtocol,
            log_level="warning",
            access_log=options.access_log,
            lifespan="on",
            timeout_keep_alive=30,
        )
    )
    try:
        server.run(sockets=[sock])  # uvicorn's loop factory: uvloop when installed
    except KeyboardInterrupt:
        pass
    finally:
        execution.pool.shutdown(wait=False, cancel_futures=True)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
