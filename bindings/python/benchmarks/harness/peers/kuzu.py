"""Kùzu: an embedded graph database (Cypher)."""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..data import People
from ..queries import FOF, KUZU_SCHEMA, KUZU_SEED_SCHEMA
from .cypher import CypherSystem, Rows
from .kernels import Kernels
from .registry import Peer


def open_db(args: argparse.Namespace) -> Tuple[Any, Any]:
    """An in-memory Kùzu database and a connection to it."""
    import kuzu

    db = kuzu.Database(":memory:", buffer_pool_size=args.kuzu_buffer_pool << 20)
    return db, kuzu.Connection(db)


def close(state: Tuple[Any, Any]) -> None:
    """Closes what :func:`open_db` opened."""
    db, conn = state
    conn.close()
    db.close()


def rows_of(conn: Any, q: str, params: Optional[Dict[str, Any]] = None) -> List[List[Any]]:
    """The rows of ``q`` (of its last statement)."""
    res = conn.execute(q, params or {})
    if isinstance(res, list):
        res = res[-1]
    return res.get_all()  # type: ignore[no-any-return]


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
        "fof": "Cypher, `NOT (p)-[:FRIEND]->(f)` (the text kvgraph and FalkorDB run)",
    }

    def load(self, full: bool) -> Any:
        db, conn = open_db(self.args)
        conn.execute("CREATE NODE TABLE N(id INT64, PRIMARY KEY(id))")
        conn.execute("CREATE REL TABLE E(FROM N TO N)")
        conn.execute(f"COPY N FROM '{self.g.dir / 'nodes.csv'}' (header=true)")
        conn.execute(f"COPY E FROM '{self.g.dir / ('edges.csv' if full else 'edges_warm.csv')}' (header=true)")
        return db, conn

    def free(self, state: Any) -> None:
        close(state)

    def counts(self, state: Any) -> Dict[str, int]:
        _, conn = state
        nodes = rows_of(conn, "MATCH (a:N) RETURN count(*)")[0][0]
        edges = rows_of(conn, "MATCH ()-[e:E]->() RETURN count(*)")[0][0]
        return {"nodes": nodes, "edges": edges}

    def bfs(self, state: Any, source: int) -> Any:
        _, conn = state
        return rows_of(conn, "MATCH p = (a:N)-[:E* SHORTEST 1..30]->(b:N) WHERE a.id = $s RETURN length(p), count(*)",
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
        return rows_of(conn, "CALL page_rank('G', dampingFactor := 0.85, maxIterations := 20, tolerance := 0.0) "
                             "RETURN node.id AS id, rank ORDER BY rank DESC, id LIMIT 10")

    def pagerank_check(self, rows: Any) -> Any:
        # Normalised by the sum of all ranks (Kùzu's do not sum to 1).
        return {"top": [(int(i), float(s)) for i, s in rows], "normalise": True}

    def wcc(self, state: Any) -> Any:
        _, conn = state
        self._project(conn)
        return rows_of(conn, "CALL weakly_connected_components('G') WITH group_id, count(*) AS c "
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
        db, conn = open_db(self.args)
        conn.execute("CREATE NODE TABLE Person(name STRING, PRIMARY KEY(name))")
        conn.execute("CREATE REL TABLE FRIEND(FROM Person TO Person)")
        conn.execute(f"COPY Person FROM '{self.g.dir / 'persons.csv'}' (header=true)")
        conn.execute(f"COPY FRIEND FROM '{self.g.dir / 'friends.csv'}' (header=true)")
        return db, conn

    def fof_counts(self, state: Any) -> Dict[str, int]:
        _, conn = state
        return {"persons": rows_of(conn, "MATCH (p:Person) RETURN count(*)")[0][0],
                "friendships": rows_of(conn, "MATCH ()-[f:FRIEND]->() RETURN count(*)")[0][0]}

    def fof(self, state: Any, name: str) -> Any:
        _, conn = state
        return [r[0] for r in rows_of(conn, FOF, {"name": name})]


class KuzuCypher(CypherSystem):
    """The cypher family in Kùzu: ``conn.execute`` in-process, after its DDL."""

    how = "`conn.execute` (per-query rows: a prepared statement)"
    id_how = "DDL `PRIMARY KEY(id)` (Kùzu's hash index; no `CREATE INDEX`)"
    name_how = ("no index on name (Kùzu has no secondary property index: `CREATE INDEX` does not parse; "
                "id is the primary key), the lookup scans")

    load_how = ("`COPY` from CSV files written from the same rows inside the timing (the `UNWIND ... MATCH ... "
                "CREATE` text ran at about 700 friendships/s here: 1M would not finish in the worker's time)")

    def load(self, p: People) -> Any:
        state = self.open()
        self._copy(state, "Person", p.rows)
        self._copy(state, "FRIEND", p.rels)
        return state

    def agg_load(self, p: People) -> Any:
        state = self.open()
        self._copy(state, "Person", p.rows)
        return state

    def _copy(self, state: Any, table: str, rows: List[Dict[str, Any]]) -> None:
        """``COPY table`` from a CSV file of ``rows`` (written here)."""
        if not rows:
            return
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"{table}.csv"
            with open(path, "w", newline="") as f:
                w = csv.DictWriter(f, list(rows[0]))
                w.writeheader()
                w.writerows(rows)
            state[1].execute(f"COPY {table} FROM '{path}' (header=true)")

    def open(self, seed: bool = False) -> Any:
        db, conn = open_db(self.args)
        for ddl in KUZU_SEED_SCHEMA if seed else KUZU_SCHEMA:
            conn.execute(ddl)
        return db, conn

    def free(self, state: Any) -> None:
        close(state)

    def run(self, state: Any, text: str, params: Optional[Dict[str, Any]] = None) -> Rows:
        return rows_of(state[1], text, params)

    def prepare(self, state: Any, text: str) -> Callable[[Dict[str, Any]], Rows]:
        conn = state[1]
        stmt = conn.prepare(text)
        return lambda params: conn.execute(stmt, params).get_all()

    def index(self, state: Any, prop: str) -> None:
        pass  # see name_how and id_how

    def entity(self, value: Any) -> Dict[str, Any]:
        if "_src" in value:
            return {"type": value["_label"]}
        return {"labels": [value["_label"]], "name": value.get("name")}


PEER = Peer("kuzu", "Kùzu", order=40, module="kuzu", kernels=KuzuKernels, cypher=KuzuCypher)
