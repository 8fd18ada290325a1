//! Atomic write batches: [`Graph::batch`](super::Graph::batch) collects
//! node, edge, relationship, label and property writes and
//! [`Batch::commit`] publishes them at one version (see [`super::writes`]).
//!
//! A node the batch creates gets its id at once, its slot's creation linked
//! to the batch's stamp cell (see [`super::nodes`]): invisible to every
//! reader but the batch, and to every other writer. A node the batch
//! removes has its relationships removed by the batch's edge writes, and
//! its removal linked to the cell at commit, under its writer lock.
//!
//! Label and property writes are linked into the property map as they are
//! made, under a ticket bound to the batch's stamp cell (still `ABSENT`:
//! invisible to every reader but the batch, and a single write to one of
//! those keys meanwhile fails with a conflict). The commit's one CAS on the
//! cell publishes them with the edges; the batch then settles them. A batch
//! that fails or is dropped settles them unpublished, which removes them.
//!
//! Concurrency: no global batch writer. A commit takes the writer locks of
//! every node its writes touch, in id order, plans the writes against the
//! graph as it is then, and publishes them before it unlocks; so conflicting
//! batches (and single writes, which lock the same way) serialise on the
//! nodes they share, each taking effect at its commit, and disjoint ones
//! commit in parallel. Readers never wait.

use super::counters::WriteStats;
use super::hook::BatchWrite;
use super::index::IndexRead;
use super::snapshot::Edge;
use super::stamp::{ABSENT, LATEST, Stamp};
use super::versioned::{Publish, ReadAt, tag};
use super::writes::{BatchParts, Op, plan};
use super::{Direction, GraphCore, NodeSlot, check_weight};
use crate::Value;
use crate::error::{Error, Result};
use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use std::sync::Arc;

/// Placeholder id, in [`Batch::edges`], of a relationship the batch would
/// create at commit (`add_edge` of a new edge): its id is handed out then.
pub const PENDING_ID: u64 = u64::MAX;

/// A batch of graph writes that commits atomically: every snapshot sees all
/// of it or none of it, and a batch that fails to commit leaves nothing
/// behind. Dropping it without [`commit`](Self::commit) aborts it.
pub struct Batch {
    core: Arc<GraphCore>,
    ops: Vec<Op>,
    /// Label and property writes, linked under the batch's stamp cell (the
    /// cell every write of the batch links to; one CAS commits it).
    publish: Option<Publish>,
    /// Nodes the label and property writes touch (checked live at commit).
    nodes: Vec<u64>,
    /// Nodes the batch creates.
    created: BTreeSet<u64>,
    /// Nodes the batch removes.
    removed: BTreeSet<u64>,
    /// Node, label and property writes collected.
    model_writes: usize,
    /// Those writes in order, kept for the log of a durable graph (`None`
    /// for one in memory).
    logged: Option<Vec<BatchWrite>>,
    /// What the batch changes, counted as it is built (relationships at commit).
    stats: WriteStats,
    /// The version when the batch opened: indexes built later lack its
    /// earlier writes, so they do not answer it.
    opened_at: u64,
    /// The edge type the batch interned last, with its id (ids never
    /// change), so that a run of writes of one type looks it up once.
    last_type: (String, u32),
}

impl Batch {
    pub(crate) fn new(core: Arc<GraphCore>) -> Self {
        let publish = Some(core.model.begin(Arc::new(Stamp::default())));
        let logged = core.observed().then(Vec::new);
        let stats = WriteStats::default();
        let (created, removed) = (BTreeSet::new(), BTreeSet::new());
        let opened_at = core.clock.read();
        Batch {
            core,
            ops: Vec::new(),
            publish,
            nodes: Vec::new(),
            created,
            removed,
            model_writes: 0,
            logged,
            stats,
            opened_at,
            last_type: (String::new(), 0),
        }
    }

    /// Number of writes collected.
    pub fn len(&self) -> usize {
        self.ops.len() + self.model_writes
    }

