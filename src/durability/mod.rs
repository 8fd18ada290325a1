//! Durability: an engine opened on a directory keeps its KV map and graph
//! in a snapshot file plus an append-only log of every acknowledged write,
//! and recovers them on open.
//!
//! The engine attaches one observer to its [`Kv`] and [`Graph`]; they call
//! it after each acknowledged write (the map and the graph know nothing of
//! files). KV writes are recorded as the state they left their key in,
//! ordered per key by a striped lock (the writes of a KV write group as one
//! record of such states, appended when the group closes); graph writes as
//! the call that made them, ordered by one lock, so the log replays in the
//! order they applied.
//!
//! Files in the directory, for generation `g`: `snapshot-g` (the image of
//! every write recorded before `log-g` began) and `log-g`, `log-g+1`, …
//! (the writes after it), plus `LOCK`. Saving starts `log-g+1`, writes
//! `snapshot-g+1` to a temporary file, syncs and renames it, syncs the
//! directory, and only then deletes generation `g`'s files.

mod codec;
mod log;
mod records;
mod snapshot;

use crate::error::{Error, Result};
use crate::graph::{Graph, GraphObserver, GraphWrite};
use crate::kv::{Kv, KvObserver};
use log::Log;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// When the log is synced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fsync {
    /// Before every write call returns (concurrent writers share one fsync).
    Always,
    /// Once a second by a background thread: at most about a second of
    /// writes is lost on a crash of the machine; records reach the OS within
    /// a few milliseconds, so a crash of the process alone loses less.
    #[default]
    EverySec,
    /// Never explicitly: the operating system decides.
    Never,
}

/// When the engine saves a snapshot by itself (as Redis `save`): after
/// `seconds` if at least `writes` writes were logged since the last save,
/// for any of the rules. An empty list saves only on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavePolicy {
    /// `(seconds, writes)` rules.
    pub rules: Vec<(u64, u64)>,
}

impl Default for SavePolicy {
    /// Redis's defaults: after 1 h and 1 write, 5 min and 100 writes, 1 min and 10 000 writes.
    fn default() -> Self {
        SavePolicy { rules: vec![(3600, 1), (300, 100), (60, 10_000)] }
    }
}

/// What opening a directory recovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The snapshot file loaded, if any.
    pub snapshot: Option<PathBuf>,
    /// KV entries, node ids and edges the snapshot held.
    pub snapshot_counts: (u64, u64, u64),
    /// Log records replayed after it.
    pub replayed: u64,
    /// A torn last record cut off: the log file, the offset it was cut at,
    /// and the bytes removed.
    pub torn: Option<(PathBuf, u64, u64)>,
}

/// Interval of the flusher thread under `EverySec` and `Never`.
const FLUSH_EVERY: Duration = Duration::from_millis(10);
/// Interval between syncs under `EverySec`.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Lock stripes ordering KV records per key.
const STRIPES: usize = 1024;

/// The observer attached to the engine's map and graph.
struct Hooks {
    log: Log,
    stripes: Box<[Mutex<()>]>,
    order: Mutex<()>,
    /// KV write groups open, by epoch parity (see [`Hooks::groups_barrier`]).
    groups: OpenGroups,
}

/// The KV write groups open: a save's barrier waits for those of the epoch
/// it ends, while new groups open in the next one.
#[derive(Default)]
struct OpenGroups {
    epoch: AtomicU64,
    open: [AtomicU64; 2],
}

/// How often a save's barrier looks whether the groups it waits for closed.
const BARRIER_POLL: Duration = Duration::from_micros(50);

impl Hooks {
    /// Returns once every KV write group open now has appended its record
    /// (groups opened meanwhile are not waited for: no starvation). One
    /// save at a time calls it (under the generation lock).
    fn groups_barrier(&self) {
        let ended = (self.groups.epoch.fetch_add(1, Ordering::SeqCst) % 2) as usize;
        // Groups that counted themselves in the ended epoch but saw the
        // change retreat at once; the others are mid-group: a short wait.
        while self.groups.open[ended].load(Ordering::SeqCst) > 0 {
            std::thread::sleep(BARRIER_POLL);
        }
    }
}

