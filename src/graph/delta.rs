//! The delta: edge writes since the base was built, kept per node and
//! direction in one contiguous block (LiveGraph's edge log, Sortledton's
//! per-vertex blocks): a node's out-block lists the writes from it, its
//! in-block the writes to it, oldest first.
//!
//! - **Append.** Writers of a block are serialised by its node's writer lock
//!   (an edge write holds the locks of both ends). A writer fills the next
//!   free entry (a batch: the next run of them) and publishes it by storing
//!   the block's new length (`Release`); readers load the length (`Acquire`) and never look past it.
//! - **Growth.** A full block is copied into one of twice the capacity (or
//!   more, to fit a batch's run of entries), the new entries written there,
//!   and the new block published with one store of the head; the old one is retired to the epoch collector. Readers that
//!   still hold the old block read a prefix of the new one's entries.
//! - **Stamps.** The out-entry holds the write's stamp (the protocol of
//!   [`super::stamp`]); the in-entry links to that stamp cell and gets a
//!   copy of its final version before the writer unlocks. (A write of
//!   several entries links all of them to one shared cell.) Every entry of a block but
//!   its last is final (a writer finalises its entry before it unlocks), and
//!   final versions grow along a block, so the entries a snapshot sees beyond
//!   its base are one contiguous range found by binary search, and a block
//!   whose last stamp is visible is visible whole.
//! - **Tombstones.** A removal is an entry flagged `removed`; the reader lets
//!   it cancel the base edge (or older entry) with the same key.
//! - **Trim.** Once every live generation's base holds a block's oldest
//!   entries, compaction replaces the block by a copy of the rest (under the
//!   node's writer lock) and retires the old one; an empty rest frees the
//!   block, so a node without recent writes costs one null pointer.

use super::stamp::{ABSENT, Stamp, VersionClock};
use crate::mem::MemoryManager;
use crate::sync::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use crossbeam_epoch::{Atomic, Guard, Owned, Shared};

/// Capacity of a node's first block (1 under loom, so that models grow blocks).
const FIRST_CAPACITY: usize = if cfg!(loom) { 1 } else { 4 };

/// The head of one node's delta in one direction (null: no writes).
pub(crate) type DeltaHead = Atomic<Block>;

/// One edge write, as a block stores it.
#[derive(Default)]
pub(crate) struct Entry {
    /// The node at the other end.
    other: AtomicU64,
    ty: AtomicU32,
    removed: AtomicBool,
    id: AtomicU64,
    weight: AtomicU64,
    /// The write's stamp if `link` is null; else a copy of the final
    /// version of the stamp at `link`, [`ABSENT`] until copied.
    stamp: Stamp,
    /// The stamp cell this entry's visibility follows (null: its own). It
    /// stays valid while the entry is not copied (see [`resolve`]).
    link: AtomicPtr<Stamp>,
}

/// The fields of an edge write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Write {
    /// The node at the other end.
    pub other: u64,
    /// Interned edge type.
    pub ty: u32,
    /// The relationship's id.
    pub id: u64,
    /// A removal (tombstone) rather than an insertion or weight update.
    pub removed: bool,
    /// Weight (0 for removals).
    pub weight: f64,
}

impl Entry {
    /// The write this entry holds.
    pub fn write(&self) -> Write {
        Write {
            other: self.other.load(Ordering::Relaxed),
            ty: self.ty.load(Ordering::Relaxed),
            removed: self.removed.load(Ordering::Relaxed),
            id: self.id.load(Ordering::Relaxed),
            weight: f64::from_bits(self.weight.load(Ordering::Relaxed)),
        }
    }

    /// The node at the other end.
    pub fn other(&self) -> u64 {
        self.other.load(Ordering::Relaxed)
    }

    fn fill(&self, w: Write, stamp: u64, link: *const Stamp) {
        self.other.store(w.other, Ordering::Relaxed);
        self.ty.store(w.ty, Ordering::Relaxed);
        self.removed.store(w.removed, Ordering::Relaxed);
        self.id.store(w.id, Ordering::Relaxed);
        self.weight.store(w.weight.to_bits(), Ordering::Relaxed);
        self.stamp.set(stamp);
        self.link.store(link.cast_mut(), Ordering::Relaxed);
    }