    /// Whether no write has been collected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn publish(&mut self) -> &mut Publish {
        self.publish.as_mut().expect("a batch holds its publish until it ends")
    }

    /// How the batch reads its own writes.
    fn own(&self) -> ReadAt {
        ReadAt { at: LATEST, own: self.publish.as_ref().map(Publish::ticket) }
    }

    /// Links the label or property write `w`, and keeps it for the log
    /// if the graph is durable.
    fn model_write(&mut self, w: BatchWrite) -> Result<bool> {
        if let Some(id) = w.node() {
            self.visible_slot(id)?;
        }
        let core = Arc::clone(&self.core);
        let node = w.node();
        let kept = self.logged.is_some().then(|| w.clone());
        let out = w.link(&core, self.publish())?;
        self.nodes.extend(node);
        if let Some(w) = kept {
            self.keep(w);
        }
        Ok(out)
    }

    /// Counts a node, label or property write, and keeps it for the log if
    /// the graph is durable.
    fn keep(&mut self, w: BatchWrite) {
        self.model_writes += 1;
        if let Some(log) = self.logged.as_mut() {
            log.push(w);
        }
    }

    /// The slot of node `id` if it exists as the batch sees it: created by
    /// the batch or live now, and not removed by the batch.
    fn visible_slot(&self, id: u64) -> Result<&NodeSlot> {
        let cell = self.publish.as_ref().map(Publish::stamp);
        self.core.slot_for(id, cell).ok().filter(|_| !self.removed.contains(&id)).ok_or_else(|| no_node(id))
    }

    /// Whether node `id` exists as the batch sees it.
    pub fn contains_node(&self, id: u64) -> bool {
        self.visible_slot(id).is_ok()
    }

    /// [`Graph::add_node`](super::Graph::add_node) within the batch, with
    /// zero or more `labels`: the id is handed out now (an aborted batch
    /// leaves it unused), and the node appears with the batch.
    pub fn add_node(&mut self, labels: &[&str]) -> Result<u64> {
        if labels.iter().any(|l| l.is_empty()) {
            return Err(Error::invalid("empty label"));
        }
        let cell = self.publish.as_ref().map(Publish::stamp).expect("an open batch");
        let id = self.core.create_linked(cell, labels.first().copied())?;
        self.created.insert(id);
        self.keep(BatchWrite::AddNode { id, label: labels.first().unwrap_or(&"").to_string() });
        self.stats.nodes_created += 1;
        self.stats.labels_added += u64::from(!labels.is_empty());
        for label in labels.iter().skip(1) {
            self.add_label(id, label)?;
        }
        Ok(id)
    }

    /// [`Graph::remove_node`](super::Graph::remove_node) within the batch:
    /// the node, its relationships (as the batch sees them) with their
    /// properties, and its labels and properties. The commit fails with a
    /// conflict if another writer gave the node a relationship meanwhile.
    pub fn remove_node(&mut self, id: u64) -> Result<()> {
        self.visible_slot(id)?;
        let (mut ids, mut keys) = (HashSet::new(), HashSet::new());
        for e in self.edges(id, Direction::Both)? {
            if e.id != PENDING_ID {
                if ids.insert(e.id) {
                    self.remove_relationship(e.id)?;
                }
            } else if keys.insert((e.src, e.dst, e.edge_type.clone())) {
                self.remove_edge(e.src, e.dst, (!e.edge_type.is_empty()).then_some(e.edge_type.as_str()))?;
            }
        }
        self.removed.insert(id);
        self.keep(BatchWrite::RemoveNode { id });
        self.stats.nodes_deleted += 1;
        Ok(())
    }

    /// [`Graph::add_label`](super::Graph::add_label) within the batch; a
    /// single write to that label of the node conflicts until the batch ends.
    pub fn add_label(&mut self, id: u64, label: &str) -> Result<bool> {
        let added = self.model_write(BatchWrite::Label { id, label: label.to_string(), add: true })?;
        self.stats.labels_added += u64::from(added);
        Ok(added)
    }

    /// [`Graph::remove_label`](super::Graph::remove_label) within the batch.
    pub fn remove_label(&mut self, id: u64, label: &str) -> Result<bool> {
        let removed = self.model_write(BatchWrite::Label { id, label: label.to_string(), add: false })?;
        self.stats.labels_removed += u64::from(removed);
        Ok(removed)
    }

    /// [`Graph::set_property_value`](super::Graph::set_property_value)
    /// within the batch ([`Value::Null`] removes the property).
    pub fn set_property_value(&mut self, id: u64, name: &str, value: Value) -> Result<()> {
        self.model_write(BatchWrite::NodeProperty { id, name: name.to_string(), value })?;
        self.stats.properties_set += 1;
        Ok(())
    }

    /// [`Graph::remove_property`](super::Graph::remove_property) within the
    /// batch; returns whether the property was set.
    pub fn remove_property(&mut self, id: u64, name: &str) -> Result<bool> {
        let was = self.model_write(BatchWrite::NodeProperty { id, name: name.to_string(), value: Value::Null })?;
        self.stats.properties_set += 1;
        Ok(was)
    }

    /// Whether relationship `rel` exists as the batch sees it: live now or
    /// created by the batch, and not removed by it.
    pub fn contains_relationship(&self, rel: u64) -> bool {
        let mut exists = self.core.snapshot().relationship(rel).is_some();
        for op in &self.ops {
            match *op {
                Op::Create { id, .. } if id == rel => exists = true,
                Op::RemoveId { id, .. } if id == rel => exists = false,
                _ => {}
            }
        }
        exists
    }

    /// [`Graph::set_rel_property`](super::Graph::set_rel_property) within the
    /// batch, also of a relationship the batch created; `NotFound` for one
    /// that does not exist.
    pub fn set_rel_property(&mut self, rel: u64, name: &str, value: Value) -> Result<()> {
        if !self.contains_relationship(rel) {
            return Err(Error::not_found(format!("no relationship {rel}")));
        }
        self.model_write(BatchWrite::RelProperty { rel, name: name.to_string(), value })?;
        self.stats.properties_set += 1;
        Ok(())
    }

    /// [`Graph::remove_rel_property`](super::Graph::remove_rel_property)
    /// within the batch; returns whether the property was set.
    pub fn remove_rel_property(&mut self, rel: u64, name: &str) -> Result<bool> {
        let was = self.model_write(BatchWrite::RelProperty { rel, name: name.to_string(), value: Value::Null })?;
        self.stats.properties_set += 1;
        Ok(was)
    }

    /// Property `name` of node `id` with the batch's writes applied.
    pub fn property_value(&self, id: u64, name: &str) -> Result<Option<Value>> {
        self.visible_slot(id)?;
        Ok(self.core.named_prop_at(tag::NODE_PROP, id, name, self.own()))
    }

    /// The properties of node `id` with the batch's writes applied, in name order.
    pub fn properties(&self, id: u64) -> Result<Vec<(String, Value)>> {
        self.visible_slot(id)?;
        Ok(self.core.props_at(tag::NODE_PROP, id, self.own()))
    }

    /// The labels of node `id` with the batch's writes applied, in name order.
    pub fn node_labels(&self, id: u64) -> Result<Vec<String>> {
        self.visible_slot(id)?;
        Ok(self.core.label_names_at(id, self.own()))
    }

    /// Property `name` of relationship `rel` with the batch's writes applied.
    pub fn rel_property(&self, rel: u64, name: &str) -> Option<Value> {
        self.core.named_prop_at(tag::REL_PROP, rel, name, self.own())
    }

    /// The properties of relationship `rel` with the batch's writes
    /// applied, in name order.
    pub fn rel_properties(&self, rel: u64) -> Vec<(String, Value)> {
        self.core.props_at(tag::REL_PROP, rel, self.own())
    }

    /// Every node as the batch sees it, in id order.
    pub fn nodes(&self) -> Vec<u64> {
        (0..self.core.nodes.len()).filter(|&id| self.contains_node(id)).collect()
    }

    /// The nodes with `label` as the batch sees them, in id order.
    pub fn nodes_with_label(&self, label: &str) -> Vec<u64> {
        match self.core.labels.find(Some(label)).filter(|&l| l != 0) {
            Some(l) => self.core.nodes_with_label_at(l, self.own(), |id| self.contains_node(id)),
            None => Vec::new(),
        }
    }

    /// [`Snapshot::index_lookup`](super::Snapshot::index_lookup) with the
    /// batch's writes applied (an index built after the batch opened is
    /// refused, as a snapshot refuses a newer one).
    pub fn index_lookup(&self, label: &str, prop: &str, value: &Value) -> Result<Vec<u64>> {
        self.index_read(&|id| self.contains_node(id)).lookup(label, prop, value)
    }

    /// [`Snapshot::index_range`](super::Snapshot::index_range) with the
    /// batch's writes applied.
    pub fn index_range(&self, label: &str, prop: &str, lower: Bound<&Value>, upper: Bound<&Value>) -> Result<Vec<u64>> {
        self.index_read(&|id| self.contains_node(id)).range(label, prop, lower, upper)
    }

    fn index_read<'a>(&'a self, alive: &'a dyn Fn(u64) -> bool) -> IndexRead<'a> {
        IndexRead { core: &self.core, read: self.own(), newest: self.opened_at, alive }
    }

    /// What the batch changes so far (relationships created and deleted are
    /// counted by [`commit_counted`](Self::commit_counted)).
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// The interned id of edge type `name` (adding it if new).
    fn type_id(&mut self, name: Option<&str>) -> u32 {
        let name = name.unwrap_or("");
        if name != self.last_type.0 {
            self.last_type = (name.to_string(), self.core.types.intern(Some(name)));
        }
        self.last_type.1
    }

    fn check_nodes(&self, src: u64, dst: u64) -> Result<()> {
        self.visible_slot(src)?;
        self.visible_slot(dst).map(|_| ())
    }

    /// [`Graph::add_edge`](super::Graph::add_edge) within the batch.
    pub fn add_edge(&mut self, src: u64, dst: u64, edge_type: Option<&str>, weight: f64) -> Result<()> {
        let weight = check_weight(weight)?;
        self.check_nodes(src, dst)?;
        let ty = self.type_id(edge_type);
        self.ops.push(Op::Upsert { src, dst, ty, weight });
        Ok(())
    }

    /// [`Graph::remove_edge`](super::Graph::remove_edge) within the batch;
    /// the commit fails if the edge does not exist by then.
    pub fn remove_edge(&mut self, src: u64, dst: u64, edge_type: Option<&str>) -> Result<()> {
        self.check_nodes(src, dst)?;
        let ty = self.core.types.find(edge_type).ok_or_else(|| Error::not_found("no such edge"))?;
        self.ops.push(Op::RemoveKey { src, dst, ty });
        Ok(())
    }

    /// [`Graph::create_relationship`](super::Graph::create_relationship)
    /// within the batch; the id is handed out now (an aborted batch leaves
    /// it unused).
    pub fn create_relationship(&mut self, src: u64, dst: u64, rel_type: Option<&str>, weight: f64) -> Result<u64> {
        let weight = check_weight(weight)?;
        self.check_nodes(src, dst)?;
        let ty = self.type_id(rel_type);
        let id = self.core.rels.create(src);
        self.ops.push(Op::Create { src, dst, ty, weight, id });
        Ok(id)
    }

    /// [`Graph::remove_relationship`](super::Graph::remove_relationship)
    /// within the batch (also of one the batch created).
    pub fn remove_relationship(&mut self, id: u64) -> Result<()> {
        let created = self.ops.iter().find_map(|op| match *op {
            Op::Create { src, dst, ty, id: created, .. } if created == id => Some(Op::RemoveId { src, dst, ty, id }),
            _ => None,
        });
        let op = match created {
            Some(op) => op,
            None => self.core.remove_op(id, &self.core.snapshot())?,
        };
        self.ops.push(op);
        Ok(())
    }

    /// The relationships at `node` in direction `dir` as the graph has them
    /// now with this batch's writes applied (the batch reads its own
    /// writes). A relationship the batch would create through `add_edge`
    /// reads id [`PENDING_ID`].
    pub fn edges(&self, node: u64, dir: Direction) -> Result<Vec<Edge>> {
        self.visible_slot(node)?;
        let snap = self.core.snapshot();
        let mut edges = if self.created.contains(&node) { Vec::new() } else { snap.edges(node, dir)? };
        let types = &self.core.types;
        let live = |_, src: u64, dst: u64, ty: u32| {
            let name = types.name(ty).unwrap_or_default();
            let rels = snap.relationships(src, Direction::Out, Some(&name)).unwrap_or_default();
            rels.into_iter().filter(|e| e.dst == dst).map(|e| (e.id, e.weight)).collect()
        };
        // Keys at `node` are written only by ops with `node` as an end.
        let ops: Vec<Op> = self.ops.iter().filter(|op| <[u64; 2]>::from(op.ends()).contains(&node)).copied().collect();
        for (src, w) in plan(&ops, live, |_| PENDING_ID)?.0 {
            for (out, touches) in [(true, src == node), (false, w.other == node)] {
                let wanted = match dir {
                    Direction::Out => out,
                    Direction::In => !out,
                    Direction::Both => true,
                };
                if !(touches && wanted) {
                    continue;
                }
                // A pending relationship is known by its key alone.
                let edge_type = types.name(w.ty).unwrap_or_default();
                let same = |e: &Edge| (e.id, e.src, e.dst) == (w.id, src, w.other) && e.edge_type == edge_type;
                edges.retain(|e| !same(e));
                if !w.removed {
                    edges.push(Edge { id: w.id, src, dst: w.other, edge_type, weight: w.weight });
                }
            }
        }
        Ok(edges)
    }

    /// Publishes every write at one version, or none of them (an error
    /// says which write failed: a node removed meanwhile, a removal of
    /// nothing). Removed relationships lose their properties with them.
    pub fn commit(self) -> Result<()> {
        self.commit_counted(&mut WriteStats::default())
    }

    /// [`commit`](Self::commit), adding what the batch changed to `stats`
    /// if it commits.
    pub fn commit_counted(mut self, stats: &mut WriteStats) -> Result<()> {
        let mut publish = self.publish.take().expect("a batch holds its publish until it ends");
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.sort_unstable();
        nodes.dedup();
        let logged = self.logged.take().unwrap_or_default();
        let created: Vec<u64> = std::mem::take(&mut self.created).into_iter().collect();
        let removed: Vec<u64> = std::mem::take(&mut self.removed).into_iter().collect();
        let parts = BatchParts { publish: &mut publish, nodes: &nodes, created: &created, removed: &removed };
        let applied = self.core.apply_logged(&self.ops, Some((parts, &logged)));
        self.core.finish_batch(applied.is_ok(), publish, &created, &removed);
        let applied = applied?;
        self.stats.relationships_created += applied.created;
        self.stats.relationships_deleted += applied.removed.len() as u64;
        *stats += self.stats;
        Ok(())
    }

    /// Drops the batch without writing anything.
    pub fn abort(self) {}
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(publish) = self.publish.take() {
            // Never published: removes the batch's nodes, labels and properties.
            let created: Vec<u64> = self.created.iter().copied().collect();
            self.core.finish_batch(false, publish, &created, &[]);
        }
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("writes", &self.len()).finish()
    }
}

