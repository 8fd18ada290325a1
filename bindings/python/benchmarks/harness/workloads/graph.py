"""Graph workloads on an R-MAT graph: bulk load, BFS, PageRank (20
iterations), WCC and 2-hop neighbourhood sizes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..data import GraphData
from ..peers import PEERS
from ..timing import Recorder, Reloader, normalise_topk
from . import social


def worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    """Run the graph rows of ``system``, then the social-graph rows."""
    g = GraphData(Path(args.data))
    kernels = PEERS[system].kernels
    assert kernels is not None, f"{system} has no graph kernels"
    k = kernels(g, args, rec.ref)
    rec.extra["threads"] = k.threads
    rec.extra["pagerank_note"] = k.pagerank_note
    load = Reloader(lambda: k.load(True), k.free)

    def warm_load() -> None:
        k.free(k.load(False))

    rec.measure("load", load, check=lambda st: k.counts(st), warmup=warm_load, note=k.load_note)
    if load.value is None or rec.rows["load"].get("status") == "error":
        for row in ("bfs", "pagerank", "wcc", "twohop"):
            rec.skip(row, "error", "load failed")
    else:
        st = load.value
        if system == "kvgraph":
            rec.ref["_pagerank_tol"] = k.pagerank_tolerance(st)
            rec.extra["pagerank_tol"] = rec.ref["_pagerank_tol"]
        rec.measure("bfs", lambda: k.bfs(st, g.bfs_source), check=k.bfs_check, note=k.notes.get("bfs", ""))
        ref_pr = rec.ref.get("pagerank")
        rec.measure("pagerank", lambda: k.pagerank(st), check=lambda r: normalise_topk(k.pagerank_check(r), ref_pr),
                    note=k.pagerank_note)
        rec.measure("wcc", lambda: k.wcc(st), check=k.wcc_check, note=k.notes.get("wcc", ""))
        nodes = [int(x) for x in g.hop]
        rec.measure("twohop", lambda: k.twohop(st, nodes), check=lambda r: {"sizes": [int(x) for x in r]},
                    note=k.notes.get("twohop", ""))
        del st
        load.drop()

    social.run(k, g, args, rec)
