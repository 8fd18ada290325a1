"""Snapshots: consistent views of the graph, and the analytics kernels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ._convert import (
    U32_MAX,
    U64_MAX,
    DirectionLike,
    Name,
    Output,
    finish_out,
    integer,
    name,
    node_id,
    number,
    out_buffer,
    OUTPUTS,
)
from ._convert import direction as _direction
from ._errors import KVG_BUFFER_TOO_SMALL, KVG_NOT_FOUND, Error, InvalidArgumentError, NotFoundError
from ._handle import Handle
from ._lib import check, ffi, lib
from ._long import LONG_NODES, run_long
from ._value import value_in, value_out, values_equal

if TYPE_CHECKING:  # pragma: no cover
    from ._engine import Engine

__all__ = ["Snapshot"]


def names_out(raw: bytes) -> List[str]:
    """The names of a packed ``name\\0name\\0`` list (labels, index pairs)."""
    return [part.decode("utf-8") for part in raw.split(b"\0")[:-1]] if raw else []


def _take_bytes(out: Any) -> bytes:
    """Copy an owned ``kvg_bytes`` into Python and free it."""
    try:
        return ffi.buffer(out.data, out.len)[:] if out.len else b""
    finally:
        lib.kvg_bytes_free(out)

_SCRATCH_MAX = 1 << 20
"""Largest id buffer (in ids) a snapshot keeps for reuse."""
_new = ffi.new
_NULL = ffi.NULL
_neighbors = lib.kvg_snapshot_neighbors


def _scratch(cap: int) -> Tuple[Any, Any, memoryview]:
    """A scratch entry for id lists: a ``uint64_t[cap]`` buffer, a length
    out-pointer, and a ``memoryview`` of the buffer as ``'Q'`` (its
    ``tolist`` makes a list of ints faster than ``ffi.unpack``)."""
    buf = _new("uint64_t[]", max(cap, 1))
    return buf, _new("size_t *"), memoryview(ffi.buffer(buf)).cast("Q")


def _output(output: Optional[Output], as_numpy: bool) -> Output:
    if output is None:
        return "numpy" if as_numpy else "list"
    if output not in OUTPUTS:
        raise InvalidArgumentError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    return output


class Snapshot:
    """A consistent, repeatable view of the graph.

    Every write acknowledged before the snapshot was taken is visible in it,
    no later write is, and it answers the same way for as long as it lives.

    Kernel results are indexed by node id (``len == node_count()``): a list
    by default, or what ``output`` names: ``"numpy"``, ``"array"``
    (``array.array``), ``"arrow"`` (``pyarrow.Array``) or ``"pandas"``
    (``pandas.Series``); ``as_numpy=True`` is ``output="numpy"``. The
    library writes into that buffer directly. Removed nodes read -1 (bfs),
    ``math.inf`` (sssp), 0.0 (pagerank, lcc) and ``2**64 - 1`` (wcc, cdlp).

    Kernels on large snapshots run as long calls: Ctrl-C interrupts the
    wait (the kernel finishes on its own and its result is dropped), and a
    progress indicator appears after a second when stderr is a terminal or
    ``progress=True``.
    """

    def __init__(self, engine: "Engine", ptr: Any) -> None:
        if ptr == ffi.NULL:  # pragma: no cover - defensive
            raise Error("kvg_snapshot_open returned no snapshot")
        self._engine = engine
        self._h = Handle(ptr, lib.kvg_snapshot_close, "snapshot", engine._h)
        self._s = ptr
        self._node_count: Optional[int] = None
        # Scratch entries (see _scratch) for id lists (neighbors, k_hop):
        # taken and given back with list.pop/append (atomic), so threads
        # never share one.
        self._scratch: List[Any] = []

    def close(self) -> None:
        """Release the snapshot. Idempotent."""
        self._h.close()

    @property
    def closed(self) -> bool:
        """Whether the snapshot (or its engine) was closed."""
        return self._h.closed

    def __enter__(self) -> "Snapshot":
        """The snapshot itself; closed on exit.

        Raises:
            Error: the snapshot is closed.
        """
        if self._h.closed:
            raise Error("snapshot is closed")
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the snapshot."""
        self.close()

    def _u64(self, fn: Callable[[Any, Any], int]) -> int:
        out = _new("uint64_t *")
        check(fn(self._s, out))
        return int(out[0])

    def version(self) -> int:
        """The version of the graph this snapshot reads."""
        return self._u64(lib.kvg_snapshot_version)

    def node_count(self) -> int:
        """One more than the highest node id the snapshot knows (removed
        nodes included): the length of kernel results."""
        if self._node_count is None or self._h.closed:
            self._node_count = self._u64(lib.kvg_snapshot_node_count)
        return self._node_count

    def edge_count(self) -> int:
        """Number of live edges."""
        return self._u64(lib.kvg_snapshot_edge_count)

    def triangle_count(self, *, progress: Optional[bool] = None) -> int:
        """Number of triangles of the graph seen without direction."""
        out = _new("uint64_t *")
        s = self._s
        self._run(lambda: int(lib.kvg_snapshot_triangle_count(s, out)), "triangle count", progress)
        return int(out[0])

    # -- helpers ----------------------------------------------------------

    def _run(self, call: Callable[[], int], what: str, progress: Optional[bool]) -> None:
        if self.node_count() < LONG_NODES and not progress:
            check(call())
        else:
            run_long(call, what, progress)

    def _per_node(
        self,
        typecode: str,
        kernel: Callable[[Any, Any, int], int],
        what: str,
        output: Optional[Output],
        as_numpy: bool,
        progress: Optional[bool],
    ) -> Any:
        kind = _output(output, as_numpy)
        n = self.node_count()
        holder, ptr = out_buffer(typecode, n, kind)
        s = self._s
        cap = max(n, 1)
        self._run(lambda: kernel(s, ptr, cap), what, progress)
        ffi.release(ptr)  # the buffer's export ends here (array.array can shrink)
        return finish_out(holder, n, kind, what)

    def _id_list(self, call: Callable[[Any, Any, int, Any], int], first_cap: int, output: Optional[Output], as_numpy: bool) -> Any:
        """Run ``call(snapshot, buffer, cap, &len)`` into a pooled scratch
        buffer (grown on ``KVG_BUFFER_TOO_SMALL``) and copy the ids out."""
        kind = _output(output, as_numpy)
        scratch = self._scratch
        try:
            entry = scratch.pop()
        except IndexError:
            entry = _scratch(first_cap)
        if len(entry[0]) < first_cap:
            entry = _scratch(first_cap)
        while True:
            buf, out_len, ids = entry
            cap = len(buf)
            status = call(self._s, buf, cap, out_len)
            if status == KVG_BUFFER_TOO_SMALL:
                entry = _scratch(max(int(out_len[0]), cap * 2))
                continue
            check(status)
            n = int(out_len[0])
            if kind == "list":
                result = ids[:n].tolist()
            else:
                holder, ptr = out_buffer("Q", n, kind)
                ffi.memmove(ptr, buf, 8 * n)
                ffi.release(ptr)
                result = finish_out(holder, n, kind, "id")
            if len(buf) <= _SCRATCH_MAX and len(scratch) < 8:
                scratch.append(entry)
            return result

    # -- queries ----------------------------------------------------------

    def neighbors(
        self,
        node: int,
        direction: DirectionLike = "out",
        type: Optional[Name] = None,
        *,
        as_numpy: bool = False,
        output: Optional[Output] = None,
    ) -> Any:
        """Ids of the neighbours of ``node`` over its ``direction`` edges
        (``"out"``, ``"in"`` or ``"both"``), of ``type`` only unless ``None``.

        Raises:
            NotFoundError: no such node in this snapshot.
        """
        # The common arguments take no helper call (this is a per-call path).
        n = node if node.__class__ is int and 0 <= node <= U64_MAX else node_id(node)
        d = 0 if direction == "out" else _direction(direction)
        t = _NULL if type is None else name(type, "edge type")
        fn = _neighbors
        if output is None and not as_numpy:  # the common case, inlined
            scratch = self._scratch
            try:
                entry = scratch.pop()
            except IndexError:
                entry = _scratch(256)
            buf, out_len, ids = entry
            status = fn(self._s, n, d, t, buf, len(buf), out_len)
            if not status:
                result = ids[: out_len[0]].tolist()
                scratch.append(entry)
                return result
            scratch.append(entry)
            if status != KVG_BUFFER_TOO_SMALL:
                check(status)
        return self._id_list(lambda s, p, cap, ol: int(fn(s, n, d, t, p, cap, ol)), 256, output, as_numpy)

    def relationships(
        self,
        node: int,
        direction: DirectionLike = "out",
        type: Optional[Name] = None,
        *,
        as_numpy: bool = False,
        output: Optional[Output] = None,
    ) -> Any:
        """Ids of the relationships at ``node`` in ``direction`` (``"out"``,
        ``"in"`` or ``"both"``: out-relationships first), of ``type`` only
        unless ``None``; one per relationship, parallel ones included (a
        self-loop appears twice for ``"both"``).

        Raises:
            NotFoundError: no such node in this snapshot.
        """
        n = node_id(node)
        d = _direction(direction)
        t = _NULL if type is None else name(type, "relationship type")
        fn = lib.kvg_snapshot_relationships
        return self._id_list(lambda s, p, cap, ol: int(fn(s, n, d, t, p, cap, ol)), 16, output, as_numpy)

    def k_hop(self, source: int, k: int, *, as_numpy: bool = False, output: Optional[Output] = None) -> Any:
        """Sorted ids of the nodes reachable from ``source`` in 1 to ``k``
        hops over out-edges (``source`` itself excluded)."""
        n = node_id(source, "source")
        hops = integer(k, "k", 0, U32_MAX)
        fn = lib.kvg_snapshot_k_hop
        # A result holds at most node_count() - 1 ids: a buffer that size
        # never needs a second (recomputing) call; pooled, it is allocated
        # once per thread (up to _SCRATCH_MAX ids).
        return self._id_list(
            lambda s, p, cap, ol: int(fn(s, n, hops, p, cap, ol)), min(self.node_count(), _SCRATCH_MAX), output, as_numpy
        )

    def bfs(self, source: int, *, as_numpy: bool = False, output: Optional[Output] = None, progress: Optional[bool] = None) -> Any:
        """Depth in hops of every node from ``source`` over out-edges; -1 if
        unreachable (``list[int]`` by default)."""
        n = node_id(source, "source")
        return self._per_node("q", lambda s, p, cap: int(lib.kvg_snapshot_bfs(s, n, p, cap)), "bfs", output, as_numpy, progress)

    def sssp(self, source: int, *, as_numpy: bool = False, output: Optional[Output] = None, progress: Optional[bool] = None) -> Any:
        """Shortest-path distance (sum of weights, Dijkstra) of every node
        from ``source``; ``math.inf`` if unreachable (``list[float]``)."""
        n = node_id(source, "source")
        return self._per_node("d", lambda s, p, cap: int(lib.kvg_snapshot_sssp(s, n, p, cap)), "sssp", output, as_numpy, progress)

    def pagerank(
        self,
        damping: float = 0.85,
        iterations: int = 20,
        *,
        as_numpy: bool = False,
        output: Optional[Output] = None,
        progress: Optional[bool] = None,
    ) -> Any:
        """PageRank of every node (Graphalytics definition: fixed
        ``iterations``, dangling mass spread evenly) (``list[float]``)."""
        dmp = number(damping, "damping")
        it = integer(iterations, "iterations", 0, U32_MAX)
        return self._per_node(
            "d", lambda s, p, cap: int(lib.kvg_snapshot_pagerank(s, dmp, it, p, cap)), "pagerank", output, as_numpy, progress
        )

    def wcc(self, *, as_numpy: bool = False, output: Optional[Output] = None, progress: Optional[bool] = None) -> Any:
        """Weakly connected component of every node, named by the smallest
        node id in it (``list[int]``)."""
        return self._per_node("Q", lambda s, p, cap: int(lib.kvg_snapshot_wcc(s, p, cap)), "wcc", output, as_numpy, progress)

    def cdlp(
        self, iterations: int = 10, *, as_numpy: bool = False, output: Optional[Output] = None, progress: Optional[bool] = None
    ) -> Any:
        """Community label of every node by label propagation (Graphalytics
        CDLP, ties to the smallest label) (``list[int]``)."""
        it = integer(iterations, "iterations", 0, U32_MAX)
        return self._per_node("Q", lambda s, p, cap: int(lib.kvg_snapshot_cdlp(s, it, p, cap)), "cdlp", output, as_numpy, progress)

    def lcc(self, *, as_numpy: bool = False, output: Optional[Output] = None, progress: Optional[bool] = None) -> Any:
        """Local clustering coefficient of every node (Graphalytics LCC)
        (``list[float]``)."""
        return self._per_node("d", lambda s, p, cap: int(lib.kvg_snapshot_lcc(s, p, cap)), "lcc", output, as_numpy, progress)

    # -- labels, properties, indexes (as of the snapshot) ---------------------

    def labels(self, node: int) -> List[str]:
        """The labels of ``node`` as of the snapshot, in name order.

        Raises:
            NotFoundError: ``node`` is not a node of the snapshot.
        """
        out = _new("kvg_bytes *")
        check(lib.kvg_snapshot_node_labels(self._s, node_id(node), out))
        return names_out(_take_bytes(out))

    def has_label(self, node: int, label: Name) -> bool:
        """Whether ``node`` has ``label`` as of the snapshot.

        Raises:
            NotFoundError: ``node`` is not a node of the snapshot.
        """
        if not isinstance(label, (str, bytes)):
            raise TypeError(f"label must be str, not {label.__class__.__name__}")
        wanted = label if isinstance(label, str) else label.decode("utf-8")
        return wanted in self.labels(node)

    def nodes_with_label(self, label: Name, *, as_numpy: bool = False, output: Optional[Output] = None) -> Any:
        """Ids (increasing) of the nodes labelled ``label``, from the label
        index (no scan)."""
        lbl = name(label, "label")
        fn = lib.kvg_snapshot_nodes_with_label
        return self._id_list(lambda s, p, cap, ol: int(fn(s, lbl, p, cap, ol)), 256, output, as_numpy)

    def get_property(self, node: int, prop: Name) -> Any:
        """Property ``prop`` of ``node`` as of the snapshot (its Python
        value), or ``None`` if unset there.

        Raises:
            NotFoundError: ``node`` is not a node of the snapshot.
        """
        n = node_id(node)
        out, data = _new("kvg_value *"), _new("kvg_bytes *")
        status = lib.kvg_snapshot_node_property_value(self._s, n, name(prop, "property name"), out, data)
        if status == KVG_NOT_FOUND:
            self.labels(n)  # raises NotFoundError if n is not a node
            return None
        check(status)
        return value_out(out, data)

    def get_rel_property(self, rel: int, prop: Name) -> Any:
        """Property ``prop`` of relationship ``rel`` as of the snapshot, or
        ``None`` if unset there."""
        out, data = _new("kvg_value *"), _new("kvg_bytes *")
        status = lib.kvg_snapshot_rel_property_value(self._s, node_id(rel, "relationship id"), name(prop, "property name"), out, data)
        if status == KVG_NOT_FOUND:
            return None
        check(status)
        return value_out(out, data)

    def index_lookup(
        self, label: Name, prop: Name, value: Any, *, as_numpy: bool = False, output: Optional[Output] = None
    ) -> Any:
        """Ids (increasing) of the nodes labelled ``label`` whose ``prop``
        equals ``value`` (numbers by numeric value; ``None`` and NaN match
        nothing), through the index on (``label``, ``prop``).

        Raises:
            NotFoundError: there is no such index.
            InvalidArgumentError: the index is newer than the snapshot.
        """
        lbl, nm = name(label, "label"), name(prop, "property name")
        v, keep = value_in(value)
        fn = lib.kvg_snapshot_index_lookup

        def call(s: Any, p: Any, cap: int, ol: Any) -> int:
            _ = keep  # the value's bytes live as long as the call
            return int(fn(s, lbl, nm, v, p, cap, ol))

        return self._id_list(call, 256, output, as_numpy)

    def index_range(
        self,
        label: Name,
        prop: Name,
        lower: Any = None,
        upper: Any = None,
        *,
        lower_inclusive: bool = True,
        upper_inclusive: bool = False,
        as_numpy: bool = False,
        output: Optional[Output] = None,
    ) -> Any:
        """Ids (increasing) of the nodes labelled ``label`` whose ``prop``
        lies between ``lower`` and ``upper`` (``None``: unbounded; by
        default ``lower <= value < upper``), through the index on
        (``label``, ``prop``). Only values of the bounds' kind match
        (numbers for number bounds, strings for string bounds), NaN never;
        two ``None`` bounds give every node with the property.

        Raises:
            NotFoundError: there is no such index.
            InvalidArgumentError: the index is newer than the snapshot.
        """
        lbl, nm = name(label, "label"), name(prop, "property name")
        lo, lo_keep = value_in(lower) if lower is not None else (_NULL, None)
        hi, hi_keep = value_in(upper) if upper is not None else (_NULL, None)
        li, ui = bool(lower_inclusive), bool(upper_inclusive)
        fn = lib.kvg_snapshot_index_range

        def call(s: Any, p: Any, cap: int, ol: Any) -> int:
            _ = (lo_keep, hi_keep)
            return int(fn(s, lbl, nm, lo, li, hi, ui, p, cap, ol))

        return self._id_list(call, 256, output, as_numpy)

    def find_nodes(self, label: Optional[Name] = None, **properties: Any) -> List[int]:
        """Ids (increasing) of the nodes labelled ``label`` (any node if
        ``None``) whose properties equal ``properties`` in this snapshot
        (equality as :meth:`index_lookup`). Uses an index on (``label``,
        one of the properties) when the snapshot has one, else the label
        index, else every node id."""
        candidates: Optional[List[int]] = None
        rest: Dict[str, Any] = dict(properties)
        if label is not None:
            for prop, value in properties.items():
                try:
                    candidates = self.index_lookup(label, prop, value)
                except (NotFoundError, InvalidArgumentError):
                    continue  # no index on it, or one newer than the snapshot
                del rest[prop]
                break
            if candidates is None:
                candidates = self.nodes_with_label(label)
        if candidates is None:
            candidates = []
            for n in range(self.node_count()):
                out = _new("kvg_bytes *")
                if lib.kvg_snapshot_node_labels(self._s, n, out) == 0:
                    lib.kvg_bytes_free(out)
                    candidates.append(n)
        if not rest:
            return candidates
        return [n for n in candidates if all(values_equal(self.get_property(n, p), v) for p, v in rest.items())]

    def __repr__(self) -> str:
        """``<kvgraph.Snapshot open>`` or ``<kvgraph.Snapshot closed>``."""
        return f"<kvgraph.Snapshot {'closed' if self.closed else 'open'}>"

