"""What a graph peer implements: the :class:`Kernels` interface."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Tuple

from ..data import GraphData, warm_edges
from ..timing import components, top_k


class Kernels:
    """What each system implements; ``None`` marks a kernel it lacks."""

    threads = "1"
    pagerank_note = "20 iterations"
    load_note = "from the numpy edge arrays"
    fof_load_note = "from the numpy arrays and the name list"
    notes: Dict[str, str] = {}

    def __init__(self, g: GraphData, args: argparse.Namespace, ref: Dict[str, Any]) -> None:
        self.g = g
        self.args = args
        self.ref = ref

    # graph
    def load(self, full: bool) -> Any:
        """The R-MAT graph (``full``) or its warm-up sample, from empty."""
        raise NotImplementedError

    def edges(self, full: bool) -> Tuple[Any, Any]:
        g = self.g
        if full:
            return g.src, g.dst
        k = warm_edges(g.src.size)
        return g.src[:k], g.dst[:k]

    def free(self, state: Any) -> None:
        pass

    def counts(self, state: Any) -> Dict[str, int]:
        raise NotImplementedError

    def bfs(self, state: Any, source: int) -> Any:
        raise NotImplementedError

    def bfs_check(self, result: Any) -> Any:
        raise NotImplementedError

    def pagerank(self, state: Any) -> Any:
        raise NotImplementedError

    def pagerank_check(self, result: Any) -> Any:
        return {"top": top_k(result)}

    def wcc(self, state: Any) -> Any:
        raise NotImplementedError

    def wcc_check(self, result: Any) -> Any:
        return components(result)

    def twohop(self, state: Any, nodes: List[int]) -> List[int]:
        raise NotImplementedError

    # friends of friends
    def fof_load(self) -> Any:
        raise NotImplementedError

    def fof_counts(self, state: Any) -> Dict[str, int]:
        raise NotImplementedError

    def fof(self, state: Any, name: str) -> Any:
        raise NotImplementedError


def pair_loads(build: Callable[[int, List[Tuple[int, int]]], Any], counts: Callable[[Any], Dict[str, int]],
               g: GraphData, rec: Any, how: str) -> None:
    """The load rows of a library that builds a graph from a list of
    ``(src, dst)`` pairs with ``build(nodes, pairs)``: the first load of a
    fresh process (from the numpy arrays, converted as in the graph
    family), then from plain lists (the pairs made before timing: the
    library's own input form) and from numpy arrays (converted inside the
    timing)."""
    from ..timing import record_once

    def from_numpy(src: Any, dst: Any) -> Callable[[], Any]:
        return lambda: build(g.n, list(zip(src.tolist(), dst.tolist())))

    record_once(rec, "load_first", from_numpy(g.src, g.dst), counts,
                note=f"{how} from the numpy arrays (`tolist` + `zip`), the first call of a fresh process")
    pairs = list(zip(g.src.tolist(), g.dst.tolist()))
    k = max(len(pairs) // 50, 1)
    rec.measure("load_lists", lambda: build(g.n, pairs), check=counts, warmup=lambda: build(g.n, pairs[:k]),
                note=f"{how} from a plain list of (src, dst) pairs")
    rec.measure("load_numpy", from_numpy(g.src, g.dst), check=counts, warmup=from_numpy(g.src[:k], g.dst[:k]),
                note=f"{how} from the numpy arrays (`tolist` + `zip`: no numpy input)")


def per_call(build: Callable[[int, List[Tuple[int, int]]], Any], lookup: Callable[[Any], Callable[[int], Any]],
             d: Any, rec: Any, how: str) -> None:
    """The per-call neighbour row of a library: ``lookup(graph)(u)`` once per
    query node."""
    graph = build(d.nodes, list(zip(d.src.tolist(), d.dst.tolist())))
    call = lookup(graph)
    queries = d.queries

    def run() -> int:
        found = 0
        for u in queries:
            found += len(call(u))
        return found

    rec.measure("neighbors", run, check=lambda r: {"found": r}, ops=len(queries), note=f"one `{how}` call per node")
