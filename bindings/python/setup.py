"""Build hook: ship the kvgraph shared library inside the package.

Run ``cargo build --release`` at the repository root first. When building,
this copies ``target/release/libkvgraph.so`` (or the path in ``KVGRAPH_LIB``)
into the built ``kvgraph/`` package, where the binding finds it at run time.
Without a built library the package still installs; it then finds the
library through ``KVGRAPH_LIB`` or the system search path at run time.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

if sys.platform == "darwin":
    LIB_NAME = "libkvgraph.dylib"
elif sys.platform == "win32":
    LIB_NAME = "kvgraph.dll"
else:
    LIB_NAME = "libkvgraph.so"


def _built_library() -> "Path | None":
    env = os.environ.get("KVGRAPH_LIB")
    if env:
        return Path(env)
    # pip builds in place (pip >= 21.3), so the repository is two levels up.
    candidate = HERE.parent.parent / "target" / "release" / LIB_NAME
    return candidate if candidate.exists() else None


class BuildPyWithLibrary(build_py):
    """build_py that also copies the shared library into the package."""

    def run(self) -> None:
        super().run()
        src = _built_library()
        if src is None:
            sys.stderr.write(
                "kvgraph: no built library found (run `cargo build --release` at the repository root "
                "first); installing without it: set KVGRAPH_LIB at run time\n"
            )
            return
        dest = Path(self.build_lib) / "kvgraph" / LIB_NAME
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o755)


cmdclass = {"build_py": BuildPyWithLibrary}

try:  # a wheel carrying a native library is platform-specific, not pure
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel  # type: ignore
except ImportError:  # pragma: no cover - setuptools < 70.1
    try:
        from wheel.bdist_wheel import bdist_wheel as _bdist_wheel  # type: ignore
    except ImportError:
        _bdist_wheel = None  # type: ignore[assignment,misc]

if _bdist_wheel is not None:

    class BdistWheelPlatform(_bdist_wheel):  # type: ignore[misc,valid-type]
        """Tags a wheel that carries the library py3-none-<platform>: any
        Python 3 (the binding is pure Python), one platform (the library)."""

        def get_tag(self):  # type: ignore[no-untyped-def]
            python, abi, plat = super().get_tag()
            if self.root_is_pure:
                return python, abi, plat
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = BdistWheelPlatform



class BinaryDistribution(Distribution):
    """Platform-specific (installed to platlib) when it carries the library."""

    def has_ext_modules(self) -> bool:
        return _built_library() is not None


setup(cmdclass=cmdclass, distclass=BinaryDistribution)
