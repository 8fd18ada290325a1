"""The ctypes prototypes match include/kvgraph.h exactly (names, arity, types)."""

from __future__ import annotations

import ctypes
import re
from ctypes import POINTER, c_char_p, c_double, c_int, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from kvgraph import _lib

HEADER = Path(__file__).resolve().parents[3] / "include" / "kvgraph.h"

HANDLES = ("kvg_engine", "kvg_snapshot", "kvg_kv_iter")
STRUCTS = {"kvg_bytes": _lib.KvgBytes, "kvg_config": _lib.KvgConfig, "kvg_graph_stats": _lib.KvgGraphStats}
SCALARS: Dict[str, Any] = {
    "uint64_t": c_uint64,
    "int64_t": c_int64,
    "uint32_t": c_uint32,
    "size_t": c_size_t,
    "double": c_double,
    "kvg_direction": c_int,
    "kvg_status": c_int,
    "enum kvg_status": c_int,
}


def _ctype(decl: str) -> Any:
    """The ctypes type the binding must use for the C type ``decl``."""
    t = re.sub(r"\bconst\b", "", decl)
    t = re.sub(r"\bstruct\b", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    stars = t.count("*")
    base = t.replace("*", "").strip()
    if base == "void" and stars == 0:
        return None
    if base in HANDLES:
        return c_void_p if stars == 1 else POINTER(c_void_p)
    if base in STRUCTS:
        assert stars == 1, decl
        return POINTER(STRUCTS[base])
    if base in ("char", "uint8_t") and stars == 1:
        return c_char_p  # borrowed names and byte strings
    if base in SCALARS:
        return SCALARS[base] if stars == 0 else POINTER(SCALARS[base])
    raise AssertionError(f"unhandled C type {decl!r}")


def _declarations(text: str) -> Dict[str, Tuple[str, List[str]]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)
    text = text.replace('extern "C" {', "")
    out: Dict[str, Tuple[str, List[str]]] = {}
    for m in re.finditer(r"([A-Za-z_][\w\s\*]*?)\b(kvg_\w+)\s*\(([^;{]*?)\)\s*;", text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        if params in ("", "void"):
            types: List[str] = []
        else:
            types = [re.sub(r"\s*\b\w+$", "", p.strip()) for p in params.split(",")]
        out[name] = (ret, types)
    return out


def _struct_fields(text: str, name: str) -> List[Tuple[str, str]]:
    m = re.search(r"typedef struct %s \{(.*?)\}" % name, text, re.S)
    assert m, name
    fields = []
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m.group(1), flags=re.S)
    for line in body.split(";"):
        line = line.strip()
        if line:
            ctype, field = line.rsplit(None, 1)
            stars = len(field) - len(field.lstrip("*"))
            fields.append((ctype.replace(" *", "*").strip() + "*" * stars, field.lstrip("*")))
    return fields


@pytest.fixture(scope="module")
def header() -> str:
    if not HEADER.exists():
        pytest.skip(f"{HEADER} not found")
    return HEADER.read_text()


def test_every_header_function_is_declared(header: str) -> None:
    decls = _declarations(header)
    assert len(decls) >= 40
    ours = {name: (res, args) for name, res, args in _lib.PROTOTYPES}
    assert sorted(set(decls) - set(ours)) == []
    assert sorted(set(ours) - set(decls)) == []
    for name, (ret, params) in decls.items():
        res, args = ours[name]
        assert res == _ctype(ret), f"{name}: restype {res} != {ret}"
        assert len(args) == len(params), f"{name}: {len(args)} args, header has {len(params)}"
        for i, (ours_t, c_t) in enumerate(zip(args, params)):
            assert ours_t == _ctype(c_t), f"{name} arg {i}: {ours_t} != {c_t}"


def test_structs_match(header: str) -> None:
    c_names = {"bool": ctypes.c_bool, "uint64_t": c_uint64, "double": c_double, "size_t": c_size_t}
    for cname, struct in STRUCTS.items():
        fields = _struct_fields(header, cname)
        ours = [(f, t) for f, t in struct._fields_]  # type: ignore[misc]
        assert [f for f, _ in ours] == [f for _, f in fields], cname
        for (_, t), (ct, _) in zip(ours, fields):
            if ct.endswith("*"):
                assert t == POINTER(ctypes.c_uint8) and ct == "uint8_t*", cname
            else:
                assert t == c_names[ct], (cname, ct)


def test_enums_match(header: str) -> None:
    import kvgraph

    for name in ["KVG_OK", "KVG_NOT_FOUND", "KVG_CONFLICT", "KVG_INVALID_ARGUMENT", "KVG_BUFFER_TOO_SMALL", "KVG_OUT_OF_MEMORY", "KVG_PANIC"]:
        m = re.search(r"\b%s = (\d+)" % name, header)
        assert m and int(m.group(1)) == getattr(kvgraph, name), name
    for name, member in [("KVG_OUT", kvgraph.Direction.OUT), ("KVG_IN", kvgraph.Direction.IN), ("KVG_BOTH", kvgraph.Direction.BOTH)]:
        m = re.search(r"\b%s = (\d+)" % name, header)
        assert m and int(m.group(1)) == int(member), name
