//! The node table: one slot per node id, in segments that never move, so a
//! slot's address is stable and readers need no lock to reach it.
//!
//! A node created or removed by a batch takes the batch's version through a
//! *link*: the slot points at the batch's stamp cell while its own stamp
//! still reads [`ABSENT`] (tagged [`DELETION`] for a removal), so that the
//! node appears or goes with the batch's other writes, at the one CAS that
//! commits the cell. The writer then copies the version into the stamp,
//! clears the link, and retires its hold on the cell through the epoch;
//! a reader that loaded the link while pinned may still read the cell. A
//! creation link is set before the node is live (no other writer can reach
//! it); a removal link only under the node's writer lock, as is every
//! clearing, so one slot never holds two links.

use super::delta::DeltaHead;
use super::stamp::{ABSENT, Stamp, VersionClock};
use crate::mem::MemoryManager;
use crate::sync::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering, spin_wait};
use std::sync::Arc;

/// Slots in the first segment; segment `k` holds `FIRST << k`.
const FIRST: u64 = 1024;
/// Segments: enough for `FIRST * (2^SEGMENTS - 1)` ids.
const SEGMENTS: usize = 40;

/// Everything the graph knows about one node id.
#[derive(Default)]
pub(crate) struct NodeSlot {
    /// When the node was created.
    pub created: Stamp,
    /// When it was removed ([`ABSENT`] while it lives).
    pub deleted: Stamp,
    /// Interned label; written before `created` is published.
    pub label: AtomicU32,
    /// Serialises writers of this node's delta blocks (readers never take it).
    lock: AtomicBool,
    /// Set, never cleared, before the first label entry of the node is
    /// linked (see [`NodeSlot::mark_relabelled`]).
    relabelled: AtomicBool,
    /// Delta block of edge writes from this node.
    pub out_head: DeltaHead,
    /// Delta block of edge writes to this node.
    pub in_head: DeltaHead,
    /// The stamp cell of the batch creating (untagged) or removing (tagged
    /// [`DELETION`]) the node, while that stamp is not yet copied; null otherwise.
    link: AtomicPtr<Stamp>,
}

/// Tag bit of a removal link (stamp cells are 8-byte aligned).
const DELETION: usize = 1;

/// Holds a node's writer lock; unlocks on drop.
pub(crate) struct WriteLock<'a>(&'a AtomicBool);

impl Drop for WriteLock<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl NodeSlot {
    /// Takes this node's writer lock.
    pub fn lock(&self) -> WriteLock<'_> {
        let backoff = crossbeam_utils::Backoff::new();
        while self.lock.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            spin_wait(&backoff);
        }
        WriteLock(&self.lock)
    }

    /// Notes that a label entry of the node is about to be linked; call
    /// before linking it. Until then the node's labels at every version are
    /// exactly `label`, the one it was created with.
    pub fn mark_relabelled(&self) {
        self.relabelled.store(true, Ordering::SeqCst);
    }

    /// Whether the node's labels are the one it was created with, at every
    /// version a reader may hold: no label entry was ever linked. A reader
    /// whose version covers a label write sees the mark, which the writer
    /// stored before linking the entry and so before committing it.
    pub fn labels_as_created(&self) -> bool {
        !self.relabelled.load(Ordering::SeqCst)
    }

    /// Whether the node exists at version `at` (created, not yet removed).
    pub fn alive_at(&self, at: u64, clock: &VersionClock, mem: &MemoryManager) -> bool {
        self.version(false, clock, mem) <= at && self.version(true, clock, mem) > at
    }

    /// Whether the node exists now and has not been removed (exact under
    /// its writer lock, where no removal is under way).
    pub fn is_live(&self, clock: &VersionClock, mem: &MemoryManager) -> bool {
        self.version(false, clock, mem) != ABSENT && self.deleted.peek() == ABSENT
    }

    /// Whether the slot was never used: no node was created (or is being
    /// created) there.
    pub fn is_unused(&self) -> bool {
        self.created.peek() == ABSENT && self.link.load(Ordering::SeqCst).is_null()
    }

    /// Whether the batch committing through `cell` is creating the node.
    pub fn created_by(&self, cell: &Arc<Stamp>) -> bool {
        self.link.load(Ordering::SeqCst) == Arc::as_ptr(cell).cast_mut() && self.created.peek() == ABSENT
    }

    /// The version of the node's creation (or, with `deletion`, removal),
    /// helping a pending one; [`ABSENT`] if it has not happened.
    fn version(&self, deletion: bool, clock: &VersionClock, mem: &MemoryManager) -> u64 {
        let stamp = if deletion { &self.deleted } else { &self.created };
        let copied = stamp.resolve(clock);
        if copied != ABSENT {
            return copied;
        }
        // The writer copies the version before it clears the link: without
        // a link, the stamp is read again.
        if self.linked(deletion).is_null() {
            return stamp.resolve(clock);
        }
        let _guard = mem.pin();
        let link = self.linked(deletion);
        if link.is_null() {
            return stamp.resolve(clock);
        }
        // The writer clears a link, and only then retires its hold on the
        // cell through the epoch.
        // SAFETY: loaded non-null while pinned, so the cell outlives the pin.
        unsafe { &*link }.resolve(clock)
    }

    /// The link of the creation (or removal) if one is set.
    fn linked(&self, deletion: bool) -> *const Stamp {
        let link = self.link.load(Ordering::SeqCst);
        let tagged = link as usize & DELETION == DELETION;
        if link.is_null() || tagged != deletion { std::ptr::null() } else { link.map_addr(|a| a & !DELETION) }
    }

    /// Links the node's creation to `cell` (still `ABSENT`), before the node
    /// is live.
    pub fn link_creation(&self, cell: &Arc<Stamp>) {
        self.link.store(Arc::as_ptr(cell).cast_mut(), Ordering::SeqCst);
    }

    /// Links the node's removal to `cell` (still `ABSENT`). Call under the
    /// node's writer lock, the node live.
    pub fn link_removal(&self, cell: &Arc<Stamp>) {
        self.link.store(Arc::as_ptr(cell).cast_mut().map_addr(|a| a | DELETION), Ordering::SeqCst);
    }

    /// Copies `version` (the linked cell's final version, or [`ABSENT`] if
    /// it never committed) into the linked stamp and clears the link. The
    /// caller then retires its hold on the cell through the epoch.
    pub fn unlink(&self, version: u64) {
        let link = self.link.load(Ordering::SeqCst);
        if link.is_null() {
            return;
        }
        let stamp = if link as usize & DELETION == DELETION { &self.deleted } else { &self.created };
        if version != ABSENT {
            stamp.set(version);
        }
        self.link.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

/// Growable array of [`NodeSlot`]s indexed by node id.
pub(crate) struct NodeTable {
    segments: [AtomicPtr<NodeSlot>; SEGMENTS],
    /// Ids handed out so far.
    next: AtomicU64,
}

/// Segment and offset of id `i`.
fn locate(i: u64) -> (usize, usize) {
    let j = i / FIRST + 1;
    let k = 63 - j.leading_zeros() as usize;
    (k, (i - FIRST * ((1 << k) - 1)) as usize)
}

fn segment_len(k: usize) -> usize {
    (FIRST << k) as usize
}

impl Default for NodeTable {
    fn default() -> Self {
        NodeTable { segments: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())), next: AtomicU64::new(0) }
    }
}

