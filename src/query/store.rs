//! The query engine's only door to storage: every read the executor makes
//! on a snapshot and every write it makes, with the statistics they count.
//!
//! Reads go to a snapshot. A read query keeps one snapshot for its whole
//! run; a write query re-takes it after its writes, so that it reads what it
//! wrote. Writes keep an undo log: a query that fails is rolled back
//! ([`Store::rollback`]), so that it leaves the graph as it found it. Node
//! deletions wait for [`Store::commit`] (reads no longer see the nodes
//! meanwhile), since a deleted node's id cannot be given back (a deleted
//! relationship that a rollback recreates gets a new id). Relationships are
//! the graph's, with their ids; parallel ones are distinct.

use super::val::{RelRef, Val};
use crate::graph::{Direction, Graph, Snapshot, WriteStats};
use crate::{Error, Result, Value};
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

fn rel_ref(e: crate::graph::Edge) -> RelRef {
    RelRef { id: e.id, src: e.src, dst: e.dst, ty: Arc::from(e.edge_type) }
}

/// Storage as one query sees it.
pub struct Store<'g> {
    graph: &'g Graph,
    snap: Snapshot,
    /// Writes since the snapshot was taken.
    dirty: bool,
    /// What this query's writes changed.
    pub stats: WriteStats,
    /// How to take back each write so far, oldest first.
    undo: Vec<Undo>,
    /// Nodes deleted by this query, removed at commit.
    deleted: BTreeSet<u64>,
    /// Relationships deleted by this query.
    deleted_rels: BTreeSet<u64>,
}

/// The inverse of one write.
enum Undo {
    /// Remove the node created.
    Node(u64),
    /// Remove the relationship created.
    Rel(RelRef),
    /// Restore a node property.
    NodeProp(u64, String, Value),
    /// Restore a relationship property.
    RelProp(u64, String, Value),
    /// Remove the label added.
    AddedLabel(u64, String),
    /// Add back the label removed.
    RemovedLabel(u64, String),
    /// Recreate the relationship deleted, with its weight and properties.
    DeletedRel(RelRef, f64, Vec<(String, Value)>),
    /// Drop (`true`) or re-create the index.
    Index(String, String, bool),
}

impl<'g> Store<'g> {
    /// A store reading `graph` as of now.
    pub fn new(graph: &'g Graph) -> Self {
        Store {
            snap: graph.snapshot(),
            graph,
            dirty: false,
            stats: WriteStats::default(),
            undo: Vec::new(),
            deleted: BTreeSet::new(),
            deleted_rels: BTreeSet::new(),
        }
    }

    /// The snapshot reads go to, re-taken after writes.
    pub fn snap(&mut self) -> &Snapshot {
        if self.dirty {
            self.snap = self.graph.snapshot();
            self.dirty = false;
        }
        &self.snap
    }

    // ---- reads ----

    /// Every node, in id order.
    pub fn all_nodes(&mut self) -> Vec<u64> {
        self.snap();
        let (s, deleted) = (&self.snap, &self.deleted);
        (0..s.node_count()).filter(|&id| s.contains_node(id) && !deleted.contains(&id)).collect()
    }

    /// Whether node `id` exists (and this query has not deleted it).
    pub fn node_exists(&mut self, id: u64) -> bool {
        !self.deleted.contains(&id) && self.snap().contains_node(id)
    }

    /// Whether this query deleted node `id`.
    pub fn is_deleted(&self, id: u64) -> bool {
        self.deleted.contains(&id)
    }

    /// Whether this query deleted relationship `r`.
    pub fn is_deleted_rel(&self, r: &RelRef) -> bool {
        self.deleted_rels.contains(&r.id)
    }

    /// The nodes with `label`, in id order.
    pub fn nodes_with_label(&mut self, label: &str) -> Vec<u64> {
        let mut ids = self.snap().nodes_with_label(label);
        ids.retain(|id| !self.deleted.contains(id));
        ids
    }

    /// Whether an index on (`label`, `prop`) exists.
    pub fn has_index(&self, label: &str, prop: &str) -> bool {
        self.graph.indexes().iter().any(|(l, p)| l == label && p == prop)
    }

    /// Nodes with `label` whose `prop` equals `value`, through the index.
    pub fn index_lookup(&mut self, label: &str, prop: &str, value: &Value) -> Result<Vec<u64>> {
        self.snap().index_lookup(label, prop, value)
    }

    /// Nodes with `label` whose `prop` lies between the bounds, through the index.
    pub fn index_range(&mut self, label: &str, prop: &str, lo: Bound<&Value>, hi: Bound<&Value>) -> Result<Vec<u64>> {
        self.snap().index_range(label, prop, lo, hi)
    }

    /// The labels of node `id`, in name order (none if it is gone).
    pub fn labels(&mut self, id: u64) -> Vec<String> {
        self.snap().node_labels(id).unwrap_or_default()
    }

