"""The fleet files, proven without a Docker engine or a cluster.

- docker-compose.yml against the Compose specification's JSON schema (the copy check-jsonschema
  vendors, Apache-2.0, from github.com/compose-spec/compose-spec);
- every build context, Dockerfile and file they copy or mount exists;
- the services' command lines run here as processes (loopback instead of 0.0.0.0 and service
  names, repo paths instead of image paths): the model server answers, the worker joins the
  master, the headless run finishes;
- nginx -t on the load balancer's config; the Kubernetes manifests through kustomize (kubectl,
  offline) and the kubernetes-validate schemas.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from ipsbench.server.process import free_port, stop, wait_until_answers
from tests.helpers import REPO, ZOO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
ENV = {
    **os.environ,
    "IPSBENCH_SKIL_USER": "bench",
    "IPSBENCH_SKIL_PASSWORD": "deploy-test",
    "IPSBENCH_ZOO": str(ZOO),
}


def test_compose_follows_the_compose_specification() -> None:
    import check_jsonschema
    import jsonschema

    schema_path = (
        Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    )
    jsonschema.validate(COMPOSE, json.loads(schema_path.read_text()))
    services = COMPOSE["services"]
    assert {"model-server", "lb", "master", "worker", "tfserving", "triton", "run"} <= set(services)
    assert services["master"]["ports"] == ["127.0.0.1:8089:8089"]  # the web UI on loopback only
    assert services["tfserving"]["profiles"] == ["tfserving"] and services["triton"][
        "profiles"
    ] == ["triton"]


def _copied_sources(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            sources += parts[:-1]
    return sources


def test_every_build_context_and_referenced_file_exists() -> None:
    for name, service in COMPOSE["services"].items():
        build = service.get("build")
        if build:
            context = REPO / build["context"]
            dockerfile = context / build["dockerfile"]
            assert dockerfile.is_file(), name
            for source in _copied_sources(dockerfile):
                assert (context / source).exists(), f"{dockerfile.name} copies missing {source}"
            text = dockerfile.read_text()
            assert re.search(
                r"^FROM python:3\.11\.\d+-slim-bookworm AS build$", text, re.M
            )  # pinned, multi-stage
            assert "USER ipsbench" in text and "HEALTHCHECK" in text
        for volume in service.get("volumes", []):
            host = volume.split(":", 1)[0]
            # models/build and reports are made by `ipsbench models build` and by runs.
            if not host.startswith(("./models/build", "./reports")):
                assert (REPO / host).exists(), f"{name} mounts missing {host}"
    assert (REPO / ".dockerignore").is_file()


def _argv(service: str, **subs: str) -> list[str]:
    """The service's command line, with container paths and hosts mapped onto this machine."""
    spec = COMPOSE["services"][service]
    entry = spec.get("entrypoint") or (["locust"] if "load" in spec.get("image", "") else [])
    argv = [*entry, *spec.get("command", [])]
    out = []
    for arg in argv:
        arg = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", arg)  # compose's ${VAR:-default}
        arg = arg.replace("/app/locustfiles", str(REPO / "locustfiles"))
        for old, new in subs.items():
            # Whole arguments (hosts, ports, names); URLs and paths also inside a longer one.
            if arg == old or (old.startswith(("http", "/")) and old in arg):
                arg = arg.replace(old, new)
        out.append(arg)
    tool = shutil.which(out[0], path=str(Path(sys.executable).parent))
    assert tool, f"{service}: the image's command {out[0]!r} is not installed"
    return [tool, *out[1:]]


