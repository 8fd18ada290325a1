"""Every public name of the package has a docstring; the package ships py.typed."""

from __future__ import annotations

import inspect
import pydoc
from pathlib import Path
from typing import List

import kvgraph


def _undocumented() -> List[str]:
    missing = []
    for name in kvgraph.__all__:
        obj = getattr(kvgraph, name)
        if name.startswith("KVG_") or name in ("__version__", "OUTPUTS"):
            continue  # constants: documented in the module and README
        if not inspect.getdoc(obj):
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in ("__init__", "__enter__", "__exit__", "__len__", "__getitem__", "__next__"):
                    continue
                if callable(member) or isinstance(member, property):
                    if not inspect.getdoc(member) and not (attr == "__init__" and inspect.getdoc(obj)):
                        missing.append(f"{name}.{attr}")
    return missing


def test_every_public_name_has_a_docstring() -> None:
    assert _undocumented() == []


def test_help_reads_well() -> None:
    text = pydoc.render_doc(kvgraph.Engine, renderer=pydoc.plaintext)
    assert "key-value map" in text and "close" in text
    assert "Bulk arguments" in pydoc.render_doc(kvgraph.Graph, renderer=pydoc.plaintext)


def test_py_typed_ships() -> None:
    assert (Path(kvgraph.__file__).parent / "py.typed").exists()
