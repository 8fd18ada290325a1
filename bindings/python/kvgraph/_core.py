"""Engine, key-value map, graph and snapshots over the C ABI."""

from __future__ import annotations

import ctypes
import enum
import operator
import threading
from array import array
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_int64, c_size_t, c_uint64, c_void_p, string_at
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from ._errors import (
    KVG_BUFFER_TOO_SMALL,
    KVG_CONFLICT,
    KVG_NOT_FOUND,
    Error,
    InvalidArgumentError,
    NotFoundError,
    error_for,
)
from ._handle import Handle
from ._lib import (
    NO_VALUE,
    KvgBytes,
    KvgConfig,
    KvgGraphStats,
    RawBytes,
    check,
    last_error,
    lib,
    raw_function,
    take_bytes,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy

_np: Any
try:  # numpy is optional
    import numpy as _np
except ImportError:  # pragma: no cover - exercised when numpy is absent
    _np = None

__all__ = [
    "Engine",
    "Kv",
    "KvIterator",
    "Graph",
    "Snapshot",
    "GraphStats",
    "MemoryStats",
    "Direction",
]

BytesLike = Union[bytes, bytearray, memoryview, str]
"""Keys, values and property values: bytes-like, or ``str`` (encoded as UTF-8)."""
Name = Union[str, bytes]
"""Labels, edge types and property names: ``str`` (or UTF-8 ``bytes``)."""
DirectionLike = Union[str, "Direction", int]

_U64_MAX = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_U32_MAX = (1 << 32) - 1


# ---------------------------------------------------------------------------
# argument conversion


def _bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


def _opt_bytes(value: Any, what: str) -> Optional[bytes]:
    return None if value is None else _bytes(value, what)


_NAMES: Dict[str, bytes] = {}
"""Encoded ``str`` names (labels, edge types, property names are few and
reused on every call); bounded by :data:`_NAMES_MAX`."""
_NAMES_MAX = 4096


def _name(value: Any, what: str) -> Optional[bytes]:
    """A NUL-terminated name for the C side, or None for NULL."""
    if value is None:
        return None
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


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, float):
        raise TypeError(f"{what} must be an integer, not float")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}") from None
    if not lo <= n <= hi:
        raise InvalidArgumentError(f"{what} {n} is out of range [{lo}, {hi}]")
    return n


def _node(value: Any, what: str = "node id") -> int:
    if type(value) is int and 0 <= value <= _U64_MAX:
        return value
    return _int(value, what, 0, _U64_MAX)


def _float(value: Any, what: str) -> float:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}") from None


class Direction(enum.IntEnum):
    """Which edges :meth:`Snapshot.neighbors` follows (``kvg_direction``)."""

    OUT = 0
    IN = 1
    BOTH = 2


_DIRECTIONS = {"out": Direction.OUT, "in": Direction.IN, "both": Direction.BOTH}


