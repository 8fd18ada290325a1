//! Durability: save and reopen round trips, log replay, torn tails, damage,
//! the directory lock.

#[path = "durability/image.rs"]
mod image;

use image::image;
use kvgraph::{Clock, Config, Engine, ErrorKind, Fsync, SavePolicy, Value};
use std::path::Path;
use std::time::Duration;

fn config(dir: &Path, fsync: Fsync, clock: &Clock) -> Config {
    Config {
        path: Some(dir.to_path_buf()),
        fsync,
        clock: clock.clone(),
        save: SavePolicy { rules: vec![] },
        ..Config::default()
    }
}

/// Writes some of everything: KV with and without TTL, counters, nodes with
/// labels and typed properties, edges, a bulk load, an index, removals.
fn populate(e: &Engine) {
    let kv = e.kv();
    kv.set(b"a", b"1");
    kv.set_with_ttl(b"session", b"s", Duration::from_secs(10)).unwrap();
    kv.set_with_ttl(b"short", b"x", Duration::from_millis(5)).unwrap();
    assert_eq!(kv.incr(b"n", 41).unwrap(), 41);
    assert_eq!(kv.incr(b"n", 1).unwrap(), 42);
    assert!(kv.insert(b"b", b"2"));
    kv.compare_and_swap(b"b", b"2", b"3").unwrap();
    kv.set(b"gone", b"x");
    assert!(kv.delete(b"gone"));
    let g = e.graph();
    let a = g.add_node(Some("Person")).unwrap();
    let b = g.add_node_with(Some("Person"), &[("name", b"Bob")]).unwrap();
    let c = g.add_nodes(3, Some("City")).unwrap();
    g.add_label(a, "Admin").unwrap();
    g.set_property_value(a, "age", Value::Int(36)).unwrap();
    g.set_property_value(a, "tags", Value::List(vec![Value::from("x"), Value::Float(1.5)])).unwrap();
    g.create_index("Person", "age").unwrap();
    g.add_edge(a, b, Some("KNOWS"), 2.5).unwrap();
    g.add_edge(b, a, None, 1.0).unwrap();
    g.load_edges(&[c, c + 1], &[c + 1, c + 2], Some(&[0.5, 0.25]), Some("ROAD")).unwrap();
    g.remove_edge(b, a, None).unwrap();
    g.remove_node(c + 2).unwrap();
    g.remove_label(a, "Person").unwrap();
    g.set_property(b, "bio", b"bytes").unwrap();
    g.remove_property(b, "name").unwrap();
}

#[test]
fn log_replay_and_snapshot_restore_the_same_state() {
    for save in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let before = {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
            populate(&e);
            if save {
                e.save().unwrap();
                e.kv().set(b"after", b"save");
                e.graph().add_edge(0, 2, Some("AFTER"), 3.0).unwrap();
            }
            image(&e)
        };
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        assert_eq!(image(&e), before, "save = {save}");
        let r = e.recovery().unwrap();
        assert_eq!(r.snapshot.is_some(), save);
        assert!(r.replayed > 0 && r.torn.is_none());
        // Reopening once more loads the snapshot the first reopen folded the log into.
        drop(e);
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        assert_eq!(image(&e), before);
        assert_eq!(e.recovery().unwrap().replayed, 0);
        assert!(
            e.graph().snapshot().index_lookup("Person", "age", &Value::Int(36)).unwrap().is_empty(),
            "a lost its Person label"
        );
        e.graph().add_label(0, "Person").unwrap();
        assert_eq!(e.graph().snapshot().index_lookup("Person", "age", &Value::Int(36)).unwrap(), vec![0]);
    }
}

#[test]
fn ttls_are_absolute_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
        e.kv().set_with_ttl(b"k", b"v", Duration::from_millis(1000)).unwrap();
        e.kv().set_with_ttl(b"saved", b"v", Duration::from_millis(1000)).unwrap();
        e.save().unwrap();
    }
    clock.advance(Duration::from_millis(400));
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
        assert_eq!(e.kv().ttl(b"k"), Some(Some(Duration::from_millis(600))));
        assert_eq!(e.kv().ttl(b"saved"), Some(Some(Duration::from_millis(600))));
    }
    clock.advance(Duration::from_millis(600));
    let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
    assert_eq!(e.kv().get(b"k"), None);
    assert_eq!(e.kv().len(), 0);
}

