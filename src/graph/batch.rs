//! Atomic write batches: [`Graph::batch`](super::Graph::batch) collects
//! edge, relationship, label and property writes and [`Batch::commit`]
//! publishes them at one version (see [`super::writes`]).
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
use super::snapshot::Edge;
use super::stamp::{LATEST, Stamp};
use super::versioned::{Publish, ReadAt, tag};
use super::writes::{Op, plan};
use super::{Direction, GraphCore, check_weight};
use crate::Value;
use crate::error::{Error, Result};
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
    /// Label and property writes collected.
    model_writes: usize,
    /// Those writes in order, kept for the log of a durable graph (`None`
    /// for one in memory).
    logged: Option<Vec<BatchWrite>>,
    /// What the batch changes, counted as it is built (relationships at commit).
    stats: WriteStats,
}

impl Batch {
    pub(crate) fn new(core: Arc<GraphCore>) -> Self {
        let publish = Some(core.model.begin(Arc::new(Stamp::default())));
        let logged = core.observed().then(Vec::new);
        let stats = WriteStats::default();
        Batch { core, ops: Vec::new(), publish, nodes: Vec::new(), model_writes: 0, logged, stats }
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
        let core = Arc::clone(&self.core);
        let node = w.node();
        let kept = self.logged.is_some().then(|| w.clone());
        let out = w.link(&core, self.publish())?;
        self.nodes.extend(node);
        self.model_writes += 1;
        if let (Some(log), Some(w)) = (self.logged.as_mut(), kept) {
            log.push(w);
        }
        Ok(out)
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
    fn has_relationship(&self, rel: u64) -> bool {
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
        if !self.has_relationship(rel) {
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
        self.core.live_slot(id)?;
        Ok(self.core.named_prop_at(tag::NODE_PROP, id, name, self.own()))
    }

    /// The properties of node `id` with the batch's writes applied, in name order.
    pub fn properties(&self, id: u64) -> Result<Vec<(String, Value)>> {
        self.core.live_slot(id)?;
        Ok(self.core.props_at(tag::NODE_PROP, id, self.own()))
    }

    /// The labels of node `id` with the batch's writes applied, in name order.
    pub fn node_labels(&self, id: u64) -> Result<Vec<String>> {
        self.core.live_slot(id)?;
        Ok(self.core.label_names_at(id, self.own()))
    }

    /// Property `name` of relationship `rel` with the batch's writes applied.
    pub fn rel_property(&self, rel: u64, name: &str) -> Option<Value> {
        self.core.named_prop_at(tag::REL_PROP, rel, name, self.own())
    }

    /// What the batch changes so far (relationships created and deleted are
    /// counted by [`commit_counted`](Self::commit_counted)).
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    fn check_nodes(&self, src: u64, dst: u64) -> Result<()> {
        self.core.live_slot(src)?;
        self.core.live_slot(dst).map(|_| ())
    }

    /// [`Graph::add_edge`](super::Graph::add_edge) within the batch.
    pub fn add_edge(&mut self, src: u64, dst: u64, edge_type: Option<&str>, weight: f64) -> Result<()> {
        let weight = check_weight(weight)?;
        self.check_nodes(src, dst)?;
        let ty = self.core.types.intern(edge_type);
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
        let ty = self.core.types.intern(rel_type);
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
        let snap = self.core.snapshot();
        let mut edges = snap.edges(node, dir)?;
        let types = &self.core.types;
        let live = |src: u64, dst: u64, ty: u32| {
            let name = types.name(ty).unwrap_or_default();
            let rels = snap.relationships(src, Direction::Out, Some(&name)).unwrap_or_default();
            rels.into_iter().filter(|e| e.dst == dst).map(|e| (e.id, e.weight)).collect()
        };
        for (src, w) in plan(&self.ops, live, |_| PENDING_ID)? {
            for (out, touches) in [(true, src == node), (false, w.other == node)] {
                let wanted = match dir {
                    Direction::Out => out,
                    Direction::In => !out,
                    Direction::Both => true,
                };
                if !(touches && wanted) {
                    continue;
                }
                let same = |e: &Edge| e.id == w.id && (e.src, e.dst) == (src, w.other) && (w.id != PENDING_ID);
                edges.retain(|e| !same(e));
                if !w.removed {
                    let edge_type = types.name(w.ty).unwrap_or_default();
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
        let applied = self.core.apply_logged(&self.ops, &nodes, Some((&mut publish, &logged)));
        // Publishes the entries, or (the cell still ABSENT) removes them.
        self.core.model.settle(&self.core, publish);
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
            // Never published: removes the batch's label and property entries.
            self.core.model.settle(&self.core, publish);
        }
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("writes", &self.len()).finish()
    }
}
