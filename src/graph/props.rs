//! Typed, versioned properties of nodes and relationships.
//!
//! A property is a versioned entry (`p`, node, name id) or (`r`,
//! relationship id, name id) holding a [`Value::encode`]d value; a snapshot
//! reads the value as of its version. Setting a node property also updates
//! the property indexes on the node's labels, under the same stamp.
//! Relationship properties are keyed by the relationship's `u64` id.

use super::stamp::{LATEST, Stamp};
use super::versioned::{Key, Publish, ReadAt, key, prefix_end, tag};
use super::{Graph, GraphCore, GraphWrite, Snapshot};
use crate::Value;
use crate::error::{Error, Result};
use std::sync::Arc;

/// The bytes of a value read through the byte-string property calls: a
/// bytes value, or a string's UTF-8.
pub(super) fn into_bytes(v: Value) -> Result<Vec<u8>> {
    match v {
        Value::Bytes(b) => Ok(b),
        Value::String(s) => Ok(s.into_bytes()),
        other => {
            Err(Error::invalid(format!("the property holds a {} value; read it as a typed value", other.type_name())))
        }
    }
}

/// The key of property `name` of entity `id` (`tag`: node or relationship).
fn prop_key(tag: u8, id: u64, name: u32) -> Key {
    key(tag, &[&id.to_be_bytes(), &name.to_be_bytes()])
}

impl GraphCore {
    /// Runs `f`, the body of a write to entity `id` (`tag`: [`tag::NODE_PROP`]
    /// for nodes, [`tag::REL_PROP`] for relationships), under the entity's
    /// lock. With `publish` (a batch's) it only links entries; with `None`
    /// it publishes them as one write of its own, or removes them if `f`
    /// fails. Nodes must be live unless `any_node`.
    fn entity_write<T>(
        &self,
        tag: u8,
        id: u64,
        publish: Option<&mut Publish>,
        any_node: bool,
        f: impl FnOnce(&mut Publish) -> Result<T>,
    ) -> Result<T> {
        let lock = self.model.lock(tag, id);
        if tag == tag::NODE_PROP && !any_node {
            self.slot_for(id, publish.as_deref().map(Publish::stamp))?;
        }
        if let Some(p) = publish {
            return f(p);
        }
        let mut p = self.model.begin(Arc::new(Stamp::default()));
        let outcome = f(&mut p);
        if outcome.is_err() || p.is_empty() {
            self.model.settle(self, p);
            return outcome;
        }
        let version = self.model.commit(self, p);
        drop(lock);
        self.horizon.acknowledge(version);
        outcome
    }

    /// A write to live node `id`; see [`GraphCore::entity_write`].
    pub(super) fn node_write<T>(
        &self,
        id: u64,
        publish: Option<&mut Publish>,
        f: impl FnOnce(&mut Publish) -> Result<T>,
    ) -> Result<T> {
        self.entity_write(tag::NODE_PROP, id, publish, false, f)
    }

    /// Property `name` of entity `id` as read by `read`.
    pub(super) fn prop_at(&self, tag: u8, id: u64, name: u32, read: ReadAt) -> Option<Value> {
        self.model.read_with(self, &prop_key(tag, id, name), read, |p| p.and_then(|b| Value::decode(b).ok())).flatten()
    }

    /// All properties of entity `id` as read by `read`, in name order.
    pub(super) fn props_at(&self, tag: u8, id: u64, read: ReadAt) -> Vec<(String, Value)> {
        let mut props = Vec::new();
        self.props_each(tag, id, id, None, read, |_, name, bytes| {
            if let (Some(name), Ok(v)) = (self.model.prop_names.name(name), Value::decode(bytes)) {
                props.push((name, v));
            }
        });
        props.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        props
    }

    /// Calls `f(id, name, encoded value)` for each property of the entities
    /// `first..=last` (only property `only`, if given) as read by `read`,
    /// from one scan, in key order (by id, then by name id).
    pub(super) fn props_each(
        &self,
        tag: u8,
        first: u64,
        last: u64,
        only: Option<u32>,
        read: ReadAt,
        mut f: impl FnMut(u64, u32, &[u8]),
    ) {
        let lo = key(tag, &[&first.to_be_bytes()]);
        let hi = prefix_end(&key(tag, &[&last.to_be_bytes()]));
        let name_of = |k: &[u8]| u32::from_be_bytes(k[9..13].try_into().expect("property key"));
        let wants = |k: &[u8]| only.is_none_or(|n| name_of(k) == n);
        self.model.scan_where(self, &lo, &hi, read, wants, |k, bytes| {
            let id = u64::from_be_bytes(k[1..9].try_into().expect("property key"));
            f(id, name_of(k), bytes);
        });
    }

