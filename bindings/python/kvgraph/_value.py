"""Typed property values across the boundary (``kvg_value``).

Python values map onto the library's value model (openCypher's) one to
one, except temporal values (dates, times, durations, which Cypher makes):
those come out as their ISO 8601 ``str`` (``'1984-10-11'``, ``'P1M2D'``):

=====================  =====================
Python                 ``kvg_value_type``
=====================  =====================
``None``               ``KVG_VALUE_NULL``
``bool``               ``KVG_VALUE_BOOL``
``int`` (64-bit)       ``KVG_VALUE_INT``
``float``              ``KVG_VALUE_FLOAT``
``str``                ``KVG_VALUE_STRING``
``bytes``              ``KVG_VALUE_BYTES``
``list`` / ``tuple``   ``KVG_VALUE_LIST``
``dict`` (``str`` keys) ``KVG_VALUE_MAP``
=====================  =====================

``bytearray`` and ``memoryview`` go in as bytes; numpy scalars as their
Python equivalent. Lists and maps travel in the library's binary encoding
(README "Data model", version 1), which :func:`encode` and :func:`decode`
implement here so that a nested value crosses in one call.
"""

from __future__ import annotations

import math
import operator
import struct
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ._convert import I64_MAX, I64_MIN
from ._convert import name as _name
from ._errors import InvalidArgumentError
from ._lib import ffi, lib

__all__ = ["PropertyValue", "value_in", "properties_in", "value_out", "encode", "decode", "values_equal"]

PropertyValue = Union[None, bool, int, float, str, bytes, List[Any], Dict[str, Any]]
"""A property value: ``None``, ``bool``, ``int``, ``float``, ``str``,
``bytes``, or a ``list`` / ``dict`` of these (nested)."""

# kvg_value_type
NULL, BOOL, INT, FLOAT, STRING, BYTES, LIST, MAP = range(8)

# tags of the binary encoding
_VERSION = 1
_T_NULL, _T_FALSE, _T_TRUE, _T_INT, _T_FLOAT, _T_STRING, _T_BYTES, _T_LIST, _T_MAP = range(9)
_MAX_DEPTH = 64
_F64 = struct.Struct("<d")


def _scalar(value: Any, what: str) -> Any:
    """``value`` as a plain Python value (numpy scalars unwrapped), checked."""
    if value is None or isinstance(value, (bool, str, bytes, list, tuple, dict)):
        return value
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        return dict(value)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and getattr(value, "ndim", 1) == 0:  # numpy scalar
        if dtype.kind == "b":
            return bool(value)
        if dtype.kind in "iu":
            return operator.index(value)
        if dtype.kind == "f":
            return float(value)
    raise TypeError(f"{what}: a {type(value).__name__} is not a property value "
                    "(None, bool, int, float, str, bytes, list or dict)")


def _int(value: int, what: str) -> int:
    if not I64_MIN <= value <= I64_MAX:
        raise InvalidArgumentError(f"{what}: {value} does not fit in a signed 64-bit integer")
    return value


