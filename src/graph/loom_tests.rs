//! Loom models of the delta-block protocols: append and growth against a
//! reader, an edge write (out-entry stamp, in-entry copy) against a
//! snapshot reading both directions, a trim against a writer and a reader;
//! and of the node slot's relabel mark against a label read. Run by
//! `tests/loom.sh`.

use super::delta::append as append_run;
use super::delta::{DeltaHead, Write, block, push, resolve, trim, visible};
use super::nodes::NodeSlot;
use super::stamp::{ABSENT, Stamp, VersionClock};
use crate::mem::MemoryManager;
use loom::sync::{Arc, Mutex};
use loom::thread;

/// An insertion towards `other`.
fn write(other: u64) -> Write {
    Write { other, ty: 0, id: other, removed: false, weight: 1.0 }
}

/// Appends a write to `head` and commits it at once (a single-block write).
fn append(head: &DeltaHead, other: u64, clock: &VersionClock, mem: &MemoryManager) -> u64 {
    let g = mem.pin();
    let e = push(head, write(other), ABSENT, std::ptr::null(), mem, &g);
    e.stamp().mark_pending();
    e.stamp().commit(clock.tick())
}

/// Frees what is left at `heads`.
fn free_all(heads: &[&DeltaHead]) {
    for head in heads {
        // SAFETY: every thread of the model has joined.
        unsafe { super::delta::free(head) };
    }
}

/// A reader holding a block while the writer grows it (copy, publish the
/// new block, retire the old one) reads an intact prefix of the writes, in
/// order; the old block goes to the epoch collector, which frees it only
/// after the reader unpins (loom with `crossbeam_loom` checks the accesses).
#[test]
fn loom_block_append_and_growth_vs_reader() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let head = Arc::new(DeltaHead::null());
        let writer = {
            let (mem, clock, head) = (mem.clone(), clock.clone(), head.clone());
            thread::spawn(move || {
                // The first block holds one entry: the second append grows it.
                append(&head, 0, &clock, &mem);
                append(&head, 1, &clock, &mem);
            })
        };
        {
            let g = mem.pin();
            if let Some(b) = block(&head, &g) {
                let entries = b.entries();
                assert!(entries.len() <= 2);
                for (i, e) in entries.iter().enumerate() {
                    assert_eq!(e.write(), write(i as u64), "a published entry is intact and in order");
                }
            }
        }
        writer.join().unwrap();
        let g = mem.pin();
        let others: Vec<u64> = block(&head, &g).unwrap().entries().iter().map(|e| e.write().other).collect();
        assert_eq!(others, [0, 1]);
        drop(g);
        assert!(mem.stats().retired_bytes > 0, "the outgrown block went to the collector");
        free_all(&[&head]);
    });
}

/// An edge write appends to the source's out-block and the target's
/// in-block (both locked), stamps the out-entry and copies the version into
/// the in-entry. A snapshot sees it in both directions or in neither, the
/// same way every time it looks, helping a pending stamp when it must.
#[test]
fn loom_edge_write_vs_snapshot_both_directions() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let (out, inn) = (Arc::new(DeltaHead::null()), Arc::new(DeltaHead::null()));
        let locks = Arc::new(Mutex::new(()));
        let writer = {
            let (mem, clock, out, inn, locks) = (mem.clone(), clock.clone(), out.clone(), inn.clone(), locks.clone());
            thread::spawn(move || {
                let g = mem.pin();
                let _held = locks.lock().unwrap();
                let o = push(&out, write(1), ABSENT, std::ptr::null(), &mem, &g);
                let i = push(&inn, write(0), ABSENT, o.stamp(), &mem, &g);
                o.stamp().mark_pending();
                let version = o.stamp().commit(clock.tick());
                i.stamp().set(version);
                version
            })
        };
        let r = clock.read();
        let seen = |head: &DeltaHead| {
            let g = mem.pin();
            block(head, &g).map_or(0, |b| visible(b.entries(), 0, r, |e| resolve(e, &clock)).len())
        };
        let (in_first, out_then) = (seen(&inn), seen(&out));
        assert_eq!(in_first, out_then, "seen in both directions or neither");
        assert_eq!(seen(&inn), in_first, "repeatable");
        let version = writer.join().unwrap();
        assert_eq!(seen(&out), in_first, "still the same after the writer finished");
        assert_eq!(in_first == 1, version <= r, "seen exactly when stamped at or below the snapshot");
        free_all(&[&out, &inn]);
    });
}

