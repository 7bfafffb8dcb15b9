"""The zoo on KServe's own ModelServer: a second, independent engine for the protocol tests.

Runs inside the KServe virtual environment (`.venv-kserve`, made by scripts/kserve-venv.sh:
KServe pins protobuf and psutil versions that clash with ours). Imports only the standard
library, numpy, TensorFlow, KServe and ipsbench's dependency-free manifest reader.

KServe's REST server hard-codes host 0.0.0.0; this module narrows it to the host asked for
(127.0.0.1 by default) by adjusting the uvicorn config where KServe builds it, turns gRPC off,
and silences its per-request logging.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _arguments(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ipsbench serve --engine kserve")
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--model", dest="only", action="append", default=[])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _arguments(argv)
    sys.argv = sys.argv[:1]  # KServe parses sys.argv at import time; give it nothing of ours
    import kserve
    import kserve.model_server as model_server
    import numpy as np
    import tensorflow as tf
    from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse
    from kserve.protocol.rest.server import RESTServer

    from ipsbench.zoo.manifest import load_manifest

    class LoopbackRESTServer(RESTServer):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.config.host = args.host  # the uvicorn.Server built above holds this same config
            self.config.access_log = False

    model_server.RESTServer = LoopbackRESTServer
    # Per-request logging (an access line and two latency lines) costs KServe ~20% of its
    # throughput; KServe reads this switch from its module-level arguments.
    model_server.args.enable_latency_logging = False

    class ZooModel(kserve.Model):
        def __init__(self, build_dir: Path, entry: dict[str, Any]) -> None:
            super().__init__(entry["name"])
            self.entry = entry
            self.row_shape = tuple(entry["input"]["shape"][1:])
            loaded = tf.saved_model.load(str(build_dir / entry["files"]["savedmodel"]))
            self._loaded = loaded
            self._signature = loaded.signatures["serving_default"]
            self.ready = True

        def get_input_types(self) -> list[dict]:
            return [{"name": "input", "datatype": "FP32", "shape": [-1, *self.row_shape]}]

        def get_output_types(self) -> list[dict]:
            return [
                {
                    "name": "output",
                    "datatype": "FP32",
                    "shape": [-1, *self.entry["output"]["shape"][1:]],
                }
            ]

        def _run(self, x: np.ndarray) -> np.ndarray:
            return self._signature(input=tf.constant(x))["output"].numpy()

        async def predict(
            self, payload: Any, headers: Any = None, response_headers: Any = None
        ) -> Any:
            if isinstance(payload, InferRequest):
                x = payload.inputs[0].as_numpy().astype(np.float32)
            elif "instances" in payload:
                rows = [r["input"] if isinstance(r, dict) else r for r in payload["instances"]]
                x = np.asarray(rows, dtype=np.float32)
            else:
                inputs = payload.get("inputs")
                x = np.asarray(
                    inputs["input"] if isinstance(inputs, dict) else inputs, dtype=np.float32
                )
            if x.ndim != len(self.row_shape) + 1 or x.shape[1:] != self.row_shape:
                raise kserve.errors.InvalidInput(
                    f"input has shape {list(x.shape)}; expected {[-1, *self.row_shape]}"
                )
            y = await asyncio.get_running_loop().run_in_executor(None, self._run, x)
            if isinstance(payload, InferRequest):
                out = InferOutput(name="output", shape=list(y.shape), datatype="FP32")
                out.set_data_from_numpy(y, binary_data=False)
                return InferResponse(
                    response_id=payload.id or "",
                    model_name=self.name,
                    infer_outputs=[out],
                    use_binary_outputs=payload.use_binary_outputs,
                    requested_outputs=payload.request_outputs,
                )
            key = "predictions" if "instances" in payload else "outputs"
            return {key: y.tolist()}

    manifest = load_manifest(args.models, required=True)
    entries = [e for e in manifest["models"] if not args.only or e["name"] in args.only]
    models = [ZooModel(args.models, e) for e in entries]
    server = kserve.ModelServer(
        http_port=args.port, enable_grpc=False, enable_latency_logging=False, workers=1
    )
    for name in ("uvicorn.access", "kserve.trace"):  # after ModelServer configured logging
        logging.getLogger(name).setLevel(logging.WARNING)
    print(
        f"ipsbench serve --engine kserve: listening on http://{args.host}:{args.port}",
        file=sys.stderr,
        flush=True,
    )
    server.start(models)


if __name__ == "__main__":
    main(sys.argv[1:])
