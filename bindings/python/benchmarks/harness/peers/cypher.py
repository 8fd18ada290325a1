"""What a peer of the cypher family implements (:class:`CypherRows`), and
:class:`CypherSystem`, which implements all of it with the texts of
:mod:`harness.queries` for a system that speaks openCypher: such a peer
only says how to open a graph, send a query and read a value."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .. import queries as Q
from ..data import GraphData, People

Rows = List[List[Any]]
"""A query's rows."""
ROWS = ("seed", "fof", "agg", "load", "lookup", "twohop")
"""The family's rows, in the order a worker runs them (``cypher_<name>`` in the JSON)."""


class CypherRows:
    """The rows of the cypher family for one peer; a method left
    unimplemented (``NotImplementedError``) is a row the peer cannot answer."""

    rows: Tuple[str, ...] = ()
    """The rows of :data:`ROWS` it answers (``seed`` and ``load`` need Cypher)."""
    notes: Dict[str, str] = {}
    """What the peer ran, per row (``seed``, ``load``, ``lookup``, ``twohop``, ``agg``, ``fof``)."""

    def __init__(self, g: GraphData, args: argparse.Namespace) -> None:
        self.g = g
        self.args = args

    def load(self, p: People) -> Any:
        """A graph of the persons and friendships of ``p``, from empty."""
        raise NotImplementedError

    def counts(self, state: Any) -> Dict[str, int]:
        """Persons and friendships in ``state``."""
        raise NotImplementedError

    def index_names(self, state: Any) -> None:
        """Makes the lookups by name indexed (untimed)."""

    def lookup(self, state: Any, names: List[str]) -> List[Any]:
        """The age of each named person, one query per name."""
        raise NotImplementedError

    def twohop(self, state: Any, ids: List[int]) -> List[int]:
        """Distinct persons two FRIEND hops from each id, one query per id."""
        raise NotImplementedError

    def agg_load(self, p: People) -> Any:
        """A graph of the persons of ``p`` (no friendships) for the aggregation."""
        return self.load(p)

    def agg(self, state: Any) -> List[List[int]]:
        """``[age % 10, count]`` pairs, by group."""
        raise NotImplementedError

    kernels: Optional[type] = None
    """A :class:`harness.peers.kernels.Kernels` whose ``fof_load``/``fof`` answer the FoF row, if any."""

    def fof_load(self) -> Any:
        """The social graph of the graph family (``GraphData``), indexed by name."""
        if self.kernels is None:
            raise NotImplementedError
        self._fof_kernels = self.kernels(self.g, self.args, {})
        return self._fof_kernels.fof_load()

    def fof(self, state: Any, name: str) -> List[str]:
        """Names of the friends of friends of ``name`` who are not friends."""
        return self._fof_kernels.fof(state, name)  # type: ignore[no-any-return]

    def seed(self, state: Any, times: int) -> List[Dict[str, Any]]:
        """Runs the seed query ``times`` times; the last answer's three values."""
        raise NotImplementedError

    def open(self, seed: bool = False) -> Any:
        """An empty graph (``seed``: with the schema the seed query needs)."""
        raise NotImplementedError

    def free(self, state: Any) -> None:
        """Releases a graph."""


def group_counts(ages: Iterable[int]) -> List[List[int]]:
    """``[age % 10, count]`` pairs in group order: the aggregation's answer outside Cypher."""
    return [[g, c] for g, c in sorted(Counter(a % 10 for a in ages).items())]


class CypherSystem(CypherRows):
    """A peer that answers every row with the texts of :mod:`harness.queries`."""

    rows = ROWS
    how = "a query call"
    """How a query is sent (for the notes)."""
    id_how = "`CREATE INDEX` on :Person(id) first"
    """How the load's ``MATCH (a:Person {id: r.a})`` finds persons (for the notes)."""
    name_how = "`CREATE INDEX` on :Person(name)"
    """How lookups by name are indexed (for the notes)."""
    load_how = "the two `UNWIND` texts in batches of {batch:,}"
    """How persons and friendships are loaded (for the notes; ``{batch}``: ``--cypher-batch``)."""

    def __init__(self, g: GraphData, args: argparse.Namespace) -> None:
        super().__init__(g, args)
        load = self.load_how.format(batch=args.cypher_batch)
        self.notes = {
            "seed": f"{self.how}, {args.cypher_queries:,} queries timed together, time per query",
            "load": f"{self.id_how}, then {load}, {self.how}",
            "lookup": f"{self.name_how}; one query per name, {self.how}",
            "twohop": f"one query per start id, {self.how}",
            "agg": f"one query, {self.how}; persons loaded before timing ({load})",
            "fof": f"{self.how}; data loaded by {load}, then {self.name_how}",
        }

    def run(self, state: Any, text: str, params: Optional[Dict[str, Any]] = None) -> Rows:
        """The rows of one query."""
        raise NotImplementedError

    def prepare(self, state: Any, text: str) -> Callable[[Dict[str, Any]], Rows]:
        """A function running ``text`` with parameters (a prepared statement where the system has them)."""
        return lambda params: self.run(state, text, params)

    def index(self, state: Any, prop: str) -> None:
        """An index on ``:Person(prop)``, ready for queries."""
        self.run(state, Q.create_index(prop))

    def entity(self, value: Any) -> Dict[str, Any]:
        """A returned node as ``{"labels", "name"}``, a relationship as ``{"type"}``."""
        raise NotImplementedError

    def _batches(self, state: Any, text: str, key: str, rows: List[Dict[str, Any]]) -> None:
        b = self.args.cypher_batch
        for i in range(0, len(rows), b):
            self.run(state, text, {key: rows[i : i + b]})

    def load(self, p: People) -> Any:
        state = self.open()
        self.index(state, "id")
        self._batches(state, Q.CREATE_PERSONS, "rows", p.rows)
        self._batches(state, Q.CREATE_FRIENDS, "rels", p.rels)
        return state

    def counts(self, state: Any) -> Dict[str, int]:
        return {"persons": int(self.run(state, Q.COUNT_PERSONS)[0][0]),
                "friendships": int(self.run(state, Q.COUNT_FRIENDS)[0][0])}

    def index_names(self, state: Any) -> None:
        self.index(state, "name")

    def lookup(self, state: Any, names: List[str]) -> List[Any]:
        q = self.prepare(state, Q.LOOKUP)
        return [q({"name": name})[0][0] for name in names]

    def twohop(self, state: Any, ids: List[int]) -> List[int]:
        q = self.prepare(state, Q.TWO_HOP)
        return [int(q({"id": i})[0][0]) for i in ids]

    def agg_load(self, p: People) -> Any:
        state = self.open()
        self._batches(state, Q.CREATE_PERSONS, "rows", p.rows)
        return state

    def agg(self, state: Any) -> List[List[int]]:
        return [[int(g), int(c)] for g, c in self.run(state, Q.AGG)]

    def fof_load(self) -> Any:
        state = self.load(People(self.g.persons, self.g.fsrc, self.g.fdst))
        self.index_names(state)
        return state

    def fof(self, state: Any, name: str) -> List[str]:
        return [r[0] for r in self.run(state, Q.FOF, {"name": name})]

    def seed(self, state: Any, times: int) -> List[Dict[str, Any]]:
        rows: Rows = []
        for _ in range(times):
            rows = self.run(state, Q.SEED)
        return [self.entity(v) for v in rows[0]]
