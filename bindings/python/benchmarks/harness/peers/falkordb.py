"""FalkorDB: a graph database on redis-server (Cypher, GRAPH.BULK)."""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Optional

from ..queries import FOF
from .cypher import CypherSystem, Rows
from .kernels import Kernels
from .registry import Peer


def wait_index(g: Any, label: str, prop: str) -> None:
    """Creates an index on ``:label(prop)`` and waits until FalkorDB reports it operational."""
    g.query(f"CREATE INDEX FOR (x:{label}) ON (x.{prop})")
    while True:
        rows = g.query("CALL db.indexes() YIELD label, status RETURN label, status").result_set
        if all(status == "OPERATIONAL" for lbl, status in rows if lbl == label):
            return
        time.sleep(0.005)


def connect(port: int) -> Any:
    """A client of the FalkorDB server on ``port`` (no socket timeout to speak of)."""
    import falkordb

    return falkordb.FalkorDB(host="127.0.0.1", port=port, socket_timeout=3600)


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
        self.db = connect(self.args.port)
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
        wait_index(g, "Person", "name")
        return g

    def fof_counts(self, g: Any) -> Dict[str, int]:
        return {"persons": g.query("MATCH (p:Person) RETURN count(p)").result_set[0][0],
                "friendships": g.query("MATCH ()-[f:FRIEND]->() RETURN count(f)").result_set[0][0]}

    def fof(self, g: Any, name: str) -> Any:
        return [r[0] for r in g.query(FOF, {"name": name}).result_set]


class FalkorCypher(CypherSystem):
    """The cypher family in FalkorDB: GRAPH.QUERY through the falkordb client."""

    how = "GRAPH.QUERY via the falkordb client (parameters travel in the query text)"
    name_how = "`CREATE INDEX` on :Person(name), waited until operational"

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.db = connect(self.args.port)
        self.seq = 0

    def open(self, seed: bool = False) -> Any:
        self.seq += 1
        return self.db.select_graph(f"cypher{self.seq}")

    def free(self, g: Any) -> None:
        try:
            g.delete()
        except Exception:  # noqa: BLE001 - a graph never written to does not exist
            pass

    def run(self, g: Any, text: str, params: Optional[Dict[str, Any]] = None) -> Rows:
        return g.query(text, params).result_set  # type: ignore[no-any-return]

    def index(self, g: Any, prop: str) -> None:
        wait_index(g, "Person", prop)

    def entity(self, value: Any) -> Dict[str, Any]:
        if hasattr(value, "relation"):
            return {"type": value.relation}
        return {"labels": list(value.labels), "name": value.properties.get("name")}


PEER = Peer("falkordb", "FalkorDB", order=50, module="falkordb_bulk_loader", kernels=FalkorKernels, server="falkordb",
            cypher=FalkorCypher)
