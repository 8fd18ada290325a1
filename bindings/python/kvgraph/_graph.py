"""The property graph (``db.graph``): nodes, properties, edges, bulk loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ._convert import (
    U64_MAX,
    FloatsLike,
    IdsLike,
    Name,
    Output,
    f64_in,
    integer,
    node_id,
    number,
    packed,
    u64_in,
    unpacked,
)
from ._convert import name as _name
from ._errors import KVG_NOT_FOUND, InvalidArgumentError, error_for
from ._lib import check, ffi, lib, last_error
from ._long import LONG_EDGES, run_long
from ._batch import Batch
from ._query import Relationship
from ._snapshot import Snapshot, names_out
from ._value import properties_in, value_in, value_out

if TYPE_CHECKING:  # pragma: no cover
    from ._engine import Engine, GraphStats

__all__ = ["Graph"]

_new = ffi.new


def _take(out: Any) -> bytes:
    """Copy an owned ``kvg_bytes`` into Python and free it."""
    try:
        return ffi.buffer(out.data, out.len)[:] if out.len else b""
    finally:
        lib.kvg_bytes_free(out)


def _is_table(value: Any) -> bool:
    """A pandas DataFrame or a pyarrow Table / RecordBatch."""
    kind = type(value).__name__
    module = type(value).__module__
    return (module.startswith("pandas") and kind == "DataFrame") or (
        module.startswith("pyarrow") and kind in ("Table", "RecordBatch")
    )


def _columns(table: Any) -> Dict[str, Any]:
    """Column name -> column (pandas Series or pyarrow array) of a table."""
    if type(table).__module__.startswith("pandas"):
        return {str(c): table[c] for c in table.columns}
    return {str(n): table.column(i) for i, n in enumerate(table.column_names)}


def _text_column(column: Any) -> Any:
    """A property column as byte strings: bytes and str columns as they
    are, other values (numbers, booleans) as their decimal text, converted
    column-wise by pyarrow or pandas."""
    module = type(column).__module__
    if module.startswith("pyarrow"):
        import pyarrow as pa
        import pyarrow.compute as pc

        t = column.type
        if not (pa.types.is_binary(t) or pa.types.is_string(t) or pa.types.is_large_binary(t) or pa.types.is_large_string(t)):
            return pc.cast(column, pa.string())
        return column
    if module.startswith("pandas"):
        if column.dtype.kind in "biuf":
            return column.astype(str).tolist()
        return column.tolist()
    return column


class Graph:
    """The engine's property graph (``db.graph``).

    Nodes have dense ``int`` ids assigned by the engine, zero or more
    labels and named typed properties (``None``, ``bool``, ``int``,
    ``float``, ``str``, ``bytes``, ``list``, ``dict``; see
    :mod:`kvgraph._value`). Edges are directed, identified by ``(src, dst,
    type)``, and carry a ``float`` weight; adding an existing edge updates its
    weight. Store an undirected graph as two directed edges. Relationships
    carry typed properties by their ``int`` id. (label, property) indexes
    answer :meth:`find_nodes` and the snapshot lookups.

    The bulk property calls (:meth:`set_property_many`,
    :meth:`get_property_many`, property columns of :meth:`add_nodes`) move
    byte strings: they write bytes values and read bytes (a string value
    reads as its UTF-8; another type raises ``InvalidArgumentError``).

    Unknown (or removed) node ids raise :class:`kvgraph.NotFoundError`.
    Bulk arguments (ids, weights, property columns) take numpy arrays,
    ``array.array``, pyarrow arrays, pandas Series or plain lists, converted
    without Python loops (see :mod:`kvgraph._convert`).
    """

    __slots__ = ("_engine", "_e")

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._e = engine._h.ptr

    def add_node(self, label: Optional[Name] = None, **properties: Any) -> int:
        """Add a node with ``label`` (none if ``None``) and ``properties``
        (typed values: ``None``, ``bool``, ``int``, ``float``, ``str``,
        ``bytes``, ``list``, ``dict``; ``bytes`` stay bytes, ``str`` is a
        string); return its id."""
        lbl = _name(label, "label")
        props = properties_in(properties)
        out = _new("uint64_t *")
        check(lib.kvg_node_add(self._e, lbl, out))
        node = int(out[0])
        for nm, (value, _keep) in props:
            check(lib.kvg_node_set_property_value(self._e, node, nm, value))
        return node

    def add_nodes(self, count: Any, label: Optional[Name] = None, **properties: Any) -> int:
        """Add ``count`` nodes with ``label`` and consecutive ids; return the
        first id (the others follow it).

        Each keyword is a property column of ``count`` values (a list of
        bytes/str, a numpy array, a pyarrow array or a pandas Series), set
        with one call per column: ``add_nodes(3, "Person", name=["a", "b",
        "c"])``. ``count`` may also be a pandas DataFrame or a pyarrow Table
        / RecordBatch: one node per row, each column a property (numbers
        stored as their decimal text).

        Raises:
            InvalidArgumentError: a column's length is not ``count``.
        """
        if _is_table(count):
            table = count
            count = len(table) if hasattr(table, "__len__") else table.num_rows
            properties = {**_columns(table), **properties}
        n = integer(count, "count", 0, U64_MAX)
        columns: List[Tuple[Any, Tuple[bytes, Any, int]]] = []
        for key, column in properties.items():
            blob, lens, m = packed(_text_column(column), f"property {key!r}")
            if m != n:
                raise InvalidArgumentError(f"add_nodes: {n} nodes but {m} values of property {key!r}")
            columns.append((_name(key, "property name"), (blob, lens, m)))
        out = _new("uint64_t *")
        check(lib.kvg_nodes_add(self._e, n, _name(label, "label"), out))
        first = int(out[0])
        if columns and n:
            ids = _range_ids(first, n)
            for nm, (blob, lens, _) in columns:
                check(lib.kvg_nodes_set_property(self._e, ids, n, nm, blob, lens))
        return first

    def remove_node(self, node: int) -> None:
        """Remove ``node``, its edges and its properties.

        Raises:
            NotFoundError: no such node.
        """
        check(lib.kvg_node_remove(self._e, node_id(node)))

    def set_property(self, node: int, name: Name, value: Any) -> None:
        """Set property ``name`` of ``node`` to the typed ``value``
        (``bytes`` stays bytes, ``str`` is a string, ``int``, ``float``,
        ``bool``, ``list`` and ``dict`` keep their type; ``None`` removes
        the property).

        Raises:
            NotFoundError: no such node.
            TypeError: ``value`` is not a property value.
            InvalidArgumentError: an ``int`` outside 64 bits.
        """
        n = node_id(node)
        nm = _name(name, "property name")
        v, _keep = value_in(value)
        check(lib.kvg_node_set_property_value(self._e, n, nm, v))

    def get_property(self, node: int, name: Name) -> Any:
        """Property ``name`` of ``node`` as the Python value of its type
        (``bytes`` for bytes, ``str`` for a string, ...), or ``None`` if
        it is not set.

        Raises:
            NotFoundError: no such node (unlike an unset property).
        """
        n = node_id(node)
        nm = _name(name, "property name")
        out = _new("kvg_value *")
        data = _new("kvg_bytes *")
        status = lib.kvg_node_get_property_value(self._e, n, nm, out, data)
        if status == KVG_NOT_FOUND:
            self._unset_or_raise(n, status)
            return None
        check(status)
        return value_out(out, data)

    def remove_property(self, node: int, name: Name) -> bool:
        """Remove property ``name`` of ``node``; ``False`` if it was not set.

        Raises:
            NotFoundError: no such node.
        """
        n = node_id(node)
        status = lib.kvg_node_remove_property(self._e, n, _name(name, "property name"))
        if status == KVG_NOT_FOUND:
            self._unset_or_raise(n, status)
            return False
        check(status)
        return True

    def _unset_or_raise(self, node: int, status: int) -> None:
        """After a ``KVG_NOT_FOUND`` about a property of ``node``: return if
        the node exists (the property is unset), else raise for ``status``."""
        # NOT_FOUND covers both an unknown node and an unset property:
        # tell them apart by asking for the node's labels.
        err = error_for(status, last_error())
        labels = _new("kvg_bytes *")
        if lib.kvg_node_labels(self._e, node, labels) == 0:
            lib.kvg_bytes_free(labels)
            return
        raise err

    def set_rel_property(self, rel: int, name: Name, value: Any) -> None:
        """Set property ``name`` of relationship ``rel`` to the typed
        ``value`` (as :meth:`set_property`; ``None`` removes it)."""
        v, _keep = value_in(value)
        check(lib.kvg_rel_set_property_value(self._e, node_id(rel, "relationship id"), _name(name, "property name"), v))

    def get_rel_property(self, rel: int, name: Name) -> Any:
        """Property ``name`` of relationship ``rel``, or ``None`` if unset."""
        out = _new("kvg_value *")
        data = _new("kvg_bytes *")
        status = lib.kvg_rel_get_property_value(self._e, node_id(rel, "relationship id"), _name(name, "property name"), out, data)
        if status == KVG_NOT_FOUND:
            return None
        check(status)
        return value_out(out, data)

    def remove_rel_property(self, rel: int, name: Name) -> None:
        """Remove property ``name`` of relationship ``rel`` (a no-op if unset)."""
        self.set_rel_property(rel, name, None)

    # -- relationships by id -----------------------------------------------

    def create_relationship(self, src: int, dst: int, type: Optional[Name] = None, weight: float = 1.0) -> int:
        """Create a new relationship ``src -> dst`` of ``type`` with
        ``weight`` (another one even if the two nodes are joined by one of
        that type already, unlike :meth:`add_edge`); return its id.

        Raises:
            NotFoundError: ``src`` or ``dst`` is not a node.
            InvalidArgumentError: ``weight`` is NaN.
        """
        s, d = node_id(src, "src"), node_id(dst, "dst")
        out = _new("uint64_t *")
        check(lib.kvg_rel_create(self._e, s, d, _name(type, "relationship type"), number(weight, "weight"), out))
        return int(out[0])

    def remove_relationship(self, rel: int) -> None:
        """Remove relationship ``rel`` and its properties.

        Raises:
            NotFoundError: no such relationship.
        """
        check(lib.kvg_rel_remove(self._e, node_id(rel, "relationship id")))

    def relationship(self, rel: int) -> Optional[Relationship]:
        """Relationship ``rel`` as it is now (``.id``, ``.type`` (``""``
        for none), ``.start``, ``.end``, ``.weight``, ``.properties``), or
        ``None`` if there is no such relationship. Its fields and its
        properties are read by two calls, not at one version."""
        r = node_id(rel, "relationship id")
        out = _new("kvg_rel *")
        status = lib.kvg_rel_get(self._e, r, out)
        if status == KVG_NOT_FOUND:
            return None
        check(status)
        start, end, weight = int(out.src), int(out.dst), float(out.weight)
        type_name = _take(ffi.addressof(out, "rel_type")).decode("utf-8")
        props_out = _new("kvg_value *")
        data = _new("kvg_bytes *")
        status = lib.kvg_rel_properties(self._e, r, props_out, data)
        if status == KVG_NOT_FOUND:  # removed meanwhile
            return None
        check(status)
        props: Dict[str, Any] = value_out(props_out, data)
        return Relationship(r, type_name, start, end, props, weight)

    def batch(self) -> Batch:
        """A batch of writes that commits atomically (see :class:`Batch`):
        ``with db.graph.batch() as b: ...`` commits on normal exit and
        aborts if the block raises."""
        out = _new("kvg_batch **")
        check(lib.kvg_batch_open(self._e, out))
        return Batch(self._engine, out[0])

    # -- labels -------------------------------------------------------------

    def add_label(self, node: int, label: Name) -> bool:
        """Give ``node`` the label ``label``; ``False`` if it had it already.

        Raises:
            NotFoundError: no such node.
            InvalidArgumentError: an empty label.
        """
        out = _new("bool *")
        check(lib.kvg_node_add_label(self._e, node_id(node), _name(label, "label"), out))
        return bool(out[0])

    def remove_label(self, node: int, label: Name) -> bool:
        """Take the label ``label`` from ``node``; ``False`` if it lacked it.

        Raises:
            NotFoundError: no such node.
        """
        out = _new("bool *")
        check(lib.kvg_node_remove_label(self._e, node_id(node), _name(label, "label"), out))
        return bool(out[0])

    def has_label(self, node: int, label: Name) -> bool:
        """Whether ``node`` has the label ``label``.

        Raises:
            NotFoundError: no such node.
        """
        out = _new("bool *")
        check(lib.kvg_node_has_label(self._e, node_id(node), _name(label, "label"), out))
        return bool(out[0])

    def labels(self, node: int) -> List[str]:
        """The labels of ``node``, in name order (``[]`` for none).

        Raises:
            NotFoundError: no such node.
        """
        out = _new("kvg_bytes *")
        check(lib.kvg_node_labels(self._e, node_id(node), out))
        return names_out(_take(out))

    # -- indexes ------------------------------------------------------------

    def create_index(self, label: Name, property: Name) -> bool:
        """Index property ``property`` of the nodes labelled ``label``
        (built from the existing nodes, maintained by every write after);
        ``False`` if that index existed. It answers snapshots taken after
        this returns, and :meth:`find_nodes`.

        Raises:
            InvalidArgumentError: an empty label or property name.
        """
        out = _new("bool *")
        check(lib.kvg_index_create(self._e, _name(label, "label"), _name(property, "property name"), out))
        return bool(out[0])

    def drop_index(self, label: Name, property: Name) -> bool:
        """Drop the index on (``label``, ``property``); ``False`` if there was none."""
        out = _new("bool *")
        check(lib.kvg_index_drop(self._e, _name(label, "label"), _name(property, "property name"), out))
        return bool(out[0])

    def indexes(self) -> List[Tuple[str, str]]:
        """The declared indexes as ``(label, property)`` pairs, in creation order."""
        out = _new("kvg_bytes *")
        check(lib.kvg_index_list(self._e, out))
        flat = names_out(_take(out))
        return list(zip(flat[0::2], flat[1::2]))

    def find_nodes(self, label: Optional[Name] = None, **properties: Any) -> List[int]:
        """Ids (increasing) of the nodes labelled ``label`` (any node if
        ``None``) whose properties equal ``properties``, as of now (one
        snapshot): ``find_nodes("Person", name="Ada")``.

        Equality is openCypher's: numbers by numeric value (``36 == 36.0``),
        never across kinds (``True`` is not ``1``, ``"1"`` is not ``b"1"``);
        ``None`` and NaN match nothing. Uses an index on (``label``, one of
        the properties) when there is one (:meth:`create_index`), else the
        label index, else every node.
        """
        with self.snapshot() as s:
            return s.find_nodes(label, **properties)

    def set_property_many(self, nodes: IdsLike, name: Name, values: Any) -> None:
        """Set property ``name`` of ``nodes[i]`` to ``values[i]`` in one
        call into the library (``kvg_nodes_set_property``). ``nodes`` is a
        sequence of ids (or a numpy / pyarrow array); ``values`` a column of
        bytes/str (list, numpy array, pyarrow array). A node given twice
        ends with its last value.

        Raises:
            NotFoundError: an id is not a node; nothing was written.
            InvalidArgumentError: ``nodes`` and ``values`` differ in length.
        """
        ids, n = u64_in(nodes, "nodes")
        nm = _name(name, "property name")
        blob, lens, m = packed(_text_column(values), "value")
        if m != n:
            raise InvalidArgumentError(f"set_property_many: {n} nodes but {m} values")
        check(lib.kvg_nodes_set_property(self._e, ids, n, nm, blob, lens))

    def get_property_many(self, nodes: IdsLike, name: Name, *, output: Output = "list") -> Any:
        """Property ``name`` of each of ``nodes`` in one call into the
        library (``kvg_nodes_get_property``): a list in the order of
        ``nodes``, with ``None`` where the property is unset or the id is not
        a node (unlike :meth:`get_property`, an unknown id does not raise);
        with ``output="arrow"`` a ``pyarrow.LargeBinaryArray`` with nulls."""
        ids, n = u64_in(nodes, "nodes")
        nm = _name(name, "property name")
        lens = _new("size_t[]", max(n, 1))
        out = _new("kvg_bytes *")
        check(lib.kvg_nodes_get_property(self._e, ids, n, nm, out, lens))
        return unpacked(_take(out), memoryview(ffi.buffer(lens)).cast("Q")[:n].tolist(), output)

    def node_label(self, node: int) -> str:
        """The label of ``node`` (``""`` if it has none).

        Raises:
            NotFoundError: no such node.
        """
        out = _new("kvg_bytes *")
        check(lib.kvg_node_label(self._e, node_id(node), out))
        return _take(out).decode("utf-8")

    def add_edge(self, src: int, dst: int, type: Optional[Name] = None, weight: float = 1.0) -> None:
        """Add the edge ``src -> dst`` of ``type`` with ``weight``, or update
        the weight of that edge if it exists.

        Raises:
            NotFoundError: ``src`` or ``dst`` is not a node.
            InvalidArgumentError: ``weight`` is NaN.
        """
        s, d = node_id(src, "src"), node_id(dst, "dst")
        check(lib.kvg_edge_add(self._e, s, d, _name(type, "edge type"), number(weight, "weight")))

    def remove_edge(self, src: int, dst: int, type: Optional[Name] = None) -> None:
        """Remove the edge ``src -> dst`` of ``type``.

        Raises:
            NotFoundError: no such edge.
        """
        s, d = node_id(src, "src"), node_id(dst, "dst")
        check(lib.kvg_edge_remove(self._e, s, d, _name(type, "edge type")))

    def load_edges(
        self,
        src: Any,
        dst: Optional[IdsLike] = None,
        weights: Optional[FloatsLike] = None,
        type: Optional[Name] = None,
        *,
        progress: Optional[bool] = None,
    ) -> None:
        """Bulk-load the edges ``src[i] -> dst[i]`` (weight ``weights[i]``,
        or 1.0) of one ``type``, building a new CSR base at once instead of
        inserting edge by edge. The load is atomic.

        ``src``, ``dst`` and ``weights`` may be numpy arrays (contiguous
        ``uint64``/``float64`` ones are passed without copying), ``array.array``
        (typecodes ``'Q'``/``'d'``, likewise), pyarrow arrays, pandas Series
        or plain lists (converted in one pass). ``src`` may instead be a
        pandas DataFrame or pyarrow Table with columns ``src``, ``dst`` and
        optionally ``weight`` (``dst`` then omitted).

        A large load runs on a worker thread: Ctrl-C interrupts the wait
        (the load itself completes, atomically, see :mod:`kvgraph._long`),
        and a progress indicator appears after a second when stderr is a
        terminal or ``progress=True``.

        Raises:
            InvalidArgumentError: lengths differ, or a weight is NaN.
            NotFoundError: an id is not a node.
        """
        if dst is None:
            if not _is_table(src):
                raise TypeError("load_edges needs dst, unless src is a DataFrame or Table with src/dst columns")
            cols = _columns(src)
            missing = [c for c in ("src", "dst") if c not in cols]
            if missing:
                raise InvalidArgumentError(f"load_edges: the table has no column {missing[0]!r}")
            src, dst = cols["src"], cols["dst"]
            if weights is None:
                weights = cols.get("weight")
        ps, n = u64_in(src, "src")
        pd, nd = u64_in(dst, "dst")
        if nd != n:
            raise InvalidArgumentError(f"src and dst differ in length ({n} != {nd})")
        pw = ffi.NULL
        if weights is not None:
            pw, nw = f64_in(weights, "weights")
            if nw != n:
                raise InvalidArgumentError(f"weights and src differ in length ({nw} != {n})")
        t = _name(type, "edge type")
        e = self._e
        if n < LONG_EDGES:
            check(lib.kvg_edges_load(e, ps, pd, pw, n, t))
            return
        run_long(lambda: int(lib.kvg_edges_load(e, ps, pd, pw, n, t)), f"loading {n:,} edges", progress)

    def compact(self, *, progress: Optional[bool] = None) -> None:
        """Merge the delta into a new CSR base now (readers and writers carry
        on meanwhile). Runs as a long call (Ctrl-C interrupts the wait; the
        compaction completes)."""
        e = self._e
        run_long(lambda: int(lib.kvg_graph_compact(e)), "compacting", progress)

    def stats(self) -> "GraphStats":
        """Node, edge and delta counters, and compactions so far."""
        from ._engine import GraphStats

        out = _new("kvg_graph_stats *")
        check(lib.kvg_graph_get_stats(self._e, out))
        return GraphStats(int(out.nodes), int(out.edges), int(out.delta_edges), int(out.compactions))

    def snapshot(self) -> Snapshot:
        """A consistent, repeatable view of the graph as of now; use it as a
        context manager or :meth:`Snapshot.close` it."""
        out = _new("kvg_snapshot **")
        check(lib.kvg_snapshot_open(self._e, out))
        return Snapshot(self._engine, out[0])


def _range_ids(first: int, n: int) -> Any:
    """``uint64_t[n]`` holding ``first, first + 1, ...`` (numpy's arange
    when installed, else ``array.array`` over a ``range``)."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        from array import array

        return ffi.from_buffer("uint64_t[]", array("Q", range(first, first + n)))
    return ffi.from_buffer("uint64_t[]", np.arange(first, first + n, dtype=np.uint64))
