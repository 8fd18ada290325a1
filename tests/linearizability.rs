//! Linearizability of the KV map's point operations, checked on histories
//! recorded with real threads: 3 threads run short random sequences of set,
//! get, delete, insert-if-absent and compare-and-swap on two hot keys while a
//! fourth inserts and deletes keys between them (so that the hot keys' node
//! is restructured and split throughout). Each history is checked per key
//! (linearizability is local) by a Wing–Gong search with Lowe's memoisation
//! of (linearized set, state).

use kvgraph::{Engine, ErrorKind};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

/// One operation on a key, with its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Set(u8),
    Get(Option<u8>),
    Delete(bool),
    Insert(u8, bool),
    /// expected, desired, outcome (0 ok, 1 not found, 2 conflict).
    Cas(u8, u8, u8),
}

/// A completed call: its operation and logical invocation/response times.
#[derive(Debug, Clone, Copy)]
struct Call {
    op: Op,
    invoked: u64,
    returned: u64,
}

/// Applies `op` to the model state; `None` if its recorded result is impossible there.
fn step(state: Option<u8>, op: Op) -> Option<Option<u8>> {
    match op {
        Op::Set(v) => Some(Some(v)),
        Op::Get(seen) => (seen == state).then_some(state),
        Op::Delete(had) => (had == state.is_some()).then_some(None),
        Op::Insert(v, done) => (done == state.is_none()).then_some(if done { Some(v) } else { state }),
        Op::Cas(expected, desired, outcome) => {
            let want = match state {
                None => 1,
                Some(s) if s != expected => 2,
                Some(_) => 0,
            };
            (want == outcome).then_some(if outcome == 0 { Some(desired) } else { state })
        }
    }
}

/// Whether some order of `calls` consistent with real time explains every result.
fn linearizable(calls: &[Call]) -> bool {
    assert!(calls.len() <= 64);
    fn search(calls: &[Call], done: u64, state: Option<u8>, seen: &mut HashSet<(u64, Option<u8>)>) -> bool {
        if done.count_ones() as usize == calls.len() {
            return true;
        }
        if !seen.insert((done, state)) {
            return false;
        }
        // A pending call may go next if no other pending call returned before it was invoked.
        let pending = || (0..calls.len()).filter(|&i| done & (1 << i) == 0);
        let first_return = pending().map(|i| calls[i].returned).min().expect("a pending call");
        for i in pending() {
            if calls[i].invoked < first_return
                && let Some(next) = step(state, calls[i].op)
                && search(calls, done | (1 << i), next, seen)
            {
                return true;
            }
        }
        false
    }
    search(calls, 0, None, &mut HashSet::new())
}

/// A tiny deterministic generator (xorshift), per thread and round.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const HOT: [&[u8]; 2] = [b"hot:a", b"hot:b"];
const THREADS: usize = 3;
const OPS: usize = 6;

/// Runs one random call on `key` and records it.
fn call(kv: &kvgraph::Kv, key: &[u8], rng: &mut Rng, clock: &AtomicU64) -> Call {
    let v = rng.below(3) as u8;
    let kind = rng.below(5);
    let invoked = clock.fetch_add(1, Ordering::SeqCst);
    let op = match kind {
        0 => {
            kv.set(key, &[v]);
            Op::Set(v)
        }
        1 => Op::Get(kv.get(key).map(|b| b[0])),
        2 => Op::Delete(kv.delete(key)),
        3 => Op::Insert(v, kv.insert(key, &[v])),
        _ => {
            let desired = rng.below(3) as u8;
            let outcome = match kv.compare_and_swap(key, &[v], &[desired]) {
                Ok(()) => 0,
                Err(e) if e.kind() == ErrorKind::NotFound => 1,
                Err(e) if e.kind() == ErrorKind::Conflict => 2,
                Err(e) => panic!("unexpected error {e}"),
            };
            Op::Cas(v, desired, outcome)
        }
    };
    let returned = clock.fetch_add(1, Ordering::SeqCst);
    Call { op, invoked, returned }
}

#[test]
fn hot_key_histories_are_linearizable() {
    let rounds = if cfg!(miri) { 3 } else { 400 };
    for round in 0..rounds {
        let engine = Engine::new();
        let kv = engine.kv();
        // Neighbours of the hot keys, so that their node fills and splits.
        for i in 0..40u32 {
            kv.set(format!("hot:a{i:03}").as_bytes(), b"x");
        }
        let clock = AtomicU64::new(0);
        let history = Mutex::new(vec![Vec::new(); HOT.len()]);
        let barrier = Barrier::new(THREADS + 1);
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            for t in 0..THREADS {
                let (clock, history, barrier) = (&clock, &history, &barrier);
                s.spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (((round as u64) << 8) | (t as u64 + 1)));
                    barrier.wait();
                    for _ in 0..OPS {
                        let k = rng.below(HOT.len() as u64) as usize;
                        let c = call(kv, HOT[k], &mut rng, clock);
                        history.lock().unwrap()[k].push(c);
                    }
                });
            }
            let (barrier, stop) = (&barrier, &stop);
            s.spawn(move || {
                barrier.wait();
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) && i < 2_000 {
                    kv.set(format!("hot:a{:03}", 40 + i % 200).as_bytes(), b"y");
                    kv.delete(format!("hot:a{:03}", i % 240).as_bytes());
                    i += 1;
                }
            });
            // The scope joins the callers first only by chance; stop the churn once they are done.
            while history.lock().unwrap().iter().map(Vec::len).sum::<usize>() < THREADS * OPS {
                thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        });
        for (k, calls) in history.into_inner().unwrap().iter().enumerate() {
            assert!(linearizable(calls), "round {round}, key {:?}: no linearization of {calls:#?}", HOT[k]);
        }
    }
}

/// The checker itself rejects a history no order explains, and accepts an
/// overlapping one that some order does.
#[test]
fn checker_rejects_a_stale_read() {
    let c = |op, invoked, returned| Call { op, invoked, returned };
    // set(1) returned before get started, yet get saw nothing.
    assert!(!linearizable(&[c(Op::Set(1), 0, 1), c(Op::Get(None), 2, 3)]));
    // Overlapping: get may come first.
    assert!(linearizable(&[c(Op::Set(1), 0, 3), c(Op::Get(None), 1, 2)]));
    // Two successful inserts-if-absent with no delete between: impossible.
    assert!(!linearizable(&[c(Op::Insert(1, true), 0, 3), c(Op::Insert(2, true), 1, 2)]));
    // CAS from 1 to 2 succeeding after a set(1), then a get of 2.
    assert!(linearizable(&[c(Op::Set(1), 0, 1), c(Op::Cas(1, 2, 0), 2, 3), c(Op::Get(Some(2)), 4, 5)]));
}