impl NodeTable {
    /// Hands out `count` consecutive ids, with their slots allocated.
    /// Returns the first, or `None` if the table is full.
    pub fn reserve(&self, count: u64) -> Option<u64> {
        // A CAS loop rather than `fetch_add`: a refused count must never move
        // `next`, not even for a moment (a huge one would wrap it, or make
        // concurrent snapshots see an absurd node count).
        let mut first = self.next.load(Ordering::SeqCst);
        let end = loop {
            let end = first.checked_add(count).filter(|&e| e <= FIRST * ((1 << SEGMENTS) - 1))?;
            match self.next.compare_exchange_weak(first, end, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => break end,
                Err(actual) => first = actual,
            }
        };
        if count > 0 {
            let (k0, _) = locate(first);
            let (k1, _) = locate(end - 1);
            (k0..=k1).for_each(|k| self.ensure_segment(k));
        }
        Some(first)
    }

    /// Makes ids `first .. first + count` handed out (recovery places nodes
    /// at their logged ids), with their slots allocated; `None` if the table
    /// cannot hold them.
    pub fn reserve_at(&self, first: u64, count: u64) -> Option<()> {
        let end = first.checked_add(count).filter(|&e| e <= FIRST * ((1 << SEGMENTS) - 1))?;
        self.next.fetch_max(end, Ordering::SeqCst);
        if count > 0 {
            (locate(first).0..=locate(end - 1).0).for_each(|k| self.ensure_segment(k));
        }
        Some(())
    }

    fn ensure_segment(&self, k: usize) {
        if !self.segments[k].load(Ordering::Acquire).is_null() {
            return;
        }
        let fresh: Box<[NodeSlot]> = (0..segment_len(k)).map(|_| NodeSlot::default()).collect();
        let fresh = Box::into_raw(fresh) as *mut NodeSlot;
        let won =
            self.segments[k].compare_exchange(std::ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if !won {
            // SAFETY: `fresh` came from `Box::into_raw` of a slice of this
            // length just above and was never shared.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(fresh, segment_len(k))) });
        }
    }

    /// Number of ids handed out (every node id is below it).
    pub fn len(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// The slot of id `i`, if its segment exists.
    pub fn get(&self, i: u64) -> Option<&NodeSlot> {
        if i >= self.len() {
            return None;
        }
        let (k, off) = locate(i);
        let seg = self.segments[k].load(Ordering::Acquire);
        // SAFETY: a published segment holds `segment_len(k)` initialised slots,
        // `off` is below that by `locate`, and segments live as long as `self`.
        (!seg.is_null()).then(|| unsafe { &*seg.add(off) })
    }
}

impl Drop for NodeTable {
    fn drop(&mut self) {
        for (k, seg) in self.segments.iter().enumerate() {
            let p = seg.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: `p` was published by `ensure_segment` from a boxed
                // slice of `segment_len(k)` slots; we are its last user.
                drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, segment_len(k))) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_covers_ids_contiguously() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(FIRST - 1), (0, FIRST as usize - 1));
        assert_eq!(locate(FIRST), (1, 0));
        assert_eq!(locate(3 * FIRST - 1), (1, 2 * FIRST as usize - 1));
        assert_eq!(locate(3 * FIRST), (2, 0));
    }
}
