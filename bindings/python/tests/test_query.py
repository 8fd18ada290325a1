"""Cypher from Python: db.query, Result / Record, Node / Relationship / Path,
parameters, statistics and errors."""

from __future__ import annotations

import math

import pytest

import kvgraph
from kvgraph import _lib

pytestmark = pytest.mark.skipif(
    not hasattr(_lib.lib, "kvg_query"), reason="the loaded library has no kvg_query (Cypher not built in)"
)


def test_seed_example(db: kvgraph.Engine) -> None:
    result = db.query(
        "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2"
    )
    assert len(result) == 1
    assert result.columns == ["p1", "r", "p2"]
    rec = next(iter(result))
    p1, r, p2 = rec[0], rec["r"], rec[2]
    assert isinstance(p1, kvgraph.Node) and isinstance(r, kvgraph.Relationship) and isinstance(p2, kvgraph.Node)
    assert p1.labels == ["Person"] and p1["name"] == "John Doe" and p1.properties == {"name": "John Doe"}
    assert p2["name"] == "Jane Doe"
    assert r.type == "FRIEND" and r.start == p1.id and r.end == p2.id and r.properties == {}
    assert result.stats["nodes_created"] == 2
    assert result.stats["relationships_created"] == 1
    assert result.stats["properties_set"] == 2
    assert result.stats["labels_added"] == 2
    assert set(result.stats) == {
        "nodes_created",
        "nodes_deleted",
        "relationships_created",
        "relationships_deleted",
        "properties_set",
        "labels_added",
        "labels_removed",
    }
    # the graph API sees what the query wrote
    assert db.graph.get_property(p1.id, "name") == "John Doe"
    assert db.graph.labels(p2.id) == ["Person"]
    assert rec.data() == {"p1": p1, "r": r, "p2": p2}
    assert list(rec) == [p1, r, p2] and rec.keys() == ["p1", "r", "p2"] and len(rec) == 3


def test_scalars_lists_maps(db: kvgraph.Engine) -> None:
    rec = db.query(
        "RETURN 1 AS i, 1.5 AS f, 'x' AS s, true AS b, null AS n, [1, 'a', [2.0]] AS l, {k: 1, m: {z: [true]}} AS m"
    ).single()
    assert rec.data() == {"i": 1, "f": 1.5, "s": "x", "b": True, "n": None, "l": [1, "a", [2.0]], "m": {"k": 1, "m": {"z": [True]}}}
    assert type(rec["i"]) is int and type(rec["f"]) is float
    # a list of small ints stays a list; a string "NaN" stays a string
    rec = db.query("RETURN [1, 2, 3] AS l, 'NaN' AS s, 0.0 / 0.0 AS nan, 1.0 / 0.0 AS inf").single()
    assert rec["l"] == [1, 2, 3] and rec["s"] == "NaN"
    assert math.isnan(rec["nan"]) and rec["inf"] == math.inf
    # a map shaped like a node is still a map
    rec = db.query("RETURN {id: 1, labels: [], properties: {}} AS m").single()
    assert rec["m"] == {"id": 1, "labels": [], "properties": {}}


def test_temporal_values_come_back_as_iso_strings(db: kvgraph.Engine) -> None:
    rec = db.query(
        "RETURN date({year: 1910, month: 5, day: 6}) AS d, time('12:31:14.645876123+01:00') AS t, "
        "[duration({months: 1, days: 2})] AS l"
    ).single()
    assert rec.data() == {"d": "1910-05-06", "t": "12:31:14.645876123+01:00", "l": ["P1M2D"]}
    db.query("CREATE (:Event {at: datetime('1984-10-11T12:31:14-05:00'), spans: [localtime('10:35')]})")
    rec = db.query("MATCH (e:Event) RETURN e, e.at < datetime('1984-10-11T18:00Z') AS before").single()
    assert rec["before"] is True
    assert rec["e"].properties == {"at": "1984-10-11T12:31:14-05:00", "spans": ["10:35"]}
    # The typed property calls give the same strings.
    assert db.graph.get_property(rec["e"].id, "at") == "1984-10-11T12:31:14-05:00"
    assert db.graph.get_property(rec["e"].id, "spans") == ["10:35"]