impl KvObserver for Hooks {
    fn check(&self) -> Result<()> {
        self.log.check()
    }
    fn stripe(&self, key: &[u8]) -> MutexGuard<'_, ()> {
        let i = crc32c::crc32c(key) as usize % STRIPES;
        self.stripes[i].lock().unwrap_or_else(|e| e.into_inner())
    }
    fn record(&self, key: &[u8], state: Option<(&[u8], u64)>) -> Result<u64> {
        self.log.append(|o| records::put_kv(o, key, state))
    }
    fn wait(&self, ticket: u64) -> Result<()> {
        self.log.wait(ticket)
    }
    fn encode(&self, out: &mut Vec<u8>, key: &[u8], state: Option<(&[u8], u64)>) {
        records::put_kv(out, key, state);
    }
    fn record_group(&self, ops: u64, body: &[u8]) -> Result<u64> {
        let ticket = self.log.append(|o| records::put_kv_group(o, ops, body))?;
        // The save policy counts writes, not records.
        self.log.records.fetch_add(ops.saturating_sub(1), Ordering::Relaxed);
        Ok(ticket)
    }
    fn group_opened(&self) -> usize {
        let g = &self.groups;
        loop {
            let epoch = g.epoch.load(Ordering::SeqCst);
            let token = (epoch % 2) as usize;
            g.open[token].fetch_add(1, Ordering::SeqCst);
            if g.epoch.load(Ordering::SeqCst) == epoch {
                return token;
            }
            // A barrier ended that epoch meanwhile: count in the next one.
            g.open[token].fetch_sub(1, Ordering::SeqCst);
        }
    }
    fn group_closed(&self, token: usize) {
        self.groups.open[token].fetch_sub(1, Ordering::SeqCst);
    }
}

impl GraphObserver for Hooks {
    fn check(&self) -> Result<()> {
        self.log.check()
    }
    fn order(&self) -> MutexGuard<'_, ()> {
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn record(&self, write: &GraphWrite<'_>) -> Result<u64> {
        self.log.append(|o| records::put_graph(o, write))
    }
    fn wait(&self, ticket: u64) -> Result<()> {
        self.log.wait(ticket)
    }
}

/// State shared with the background threads.
struct Inner {
    dir: PathBuf,
    policy: Fsync,
    save_policy: SavePolicy,
    hooks: Arc<Hooks>,
    kv: Kv,
    graph: Graph,
    /// The current generation; held while saving (one save at a time).
    generation: Mutex<u64>,
    /// When the last save finished and the log's record count then.
    last_save: Mutex<(Instant, u64)>,
    stop: Mutex<bool>,
    wake: Condvar,
}

/// The durability of one engine: the open directory, its log, its threads.
pub(crate) struct Durable {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
    recovery: Recovery,
    /// Holds the directory's lock while open.
    _lock: File,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}: {e}", path.display()))
}

fn snapshot_name(g: u64) -> String {
    format!("snapshot-{g:016x}.kvgs")
}

fn log_name(g: u64) -> String {
    format!("log-{g:016x}.kvgl")
}

/// Magic of a log file.
const LOG_MAGIC: &[u8; 8] = b"KVGLOG\0\0";

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err("cannot sync directory", dir, e))
}

/// Creates the log file of generation `g`, header written and synced.
fn create_log(dir: &Path, g: u64) -> Result<(File, PathBuf)> {
    let path = dir.join(log_name(g));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(|e| io_err("cannot create log", &path, e))?;
    file.write_all(&codec::header(LOG_MAGIC))
        .and_then(|_| file.sync_all())
        .map_err(|e| io_err("cannot write log", &path, e))?;
    sync_dir(dir)?;
    Ok((file, path))
}

/// The generations of the files named `prefix-<hex>.<ext>` in `names`.
fn generations(names: &[String], prefix: &str, ext: &str) -> Vec<u64> {
    let mut g: Vec<u64> = names
        .iter()
        .filter_map(|n| n.strip_prefix(prefix)?.strip_suffix(ext).and_then(|h| u64::from_str_radix(h, 16).ok()))
        .collect();
    g.sort_unstable();
    g
}

