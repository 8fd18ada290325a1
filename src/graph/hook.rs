//! The write-observer hook through which the engine's durability layer sees
//! every acknowledged graph write. The graph knows nothing of files: without
//! an observer (an engine without a path) a write costs one load more.

use super::stamp::Stamp;
use super::versioned::{Publish, ReadAt, key, prefix_end, tag};
use super::writes::{Applied, BatchParts, Op};
use super::{Graph, GraphCore, Snapshot};
use crate::Value;
use crate::error::{Error, Result};
use std::cell::OnceCell;
use std::sync::{Arc, MutexGuard};

/// One acknowledged graph write, as the public call that made it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GraphWrite<'a> {
    /// `add_nodes(count, label)` returned `first`.
    AddNodes { first: u64, count: u64, label: Option<&'a str> },
    /// `remove_node(id)`.
    RemoveNode { id: u64 },
    /// `add_label(id, label)` or, with `add` false, `remove_label`.
    Label { id: u64, label: &'a str, add: bool },
    /// `set_property_value(id, name, value)` (null: removed).
    NodeProperty { id: u64, name: &'a str, value: &'a Value },
    /// `set_rel_property(rel, name, value)` (null: removed).
    RelProperty { rel: u64, name: &'a str, value: &'a Value },
    /// `clear_rel_properties(rel)`.
    ClearRelProperties { rel: u64 },
    /// `add_edge`, `remove_edge`, `create_relationship`,
    /// `remove_relationship` (one op each, `batch` `None`) or a committed
    /// batch (its ops in order, and in `batch` its label and property
    /// writes in order): each op with its type's name, and `fresh`, the ids
    /// that the `add_edge`s which created a relationship gave it, in order.
    Edges { ops: &'a [(Op, String)], fresh: &'a [u64], batch: Option<&'a [BatchWrite]> },
    /// `load_edges(src, dst, weights, ty)`.
    LoadEdges { src: &'a [u64], dst: &'a [u64], weights: Option<&'a [f64]>, ty: Option<&'a str> },
    /// `create_index(label, prop)` or, with `create` false, `drop_index`.
    Index { label: &'a str, prop: &'a str, create: bool },
}

/// A node, label or property write of a batch, as the batch call that made it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BatchWrite {
    /// `add_node` returned `id`, created with `label` ("" for none; its
    /// other labels follow as label writes).
    AddNode { id: u64, label: String },
    /// `remove_node(id)` (its relationships' removals are the batch's ops).
    RemoveNode { id: u64 },
    /// `add_label(id, label)` or, with `add` false, `remove_label`.
    Label { id: u64, label: String, add: bool },
    /// `set_property_value(id, name, value)` (null: removed).
    NodeProperty { id: u64, name: String, value: Value },
    /// `set_rel_property(rel, name, value)` (null: removed).
    RelProperty { rel: u64, name: String, value: Value },
}

impl BatchWrite {
    /// The node the write touches, if any (checked live at commit).
    pub(super) fn node(&self) -> Option<u64> {
        match *self {
            BatchWrite::Label { id, .. } | BatchWrite::NodeProperty { id, .. } => Some(id),
            BatchWrite::RelProperty { .. } | BatchWrite::AddNode { .. } | BatchWrite::RemoveNode { .. } => None,
        }
    }

    /// Links the write under `publish` (a batch's); returns what the call
    /// returns: whether the label was added or removed, or the property set
    /// before (a node's creation and removal link at commit: true).
    pub(super) fn link(self, core: &GraphCore, publish: &mut Publish) -> Result<bool> {
        match self {
            BatchWrite::AddNode { .. } | BatchWrite::RemoveNode { .. } => Ok(true),
            BatchWrite::Label { id, label, add: true } => core.add_label_in(id, &label, Some(publish)),
            BatchWrite::Label { id, label, add: false } => core.remove_label_in(id, &label, Some(publish)),
            BatchWrite::NodeProperty { id, name, value } => {
                core.set_prop_in(tag::NODE_PROP, id, &name, value, Some(publish))
            }
            BatchWrite::RelProperty { rel, name, value } => {
                core.set_prop_in(tag::REL_PROP, rel, &name, value, Some(publish))
            }
        }
    }
}

/// Receives every acknowledged graph write, in the order they applied.
pub(crate) trait GraphObserver: Send + Sync {
    /// Refuses writes once the observer can no longer record them.
    fn check(&self) -> Result<()>;
    /// The lock that orders graph writes: held while a write applies and is
    /// recorded, so that records follow the order of application (and no
    /// record precedes one it depends on).
    fn order(&self) -> MutexGuard<'_, ()>;
    /// Records `write`; returns a ticket for [`wait`](Self::wait).
    fn record(&self, write: &GraphWrite<'_>) -> Result<u64>;
    /// Returns once the record of `ticket` is as durable as the policy asks.
    fn wait(&self, ticket: u64) -> Result<()>;
}

impl GraphCore {
    /// Whether a durability observer records this graph's writes.
    pub(super) fn observed(&self) -> bool {
        self.hook.get().is_some()
    }

    /// Runs `apply` and, under an observer, records the write `describe`
    /// names for its result, in order, before returning.
    pub(super) fn logged<'w, T>(
        &self,
        apply: impl FnOnce() -> Result<T>,
        describe: impl FnOnce(&T) -> GraphWrite<'w>,
    ) -> Result<T> {
        let Some(hook) = self.hook.get() else { return apply() };
        hook.check()?;
        let order = hook.order();
        let out = apply()?;
        let ticket = hook.record(&describe(&out))?;
        drop(order);
        hook.wait(ticket)?;
        Ok(out)
    }

    /// Applies the edge and relationship writes `ops` (see
    /// [`apply`](Self::apply); `batch`: a batch's parts and its node, label
    /// and property writes) and, under an observer, records them as one
    /// [`GraphWrite::Edges`] with the ids they created.
    pub(super) fn apply_logged(
        self: &Arc<Self>,
        ops: &[Op],
        batch: Option<(BatchParts<'_>, &[BatchWrite])>,
    ) -> Result<Applied> {
        let (parts, writes) = batch.map_or((None, None), |(p, w)| (Some(p), Some(w)));
        if !self.observed() {
            return self.apply(ops, parts, &mut |src| self.rels.create(src));
        }
        let named: Vec<(Op, String)> =
            ops.iter().map(|op| (*op, self.types.name(op.ty()).unwrap_or_default())).collect();
        let fresh = OnceCell::new();
        let apply = || {
            let mut ids = Vec::new();
            let applied = self.apply(ops, parts, &mut |src| {
                let id = self.rels.create(src);
                ids.push(id);
                id
            });
            // Filled even on failure: `logged` records nothing then.
            let _ = fresh.set(ids);
            applied
        };
        let describe = |_: &Applied| GraphWrite::Edges {
            ops: &named,
            fresh: fresh.get().map_or(&[], Vec::as_slice),
            batch: writes,
        };
        self.logged(apply, describe)
    }
}

/// The type named `ty` as the write calls take it ("" is no type).
fn type_name(ty: &str) -> Option<&str> {
    (!ty.is_empty()).then_some(ty)
}

impl Graph {
    /// Attaches the observer of every later write; false if one is attached.
    pub(crate) fn observe(&self, hook: Arc<dyn GraphObserver>) -> bool {
        self.core.hook.set(hook).is_ok()
    }

    /// Replays a [`GraphWrite::Edges`] record (`ops` with their types by
    /// name) during recovery: relationships get the ids logged for them and
    /// a batch (`batch`: its label and property writes) applies at one
    /// version, all or nothing.
    pub(crate) fn replay_edges(&self, ops: &[(Op, String)], fresh: &[u64], batch: Option<&[BatchWrite]>) -> Result<()> {
        let core = &self.core;
        let mut resolved = Vec::with_capacity(ops.len());
        for (op, ty) in ops {
            let ty = match op {
                Op::Upsert { .. } | Op::Create { .. } => core.types.intern(type_name(ty)),
                Op::RemoveKey { .. } | Op::RemoveId { .. } => {
                    core.types.find(type_name(ty)).ok_or_else(|| Error::not_found(format!("no type {ty:?}")))?
                }
            };
            resolved.push(op.with_ty(ty));
        }
        for op in &resolved {
            if let Op::Create { src, id, .. } = *op {
                core.rels.create_at(id, src);
            }
        }
        let mut publish = batch.map(|_| core.model.begin(Arc::new(Stamp::default())));
        let (mut nodes, mut created, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        if let (Some(p), Some(writes)) = (publish.as_mut(), batch) {
            for w in writes {
                nodes.extend(w.node());
                let linked = match *w {
                    BatchWrite::AddNode { id, ref label } => {
                        core.create_linked_at(id, p.stamp(), type_name(label)).map(|()| created.push(id))
                    }
                    BatchWrite::RemoveNode { id } => {
                        removed.push(id);
                        Ok(())
                    }
                    _ => w.clone().link(core, p).map(drop),
                };
                if let Err(e) = linked {
                    // Never published: removes what was linked.
                    core.finish_batch(false, publish.take().expect("the batch's publish"), &created, &[]);
                    return Err(e);
                }
            }
        }
        for ids in [&mut nodes, &mut created, &mut removed] {
            ids.sort_unstable();
            ids.dedup();
        }
        let mut logged = fresh.iter();
        let mut short = false;
        let parts =
            publish.as_mut().map(|publish| BatchParts { publish, nodes: &nodes, created: &created, removed: &removed });
        let applied = core.apply(&resolved, parts, &mut |src| match logged.next() {
            Some(&id) => {
                core.rels.create_at(id, src);
                id
            }
            None => {
                short = true;
                core.rels.create(src)
            }
        });
        if let Some(p) = publish {
            core.finish_batch(applied.is_ok(), p, &created, &removed);
        }
        applied?;
        if short || logged.next().is_some() {
            return Err(Error::invalid("the relationships created differ from the logged ids"));
        }
        Ok(())
    }

    /// Recovery's bulk load of relationships with their ids, into a graph
    /// without edges: relationship `i` is `src[i] -> dst[i]` of type
    /// `names[types[i]]` ("" for none). Never edge by edge.
    pub(crate) fn restore_relationships(
        &self,
        names: &[String],
        (src, dst, types): (&[u64], &[u64], &[u32]),
        weights: &[f64],
        ids: &[u64],
    ) -> Result<()> {
        let interned: Vec<u32> = names.iter().map(|n| self.core.types.intern(type_name(n))).collect();
        let types = types
            .iter()
            .map(|&t| interned.get(t as usize).copied().ok_or_else(|| Error::invalid(format!("no type number {t}"))))
            .collect::<Result<Vec<_>>>()?;
        super::compact::restore(&self.core, src, dst, &types, weights, ids)
    }

    /// The next relationship ids the graph would hand out (single, loaded).
    pub(crate) fn next_rel_ids(&self) -> (u64, u64) {
        self.core.rels.next_ids()
    }

    /// Hands out no relationship id below `next` (from [`next_rel_ids`](Self::next_rel_ids)).
    pub(crate) fn reserve_rel_ids(&self, next: (u64, u64)) {
        self.core.rels.reserve(next);
    }

    /// Another handle on the same graph (for the durability layer's threads).
    pub(crate) fn share(&self) -> Graph {
        Graph { core: Arc::clone(&self.core) }
    }
}

/// A node as a snapshot file stores it (see [`Snapshot::node_images`]).
pub(crate) struct NodeImage<'a> {
    /// The label the node was created with ("" for none).
    pub created: &'a str,
    /// Its labels, in name order.
    pub labels: &'a [&'a str],
    /// Its properties (name, encoded value), in name order.
    pub properties: &'a [(&'a str, &'a [u8])],
}

impl Snapshot {
    /// The ids of the relationships with properties in this snapshot, ascending.
    pub(crate) fn rels_with_properties(&self) -> Vec<u64> {
        let core = self.core();
        let lo = key(tag::REL_PROP, &[]);
        let mut ids = std::collections::BTreeSet::new();
        core.model.scan(core, &lo, &prefix_end(&lo), ReadAt::version(self.version()), |k, _| {
            ids.insert(u64::from_be_bytes(k[1..9].try_into().expect("relationship property key")));
        });
        ids.into_iter().collect()
    }

    /// Calls `f` with each node `first..=last` (alive in this snapshot or
    /// not) and its image: the label it was created with ("" for none,
    /// whether or not it still has it), its labels and its properties as of
    /// this snapshot, read in one scan each (not three lookups per node) and
    /// lent to `f` without a copy per node.
    pub(crate) fn node_images(&self, first: u64, last: u64, mut f: impl FnMut(u64, NodeImage<'_>)) {
        let (core, read) = (self.core(), ReadAt::version(self.version()));
        let (label_names, prop_names) = (core.labels.table(), core.model.prop_names.table());
        let labels = core.labels_in(first, last, read);
        // The properties of the whole range, in (id, name id) order, their
        // values in one buffer.
        let (mut props, mut values) = (Vec::new(), Vec::new());
        core.props_each(tag::NODE_PROP, first, last, None, read, |id, name, bytes| {
            if let Some(name) = prop_names.get(name) {
                props.push((id, name, values.len()..values.len() + bytes.len()));
                values.extend_from_slice(bytes);
            }
        });
        let mut props = props.iter().peekable();
        let (mut names, mut image_props) = (Vec::new(), Vec::new());
        for (id, ids) in (first..=last).zip(labels) {
            names.clear();
            names.extend(ids.iter().filter_map(|&l| label_names.get(l)));
            names.sort_unstable();
            image_props.clear();
            while let Some((_, name, range)) = props.next_if(|p| p.0 == id) {
                image_props.push((*name, &values[range.clone()]));
            }
            image_props.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let created = label_names.get(core.created_label(id)).unwrap_or_default();
            f(id, NodeImage { created, labels: &names, properties: &image_props });
        }
    }

    /// The name of interned edge type `ty` ("" for none).
    pub(crate) fn type_name(&self, ty: u32) -> String {
        self.core().types.name(ty).unwrap_or_default()
    }
}
