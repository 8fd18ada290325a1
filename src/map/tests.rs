//! The map against a `BTreeMap` model, with nodes so small that every few
//! operations split one, and at the production node size.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::RangeBounds;

/// A map of nodes of `node_size` keys taking up to two keys by appending.
fn map(node_size: usize) -> ByteMap {
    map_with(node_size, 2)
}

fn map_with(node_size: usize, appends: usize) -> ByteMap {
    ByteMap::with_node_size(Arc::new(MemoryManager::new()), node_size, appends)
}

fn set(m: &ByteMap, k: &[u8], v: &[u8]) {
    m.update(k, 0, |_| Decision::Replace(NewValue::new(v, 0), ()));
}

fn get(m: &ByteMap, k: &[u8]) -> Option<Vec<u8>> {
    m.get(k, 0, |v| v.bytes().to_vec())
}

fn entries(m: &ByteMap, lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    m.visit(lower, upper, 0, |k, v| {
        out.push((k.to_vec(), v.bytes().to_vec()));
        ControlFlow::Continue(())
    });
    out
}

/// Every node's keys are sorted, lie in its range, and the nodes' low keys
/// rise along level 0 and along every index level.
pub(super) fn check_structure(m: &ByteMap) {
    let guard = &m.mem.pin();
    let mut node = &*m.head;
    let mut nodes = 0;
    loop {
        nodes += 1;
        let (_, rev) = current(node, guard);
        let next = rev.next();
        let in_range = |key: &[u8]| key >= node.low.as_slice() && next.is_none_or(|n| key < n.low.as_slice());
        for i in 0..rev.len() {
            assert!(in_range(rev.key(i)), "key outside its node's range");
            assert!(i == 0 || rev.key(i - 1) < rev.key(i), "keys sorted and distinct");
        }
        let appended: Vec<&[u8]> = rev.appended(guard).map(|e| e.key.as_slice()).collect();
        assert!(appended.len() <= m.appends);
        for (j, key) in appended.iter().enumerate() {
            assert!(in_range(key), "appended key outside its node's range");
            assert!(rev.find(key).is_err() && !appended[..j].contains(key), "appended key held twice");
        }
        assert!(rev.len() <= m.node_size, "a full node splits");
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    // SAFETY: loaded under `guard`; shortcuts are retired through the epoch.
    if let Some(shortcut) = unsafe { m.shortcut.load(Ordering::Acquire, guard).as_ref() } {
        assert!(shortcut.len() <= nodes, "a shortcut holds nodes of the map");
        for i in 1..shortcut.len() {
            assert!(shortcut.node(i - 1).low < shortcut.node(i).low, "shortcut sorted");
        }
    }
    for level in 1..=MAX_LEVELS {
        let mut x = &*m.head;
        while let Some(y) = x.up(level) {
            assert!(y.low > x.low, "index level {level} sorted");
            x = y;
        }
    }
    assert!(nodes >= 1);
}

#[test]
fn splits_keep_every_key_in_order() {
    let m = map(2);
    let n = if cfg!(miri) { 40 } else { 200u32 };
    for i in (0..n).rev() {
        set(&m, &i.to_be_bytes(), &i.to_le_bytes());
    }
    check_structure(&m);
    for i in 0..n {
        assert_eq!(get(&m, &i.to_be_bytes()), Some(i.to_le_bytes().to_vec()));
    }
    let all = entries(&m, Bound::Unbounded, Bound::Unbounded);
    assert_eq!(all.len(), n as usize);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    let some = entries(&m, Bound::Excluded(&10u32.to_be_bytes()), Bound::Included(&20u32.to_be_bytes()));
    assert_eq!(some.len(), 10);
    assert_eq!(m.filled(), n as usize);
}

/// The number of keys in each node, along level 0.
fn node_lens(m: &ByteMap) -> Vec<usize> {
    let guard = &m.mem.pin();
    let mut lens = Vec::new();
    let mut node = &*m.head;
    loop {
        let (_, rev) = current(node, guard);
        lens.push(rev.len());
        match rev.next() {
            Some(n) => node = n,
            None => return lens,
        }
    }
}

/// Ascending inserts, alone or as two interleaved runs under different
/// prefixes (a graph's new ids in two key ranges), leave full nodes behind
/// them; random-order inserts split in half.
#[test]
fn ascending_inserts_leave_full_nodes() {
    let n = if cfg!(miri) { 200 } else { 5_000u64 };
    for appends in [0, 2, 8] {
        let m = map_with(16, appends);
        for i in 0..n {
            set(&m, &i.to_be_bytes(), b"v");
        }
        check_structure(&m);
        let lens = node_lens(&m);
        assert!(lens[..lens.len() - 1].iter().all(|&l| l == 16), "{appends} appends: {lens:?}");
    }

    let m = map(16);
    for i in 0..n {
        for prefix in [b'a', b'b'] {
            let mut k = vec![prefix];
            k.extend_from_slice(&i.to_be_bytes());
            set(&m, &k, b"v");
        }
    }
    check_structure(&m);
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded).len(), 2 * n as usize);
    let lens = node_lens(&m);
    let full = lens.iter().filter(|&&l| l == 16).count();
    assert!(full + 4 >= lens.len(), "{lens:?}");

    let m = map(16);
    for i in 0..n {
        set(&m, &(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes(), b"v");
    }
    check_structure(&m);
    let lens = node_lens(&m);
    assert!(lens.iter().filter(|&&l| l == 16).count() * 2 < lens.len(), "random inserts fill nodes: {lens:?}");
}

