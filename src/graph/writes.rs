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

use super::delta::{self, Side, Write};
use super::stamp::{ABSENT, Stamp};
use super::versioned::Publish;
use super::{GraphCore, NodeSlot, compact};
use crate::error::{Error, Result};
use crossbeam_epoch::Guard;
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

/// Turns `ops` into entry pairs, in order, each op seeing the ones before
/// it. `live(src, dst, ty)` gives the live relationships `(id, weight)` of
/// a key before the plan; `fresh(src)` hands out a new id.
pub(crate) fn plan(
    ops: &[Op],
    mut live: impl FnMut(u64, u64, u32) -> Vec<(u64, f64)>,
    mut fresh: impl FnMut(u64) -> u64,
) -> Result<Vec<Planned>> {
    let mut state: HashMap<(u64, u64, u32), Vec<(u64, f64)>> = HashMap::new();
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let (src, dst) = op.ends();
        let ty = op.ty();
        let rels = state.entry((src, dst, ty)).or_insert_with(|| live(src, dst, ty));
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
    }
    Ok(out)
}

impl GraphCore {
    /// The live relationships `(id, weight)` of `(src, dst, ty)` now: the
    /// current base's, updated by `src`'s out-block. Exact under `src`'s
    /// writer lock (the block then holds every write the base lacks, and
    /// all of them final).
    pub(crate) fn live_rels(&self, src_slot: &NodeSlot, src: u64, dst: u64, ty: u32, guard: &Guard) -> Vec<(u64, f64)> {
        let generation = self.generation.load();
        let csr = &generation.view.out;
        let r = csr.range(src as usize);
        let from = r.start + csr.targets[r.clone()].partition_point(|&t| t < dst);
        let mut rels: Vec<(u64, f64)> = (from..r.end)
            .take_while(|&i| csr.targets[i] == dst)
            .filter(|&i| csr.types[i] == ty)
            .map(|i| (csr.ids[i], csr.weights[i]))
            .collect();
        if let Some(block) = delta::block(&src_slot.out_head, guard) {
            for w in block.entries().iter().map(|e| e.write()).filter(|w| (w.other, w.ty) == (dst, ty)) {
                rels.retain(|r| r.0 != w.id);
                if !w.removed {
                    rels.push((w.id, w.weight));
                }
            }
        }
        rels
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
        let mut ends: Vec<u64> = ops
            .iter()
            .flat_map(|op| <[u64; 2]>::from(op.ends()))
            .chain(nodes.iter().chain(created).chain(removed).copied())
            .collect();
        ends.sort_unstable();
        ends.dedup();
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
            let planned = plan(ops, |src, dst, ty| self.live_rels(slot(src), src, dst, ty, guard), fresh)?;
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
            let version = self.publish(&planned, shared, &slot, guard);
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
    /// one version (see the module notes). Call with every end locked.
    fn publish<'a>(
        &self,
        planned: &[Planned],
        shared: Option<&Arc<Stamp>>,
        slot: &dyn Fn(u64) -> &'a NodeSlot,
        guard: &Guard,
    ) -> u64 {
        let push = |side: Side, node: u64, w: Write, link: *const Stamp| {
            let head = if side == Side::Out { &slot(node).out_head } else { &slot(node).in_head };
            delta::push(head, w, ABSENT, link, &self.mem, guard)
        };
        let back = |src: u64, w: Write| (w.other, Write { other: src, ..w });
        if let ([(src, w)], None) = (planned, shared) {
            // One pair: the out-entry's own stamp is the write's.
            let out = push(Side::Out, *src, *w, std::ptr::null());
            let (dst, b) = back(*src, *w);
            let inn = push(Side::In, dst, b, out.stamp());
            out.stamp().mark_pending();
            let version = out.stamp().commit(self.clock.tick());
            inn.stamp().set(version);
            return version;
        }
        let cell = shared.cloned().unwrap_or_default();
        let link: *const Stamp = Arc::as_ptr(&cell);
        // Entries appended per block: the tail of that block once all are in
        // (a block may be outgrown meanwhile, its copies keeping the link).
        let mut tails: HashMap<(u64, Side), usize> = HashMap::new();
        for &(src, w) in planned {
            push(Side::Out, src, w, link);
            let (dst, b) = back(src, w);
            push(Side::In, dst, b, link);
            *tails.entry((src, Side::Out)).or_default() += 1;
            *tails.entry((dst, Side::In)).or_default() += 1;
        }
        cell.mark_pending();
        let version = cell.commit(self.clock.tick());
        for ((node, side), count) in tails {
            let head = if side == Side::Out { &slot(node).out_head } else { &slot(node).in_head };
            let entries = delta::block(head, guard).map_or(&[][..], |b| b.entries());
            entries[entries.len() - count..].iter().for_each(|e| e.stamp().set(version));
        }
        // Readers that met an entry before its copy may still read the cell:
        // it goes once every thread pinned now has unpinned.
        guard.defer(move || drop(cell));
        version
    }
}