    /// Property `name` (by string) of entity `id` as read by `read`.
    pub(super) fn named_prop_at(&self, tag: u8, id: u64, name: &str, read: ReadAt) -> Option<Value> {
        self.prop_at(tag, id, self.model.prop_names.find(Some(name))?, read)
    }

    /// Sets (`Some`) or removes property `name` of entity `id` under
    /// `publish`, updating the indexes on a node's labels. Call under the
    /// entity's lock. Returns whether the property was set before.
    fn write_prop(&self, tag: u8, id: u64, name: u32, value: Option<&Value>, publish: &mut Publish) -> Result<bool> {
        let read = ReadAt { at: LATEST, own: Some(publish.ticket()) };
        let old = self.prop_at(tag, id, name, read);
        let encoded = value.map(Value::encode);
        self.model.put(self, publish, &prop_key(tag, id, name), encoded.as_deref())?;
        if tag == tag::NODE_PROP {
            for index in self.model.indexes.on_prop(name) {
                if !self.has_label_at(id, index.label, read) {
                    continue;
                }
                if let Some(old) = &old {
                    self.model.put(self, publish, &index.entry_key(old, id), None)?;
                }
                if let Some(v) = value {
                    self.model.put(self, publish, &index.entry_key(v, id), Some(&[]))?;
                }
            }
        }
        Ok(old.is_some())
    }

    /// Sets property `name` of entity `id` to `value` (null removes it) under
    /// `publish` (a batch's; `None` for a write of its own). Returns whether
    /// the property was set before.
    pub(crate) fn set_prop_in(
        &self,
        tag: u8,
        id: u64,
        name: &str,
        value: Value,
        publish: Option<&mut Publish>,
    ) -> Result<bool> {
        let any_node = false;
        if matches!(value, Value::Null) {
            let Some(name) = self.model.prop_names.find(Some(name)) else {
                return self.entity_write(tag, id, publish, any_node, |_| Ok(false));
            };
            return self.entity_write(tag, id, publish, any_node, |p| self.write_prop(tag, id, name, None, p));
        }
        let name = self.model.prop_names.intern(Some(name));
        self.entity_write(tag, id, publish, any_node, |p| self.write_prop(tag, id, name, Some(&value), p))
    }

    /// Removes every property of relationship `rel` under `publish` (a
    /// batch's, or `None`); snapshots taken before keep reading them.
    /// Returns how many there were.
    pub(crate) fn clear_rel_props_in(&self, rel: u64, publish: Option<&mut Publish>) -> Result<usize> {
        self.entity_write(tag::REL_PROP, rel, publish, true, |p| {
            let read = ReadAt { at: LATEST, own: Some(p.ticket()) };
            let names: Vec<u32> = self
                .props_at(tag::REL_PROP, rel, read)
                .iter()
                .filter_map(|(n, _)| self.model.prop_names.find(Some(n)))
                .collect();
            for &name in &names {
                self.write_prop(tag::REL_PROP, rel, name, None, p)?;
            }
            Ok(names.len())
        })
    }

    /// Tombstones every label, property and index entry of node `id`, just
    /// removed, so that snapshots taken before keep reading them and the
    /// entries are pruned once none can.
    pub(super) fn forget_node(&self, id: u64) {
        let outcome = self.entity_write(tag::NODE_PROP, id, None, true, |p| {
            let read = ReadAt { at: LATEST, own: Some(p.ticket()) };
            for label in self.labels_at(id, read) {
                self.write_label(id, label, false, true, p)?;
            }
            let names: Vec<u32> = self
                .props_at(tag::NODE_PROP, id, read)
                .iter()
                .filter_map(|(n, _)| self.model.prop_names.find(Some(n)))
                .collect();
            for name in names {
                self.write_prop(tag::NODE_PROP, id, name, None, p)?;
            }
            Ok(())
        });
        // Only an open batch writing this node's entries can refuse; its
        // entries become invisible with the node, and a sweep prunes them.
        drop(outcome);
    }
}

impl Graph {
    /// Sets property `name` of node `id` to `value`; [`Value::Null`] removes it.
    pub fn set_property_value(&self, id: u64, name: &str, value: Value) -> Result<()> {
        if !self.core.observed() {
            return self.core.set_prop_in(tag::NODE_PROP, id, name, value, None).map(drop);
        }
        let write = |_: &bool| GraphWrite::NodeProperty { id, name, value: &value };
        self.core.logged(|| self.core.set_prop_in(tag::NODE_PROP, id, name, value.clone(), None), write).map(drop)
    }

