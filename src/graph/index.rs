//! Secondary indexes on (label, property): exact match and range lookups at
//! a snapshot, without scanning the graph.
//!
//! An index holds one versioned entry (`x`, index id, [`Value::sort_key`],
//! node) per node that has the label and the property; byte order of the
//! keys is the value order, so a range of values is a range of keys. Every
//! write that changes a node's labels or properties updates the entries of
//! the indexes concerned under its own stamp, so an index agrees with the
//! nodes at every version. Creating an index registers it (writers maintain
//! it from then on), waits for the writes already under way, then adds the
//! entries of the nodes that have the label; it answers snapshots taken
//! after it is built and refuses older ones.

use super::stamp::{ABSENT, LATEST, Stamp};
use super::versioned::{ReadAt, key, prefix_end, tag};
use super::{Graph, GraphCore, GraphWrite, Snapshot};
use crate::Value;
use crate::error::{Error, Result};
use arc_swap::ArcSwap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// One declared index.
pub(crate) struct IndexDef {
    id: u32,
    /// Label id.
    pub label: u32,
    /// Property name id.
    pub prop: u32,
    /// The version from which it answers ([`ABSENT`] while being built).
    ready_at: AtomicU64,
}

impl IndexDef {
    /// The key of this index's entry for `value` at `node`.
    pub fn entry_key(&self, value: &Value, node: u64) -> Vec<u8> {
        let mut k = self.value_prefix(value);
        k.extend_from_slice(&node.to_be_bytes());
        k
    }

    fn value_prefix(&self, value: &Value) -> Vec<u8> {
        let mut k = key(tag::INDEX, &[&self.id.to_be_bytes()]).into_vec();
        k.extend_from_slice(&value.sort_key());
        k
    }
}

/// The declared indexes of a graph.
#[derive(Default)]
pub(crate) struct Indexes {
    list: ArcSwap<Vec<Arc<IndexDef>>>,
    next_id: AtomicU64,
    /// Serialises creating and dropping indexes.
    ddl: Mutex<()>,
}

impl Indexes {
    /// The indexes on label `label`.
    pub fn on_label(&self, label: u32) -> Vec<Arc<IndexDef>> {
        self.list.load().iter().filter(|d| d.label == label).cloned().collect()
    }

    /// The indexes on property name `prop`.
    pub fn on_prop(&self, prop: u32) -> Vec<Arc<IndexDef>> {
        self.list.load().iter().filter(|d| d.prop == prop).cloned().collect()
    }

    fn find(&self, label: u32, prop: u32) -> Option<Arc<IndexDef>> {
        self.list.load().iter().find(|d| d.label == label && d.prop == prop).cloned()
    }

    /// Whether `key` is an entry of an index that no longer exists.
    pub fn is_dead_entry(&self, key: &[u8]) -> bool {
        key.first() == Some(&tag::INDEX)
            && key.get(1..5).is_some_and(|id| {
                let id = u32::from_be_bytes(id.try_into().expect("4 bytes"));
                !self.list.load().iter().any(|d| d.id == id)
            })
    }
}

