"""Bulk loads the way Python users hold their edges: from plain lists, from
numpy arrays, and the first load of a fresh process (imports done, nothing
loaded yet), on the R-MAT graph of the graph family."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data import GraphData
from ..peers import PEERS
from ..timing import Recorder


def worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    """Run the load rows of ``system`` (its ``loads``)."""
    run = PEERS[system].loads
    assert run is not None, f"{system} has no load workload"
    run(GraphData(Path(args.data)), args, rec)