    /// The stamp cell (out-entries: the write's own).
    pub fn stamp(&self) -> &Stamp {
        &self.stamp
    }
}

/// A node's delta in one direction: entries `0..len` are published.
pub(crate) struct Block {
    len: AtomicU64,
    entries: Box<[Entry]>,
}

impl Block {
    fn with_capacity(cap: usize) -> Owned<Block> {
        Owned::new(Block { len: AtomicU64::new(0), entries: (0..cap).map(|_| Entry::default()).collect() })
    }

    /// The published entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries[..self.len.load(Ordering::Acquire) as usize]
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Block>() + self.entries.len() * std::mem::size_of::<Entry>()
    }
}

/// The block at `head`, if any.
pub(crate) fn block<'g>(head: &DeltaHead, guard: &'g Guard) -> Option<&'g Block> {
    // SAFETY: blocks reachable from a head under `guard` are retired, never
    // freed in place, so they stay valid while `guard` lives.
    unsafe { head.load(Ordering::Acquire, guard).as_ref() }
}

/// Appends `w` to the block at `head` with stamp `stamp` and `link`, growing
/// the block if full. Returns the entry. The caller
/// holds the writer lock of `head`'s node, and every entry already in the
/// block is final or belongs to the caller's write (linked to its shared
/// cell).
pub(crate) fn push<'g>(
    head: &DeltaHead,
    w: Write,
    stamp: u64,
    link: *const Stamp,
    mem: &MemoryManager,
    guard: &'g Guard,
) -> &'g Entry {
    let (block, at) = append(head, std::iter::once(w), stamp, link, mem, guard);
    &block.entries[at]
}

/// Appends the run `writes` to the block at `head`, every entry with stamp
/// `stamp` and `link`, and publishes the run with one store of the length
/// (or, if the block must grow, once, of the head). Returns the block that
/// holds the run and the index of its first entry. The caller holds the
/// writer lock of `head`'s node, as for [`push`].
pub(crate) fn append<'g>(
    head: &DeltaHead,
    writes: impl ExactSizeIterator<Item = Write>,
    stamp: u64,
    link: *const Stamp,
    mem: &MemoryManager,
    guard: &'g Guard,
) -> (&'g Block, usize) {
    let run = writes.len();
    let current = head.load(Ordering::Acquire, guard);
    // SAFETY: as in `block`.
    let old = unsafe { current.as_ref() };
    let len = old.map_or(0, |b| b.len.load(Ordering::Relaxed) as usize);
    if let Some(b) = old
        && len + run <= b.entries.len()
    {
        b.entries[len..].iter().zip(writes).for_each(|(e, w)| e.fill(w, stamp, link));
        b.len.store((len + run) as u64, Ordering::Release);
        return (b, len);
    }
    let mut cap = (len * 2).max(FIRST_CAPACITY);
    while cap < len + run {
        cap *= 2;
    }
    let grown = Block::with_capacity(cap);
    if let Some(b) = old {
        for (to, from) in grown.entries.iter().zip(b.entries()) {
            from.copy_to(to);
        }
    }
    grown.entries[len..].iter().zip(writes).for_each(|(e, w)| e.fill(w, stamp, link));
    grown.len.store((len + run) as u64, Ordering::Relaxed);
    let grown = grown.into_shared(guard);
    head.store(grown, Ordering::Release);
    if let Some(b) = old {
        // SAFETY: `current` is unlinked (the head now points past it),
        // only this writer could have replaced it, and it does so once.
        unsafe { mem.retire(guard, current, b.bytes()) };
    }
    // SAFETY: just published by this writer, under `guard`; blocks are
    // retired, never freed in place.
    (unsafe { grown.deref() }, len)
}

