"""GRAPH.QUERY friends-of-friends through the falkordb client against two
servers in one run (kvgraph-server and FalkorDB's redis-server + module),
interleaved in rounds. Prints a Markdown table; server/bench.sh graph runs it.

Usage: bench_graph.py KVG_PORT FALKOR_PORT [rounds] [queries] [nodes] [degree]
"""

import random
import statistics
import sys
import time

from falkordb import FalkorDB

kvg_port, fdb_port = int(sys.argv[1]), int(sys.argv[2])
given = [int(a) for a in sys.argv[3:]]
rounds, queries, nodes, degree = given + [3, 2000, 10000, 10][len(given):]
QUERY = "MATCH (a:P {id: $id})-[:K]->()-[:K]->(c) RETURN count(DISTINCT c)"


def load(port, edges):
    g = FalkorDB(host="127.0.0.1", port=port).select_graph("fof")
    g.query("CREATE INDEX FOR (p:P) ON (p.id)")
    g.query("UNWIND range(0, $n - 1) AS i CREATE (:P {id: i})", params={"n": nodes})
    for i in range(0, len(edges), 2000):
        g.query("UNWIND $e AS e MATCH (a:P {id: e[0]}), (b:P {id: e[1]}) CREATE (a)-[:K]->(b)",
                params={"e": edges[i:i + 2000]})
    return g


def run(g, ids):
    t = time.perf_counter()
    total = 0
    for i in ids:
        total += g.query(QUERY, params={"id": i}).result_set[0][0]
    return len(ids) / (time.perf_counter() - t), total


rng = random.Random(7)
# No self-loops: FalkorDB lets one relationship match twice in a fixed-length
# pattern (a self-loop a->a->a), openCypher does not, and the counts would
# differ on them.
edges = [[a, (a + 1 + rng.randrange(nodes - 1)) % nodes] for a in range(nodes) for _ in range(degree)]
graphs = {"kvgraph": load(kvg_port, edges), "falkordb": load(fdb_port, edges)}
ids = [rng.randrange(nodes) for _ in range(queries)]
for g in graphs.values():  # warm-up, not counted
    run(g, ids[: len(ids) // 4])
qps = {"kvgraph": [], "falkordb": []}
for r in range(rounds):
    order = ["kvgraph", "falkordb"] if r % 2 == 0 else ["falkordb", "kvgraph"]
    answers = {}
    for name in order:
        q, answers[name] = run(graphs[name], ids)
        qps[name].append(q)
    assert answers["kvgraph"] == answers["falkordb"], answers
ratios = [k / f for k, f in zip(qps["kvgraph"], qps["falkordb"])]
print("| query | graph | FalkorDB q/s | kvgraph-server q/s | kvgraph / FalkorDB |")
print("|---|---|---|---|---|")
print(f"| friends-of-friends count, 1 client, `{QUERY}` | {nodes} nodes, {nodes * degree} edges | "
      f"{statistics.median(qps['falkordb']):,.0f} | {statistics.median(qps['kvgraph']):,.0f} | "
      f"{statistics.median(ratios):.2f}x (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) |")
