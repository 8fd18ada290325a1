//! The keyspace: Redis keys of every type in the engine's one ordered KV
//! map, with the locks and versions that make commands atomic, `EXEC`
//! isolated and `WATCH` exact.
//!
//! # Encoding
//!
//! - `k` + key → a record per key: a type tag then its payload: `s` + the
//!   string's bytes, or for a collection its tag (`h` hash, `t` set, `l`
//!   list) + generation (u64 BE) + element count (u64 BE) + head (i64 BE,
//!   lists: index of the first element). The key's expiry is this record's
//!   engine TTL.
//! - `f` + key length (u32 BE) + key + generation + element → a
//!   collection's element record, with the same absolute engine expiry as
//!   its key record: a hash field → its value; a set member → empty; a
//!   list index (i64 BE with the sign bit flipped, so byte order is index
//!   order) → the element.
//!
//! Length-prefixing the key keeps one hash's fields contiguous and apart
//! from any other key's (so `HGETALL`/`HSCAN` are prefix scans in field
//! order); the generation, fresh for every hash created, makes fields left
//! behind by an expired hash invisible to a new hash of the same name.
//! Keys in `k` are in byte order, so `SCAN` is an ordered walk.
//!
//! # Concurrency
//!
//! The engine's point operations are linearizable but a command may touch
//! several records (a hash's fields and its count; `MSET`'s keys). Every
//! command holds the `global` lock shared and locks the stripes of its keys
//! (in stripe order, so no deadlock); `EXEC`, `FLUSHALL` and commands on
//! many keys hold `global` exclusively instead. So each command is atomic,
//! and a transaction runs with no other command in between, as in Redis.
//! Every write bumps the version of its key's slot; `WATCH` remembers the
//! versions and `EXEC` (exclusive) compares them. Two keys sharing one of
//! the 65 536 slots can make an `EXEC` abort that Redis would run (never
//! the reverse).
//!
//! # Durability
//!
//! On a durable engine every write command runs inside one KV write group
//! (`Kv::write_group`, opened in `cmd::run`), and `EXEC` opens one around
//! its whole queue: all the records written here by a command or a
//! transaction are one log record, appended while its locks are still
//! held, so a crash never leaves half of one (a count disagreeing with its
//! fields, half an `MSET`).

use crate::striped::{StripedRwLock, StripedWriteGuard};
use kvgraph::{Engine, Kv};
use parking_lot::{Mutex, MutexGuard, RwLockReadGuard};
use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stripes of the per-key locks.
const STRIPES: usize = 4096;
/// Slots of the write versions `WATCH` compares.
const VERSION_SLOTS: usize = 65_536;
/// Commands on more distinct stripes than this lock the keyspace exclusively.
pub const MAX_STRIPES: usize = 16;
/// Scan cursors remembered at once (the oldest are forgotten first).
const MAX_CURSORS: usize = 65_536;
/// A record outside the keyspace (neither `k` nor `f`) that a durable
/// engine holds so that [`Store::check_log`] can ask whether the log still
/// records writes: inserting it again changes nothing and logs nothing.
const PROBE: &[u8] = b"p";

/// Why a key's value cannot serve a command.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The type and payload of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string.
    Str(Vec<u8>),
    /// A hash, set or list: its elements are separate records.
    Coll(Meta),
}

/// The kinds of collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Fields with values.
    Hash,
    /// Members.
    Set,
    /// Elements by index.
    List,
}

impl Kind {
    fn tag(self) -> u8 {
        match self {
            Kind::Hash => b'h',
            Kind::Set => b't',
            Kind::List => b'l',
        }
    }

    /// The name `TYPE` replies.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::List => "list",
        }
    }
}

/// The key record of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Which collection.
    pub kind: Kind,
    /// Generation in its elements' keys.
    pub generation: u64,
    /// Number of elements.
    pub len: u64,
    /// Lists: index of the first element.
    pub head: i64,
}

