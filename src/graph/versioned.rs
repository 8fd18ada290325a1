//! Versioned entries in the graph's property map: the storage under labels,
//! typed properties and indexes, read repeatably by snapshots.
//!
//! Every key of the map (a node's property, label, index entry, …) holds a
//! short *version chain*, newest first: entries stamped with a committed
//! version, or with the *ticket* of a write still being published, each
//! holding a payload or a tombstone. A write ([`Publish`]) takes a ticket
//! bound to a [`Stamp`] cell (fresh for a single write, or a batch's shared
//! one), links its entries into every key it touches stamped with the ticket,
//! then publishes the cell with the stamp protocol (`ABSENT -> PENDING ->
//! version`, one CAS); readers that meet the ticket look its cell up and help
//! it to a version exactly as for edge records. So all keys of one write
//! (a property and its index entries; a label and the label index) appear at
//! one version. Afterwards the writer rewrites its entries to the committed
//! version, prunes versions no snapshot can see ([`super::readers`]), and
//! retires the ticket; a reader whose ticket lookup misses re-reads the key,
//! which then holds the version.
//!
//! Writers of one entity (node or relationship) serialise on a striped lock
//! held from linking to publishing; lookups never lock. A write that meets
//! another write's entry still unpublished (`ABSENT`: an open batch) fails
//! with a conflict instead of waiting.

use super::GraphCore;
use super::names::Names;
use super::readers::Readers;
use super::stamp::{ABSENT, Stamp};
use crate::error::{Error, Result};
use crate::map::{Decision, NewValue};
use scc::HashIndex;
use std::ops::{Bound, ControlFlow};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Entity lock stripes.
const STRIPES: usize = 1024;
/// Commits between refreshes of the prune bound.
const REFRESH_EVERY: u64 = 256;

/// Entry flag: the stamp field is a ticket, not a version.
const F_TICKET: u8 = 1;
/// Entry flag: a tombstone (no payload).
const F_TOMBSTONE: u8 = 2;

/// Key tags of the property map.
pub(crate) mod tag {
    /// Node property: node, name id.
    pub const NODE_PROP: u8 = b'p';
    /// Relationship property: relationship id, name id.
    pub const REL_PROP: u8 = b'r';
    /// A node's label: node, label id.
    pub const NODE_LABEL: u8 = b'l';
    /// Label index, one node: label id, node.
    pub const LABEL_NODE: u8 = b'L';
    /// Label index, a range of nodes created with the label: label id, first node → count.
    pub const LABEL_RANGE: u8 = b'R';
    /// Property index entry: index id, value sort key, node.
    pub const INDEX: u8 = b'x';
}

/// A key of the property map: a tag, then big-endian parts.
pub(crate) fn key(tag: u8, parts: &[&[u8]]) -> Key {
    let mut k = Key::new();
    k.push(tag);
    parts.iter().for_each(|p| k.extend_from_slice(p));
    k
}

/// A key of the map: inline up to 32 bytes (a tag, ids and names' ids fit),
/// so building one to look it up allocates nothing.
pub(crate) type Key = smallvec::SmallVec<[u8; 32]>;

/// The first key after every key starting with `prefix` (which holds a
/// byte below 0xFF: every key starts with a tag).
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while end.last() == Some(&0xFF) {
        end.pop();
    }
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

/// One entry of a version chain.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry<'a> {
    /// A ticket (if `ticket`) or a committed version.
    stamp: u64,
    ticket: bool,
    /// `None` for a tombstone.
    payload: Option<&'a [u8]>,
}

fn encode(chain: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in chain {
        out.push(if e.ticket { F_TICKET } else { 0 } | if e.payload.is_none() { F_TOMBSTONE } else { 0 });
        out.extend_from_slice(&e.stamp.to_le_bytes());
        if let Some(p) = &e.payload {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
            out.extend_from_slice(p);
        }
    }
    out
}

/// The entries of a chain this module encoded, borrowing its bytes (a
/// malformed tail is dropped).
fn entries(mut bytes: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    std::iter::from_fn(move || {
        let (&flags, rest) = bytes.split_first()?;
        let (stamp, rest) = rest.split_first_chunk::<8>()?;
        let mut e = Entry { stamp: u64::from_le_bytes(*stamp), ticket: flags & F_TICKET != 0, payload: None };
        bytes = rest;
        if flags & F_TOMBSTONE == 0 {
            let (len, rest) = bytes.split_first_chunk::<4>()?;
            let (payload, rest) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)?;
            e.payload = Some(payload);
            bytes = rest;
        }
        Some(e)
    })
    .fuse()
}

