//! The delta: edge writes since the base was built, as records linked into
//! two lock-free lists — the source's out-list and the target's in-list.
//!
//! Writers of one source node are serialised by its writer lock, so an
//! out-list is ordered newest first by version; in-lists have no order.
//! Compaction cuts the suffix of a list that the bases of every live
//! generation already hold; a record is retired to the memory manager once
//! it has been cut from both of its lists.

use super::stamp::{Stamp, VersionClock};
use crate::mem::MemoryManager;
use crate::sync::{AtomicU8, Ordering};
use crossbeam_epoch::{Atomic, Guard, Owned, Shared};

/// One edge write: an insertion (or weight update) or a removal.
pub(crate) struct EdgeRec {
    pub src: u64,
    pub dst: u64,
    pub ty: u32,
    pub removed: bool,
    pub weight: f64,
    pub stamp: Stamp,
    out_next: Atomic<EdgeRec>,
    in_next: Atomic<EdgeRec>,
    /// Lists this record has been cut from (0, 1 or 2).
    cuts: AtomicU8,
}

/// Which of a record's two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    /// The source's out-list.
    Out,
    /// The target's in-list.
    In,
}

impl EdgeRec {
    /// A record not yet linked anywhere and not yet visible.
    pub fn new(src: u64, dst: u64, ty: u32, weight: f64, removed: bool) -> Owned<Self> {
        Owned::new(EdgeRec {
            src,
            dst,
            ty,
            removed,
            weight,
            stamp: Stamp::default(),
            out_next: Atomic::null(),
            in_next: Atomic::null(),
            cuts: AtomicU8::new(0),
        })
    }

    fn next(&self, list: List) -> &Atomic<EdgeRec> {
        match list {
            List::Out => &self.out_next,
            List::In => &self.in_next,
        }
    }

    /// The node at the other end, seen from the list's owner.
    pub fn other(&self, list: List) -> u64 {
        match list {
            List::Out => self.dst,
            List::In => self.src,
        }
    }
}

/// Links `rec` at the head of the list starting at `head`.
fn push(head: &Atomic<EdgeRec>, list: List, rec: Shared<'_, EdgeRec>, guard: &Guard) {
    // SAFETY: `rec` is a live record the caller allocated and has not freed.
    let r = unsafe { rec.deref() };
    let mut current = head.load(Ordering::Acquire, guard);
    loop {
        r.next(list).store(current, Ordering::Relaxed);
        match head.compare_exchange_weak(current, rec, Ordering::AcqRel, Ordering::Acquire, guard) {
            Ok(_) => return,
            Err(e) => current = e.current,
        }
    }
}

/// Publishes an edge write: links `rec` into its target's in-list, then its
/// source's out-list, and only then stamps it (see [`super::stamp`]), so a
/// snapshot that sees it in one list sees it in the other. Returns its version.
/// Writers of one source must be serialised (by the node's writer lock).
pub(crate) fn append(
    rec: Owned<EdgeRec>,
    out_head: &Atomic<EdgeRec>,
    in_head: &Atomic<EdgeRec>,
    clock: &VersionClock,
    guard: &Guard,
) -> u64 {
    let rec = rec.into_shared(guard);
    push(in_head, List::In, rec, guard);
    push(out_head, List::Out, rec, guard);
    // SAFETY: `rec` is linked and only retired once cut at a version at or
    // below a published base, which needs the stamp below first; `guard` pins.
    let stamp = unsafe { &rec.deref().stamp };
    stamp.mark_pending();
    stamp.commit(clock.tick())
}

/// Calls `f` on every record of the list, newest link first.
pub(crate) fn for_each<'g>(head: &Atomic<EdgeRec>, list: List, guard: &'g Guard, mut f: impl FnMut(&'g EdgeRec)) {
    let mut p = head.load(Ordering::Acquire, guard);
    // SAFETY: records reachable from a list under `guard` are retired, never
    // freed in place, so they stay valid while `guard` lives.
    while let Some(r) = unsafe { p.as_ref() } {
        f(r);
        p = r.next(list).load(Ordering::Acquire, guard);
    }
}

/// Cuts the longest suffix of the list whose records are all committed at
/// versions `<= upto`, retiring each record once cut from both its lists.
/// Returns the number of records cut. Only one thread may cut at a time;
/// writers may push concurrently.
pub(crate) fn cut_suffix(
    head: &Atomic<EdgeRec>,
    list: List,
    upto: u64,
    clock: &VersionClock,
    mem: &MemoryManager,
    guard: &Guard,
) -> usize {
    let first = head.load(Ordering::Acquire, guard);
    let mut keep: Option<&EdgeRec> = None;
    let mut p = first;
    // SAFETY: as in `for_each`.
    while let Some(r) = unsafe { p.as_ref() } {
        if r.stamp.resolve(clock) > upto {
            keep = Some(r);
        }
        p = r.next(list).load(Ordering::Acquire, guard);
    }
    let mut suffix = match keep {
        Some(r) => r.next(list).load(Ordering::Acquire, guard),
        None => first,
    };
    if suffix.is_null() {
        return 0;
    }
    match keep {
        // Only the cutter writes interior links.
        Some(r) => r.next(list).store(Shared::null(), Ordering::Release),
        // Writers push at the head: cut the whole list only if none did since
        // we read it (comparing with what we walked, not with a fresh load).
        None => {
            if head.compare_exchange(first, Shared::null(), Ordering::AcqRel, Ordering::Acquire, guard).is_err() {
                return 0;
            }
        }
    }
    let mut cut = 0;
    // SAFETY: as in `for_each`; the suffix is now unreachable from this list.
    while let Some(r) = unsafe { suffix.as_ref() } {
        let next = r.next(list).load(Ordering::Acquire, guard);
        if r.cuts.fetch_add(1, Ordering::AcqRel) == 1 {
            // SAFETY: cut from both lists, so no thread pinning from now on can
            // reach it, and only the second cut retires it.
            unsafe { mem.retire(guard, suffix, std::mem::size_of::<EdgeRec>()) };
        }
        suffix = next;
        cut += 1;
    }
    cut
}

/// Frees every record still linked into `heads`, each once.
///
/// # Safety
/// No other thread may use the lists, now or later; every out-list and every
/// in-list of the graph must be passed (in any order), each exactly once.
pub(crate) unsafe fn free_all<'a>(heads: impl Iterator<Item = (&'a Atomic<EdgeRec>, List)>) {
    // SAFETY: the caller guarantees exclusive access, so no guard is needed.
    let guard = unsafe { crossbeam_epoch::unprotected() };
    for (head, list) in heads {
        let mut p = head.load(Ordering::Relaxed, guard);
        // SAFETY: exclusive access; a record is freed by its second list walk only.
        while let Some(r) = unsafe { p.as_ref() } {
            let next = r.next(list).load(Ordering::Relaxed, guard);
            if r.cuts.fetch_add(1, Ordering::Relaxed) == 1 {
                // SAFETY: both lists have passed this record; nothing reads it again.
                drop(unsafe { p.into_owned() });
            }
            p = next;
        }
    }
}