/// The key record of a hash (a [`Meta`] of kind [`Kind::Hash`]).
pub type HashMeta = Meta;

/// A list index as element-key bytes (sign bit flipped: byte order is index order).
pub fn list_index(i: i64) -> [u8; 8] {
    ((i as u64) ^ (1 << 63)).to_be_bytes()
}

/// A live key: its value and absolute expiry (Unix ms, 0: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Expiry time, 0 for none.
    pub expires_at: u64,
}

impl Entry {
    /// The type name `TYPE` replies.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Str(_) => "string",
            Value::Coll(m) => m.kind.name(),
        }
    }
}

/// An engine key or record built per command, on the stack when short.
pub type Record = SmallVec<[u8; 64]>;

/// The engine key of `key`'s record.
pub fn key_record(key: &[u8]) -> Record {
    let mut k = Record::with_capacity(key.len() + 1);
    k.push(b'k');
    k.extend_from_slice(key);
    k
}

/// The engine-key prefix of the fields of hash `key` in `generation`.
pub fn field_prefix(key: &[u8], generation: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 13);
    k.push(b'f');
    k.extend_from_slice(&(key.len() as u32).to_be_bytes());
    k.extend_from_slice(key);
    k.extend_from_slice(&generation.to_be_bytes());
    k
}

/// The smallest byte string above every string starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn decode(record: &[u8]) -> Option<Value> {
    match record.split_first()? {
        (b's', rest) => Some(Value::Str(rest.to_vec())),
        (&tag, rest) if rest.len() == 24 => Some(Value::Coll(Meta {
            kind: match tag {
                b'h' => Kind::Hash,
                b't' => Kind::Set,
                b'l' => Kind::List,
                _ => return None,
            },
            generation: u64::from_be_bytes(rest[..8].try_into().ok()?),
            len: u64::from_be_bytes(rest[8..16].try_into().ok()?),
            head: i64::from_be_bytes(rest[16..].try_into().ok()?),
        })),
        _ => None,
    }
}

fn encode_meta(meta: Meta) -> [u8; 25] {
    let mut r = [0u8; 25];
    r[0] = meta.kind.tag();
    r[1..9].copy_from_slice(&meta.generation.to_be_bytes());
    r[9..17].copy_from_slice(&meta.len.to_be_bytes());
    r[17..].copy_from_slice(&meta.head.to_be_bytes());
    r
}

fn fnv(key: &[u8]) -> u64 {
    key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// What a command holds while it runs.
pub enum Held<'a> {
    /// Nothing: the caller already holds the keyspace exclusively (`EXEC`).
    Nothing,
    /// The keyspace shared and the stripes of the command's keys (held
    /// until dropped).
    Keys { _shared: RwLockReadGuard<'a, ()>, _stripes: SmallVec<[MutexGuard<'a, ()>; 4]> },
    /// The keyspace exclusively (held until dropped).
    All { _exclusive: StripedWriteGuard<'a> },
}

/// Remembered scan positions, so that a cursor can be an integer.
#[derive(Default)]
struct Cursors {
    next: u64,
    positions: HashMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
}

/// The keyspace over the engine.
pub struct Store {
    engine: Engine,
    global: StripedRwLock,
    stripes: Box<[Mutex<()>]>,
    versions: Box<[AtomicU64]>,
    generation: AtomicU64,
    cursors: Mutex<Cursors>,
    durable: bool,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(Engine::new())
    }
}

