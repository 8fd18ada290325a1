//! Persistence, as Redis users drive it: where the data lives (`dir`), the
//! snapshot rules (`save`), the change counter they read, and the state
//! `SAVE`, `BGSAVE`, `LASTSAVE` and `INFO persistence` report.
//!
//! With persistence on, the keyspace's engine lives in `<dir>/kv/` and each
//! graph's engine in `<dir>/graphs/<encoded name>/` (see [`encode_name`]);
//! every engine logs every write under the `appendfsync` policy. Snapshots
//! (`engine.save()`, which also truncates the log) are taken by `SAVE`,
//! `BGSAVE`, the `save` rules (checked here, so that `LASTSAVE` and
//! `rdb_changes_since_last_save` see them) and a graceful shutdown.

use crate::server::Server;
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the `save` rules are checked.
const RULES_EVERY: Duration = Duration::from_millis(100);

/// The current Unix time in seconds.
pub fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The persistence state of a server that persists.
pub struct Persistence {
    /// The data directory (absolute).
    pub dir: PathBuf,
    /// `appendfsync always`: replies to writes wait until the writes are
    /// synced, one sync for all the replies a connection sends at once (the
    /// engines themselves sync every second, so a pipeline of writes costs
    /// one fsync, not one per write).
    pub always: bool,
    /// The `save` rules in force (`CONFIG SET save` changes them).
    pub rules: Mutex<Vec<(u64, u64)>>,
    /// Write commands run since startup.
    changes: AtomicU64,
    /// `changes` when the last successful save began.
    changes_at_save: AtomicU64,
    /// Unix time of the last successful save (startup time before any).
    last_save: AtomicU64,
    /// When the last save (or startup) was, for the rules' intervals.
    last_attempt: Mutex<Instant>,
    /// Whether the last save succeeded.
    last_ok: AtomicBool,
    /// Seconds the last save took (-1: none yet).
    last_secs: AtomicU64,
    /// Successful saves since startup.
    saves: AtomicU64,
    /// A `BGSAVE` (or a save by the rules) is running.
    background: AtomicBool,
    /// Held while a save runs: one at a time.
    saving: Mutex<()>,
    /// Set by `SHUTDOWN NOSAVE`: no snapshot at shutdown (the log is still synced).
    pub nosave: AtomicBool,
}

impl Persistence {
    /// The state for data in `dir` with `rules`; `always`: `appendfsync always`.
    pub fn new(dir: PathBuf, always: bool, rules: Vec<(u64, u64)>) -> Self {
        Persistence {
            dir,
            always,
            rules: Mutex::new(rules),
            changes: AtomicU64::new(0),
            changes_at_save: AtomicU64::new(0),
            last_save: AtomicU64::new(unix_secs()),
            last_attempt: Mutex::new(Instant::now()),
            last_ok: AtomicBool::new(true),
            last_secs: AtomicU64::new(u64::MAX),
            saves: AtomicU64::new(0),
            background: AtomicBool::new(false),
            saving: Mutex::new(()),
            nosave: AtomicBool::new(false),
        }
    }

    /// Counts `n` changes towards the `save` rules.
    pub fn changed(&self, n: u64) {
        self.changes.fetch_add(n, Ordering::Relaxed);
    }

    /// Changes since the last successful save began.
    pub fn changes_since_save(&self) -> u64 {
        self.changes.load(Ordering::Relaxed).saturating_sub(self.changes_at_save.load(Ordering::Relaxed))
    }

    /// Unix time of the last successful save.
    pub fn last_save(&self) -> u64 {
        self.last_save.load(Ordering::Relaxed)
    }

    /// Whether the last save succeeded.
    pub fn last_ok(&self) -> bool {
        self.last_ok.load(Ordering::Relaxed)
    }

    /// Seconds the last save took (`None`: none yet).
    pub fn last_secs(&self) -> Option<u64> {
        Some(self.last_secs.load(Ordering::Relaxed)).filter(|s| *s != u64::MAX)
    }

    /// Successful saves since startup.
    pub fn saves(&self) -> u64 {
        self.saves.load(Ordering::Relaxed)
    }

    /// Whether a background save is running.
    pub fn in_background(&self) -> bool {
        self.background.load(Ordering::Relaxed)
    }

    /// Whether a rule is due: at least its changes since the last save and
    /// at least its seconds since the last save (or attempt).
    fn due(&self) -> bool {
        let since = self.changes_since_save();
        let secs = self.last_attempt.lock().elapsed().as_secs();
        self.rules.lock().iter().any(|&(s, c)| since >= c.max(1) && secs >= s)
    }
}