    /// Property `name` of node `id`, or `None` if unset.
    pub fn property_value(&self, id: u64, name: &str) -> Result<Option<Value>> {
        self.core.live_slot(id)?;
        Ok(self.core.named_prop_at(tag::NODE_PROP, id, name, ReadAt::version(LATEST)))
    }

    /// Removes property `name` of node `id`; returns whether it was set.
    pub fn remove_property(&self, id: u64, name: &str) -> Result<bool> {
        let write = |_: &bool| GraphWrite::NodeProperty { id, name, value: &Value::Null };
        self.core.logged(|| self.core.set_prop_in(tag::NODE_PROP, id, name, Value::Null, None), write)
    }

    /// The properties of node `id`, in name order.
    pub fn properties(&self, id: u64) -> Result<Vec<(String, Value)>> {
        self.core.live_slot(id)?;
        Ok(self.core.props_at(tag::NODE_PROP, id, ReadAt::version(LATEST)))
    }

    /// Sets property `name` of relationship `rel` to `value`; null removes
    /// it. `NotFound` if the relationship does not exist now.
    pub fn set_rel_property(&self, rel: u64, name: &str, value: Value) -> Result<()> {
        let exists = || self.relationship(rel).is_some();
        let set = |value| {
            if !exists() {
                return Err(Error::not_found(format!("no relationship {rel}")));
            }
            self.core.set_prop_in(tag::REL_PROP, rel, name, value, None)
        };
        if self.core.observed() {
            // Under the order lock of a durable graph no removal comes
            // between the check and the write, so the log replays it.
            let write = |_: &bool| GraphWrite::RelProperty { rel, name, value: &value };
            return self.core.logged(|| set(value.clone()), write).map(drop);
        }
        set(value)?;
        if !exists() {
            // Removed meanwhile, perhaps before its removal cleared the
            // properties this write had not yet published: clear them now.
            drop(self.core.clear_rel_props_in(rel, None));
        }
        Ok(())
    }

    /// Property `name` of relationship `rel`, or `None` if unset.
    pub fn rel_property(&self, rel: u64, name: &str) -> Option<Value> {
        self.core.named_prop_at(tag::REL_PROP, rel, name, ReadAt::version(LATEST))
    }

    /// Removes property `name` of relationship `rel`; returns whether it was set.
    pub fn remove_rel_property(&self, rel: u64, name: &str) -> Result<bool> {
        let write = |_: &bool| GraphWrite::RelProperty { rel, name, value: &Value::Null };
        self.core.logged(|| self.core.set_prop_in(tag::REL_PROP, rel, name, Value::Null, None), write)
    }

    /// The properties of relationship `rel`, in name order.
    pub fn rel_properties(&self, rel: u64) -> Vec<(String, Value)> {
        self.core.props_at(tag::REL_PROP, rel, ReadAt::version(LATEST))
    }

    /// Removes every property of relationship `rel` as one write (what
    /// deleting the relationship does to them); returns how many there were.
    pub fn clear_rel_properties(&self, rel: u64) -> Result<usize> {
        self.core.logged(|| self.core.clear_rel_props_in(rel, None), |_| GraphWrite::ClearRelProperties { rel })
    }
}

impl Snapshot {
    /// Property `name` of node `id` as of this snapshot.
    pub fn property_value(&self, id: u64, name: &str) -> Result<Option<Value>> {
        self.check_node(id)?;
        Ok(self.core().named_prop_at(tag::NODE_PROP, id, name, ReadAt::version(self.version())))
    }

    /// Property `name` of each node in `first..=last` that has it as of
    /// this snapshot, in id order, read in one scan of the range rather than
    /// one lookup per node. Whether each node exists is not checked.
    pub fn property_run(&self, first: u64, last: u64, name: &str) -> Vec<(u64, Value)> {
        let core = self.core();
        let Some(name) = core.model.prop_names.find(Some(name)) else { return Vec::new() };
        let mut run = Vec::new();
        core.props_each(tag::NODE_PROP, first, last, Some(name), ReadAt::version(self.version()), |id, _, bytes| {
            if let Ok(v) = Value::decode(bytes) {
                run.push((id, v));
            }
        });
        run
    }

    /// The properties of node `id` as of this snapshot, in name order.
    pub fn properties(&self, id: u64) -> Result<Vec<(String, Value)>> {
        self.check_node(id)?;
        Ok(self.core().props_at(tag::NODE_PROP, id, ReadAt::version(self.version())))
    }