#[test]
fn keys_loaded_from_a_snapshot_expire_and_are_reclaimed_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
        for i in 0..500u32 {
            let k = format!("key:{i:05}");
            match i % 3 {
                0 => e.kv().set(k.as_bytes(), b"kept"),
                _ => e.kv().set_with_ttl(k.as_bytes(), b"gone", Duration::from_millis(100 + u64::from(i))).unwrap(),
            }
        }
        e.save().unwrap();
    }
    let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
    assert_eq!(e.recovery().unwrap().snapshot_counts.0, 500);
    assert_eq!(e.kv().len(), 500);
    assert_eq!(e.kv().ttl(b"key:00001"), Some(Some(Duration::from_millis(101))));
    e.kv().set(b"key:00001x", b"new");
    clock.advance(Duration::from_millis(700));
    // `len` sweeps the expiry index: every loaded TTL is in it.
    assert_eq!(e.kv().len(), 168);
    let kept: Vec<_> = e.kv().scan(None, None).map(|(k, _)| k).collect();
    assert_eq!(kept.len(), 168);
    assert!(
        kept.iter()
            .all(|k| k.ends_with(b"x") || std::str::from_utf8(&k[4..]).unwrap().parse::<u32>().unwrap() % 3 == 0)
    );
}

#[test]
fn a_second_engine_on_the_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path()).unwrap();
    let err = Engine::open(dir.path()).err().expect("locked");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("in use"), "{err}");
    drop(e);
    Engine::open(dir.path()).unwrap();
}

#[test]
fn in_memory_engines_have_no_save() {
    let e = Engine::new();
    assert_eq!(e.save().unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(e.recovery().is_none());
}

fn only_log(dir: &Path) -> std::path::PathBuf {
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "kvgl") && std::fs::metadata(p).unwrap().len() > 16)
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs.pop().unwrap()
}

/// Ten 33-byte records logged by an engine at `dir`: its log and its bytes.
fn ten_logged_records(dir: &Path, clock: &Clock) -> (std::path::PathBuf, Vec<u8>) {
    {
        let e = Engine::try_with_config(config(dir, Fsync::Always, clock)).unwrap();
        for i in 0..10u8 {
            e.kv().set(&[i], &[i; 20]);
        }
    }
    let log = only_log(dir);
    let data = std::fs::read(&log).unwrap();
    (log, data)
}

#[test]
fn a_torn_last_record_is_cut_and_reported_a_damaged_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(0);
    let (log, data) = ten_logged_records(dir.path(), &clock);
    // Flip a bit in the middle: an error naming the file and offset.
    let mut bad = data.clone();
    bad[16 + 8 + 3] ^= 0x10;
    std::fs::write(&log, &bad).unwrap();
    let err = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains(&log.display().to_string()) && err.message().contains("offset 16"), "{err}");
    // Cut the last record short: recovered up to it, and reported.
    std::fs::write(&log, &data[..data.len() - 5]).unwrap();
    let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
    assert_eq!(e.kv().len(), 9);
    let (file, _, cut) = e.recovery().unwrap().torn.clone().unwrap();
    assert_eq!((file, cut), (log, 33 - 5), "records are 33 bytes; 28 of the last remained");
}

/// The layout a crash leaves while a save rotates the log: the save has
/// created the next (empty) log and dies while flushing the current one.
#[test]
fn a_log_torn_while_a_save_rotated_it_is_cut_if_no_later_log_holds_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(0);
    let (log, data) = ten_logged_records(dir.path(), &clock);
    let next = dir.path().join("log-00000000000000ff.kvgl");
    std::fs::write(&log, &data[..data.len() - 5]).unwrap();
    std::fs::write(&next, &data[..16]).unwrap();
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        assert_eq!(e.kv().len(), 9);
        let (file, _, cut) = e.recovery().unwrap().torn.clone().unwrap();
        assert_eq!((file, cut), (log.clone(), 33 - 5), "the torn log is named, not the empty one after it");
        e.kv().set(b"after", b"x");
    }
    let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
    assert_eq!(e.kv().len(), 10);
    assert!(e.recovery().unwrap().torn.is_none());
    drop(e);
    // A torn log followed by one that holds records is damage, not a crash.
    let dir = tempfile::tempdir().unwrap();
    let (log, data) = ten_logged_records(dir.path(), &clock);
    std::fs::write(&log, &data[..data.len() - 1]).unwrap();
    std::fs::write(dir.path().join("log-00000000000000ff.kvgl"), &data).unwrap();
    let err = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains(&log.display().to_string()) && err.message().contains("not the newest"), "{err}");
}

