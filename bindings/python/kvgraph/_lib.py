"""Locating ``libkvgraph`` and declaring the C prototypes for ctypes.

The library is looked up, in order, at:

1. the path in the ``KVGRAPH_LIB`` environment variable;
2. ``libkvgraph.so`` (``.dylib``/``.dll``) next to this package, which
   ``pip install ./bindings/python`` copies there from
   ``target/release`` when it was built first;
3. ``../../target/release/`` relative to this package's source folder (use
   from a checkout of the repository);
4. ``ctypes.util.find_library("kvgraph")`` (the system search path).

Every function is called through :class:`ctypes.CDLL`, which releases the
GIL for the duration of each call, so that Python threads run kvgraph
operations in parallel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

from ._errors import Error, error_for

__all__ = [
    "lib",
    "load",
    "check",
    "last_error",
    "take_bytes",
    "KvgConfig",
    "KvgGraphStats",
    "KvgBytes",
    "RawBytes",
    "raw_function",
    "library_path",
    "NO_VALUE",
]

#: ``KVG_NO_VALUE`` (``SIZE_MAX``): the length a batch read reports for an
#: item without a value.
NO_VALUE = (1 << (8 * ctypes.sizeof(c_size_t))) - 1


class KvgConfig(Structure):
    """``kvg_config``."""

    _fields_ = [
        ("auto_compact", c_bool),
        ("compaction_min_delta", c_uint64),
        ("compaction_ratio", c_double),
    ]


class KvgGraphStats(Structure):
    """``kvg_graph_stats``."""

    _fields_ = [
        ("nodes", c_uint64),
        ("edges", c_uint64),
        ("delta_edges", c_uint64),
        ("compactions", c_uint64),
    ]


class KvgBytes(Structure):
    """``kvg_bytes``: an owned byte string, freed with ``kvg_bytes_free``."""

    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


class RawBytes(Structure):
    """``kvg_bytes`` with ``data`` read as a plain address (an ``int``, or
    ``None`` for NULL): the same layout as :class:`KvgBytes`, cheaper to read
    on the hot paths (``Kv.get``, scans) that only copy the bytes out."""

    _fields_ = [("data", c_void_p), ("len", c_size_t)]


# Opaque handles travel as void pointers.
_engine = c_void_p
_snapshot = c_void_p
_iter = c_void_p
_status = c_int  # kvg_status (a C enum: int-sized)
_u64p = POINTER(c_uint64)
_i64p = POINTER(c_int64)
_f64p = POINTER(c_double)
_sizep = POINTER(c_size_t)
_bytesp = POINTER(KvgBytes)
# Borrowed byte inputs: ``c_char_p`` takes a Python ``bytes`` without copying
# (and ``None`` as NULL); the C side reads ``len`` bytes, NULs included.
_buf = c_char_p
_name = c_char_p  # NUL-terminated UTF-8 name, or NULL

# name -> (restype, argtypes)
PROTOTYPES: List[Tuple[str, Any, List[Any]]] = [
    ("kvg_status_str", c_char_p, [_status]),
    ("kvg_last_error", c_char_p, []),
    ("kvg_version", c_char_p, []),
    ("kvg_config_default", None, [POINTER(KvgConfig)]),
    ("kvg_bytes_free", None, [_bytesp]),
    # engine
    ("kvg_engine_open", _status, [POINTER(KvgConfig), POINTER(_engine)]),
    ("kvg_engine_close", _status, [_engine]),
    ("kvg_engine_maintain", _status, [_engine]),
    ("kvg_engine_memory_stats", _status, [_engine, _u64p, _u64p]),
    # kv
    ("kvg_kv_set", _status, [_engine, _buf, c_size_t, _buf, c_size_t]),
    ("kvg_kv_set_with_ttl", _status, [_engine, _buf, c_size_t, _buf, c_size_t, c_uint64]),
    ("kvg_kv_insert", _status, [_engine, _buf, c_size_t, _buf, c_size_t]),
    ("kvg_kv_get", _status, [_engine, _buf, c_size_t, _bytesp]),
    ("kvg_kv_get_into", _status, [_engine, _buf, c_size_t, _buf, c_size_t, _sizep]),
    ("kvg_kv_get_many", _status, [_engine, _buf, _sizep, c_size_t, _bytesp, _sizep]),
    ("kvg_kv_set_many", _status, [_engine, _buf, _sizep, _buf, _sizep, c_size_t]),
    ("kvg_kv_delete", _status, [_engine, _buf, c_size_t]),
    ("kvg_kv_compare_and_swap", _status, [_engine, _buf, c_size_t, _buf, c_size_t, _buf, c_size_t]),
    ("kvg_kv_incr", _status, [_engine, _buf, c_size_t, c_int64, _i64p]),
    ("kvg_kv_len", _status, [_engine, _u64p]),
    ("kvg_kv_scan_open", _status, [_engine, _buf, c_size_t, _buf, c_size_t, POINTER(_iter)]),
    ("kvg_kv_scan_prefix_open", _status, [_engine, _buf, c_size_t, POINTER(_iter)]),
    ("kvg_kv_iter_next", _status, [_iter, _bytesp, _bytesp]),
    ("kvg_kv_iter_close", _status, [_iter]),
    # graph writes
    ("kvg_node_add", _status, [_engine, _name, _u64p]),
    ("kvg_nodes_add", _status, [_engine, c_uint64, _name, _u64p]),
    ("kvg_node_remove", _status, [_engine, c_uint64]),
    ("kvg_node_set_property", _status, [_engine, c_uint64, _name, _buf, c_size_t]),
    ("kvg_node_get_property", _status, [_engine, c_uint64, _name, _bytesp]),
    ("kvg_node_label", _status, [_engine, c_uint64, _bytesp]),
    ("kvg_nodes_set_property", _status, [_engine, _u64p, c_size_t, _name, _buf, _sizep]),
    ("kvg_nodes_get_property", _status, [_engine, _u64p, c_size_t, _name, _bytesp, _sizep]),
    ("kvg_edge_add", _status, [_engine, c_uint64, c_uint64, _name, c_double]),
    ("kvg_edge_remove", _status, [_engine, c_uint64, c_uint64, _name]),
    ("kvg_edges_load", _status, [_engine, _u64p, _u64p, _f64p, c_size_t, _name]),
    ("kvg_graph_compact", _status, [_engine]),
    ("kvg_graph_get_stats", _status, [_engine, POINTER(KvgGraphStats)]),
    # snapshots
    ("kvg_snapshot_open", _status, [_engine, POINTER(_snapshot)]),
    ("kvg_snapshot_close", _status, [_snapshot]),
    ("kvg_snapshot_version", _status, [_snapshot, _u64p]),
    ("kvg_snapshot_node_count", _status, [_snapshot, _u64p]),
    ("kvg_snapshot_edge_count", _status, [_snapshot, _u64p]),
    ("kvg_snapshot_neighbors", _status, [_snapshot, c_uint64, c_int, _name, _u64p, c_size_t, _sizep]),
    ("kvg_snapshot_bfs", _status, [_snapshot, c_uint64, _i64p, c_size_t]),
    ("kvg_snapshot_sssp", _status, [_snapshot, c_uint64, _f64p, c_size_t]),
    ("kvg_snapshot_pagerank", _status, [_snapshot, c_double, c_uint32, _f64p, c_size_t]),
    ("kvg_snapshot_wcc", _status, [_snapshot, _u64p, c_size_t]),
    ("kvg_snapshot_cdlp", _status, [_snapshot, c_uint32, _u64p, c_size_t]),
    ("kvg_snapshot_lcc", _status, [_snapshot, _f64p, c_size_t]),
    ("kvg_snapshot_triangle_count", _status, [_snapshot, _u64p]),
    ("kvg_snapshot_k_hop", _status, [_snapshot, c_uint64, c_uint32, _u64p, c_size_t, _sizep]),
]


def _library_file_names() -> List[str]:
    if sys.platform == "darwin":
        return ["libkvgraph.dylib"]
    if sys.platform == "win32":
        return ["kvgraph.dll", "libkvgraph.dll"]
    return ["libkvgraph.so"]


def _candidates() -> List[Tuple[str, str]]:
    """(where, path) pairs in lookup order, without the find_library fallback."""
    out: List[Tuple[str, str]] = []
    env = os.environ.get("KVGRAPH_LIB")
    if env:
        out.append(("KVGRAPH_LIB", env))
    here = Path(__file__).resolve().parent
    for name in _library_file_names():
        out.append(("package", str(here / name)))
    repo_release = here.parent.parent.parent / "target" / "release"
    for name in _library_file_names():
        out.append(("repository", str(repo_release / name)))
    return out


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_path: Optional[str] = None
#: Functions of :data:`PROTOTYPES` the loaded library does not export
#: (calling one raises :class:`kvgraph.Error`).
missing: List[str] = []


def _declare(cdll: ctypes.CDLL) -> None:
    for name, restype, argtypes in PROTOTYPES:
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes


def load() -> ctypes.CDLL:
    """Load (once) and return the kvgraph shared library.

    Raises:
        ImportError: no library was found, or it lacks a needed symbol.
    """
    global _lib, _path
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        env = os.environ.get("KVGRAPH_LIB")
        for where, path in _candidates():
            if where != "KVGRAPH_LIB" and not os.path.exists(path):
                tried.append(path)
                continue
            try:
                cdll = ctypes.CDLL(path)
            except OSError as exc:
                if where == "KVGRAPH_LIB":
                    raise ImportError(f"kvgraph: cannot load KVGRAPH_LIB={env!r}: {exc}") from exc
                tried.append(f"{path} ({exc})")
                continue
            _declare(cdll)
            _lib, _path = cdll, path
            return cdll
        found = ctypes.util.find_library("kvgraph")
        if found:
            cdll = ctypes.CDLL(found)
            _declare(cdll)
            _lib, _path = cdll, found
            return cdll
        raise ImportError(
            "kvgraph: libkvgraph not found; run `cargo build --release` in the "
            "repository and reinstall the package, or set KVGRAPH_LIB to the "
            "library's path. Tried: " + "; ".join(tried)
        )


def library_path() -> str:
    """Path of the loaded shared library."""
    load()
    assert _path is not None
    return _path


class _Lib:
    """Attribute access to the C functions, loading the library on first use."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        cdll = load()
        if name in missing or name not in _DECLARED:
            raise Error(f"the kvgraph library at {_path} does not export {name}")
        fn = getattr(cdll, name)
        setattr(self, name, fn)
        return fn  # type: ignore[no-any-return]


