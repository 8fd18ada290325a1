"""Cypher from Python: ``db.query(text, params=None, **kw) -> Result``.

A query runs in the library (``kvg_query``); its result comes across in
one call as JSON (``kvg_result_json``) and is turned into Python values:
scalars, lists, dicts, and :class:`Node`, :class:`Relationship` and
:class:`Path`. A top-level cell whose JSON is ambiguous (a list of small
integers that may be bytes, a ``"NaN"`` string that may be a float, a map
shaped like a node) is settled by its cell type (``kvg_result_cell_type``),
so ``RETURN n``, ``RETURN b``, ``RETURN 0.0 / 0.0`` come back exactly.
Inside lists, maps and node or relationship properties the JSON is all
there is: bytes read as lists of ints and non-finite floats as the strings
``"NaN"``, ``"Infinity"``, ``"-Infinity"``. Temporal values (``date(...)``,
``duration(...)``, ...) are their ISO 8601 strings everywhere.

Parameters travel as a JSON object, so they are ``None``, ``bool``,
``int``, finite ``float``, ``str``, and lists and ``str``-keyed dicts of
these; :class:`Node` and :class:`Relationship` parameters pass their id.
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Union, overload

from ._errors import KVG_INVALID_ARGUMENT, Error
from ._lib import ffi, last_error, lib

if TYPE_CHECKING:  # pragma: no cover
    from ._engine import Engine

__all__ = ["Node", "Relationship", "Path", "Record", "Result", "QueryError", "QuerySyntaxError"]

_STATS = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
)
# kvg_cell_type
_CELL_FLOAT, _CELL_BYTES, _CELL_MAP, _CELL_NODE, _CELL_RELATIONSHIP, _CELL_PATH = 3, 5, 7, 8, 9, 10
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_PLAIN = frozenset((int, float, bool, type(None)))
"""Types of JSON cells that mean themselves (no cell type to ask for)."""
_PARAMS = json.JSONEncoder(allow_nan=False)
"""Encodes parameters (one encoder: ``json.dumps`` with options makes one per call)."""
_NODE_KEYS = frozenset(("id", "labels", "properties"))
_REL_KEYS = frozenset(("id", "type", "start", "end", "properties"))
_PATH_KEYS = frozenset(("nodes", "relationships"))
_AT = re.compile(r"\bat (\d+):(\d+)")


class QueryError(Error):
    """A query failed: it does not parse, does not type-check, misses a
    parameter, or failed while running. ``.message`` is the library's
    message, which starts with the openCypher category (``.category``:
    ``"SyntaxError"``, ``"TypeError"``, ``"ParameterMissing"``, ...)."""

    category: str

    def __init__(self, message: str, status: int = KVG_INVALID_ARGUMENT) -> None:
        super().__init__(message, status)
        head = message.split(":", 1)[0]
        self.category = head if head.isidentifier() else ""


class QuerySyntaxError(QueryError):
    """The query text does not parse; ``.line`` and ``.column`` (1-based)
    say where, when the library names the place (else ``None``)."""

    line: Optional[int]
    column: Optional[int]

    def __init__(self, message: str, status: int = KVG_INVALID_ARGUMENT) -> None:
        super().__init__(message, status)
        m = _AT.search(message)
        self.line = int(m.group(1)) if m else None
        self.column = int(m.group(2)) if m else None


def query_error(status: int, message: Optional[str]) -> QueryError:
    """The :class:`QueryError` (or :class:`QuerySyntaxError`) for a failed ``kvg_query``."""
    text = message or f"query failed with status {status}"
    if text.startswith(("SyntaxError", "Syntax error")):
        return QuerySyntaxError(text, status)
    return QueryError(text, status)


class Node:
    """A node as a query returned it: ``.id``, ``.labels`` (list of str, in
    name order), ``.properties`` (dict); ``node["name"]`` reads a property.
    Nodes compare equal by id."""

    __slots__ = ("id", "labels", "properties")

    def __init__(self, id: int, labels: Sequence[str], properties: Dict[str, Any]) -> None:
        self.id = int(id)
        """The node id (as the graph API uses)."""
        self.labels = list(labels)
        """Its labels."""
        self.properties = properties
        """Its properties."""

    def __getitem__(self, key: str) -> Any:
        """Property ``key``; ``KeyError`` if it has none."""
        return self.properties[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Property ``key``, or ``default``."""
        return self.properties.get(key, default)

    def __contains__(self, key: object) -> bool:
        """Whether the node has property ``key``."""
        return key in self.properties

    def __eq__(self, other: object) -> bool:
        """Same id."""
        return isinstance(other, Node) and other.id == self.id

    def __hash__(self) -> int:
        """Hash of the id."""
        return hash(("node", self.id))

    def __repr__(self) -> str:
        """``Node(id=0, labels=['Person'], properties={...})``."""
        return f"Node(id={self.id}, labels={self.labels!r}, properties={self.properties!r})"


