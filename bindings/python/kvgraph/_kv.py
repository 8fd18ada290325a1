"""The key-value map (``db.kv``) and its scan iterators."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Iterable, Iterator, List, Mapping, Optional, Tuple, Type, Union

from ._convert import I64_MAX, I64_MIN, U64_MAX, BytesLike, Output, integer, opt_bytes, packed, to_bytes, unpacked
from ._errors import KVG_BUFFER_TOO_SMALL, KVG_CONFLICT, KVG_NOT_FOUND, InvalidArgumentError, NotFoundError
from ._handle import Handle
from ._lib import check, ffi, lib, mode

if TYPE_CHECKING:  # pragma: no cover
    from ._engine import Engine

__all__ = ["Kv", "KvIterator", "WriteGroup"]

_GET_BUFFER_START = 4096
"""First size of a thread's :class:`_GetBuffer`."""
_GET_BUFFER_MAX = 1 << 20
"""Largest size a thread's buffer grows to; a larger value is read into a
buffer of its own, dropped after the call."""
_GET_BUFFERS: List["_GetBuffer"] = []
"""Free :class:`_GetBuffer` objects: a get pops one (or makes one) and
pushes it back (``list.pop``/``append`` are atomic), so threads never share
one and a get re-entered on the same thread, from a signal handler say,
takes another instead of overwriting the one in use."""
_GET_BUFFERS_KEPT = 64
"""Most free buffers kept."""

_unpack = ffi.unpack
_new = ffi.new
# The hot paths' functions, bound once (a lookup on ``lib`` per call costs).
_kv_set = lib.kvg_kv_set
_kv_get_into = lib.kvg_kv_get_into


def _load_fast_get() -> Optional[Any]:
    """``kvgraph._fast.get`` (C, no cffi conversions per call), bound to this
    process's library, where the compiled module is loaded; ``None`` under
    ``KVGRAPH_LIB`` (a library opened at run time)."""
    if mode != "api":
        return None
    try:
        from . import _fast  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - a build without the module
        return None
    _fast.init(int(ffi.cast("uintptr_t", ffi.addressof(lib, "kvg_kv_get_into"))))
    return _fast.get


_fast_get = _load_fast_get()


class _GetBuffer:
    """A caller buffer for ``kvg_kv_get_into`` and its length out-pointer,
    made once per thread and reused by every :meth:`Kv.get` of that thread."""

    __slots__ = ("raw", "chars", "cap", "len")

    def __init__(self, cap: int) -> None:
        self.raw = _new("uint8_t[]", cap)
        self.chars = ffi.cast("char *", self.raw)  # ffi.unpack of char* makes bytes
        self.cap = cap
        self.len = _new("size_t *")


PairsLike = Union[Mapping[Any, Any], Iterable[Tuple[Any, Any]]]
"""``set_many``'s items: a mapping, or an iterable of ``(key, value)`` pairs."""