fn no_node(id: u64) -> Error {
    Error::not_found(format!("no node {id}"))
}

impl GraphCore {
    /// Hands out a node id whose creation, with `label`, is linked to a
    /// batch's `cell`.
    fn create_linked(&self, cell: &Arc<Stamp>, label: Option<&str>) -> Result<u64> {
        let id = self.nodes.reserve(1).ok_or_else(|| Error::invalid("too many nodes"))?;
        self.link_created(id, cell, label);
        Ok(id)
    }

    /// Recovery's [`create_linked`](Self::create_linked) at the logged id.
    pub(super) fn create_linked_at(&self, id: u64, cell: &Arc<Stamp>, label: Option<&str>) -> Result<()> {
        self.reserve_logged(id, 1)?;
        self.link_created(id, cell, label);
        Ok(())
    }

    /// Gives reserved node `id` its creation label, as `add_nodes` does
    /// (the label index's range entry reads only nodes that exist), and
    /// links its creation to `cell`.
    fn link_created(&self, id: u64, cell: &Arc<Stamp>, label: Option<&str>) {
        let label = self.labels.intern(label);
        let slot = self.nodes.get(id).expect("a reserved id has its slot");
        slot.label.store(label, std::sync::atomic::Ordering::Relaxed);
        self.note_created(id, 1, label);
        slot.link_creation(cell);
    }