def _direction(value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(_DIRECTIONS[value.lower()])
        except KeyError:
            raise InvalidArgumentError(f"direction must be 'out', 'in' or 'both', not {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2):
        return int(value)
    raise InvalidArgumentError(f"direction must be 'out', 'in' or 'both', not {value!r}")


# ---------------------------------------------------------------------------
# hot paths


class _Fast:
    """The ctypes functions of the per-call hot paths, bound once (the
    library is loaded by then). Functions returning ``kvg_bytes`` are bound
    with :class:`RawBytes` so that the data pointer reads as an ``int``."""

    __slots__ = (
        "kv_set",
        "kv_get_into",
        "bytes_free",
        "iter_next",
        "node_get_property",
        "neighbors",
        "k_hop",
    )

    def __init__(self) -> None:
        raw = POINTER(RawBytes)
        self.kv_set = lib.kvg_kv_set
        # The buffer as a plain address (an int): no conversion per call.
        self.kv_get_into = raw_function(
            "kvg_kv_get_into", c_int, [c_void_p, c_char_p, c_size_t, c_void_p, c_size_t, POINTER(c_size_t)]
        )
        self.bytes_free = raw_function("kvg_bytes_free", None, [raw])
        self.iter_next = raw_function("kvg_kv_iter_next", c_int, [c_void_p, raw, raw])
        self.node_get_property = raw_function("kvg_node_get_property", c_int, [c_void_p, c_uint64, c_char_p, raw])
        self.neighbors = lib.kvg_snapshot_neighbors
        self.k_hop = lib.kvg_snapshot_k_hop


_FAST: Optional[_Fast] = None


def _fast() -> _Fast:
    global _FAST
    if _FAST is None:
        _FAST = _Fast()
    return _FAST


def _take_raw(out: RawBytes, free: Any) -> bytes:
    """Copy an owned ``kvg_bytes`` (read as :class:`RawBytes`) into Python
    and free it."""
    data = out.data
    if data is None:
        return b""
    try:
        n = out.len
        return string_at(data, n) if n else b""
    finally:
        free(byref(out))


class _GetBuffer:
    """A caller buffer for ``kvg_kv_get_into`` with its length out-pointer,
    made once per thread and reused by every :meth:`Kv.get` of that thread."""

    __slots__ = ("raw", "addr", "cap", "len", "len_ptr")

    def __init__(self, cap: int) -> None:
        self.raw = ctypes.create_string_buffer(cap)
        self.addr = ctypes.addressof(self.raw)
        self.cap = cap
        self.len = c_size_t()
        self.len_ptr = ctypes.pointer(self.len)


_GET_BUFFER_START = 4096
"""First size of a thread's :class:`_GetBuffer`."""
_GET_BUFFER_MAX = 1 << 20
"""Largest size a thread's buffer grows to; a larger value is read into a
buffer of its own, dropped after the call."""
_GET_BUFFERS = threading.local()
"""``buf``: this thread's :class:`_GetBuffer`, taken out while a get uses it
(so that a get re-entered on the same thread, from a signal handler say,
makes a buffer of its own instead of overwriting it)."""


def _packed(items: List[bytes]) -> Tuple[bytes, Any]:
    """``(bytes, lengths)`` for the batch calls: ``items`` packed back to
    back, and a ``size_t`` array of their lengths (``None`` if empty)."""
    n = len(items)
    lens = (c_size_t * n)(*map(len, items)) if n else None
    return b"".join(items), lens


def _unpacked(out: KvgBytes, lens: Any) -> List[Optional[bytes]]:
    """The items of a batch read (``None`` for ``KVG_NO_VALUE``); frees ``out``."""
    blob = take_bytes(out)
    items: List[Optional[bytes]] = []
    at = 0
    for n in lens or ():
        if n == NO_VALUE:
            items.append(None)
        else:
            items.append(blob[at : at + n])
            at += n
    return items


# ---------------------------------------------------------------------------
# result records


@dataclass(frozen=True)
class GraphStats:
    """Counters of a graph (``kvg_graph_stats``)."""

    nodes: int
    """Live nodes."""
    edges: int
    """Live edges."""
    delta_edges: int
    """Edge writes in the delta, not yet compacted into the CSR base."""
    compactions: int
    """Compactions (and bulk loads) so far."""

    def __getitem__(self, key: str) -> int:
        """Dict-style access: ``stats["nodes"]``."""
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return int(getattr(self, key))

    def as_dict(self) -> Dict[str, int]:
        """The counters as a ``dict``."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class MemoryStats:
    """Bytes retired to and freed by the engine's memory manager."""

    retired: int
    """Bytes handed to the epoch manager so far."""
    freed: int
    """Bytes of those freed so far."""

    @property
    def pending(self) -> int:
        """Retired bytes not yet freed."""
        return self.retired - self.freed


# ---------------------------------------------------------------------------
# engine


class Engine:
    """An embedded kvgraph engine: a key-value map (:attr:`kv`) and a property
    graph (:attr:`graph`) in this process.

    Use it as a context manager, or call :meth:`close`; it is also closed when
    garbage-collected. Closing it closes its open snapshots and scans; using
    any of them afterwards raises :class:`kvgraph.Error`.

    The engine is safe to share between threads: every call releases the GIL
    while in the library, so threads run in parallel.

    Args:
        auto_compact: compact the graph's delta by itself (default on).
        compaction_min_delta: delta size (edge writes) below which the graph
            never compacts by itself.
        compaction_ratio: delta size, as a fraction of the base's edges, that
            triggers automatic compaction.
    """

    def __init__(
        self,
        *,
        auto_compact: Optional[bool] = None,
        compaction_min_delta: Optional[int] = None,
        compaction_ratio: Optional[float] = None,
    ) -> None:
        self._h: Optional[Handle] = None
        config = None
        if auto_compact is not None or compaction_min_delta is not None or compaction_ratio is not None:
            config = KvgConfig()
            lib.kvg_config_default(byref(config))
            if auto_compact is not None:
                config.auto_compact = bool(auto_compact)
            if compaction_min_delta is not None:
                config.compaction_min_delta = _int(compaction_min_delta, "compaction_min_delta", 0, _U64_MAX)
            if compaction_ratio is not None:
                config.compaction_ratio = _float(compaction_ratio, "compaction_ratio")
        out = c_void_p()
        check(lib.kvg_engine_open(byref(config) if config is not None else None, byref(out)))
        if not out.value:  # pragma: no cover - defensive
            raise Error("kvg_engine_open returned no engine")
        self._h = Handle(out.value, lib.kvg_engine_close, "engine")
        self._kv = Kv(self)
        self._graph = Graph(self)

    @property
    def kv(self) -> "Kv":
        """The key-value map."""
        return self._kv

    @property
    def graph(self) -> "Graph":
        """The property graph."""
        return self._graph

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._h is None or self._h.closed

    def _handle(self) -> Handle:
        if self._h is None:  # pragma: no cover - failed __init__
            raise Error("engine is closed")
        return self._h

    def close(self) -> None:
        """Free the engine and everything in it; its snapshots and scans are
        closed too. Idempotent."""
        if self._h is not None:
            self._h.close()

    def __enter__(self) -> "Engine":
        if self.closed:
            raise Error("engine is closed")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def maintain(self) -> None:
        """Reclaim expired KV entries and free garbage no thread can still
        see. Never required for correctness."""
        with self._handle() as e:
            check(lib.kvg_engine_maintain(e))

    def memory_stats(self) -> MemoryStats:
        """Bytes retired to and freed by the engine's memory manager."""
        retired, freed = c_uint64(), c_uint64()
        with self._handle() as e:
            check(lib.kvg_engine_memory_stats(e, byref(retired), byref(freed)))
        return MemoryStats(retired.value, freed.value)

    def __repr__(self) -> str:
        return f"<kvgraph.Engine {'closed' if self.closed else 'open'}>"


# ---------------------------------------------------------------------------
# key-value map


class Kv:
    """The engine's ordered key-value map (``db.kv``).

    Keys and values are byte strings; ``str`` arguments are encoded as UTF-8.
    Reads return ``bytes``. Also usable like a dict: ``kv[k]``,
    ``kv[k] = v``, ``del kv[k]``, ``k in kv``, ``len(kv)``, ``iter(kv)``
    (keys in order).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # The hot paths skip the attribute chain engine -> handle -> lib.
        self._h = engine._handle()
        fast = _fast()
        self._set = fast.kv_set
        self._get_into = fast.kv_get_into

    def set(self, key: BytesLike, value: BytesLike, ttl_ms: Optional[int] = None) -> None:
        """Set ``key`` to ``value``, replacing any value.

        With ``ttl_ms`` (at least 1) the entry expires that many milliseconds
        from now: it is invisible at once after, and reclaimed later.
        """
        k = key if type(key) is bytes else _bytes(key, "key")
        v = value if type(value) is bytes else _bytes(value, "value")
        if ttl_ms is None:
            status = self._h.call(self._set, k, len(k), v, len(v))
            if status:
                check(status)
        else:
            ttl = _int(ttl_ms, "ttl_ms", 0, _U64_MAX)
            with self._engine._handle() as e:
                check(lib.kvg_kv_set_with_ttl(e, k, len(k), v, len(v), ttl))

    def get(self, key: BytesLike) -> Optional[bytes]:
        """The value of ``key``, or ``None`` if absent (or expired).

        One call into the library (``kvg_kv_get_into``) copies the value into
        a buffer of the calling thread, reused from get to get; a value
        larger than the buffer makes it grow and the call is made again.
        """
        k = key if type(key) is bytes else _bytes(key, "key")
        local = _GET_BUFFERS
        buf = local.__dict__.pop("buf", None) or _GetBuffer(_GET_BUFFER_START)
        cur = buf
        try:
            while True:
                status = self._h.call(self._get_into, k, len(k), cur.addr, cur.cap, cur.len_ptr)
                if not status:
                    return string_at(cur.addr, cur.len.value)
                if status == KVG_NOT_FOUND:
                    return None
                if status != KVG_BUFFER_TOO_SMALL:
                    check(status)
                # Too small: grow the thread's buffer (past the limit, use a
                # one-off buffer instead) and ask again, as the value may
                # change meanwhile.
                n = cur.len.value
                if n <= _GET_BUFFER_MAX:
                    buf = cur = _GetBuffer(max(n, min(2 * buf.cap, _GET_BUFFER_MAX)))
                else:
                    cur = _GetBuffer(n)
        finally:
            local.buf = buf

    def get_many(self, keys: Iterable[BytesLike]) -> List[Optional[bytes]]:
        """The values of ``keys`` in one call into the library
        (``kvg_kv_get_many``): a list in the order of ``keys``, ``None`` for
        an absent key. Each value is read atomically; the batch is not a
        snapshot."""
        ks = [k if type(k) is bytes else _bytes(k, "key") for k in keys]
        packed, key_lens = _packed(ks)
        n = len(ks)
        lens = (c_size_t * n)() if n else None
        out = KvgBytes()
        with self._engine._handle() as e:
            check(lib.kvg_kv_get_many(e, packed, key_lens, n, byref(out), lens))
        return _unpacked(out, lens)

    def set_many(
        self, items: Union[Mapping[BytesLike, BytesLike], Iterable[Tuple[BytesLike, BytesLike]]]
    ) -> None:
        """Set every ``(key, value)`` pair of ``items`` (a dict, or an
        iterable of pairs) in one call into the library (``kvg_kv_set_many``),
        in order: a key given twice ends with its last value. Any TTL is
        cleared. The batch is checked before anything is written, but it is
        not atomic: concurrent readers may see some pairs and not others."""
        pairs = items.items() if isinstance(items, Mapping) else items
        keys: List[bytes] = []
        values: List[bytes] = []
        for key, value in pairs:
            keys.append(key if type(key) is bytes else _bytes(key, "key"))
            values.append(value if type(value) is bytes else _bytes(value, "value"))
        packed_keys, key_lens = _packed(keys)
        packed_values, value_lens = _packed(values)
        with self._engine._handle() as e:
            check(lib.kvg_kv_set_many(e, packed_keys, key_lens, packed_values, value_lens, len(keys)))

    def insert(self, key: BytesLike, value: BytesLike) -> bool:
        """Set ``key`` to ``value`` only if absent; ``True`` if inserted."""
        k, v = _bytes(key, "key"), _bytes(value, "value")
        with self._engine._handle() as e:
            status = lib.kvg_kv_insert(e, k, len(k), v, len(v))
            if status == KVG_CONFLICT:
                return False
            check(status)
        return True

    def delete(self, key: BytesLike) -> bool:
        """Delete ``key``; ``True`` if it was present."""
        k = _bytes(key, "key")
        with self._engine._handle() as e:
            status = lib.kvg_kv_delete(e, k, len(k))
            if status == KVG_NOT_FOUND:
                return False
            check(status)
        return True

    def cas(self, key: BytesLike, expected: BytesLike, desired: BytesLike) -> bool:
        """Compare-and-swap: if ``key`` holds ``expected``, replace it with
        ``desired`` atomically and return ``True``; return ``False`` if the
        value differs or the key is absent."""
        k = _bytes(key, "key")
        x = _bytes(expected, "expected")
        d = _bytes(desired, "desired")
        with self._engine._handle() as e:
            status = lib.kvg_kv_compare_and_swap(e, k, len(k), x, len(x), d, len(d))
            if status in (KVG_NOT_FOUND, KVG_CONFLICT):
                return False
            check(status)
        return True

    compare_and_swap = cas

    def incr(self, key: BytesLike, delta: int = 1) -> int:
        """Add ``delta`` to the decimal integer stored at ``key`` (absent
        counts as 0) atomically and return the new value (Redis INCR).

        Raises:
            InvalidArgumentError: the value is not a 64-bit decimal integer,
                or the result would overflow.
        """
        k = _bytes(key, "key")
        d = _int(delta, "delta", _I64_MIN, _I64_MAX)
        out = c_int64()
        with self._engine._handle() as e:
            check(lib.kvg_kv_incr(e, k, len(k), d, byref(out)))
        return out.value

    def __len__(self) -> int:
        """Number of live entries."""
        out = c_uint64()
        with self._engine._handle() as e:
            check(lib.kvg_kv_len(e, byref(out)))
        return out.value

    def scan(self, start: Optional[BytesLike] = None, end: Optional[BytesLike] = None) -> "KvIterator":
        """Iterate ``(key, value)`` pairs with ``start <= key < end`` in key
        order; ``None`` leaves that side unbounded."""
        s, t = _opt_bytes(start, "start"), _opt_bytes(end, "end")
        out = c_void_p()
        with self._engine._handle() as e:
            check(
                lib.kvg_kv_scan_open(
                    e, s, 0 if s is None else len(s), t, 0 if t is None else len(t), byref(out)
                )
            )
            return KvIterator(self._engine, out.value)

    def scan_prefix(self, prefix: BytesLike) -> "KvIterator":
        """Iterate ``(key, value)`` pairs whose key starts with ``prefix``, in
        key order."""
        p = _bytes(prefix, "prefix")
        out = c_void_p()
        with self._engine._handle() as e:
            check(lib.kvg_kv_scan_prefix_open(e, p, len(p), byref(out)))
            return KvIterator(self._engine, out.value)

    def items(self) -> "KvIterator":
        """All ``(key, value)`` pairs in key order (``scan()``)."""
        return self.scan()

    def keys(self) -> Iterator[bytes]:
        """All keys in order."""
        for key, _ in self.scan():
            yield key

    def __iter__(self) -> Iterator[bytes]:
        return self.keys()

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __getitem__(self, key: BytesLike) -> bytes:
        value = self.get(key)
        if value is None:
            raise NotFoundError(f"key not found: {key!r}", KVG_NOT_FOUND)
        return value

    def __setitem__(self, key: BytesLike, value: BytesLike) -> None:
        self.set(key, value)

    def __delitem__(self, key: BytesLike) -> None:
        if not self.delete(key):
            raise NotFoundError(f"key not found: {key!r}", KVG_NOT_FOUND)


class KvIterator:
    """An iterator over ``(key, value)`` pairs of a scan.

    The underlying C iterator is closed when the iterator is exhausted,
    garbage-collected, closed explicitly with :meth:`close`, or used as a
    context manager.
    """

    def __init__(self, engine: Engine, ptr: Optional[int]) -> None:
        if not ptr:  # pragma: no cover - defensive
            raise Error("scan returned no iterator")
        self._engine = engine  # keeps the engine alive while we iterate
        self._h = Handle(ptr, lib.kvg_kv_iter_close, "scan iterator", engine._handle())
        if engine.closed:  # closed while we were opening
            self._h.close()
            raise Error("engine is closed")
        self._done = False
        fast = _fast()
        self._next = fast.iter_next
        self._free = fast.bytes_free

    def __iter__(self) -> "KvIterator":
        return self

    def __next__(self) -> Tuple[bytes, bytes]:
        if self._done:
            raise StopIteration
        key, value = RawBytes(), RawBytes()
        status = self._h.call(self._next, byref(key), byref(value))
        if status and status != KVG_NOT_FOUND:
            check(status)
        if status == KVG_NOT_FOUND:
            self.close()
            raise StopIteration
        free = self._free
        try:
            k = _take_raw(key, free)
        finally:
            v = _take_raw(value, free)
        return k, v

    def close(self) -> None:
        """Release the C iterator. Idempotent."""
        self._done = True
        self._h.close()

    def __enter__(self) -> "KvIterator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------
# graph


def _u64_buffer(values: Any, what: str) -> Tuple[Any, int, Any]:
    """(keepalive, length, pointer) for a uint64 array built from ``values``
    (a numpy array is used in place when already contiguous uint64)."""
    if _np is not None and isinstance(values, _np.ndarray):
        if values.ndim != 1:
            raise InvalidArgumentError(f"{what} must be one-dimensional")
        if values.dtype.kind not in "iu" and values.size:
            raise TypeError(f"{what} must hold integers, not {values.dtype}")
        if values.dtype.kind == "i" and values.size and int(values.min()) < 0:
            raise InvalidArgumentError(f"{what} holds a negative node id")
        arr = _np.ascontiguousarray(values, dtype=_np.uint64)
        if arr.size == 0:
            arr = _np.zeros(1, dtype=_np.uint64)
            return arr, 0, arr.ctypes.data_as(POINTER(c_uint64))
        return arr, int(arr.size), arr.ctypes.data_as(POINTER(c_uint64))
    if isinstance(values, array) and values.typecode == "Q":
        buf = values
    else:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"{what} must be a sequence of node ids")
        try:
            buf = array("Q", values)
        except OverflowError:
            raise InvalidArgumentError(f"{what} holds an id out of the uint64 range") from None
        except TypeError:
            raise TypeError(f"{what} must hold integers") from None
    n = len(buf)
    if n == 0:
        buf = array("Q", [0])
    cbuf = (c_uint64 * len(buf)).from_buffer(buf)
    return (buf, cbuf), n, ctypes.cast(cbuf, POINTER(c_uint64))


def _f64_buffer(values: Any, what: str) -> Tuple[Any, int, Any]:
    if _np is not None and isinstance(values, _np.ndarray):
        if values.ndim != 1:
            raise InvalidArgumentError(f"{what} must be one-dimensional")
        arr = _np.ascontiguousarray(values, dtype=_np.float64)
        n = int(arr.size)
        if n == 0:
            arr = _np.zeros(1, dtype=_np.float64)
        return arr, n, arr.ctypes.data_as(POINTER(c_double))
    if isinstance(values, array) and values.typecode == "d":
        buf = values
    else:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"{what} must be a sequence of numbers")
        try:
            buf = array("d", values)
        except TypeError:
            raise TypeError(f"{what} must hold numbers") from None
    n = len(buf)
    if n == 0:
        buf = array("d", [0.0])
    cbuf = (c_double * len(buf)).from_buffer(buf)
    return (buf, cbuf), n, ctypes.cast(cbuf, POINTER(c_double))


class Graph:
    """The engine's property graph (``db.graph``).

    Nodes have dense ``int`` ids assigned by the engine, one label and named
    byte-string properties. Edges are directed, identified by ``(src, dst,
    type)``, and carry a ``float`` weight; adding an existing edge updates its
    weight. Store an undirected graph as two directed edges.

    Unknown (or removed) node ids raise :class:`kvgraph.NotFoundError`.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_node(self, label: Optional[Name] = None, **properties: BytesLike) -> int:
        """Add a node with ``label`` (none if ``None``) and ``properties``
        (values ``bytes``, or ``str`` stored as UTF-8); return its id."""
        lbl = _name(label, "label")
        props = [(_name(k, "property name"), _bytes(v, f"property {k!r}")) for k, v in properties.items()]
        out = c_uint64()
        with self._engine._handle() as e:
            check(lib.kvg_node_add(e, lbl, byref(out)))
            node = out.value
            for name, value in props:
                check(lib.kvg_node_set_property(e, node, name, value, len(value)))
        return node

    def add_nodes(self, count: int, label: Optional[Name] = None) -> int:
        """Add ``count`` nodes with ``label`` and consecutive ids; return the
        first id (the others follow it)."""
        n = _int(count, "count", 0, _U64_MAX)
        lbl = _name(label, "label")
        out = c_uint64()
        with self._engine._handle() as e:
            check(lib.kvg_nodes_add(e, n, lbl, byref(out)))
        return out.value

    def remove_node(self, node: int) -> None:
        """Remove ``node``, its edges and its properties.

        Raises:
            NotFoundError: no such node.
        """
        n = _node(node)
        with self._engine._handle() as e:
            check(lib.kvg_node_remove(e, n))

    def set_property(self, node: int, name: Name, value: BytesLike) -> None:
        """Set property ``name`` of ``node`` to ``value`` (``str`` is stored
        as UTF-8).

        Raises:
            NotFoundError: no such node.
        """
        n = _node(node)
        nm = _name(name, "property name")
        v = _bytes(value, "value")
        with self._engine._handle() as e:
            check(lib.kvg_node_set_property(e, n, nm, v, len(v)))

    def get_property(self, node: int, name: Name) -> Optional[bytes]:
        """Property ``name`` of ``node``, or ``None`` if it is not set.

        Raises:
            NotFoundError: no such node (unlike an unset property).
        """
        n = _node(node)
        nm = _name(name, "property name")
        out = RawBytes()
        fast = _fast()
        with self._engine._handle() as e:
            status = fast.node_get_property(e, n, nm, byref(out))
            if status == KVG_NOT_FOUND:
                err = error_for(status, last_error())
                # NOT_FOUND covers both an unknown node and an unset
                # property: tell them apart by asking for the node's label.
                label = KvgBytes()
                if lib.kvg_node_label(e, n, byref(label)) == 0:
                    take_bytes(label)
                    return None
                raise err
            check(status)
        return _take_raw(out, fast.bytes_free)

    def set_property_many(self, nodes: Any, name: Name, values: Iterable[BytesLike]) -> None:
        """Set property ``name`` of ``nodes[i]`` to ``values[i]`` in one call
        into the library (``kvg_nodes_set_property``). ``nodes`` is a
        sequence of ids (or a numpy array); a node given twice ends with its
        last value.

        Raises:
            NotFoundError: an id is not a node; nothing was written.
            InvalidArgumentError: ``nodes`` and ``values`` differ in length.
        """
        keep, n, ids = _u64_buffer(nodes, "nodes")
        nm = _name(name, "property name")
        vs = [v if type(v) is bytes else _bytes(v, "value") for v in values]
        if len(vs) != n:
            raise InvalidArgumentError(f"set_property_many: {n} nodes but {len(vs)} values")
        packed, lens = _packed(vs)
        with self._engine._handle() as e:
            check(lib.kvg_nodes_set_property(e, ids, n, nm, packed, lens))
        del keep

    def get_property_many(self, nodes: Any, name: Name) -> List[Optional[bytes]]:
        """Property ``name`` of each of ``nodes`` in one call into the library
        (``kvg_nodes_get_property``): a list in the order of ``nodes``, with
        ``None`` where the property is unset or the id is not a node (unlike
        :meth:`get_property`, an unknown id does not raise)."""
        keep, n, ids = _u64_buffer(nodes, "nodes")
        nm = _name(name, "property name")
        lens = (c_size_t * n)() if n else None
        out = KvgBytes()
        with self._engine._handle() as e:
            check(lib.kvg_nodes_get_property(e, ids, n, nm, byref(out), lens))
        del keep
        return _unpacked(out, lens)

    def node_label(self, node: int) -> str:
        """The label of ``node`` (``""`` if it has none).

        Raises:
            NotFoundError: no such node.
        """
        n = _node(node)
        out = KvgBytes()
        with self._engine._handle() as e:
            check(lib.kvg_node_label(e, n, byref(out)))
        return take_bytes(out).decode("utf-8")

    def add_edge(self, src: int, dst: int, type: Optional[Name] = None, weight: float = 1.0) -> None:
        """Add the edge ``src -> dst`` of ``type`` with ``weight``, or update
        the weight of that edge if it exists.

        Raises:
            NotFoundError: ``src`` or ``dst`` is not a node.
            InvalidArgumentError: ``weight`` is NaN.
        """
        s, d = _node(src, "src"), _node(dst, "dst")
        t = _name(type, "edge type")
        w = _float(weight, "weight")
        with self._engine._handle() as e:
            check(lib.kvg_edge_add(e, s, d, t, w))

    def remove_edge(self, src: int, dst: int, type: Optional[Name] = None) -> None:
        """Remove the edge ``src -> dst`` of ``type``.

        Raises:
            NotFoundError: no such edge.
        """
        s, d = _node(src, "src"), _node(dst, "dst")
        t = _name(type, "edge type")
        with self._engine._handle() as e:
            check(lib.kvg_edge_remove(e, s, d, t))

    def load_edges(
        self,
        src: Union[Sequence[int], "numpy.ndarray"],
        dst: Union[Sequence[int], "numpy.ndarray"],
        weights: Union[Sequence[float], "numpy.ndarray", None] = None,
        type: Optional[Name] = None,
    ) -> None:
        """Bulk-load the edges ``src[i] -> dst[i]`` (weight ``weights[i]``,
        or 1.0) of one ``type``, building a new CSR base at once instead of
        inserting edge by edge. The load is atomic.

        ``src``, ``dst`` and ``weights`` may be lists, ``array.array``
        (typecodes ``'Q'``/``'d'`` are used without copying) or numpy arrays
        (contiguous ``uint64``/``float64`` arrays are passed to the library
        without copying).

        Raises:
            InvalidArgumentError: lengths differ, or a weight is NaN.
            NotFoundError: an id is not a node.
        """
        keep_s, n, ps = _u64_buffer(src, "src")
        keep_d, nd, pd = _u64_buffer(dst, "dst")
        if nd != n:
            raise InvalidArgumentError(f"src and dst differ in length ({n} != {nd})")
        pw = None
        keep_w = None
        if weights is not None:
            keep_w, nw, pw = _f64_buffer(weights, "weights")
            if nw != n:
                raise InvalidArgumentError(f"weights and src differ in length ({nw} != {n})")
        t = _name(type, "edge type")
        with self._engine._handle() as e:
            check(lib.kvg_edges_load(e, ps, pd, pw, n, t))
        del keep_s, keep_d, keep_w

    def compact(self) -> None:
        """Merge the delta into a new CSR base now (readers and writers carry
        on meanwhile)."""
        with self._engine._handle() as e:
            check(lib.kvg_graph_compact(e))

    def stats(self) -> GraphStats:
        """Node, edge and delta counters, and compactions so far."""
        out = KvgGraphStats()
        with self._engine._handle() as e:
            check(lib.kvg_graph_get_stats(e, byref(out)))
        return GraphStats(out.nodes, out.edges, out.delta_edges, out.compactions)

    def snapshot(self) -> "Snapshot":
        """A consistent, repeatable view of the graph as of now; use it as a
        context manager or :meth:`Snapshot.close` it."""
        out = c_void_p()
        with self._engine._handle() as e:
            check(lib.kvg_snapshot_open(e, byref(out)))
            return Snapshot(self._engine, out.value)


# ---------------------------------------------------------------------------
# snapshots

_TYPECODE: Dict[str, Tuple[str, Any]] = {"i64": ("q", c_int64), "u64": ("Q", c_uint64), "f64": ("d", c_double)}
_SCRATCH_MAX = 1 << 20
"""Largest id buffer (in ids) a snapshot keeps for reuse."""


class Snapshot:
    """A consistent, repeatable view of the graph.

    Every write acknowledged before the snapshot was taken is visible in it,
    no later write is, and it answers the same way for as long as it lives.
    Algorithm results are lists indexed by node id (``len == node_count()``);
    pass ``as_numpy=True`` to get a numpy array instead (needs numpy).
    Removed nodes read -1 (bfs), ``math.inf`` (sssp), 0.0 (pagerank, lcc) and
    ``2**64 - 1`` (wcc, cdlp).
    """

    def __init__(self, engine: Engine, ptr: Optional[int]) -> None:
        if not ptr:  # pragma: no cover - defensive
            raise Error("kvg_snapshot_open returned no snapshot")
        self._engine = engine
        self._h = Handle(ptr, lib.kvg_snapshot_close, "snapshot", engine._handle())
        if engine.closed:
            self._h.close()
            raise Error("engine is closed")
        self._node_count: Optional[int] = None
        # Scratch buffers for id lists (neighbors, k_hop): taken and given
        # back with list.pop/append (atomic), so threads never share one.
        self._scratch: List[Any] = []

    def close(self) -> None:
        """Release the snapshot. Idempotent."""
        self._h.close()

    @property
    def closed(self) -> bool:
        """Whether the snapshot (or its engine) was closed."""
        return self._h.closed

    def __enter__(self) -> "Snapshot":
        if self._h.closed:
            raise Error("snapshot is closed")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _u64_out(self, fn: Any) -> int:
        out = c_uint64()
        with self._h as s:
            check(fn(s, byref(out)))
        return out.value

    def version(self) -> int:
        """The version of the graph this snapshot reads."""
        return self._u64_out(lib.kvg_snapshot_version)

    def node_count(self) -> int:
        """One more than the highest node id the snapshot knows (removed
        nodes included): the length of algorithm results."""
        if self._node_count is None:
            self._node_count = self._u64_out(lib.kvg_snapshot_node_count)
        else:
            with self._h:  # raise if closed
                pass
        return self._node_count

    def edge_count(self) -> int:
        """Number of live edges."""
        return self._u64_out(lib.kvg_snapshot_edge_count)

    def triangle_count(self) -> int:
        """Number of triangles of the graph seen without direction."""
        return self._u64_out(lib.kvg_snapshot_triangle_count)

    # -- helpers ----------------------------------------------------------

    def _alloc(self, kind: str, n: int, as_numpy: bool) -> Tuple[Any, Any]:
        typecode, ctype = _TYPECODE[kind]
        cap = max(n, 1)
        if as_numpy:
            if _np is None:
                raise Error("as_numpy=True needs numpy installed")
            arr = _np.empty(cap, dtype={"q": _np.int64, "Q": _np.uint64, "d": _np.float64}[typecode])
            return arr, arr.ctypes.data_as(POINTER(ctype))
        buf = array(typecode, bytes(8 * cap))
        cbuf = (ctype * cap).from_buffer(buf)
        return (buf, cbuf), ctypes.cast(cbuf, POINTER(ctype))

    @staticmethod
    def _finish(holder: Any, n: int, as_numpy: bool) -> Any:
        if as_numpy:
            return holder[:n]
        buf, cbuf = holder
        del cbuf
        return buf.tolist()[:n]

    def _per_node(self, kind: str, call: Any, as_numpy: bool) -> Any:
        n = self.node_count()
        holder, ptr = self._alloc(kind, n, as_numpy)
        with self._h as s:
            check(call(s, ptr, max(n, 1)))
        return self._finish(holder, n, as_numpy)

    def _id_list(self, call: Any, first_cap: int, as_numpy: bool) -> Any:
        """Run ``call(snapshot, buffer, cap, &len)`` into a pooled scratch
        buffer (grown on ``KVG_BUFFER_TOO_SMALL``) and copy the ids out."""
        scratch = self._scratch
        try:
            buf = scratch.pop()
        except IndexError:
            buf = None
        if buf is None or len(buf) < first_cap:
            buf = (c_uint64 * max(first_cap, 1))()
        out_len = c_size_t()
        while True:
            cap = len(buf)
            with self._h as s:
                status = call(s, buf, cap, byref(out_len))
                if status and status != KVG_BUFFER_TOO_SMALL:
                    check(status)
            if status == KVG_BUFFER_TOO_SMALL:
                buf = (c_uint64 * max(out_len.value, cap * 2))()
                continue
            n = out_len.value
            if as_numpy:
                if _np is None:
                    raise Error("as_numpy=True needs numpy installed")
                result = _np.frombuffer(buf, dtype=_np.uint64, count=n).copy()
            else:
                result = buf[:n]
            if len(buf) <= _SCRATCH_MAX and len(scratch) < 8:
                scratch.append(buf)
            return result

    # -- queries ----------------------------------------------------------

    def neighbors(
        self, node: int, direction: DirectionLike = "out", type: Optional[Name] = None, *, as_numpy: bool = False
    ) -> Any:
        """Ids of the neighbours of ``node`` over its ``direction`` edges
        (``"out"``, ``"in"`` or ``"both"``), of ``type`` only unless ``None``.

        Raises:
            NotFoundError: no such node in this snapshot.
        """
        n = _node(node)
        d = _direction(direction)
        t = _name(type, "edge type")
        fn = _fast().neighbors

        def call(s: Any, ptr: Any, cap: int, out_len: Any) -> int:
            return int(fn(s, n, d, t, ptr, cap, out_len))

        return self._id_list(call, 256, as_numpy)

    def k_hop(self, source: int, k: int, *, as_numpy: bool = False) -> Any:
        """Sorted ids of the nodes reachable from ``source`` in 1 to ``k``
        hops over out-edges (``source`` itself excluded)."""
        n = _node(source, "source")
        hops = _int(k, "k", 0, _U32_MAX)
        fn = _fast().k_hop

        def call(s: Any, ptr: Any, cap: int, out_len: Any) -> int:
            return int(fn(s, n, hops, ptr, cap, out_len))

        # A result holds at most node_count() - 1 ids: a buffer that size
        # never needs a second (recomputing) call; pooled, it is allocated
        # once per thread (up to _SCRATCH_MAX ids).
        return self._id_list(call, min(self.node_count(), _SCRATCH_MAX), as_numpy)

    def bfs(self, source: int, *, as_numpy: bool = False) -> Any:
        """Depth in hops of every node from ``source`` over out-edges; -1 if
        unreachable (``list[int]``)."""
        n = _node(source, "source")
        return self._per_node("i64", lambda s, p, cap: lib.kvg_snapshot_bfs(s, n, p, cap), as_numpy)

    def sssp(self, source: int, *, as_numpy: bool = False) -> Any:
        """Shortest-path distance (sum of weights, Dijkstra) of every node
        from ``source``; ``math.inf`` if unreachable (``list[float]``)."""
        n = _node(source, "source")
        return self._per_node("f64", lambda s, p, cap: lib.kvg_snapshot_sssp(s, n, p, cap), as_numpy)

    def pagerank(self, damping: float = 0.85, iterations: int = 20, *, as_numpy: bool = False) -> Any:
        """PageRank of every node (Graphalytics definition: fixed
        ``iterations``, dangling mass spread evenly) (``list[float]``)."""
        dmp = _float(damping, "damping")
        it = _int(iterations, "iterations", 0, _U32_MAX)
        return self._per_node("f64", lambda s, p, cap: lib.kvg_snapshot_pagerank(s, dmp, it, p, cap), as_numpy)

    def wcc(self, *, as_numpy: bool = False) -> Any:
        """Weakly connected component of every node, named by the smallest
        node id in it (``list[int]``)."""
        return self._per_node("u64", lambda s, p, cap: lib.kvg_snapshot_wcc(s, p, cap), as_numpy)

    def cdlp(self, iterations: int = 10, *, as_numpy: bool = False) -> Any:
        """Community label of every node by label propagation (Graphalytics
        CDLP, ties to the smallest label) (``list[int]``)."""
        it = _int(iterations, "iterations", 0, _U32_MAX)
        return self._per_node("u64", lambda s, p, cap: lib.kvg_snapshot_cdlp(s, it, p, cap), as_numpy)

    def lcc(self, *, as_numpy: bool = False) -> Any:
        """Local clustering coefficient of every node (Graphalytics LCC)
        (``list[float]``)."""
        return self._per_node("f64", lambda s, p, cap: lib.kvg_snapshot_lcc(s, p, cap), as_numpy)

    def __repr__(self) -> str:
        return f"<kvgraph.Snapshot {'closed' if self.closed else 'open'}>"

