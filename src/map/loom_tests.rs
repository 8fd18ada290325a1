//! Loom models of the map's protocols (run by tests/loom.sh), on nodes of
//! two keys, so that one insert splits a node.

use super::tests::check_structure;
use super::*;
use loom::sync::Arc as LoomArc;
use loom::thread;

/// A map of nodes of two keys without append positions (so that every
/// insert rebuilds a revision) holding `keys` (each key's value is itself).
fn map(keys: &[u8]) -> LoomArc<ByteMap> {
    map_with(keys, 0)
}

/// As [`map`], with one append position per revision.
fn map_with(keys: &[u8], appends: usize) -> LoomArc<ByteMap> {
    let m = ByteMap::with_node_size(Arc::new(MemoryManager::new()), 2, appends);
    for &k in keys {
        set(&m, k, k);
    }
    LoomArc::new(m)
}

/// Runs a model of three threads with at most one preemption: the append
/// models ran over five minutes unfinished with the two of tests/loom.sh,
/// and take 9 s each with one.
fn model_of_three_threads(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(f);
}

fn set(m: &ByteMap, k: u8, v: u8) {
    m.update(&[k], 0, |_| Decision::Replace(NewValue::new(&[v], 0), ()));
}

fn get(m: &ByteMap, k: u8) -> Option<u8> {
    m.get(&[k], 0, |v| v.bytes()[0])
}

fn entries(m: &ByteMap) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    m.visit(Bound::Unbounded, Bound::Unbounded, 0, |k, v| {
        out.push((k[0], v.bytes()[0]));
        ControlFlow::Continue(())
    });
    out
}

/// An insert into a node racing an insert that splits it: both keys land,
/// in order, in nodes whose ranges hold them.
#[test]
fn loom_insert_racing_a_split() {
    loom::model(|| {
        let m = map(&[1, 3]);
        let splitter = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 2))
        };
        set(&m, 4, 4);
        splitter.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 2), (3, 3), (4, 4)]);
        assert_eq!(m.filled(), 4);
        check_structure(&m);
    });
}

/// An overwrite racing a get, while a split freezes the key's slot and
/// moves it: the get sees the old or the new value, never nothing, and a
/// get after the overwrite's return sees the new one.
#[test]
fn loom_overwrite_racing_a_get_during_a_split() {
    loom::model(|| {
        let m = map(&[1, 2]);
        let writer = {
            let m = m.clone();
            thread::spawn(move || {
                set(&m, 2, 20);
                assert_eq!(get(&m, 2), Some(20), "a write is visible to its own thread after it returns");
            })
        };
        let splitter = {
            let m = m.clone();
            thread::spawn(move || set(&m, 3, 3))
        };
        let seen = get(&m, 2);
        assert!(seen == Some(2) || seen == Some(20), "a key being overwritten is never missing: {seen:?}");
        let again = get(&m, 2);
        assert!(seen == Some(2) || again == Some(20), "no read goes back in time");
        writer.join().unwrap();
        splitter.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 20), (3, 3)]);
    });
}

/// A scan crossing a node that splits under it: each key once, in order,
/// and every key present throughout the scan.
#[test]
fn loom_scan_crossing_a_split() {
    loom::model(|| {
        let m = map(&[1, 3]);
        let splitter = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 2))
        };
        let seen: Vec<u8> = entries(&m).into_iter().map(|(k, _)| k).collect();
        assert!(seen == [1, 3] || seen == [1, 2, 3], "scan saw {seen:?}");
        splitter.join().unwrap();
    });
}

/// A delete racing the insert that splits the node: the deleted key is gone
/// afterwards whatever the order, and the split loses nothing else.
#[test]
fn loom_delete_racing_a_split() {
    loom::model(|| {
        let m = map(&[1, 3]);
        let splitter = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 2))
        };
        assert!(m.update(&[3], 0, |cur| Decision::Remove(cur.is_some())), "3 was present");
        splitter.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 2)]);
        assert_eq!(m.filled(), 2);
        check_structure(&m);
    });
}

/// A revision replaced (by a split) and a value replaced (by an overwrite)
/// while a reader scans them stay intact under the reader, and each is
/// retired once, with its size (ASan and Miri check that they are freed
/// only after the reader unpinned).
#[test]
fn loom_reclaim_replaced_revision_while_a_reader_holds_it() {
    loom::model(|| {
        let m = map(&[1, 2]);
        let reader = {
            let m = m.clone();
            thread::spawn(move || {
                m.visit(Bound::Unbounded, Bound::Unbounded, 0, |k, v| {
                    assert!(v.bytes() == k || v.bytes() == [10], "a value read under the guard is intact");
                    ControlFlow::Continue(())
                });
            })
        };
        let before = m.mem.stats().retired_bytes;
        let replaced = {
            let guard = &m.mem.pin();
            current(&m.head, guard).1.heap_bytes()
        };
        set(&m, 3, 3);
        set(&m, 1, 10);
        reader.join().unwrap();
        let value = NewValue::new(&[1], 0).heap_bytes();
        let stats = m.mem.stats();
        assert_eq!(stats.retired_bytes - before, (replaced + value) as u64, "the split revision and the old value");
        assert!(stats.freed_bytes <= stats.retired_bytes);
    });
}