class Kv:
    """The engine's ordered key-value map (``db.kv``).

    Keys and values are byte strings; ``str`` arguments are encoded as UTF-8.
    Reads return ``bytes``. Also usable like a dict: ``kv[k]``,
    ``kv[k] = v``, ``del kv[k]``, ``k in kv``, ``len(kv)``, ``iter(kv)``
    (keys in order). Point operations are linearizable; every call releases
    the GIL while it runs in the library, except :meth:`get` of a value up
    to 4 KiB (a read that never waits, shorter than a GIL hand-over).
    """

    __slots__ = ("_engine", "_e", "_token")

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._e = engine._h.ptr
        self._token = int(ffi.cast("uintptr_t", self._e))

    def set(self, key: BytesLike, value: BytesLike, ttl_ms: Optional[int] = None) -> None:
        """Set ``key`` to ``value``, replacing any value.

        With ``ttl_ms`` (at least 1) the entry expires that many milliseconds
        from now: it is invisible at once after, and reclaimed later.
        """
        k = key if type(key) is bytes else to_bytes(key, "key")
        v = value if type(value) is bytes else to_bytes(value, "value")
        if ttl_ms is None:
            status = _kv_set(self._e, k, len(k), v, len(v))
        else:
            ttl = integer(ttl_ms, "ttl_ms", 0, U64_MAX)
            status = lib.kvg_kv_set_with_ttl(self._e, k, len(k), v, len(v), ttl)
        if status:
            check(status)

    def get(self, key: BytesLike) -> Optional[bytes]:
        """The value of ``key``, or ``None`` if absent (or expired).

        One call into the library (``kvg_kv_get_into``), made from C by
        ``kvgraph._fast``, which copies the value into a buffer on its stack
        and makes the bytes object, holding the GIL (the read never waits);
        a value over 4 KiB is read again into a buffer of its size with the
        GIL released.
        """
        k = key if type(key) is bytes else to_bytes(key, "key")
        if _fast_get is None:
            return self._get_cffi(k)
        value = _fast_get(self._token, k)
        if type(value) is int:
            check(value)
        return value  # type: ignore[no-any-return]

    def _get_cffi(self, k: bytes) -> Optional[bytes]:
        """:meth:`get` through cffi (under ``KVGRAPH_LIB``): the value is
        copied into a pooled buffer, reused from get to get; a value larger
        than the buffer makes it grow and the call is made again."""
        free = _GET_BUFFERS
        buf = free.pop() if free else _GetBuffer(_GET_BUFFER_START)
        cur = buf
        try:
            while True:
                status = _kv_get_into(self._e, k, len(k), cur.raw, cur.cap, cur.len)
                if not status:
                    return _unpack(cur.chars, cur.len[0])  # type: ignore[no-any-return]
                if status == KVG_NOT_FOUND:
                    return None
                if status != KVG_BUFFER_TOO_SMALL:
                    check(status)
                # Too small: grow the buffer (past the limit, use a one-off
                # buffer instead) and ask again, as the value may change
                # meanwhile.
                n = cur.len[0]
                if n <= _GET_BUFFER_MAX:
                    buf = cur = _GetBuffer(max(n, min(2 * buf.cap, _GET_BUFFER_MAX)))
                else:
                    cur = _GetBuffer(n)
        finally:
            if len(free) < _GET_BUFFERS_KEPT:
                free.append(buf)

    def get_many(self, keys: Any, *, output: Output = "list") -> Any:
        """The values of ``keys`` (a list or iterable of bytes/str, a numpy
        array of them, or a pyarrow binary/string array) in one call into the
        library (``kvg_kv_get_many``): a list in the order of ``keys``,
        ``None`` for an absent key, or with ``output="arrow"`` a
        ``pyarrow.LargeBinaryArray`` (nulls for absent keys). Each value is
        read atomically; the batch is not a snapshot."""
        blob, key_lens, n = packed(keys, "key")
        lens = _new("size_t[]", max(n, 1))
        out = _new("kvg_bytes *")
        check(lib.kvg_kv_get_many(self._e, blob, key_lens, n, out, lens))
        try:
            data = ffi.buffer(out.data, out.len)[:] if out.len else b""
        finally:
            lib.kvg_bytes_free(out)
        return unpacked(data, memoryview(ffi.buffer(lens)).cast("Q")[:n].tolist(), output)

    def set_many(self, items: Any, values: Any = None) -> None:
        """Set many keys in one call into the library (``kvg_kv_set_many``).

        Either ``set_many(items)`` with a dict or an iterable of ``(key,
        value)`` pairs, or ``set_many(keys, values)`` with two equally long
        columns (lists, numpy arrays or pyarrow binary/string arrays: packed
        without a Python loop where they hold ``bytes``, or ASCII ``str``).
        Pairs are set in order: a key given twice ends with its last value.
        Any TTL is cleared. The batch is checked before anything is written,
        but it is not atomic: concurrent readers may see some pairs and not
        others.

        Raises:
            InvalidArgumentError: ``keys`` and ``values`` differ in length.
        """
        if values is None:
            pairs = items.items() if isinstance(items, Mapping) else items
            keys_list: List[Any] = []
            values_list: List[Any] = []
            for key, value in pairs:
                keys_list.append(key)
                values_list.append(value)
            items, values = keys_list, values_list
        kblob, klens, n = packed(items, "key")
        vblob, vlens, nv = packed(values, "value")
        if n != nv:
            from ._errors import InvalidArgumentError

            raise InvalidArgumentError(f"set_many: {n} keys but {nv} values")
        check(lib.kvg_kv_set_many(self._e, kblob, klens, vblob, vlens, n))

    def insert(self, key: BytesLike, value: BytesLike) -> bool:
        """Set ``key`` to ``value`` only if absent; ``True`` if inserted."""
        k, v = to_bytes(key, "key"), to_bytes(value, "value")
        status = lib.kvg_kv_insert(self._e, k, len(k), v, len(v))
        if status == KVG_CONFLICT:
            return False
        check(status)
        return True

    def delete(self, key: BytesLike) -> bool:
        """Delete ``key``; ``True`` if it was present."""
        k = to_bytes(key, "key")
        status = lib.kvg_kv_delete(self._e, k, len(k))
        if status == KVG_NOT_FOUND:
            return False
        check(status)
        return True

    def cas(self, key: BytesLike, expected: BytesLike, desired: BytesLike) -> bool:
        """Compare-and-swap: if ``key`` holds ``expected``, replace it with
        ``desired`` atomically and return ``True``; return ``False`` if the
        value differs or the key is absent."""
        k = to_bytes(key, "key")
        x = to_bytes(expected, "expected")
        d = to_bytes(desired, "desired")
        status = lib.kvg_kv_compare_and_swap(self._e, k, len(k), x, len(x), d, len(d))
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
        k = to_bytes(key, "key")
        d = integer(delta, "delta", I64_MIN, I64_MAX)
        out = _new("int64_t *")
        check(lib.kvg_kv_incr(self._e, k, len(k), d, out))
        return int(out[0])

    def __len__(self) -> int:
        """Number of live entries."""
        out = _new("uint64_t *")
        check(lib.kvg_kv_len(self._e, out))
        return int(out[0])

    def scan(self, start: Optional[BytesLike] = None, end: Optional[BytesLike] = None) -> "KvIterator":
        """Iterate ``(key, value)`` pairs with ``start <= key < end`` in key
        order; ``None`` leaves that side unbounded."""
        s, t = opt_bytes(start, "start"), opt_bytes(end, "end")
        out = _new("kvg_kv_iter **")
        check(
            lib.kvg_kv_scan_open(
                self._e,
                ffi.NULL if s is None else s,
                0 if s is None else len(s),
                ffi.NULL if t is None else t,
                0 if t is None else len(t),
                out,
            )
        )
        return KvIterator(self._engine, out[0])

    def scan_prefix(self, prefix: BytesLike) -> "KvIterator":
        """Iterate ``(key, value)`` pairs whose key starts with ``prefix``, in
        key order."""
        p = to_bytes(prefix, "prefix")
        out = _new("kvg_kv_iter **")
        check(lib.kvg_kv_scan_prefix_open(self._e, p, len(p), out))
        return KvIterator(self._engine, out[0])

    def write_group(self) -> "WriteGroup":
        """A write group, to use as a context manager: the writes this
        thread makes to the map inside the ``with`` block are logged as one
        record, which replay after a crash restores whole or not at all::

            with db.kv.write_group():
                db.kv.set(b"account:a", b"90")
                db.kv.set(b"account:b", b"110")  # after a crash: both or neither

        See :class:`WriteGroup`."""
        return WriteGroup(self._e)

    def items(self) -> "KvIterator":
        """All ``(key, value)`` pairs in key order (``scan()``)."""
        return self.scan()

    def keys(self) -> Iterator[bytes]:
        """All keys in order."""
        for key, _ in self.scan():
            yield key

    def __iter__(self) -> Iterator[bytes]:
        """All keys in order."""
        return self.keys()

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is present."""
        return self.get(key) is not None  # type: ignore[arg-type]

    def __getitem__(self, key: BytesLike) -> bytes:
        """The value of ``key``.

        Raises:
            NotFoundError: ``key`` is absent (also a ``KeyError``).
        """
        value = self.get(key)
        if value is None:
            raise NotFoundError(f"key not found: {key!r}", KVG_NOT_FOUND)
        return value

    def __setitem__(self, key: BytesLike, value: BytesLike) -> None:
        """``set(key, value)``."""
        self.set(key, value)

    def __delitem__(self, key: BytesLike) -> None:
        """Delete ``key``.

        Raises:
            NotFoundError: ``key`` is absent (also a ``KeyError``).
        """
        if not self.delete(key):
            raise NotFoundError(f"key not found: {key!r}", KVG_NOT_FOUND)


class KvIterator:
    """An iterator over ``(key, value)`` pairs of a scan.

    The underlying C iterator is closed when the iterator is exhausted,
    garbage-collected, closed explicitly with :meth:`close`, or used as a
    context manager.
    """

    def __init__(self, engine: "Engine", ptr: Any) -> None:
        self._engine = engine  # keeps the engine alive while we iterate
        self._h = Handle(ptr, lib.kvg_kv_iter_close, "scan iterator", engine._h)
        self._it = ptr
        self._done = False
        self._key = _new("kvg_bytes *")
        self._value = _new("kvg_bytes *")

    def __iter__(self) -> "KvIterator":
        """The iterator itself."""
        return self

    def __next__(self) -> Tuple[bytes, bytes]:
        """The next ``(key, value)`` pair."""
        if self._done:
            raise StopIteration
        key, value = self._key, self._value
        status = lib.kvg_kv_iter_next(self._it, key, value)
        if status:
            if status == KVG_NOT_FOUND:
                self.close()
                raise StopIteration
            check(status)
        try:
            k = _unpack(ffi.cast("char *", key.data), key.len) if key.len else b""
            v = _unpack(ffi.cast("char *", value.data), value.len) if value.len else b""
        finally:
            lib.kvg_bytes_free(key)
            lib.kvg_bytes_free(value)
        return k, v

    def close(self) -> None:
        """Release the C iterator. Idempotent."""
        self._done = True
        self._h.close()

    def __enter__(self) -> "KvIterator":
        """The iterator itself; closed on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the iterator."""
        self.close()


class WriteGroup:
    """A KV write group (``with db.kv.write_group(): ...``) over
    ``kvg_kv_group_open`` / ``kvg_kv_group_close``.

    Every write this thread makes to the engine's KV map inside the block is
    logged as one durability log record, appended (and synced as the
    engine's ``fsync`` policy asks) when the block exits, also when it
    raises. It is not isolation: each write is visible to everyone at once;
    writes of other threads are not part of the group. Groups nest: a group
    entered inside another is part of it. :meth:`kvgraph.Engine.save` waits
    for the groups open when it starts, and raises
    :class:`kvgraph.InvalidArgumentError` inside a group of its own thread.
    An engine without a path logs nothing; a group costs nothing there.

    Exit the block on the thread that entered it, before closing the engine.
    An error closing the group (:class:`kvgraph.IoError`: its record could
    not be written, or the engine was closed meanwhile; the writes hold in
    memory only) is raised unless the block itself raised.
    """

    __slots__ = ("_e", "_g")

    def __init__(self, engine_ptr: Any) -> None:
        self._e = engine_ptr
        self._g: Any = None

    def __enter__(self) -> "WriteGroup":
        """Open the group on this thread.

        Raises:
            InvalidArgumentError: the group is already open, or the engine is closed.
        """
        if self._g is not None:
            raise InvalidArgumentError("the write group is already open")
        out = _new("kvg_kv_group **")
        check(lib.kvg_kv_group_open(self._e, out))
        self._g = out[0]
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Close the group: log its record and wait for it as the fsync policy asks.

        Raises:
            Error: closing failed and the block did not raise.
        """
        group, self._g = self._g, None
        status = lib.kvg_kv_group_close(group)
        if exc_type is None:
            check(status)