/// Relationships one by one (parallel ones too), their properties, removals,
/// and batches mixing edges, relationships, labels and properties (one
/// aborted); returns the ids created.
fn relationships(e: &Engine) -> Vec<u64> {
    let g = e.graph();
    let a = g.add_node(Some("Person")).unwrap();
    let b = g.add_node(Some("Person")).unwrap();
    let c = g.add_node(None).unwrap();
    g.load_edges(&[a, b], &[b, c], Some(&[0.5, 0.75]), Some("BULK")).unwrap();
    let r1 = g.create_relationship(a, b, Some("FRIEND"), 1.0).unwrap();
    let r2 = g.create_relationship(a, b, Some("FRIEND"), 2.0).unwrap();
    let r3 = g.create_relationship(b, c, None, 3.0).unwrap();
    let r4 = g.create_relationship_with(c, a, Some("OWES"), 4.0, &[("amount", Value::Int(10))]).unwrap();
    g.set_rel_property(r1, "since", Value::Int(2020)).unwrap();
    g.set_rel_property(r2, "since", Value::Int(2021)).unwrap();
    g.set_rel_property(r2, "note", Value::from("parallel")).unwrap();
    assert!(g.remove_rel_property(r2, "note").unwrap());
    g.set_rel_property(r3, "gone", Value::Bool(true)).unwrap();
    g.remove_relationship(r3).unwrap();
    let mut batch = g.batch();
    batch.add_edge(a, c, Some("KNOWS"), 5.0).unwrap();
    let r5 = batch.create_relationship(b, a, Some("FRIEND"), 6.0).unwrap();
    let r6 = batch.create_relationship(b, a, Some("FRIEND"), 7.0).unwrap();
    batch.set_rel_property(r5, "in", Value::from("batch")).unwrap();
    batch.set_rel_property(r1, "since", Value::Int(2019)).unwrap();
    batch.remove_relationship(r6).unwrap();
    batch.remove_relationship(r4).unwrap();
    batch.add_label(c, "City").unwrap();
    batch.remove_label(a, "Person").unwrap();
    batch.set_property_value(c, "name", Value::from("Oslo")).unwrap();
    batch.set_property_value(a, "age", Value::Int(40)).unwrap();
    batch.remove_property(a, "age").unwrap();
    batch.commit().unwrap();
    let mut aborted = g.batch();
    aborted.create_relationship(a, b, Some("NEVER"), 1.0).unwrap();
    aborted.add_label(b, "Never").unwrap();
    aborted.abort();
    vec![r1, r2, r3, r4, r5, r6]
}

#[test]
fn relationships_and_batches_survive_log_replay_and_snapshots() {
    for save in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let (before, ids) = {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            let ids = relationships(&e);
            if save {
                e.save().unwrap();
            }
            (image(&e), ids)
        };
        let [r1, r2, r3, r4, r5, r6] = ids[..] else { unreachable!() };
        for round in 0..2 {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            assert_eq!(image(&e), before, "save = {save}, round {round}");
            let g = e.graph();
            let friend = |id: u64| g.relationship(id).map(|r| (r.src, r.dst, r.edge_type, r.weight));
            assert_eq!(friend(r1), Some((0, 1, "FRIEND".to_string(), 1.0)));
            assert_eq!(friend(r2), Some((0, 1, "FRIEND".to_string(), 2.0)));
            assert_eq!(friend(r5), Some((1, 0, "FRIEND".to_string(), 6.0)));
            assert_eq!([r3, r4, r6].map(|r| g.relationship(r)), [None, None, None]);
            assert_eq!(g.rel_properties(r1), [("since".to_string(), Value::Int(2019))]);
            assert_eq!(g.rel_properties(r2), [("since".to_string(), Value::Int(2021))]);
            assert_eq!(g.rel_properties(r5), [("in".to_string(), Value::from("batch"))]);
            assert!(g.rel_properties(r3).is_empty() && g.rel_properties(r4).is_empty());
            assert_eq!(g.node_labels(2).unwrap(), ["City"]);
            assert!(g.node_labels(0).unwrap().is_empty());
            assert_eq!(g.property_value(2, "name").unwrap(), Some(Value::from("Oslo")));
            assert_eq!(g.property_value(0, "age").unwrap(), None);
            assert!(g.node_labels(1).unwrap().iter().all(|l| l != "Never"));
            // The next relationship id is above every id handed out before.
            let next = g.create_relationship(0, 0, Some("NEW"), 1.0).unwrap();
            assert!(ids.iter().all(|&r| r < next), "{next} reuses one of {ids:?}");
            g.remove_relationship(next).unwrap();
            // The second round reopens the snapshot the first folded the log into.
        }
    }
}