impl Entry {
    /// Copies an entry into a fresh block's slot: a final one without its
    /// link, one of the write in progress (linked to its shared cell) with it.
    fn copy_to(&self, to: &Entry) {
        let stamp = self.stamp.peek();
        let link = if stamp == ABSENT { self.link.load(Ordering::Relaxed) } else { std::ptr::null_mut() };
        to.fill(self.write(), stamp, link);
    }
}

/// Which of a node's two blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// The writes from the node.
    Out,
    /// The writes to the node.
    In,
}

/// The version of `e`, helping a pending write along; [`ABSENT`] if not
/// yet written. The caller is pinned.
pub(crate) fn resolve(e: &Entry, clock: &VersionClock) -> u64 {
    let link = e.link.load(Ordering::Relaxed);
    if link.is_null() {
        return e.stamp.resolve(clock);
    }
    let copied = e.stamp.peek();
    if copied != ABSENT {
        return copied;
    }
    // SAFETY: the cell at `link` (an out-entry's stamp, or a write's shared
    // cell) is retired only after the writer has copied its final version
    // into `e` (a block is outgrown or trimmed only after its writes are
    // final; a shared cell is retired after the copies). `e` was not copied
    // when we looked, after our caller pinned, so the retirement comes after
    // the pin and the cell is still allocated.
    unsafe { &*link }.resolve(clock)
}

/// The published `entries` of a block that a snapshot reading at `at` over a base cut at
/// `cut` sees beyond that base: those stamped in `(cut, at]`, a contiguous
/// range (see the module notes).
pub(crate) fn visible(entries: &[Entry], cut: u64, at: u64, resolve_last: impl FnOnce(&Entry) -> u64) -> &[Entry] {
    let Some((last, settled)) = entries.split_last() else { return entries };
    let last_stamp = resolve_last(last);
    let hi = if last_stamp <= at { entries.len() } else { settled.partition_point(|e| e.stamp.peek() <= at) };
    let seen = &entries[..hi];
    // `last_stamp` stands in for the (maybe unsettled) last entry's stamp.
    let stamp = |e: &Entry| if std::ptr::eq(e, last) { last_stamp } else { e.stamp.peek() };
    let lo = match seen.first() {
        // The common case after a trim: every entry is newer than the base.
        Some(first) if stamp(first) > cut => 0,
        _ => seen.partition_point(|e| stamp(e) <= cut),
    };
    &seen[lo..]
}

/// Replaces the block at `head` by a copy of its entries stamped after
/// `upto` (nothing if none), retiring the old block. Returns the number of
/// entries dropped. The caller holds the writer lock of `head`'s node.
pub(crate) fn trim(head: &DeltaHead, upto: u64, mem: &MemoryManager, guard: &Guard) -> usize {
    let current = head.load(Ordering::Acquire, guard);
    // SAFETY: as in `block`.
    let Some(b) = (unsafe { current.as_ref() }) else { return 0 };
    let entries = b.entries();
    let cut = entries.partition_point(|e| e.stamp.peek() <= upto);
    if cut == 0 {
        return 0;
    }
    let rest = &entries[cut..];
    let next = if rest.is_empty() {
        Shared::null()
    } else {
        let fresh = Block::with_capacity(rest.len().next_power_of_two().max(FIRST_CAPACITY));
        for (to, from) in fresh.entries.iter().zip(rest) {
            from.copy_to(to);
        }
        fresh.len.store(rest.len() as u64, Ordering::Relaxed);
        fresh.into_shared(guard)
    };
    head.store(next, Ordering::Release);
    // SAFETY: unlinked just above, under the node's writer lock, once.
    unsafe { mem.retire(guard, current, b.bytes()) };
    cut
}

/// Frees the block at `head`, if any.
///
/// # Safety
/// No other thread may use the block, now or later.
pub(crate) unsafe fn free(head: &DeltaHead) {
    // SAFETY: the caller guarantees exclusive access, so no guard is needed.
    let guard = unsafe { crossbeam_epoch::unprotected() };
    let p = head.swap(Shared::null(), Ordering::Relaxed, guard);
    if !p.is_null() {
        // SAFETY: exclusive access; the head held the only reference.
        drop(unsafe { p.into_owned() });
    }
}
