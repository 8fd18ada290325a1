//! Relationship ids, and the index that finds a relationship's start node
//! from its id without scanning the graph.
//!
//! A relationship created on its own (`create_relationship`, or `add_edge`
//! of a new `(src, dst, type)`) takes the next id of one counter, `0, 1, 2,
//! …`, and its start node is appended to a lock-free append-only vector at
//! that index (`boxcar`). A bulk load takes a range of ids with the top bit
//! set, one per edge of the load's CSR in CSR order, and records the load's
//! offsets: the start node of position `p` is the node whose range holds
//! `p`, so loaded relationships cost the index nothing per edge.
//!
//! Recovery recreates single ids as they were logged ([`RelIndex::create_at`]),
//! with the gaps that ids handed out but never used left (aborted batches):
//! a short gap as unused slots, a long one without slots, as a shift of the
//! ids of the slots after it, so that no id in a file costs memory beyond
//! its own record.

use crate::sync::{AtomicU64, Ordering};
use arc_swap::ArcSwap;
use std::sync::Arc;

/// The top bit marks the ids of bulk-loaded relationships.
pub(crate) const LOADED: u64 = 1 << 63;

/// The start node recorded for a single id that no relationship has.
const UNUSED: u64 = u64::MAX;

/// The longest gap of single ids that recovery fills with unused slots;
/// a longer one shifts the ids of the slots after it instead.
const SHORT_GAP: u64 = 64;

/// One bulk load's ids: `LOADED | (first + p)` for CSR position `p`.
struct Load {
    first: u64,
    offsets: Vec<u64>,
}

/// Start nodes by relationship id.
#[derive(Default)]
pub(crate) struct RelIndex {
    /// Start node by slot ([`UNUSED`] for an id skipped by a replay); slot
    /// `s` is single id `s` unless a long gap shifted it (see `shifts`).
    singles: boxcar::Vec<AtomicU64>,
    /// Where recovery skipped a long gap: from slot `.0` on, slot `s` is id
    /// `s + .1`; ascending, empty unless a recovery skipped one.
    shifts: ArcSwap<Vec<(u64, u64)>>,
    /// The shift of the slots from the last entry of `shifts` on (0 if none).
    shift: AtomicU64,
    /// Ids inside a skipped gap that recovery recreated after it: `(id, start)`, sorted.
    strays: ArcSwap<Vec<(u64, u64)>>,
    /// Next loaded sequence number (loads are serialised by the compactor lock).
    loaded: AtomicU64,
    loads: ArcSwap<Vec<Arc<Load>>>,
}

impl RelIndex {
    /// A fresh id for a relationship starting at `src`.
    pub fn create(&self, src: u64) -> u64 {
        self.singles.push(AtomicU64::new(src)) as u64 + self.shift.load(Ordering::Relaxed)
    }

    /// The next single id [`create`](Self::create) hands out.
    fn next_single(&self) -> u64 {
        self.singles.count() as u64 + self.shift.load(Ordering::Relaxed)
    }

    /// The slot of single id `id`, if one holds it.
    fn slot_of(&self, id: u64) -> Option<usize> {
        if self.shift.load(Ordering::Relaxed) == 0 {
            return Some(id as usize);
        }
        let shifts = self.shifts.load();
        let k = shifts.partition_point(|&(slot, shift)| slot + shift <= id);
        let (from, shift) = if k == 0 { (0, 0) } else { shifts[k - 1] };
        let slot = id - shift;
        let end = shifts.get(k).map_or(u64::MAX, |&(next, _)| next);
        (slot >= from && slot < end).then_some(slot as usize)
    }

    /// Makes `next` the next single id, leaving the ids up to it unused.
    /// For recovery, which runs alone.
    fn advance_to(&self, next: u64) {
        let now = self.next_single();
        if next <= now {
            return;
        }
        if next - now <= SHORT_GAP {
            for _ in now..next {
                self.singles.push(AtomicU64::new(UNUSED));
            }
            return;
        }
        let shift = self.shift.load(Ordering::Relaxed) + (next - now);
        let mut shifts = Vec::clone(&self.shifts.load());
        shifts.push((self.singles.count() as u64, shift));
        self.shifts.store(Arc::new(shifts));
        self.shift.store(shift, Ordering::Relaxed);
    }