/// A trim (compaction dropping the entries every base holds, under the
/// node's lock) racing an append and a reader: the reader sees intact
/// entries in version order, the new write survives, the old ones go.
#[test]
fn loom_trim_vs_writer_and_reader() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let head = Arc::new(DeltaHead::null());
        let lock = Arc::new(Mutex::new(()));
        append(&head, 0, &clock, &mem);
        let upto = clock.read();
        let writer = {
            let (mem, clock, head, lock) = (mem.clone(), clock.clone(), head.clone(), lock.clone());
            thread::spawn(move || {
                let _held = lock.lock().unwrap();
                append(&head, 1, &clock, &mem)
            })
        };
        let trimmer = {
            let (mem, head, lock) = (mem.clone(), head.clone(), lock.clone());
            thread::spawn(move || {
                let g = mem.pin();
                let _held = lock.lock().unwrap();
                trim(&head, upto, &mem, &g)
            })
        };
        {
            let g = mem.pin();
            if let Some(b) = block(&head, &g) {
                let stamps: Vec<u64> = b.entries().iter().map(|e| e.stamp().peek()).collect();
                assert!(stamps.windows(2).all(|w| w[0] < w[1]), "versions grow along a block");
                assert!(b.entries().iter().all(|e| e.write().other <= 1), "entries are intact");
            }
        }
        writer.join().unwrap();
        assert_eq!(trimmer.join().unwrap(), 1, "the entry every base holds is trimmed");
        let g = mem.pin();
        let left: Vec<u64> = block(&head, &g).unwrap().entries().iter().map(|e| e.write().other).collect();
        assert_eq!(left, [1], "the concurrent write survives the trim");
        drop(g);
        free_all(&[&head]);
    });
}

/// Spawns a batch of one write into each of `heads` (every entry linked to
/// the batch's one stamp cell; a write's second direction is one more entry
/// on the same cell and adds nothing to the protocol but states), committed
/// by one CAS on the cell under the writers' lock; joins to its version.
fn spawn_batch(
    heads: &Arc<[DeltaHead; 2]>,
    clock: &Arc<VersionClock>,
    mem: &Arc<MemoryManager>,
    locks: &Arc<Mutex<()>>,
) -> thread::JoinHandle<u64> {
    let (heads, clock, mem, locks) = (heads.clone(), clock.clone(), mem.clone(), locks.clone());
    thread::spawn(move || {
        let g = mem.pin();
        let cell = std::sync::Arc::new(super::stamp::Stamp::default());
        let _held = locks.lock().unwrap();
        let entries: Vec<_> =
            (0..2).map(|k| push(&heads[k], write(k as u64), ABSENT, std::sync::Arc::as_ptr(&cell), &mem, &g)).collect();
        cell.mark_pending();
        let version = cell.commit(clock.tick());
        entries.iter().for_each(|e| e.stamp().set(version));
        g.defer(move || drop(cell));
        version
    })
}

/// A batch of two writes (into two nodes' blocks) committing while a
/// snapshot reads: the snapshot sees both writes or neither, repeatably, and
/// sees them exactly when the batch committed at or below its version.
#[test]
fn loom_batch_commit_vs_snapshot() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let heads: Arc<[DeltaHead; 2]> = Arc::new(std::array::from_fn(|_| DeltaHead::null()));
        let batch = spawn_batch(&heads, &clock, &mem, &Arc::new(Mutex::new(())));
        let r = clock.read();
        let seen = |k: usize| {
            let g = mem.pin();
            block(&heads[k], &g).map_or(0, |b| visible(b.entries(), 0, r, |e| resolve(e, &clock)).len())
        };
        let first: Vec<usize> = (0..2).map(seen).collect();
        assert!(first.iter().all(|&n| n == first[0]), "all of the batch or none: {first:?}");
        let version = batch.join().unwrap();
        assert_eq!((0..2).map(seen).collect::<Vec<_>>(), first, "repeatable");
        assert_eq!(first[0] == 1, version <= r, "seen exactly when committed at or below the snapshot");
        free_all(&heads.iter().collect::<Vec<_>>());
    });
}

/// A compaction trimming at a cut taken before a batch commits (the two
/// serialise on the writers' lock, in either order): the trim keeps both of
/// the batch's writes (they are newer than its cut), so a snapshot after
/// both sees the whole batch. The reader side of a trim is
/// `loom_trim_vs_writer_and_reader`'s.
#[test]
fn loom_batch_commit_vs_trim() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let heads: Arc<[DeltaHead; 2]> = Arc::new(std::array::from_fn(|_| DeltaHead::null()));
        let locks = Arc::new(Mutex::new(()));
        let upto = clock.tick();
        let batch = spawn_batch(&heads, &clock, &mem, &locks);
        let trimmed = {
            let g = mem.pin();
            let _held = locks.lock().unwrap();
            heads.iter().map(|h| trim(h, upto, &mem, &g)).sum::<usize>()
        };
        assert_eq!(trimmed, 0, "nothing at or below the cut to trim");
        let version = batch.join().unwrap();
        let r = clock.read();
        assert!(version <= r);
        let g = mem.pin();
        for h in heads.iter() {
            let n = block(h, &g).map_or(0, |b| visible(b.entries(), 0, r, |e| resolve(e, &clock)).len());
            assert_eq!(n, 1, "the trim kept the batch's write");
        }
        drop(g);
        free_all(&heads.iter().collect::<Vec<_>>());
    });
}

