"""Kùzu: an embedded graph database (Cypher)."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from .kernels import Kernels
from .registry import Peer


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


PEER = Peer("kuzu", "Kùzu", order=40, module="kuzu", kernels=KuzuKernels)
