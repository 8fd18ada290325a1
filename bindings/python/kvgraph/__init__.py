"""kvgraph: an embedded, lock-free key-value map and CSR+delta property graph.

Pure-Python binding over the kvgraph C library (``libkvgraph.so``) through
:mod:`ctypes`::

    import kvgraph
    with kvgraph.Engine() as db:
        db.kv.set(b"key", b"value")
        db.kv.get(b"key")                      # -> b"value"
        a = db.graph.add_node("Person", name=b"John Doe")
        b = db.graph.add_node("Person", name=b"Jane Doe")
        db.graph.add_edge(a, b, "FRIEND")
        with db.graph.snapshot() as s:
            s.bfs(a)                           # -> [0, 1]

The library is found through the ``KVGRAPH_LIB`` environment variable, next
to this package, in the repository's ``target/release``, or on the system
search path (see :mod:`kvgraph._lib`). Every call releases the GIL while it
runs in the library, so Python threads sharing one :class:`Engine` run in
parallel.

Errors raise subclasses of :class:`kvgraph.Error`, which carry the C status
code (``.status``) and the library's message (``.message``).
"""

from __future__ import annotations

from . import _core, _errors
from ._core import *  # noqa: F403  (the names in _core.__all__)
from ._errors import *  # noqa: F403  (the names in _errors.__all__)
from ._lib import lib as _clib
from ._lib import library_path

__version__ = "0.1.0"

__all__ = [
    *_core.__all__,
    *_errors.__all__,
    "library_version",
    "library_path",
    "status_str",
    "__version__",
]


def library_version() -> str:
    """Version of the loaded C library (``kvg_version()``)."""
    raw = _clib.kvg_version()
    return raw.decode("utf-8") if raw is not None else ""


def status_str(status: int) -> str:
    """The library's name for a ``kvg_status`` code (``kvg_status_str``)."""
    status = int(status)
    if not KVG_OK <= status <= KVG_PANIC:  # never pass an invalid enum value to C
        return f"unknown status {status}"
    raw = _clib.kvg_status_str(status)
    return raw.decode("utf-8") if raw is not None else f"status {status}"
