"""Argument checks and the conversion of data in and out of the library.

Scalars are checked here (types, ranges, NUL-free names) so that a bad
argument raises a Python exception instead of reaching C. Arrays travel
without Python loops:

* in: numpy arrays and ``array.array`` of the C element type go to the
  library in place (``ffi.from_buffer``); other numpy dtypes, pyarrow arrays
  and pandas Series are converted by numpy or pyarrow in one pass; plain lists
  (and other iterables) are converted by ``array.array`` in one pass;
* out: per-node results are written by the library straight into the
  buffer of the requested kind (:data:`OUTPUTS`), a list being made from an
  ``array.array`` by one ``tolist()``;
* byte strings in batches are packed back to back with a length array
  (:func:`packed`), and batch reads come back the same way
  (:func:`unpacked`, or a pyarrow ``BinaryArray`` without copying per item).
"""

from __future__ import annotations

import enum
import operator
from array import array
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ._errors import InvalidArgumentError
from ._lib import NO_VALUE, ffi

__all__ = [
    "BytesLike",
    "Name",
    "Direction",
    "DirectionLike",
    "IdsLike",
    "FloatsLike",
    "Output",
    "OUTPUTS",
    "to_bytes",
    "opt_bytes",
    "name",
    "integer",
    "node_id",
    "number",
    "direction",
    "u64_in",
    "f64_in",
    "packed",
    "unpacked",
    "out_buffer",
    "finish_out",
    "U64_MAX",
    "I64_MIN",
    "I64_MAX",
    "U32_MAX",
]

BytesLike = Union[bytes, bytearray, memoryview, str]
"""Keys, values and property values: bytes-like, or ``str`` (encoded as UTF-8)."""
Name = Union[str, bytes]
"""Labels, edge types and property names: ``str`` (or UTF-8 ``bytes``)."""
IdsLike = Any
"""Node ids in bulk: a numpy integer array, ``array.array``, pyarrow integer
array, pandas Series, list or other iterable of ``int``."""
FloatsLike = Any
"""Numbers in bulk (edge weights): as :data:`IdsLike`, of floats."""
Output = str
"""What a bulk result comes back as: one of :data:`OUTPUTS`."""
OUTPUTS = ("list", "numpy", "array", "arrow", "pandas")
"""``"list"`` (default), ``"numpy"`` (``ndarray``), ``"array"``
(``array.array``), ``"arrow"`` (``pyarrow.Array``), ``"pandas"``
(``pandas.Series`` indexed by node id)."""

U64_MAX = (1 << 64) - 1
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U32_MAX = (1 << 32) - 1

_np: Any
try:  # numpy is optional
    import numpy as _np
except ImportError:  # pragma: no cover - exercised when numpy is absent
    _np = None


def _optional(module: str, why: str) -> Any:
    """Import an optional dependency, or raise a clear :class:`ImportError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{why} needs {module} installed (pip install {module})") from None


# ---------------------------------------------------------------------------
# scalars


def to_bytes(value: Any, what: str) -> bytes:
    """``value`` as ``bytes`` (``str`` encoded as UTF-8)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


def opt_bytes(value: Any, what: str) -> Optional[bytes]:
    """:func:`to_bytes`, with ``None`` kept."""
    return None if value is None else to_bytes(value, what)


_NAMES: Dict[str, Any] = {}
"""Encoded ``str`` names (labels, edge types and property names are few and
reused on every call); bounded by :data:`_NAMES_MAX`."""
_NAMES_MAX = 4096


def name(value: Any, what: str) -> Any:
    """A NUL-terminated name for the C side (``bytes``), or ``ffi.NULL`` for ``None``."""
    if value is None:
        return ffi.NULL
    if type(value) is str:
        cached = _NAMES.get(value)
        if cached is not None:
            return cached
    if isinstance(value, str):
        raw = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if b"\0" in raw:
        raise InvalidArgumentError(f"{what} must not contain NUL characters")
    if type(value) is str and len(_NAMES) < _NAMES_MAX:
        _NAMES[value] = raw
    return raw


def integer(value: Any, what: str, lo: int, hi: int) -> int:
    """``value`` as an ``int`` in ``[lo, hi]`` (floats and non-integers refused)."""
    if isinstance(value, float):
        raise TypeError(f"{what} must be an integer, not float")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}") from None
    if not lo <= n <= hi:
        raise InvalidArgumentError(f"{what} {n} is out of range [{lo}, {hi}]")
    return n


def node_id(value: Any, what: str = "node id") -> int:
    """A node id (``uint64``)."""
    if type(value) is int and 0 <= value <= U64_MAX:
        return value
    return integer(value, what, 0, U64_MAX)