class Relationship:
    """A relationship as a query (or :meth:`Graph.relationship`) returned
    it: ``.id``, ``.type``, ``.start`` and ``.end`` (node ids),
    ``.properties``, and ``.weight`` (``None`` from a query);
    ``rel["since"]`` reads a property. Relationships compare equal by id."""

    __slots__ = ("id", "type", "start", "end", "properties", "weight")

    def __init__(
        self, id: int, type: str, start: int, end: int, properties: Dict[str, Any], weight: Optional[float] = None
    ) -> None:
        self.id = int(id)
        """The relationship id."""
        self.type = type
        """Its type."""
        self.start = int(start)
        """Id of its start node."""
        self.end = int(end)
        """Id of its end node."""
        self.properties = properties
        """Its properties."""
        self.weight = weight
        """Its weight (what SSSP reads), or ``None`` where unknown (query results)."""

    def __getitem__(self, key: str) -> Any:
        """Property ``key``; ``KeyError`` if it has none."""
        return self.properties[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Property ``key``, or ``default``."""
        return self.properties.get(key, default)

    def __eq__(self, other: object) -> bool:
        """Same id."""
        return isinstance(other, Relationship) and other.id == self.id

    def __hash__(self) -> int:
        """Hash of the id."""
        return hash(("relationship", self.id))

    def __repr__(self) -> str:
        """``Relationship(id=0, type='FRIEND', start=0, end=1, properties={})``."""
        return (
            f"Relationship(id={self.id}, type={self.type!r}, start={self.start}, end={self.end}, "
            f"properties={self.properties!r})"
        )


class Path:
    """A path: ``.nodes`` (``n + 1`` :class:`Node`) and ``.relationships``
    (``n`` :class:`Relationship`); ``len(path)`` is ``n``."""

    __slots__ = ("nodes", "relationships")

    def __init__(self, nodes: List[Node], relationships: List[Relationship]) -> None:
        self.nodes = nodes
        """Its nodes, in order."""
        self.relationships = relationships
        """Its relationships, in order."""

    @property
    def start(self) -> Node:
        """Its first node."""
        return self.nodes[0]

    @property
    def end(self) -> Node:
        """Its last node."""
        return self.nodes[-1]

    def __len__(self) -> int:
        """Number of relationships."""
        return len(self.relationships)

    def __eq__(self, other: object) -> bool:
        """Same nodes and relationships."""
        return isinstance(other, Path) and other.nodes == self.nodes and other.relationships == self.relationships

    def __hash__(self) -> int:
        """Hash of the ids."""
        return hash((tuple(n.id for n in self.nodes), tuple(r.id for r in self.relationships)))

    def __repr__(self) -> str:
        """``Path(nodes=[...], relationships=[...])``."""
        return f"Path(nodes={self.nodes!r}, relationships={self.relationships!r})"


def _node(j: Dict[str, Any]) -> Node:
    return Node(j["id"], j["labels"], j["properties"])


def _rel(j: Dict[str, Any]) -> Relationship:
    return Relationship(j["id"], j["type"], j["start"], j["end"], j["properties"])


def _nested(v: Any) -> Any:
    """A JSON value inside a list or map: nodes, relationships and paths
    recognised by their shape."""
    if isinstance(v, list):
        return [_nested(x) for x in v]
    if isinstance(v, dict):
        keys = v.keys()
        if keys == _NODE_KEYS and isinstance(v["labels"], list) and isinstance(v["properties"], dict):
            return _node(v)
        if keys == _REL_KEYS and isinstance(v["properties"], dict):
            return _rel(v)
        if keys == _PATH_KEYS and isinstance(v["nodes"], list):
            return Path([_node(n) for n in v["nodes"]], [_rel(r) for r in v["relationships"]])
        return {k: _nested(x) for k, x in v.items()}
    return v


class Record:
    """One row of a :class:`Result`: ``rec[0]`` or ``rec["name"]`` reads a
    column, iterating yields the values, ``rec.data()`` is a dict."""

    __slots__ = ("_columns", "_index", "_values")

    def __init__(self, columns: List[str], index: Dict[str, int], values: List[Any]) -> None:
        self._columns = columns
        self._index = index
        self._values = values

    @overload
    def __getitem__(self, key: Union[int, str]) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> List[Any]: ...

    def __getitem__(self, key: Union[int, str, slice]) -> Any:
        """The value of column ``key`` (its position or its name)."""
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                raise KeyError(f"no column {key!r} (columns: {', '.join(self._columns)})") from None
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of column ``key``, or ``default`` if there is none."""
        i = self._index.get(key)
        return default if i is None else self._values[i]

    def __len__(self) -> int:
        """Number of columns."""
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        """The values, in column order."""
        return iter(self._values)

    def keys(self) -> List[str]:
        """The column names."""
        return list(self._columns)

    def values(self) -> List[Any]:
        """The values, in column order."""
        return list(self._values)

    def items(self) -> List[Any]:
        """``(column, value)`` pairs."""
        return list(zip(self._columns, self._values))

    def data(self) -> Dict[str, Any]:
        """The record as a ``dict`` of column name to value."""
        return dict(zip(self._columns, self._values))

    def __eq__(self, other: object) -> bool:
        """Same columns and values."""
        return isinstance(other, Record) and other._columns == self._columns and other._values == self._values

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """``<Record name='Ada' age=36>``."""
        return "<Record " + " ".join(f"{c}={v!r}" for c, v in zip(self._columns, self._values)) + ">"


class Result:
    """What a query returned: iterate it for :class:`Record` s;
    ``len(result)`` rows, ``result[i]`` one; ``.columns`` (list of str),
    ``.stats`` (dict: ``nodes_created``, ``nodes_deleted``,
    ``relationships_created``, ``relationships_deleted``,
    ``properties_set``, ``labels_added``, ``labels_removed``), ``.plan``
    (EXPLAIN / PROFILE). It holds its values itself: the engine may close."""

    __slots__ = ("columns", "stats", "plan", "_records")

    def __init__(self, columns: List[str], rows: List[List[Any]], stats: Dict[str, int], plan: List[Dict[str, Any]]) -> None:
        self.columns = columns
        """Column names, in order."""
        self.stats = stats
        """What the query's writes changed."""
        self.plan = plan
        """The plan's operators after EXPLAIN or PROFILE (``[]`` otherwise)."""
        index = {c: i for i, c in enumerate(columns)}
        self._records = [Record(columns, index, row) for row in rows]

    def __len__(self) -> int:
        """Number of rows."""
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        """The records, in order."""
        return iter(self._records)

    def __getitem__(self, i: int) -> Record:
        """Record ``i``."""
        return self._records[i]

    def records(self) -> List[Record]:
        """The records as a list."""
        return list(self._records)

    def data(self) -> List[Dict[str, Any]]:
        """Every record as a dict."""
        return [r.data() for r in self._records]

    def single(self) -> Record:
        """The only record.

        Raises:
            Error: the result has no record or more than one.
        """
        if len(self._records) != 1:
            raise Error(f"expected one record, the query returned {len(self._records)}")
        return self._records[0]

    def value(self, column: Union[int, str] = 0) -> List[Any]:
        """The values of one column (position or name), one per row."""
        return [r[column] for r in self._records]

    def to_pandas(self) -> Any:
        """The result as a ``pandas.DataFrame`` (one column per result
        column; nodes, relationships and paths as objects).

        Raises:
            ImportError: pandas is not installed.
        """
        from ._convert import _optional

        pd = _optional("pandas", "Result.to_pandas")
        return pd.DataFrame([r.values() for r in self._records], columns=self.columns)

    def __repr__(self) -> str:
        """``<kvgraph.Result columns=[...] rows=N>``."""
        return f"<kvgraph.Result columns={self.columns!r} rows={len(self._records)}>"


def _param(value: Any) -> Any:
    """A parameter as JSON-ready data."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"ArgumentError: query parameter {value!r}: parameters cross as JSON, which has no NaN or infinities")
        return float(value)
    if isinstance(value, (Node, Relationship)):
        return value.id
    if isinstance(value, (list, tuple)):
        return [_param(x) for x in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"query parameter maps need str keys, not {type(k).__name__}")
        return {k: _param(x) for k, x in value.items()}
    dtype = getattr(value, "dtype", None)
    if dtype is not None and getattr(value, "ndim", None) == 0:  # numpy scalar
        return _param(value.item())
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("query parameters cannot be bytes (they cross the C boundary as JSON)")
    raise TypeError(f"a {type(value).__name__} cannot be a query parameter")


def _cell(result: Any, row: int, col: int, v: Any) -> Any:
    """A top-level cell: ambiguous JSON settled by the cell type."""
    if isinstance(v, dict):
        kind = _cell_type(result, row, col)
        if kind == _CELL_NODE:
            return _node(v)
        if kind == _CELL_RELATIONSHIP:
            return _rel(v)
        if kind == _CELL_PATH:
            return Path([_node(n) for n in v["nodes"]], [_rel(r) for r in v["relationships"]])
        return {k: _nested(x) for k, x in v.items()}
    if isinstance(v, list):
        if all(type(x) is int and 0 <= x <= 255 for x in v) and _cell_type(result, row, col) == _CELL_BYTES:
            out = ffi.new("kvg_bytes *")
            _check(lib.kvg_result_cell_string(result, row, col, out))
            try:
                return ffi.buffer(out.data, out.len)[:] if out.len else b""
            finally:
                lib.kvg_bytes_free(out)
        return _nested(v)
    if isinstance(v, str) and v in _NON_FINITE and _cell_type(result, row, col) == _CELL_FLOAT:
        return _NON_FINITE[v]
    return v


def _cell_type(result: Any, row: int, col: int) -> int:
    out = ffi.new("kvg_cell_type *")
    _check(lib.kvg_result_cell_type(result, row, col, out))
    return int(out[0])


def _check(status: int) -> None:
    if status:
        from ._lib import check

        check(status)


_SCALAR_JSON: Dict[type, Any] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    bool: lambda b: "true" if b else "false",
    type(None): lambda _: "null",
    float: lambda x: float.__repr__(x) if math.isfinite(x) else None,
}
"""JSON of the parameter values that need no conversion, by exact type."""


def _scalar_params_json(params: Dict[str, Any]) -> Optional[str]:
    """``params`` as a JSON object if every name is a ``str`` and every value
    a plain scalar (the common case, encoded here without the general
    encoder's per-call set-up); ``None`` otherwise."""
    parts = []
    for k, v in params.items():
        to_json = _SCALAR_JSON.get(type(v))
        if type(k) is not str or to_json is None:
            return None
        value = to_json(v)
        if value is None:
            return None
        parts.append(encode_basestring_ascii(k) + ":" + value)
    return "{" + ",".join(parts) + "}"


def _params_json(params: Optional[Dict[str, Any]], kw: Dict[str, Any]) -> Any:
    """The parameters (``kw`` wins on a clash) as UTF-8 JSON, or NULL for none."""
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"params must be a dict, not {type(params).__name__}")
    merged: Dict[str, Any] = {**params, **kw} if params and kw else params or kw
    if not merged:
        return ffi.NULL
    fast = _scalar_params_json(merged)
    if fast is not None:
        return fast.encode("ascii")
    for k in merged:
        if not isinstance(k, str):
            raise TypeError(f"parameter names must be str, not {type(k).__name__}")
    return _PARAMS.encode({k: _param(v) for k, v in merged.items()}).encode("utf-8")


_TEXTS: Dict[str, bytes] = {}
"""Encoded query texts, so that a query run again is not encoded and checked again."""
_TEXTS_MAX = 1024


def _query_text(text: str) -> bytes:
    """``text`` as the UTF-8 the library reads.

    Raises:
        QueryError: the text holds a NUL character.
    """
    raw = _TEXTS.get(text)
    if raw is None:
        raw = text.encode("utf-8", "surrogatepass")
        if b"\0" in raw:
            raise QueryError("query text must not contain NUL characters")
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[text] = raw
    return raw


_NO_STATS = dict.fromkeys(_STATS, 0)


def run_query(
    engine: "Engine", text: str, params: Optional[Dict[str, Any]], kw: Dict[str, Any], timeout_ms: int = 0
) -> Result:
    """Run ``text`` on ``engine`` (see :meth:`kvgraph.Engine.query`),
    stopped after ``timeout_ms`` milliseconds (0: no limit)."""
    if not isinstance(text, str):
        raise TypeError(f"query text must be str, not {type(text).__name__}")
    raw_text = _query_text(text)
    blob = _params_json(params, kw)
    out = ffi.new("kvg_result **")
    status = lib.kvg_query_with_timeout(engine._h.ptr, raw_text, blob, timeout_ms, out)
    if status:
        raise query_error(status, last_error())
    result = out[0]
    try:
        raw = ffi.new("kvg_bytes *")
        _check(lib.kvg_result_json(result, raw))
        try:
            doc = json.loads(ffi.buffer(raw.data, raw.len)[:].decode("utf-8"))
        finally:
            lib.kvg_bytes_free(raw)
        rows = [
            [v if type(v) in _PLAIN or (type(v) is str and v not in _NON_FINITE) else _cell(result, r, c, v) for c, v in enumerate(row)]
            for r, row in enumerate(doc["rows"])
        ]
        stats = {**_NO_STATS, **doc.get("stats", {})}
        return Result(list(doc["columns"]), rows, stats, list(doc.get("plan", [])))
    finally:
        lib.kvg_result_close(result)
