"""Redis (and FalkorDB's redis-server) through redis-py: the KV peer."""

from __future__ import annotations

import argparse
import importlib.metadata
from typing import Any, Callable, List, Tuple

from .registry import Peer


def kv_workload(d: Any, args: argparse.Namespace, rec: Any) -> None:
    """Sets, gets and prefix scans over redis-py: one round trip per
    operation (the first ``--rt-keys`` keys), then pipelines of ``--pipeline``."""
    keys, values, prefixes = d.keys, d.values, d.prefixes
    n, warm, sample = d.n, d.warm, d.sample
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


PEERS = [
    Peer("redis", "Redis (redis-py)", order=60, module="redis", kv=kv_workload, server="redis"),
    Peer("falkordb-redis", "FalkorDB redis-server (redis-py)", order=70, module="redis", kv=kv_workload, server="falkordb"),
]