@pytest.mark.slow
def test_the_service_command_lines_run(tmp_path: Path) -> None:
    # The model server's command, on loopback, with a zoo of one built model.
    zoo = tmp_path / "zoo"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipsbench.cli",
            "models",
            "build",
            "identity",
            "--no-baseline",
            "--out",
            str(zoo),
        ],
        check=True,
        env=ENV,
        capture_output=True,
    )
    port = free_port()
    image_cmd = re.search(
        r"^CMD (\[.*\])$", (REPO / "deploy/model-server.Dockerfile").read_text(), re.M
    )
    argv = json.loads(image_cmd.group(1))
    argv = [
        shutil.which(argv[0], path=str(Path(sys.executable).parent)),
        *[
            {"0.0.0.0": "127.0.0.1", "9008": str(port), "/opt/models": str(zoo)}.get(a, a)
            for a in argv[1:]
        ],
    ]
    server = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    master = worker = run = None
    try:
        target = f"http://127.0.0.1:{port}"
        wait_until_answers(target + "/v2/health/ready", 60, server)
        # Master and worker as compose starts them (the web UI kept on loopback).
        mport, web = free_port(), free_port()
        subs = {
            "http://lb:8080": target,
            "0.0.0.0": "127.0.0.1",
            "5557": str(mport),
            "master": "127.0.0.1",
        }
        master_argv = _argv("master", **subs)
        master = subprocess.Popen(
            [
                *master_argv,
                "--web-host",
                "127.0.0.1",
                "--web-port",
                str(web),
                "--ips-model",
                "identity",
            ],
            env=ENV,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker_argv = _argv("worker", **{"master": "127.0.0.1", "5557": str(mport)})
        worker = subprocess.Popen(
            worker_argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                state = requests.get(f"http://127.0.0.1:{web}/stats/requests", timeout=1).json()
                if state.get("workers") and len(state["workers"]) == 1:
                    break
            except (requests.ConnectionError, ValueError):
                pass
            assert time.monotonic() < deadline, "the worker did not join the master"
            time.sleep(0.3)
        stop(worker)
        stop(master)
        # The headless run service, with one worker and one short step.
        mport = free_port()
        subs = {
            "http://lb:8080": target,
            "0.0.0.0": "127.0.0.1",
            "5557": str(mport),
            "mlp-100k": "identity",
            "/app/reports": str(tmp_path / "reports"),
        }
        run = subprocess.Popen(
            [
                *_argv("run", **subs),
                "--users",
                "1",
                "--warmup",
                "1",
                "--window",
                "1",
                "--min-windows",
                "1",
                "--max-windows",
                "1",
            ],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)
        worker = subprocess.Popen(
            _argv("worker", **{"master": "127.0.0.1", "5557": str(mport)}),
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err[-2000:]
        (folder,) = list((tmp_path / "reports").iterdir())
        assert (folder / "steps.jsonl").read_text().count("\n") == 1
    finally:
        for proc in (run, worker, master, server):
            if proc is not None:
                stop(proc)


def test_nginx_accepts_the_load_balancer_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: scripts/system-packages.sh installs it")
    # Offline, "model-server" does not resolve: the same config with loopback in its place.
    conf = (
        (REPO / "deploy/nginx/lb.conf").read_text().replace("model-server:9008", "127.0.0.1:9008")
    )
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{free_port()};")
    (tmp_path / "lb.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; include {tmp_path}/lb.conf; }}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_kubernetes_manifests_validate_offline() -> None:
    import kubernetes_validate

    kubectl = shutil.which("kubectl")
    if kubectl:
        built = subprocess.run(
            [kubectl, "kustomize", str(REPO / "deploy/k8s")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        docs = [d for d in yaml.safe_load_all(built) if d]
    else:  # kustomize is only a convenience; the plain manifests are the same objects
        docs = [
            d
            for f in sorted((REPO / "deploy/k8s").glob("*.yaml"))
            if f.name != "kustomization.yaml"
            for d in yaml.safe_load_all(f.read_text())
            if d
        ]
    docs += [d for d in yaml.safe_load_all((REPO / "deploy/k8s/run-job.yaml").read_text()) if d]
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert ("Deployment", "master") in kinds and ("Deployment", "worker") in kinds
    assert ("Deployment", "model-server") in kinds and ("Job", "ipsbench-run") in kinds
    master_svc = next(
        d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "master"
    )
    assert master_svc["spec"]["type"] == "ClusterIP"
    assert sorted(p["port"] for p in master_svc["spec"]["ports"]) == [5557, 8089]
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            for c in d["spec"]["template"]["spec"]["containers"]:
                assert c["resources"]["requests"] and c["resources"]["limits"], d["metadata"][
                    "name"
                ]
        if d["kind"] == "Deployment" and d["metadata"]["name"] != "worker":
            c = d["spec"]["template"]["spec"]["containers"][0]
            assert "readinessProbe" in c, d["metadata"]["name"]
