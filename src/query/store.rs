//! The query engine's only door to storage: every read the executor makes
//! and every write it makes, with the statistics they count.
//!
//! A query reads one snapshot until its first write. That write opens a
//! graph [`Batch`], which takes every later write of the query and serves
//! its reads (the committed graph with the query's own writes, as Neo4j's
//! read-committed transactions read): the query's writes are invisible to
//! everyone else until [`Store::commit`] publishes them at one version, and
//! a query that fails drops the batch ([`Store::rollback`]), leaving
//! nothing behind. The analytics procedures read the committed graph.
//! Relationships are the graph's, with their ids; parallel ones are distinct.

use super::val::{RelRef, Val};
use crate::graph::{Batch, Direction, Graph, Snapshot, WriteStats};
use crate::{Error, Result, Value};
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

fn rel_ref(e: crate::graph::Edge) -> Arc<RelRef> {
    Arc::new(RelRef { id: e.id, src: e.src, dst: e.dst, ty: Arc::from(e.edge_type) })
}

/// A node's relationships as [`Store::rels`] lists them: shared with the
/// store's cache, each one ready to be a [`Val::Rel`] without a copy.
pub type Rels = Arc<[Arc<RelRef>]>;

/// Storage as one query sees it.
pub struct Store<'g> {
    graph: &'g Graph,
    snap: Snapshot,
    /// The query's writes, once it has made one.
    batch: Option<Batch>,
    /// What this query's writes changed (the batch's writes are added at commit).
    pub stats: WriteStats,
    /// Nodes deleted by this query.
    deleted: BTreeSet<u64>,
    /// Relationships deleted by this query.
    deleted_rels: BTreeSet<u64>,
    /// Relationship type names by interned id, as read so far.
    type_names: Vec<Option<Arc<str>>>,
    /// The last [`rels`](Self::rels) answer read from the snapshot, with
    /// its question: a pattern predicate such as `NOT (p)-[:FRIEND]->(f)`
    /// asks the same one for every candidate `f`.
    last_rels: Option<(u64, Direction, Vec<String>, Rels)>,
    /// Node properties read ahead from the snapshot, per property name.
    readahead: Vec<Readahead>,
}

/// How many ids a read-ahead run covers.
const RUN: u64 = 256;
/// How many property reads in increasing id order, each at most
/// [`NEAR`] past the one before, start read-ahead.
const STREAK: u32 = 8;
/// How far apart two reads still count as sequential.
const NEAR: u64 = 16;
/// How many property names keep a read-ahead run at once.
const NAMES: usize = 4;

/// One property's values read ahead for a run of node ids, and the pattern
/// of reads that decides whether to read ahead: a query that reads a
/// property of nodes in increasing id order (a label scan) takes one map
/// scan per [`RUN`] ids instead of one descent per node; reads in any other
/// order take one lookup each, as before.
struct Readahead {
    name: String,
    /// The last id read, and how many sequential reads led up to it.
    last: u64,
    streak: u32,
    /// The ids covered, and the values of those that have the property.
    ids: std::ops::Range<u64>,
    values: Vec<(u64, Value)>,
}

impl<'g> Store<'g> {
    /// A store reading `graph` as of now.
    pub fn new(graph: &'g Graph) -> Self {
        Store {
            snap: graph.snapshot(),
            graph,
            batch: None,
            stats: WriteStats::default(),
            deleted: BTreeSet::new(),
            deleted_rels: BTreeSet::new(),
            type_names: Vec::new(),
            last_rels: None,
            readahead: Vec::new(),
        }
    }

    /// The query's batch, opened at its first write.
    fn batch(&mut self) -> &mut Batch {
        self.batch.get_or_insert_with(|| self.graph.batch())
    }

    // ---- reads ----

    /// Every node, in id order.
    pub fn all_nodes(&mut self) -> Vec<u64> {
        match &self.batch {
            Some(b) => b.nodes(),
            None => (0..self.snap.node_count()).filter(|&id| self.snap.contains_node(id)).collect(),
        }
    }

    /// Whether node `id` exists (and this query has not deleted it).
    pub fn node_exists(&mut self, id: u64) -> bool {
        match &self.batch {
            Some(b) => b.contains_node(id),
            None => self.snap.contains_node(id),
        }
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
        match &self.batch {
            Some(b) => b.nodes_with_label(label),
            None => self.snap.nodes_with_label(label),
        }
    }

    /// Whether an index on (`label`, `prop`) exists.
    pub fn has_index(&self, label: &str, prop: &str) -> bool {
        self.graph.indexes().iter().any(|(l, p)| l == label && p == prop)
    }