/// Lookups and scans through a shortcut built before most of the nodes
/// existed (so that most lookups fall back to the towers) find every key.
#[test]
fn a_stale_shortcut_still_finds_every_key() {
    let m = map(2);
    let n = if cfg!(miri) { 40 } else { 400u32 };
    for i in (0..n).step_by(8) {
        set(&m, &i.to_be_bytes(), &i.to_le_bytes());
    }
    m.build_shortcut(&m.mem.pin());
    m.next_build.store(u64::MAX, Ordering::Relaxed);
    for i in (0..n).rev().filter(|i| i % 8 != 0) {
        set(&m, &i.to_be_bytes(), &i.to_le_bytes());
    }
    check_structure(&m);
    for i in 0..n {
        assert_eq!(get(&m, &i.to_be_bytes()), Some(i.to_le_bytes().to_vec()));
    }
    let some = entries(&m, Bound::Included(&13u32.to_be_bytes()), Bound::Excluded(&29u32.to_be_bytes()));
    assert_eq!(some.len(), 16);
}

#[test]
fn a_bulk_fill_builds_a_map_that_splits_and_finds_every_key() {
    let n = if cfg!(miri) { 50 } else { 5_000u32 };
    let keys: Vec<[u8; 4]> = (0..n).map(|i| (i * 2).to_be_bytes()).collect();
    let mut m = map(4);
    m.fill_sorted(keys.iter().map(|k| (&k[..], NewValue::new(k, 0))).collect()).unwrap();
    check_structure(&m);
    assert_eq!(m.filled(), n as usize);
    for i in 0..n {
        assert_eq!(get(&m, &(i * 2).to_be_bytes()), Some((i * 2).to_be_bytes().to_vec()));
        assert_eq!(get(&m, &(i * 2 + 1).to_be_bytes()), None);
    }
    // Inserts between the filled keys split the filled nodes.
    for i in 0..n {
        set(&m, &(i * 2 + 1).to_be_bytes(), b"odd");
    }
    check_structure(&m);
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded).len(), 2 * n as usize);
}

#[test]
fn a_bulk_fill_rejects_unsorted_keys_and_a_map_in_use() {
    let mut m = map(4);
    let unsorted = vec![(&b"b"[..], NewValue::new(b"1", 0)), (&b"a"[..], NewValue::new(b"2", 0))];
    assert_eq!(m.fill_sorted(unsorted).unwrap_err(), "keys out of order at entry 1");
    let twice = vec![(&b"a"[..], NewValue::new(b"1", 0)), (&b"a"[..], NewValue::new(b"2", 0))];
    assert!(m.fill_sorted(twice).is_err());
    assert!(entries(&m, Bound::Unbounded, Bound::Unbounded).is_empty());
    set(&m, b"k", b"v");
    assert_eq!(m.fill_sorted(vec![(&b"z"[..], NewValue::new(b"1", 0))]).unwrap_err(), "the map is not empty");
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded), vec![(b"k".to_vec(), b"v".to_vec())]);
}