    /// Whether node `id` has `label`.
    pub fn has_label(&mut self, id: u64, label: &str) -> bool {
        self.snap().has_label(id, label).unwrap_or(false)
    }

    /// Property `name` of node `id` (null if unset).
    pub fn node_prop(&mut self, id: u64, name: &str) -> Val {
        self.snap().property_value(id, name).ok().flatten().map(Val::from_value).unwrap_or_default()
    }

    /// The properties of node `id`, in name order.
    pub fn node_props(&mut self, id: u64) -> Vec<(String, Value)> {
        self.snap().properties(id).unwrap_or_default()
    }

    /// Property `name` of relationship `r` (null if unset).
    pub fn rel_prop(&mut self, r: &RelRef, name: &str) -> Val {
        self.snap().rel_property(r.id, name).map(Val::from_value).unwrap_or_default()
    }

    /// The properties of relationship `r`, in name order.
    pub fn rel_props(&mut self, r: &RelRef) -> Vec<(String, Value)> {
        self.snap().rel_properties(r.id)
    }

    /// The weight of relationship `r`, if it exists.
    fn rel_weight(&mut self, r: &RelRef) -> Option<f64> {
        self.snap().relationship(r.id).map(|e| e.weight)
    }

    /// The relationships at `node` in direction `dir` whose type is one of
    /// `types` (any if empty); a loop appears once.
    pub fn rels(&mut self, node: u64, dir: Direction, types: &[String]) -> Vec<RelRef> {
        let Ok(edges) = self.snap().edges(node, dir) else { return Vec::new() };
        let mut out: Vec<RelRef> = Vec::with_capacity(edges.len());
        for e in edges {
            if !types.is_empty() && !types.contains(&e.edge_type) {
                continue;
            }
            if dir == Direction::Both && e.src == e.dst && out.iter().any(|r| r.id == e.id) {
                continue;
            }
            out.push(rel_ref(e));
        }
        out
    }

    /// Every relationship, by start node.
    pub fn all_rels(&mut self) -> Vec<RelRef> {
        let nodes = self.all_nodes();
        nodes.into_iter().flat_map(|n| self.rels(n, Direction::Out, &[])).collect()
    }