    /// Nodes with `label` whose `prop` equals `value`, through the index,
    /// and whether that is exactly the answer (`false`: a superset that
    /// the caller checks — the batch's label when the index is younger than
    /// the batch). The index holds each value's order key, so a seek is
    /// exact for values that equal whatever shares their key: booleans,
    /// integers, strings and floats but NaN (which [`IndexRead::lookup`]
    /// never finds); lists and maps may hold nulls, which never compare equal.
    pub fn index_lookup(&mut self, label: &str, prop: &str, value: &Value) -> Result<(Vec<u64>, bool)> {
        let exact_kind = match value {
            Value::Bool(_) | Value::Int(_) | Value::String(_) => true,
            Value::Float(f) => !f.is_nan(),
            _ => false,
        };
        match &self.batch {
            Some(b) => Ok(match b.index_lookup(label, prop, value) {
                Ok(ids) => (ids, exact_kind),
                Err(_) => (b.nodes_with_label(label), false),
            }),
            None => Ok((self.snap.index_lookup(label, prop, value)?, exact_kind)),
        }
    }

    /// Nodes with `label` whose `prop` lies between the bounds, through the
    /// index (a superset, as for [`index_lookup`](Self::index_lookup)). An
    /// index built after the query's batch opened lacks its earlier writes:
    /// the batch's reads then scan the label instead.
    pub fn index_range(&mut self, label: &str, prop: &str, lo: Bound<&Value>, hi: Bound<&Value>) -> Result<Vec<u64>> {
        match &self.batch {
            Some(b) => Ok(b.index_range(label, prop, lo, hi).unwrap_or_else(|_| b.nodes_with_label(label))),
            None => self.snap.index_range(label, prop, lo, hi),
        }
    }

    /// The labels of node `id`, in name order (none if it is gone).
    pub fn labels(&mut self, id: u64) -> Vec<String> {
        match &self.batch {
            Some(b) => b.node_labels(id),
            None => self.snap.node_labels(id),
        }
        .unwrap_or_default()
    }

    /// Whether node `id` has `label`.
    pub fn has_label(&mut self, id: u64, label: &str) -> bool {
        match &self.batch {
            Some(b) => b.node_labels(id).is_ok_and(|l| l.iter().any(|l| l == label)),
            None => self.snap.has_label(id, label).unwrap_or(false),
        }
    }

    /// Property `name` of node `id` (null if unset).
    pub fn node_prop(&mut self, id: u64, name: &str) -> Val {
        let v = match &self.batch {
            Some(b) => b.property_value(id, name),
            None => return self.snapshot_prop(id, name),
        };
        v.ok().flatten().map(Val::from_value).unwrap_or_default()
    }

    /// Property `name` of node `id` in the snapshot, read ahead when the
    /// query reads it in increasing id order (see [`Readahead`]).
    fn snapshot_prop(&mut self, id: u64, name: &str) -> Val {
        let i = match self.readahead.iter().position(|r| r.name == name) {
            Some(i) => i,
            None => {
                if self.readahead.len() == NAMES {
                    self.readahead.remove(0);
                }
                let fresh = Readahead { name: name.to_string(), last: 0, streak: 0, ids: 0..0, values: Vec::new() };
                self.readahead.push(fresh);
                self.readahead.len() - 1
            }
        };
        let r = &mut self.readahead[i];
        r.streak = if id > r.last && id - r.last <= NEAR { r.streak + 1 } else { 0 };
        r.last = id;
        if !r.ids.contains(&id) && r.streak >= STREAK {
            r.ids = id..id.saturating_add(RUN);
            r.values = self.snap.property_run(id, r.ids.end - 1, name);
        }
        if !r.ids.contains(&id) {
            return self.snap.property_value(id, name).ok().flatten().map(Val::from_value).unwrap_or_default();
        }
        match r.values.binary_search_by_key(&id, |v| v.0) {
            Ok(at) if self.snap.contains_node(id) => Val::from_value(r.values[at].1.clone()),
            _ => Val::Null,
        }
    }

    /// The properties of node `id`, in name order.
    pub fn node_props(&mut self, id: u64) -> Vec<(String, Value)> {
        match &self.batch {
            Some(b) => b.properties(id),
            None => self.snap.properties(id),
        }
        .unwrap_or_default()
    }

    /// Property `name` of relationship `r` (null if unset).
    pub fn rel_prop(&mut self, r: &RelRef, name: &str) -> Val {
        let v = match &self.batch {
            Some(b) => b.rel_property(r.id, name),
            None => self.snap.rel_property(r.id, name),
        };
        v.map(Val::from_value).unwrap_or_default()
    }

    /// The properties of relationship `r`, in name order.
    pub fn rel_props(&mut self, r: &RelRef) -> Vec<(String, Value)> {
        match &self.batch {
            Some(b) => b.rel_properties(r.id),
            None => self.snap.rel_properties(r.id),
        }
    }

