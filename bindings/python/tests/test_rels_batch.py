"""Relationships by id (create_relationship, relationship, ...) and atomic
write batches (Graph.batch) over kvg_rel_* and kvg_batch_*."""

from __future__ import annotations

import math

import pytest

import kvgraph


def test_relationships_by_id(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b = g.add_node(), g.add_node()
    r0 = g.create_relationship(a, b, "KNOWS", weight=2.5)
    r1 = g.create_relationship(a, b, "KNOWS")
    assert r0 != r1
    rel = g.relationship(r0)
    assert isinstance(rel, kvgraph.Relationship)
    assert (rel.id, rel.type, rel.start, rel.end, rel.weight, rel.properties) == (r0, "KNOWS", a, b, 2.5, {})
    g.set_rel_property(r0, "since", 2020)
    g.set_rel_property(r0, "tags", ["x", 1])
    assert g.get_rel_property(r0, "since") == 2020
    rel = g.relationship(r0)
    assert rel is not None and rel.properties == {"since": 2020, "tags": ["x", 1]} and rel["since"] == 2020
    untyped = g.relationship(g.create_relationship(b, a))
    assert untyped is not None and untyped.type == "" and untyped.weight == 1.0
    assert g.stats().edges == 3
    with g.snapshot() as s:
        assert s.relationships(a) == [r0, r1]
        assert s.relationships(a, "in") == [untyped.id]
        assert s.relationships(a, "both", "KNOWS") == [r0, r1]
        assert s.relationships(a, type="NONE") == []
        assert list(s.relationships(b, "in", output="numpy")) == [r0, r1]
        with pytest.raises(kvgraph.NotFoundError):
            s.relationships(99)
    loop = g.create_relationship(a, a, "SELF")
    with g.snapshot() as s:
        assert s.relationships(a, "both", "SELF") == [loop, loop]
    g.remove_relationship(r1)
    assert g.relationship(r1) is None
    with pytest.raises(kvgraph.NotFoundError):
        g.remove_relationship(r1)
    assert g.relationship(12345) is None


def test_relationship_bad_input(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    with pytest.raises(kvgraph.NotFoundError):
        g.create_relationship(a, 99)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.create_relationship(a, a, weight=math.nan)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.relationship(-1)


def test_batch_commits_atomically(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b, c = g.add_node(), g.add_node(), g.add_node()
    with g.batch() as batch:
        batch.add_edge(a, b, "A")
        r = batch.create_relationship(b, c, "B", weight=3.0)
        batch.set_rel_property(r, "w", 5)
        assert batch.add_label(c, "Person")
        batch.set_property(c, "age", 42)
        # Invisible until the commit; a single write to a key it writes conflicts.
        assert g.relationship(r) is None and g.get_property(c, "age") is None
        with pytest.raises(kvgraph.ConflictError):
            g.set_property(c, "age", 1)
        # A failing call records nothing; the batch stays usable.
        with pytest.raises(kvgraph.NotFoundError):
            batch.add_edge(a, 99)
        with pytest.raises(kvgraph.InvalidArgumentError):
            batch.create_relationship(a, b, weight=math.nan)
    assert batch.closed
    rel = g.relationship(r)
    assert rel is not None and (rel.start, rel.end, rel.type, rel.weight, rel.properties) == (b, c, "B", 3.0, {"w": 5})
    assert g.get_property(c, "age") == 42 and g.has_label(c, "Person")
    with g.snapshot() as s:
        assert s.neighbors(a) == [b]
    with pytest.raises(kvgraph.InvalidArgumentError):
        batch.add_edge(a, b)
    with pytest.raises(kvgraph.Error):
        batch.commit()

    # Removals, aborted by an exception: nothing changes.
    with pytest.raises(RuntimeError):
        with g.batch() as batch:
            batch.remove_relationship(r)
            assert batch.remove_label(c, "Person")
            assert batch.remove_property(c, "age")
            assert batch.remove_rel_property(r, "w")
            batch.remove_edge(a, b, "A")
            raise RuntimeError("abort")
    assert batch.closed
    assert g.relationship(r) is not None and g.get_property(c, "age") == 42
    batch.abort()  # idempotent

    # The same removals, committed by hand.
    batch = g.batch()
    batch.remove_relationship(r)
    batch.remove_edge(a, b, "A")
    batch.commit()
    assert g.relationship(r) is None
    with g.snapshot() as s:
        assert s.neighbors(a) == []


def test_batch_failed_commit_writes_nothing(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b = g.add_node(), g.add_node()
    g.add_edge(a, b, "A")
    batch = g.batch()
    r = batch.create_relationship(a, b, "NEW")
    batch.remove_edge(a, b, "A")
    g.remove_edge(a, b, "A")  # gone before the commit
    with pytest.raises(kvgraph.NotFoundError):
        batch.commit()
    assert batch.closed and g.relationship(r) is None
    with pytest.raises(kvgraph.Error):
        batch.commit()


def test_batch_creates_and_removes_nodes(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b = g.add_node(), g.add_node()
    r = g.create_relationship(a, b, "KNOWS")
    with g.batch() as batch:
        city = batch.add_node("City", name="Oslo", pop=700_000)
        batch.add_label(city, "Capital")
        batch.create_relationship(a, city, "LIVES_IN")
        batch.remove_node(b)
        with pytest.raises(kvgraph.NotFoundError):
            g.labels(city)  # nobody else sees it before the commit
        with pytest.raises(kvgraph.NotFoundError):
            batch.remove_node(b)
        with pytest.raises(kvgraph.InvalidArgumentError):
            batch.add_node(b"bad\xff")
    assert g.labels(city) == ["Capital", "City"]
    assert g.get_property(city, "pop") == 700_000
    assert g.relationship(r) is None
    with pytest.raises(kvgraph.NotFoundError):
        g.labels(b)
    aborted = g.batch()
    never = aborted.add_node("City")
    aborted.abort()
    with pytest.raises(kvgraph.NotFoundError):
        g.labels(never)
    # A relationship written meanwhile to a node the batch removes fails it.
    racing = g.batch()
    racing.remove_node(city)
    g.create_relationship(city, a, "NEW")
    with pytest.raises(kvgraph.ConflictError):
        racing.commit()
    assert g.labels(city) == ["Capital", "City"]


def test_engine_close_aborts_open_batches() -> None:
    db = kvgraph.Engine()
    a = db.graph.add_node()
    batch = db.graph.batch()
    batch.set_property(a, "x", 1)
    db.close()
    assert batch.closed
    with pytest.raises(kvgraph.Error):
        batch.commit()