def test_bytes_properties_come_back_as_bytes(db: kvgraph.Engine) -> None:
    a = db.graph.add_node("Blob")
    db.graph.set_property(a, "raw", b"\x00\x01")
    rec = db.query("MATCH (b:Blob) RETURN b.raw AS raw, b").single()
    assert rec["raw"] == b"\x00\x01"
    assert rec["b"].id == a


def test_parameters(db: kvgraph.Engine) -> None:
    db.query("CREATE (:Person {name: $name, age: $age})", name="Ada", age=36)
    db.query("CREATE (:Person {name: $p.name, age: $p.age})", {"p": {"name": "Bob", "age": 41}})
    result = db.query("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name ORDER BY name", {"min": 30})
    assert [r["name"] for r in result] == ["Ada", "Bob"]
    assert result.value("name") == ["Ada", "Bob"] and result.data() == [{"name": "Ada"}, {"name": "Bob"}]
    assert len(db.query("MATCH (p:Person) WHERE p.name IN $names RETURN p", names=["Ada", "Zed"])) == 1
    # kw wins over params
    assert db.query("RETURN $x AS x", {"x": 1}, x=2).single()["x"] == 2
    with pytest.raises(TypeError):
        db.query("RETURN $x", x=b"bytes")
    with pytest.raises(TypeError):
        db.query("RETURN $x", x=object())
    with pytest.raises(kvgraph.QueryError):
        db.query("RETURN $x", x=math.nan)
    with pytest.raises(kvgraph.QueryError) as info:
        db.query("RETURN $missing")
    assert info.value.category == "ParameterMissing"


def test_scalar_parameters_cross_as_the_general_encoder_sends_them(db: kvgraph.Engine) -> None:
    # Plain scalars take a fast encoding; each must read back as it does
    # through the general one (a list holding the same value).
    values = [0, -1, 2**62, True, False, None, 0.5, -0.0, 1e300, 5e-324, "", "Ada", "é 😀 \"\\\n\t\u0001"]
    for v in values:
        rec = db.query("RETURN $x AS x, $l AS l", x=v, l=[v]).single()
        assert rec["x"] == rec["l"][0] == v and type(rec["x"]) is type(v), v
    assert math.copysign(1.0, db.query("RETURN $x AS x", x=-0.0).single()["x"]) == -1.0
    with pytest.raises(kvgraph.QueryError):
        db.query("RETURN $x", x=math.inf)
    with pytest.raises(TypeError):
        db.query("RETURN $x", {1: 2})
    with pytest.raises(kvgraph.QueryError):
        db.query("RETURN 1 // \0")


def test_paths_and_nested_nodes(db: kvgraph.Engine) -> None:
    db.query("CREATE (:A {n: 1})-[:R {w: 2}]->(:B {n: 2})-[:R {w: 3}]->(:C {n: 3})")
    rec = db.query("MATCH p = (:A)-[:R*2]->(:C) RETURN p, nodes(p) AS ns, relationships(p) AS rs").single()
    path = rec["p"]
    assert isinstance(path, kvgraph.Path) and len(path) == 2
    assert [n["n"] for n in path.nodes] == [1, 2, 3] and [r["w"] for r in path.relationships] == [2, 3]
    assert path.start["n"] == 1 and path.end["n"] == 3
    assert rec["ns"] == path.nodes and rec["rs"] == path.relationships
    assert all(isinstance(n, kvgraph.Node) for n in rec["ns"])
    collected = db.query("MATCH (n) RETURN collect(n) AS all").single()["all"]
    assert sorted(n["n"] for n in collected) == [1, 2, 3]