#[test]
fn compaction_drops_tombstones_and_merges_appended_keys() {
    let mem = Arc::new(MemoryManager::new());
    let m = ByteMap::with_node_size(Arc::clone(&mem), 8, 2);
    let appended = |m: &ByteMap| {
        let guard = &m.mem.pin();
        let (mut node, mut n) = (&*m.head, 0);
        loop {
            let rev = current(node, guard).1;
            n += rev.appended(guard).count();
            match rev.next() {
                Some(next) => node = next,
                None => return n,
            }
        }
    };
    // Keys in a scattered order, so that nodes take some by appending.
    for i in 0..64u8 {
        set(&m, &[i.wrapping_mul(37)], &[i.wrapping_mul(37)]);
    }
    assert!(appended(&m) > 0, "the test's writes leave appended keys");
    m.compact();
    assert_eq!(appended(&m), 0, "compaction merges every appended key, tombstones or not");
    check_structure(&m);
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded).len(), 64);
    for i in (0..64u8).step_by(3) {
        assert!(m.update(&[i.wrapping_mul(37)], 0, |cur| Decision::Remove(cur.is_some())));
    }
    m.compact();
    let guard = &mem.pin();
    let mut node = &*m.head;
    loop {
        let (_, rev) = current(node, guard);
        assert_eq!(tombstones(rev, guard), 0, "compaction drops every tombstone");
        match rev.next() {
            Some(n) => node = n,
            None => break,
        }
    }
    assert_eq!(m.filled(), 64 - 22);
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded).len(), 64 - 22);
}

/// Compaction copies each live value into a fresh allocation (so that a
/// scan after it reads the values in key order), keeping its bytes and
/// expiry, and retires every old one.
#[test]
fn compaction_copies_values_keeping_bytes_and_expiry() {
    let mem = Arc::new(MemoryManager::new());
    let m = ByteMap::with_node_size(Arc::clone(&mem), 4, 1);
    for i in 0..32u8 {
        let k = [i.wrapping_mul(37)];
        m.update(&k, 0, |_| Decision::Replace(NewValue::new(&[i; 3], u64::from(i) * 1000), ()));
    }
    let where_and_what = |m: &ByteMap| {
        let mut out = Vec::new();
        m.visit(Bound::Unbounded, Bound::Unbounded, 0, |k, v| {
            out.push((k.to_vec(), v.bytes().as_ptr() as usize, v.bytes().to_vec(), v.expires_at()));
            ControlFlow::Continue(())
        });
        out
    };
    let before = where_and_what(&m);
    let retired = mem.stats().retired_bytes;
    m.compact();
    let after = where_and_what(&m);
    assert_eq!(before.len(), 32);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, &b.2, b.3), (&a.0, &a.2, a.3), "same key, bytes and expiry");
        assert_ne!(b.1, a.1, "a fresh allocation");
    }
    // Every value is 8 (length) + 9 (flag, expiry; key 0 has none: 1) + 3 bytes.
    assert!(mem.stats().retired_bytes - retired >= 31 * 20 + 12, "every old value is retired");
    check_structure(&m);
}

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, u8),
    Insert(Vec<u8>, u8),
    Delete(Vec<u8>),
    Get(Vec<u8>),
    Scan(Vec<u8>, Vec<u8>),
    Compact,
}

/// Short keys over a few bytes, most behind a shared prefix (as `user:…`
/// keys are), so that nodes and the shortcut skip a common prefix, and
/// keys shorter than it or diverging inside it meet them.
fn key() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(vec![&b""[..], b"", b"u", b"user:", b"user:", b"user:", b"user:a"]);
    let tail = prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, b'a', 0xff]), 0..4);
    (prefix, tail).prop_map(|(p, t)| [p, &t[..]].concat())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => (key(), any::<u8>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key().prop_map(Op::Delete),
        2 => key().prop_map(Op::Get),
        1 => (key(), key()).prop_map(|(a, b)| Op::Scan(a, b)),
        1 => Just(Op::Compact),
    ]
}

