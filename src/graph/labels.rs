//! Node labels: zero or more per node, versioned, with a label index.
//!
//! A node created with a label keeps it in its slot (written before the node
//! is published, so it appears with the node) and in one *range* entry of the
//! label index per `add_nodes` call, so creating many labelled nodes costs one
//! map write. Labels added later, and the removal of any label, are versioned
//! entries of the node (`l`, node, label) and of the label index (`L`, label,
//! node), written under one stamp so that both views agree at every version.

use super::versioned::{Publish, ReadAt, key, prefix_end, tag};
use super::{Graph, GraphCore, GraphWrite, Snapshot};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;

/// The label ids of one node: inline for the usual one or two.
pub(super) type LabelIds = smallvec::SmallVec<[u32; 2]>;

/// The payload of a node's label entry for a label it has.
const HAS: &[u8] = &[1];
/// The payload for a label it lost (a tombstone would mean "as created").
const LOST: &[u8] = &[0];

impl GraphCore {
    /// Records that nodes `first .. first + count` are created with `label`
    /// (before they are published). Label 0 is none.
    pub(super) fn note_created(&self, first: u64, count: u64, label: u32) {
        if label != 0 && count > 0 {
            let k = key(tag::LABEL_RANGE, &[&label.to_be_bytes(), &first.to_be_bytes()]);
            self.model.put_settled(self, &k, &count.to_le_bytes());
        }
    }

    /// The label node `id` was created with (0: none).
    pub(super) fn created_label(&self, id: u64) -> u32 {
        self.nodes.get(id).map_or(0, |s| s.label.load(Ordering::Relaxed))
    }

    /// Whether node `id` has label `label` as read by `read`.
    pub(super) fn has_label_at(&self, id: u64, label: u32, read: ReadAt) -> bool {
        let as_created = || label != 0 && self.created_label(id) == label;
        // No label entry was ever written: no map read needed.
        if self.nodes.get(id).is_some_and(|s| s.labels_as_created()) {
            return as_created();
        }
        let k = key(tag::NODE_LABEL, &[&id.to_be_bytes(), &label.to_be_bytes()]);
        match self.model.read_with(self, &k, read, |p| p.map(|p| p == HAS)) {
            Some(Some(has)) => has,
            Some(None) | None => as_created(),
        }
    }

    /// The label ids of node `id` as read by `read`, in id order.
    pub(super) fn labels_at(&self, id: u64, read: ReadAt) -> Vec<u32> {
        self.labels_in(id, id, read).pop().unwrap_or_default().into_vec()
    }

    /// The label ids of each node `first..=last` as read by `read`, in id
    /// order, from one scan of their label entries: a label entry `HAS`, or
    /// the label the node was created with unless an entry says `LOST`
    /// (as [`has_label_at`](Self::has_label_at) decides).
    pub(super) fn labels_in(&self, first: u64, last: u64, read: ReadAt) -> Vec<LabelIds> {
        let n = (last - first) as usize + 1;
        let (mut labels, mut lost) = (vec![LabelIds::new(); n], vec![false; n]);
        let lo = key(tag::NODE_LABEL, &[&first.to_be_bytes()]);
        let hi = prefix_end(&key(tag::NODE_LABEL, &[&last.to_be_bytes()]));
        self.model.scan(self, &lo, &hi, read, |k, payload| {
            let i = (u64::from_be_bytes(k[1..9].try_into().expect("label key")) - first) as usize;
            let label = u32::from_be_bytes(k[9..13].try_into().expect("label key"));
            if payload == HAS {
                labels[i].push(label);
            } else if label == self.created_label(first + i as u64) {
                lost[i] = true;
            }
        });
        for (i, l) in labels.iter_mut().enumerate() {
            let created = self.created_label(first + i as u64);
            if created != 0 && !lost[i] && !l.contains(&created) {
                l.push(created);
                l.sort_unstable();
            }
        }
        labels
    }

    /// The label names of node `id` as read by `read`, in name order.
    pub(super) fn label_names_at(&self, id: u64, read: ReadAt) -> Vec<String> {
        let mut names: Vec<String> = self.labels_at(id, read).into_iter().filter_map(|l| self.labels.name(l)).collect();
        names.sort_unstable();
        names
    }

