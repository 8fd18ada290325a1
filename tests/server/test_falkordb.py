"""The falkordb Python client against kvgraph-server's GRAPH.* commands,
unchanged: compact replies decoded into Node/Edge/Path objects, the
statistics, parameters, read-only queries, errors, list/delete, plans."""

import pytest
import redis
from falkordb import Edge, FalkorDB, Node, Path
from redis import ResponseError

SEED = ("CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) "
        "RETURN p1, r, p2")


@pytest.fixture
def db(server):
    client = FalkorDB(host="127.0.0.1", port=server.port)
    yield client
    for name in client.list_graphs():
        client.select_graph(name).delete()


def test_seed_create_returns_nodes_and_edge(db):
    g = db.select_graph("social")
    res = g.query(SEED)
    p1, r, p2 = res.result_set[0]
    assert isinstance(p1, Node) and isinstance(r, Edge) and isinstance(p2, Node)
    assert p1.labels == ["Person"] and p1.properties == {"name": "John Doe"}
    assert p2.labels == ["Person"] and p2.properties == {"name": "Jane Doe"}
    assert r.relation == "FRIEND"
    assert (r.src_node, r.dest_node) == (p1.id, p2.id)
    assert res.nodes_created == 2
    assert res.relationships_created == 1
    assert res.properties_set == 2
    assert res.labels_added >= 1
    assert res.run_time_ms >= 0
    assert [h[1] for h in res.header] == ["p1", "r", "p2"]


def test_match_results_and_scalars(db):
    g = db.select_graph("social")
    g.query(SEED)
    res = g.query("MATCH (a:Person)-[f:FRIEND]->(b:Person) RETURN a.name, b, f, 1.5, true, null, [1, 'x'], {k: 2}")
    assert len(res.result_set) == 1
    name, b, f, d, t, n, lst, m = res.result_set[0]
    assert name == "John Doe"
    assert b.labels == ["Person"] and b.properties == {"name": "Jane Doe"}
    assert f.relation == "FRIEND"
    assert (d, t, n, lst, dict(m)) == (1.5, True, None, [1, "x"], {"k": 2})
    assert res.nodes_created == 0


def test_paths(db):
    g = db.select_graph("social")
    g.query(SEED)
    (p,), = g.query("MATCH p = (:Person)-[:FRIEND]->(:Person) RETURN p").result_set
    assert isinstance(p, Path)
    assert [n.properties["name"] for n in p.nodes()] == ["John Doe", "Jane Doe"]
    assert p.edge_count() == 1 and p.get_edge(0).relation == "FRIEND"


def test_new_schema_names_resolve_after_earlier_ones_are_cached(db):
    g = db.select_graph("social")
    g.query(SEED)
    g.query("MATCH (n) RETURN n")  # the client now caches labels and keys
    res = g.query("CREATE (c:City {zip: 75001, name: 'Paris'})-[:IN]->(k:Country {code: 'FR'}) RETURN c, k")
    c, k = res.result_set[0]
    assert c.labels == ["City"] and c.properties == {"zip": 75001, "name": "Paris"}
    assert k.labels == ["Country"] and k.properties == {"code": "FR"}
    (a,), = g.query("MATCH (a:Person {name: 'John Doe'}) RETURN a").result_set
    assert a.labels == ["Person"] and a.properties == {"name": "John Doe"}


def test_parameters(db):
    g = db.select_graph("social")
    g.query(SEED)
    res = g.query("MATCH (p:Person) WHERE p.name = $name RETURN p.name, $n, $l, $m",
                  params={"name": "Jane Doe", "n": 7, "l": [1, "a b", None], "m": {"x": 1.5}})
    assert res.result_set == [["Jane Doe", 7, [1, "a b", None], {"x": 1.5}]]
    res = g.query("CREATE (p:Person {name: $name}) RETURN p", params={"name": 'quote " and \' inside'})
    assert res.result_set[0][0].properties["name"] == 'quote " and \' inside'


