//! Differential test: random sequences of every KV operation against a
//! `BTreeMap` model, with a manual clock driving TTL expiry.

use kvgraph::{Clock, Config, Engine, ErrorKind};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    SetTtl(Vec<u8>, Vec<u8>, u64),
    Insert(Vec<u8>, Vec<u8>),
    Get(Vec<u8>),
    Delete(Vec<u8>),
    Cas(Vec<u8>, Vec<u8>, Vec<u8>),
    Incr(Vec<u8>, i64),
    Advance(u64),
    Len,
    Scan(Option<Vec<u8>>, Option<Vec<u8>>),
    Prefix(Vec<u8>),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![b'a', b'b', 0xff, 0]), 0..4)
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..6),
        (-5i64..5).prop_map(|n| n.to_string().into_bytes()),
        Just(i64::MAX.to_string().into_bytes()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (key(), value()).prop_map(|(k, v)| Op::Set(k, v)),
        (key(), value(), 1u64..50).prop_map(|(k, v, t)| Op::SetTtl(k, v, t)),
        (key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        key().prop_map(Op::Get),
        key().prop_map(Op::Delete),
        (key(), value(), value()).prop_map(|(k, e, d)| Op::Cas(k, e, d)),
        (key(), prop_oneof![-3i64..3, Just(i64::MAX), Just(i64::MIN)]).prop_map(|(k, d)| Op::Incr(k, d)),
        (0u64..30).prop_map(Op::Advance),
        Just(Op::Len),
        (prop::option::of(key()), prop::option::of(key())).prop_map(|(s, e)| Op::Scan(s, e)),
        key().prop_map(Op::Prefix),
    ]
}

/// The model: key -> (value, expiry in ms or 0).
#[derive(Default)]
struct Model {
    now: u64,
    map: BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
}

impl Model {
    fn live(&self, k: &[u8]) -> Option<&(Vec<u8>, u64)> {
        self.map.get(k).filter(|(_, exp)| *exp == 0 || *exp > self.now)
    }
    fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.map.keys().filter_map(|k| self.live(k).map(|(v, _)| (k.clone(), v.clone()))).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn kv_matches_btreemap(ops in prop::collection::vec(op(), 1..120)) {
        let clock = Clock::manual(1_000);
        let engine = Engine::with_config(Config { clock: clock.clone(), ..Config::default() });
        let kv = engine.kv();
        let mut m = Model { now: 1_000, ..Model::default() };
        for op in ops {
            match op {
                Op::Set(k, v) => { kv.set(&k, &v); m.map.insert(k, (v, 0)); }
                Op::SetTtl(k, v, t) => {
                    kv.set_with_ttl(&k, &v, Duration::from_millis(t)).unwrap();
                    m.map.insert(k, (v, m.now + t));
                }
                Op::Insert(k, v) => {
                    let fresh = m.live(&k).is_none();
                    prop_assert_eq!(kv.insert(&k, &v), fresh);
                    if fresh { m.map.insert(k, (v, 0)); }
                }
                Op::Get(k) => {
                    prop_assert_eq!(kv.get(&k), m.live(&k).map(|e| e.0.clone()));
                    prop_assert_eq!(kv.get_with(&k, <[u8]>::to_vec), m.live(&k).map(|e| e.0.clone()));
                }
                Op::Delete(k) => {
                    let had = m.live(&k).is_some();
                    prop_assert_eq!(kv.delete(&k), had);
                    m.map.remove(&k);
                }
                Op::Cas(k, e, d) => {
                    let got = kv.compare_and_swap(&k, &e, &d).map_err(|e| e.kind());
                    match m.live(&k).cloned() {
                        None => prop_assert_eq!(got, Err(ErrorKind::NotFound)),
                        Some((v, _)) if v != e => prop_assert_eq!(got, Err(ErrorKind::Conflict)),
                        Some((_, exp)) => { prop_assert_eq!(got, Ok(())); m.map.insert(k, (d, exp)); }
                    }
                }
                Op::Incr(k, d) => {
                    let got = kv.incr(&k, d).map_err(|e| e.kind());
                    let (old, exp) = match m.live(&k).cloned() {
                        None => (Some(0), 0),
                        Some((v, exp)) => (std::str::from_utf8(&v).ok().and_then(|s| s.parse::<i64>().ok())
                            .filter(|n| n.to_string().as_bytes() == v.as_slice()), exp),
                    };
                    match old.and_then(|o| o.checked_add(d)) {
                        Some(n) => { prop_assert_eq!(got, Ok(n)); m.map.insert(k, (n.to_string().into_bytes(), exp)); }
                        None => prop_assert_eq!(got, Err(ErrorKind::InvalidArgument)),
                    }
                }
                Op::Advance(ms) => { clock.advance(Duration::from_millis(ms)); m.now += ms; }
                Op::Len => prop_assert_eq!(kv.len(), m.entries().len()),
                Op::Scan(s, e) => {
                    let got: Vec<_> = kv.scan(s.as_deref(), e.as_deref()).collect();
                    let want: Vec<_> = m.entries().into_iter()
                        .filter(|(k, _)| s.as_ref().is_none_or(|s| k >= s) && e.as_ref().is_none_or(|e| k < e))
                        .collect();
                    let mut visited = Vec::new();
                    kv.scan_with(s.as_deref(), e.as_deref(), |k, v| {
                        visited.push((k.to_vec(), v.to_vec()));
                        std::ops::ControlFlow::Continue(())
                    });
                    prop_assert_eq!(&visited, &want);
                    prop_assert_eq!(got, want);
                }
                Op::Prefix(p) => {
                    let got: Vec<_> = kv.scan_prefix(&p).collect();
                    let want: Vec<_> = m.entries().into_iter().filter(|(k, _)| k.starts_with(&p)).collect();
                    prop_assert_eq!(got, want);
                }
            }
        }
        prop_assert_eq!(kv.scan(None, None).collect::<Vec<_>>(), m.entries());
    }
}

#[test]
fn ttl_reports_time_left_and_expired_memory_is_reclaimed() {
    let clock = Clock::manual(0);
    let engine = Engine::with_config(Config { clock: clock.clone(), ..Config::default() });
    let kv = engine.kv();
    kv.set_with_ttl(b"s", b"v", Duration::from_millis(100)).unwrap();
    kv.set(b"p", b"v");
    assert_eq!(kv.ttl(b"s"), Some(Some(Duration::from_millis(100))));
    assert_eq!(kv.ttl(b"p"), Some(None));
    assert_eq!(kv.set_with_ttl(b"z", b"v", Duration::ZERO).unwrap_err().kind(), ErrorKind::InvalidArgument);
    clock.advance(Duration::from_millis(100));
    assert_eq!(kv.get(b"s"), None);
    assert_eq!(kv.ttl(b"s"), None);
    let before = engine.memory_stats().retired_bytes;
    assert_eq!(kv.len(), 1);
    assert!(engine.memory_stats().retired_bytes > before, "the sweep retired the expired value");
}