/// Runs `ops` on a map bulk-filled with `initial` and on the model.
fn run(node_size: usize, appends: usize, initial: BTreeMap<Vec<u8>, u8>, ops: Vec<Op>) {
    let mut m = map_with(node_size, appends);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = initial.iter().map(|(k, &v)| (k.clone(), vec![v])).collect();
    m.fill_sorted(initial.iter().map(|(k, &v)| (&k[..], NewValue::new(&[v], 0))).collect()).unwrap();
    check_structure(&m);
    for op in ops {
        match op {
            Op::Set(k, v) => {
                set(&m, &k, &[v]);
                model.insert(k, vec![v]);
            }
            Op::Insert(k, v) => {
                let done = m.update(&k, 0, |cur| match cur {
                    Some(_) => Decision::Keep(false),
                    None => Decision::Replace(NewValue::new(&[v], 0), true),
                });
                assert_eq!(done, !model.contains_key(&k));
                model.entry(k).or_insert(vec![v]);
            }
            Op::Delete(k) => {
                let had = m.update(&k, 0, |cur| Decision::Remove(cur.is_some()));
                assert_eq!(had, model.remove(&k).is_some());
            }
            Op::Get(k) => assert_eq!(get(&m, &k), model.get(&k).cloned()),
            Op::Scan(a, b) => {
                let (lower, upper) = (Bound::Included(&a[..]), Bound::Excluded(&b[..]));
                let want: Vec<_> = model.iter().filter(|(k, _)| (lower, upper).contains(&k[..])).collect();
                let got = entries(&m, lower, upper);
                assert!(got.iter().map(|(k, v)| (k, v)).eq(want.iter().copied()));
                // A filtered scan yields exactly the wanted keys, in order.
                let wants = |k: &[u8]| k.last().is_some_and(|b| b % 2 == 0);
                let mut filtered = Vec::new();
                m.visit_where(lower, upper, 0, wants, |k, v| {
                    filtered.push((k.to_vec(), v.bytes().to_vec()));
                    ControlFlow::Continue(())
                });
                assert!(filtered.iter().map(|(k, v)| (k, v)).eq(want.into_iter().filter(|(k, _)| wants(k))));
            }
            Op::Compact => m.compact(),
        }
        assert_eq!(m.filled(), model.len());
    }
    check_structure(&m);
    let all: Vec<_> = model.into_iter().collect();
    assert_eq!(entries(&m, Bound::Unbounded, Bound::Unbounded), all);
}

/// Entries a case's map is bulk-filled with first (often none).
fn filled() -> impl Strategy<Value = BTreeMap<Vec<u8>, u8>> {
    prop_oneof![Just(BTreeMap::new()), prop::collection::btree_map(key(), any::<u8>(), 1..60)]
}

/// Operations per tiny-node case, per production-size case (few under Miri).
const SHORT: usize = if cfg!(miri) { 30 } else { 120 };
const LONG: usize = if cfg!(miri) { 30 } else { 300 };

proptest! {
    // Few cases under Miri (interpreted), the default elsewhere.
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 2 } else { ProptestConfig::default().cases }, ..ProptestConfig::default() })]

    /// The in-place key comparison orders as slices do, over lengths on
    /// both sides of its 8-byte steps and its cut-over to `memcmp`, with
    /// long shared prefixes.
    #[test]
    fn key_comparison_orders_as_slices_do(common in prop::collection::vec(any::<u8>(), 0..40), a in prop::collection::vec(0u8..4, 0..12), b in prop::collection::vec(0u8..4, 0..12)) {
        let (a, b) = ([&common[..], &a].concat(), [&common[..], &b].concat());
        prop_assert_eq!(node::compare(&a, &b), a.cmp(&b));
        prop_assert_eq!(node::compare(&b, &a), b.cmp(&a));
    }

    #[test]
    fn tiny_nodes_match_a_btreemap(initial in filled(), ops in prop::collection::vec(op(), 1..SHORT), size in 2usize..5, appends in 0usize..4) {
        run(size, appends, initial, ops);
    }

    #[test]
    fn production_nodes_match_a_btreemap(initial in filled(), ops in prop::collection::vec(op(), 1..LONG)) {
        run(crate::sync::tuning::MAP_NODE, crate::sync::tuning::MAP_APPENDS, initial, ops);
    }
}
