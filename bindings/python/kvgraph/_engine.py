"""The engine and its statistics records."""

from __future__ import annotations

from dataclasses import dataclass
import os
from typing import Any, Dict, Optional, Union

from ._convert import U64_MAX, integer, number
from ._errors import Error, InvalidArgumentError
from ._graph import Graph
from ._handle import Handle
from ._kv import Kv
from ._lib import check, ffi, lib
from ._query import Result, run_query

__all__ = ["Engine", "GraphStats", "MemoryStats"]

_FSYNC = {"always": 0, "everysec": 1, "never": 2}
"""``fsync`` settings and their ``kvg_fsync`` values."""


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


class Engine:
    """An embedded kvgraph engine: a key-value map (:attr:`kv`) and a property
    graph (:attr:`graph`) in this process.

    Use it as a context manager, or call :meth:`close`; it is also closed when
    garbage-collected. Closing it closes its open snapshots and scans; using
    any of them afterwards raises :class:`kvgraph.Error`.

    The engine is safe to share between threads: every call releases the GIL
    while in the library, so threads run in parallel.

    With ``path``, the engine is durable: it persists to that directory
    (created if missing) and opens holding what the directory held (the
    newest snapshot, then the log after it). ``fsync`` says when the log
    reaches the disk: ``"always"`` (a write whose call returned survives a
    crash), ``"everysec"`` (the default: at most about a second of writes is
    lost) or ``"never"`` (the operating system decides). :meth:`save`
    writes a snapshot now; closing flushes the log.

    Args:
        path: directory to persist to (``str`` or ``os.PathLike``); ``None``
            (the default): in memory only.
        fsync: ``"always"``, ``"everysec"`` or ``"never"``.
        auto_compact: compact the graph's delta by itself (default on).
        compaction_min_delta: delta size (edge writes) below which the graph
            never compacts by itself.
        compaction_ratio: delta size, as a fraction of the base's edges, that
            triggers automatic compaction.

    Raises:
        IoError: the directory cannot be used (locked by another engine,
            unreadable) or holds a damaged file (the message names the file
            and the byte offset); an :class:`kvgraph.Error`.
        InvalidArgumentError: a bad setting (an unknown ``fsync``, a
            negative ``compaction_ratio``).
    """

    def __init__(
        self,
        path: Optional[Union[str, "os.PathLike[str]"]] = None,
        fsync: str = "everysec",
        *,
        auto_compact: Optional[bool] = None,
        compaction_min_delta: Optional[int] = None,
        compaction_ratio: Optional[float] = None,
    ) -> None:
        if not isinstance(fsync, str) or fsync.lower() not in _FSYNC:
            raise InvalidArgumentError(f"fsync must be 'always', 'everysec' or 'never', not {fsync!r}")
        self._path = None if path is None else os.fspath(path)
        if self._path is not None and not isinstance(self._path, str):
            raise TypeError(f"path must be str or os.PathLike[str], not {type(self._path).__name__}")
        config = ffi.NULL
        keep: Any = None
        if (
            self._path is not None
            or auto_compact is not None
            or compaction_min_delta is not None
            or compaction_ratio is not None
        ):
            config = ffi.new("kvg_config *")
            lib.kvg_config_default(config)
            if auto_compact is not None:
                config.auto_compact = bool(auto_compact)
            if compaction_min_delta is not None:
                config.compaction_min_delta = integer(compaction_min_delta, "compaction_min_delta", 0, U64_MAX)
            if compaction_ratio is not None:
                config.compaction_ratio = number(compaction_ratio, "compaction_ratio")
            if self._path is not None:
                raw = self._path.encode("utf-8", "surrogateescape")
                if b"\0" in raw:
                    raise InvalidArgumentError("path must not contain NUL characters")
                keep = ffi.new("char[]", raw)
                config.path = keep
                config.fsync = _FSYNC[fsync.lower()]
        out = ffi.new("kvg_engine **")
        check(lib.kvg_engine_open(config, out))
        del keep  # read during kvg_engine_open only
        if out[0] == ffi.NULL:  # pragma: no cover - defensive
            raise Error("kvg_engine_open returned no engine")
        self._h = Handle(out[0], lib.kvg_engine_close, "engine")
        self._kv = Kv(self)
        self._graph = Graph(self)

    @property
    def path(self) -> Optional[str]:
        """The directory a durable engine persists to (``None``: in memory)."""
        return self._path

    def save(self) -> None:
        """Write a snapshot of the KV map and the graph now (readers and
        writers carry on) and truncate the log.

        Raises:
            InvalidArgumentError: the engine has no ``path``.
            IoError: the snapshot could not be written.
        """
        check(lib.kvg_engine_save(self._h.ptr))

    def sync(self) -> None:
        """Write and sync every write logged so far, whatever ``fsync`` says.

        Raises:
            InvalidArgumentError: the engine has no ``path``.
            IoError: the log could not be written.
        """
        check(lib.kvg_engine_sync(self._h.ptr))

    @property
    def kv(self) -> Kv:
        """The key-value map."""
        return self._kv

    @property
    def graph(self) -> Graph:
        """The property graph."""
        return self._graph

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._h.closed

    def close(self) -> None:
        """Free the engine and everything in it; its snapshots and scans are
        closed too (a durable engine flushes its log first). Idempotent."""
        self._h.close()

    def __enter__(self) -> "Engine":
        """The engine itself; closed on exit.

        Raises:
            Error: the engine is closed.
        """
        if self.closed:
            raise Error("engine is closed")
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the engine."""
        self.close()

    def query(self, text: str, params: Optional[Dict[str, Any]] = None, **kw: Any) -> "Result":
        """Run the openCypher query ``text`` with parameters ``params`` and
        ``kw`` (``$name`` in the text; ``kw`` wins on a clash) and return
        its :class:`kvgraph.Result`::

            db.query("CREATE (p:Person {name: $name}) RETURN p", name="Ada")
            for rec in db.query("MATCH (p:Person) RETURN p.name AS name"):
                rec["name"]

        Parameters are ``None``, ``bool``, ``int``, finite ``float``,
        ``str``, lists and ``str``-keyed dicts (they cross as JSON; a
        :class:`kvgraph.Node` or :class:`kvgraph.Relationship` passes its id).

        Raises:
            QuerySyntaxError: the text does not parse (``.line``, ``.column``).
            QueryError: any other failure of the query (its ``.category``
                names the openCypher error: ``"TypeError"``, ...).
            TypeError: a parameter Python cannot send.
        """
        return run_query(self, text, params, kw)

    def query_with_timeout(
        self, text: str, timeout: float, params: Optional[Dict[str, Any]] = None, **kw: Any
    ) -> "Result":
        """:meth:`query`, stopped once it has run ``timeout`` seconds: it then
        raises :class:`kvgraph.QueryError` (``.category`` ``"TimeoutError"``)
        and a write query is rolled back. Pattern matching and expressions
        check the clock; a procedure's kernel (``CALL algo.pageRank()``)
        runs to its end.

        Raises:
            ValueError: ``timeout`` is not a positive number of seconds.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        return run_query(self, text, params, kw, max(1, int(min(float(timeout), 1e15) * 1000)))

    def maintain(self) -> None:
        """Reclaim expired KV entries and free garbage no thread can still
        see. Never required for correctness."""
        check(lib.kvg_engine_maintain(self._h.ptr))

    def memory_stats(self) -> MemoryStats:
        """Bytes retired to and freed by the engine's memory manager."""
        out = ffi.new("uint64_t[2]")
        check(lib.kvg_engine_memory_stats(self._h.ptr, out, out + 1))
        return MemoryStats(int(out[0]), int(out[1]))

    def __repr__(self) -> str:
        """``<kvgraph.Engine open>`` or ``<kvgraph.Engine closed>``."""
        return f"<kvgraph.Engine {'closed' if self.closed else 'open'}>"
