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

use crate::sync::{AtomicU64, Ordering};
use arc_swap::ArcSwap;
use std::sync::Arc;

/// The top bit marks the ids of bulk-loaded relationships.
pub(crate) const LOADED: u64 = 1 << 63;

/// One bulk load's ids: `LOADED | (first + p)` for CSR position `p`.
struct Load {
    first: u64,
    offsets: Vec<u64>,
}

/// Start nodes by relationship id.
#[derive(Default)]
pub(crate) struct RelIndex {
    singles: boxcar::Vec<u64>,
    /// Next loaded sequence number (loads are serialised by the compactor lock).
    loaded: AtomicU64,
    loads: ArcSwap<Vec<Arc<Load>>>,
}

impl RelIndex {
    /// A fresh id for a relationship starting at `src`.
    pub fn create(&self, src: u64) -> u64 {
        self.singles.push(src) as u64
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

    /// The start node of relationship `id`, if an id handed out.
    pub fn start_of(&self, id: u64) -> Option<u64> {
        if id & LOADED == 0 {
            return self.singles.get(id as usize).copied();
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
}
