"""kvgraph through its Python binding: the system under test."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..timing import hist
from .cypher import CypherSystem, Rows
from .kernels import Kernels
from .registry import Peer


class KvgraphKernels(Kernels):
    threads = os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count()))
    load_note = "`add_nodes` + `load_edges` from the numpy edge arrays; kernels on a snapshot, results as numpy"
    fof_load_note = ("`add_nodes`, a `name` property per node (one `set_property_many` call), the name -> id index "
                     "in the KV map (one `kv.set_many` call), `load_edges`")
    notes = {
        "bfs": "`Snapshot.bfs(as_numpy=True)`: the depth of every node",
        "wcc": "`Snapshot.wcc(as_numpy=True)`: the component of every node",
        "twohop": "one `k_hop(u, 2, as_numpy=True)` call per node (sorted ids)",
        "fof": "`kv.get` name -> id, `k_hop(p, 2)` minus `neighbors(p)`, then one `get_property_many` for the names",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import kvgraph

        self.kvgraph = kvgraph

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        db = self.kvgraph.Engine()
        first = db.graph.add_nodes(self.g.n)
        assert first == 0
        db.graph.load_edges(src, dst)
        return db

    def free(self, state: Any) -> None:
        state.close()

    def counts(self, db: Any) -> Dict[str, int]:
        st = db.graph.stats()
        return {"nodes": st.nodes, "edges": st.edges}

    def bfs(self, db: Any, source: int) -> Any:
        with db.graph.snapshot() as s:
            return s.bfs(source, as_numpy=True)

    def bfs_check(self, r: Any) -> Any:
        return {"hist": hist(r)}

    def pagerank(self, db: Any) -> Any:
        with db.graph.snapshot() as s:
            return s.pagerank(0.85, 20, as_numpy=True)

    def wcc(self, db: Any) -> Any:
        with db.graph.snapshot() as s:
            return s.wcc(as_numpy=True)

    def twohop(self, db: Any, nodes: List[int]) -> List[int]:
        with db.graph.snapshot() as s:
            k_hop = s.k_hop
            return [len(k_hop(u, 2, as_numpy=True)) for u in nodes]

    def pagerank_tolerance(self, db: Any) -> float:
        """The per-node tolerance that makes networkx/rustworkx stop after
        exactly 20 iterations: their stop rule is ``sum|x_k - x_{k-1}| < N tol``."""
        import numpy as np

        with db.graph.snapshot() as s:
            p18, p19, p20 = (s.pagerank(0.85, k, as_numpy=True) for k in (18, 19, 20))
        e19 = float(np.abs(p19 - p18).sum())
        e20 = float(np.abs(p20 - p19).sum())
        return math.sqrt(e19 * e20) / self.g.n

    def fof_load(self) -> Any:
        g = self.g
        db = self.kvgraph.Engine()
        first = db.graph.add_nodes(g.persons, "Person")
        raws = [name.encode() for name in g.names]
        db.graph.set_property_many(range(first, first + len(raws)), "name", raws)
        # the application's name index
        db.kv.set_many((b"person:" + raw, b"%d" % (first + i)) for i, raw in enumerate(raws))
        db.graph.load_edges(g.fsrc + first, g.fdst + first, type="FRIEND")
        return db

    def fof_counts(self, db: Any) -> Dict[str, int]:
        st = db.graph.stats()
        return {"persons": st.nodes, "friendships": st.edges}

    def fof(self, db: Any, name: str) -> Any:
        person = int(db.kv.get(b"person:" + name.encode()))
        g = db.graph
        with g.snapshot() as s:
            fof = set(s.k_hop(person, 2))
            fof.difference_update(s.neighbors(person, "out", "FRIEND"))
        return g.get_property_many(list(fof), "name")


class KvgraphCypher(CypherSystem):
    """The cypher family in kvgraph: ``db.query(text, params)`` in-process."""

    how = "`db.query(text, params)`"

    def open(self, seed: bool = False) -> Any:
        import kvgraph

        return kvgraph.Engine()

    def free(self, state: Any) -> None:
        state.close()

    def run(self, state: Any, text: str, params: Optional[Dict[str, Any]] = None) -> Rows:
        return [rec.values() for rec in state.query(text, params)]

    def entity(self, value: Any) -> Dict[str, Any]:
        import kvgraph

        if isinstance(value, kvgraph.Relationship):
            return {"type": value.type}
        return {"labels": list(value.labels), "name": value.properties.get("name")}


def kv_workload(d: Any, args: argparse.Namespace, rec: Any) -> None:
    """Sets, gets and prefix scans through the binding: one call per
    operation, then ``set_many``/``get_many`` batches of ``--pipeline``."""
    keys, values, prefixes = d.keys, d.values, d.prefixes
    n, warm, sample = d.n, d.warm, d.sample
    import kvgraph

    state: Dict[str, Any] = {}

    def fresh() -> None:
        if "db" in state:
            state["db"].close()
        state["db"] = kvgraph.Engine()

    def do_set(ks: List[bytes], vs: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            fresh()
            kset = state["db"].kv.set
            for k, v in zip(ks, vs):
                kset(k, v)
            return len(ks)

        return run

    def do_get(ks: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            kget = state["db"].kv.get
            found = 0
            for k in ks:
                if kget(k) is not None:
                    found += 1
            return found

        return run

    def do_scan(ps: List[bytes] = prefixes) -> Tuple[int, int]:
        entries = size = 0
        scan = state["db"].kv.scan_prefix
        for p in ps:
            for k, v in scan(p):
                entries += 1
                size += len(k) + len(v)
        return entries, size

    do_set(keys[:warm], values[:warm])()
    do_get(keys[:warm])()
    rec.measure("kv_set", do_set(keys, values), check=lambda r: {"keys": r}, ops=n, warmup=do_set(keys[:warm], values[:warm]),
                note="one `kv.set` call per key")
    # the timed set left all n keys in a fresh engine
    rec.measure("kv_get", do_get(keys), check=lambda r: {"found": r, "expected": n}, ops=n, warmup=do_get(keys[:warm]),
                note="one `kv.get` call per key")
    bad = sum(1 for i in sample if state["db"].kv.get(keys[i]) != values[i])
    rec.extra["value_mismatches"] = bad
    rec.measure("kv_scan", do_scan, check=lambda r: {"entries": r[0], "bytes": r[1]}, warmup=lambda: do_scan(prefixes[:1]),
                note="`kv.scan_prefix` iterators")

    # Batches: one call into the library per `batch` keys, the in-process
    # counterpart of a Redis pipeline.
    batch = args.pipeline

    def do_set_many(ks: List[bytes], vs: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            fresh()
            set_many = state["db"].kv.set_many
            for i in range(0, len(ks), batch):
                set_many(zip(ks[i : i + batch], vs[i : i + batch]))
            return len(ks)

        return run

    def do_get_many(ks: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            get_many = state["db"].kv.get_many
            found = 0
            for i in range(0, len(ks), batch):
                found += sum(1 for v in get_many(ks[i : i + batch]) if v is not None)
            return found

        return run

    rec.measure("kv_set_batch", do_set_many(keys, values), check=lambda r: {"keys": r}, ops=n,
                warmup=do_set_many(keys[:warm], values[:warm]), note=f"`kv.set_many`, batches of {batch}")
    # the timed set_many left all n keys in a fresh engine
    rec.measure("kv_get_batch", do_get_many(keys), check=lambda r: {"found": r, "expected": n}, ops=n,
                warmup=do_get_many(keys[:warm]), note=f"`kv.get_many`, batches of {batch}")
    got = state["db"].kv.get_many([keys[i] for i in sample])
    rec.extra["batch_value_mismatches"] = sum(1 for i, v in zip(sample, got) if v != values[i])
    state["db"].close()




def loads_workload(g: Any, args: argparse.Namespace, rec: Any) -> None:
    """The first load of a fresh process (numpy arrays), then loads from
    plain lists and from numpy arrays."""
    from ..timing import record_once

    import kvgraph

    state: Dict[str, Any] = {}

    def load(src: Any, dst: Any) -> Callable[[], Any]:
        def run() -> Any:
            if "db" in state:
                state.pop("db").close()
            db = state["db"] = kvgraph.Engine()
            db.graph.add_nodes(g.n)
            db.graph.load_edges(src, dst)
            return db

        return run

    def counts(db: Any) -> Dict[str, int]:
        st = db.graph.stats()
        return {"nodes": st.nodes, "edges": st.edges}

    record_once(rec, "load_first", load(g.src, g.dst), counts,
                note="`add_nodes` + `load_edges` from numpy, the first call of a fresh process (imports done)")
    src_list, dst_list = g.src.tolist(), g.dst.tolist()
    k = max(len(src_list) // 50, 1)
    rec.measure("load_lists", load(src_list, dst_list), check=counts, warmup=load(src_list[:k], dst_list[:k]),
                note="`load_edges(src, dst)` from two plain lists of ints")
    rec.measure("load_numpy", load(g.src, g.dst), check=counts, warmup=load(g.src[:k], g.dst[:k]),
                note="`load_edges(src, dst)` from numpy int64 arrays")
    state.pop("db").close()


def neighbors_workload(d: Any, args: argparse.Namespace, rec: Any) -> None:
    """One ``Snapshot.neighbors`` call per query node (a list back)."""
    import kvgraph

    db = kvgraph.Engine()
    db.graph.add_nodes(d.nodes)
    db.graph.load_edges(d.src, d.dst)
    queries = d.queries

    with db.graph.snapshot() as s:
        def run() -> int:
            neighbors = s.neighbors
            found = 0
            for u in queries:
                found += len(neighbors(u))
            return found

        rec.measure("neighbors", run, check=lambda r: {"found": r}, ops=len(queries),
                    note="one `Snapshot.neighbors(u)` call per node (a list of ids)")
    db.close()


PEER = Peer("kvgraph", "kvgraph (Python)", order=0, module="kvgraph", kernels=KvgraphKernels, kv=kv_workload,
            loads=loads_workload, neighbors=neighbors_workload, cypher=KvgraphCypher)
