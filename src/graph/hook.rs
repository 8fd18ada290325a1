//! The write-observer hook through which the engine's durability layer sees
//! every acknowledged graph write. The graph knows nothing of files: without
//! an observer (an engine without a path) a write costs one load more.

use super::versioned::{ReadAt, key, prefix_end, tag};
use super::{Graph, GraphCore, Snapshot};
use crate::Value;
use crate::error::{Error, Result};
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
    /// `add_edge(src, dst, ty, weight)`.
    AddEdge { src: u64, dst: u64, ty: Option<&'a str>, weight: f64 },
    /// `remove_edge(src, dst, ty)`.
    RemoveEdge { src: u64, dst: u64, ty: Option<&'a str> },
    /// `load_edges(src, dst, weights, ty)`.
    LoadEdges { src: &'a [u64], dst: &'a [u64], weights: Option<&'a [f64]>, ty: Option<&'a str> },
    /// `create_index(label, prop)` or, with `create` false, `drop_index`.
    Index { label: &'a str, prop: &'a str, create: bool },
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

    /// `InvalidArgument` naming `what` under an observer: relationship ids
    /// and batches are not logged yet, so a durable engine refuses them
    /// rather than lose them on reopen (README, "Durability").
    pub(super) fn refuse_unlogged(&self, what: &str) -> Result<()> {
        if self.observed() {
            return Err(Error::invalid(format!("{what} is not persisted yet: a durable engine refuses it")));
        }
        Ok(())
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
}

impl Graph {
    /// Attaches the observer of every later write; false if one is attached.
    pub(crate) fn observe(&self, hook: Arc<dyn GraphObserver>) -> bool {
        self.core.hook.set(hook).is_ok()
    }

    /// Another handle on the same graph (for the durability layer's threads).
    pub(crate) fn share(&self) -> Graph {
        Graph { core: Arc::clone(&self.core) }
    }
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

    /// The label node `id` was created with ("" for none), whether or not
    /// it still has it.
    pub(crate) fn created_label(&self, id: u64) -> String {
        let core = self.core();
        let label = core.nodes.get(id).map_or(0, |s| s.label.load(std::sync::atomic::Ordering::Relaxed));
        core.labels.name(label).unwrap_or_default()
    }

    /// The name of interned edge type `ty` ("" for none).
    pub(crate) fn type_name(&self, ty: u32) -> String {
        self.core().types.name(ty).unwrap_or_default()
    }
}
