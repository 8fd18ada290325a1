"""igraph (python-igraph): graph kernels."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ..data import People
from ..timing import hist_from_layers, top_k
from .cypher import CypherRows, group_counts
from .kernels import Kernels, pair_loads, per_call
from .registry import Peer


class IgraphKernels(Kernels):
    pagerank_note = "PRPACK, solved to convergence (no fixed-iteration mode)"
    notes = {
        "bfs": "`Graph.bfs` (visit order and layers)",
        "wcc": "`connected_components(mode='weak')`",
        "twohop": "`neighborhood_size(nodes, order=2, mindist=1)`: one call for all nodes, counts only",
        "fof": "`vs.find(name=...)`, `neighborhood(order=2, mindist=2)`, names",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import igraph

        self.ig = igraph

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        return self.ig.Graph(n=self.g.n, edges=list(zip(src.tolist(), dst.tolist())), directed=True)

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.vcount(), "edges": g.ecount()}

    def bfs(self, g: Any, source: int) -> Any:
        return g.bfs(source, mode="out")

    def bfs_check(self, r: Any) -> Any:
        _, layers, _ = r
        return {"hist": hist_from_layers([b - a for a, b in zip(layers, layers[1:])])}

    def pagerank(self, g: Any) -> Any:
        return g.pagerank(damping=0.85, directed=True)

    def pagerank_check(self, r: Any) -> Any:
        return {"top": top_k(r), "tolerance": 0.01}

    def wcc(self, g: Any) -> Any:
        return g.connected_components(mode="weak")

    def wcc_check(self, cc: Any) -> Any:
        sizes = cc.sizes()
        return {"components": len(sizes), "largest": max(sizes)}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        return list(g.neighborhood_size(nodes, order=2, mode="out", mindist=1))

    def fof_load(self) -> Any:
        d = self.g
        g = self.ig.Graph(n=d.persons, edges=list(zip(d.fsrc.tolist(), d.fdst.tolist())), directed=True,
                          vertex_attrs={"name": d.names})
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.vcount(), "friendships": g.ecount()}

    def fof(self, g: Any, name: str) -> Any:
        v = g.vs.find(name=name).index
        return g.vs[g.neighborhood(v, order=2, mode="out", mindist=2)]["name"]


class IgraphCypherRows(CypherRows):
    """The cypher family's questions in igraph's own API (it has no Cypher)."""

    rows = ("fof", "agg", "lookup", "twohop")
    kernels = IgraphKernels
    notes = {
        "lookup": "`vs.find(name=...)['age']` (igraph's name index), one call per name",
        "twohop": "set of `successors` of `successors`, one start id at a time",
        "agg": "`Counter` over `vs['age']`",
        "fof": IgraphKernels.notes["fof"],
    }

    def load(self, p: People) -> Any:
        import igraph

        return igraph.Graph(n=p.n, edges=list(zip(p.src, p.dst)), directed=True,
                            vertex_attrs={"name": p.names, "age": p.ages})

    def counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.vcount(), "friendships": g.ecount()}

    def lookup(self, g: Any, names: List[str]) -> List[Any]:
        find = g.vs.find
        return [find(name=name)["age"] for name in names]

    def twohop(self, g: Any, ids: List[int]) -> List[int]:
        succ = g.successors
        return [len({c for b in succ(a) for c in succ(b)}) for a in ids]

    def agg(self, g: Any) -> List[List[int]]:
        return group_counts(g.vs["age"])


def _build(n: int, pairs: List[Tuple[int, int]]) -> Any:
    import igraph

    return igraph.Graph(n=n, edges=pairs, directed=True)


def _counts(g: Any) -> Dict[str, int]:
    return {"nodes": g.vcount(), "edges": g.ecount()}


def loads_workload(g: Any, args: Any, rec: Any) -> None:
    """Load rows: ``Graph(n, edges=pairs, directed=True)``."""
    pair_loads(_build, _counts, g, rec, "`Graph(n, edges=pairs)`")


def neighbors_workload(d: Any, args: Any, rec: Any) -> None:
    """Per-call row: ``Graph.neighbors(u, mode="out")``."""
    per_call(_build, lambda g: lambda u: g.neighbors(u, mode="out"), d, rec, 'Graph.neighbors(u, mode="out")')


PEER = Peer("igraph", "igraph", order=10, module="igraph", kernels=IgraphKernels, loads=loads_workload,
            neighbors=neighbors_workload, cypher=IgraphCypherRows)