impl Durable {
    /// Opens (creating it if needed) the directory `dir` for `kv` and
    /// `graph`, both empty: locks it, recovers its contents into them, and
    /// attaches the log to every later write.
    pub(crate) fn open(dir: &Path, policy: Fsync, save_policy: SavePolicy, kv: &mut Kv, graph: &Graph) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| io_err("cannot create directory", dir, e))?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err("cannot open", &lock_path, e))?;
        if let Err(e) = lock.try_lock() {
            return Err(Error::io(format!("{} is in use by another engine (its LOCK is held): {e}", dir.display())));
        }
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| io_err("cannot list", dir, e))? {
            let entry = entry.map_err(|e| io_err("cannot list", dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                // An interrupted save: never renamed, never relied upon.
                let _ = fs::remove_file(entry.path());
            } else {
                names.push(name);
            }
        }
        let snaps = generations(&names, "snapshot-", ".kvgs");
        let logs = generations(&names, "log-", ".kvgl");
        let base = snaps.last().copied().unwrap_or(0);
        let now = kv.now_ms();
        let mut recovery = Recovery::default();
        if let Some(&g) = snaps.last() {
            let path = dir.join(snapshot_name(g));
            let data = fs::read(&path).map_err(|e| io_err("cannot read", &path, e))?;
            let got = snapshot::load(&path, &data, kv, graph, now)?;
            recovery.snapshot = Some(path);
            recovery.snapshot_counts = (got.kv, got.nodes, got.edges);
        }
        let replay: Vec<u64> = logs.iter().copied().filter(|&g| g >= base).collect();
        // A save creates the next log before it flushes the current one, so
        // a crash in that flush tears a log that is followed by an empty one:
        // a torn tail is allowed in the newest log that holds any record.
        let holds_records =
            |g: u64| fs::metadata(dir.join(log_name(g))).map_or(true, |m| m.len() > codec::HEADER_LEN as u64);
        let newest_used = replay.iter().rposition(|&g| holds_records(g)).unwrap_or(0);
        for (i, &g) in replay.iter().enumerate() {
            let path = dir.join(log_name(g));
            replay_log(&path, i >= newest_used, kv, graph, now, &mut recovery)?;
        }
        let next = snaps.iter().chain(&logs).max().map_or(1, |g| g + 1);
        let (file, path) = create_log(dir, next)?;
        let hooks = Arc::new(Hooks {
            log: Log::new(policy, file, path),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            order: Mutex::new(()),
            groups: OpenGroups::default(),
        });
        let attached = kv.observe(Arc::clone(&hooks) as Arc<dyn KvObserver>)
            && graph.observe(Arc::clone(&hooks) as Arc<dyn GraphObserver>);
        if !attached {
            return Err(Error::invalid("the engine already has a durability log"));
        }
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            policy,
            save_policy,
            hooks,
            kv: kv.share(),
            graph: graph.share(),
            generation: Mutex::new(next),
            last_save: Mutex::new((Instant::now(), 0)),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        if recovery.replayed > 0 || recovery.torn.is_some() {
            // Fold the replayed log into a snapshot: the next open is fast.
            inner.save()?;
        }
        let mut threads = Vec::new();
        if policy != Fsync::Always {
            let i = Arc::clone(&inner);
            threads.push(spawn("kvgraph-flush", move || i.flusher()));
        }
        if !inner.save_policy.rules.is_empty() {
            let i = Arc::clone(&inner);
            threads.push(spawn("kvgraph-save", move || i.saver()));
        }
        Ok(Durable { inner, threads, recovery, _lock: lock })
    }

    /// What opening recovered.
    pub(crate) fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Writes a snapshot now and truncates the log; returns its size in bytes.
    pub(crate) fn save(&self) -> Result<u64> {
        // The save would wait for the caller's own group to close.
        self.inner.kv.check_not_in_group("cannot save")?;
        self.inner.save()
    }

    /// Writes and syncs every record logged so far.
    pub(crate) fn sync(&self) -> Result<()> {
        self.inner.hooks.log.flush(true)
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new().name(name.into()).spawn(f).expect("spawning a durability thread")
}

