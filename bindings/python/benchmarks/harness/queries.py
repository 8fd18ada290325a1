"""The openCypher texts the harness sends, written once: every system that
speaks Cypher (kvgraph, FalkorDB, Kùzu) gets these same strings."""

from __future__ import annotations

SEED = "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2"
"""The seed query of the README: two persons and their friendship."""

CREATE_PERSONS = "UNWIND $rows AS r CREATE (:Person {id: r.id, name: r.name, age: r.age})"
"""Batch load of persons (``rows``: ``{id, name, age}`` maps)."""

CREATE_FRIENDS = "UNWIND $rels AS r MATCH (a:Person {id: r.a}), (b:Person {id: r.b}) CREATE (a)-[:FRIEND]->(b)"
"""Batch load of friendships (``rels``: ``{a, b}`` maps of person ids)."""


def create_index(prop: str) -> str:
    """``CREATE INDEX`` on ``:Person(prop)``."""
    return f"CREATE INDEX FOR (p:Person) ON (p.{prop})"


LOOKUP = "MATCH (p:Person {name: $name}) RETURN p.age"
"""Point lookup by the indexed name."""

TWO_HOP = "MATCH (a:Person {id: $id})-[:FRIEND]->()-[:FRIEND]->(c) RETURN count(DISTINCT c)"
"""Distinct persons two FRIEND hops from one person."""

AGG = "MATCH (p:Person) RETURN p.age % 10 AS g, count(*) AS c ORDER BY g"
"""Count-by-group over every person."""

FOF = ("MATCH (p:Person {name: $name})-[:FRIEND]->(:Person)-[:FRIEND]->(f:Person) "
       "WHERE f <> p AND NOT (p)-[:FRIEND]->(f) RETURN DISTINCT f.name")
"""Friends of friends who are not already friends (pattern predicate, the form
every engine here takes; kvgraph also takes ``NOT EXISTS { MATCH (p)-[:FRIEND]->(f) }``
and runs it with the same matcher)."""

COUNT_PERSONS = "MATCH (p:Person) RETURN count(p)"
"""Persons loaded."""

COUNT_FRIENDS = "MATCH ()-[f:FRIEND]->() RETURN count(f)"
"""Friendships loaded."""

KUZU_SCHEMA = ("CREATE NODE TABLE Person(id INT64, name STRING, age INT64, PRIMARY KEY(id))",
               "CREATE REL TABLE FRIEND(FROM Person TO Person)")
"""Kùzu's DDL (it needs a schema before data)."""

KUZU_SEED_SCHEMA = ("CREATE NODE TABLE Person(id SERIAL, name STRING, age INT64, PRIMARY KEY(id))",
                    KUZU_SCHEMA[1])
"""Kùzu's DDL for the seed query, which gives no id: a SERIAL primary key."""