def number(value: Any, what: str) -> float:
    """``value`` as a ``float`` (strings refused)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}") from None


class Direction(enum.IntEnum):
    """Which edges :meth:`kvgraph.Snapshot.neighbors` follows (``kvg_direction``)."""

    OUT = 0
    """Out-edges (``src -> node``'s targets)."""
    IN = 1
    """In-edges."""
    BOTH = 2
    """Both."""


DirectionLike = Union[str, Direction, int]
"""``"out"``, ``"in"``, ``"both"``, a :class:`Direction` or its value."""
_DIRECTIONS = {"out": Direction.OUT, "in": Direction.IN, "both": Direction.BOTH}


def direction(value: Any) -> int:
    """``value`` as a ``kvg_direction``."""
    if isinstance(value, str):
        try:
            return int(_DIRECTIONS[value.lower()])
        except KeyError:
            raise InvalidArgumentError(f"direction must be 'out', 'in' or 'both', not {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2):
        return int(value)
    raise InvalidArgumentError(f"direction must be 'out', 'in' or 'both', not {value!r}")


# ---------------------------------------------------------------------------
# arrays in


def _columnar(values: Any) -> Any:
    """A numpy array for a pyarrow array / chunked array or a pandas Series
    (or Index); ``values`` itself otherwise."""
    module = type(values).__module__
    if module.startswith("pyarrow"):
        if getattr(values, "null_count", 0):
            raise InvalidArgumentError("the array holds nulls")
        return values.to_numpy(zero_copy_only=False)
    if module.startswith("pandas"):
        if bool(values.isna().any()):
            raise InvalidArgumentError("the column holds missing values")
        return values.to_numpy()
    return values


def _view(ctype: str, buf: Any, n: int) -> Tuple[Any, int]:
    """``(pointer, n)`` over ``buf`` in place; for ``n == 0`` a one-element
    array of our own instead (an empty buffer's address may be unaligned,
    which the library rejects)."""
    if n == 0:
        return ffi.new(ctype.replace("[]", "[1]")), 0
    return ffi.from_buffer(ctype, buf), n


def u64_in(values: Any, what: str) -> Tuple[Any, int]:
    """``(uint64_t pointer, length)`` for ids in bulk; the pointer keeps its
    buffer alive. Contiguous ``uint64`` numpy arrays and ``array('Q')`` are
    used in place; anything else is converted once."""
    values = _columnar(values)
    if _np is not None and isinstance(values, _np.ndarray):
        if values.ndim != 1:
            raise InvalidArgumentError(f"{what} must be one-dimensional")
        if values.size:
            if values.dtype.kind not in "iu":
                raise TypeError(f"{what} must hold integers, not {values.dtype}")
            if values.dtype.kind == "i" and int(values.min()) < 0:
                raise InvalidArgumentError(f"{what} holds a negative node id")
        arr = _np.ascontiguousarray(values, dtype=_np.uint64)
        return _view("uint64_t[]", arr, int(arr.size))
    if isinstance(values, array) and values.typecode in ("Q", "L") and values.itemsize == 8:
        return _view("uint64_t[]", values, len(values))
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of node ids")
    try:
        buf = array("Q", values)
    except OverflowError:
        raise InvalidArgumentError(f"{what} holds an id out of the uint64 range") from None
    except TypeError:
        raise TypeError(f"{what} must hold integers") from None
    return _view("uint64_t[]", buf, len(buf))


def f64_in(values: Any, what: str) -> Tuple[Any, int]:
    """``(double pointer, length)`` for numbers in bulk, as :func:`u64_in`."""
    values = _columnar(values)
    if _np is not None and isinstance(values, _np.ndarray):
        if values.ndim != 1:
            raise InvalidArgumentError(f"{what} must be one-dimensional")
        arr = _np.ascontiguousarray(values, dtype=_np.float64)
        return _view("double[]", arr, int(arr.size))
    if isinstance(values, array) and values.typecode == "d":
        return _view("double[]", values, len(values))
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of numbers")
    try:
        buf = array("d", values)
    except TypeError:
        raise TypeError(f"{what} must hold numbers") from None
    return _view("double[]", buf, len(buf))


def packed(values: Any, what: str) -> Tuple[bytes, Any, int]:
    """``(packed bytes, size_t lengths pointer, count)`` for byte strings in
    bulk: a list (or iterable) of ``bytes``/``str``, a numpy array of those,
    or a pyarrow binary/string array (whose buffers are used as they are)."""
    module = type(values).__module__
    if module.startswith("pandas"):
        values = values.tolist()
    elif module.startswith("pyarrow"):
        return _packed_arrow(values, what)
    elif _np is not None and isinstance(values, _np.ndarray):
        values = values.tolist()
    items = values if isinstance(values, list) else list(values)
    n = len(items)
    if not all(type(v) is bytes for v in items):
        if all(type(v) is str for v in items):
            text = "".join(items)
            if text.isascii():  # one encode, and characters are bytes
                return text.encode("ascii"), _view("size_t[]", array("Q", map(len, items)), n)[0], n
        items = [v if type(v) is bytes else to_bytes(v, what) for v in items]
    return b"".join(items), _view("size_t[]", array("Q", map(len, items)), n)[0], n


def _packed_arrow(values: Any, what: str) -> Tuple[bytes, Any, int]:
    pa = _optional("pyarrow", "a pyarrow argument")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise InvalidArgumentError(f"{what} holds nulls")
    if pa.types.is_large_binary(values.type) or pa.types.is_large_string(values.type):
        offsets_type = "Q"
    elif pa.types.is_binary(values.type) or pa.types.is_string(values.type):
        offsets_type = "I"
    else:
        raise TypeError(f"{what} must be a binary or string array, not {values.type}")
    n = len(values)
    _, offsets_buf, data_buf = values.buffers()
    offsets = array(offsets_type)
    width = offsets.itemsize
    offsets.frombytes(offsets_buf.to_pybytes()[values.offset * width : (values.offset + n + 1) * width])
    first, last = (offsets[0], offsets[-1]) if n else (0, 0)
    blob = data_buf.to_pybytes()[first:last] if data_buf is not None else b""
    if _np is not None:
        lens = _np.diff(_np.frombuffer(offsets, dtype=_np.uint32 if width == 4 else _np.uint64)).astype(_np.uint64)
        return blob, _view("size_t[]", lens, n)[0], n
    return blob, _view("size_t[]", array("Q", (offsets[i + 1] - offsets[i] for i in range(n))), n)[0], n


# ---------------------------------------------------------------------------
# arrays out

_CTYPE = {"q": "int64_t[]", "Q": "uint64_t[]", "d": "double[]"}
_NP_DTYPE = {"q": "int64", "Q": "uint64", "d": "float64"}


def out_buffer(typecode: str, n: int, output: Output) -> Tuple[Any, Any]:
    """``(holder, pointer)``: a buffer of ``max(n, 1)`` elements of
    ``typecode`` (``'q'``, ``'Q'`` or ``'d'``) for the library to write."""
    if output not in OUTPUTS:
        raise InvalidArgumentError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    cap = max(n, 1)
    if output in ("numpy", "pandas"):
        np = _np if _np is not None else _optional("numpy", f"output={output!r}")
        holder = np.empty(cap, dtype=_NP_DTYPE[typecode])
    else:
        holder = array(typecode, bytes(8 * cap))
    return holder, ffi.from_buffer(_CTYPE[typecode], holder)


def finish_out(holder: Any, n: int, output: Output, label: str = "") -> Any:
    """The result of kind ``output`` from a filled :func:`out_buffer` holding
    ``n`` elements (``label``: the name of a pandas Series)."""
    if output == "list":
        result: List[Any] = holder.tolist()
        del result[n:]
        return result
    if output == "numpy":
        return holder[:n]
    if output == "pandas":
        pd = _optional("pandas", "output='pandas'")
        return pd.Series(holder[:n], name=label or None)
    if output == "arrow":
        pa = _optional("pyarrow", "output='arrow'")
        pa_type = {"q": pa.int64(), "Q": pa.uint64(), "d": pa.float64()}[holder.typecode]
        return pa.Array.from_buffers(pa_type, n, [None, pa.py_buffer(holder)])
    del holder[n:]
    return holder


def unpacked(blob: bytes, lens: Sequence[int], output: Output = "list") -> Any:
    """The items of a batch read (``None`` for ``KVG_NO_VALUE``): a list, or
    with ``output="arrow"`` a ``pyarrow.BinaryArray`` over ``blob``."""
    if output == "arrow":
        pa = _optional("pyarrow", "output='arrow'")
        n = len(lens)
        if _np is not None:
            raw = _np.frombuffer(ffi.buffer(lens), dtype=_np.uint64) if not isinstance(lens, (list, array)) else _np.asarray(lens, dtype=_np.uint64)
            present = raw != _np.uint64(NO_VALUE)
            ends = _np.cumsum(_np.where(present, raw, 0), dtype=_np.int64)
            offsets_np = _np.concatenate([_np.zeros(1, dtype=_np.int64), ends])
            bitmap = _np.packbits(present, bitorder="little").tobytes()
            return pa.Array.from_buffers(
                pa.large_binary(), n, [pa.py_buffer(bitmap), pa.py_buffer(offsets_np), pa.py_buffer(blob)]
            )
        offsets = array("q", bytes(8 * (n + 1)))
        valid = bytearray((n + 7) // 8)
        at = 0
        for i, length in enumerate(lens):
            if length != NO_VALUE:
                at += length
                valid[i >> 3] |= 1 << (i & 7)
            offsets[i + 1] = at
        return pa.Array.from_buffers(
            pa.large_binary(), n, [pa.py_buffer(bytes(valid)), pa.py_buffer(offsets), pa.py_buffer(blob)]
        )
    if output != "list":
        raise InvalidArgumentError(f"output must be 'list' or 'arrow' for byte strings, not {output!r}")
    items: List[Optional[bytes]] = []
    append = items.append
    at = 0
    for length in lens:
        if length == NO_VALUE:
            append(None)
        else:
            end = at + length
            append(blob[at:end])
            at = end
    return items