/// Set racing a reclaiming `Keep` (the expiry sweep) and a delete on one
/// key end in a state some order of the three explains.
#[test]
fn loom_set_delete_expiry_race_on_one_key() {
    loom::model(|| {
        let m = ByteMap::with_node_size(Arc::new(MemoryManager::new()), 2, 0);
        // Value 1 expires at t=5; "now" is 10, so it is expired.
        m.update(&[1], 0, |_| Decision::Replace(NewValue::new(&[1], 5), ()));
        let m = LoomArc::new(m);
        let setter = {
            let m = m.clone();
            thread::spawn(move || m.update(&[1], 10, |_| Decision::Replace(NewValue::new(&[2], 0), ())))
        };
        m.update(&[1], 10, |_| Decision::Keep(()));
        let deleted_live = m.update(&[1], 10, |cur| Decision::Remove(cur.is_some()));
        setter.join().unwrap();
        let now = m.get(&[1], 10, |v| v.bytes().to_vec());
        // The set and the delete are the only writes of a live value: the
        // delete found the set's value iff it came after it.
        assert_eq!(now.is_none(), deleted_live, "left {now:?}, delete saw a live value: {deleted_live}");
        assert_eq!(m.filled(), usize::from(now.is_some()));
    });
}

/// A get through a shortcut racing a split (which leaves the shortcut
/// stale) and the rebuild that retires it: the get finds its key, and the
/// retired shortcut stays intact while the reader holds it.
#[test]
fn loom_get_through_a_shortcut_racing_a_split_and_its_rebuild() {
    loom::model(|| {
        let m = map(&[1, 3]);
        m.build_shortcut(&m.mem.pin());
        let writer = {
            let m = m.clone();
            thread::spawn(move || {
                set(&m, 2, 2);
                m.build_shortcut(&m.mem.pin());
            })
        };
        assert_eq!(get(&m, 3), Some(3));
        writer.join().unwrap();
        assert_eq!(get(&m, 2), Some(2));
        check_structure(&m);
    });
}

/// Two inserts-if-absent of one key into one free append position: exactly
/// one wins, and the key then holds its value.
#[test]
fn loom_two_appends_of_one_key() {
    loom::model(|| {
        // 1 and 3 merged into the sorted keys; the append position is free.
        let m = map_with(&[1, 3], 1);
        let insert = |m: &ByteMap, v: u8| {
            m.update(&[2], 0, |cur| match cur {
                Some(_) => Decision::Keep(false),
                None => Decision::Replace(NewValue::new(&[v], 0), true),
            })
        };
        let other = {
            let m = m.clone();
            thread::spawn(move || insert(&m, 20))
        };
        let mine = insert(&m, 21);
        let theirs = other.join().unwrap();
        assert!(mine != theirs, "exactly one insert wins");
        assert_eq!(get(&m, 2), Some(if mine { 21 } else { 20 }));
        assert_eq!(m.filled(), 3);
        check_structure(&m);
    });
}

/// An append racing an insert that finds the append area full and merges
/// it (or the other way round), under a scan: no key is lost, and the scan
/// sees the keys present throughout, each once, in order.
#[test]
fn loom_append_racing_a_merge_under_a_scan() {
    model_of_three_threads(|| {
        let m = map_with(&[1, 3], 1);
        let appender = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 2))
        };
        let merger = {
            let m = m.clone();
            thread::spawn(move || set(&m, 4, 4))
        };
        let seen: Vec<u8> = entries(&m).into_iter().map(|(k, _)| k).collect();
        assert!(seen.windows(2).all(|w| w[0] < w[1]) && seen.contains(&1) && seen.contains(&3), "scan saw {seen:?}");
        appender.join().unwrap();
        merger.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 2), (3, 3), (4, 4)]);
        assert_eq!(m.filled(), 4);
        check_structure(&m);
    });
}

/// An overwrite of an appended key racing the insert that merges it into
/// the sorted keys: a get sees the old or the new value, never nothing, and
/// the overwrite is not lost in the merge.
#[test]
fn loom_overwrite_of_an_appended_key_racing_its_merge() {
    model_of_three_threads(|| {
        // 1 and 3 sorted, 2 appended: the append area is full.
        let m = map_with(&[1, 3, 2], 1);
        let writer = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 20))
        };
        let merger = {
            let m = m.clone();
            thread::spawn(move || set(&m, 4, 4))
        };
        let seen = get(&m, 2);
        assert!(seen == Some(2) || seen == Some(20), "a key being merged is never missing: {seen:?}");
        writer.join().unwrap();
        merger.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 20), (3, 3), (4, 4)]);
        check_structure(&m);
    });
}

/// Compaction copying a value into a fresh allocation (one slot CAS, as an
/// overwrite with the same bytes) racing an overwrite of the key and a get:
/// the get sees the old or the new value, never nothing, and the
/// overwrite is never lost to the copy.
#[test]
fn loom_compaction_copy_racing_an_overwrite_and_a_get() {
    model_of_three_threads(|| {
        let m = map(&[1, 2]);
        let compactor = {
            let m = m.clone();
            thread::spawn(move || m.compact())
        };
        let writer = {
            let m = m.clone();
            thread::spawn(move || set(&m, 2, 20))
        };
        let seen = get(&m, 2);
        assert!(matches!(seen, Some(2 | 20)), "a get during a compaction copy saw {seen:?}");
        compactor.join().unwrap();
        writer.join().unwrap();
        assert_eq!(entries(&m), [(1, 1), (2, 20)]);
        check_structure(&m);
    });
}