_DECLARED = frozenset(name for name, _, _ in PROTOTYPES)
lib: Any = _Lib()


def raw_function(name: str, restype: Any, argtypes: List[Any]) -> Callable[..., Any]:
    """A second ctypes function object for the library's ``name`` with its
    own prototype (for instance :class:`RawBytes` in place of
    :class:`KvgBytes`). Like :data:`lib`'s functions it releases the GIL
    during the call. :data:`PROTOTYPES` stays the declaration that matches
    the header; this only reinterprets a pointer argument of the same
    layout."""
    cdll = load()
    if name in missing or name not in _DECLARED:
        raise Error(f"the kvgraph library at {_path} does not export {name}")
    return ctypes.CFUNCTYPE(restype, *argtypes)((name, cdll))  # type: ignore[no-any-return]


def last_error() -> Optional[str]:
    """This thread's last error message from the library, if any."""
    raw: Optional[bytes] = lib.kvg_last_error()
    if raw is None:
        return None
    return raw.decode("utf-8", "replace")


def check(status: int) -> None:
    """Raise the :class:`Error` subclass for ``status`` unless it is ``KVG_OK``.

    Must be called right after the failing call, in the same thread: the
    library keeps the message thread-local.
    """
    if status != 0:
        raise error_for(status, last_error())


def take_bytes(b: KvgBytes) -> bytes:
    """Copy an owned ``kvg_bytes`` into Python and free it."""
    try:
        if not b.data or b.len == 0:
            return b""
        return ctypes.string_at(b.data, b.len)
    finally:
        lib.kvg_bytes_free(ctypes.byref(b))