/// A batch creating a node (its creation linked to the batch's cell, which
/// a reader may help to a version) or removing one (the removal linked
/// likewise), against a snapshot: the snapshot's answer is repeatable and
/// matches the cell's version, and the copied stamp agrees with it after.
fn node_link_vs_snapshot(removal: bool) {
    loom::model(move || {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let slot = Arc::new(NodeSlot::default());
        if removal {
            slot.created.set(clock.tick());
        }
        let writer = {
            let (mem, clock, slot) = (mem.clone(), clock.clone(), slot.clone());
            thread::spawn(move || {
                let cell = std::sync::Arc::new(Stamp::default());
                if removal {
                    slot.link_removal(&cell)
                } else {
                    slot.link_creation(&cell)
                }
                cell.mark_pending();
                let version = cell.commit(clock.tick());
                slot.unlink(version);
                mem.pin().defer(move || drop(cell));
                version
            })
        };
        let at = clock.read();
        let first = slot.alive_at(at, &clock, &mem);
        assert_eq!(slot.alive_at(at, &clock, &mem), first, "repeatable");
        let version = writer.join().unwrap();
        assert_eq!(first, (version <= at) != removal, "seen exactly as of the batch's version");
        assert_eq!(slot.alive_at(at, &clock, &mem), first, "repeatable after the copy");
        assert_eq!(slot.alive_at(version, &clock, &mem), !removal);
    });
}

#[test]
fn loom_batch_node_creation_vs_snapshot() {
    node_link_vs_snapshot(false);
}

#[test]
fn loom_batch_node_removal_vs_snapshot() {
    node_link_vs_snapshot(true);
}

/// A batch appending a run of two entries (linked to its one cell) to a
/// block that holds a committed entry and must grow for them: one growth,
/// one publication of the head, then the cell's CAS and the copies. A
/// snapshot sees the old entry alone or all three, repeatably, and the run
/// exactly when the batch committed at or below its version; the entries
/// it sees are intact and in order.
#[test]
fn loom_batch_run_append_vs_snapshot() {
    loom::model(|| {
        let mem = Arc::new(MemoryManager::new());
        let clock = Arc::new(VersionClock::default());
        let head = Arc::new(DeltaHead::null());
        append(&head, 0, &clock, &mem);
        let batch = {
            let (mem, clock, head) = (mem.clone(), clock.clone(), head.clone());
            thread::spawn(move || {
                let g = mem.pin();
                let cell = std::sync::Arc::new(Stamp::default());
                let link: *const Stamp = std::sync::Arc::as_ptr(&cell);
                let (b, at) = append_run(&head, [1, 2].into_iter().map(write), ABSENT, link, &mem, &g);
                cell.mark_pending();
                let version = cell.commit(clock.tick());
                b.entries()[at..].iter().for_each(|e| e.stamp().set(version));
                g.defer(move || drop(cell));
                version
            })
        };
        let r = clock.read();
        let seen = || {
            let g = mem.pin();
            let b = block(&head, &g).expect("the committed entry's block");
            let all = b.entries();
            for (i, e) in all.iter().enumerate() {
                assert_eq!(e.write(), write(i as u64), "a published entry is intact and in order");
            }
            visible(all, 0, r, |e| resolve(e, &clock)).len()
        };
        let first = seen();
        assert!(first == 1 || first == 3, "the old entry alone or with the whole run: {first}");
        let version = batch.join().unwrap();
        assert_eq!(seen(), first, "repeatable");
        assert_eq!(first == 3, version <= r, "seen exactly when committed at or below the snapshot");
        free_all(&[&head]);
    });
}

/// A label write (mark the slot, then link and commit the entry) against a
/// reader that trusts the slot's creation label while the slot is
/// unmarked: whenever it does, the entry is not visible at its version.
#[test]
fn loom_relabel_mark_vs_label_read() {
    loom::model(|| {
        let clock = Arc::new(VersionClock::default());
        let slot = Arc::new(NodeSlot::default());
        let entry = Arc::new(Stamp::default());
        slot.created.set(clock.tick());
        let writer = {
            let (clock, slot, entry) = (clock.clone(), slot.clone(), entry.clone());
            thread::spawn(move || {
                slot.mark_relabelled();
                entry.mark_pending();
                entry.commit(clock.tick())
            })
        };
        let at = clock.read();
        let trusted = slot.labels_as_created();
        let version = writer.join().unwrap();
        if trusted {
            assert!(version > at, "an unmarked slot means no label write is visible at the reader's version");
        }
        assert!(!slot.labels_as_created());
    });
}