def _varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _encode_into(out: bytearray, value: Any, what: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise InvalidArgumentError(f"{what}: nested deeper than {_MAX_DEPTH} levels")
    value = _scalar(value, what)
    if value is None:
        out.append(_T_NULL)
    elif value is True or value is False:
        out.append(_T_TRUE if value else _T_FALSE)
    elif isinstance(value, int):
        n = _int(value, what)
        out.append(_T_INT)
        _varint(out, ((n << 1) ^ (n >> 63)) & 0xFFFFFFFFFFFFFFFF)
    elif isinstance(value, float):
        out.append(_T_FLOAT)
        out += _F64.pack(value)
    elif isinstance(value, (str, bytes)):
        raw = value.encode("utf-8") if isinstance(value, str) else value
        out.append(_T_STRING if isinstance(value, str) else _T_BYTES)
        _varint(out, len(raw))
        out += raw
    elif isinstance(value, (list, tuple)):
        out.append(_T_LIST)
        _varint(out, len(value))
        for item in value:
            _encode_into(out, item, what, depth + 1)
    else:  # dict
        entries = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{what}: map keys must be str, not {type(key).__name__}")
            entries.append((key.encode("utf-8"), item))
        entries.sort(key=lambda e: e[0])
        out.append(_T_MAP)
        _varint(out, len(entries))
        for raw_key, item in entries:
            _varint(out, len(raw_key))
            out += raw_key
            _encode_into(out, item, what, depth + 1)


def encode(value: Any, what: str = "value") -> bytes:
    """The library's binary encoding of ``value`` (version byte included).

    Raises:
        TypeError: something in ``value`` is not a property value, or a
            map key is not ``str``.
        InvalidArgumentError: an ``int`` outside 64 bits, or nesting past 64.
    """
    out = bytearray([_VERSION])
    _encode_into(out, value, what, 0)
    return bytes(out)


class _Reader:
    """Decodes the binary encoding; any malformation raises ``InvalidArgumentError``."""

    __slots__ = ("buf", "at")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.at = 0

    def _fail(self, why: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"malformed value encoding at byte {self.at}: {why}")

    def byte(self) -> int:
        if self.at >= len(self.buf):
            raise self._fail("truncated")
        b = self.buf[self.at]
        self.at += 1
        return b

    def take(self, n: int) -> bytes:
        if n > len(self.buf) - self.at:
            raise self._fail("truncated")
        raw = self.buf[self.at : self.at + n]
        self.at += n
        return raw

    def varint(self) -> int:
        n, shift = 0, 0
        while True:
            b = self.byte()
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 63:
                raise self._fail("varint too long")

    def text(self) -> str:
        try:
            return self.take(self.varint()).decode("utf-8")
        except UnicodeDecodeError:
            raise self._fail("invalid UTF-8") from None

    def value(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self._fail("nested too deep")
        tag = self.byte()
        if tag == _T_NULL:
            return None
        if tag in (_T_FALSE, _T_TRUE):
            return tag == _T_TRUE
        if tag == _T_INT:
            z = self.varint()
            return (z >> 1) ^ -(z & 1)
        if tag == _T_FLOAT:
            return float(_F64.unpack(self.take(8))[0])
        if tag == _T_STRING:
            return self.text()
        if tag == _T_BYTES:
            return self.take(self.varint())
        if tag == _T_LIST:
            return [self.value(depth + 1) for _ in range(self.varint())]
        if tag == _T_MAP:
            out: Dict[str, Any] = {}
            for _ in range(self.varint()):
                key = self.text()
                out[key] = self.value(depth + 1)
            return out
        raise self._fail(f"unknown tag {tag}")


def decode(raw: bytes) -> Any:
    """The Python value of the binary encoding ``raw`` (see :func:`encode`).

    Raises:
        InvalidArgumentError: ``raw`` is not a well-formed encoding.
    """
    r = _Reader(bytes(raw))
    if r.byte() != _VERSION:
        raise InvalidArgumentError("malformed value encoding: unknown version")
    value = r.value(0)
    if r.at != len(r.buf):
        raise r._fail("trailing bytes")
    return value


def value_in(value: Any, what: str = "value") -> Tuple[Any, Any]:
    """A ``kvg_value *`` describing ``value``, and the object that keeps
    its bytes alive (hold both for the duration of the call)."""
    v = ffi.new("kvg_value *")
    value = _scalar(value, what)
    raw: Optional[bytes] = None
    if value is None:
        v.kind = NULL
    elif value is True or value is False:
        v.kind, v.boolean = BOOL, value
    elif isinstance(value, int):
        v.kind, v.integer = INT, _int(value, what)
    elif isinstance(value, float):
        v.kind, v.real = FLOAT, value
    elif isinstance(value, str):
        v.kind, raw = STRING, value.encode("utf-8")
    elif isinstance(value, bytes):
        v.kind, raw = BYTES, value
    else:
        v.kind, raw = (MAP if isinstance(value, dict) else LIST), encode(value, what)
    keep: Any = None
    if raw:
        keep = ffi.from_buffer(raw)
        v.data, v.len = ffi.cast("const uint8_t *", keep), len(raw)
    return v, keep


def properties_in(properties: Mapping[str, Any]) -> List[Tuple[Any, Tuple[Any, Any]]]:
    """Each keyword property as a C name and :func:`value_in`'s pair, all
    checked before any is written."""
    return [(_name(k, "property name"), value_in(v, f"property {k!r}")) for k, v in properties.items()]


def value_out(v: Any, data: Any) -> Any:
    """The Python value of an output ``kvg_value`` ``v``; frees ``data``
    (the ``kvg_bytes`` the call filled beside it)."""
    try:
        kind = int(v.kind)
        if kind == NULL:
            return None
        if kind == BOOL:
            return bool(v.boolean)
        if kind == INT:
            return int(v.integer)
        if kind == FLOAT:
            return float(v.real)
        raw = ffi.buffer(v.data, v.len)[:] if v.len else b""
        if kind == STRING:
            return raw.decode("utf-8")
        if kind == BYTES:
            return raw
        if kind in (LIST, MAP):
            return decode(raw)
        raise InvalidArgumentError(f"the library returned an unknown value type {kind}")
    finally:
        lib.kvg_bytes_free(data)


def values_equal(a: Any, b: Any) -> bool:
    """Equality as the library's index lookups see it (openCypher ``=``):
    numbers by numeric value (``1 == 1.0``), never across other kinds
    (``True != 1``, ``"1" != b"1"``); null and NaN equal nothing; lists
    and maps item by item."""
    if a is None or b is None:
        return False
    num_a = isinstance(a, (int, float)) and not isinstance(a, bool)
    num_b = isinstance(b, (int, float)) and not isinstance(b, bool)
    if num_a or num_b:
        if not (num_a and num_b):
            return False
        if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
            return False
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (bytes, bytearray, memoryview)) and isinstance(b, (bytes, bytearray, memoryview)):
        return bytes(a) == bytes(b)
    return isinstance(a, str) and isinstance(b, str) and a == b
