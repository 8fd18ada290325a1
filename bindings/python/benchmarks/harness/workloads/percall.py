"""One call at a time: the cost of a single neighbour lookup from Python
(kvgraph's binding, igraph, rustworkx, networkx) beside the same lookup
in-process from Rust (``benchmarks/rust``). The single-key ``kv.get`` and
``kv.set`` rows of the KV family (one call per key, beside Rust's
``examples/kv_rust_throughput.rs`` and redis-py round trips) are the other
per-call figures."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from typing import Any, Dict

from ..common import HERE, log
from ..data import percall_graph, percall_queries
from ..peers import PEERS
from ..timing import Recorder


class PercallData:
    """The graph and the queries, the same on every side."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.nodes: int = args.percall_nodes
        self.degree: int = args.percall_degree
        self.src, self.dst = percall_graph(self.nodes, self.degree)
        self.queries = percall_queries(self.nodes, args.percall_calls)


def worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    """Run the per-call rows of ``system``."""
    run = PEERS[system].neighbors
    assert run is not None, f"{system} has no per-call workload"
    run(PercallData(args), args, rec)


def run_rust(args: argparse.Namespace) -> Dict[str, Any]:
    """The in-process Rust figures (``benchmarks/rust``), or ``{"error": ...}``."""
    manifest = HERE / "rust" / "Cargo.toml"
    env = {**os.environ, "CARGO_TARGET_DIR": str(HERE.parents[2] / "target")}
    cmd = ["cargo", "run", "--release", "--quiet", "--manifest-path", str(manifest), "--",
           "--nodes", str(args.percall_nodes), "--degree", str(args.percall_degree),
           "--calls", str(args.percall_calls), "--runs", str(args.runs)]
    log("percall: kvgraph (Rust) ...")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.worker_timeout, env=env)
        line = [x for x in p.stdout.splitlines() if x.startswith("{")][-1]
        return json.loads(line)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}