/// Decodes a chain for editing.
fn decode(bytes: &[u8]) -> Vec<Entry<'_>> {
    entries(bytes).collect()
}

/// What a chain holds at a version.
enum Seen<'a> {
    /// An entry is visible: its payload (`None`: tombstone).
    Entry(Option<&'a [u8]>),
    /// No entry is visible.
    Nothing,
    /// A ticket was retired meanwhile: read the key again.
    Retry,
}

/// The state of the labels, properties and indexes on top of the map.
pub(crate) struct DataModel {
    /// Interned property names.
    pub prop_names: Names,
    /// Stamp cells of writes being published, by ticket.
    tickets: HashIndex<u64, Arc<Stamp>>,
    next_ticket: AtomicU64,
    locks: Box<[Mutex<()>]>,
    /// Versions live snapshots read.
    pub readers: Arc<Readers>,
    commits: AtomicU64,
    /// Declared property indexes.
    pub indexes: super::index::Indexes,
}

impl Default for DataModel {
    fn default() -> Self {
        DataModel {
            prop_names: Names::default(),
            tickets: HashIndex::new(),
            next_ticket: AtomicU64::new(0),
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            readers: Arc::default(),
            commits: AtomicU64::new(0),
            indexes: Default::default(),
        }
    }
}

/// A write being published under one stamp cell: the keys it linked entries into.
pub(crate) struct Publish {
    ticket: u64,
    stamp: Arc<Stamp>,
    keys: Vec<Vec<u8>>,
}

impl Publish {
    /// The ticket this write's entries carry (a batch reads its own writes with it).
    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    /// The stamp cell that publishes this write.
    pub fn stamp(&self) -> &Arc<Stamp> {
        &self.stamp
    }

    /// Whether the write linked nothing yet.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Which writes a read sees: those committed at or below `at`, plus the
/// entries of the write holding ticket `own` (read-your-writes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadAt {
    /// The version read.
    pub at: u64,
    /// The reader's own unpublished write, if any.
    pub own: Option<u64>,
}

impl ReadAt {
    /// Reads at version `at`.
    pub fn version(at: u64) -> ReadAt {
        ReadAt { at, own: None }
    }
}