impl Store {
    /// A keyspace over `engine`'s KV map.
    pub fn new(engine: Engine) -> Self {
        Store {
            global: StripedRwLock::new(),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            versions: (0..VERSION_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            generation: AtomicU64::new(1),
            cursors: Mutex::new(Cursors { next: 1, ..Cursors::default() }),
            durable: engine.recovery().is_some(),
            engine,
        }
    }

    /// A keyspace over the records a durable `engine` recovered: new
    /// collections get generations above every stored one (so no element
    /// left behind by a command cut by a crash, as one logged in parts or
    /// by a build before write groups, shows up in them).
    pub fn open(engine: Engine) -> kvgraph::Result<Self> {
        let mut generation = 0;
        engine.kv().scan_with(Some(b"k"), Some(b"l"), |_, v| {
            if let Some(Value::Coll(m)) = decode(v) {
                generation = generation.max(m.generation);
            }
            ControlFlow::Continue(())
        });
        engine.kv().scan_with(Some(b"f"), Some(b"g"), |k, _| {
            let len = k.get(1..5).and_then(|l| l.try_into().ok()).map_or(0, u32::from_be_bytes) as usize;
            if let Some(g) = k.get(5 + len..13 + len).and_then(|g| g.try_into().ok()) {
                generation = generation.max(u64::from_be_bytes(g));
            }
            ControlFlow::Continue(())
        });
        engine.kv().try_insert(PROBE, b"")?;
        let store = Self::new(engine);
        store.generation.store(generation + 1, Ordering::Relaxed);
        Ok(store)
    }

    /// `Err` once a durable engine can no longer record writes (a full
    /// disk, a failed fsync: the failure sticks); always `Ok` in memory.
    pub fn check_log(&self) -> Result<(), String> {
        if !self.durable {
            return Ok(());
        }
        self.kv().try_insert(PROBE, b"").map(|_| ()).map_err(|e| e.to_string())
    }

    /// The engine's KV map.
    pub fn kv(&self) -> &Kv {
        self.engine.kv()
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The current time on the engine's clock (Unix ms).
    pub fn now_ms(&self) -> u64 {
        self.kv().now_ms()
    }

    /// Locks the stripes of `keys` (the keyspace exclusively beyond
    /// [`MAX_STRIPES`] stripes).
    pub fn lock_keys<'a>(&'a self, keys: impl Iterator<Item = &'a [u8]>) -> Held<'a> {
        let mut idx: SmallVec<[usize; 4]> = keys.map(|k| fnv(k) as usize % STRIPES).collect();
        idx.sort_unstable();
        idx.dedup();
        if idx.len() > MAX_STRIPES {
            return self.lock_all();
        }
        let shared = self.global.read();
        Held::Keys { _shared: shared, _stripes: idx.into_iter().map(|i| self.stripes[i].lock()).collect() }
    }

    /// Locks the keyspace exclusively.
    pub fn lock_all(&self) -> Held<'_> {
        Held::All { _exclusive: self.global.write() }
    }

    /// The write version of `key`'s slot.
    pub fn version(&self, key: &[u8]) -> u64 {
        self.versions[fnv(key) as usize % VERSION_SLOTS].load(Ordering::Acquire)
    }

    /// Records that `key` was modified (call after the write).
    pub fn modified(&self, key: &[u8]) {
        self.versions[fnv(key) as usize % VERSION_SLOTS].fetch_add(1, Ordering::AcqRel);
    }

    /// The live key `key`.
    pub fn lookup(&self, key: &[u8]) -> Option<Entry> {
        let rec = key_record(key);
        let value = self.kv().get_with(&rec, decode)??;
        let expires_at = self.kv().expires_at(&rec).unwrap_or(0);
        Some(Entry { value, expires_at })
    }

    /// The type tag of `key` (`b's'`, `b'h'`), read in place.
    pub fn tag(&self, key: &[u8]) -> Option<u8> {
        self.kv().get_with(&key_record(key), |v| v.first().copied()).flatten()
    }

    /// Calls `f` on string `key` in place: `Err` if it holds another type.
    pub fn with_str<T>(&self, key: &[u8], f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, &'static str> {
        match self.kv().get_with(&key_record(key), |v| match v.split_first() {
            Some((b's', s)) => Ok(f(s)),
            _ => Err(WRONGTYPE),
        }) {
            None => Ok(None),
            Some(r) => r.map(Some),
        }
    }

    /// The string at `key`, `Err` for another type.
    pub fn get_str(&self, key: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
        self.with_str(key, <[u8]>::to_vec)
    }

    /// Sets `key` to string `value` expiring at `expires_at` (0: never),
    /// replacing whatever it held.
    pub fn set_str(&self, key: &[u8], value: &[u8], expires_at: u64) {
        let mut rec = Record::with_capacity(value.len() + 1);
        rec.push(b's');
        rec.extend_from_slice(value);
        let record = key_record(key);
        // One descent overwrites a string or creates the key; a collection
        // is deleted first, its element records with it.
        if !self.kv().set_unless(&record, &rec, expires_at, |cur| cur.first() != Some(&b's')) {
            self.delete(key);
            self.kv().set_with_expiry_at(&record, &rec, expires_at);
        }
        self.modified(key);
    }

    /// Deletes `key` of any type; returns whether it existed.
    pub fn delete(&self, key: &[u8]) -> bool {
        let Some(entry) = self.lookup(key) else { return false };
        self.kv().delete(&key_record(key));
        if let Value::Coll(meta) = entry.value {
            let prefix = field_prefix(key, meta.generation);
            for (k, _) in self.kv().scan_prefix(&prefix) {
                self.kv().delete(&k);
            }
        }
        self.modified(key);
        true
    }

    /// Gives live `key` the expiry `expires_at` (0: none); a time already
    /// past deletes it. Returns whether the key existed.
    pub fn set_expiry(&self, key: &[u8], expires_at: u64) -> bool {
        let Some(entry) = self.lookup(key) else { return false };
        if expires_at != 0 && expires_at <= self.now_ms() {
            return self.delete(key);
        }
        match entry.value {
            Value::Str(s) => {
                let mut rec = Vec::with_capacity(s.len() + 1);
                rec.push(b's');
                rec.extend_from_slice(&s);
                self.kv().set_with_expiry_at(&key_record(key), &rec, expires_at);
            }
            Value::Coll(meta) => {
                for (k, v) in self.kv().scan_prefix(&field_prefix(key, meta.generation)) {
                    self.kv().set_with_expiry_at(&k, &v, expires_at);
                }
                self.kv().set_with_expiry_at(&key_record(key), &encode_meta(meta), expires_at);
            }
        }
        self.modified(key);
        true
    }

    /// Writes a copy of `entry` (the live value of `src`) under `dst`,
    /// replacing whatever `dst` held; keeps the expiry.
    pub fn copy_entry(&self, src: &[u8], entry: &Entry, dst: &[u8]) {
        match &entry.value {
            Value::Str(s) => self.set_str(dst, s, entry.expires_at),
            Value::Coll(meta) => {
                let fields = self.hall(src, *meta);
                self.delete(dst);
                let new = Meta { generation: self.generation.fetch_add(1, Ordering::Relaxed), ..*meta };
                for (f, v) in &fields {
                    self.hset(dst, new, entry.expires_at, f, v);
                }
                self.put_hash(dst, new, entry.expires_at);
            }
        }
    }

    /// The collection of `kind` at `key` with its expiry: `Ok(None)` if
    /// absent, `Err` for another type.
    pub fn coll(&self, key: &[u8], kind: Kind) -> Result<Option<(Meta, u64)>, &'static str> {
        match self.lookup(key) {
            None => Ok(None),
            Some(Entry { value: Value::Coll(m), expires_at }) if m.kind == kind => Ok(Some((m, expires_at))),
            Some(_) => Err(WRONGTYPE),
        }
    }

