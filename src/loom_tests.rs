//! Loom models of the crate's own lock-free protocols. Run with
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --lib --release loom_`.

use crate::graph::loom_api::{EdgeRec, Horizon, List, Stamp, VersionClock, append, cut_suffix, for_each, free_all};
use crate::map::loom_api::{NewValue, Slot, State, Value};
use crate::mem::MemoryManager;
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crossbeam_epoch::{Atomic, Shared};
use loom::sync::Arc;
use loom::thread;

fn value(b: u8) -> Option<NewValue> {
    Some(NewValue::new(&[b], 0))
}

/// A value retired while a reader holds it is not freed under the reader,
/// and is freed (counted) once the reader moves on.
#[test]
fn loom_retire_while_reader_holds_entry() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let slot = Arc::new(Slot::empty());
        {
            let g = mem.pin();
            slot.replace(Shared::null(), value(1), &mem, &g).unwrap();
        }
        let reader = {
            let (mem, slot) = (mem.clone(), slot.clone());
            thread::spawn(move || {
                let g = mem.pin();
                if let Some(v) = slot.live(0, &g) {
                    // Whatever we hold stays intact while pinned.
                    assert!(v.bytes() == [1] || v.bytes() == [2]);
                }
            })
        };
        {
            let g = mem.pin();
            let State::Live(cur) = slot.load(&g) else { panic!("installed above") };
            slot.replace(cur, value(2), &mem, &g).unwrap();
        }
        reader.join().unwrap();
        assert_eq!(mem.stats().retired_bytes, NewValue::new(&[1], 0).heap_bytes() as u64);
        drop(slot);
    });
}

/// Set, delete and expiry racing on one key leave a state that some order of
/// the three explains, and a slot once dead is never written again.
#[test]
fn loom_set_delete_expiry_race_on_one_key() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let slot = Arc::new(Slot::empty());
        {
            let g = mem.pin();
            // Value 1 expires at t=5; "now" is 10, so it is expired.
            slot.replace(Shared::null(), Some(NewValue::new(&[1], 5)), &mem, &g).unwrap();
        }
        // Writer: set value 2 unless the slot died (then it would use a new node).
        let setter = {
            let (mem, slot) = (mem.clone(), slot.clone());
            thread::spawn(move || {
                let g = mem.pin();
                loop {
                    let cur = match slot.load(&g) {
                        State::Dead => return false,
                        State::Empty => Shared::null(),
                        State::Live(p) => p,
                    };
                    if slot.replace(cur, value(2), &mem, &g).is_ok() {
                        return true;
                    }
                }
            })
        };
        // Deleter: remove a live (unexpired) value, then kill the empty slot.
        let deleter = {
            let (mem, slot) = (mem.clone(), slot.clone());
            thread::spawn(move || {
                let g = mem.pin();
                loop {
                    let cur = match slot.load(&g) {
                        State::Live(p) => p,
                        _ => return false,
                    };
                    // SAFETY: loaded under `g`.
                    let live = !Value::from_raw(unsafe { cur.deref() }).is_expired(10);
                    if slot.replace(cur, None, &mem, &g).is_ok() {
                        slot.kill_if_empty(&g);
                        return live;
                    }
                }
            })
        };
        let set = setter.join().unwrap();
        let deleted_live = deleter.join().unwrap();
        let g = mem.pin();
        match slot.load(&g) {
            // A dead slot is never refilled, so a live slot means the set came last.
            State::Live(p) => {
                // SAFETY: loaded under `g`.
                assert_eq!(Value::from_raw(unsafe { p.deref() }).bytes(), [2]);
                assert!(set && !deleted_live);
            }
            // Dead: either the set came first and the delete removed its live
            // value, or the delete (of the expired value) came first and the set
            // found the slot dead.
            State::Dead => assert_eq!(set, deleted_live),
            State::Empty => panic!("an emptied slot is killed or refilled"),
        }
    });
}

/// A snapshot's view of a write is repeatable, includes every write
/// acknowledged before it, and a write it missed is stamped after it.
#[test]
fn loom_version_publication_vs_snapshot_read() {
    loom::model(|| {
        let clock = Arc::new(VersionClock::default());
        let stamp = Arc::new(Stamp::default());
        let acked = Arc::new(AtomicBool::new(false));
        let writer = {
            let (clock, stamp, acked) = (clock.clone(), stamp.clone(), acked.clone());
            thread::spawn(move || {
                stamp.mark_pending();
                stamp.commit(clock.tick());
                acked.store(true, Ordering::SeqCst);
            })
        };
        let was_acked = acked.load(Ordering::SeqCst);
        let r = clock.read();
        let first = stamp.visible_at(r, &clock);
        let second = stamp.visible_at(r, &clock);
        assert_eq!(first, second, "a snapshot answers the same way twice");
        if was_acked {
            assert!(first, "an acknowledged write is visible to later snapshots");
        }
        writer.join().unwrap();
        assert_eq!(stamp.visible_at(r, &clock), first, "still the same after the writer finished");
        if !first {
            assert!(stamp.peek() > r, "a write a snapshot missed is stamped after it");
        }
    });
}

/// Compaction cutting delta records (and retiring them through the epoch)
/// while a reader walks the list and a writer pushes a new record.
#[test]
fn loom_compaction_cut_and_reclamation() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let out = Arc::new(Atomic::<EdgeRec>::null());
        let inn = Arc::new(Atomic::<EdgeRec>::null());
        {
            let g = mem.pin();
            for dst in 0..2 {
                append(EdgeRec::new(0, dst, 0, 1.0, false), &out, &inn, &clock, &g);
            }
        }
        let upto = clock.read();
        let reader = {
            let (mem, out) = (mem.clone(), out.clone());
            thread::spawn(move || {
                let g = mem.pin();
                let mut seen = 0;
                for_each(&out, List::Out, &g, |r| {
                    assert!(r.src == 0 && r.dst <= 2, "a record read under the guard is intact");
                    seen += 1;
                });
                assert!(seen <= 3);
            })
        };
        let writer = {
            let (mem, out, inn, clock) = (mem.clone(), out.clone(), inn.clone(), clock.clone());
            thread::spawn(move || {
                let g = mem.pin();
                append(EdgeRec::new(0, 2, 0, 1.0, false), &out, &inn, &clock, &g);
            })
        };
        {
            let g = mem.pin();
            cut_suffix(&out, List::Out, upto, &clock, &mem, &g);
            cut_suffix(&inn, List::In, upto, &clock, &mem, &g);
        }
        reader.join().unwrap();
        writer.join().unwrap();
        let g = mem.pin();
        let mut left = Vec::new();
        for_each(&out, List::Out, &g, |r| left.push(r.dst));
        assert!(left.contains(&2), "the concurrent write survives the cut");
        drop(g);
        // SAFETY: all threads joined; both lists passed once.
        unsafe { free_all([(&*out, List::Out), (&*inn, List::In)].into_iter()) };
    });
}

/// A bulk load (version taken first, base published later by a generation
/// swap, modelled here as the generation's cut) racing with a writer and a
/// snapshot: a snapshot that reads at or past the load's version reads the
/// load's generation, and one that saw the write acknowledged sees it.
#[test]
fn loom_bulk_load_publication_vs_writer_and_snapshot() {
    loom::model(|| {
        let clock = Arc::new(VersionClock::default());
        let horizon = Arc::new(Horizon::default());
        let generation = Arc::new(AtomicU64::new(0));
        let stamp = Arc::new(Stamp::default());
        let acked = Arc::new(AtomicBool::new(false));
        let loader = {
            let (clock, horizon, generation) = (clock.clone(), horizon.clone(), generation.clone());
            thread::spawn(move || {
                let load = horizon.begin_load(&clock);
                generation.store(load.version, Ordering::SeqCst);
                load.version
            })
        };
        let writer = {
            let (clock, horizon, stamp, acked) = (clock.clone(), horizon.clone(), stamp.clone(), acked.clone());
            thread::spawn(move || {
                stamp.mark_pending();
                horizon.acknowledge(stamp.commit(clock.tick()));
                acked.store(true, Ordering::SeqCst);
            })
        };
        let was_acked = acked.load(Ordering::SeqCst);
        let (cut, version) = horizon.pick(
            &clock,
            || generation.load(Ordering::SeqCst),
            |&g| generation.load(Ordering::SeqCst) == g,
            |&g| g,
        );
        let sees_write = stamp.visible_at(version, &clock);
        if was_acked {
            assert!(sees_write, "an acknowledged write is visible to later snapshots");
        }
        let load = loader.join().unwrap();
        writer.join().unwrap();
        assert_eq!(version >= load, cut == load, "a snapshot reads past the load only over its base");
        if sees_write && stamp.peek() > load {
            assert_eq!(cut, load, "a write after the load is seen only with the load");
        }
    });
}
