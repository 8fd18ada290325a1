"""rustworkx: graph kernels."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ..timing import hist_from_layers, top_k
from .kernels import Kernels, pair_loads, per_call
from .registry import Peer


class RustworkxKernels(Kernels):
    notes = {
        "bfs": "`bfs_layers`",
        "wcc": "`weakly_connected_components`",
        "twohop": "no k-hop kernel: Python sets over `successor_indices`",
        "fof": "a Python dict name -> index, sets over `successor_indices`",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import rustworkx

        self.rx = rustworkx

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        g = self.rx.PyDiGraph()
        g.add_nodes_from(range(self.g.n))
        g.add_edges_from_no_data(list(zip(src.tolist(), dst.tolist())))
        return g

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.num_nodes(), "edges": g.num_edges()}

    def bfs(self, g: Any, source: int) -> Any:
        return self.rx.bfs_layers(g, [source])

    def bfs_check(self, layers: Any) -> Any:
        return {"hist": hist_from_layers([len(x) for x in layers])}

    def pagerank(self, g: Any) -> Any:
        return self.rx.pagerank(g, alpha=0.85, max_iter=20, tol=self.ref["_pagerank_tol"])

    def pagerank_check(self, r: Any) -> Any:
        import numpy as np

        s = np.zeros(self.g.n)
        for k, v in r.items():
            s[k] = v
        return {"top": top_k(s)}

    def wcc(self, g: Any) -> Any:
        return self.rx.weakly_connected_components(g)

    def wcc_check(self, comps: Any) -> Any:
        return {"components": len(comps), "largest": max(len(c) for c in comps)}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        # rustworkx has no k-hop kernel: Python sets over successor_indices.
        succ = g.successor_indices
        out = []
        for u in nodes:
            reach = set(succ(u))
            for v in list(reach):
                reach.update(succ(v))
            reach.discard(u)
            out.append(len(reach))
        return out

    def fof_load(self) -> Any:
        d = self.g
        g = self.rx.PyDiGraph()
        g.add_nodes_from(d.names)
        g.add_edges_from_no_data(list(zip(d.fsrc.tolist(), d.fdst.tolist())))
        index = {name: i for i, name in enumerate(d.names)}
        return g, index

    def fof_counts(self, state: Any) -> Dict[str, int]:
        g, _ = state
        return {"persons": g.num_nodes(), "friendships": g.num_edges()}

    def fof(self, state: Any, name: str) -> Any:
        g, index = state
        p = index[name]
        friends = set(g.successor_indices(p))
        fof: set[Any] = set()
        for f in friends:
            fof.update(g.successor_indices(f))
        fof -= friends
        fof.discard(p)
        return [g[i] for i in fof]


def _build(n: int, pairs: List[Tuple[int, int]]) -> Any:
    import rustworkx

    g = rustworkx.PyDiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from_no_data(pairs)
    return g


def _counts(g: Any) -> Dict[str, int]:
    return {"nodes": g.num_nodes(), "edges": g.num_edges()}


def loads_workload(g: Any, args: Any, rec: Any) -> None:
    """Load rows: ``add_nodes_from`` + ``add_edges_from_no_data(pairs)``."""
    pair_loads(_build, _counts, g, rec, "`add_nodes_from` + `add_edges_from_no_data`")


def neighbors_workload(d: Any, args: Any, rec: Any) -> None:
    """Per-call row: ``PyDiGraph.successor_indices(u)``."""
    per_call(_build, lambda g: g.successor_indices, d, rec, "successor_indices(u)")


PEER = Peer("rustworkx", "rustworkx", order=20, module="rustworkx", kernels=RustworkxKernels, loads=loads_workload,
            neighbors=neighbors_workload)