#[test]
fn cypher_creates_relationships_on_a_durable_engine() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let params = kvgraph::Params::new();
    let before = {
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        let r = e
            .query(
                "CREATE (a:Person {name: 'Ann'})-[:KNOWS {since: 2020}]->(b:Person {name: 'Bob'}), \
                 (a)-[:KNOWS {since: 2021}]->(b)",
                &params,
            )
            .unwrap();
        assert_eq!(r.stats.relationships_created, 2);
        e.query("MATCH (a {name: 'Ann'})-[r:KNOWS {since: 2021}]->() SET r.since = 2022", &params).unwrap();
        image(&e)
    };
    let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
    assert_eq!(image(&e), before);
    // Each write query is one batch, logged as one record.
    assert_eq!(e.recovery().unwrap().replayed, 2);
    let r = e
        .query(
            "MATCH (:Person {name: 'Ann'})-[r:KNOWS]->(:Person {name: 'Bob'}) RETURN r.since ORDER BY r.since",
            &params,
        )
        .unwrap();
    let since: Vec<i64> = r
        .rows
        .iter()
        .map(|row| match row[..] {
            [kvgraph::QueryValue::Int(v)] => v,
            ref other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(since, [2020, 2022]);
}

#[test]
fn ids_left_unused_by_aborted_batches_stay_unused_across_reopens() {
    for save in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let (before, used) = {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            let g = e.graph();
            let (a, b) = (g.add_node(None).unwrap(), g.add_node(None).unwrap());
            let first = g.create_relationship(a, b, Some("R"), 1.0).unwrap();
            // A short gap (unused slots on replay) and a long one (a shift).
            let mut last = first;
            for gap in [3, 500] {
                let mut aborted = g.batch();
                for _ in 0..gap {
                    aborted.create_relationship(a, b, Some("R"), 1.0).unwrap();
                }
                drop(aborted);
                last = g.create_relationship(b, a, Some("R"), gap as f64).unwrap();
                g.set_rel_property(last, "gap", Value::Int(gap)).unwrap();
            }
            if save {
                e.save().unwrap();
            }
            (image(&e), last)
        };
        for round in 0..2 {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            assert_eq!(image(&e), before, "save = {save}, round {round}");
            let g = e.graph();
            assert_eq!(g.relationship(used).map(|r| (r.src, r.weight)), Some((1, 500.0)));
            assert_eq!(g.rel_property(used, "gap"), Some(Value::Int(500)));
            assert_eq!(g.relationship(used - 1), None);
            let next = g.create_relationship(0, 1, Some("R"), 1.0).unwrap();
            assert!(next > used, "{next} <= {used}");
            g.remove_relationship(next).unwrap();
        }
    }
}

#[test]
fn nodes_created_and_removed_in_batches_survive_reopens_at_their_ids() {
    for save in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let (before, ids) = {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            let g = e.graph();
            // The batch takes its id first but commits (and is logged) after
            // a single write that took the next one.
            let mut batch = g.batch();
            let a = batch.add_node(&["Person", "Admin"]).unwrap();
            let single = g.add_node(Some("City")).unwrap();
            batch.set_property_value(a, "name", Value::from("Ann")).unwrap();
            let r = batch.create_relationship(a, single, Some("LIVES_IN"), 1.0).unwrap();
            batch.commit().unwrap();
            let mut aborted = g.batch();
            let never = aborted.add_node(&["Never"]).unwrap();
            drop(aborted);
            let (b, c) = (g.add_node(None).unwrap(), g.add_node(None).unwrap());
            g.add_edge(b, a, Some("KNOWS"), 2.0).unwrap();
            let mut removing = g.batch();
            removing.remove_node(b).unwrap();
            let d = removing.add_node(&[]).unwrap();
            removing.add_edge(d, c, None, 3.0).unwrap();
            removing.commit().unwrap();
            if save {
                e.save().unwrap();
            }
            (image(&e), [a, single, never, b, c, d, r])
        };
        let [a, single, never, b, c, d, r] = ids;
        assert!(a < single && single < never && never < b, "{ids:?}");
        for round in 0..2 {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Never, &clock)).unwrap();
            assert_eq!(image(&e), before, "save = {save}, round {round}");
            let g = e.graph();
            assert_eq!(g.node_labels(a).unwrap(), ["Admin", "Person"]);
            assert_eq!(g.property_value(a, "name").unwrap(), Some(Value::from("Ann")));
            assert_eq!(g.relationship(r).map(|r| (r.src, r.dst)), Some((a, single)));
            assert!(!g.contains_node(never) && !g.contains_node(b) && g.contains_node(c) && g.contains_node(d));
            assert_eq!(g.snapshot().edge_count(), 2);
            if round == 1 {
                let next = g.add_node(None).unwrap();
                assert!(next > d, "{next} reuses an id at or below {d}");
            }
        }
    }
}