    /// See [`Graph::node_label`].
    pub(super) fn primary_label(&self, id: u64) -> String {
        let latest = ReadAt::version(super::stamp::LATEST);
        let created = self.created_label(id);
        if created != 0 && self.has_label_at(id, created, latest) {
            return self.labels.name(created).unwrap_or_default();
        }
        self.label_names_at(id, latest).into_iter().next().unwrap_or_default()
    }

    /// The nodes with label `label` as read by `read` that pass `alive`, in id order.
    pub(super) fn nodes_with_label_at(&self, label: u32, read: ReadAt, alive: impl Fn(u64) -> bool) -> Vec<u64> {
        let lb = label.to_be_bytes();
        let mut ids = Vec::new();
        let lo = key(tag::LABEL_NODE, &[&lb]);
        self.model.scan(self, &lo, &prefix_end(&lo), read, |k, _| {
            let id = u64::from_be_bytes(k[5..13].try_into().expect("label index key"));
            if alive(id) {
                ids.push(id);
            }
        });
        let listed = ids.len();
        let lo = key(tag::LABEL_RANGE, &[&lb]);
        // Runs of nodes created with the label, adjacent ones joined (a
        // batch creating nodes one by one records a range for each).
        let mut runs: Vec<(u64, u64)> = Vec::new();
        self.model.scan(self, &lo, &prefix_end(&lo), read, |k, count| {
            let first = u64::from_be_bytes(k[5..13].try_into().expect("label range key"));
            let count = u64::from_le_bytes(count.try_into().unwrap_or_default());
            let Some(last) = count.checked_sub(1).map(|c| first.saturating_add(c)) else { return };
            match runs.last_mut() {
                Some(run) if run.1.checked_add(1) == Some(first) => run.1 = last,
                _ => runs.push((first, last)),
            }
        });
        for (first, last) in runs {
            // They have the label unless they lost it: one scan of the run's
            // label entries, not a lookup per node.
            let mut lost = Vec::new();
            let (lo, hi) =
                (key(tag::NODE_LABEL, &[&first.to_be_bytes()]), key(tag::NODE_LABEL, &[&last.to_be_bytes()]));
            self.model.scan(self, &lo, &prefix_end(&hi), read, |k, payload| {
                if payload != HAS && k[9..13] == lb {
                    lost.push(u64::from_be_bytes(k[1..9].try_into().expect("label key")));
                }
            });
            let mut lost = lost.into_iter().peekable();
            ids.extend((first..=last).filter(|&id| {
                let gone = lost.next_if_eq(&id).is_some();
                !gone && alive(id) && self.created_label(id) == label
            }));
        }
        // Both runs are ascending; a node in both is listed once.
        if listed > 0 && listed < ids.len() {
            ids.sort_unstable();
            ids.dedup();
        }
        ids
    }

    /// Adds (`present`) or removes label `label` of node `id` under
    /// `publish`, with the label index and the property indexes on the
    /// label; `forget` (for a removed node) leaves tombstones that pruning
    /// drops. Call under the node's entity lock. Returns whether it changed.
    pub(super) fn write_label(
        &self,
        id: u64,
        label: u32,
        present: bool,
        forget: bool,
        publish: &mut Publish,
    ) -> Result<bool> {
        let read = ReadAt { at: super::stamp::LATEST, own: Some(publish.ticket()) };
        if self.has_label_at(id, label, read) == present {
            return Ok(false);
        }
        let (ib, lb) = (id.to_be_bytes(), label.to_be_bytes());
        let own = if present {
            Some(HAS)
        } else if forget {
            None
        } else {
            Some(LOST)
        };
        if let Some(slot) = self.nodes.get(id) {
            slot.mark_relabelled();
        }
        self.model.put(self, publish, &key(tag::NODE_LABEL, &[&ib, &lb]), own)?;
        let payload = present.then_some(&[][..]);
        self.model.put(self, publish, &key(tag::LABEL_NODE, &[&lb, &ib]), payload)?;
        for index in self.model.indexes.on_label(label) {
            if let Some(value) = self.prop_at(tag::NODE_PROP, id, index.prop, read) {
                self.model.put(self, publish, &index.entry_key(&value, id), payload)?;
            }
        }
        Ok(true)
    }

