"""`ipsbench models push NAME... --protocol skil --url URL`: deploy built models to SKIL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from ipsbench.errors import UserError
from ipsbench.protocols.skil_client import SkilClient, credentials_from_environment, slug
from ipsbench.zoo.manifest import built_entry, find_entry, load_manifest


def push_to_skil(
    names: list[str], url: str, deployment: str, build_dir: Path, start_timeout_s: float = 180.0
) -> Iterator[str]:
    """Upload each model's .h5, add or replace it in `deployment`, start it, wait until
    `started`; yields each model's predict URL."""
    manifest = load_manifest(build_dir, required=True)
    files = []
    for name in names:
        entry = built_entry(manifest, name, build_dir)
        files.append((name, build_dir / entry["files"]["h5"]))
    user, password = credentials_from_environment()
    client = SkilClient(url, user, password)
    client.login()
    target = client.deployment(deployment)
    dep_id, dep_slug = str(target["id"]), target.get("deploymentSlug") or slug(deployment)
    for name, h5 in files:
        stored = client.upload(h5)
        for old in client.models(dep_id):
            if old.get("name") == name and "fileLocation" in old:
                client.request(
                    "POST", f"/deployment/{dep_id}/model/{old['id']}/state", json={"state": "stop"}
                )
                client.request("DELETE", f"/deployment/{dep_id}/model/{old['id']}")
        model = client.request(
            "POST",
            f"/deployment/{dep_id}/model",
            json={
                "name": name,
                "scale": 1,
                "uri": [f"{dep_slug}/model/{slug(name)}/default"],
                "modelType": "model",
                "fileLocation": f"file://{stored}",
                "inputNames": [manifest_input(manifest, name)],
                "outputNames": ["output"],
            },
        )
        model_id = str(model["id"])
        client.request(
            "POST", f"/deployment/{dep_id}/model/{model_id}/state", json={"state": "start"}
        )
        _wait_started(client, dep_id, model_id, name, start_timeout_s)
        yield f"{client.url}/endpoints/{dep_slug}/model/{slug(name)}/default/predict"


def manifest_input(manifest: dict, name: str) -> str:
    entry = find_entry(manifest, name) or {}
    return entry.get("input", {}).get("name", "input")


def _wait_started(
    client: SkilClient, dep_id: str, model_id: str, name: str, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        state = client.model(dep_id, model_id)
        if state.get("state") == "started":
            return
        if state.get("state") == "failed":
            raise UserError(
                f"SKIL could not start {name!r}: {state.get('error') or 'state failed'}"
            )
        if time.monotonic() > deadline:
            raise UserError(
                f"{name!r} did not reach `started` within {timeout_s:.0f} s (last: {state.get('state')})"
            )
        time.sleep(0.25)