impl GraphCore {
    /// Adds the entry of every live node with the index's label and property.
    fn build_index(&self, def: &IndexDef) -> Result<()> {
        // Writers that loaded the list before `def` joined it hold an entity
        // lock until they have published: wait for them, so that the label
        // index below shows their writes.
        self.model.lock_barrier();
        let latest = ReadAt::version(LATEST);
        for id in self.nodes_with_label_at(def.label, latest, |_| true) {
            let built = self.node_write(id, None, |p| {
                let read = ReadAt { at: LATEST, own: Some(p.ticket()) };
                if self.has_label_at(id, def.label, read)
                    && let Some(v) = self.prop_at(tag::NODE_PROP, id, def.prop, read)
                {
                    self.model.put(self, p, &def.entry_key(&v, id), Some(&[]))?;
                }
                Ok(())
            });
            match built {
                Err(e) if e.kind() != crate::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Sweeps the property map for `Graph::maintain`.
    pub(super) fn sweep_model(&self) {
        self.model.sweep(self, |k| self.model.indexes.is_dead_entry(k));
    }
}

impl Graph {
    /// Declares an index on property `prop` of nodes labelled `label` and
    /// builds it from the nodes there are; returns false if it exists.
    /// It answers snapshots taken after this call returns.
    pub fn create_index(&self, label: &str, prop: &str) -> Result<bool> {
        self.core.logged(|| self.create_index_now(label, prop), |_| GraphWrite::Index { label, prop, create: true })
    }

    fn create_index_now(&self, label: &str, prop: &str) -> Result<bool> {
        if label.is_empty() {
            return Err(Error::invalid("empty label"));
        }
        let core = &*self.core;
        let indexes = &core.model.indexes;
        let _ddl = indexes.ddl.lock().unwrap_or_else(|e| e.into_inner());
        let (label, prop) = (core.labels.intern(Some(label)), core.model.prop_names.intern(Some(prop)));
        if indexes.find(label, prop).is_some() {
            return Ok(false);
        }
        let id = u32::try_from(indexes.next_id.fetch_add(1, SeqCst)).map_err(|_| Error::invalid("too many indexes"))?;
        let def = Arc::new(IndexDef { id, label, prop, ready_at: AtomicU64::new(ABSENT) });
        indexes.list.rcu(|l| l.iter().cloned().chain([Arc::clone(&def)]).collect::<Vec<_>>());
        if let Err(e) = core.build_index(&def) {
            indexes.list.rcu(|l| l.iter().filter(|d| d.id != id).cloned().collect::<Vec<_>>());
            return Err(e);
        }
        // An empty write: every snapshot taken from now on reads at or past it.
        let stamp = Stamp::default();
        stamp.mark_pending();
        let version = stamp.commit(core.clock.tick());
        core.horizon.acknowledge(version);
        def.ready_at.store(version, SeqCst);
        Ok(true)
    }

    /// Drops the index on (`label`, `prop`); returns false if there is none.
    pub fn drop_index(&self, label: &str, prop: &str) -> Result<bool> {
        self.core.logged(|| self.drop_index_now(label, prop), |_| GraphWrite::Index { label, prop, create: false })
    }

    fn drop_index_now(&self, label: &str, prop: &str) -> Result<bool> {
        let core = &*self.core;
        let indexes = &core.model.indexes;
        let _ddl = indexes.ddl.lock().unwrap_or_else(|e| e.into_inner());
        let found = core.labels.find(Some(label)).zip(core.model.prop_names.find(Some(prop)));
        let Some(def) = found.and_then(|(l, p)| indexes.find(l, p)) else { return Ok(false) };
        indexes.list.rcu(|l| l.iter().filter(|d| d.id != def.id).cloned().collect::<Vec<_>>());
        // Entries a writer adds after this are swept by `maintain`.
        core.sweep_model();
        Ok(true)
    }

    /// The declared indexes as (label, property), in creation order.
    pub fn indexes(&self) -> Vec<(String, String)> {
        let core = &*self.core;
        let names = |d: &IndexDef| {
            (core.labels.name(d.label).unwrap_or_default(), core.model.prop_names.name(d.prop).unwrap_or_default())
        };
        core.model.indexes.list.load().iter().map(|d| names(d)).collect()
    }
}

/// How an index lookup reads: a snapshot's version, or a batch's view (the
/// latest versions with its own writes).
pub(super) struct IndexRead<'a> {
    pub core: &'a GraphCore,
    /// The versions (and own write) read.
    pub read: ReadAt,
    /// Indexes built after this version do not answer the reader.
    pub newest: u64,
    /// Whether a node exists for the reader.
    pub alive: &'a dyn Fn(u64) -> bool,
}

impl IndexRead<'_> {
    /// The index on (`label`, `prop`), if it answers this reader.
    fn index(&self, label: &str, prop: &str) -> Result<Arc<IndexDef>> {
        let core = self.core;
        let found = core.labels.find(Some(label)).zip(core.model.prop_names.find(Some(prop)));
        let def = found
            .and_then(|(l, p)| core.model.indexes.find(l, p))
            .ok_or_else(|| Error::not_found(format!("no index on :{label}({prop})")))?;
        if def.ready_at.load(SeqCst) > self.newest {
            return Err(Error::invalid(format!("the index on :{label}({prop}) is newer than this reader")));
        }
        Ok(def)
    }

    /// Nodes of keys in `[lo, hi)` of an index, in id order.
    fn index_scan(&self, lo: &[u8], hi: &[u8]) -> Vec<u64> {
        let mut ids = Vec::new();
        self.core.model.scan(self.core, lo, hi, self.read, |k, _| {
            ids.push(u64::from_be_bytes(k[k.len() - 8..].try_into().expect("index key")));
        });
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&id| (self.alive)(id));
        ids
    }