    /// Records single id `id` (one that [`create`](Self::create) handed
    /// out before a restart) for a relationship starting at `src`; later
    /// ids are above it. For recovery, which runs alone.
    pub fn create_at(&self, id: u64, src: u64) {
        if id >= self.next_single() {
            self.advance_to(id);
            self.singles.push(AtomicU64::new(src));
            return;
        }
        match self.slot_of(id).and_then(|s| self.singles.get(s)) {
            Some(slot) => slot.store(src, Ordering::Relaxed),
            None => {
                let mut strays = Vec::clone(&self.strays.load());
                match strays.binary_search_by_key(&id, |s| s.0) {
                    Ok(at) => strays[at].1 = src,
                    Err(at) => strays.insert(at, (id, src)),
                }
                self.strays.store(Arc::new(strays));
            }
        }
    }

    /// Records a bulk load whose CSR has `offsets`; returns the id of its
    /// position 0 (position `p` has id `first + p`). Call with loads serialised.
    pub fn record_load(&self, offsets: Vec<u64>) -> u64 {
        let m = offsets.last().copied().unwrap_or(0);
        let first = self.loaded.fetch_add(m, Ordering::Relaxed);
        let mut loads = Vec::clone(&self.loads.load());
        loads.push(Arc::new(Load { first, offsets }));
        self.loads.store(Arc::new(loads));
        LOADED | first
    }

    /// The next single id and loaded sequence number (see [`reserve`](Self::reserve)).
    pub fn next_ids(&self) -> (u64, u64) {
        (self.next_single(), self.loaded.load(Ordering::Relaxed))
    }

    /// Hands out no id below `next` (from [`next_ids`](Self::next_ids))
    /// any more. For recovery, which runs alone.
    pub fn reserve(&self, (singles, loaded): (u64, u64)) {
        self.advance_to(singles);
        self.loaded.fetch_max(loaded, Ordering::Relaxed);
    }

    /// Records the relationships of `csr` with the ids it holds (recovery's
    /// bulk load, into an index that has no loaded ids yet): single ids
    /// one by one in id order, loaded ones as loads rebuilt from their runs of start
    /// nodes in id order, so they cost the index about what they did.
    pub fn restore(&self, csr: &super::csr::Csr) {
        let (mut singles, mut loaded) = (Vec::new(), Vec::new());
        for u in 0..csr.node_count() {
            for &id in &csr.ids[csr.range(u)] {
                if id & LOADED == 0 {
                    singles.push((id, u as u64));
                } else {
                    loaded.push((id & !LOADED, u as u64));
                }
            }
        }
        // In id order, so that only the gaps between them are gaps.
        singles.sort_unstable();
        singles.iter().for_each(|&(id, u)| self.create_at(id, u));
        loaded.sort_unstable();
        let mut loads = Vec::clone(&self.loads.load());
        let mut rest = &loaded[..];
        while let Some(&(first, _)) = rest.first() {
            let run = 1 + rest.windows(2).take_while(|w| w[0].1 <= w[1].1).count();
            let (this, next) = rest.split_at(run);
            let end = this[run - 1].0 + 1;
            let nodes = this[run - 1].1 as usize + 1;
            // offsets[u]: the position of the run's first id starting at u or later.
            let mut offsets = vec![end - first; nodes + 1];
            for &(seq, u) in this.iter().rev() {
                offsets[u as usize] = seq - first;
            }
            for u in (0..nodes).rev() {
                offsets[u] = offsets[u].min(offsets[u + 1]);
            }
            loads.push(Arc::new(Load { first, offsets }));
            self.loaded.fetch_max(end, Ordering::Relaxed);
            rest = next;
        }
        loads.sort_by_key(|l| l.first);
        self.loads.store(Arc::new(loads));
    }

