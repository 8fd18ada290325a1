"""The cypher family: the same openCypher texts (:mod:`harness.queries`) in
kvgraph (``db.query``), FalkorDB (GRAPH.QUERY) and Kùzu (``conn.execute``),
and the same questions in igraph and networkx through their own API: the
seed query, friends of friends on the social data, a count-by-group
aggregation, a load by ``UNWIND`` batches, point lookups by an indexed name
and 2-hop counts on the loaded graph. Answers are checked against kvgraph's."""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..data import GraphData, people
from ..peers import PEERS
from ..peers.cypher import CypherRows
from ..timing import Recorder, Reloader, fof_names

def prepared(rec: Recorder, rows: Sequence[str], make: Callable[[], Any]) -> Optional[Any]:
    """``make()`` (an untimed load), or None after recording ``rows`` as errors."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
        for row in rows:
            rec.skip(f"cypher_{row}", "error", "", why=f"load failed: {type(exc).__name__}: {str(exc)[:300]}")
        return None


def worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    """Run the cypher rows that ``system`` answers."""
    cls = PEERS[system].cypher
    assert cls is not None, f"{system} has no cypher workload"
    k: CypherRows = cls(GraphData(Path(args.data)), args)
    rows = set(k.rows)
    q = args.cypher_queries
    if "seed" in rows:
        st = prepared(rec, ["seed"], lambda: k.open(seed=True))
        if st is not None:
            rec.measure("cypher_seed", lambda: k.seed(st, q), check=lambda r: {"values": r}, ops=q, note=k.notes["seed"])
            k.free(st)
    if "fof" in rows:
        fof(k, args, rec)
    if "agg" in rows:
        agg = people(args.agg_nodes, 0, args.seed)
        st = prepared(rec, ["agg"], lambda: k.agg_load(agg))
        if st is not None:
            rec.measure("cypher_agg", lambda: k.agg(st), check=lambda r: {"groups": r}, note=k.notes["agg"])
            k.free(st)
        del agg
        gc.collect()
    social(k, args, rec)


def fof(k: CypherRows, args: argparse.Namespace, rec: Recorder) -> None:
    """Friends of friends of the social graph's busiest person, ``--fof-queries`` times."""
    st = prepared(rec, ["fof"], k.fof_load)
    if st is None:
        return
    name, n = k.g.fof_name, args.fof_queries

    def many() -> List[str]:
        for _ in range(n - 1):
            k.fof(st, name)
        return k.fof(st, name)

    rec.measure("cypher_fof", many, check=lambda r: {"names": fof_names(r)}, ops=n,
                note=f"{k.notes['fof']} ({n} queries timed together, time per query)")
    k.free(st)


def social(k: CypherRows, args: argparse.Namespace, rec: Recorder) -> None:
    """``--cypher-persons`` persons and ``--cypher-rels`` friendships loaded
    (timed where the system speaks Cypher), then lookups by name and 2-hop
    counts of ``--cypher-queries`` persons."""
    import numpy as np

    p = people(args.cypher_persons, args.cypher_rels, args.seed + 3)
    rec.extra.update(persons=p.n, friendships=len(p.rels), agg_nodes=args.agg_nodes)
    picks = [int(i) for i in np.random.default_rng(args.seed + 4).choice(p.n, size=min(args.cypher_queries, p.n),
                                                                          replace=False)]
    rec.extra["picks"] = picks
    after = [r for r in ("lookup", "twohop") if r in k.rows]
    load = Reloader(lambda: k.load(p), k.free)
    if "load" in k.rows:
        sample = p.sample()

        rec.measure("cypher_load", load, check=k.counts, warmup=lambda: k.free(k.load(sample)), note=k.notes["load"])
        if rec.rows["cypher_load"].get("status") == "error":
            for row in after:
                rec.skip(f"cypher_{row}", "error", "", why="load failed")
            return
    else:
        load.value = prepared(rec, after, lambda: k.load(p))
    db = load.value
    if db is None:
        return

    def indexed() -> Any:
        k.index_names(db)
        return db

    if prepared(rec, after, indexed) is None:
        k.free(db)
        return
    names = [p.names[i] for i in picks]
    if "lookup" in k.rows:
        rec.measure("cypher_lookup", lambda: k.lookup(db, names), check=lambda r: {"ages": [int(x) for x in r]},
                    ops=len(names), note=k.notes["lookup"])
    if "twohop" in k.rows:
        rec.measure("cypher_twohop", lambda: k.twohop(db, picks), check=lambda r: {"counts": r}, ops=len(picks),
                    note=k.notes["twohop"])
    k.free(db)