def test_writes_and_stats(db: kvgraph.Engine) -> None:
    db.query("CREATE (:P {name: 'a'}), (:P {name: 'b'})")
    r = db.query("MATCH (p:P {name: 'a'}) SET p:Q, p.x = 1 REMOVE p.name")
    assert r.stats["labels_added"] == 1 and r.stats["properties_set"] == 2
    assert len(r) == 0 and r.columns == []
    r = db.query("MATCH (p:P) REMOVE p:Q DETACH DELETE p")
    assert r.stats["nodes_deleted"] == 2 and r.stats["labels_removed"] == 1
    assert len(db.query("MATCH (n) RETURN n")) == 0


def test_errors(db: kvgraph.Engine) -> None:
    with pytest.raises(kvgraph.QuerySyntaxError) as info:
        db.query("MATCH (n RETURN n")
    err = info.value
    assert isinstance(err, kvgraph.QueryError) and isinstance(err, kvgraph.Error)
    assert err.line == 1 and isinstance(err.column, int) and err.column > 0
    assert err.status == kvgraph.KVG_INVALID_ARGUMENT and err.message
    with pytest.raises(kvgraph.QuerySyntaxError) as info:
        db.query("MATCH (n)\nRETURN n n")
    assert info.value.line == 2
    with pytest.raises(kvgraph.QueryError) as exc:
        db.query("WITH 1 AS x RETURN x.name")  # fails while running
    assert not isinstance(exc.value, kvgraph.QuerySyntaxError) and exc.value.category == "TypeError"
    with pytest.raises(kvgraph.QueryError) as exc:
        db.query("RETURN 1 / 0")
    assert exc.value.category == "ArithmeticError"
    # compile-time errors are openCypher SyntaxErrors, without a position
    with pytest.raises(kvgraph.QuerySyntaxError) as info:
        db.query("RETURN undefined_variable")
    assert info.value.category == "SyntaxError"
    with pytest.raises(kvgraph.QueryError):
        db.query("RETURN 1\0")
    with pytest.raises(TypeError):
        db.query(b"RETURN 1")  # type: ignore[arg-type]
    db.close()
    with pytest.raises(kvgraph.QueryError):
        db.query("RETURN 1")


def test_result_helpers(db: kvgraph.Engine) -> None:
    result = db.query("UNWIND range(1, 3) AS i RETURN i, i * i AS sq")
    assert len(result) == 3 and result[1]["sq"] == 4 and result[-1][0] == 3
    assert [r.values() for r in result.records()] == [[1, 1], [2, 4], [3, 9]]
    assert "rows=3" in repr(result) and "sq=4" in repr(result[1])
    with pytest.raises(kvgraph.Error):
        result.single()
    with pytest.raises(KeyError):
        result[0]["nope"]
    assert result[0].get("nope", 7) == 7
    pd = pytest.importorskip("pandas")
    df = result.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["i", "sq"] and df["sq"].tolist() == [1, 4, 9]


def test_nodes_compare_by_id(db: kvgraph.Engine) -> None:
    a = db.query("CREATE (n:X {v: 1}) RETURN n").single()[0]
    b = db.query("MATCH (n:X) SET n.v = 2 RETURN n").single()[0]
    assert a == b and hash(a) == hash(b) and a["v"] == 1 and b["v"] == 2
    assert "labels=['X']" in repr(a)


def test_query_with_timeout_stops_and_rolls_back() -> None:
    with kvgraph.Engine() as db:
        db.query("UNWIND range(1, 200) AS i CREATE (:N {i: i})")
        with pytest.raises(kvgraph.QueryError) as info:
            db.query_with_timeout("MATCH (a:N), (b:N), (c:N) SET a.seen = true", 0.05)
        assert info.value.category == "TimeoutError" and "Query timed out after 50 ms" in str(info.value)
        assert db.query("MATCH (a:N) WHERE a.seen IS NULL RETURN count(a) AS n").single()["n"] == 200
        rec = db.query_with_timeout("RETURN $x AS x", 60, x=7).single()
        assert rec["x"] == 7
        for bad in (0, -1, float("nan"), "1", True):
            with pytest.raises(ValueError):
                db.query_with_timeout("RETURN 1", bad)  # type: ignore[arg-type]