    /// The relationships at `node` in direction `dir` whose type is one of
    /// `types` (any if empty); a loop appears once.
    pub fn rels(&mut self, node: u64, dir: Direction, types: &[String]) -> Rels {
        let mut out: Vec<Arc<RelRef>> = Vec::new();
        // A loop is listed on both sides for `Both`: keep it once.
        let fresh = |out: &[Arc<RelRef>], src: u64, dst: u64, id: u64| {
            dir != Direction::Both || src != dst || out.iter().all(|r| r.id != id)
        };
        if let Some(b) = &self.batch {
            for e in b.edges(node, dir).unwrap_or_default() {
                if (types.is_empty() || types.contains(&e.edge_type)) && fresh(&out, e.src, e.dst, e.id) {
                    out.push(rel_ref(e));
                }
            }
            return out.into();
        }
        if let Some((n, d, t, rels)) = &self.last_rels
            && (*n, *d, t.as_slice()) == (node, dir, types)
        {
            return Arc::clone(rels);
        }
        let Ok(edges) = self.snap.edges_typed(node, dir) else { return out.into() };
        let wanted: Vec<u32> = types.iter().filter_map(|t| self.snap.type_id(t)).collect();
        out.reserve(edges.len());
        for e in edges {
            if (types.is_empty() || wanted.contains(&e.ty)) && fresh(&out, e.src, e.dst, e.id) {
                let ty = self.type_name(e.ty);
                out.push(Arc::new(RelRef { id: e.id, src: e.src, dst: e.dst, ty }));
            }
        }
        let out: Rels = out.into();
        self.last_rels = Some((node, dir, types.to_vec(), Arc::clone(&out)));
        out
    }

    /// The name of interned relationship type `ty`, shared: looked up once per query.
    fn type_name(&mut self, ty: u32) -> Arc<str> {
        let at = ty as usize;
        if self.type_names.len() <= at {
            self.type_names.resize(at + 1, None);
        }
        let snap = &self.snap;
        Arc::clone(self.type_names[at].get_or_insert_with(|| Arc::from(snap.type_name(ty))))
    }

    /// Every relationship, by start node.
    pub fn all_rels(&mut self) -> Vec<Arc<RelRef>> {
        let nodes = self.all_nodes();
        nodes.into_iter().flat_map(|n| self.rels(n, Direction::Out, &[]).to_vec()).collect()
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

    /// A snapshot of the committed graph for the analytics kernels (the
    /// query's own writes are not in it).
    pub fn kernels(&mut self) -> &Snapshot {
        &self.snap
    }

    /// The declared indexes as (label, property).
    pub fn indexes(&self) -> Vec<(String, String)> {
        self.graph.indexes()
    }

    // ---- writes ----

    /// Creates a node with `labels` and `props`; returns its id.
    pub fn create_node(&mut self, labels: &[String], props: &[(String, Value)]) -> Result<u64> {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let b = self.batch();
        let id = b.add_node(&labels)?;
        for (k, v) in props.iter().filter(|(_, v)| !matches!(v, Value::Null)) {
            b.set_property_value(id, k, v.clone())?;
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
        let b = self.batch();
        let id = b.create_relationship(src, dst, Some(ty), weight)?;
        for (k, v) in props.iter().filter(|(_, v)| !matches!(v, Value::Null)) {
            b.set_rel_property(id, k, v.clone())?;
        }
        Ok(RelRef { id, src, dst, ty: Arc::from(ty) })
    }

    /// Sets (null: removes) property `name` of node `id`.
    pub fn set_node_prop(&mut self, id: u64, name: &str, v: Value) -> Result<()> {
        self.batch().set_property_value(id, name, v)
    }

    /// Sets (null: removes) property `name` of relationship `r`.
    pub fn set_rel_prop(&mut self, r: &RelRef, name: &str, v: Value) -> Result<()> {
        self.batch().set_rel_property(r.id, name, v)
    }

    /// Adds `label` to node `id`.
    pub fn add_label(&mut self, id: u64, label: &str) -> Result<()> {
        self.batch().add_label(id, label).map(drop)
    }

    /// Removes `label` from node `id`.
    pub fn remove_label(&mut self, id: u64, label: &str) -> Result<()> {
        self.batch().remove_label(id, label).map(drop)
    }

    /// Deletes relationship `r` and its properties (nothing if it is gone).
    pub fn delete_rel(&mut self, r: &RelRef) -> Result<()> {
        let b = self.batch();
        if b.contains_relationship(r.id) {
            b.remove_relationship(r.id)?;
            self.deleted_rels.insert(r.id);
        }
        Ok(())
    }

    /// Deletes node `id`; with `detach` its relationships too, else it
    /// must have none. A node already gone is no error.
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
        self.deleted_rels.extend(rels.iter().map(|r| r.id));
        self.batch().remove_node(id)?;
        self.deleted.insert(id);
        Ok(())
    }

    /// Declares an index; false if it existed. Schema commands apply at
    /// once, outside the query's batch.
    pub fn create_index(&mut self, label: &str, prop: &str) -> Result<bool> {
        self.graph.create_index(label, prop)
    }

    /// Drops an index; false if there was none.
    pub fn drop_index(&mut self, label: &str, prop: &str) -> Result<bool> {
        self.graph.drop_index(label, prop)
    }

    /// Publishes the query's writes at one version (or, failing, none of them).
    pub fn commit(&mut self) -> Result<()> {
        match self.batch.take() {
            Some(b) => self.graph.counted(&mut self.stats).commit(b),
            None => Ok(()),
        }
    }

    /// Drops the query's writes: nobody ever saw them.
    pub fn rollback(&mut self) {
        self.batch = None;
        self.stats = WriteStats::default();
    }
}