    /// The label, relationship type and property names in use.
    pub fn names(&mut self) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
        let (mut labels, mut types, mut keys) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for n in self.all_nodes() {
            labels.extend(self.labels(n));
            keys.extend(self.node_props(n).into_iter().map(|p| p.0));
        }
        for r in self.all_rels() {
            keys.extend(self.rel_props(&r).into_iter().map(|p| p.0));
            types.insert(r.ty.to_string());
        }
        (labels, types, keys)
    }

    /// The graph's snapshot for the analytics kernels.
    pub fn kernels(&mut self) -> &Snapshot {
        self.snap()
    }

    /// The declared indexes as (label, property).
    pub fn indexes(&self) -> Vec<(String, String)> {
        self.graph.indexes()
    }

    // ---- writes ----

    fn wrote(&mut self, undo: Undo) {
        self.dirty = true;
        self.undo.push(undo);
    }

    /// Creates a node with `labels` and `props`; returns its id.
    pub fn create_node(&mut self, labels: &[String], props: &[(String, Value)]) -> Result<u64> {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let id = self.graph.counted(&mut self.stats).add_node(&labels)?;
        self.wrote(Undo::Node(id));
        for (k, v) in props {
            if !matches!(v, Value::Null) {
                self.graph.counted(&mut self.stats).set_property(id, k, v.clone())?;
            }
        }
        Ok(id)
    }

    /// Creates relationship `src -[ty]-> dst` with `props` (a numeric
    /// `weight` property is also the weight the kernels read).
    pub fn create_rel(&mut self, src: u64, dst: u64, ty: &str, props: &[(String, Value)]) -> Result<RelRef> {
        let weight = props
            .iter()
            .find_map(|(k, v)| match (k.as_str(), v) {
                ("weight", Value::Int(i)) => Some(*i as f64),
                ("weight", Value::Float(f)) if !f.is_nan() => Some(*f),
                _ => None,
            })
            .unwrap_or(1.0);
        let id = self.graph.create_relationship(src, dst, Some(ty), weight)?;
        self.stats.relationships_created += 1;
        let r = RelRef { id, src, dst, ty: Arc::from(ty) };
        self.wrote(Undo::Rel(r.clone()));
        for (k, v) in props {
            if !matches!(v, Value::Null) {
                self.graph.counted(&mut self.stats).set_rel_property(r.id, k, v.clone())?;
            }
        }
        Ok(r)
    }

    /// Sets (null: removes) property `name` of node `id`.
    pub fn set_node_prop(&mut self, id: u64, name: &str, v: Value) -> Result<()> {
        let old = self.node_prop(id, name).to_value().unwrap_or_default();
        self.graph.counted(&mut self.stats).set_property(id, name, v)?;
        self.wrote(Undo::NodeProp(id, name.to_string(), old));
        Ok(())
    }

    /// Sets (null: removes) property `name` of relationship `r`.
    pub fn set_rel_prop(&mut self, r: &RelRef, name: &str, v: Value) -> Result<()> {
        let old = self.rel_prop(r, name).to_value().unwrap_or_default();
        self.graph.counted(&mut self.stats).set_rel_property(r.id, name, v)?;
        self.wrote(Undo::RelProp(r.id, name.to_string(), old));
        Ok(())
    }

    /// Adds `label` to node `id`.
    pub fn add_label(&mut self, id: u64, label: &str) -> Result<()> {
        if self.graph.counted(&mut self.stats).add_label(id, label)? {
            self.wrote(Undo::AddedLabel(id, label.to_string()));
        }
        Ok(())
    }

    /// Removes `label` from node `id`.
    pub fn remove_label(&mut self, id: u64, label: &str) -> Result<()> {
        if self.graph.counted(&mut self.stats).remove_label(id, label)? {
            self.wrote(Undo::RemovedLabel(id, label.to_string()));
        }
        Ok(())
    }

    /// Deletes relationship `r` and its properties (nothing if it is gone).
    pub fn delete_rel(&mut self, r: &RelRef) -> Result<()> {
        let Some(weight) = self.rel_weight(r) else { return Ok(()) };
        let props = self.graph.rel_properties(r.id);
        for (k, _) in &props {
            self.graph.remove_rel_property(r.id, k)?;
        }
        self.graph.remove_relationship(r.id)?;
        self.stats.relationships_deleted += 1;
        self.deleted_rels.insert(r.id);
        self.wrote(Undo::DeletedRel(r.clone(), weight, props));
        Ok(())
    }

    /// Deletes node `id` (at commit; reads stop seeing it now); with
    /// `detach` its relationships first, else it must have none. A node
    /// already gone is no error.
    pub fn delete_node(&mut self, id: u64, detach: bool) -> Result<()> {
        if !self.node_exists(id) {
            return Ok(());
        }
        let rels = self.rels(id, Direction::Both, &[]);
        if !rels.is_empty() && !detach {
            return Err(Error::invalid(
                "ConstraintVerificationFailed: cannot delete a node that has relationships; use DETACH DELETE",
            ));
        }
        for r in &rels {
            self.delete_rel(r)?;
        }
        self.deleted.insert(id);
        Ok(())
    }

    /// Declares an index; false if it existed.
    pub fn create_index(&mut self, label: &str, prop: &str) -> Result<bool> {
        let created = self.graph.create_index(label, prop)?;
        if created {
            self.wrote(Undo::Index(label.to_string(), prop.to_string(), true));
        }
        Ok(created)
    }

    /// Drops an index; false if there was none.
    pub fn drop_index(&mut self, label: &str, prop: &str) -> Result<bool> {
        let dropped = self.graph.drop_index(label, prop)?;
        if dropped {
            self.wrote(Undo::Index(label.to_string(), prop.to_string(), false));
        }
        Ok(dropped)
    }

    /// Makes the query's writes final: removes the nodes it deleted.
    pub fn commit(&mut self) -> Result<()> {
        for id in std::mem::take(&mut self.deleted) {
            self.graph.counted(&mut self.stats).remove_node(id)?;
        }
        self.undo.clear();
        Ok(())
    }

    /// Takes back every write of the query, newest first, so that a failed
    /// query leaves the graph as it found it (readers may have seen the
    /// writes meanwhile).
    pub fn rollback(&mut self) {
        let g = self.graph;
        self.deleted.clear();
        self.deleted_rels.clear();
        // Undoing writes this query made itself cannot meet a missing entity,
        // so the outcomes carry nothing to report.
        for u in std::mem::take(&mut self.undo).into_iter().rev() {
            let _ = match u {
                Undo::Node(id) => g.remove_node(id),
                Undo::Rel(r) => {
                    for (k, _) in g.rel_properties(r.id) {
                        let _ = g.remove_rel_property(r.id, &k);
                    }
                    g.remove_relationship(r.id)
                }
                Undo::NodeProp(id, k, v) => g.set_property_value(id, &k, v),
                Undo::RelProp(id, k, v) => g.set_rel_property(id, &k, v),
                Undo::AddedLabel(id, l) => g.remove_label(id, &l).map(drop),
                Undo::RemovedLabel(id, l) => g.add_label(id, &l).map(drop),
                // The relationship comes back under a new id.
                Undo::DeletedRel(r, w, props) => g
                    .create_relationship(r.src, r.dst, Some(&r.ty), w)
                    .and_then(|id| props.into_iter().try_for_each(|(k, v)| g.set_rel_property(id, &k, v))),
                Undo::Index(l, p, true) => g.drop_index(&l, &p).map(drop),
                Undo::Index(l, p, false) => g.create_index(&l, &p).map(drop),
            };
        }
        self.stats = WriteStats::default();
        self.dirty = true;
    }
}
