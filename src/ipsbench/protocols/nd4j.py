"""ND4J 0.9.x binary INDArray serialisation, as SKIL 1.0 carried it in `{"array": "<base64>"}`.

Big-endian (Java DataOutputStream). Two records, each: a modified-UTF string (2-byte length +
bytes) naming the allocation mode, an int32 element count, a modified-UTF string naming the
element type (INT, FLOAT, DOUBLE, HALF), then the elements. Record one is the shape information
(type INT): [rank, shape..., strides..., offset, element-wise stride, order], order being 99
('c') or 102 ('f'). Record two is the data.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

import numpy as np

_TYPES = {"FLOAT": ">f4", "DOUBLE": ">f8", "INT": ">i4", "HALF": ">f2", "LONG": ">i8"}
_NAMES = {
    np.dtype("float32"): "FLOAT",
    np.dtype("float64"): "DOUBLE",
    np.dtype("int32"): "INT",
    np.dtype("float16"): "HALF",
    np.dtype("int64"): "LONG",
}
_WHITESPACE = re.compile(rb"\s+")
ALLOCATION_MODE = "JAVACPP"
MAX_RANK = 32


class ND4JError(ValueError):
    """A malformed ND4J record or base64 text."""


def encode_array(array: np.ndarray, order: str = "c", mime_wrap: bool = False) -> str:
    """Base64 text of `array` in ND4J's binary form (MIME-wrapped at 76 columns if asked)."""
    dtype = array.dtype if array.dtype in _NAMES else np.dtype("float32")
    array = np.asarray(array, dtype=dtype)
    rank = array.ndim
    shape = list(array.shape)
    strides = _strides(shape, order)
    info = [rank, *shape, *strides, 0, 1, ord(order)]
    flat = array.ravel(order="F" if order == "f" else "C")
    raw = _record("INT", np.asarray(info, dtype=">i4").tobytes(), len(info))
    raw += _record(_NAMES[dtype], flat.astype(_TYPES[_NAMES[dtype]]).tobytes(), flat.size)
    if mime_wrap:
        return base64.encodebytes(raw).decode("ascii").replace("\n", "\r\n")
    return base64.b64encode(raw).decode("ascii")


def decode_array(text: str | bytes) -> np.ndarray:
    """The array a base64 ND4J text holds; whitespace (MIME line breaks) is ignored."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        raw = base64.b64decode(_WHITESPACE.sub(b"", data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ND4JError(f"bad base64 in INDArray: {exc}") from None
    reader = _Reader(raw)
    info_type, info = reader.record()
    if info_type != "INT":
        raise ND4JError(f"ND4J shape record must be INT, not {info_type}")
    info_values = np.frombuffer(info, dtype=">i4").astype(np.int64)
    if info_values.size < 4:
        raise ND4JError("ND4J shape record too short")
    rank = int(info_values[0])
    if not 0 <= rank <= MAX_RANK or info_values.size != 2 * rank + 4:
        raise ND4JError(f"ND4J shape record of {info_values.size} ints does not fit rank {rank}")
    shape = [int(d) for d in info_values[1 : 1 + rank]]
    if any(d < 0 for d in shape):
        raise ND4JError(f"negative dimension in ND4J shape {shape}")
    order_code = int(info_values[-1])
    if order_code not in (99, 102):
        raise ND4JError(f"ND4J order must be 99 ('c') or 102 ('f'), not {order_code}")
    data_type, data = reader.record()
    if data_type not in _TYPES:
        raise ND4JError(f"unsupported ND4J data type {data_type!r}")
    values = np.frombuffer(data, dtype=_TYPES[data_type])
    expected = int(np.prod(shape)) if shape else 1
    if values.size != expected:
        raise ND4JError(f"ND4J data holds {values.size} elements; shape {shape} needs {expected}")
    order = "F" if order_code == 102 else "C"
    return values.reshape(shape, order=order).astype(values.dtype.newbyteorder("="))


def _strides(shape: list[int], order: str) -> list[int]:
    strides = [0] * len(shape)
    step = 1
    indices = range(len(shape) - 1, -1, -1) if order == "c" else range(len(shape))
    for i in indices:
        strides[i] = step
        step *= shape[i]
    return strides


def _utf(text: str) -> bytes:
    encoded = text.encode("utf-8")
    return struct.pack(">H", len(encoded)) + encoded


def _record(type_name: str, payload: bytes, count: int) -> bytes:
    return _utf(ALLOCATION_MODE) + struct.pack(">i", count) + _utf(type_name) + payload


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._pos = 0

    def _take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._raw):
            raise ND4JError("truncated ND4J record")
        chunk = self._raw[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def _utf(self) -> str:
        (length,) = struct.unpack(">H", self._take(2))
        try:
            return self._take(length).decode("utf-8")
        except UnicodeDecodeError:
            raise ND4JError("ND4J record holds a name that is not UTF-8") from None

    def record(self) -> tuple[str, bytes]:
        self._utf()  # allocation mode: irrelevant off the JVM
        (count,) = struct.unpack(">i", self._take(4))
        type_name = self._utf()
        if type_name not in _TYPES:
            raise ND4JError(f"unsupported ND4J data type {type_name!r}")
        if count < 0:
            raise ND4JError("negative ND4J element count")
        size = np.dtype(_TYPES[type_name]).itemsize
        return type_name, self._take(count * size)
