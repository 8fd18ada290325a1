//! Cypher end to end through `Engine::query`: the seed example, errors by
//! name, parameters, and results checked against the low-level graph API.

use kvgraph::query::{QueryValue, line_col};
use kvgraph::{Engine, Params, Value};

fn q(e: &Engine, text: &str) -> kvgraph::QueryResult {
    e.query(text, &Params::new()).unwrap_or_else(|err| panic!("{text}: {err}"))
}

fn err(e: &Engine, text: &str) -> String {
    e.query(text, &Params::new()).map(|_| ()).expect_err(text).message().to_string()
}

#[test]
fn seed_example_returns_two_nodes_and_the_relationship() {
    let e = Engine::new();
    let r = q(&e, "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2");
    assert_eq!(r.columns, ["p1", "r", "p2"]);
    assert_eq!(r.rows.len(), 1);
    let [QueryValue::Node(a), QueryValue::Relationship(rel), QueryValue::Node(b)] = &r.rows[0][..] else {
        panic!("{:?}", r.rows)
    };
    assert_eq!(a.labels, ["Person"]);
    assert_eq!(a.properties["name"], Value::String("John Doe".into()));
    assert_eq!(b.properties["name"], Value::String("Jane Doe".into()));
    assert_eq!((rel.rel_type.as_str(), rel.start, rel.end), ("FRIEND", a.id, b.id));
    assert_eq!((r.stats.nodes_created, r.stats.relationships_created, r.stats.properties_set), (2, 1, 2));
    assert_eq!(r.stats.labels_added, 2);
    // The low-level API sees the same graph.
    let g = e.graph();
    assert_eq!(g.node_labels(a.id).unwrap(), ["Person"]);
    assert_eq!(g.snapshot().neighbors(a.id, kvgraph::Direction::Out, Some("FRIEND")).unwrap(), [b.id]);
    let json = r.to_json();
    assert!(json.starts_with(r#"{"columns":["p1","r","p2"],"rows":[[{"id":"#), "{json}");
    assert!(json.contains(r#""type":"FRIEND""#) && json.contains(r#""stats":{"#), "{json}");
}

#[test]
fn errors_name_what_is_wrong() {
    let e = Engine::new();
    let m = err(&e, "MATCH (n RETURN n");
    assert!(m.starts_with("SyntaxError") && m.contains("1:7"), "{m}");
    assert_eq!(err(&e, "FOREACH (x IN [1] | CREATE ())"), "SyntaxError: FOREACH is not supported");
    assert!(err(&e, "RETURN x").contains("UndefinedVariable"));
    assert!(err(&e, "RETURN $missing").contains("ParameterMissing"));
    assert!(err(&e, "RETURN 1 / 0").contains("division by zero"));
    assert!(err(&e, "RETURN 'a' - 1").starts_with("TypeError"));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
}

#[test]
fn parameters_maps_and_lists() {
    let e = Engine::new();
    let params =
        Params::from_json(r#"{"rows": [{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}], "min": 40}"#).unwrap();
    let r = e.query("UNWIND $rows AS row CREATE (p:Person) SET p = row RETURN count(*) AS n", &params).unwrap();
    assert_eq!(r.rows, [[QueryValue::Int(2)]]);
    let r = e.query("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name", &params).unwrap();
    assert_eq!(r.rows, [[QueryValue::String("Alan".into())]]);
}

#[test]
fn match_where_order_aggregate_against_the_graph_api() {
    let e = Engine::new();
    let g = e.graph();
    let ids: Vec<u64> = (0..20).map(|_| g.add_node(Some("N")).unwrap()).collect();
    for (i, &id) in ids.iter().enumerate() {
        g.set_property_value(id, "i", Value::Int(i as i64)).unwrap();
        if i + 1 < ids.len() {
            g.add_edge(id, ids[i + 1], Some("NEXT"), 1.0).unwrap();
        }
        if i % 3 == 0 && i + 3 < ids.len() {
            g.add_edge(id, ids[i + 3], Some("JUMP"), 1.0).unwrap();
        }
    }
    let r = q(&e, "MATCH (a:N)-[:NEXT|JUMP]->(b) WHERE a.i < 10 RETURN a.i AS i, count(b) AS c ORDER BY i");
    let snap = g.snapshot();
    let expect: Vec<Vec<QueryValue>> = (0..10)
        .map(|i| {
            let n = snap.edges(ids[i], kvgraph::Direction::Out).unwrap().len();
            vec![QueryValue::Int(i as i64), QueryValue::Int(n as i64)]
        })
        .collect();
    assert_eq!(r.rows, expect);
}

/// MATCH feeds an aggregation directly (no materialised rows): groups come
/// out in order of first appearance, OPTIONAL MATCH's null rows are
/// counted, and PROFILE still reports each clause's rows.
#[test]
fn match_streams_into_aggregation() {
    let e = Engine::new();
    q(&e, "UNWIND range(0, 9) AS i CREATE (:P {i: i, g: i % 3})");
    q(&e, "MATCH (a:P {i: 1}), (b:P {i: 2}) CREATE (a)-[:R]->(b), (a)-[:R]->(b)");
    let r = q(&e, "MATCH (p:P) RETURN p.g AS g, count(*) AS c, collect(p.i) AS is");
    let int = |i| QueryValue::Int(i);
    let list = |v: &[i64]| QueryValue::List(v.iter().map(|&i| int(i)).collect());
    assert_eq!(
        r.rows,
        [[int(0), int(4), list(&[0, 3, 6, 9])], [int(1), int(3), list(&[1, 4, 7])], [int(2), int(3), list(&[2, 5, 8])]]
    );
    let r = q(&e, "MATCH (a:P) OPTIONAL MATCH (a)-[:R]->(b) RETURN count(*) AS rows, count(b) AS bs");
    assert_eq!(r.rows, [[int(11), int(2)]]);
    let r = q(&e, "MATCH (a:P) WHERE a.i > 100 RETURN count(*) AS n, sum(a.i) AS s");
    assert_eq!(r.rows, [[int(0), int(0)]]);
    let r = q(&e, "MATCH (a:P) WHERE a.i > 100 RETURN a.g, count(*)");
    assert!(r.rows.is_empty());
    let profile = q(&e, "PROFILE MATCH (p:P) WHERE p.i < 5 RETURN p.g AS g, count(*) AS c ORDER BY g");
    let rows: Vec<_> = profile.plan.iter().map(|s| s.rows).collect();
    assert_eq!(rows, [Some(5), Some(3)], "{:?}", profile.plan);
    assert!(err(&e, "MATCH (p:P) RETURN p.g, sum(p.i / 0)").contains("division by zero"));
}

/// A label scan reads properties ahead in runs of ids: every value, every
/// missing property and every name (more names than runs kept) is what one
/// lookup per node gives, across run boundaries and gaps in the ids.
#[test]
fn properties_read_ahead_match_lookups() {
    let e = Engine::new();
    q(&e, "UNWIND range(0, 1999) AS i CREATE (n:N {i: i}) WITH n, i WHERE i % 3 = 0 SET n.a = i * 2, n.s = 's' + i");
    q(&e, "UNWIND range(0, 999) AS i CREATE (:Other {i: i})");
    q(&e, "MATCH (n:N) WHERE n.i % 5 = 1 SET n.b = true, n.c = [n.i], n.d = n.i / 2");
    q(&e, "MATCH (n:N) WHERE n.i % 11 = 4 DETACH DELETE n");
    let r = q(&e, "MATCH (n:N) RETURN id(n), n.i, n.a, n.s, n.b, n.c, n.d");
    assert_eq!(r.rows.len(), 2000 - 182);
    let snap = e.graph().snapshot();
    for row in &r.rows {
        let QueryValue::Int(id) = row[0] else { panic!("{row:?}") };
        for (col, name) in ["i", "a", "s", "b", "c", "d"].iter().enumerate() {
            let want = snap.property_value(id as u64, name).unwrap();
            let want = want.map_or(QueryValue::Null, QueryValue::from);
            assert_eq!(row[col + 1], want, "node {id} property {name}");
        }
    }
}

#[test]
fn index_seek_gives_the_same_answer_as_a_scan() {
    let e = Engine::new();
    q(&e, "UNWIND range(0, 99) AS i CREATE (:P {k: i % 10, i: i})");
    let scan = q(&e, "MATCH (p:P {k: 3}) RETURN p.i ORDER BY p.i");
    let range = q(&e, "MATCH (p:P) WHERE p.k >= 8 RETURN p.i ORDER BY p.i");
    q(&e, "CREATE INDEX FOR (p:P) ON (p.k)");
    let explain = q(&e, "EXPLAIN MATCH (p:P {k: 3}) RETURN p.i");
    assert!(explain.plan[0].operator.contains("NodeIndexSeek"), "{:?}", explain.plan);
    assert_eq!(q(&e, "MATCH (p:P {k: 3}) RETURN p.i ORDER BY p.i").rows, scan.rows);
    assert_eq!(q(&e, "MATCH (p:P) WHERE p.k >= 8 RETURN p.i ORDER BY p.i").rows, range.rows);
    assert_eq!(scan.rows.len(), 10);
    assert_eq!(range.rows.len(), 20);
    assert_eq!(q(&e, "SHOW INDEXES").rows.len(), 1);
    q(&e, "DROP INDEX ON :P(k)");
    assert!(q(&e, "SHOW INDEXES").rows.is_empty());
}

/// A seek for the pattern's own property skips re-reading that property
/// only where the index's answer is exact: a `WHERE` equality on the same
/// property still meets the pattern's value, numbers of either type match
/// as in a scan, NaN never matches and lists are checked.
#[test]
fn an_exact_index_seek_answers_as_a_scan_does() {
    let e = Engine::new();
    q(&e, "CREATE (:P {k: 1, s: 'a'}), (:P {k: 2.0, s: 'b'}), (:P {k: 0.0/0.0, s: 'nan'}), (:P {k: [1, 2], s: 'l'})");
    let texts = [
        "MATCH (p:P {k: 1}) RETURN count(*)",
        "MATCH (p:P {k: 1.0}) RETURN count(*)",
        "MATCH (p:P {k: 2}) RETURN count(*)",
        "MATCH (p:P {k: 0.0/0.0}) RETURN count(*)",
        "MATCH (p:P {k: [1, null]}) RETURN count(*)",
        "MATCH (p:P {k: [1, 2]}) RETURN count(*)",
        "MATCH (p:P {k: 1}) WHERE p.k = 2 RETURN count(*)",
        "MATCH (p:P {k: 2}) WHERE p.k = 2 RETURN count(*)",
        "MATCH (p:P {k: 1, s: 'b'}) RETURN count(*)",
        "MATCH (p:P {s: 'a', k: 1}) RETURN count(*)",
    ];
    let scans: Vec<i64> = texts.iter().map(|t| count(&e, t)).collect();
    assert_eq!(scans, [1, 1, 1, 0, 0, 1, 0, 1, 0, 1]);
    q(&e, "CREATE INDEX FOR (p:P) ON (p.k)");
    let seeks: Vec<i64> = texts.iter().map(|t| count(&e, t)).collect();
    assert_eq!(seeks, scans);
    // Inside a write query (a batch) the same holds.
    assert_eq!(count(&e, "MATCH (p:P {k: 1}) WHERE p.k = 2 CREATE (:Q) RETURN count(*)"), 0);
    assert_eq!(count(&e, "MATCH (p:P {k: 2}) CREATE (:Q) RETURN count(*)"), 1);
}

#[test]
fn procedures_over_the_kernels() {
    let e = Engine::new();
    q(&e, "CREATE (a:X)-[:R]->(b:X)-[:R]->(c:X), (a)-[:R]->(c), (d:Y)");
    let r = q(&e, "CALL algo.triangleCount() YIELD triangles RETURN triangles");
    assert_eq!(r.rows, [[QueryValue::Int(1)]]);
    let r =
        q(&e, "MATCH (a:X) WITH a ORDER BY id(a) LIMIT 1 CALL algo.bfs(a) YIELD node, depth RETURN max(depth) AS d");
    assert_eq!(r.rows, [[QueryValue::Int(1)]]);
    let r = q(&e, "CALL algo.wcc() YIELD componentId RETURN count(DISTINCT componentId) AS c");
    assert_eq!(r.rows, [[QueryValue::Int(2)]]);
    let r = q(&e, "CALL db.labels() YIELD label RETURN collect(label) AS l");
    assert_eq!(r.rows, [[QueryValue::List(vec![QueryValue::String("X".into()), QueryValue::String("Y".into())])]]);
}

#[test]
fn a_failed_write_query_changes_nothing() {
    let e = Engine::new();
    q(&e, "CREATE (:P {v: 1})-[:R {w: 1}]->(:P {v: 2}), (:Q)");
    let before =
        q(&e, "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, type(r), properties(r), id(m) ORDER BY id(n)").rows;
    // Writes of every kind, then a runtime error.
    let m = err(
        &e,
        "MATCH (a:P {v: 1})-[r:R]->(b) SET a.v = 10, b:X REMOVE a:P CREATE (a)-[:S]->(:New) \
         DELETE r WITH a MATCH (q:Q) DETACH DELETE q RETURN 1 / 0",
    );
    assert!(m.contains("division by zero"), "{m}");
    // (A deleted relationship that the rollback recreates has a new id.)
    assert_eq!(
        q(&e, "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN n, type(r), properties(r), id(m) ORDER BY id(n)").rows,
        before
    );
    // Deleting takes effect once the query succeeds; the query no longer sees the node.
    let r = q(&e, "MATCH (q:Q) DELETE q WITH count(*) AS c MATCH (n) RETURN c, count(n) AS left");
    assert_eq!(r.rows, [[QueryValue::Int(1), QueryValue::Int(2)]]);
    assert_eq!(r.stats.nodes_deleted, 1);
    assert!(err(&e, "MATCH (n:P {v: 2}) DETACH DELETE n RETURN n.v").contains("DeletedEntityAccess"));
    assert_eq!(q(&e, "MATCH (n) RETURN count(n)").rows, [[QueryValue::Int(2)]]);
}

#[test]
fn parallel_relationships_are_distinct() {
    let e = Engine::new();
    let r = q(&e, "CREATE (a:A)-[:R {i: 1}]->(b:B), (a)-[:R {i: 2}]->(b) RETURN a");
    assert_eq!(r.stats.relationships_created, 2);
    let r = q(&e, "MATCH (:A)-[r:R]->(:B) RETURN r.i AS i, id(r) AS id ORDER BY i");
    assert_eq!(r.rows.len(), 2);
    assert_ne!(r.rows[0][1], r.rows[1][1]);
    // The ids are the graph's: the low-level API finds them.
    let QueryValue::Int(id) = r.rows[0][1] else { panic!() };
    let edge = e.graph().relationship(id as u64).unwrap();
    assert_eq!(edge.edge_type, "R");
    let r = q(&e, "MATCH ()-[r:R {i: 1}]->() DELETE r");
    assert_eq!(r.stats.relationships_deleted, 1);
    assert_eq!(q(&e, "MATCH ()-[r]->() RETURN count(r)").rows, [[QueryValue::Int(1)]]);
}

#[test]
fn deeply_nested_queries_get_an_error_not_a_crash() {
    let e = Engine::new();
    let n = 100_000;
    for text in [
        format!("RETURN {}1{}", "(".repeat(n), ")".repeat(n)),
        format!("RETURN {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("RETURN {}1", "NOT ".repeat(n)),
        format!("RETURN {}1", "-".repeat(n)),
        format!("RETURN 1{}", "+1".repeat(n)),
        format!("RETURN {}1{}", "{a: ".repeat(n), "}".repeat(n)),
    ] {
        let msg = err(&e, &text);
        assert!(msg.starts_with("SyntaxError"), "{msg}");
    }
    // Nesting up to the bound runs, the deep forms on a thread of their own
    // (this test's thread has Rust's default 2 MiB stack).
    let r = q(&e, &format!("RETURN {}1{} AS x", "(".repeat(50), ")".repeat(50)));
    assert_eq!(r.rows[0][0], QueryValue::Int(1));
    let r = q(&e, &format!("RETURN {}1{} AS x", "(".repeat(5000), ")".repeat(5000)));
    assert_eq!(r.rows[0][0], QueryValue::Int(1));
    let r = q(&e, &format!("RETURN 0{} AS x", " + 1".repeat(5000)));
    assert_eq!(r.rows[0][0], QueryValue::Int(5000));
    let r = q(&e, &format!("UNWIND [1, 2] AS a RETURN count(*) AS n, sum(0{}) AS s", " + a".repeat(3000)));
    assert_eq!(r.rows[0], [QueryValue::Int(2), QueryValue::Int(9000)]);
}

#[test]
fn a_query_past_its_timeout_stops_and_a_write_is_rolled_back() {
    use std::time::Duration;
    let e = Engine::new();
    q(&e, "UNWIND range(1, 200) AS i CREATE (:N {i: i})");
    // 200^3 = 8 M rows: far longer than 50 ms.
    let slow = "MATCH (a:N), (b:N), (c:N) RETURN count(*) AS n";
    let msg = e.query_with_timeout(slow, &Params::new(), Duration::from_millis(50)).unwrap_err().message().to_string();
    assert!(msg.starts_with("TimeoutError: Query timed out after 50 ms"), "{msg}");
    let write = "MATCH (a:N), (b:N), (c:N) SET a.seen = true";
    let msg = e.query_with_timeout(write, &Params::new(), Duration::from_millis(50)).unwrap_err().message().to_string();
    assert!(msg.starts_with("TimeoutError"), "{msg}");
    assert_eq!(q(&e, "MATCH (a:N) WHERE a.seen IS NOT NULL RETURN count(*) AS n").rows[0][0], QueryValue::Int(0));
    // Within its timeout a query runs as usual.
    let r = e.query_with_timeout("MATCH (a:N) RETURN count(*) AS n", &Params::new(), Duration::from_secs(60)).unwrap();
    assert_eq!(r.rows[0][0], QueryValue::Int(200));
}

fn count(e: &Engine, text: &str) -> i64 {
    match q(e, text).rows[..] {
        [ref row] => match row[..] {
            [QueryValue::Int(n)] => n,
            ref other => panic!("{text}: {other:?}"),
        },
        ref rows => panic!("{text}: {rows:?}"),
    }
}

#[test]
fn a_write_query_reads_its_own_writes_through_labels_and_indexes() {
    let e = Engine::new();
    q(&e, "CREATE INDEX FOR (n:P) ON (n.k)");
    q(&e, "CREATE (:P {k: 0})");
    assert_eq!(count(&e, "CREATE (:X), (:X) WITH 1 AS one MATCH (x:X) RETURN count(x)"), 2);
    assert_eq!(count(&e, "CREATE (:P {k: 1}) WITH 1 AS one MATCH (p:P) WHERE p.k >= 0 RETURN count(p)"), 2);
    assert_eq!(count(&e, "MATCH (p:P {k: 0}) SET p.k = 5 WITH 1 AS one MATCH (p:P {k: 5}) RETURN count(p)"), 1);
    // MERGE sees the nodes the same query created (through the index).
    let r = q(&e, "UNWIND [7, 7, 8, 0, 5] AS k MERGE (:P {k: k})");
    assert_eq!(r.stats.nodes_created, 3);
    assert_eq!(count(&e, "MATCH (p:P) RETURN count(p)"), 5);
    // A node deleted by the query is gone for its later clauses.
    assert_eq!(count(&e, "MATCH (p:P {k: 7}) DELETE p WITH 1 AS one MATCH (p:P) RETURN count(p)"), 4);
    assert_eq!(count(&e, "MATCH (p:P {k: 7}) RETURN count(p)"), 0);
}

#[test]
fn a_write_query_is_invisible_until_it_commits_whole() {
    let e = std::sync::Arc::new(Engine::new());
    const N: usize = 20_000;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (e, done) = (e.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let s = e.graph().snapshot();
                seen.insert((s.nodes_with_label("N").len(), s.edge_count()));
            }
            seen
        })
    };
    let text = format!("UNWIND range(1, {N}) AS i CREATE (:N {{i: i}})-[:R]->(:M)");
    assert_eq!(q(&e, &text).stats.nodes_created, 2 * N as u64);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    for seen in reader.join().unwrap() {
        assert!(seen == (0, 0) || seen == (N, N as u64), "a snapshot saw part of the query: {seen:?}");
    }
}

#[test]
fn concurrent_write_queries_on_one_node_retry_instead_of_failing() {
    let e = std::sync::Arc::new(Engine::new());
    q(&e, "CREATE (:Counter {n: 0})");
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    q(&e, "MATCH (c:Counter) SET c.n = c.n + 1, c.touched = true");
                }
            })
        })
        .collect();
    writers.into_iter().for_each(|w| w.join().unwrap());
    // Read-committed, as Neo4j's default: concurrent increments may read the
    // same value, but none fails and every one lands whole.
    let n = count(&e, "MATCH (c:Counter) RETURN c.n");
    assert!((100..=200).contains(&n), "{n}");
    assert_eq!(count(&e, "MATCH (c:Counter) WHERE c.touched RETURN count(c)"), 1);
}