#[test]
fn temporal_properties_survive_log_replay_and_snapshots() {
    use kvgraph::{QueryValue, Temporal, TemporalKind};
    for save in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_000_000);
        let params = kvgraph::Params::new();
        let dt = Temporal::parse(TemporalKind::DateTime, "1984-10-11T12:31:14.645876123+00:17").unwrap();
        let before = {
            let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
            e.query(
                "CREATE (:A {d: date({year: 1910, month: 5, day: 6}), t: time('12:30+01:01'), \
                 ds: [duration('P1M2D'), localtime('10:35')]})",
                &params,
            )
            .unwrap();
            let g = e.graph();
            let n = g.add_node(Some("B")).unwrap();
            g.set_property_value(n, "at", Value::Temporal(dt)).unwrap();
            e.graph().create_index("A", "d").unwrap();
            if save {
                e.save().unwrap();
            }
            image(&e)
        };
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        assert_eq!(image(&e), before);
        let r = e.query("MATCH (a:A {d: date('1910-05-06')}), (b:B) RETURN a.t, a.ds, b.at", &params).unwrap();
        let texts: Vec<String> = match &r.rows[..] {
            [row] => row
                .iter()
                .map(|v| match v {
                    QueryValue::Temporal(t) => t.to_string(),
                    QueryValue::List(l) => format!("{:?}", l.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>()),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(texts[0], "12:30+01:01");
        assert!(texts[1].contains("Duration") && texts[1].contains("LocalTime"), "{}", texts[1]);
        assert_eq!(texts[2], "1984-10-11T12:31:14.645876123+00:17");
    }
}

#[test]
fn a_kv_write_group_is_one_record_and_replays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let before = {
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        let kv = e.kv();
        kv.set(b"old", b"x");
        let n = kv
            .write_group(|| {
                kv.set(b"a", b"1");
                kv.set_with_ttl(b"ttl", b"t", Duration::from_secs(60)).unwrap();
                assert!(kv.delete(b"old"));
                assert!(!kv.delete(b"never"), "a no-op records nothing");
                assert!(kv.insert(b"b", b"2"));
                kv.compare_and_swap(b"b", b"2", b"3").unwrap();
                // A nested group is part of the outer one.
                kv.write_group(|| kv.try_set(b"nested", b"n").unwrap()).unwrap();
                assert_eq!(kv.get(b"a").as_deref(), Some(&b"1"[..]), "the group sees its own writes");
                assert_eq!(
                    e.save().unwrap_err().kind(),
                    ErrorKind::InvalidArgument,
                    "a save inside a group would wait for it"
                );
                kv.incr(b"n", 7).unwrap()
            })
            .unwrap();
        assert_eq!(n, 7);
        kv.write_group(|| kv.set(b"single", b"s")).unwrap();
        kv.write_group(|| ()).unwrap();
        image(&e)
    };
    let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
    assert_eq!(image(&e), before);
    let r = e.recovery().unwrap();
    assert_eq!(r.replayed, 3, "one record before, one group, one single-write group, none for an empty group");
    assert!(r.torn.is_none());
    assert_eq!(e.kv().get(b"old"), None);
    assert_eq!(e.kv().get(b"b").as_deref(), Some(&b"3"[..]));
    // An engine without a path runs the group as plain writes.
    let m = Engine::new();
    assert_eq!(m.kv().write_group(|| m.kv().incr(b"n", 1).unwrap()).unwrap(), 1);
}