impl DataModel {
    /// Locks entity `id` of kind `tag` for writing.
    pub fn lock(&self, tag: u8, id: u64) -> MutexGuard<'_, ()> {
        let h = (id ^ (u64::from(tag) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
        self.locks[h as usize % STRIPES].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every write that holds an entity lock now has released it.
    pub fn lock_barrier(&self) {
        for l in self.locks.iter() {
            drop(l.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// A write to be published under `stamp` (a fresh cell for a single
    /// write; a batch passes its shared one, still `ABSENT`).
    pub fn begin(&self, stamp: Arc<Stamp>) -> Publish {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        // Tickets are unique (a counter), so the insert never finds one.
        let _ = self.tickets.insert_sync(ticket, Arc::clone(&stamp));
        Publish { ticket, stamp, keys: Vec::new() }
    }

    /// Resolves ticket `t` to its version (helping a pending one), `ABSENT`
    /// while its write is unpublished, `None` once retired.
    fn ticket_version(&self, core: &GraphCore, t: u64) -> Option<u64> {
        self.tickets.peek_with(&t, |_, stamp| stamp.resolve(&core.clock))
    }

    /// What `chain` holds as read by `read`: the entry of the newest version
    /// at or below `read.at` (or the reader's own).
    fn seen<'c>(&self, core: &GraphCore, chain: &'c [u8], read: ReadAt) -> Seen<'c> {
        let mut best: Option<(u64, Entry<'_>)> = None;
        for e in entries(chain) {
            let v = if e.ticket {
                if read.own == Some(e.stamp) {
                    return Seen::Entry(e.payload);
                }
                match self.ticket_version(core, e.stamp) {
                    Some(v) => v,
                    None => return Seen::Retry,
                }
            } else {
                e.stamp
            };
            if v <= read.at && best.is_none_or(|(b, _)| v > b) {
                best = Some((v, e));
            }
        }
        best.map_or(Seen::Nothing, |(_, e)| Seen::Entry(e.payload))
    }

    /// The payload `key` holds as read by `read` (`None`: absent or tombstone).
    pub fn read(&self, core: &GraphCore, key: &[u8], read: ReadAt) -> Option<Vec<u8>> {
        self.read_with(core, key, read, |p| p.map(<[u8]>::to_vec)).flatten()
    }

    /// Calls `f` on the payload `key` holds as read by `read` (`None`: a
    /// visible tombstone), lent from the map; `None` if no entry is visible.
    pub fn read_with<T>(
        &self,
        core: &GraphCore,
        key: &[u8],
        read: ReadAt,
        f: impl Fn(Option<&[u8]>) -> T,
    ) -> Option<T> {
        loop {
            let found = core.props.get(key, 0, |v| match self.seen(core, v.bytes(), read) {
                Seen::Entry(p) => Ok(Some(f(p))),
                Seen::Nothing => Ok(None),
                // A ticket retired meanwhile: its entries are settled, read the key again.
                Seen::Retry => Err(()),
            });
            match found {
                None => return None,
                Some(Ok(t)) => return t,
                Some(Err(())) => continue,
            }
        }
    }

    /// Calls `f` with every key in `[lo, hi)` and the payload it holds as read
    /// by `read` (tombstones and invisible keys skipped), in key order, as
    /// the map is visited (`f` may read the graph; it runs pinned).
    pub fn scan(&self, core: &GraphCore, lo: &[u8], hi: &[u8], read: ReadAt, f: impl FnMut(&[u8], &[u8])) {
        self.scan_where(core, lo, hi, read, |_| true, f);
    }

    /// [`scan`](Self::scan) of the keys that `wants` (the others are not read).
    pub fn scan_where(
        &self,
        core: &GraphCore,
        lo: &[u8],
        hi: &[u8],
        read: ReadAt,
        wants: impl Fn(&[u8]) -> bool,
        mut f: impl FnMut(&[u8], &[u8]),
    ) {
        core.props.visit_where(Bound::Included(lo), Bound::Excluded(hi), 0, wants, |k, v| {
            match self.seen(core, v.bytes(), read) {
                Seen::Entry(Some(p)) => f(k, p),
                Seen::Entry(None) | Seen::Nothing => {}
                // A ticket retired meanwhile: its entries are settled, read the key again.
                Seen::Retry => {
                    if let Some(p) = self.read(core, k, read) {
                        f(k, &p);
                    }
                }
            }
            ControlFlow::Continue(())
        });
    }

    /// Links `payload` (`None`: a tombstone) into `key` under `publish`'s
    /// ticket, replacing an entry the same write linked before. Fails with a
    /// conflict if another write's unpublished entry is there.
    pub fn put(&self, core: &GraphCore, publish: &mut Publish, key: &[u8], payload: Option<&[u8]>) -> Result<()> {
        let ticket = publish.ticket;
        let mut seen_before = false;
        let outcome = core.props.update(key, 0, |current| {
            let mut chain = current.map(|v| decode(v.bytes())).unwrap_or_default();
            if chain.iter().any(|e| e.ticket && e.stamp != ticket && self.ticket_version(core, e.stamp) == Some(ABSENT))
            {
                return Decision::Keep(Err(Error::conflict("an open batch writes this entry")));
            }
            seen_before = chain.iter().any(|e| e.ticket && e.stamp == ticket);
            chain.retain(|e| !(e.ticket && e.stamp == ticket));
            chain.insert(0, Entry { stamp: ticket, ticket: true, payload });
            Decision::Replace(NewValue::new(&encode(&chain), 0), Ok(()))
        });
        if outcome.is_ok() && !seen_before {
            publish.keys.push(key.to_vec());
        }
        outcome
    }

    /// Stores `payload` in `key` as visible at every version: for entries
    /// whose visibility another stamp governs (a label range of nodes is
    /// seen only with its nodes).
    pub fn put_settled(&self, core: &GraphCore, key: &[u8], payload: &[u8]) {
        let chain = encode(&[Entry { stamp: 0, ticket: false, payload: Some(payload) }]);
        core.props.update(key, 0, |_| Decision::Replace(NewValue::new(&chain, 0), ()));
    }

    /// Publishes a single write: marks its stamp pending, commits it at a
    /// fresh version and settles it. Returns the version; the caller
    /// acknowledges it after releasing its entity lock.
    pub fn commit(&self, core: &GraphCore, publish: Publish) -> u64 {
        publish.stamp.mark_pending();
        let version = publish.stamp.commit(core.clock.tick());
        self.settle(core, publish);
        version
    }

    /// After `publish`'s stamp holds its version (committed by [`commit`](Self::commit)
    /// or by the batch that owns the stamp): rewrites its entries to that
    /// version, prunes what no snapshot can see, and retires the ticket.
    /// On a stamp that was never published (`ABSENT`: an aborted batch) it
    /// removes the entries instead.
    pub fn settle(&self, core: &GraphCore, publish: Publish) {
        let version = publish.stamp.resolve(&core.clock);
        let bound = self.prune_bound(core);
        for key in &publish.keys {
            self.rewrite(core, key, bound, |e| {
                if e.ticket && e.stamp == publish.ticket {
                    if version == ABSENT {
                        return false;
                    }
                    *e = Entry { stamp: version, ticket: false, payload: e.payload };
                }
                true
            });
        }
        self.tickets.remove_sync(&publish.ticket);
    }

    /// Applies `edit` to every entry of `key` (dropping those it refuses),
    /// then prunes versions older than the newest one at or below `bound`.
    fn rewrite(&self, core: &GraphCore, key: &[u8], bound: u64, mut edit: impl FnMut(&mut Entry<'_>) -> bool) {
        core.props.update(key, 0, |current| {
            let Some(current) = current else { return Decision::Keep(()) };
            let mut chain = decode(current.bytes());
            chain.retain_mut(&mut edit);
            prune(&mut chain, bound);
            if chain.is_empty() {
                Decision::Remove(())
            } else {
                Decision::Replace(NewValue::new(&encode(&chain), 0), ())
            }
        });
    }

    /// A version no live or future snapshot reads below, refreshed now and then.
    fn prune_bound(&self, core: &GraphCore) -> u64 {
        if self.commits.fetch_add(1, Ordering::Relaxed).is_multiple_of(REFRESH_EVERY) {
            self.refresh_bound(core)
        } else {
            self.readers.cached()
        }
    }

    fn refresh_bound(&self, core: &GraphCore) -> u64 {
        self.readers.bound(|| {
            core.horizon
                .pick(
                    &core.clock,
                    || core.generation.load_full(),
                    |g| std::sync::Arc::ptr_eq(&core.generation.load(), g),
                    |g| g.cut,
                )
                .1
        })
    }

    /// Prunes every chain of the map, and drops the keys `dead` says belong
    /// to nothing any more (dropped indexes). Part of `Graph::maintain`.
    pub fn sweep(&self, core: &GraphCore, dead: impl Fn(&[u8]) -> bool) {
        let bound = self.refresh_bound(core);
        let mut keys = Vec::new();
        core.props.visit(Bound::Unbounded, Bound::Unbounded, 0, |k, v| {
            let chain = decode(v.bytes());
            let mut pruned = chain.clone();
            prune(&mut pruned, bound);
            if dead(k) || pruned != chain {
                keys.push(k.to_vec());
            }
            ControlFlow::Continue(())
        });
        for k in keys {
            if dead(&k) {
                core.props.update(&k, 0, |_| Decision::Remove(()));
            } else {
                self.rewrite(core, &k, bound, |_| true);
            }
        }
    }
}

/// Drops the committed versions of `chain` that no snapshot reading at or
/// above `bound` can see: all but the newest at or below `bound`, and that
/// one too if it is a tombstone.
fn prune(chain: &mut Vec<Entry>, bound: u64) {
    let newest_settled = chain.iter().filter(|e| !e.ticket && e.stamp <= bound).map(|e| e.stamp).max();
    if let Some(keep) = newest_settled {
        chain.retain(|e| e.ticket || e.stamp > bound || (e.stamp == keep && e.payload.is_some()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(stamp: u64, payload: Option<&[u8]>) -> Entry<'_> {
        Entry { stamp, ticket: false, payload }
    }

    #[test]
    fn chains_round_trip() {
        let chain = vec![Entry { stamp: 7, ticket: true, payload: None }, e(5, Some(b"ab")), e(3, Some(b""))];
        assert_eq!(decode(&encode(&chain)), chain);
        assert_eq!(decode(&encode(&chain)[..10]), chain[..1]);
    }

    #[test]
    fn prune_keeps_what_snapshots_at_or_above_the_bound_see() {
        let mut chain = vec![e(9, Some(b"c")), e(6, Some(b"b")), e(4, Some(b"a")), e(2, None)];
        prune(&mut chain, 7);
        assert_eq!(chain, vec![e(9, Some(b"c")), e(6, Some(b"b"))]);
        let mut chain = vec![e(6, None), e(4, Some(b"a"))];
        prune(&mut chain, 6);
        assert!(chain.is_empty());
    }
}
