//! The raw ordered byte map under both the KV store and the graph's property
//! store: a lock-free skiplist of our own whose nodes hold many entries.
//!
//! Each node covers a key range and holds an immutable sorted *revision* of
//! its keys (see [`node`]), each with an atomic value slot, and a few append
//! positions. Overwriting, deleting or re-inserting a key the revision holds
//! is one CAS on its slot; adding a key is one CAS on the first empty append
//! position; once those are full, the next insert (or dropping tombstones,
//! or splitting a full node) freezes every slot and append position of the
//! revision and swaps in a new one (two, on a split) with the appended keys
//! merged in, by one CAS on the node. Any writer that meets a frozen
//! revision replaces it itself, so no operation waits for another; readers
//! never write. See docs/safety.md, "KV map".

mod node;
mod shortcut;
mod slot;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(test)]
mod tests;

pub(crate) use slot::{NewValue, Value};

use crate::mem::MemoryManager;
use crate::sync::tuning::{MAP_APPENDS, MAP_NODE, SHORTCUT_FIRST, SHORTCUT_HOPS, SHORTCUT_STALENESS};
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crossbeam_epoch::{Atomic, Guard, Owned, Shared};
use node::{AppendSearch, Appended, MAX_LEVELS, Node, Rev, compare, current, prefix};
use shortcut::Shortcut;
use slot::{Raw, Slot, prefetch_line, value_of};
use smallvec::SmallVec;
use std::ops::{Bound, ControlFlow};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// Bytes of value copies [`ByteMap::compact`] makes under one pin: the old
/// values go back to the allocator every few MB (one pin for a whole map
/// would hold a second copy of all its values until the end; scans after
/// compaction ran as fast with 4 MB per pin as with one pin in a probe).
const RELOCATE_PER_PIN: usize = 4 << 20;

/// How many slots ahead a scan prefetches values.
const SCAN_PREFETCH: usize = 8;

/// What an [`ByteMap::update`] closure decides for the current value.
pub(crate) enum Decision<R> {
    /// Leave the key as it is and return `R`.
    Keep(R),
    /// Store this value and return `R`.
    Replace(NewValue, R),
    /// Remove the key (if present) and return `R`.
    Remove(R),
}

/// Where a full node that `key` is being inserted into at position `at` of
/// its sorted `live` keys splits when the insert continues a run of keys
/// rather than falling among them: after every key (the new key alone goes
/// to the new node), or sharing at least two more leading bytes with its
/// predecessor than with its successor, as a new id under a common prefix
/// does and random keys rarely do (the keys after it go). `None`: split in
/// half. A position it gives splits `live` with the new key inserted into
/// two non-empty parts.
fn run_split<T>(live: &[(&[u8], T)], at: usize, key: &[u8]) -> Option<usize> {
    let common = |i: usize| live.get(i).map(|(k, _)| k.iter().zip(key).take_while(|(a, b)| a == b).count());
    match (at.checked_sub(1).and_then(common), common(at)) {
        (Some(_), None) => Some(at),
        (Some(before), Some(after)) if before > after + 1 => Some(at + 1),
        _ => None,
    }
}

/// Ordered map from byte strings to [`Value`]s.
pub(crate) struct ByteMap {
    /// The first node: empty low key, full tower; never replaced.
    head: Box<Node>,
    mem: Arc<MemoryManager>,
    /// Most keys a revision holds before it splits.
    node_size: usize,
    /// Append positions of each revision.
    appends: usize,
    /// Slots holding a value (expired or not).
    filled: AtomicI64,
    /// Seed of the tower heights.
    seed: u64,
    /// The latest [`Shortcut`] (null until the first build).
    shortcut: Atomic<Shortcut>,
    /// Splits so far.
    splits: AtomicU64,
    /// The split count at which the shortcut is (re)built next.
    next_build: AtomicU64,
    /// Whether a writer is building a shortcut (the others do not wait).
    building: AtomicBool,
}

impl ByteMap {
    /// An empty map on the engine's memory manager.
    pub fn new(mem: Arc<MemoryManager>) -> Self {
        Self::with_node_size(mem, MAP_NODE, MAP_APPENDS)
    }