    /// Adds or removes a label by name as one write; see [`GraphCore::write_label`].
    fn set_label(&self, id: u64, label: &str, present: bool, publish: Option<&mut Publish>) -> Result<bool> {
        if label.is_empty() {
            return Err(Error::invalid("empty label"));
        }
        let label = if present {
            self.labels.intern(Some(label))
        } else {
            match self.labels.find(Some(label)) {
                Some(l) => l,
                None => {
                    self.slot_for(id, publish.as_deref().map(Publish::stamp))?;
                    return Ok(false);
                }
            }
        };
        self.node_write(id, publish, |p| self.write_label(id, label, present, false, p))
    }

    /// Adds label `label` to node `id` under `publish` (a batch's; `None`
    /// for a write of its own). Returns whether the node lacked it.
    pub(crate) fn add_label_in(&self, id: u64, label: &str, publish: Option<&mut Publish>) -> Result<bool> {
        self.set_label(id, label, true, publish)
    }

    /// Removes label `label` of node `id` under `publish`. Returns whether the node had it.
    pub(crate) fn remove_label_in(&self, id: u64, label: &str, publish: Option<&mut Publish>) -> Result<bool> {
        self.set_label(id, label, false, publish)
    }
}

impl Graph {
    /// Adds label `label` to node `id`; returns false if it had it already.
    pub fn add_label(&self, id: u64, label: &str) -> Result<bool> {
        self.core.logged(|| self.core.add_label_in(id, label, None), |_| GraphWrite::Label { id, label, add: true })
    }

    /// Removes label `label` from node `id`; returns false if it lacked it.
    pub fn remove_label(&self, id: u64, label: &str) -> Result<bool> {
        self.core.logged(|| self.core.remove_label_in(id, label, None), |_| GraphWrite::Label { id, label, add: false })
    }

    /// The labels of node `id`, in name order.
    pub fn node_labels(&self, id: u64) -> Result<Vec<String>> {
        self.core.live_slot(id)?;
        Ok(self.core.label_names_at(id, ReadAt::version(super::stamp::LATEST)))
    }

    /// Whether node `id` has label `label`.
    pub fn has_label(&self, id: u64, label: &str) -> Result<bool> {
        self.core.live_slot(id)?;
        let latest = ReadAt::version(super::stamp::LATEST);
        Ok(self.core.labels.find(Some(label)).is_some_and(|l| l != 0 && self.core.has_label_at(id, l, latest)))
    }
}

impl Snapshot {
    fn read_at(&self) -> ReadAt {
        ReadAt::version(self.version())
    }

    /// The labels of node `id` in this snapshot, in name order.
    pub fn node_labels(&self, id: u64) -> Result<Vec<String>> {
        self.check_node(id)?;
        Ok(self.core().label_names_at(id, self.read_at()))
    }

    /// Whether node `id` has label `label` in this snapshot.
    pub fn has_label(&self, id: u64, label: &str) -> Result<bool> {
        self.check_node(id)?;
        let core = self.core();
        Ok(core.labels.find(Some(label)).is_some_and(|l| l != 0 && core.has_label_at(id, l, self.read_at())))
    }

    /// The nodes with label `label` in this snapshot, in id order, found
    /// through the label index (no scan of the graph).
    pub fn nodes_with_label(&self, label: &str) -> Vec<u64> {
        let core = self.core();
        match core.labels.find(Some(label)).filter(|&l| l != 0) {
            Some(l) => core.nodes_with_label_at(l, self.read_at(), |id| self.contains_node(id)),
            None => Vec::new(),
        }
    }

    /// `NotFound` unless `id` is a node of this snapshot.
    pub(super) fn check_node(&self, id: u64) -> Result<()> {
        if self.contains_node(id) { Ok(()) } else { Err(Error::not_found(format!("no node {id}"))) }
    }
}
