"""What the reference server does on the wire and on its heap, seen from outside the handlers."""

from __future__ import annotations

import asyncio
import gc
import socket
import struct
from pathlib import Path

import numpy as np
import orjson
import pytest

from ipsbench.bare_client import connect, exchange, post_request
from ipsbench.server.app import ServerConfig, create_app
from ipsbench.server.models import SyntheticModel
from tests.server_proc import running_server

BODY = orjson.dumps(
    {"inputs": [{"name": "input", "shape": [1, 1], "datatype": "FP32", "data": [1.0]}]}
)
# Linux `struct tcp_info`: tcpi_segs_in is the u32 at byte 140 (kernel >= 4.2).
_SEGS_IN = struct.Struct("=I")
_SEGS_IN_OFFSET = 140


def _segments_received(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < _SEGS_IN_OFFSET + 4:
        pytest.skip("this kernel's TCP_INFO has no segment counters")
    return _SEGS_IN.unpack_from(info, _SEGS_IN_OFFSET)[0]


@pytest.mark.slow
def test_each_answer_is_one_tcp_segment(tmp_path: Path) -> None:
    """Head and body leave in one write: a second segment costs a wake-up of an idle client."""
    with running_server(
        "--no-zoo", "--synthetic", "name=echo,service_ms=2,slots=1", "--data-dir", str(tmp_path)
    ) as url:
        request = post_request(url, "/v2/models/echo/infer", BODY)
        with connect(url) as sock:
            for _ in range(20):  # past TCP's quick-ACK start
                exchange(sock, request)
            before = _segments_received(sock)
            requests = 50
            answers = [exchange(sock, request) for _ in range(requests)]
            per_request = (_segments_received(sock) - before) / requests
    assert all(status == 200 for status, _ in answers)
    assert orjson.loads(answers[-1][1])["outputs"][0]["data"] == [1.0]
    # One segment per answer (the request's ACK rides on it); two writes would make it >= 2.
    assert per_request < 1.5, per_request


def test_loaded_heap_is_frozen(tmp_path: Path) -> None:
    """After loading, the server exempts its heap from the cyclic GC (see app.freeze_heap)."""
    model = SyntheticModel(
        name="calib", input_shape=(1,), output_shape=(1,), service_s=0.001, slots=1
    )
    app = create_app(ServerConfig(build_dir=None, synthetic=[model], data_dir=tmp_path))
    registry = app.state.registry

    async def start_and_wait() -> int:
        async with app.router.lifespan_context(app):
            for _ in range(200):
                if registry.ready:
                    break
                await asyncio.sleep(0.01)
            assert registry.ready
            y, _ = await model.infer(np.ones((1, 1), np.float32))
            assert y.tolist() == [[1.0]]
            return gc.get_freeze_count()

    gc.unfreeze()
    try:
        assert asyncio.run(start_and_wait()) > 0
    finally:
        gc.unfreeze()