    /// The collection of `kind` at `key`, created empty (not stored yet) if absent.
    pub fn coll_or_new(&self, key: &[u8], kind: Kind) -> Result<(Meta, u64), &'static str> {
        Ok(self.coll(key, kind)?.unwrap_or_else(|| {
            (Meta { kind, generation: self.generation.fetch_add(1, Ordering::Relaxed), len: 0, head: 0 }, 0)
        }))
    }

    /// The hash at `key`: `Ok(None)` if absent, `Err` for another type.
    pub fn hash(&self, key: &[u8]) -> Result<Option<(HashMeta, u64)>, &'static str> {
        self.coll(key, Kind::Hash)
    }

    /// The hash at `key`, created empty (not stored yet) if absent.
    pub fn hash_or_new(&self, key: &[u8]) -> Result<(HashMeta, u64), &'static str> {
        self.coll_or_new(key, Kind::Hash)
    }

    /// Stores the key record of hash `key` (deleting it when empty).
    pub fn put_hash(&self, key: &[u8], meta: HashMeta, expires_at: u64) {
        if meta.len == 0 {
            self.kv().delete(&key_record(key));
        } else {
            self.kv().set_with_expiry_at(&key_record(key), &encode_meta(meta), expires_at);
        }
        self.modified(key);
    }

    /// The engine key of `field` of hash `key`.
    pub fn field_key(key: &[u8], meta: HashMeta, field: &[u8]) -> Vec<u8> {
        let mut k = field_prefix(key, meta.generation);
        k.extend_from_slice(field);
        k
    }

    /// The value of `field` in hash `key`.
    pub fn hget(&self, key: &[u8], meta: HashMeta, field: &[u8]) -> Option<Vec<u8>> {
        self.kv().get(&Self::field_key(key, meta, field))
    }

    /// Sets `field` of hash `key`; returns whether it is new. The caller
    /// updates the count with [`put_hash`](Self::put_hash).
    pub fn hset(&self, key: &[u8], meta: HashMeta, expires_at: u64, field: &[u8], value: &[u8]) -> bool {
        let fk = Self::field_key(key, meta, field);
        let new = !self.kv().contains_key(&fk);
        self.kv().set_with_expiry_at(&fk, value, expires_at);
        new
    }

    /// Deletes `field` of hash `key`; returns whether it existed.
    pub fn hdel(&self, key: &[u8], meta: HashMeta, field: &[u8]) -> bool {
        self.kv().delete(&Self::field_key(key, meta, field))
    }

    /// Visits the fields of hash `key` from `after` (exclusive; `None`: the
    /// first) in field order, until `f` breaks.
    pub fn hvisit(
        &self,
        key: &[u8],
        meta: HashMeta,
        after: Option<&[u8]>,
        mut f: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) {
        let prefix = field_prefix(key, meta.generation);
        let start = match after {
            Some(a) => [&prefix[..], a, &[0]].concat(),
            None => prefix.clone(),
        };
        let end = prefix_end(&prefix);
        self.kv().scan_with(Some(&start), end.as_deref(), |k, v| f(&k[prefix.len()..], v));
    }

    /// All fields and values of hash `key`.
    pub fn hall(&self, key: &[u8], meta: HashMeta) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all = Vec::with_capacity(meta.len as usize);
        self.hvisit(key, meta, None, |k, v| {
            all.push((k.to_vec(), v.to_vec()));
            ControlFlow::Continue(())
        });
        all
    }

    /// Visits the live keys from `after` (exclusive; `None`: the first) in
    /// byte order with their type tag, until `f` breaks.
    pub fn visit_keys(&self, after: Option<&[u8]>, mut f: impl FnMut(&[u8], u8) -> ControlFlow<()>) {
        let start = match after {
            Some(a) => [b"k", a, &[0]].concat(),
            None => b"k".to_vec(),
        };
        self.kv().scan_with(Some(&start), Some(b"l"), |k, v| f(&k[1..], v.first().copied().unwrap_or(0)));
    }

    /// Number of live keys.
    pub fn dbsize(&self) -> usize {
        let mut n = 0;
        self.visit_keys(None, |_, _| {
            n += 1;
            ControlFlow::Continue(())
        });
        n
    }

    /// Number of live keys, how many of them have an expiry and their
    /// average time to live in ms (one walk over the keys: O(n)).
    pub fn keyspace_stats(&self) -> (usize, usize, u64) {
        let (mut keys, mut expiring, mut ttl_sum) = (0, 0, 0u128);
        let now = self.now_ms();
        let mut names = Vec::new();
        self.visit_keys(None, |k, _| {
            keys += 1;
            names.push(key_record(k));
            ControlFlow::Continue(())
        });
        for rec in names {
            if let Some(at) = self.kv().expires_at(&rec).filter(|at| *at != 0) {
                expiring += 1;
                ttl_sum += u128::from(at.saturating_sub(now));
            }
        }
        (keys, expiring, if expiring == 0 { 0 } else { (ttl_sum / expiring as u128) as u64 })
    }

    /// Deletes every key (the caller holds the keyspace exclusively).
    pub fn flush(&self) {
        let mut keys = Vec::new();
        self.visit_keys(None, |k, _| {
            keys.push(k.to_vec());
            ControlFlow::Continue(())
        });
        for k in keys {
            self.delete(&k);
        }
        // Fields of expired hashes, invisible but still stored.
        for (k, _) in self.kv().scan_prefix(b"f") {
            self.kv().delete(&k);
        }
        self.kv().maintain();
    }

    /// A cursor for resuming a scan after `position`.
    pub fn save_cursor(&self, position: Vec<u8>) -> u64 {
        let mut c = self.cursors.lock();
        let id = c.next;
        c.next = c.next.wrapping_add(1).max(1);
        c.positions.insert(id, position);
        c.order.push_back(id);
        if c.order.len() > MAX_CURSORS
            && let Some(old) = c.order.pop_front()
        {
            c.positions.remove(&old);
        }
        id
    }

    /// The position cursor `id` resumes after (`None`: unknown or expired).
    pub fn cursor(&self, id: u64) -> Option<Vec<u8>> {
        self.cursors.lock().positions.get(&id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hashes_and_types_share_the_keyspace() {
        let s = Store::default();
        s.set_str(b"a", b"1", 0);
        let (meta, exp) = s.hash_or_new(b"h").unwrap();
        assert!(s.hset(b"h", meta, exp, b"f", b"v"));
        s.put_hash(b"h", HashMeta { len: 1, ..meta }, exp);
        assert_eq!(s.hash(b"a"), Err(WRONGTYPE));
        assert_eq!(s.get_str(b"h"), Err(WRONGTYPE));
        assert_eq!(s.lookup(b"h").unwrap().type_name(), "hash");
        assert_eq!(s.dbsize(), 2);
        s.set_str(b"e", b"1", s.now_ms() + 60_000);
        let (keys, expiring, avg) = s.keyspace_stats();
        assert_eq!((keys, expiring), (3, 1));
        assert!(avg > 50_000 && avg <= 60_000);
        s.delete(b"e");
        s.set_str(b"h", b"now a string", 0);
        assert_eq!(s.kv().scan_prefix(b"f").count(), 0, "overwriting a hash drops its fields");
        assert_eq!(s.get_str(b"h"), Ok(Some(b"now a string".to_vec())));
        let (list, _) = s.coll_or_new(b"l", Kind::List).unwrap();
        s.hset(b"l", list, 0, &list_index(-1), b"x");
        s.put_hash(b"l", Meta { len: 1, head: -1, ..list }, 0);
        assert_eq!(s.lookup(b"l").unwrap().type_name(), "list");
        s.set_str(b"l", b"a string", 0);
        assert_eq!(s.kv().scan_prefix(b"f").count(), 0, "overwriting a list drops its elements");
        assert!(list_index(-1) < list_index(0) && list_index(0) < list_index(i64::MAX));
        let (meta2, _) = s.hash_or_new(b"h2").unwrap();
        assert_ne!(meta.generation, meta2.generation);
    }
}
