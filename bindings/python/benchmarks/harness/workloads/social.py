"""The social graph: ``(:Person {name})-[:FRIEND]->(:Person)`` loaded, then
the friends of friends of one person (who are not already friends)."""

from __future__ import annotations

import argparse
from typing import Any

from ..data import GraphData
from ..timing import Recorder, Reloader, fof_names


def run(k: Any, g: GraphData, args: argparse.Namespace, rec: Recorder) -> None:
    """The social-graph rows with the peer's kernels ``k``."""
    # friends of friends
    fof_load = Reloader(k.fof_load, k.free)

    rec.measure("fof_load", fof_load, check=lambda st: k.fof_counts(st), note=k.fof_load_note)
    if fof_load.value is not None:
        st = fof_load.value
        q = args.fof_queries

        def fof_many() -> Any:
            for _ in range(q - 1):
                k.fof(st, g.fof_name)
            return k.fof(st, g.fof_name)

        rec.measure("fof", fof_many, check=lambda r: {"names": fof_names(r)}, ops=q,
                    note=f"{k.notes.get('fof', '')} ({q} queries timed together, time per query)")
        fof_load.drop()
    else:
        rec.skip("fof", "error", "load failed")