    /// Property `name` of relationship `rel` as of this snapshot.
    pub fn rel_property(&self, rel: u64, name: &str) -> Option<Value> {
        self.core().named_prop_at(tag::REL_PROP, rel, name, ReadAt::version(self.version()))
    }

    /// The properties of relationship `rel` as of this snapshot, in name order.
    pub fn rel_properties(&self, rel: u64) -> Vec<(String, Value)> {
        self.core().props_at(tag::REL_PROP, rel, ReadAt::version(self.version()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::stamp::{LATEST, Stamp};
    use super::super::versioned::{ReadAt, tag};
    use crate::{Engine, ErrorKind, Value};
    use std::sync::Arc;

    /// How a write batch plugs in: its writes link entries under one shared
    /// stamp; one CAS publishes them all; then the batch settles them.
    #[test]
    fn writes_under_a_shared_stamp_appear_together() {
        let e = Engine::new();
        let g = e.graph();
        let core = &*g.core;
        let a = g.add_node(None).unwrap();
        g.create_index("L", "x").unwrap();
        let stamp = Arc::new(Stamp::default());
        let mut batch = core.model.begin(Arc::clone(&stamp));
        assert!(core.add_label_in(a, "L", Some(&mut batch)).unwrap());
        core.set_prop_in(tag::NODE_PROP, a, "x", Value::Int(1), Some(&mut batch)).unwrap();
        core.set_prop_in(tag::REL_PROP, 9, "w", Value::Int(2), Some(&mut batch)).unwrap();
        let own = ReadAt { at: LATEST, own: Some(batch.ticket()) };
        assert_eq!(
            core.prop_at(tag::NODE_PROP, a, core.model.prop_names.find(Some("x")).unwrap(), own),
            Some(Value::Int(1))
        );
        let before = g.snapshot();
        assert_eq!(g.property_value(a, "x").unwrap(), None, "unpublished");
        assert!(!g.has_label(a, "L").unwrap());
        let single = g.set_property_value(a, "x", Value::Int(5));
        assert_eq!(single.unwrap_err().kind(), ErrorKind::Conflict, "an open batch holds the entry");
        // The batch commits: one CAS, then settle and acknowledge.
        stamp.mark_pending();
        let version = stamp.commit(core.clock.tick());
        core.model.settle(core, batch);
        core.horizon.acknowledge(version);
        let after = g.snapshot();
        assert_eq!(after.property_value(a, "x").unwrap(), Some(Value::Int(1)));
        assert_eq!(after.rel_property(9, "w"), Some(Value::Int(2)));
        assert_eq!(after.nodes_with_label("L"), [a]);
        assert_eq!(after.index_lookup("L", "x", &Value::Int(1)).unwrap(), [a]);
        assert_eq!(before.property_value(a, "x").unwrap(), None);
        assert!(before.nodes_with_label("L").is_empty());
        // A batch that fails is settled unpublished: nothing is left.
        let filled = core.props.filled();
        let mut failed = core.model.begin(Arc::new(Stamp::default()));
        core.set_prop_in(tag::NODE_PROP, a, "y", Value::Int(3), Some(&mut failed)).unwrap();
        core.remove_label_in(a, "L", Some(&mut failed)).unwrap();
        core.model.settle(core, failed);
        assert_eq!(g.property_value(a, "y").unwrap(), None);
        assert!(g.has_label(a, "L").unwrap());
        g.maintain();
        assert_eq!(core.props.filled(), filled);
    }

    #[test]
    fn old_versions_are_pruned_once_no_snapshot_reads_them() {
        let e = Engine::new();
        let g = e.graph();
        let a = g.add_node(Some("L")).unwrap();
        g.add_label(a, "M").unwrap();
        g.create_index("M", "n").unwrap();
        let keys = || g.core.props.filled();
        for i in 0..1000 {
            g.set_property_value(a, "n", Value::Int(i % 3)).unwrap();
        }
        let held = g.snapshot();
        for i in 0..1000 {
            g.set_property_value(a, "n", Value::Int(-i)).unwrap();
        }
        g.maintain();
        assert_eq!(held.property_value(a, "n").unwrap(), Some(Value::Int(0)));
        assert_eq!(held.index_lookup("M", "n", &Value::Int(0)).unwrap(), [a]);
        drop(held);
        g.maintain();
        // The property, the two index entries ever live at a time gone by
        // now, the label range, the label and its index entry.
        assert_eq!(keys(), 5);
        g.remove_node(a).unwrap();
        g.maintain();
        assert_eq!(keys(), 1, "only the label range entry is left");
    }
}
