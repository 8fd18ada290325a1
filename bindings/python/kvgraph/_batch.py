"""Atomic write batches (``db.graph.batch()``) over ``kvg_batch_*``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._convert import Name, node_id, number
from ._convert import name as _name
from ._errors import Error
from ._handle import Handle
from ._lib import check, ffi, lib
from ._value import properties_in, value_in

if TYPE_CHECKING:  # pragma: no cover
    from ._engine import Engine

__all__ = ["Batch"]

_new = ffi.new


class _End:
    """How a batch's handle is released: committed or aborted (the closer
    of its :class:`Handle`), and the status that call returned."""

    __slots__ = ("commit", "status")

    def __init__(self) -> None:
        self.commit = False
        self.status: Optional[int] = None

    def __call__(self, ptr: Any) -> None:
        end = lib.kvg_batch_commit if self.commit else lib.kvg_batch_abort
        self.status = int(end(ptr))


class Batch:
    """A batch of graph writes that commits atomically: every snapshot sees
    all of it or none of it (``db.graph.batch()``).

    Use it as a context manager: it commits on normal exit and aborts when
    the block raises::

        with db.graph.batch() as b:
            b.add_edge(a, c, "KNOWS")
            r = b.create_relationship(a, c, "LIKES", weight=2.0)
            b.set_rel_property(r, "since", 2020)
            b.add_label(a, "Admin")
            b.set_property(a, "age", 42)

    Its writes are invisible to everyone else until the commit; a single
    write (outside the batch) to a label or property it writes raises
    :class:`kvgraph.ConflictError` meanwhile. A call that raises records
    nothing in the batch, which stays usable. Closing the engine aborts the
    batches still open. Errors as the :class:`Graph` calls of the same
    names; any call on a committed or aborted batch raises
    :class:`kvgraph.InvalidArgumentError`.
    """

    __slots__ = ("_h", "_b", "_end")

    def __init__(self, engine: "Engine", ptr: Any) -> None:
        if ptr == ffi.NULL:  # pragma: no cover - defensive
            raise Error("kvg_batch_open returned no batch")
        self._end = _End()
        self._h = Handle(ptr, self._end, "batch", engine._h)
        self._b = ptr

    @property
    def closed(self) -> bool:
        """Whether the batch was committed or aborted (or its engine closed)."""
        return self._h.closed

    def __enter__(self) -> "Batch":
        """The batch itself: committed on normal exit, aborted on an exception.

        Raises:
            Error: the batch is closed.
        """
        if self._h.closed:
            raise Error("batch is committed or aborted")
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Commit the batch, or abort it if the block raised."""
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def commit(self) -> None:
        """Publish every write at one version, or none of them; the batch is
        closed whatever the outcome.

        Raises:
            NotFoundError: a write no longer applies (a node removed
                meanwhile, an edge to remove that is gone); nothing was written.
            InvalidArgumentError: the batch is closed.
        """
        if self._h.closed:
            raise Error("batch is committed or aborted")
        self._end.commit = True
        self._h.close()
        status = self._end.status
        if status is None:  # pragma: no cover - closed by another thread meanwhile
            raise Error("batch is committed or aborted")
        check(status)

    def abort(self) -> None:
        """Drop every write of the batch. Idempotent."""
        self._h.close()

    def add_node(self, label: Optional[Name] = None, **properties: Any) -> int:
        """:meth:`Graph.add_node` within the batch: the id is known now
        (later calls of the batch may use it), the node appears at commit,
        and an aborted batch leaves the id unused."""
        lbl = _name(label, "label")
        props = properties_in(properties)
        out = _new("uint64_t *")
        check(lib.kvg_batch_add_node(self._b, lbl, out))
        node = int(out[0])
        for nm, (value, _keep) in props:
            check(lib.kvg_batch_set_property(self._b, node, nm, value))
        return node

    def remove_node(self, node: int) -> None:
        """:meth:`Graph.remove_node` within the batch (also of one the batch
        created): the node goes at commit with its relationships as the
        batch sees them; the commit raises :class:`kvgraph.ConflictError` if
        another writer gave it a relationship meanwhile."""
        check(lib.kvg_batch_remove_node(self._b, node_id(node)))

    def add_edge(self, src: int, dst: int, type: Optional[Name] = None, weight: float = 1.0) -> None:
        """:meth:`Graph.add_edge` within the batch."""
        s, d = node_id(src, "src"), node_id(dst, "dst")
        check(lib.kvg_batch_add_edge(self._b, s, d, _name(type, "edge type"), number(weight, "weight")))

    def remove_edge(self, src: int, dst: int, type: Optional[Name] = None) -> None:
        """:meth:`Graph.remove_edge` within the batch (the commit fails if
        the edge is gone by then)."""
        s, d = node_id(src, "src"), node_id(dst, "dst")
        check(lib.kvg_batch_remove_edge(self._b, s, d, _name(type, "edge type")))

    def create_relationship(self, src: int, dst: int, type: Optional[Name] = None, weight: float = 1.0) -> int:
        """:meth:`Graph.create_relationship` within the batch; the id is
        known now (later calls of the batch may use it)."""
        s, d = node_id(src, "src"), node_id(dst, "dst")
        out = _new("uint64_t *")
        check(lib.kvg_batch_create_rel(self._b, s, d, _name(type, "relationship type"), number(weight, "weight"), out))
        return int(out[0])

    def remove_relationship(self, rel: int) -> None:
        """:meth:`Graph.remove_relationship` within the batch (also of one
        the batch created)."""
        check(lib.kvg_batch_remove_rel(self._b, node_id(rel, "relationship id")))

    def add_label(self, node: int, label: Name) -> bool:
        """:meth:`Graph.add_label` within the batch; ``False`` if the node
        had the label already."""
        out = _new("bool *")
        check(lib.kvg_batch_add_label(self._b, node_id(node), _name(label, "label"), out))
        return bool(out[0])

    def remove_label(self, node: int, label: Name) -> bool:
        """:meth:`Graph.remove_label` within the batch; ``False`` if the
        node lacked the label."""
        out = _new("bool *")
        check(lib.kvg_batch_remove_label(self._b, node_id(node), _name(label, "label"), out))
        return bool(out[0])

    def set_property(self, node: int, name: Name, value: Any) -> None:
        """:meth:`Graph.set_property` within the batch (``None`` removes it)."""
        n = node_id(node)
        nm = _name(name, "property name")
        v, _keep = value_in(value)
        check(lib.kvg_batch_set_property(self._b, n, nm, v))

    def remove_property(self, node: int, name: Name) -> bool:
        """:meth:`Graph.remove_property` within the batch; ``False`` if it
        was not set."""
        out = _new("bool *")
        check(lib.kvg_batch_remove_property(self._b, node_id(node), _name(name, "property name"), out))
        return bool(out[0])

    def set_rel_property(self, rel: int, name: Name, value: Any) -> None:
        """:meth:`Graph.set_rel_property` within the batch, also of a
        relationship the batch created."""
        r = node_id(rel, "relationship id")
        nm = _name(name, "property name")
        v, _keep = value_in(value)
        check(lib.kvg_batch_set_rel_property(self._b, r, nm, v))

    def remove_rel_property(self, rel: int, name: Name) -> bool:
        """Remove property ``name`` of relationship ``rel`` within the
        batch; ``False`` if it was not set."""
        out = _new("bool *")
        check(lib.kvg_batch_remove_rel_property(self._b, node_id(rel, "relationship id"), _name(name, "property name"), out))
        return bool(out[0])
