//! The node table: one slot per node id, in segments that never move, so a
//! slot's address is stable and readers need no lock to reach it.

use super::delta::DeltaHead;
use super::stamp::{ABSENT, Stamp, VersionClock};
use crate::sync::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering, spin_wait};

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
    /// Delta block of edge writes from this node.
    pub out_head: DeltaHead,
    /// Delta block of edge writes to this node.
    pub in_head: DeltaHead,
}

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

    /// Whether the node exists at version `at` (created, not yet removed).
    pub fn alive_at(&self, at: u64, clock: &VersionClock) -> bool {
        self.created.visible_at(at, clock) && !self.deleted.visible_at(at, clock)
    }

    /// Whether the node exists now and has not been removed.
    pub fn is_live(&self, clock: &VersionClock) -> bool {
        self.created.resolve(clock) != ABSENT && self.deleted.peek() == ABSENT
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