    /// The start node of relationship `id`, if an id handed out.
    pub fn start_of(&self, id: u64) -> Option<u64> {
        if id & LOADED == 0 {
            let slot = self.slot_of(id).and_then(|s| self.singles.get(s));
            return match slot {
                Some(s) => Some(s.load(Ordering::Relaxed)).filter(|&s| s != UNUSED),
                None if self.shift.load(Ordering::Relaxed) == 0 => None,
                None => {
                    let strays = self.strays.load();
                    strays.binary_search_by_key(&id, |s| s.0).ok().map(|at| strays[at].1)
                }
            };
        }
        let seq = id & !LOADED;
        let loads = self.loads.load();
        let load = &loads[loads.partition_point(|l| l.first <= seq).checked_sub(1)?];
        let p = seq - load.first;
        (p < *load.offsets.last()?).then(|| load.offsets.partition_point(|&o| o <= p) as u64 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_find_their_start_nodes() {
        let index = RelIndex::default();
        assert_eq!((index.create(7), index.create(3)), (0, 1));
        // Node 0 has 2 loaded edges, node 1 none, node 2 one.
        let first = index.record_load(vec![0, 2, 2, 3]);
        assert_eq!(first, LOADED);
        let second = index.record_load(vec![0, 0, 1]);
        assert_eq!(second, LOADED | 3);
        let starts: Vec<_> = [0, 1, 2, first, first + 1, first + 2, first + 3, second, second + 1]
            .iter()
            .map(|&id| index.start_of(id))
            .collect();
        assert_eq!(starts, [Some(7), Some(3), None, Some(0), Some(0), Some(2), Some(1), Some(1), None]);
    }

    #[test]
    fn ids_recreated_at_keep_their_start_nodes_and_later_ids_go_above() {
        let index = RelIndex::default();
        index.create_at(3, 9);
        index.create_at(1, 4);
        assert_eq!([0, 1, 2, 3].map(|id| index.start_of(id)), [None, Some(4), None, Some(9)]);
        assert_eq!(index.create(5), 4);
    }

    #[test]
    fn long_gaps_cost_no_slots_and_ids_inside_them_are_found() {
        let index = RelIndex::default();
        index.create_at(1, 5);
        index.create_at(1 << 40, 6);
        index.create_at(3 << 40, 7);
        assert!(index.singles.count() < 10, "{} slots", index.singles.count());
        index.create_at(2 << 40, 8);
        index.create_at(1000, 9);
        let ids = [0, 1, 1000, 1 << 40, (1 << 40) + 1, 2 << 40, 3 << 40];
        assert_eq!(ids.map(|id| index.start_of(id)), [None, Some(5), Some(9), Some(6), None, Some(8), Some(7)]);
        assert_eq!(index.create(4), (3 << 40) + 1);
        assert_eq!(index.start_of((3 << 40) + 1), Some(4));
        index.reserve((5 << 40, 0));
        assert_eq!(index.next_ids(), (5 << 40, 0));
        assert_eq!(index.create(3), 5 << 40);
        assert_eq!([(3 << 40) + 2, 5 << 40].map(|id| index.start_of(id)), [None, Some(3)]);
    }

    #[test]
    fn restored_ids_find_their_start_nodes() {
        use crate::graph::csr::Csr;
        // Node 0: loaded 5 and 9, single 2; node 1: loaded 7; node 2: loaded 6 (a second run).
        let rels = [(0, 1, 5), (0, 2, 9), (0, 0, 2), (1, 0, 7), (2, 0, 6)];
        let csr = Csr::from_rels(3, rels.len(), |i| {
            (rels[i].0, rels[i].1, 0, 1.0, rels[i].2 | (LOADED * (rels[i].2 != 2) as u64))
        });
        let index = RelIndex::default();
        index.restore(&csr);
        for &(src, _, id) in &rels {
            let id = if id == 2 { id } else { id | LOADED };
            assert_eq!(index.start_of(id), Some(src), "id {id:x}");
        }
        assert_eq!([8, 4, 10].map(|s| index.start_of(LOADED | s)), [None; 3]);
        assert_eq!(index.next_ids(), (3, 10));
        index.reserve((6, 12));
        assert_eq!(index.next_ids(), (6, 12));
        assert_eq!(index.create(0), 6);
    }
}