impl Server {
    /// Saves a snapshot of the keyspace and of every graph now (`SAVE`);
    /// waits for a save already running. Errors name what failed.
    pub fn save(&self) -> Result<(), String> {
        let Some(p) = &self.persist else { return Err(crate::config::NO_PERSISTENCE.into()) };
        let _one = p.saving.lock();
        let started = Instant::now();
        let changes = p.changes.load(Ordering::Relaxed);
        let result = self
            .store
            .engine()
            .save()
            .map_err(|e| format!("saving the keyspace: {e}"))
            .and_then(|_| self.graphs.save_all());
        *p.last_attempt.lock() = Instant::now();
        p.last_secs.store(started.elapsed().as_secs(), Ordering::Relaxed);
        p.last_ok.store(result.is_ok(), Ordering::Relaxed);
        if result.is_ok() {
            p.changes_at_save.store(changes, Ordering::Relaxed);
            p.last_save.store(unix_secs(), Ordering::Relaxed);
            p.saves.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Starts a save on a thread of its own (`BGSAVE`); `Err` if one is
    /// already running or persistence is off.
    pub fn bgsave(&self) -> Result<(), String> {
        let Some(p) = &self.persist else { return Err(crate::config::NO_PERSISTENCE.into()) };
        let srv = self.me.upgrade().ok_or("the server is shutting down")?;
        if p.background.swap(true, Ordering::AcqRel) {
            return Err("Background save already in progress".into());
        }
        let spawned = std::thread::Builder::new().name("kvgraph-bgsave".into()).spawn(move || {
            if let Err(e) = srv.save() {
                eprintln!("kvgraph-server: background save failed: {e}");
            }
            if let Some(p) = &srv.persist {
                p.background.store(false, Ordering::Release);
            }
        });
        spawned.map(|_| ()).map_err(|e| {
            p.background.store(false, Ordering::Release);
            format!("cannot start the background save: {e}")
        })
    }

    /// Writes and syncs every engine's log.
    pub fn sync(&self) -> Result<(), String> {
        if self.persist.is_none() {
            return Ok(());
        }
        self.store.engine().sync().map_err(|e| format!("syncing the keyspace: {e}"))?;
        self.graphs.sync_all()
    }

    /// What a graceful shutdown does with the data: a snapshot if `save`
    /// rules are set (unless `SHUTDOWN NOSAVE`), then a sync of every log.
    /// Returns whether it saved a snapshot.
    pub fn finish(&self) -> Result<bool, String> {
        let Some(p) = &self.persist else { return Ok(false) };
        let save = !p.nosave.load(Ordering::Relaxed) && !p.rules.lock().is_empty();
        if save {
            self.save()?;
        }
        self.sync()?;
        Ok(save)
    }
}

/// Starts the thread that applies the `save` rules to `srv` (it ends with
/// the server).
pub fn start_rules(srv: &Arc<Server>) -> std::io::Result<()> {
    let weak: Weak<Server> = Arc::downgrade(srv);
    let shutdown = srv.shutdown_signal();
    std::thread::Builder::new().name("kvgraph-save-rules".into()).spawn(move || {
        loop {
            std::thread::sleep(RULES_EVERY);
            if *shutdown.borrow() {
                return;
            }
            let Some(srv) = weak.upgrade() else { return };
            let Some(p) = &srv.persist else { return };
            if p.due() && !p.background.swap(true, Ordering::AcqRel) {
                if let Err(e) = srv.save() {
                    eprintln!("kvgraph-server: save by the save rules failed: {e}");
                }
                p.background.store(false, Ordering::Release);
            }
        }
    })?;
    Ok(())
}

/// A graph name as a directory name: `g` followed by the name's bytes,
/// each kept if it is a lower-case letter, digit, `-` or `_`, else written
/// `%XX` (so names differing only in case stay apart on case-insensitive
/// file systems, and no name is `.`, `..` or contains `/`). `None` if the
/// result would be too long for a file name.
pub fn encode_name(name: &[u8]) -> Option<String> {
    let mut s = String::with_capacity(name.len() + 1);
    s.push('g');
    for &b in name {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    (s.len() <= 240).then_some(s)
}

/// The graph name a directory name [`encode_name`] made stands for.
pub fn decode_name(dir: &str) -> Option<Vec<u8>> {
    let rest = dir.strip_prefix('g')?;
    let bytes = rest.as_bytes();
    let mut name = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            // Only the canonical form: upper-case hex of a byte that needs it.
            if hex.bytes().any(|h| h.is_ascii_lowercase()) || encode_name(&[v])?.len() == 2 {
                return None;
            }
            name.push(v);
            i += 3;
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' {
            name.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_names_round_trip_through_directory_names() {
        for name in [&b""[..], b"social", b"Social", b"a/b", b"..", b".", b"%41", b"\xff\x00 x", "ünï".as_bytes()] {
            let dir = encode_name(name).unwrap();
            assert!(dir.starts_with('g') && !dir.contains('/') && dir.bytes().all(|b| b.is_ascii_graphic()));
            assert_eq!(decode_name(&dir).as_deref(), Some(name), "{dir}");
        }
        assert_eq!(encode_name(b"Social").unwrap(), "g%53ocial");
        assert_ne!(encode_name(b"Social"), encode_name(b"social"));
        assert!(encode_name(&[b'x'; 239]).is_some() && encode_name(&[b'x'; 240]).is_none());
        assert!(encode_name(&[b'X'; 100]).is_none());
        for bad in ["", "social", "g%4", "g%zz", "g%4a", "g%61", "gA", "g.", "g/"] {
            assert_eq!(decode_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn rules_fire_on_changes_and_time() {
        let p = Persistence::new(PathBuf::from("."), false, vec![(0, 3)]);
        assert!(!p.due());
        p.changed(2);
        assert!(!p.due());
        p.changed(1);
        assert!(p.due());
        *p.rules.lock() = vec![(3600, 1)];
        assert!(!p.due(), "an hour has not passed");
        p.rules.lock().clear();
        assert!(!p.due());
    }
}
