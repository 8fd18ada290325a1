//! The append-only log: records are framed into an in-memory buffer under a
//! short lock and written out by whoever flushes next.
//!
//! Group commit: under `Fsync::Always` a writer waits until a flush has
//! synced its record. One waiter at a time leads: it flushes and syncs
//! everything buffered so far, then wakes every waiter, so the writers that
//! appended while one fsync ran are all covered by the next single fsync.
//! The others wait on a condition variable, not on the `io` lock: a writer
//! whose record a sync covered returns as soon as that sync ends, instead
//! of queueing behind the next leader's fsync for the lock. Before it
//! syncs, a leader waits for as many records as the last sync covered
//! (the writers that sync woke are about to append again), for at most
//! half the last sync's duration: without that, writers that one sync
//! released together split over the next two (4 writers shared each fsync
//! by about 2 instead of 4). Under
//! `EverySec` and `Never` the engine's flusher thread writes the buffer out
//! every few milliseconds (and syncs once a second under `EverySec`).

use super::Fsync;
use super::codec::frame_with;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Buffered bytes beyond which an appending writer flushes them itself
/// (back-pressure when the flusher falls behind).
const BUFFER_LIMIT: usize = 8 << 20;

/// Most times a group-commit leader yields to let other writers append
/// before it syncs while records keep arriving (see `Log::gather`).
const GATHER_YIELDS: usize = 4;

/// The longest a group-commit leader waits for the last sync's writers.
const GATHER_LIMIT: Duration = Duration::from_millis(2);

struct Pending {
    buf: Vec<u8>,
    /// Log position (bytes appended since open) at the end of `buf`.
    end: u64,
    /// Records in `buf`.
    records: u64,
}

struct Io {
    file: File,
    path: PathBuf,
    /// Bytes written to `file` but not yet synced.
    unsynced: bool,
}

/// The log of one engine.
pub(crate) struct Log {
    policy: Fsync,
    pending: Mutex<Pending>,
    io: Mutex<Io>,
    /// Whether a group-commit leader is syncing now (see [`Log::wait`]).
    leading: Mutex<bool>,
    /// Notified when a leader's sync ends.
    led: Condvar,
    /// Log position up to which records are synced.
    synced: AtomicU64,
    /// Records the last sync covered, and how long it took (ns).
    last_group: AtomicU64,
    last_sync_ns: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
    /// Writes logged since open (for the automatic save policy; a KV write
    /// group counts its writes).
    pub(crate) records: AtomicU64,
}

impl Log {
    /// A log appending to `file` (at `path`, header written) under `policy`.
    pub(crate) fn new(policy: Fsync, file: File, path: PathBuf) -> Self {
        Log {
            policy,
            pending: Mutex::new(Pending { buf: Vec::new(), end: 0, records: 0 }),
            io: Mutex::new(Io { file, path, unsynced: false }),
            leading: Mutex::new(false),
            led: Condvar::new(),
            synced: AtomicU64::new(0),
            last_group: AtomicU64::new(0),
            last_sync_ns: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            records: AtomicU64::new(0),
        }
    }

    /// Fails once a write or sync of the log has failed (the failure sticks:
    /// the engine stays readable, and reopening it recovers what was synced).
    pub(crate) fn check(&self) -> Result<()> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let msg = self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default();
        Err(Error::io(format!("the engine's log failed, writes are refused: {msg}")))
    }

    /// Refuses every later append: the engine is closed, and its directory
    /// may be another engine's by now (a KV write group or a batch that
    /// outlived its engine ends with `ErrorKind::Io`).
    pub(crate) fn close(&self) {
        self.fail("the engine is closed".into());
    }

    fn fail(&self, what: String) -> Error {
        let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        f.get_or_insert(what.clone());
        self.failed.store(true, Ordering::Release);
        Error::io(what)
    }

    /// Appends the record `encode` writes; returns its end position.
    pub(crate) fn append(&self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<u64> {
        self.check()?;
        let (end, full) = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            let before = p.buf.len();
            frame_with(&mut p.buf, encode);
            p.end += (p.buf.len() - before) as u64;
            p.records += 1;
            (p.end, p.buf.len() > BUFFER_LIMIT)
        };
        self.records.fetch_add(1, Ordering::Relaxed);
        if full && self.policy != Fsync::Always {
            self.flush(false)?;
        }
        Ok(end)
    }

    /// Returns once the record ending at `end` is as durable as the policy
    /// asks: synced under `Always` (sharing an fsync with every writer that
    /// queued meanwhile), at once otherwise.
    pub(crate) fn wait(&self, end: u64) -> Result<()> {
        if self.policy != Fsync::Always || self.synced.load(Ordering::Acquire) >= end {
            return Ok(());
        }
        let lock = || self.leading.lock().unwrap_or_else(|e| e.into_inner());
        let mut leading = lock();
        loop {
            if self.synced.load(Ordering::Acquire) >= end {
                return Ok(());
            }
            self.check()?;
            if *leading {
                leading = self.led.wait(leading).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            *leading = true;
            drop(leading);
            self.gather();
            let flushed = self.flush(true);
            leading = lock();
            *leading = false;
            self.led.notify_all();
            flushed?;
        }
    }

    /// Lets writers that are about to append join the coming sync: yields
    /// the CPU until as many records are buffered as the last sync covered
    /// (for at most half its duration), and while records keep arriving (a
    /// few times at most, a microsecond each when nobody else runs, against
    /// an fsync's hundreds). A lone writer never waits: its group was one.
    fn gather(&self) {
        let state = || {
            let p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            (p.end, p.records)
        };
        let group = self.last_group.load(Ordering::Relaxed);
        let limit = Duration::from_nanos(self.last_sync_ns.load(Ordering::Relaxed) / 2).min(GATHER_LIMIT);
        let start = Instant::now();
        let (mut seen, mut records) = state();
        while records < group && start.elapsed() < limit {
            std::thread::yield_now();
            (seen, records) = state();
        }
        for _ in 0..GATHER_YIELDS {
            std::thread::yield_now();
            let now = state().0;
            if now == seen {
                return;
            }
            seen = now;
        }
    }

    /// Writes the buffered records to the file, and syncs it if `sync`.
    pub(crate) fn flush(&self, sync: bool) -> Result<()> {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        self.flush_locked(&mut io, sync)
    }

    fn flush_locked(&self, io: &mut Io, sync: bool) -> Result<()> {
        self.check()?;
        let (buf, end, records) = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            (std::mem::take(&mut p.buf), p.end, std::mem::take(&mut p.records))
        };
        if !buf.is_empty() {
            if let Err(e) = io.file.write_all(&buf) {
                return Err(self.fail(format!("{}: write failed: {e}", io.path.display())));
            }
            io.unsynced = true;
        }
        if sync && io.unsynced {
            let start = Instant::now();
            if let Err(e) = io.file.sync_data() {
                return Err(self.fail(format!("{}: fsync failed: {e}", io.path.display())));
            }
            io.unsynced = false;
            self.last_sync_ns.store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            self.last_group.store(records, Ordering::Relaxed);
        }
        if !io.unsynced {
            self.synced.fetch_max(end, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Flushes and syncs everything buffered into the current file, then
    /// appends to `file` (at `path`, header written and synced) from now on.
    pub(crate) fn rotate(&self, file: File, path: PathBuf) -> Result<()> {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        self.flush_locked(&mut io, true)?;
        *io = Io { file, path, unsynced: false };
        Ok(())
    }
}
