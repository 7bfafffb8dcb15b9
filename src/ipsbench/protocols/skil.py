"""SKIL 1.x, client side: predict with the base64 ND4J INDArray the original suite sent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from ipsbench.protocols.base import Codec, ProtocolError
from ipsbench.protocols.nd4j import ND4JError, decode_array, encode_array
from ipsbench.protocols.skil_client import slug

LOGIN_PATH = "/login"


@dataclass
class SkilCodec(Codec):
    deployment: str = "benchmark"

    @property
    def path(self) -> str:
        return f"/endpoints/{slug(self.deployment)}/model/{slug(self.model.name)}/default/predict"

    def encode(self, batch: np.ndarray) -> tuple[bytes, dict[str, str]]:
        body = {
            "id": "ipsbench",
            "needsPreProcessing": False,
            "prediction": {"array": encode_array(batch)},
        }
        return orjson.dumps(body), {"Content-Type": "application/json"}

    def decode(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            answer = orjson.loads(body)
            prediction = answer["prediction"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ProtocolError("answer has no `prediction`") from None
        try:
            if isinstance(prediction, dict) and "array" in prediction:
                array = decode_array(prediction["array"])
                rows = array.shape[0] if array.ndim else 0
            else:
                rows = int(prediction["shape"][0])
        except (ND4JError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise ProtocolError(f"malformed INDArray in the answer: {exc}") from None
        return self.check_rows(rows)


def login_body(user: str, password: str) -> bytes:
    return orjson.dumps({"userId": user, "password": password})
