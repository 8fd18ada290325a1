//! Loom models of the crate's own lock-free protocols (the KV map's are in
//! src/map/loom_tests.rs). Run with
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --lib --release loom_`.

use crate::graph::loom_api::{Horizon, Stamp, VersionClock};
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use loom::sync::Arc;
use loom::thread;

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
        let first = stamp.resolve(&clock) <= r;
        let second = stamp.resolve(&clock) <= r;
        assert_eq!(first, second, "a snapshot answers the same way twice");
        if was_acked {
            assert!(first, "an acknowledged write is visible to later snapshots");
        }
        writer.join().unwrap();
        assert_eq!((stamp.resolve(&clock) <= r), first, "still the same after the writer finished");
        if !first {
            assert!(stamp.peek() > r, "a write a snapshot missed is stamped after it");
        }
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
        let sees_write = stamp.resolve(&clock) <= version;
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
