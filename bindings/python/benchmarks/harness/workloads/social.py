"""The social graph: ``(:Person {name})-[:FRIEND]->(:Person)`` loaded, then
the friends of friends of one person (who are not already friends)."""

from __future__ import annotations

import argparse
import gc
from typing import Any, Dict

from ..data import GraphData
from ..timing import Recorder, fof_names


def run(k: Any, g: GraphData, args: argparse.Namespace, rec: Recorder) -> None:
    """The social-graph rows with the peer's kernels ``k``."""
    # friends of friends
    fstate: Dict[str, Any] = {}

    def fof_load() -> Any:
        if "g" in fstate:
            k.free(fstate.pop("g"))
            gc.collect()
        fstate["g"] = k.fof_load()
        return fstate["g"]

    rec.measure("fof_load", fof_load, check=lambda st: k.fof_counts(st), note=k.fof_load_note)
    if "g" in fstate:
        st = fstate["g"]
        q = args.fof_queries

        def fof_many() -> Any:
            for _ in range(q - 1):
                k.fof(st, g.fof_name)
            return k.fof(st, g.fof_name)

        rec.measure("fof", fof_many, check=lambda r: {"names": fof_names(r)}, ops=q,
                    note=f"{k.notes.get('fof', '')} ({q} queries timed together, time per query)")
        k.free(fstate.pop("g"))
    else:
        rec.skip("fof", "error", "load failed")
