"""kvgraph in-process from Rust: the reference for the per-call figures
(``examples/kv_rust_throughput.rs`` for KV, ``benchmarks/rust`` for
neighbour lookups). Run by the orchestrator, not in a Python worker."""

from __future__ import annotations

import argparse
import json
import subprocess
from typing import Any, Dict

from ..common import REPO, log
from .registry import Peer


def run_kv(args: argparse.Namespace) -> Dict[str, Any]:
    """``kv_rust_throughput``'s JSON (set, get and scan times), or ``{"error": ...}``."""
    cmd = ["cargo", "run", "--release", "--quiet", "--example", "kv_rust_throughput", "--", "--keys", str(args.kv_keys),
           "--runs", str(args.runs), "--prefixes", str(args.scans)]
    log("kv: kvgraph (Rust) ...")
    try:
        p = subprocess.run(cmd, cwd=str(REPO), capture_output=True, text=True, timeout=args.worker_timeout)
        line = [x for x in p.stdout.splitlines() if x.startswith("{")][-1]
        return json.loads(line)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}


PEER = Peer("kvgraph-rust", "kvgraph (Rust, in-process)", order=1)