#[test]
fn a_torn_group_at_the_end_is_cut_off_whole() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(0);
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        for i in 0..3u8 {
            e.kv().set(&[i], &[i; 20]);
        }
        e.kv()
            .write_group(|| {
                for i in 10..20u8 {
                    e.kv().set(&[i], &[i; 20]);
                }
            })
            .unwrap();
    }
    let log = only_log(dir.path());
    let data = std::fs::read(&log).unwrap();
    // Three 33-byte records, then the group: 8 bytes of frame, a tag, a
    // count and ten 25-byte writes.
    let group = 8 + 2 + 10 * 25;
    assert_eq!(data.len(), 16 + 3 * 33 + group);
    for cut in [1, 25, group - 9] {
        std::fs::write(&log, &data[..data.len() - cut]).unwrap();
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        assert_eq!(e.kv().len(), 3, "cut {cut}: none of the group's writes");
        assert_eq!(e.kv().get(&[2]), Some(vec![2; 20]));
        let (file, at, removed) = e.recovery().unwrap().torn.clone().unwrap();
        assert_eq!((file, at, removed), (log.clone(), 16 + 3 * 33, (group - cut) as u64));
        drop(e);
        // Reopening folded the log into a snapshot: restore the log for the next cut.
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let p = f.unwrap().path();
            if p.file_name().unwrap() != "LOCK" {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
}

#[test]
fn groups_and_single_writes_from_threads_replay_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let before = {
        let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let e = &e;
                s.spawn(move || {
                    let kv = e.kv();
                    for i in 0..400u32 {
                        let key = |name: &str| format!("{t}:{name}").into_bytes();
                        kv.write_group(|| {
                            kv.set(&key("a"), &i.to_be_bytes());
                            kv.set_with_expiry_at(&key("b"), &i.to_be_bytes(), 2_000_000 + u64::from(i));
                            kv.delete(&key(&format!("item{}", i.wrapping_sub(1))));
                            kv.set(&key(&format!("item{i}")), b"");
                            kv.incr(&key("count"), 1).unwrap();
                        })
                        .unwrap();
                        kv.set(&key("single"), &i.to_be_bytes());
                        if i % 3 == 0 {
                            kv.delete(&key("single"));
                        }
                        if t == 0 && i % 100 == 50 {
                            // Saves meanwhile: the snapshot waits for the groups it may have split.
                            e.save().unwrap();
                        }
                    }
                });
            }
        });
        image(&e)
    };
    let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
    assert_eq!(image(&e), before);
    for t in 0..4 {
        let get = |name: &str| e.kv().get(format!("{t}:{name}").as_bytes());
        assert_eq!(get("a"), Some(399u32.to_be_bytes().to_vec()));
        assert_eq!(get("count").as_deref(), Some(&b"400"[..]));
        assert_eq!(e.kv().scan_prefix(format!("{t}:item").as_bytes()).count(), 1);
    }
}

#[test]
fn a_group_that_panics_still_logs_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(0);
    {
        let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
        let kv = e.kv();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            kv.write_group(|| {
                kv.set(b"x", b"1");
                kv.set(b"y", b"2");
                panic!("in the group");
            })
        }));
        assert!(r.is_err());
        kv.set(b"z", b"3");
    }
    let e = Engine::try_with_config(config(dir.path(), Fsync::Always, &clock)).unwrap();
    assert_eq!(e.kv().len(), 3, "memory and log agree");
    assert_eq!(e.recovery().unwrap().replayed, 2);
}

#[test]
fn a_save_takes_effect_only_after_the_groups_open_while_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(0);
    let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
    let ending = std::sync::atomic::AtomicBool::new(false);
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let (e, ending) = (&e, &ending);
        s.spawn(move || {
            e.kv()
                .write_group(|| {
                    e.kv().set(b"half", b"1");
                    opened_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    e.kv().set(b"other half", b"2");
                    ending.store(true, std::sync::atomic::Ordering::SeqCst);
                })
                .unwrap();
        });
        opened.recv().unwrap();
        let saver = s.spawn(move || {
            e.save().unwrap();
            // The snapshot may hold "half": it waited for the group's record.
            assert!(ending.load(std::sync::atomic::Ordering::SeqCst), "the save returned while the group was open");
        });
        // However long this takes, the save cannot end while the group is
        // open (the pause only gives a save that would not wait time to end).
        std::thread::sleep(Duration::from_millis(100));
        assert!(!saver.is_finished(), "the save ended while a group was open");
        release.send(()).unwrap();
        saver.join().unwrap();
    });
    drop(e);
    let e = Engine::try_with_config(config(dir.path(), Fsync::EverySec, &clock)).unwrap();
    assert_eq!(e.kv().len(), 2);
}
