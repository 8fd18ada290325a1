"""The orchestrator: starts the servers, runs one worker process per
(workload family, peer), and writes the report. ``compare.py`` is its
command line; a worker is ``compare.py --worker FAMILY SYSTEM``."""

from __future__ import annotations

import argparse
import atexit
import datetime as _dt
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .common import HERE, REPO, log, now
from .data import prepare_data
from .environment import machine, versions
from .peers import GRAPH_SYSTEMS, LABEL, PEERS, rust, systems_with
from .report import write_outputs
from .servers import Server, _cleanup, _current_worker, _on_signal, falkordb_paths, server_version
from .timing import Recorder
from .workloads import cypher as cypher_family
from .workloads import graph as graph_family
from .workloads import kv as kv_family
from .workloads import loads as loads_family
from .workloads import percall
from .workloads import percall as percall_family

FAMILIES: Dict[str, Callable[[str, argparse.Namespace, Recorder], None]] = {
    "kv": kv_family.worker,
    "graph": graph_family.worker,
    "loads": loads_family.worker,
    "percall": percall_family.worker,
    "cypher": cypher_family.worker,
}
"""What ``--worker FAMILY SYSTEM`` runs."""


def worker_main(args: argparse.Namespace) -> None:
    """The worker side: one family for one peer, rows saved as they are done."""
    suite, system = args.worker
    ref = json.loads(Path(args.ref).read_text()) if args.ref else {}
    rec = Recorder(Path(args.out), args.runs, args.row_budget, ref)
    FAMILIES[suite](system, args, rec)
    rec.save()


def run_peer(suite: str, system: str, args: argparse.Namespace, tmp: Path, ref: Dict[str, Any],
             servers: Dict[str, Optional[Server]], results: Dict[str, Any], wanted: Callable[[str], bool]) -> Dict[str, Any]:
    """Run ``system``'s worker for ``suite`` if it is selected, importable and its server is up."""
    if not wanted(system):
        return {"unavailable": "not selected (--systems)"}
    peer = PEERS[system]
    try:
        for module in (peer.module, *peer.also_needs):
            if module:
                importlib.import_module(module)
    except ImportError as exc:
        return {"unavailable": f"cannot import {exc.name}"}
    port = 0
    if peer.server:
        srv = servers.get(peer.server)
        if srv is None:
            return {"unavailable": results["servers"].get(f"{peer.server}_error", "not started")}
        port = srv.port
    return run_worker(suite, system, args, tmp, ref, port=port)


def run_worker(suite: str, system: str, args: argparse.Namespace, tmp: Path, ref: Dict[str, Any],
               port: int = 0) -> Dict[str, Any]:
    out = tmp / f"{suite}-{system}.json"
    reff = tmp / f"{suite}-ref.json"
    reff.write_text(json.dumps(ref))
    cmd = [sys.executable, str(HERE / "compare.py"), "--worker", suite, system, "--out", str(out),
           "--ref", str(reff), "--data", str(tmp / "data"), "--port", str(port)]
    for name in ["kv_keys", "rt_keys", "pipeline", "scans", "runs", "row_budget", "fof_queries", "kuzu_buffer_pool",
                 "percall_nodes", "percall_degree", "percall_calls", "cypher_persons", "cypher_rels", "cypher_batch",
                 "cypher_queries", "agg_nodes", "seed"]:
        cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    log(f"{suite}: {LABEL.get(system, system)} ...")
    t = now()
    p = subprocess.Popen(cmd, cwd=str(tmp))
    _current_worker.append(p)
    try:
        rc = p.wait(timeout=args.worker_timeout)
        status = None if rc == 0 else f"worker exited with {rc}"
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        status = f"timeout after {args.worker_timeout} s"
    finally:
        _current_worker.remove(p)
    res: Dict[str, Any] = {"rows": {}, "extra": {}}
    if out.exists():
        try:
            res = json.loads(out.read_text())
        except json.JSONDecodeError:
            pass
    if status:
        res["extra"]["worker"] = status
    log(f"{suite}: {LABEL.get(system, system)} done in {now() - t:.0f} s" + (f" ({status})" if status else ""))
    return res


