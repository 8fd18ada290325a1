"""kvgraph: an embedded, lock-free key-value map and CSR+delta property graph.

A compiled binding (cffi, API mode) over the kvgraph C library, which is
linked into the package: ``pip install ./bindings/python`` builds both::

    import kvgraph
    with kvgraph.Engine() as db:
        db.kv.set(b"key", b"value")
        db.kv.get(b"key")                      # -> b"value"
        a = db.graph.add_node("Person", name=b"John Doe")
        b = db.graph.add_node("Person", name=b"Jane Doe")
        db.graph.add_edge(a, b, "FRIEND")
        with db.graph.snapshot() as s:
            s.bfs(a)                           # -> [0, 1]

Bulk data goes in and out as numpy arrays, ``array.array``, pyarrow arrays,
pandas objects or plain lists, without Python loops. Every call releases the
GIL while it runs in the library, so Python threads sharing one
:class:`Engine` run in parallel; long calls (bulk loads, kernels on large
graphs) can be interrupted with Ctrl-C and show progress (see
:mod:`kvgraph._long`). ``KVGRAPH_LIB=path/to/libkvgraph.so`` makes the
package use that library instead (see :mod:`kvgraph._lib`).

Errors raise subclasses of :class:`kvgraph.Error`, which carry the C status
code (``.status``) and the library's message (``.message``).
"""

from __future__ import annotations

from . import _batch, _engine, _errors, _graph, _kv, _query, _snapshot
from ._convert import OUTPUTS, Direction
from ._batch import *  # noqa: F403
from ._engine import *  # noqa: F403  (the names in _engine.__all__)
from ._errors import *  # noqa: F403  (the names in _errors.__all__)
from ._graph import *  # noqa: F403
from ._kv import *  # noqa: F403
from ._lib import ffi as _ffi
from ._lib import lib as _clib
from ._lib import library_path
from ._long import wait_interrupted
from ._snapshot import *  # noqa: F403
from ._query import *  # noqa: F403
from ._value import PropertyValue as PropertyValue  # a type alias (see kvgraph._value)

__version__ = "0.1.0"

__all__ = [
    *_engine.__all__,
    *_kv.__all__,
    *_graph.__all__,
    *_batch.__all__,
    *_snapshot.__all__,
    *_query.__all__,
    *_errors.__all__,
    "Direction",
    "OUTPUTS",
    "library_version",
    "library_path",
    "binding_mode",
    "status_str",
    "wait_interrupted",
    "__version__",
]


def library_version() -> str:
    """Version of the loaded C library (``kvg_version()``)."""
    raw = _clib.kvg_version()
    return "" if raw == _ffi.NULL else str(_ffi.string(raw).decode("utf-8"))


def binding_mode() -> str:
    """``"api"`` when the compiled module is in use, ``"abi"`` when a shared
    library was opened at run time (``KVGRAPH_LIB``, or a source checkout)."""
    from ._lib import mode

    return mode


def status_str(status: int) -> str:
    """The library's name for a ``kvg_status`` code (``kvg_status_str``)."""
    status = int(status)
    if not KVG_OK <= status <= KVG_IO_ERROR:  # never pass an invalid enum value to C  # noqa: F405
        return f"unknown status {status}"
    raw = _clib.kvg_status_str(status)
    return f"status {status}" if raw == _ffi.NULL else str(_ffi.string(raw).decode("utf-8"))
