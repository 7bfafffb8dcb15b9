"""`ipsbench run`: the main job. Locust master + N worker processes against one or more targets.

It always goes through Locust's master and workers, the path a fleet takes, so a local run and a
fleet run differ only in where the workers live. With no --target it builds the models it needs,
starts the reference server on loopback, runs, and stops it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ipsbench.errors import UserError
from ipsbench.load.describe import model_input
from ipsbench.load.plan import parse_users
from ipsbench.load.profiles import PROFILES
from ipsbench.load.summary import summary_table
from ipsbench.protocols.base import PROTOCOLS, ModelRef, ProtocolError, make_codec
from ipsbench.protocols.skil import LOGIN_PATH, login_body
from ipsbench.results import load_steps, new_run_id
from ipsbench.server.process import free_port, serving, stop

LOCUSTFILE = Path(__file__).with_name("zoo_locustfile.py")


@dataclass
class RunOptions:
    targets: list[str] = field(default_factory=list)
    protocol: str = "v2"
    models: list[str] = field(default_factory=list)
    batch: int = 1
    users: str = ""
    app_servers: int = 1
    warmup: float | None = None
    window: float | None = None
    min_windows: int | None = None
    max_windows: int | None = None
    results: Path = Path("reports")
    profile: str = "quick"
    binary: bool = False
    timeout: float = 30.0
    resume: Path | None = None
    run_id: str = ""
    build_dir: Path = Path("models/build")
    input_shape: str = ""
    deployment: str = "benchmark"
    server_args: list[str] = field(default_factory=list)  # extra `ipsbench serve` options
    # A fleet: wait for this many workers started elsewhere instead of starting them here.
    external_workers: int = 0
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0  # 0: any free port (local workers); a fleet needs a known one
    checks: dict[str, float] = field(default_factory=dict)


def run(opts: RunOptions) -> int:
    """Returns the exit code: 0 done, 3 a threshold missed, 130 interrupted."""
    profile = PROFILES.get(opts.profile)
    if profile is None:
        raise UserError(f"--profile {opts.profile!r}: use one of {', '.join(PROFILES)}")
    if opts.protocol not in PROTOCOLS:
        raise UserError(f"--protocol {opts.protocol!r}: use one of {', '.join(PROTOCOLS)}")
    if opts.external_workers:
        opts.app_servers = opts.external_workers
    if opts.app_servers < 1 or opts.batch < 1:
        raise UserError("--app-servers and --batch must be at least 1")
    users = opts.users or profile.users
    parse_users(users)
    models = opts.models or list(profile.models)
    if opts.resume is not None and not (opts.resume / "run.json").is_file():
        raise UserError(f"--resume {opts.resume}: not a results folder (no run.json)")
    env = dict(os.environ)
    if opts.protocol == "skil" and not env.get("IPSBENCH_SKIL_PASSWORD"):
        if opts.targets:
            raise UserError("--protocol skil needs IPSBENCH_SKIL_PASSWORD (and IPSBENCH_SKIL_USER)")
        env["IPSBENCH_SKIL_PASSWORD"] = secrets.token_urlsafe(
            12
        )  # our own server: a throwaway login
    folder = opts.resume or (opts.results / (opts.run_id or new_run_id()))
    with contextlib.ExitStack() as stack:
        targets = [t.rstrip("/") for t in opts.targets]
        if not targets:
            _ensure_built(models, opts.build_dir)
            args = [
                "--models",
                str(opts.build_dir),
                *(a for m in models for a in ("--model", m)),
                *opts.server_args,
            ]
            folder.mkdir(parents=True, exist_ok=True)
            print("starting the reference model server ...", file=sys.stderr, flush=True)
            targets = [
                stack.enter_context(serving(*args, env=env, log=folder / "model-server.log"))
            ]
        for target in targets:
            _probe(target, opts, models, env)
        code = _run_locust(opts, profile, users, models, targets, folder, env)
    _record_baselines(folder, models, opts.build_dir)
    steps, problems = load_steps(folder)
    if steps:
        print("\n" + summary_table(steps))
    for problem in problems:
        print(problem, file=sys.stderr)
    if (folder / "run.json").exists():
        from ipsbench.report.build import write_report

        print(f"\nreport: {write_report(folder)}")
    print(f"results: {folder}")
    return code


def _record_baselines(folder: Path, models: list[str], build_dir: Path) -> None:
    """The in-process ceilings the report sets REST figures against, copied into run.json so the
    report stays a function of the results folder alone."""
    from ipsbench.results import RunStore
    from ipsbench.zoo.manifest import find_entry, load_manifest

    if not (folder / "run.json").exists():
        return
    try:
        manifest = load_manifest(build_dir)
    except UserError:
        return
    baselines = {m: (find_entry(manifest, m) or {}).get("baseline") for m in models}
    baselines = {m: b for m, b in baselines.items() if b}
    if baselines:
        RunStore.open_existing(folder).update_run(baselines=baselines)


def _ensure_built(models: list[str], build_dir: Path) -> None:
    from ipsbench.zoo.catalog import load_catalog
    from ipsbench.zoo.listing import zoo_rows

    catalog = load_catalog()
    catalog.select(models)  # unknown names fail here, before anything starts
    missing = [
        r["name"]
        for r in zoo_rows(catalog, build_dir)
        if r["name"] in models and r["built"] != "yes"
    ]
    if missing:
        print(f"building {', '.join(missing)} ...", file=sys.stderr, flush=True)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ipsbench.cli",
                "models",
                "build",
                *missing,
                "--out",
                str(build_dir),
            ]
        )
        if result.returncode != 0:
            raise UserError("building the models failed (see above)")


def _probe(target: str, opts: RunOptions, models: list[str], env: dict[str, str]) -> None:
    """One request per model before any load: reachable, serving the model, speaking the protocol."""
    session = requests.Session()
    headers: dict[str, str] = {}
    try:
        session.get(target + "/", timeout=10)  # any HTTP answer will do: is anything there?
        if opts.protocol == "skil":
            r = session.post(
                target + LOGIN_PATH,
                data=login_body(
                    env.get("IPSBENCH_SKIL_USER") or "admin", env["IPSBENCH_SKIL_PASSWORD"]
                ),
                timeout=10,
            )
            if r.status_code != 200:
                raise UserError(f"{target} refused the SKIL login (HTTP {r.status_code})")
            headers["Authorization"] = f"Bearer {r.json().get('token')}"
        for model in models:
            info = model_input(target, opts.protocol, model, opts.input_shape)
            codec = make_codec(
                opts.protocol,
                ModelRef(model, tuple(info["input_shape"]), info["input_name"]),
                opts.batch,
                binary=opts.binary,
                deployment=opts.deployment,
            )
            r = session.post(
                target + codec.path,
                data=codec.body,
                headers={**codec.headers, **headers},
                timeout=60,
            )
            if r.status_code != 200:
                raise UserError(
                    f"{target} answered HTTP {r.status_code} to a {opts.protocol} request for "
                    f"{model!r}: {r.text[:200]}"
                )
            codec.decode(r.content, dict(r.headers))
    except requests.ConnectionError:
        raise UserError(f"cannot reach the target {target}") from None
    except requests.RequestException as exc:
        raise UserError(
            f"the target {target} failed a probe request: {type(exc).__name__}"
        ) from None
    except (ProtocolError, ValueError) as exc:
        raise UserError(f"{target} does not speak {opts.protocol}: {exc}") from None


def _locust_args(
    opts: RunOptions, profile: Any, users: str, models: list[str], targets: list[str], folder: Path
) -> list[str]:
    def pick(value: Any, default: Any) -> str:
        return str(default if value is None else value)

    args = [
        "--host",
        targets[0],
        "--ips-targets",
        ",".join(targets),
        "--ips-protocol",
        opts.protocol,
        "--ips-model",
        ",".join(models),
        "--ips-batch",
        str(opts.batch),
        "--ips-users",
        users,
        "--ips-warmup",
        pick(opts.warmup, profile.warmup),
        "--ips-window",
        pick(opts.window, profile.window),
        "--ips-min-windows",
        pick(opts.min_windows, profile.min_windows),
        "--ips-max-windows",
        pick(opts.max_windows, profile.max_windows),
        "--ips-results",
        str(folder.parent),
        "--ips-run-id",
        folder.name,
        "--ips-timeout",
        str(opts.timeout),
        "--ips-deployment",
        opts.deployment,
        "--ips-topology-label",
        f"{opts.app_servers} app server process(es) x {len(targets)} model server(s)",
    ]
    if opts.binary:
        args.append("--ips-binary")
    if opts.input_shape:
        args += ["--ips-input-shape", opts.input_shape]
    if opts.resume:
        args += ["--ips-resume", str(opts.resume)]
    for key, value in opts.checks.items():
        args += [f"--ips-check-{key}", str(value)]
    return args


def _run_locust(
    opts: RunOptions,
    profile: Any,
    users: str,
    models: list[str],
    targets: list[str],
    folder: Path,
    env: dict[str, str],
) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    port = opts.master_port or free_port()
    common = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    master_cmd = [
        *common,
        "--master",
        "--headless",
        "--expect-workers",
        str(opts.app_servers),
        "--master-bind-host",
        opts.master_bind_host,
        "--master-bind-port",
        str(port),
        "--exit-code-on-error",
        "0",
        "--only-summary",
        "--loglevel",
        "INFO",
        *_locust_args(opts, profile, users, models, targets, folder),
    ]
    master = subprocess.Popen(
        master_cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    workers = []
    if opts.external_workers:
        print(
            f"waiting for {opts.external_workers} app server(s): locust -f {LOCUSTFILE} --worker "
            f"--master-host {opts.master_bind_host} --master-port {port}",
            file=sys.stderr,
            flush=True,
        )
    for i in range(0 if opts.external_workers else opts.app_servers):
        log = open(folder / f"app-server-{i}.log", "w")  # noqa: SIM115 - closed when the run ends
        workers.append(
            (
                subprocess.Popen(
                    [
                        *common,
                        "--worker",
                        "--master-host",
                        "127.0.0.1",
                        "--master-port",
                        str(port),
                        *_locust_args(opts, profile, users, models, targets, folder),
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
    echo = threading.Thread(
        target=_echo_progress, args=(master, folder / "master.log"), daemon=True
    )
    echo.start()
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        code = master.wait()
    except KeyboardInterrupt:
        interrupted = True
        master.send_signal(signal.SIGINT)  # Locust quits cleanly; the run is marked interrupted
        try:
            code = master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            master.kill()
            code = master.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        for proc, log in workers:
            stop(proc, grace_s=10)
            log.close()
        echo.join(timeout=5)
    if interrupted:
        print("interrupted: every finished step is kept", file=sys.stderr)
        return 130
    return code


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _echo_progress(master: subprocess.Popen, log_path: Path) -> None:
    """Keep the master's whole log in the run folder; show the step lines and errors."""
    with open(log_path, "w") as log:
        for line in master.stdout:
            log.write(line)
            if "/ipsbench:" in line or "ERROR" in line:
                print(line.split(": ", 1)[-1].rstrip(), file=sys.stderr, flush=True)
