"""Loading the C library: the compiled cffi module, or ``KVGRAPH_LIB``.

``pip install ./bindings/python`` builds ``kvgraph._ffi``, a cffi extension
module in API mode over ``include/kvgraph.h`` with ``libkvgraph`` linked in
statically: one file, no library to find at run time. The lookup is:

1. the shared library at ``KVGRAPH_LIB``, when that variable is set (an
   override: for instance a debug or sanitizer build of ``libkvgraph.so``);
   cffi opens it in ABI mode with the declarations of the shipped header;
2. the compiled module ``kvgraph._ffi``;
3. ``libkvgraph.so`` in the repository's ``target/release`` (a source
   checkout used without installing), again in ABI mode.

Both modes give the same :data:`ffi` and :data:`lib` objects, and cffi
releases the GIL around every call into the library, so Python threads
sharing one engine run in parallel.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, List, Optional, Tuple

from ._cdef import cdef_from_header, find_header
from ._errors import error_for

__all__ = ["ffi", "lib", "check", "last_error", "library_path", "exported", "mode", "NO_VALUE", "NO_NODE"]

NO_VALUE = (1 << 64) - 1
"""``KVG_NO_VALUE``: the length a batch read reports for an item without a value."""
NO_NODE = (1 << 64) - 1
"""``KVG_NO_NODE``: a per-node result slot of an id that is not a node."""


def _library_file_name() -> str:
    if sys.platform == "darwin":
        return "libkvgraph.dylib"
    if sys.platform == "win32":
        return "kvgraph.dll"
    return "libkvgraph.so"


def _open_abi(path: str) -> Tuple[Any, Any]:
    import cffi

    ffi_abi = cffi.FFI()
    ffi_abi.cdef(cdef_from_header(find_header().read_text(encoding="utf-8"), api=False))
    try:
        return ffi_abi, ffi_abi.dlopen(path)
    except OSError as exc:
        raise ImportError(f"kvgraph: cannot load {path}: {exc}") from exc


def _load() -> Tuple[Any, Any, str, str]:
    """(ffi, lib, path, mode) of the library to use."""
    env = os.environ.get("KVGRAPH_LIB")
    if env:
        f, l = _open_abi(env)
        return f, l, env, "abi"
    try:
        _ffi: Any = importlib.import_module(f"{__package__}._ffi")
    except ImportError as exc:
        missing = exc
    else:
        return _ffi.ffi, _ffi.lib, str(_ffi.__file__), "api"
    here = Path(__file__).resolve().parent
    repo_lib = here.parent.parent.parent / "target" / "release" / _library_file_name()
    if repo_lib.exists():
        f, l = _open_abi(str(repo_lib))
        return f, l, str(repo_lib), "abi"
    raise ImportError(
        "kvgraph: the compiled module kvgraph._ffi is missing "
        f"({missing}); install the package with `pip install ./bindings/python` "
        "(it builds the library with cargo), or set KVGRAPH_LIB to a built libkvgraph"
    )


ffi: Any
lib: Any
ffi, lib, _path, mode = _load()
"""``mode``: ``"api"`` (the compiled module) or ``"abi"`` (a shared library
opened at run time)."""

_string = ffi.string


def library_path() -> str:
    """Path of the file the library's code is loaded from: the compiled
    module (the library is linked into it) or the ``KVGRAPH_LIB`` library."""
    return _path


def last_error() -> Optional[str]:
    """This thread's last error message from the library, if any."""
    raw = lib.kvg_last_error()
    if raw == ffi.NULL:
        return None
    return str(_string(raw).decode("utf-8", "replace"))


def check(status: int) -> None:
    """Raise the :class:`kvgraph.Error` subclass for ``status`` unless it is
    ``KVG_OK``. Call it right after the failing call, on the same thread: the
    library keeps the message per thread."""
    if status:
        raise error_for(status, last_error())


def exported() -> List[str]:
    """Names of the library's functions that the binding can call."""
    return sorted(name for name in dir(lib) if name.startswith("kvg_"))
