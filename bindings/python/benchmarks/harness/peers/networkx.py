"""networkx: graph kernels (its pagerank needs scipy)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ..data import People
from ..timing import hist, top_k
from .cypher import CypherRows, group_counts
from .kernels import Kernels, pair_loads, per_call
from .registry import Peer


class NetworkxKernels(Kernels):
    notes = {
        "bfs": "`single_source_shortest_path_length`",
        "wcc": "`weakly_connected_components`",
        "twohop": "`single_source_shortest_path_length(cutoff=2)` per node",
        "fof": "names are the node keys; sets over `successors`",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import networkx

        self.nx = networkx

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        g = self.nx.DiGraph()
        g.add_nodes_from(range(self.g.n))
        g.add_edges_from(zip(src.tolist(), dst.tolist()))
        return g

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}

    def bfs(self, g: Any, source: int) -> Any:
        return self.nx.single_source_shortest_path_length(g, source)

    def bfs_check(self, r: Any) -> Any:
        return {"hist": hist(list(r.values()))}

    def pagerank(self, g: Any) -> Any:
        return self.nx.pagerank(g, alpha=0.85, max_iter=20, tol=self.ref["_pagerank_tol"])

    def pagerank_check(self, r: Any) -> Any:
        import numpy as np

        s = np.zeros(self.g.n)
        for k, v in r.items():
            s[k] = v
        return {"top": top_k(s)}

    def wcc(self, g: Any) -> Any:
        return [len(c) for c in self.nx.weakly_connected_components(g)]

    def wcc_check(self, sizes: Any) -> Any:
        return {"components": len(sizes), "largest": max(sizes)}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        sp = self.nx.single_source_shortest_path_length
        return [len(sp(g, u, cutoff=2)) - 1 for u in nodes]

    def fof_load(self) -> Any:
        d = self.g
        g = self.nx.DiGraph()
        names = d.names
        g.add_nodes_from(names)
        g.add_edges_from((names[s], names[t]) for s, t in zip(d.fsrc.tolist(), d.fdst.tolist()))
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.number_of_nodes(), "friendships": g.number_of_edges()}

    def fof(self, g: Any, name: str) -> Any:
        friends = set(g.successors(name))
        fof: set[Any] = set()
        for f in friends:
            fof.update(g.successors(f))
        fof -= friends
        fof.discard(name)
        return list(fof)


class NetworkxCypherRows(CypherRows):
    """The cypher family's questions in networkx (it has no Cypher)."""

    rows = ("fof", "agg", "lookup", "twohop")
    kernels = NetworkxKernels
    notes = {
        "lookup": "a dict name -> node made with the graph (networkx has no index), then `nodes[v]['age']`",
        "twohop": "set of `succ` of `succ`, one start id at a time",
        "agg": "`Counter` over `nodes(data='age')`",
        "fof": NetworkxKernels.notes["fof"],
    }

    def load(self, p: People) -> Any:
        import networkx

        g = networkx.DiGraph(by_name={name: i for i, name in enumerate(p.names)})
        g.add_nodes_from((i, {"name": name, "age": age}) for i, (name, age) in enumerate(zip(p.names, p.ages)))
        g.add_edges_from(zip(p.src, p.dst))
        return g

    def counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.number_of_nodes(), "friendships": g.number_of_edges()}

    def lookup(self, g: Any, names: List[str]) -> List[Any]:
        nodes, by_name = g.nodes, g.graph["by_name"]
        return [nodes[by_name[name]]["age"] for name in names]

    def twohop(self, g: Any, ids: List[int]) -> List[int]:
        succ = g.succ
        return [len({c for b in succ[a] for c in succ[b]}) for a in ids]

    def agg(self, g: Any) -> List[List[int]]:
        return group_counts(age for _, age in g.nodes(data="age"))


def _build(n: int, pairs: List[Tuple[int, int]]) -> Any:
    import networkx

    g = networkx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs)
    return g


def _counts(g: Any) -> Dict[str, int]:
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}


def loads_workload(g: Any, args: Any, rec: Any) -> None:
    """Load rows: ``add_nodes_from`` + ``add_edges_from(pairs)``."""
    pair_loads(_build, _counts, g, rec, "`add_nodes_from` + `add_edges_from`")


def neighbors_workload(d: Any, args: Any, rec: Any) -> None:
    """Per-call row: ``list(DiGraph.successors(u))``."""
    per_call(_build, lambda g: lambda u: list(g.successors(u)), d, rec, "list(successors(u))")


PEER = Peer("networkx", "networkx", order=30, module="networkx", also_needs=("scipy",), kernels=NetworkxKernels,
            loads=loads_workload, neighbors=neighbors_workload, cypher=NetworkxCypherRows)
