//! Edge and relationship writes, one at a time or in atomic batches: every
//! write of one call (or one batch) is planned under the writer locks of
//! all the nodes it touches (taken in id order), then published at one
//! version.
//!
//! A write of one entry pair stamps its out-entry and links the in-entry to
//! it (see [`super::delta`]). A write of several links every entry to one
//! shared stamp cell, which one CAS commits; the writer then copies the
//! version into each entry before it unlocks, and retires the cell through
//! the epoch. A snapshot therefore sees all of a batch or none of it. A
//! plan that fails (a node gone, a removal of nothing) appends nothing.

use super::csr::Csr;
use super::delta::{self, Write};
use super::stamp::{ABSENT, Stamp};
use super::versioned::Publish;
use super::{GraphCore, NodeSlot, compact};
use crate::error::{Error, Result};
use crossbeam_epoch::Guard;
use foldhash::fast::RandomState;
use smallvec::SmallVec;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// One graph write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    /// `add_edge`: set the weight of the first relationship of `(src, dst,
    /// ty)`, or create one.
    Upsert { src: u64, dst: u64, ty: u32, weight: f64 },
    /// `create_relationship`: a new relationship with id `id`.
    Create { src: u64, dst: u64, ty: u32, weight: f64, id: u64 },
    /// `remove_edge`: remove every relationship of `(src, dst, ty)`.
    RemoveKey { src: u64, dst: u64, ty: u32 },
    /// `remove_relationship`: remove relationship `id` of `(src, dst, ty)`.
    RemoveId { src: u64, dst: u64, ty: u32, id: u64 },
}

impl Op {
    /// The interned type of the write.
    pub(crate) fn ty(&self) -> u32 {
        match *self {
            Op::Upsert { ty, .. } | Op::Create { ty, .. } | Op::RemoveKey { ty, .. } | Op::RemoveId { ty, .. } => ty,
        }
    }

    /// The same write of type `ty`.
    pub(crate) fn with_ty(mut self, to: u32) -> Op {
        match &mut self {
            Op::Upsert { ty, .. } | Op::Create { ty, .. } | Op::RemoveKey { ty, .. } | Op::RemoveId { ty, .. } => {
                *ty = to
            }
        }
        self
    }

    pub(crate) fn ends(&self) -> (u64, u64) {
        match *self {
            Op::Upsert { src, dst, .. }
            | Op::Create { src, dst, .. }
            | Op::RemoveKey { src, dst, .. }
            | Op::RemoveId { src, dst, .. } => (src, dst),
        }
    }
}

/// What a batch commits besides its edge writes (see [`GraphCore::apply`]).
pub(crate) struct BatchParts<'a> {
    /// Its label and property writes, linked under its stamp cell.
    pub publish: &'a mut Publish,
    /// Nodes those writes touch.
    pub nodes: &'a [u64],
    /// Nodes it creates, their creation linked to the cell (sorted).
    pub created: &'a [u64],
    /// Nodes it removes, its ops removing their relationships (sorted).
    pub removed: &'a [u64],
}

impl<'a> BatchParts<'a> {
    fn nodes(&self) -> (&'a [u64], &'a [u64], &'a [u64]) {
        (self.nodes, self.created, self.removed)
    }
}

/// Adds relationship `id` to `ids`, or with `removed` takes it out.
fn toggle(ids: &mut BTreeSet<u64>, id: u64, removed: bool) {
    if removed {
        ids.remove(&id);
    } else {
        ids.insert(id);
    }
}

/// What one [`GraphCore::apply`] changed.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Relationships created.
    pub created: u64,
    /// Ids of the relationships removed.
    pub removed: Vec<u64>,
}

/// One planned entry pair: the write as the source's out-block stores it.
pub(crate) type Planned = (u64, Write);