    /// An empty map whose nodes split beyond `node_size` keys (at least 2)
    /// and take up to `appends` keys (fewer than `node_size`) by appending
    /// before an insert rebuilds them.
    pub fn with_node_size(mem: Arc<MemoryManager>, node_size: usize, appends: usize) -> Self {
        let node_size = node_size.max(2);
        let appends = appends.min(node_size - 1);
        let head = Node::new(&[], Rev::build(&[], std::ptr::null(), appends), MAX_LEVELS);
        let seed = if cfg!(loom) { 0 } else { std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8) };
        ByteMap {
            head,
            mem,
            node_size,
            appends,
            filled: AtomicI64::new(0),
            seed,
            shortcut: Atomic::null(),
            splits: AtomicU64::new(0),
            next_build: AtomicU64::new(SHORTCUT_FIRST),
            building: AtomicBool::new(false),
        }
    }

    /// A node whose low key is at most `key`, usually the one covering it:
    /// found through the shortcut and a few level-1 hops, or else by the
    /// descent through the index levels.
    fn locate<'g>(&'g self, key: &[u8], guard: &'g Guard) -> &'g Node {
        let kp = prefix(key);
        let covers = |n: &Node| n.prefix < kp || (n.prefix == kp && compare(&n.low, key).is_le());
        // SAFETY: a published shortcut is retired through the epoch when
        // replaced, so it outlives `guard`.
        if let Some(shortcut) = unsafe { self.shortcut.load(Ordering::Acquire, guard).as_ref() } {
            let mut x = shortcut.floor(key);
            for _ in 0..SHORTCUT_HOPS {
                match x.up(1) {
                    Some(n) if covers(n) => x = n,
                    _ => return x,
                }
            }
        }
        let mut x = &*self.head;
        for level in (1..=MAX_LEVELS).rev() {
            while let Some(n) = x.up(level).filter(|&n| covers(n)) {
                x = n;
            }
        }
        x
    }

    /// From `node` (whose low key is at most `key`), the node covering `key`
    /// and its current revision.
    fn walk<'g>(&self, mut node: &'g Node, key: &[u8], guard: &'g Guard) -> (&'g Node, Shared<'g, Rev>, &'g Rev) {
        let kp = prefix(key);
        loop {
            let (p, rev) = current(node, guard);
            match rev.next_covers(kp, key) {
                Some(n) => node = n,
                None => return (node, p, rev),
            }
        }
    }

    /// Calls `f` with the live value of `key` (one expired at `now_ms` counts
    /// as absent) and applies its decision atomically: if the value changed
    /// meanwhile, `f` runs again on the new one. Returns `f`'s result.
    pub fn update<R>(&self, key: &[u8], now_ms: u64, mut f: impl FnMut(Option<&Value>) -> Decision<R>) -> R {
        let guard = &self.mem.pin();
        let mut node = self.locate(key, guard);
        loop {
            let (n, p, rev) = self.walk(node, key, guard);
            node = n;
            let (search, at) = match rev.find(key) {
                Ok(i) => (AppendSearch::Found(&rev.slots()[i]), i),
                Err(at) => (rev.find_appended(key, guard), at),
            };
            let slot = match search {
                AppendSearch::Found(slot) => slot,
                AppendSearch::Closed => {
                    self.restructure(node, p, None, guard);
                    continue;
                }
                // Absent: an append, or a new revision, only if `f` wants a value here.
                AppendSearch::Free(_) | AppendSearch::Full => match f(None) {
                    Decision::Keep(r) | Decision::Remove(r) => return r,
                    Decision::Replace(value, r) => {
                        let done = match search {
                            AppendSearch::Free(j) => rev.append(j, at, key, value.into_shared(guard), guard),
                            _ => self.restructure(node, p, Some((key, value)), guard),
                        };
                        if done {
                            self.filled.fetch_add(1, Ordering::Relaxed);
                            return r;
                        }
                        continue;
                    }
                },
            };
            let (current, frozen) = slot.load(guard);
            if frozen {
                // Finish the replacement someone started (or stalled in), then retry.
                self.restructure(node, p, None, guard);
                continue;
            }
            let live = value_of(current).filter(|v| !v.is_expired(now_ms));
            let (new, r, changes) = match f(live) {
                // Keeping an expired value we met means reclaiming it now.
                Decision::Keep(r) => (None, r, live.is_none() && !current.is_null()),
                Decision::Replace(value, r) => (Some(value), r, true),
                Decision::Remove(r) => (None, r, !current.is_null()),
            };
            if !changes {
                return r;
            }
            let emptied = new.is_none();
            if slot.replace(current, new, &self.mem, guard).is_err() {
                continue;
            }
            let delta = i64::from(current.is_null()) - i64::from(emptied);
            if delta != 0 {
                self.filled.fetch_add(delta, Ordering::Relaxed);
            }
            if emptied && tombstones(rev, guard) * 2 > rev.len() + rev.appended(guard).count() {
                // Mostly tombstones: drop them (if this fails, someone else
                // replaced the revision, which drops them too).
                self.restructure(node, p, None, guard);
            }
            return r;
        }
    }

    /// Replaces revision `p` of `node` by one without its tombstones, with
    /// its appended keys merged in, `insert` added (a key `p` lacks) and
    /// split in two if too large. Closes the append area and freezes every
    /// slot of `p` first, so no write to `p` can be lost. Returns whether
    /// this call's CAS installed the replacement.
    fn restructure(&self, node: &Node, p: Shared<'_, Rev>, insert: Option<(&[u8], NewValue)>, guard: &Guard) -> bool {
        // SAFETY: `p` was loaded under `guard` (see `current`).
        let rev = unsafe { p.deref() };
        Slot::prefetch_all(rev.slots());
        let entries = rev.close_appends(guard);
        let mut appended: SmallVec<[(&[u8], Shared<'_, Raw>); 8]> = entries
            .iter()
            .map(|e| {
                // SAFETY: loaded under `guard`; entries are retired through the epoch.
                let e = unsafe { e.deref() };
                (e.key.as_slice(), e.slot.freeze(guard))
            })
            .filter(|(_, v)| !v.is_null())
            .collect();
        appended.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut appended = appended.into_iter().peekable();
        let mut live: Vec<(&[u8], Shared<'_, Raw>)> = Vec::with_capacity(rev.len() + entries.len() + 1);
        for (i, slot) in rev.slots().iter().enumerate() {
            let v = slot.freeze(guard);
            let key = rev.key(i);
            live.extend(std::iter::from_fn(|| appended.next_if(|(k, _)| *k < key)));
            if !v.is_null() {
                live.push((key, v));
            }
        }
        live.extend(appended);
        if node.rev.load(Ordering::SeqCst, guard) != p {
            // Already replaced: nothing to build (an inserted value is dropped).
            return false;
        }
        let mut split_at = None;
        let inserted = insert.map(|(key, value)| {
            let v = value.into_shared(guard);
            let at = live.partition_point(|(k, _)| *k < key);
            if live.len() >= self.node_size {
                split_at = run_split(&live, at, key);
            }
            live.insert(at, (key, v));
            v
        });
        // The upper part goes to a new node (unpublished until the CAS): the
        // upper half, or the keys after a run the new key continues (see
        // `run_split`), so that ascending inserts (bulk loads, new ids) leave
        // full nodes behind them and copy short revisions, as a B-tree's
        // rightmost split does.
        // Either part holds at most `node_size` keys (the merge can bring in
        // up to `appends` < `node_size` more keys than a full node holds).
        let upper = (live.len() > self.node_size).then(|| {
            let at = split_at.unwrap_or(live.len() / 2).clamp(live.len() - self.node_size, self.node_size);
            let half = live.split_off(at);
            let levels = self.levels(half[0].0);
            Box::into_raw(Node::new(half[0].0, Rev::build(&half, rev.next_ptr(), self.appends), levels))
        });
        let lower = Rev::build(&live, upper.map_or(rev.next_ptr(), |n| n as *const Node), self.appends);
        match node.rev.compare_exchange(p, lower, Ordering::SeqCst, Ordering::SeqCst, guard) {
            Ok(_) => {
                // SAFETY: our CAS unlinked `p`; only the CAS's winner retires it,
                // and its values live on in the new revision(s).
                unsafe { self.mem.retire(guard, p, rev.heap_bytes()) };
                for e in entries {
                    // SAFETY: the CAS unlinked `p`'s appended entries with it (closed above:
                    // their list is final); only the winner retires them, once each.
                    unsafe { self.mem.retire(guard, e, e.deref().heap_bytes()) };
                }
                if let Some(n) = upper {
                    // SAFETY: the new node is published and never freed before the map.
                    self.link(unsafe { &*n });
                    self.note_split(guard);
                }
                true
            }
            Err(e) => {
                drop(e.new);
                if let Some(n) = upper {
                    // A node does not free its revision on drop; the revision
                    // owns no values (they live on in `p`).
                    // SAFETY: never published: we own the node and its revision.
                    unsafe {
                        let node = Box::from_raw(n);
                        drop(node.rev.load(Ordering::Relaxed, crossbeam_epoch::unprotected()).into_owned());
                    }
                }
                if let Some(v) = inserted {
                    // SAFETY: never published; we still own it.
                    drop(unsafe { v.into_owned() });
                }
                false
            }
        }
    }

    /// Index levels of a new node with low key `low`: every node is on
    /// level 1 (so a descent ends at the node covering the key without
    /// walking level 0, where each step costs a revision's cache miss too),
    /// and on each level above with p = 1/4.
    fn levels(&self, low: &[u8]) -> usize {
        let mut h = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        for &b in low {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 32;
        (1 + (h.trailing_ones() / 2) as usize).min(MAX_LEVELS)
    }

    /// Links a node already reachable on level 0 into its index levels,
    /// bottom up. Nodes are never unlinked, so this is a plain sorted insert;
    /// the CAS expects the very successor the search compared `n` with (a
    /// successor loaded again after the search may be a node linked since,
    /// with a lower key than `n`'s).
    fn link(&self, n: &Node) {
        let me = n as *const Node as *mut Node;
        for level in 1..=usize::from(n.levels) {
            loop {
                let mut x = &*self.head;
                let mut succ = std::ptr::null_mut();
                for l in (level..=MAX_LEVELS).rev() {
                    loop {
                        succ = x.tower[l - 1].load(Ordering::SeqCst);
                        // SAFETY: as in `Node::up`: nodes live as long as the map.
                        match unsafe { succ.as_ref() } {
                            Some(y) if y.low < n.low => x = y,
                            _ => break,
                        }
                    }
                }
                n.tower[level - 1].store(succ, Ordering::SeqCst);
                if x.tower[level - 1].compare_exchange(succ, me, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                    break;
                }
            }
        }
    }

    /// Counts a split, and rebuilds the shortcut if it is due and no other
    /// writer is at it. A build walks level 0 (two cache misses per node);
    /// it is due after a number of splits proportional to the nodes, so its
    /// cost per split is constant.
    fn note_split(&self, guard: &Guard) {
        let splits = self.splits.fetch_add(1, Ordering::Relaxed) + 1;
        if splits >= self.next_build.load(Ordering::Relaxed) && !self.building.swap(true, Ordering::Acquire) {
            self.build_shortcut(guard);
            self.building.store(false, Ordering::Release);
        }
    }

    /// Publishes a shortcut of the nodes there are now and retires the old one.
    fn build_shortcut(&self, guard: &Guard) {
        let splits = self.splits.load(Ordering::Relaxed);
        let shortcut = Shortcut::build(&self.head, guard);
        let interval = (shortcut.len() as u64 / SHORTCUT_STALENESS).max(1);
        self.next_build.store(splits.saturating_add(interval), Ordering::Relaxed);
        let old = self.shortcut.swap(Owned::new(shortcut), Ordering::AcqRel, guard);
        if !old.is_null() {
            // SAFETY: `old` was loaded under `guard`; the swap unlinked it and
            // only this writer (holding `building`) swaps, so it is retired once.
            unsafe { self.mem.retire(guard, old, old.deref().heap_bytes()) };
        }
    }

    /// Calls `f` on the live value of `key` at `now_ms`.
    pub fn get<T>(&self, key: &[u8], now_ms: u64, f: impl FnOnce(&Value) -> T) -> Option<T> {
        let guard = &self.mem.pin();
        let mut node = self.locate(key, guard);
        loop {
            let (n, p, rev) = self.walk(node, key, guard);
            let slot = match rev.find(key) {
                Ok(i) => &rev.slots()[i],
                Err(_) => match rev.find_appended(key, guard) {
                    AppendSearch::Found(slot) => slot,
                    _ => return None,
                },
            };
            let (v, frozen) = slot.load(guard);
            // A frozen slot holds the key's value only while its revision is current.
            if frozen && n.rev.load(Ordering::SeqCst, guard) != p {
                node = n;
                continue;
            }
            return value_of(v).filter(|v| !v.is_expired(now_ms)).map(f);
        }
    }

    /// Calls `f` on the live entries at `now_ms` with keys in `(lower, upper)`,
    /// in key order, until it breaks. The thread stays pinned meanwhile.
    pub fn visit(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        now_ms: u64,
        f: impl FnMut(&[u8], &Value) -> ControlFlow<()>,
    ) {
        self.visit_where(lower, upper, now_ms, |_| true, f);
    }

    /// [`visit`](Self::visit) of the keys that `wants`: the others' values
    /// are not read at all (a scan that keeps one key in a few).
    pub fn visit_where(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        now_ms: u64,
        wants: impl Fn(&[u8]) -> bool,
        mut f: impl FnMut(&[u8], &Value) -> ControlFlow<()>,
    ) {
        let guard = &self.mem.pin();
        let start = match lower {
            Bound::Included(k) | Bound::Excluded(k) => k,
            Bound::Unbounded => &[],
        };
        let (_, _, mut rev) = self.walk(self.locate(start, guard), start, guard);
        let mut i = match lower {
            Bound::Included(k) => rev.find(k).unwrap_or_else(|i| i),
            Bound::Excluded(k) => rev.find(k).map_or_else(|i| i, |i| i + 1),
            Bound::Unbounded => 0,
        };
        let above_lower = |key: &[u8]| match lower {
            Bound::Included(k) => compare(key, k).is_ge(),
            Bound::Excluded(k) => compare(key, k).is_gt(),
            Bound::Unbounded => true,
        };
        loop {
            let slots = rev.slots();
            // The successor's node, then (below) its revision's first lines,
            // load while this revision is read, instead of one after another
            // at the crossing.
            let next = rev.next();
            if let Some(n) = next {
                n.prefetch();
            }
            // The keys appended to this revision when the scan reached it,
            // merged in key order with the sorted ones (a key appended later
            // was absent at that instant).
            let entries: SmallVec<[&Appended; 8]> = rev.appended(guard).collect();
            // Each entry is an allocation of its own: start all their misses at once.
            for &e in &entries {
                prefetch_line(e as *const Appended as usize);
            }
            // Each with the position among the sorted keys it goes before
            // (recorded by its append: no search of this revision's keys
            // here), so that the merge below compares positions, not keys.
            let mut appended: SmallVec<[(usize, &[u8], &Slot); 8]> = entries
                .iter()
                .filter(|e| above_lower(&e.key))
                .map(|e| (e.at as usize, e.key.as_slice(), &e.slot))
                .collect();
            appended.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            // The loop below prefetches `SCAN_PREFETCH` entries ahead; start
            // this revision's first ones now, so that they load in parallel.
            for slot in appended.iter().map(|(_, _, s)| *s).chain(slots.iter().skip(i).take(SCAN_PREFETCH)) {
                slot.prefetch(guard);
            }
            // One loop and one call of `f`, so that it compiles as one tight
            // body (with the test in a closure called from two places, the
            // closure stayed out of line: perf counted 17% more samples in
            // the scan).
            let mut x = 0;
            loop {
                let (key, slot) = match appended.get(x) {
                    Some(&(at, k, s)) if at <= i || i == rev.len() => {
                        x += 1;
                        (k, s)
                    }
                    _ if i < rev.len() => {
                        match slots.get(i + SCAN_PREFETCH) {
                            Some(ahead) => ahead.prefetch(guard),
                            None if i + SCAN_PREFETCH == rev.len() => {
                                if let Some(n) = next {
                                    current(n, guard).1.prefetch();
                                }
                            }
                            None => {}
                        }
                        i += 1;
                        (rev.key(i - 1), &slots[i - 1])
                    }
                    _ => break,
                };
                let beyond = match upper {
                    Bound::Included(u) => compare(key, u).is_gt(),
                    Bound::Excluded(u) => compare(key, u).is_ge(),
                    Bound::Unbounded => false,
                };
                // Frozen or not, a slot of a revision we loaded holds a value
                // the key had at some instant since the load.
                if beyond
                    || wants(key)
                        && value_of(slot.load(guard).0)
                            .filter(|v| !v.is_expired(now_ms))
                            .is_some_and(|v| f(key, v).is_break())
                {
                    return;
                }
            }
            // The successor's keys all lie above this revision's.
            let Some(next) = next else { return };
            rev = current(next, guard).1;
            i = 0;
        }
    }

    /// Drops the tombstones (deleted keys) of every node, merges each node's
    /// appended keys into its sorted run (an appended entry is an
    /// allocation of its own), and copies the values into fresh allocations
    /// in key order, so that a scan reads its values one after another in
    /// memory instead of wherever each was first written (100-key scans of
    /// 1M keys written in random order ran 1.3–1.8× faster after it). A copy
    /// replaces a value by one CAS of its slot, as an overwrite with the
    /// same bytes and expiry does: readers see either, and a write racing
    /// it wins (the copy is dropped). The walk unpins and collects after
    /// every `RELOCATE_PER_PIN` bytes of copies, so the old values return
    /// to the allocator as it goes.
    pub fn compact(&self) {
        let mut guard = self.mem.pin();
        let mut node: &Node = &self.head;
        let mut copied = 0;
        loop {
            let (bytes, next) = self.compact_node(node, &guard);
            copied += bytes;
            if copied >= RELOCATE_PER_PIN {
                drop(guard);
                self.mem.collect();
                guard = self.mem.pin();
                copied = 0;
            }
            // SAFETY: nodes are freed only when the map drops (`&mut self`),
            // so a node pointer read under an earlier pin stays valid.
            match unsafe { next.as_ref() } {
                Some(n) => node = n,
                None => return,
            }
        }
    }

    /// [`compact`](Self::compact) of one node: returns the bytes copied and
    /// the node's level-0 successor.
    fn compact_node(&self, node: &Node, guard: &Guard) -> (usize, *const Node) {
        let (p, rev) = current(node, guard);
        if rev.appended(guard).next().is_some() || tombstones(rev, guard) > 0 {
            self.restructure(node, p, None, guard);
        }
        let rev = current(node, guard).1;
        let mut copied = 0;
        for slot in rev.slots() {
            let (v, frozen) = slot.load(guard);
            if let (Some(value), false) = (value_of(v), frozen) {
                copied += value.heap_bytes();
                let copy = NewValue::new(value.bytes(), value.expires_at());
                // A failed CAS means a write (or a restructure) came first: its value stays.
                let _ = slot.replace(v, Some(copy), &self.mem, guard);
            }
        }
        (copied, rev.next_ptr())
    }

    /// Fills this empty map with `entries` (keys strictly ascending) in one
    /// bulk build: nodes filled to three quarters of the node size, linked
    /// on every index level in one pass, and the shortcut built once. Loading
    /// a snapshot this way costs one revision per node instead of one per key
    /// (appending keys in order one by one rebuilds the last node's revision
    /// on every insert). `&mut self`: no other thread can see the map meanwhile.
    ///
    /// Errors, leaving the map empty: it is not empty, or two keys are not
    /// in strictly ascending order (the message gives the position).
    pub fn fill_sorted(&mut self, entries: Vec<(&[u8], NewValue)>) -> Result<(), String> {
        let guard = &self.mem.pin();
        let (p, rev) = current(&self.head, guard);
        if rev.len() > 0 || rev.appended(guard).next().is_some() || rev.next().is_some() {
            return Err("the map is not empty".into());
        }
        if let Some(i) = entries.windows(2).position(|w| w[0].0 >= w[1].0) {
            return Err(format!("keys out of order at entry {}", i + 1));
        }
        if entries.is_empty() {
            return Ok(());
        }
        let count = entries.len();
        let values: Vec<(&[u8], Shared<'_, Raw>)> =
            entries.into_iter().map(|(k, v)| (k, v.into_shared(guard))).collect();
        let per_node = (self.node_size * 3 / 4).max(1);
        // Build back to front: a revision names its successor. The first
        // run goes into the head (whose empty low key covers it).
        let mut next: *const Node = std::ptr::null();
        let mut nodes = Vec::with_capacity(count.div_ceil(per_node));
        for run in values.chunks(per_node).skip(1).rev() {
            let node = Box::into_raw(Node::new(run[0].0, Rev::build(run, next, self.appends), self.levels(run[0].0)));
            nodes.push(node);
            next = node;
        }
        let first = &values[..per_node.min(count)];
        let old = self.head.rev.swap(Rev::build(first, next, self.appends), Ordering::SeqCst, guard);
        debug_assert_eq!(old, p);
        // SAFETY: `&mut self`: nobody else can have loaded the head's old
        // (empty, value-less) revision.
        drop(unsafe { old.into_owned() });
        // Index levels, front to back: the last node linked on each level so far.
        let mut last: [*const Node; MAX_LEVELS] = [&*self.head; MAX_LEVELS];
        for &node in nodes.iter().rev() {
            // SAFETY: built above and reachable on level 0 now; nodes live as long as the map.
            let n = unsafe { &*node };
            for (level, prev) in last.iter_mut().enumerate().take(usize::from(n.levels)) {
                // SAFETY: `last` holds the head or nodes built above.
                unsafe { &**prev }.tower[level].store(node, Ordering::SeqCst);
                *prev = node;
            }
        }
        self.filled.fetch_add(count as i64, Ordering::Relaxed);
        self.build_shortcut(guard);
        Ok(())
    }

    /// Number of keys holding a value, counting values that expired but
    /// have not been reclaimed yet.
    pub fn filled(&self) -> usize {
        self.filled.load(Ordering::Relaxed).max(0) as usize
    }
}

/// Slots of `rev` without a value, appended ones included.
fn tombstones(rev: &Rev, guard: &Guard) -> usize {
    let slots = rev.slots().iter().chain(rev.appended(guard).map(|e| &e.slot));
    slots.filter(|s| s.load(guard).0.is_null()).count()
}

impl Drop for ByteMap {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no thread can reach the map any more, so we own
        // the shortcut, every node, each node's current revision and the
        // values in it (replaced revisions and shortcuts were retired, and
        // revisions own no values).
        unsafe {
            let guard = crossbeam_epoch::unprotected();
            let shortcut = self.shortcut.load(Ordering::Relaxed, guard);
            if !shortcut.is_null() {
                drop(shortcut.into_owned());
            }
            let mut next = {
                let rev = self.head.rev.load(Ordering::Relaxed, guard).into_owned();
                free_values(rev)
            };
            while !next.is_null() {
                let node = Box::from_raw(next as *mut Node);
                let rev = node.rev.load(Ordering::Relaxed, guard).into_owned();
                next = free_values(rev);
            }
        }
    }
}

/// Frees the values and appended entries of a revision being dropped with
/// the map; returns its successor.
///
/// # Safety
/// The caller owns the revision, its appended entries and their values.
unsafe fn free_values(rev: crossbeam_epoch::Owned<Rev>) -> *const Node {
    let next = rev.next_ptr();
    let free = |slot: &Slot| {
        let v = slot.take_raw();
        if !v.is_null() {
            // SAFETY: the caller owns the values of this revision.
            drop(unsafe { v.into_owned() });
        }
    };
    rev.slots().iter().for_each(free);
    for e in rev.take_appended() {
        // SAFETY: the caller owns the appended entries of this revision.
        let e = unsafe { e.into_owned() };
        free(&e.slot);
    }
    next
}