    /// The nodes labelled `label` whose property `prop` equals `value`
    /// (numbers by numeric value: `1` matches `1.0`), through the index on
    /// (`label`, `prop`). Null and NaN match nothing.
    pub fn lookup(&self, label: &str, prop: &str, value: &Value) -> Result<Vec<u64>> {
        let def = self.index(label, prop)?;
        if value.compare(value).is_none() && !matches!(value, Value::Map(_)) {
            return Ok(Vec::new());
        }
        let lo = def.value_prefix(value);
        Ok(self.index_scan(&lo, &prefix_end(&lo)))
    }

    /// The nodes labelled `label` whose property `prop` lies between `lower`
    /// and `upper`, through the index on (`label`, `prop`), in id order.
    /// As in Cypher, only values of the bounds' kind match (numbers for a
    /// number bound, strings for a string bound, …), NaN never; two
    /// unbounded ends give every node with the property.
    pub fn range(&self, label: &str, prop: &str, lower: Bound<&Value>, upper: Bound<&Value>) -> Result<Vec<u64>> {
        let def = self.index(label, prop)?;
        let base = key(tag::INDEX, &[&def.id.to_be_bytes()]);
        let bound_value = |b: Bound<&Value>| match b {
            Bound::Included(v) | Bound::Excluded(v) => Some(v.clone()),
            Bound::Unbounded => None,
        };
        let (lv, uv) = (bound_value(lower), bound_value(upper));
        let kind = match (&lv, &uv) {
            (Some(a), Some(b)) if a.compare(b).is_none() => return Ok(Vec::new()),
            (Some(v), _) | (_, Some(v)) => {
                if v.compare(v).is_none() {
                    return Ok(Vec::new());
                }
                Some(v.kind_range(&base))
            }
            (None, None) => None,
        };
        let (kind_lo, kind_hi) = kind.unwrap_or_else(|| (base.to_vec(), prefix_end(&base)));
        let lo = match lower {
            Bound::Included(v) => def.value_prefix(v),
            Bound::Excluded(v) => prefix_end(&def.value_prefix(v)),
            Bound::Unbounded => kind_lo,
        };
        let hi = match upper {
            Bound::Included(v) => prefix_end(&def.value_prefix(v)),
            Bound::Excluded(v) => def.value_prefix(v),
            Bound::Unbounded => kind_hi,
        };
        if lo >= hi {
            return Ok(Vec::new());
        }
        Ok(self.index_scan(&lo, &hi))
    }
}

impl Snapshot {
    /// How this snapshot reads the indexes.
    fn index_read<'a>(&'a self, alive: &'a dyn Fn(u64) -> bool) -> IndexRead<'a> {
        IndexRead { core: self.core(), read: ReadAt::version(self.version()), newest: self.version(), alive }
    }

    /// The nodes labelled `label` whose property `prop` equals `value`
    /// (numbers by numeric value: `1` matches `1.0`), through the index on
    /// (`label`, `prop`). Null and NaN match nothing.
    pub fn index_lookup(&self, label: &str, prop: &str, value: &Value) -> Result<Vec<u64>> {
        self.index_read(&|id| self.contains_node(id)).lookup(label, prop, value)
    }

    /// The nodes labelled `label` whose property `prop` lies between `lower`
    /// and `upper`, through the index on (`label`, `prop`), in id order.
    /// As in Cypher, only values of the bounds' kind match (numbers for a
    /// number bound, strings for a string bound, …), NaN never; two
    /// unbounded ends give every node with the property.
    pub fn index_range(&self, label: &str, prop: &str, lower: Bound<&Value>, upper: Bound<&Value>) -> Result<Vec<u64>> {
        self.index_read(&|id| self.contains_node(id)).range(label, prop, lower, upper)
    }
}