/// Sorts `keyed` by node id (the first field): a comparison sort for a few,
/// else a radix sort over the bytes the largest id uses, so that a batch's
/// ends cost a few passes, not a comparison sort of thousands.
fn sort_by_node(keyed: &mut [(u64, u32)]) {
    if keyed.len() < 64 {
        keyed.sort_unstable_by_key(|k| k.0);
        return;
    }
    let max = keyed.iter().map(|k| k.0).max().unwrap_or(0);
    let bytes = (64 - max.leading_zeros() as usize).div_ceil(8);
    let mut scratch = vec![(0, 0); keyed.len()];
    let (mut from, mut to) = (keyed, &mut scratch[..]);
    for shift in (0..bytes).map(|b| 8 * b) {
        let digit = |k: &(u64, u32)| ((k.0 >> shift) & 0xff) as usize;
        let mut next = [0usize; 257];
        from.iter().for_each(|k| next[digit(k) + 1] += 1);
        for d in 1..257 {
            next[d] += next[d - 1];
        }
        for k in from.iter() {
            to[next[digit(k)]] = *k;
            next[digit(k)] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    if bytes % 2 == 1 {
        // The last pass wrote the scratch copy.
        to.copy_from_slice(from);
    }
}

/// A source's out-block writes by key `(dst, ty)`: `(id, removed, weight)`
/// in block order.
type BlockIndex = HashMap<(u64, u32), SmallVec<[(u64, bool, f64); 1]>, RandomState>;

/// The number of a batch's lookups from one source after which its
/// out-block is indexed, if it holds at least [`INDEXED_BLOCK`] entries.
const INDEX_AFTER: u32 = 16;

/// The shortest out-block worth indexing.
const INDEXED_BLOCK: usize = 256;

/// The relationships of one key as a plan has them: those the batch
/// created, and once `fetched`, the live ones before the plan too.
#[derive(Default)]
struct KeyRels {
    fetched: bool,
    rels: SmallVec<[(u64, f64); 2]>,
}

/// Turns `ops` into entry pairs, in order, each op seeing the ones before
/// it; with them, the index of the op that planned each pair. `live(i,
/// src, dst, ty)` gives the live relationships `(id, weight)` of op `i`'s
/// key before the plan (asked only for keys an op other than `Create`
/// writes, once each); `fresh(src)` hands out a new id, in op order.
pub(crate) fn plan(
    ops: &[Op],
    mut live: impl FnMut(usize, u64, u64, u32) -> Vec<(u64, f64)>,
    mut fresh: impl FnMut(u64) -> u64,
) -> Result<(Vec<Planned>, SmallVec<[u32; 2]>)> {
    let mut out = Vec::with_capacity(ops.len());
    let mut from = SmallVec::with_capacity(ops.len());
    // Keys written once need no state (the common case of a single write),
    // nor do batches of creates only.
    let creates_only = ops.iter().all(|op| matches!(op, Op::Create { .. }));
    let mut state: HashMap<(u64, u64, u32), KeyRels, RandomState> = HashMap::with_capacity_and_hasher(
        if ops.len() > 1 && !creates_only { ops.len() } else { 0 },
        RandomState::default(),
    );
    for (i, op) in ops.iter().enumerate() {
        let (src, dst) = op.ends();
        let ty = op.ty();
        let mut single = KeyRels::default();
        let key = if ops.len() == 1 || creates_only { &mut single } else { state.entry((src, dst, ty)).or_default() };
        if !key.fetched && !matches!(op, Op::Create { .. }) {
            key.rels.insert_many(0, live(i, src, dst, ty));
            key.fetched = true;
        }
        let rels = &mut key.rels;
        let write = |id, removed, weight| (src, Write { other: dst, ty, id, removed, weight });
        match *op {
            Op::Upsert { weight, .. } => {
                let id = match rels.iter_mut().min_by_key(|r| r.0) {
                    Some(first) => {
                        first.1 = weight;
                        first.0
                    }
                    None => {
                        let id = fresh(src);
                        rels.push((id, weight));
                        id
                    }
                };
                out.push(write(id, false, weight));
            }
            Op::Create { weight, id, .. } => {
                rels.push((id, weight));
                out.push(write(id, false, weight));
            }
            Op::RemoveKey { .. } => {
                if rels.is_empty() {
                    return Err(Error::not_found(format!("no edge {src} -> {dst} of that type")));
                }
                out.extend(rels.drain(..).map(|(id, _)| write(id, true, 0.0)));
            }
            Op::RemoveId { id, .. } => {
                let Some(at) = rels.iter().position(|r| r.0 == id) else {
                    return Err(Error::not_found(format!("no relationship {id}")));
                };
                rels.swap_remove(at);
                out.push(write(id, true, 0.0));
            }
        }
        from.resize(out.len(), i as u32);
    }
    Ok((out, from))
}

impl GraphCore {
    /// The live relationships `(id, weight)` of `(src, dst, ty)` now: the
    /// current base's, updated by `src`'s out-block (its writes to `(dst,
    /// ty)` in block order: from `index` if given, else by a scan). Exact
    /// under `src`'s writer lock (the block then holds every write the base
    /// lacks, and all of them final), with `csr` the out-CSR of a
    /// generation loaded under it.
    fn live_rels(
        &self,
        csr: &Csr,
        src_slot: &NodeSlot,
        key: (u64, u64, u32),
        index: Option<&BlockIndex>,
        guard: &Guard,
    ) -> Vec<(u64, f64)> {
        let (src, dst, ty) = key;
        let r = csr.range(src as usize);
        let from = r.start + csr.targets[r.clone()].partition_point(|&t| t < dst);
        let mut rels: Vec<(u64, f64)> = (from..r.end)
            .take_while(|&i| csr.targets[i] == dst)
            .filter(|&i| csr.types[i] == ty)
            .map(|i| (csr.ids[i], csr.weights[i]))
            .collect();
        let mut replay = |(id, removed, weight): (u64, bool, f64)| {
            rels.retain(|r| r.0 != id);
            if !removed {
                rels.push((id, weight));
            }
        };
        match index {
            Some(index) => index.get(&(dst, ty)).into_iter().flatten().copied().for_each(replay),
            None => {
                if let Some(block) = delta::block(&src_slot.out_head, guard) {
                    let writes = block.entries().iter().filter(|e| e.other() == dst).map(|e| e.write());
                    writes.filter(|w| w.ty == ty).for_each(|w| replay((w.id, w.removed, w.weight)));
                }
            }
        }
        rels
    }

    /// The writes of `slot`'s out-block by key, if the block is long enough
    /// that a batch asking about many of its keys is better served by one
    /// pass over it than by one scan per key (a hub's).
    fn block_index(slot: &NodeSlot, guard: &Guard) -> Option<BlockIndex> {
        let entries = delta::block(&slot.out_head, guard).map_or(&[][..], |b| b.entries());
        if entries.len() < INDEXED_BLOCK {
            return None;
        }
        let mut index = BlockIndex::default();
        for w in entries.iter().map(|e| e.write()) {
            index.entry((w.other, w.ty)).or_default().push((w.id, w.removed, w.weight));
        }
        Some(index)
    }

    /// Applies `ops` atomically at one version and acknowledges it.
    ///
    /// With `batch` (a batch's parts, bound to its shared cell) the edge
    /// entries link to that cell, so that they, the batch's labels and
    /// properties, and the nodes it creates and removes appear at one
    /// version; the caller settles the batch's publish after. The nodes of
    /// the batch are locked with the edges' ends, and the commit fails if
    /// one is gone, or if a node it removes has a relationship the batch
    /// does not remove (one written meanwhile). Removed relationships lose
    /// their properties under the same stamp. `fresh(src)` hands out the id
    /// of each relationship an `Upsert` creates (the durability layer logs
    /// them, and recovery hands the logged ones out again). Returns what
    /// the write created and removed.
    pub(crate) fn apply(
        self: &Arc<Self>,
        ops: &[Op],
        mut batch: Option<BatchParts<'_>>,
        fresh: &mut dyn FnMut(u64) -> u64,
    ) -> Result<Applied> {
        let (nodes, created, removed) = batch.as_ref().map_or((&[][..], &[][..], &[][..]), |b| b.nodes());
        let cell = batch.as_ref().map(|b| Arc::clone(b.publish.stamp()));
        // Every end with the ops' positions at it (`2 * op + side`; the
        // batch's other nodes at none), sorted by id: the ends in id order,
        // and each op's ends by index.
        let positions = u32::try_from(ops.len() * 2).map_err(|_| Error::invalid("too many writes in one batch"))?;
        let mut keyed: SmallVec<[(u64, u32); 4]> = ops
            .iter()
            .flat_map(|op| <[u64; 2]>::from(op.ends()))
            .zip(0..positions)
            .chain(nodes.iter().chain(created).chain(removed).map(|&id| (id, u32::MAX)))
            .collect();
        sort_by_node(&mut keyed);
        let mut ends: Vec<u64> = Vec::with_capacity(keyed.len());
        let mut at: SmallVec<[u32; 2]> = smallvec::smallvec![0; positions as usize];
        for (id, position) in keyed {
            if ends.last() != Some(&id) {
                ends.push(id);
            }
            if let Some(a) = at.get_mut(position as usize) {
                *a = (ends.len() - 1) as u32;
            }
        }
        let slots = ends.iter().map(|&id| self.slot_for(id, cell.as_ref())).collect::<Result<Vec<_>>>()?;
        let slot = |id: u64| slots[ends.binary_search(&id).expect("an end of the plan")];
        let guard = &self.mem.pin();
        let mut applied = Applied::default();
        let mut own = None;
        let (version, pending) = {
            // In id order, so that two writers never wait on each other.
            let _locks: Vec<_> = slots.iter().map(|s| s.lock()).collect();
            if let Some(gone) = ends.iter().zip(&slots).find(|(_, s)| s.deleted.peek() != ABSENT) {
                return Err(Error::not_found(format!("no node {}", gone.0)));
            }
            let fresh = |src| {
                applied.created += 1;
                fresh(src)
            };
            let generation = self.generation.load();
            let out = &generation.view.out;
            // A source asked about often gets its out-block indexed once.
            let mut asked: SmallVec<[u32; 2]> = smallvec::smallvec![0; ends.len()];
            let mut indexes: HashMap<u32, Option<BlockIndex>, RandomState> = HashMap::default();
            let live = |i: usize, src, dst, ty| {
                let end = at[2 * i];
                let slot = slots[end as usize];
                asked[end as usize] += 1;
                let index = if asked[end as usize] < INDEX_AFTER {
                    None
                } else {
                    indexes.entry(end).or_insert_with(|| Self::block_index(slot, guard)).as_ref()
                };
                self.live_rels(out, slot, (src, dst, ty), index, guard)
            };
            let (planned, from) = plan(ops, live, fresh)?;
            drop(generation);
            applied.created += ops.iter().filter(|op| matches!(op, Op::Create { .. })).count() as u64;
            applied.removed = planned.iter().filter(|(_, w)| w.removed).map(|(_, w)| w.id).collect();
            if let Some(&kept) = removed.iter().find(|&&n| !self.rels_after(slot(n), n, &planned, guard).is_empty()) {
                return Err(Error::conflict(format!(
                    "node {kept} gained a relationship after the batch removed it; retry the batch"
                )));
            }
            let nothing =
                created.is_empty() && removed.is_empty() && batch.as_ref().is_none_or(|b| b.publish.is_empty());
            if planned.is_empty() && nothing {
                return Ok(applied);
            }
            if batch.is_none() && !applied.removed.is_empty() {
                own = Some(self.model.begin(Arc::default()));
            }
            if let Some(p) = batch.as_mut().map(|b| &mut *b.publish).or(own.as_mut()) {
                let cleared = applied.removed.iter().try_for_each(|&id| self.clear_rel_props_in(id, Some(p)).map(drop));
                if let Err(e) = cleared {
                    if let Some(p) = own.take() {
                        self.model.settle(self, p);
                    }
                    return Err(e);
                }
            }
            if let Some(cell) = &cell {
                removed.iter().for_each(|&n| slot(n).link_removal(cell));
            }
            let shared = cell.as_ref().or(own.as_ref().map(Publish::stamp));
            // Counted before they are published, so that a compaction that
            // absorbs them always finds them counted (else the count drifts up).
            let pending = self.delta_len.fetch_add(planned.len() as u64, Ordering::Relaxed) + planned.len() as u64;
            let blocks: SmallVec<[[u32; 2]; 1]> =
                from.iter().map(|&i| [at[2 * i as usize], at[2 * i as usize + 1]]).collect();
            let version = self.publish(&planned, &blocks, &slots, shared, guard);
            // Copied before the nodes unlock, so that a slot never holds two links.
            created.iter().chain(removed).for_each(|&n| slot(n).unlink(version));
            (version, pending)
        };
        if let Some(cell) = cell {
            // Readers that loaded a node's link before it was cleared may
            // still read the cell: it goes once they have unpinned.
            guard.defer(move || drop(cell));
        }
        // Both sorted: a node created and removed by the batch never lived.
        let born = created.iter().filter(|n| removed.binary_search(n).is_err()).count() as u64;
        let died = removed.iter().filter(|n| created.binary_search(n).is_err()).count() as u64;
        self.live_nodes.fetch_add(born, Ordering::Relaxed);
        self.live_nodes.fetch_sub(died, Ordering::Relaxed);
        if let Some(p) = own {
            self.model.settle(self, p);
        }
        self.horizon.acknowledge(version);
        if self.policy.auto && pending >= self.policy.min_delta {
            let base_edges = self.generation.load().view.edge_count() as f64;
            if pending as f64 >= base_edges * self.policy.ratio {
                compact::compact(self, false);
            }
        }
        Ok(applied)
    }

    /// The ids of the relationships at node `n` (either direction) once
    /// `planned` applies; those whose other end was removed are gone.
    /// Exact under `n`'s writer lock (see [`Self::live_rels`]).
    fn rels_after(&self, slot: &NodeSlot, n: u64, planned: &[Planned], guard: &Guard) -> BTreeSet<u64> {
        let generation = self.generation.load();
        let live = |other: u64| self.nodes.get(other).is_some_and(|s| s.is_live(&self.clock, &self.mem));
        let mut ids = BTreeSet::new();
        for (csr, head) in [(&generation.view.out, &slot.out_head), (&generation.view.inn, &slot.in_head)] {
            ids.extend(csr.range(n as usize).filter(|&i| live(csr.targets[i])).map(|i| csr.ids[i]));
            if let Some(block) = delta::block(head, guard) {
                let writes = block.entries().iter().map(|e| e.write()).filter(|w| live(w.other));
                writes.for_each(|w| toggle(&mut ids, w.id, w.removed));
            }
        }
        planned
            .iter()
            .filter(|(src, w)| *src == n || w.other == n)
            .for_each(|(_, w)| toggle(&mut ids, w.id, w.removed));
        ids
    }

    /// Appends the planned entries to both ends' blocks and commits them at
    /// one version (see the module notes). `ends[p]`: the indices in
    /// `slots` of entry pair `p`'s source and target. Call with every end
    /// locked.
    fn publish(
        &self,
        planned: &[Planned],
        ends: &[[u32; 2]],
        slots: &[&NodeSlot],
        shared: Option<&Arc<Stamp>>,
        guard: &Guard,
    ) -> u64 {
        let head = |block: usize| {
            let slot = slots[block / 2];
            if block.is_multiple_of(2) { &slot.out_head } else { &slot.in_head }
        };
        let back = |src: u64, w: Write| Write { other: src, ..w };
        if let ([(src, w)], [[s, d]], None) = (planned, ends, shared) {
            // One pair: the out-entry's own stamp is the write's.
            let out = delta::push(head(2 * *s as usize), *w, ABSENT, std::ptr::null(), &self.mem, guard);
            let inn = delta::push(head(2 * *d as usize + 1), back(*src, *w), ABSENT, out.stamp(), &self.mem, guard);
            out.stamp().mark_pending();
            let version = out.stamp().commit(self.clock.tick());
            inn.stamp().set(version);
            return version;
        }
        let cell = shared.cloned().unwrap_or_default();
        let link: *const Stamp = Arc::as_ptr(&cell);
        // The entries by block (block `2 * end + side`), each block's in
        // plan order (a counting sort), so that each block gets one run.
        let mut start = vec![0u32; 2 * slots.len() + 1];
        for &[s, d] in ends {
            start[2 * s as usize + 1] += 1;
            start[2 * d as usize + 2] += 1;
        }
        for b in 1..start.len() {
            start[b] += start[b - 1];
        }
        let mut next = start.clone();
        let mut order = vec![0u32; 2 * planned.len()];
        for (p, &[s, d]) in ends.iter().enumerate() {
            for block in [2 * s as usize, 2 * d as usize + 1] {
                order[next[block] as usize] = p as u32;
                next[block] += 1;
            }
        }
        let runs = || (0..2 * slots.len()).map(|b| (b, &order[start[b] as usize..start[b + 1] as usize]));
        for (block, run) in runs().filter(|(_, run)| !run.is_empty()) {
            let writes = run.iter().map(|&p| {
                let (src, w) = planned[p as usize];
                if block.is_multiple_of(2) { w } else { back(src, w) }
            });
            delta::append(head(block), writes, ABSENT, link, &self.mem, guard);
        }
        cell.mark_pending();
        let version = cell.commit(self.clock.tick());
        for (block, run) in runs().filter(|(_, run)| !run.is_empty()) {
            let entries = delta::block(head(block), guard).map_or(&[][..], |b| b.entries());
            entries[entries.len() - run.len()..].iter().for_each(|e| e.stamp().set(version));
        }
        // Readers that met an entry before its copy may still read the cell:
        // it goes once every thread pinned now has unpinned.
        guard.defer(move || drop(cell));
        version
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by_node;

    /// The radix sort orders by node id and keeps every position, for ids
    /// of several sizes (one byte to all eight).
    #[test]
    fn sort_by_node_orders_ids_of_every_size() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for bits in [8u32, 18, 33, 64] {
            let mut keyed: Vec<(u64, u32)> = (0..1000)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (if bits == 64 { x } else { x % (1 << bits) }, i)
                })
                .collect();
            let mut expected = keyed.clone();
            expected.sort_unstable();
            sort_by_node(&mut keyed);
            assert!(keyed.windows(2).all(|w| w[0].0 <= w[1].0), "{bits} bits");
            keyed.sort_unstable();
            assert_eq!(keyed, expected, "{bits} bits");
        }
    }
}