/// The single cell of a one-row, one-column result.
fn one(e: &Engine, text: &str) -> QueryValue {
    let r = q(e, text);
    assert_eq!((r.rows.len(), r.columns.len()), (1, 1), "{text}");
    r.rows[0][0].clone()
}

fn text_of(v: &QueryValue) -> String {
    match v {
        QueryValue::Temporal(t) => t.to_string(),
        QueryValue::String(s) => s.clone(),
        other => panic!("not temporal: {other:?}"),
    }
}

#[test]
fn temporal_values_construct_render_and_read_components() {
    let e = Engine::new();
    for (expr, want) in [
        ("date({year: 1910, month: 5, day: 6})", "1910-05-06"),
        ("date('2015-W30-2')", "2015-07-21"),
        ("localtime({hour: 12, minute: 31, second: 14, nanosecond: 645876123})", "12:31:14.645876123"),
        ("time({hour: 10, minute: 35, timezone: '-08:00'})", "10:35-08:00"),
        ("localdatetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14})", "1984-10-11T12:31:14"),
        ("datetime('2015-07-21T21:40:32.142+01:00')", "2015-07-21T21:40:32.142+01:00"),
        ("duration({months: 1, days: 2})", "P1M2D"),
        ("duration('P1DT2H')", "P1DT2H"),
        ("date({year: 2020, month: 1, day: 31}) + duration({months: 1})", "2020-02-29"),
        ("localtime({hour: 23, minute: 58}) + duration({minutes: 6})", "00:04"),
        ("datetime('2020-01-01T00:00Z') - duration('PT1S')", "2019-12-31T23:59:59Z"),
        ("duration({days: 1}) * 3", "P3D"),
        ("duration({hours: 3}) / 2", "PT1H30M"),
        ("date(datetime('2015-07-21T21:40:32+01:00'))", "2015-07-21"),
        ("toString(date({year: 1984, month: 10, day: 11}))", "1984-10-11"),
    ] {
        assert_eq!(text_of(&one(&e, &format!("RETURN {expr} AS v"))), want, "{expr}");
    }
    let r = q(
        &e,
        "WITH datetime('2015-07-21T21:40:32.142+01:00') AS d RETURN d.year, d.month, d.dayOfWeek, d.hour, d.millisecond, d.timezone, duration('P1Y2M').months",
    );
    assert_eq!(
        r.rows[0],
        [
            QueryValue::Int(2015),
            QueryValue::Int(7),
            QueryValue::Int(2),
            QueryValue::Int(21),
            QueryValue::Int(142),
            QueryValue::String("+01:00".into()),
            QueryValue::Int(14),
        ]
    );
    assert!(q(&e, "RETURN date({year: 2015}) AS d").to_json().contains(r#""rows":[["2015-01-01"]]"#));
    // Aggregates: min and max by the order, sum and avg of durations, DISTINCT by instant.
    let r = q(
        &e,
        "UNWIND [duration('PT1H'), duration('PT2H'), duration('P1D')] AS d \
         RETURN sum(d), avg(d), min(d), max(d)",
    );
    let got: Vec<String> = r.rows[0].iter().map(text_of).collect();
    assert_eq!(got, ["P1DT3H", "PT9H", "PT1H", "P1D"]);
    let r = q(&e, "UNWIND [time('12:00+01:00'), time('11:00Z'), time('10:00Z')] AS t RETURN count(DISTINCT t)");
    assert_eq!(r.rows[0][0], QueryValue::Int(2));
    assert_eq!(one(&e, "RETURN date(null) AS d"), QueryValue::Null);
}

#[test]
fn temporal_values_compare_and_sort_as_opencypher_says() {
    let e = Engine::new();
    for (expr, want) in [
        ("time('12:00+01:00') = time('11:00Z')", QueryValue::Bool(true)),
        ("time('12:35:15+05:00') < time('10:35-08:00')", QueryValue::Bool(true)),
        ("date('2015-07-21') < date('2015-07-22')", QueryValue::Bool(true)),
        ("date('2015-07-21') < localdatetime('2015-07-22T00:00')", QueryValue::Null),
        ("duration('P1M') < duration('P2M')", QueryValue::Null),
        ("duration('P1M') = duration('P30D')", QueryValue::Bool(false)),
        ("date('2015-07-21') = '2015-07-21'", QueryValue::Bool(false)),
    ] {
        assert_eq!(one(&e, &format!("RETURN {expr} AS v")), want, "{expr}");
    }
    // Orderability across types: lists < temporal values < strings; temporal kinds in openCypher's order.
    let r = q(
        &e,
        "UNWIND ['s', duration('P1D'), localtime('12:00'), time('12:00Z'), date('2015-07-21'), \
         localdatetime('2015-07-21T00:00'), datetime('2015-07-21T00:00Z'), [1]] AS v RETURN v ORDER BY v",
    );
    let order: Vec<String> = r.rows.iter().map(|row| crate_text(&row[0])).collect();
    assert_eq!(order, ["[1]", "2015-07-21T00:00Z", "2015-07-21T00:00", "2015-07-21", "12:00Z", "12:00", "P1D", "'s'"]);
}

fn crate_text(v: &QueryValue) -> String {
    match v {
        QueryValue::String(s) => format!("'{s}'"),
        QueryValue::List(_) => "[1]".into(),
        other => text_of(other),
    }
}

#[test]
fn temporal_properties_are_stored_indexed_and_matched() {
    let e = Engine::new();
    q(
        &e,
        "CREATE (:E {at: date('1980-10-24')}), (:E {at: date('1910-05-06')}), (:E {at: date('1985-05-06')}), (:E {at: 'x'})",
    );
    let r = q(&e, "MATCH (n:E) WHERE n.at > date('1950-01-01') RETURN n.at ORDER BY n.at DESC");
    let got: Vec<String> = r.rows.iter().map(|row| text_of(&row[0])).collect();
    assert_eq!(got, ["1985-05-06", "1980-10-24"]);
    let scan = q(&e, "MATCH (n:E) WHERE n.at = date('1910-05-06') RETURN count(n)");
    q(&e, "CREATE INDEX FOR (n:E) ON (n.at)");
    let seek = q(&e, "MATCH (n:E) WHERE n.at = date('1910-05-06') RETURN count(n)");
    assert_eq!((scan.rows[0][0].clone(), seek.rows[0][0].clone()), (QueryValue::Int(1), QueryValue::Int(1)));
    // The graph API sees a typed value; the index ranges over dates only.
    let snap = e.graph().snapshot();
    let lo = Value::Temporal(kvgraph::Temporal::parse(kvgraph::TemporalKind::Date, "1950-01-01").unwrap());
    let hits = snap.index_range("E", "at", std::ops::Bound::Included(&lo), std::ops::Bound::Unbounded).unwrap();
    assert_eq!(hits.len(), 2);
}

#[test]
fn bad_temporal_input_is_an_error_not_a_panic() {
    let e = Engine::new();
    for (text, want) in [
        ("RETURN date({year: 2020, month: 13}) AS d", "month 13"),
        ("RETURN date({year: 2021, month: 2, day: 29}) AS d", "day 29"),
        ("RETURN date({year: 2020, hour: 1}) AS d", "hour"),
        ("RETURN date({month: 1}) AS d", "needs a year"),
        ("RETURN date({year: '2020'}) AS d", "Integer"),
        ("RETURN localtime({hour: 1, second: 2}) AS d", "second needs minute"),
        ("RETURN time({hour: 1, timezone: 'Europe/Stockholm'}) AS d", "named time zones"),
        ("RETURN date('2015-02-30') AS d", "day 30"),
        ("RETURN duration('P1X') AS d", "P1X"),
        ("RETURN duration({days: 1}) / 0 AS d", "division by zero"),
        ("RETURN date([1]) AS d", "List"),
        ("RETURN date({year: 999999999, month: 12, day: 31}) + duration('P1D') AS d", "out of range"),
        ("RETURN date('2015-07-21').hour AS d", "no component hour"),
        ("RETURN date('2015-07-21') - date('2015-07-20') AS d", "Date"),
    ] {
        let msg = err(&e, text);
        assert!(msg.contains(want), "{text}: {msg}");
    }
}

/// People A..E with FRIEND edges A→B, A→C, B→C, B→D, C→E, C→A, D→A.
fn friends() -> Engine {
    let e = Engine::new();
    q(
        &e,
        "CREATE (a:Person {name: 'A', age: 30}), (b:Person {name: 'B', age: 40}), (c:Person {name: 'C', age: 20}),
                (d:Person {name: 'D', age: 50}), (x:Person {name: 'E', age: 35}),
                (a)-[:FRIEND]->(b), (a)-[:FRIEND]->(c), (b)-[:FRIEND]->(c), (b)-[:FRIEND]->(d),
                (c)-[:FRIEND]->(x), (c)-[:FRIEND]->(a), (d)-[:FRIEND]->(a)",
    );
    e
}

fn names(r: &kvgraph::QueryResult) -> Vec<String> {
    r.rows
        .iter()
        .map(|row| match &row[0] {
            QueryValue::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn exists_subquery_full_and_short_forms() {
    let e = friends();
    // Full form; the inner WHERE reads an outer and an inner variable.
    let full = "MATCH (p:Person) WHERE EXISTS { MATCH (p)-[:FRIEND]->(f:Person) WHERE f.age > p.age } \
                RETURN p.name ORDER BY p.name";
    assert_eq!(names(&q(&e, full)), ["A", "B", "C"]);
    // Short form: a bare pattern, with and without WHERE.
    let short = "MATCH (p:Person) WHERE EXISTS { (p)-[:FRIEND]->(f) WHERE f.name = 'E' } RETURN p.name";
    assert_eq!(names(&q(&e, short)), ["C"]);
    let r =
        q(&e, "MATCH (p:Person) WHERE NOT EXISTS { (p)<-[:FRIEND]-(:Person {age: 40}) } RETURN p.name ORDER BY p.name");
    assert_eq!(names(&r), ["A", "B", "E"]);
    // As a value in RETURN, and with a single-node pattern.
    let r = q(
        &e,
        "MATCH (p:Person) RETURN p.name, EXISTS { (p)-[:FRIEND]->(:Person {name: 'A'}) } AS back ORDER BY p.name",
    );
    let back: Vec<QueryValue> = r.rows.iter().map(|row| row[1].clone()).collect();
    let (t, f) = (QueryValue::Bool(true), QueryValue::Bool(false));
    assert_eq!(back, [f.clone(), f.clone(), t.clone(), t, f]);
    assert_eq!(q(&e, "RETURN EXISTS { MATCH (n:Person) WHERE n.age > 45 } AS x").rows, [[QueryValue::Bool(true)]]);
    assert_eq!(q(&e, "RETURN EXISTS { (n:Nobody) } AS x").rows, [[QueryValue::Bool(false)]]);
    // A null outer variable matches nothing.
    let r = q(&e, "OPTIONAL MATCH (n:Nobody) RETURN EXISTS { (n)-->() } AS x");
    assert_eq!(r.rows, [[QueryValue::Bool(false)]]);
    // Short forms with labels and several hops (which the parser reads only
    // with MATCH spelled out; the column keeps the text as written).
    let r = q(
        &e,
        "MATCH (p:Person) WHERE EXISTS { (p)-[:FRIEND]->(:Person)-[:FRIEND]->(:Person {name: 'E'}) } RETURN p.name ORDER BY p.name",
    );
    assert_eq!(names(&r), ["A", "B"]);
    let r = q(&e, "MATCH (p:Person {name: 'C'}) RETURN 'EXISTS { (x)-->(:P) }' AS s, COUNT { (p)--(:Person)--(p) }");
    assert_eq!(r.columns, ["s", "COUNT { (p)--(:Person)--(p) }"]);
    assert_eq!(r.rows, [[QueryValue::String("EXISTS { (x)-->(:P) }".into()), QueryValue::Int(2)]]);
    let r =
        q(&e, "MATCH (p:Person) WHERE EXISTS/* c */{\n  // d\n  (p)-[:FRIEND]->(:Person {name: 'E'})\n} RETURN p.name");
    assert_eq!(names(&r), ["C"]);
    // A plain RETURN inside EXISTS is allowed and changes nothing.
    let r = q(&e, "MATCH (p:Person {name: 'D'}) RETURN EXISTS { MATCH (p)-->(f) RETURN f.name } AS x");
    assert_eq!(r.rows, [[QueryValue::Bool(true)]]);
}

#[test]
fn not_exists_finds_friends_of_friends_who_are_not_friends() {
    let e = friends();
    let text = "MATCH (p:Person {name: $name})-[:FRIEND]->(:Person)-[:FRIEND]->(f:Person) \
                WHERE f <> p AND NOT EXISTS { MATCH (p)-[:FRIEND]->(f) } RETURN DISTINCT f.name ORDER BY f.name";
    let run = |who: &str| {
        let params = Params::from_json(&format!(r#"{{"name": "{who}"}}"#)).unwrap();
        names(&e.query(text, &params).unwrap_or_else(|err| panic!("{text}: {err}")))
    };
    // A: B→C is a friend already, B→D and C→E are not, C→A is A.
    assert_eq!(run("A"), ["D", "E"]);
    // B: C→E, C→A, D→A; not C or D themselves.
    assert_eq!(run("B"), ["A", "E"]);
    assert_eq!(run("E"), Vec::<String>::new());
    // The same with the pattern predicate it replaces, bare and in exists().
    let old = text.replace("NOT EXISTS { MATCH (p)-[:FRIEND]->(f) }", "NOT exists((p)-[:FRIEND]->(f))");
    let params = Params::from_json(r#"{"name": "A"}"#).unwrap();
    assert_eq!(names(&e.query(&old, &params).unwrap()), ["D", "E"]);
    let old = text.replace("NOT EXISTS { MATCH (p)-[:FRIEND]->(f) }", "NOT (p)-[:FRIEND]->(f)");
    let params = Params::from_json(r#"{"name": "A"}"#).unwrap();
    assert_eq!(names(&e.query(&old, &params).unwrap()), ["D", "E"]);
}

#[test]
fn exists_of_a_pattern_is_the_pattern_predicate() {
    let e = friends();
    let r = q(&e, "MATCH (p:Person) RETURN p.name, exists((p)<-[:FRIEND]-(:Person {name: 'D'})) AS x ORDER BY p.name");
    let got: Vec<QueryValue> = r.rows.iter().map(|row| row[1].clone()).collect();
    assert_eq!(got, [true, false, false, false, false].map(QueryValue::Bool));
    let r = q(&e, "MATCH (p:Person) WHERE NOT exists((p)-[:FRIEND]->()) RETURN p.name");
    assert_eq!(names(&r), ["E"]);
    let r = q(&e, "MATCH (p:Person) WHERE exists(p.age) AND NOT exists(p.email) RETURN count(*) AS n");
    assert_eq!(r.rows, [[QueryValue::Int(5)]]);
}

#[test]
fn count_subquery_in_return_where_and_order_by() {
    let e = friends();
    let r = q(&e, "MATCH (p:Person) RETURN p.name, COUNT { (p)-[:FRIEND]->() } AS n ORDER BY p.name");
    let counts: Vec<QueryValue> = r.rows.iter().map(|row| row[1].clone()).collect();
    assert_eq!(counts, [2, 2, 2, 1, 0].map(QueryValue::Int));
    let r = q(
        &e,
        "MATCH (p:Person) WHERE COUNT { MATCH (p)-[:FRIEND]-(f) WHERE f.age < p.age } >= 2 RETURN p.name ORDER BY p.name",
    );
    // A counts C twice (A→C and C→A).
    assert_eq!(names(&r), ["A", "B", "D"]);
    let r = q(&e, "MATCH (p:Person) RETURN p.name ORDER BY COUNT { (p)<-[:FRIEND]-() } DESC, p.name LIMIT 2");
    assert_eq!(names(&r), ["A", "C"]);
    // Counted per row of an aggregation's group key, and summed by an aggregate.
    let r = q(&e, "MATCH (p:Person) RETURN sum(COUNT { (p)-[:FRIEND]->() }) AS total, count(*) AS people");
    assert_eq!(r.rows, [[QueryValue::Int(7), QueryValue::Int(5)]]);
    // Relationship uniqueness holds within the subquery's pattern: the one
    // edge X→Y cannot be walked there and back.
    q(&e, "CREATE (:X)-[:R]->(:Y)");
    assert_eq!(q(&e, "MATCH (x:X) RETURN COUNT { (x)--()--() } AS n").rows, [[QueryValue::Int(0)]]);
    assert_eq!(q(&e, "MATCH (x:X) RETURN COUNT { (x)--() } AS n").rows, [[QueryValue::Int(1)]]);
    // …but an outer relationship may be used again inside.
    let r = q(&e, "MATCH (x:X)-[r]->(y) RETURN COUNT { (y)<-[r]-(x) } AS n");
    assert_eq!(r.rows, [[QueryValue::Int(1)]]);
}

#[test]
fn exists_stops_at_the_first_match() {
    let e = Engine::new();
    // A chain p→a→b: depth-first, the match through `a` is found before
    // `b` is reached, whose v = 0 would make the WHERE divide by zero.
    q(&e, "CREATE (:P)-[:N]->({v: 1})-[:N]->({v: 0})");
    let exists = "MATCH (p:P) RETURN EXISTS { MATCH (p)-[:N*]->(f) WHERE 10 / f.v > 0 } AS x";
    assert_eq!(q(&e, exists).rows, [[QueryValue::Bool(true)]]);
    assert!(err(&e, &exists.replace("EXISTS", "COUNT")).contains("division by zero"));
}

#[test]
fn collect_subquery_and_nested_subqueries() {
    let e = friends();
    let r = q(&e, "MATCH (p:Person {name: 'B'}) RETURN COLLECT { MATCH (p)-[:FRIEND]->(f) RETURN f.name } AS fs");
    let QueryValue::List(fs) = &r.rows[0][0] else { panic!("{:?}", r.rows) };
    let mut fs: Vec<String> = fs.iter().map(|v| format!("{v:?}")).collect();
    fs.sort();
    assert_eq!(fs, [format!("{:?}", QueryValue::String("C".into())), format!("{:?}", QueryValue::String("D".into()))]);
    let r = q(&e, "MATCH (p:Person {name: 'E'}) RETURN COLLECT { MATCH (p)-->(f) RETURN f } AS fs");
    assert_eq!(r.rows, [[QueryValue::List(Vec::new())]]);
    // EXISTS inside EXISTS: who has a friend with a friend E?
    let nested = "MATCH (p:Person) WHERE EXISTS { MATCH (p)-[:FRIEND]->(f) WHERE EXISTS { (f)-[:FRIEND]->(g) WHERE g.name = 'E' } } \
                  RETURN p.name ORDER BY p.name";
    assert_eq!(names(&q(&e, nested)), ["A", "B"]);
    // COUNT inside EXISTS, reading variables of both enclosing levels.
    let r = q(
        &e,
        "MATCH (p:Person) WHERE EXISTS { MATCH (p)-[:FRIEND]->(f) WHERE COUNT { (f)-[:FRIEND]->(g) WHERE g <> p } = 2 } \
         RETURN p.name ORDER BY p.name",
    );
    assert_eq!(names(&r), ["A", "B", "D"]);
}

#[test]
fn subquery_variables_stay_inside_and_unsupported_forms_say_so() {
    let e = friends();
    // A variable the subquery introduces is not visible after it.
    for text in [
        "MATCH (p:Person) WHERE EXISTS { (p)-[:FRIEND]->(q) } RETURN q",
        "MATCH (p:Person) WITH p, COUNT { MATCH (p)-[r]->(q) } AS n RETURN r",
        "MATCH (p:Person) RETURN EXISTS { (p)-->(q) } AS x, q.name",
    ] {
        let m = err(&e, text);
        assert!(m.contains("UndefinedVariable"), "{text}: {m}");
    }
    for (text, want) in [
        ("MATCH (p) RETURN EXISTS { MATCH (p)-->(q) RETURN q UNION MATCH (q) RETURN q } AS x", "UNION inside EXISTS"),
        ("MATCH (p) RETURN EXISTS { MATCH (p)-->(q) WITH q MATCH (q)-->(r) } AS x", "WITH inside EXISTS"),
        ("MATCH (p) RETURN COUNT { MATCH (p)-->(q) MATCH (q)-->(r) } AS x", "a second MATCH inside COUNT"),
        ("MATCH (p) RETURN COUNT { OPTIONAL MATCH (p)-->(q) } AS x", "OPTIONAL MATCH inside COUNT"),
        ("RETURN COUNT { CREATE (n) } AS x", "InvalidClauseComposition: COUNT { … } cannot contain CREATE"),
        ("MATCH (p) WHERE EXISTS { MATCH (p)-->(m) SET m.x = 1 } RETURN p", "cannot contain SET"),
        ("RETURN EXISTS { CALL db.labels() YIELD label } AS x", "CALL as the first clause inside EXISTS"),
        ("RETURN EXISTS { UNWIND [1] AS x RETURN x } AS x", "UNWIND as the first clause inside EXISTS"),
        ("MATCH (p) RETURN EXISTS { MATCH (p)-->(q) RETURN DISTINCT q } AS x", "DISTINCT, ORDER BY"),
        ("MATCH (p) RETURN COLLECT { MATCH (p)-->(q) RETURN q LIMIT 1 } AS x", "DISTINCT, ORDER BY"),
        ("MATCH (p) RETURN COLLECT { MATCH (p)-->(q) } AS x", "RETURN of one column"),
        ("MATCH (p) RETURN COLLECT { MATCH (p)-->(q) RETURN p, q } AS x", "exactly one column"),
        ("MATCH (p) RETURN COUNT { MATCH (p)-->(q) RETURN * } AS x", "RETURN * inside COUNT"),
        ("MATCH (p) RETURN COUNT { MATCH (p)-->(q) WHERE count(q) > 1 } AS x", "InvalidAggregation"),
        ("MATCH (p) RETURN COUNT { MATCH (p)-->(q) RETURN q RETURN q } AS x", "SyntaxError"),
        ("MATCH (p) RETURN COUNT { MATCH (p)-[r]->(q)-[r]->() } AS x", "VariableAlreadyBound"),
        ("MATCH (p)-[r]->() RETURN COUNT { MATCH (r)-->() } AS x", "VariableTypeConflict"),
        ("MATCH (p) RETURN EXISTS { } AS x", "SyntaxError"),
        ("MATCH (p) RETURN EXISTS { MATCH } AS x", "SyntaxError"),
        ("MATCH (p) RETURN COUNT { (p)-->( } AS x", "SyntaxError"),
        ("MATCH (p) WHERE EXISTS { (p)-->(q) WHERE q.age > $missing } RETURN p", "ParameterMissing"),
    ] {
        let m = err(&e, text);
        assert!(m.contains(want), "{text}: {m}");
    }
}

#[test]
fn a_relationship_lookup_repeated_by_a_pattern_predicate_sees_the_query_s_own_writes() {
    let e = Engine::new();
    q(&e, "CREATE (a:A)-[:R]->(:B), (a)-[:R]->(:B), (:C), (:C)");
    // The predicate asks for a's R relationships once per candidate c.
    let r = q(&e, "MATCH (a:A), (c) WHERE NOT (a)-[:R]->(c) RETURN count(c)");
    assert_eq!(r.rows, [[QueryValue::Int(3)]], "a itself and the two C nodes");
    // Read before the query's first write, then again after it: the second
    // read must see the new relationship.
    let text = "MATCH (a:A) WHERE NOT (a)-[:R]->(:C) CREATE (a)-[:R]->(:C) \
                WITH a MATCH (a)-[:R]->(x) RETURN count(x)";
    assert_eq!(q(&e, text).rows, [[QueryValue::Int(3)]]);
    assert_eq!(q(&e, "MATCH (a:A)-[:R]->(x) RETURN count(x)").rows, [[QueryValue::Int(3)]]);
}
