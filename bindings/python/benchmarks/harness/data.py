"""Deterministic data: KV keys and values (the same bytes as the Rust
examples), R-MAT graphs, the social graph, and the files workers read."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

from .common import now


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
    persons = max(pairs // degree, 2)
    src, dst = random_pairs(persons, pairs, seed)
    return persons, src, dst


def random_pairs(persons: int, pairs: int, seed: int) -> Tuple[Any, Any]:
    """``pairs`` uniform (src, dst) draws among ``persons``, self loops and
    duplicates dropped, in random order."""
    import numpy as np

    rng = np.random.default_rng(seed)
    src = rng.integers(0, persons, pairs)
    dst = rng.integers(0, persons, pairs)
    keep = src != dst
    key = np.unique(src[keep] * persons + dst[keep])
    order = rng.permutation(key.size)
    key = key[order]
    return key // persons, key % persons


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


class People:
    """The persons of the cypher family: ids ``0..n-1``, names
    ``person-NNNNNNN``, ages ``age_of(id)``, and FRIEND pairs by id, with the
    ``UNWIND`` parameter rows made once (before any timing)."""

    def __init__(self, n: int, src: Any, dst: Any) -> None:
        self.n = n
        self.src: List[int] = [int(x) for x in src]
        self.dst: List[int] = [int(x) for x in dst]
        self.names = [person_name(i) for i in range(n)]
        self.ages = [age_of(i) for i in range(n)]
        self.rows = [{"id": i, "name": nm, "age": a} for i, (nm, a) in enumerate(zip(self.names, self.ages))]
        self.rels = [{"a": a, "b": b} for a, b in zip(self.src, self.dst)]

    def sample(self) -> "People":
        """The first 2% of the persons and of the friendships among them (warm-ups)."""
        k = max(self.n // 50, 2)
        pairs = [(a % k, b % k) for a, b in zip(self.src[: warm_edges(len(self.src))], self.dst) if a % k != b % k]
        return People(k, [a for a, _ in pairs], [b for _, b in pairs])


def age_of(i: int) -> int:
    """The age of person ``i`` (18 to 90, scattered)."""
    return 18 + (i * 7919 + 11) % 73


def people(persons: int, rels: int, seed: int) -> People:
    """``persons`` persons and up to ``rels`` uniform friendships among them."""
    src, dst = random_pairs(persons, rels, seed) if rels and persons > 1 else ([], [])
    return People(persons, src, dst)


def percall_graph(nodes: int, degree: int) -> Tuple[Any, Any]:
    """The per-call graph (as ``benchmarks/rust/src/main.rs``): node ``u``
    has out-edges to ``(31 u + 7919 j + 1) mod nodes`` for ``j < degree``."""
    import numpy as np

    u = np.repeat(np.arange(nodes, dtype=np.uint64), degree)
    j = np.tile(np.arange(degree, dtype=np.uint64), nodes)
    return u, (31 * u + 7919 * j + 1) % np.uint64(nodes)


def percall_queries(nodes: int, calls: int) -> List[int]:
    """The nodes asked, in order: ``48271 i mod nodes``."""
    return [(48271 * i) % nodes for i in range(calls)]
