//! Range iteration over the KV map in batches, so that a long-lived iterator
//! never holds the epoch pinned (which would stop all reclamation).

use super::KvCore;
use crate::sync::tuning::SCAN_BATCH as BATCH;

/// Entries in the first batch: short scans copy little; batches then double up to `BATCH`.
const FIRST_BATCH: usize = if BATCH < 8 { BATCH } else { 8 };
use std::collections::VecDeque;
use std::ops::{Bound, ControlFlow};
use std::sync::Arc;

/// An iterator over `(key, value)` pairs in key order.
///
/// It reads the map in batches (growing from a few entries, so a short
/// scan copies little), resuming after the last key returned, so it
/// yields each key at most once, in order, and never a key that was absent
/// for the whole iteration; keys written meanwhile may or may not appear.
pub struct KvIter {
    core: Arc<KvCore>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    buffer: VecDeque<(Vec<u8>, Vec<u8>)>,
    batch: usize,
    exhausted: bool,
}

impl KvIter {
    pub(super) fn new(core: Arc<KvCore>, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>) -> Self {
        KvIter { core, lower, upper, buffer: VecDeque::new(), batch: FIRST_BATCH, exhausted: false }
    }

    fn refill(&mut self) {
        let (mut taken, batch) = (0, self.batch);
        self.batch = (batch * 2).min(BATCH);
        let buffer = &mut self.buffer;
        self.core.map.visit(
            self.lower.as_ref().map(Vec::as_slice),
            self.upper.as_ref().map(Vec::as_slice),
            self.core.clock.now_ms(),
            |k, v| {
                buffer.push_back((k.to_vec(), v.bytes().to_vec()));
                taken += 1;
                if taken == batch { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        self.exhausted = taken < batch;
        if let Some((last, _)) = self.buffer.back() {
            self.lower = Bound::Excluded(last.clone());
        }
    }
}

impl Iterator for KvIter {
    type Item = (Vec<u8>, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.exhausted {
            self.refill();
        }
        self.buffer.pop_front()
    }
}