    /// Ends a batch's publish after its commit (`committed`) or its abort:
    /// publishes or removes its label and property entries, abandons the
    /// nodes it would have created, or forgets the entries of those it removed.
    pub(super) fn finish_batch(&self, committed: bool, publish: Publish, created: &[u64], removed: &[u64]) {
        if !committed && !created.is_empty() {
            created.iter().filter_map(|&id| self.nodes.get(id)).for_each(|s| s.unlink(ABSENT));
            // Readers that loaded a link before it was cleared may still read the cell.
            let cell = Arc::clone(publish.stamp());
            self.mem.pin().defer(move || drop(cell));
        }
        self.model.settle(self, publish);
        if committed {
            removed.iter().for_each(|&id| self.forget_node(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Engine;
    use std::sync::Arc;

    /// Nodes created, removed and abandoned by batches while another thread
    /// reads snapshots: the slot links are read and cleared concurrently
    /// (Miri and the sanitizers check the accesses; small enough for Miri).
    #[test]
    fn batch_node_links_race_snapshot_readers() {
        let engine = Arc::new(Engine::new());
        let hub = engine.graph().add_node(None).unwrap();
        let reader = {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let snap = engine.graph().snapshot();
                    let live = (0..snap.node_count()).filter(|&id| snap.contains_node(id)).count();
                    assert!((1..=2).contains(&live), "{live} nodes");
                }
            })
        };
        let g = engine.graph();
        let mut previous = None;
        for _ in 0..5 {
            let mut b = g.batch();
            let leaf = b.add_node(&["Leaf"]).unwrap();
            b.create_relationship(hub, leaf, None, 1.0).unwrap();
            if let Some(p) = previous {
                b.remove_node(p).unwrap();
            }
            b.commit().unwrap();
            let mut abandoned = g.batch();
            abandoned.add_node(&[]).unwrap();
            drop(abandoned);
            previous = Some(leaf);
        }
        reader.join().unwrap();
        assert_eq!(g.snapshot().nodes_with_label("Leaf"), [previous.unwrap()]);
    }

    /// A batch with many edges at one node, whose blocks already hold
    /// entries: each block takes the batch's run in one append that grows
    /// it several sizes, committed while another thread reads snapshots
    /// (all of the batch or none of it, in both directions), and the batch
    /// reads its own writes before it commits.
    #[test]
    fn a_long_run_at_one_node_commits_whole_under_snapshot_readers() {
        use crate::graph::Direction;
        let engine = Arc::new(Engine::new());
        let g = engine.graph();
        let first = g.add_nodes(300, None).unwrap();
        let hub = first;
        for k in 1..4 {
            g.add_edge(hub, first + k, None, 1.0).unwrap();
            g.add_edge(first + k, hub, None, 1.0).unwrap();
        }
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (engine, done) = (Arc::clone(&engine), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut seen_after = false;
                while !seen_after {
                    seen_after = done.load(std::sync::atomic::Ordering::Acquire);
                    let snap = engine.graph().snapshot();
                    let out = snap.edges(hub, Direction::Out).unwrap().len();
                    let inn = snap.edges(hub, Direction::In).unwrap().len();
                    assert!((out, inn) == (3, 3) || (out, inn) == (203, 203), "{out} out, {inn} in");
                    let leaf = snap.edges(first + 299, Direction::In).unwrap().len();
                    assert_eq!(leaf, usize::from(out == 203), "the leaf's in-edge goes with the hub's");
                }
            })
        };
        let mut b = g.batch();
        for k in 100..300 {
            b.add_edge(hub, first + k, Some("T"), k as f64).unwrap();
            b.create_relationship(first + k, hub, None, 2.0).unwrap();
        }
        assert_eq!(b.edges(hub, Direction::Out).unwrap().len(), 203);
        assert_eq!(b.edges(hub, Direction::In).unwrap().len(), 203);
        b.commit().unwrap();
        done.store(true, std::sync::atomic::Ordering::Release);
        reader.join().unwrap();
        let snap = g.snapshot();
        let out = snap.edges(hub, Direction::Out).unwrap();
        assert_eq!(out.len(), 203);
        assert!(out.iter().filter(|e| e.edge_type == "T").all(|e| e.weight == (e.dst - first) as f64));
        assert_eq!(snap.edges(hub, Direction::In).unwrap().len(), 203);
    }

    /// A batch with many writes from a hub whose out-block is long: the
    /// plan indexes the block once and answers every key from it as a scan
    /// would (weights updated in place, parallel relationships, a key
    /// removed before and written again, a removal in the batch).
    #[test]
    fn many_writes_from_a_hub_with_a_long_block_plan_as_scans_would() {
        use crate::graph::Direction;
        let engine = Engine::new();
        let g = engine.graph();
        let first = g.add_nodes(500, None).unwrap();
        let hub = first;
        for k in 1..=300 {
            g.add_edge(hub, first + k, None, 1.0).unwrap();
        }
        let parallel = g.create_relationship(hub, first + 5, None, 7.0).unwrap();
        g.remove_edge(hub, first + 6, None).unwrap();
        let mut b = g.batch();
        for k in 1..400 {
            b.add_edge(hub, first + k, None, 2.0).unwrap();
        }
        b.remove_edge(hub, first + 7, None).unwrap();
        b.commit().unwrap();
        let mut out = g.snapshot().edges(hub, Direction::Out).unwrap();
        out.sort_by_key(|e| (e.dst, e.id));
        let keys: Vec<u64> = out.iter().map(|e| e.dst - first).collect();
        let mut expected: Vec<u64> = (1..400).filter(|&k| k != 7).collect();
        expected.insert(4, 5);
        assert_eq!(keys, expected);
        for e in &out {
            let weight = if e.id == parallel { 7.0 } else { 2.0 };
            assert_eq!(e.weight, weight, "{e:?}");
        }
    }
}
