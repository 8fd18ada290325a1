"""The compiled binding: declarations read from the header, the compiled
module in use, and the KVGRAPH_LIB override (cffi ABI mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Set

import cffi
import pytest

import kvgraph
from kvgraph import _cdef, _lib

REPO = Path(__file__).resolve().parents[3]
HEADER = REPO / "include" / "kvgraph.h"
SHARED = REPO / "target" / "release" / "libkvgraph.so"


def header_functions(text: str) -> Set[str]:
    return set(re.findall(r"^[a-z][\w ]*?\**\s*\**(kvg_\w+)\(", text, re.M))


def test_every_header_function_is_callable() -> None:
    declared = header_functions(HEADER.read_text())
    assert len(declared) > 40
    missing = declared - set(_lib.exported())
    assert not missing, f"declared in kvgraph.h but not bound: {sorted(missing)}"


def test_shipped_header_matches_the_repository() -> None:
    shipped = Path(kvgraph.__file__).resolve().parent / "kvgraph.h"
    if not shipped.exists():
        pytest.skip("running from the source tree")
    assert shipped.read_text() == HEADER.read_text()


def test_a_new_call_in_the_header_needs_no_binding_edit() -> None:
    # What cbindgen writes for a new function: it is declared as is.
    text = HEADER.read_text().replace(
        "#ifdef __cplusplus\n}",
        "enum kvg_status kvg_brand_new(const struct kvg_engine *engine, uint64_t *out);\n\n#ifdef __cplusplus\n}",
    )
    for api in (False, True):
        ffi = cffi.FFI()
        ffi.cdef(_cdef.cdef_from_header(text, api=api))
        assert "kvg_brand_new" in _cdef.cdef_from_header(text, api=api)
    abi = cffi.FFI()
    abi.cdef(_cdef.cdef_from_header(text, api=False))
    if SHARED.exists():  # ABI mode: declared, and missing from this library
        handle = abi.dlopen(str(SHARED))
        assert handle.kvg_kv_len  # an existing call resolves
        with pytest.raises(AttributeError):
            handle.kvg_brand_new


def test_cdef_drops_preprocessor_and_cplusplus() -> None:
    cdef = _cdef.cdef_from_header(HEADER.read_text(), api=False)
    assert "#" not in cdef and 'extern "C"' not in cdef
    api = _cdef.cdef_from_header(HEADER.read_text(), api=True)
    assert "#define KVG_NO_VALUE ..." in api and "KVGRAPH_H" not in api


def test_constants_match_the_header() -> None:
    if _lib.mode == "api":
        assert _lib.lib.KVG_NO_VALUE == _lib.NO_VALUE
        assert _lib.lib.KVG_NO_NODE == _lib.NO_NODE
    for name, value in [("KVG_OK", 0), ("KVG_NOT_FOUND", 1), ("KVG_PANIC", 6)]:
        assert getattr(_lib.lib, name) == value == getattr(kvgraph, name)


@pytest.mark.skipif(os.environ.get("KVGRAPH_TEST_INSTALLED") != "1", reason="only when testing the installed package")
def test_installed_package_uses_the_compiled_module() -> None:
    assert kvgraph.binding_mode() == "api"
    assert Path(kvgraph.library_path()).name.startswith("_ffi.")


def _run(code: str, **env: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=120, cwd="/"
    )


@pytest.mark.skipif(not SHARED.exists(), reason="no target/release/libkvgraph.so (cargo build --release)")
def test_kvgraph_lib_overrides_the_compiled_module() -> None:
    code = (
        "import kvgraph\n"
        "with kvgraph.Engine() as db:\n"
        "    db.kv.set(b'k', b'v'); assert db.kv.get(b'k') == b'v'\n"
        "    a = db.graph.add_nodes(2); db.graph.load_edges([a], [a + 1])\n"
        "    with db.graph.snapshot() as s: assert s.bfs(a) == [0, 1]\n"
        "print(kvgraph.binding_mode(), kvgraph.library_path())\n"
    )
    p = _run(code, KVGRAPH_LIB=str(SHARED))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["abi", str(SHARED)]


def test_kvgraph_lib_pointing_nowhere_raises_import_error() -> None:
    p = _run("import kvgraph", KVGRAPH_LIB="/nonexistent/libkvgraph.so")
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "/nonexistent/libkvgraph.so" in p.stderr
