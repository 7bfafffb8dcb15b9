"""The interface every wire protocol's client side shares.

A `Codec` is made once per (model, batch, protocol) and holds the request body, encoded once
and reused for every request (never re-serialised per request); `decode` checks an answer and
returns the number of inferences it carries, raising `ProtocolError` on a malformed one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

PROTOCOLS = ("tfserving", "v2", "skil")


class ProtocolError(ValueError):
    """An answer that does not follow the protocol, or holds the wrong number of rows."""


@dataclass(frozen=True)
class ModelRef:
    name: str
    input_shape: tuple[int, ...]  # one row, without the batch dimension
    input_name: str = "input"
    output_name: str = "output"
    version: str | None = None


@dataclass
class Codec(ABC):
    model: ModelRef
    batch: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.body, self.headers = self.encode(self.sample_batch())

    def sample_batch(self) -> np.ndarray:
        """A fixed, seeded batch: untrained networks take any numbers, and a fixed body is fair."""
        rng = np.random.default_rng(1234)
        return rng.standard_normal((self.batch, *self.model.input_shape)).astype(np.float32)

    @property
    @abstractmethod
    def path(self) -> str:
        """The inference path on the server."""

    @abstractmethod
    def encode(self, batch: np.ndarray) -> tuple[bytes, dict[str, str]]: ...

    @abstractmethod
    def decode(self, body: bytes, headers: dict[str, str]) -> int:
        """Inferences in the answer (rows); ProtocolError if malformed or the wrong count."""

    def check_rows(self, rows: int) -> int:
        if rows != self.batch:
            raise ProtocolError(f"answer holds {rows} rows; the request sent {self.batch}")
        return rows


def make_codec(
    protocol: str,
    model: ModelRef,
    batch: int,
    *,
    binary: bool = False,
    deployment: str = "benchmark",
) -> Codec:
    if protocol == "tfserving":
        from ipsbench.protocols.tfserving import TFServingCodec

        return TFServingCodec(model, batch)
    if protocol == "v2":
        from ipsbench.protocols.v2 import V2Codec

        return V2Codec(model, batch, binary=binary)
    if protocol == "skil":
        from ipsbench.protocols.skil import SkilCodec

        return SkilCodec(model, batch, deployment=deployment)
    raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
