"""Build the kvgraph package: cargo builds libkvgraph, cffi compiles the binding.

``pip install ./bindings/python`` (and ``pip wheel ./bindings/python``) run
this. ``build_ext`` runs ``cargo build --release --lib --features mimalloc`` at the repository
root (two folders up; pip builds local folders in place), then compiles
``kvgraph._ffi``: a cffi extension in API mode whose declarations are read
from ``include/kvgraph.h`` and which links ``libkvgraph.a`` statically, so
the installed package (and a wheel of it) needs neither Rust nor a shared
library at run time. ``build_py`` ships the header inside the package, for
the ``KVGRAPH_LIB`` override (cffi ABI mode at run time).

Environment:
    CARGO: the cargo to run (default ``cargo`` on PATH).
    CARGO_TARGET_DIR: cargo's target folder (default the repository's ``target``).
    KVGRAPH_SKIP_CARGO=1: do not run cargo; link the ``libkvgraph.a`` already built.
    KVGRAPH_STATICLIB: link this ``libkvgraph.a`` instead (implies no cargo run).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, List

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
HEADER = REPO / "include" / "kvgraph.h"


def _cdef_module() -> Any:
    """kvgraph/_cdef.py, loaded by path (the package itself needs the
    compiled module this build makes)."""
    spec = importlib.util.spec_from_file_location("_kvgraph_cdef", HERE / "kvgraph" / "_cdef.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def _static_library() -> Path:
    """Build (unless told not to) and return ``libkvgraph.a``."""
    explicit = os.environ.get("KVGRAPH_STATICLIB")
    if explicit:
        return Path(explicit)
    lib = _target_dir() / "release" / "libkvgraph.a"
    if os.environ.get("KVGRAPH_SKIP_CARGO") != "1":
        cargo = os.environ.get("CARGO") or shutil.which("cargo")
        if cargo is None:
            raise SystemExit(
                "kvgraph: building the package needs cargo (a Rust toolchain, https://rustup.rs) "
                "or a built library: KVGRAPH_STATICLIB=path/to/libkvgraph.a"
            )
        cmd = [cargo, "build", "--release", "--lib", "--features", "mimalloc", "--manifest-path", str(REPO / "Cargo.toml")]
        sys.stderr.write("kvgraph: " + " ".join(cmd) + "\n")
        subprocess.run(cmd, check=True)
    if not lib.is_file():
        raise SystemExit(f"kvgraph: {lib} is missing (run cargo build --release at the repository root)")
    return lib


class BuildExtWithCargo(build_ext):
    """build_ext that builds libkvgraph with cargo and generates the cffi
    module's C source from the header before compiling it."""

    def run(self) -> None:
        import cffi

        static = _static_library()
        ffibuilder = cffi.FFI()
        ffibuilder.cdef(_cdef_module().cdef_from_header(HEADER.read_text(encoding="utf-8"), api=True))
        ffibuilder.set_source("kvgraph._ffi", '#include "kvgraph.h"')
        source = Path(self.build_temp) / "kvgraph_ffi.c"
        source.parent.mkdir(parents=True, exist_ok=True)
        ffibuilder.emit_c_code(str(source))
        for ext in self.extensions:
            if ext.name == "kvgraph._ffi":
                ext.sources = [str(source)]
                ext.extra_objects = [str(static)]
                ext.depends = [str(static), str(HEADER)]
        super().run()


class BuildPyWithHeader(build_py):
    """build_py that also ships ``kvgraph.h`` inside the package."""

    def run(self) -> None:
        super().run()
        dest = Path(self.build_lib) / "kvgraph" / "kvgraph.h"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HEADER, dest)


def _link_args() -> List[str]:
    if sys.platform.startswith("linux"):
        # Keep Rust's symbols private to the module; drop unused sections.
        return ["-Wl,--exclude-libs,ALL", "-Wl,--gc-sections"]
    return []


ffi_ext = Extension(
    "kvgraph._ffi",
    sources=[],  # the C source cffi generates from the header, set in build_ext
    include_dirs=[str(HEADER.parent)],
    libraries=[] if sys.platform == "win32" else ["pthread", "dl", "m"],
    extra_link_args=_link_args(),
    # cffi's generated code keeps to the stable ABI: one wheel for CPython >= 3.9.
    py_limited_api=True,
)

# Kv.get's fast path: no link to libkvgraph (kvgraph._ffi passes it the
# function's address), so the process keeps one copy of the library.
fast_ext = Extension(
    "kvgraph._fast",
    sources=["kvgraph/_fast.c"],
    include_dirs=[str(HEADER.parent)],
    py_limited_api=True,
)

setup(
    ext_modules=[ffi_ext, fast_ext],
    cmdclass={"build_ext": BuildExtWithCargo, "build_py": BuildPyWithHeader},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