def test_ro_query_reads_and_refuses_writes(db):
    g = db.select_graph("social")
    g.query(SEED)
    assert g.ro_query("MATCH (p:Person) RETURN count(p)").result_set == [[2]]
    with pytest.raises(ResponseError, match="read-only"):
        g.ro_query("CREATE (:Person {name: 'x'})")
    assert g.ro_query("MATCH (p:Person) RETURN count(p)").result_set == [[2]]
    # a graph never written reads as empty, and is not created
    assert db.select_graph("nothing").ro_query("MATCH (n) RETURN count(n)").result_set == [[0]]
    assert "nothing" not in db.list_graphs()


def test_errors_are_response_errors(db):
    g = db.select_graph("social")
    with pytest.raises(ResponseError):
        g.query("MATCH (n RETURN n")
    with pytest.raises(ResponseError):
        g.query("RETURN 1 + 'a' * 2")
    with pytest.raises(ResponseError):
        g.query("RETURN $missing")
    assert g.query("RETURN 1").result_set == [[1]]


def test_timeout_stops_a_long_query_and_rolls_back_a_write(db):
    g = db.select_graph("social")
    assert g.query("RETURN 1", timeout=1000).result_set == [[1]]
    g.query("UNWIND range(1, 200) AS i CREATE (:N {i: i})")
    with pytest.raises(ResponseError, match="Query timed out"):
        g.query("MATCH (a:N), (b:N), (c:N) RETURN count(*)", timeout=50)
    with pytest.raises(ResponseError, match="Query timed out"):
        g.query("MATCH (a:N), (b:N), (c:N) SET a.seen = true", timeout=50)
    assert g.query("MATCH (a:N) WHERE a.seen IS NOT NULL RETURN count(a)").result_set == [[0]]


def test_list_and_delete_isolate_graphs(db):
    a, b = db.select_graph("a"), db.select_graph("b")
    a.query("CREATE (:X), (:X)")
    b.query("CREATE (:Y)")
    assert sorted(db.list_graphs()) == ["a", "b"]
    assert a.query("MATCH (n) RETURN count(n)").result_set == [[2]]
    assert b.query("MATCH (n) RETURN count(n)").result_set == [[1]]
    a.delete()
    assert db.list_graphs() == ["b"]
    with pytest.raises(ResponseError):
        a.delete()
    assert a.query("MATCH (n) RETURN count(n)").result_set == [[0]]


def test_explain_and_profile(db):
    g = db.select_graph("social")
    g.query(SEED)
    plan = g.explain("MATCH (p:Person) WHERE p.name = $n RETURN p", params={"n": "John Doe"})
    assert any("Match" in line for line in plan.plan)
    prof = g.profile("MATCH (p:Person) RETURN p.name")
    assert all("Records produced" in line for line in prof.plan)
    assert prof.structured_plan.profile_stats.records_produced == 2


def test_verbose_reply_without_compact(server):
    r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    r.execute_command("GRAPH.QUERY", "v", SEED)
    header, rows, stats = r.execute_command("GRAPH.QUERY", "v", "MATCH (a)-[f]->(b) RETURN a, f.since, 2.5")
    assert header == ["a", "f.since", "2.5"]
    node, since, d = rows[0]
    assert node[1] == ["labels", ["Person"]] and node[2] == ["properties", [["name", "John Doe"]]]
    assert since is None and d == "2.5"
    assert any(s.startswith("Query internal execution time") for s in stats)
    assert r.execute_command("GRAPH.DELETE", "v").startswith("Graph removed")


def test_hostile_queries_get_errors_and_the_server_keeps_serving(db, server):
    g = db.select_graph("hostile")
    deep = "RETURN " + "[" * 5000 + "]" * 5000
    for q in [deep, "CYPHER a=" + "[" * 5000 + " RETURN $a", "CYPHER a=\"x RETURN 1", "CYPHER `a=1 RETURN 1",
              "\xff", "MATCH (n"]:
        with pytest.raises(ResponseError):
            g.query(q)
    assert g.query("RETURN " + " + ".join(["1"] * 5000)).result_set == [[5000]]
    assert g.query("RETURN " + "-" * 2000 + "1").result_set == [[1]]
    assert server.alive()