/// Replays the log at `path`; a torn tail is allowed (and cut off) only if
/// it is `last`: no later log holds a record.
fn replay_log(path: &Path, last: bool, kv: &Kv, graph: &Graph, now: u64, recovery: &mut Recovery) -> Result<()> {
    let data = fs::read(path).map_err(|e| io_err("cannot read", path, e))?;
    if data.len() < codec::HEADER_LEN && last {
        // Created but its header never reached the disk: holds nothing.
        recovery.torn.get_or_insert((path.to_path_buf(), 0, data.len() as u64));
        return fs::remove_file(path).map_err(|e| io_err("cannot remove", path, e));
    }
    codec::check_header(path, &data, LOG_MAGIC)?;
    let mut frames = codec::Frames::new(path, &data);
    loop {
        match frames.next_frame()? {
            codec::Next::Frame(payload, at) => {
                records::replay(payload, kv, graph, now).map_err(|e| match e {
                    records::ReplayError::Malformed(m) => codec::damaged(path, at, format!("malformed record: {m}")),
                    records::ReplayError::Diverged(m) => {
                        codec::damaged(path, at, format!("record does not replay ({m}): the log is inconsistent"))
                    }
                })?;
                recovery.replayed += 1;
            }
            codec::Next::End => return Ok(()),
            codec::Next::Torn(at) if last => {
                let cut = (data.len() - at) as u64;
                let f = OpenOptions::new().write(true).open(path).map_err(|e| io_err("cannot open", path, e))?;
                f.set_len(at as u64).and_then(|_| f.sync_all()).map_err(|e| io_err("cannot truncate", path, e))?;
                recovery.torn = Some((path.to_path_buf(), at as u64, cut));
                return Ok(());
            }
            codec::Next::Torn(at) => {
                return Err(codec::damaged(path, at, "incomplete record in a log that is not the newest"));
            }
        }
    }
}

impl Inner {
    fn save(&self) -> Result<u64> {
        let mut generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let log = &self.hooks.log;
        log.check()?;
        let next = *generation + 1;
        let (file, path) = create_log(&self.dir, next)?;
        let records = log.records.load(Ordering::Relaxed);
        let snap = {
            // No graph write is between applying and recording now: the
            // snapshot holds exactly the graph records of the older logs.
            let _order = GraphObserver::order(&*self.hooks);
            log.rotate(file, path)?;
            self.graph.snapshot()
        };
        *generation = next;
        let tmp = self.dir.join(format!("{}.tmp", snapshot_name(next)));
        let file = File::create(&tmp).map_err(|e| io_err("cannot create", &tmp, e))?;
        let bytes = match snapshot::write(file, &self.kv, &snap, &self.graph) {
            Ok(b) => b,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(io_err("cannot write snapshot", &tmp, e));
            }
        };
        drop(snap);
        // The snapshot may hold some writes of a KV write group whose record
        // is not in the log yet: it takes effect only once every group open
        // now has its record in the (new) log, on disk.
        self.hooks.groups_barrier();
        if let Err(e) = log.flush(true) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let final_path = self.dir.join(snapshot_name(next));
        fs::rename(&tmp, &final_path).map_err(|e| io_err("cannot rename", &tmp, e))?;
        sync_dir(&self.dir)?;
        for g in 0..next {
            for name in [snapshot_name(g), log_name(g)] {
                let p = self.dir.join(name);
                if p.exists() {
                    fs::remove_file(&p).map_err(|e| io_err("cannot remove", &p, e))?;
                }
            }
        }
        sync_dir(&self.dir)?;
        *self.last_save.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), records);
        Ok(bytes)
    }

    /// Waits `d` or until stopped; returns whether stopped.
    fn pause(&self, d: Duration) -> bool {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        let (stop, _) = self.wake.wait_timeout_while(stop, d, |s| !*s).unwrap_or_else(|e| e.into_inner());
        *stop
    }

    fn flusher(&self) {
        let mut synced = Instant::now();
        while !self.pause(FLUSH_EVERY) {
            let sync = self.policy == Fsync::EverySec && synced.elapsed() >= SYNC_EVERY;
            if self.hooks.log.flush(sync).is_err() {
                return; // The failure sticks in the log; writers see it.
            }
            if sync {
                synced = Instant::now();
            }
        }
    }

    fn saver(&self) {
        while !self.pause(Duration::from_millis(100)) {
            let (at, records) = *self.last_save.lock().unwrap_or_else(|e| e.into_inner());
            let since = self.hooks.log.records.load(Ordering::Relaxed) - records;
            let due = self.save_policy.rules.iter().any(|&(s, n)| since >= n.max(1) && at.elapsed().as_secs() >= s);
            if due && self.save().is_err() {
                // Retried by the next rule that fires; the error sticks in the log if it was the log's.
                *self.last_save.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), records);
            }
        }
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        *self.inner.stop.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.inner.wake.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let _ = self.inner.hooks.log.flush(self.inner.policy != Fsync::Never);
        self.inner.hooks.log.close();
    }
}