def orchestrate(args: argparse.Namespace) -> None:
    import numpy  # noqa: F401 - fail early

    t0 = now()
    results: Dict[str, Any] = {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python", "bindings/python/benchmarks/compare.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions(),
        "servers": {},
        "args": vars(args),
    }
    log("machine: " + "; ".join(f"{k}: {v}" for k, v in results["machine"].items()))
    log("versions: " + "; ".join(f"{k} {v}" for k, v in results["versions"].items()))
    tmp = Path(tempfile.mkdtemp(prefix="kvgraph-compare-"))
    atexit.register(shutil.rmtree, tmp, True)
    (tmp / "data").mkdir()
    systems = set(args.systems.split(",")) if args.systems else None

    def wanted(s: str) -> bool:
        return systems is None or s in systems or s == "kvgraph"

    servers: Dict[str, Optional[Server]] = {}
    try:
        # ---- servers
        if wanted("redis"):
            binary = args.redis_server or shutil.which("redis-server")
            if binary:
                results["servers"]["redis"] = server_version(binary)
                try:
                    servers["redis"] = Server("redis", binary, [], tmp).start()
                except Exception as exc:  # noqa: BLE001
                    servers["redis"] = None
                    results["servers"]["redis_error"] = str(exc)
            else:
                results["servers"]["redis_error"] = "redis-server not found (apt-get install redis-server)"
        if wanted("falkordb") or wanted("falkordb-redis"):
            fserver, fmodule, how = falkordb_paths()
            results["servers"]["falkordb-source"] = how
            if fserver and fmodule:
                results["servers"]["falkordb-redis"] = server_version(fserver)
                try:
                    fsrv = servers["falkordb"] = Server("falkordb", fserver, ["--loadmodule", fmodule], tmp).start()
                    import redis

                    mods = redis.Redis(host="127.0.0.1", port=fsrv.port).module_list()
                    for m in mods:
                        name = m.get(b"name", m.get("name"))
                        if name in (b"graph", "graph"):
                            v = int(m.get(b"ver", m.get("ver", 0)))
                            results["servers"]["falkordb-module"] = f"{v // 10000}.{v // 100 % 100}.{v % 100}"
                except Exception as exc:  # noqa: BLE001
                    servers["falkordb"] = None
                    results["servers"]["falkordb_error"] = str(exc)
            else:
                results["servers"]["falkordb_error"] = how
        log("servers: " + json.dumps({k: (v.port if v else None) for k, v in servers.items()}))

        # ---- KV
        kv: Dict[str, Any] = {}
        if "kv" not in args.skip:
            # Rust first: compare.sh has just built the example, so cargo has
            # nothing to rebuild (and no lock to wait for) now.
            results["rust"] = rust.run_kv(args)
            kv["kvgraph"] = run_worker("kv", "kvgraph", args, tmp, {})
            ref = {k: v.get("check") for k, v in kv["kvgraph"]["rows"].items()}
            for system, key in (("redis", "redis"), ("falkordb-redis", "falkordb")):
                if not wanted(system) and not (system == "falkordb-redis" and wanted("falkordb")):
                    continue
                srv = servers.get(key)
                if srv is None:
                    kv[system] = {"unavailable": results["servers"].get(f"{key}_error", "not started")}
                    continue
                kv[system] = run_worker("kv", system, args, tmp, ref, port=srv.port)
                r = kv[system]
                if r.get("extra", {}).get("value_mismatches"):
                    for rid in r["rows"]:
                        r["rows"][rid].update(status="differs", why=f"{r['extra']['value_mismatches']} values differ")
        else:
            results["rust"] = {"error": "skipped"}
        results["kv"] = kv

        # ---- graph
        log("generating graph data ...")
        results["meta"] = prepare_data(args, tmp / "data")
        log("data: " + json.dumps(results["meta"]))
        graph: Dict[str, Any] = {}
        graph["kvgraph"] = run_worker("graph", "kvgraph", args, tmp, {})
        ref = {k: v.get("check") for k, v in graph["kvgraph"]["rows"].items()}
        ref["_pagerank_tol"] = graph["kvgraph"]["extra"].get("pagerank_tol", 1e-6)
        for system in GRAPH_SYSTEMS[1:]:
            graph[system] = run_peer("graph", system, args, tmp, ref, servers, results, wanted)
        results["graph"] = graph

        # ---- loads and per-call figures (kvgraph first: its answers are the reference)
        for suite, workload in (("loads", "loads"), ("percall", "neighbors"), ("cypher", "cypher")):
            if suite in args.skip:
                results[suite] = {}
                continue
            out: Dict[str, Any] = {"kvgraph": run_worker(suite, "kvgraph", args, tmp, {})}
            ref = {k: v.get("check") for k, v in out["kvgraph"]["rows"].items()}
            for system in systems_with(workload)[1:]:
                out[system] = run_peer(suite, system, args, tmp, ref, servers, results, wanted)
            results[suite] = out
        results["percall_rust"] = percall.run_rust(args) if "percall" not in args.skip else {"error": "skipped"}
    finally:
        for s in servers.values():
            if s is not None:
                s.stop()
    results["seconds"] = now() - t0
    try:
        results["machine"]["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    write_outputs(args, results)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="kvgraph side by side with the systems users would pick instead.",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kv-keys", type=int, default=1_000_000, help="keys set then got (default 1,000,000)")
    p.add_argument("--rt-keys", type=int, default=20_000,
                   help="keys for the one-round-trip-per-operation server runs (default 20,000)")
    p.add_argument("--pipeline", type=int, default=1000, help="redis-py pipeline batch (default 1000)")
    p.add_argument("--scans", type=int, default=5, help="one-byte-prefix scans (default 5)")
    p.add_argument("--scale", type=int, default=18, help="R-MAT scale: 2^scale nodes (default 18)")
    p.add_argument("--edge-factor", type=int, default=16, help="generated edges per node (default 16)")
    p.add_argument("--hop-nodes", type=int, default=1000, help="nodes whose 2-hop size is asked (default 1000)")
    p.add_argument("--pairs", type=int, default=100_000, help="FRIEND edges of the social graph (default 100,000)")
    p.add_argument("--fof-degree", type=int, default=5, help="friends per person on average (default 5)")
    p.add_argument("--fof-queries", type=int, default=100, help="friends-of-friends queries per timed run (default 100)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per row after the warm-up (default 3)")
    p.add_argument("--row-budget", type=float, default=5.0,
                   help="stop repeating a row once its timed runs took this many seconds (default 5)")
    p.add_argument("--worker-timeout", type=int, default=600, help="seconds before a system's worker is killed")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--systems", default="", help="comma-separated subset of peers (default: all)")
    p.add_argument("--skip-kv", action="append_const", dest="skip", const="kv", default=[], help="no KV workloads")
    p.add_argument("--skip", action="append", default=[], choices=["kv", "loads", "percall", "cypher"],
                   help="leave out a workload family (repeatable)")
    p.add_argument("--percall-nodes", type=int, default=1 << 18, help="nodes of the per-call graph (default 262,144)")
    p.add_argument("--percall-degree", type=int, default=8, help="out-edges per node of the per-call graph (default 8)")
    p.add_argument("--percall-calls", type=int, default=200_000, help="neighbour lookups per timed run (default 200,000)")
    p.add_argument("--cypher-persons", type=int, default=100_000,
                   help="persons the cypher family loads by UNWIND (default 100,000)")
    p.add_argument("--cypher-rels", type=int, default=1_000_000,
                   help="friendships drawn for the cypher family's UNWIND load (default 1,000,000)")
    p.add_argument("--cypher-batch", type=int, default=10_000, help="rows per UNWIND query (default 10,000)")
    p.add_argument("--cypher-queries", type=int, default=1000,
                   help="seed queries, name lookups and 2-hop start ids per timed run (default 1000)")
    p.add_argument("--agg-nodes", type=int, default=1_000_000,
                   help="persons of the cypher family's count-by-group query (default 1,000,000)")
    p.add_argument("--kuzu-buffer-pool", type=int, default=4096, help="Kùzu buffer pool, MiB (default 4096)")
    p.add_argument("--redis-server", default="", help="redis-server binary (default: from PATH)")
    p.add_argument("--docs", default=str(REPO / "docs"), help="where comparison.md/.png go")
    p.add_argument("--benchmarks-md", default=str(REPO / "BENCHMARKS.md"))
    p.add_argument("--raw-json", default=str(REPO / "target" / "compare" / "comparison.json"),
                   help="every timing and check, as JSON (default target/compare/comparison.json)")
    # worker mode (internal)
    p.add_argument("--worker", nargs=2, metavar=("SUITE", "SYSTEM"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--ref", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.worker:
        worker_main(args)
        return
    atexit.register(_cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        orchestrate(args)
    finally:
        _cleanup()


if __name__ == "__main__":
    main()
