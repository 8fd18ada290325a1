//! The shortcut: a flat, sorted, immutable copy of the skiplist's node list,
//! binary-searched instead of descending the index levels.
//!
//! A descent through the towers touches about 20 nodes on a map of a million
//! keys, each a separate allocation and, on a large map, a cache miss; the
//! shortcut's array of low-key prefixes (8 bytes per node, 16 with the node
//! pointers: 0.4 B per entry at 45 keys per node) stays in the L2 cache and
//! finds the node in a few hundred nanoseconds less. It may be stale: nodes
//! created by splits since its build are missing, so a lookup takes a few
//! level-1 hops from the node it found, and falls back to the full descent
//! past [`tuning::SHORTCUT_HOPS`](crate::sync::tuning::SHORTCUT_HOPS) of
//! them. Staleness never makes it wrong, because nodes are never unlinked
//! or freed before the map and their low keys never change: any node whose
//! low key is below the key is a valid start for the level-0 walk. Writers
//! rebuild it after enough splits (see `ByteMap::note_split`).

use super::node::{Node, common_prefix_len, compare, prefix};
use crossbeam_epoch::Guard;
use std::cmp::Ordering;

/// The nodes of a map at one time, in key order, with their low keys' prefixes.
pub(super) struct Shortcut {
    /// The prefix that the low keys of all nodes but the head share (keys
    /// such as `user:…` share a long one).
    common: Box<[u8]>,
    /// The [`prefix`] of each node's low key after `common`, ascending (the
    /// head's, first, is 0 and never read).
    prefixes: Box<[u64]>,
    /// The nodes, in the same order.
    nodes: Box<[*const Node]>,
}

// SAFETY: the pointers are to nodes of one map, which are `Sync`, never
// freed before the map and outlive every shortcut of it (the map frees its
// shortcut first on drop; replaced ones are retired through the epoch).
unsafe impl Send for Shortcut {}
// SAFETY: as above; the arrays are never written after the build.
unsafe impl Sync for Shortcut {}

impl Shortcut {
    /// The nodes reachable on level 0 from `head` now.
    pub(super) fn build(head: &Node, guard: &Guard) -> Shortcut {
        let mut nodes = Vec::new();
        let mut node = head;
        loop {
            nodes.push(node as *const Node);
            match super::node::current(node, guard).1.next() {
                Some(n) => node = n,
                None => break,
            }
        }
        // SAFETY: the nodes belong to the map, which outlives this build.
        let low = |i: usize| unsafe { (*nodes[i]).low.as_slice() };
        // Low keys ascend, so what the first and last share, all share.
        let skip = if nodes.len() > 2 { common_prefix_len(low(1), low(nodes.len() - 1)) } else { 0 };
        let common = if nodes.len() > 1 { low(1)[..skip].into() } else { Box::default() };
        let prefixes = (0..nodes.len()).map(|i| if i == 0 { 0 } else { prefix(&low(i)[skip..]) }).collect();
        Shortcut { common, prefixes, nodes: nodes.into() }
    }

    /// Number of nodes.
    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes it occupies on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        self.len() * (size_of::<u64>() + size_of::<*const Node>()) + self.common.len()
    }

    /// Node `i`.
    pub(super) fn node(&self, i: usize) -> &Node {
        // SAFETY: see the `Send` impl: the node outlives `self`.
        unsafe { &*self.nodes[i] }
    }

    /// The last node whose low key is below `key`, or the head. Reads a
    /// node only on a tie of the 8-byte prefixes after the common prefix.
    pub(super) fn floor(&self, key: &[u8]) -> &Node {
        let skip = self.common.len();
        // A key shorter than the common prefix compares below it, as it
        // should: it is below every low key but the head's.
        match compare(&key[..skip.min(key.len())], &self.common) {
            Ordering::Less => return self.node(0),
            Ordering::Greater => return self.node(self.len() - 1),
            Ordering::Equal => {}
        }
        let (kp, rest) = (prefix(&key[skip..]), &key[skip..]);
        let below = |i: usize| match self.prefixes[i].cmp(&kp) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => compare(&self.node(i).low[skip..], rest).is_lt(),
        };
        // The head (0) is below every key.
        let (mut lo, mut hi) = (1, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if below(mid) { lo = mid + 1 } else { hi = mid }
        }
        self.node(lo.saturating_sub(1))
    }
}
