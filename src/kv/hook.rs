//! The write-observer hook through which the engine's durability layer sees
//! every acknowledged KV write. The map knows nothing of files: without an
//! observer (an engine without a path) a write costs one relaxed load more.
//!
//! A write group ([`Kv::write_group`]) collects the records of the writes a
//! thread makes inside it into one buffer (a thread-local list of the
//! groups open on the thread, one per map) and hands them to the observer
//! as one record when the outermost group on that map closes.

use super::{Kv, KvCore};
use crate::error::{Error, Result};
use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::{Arc, MutexGuard};

/// Receives every acknowledged write of a [`Kv`] map as the state it left
/// its key in, in the order writes to that key applied.
pub(crate) trait KvObserver: Send + Sync {
    /// Refuses writes once the observer can no longer record them.
    fn check(&self) -> Result<()>;
    /// The lock ordering the writes of `key`'s stripe: held while a write
    /// applies and is recorded, so that records of one key follow the order
    /// in which its writes applied.
    fn stripe(&self, key: &[u8]) -> MutexGuard<'_, ()>;
    /// Records that `key` now holds `state` (value and absolute expiry in
    /// Unix ms, 0 for none) or nothing; returns a ticket for [`wait`](Self::wait).
    fn record(&self, key: &[u8], state: Option<(&[u8], u64)>) -> Result<u64>;
    /// Returns once the record of `ticket` is as durable as the policy asks.
    fn wait(&self, ticket: u64) -> Result<()>;
    /// Appends to `out` the encoding of the write that left `key` in
    /// `state`, as one op of a group.
    fn encode(&self, out: &mut Vec<u8>, key: &[u8], state: Option<(&[u8], u64)>);
    /// Records the `ops` writes encoded (by [`encode`](Self::encode)) in
    /// `body` as one record; returns a ticket for [`wait`](Self::wait).
    fn record_group(&self, ops: u64, body: &[u8]) -> Result<u64>;
    /// Registers a group opening; returns what
    /// [`group_closed`](Self::group_closed) takes once its record is appended.
    fn group_opened(&self) -> usize;
    /// Unregisters a group opened with `token`, its record appended.
    fn group_closed(&self, token: usize);
}

/// Encoded bytes beyond which an open group logs what it holds as one
/// record and goes on in another (a log frame holds at most 1 GiB).
const GROUP_PART: usize = 64 << 20;
/// The largest group buffer a thread keeps for its next group.
const SPARE_MAX: usize = 64 << 10;

/// A write group open on this thread.
#[derive(Default)]
struct Open {
    /// The address of the map's core.
    core: usize,
    /// Writes encoded since the last record.
    ops: u64,
    /// Their encodings, one after the other.
    body: Vec<u8>,
    /// The ticket of the last part recorded, if any.
    ticket: Option<u64>,
    /// The failure to record a part, if any.
    failed: Option<Error>,
}

impl Open {
    /// Records the writes encoded since the last record as one record.
    fn record(&mut self, hook: &dyn KvObserver) {
        if self.ops == 0 {
            return;
        }
        match hook.record_group(self.ops, &self.body) {
            Ok(t) => self.ticket = Some(t),
            Err(e) => {
                self.failed.get_or_insert(e);
            }
        }
        self.ops = 0;
        self.body.clear();
    }
}

thread_local! {
    /// The write groups open on this thread, at most one per map.
    static GROUPS: RefCell<Vec<Open>> = const { RefCell::new(Vec::new()) };
    /// The buffer of this thread's last group, kept for the next one.
    static SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The identity of a map in [`GROUPS`].
fn core_id(core: &KvCore) -> usize {
    core as *const KvCore as usize
}

/// Whether this thread has a write group open on `core`.
fn grouped(core: &KvCore) -> bool {
    let id = core_id(core);
    GROUPS.with(|g| g.borrow().iter().any(|o| o.core == id))
}

/// Adds the write that left `key` in `state` to this thread's open group on
/// `core` (if there is one).
fn add_to_group(core: &KvCore, hook: &dyn KvObserver, key: &[u8], state: Option<(&[u8], u64)>) {
    let id = core_id(core);
    GROUPS.with(|g| {
        if let Some(open) = g.borrow_mut().iter_mut().find(|o| o.core == id) {
            hook.encode(&mut open.body, key, state);
            open.ops += 1;
            if open.body.len() >= GROUP_PART {
                open.record(hook);
            }
        }
    });
}

/// A write group held open by its owner instead of by a closure (the
/// engine of [`Kv::write_group`], and of the bindings' group handles):
/// [`close`](Self::close) appends the group's record and waits for it as
/// the engine's `Fsync` policy asks; dropping it unclosed (also while
/// unwinding) appends the record without waiting, so that the log holds
/// exactly the writes the map applied.
///
/// Only the outermost group of a thread on a map holds anything: one
/// opened inside another, or on a map without an observer, is a no-op.
/// Group state is per thread, so the guard is `!Send`: it closes on the
/// thread that opened it.
pub(crate) struct WriteGroup {
    /// The map and the observer's token of the outermost group, if this is it.
    open: Option<(Arc<KvCore>, usize)>,
    /// Keeps the guard on its thread.
    _thread: PhantomData<*const ()>,
}

impl WriteGroup {
    /// Opens a group on `core` for the calling thread.
    fn open(core: &Arc<KvCore>) -> Self {
        let open = core.hook.get().filter(|_| !grouped(core)).map(|hook| {
            let token = hook.group_opened();
            let body = SPARE.with(|b| std::mem::take(&mut *b.borrow_mut()));
            GROUPS.with(|g| g.borrow_mut().push(Open { core: core_id(core), body, ..Open::default() }));
            (Arc::clone(core), token)
        });
        WriteGroup { open, _thread: PhantomData }
    }

    /// Closes the group, appending its record, and waits for the record as
    /// the `Fsync` policy asks. Fails (`ErrorKind::Io`) if it could not be
    /// recorded: its writes then hold in memory only.
    pub(crate) fn close(mut self) -> Result<()> {
        match self.end()? {
            Some((hook, ticket)) => hook.wait(ticket),
            None => Ok(()),
        }
    }

    /// Takes the group off this thread's list, records it and unregisters
    /// it; returns the observer and the ticket to wait for, if it recorded
    /// anything.
    fn end(&mut self) -> Result<Option<(Arc<dyn KvObserver>, u64)>> {
        let Some((core, token)) = self.open.take() else { return Ok(None) };
        let Some(hook) = core.hook.get().cloned() else { return Ok(None) };
        let id = core_id(&core);
        // `try_with`: a guard dropped while the thread's locals are torn
        // down finds its list gone, and still unregisters (a save must not
        // wait for it).
        let open = GROUPS
            .try_with(|g| {
                let mut groups = g.borrow_mut();
                let i = groups.iter().position(|o| o.core == id);
                i.map(|i| groups.swap_remove(i))
            })
            .ok()
            .flatten();
        let r = match open {
            Some(mut o) => {
                o.record(&*hook);
                if o.body.capacity() <= SPARE_MAX {
                    let _ = SPARE.try_with(|b| *b.borrow_mut() = std::mem::take(&mut o.body));
                }
                o.failed.map_or(Ok(o.ticket), Err)
            }
            None => Ok(None),
        };
        hook.group_closed(token);
        Ok(r?.map(|ticket| (hook, ticket)))
    }
}

impl Drop for WriteGroup {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

/// One write in progress under an observer (a no-op without one).
pub(super) struct Logged<'a> {
    hook: Option<&'a dyn KvObserver>,
    stripe: Option<MutexGuard<'a, ()>>,
}

impl<'a> Logged<'a> {
    /// Starts a write of `key` on `core`, taking the stripe lock.
    pub(super) fn begin(core: &'a KvCore, key: &[u8]) -> Self {
        let hook = core.hook.get().map(|h| &**h);
        Logged { hook, stripe: hook.map(|h| h.stripe(key)) }
    }

    /// Whether the observer still records writes.
    pub(super) fn check(&self) -> Result<()> {
        self.hook.map_or(Ok(()), |h| h.check())
    }

    /// Ends the write: if it `changed` the key, records the key's state now
    /// (the stripe lock keeps other writers out), releases the stripe and
    /// waits for durability.
    pub(super) fn finish(mut self, core: &KvCore, key: &[u8], changed: bool) -> Result<()> {
        let Some(hook) = self.hook.filter(|_| changed) else { return Ok(()) };
        if grouped(core) {
            // Recorded (and waited for) when the group closes.
            if core.map.get(key, 0, |v| add_to_group(core, hook, key, Some((v.bytes(), v.expires_at())))).is_none() {
                add_to_group(core, hook, key, None);
            }
            return Ok(());
        }
        let ticket = core.map.get(key, 0, |v| hook.record(key, Some((v.bytes(), v.expires_at()))));
        let ticket = ticket.unwrap_or_else(|| hook.record(key, None))?;
        self.stripe.take();
        hook.wait(ticket)
    }
}

impl Kv {
    /// Runs `f`, logging the writes this thread makes to this map inside it
    /// as one log record, appended when `f` returns: after a crash, replay
    /// restores all of them or none (a torn last record is cut off).
    ///
    /// What a group guarantees, exactly:
    /// - **Atomic in the log.** Every write to this map that the calling
    ///   thread makes during `f` (any `set`, TTL, `delete`, `insert`, `incr`,
    ///   `compare_and_swap` or `try_` call that changes a key; failed and
    ///   no-op calls record nothing) is recorded, in the order they applied,
    ///   in one record; reopening the directory replays it whole or not at
    ///   all. A snapshot saved meanwhile waits, before it takes effect, for
    ///   the groups open while it was taken, so it cannot keep half of one.
    /// - **Not isolation.** Each write is applied to memory at once, as
    ///   outside a group: other threads see them one by one, and `f` sees
    ///   its own writes. Writes of other threads are not part of the group
    ///   and are logged as usual, possibly before the group's record.
    /// - **Same final state after replay for keys no other thread writes
    ///   until the group returns.** The group's record is appended when `f`
    ///   returns, so a key another thread writes after the group wrote it
    ///   but before the group returned can replay to the group's value
    ///   instead of the later one. Callers that need exactness hold their
    ///   own locks on the group's keys until `write_group` returns (the
    ///   Redis server holds the command's key locks, or the whole keyspace
    ///   for `EXEC`).
    /// - **Durability** as for one write of the engine's `Fsync` policy,
    ///   counted from when the group returns (`Always`: synced before it
    ///   returns).
    ///
    /// A group whose records exceed 64 MiB is logged as several records of
    /// about that size, each whole or absent after a crash (a log record
    /// holds at most 1 GiB). Groups nest: a group opened inside another on
    /// the same map is part of it. Writes to another engine's map are not in the group. If `f`
    /// panics, the writes it made are still recorded (as one record) while
    /// unwinding. `Engine::save` called inside `f` fails (`InvalidArgument`).
    /// An engine without a path runs `f` and returns `Ok` at no extra cost.
    ///
    /// Fails (`ErrorKind::Io`) if the durable engine could not record the
    /// group: its writes then hold in memory only, as a failed `try_set`'s do.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let db = kvgraph::Engine::open(dir.path())?;
    /// let kv = db.kv();
    /// let total = kv.write_group(|| {
    ///     kv.set(b"account:a", b"90");
    ///     kv.set(b"account:b", b"110"); // after a crash: both or neither
    ///     kv.incr(b"transfers", 1)
    /// })??;
    /// assert_eq!(total, 1);
    /// # Ok::<(), kvgraph::Error>(())
    /// ```
    pub fn write_group<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let group = self.open_group();
        let r = f();
        group.close()?;
        Ok(r)
    }

    /// Opens a write group of the calling thread on this map, as
    /// [`write_group`](Self::write_group) does around its closure: the
    /// writes this thread makes until the guard closes are one log record.
    pub(crate) fn open_group(&self) -> WriteGroup {
        WriteGroup::open(&self.core)
    }

    /// Whether the calling thread is inside a [`write_group`](Self::write_group) on this map.
    pub(crate) fn in_group(&self) -> bool {
        grouped(&self.core)
    }

    /// Fails if the calling thread is inside a write group on this map.
    pub(crate) fn check_not_in_group(&self, what: &str) -> Result<()> {
        if self.in_group() {
            return Err(Error::invalid(format!("{what} inside a KV write group")));
        }
        Ok(())
    }

    /// Attaches the observer of every later write; false if one is attached.
    pub(crate) fn observe(&self, hook: Arc<dyn KvObserver>) -> bool {
        self.core.hook.set(hook).is_ok()
    }

    /// Another handle on the same map (for the durability layer's threads).
    pub(crate) fn share(&self) -> Kv {
        Kv { core: Arc::clone(&self.core) }
    }

    /// Calls `f(key, value, expires_at)` on every live entry at or after
    /// `start` in key order, until it breaks (for snapshots).
    pub(crate) fn visit_entries(
        &self,
        start: &[u8],
        mut f: impl FnMut(&[u8], &[u8], u64) -> std::ops::ControlFlow<()>,
    ) {
        let now = self.core.clock.now_ms();
        let lower = std::ops::Bound::Included(start);
        self.core.map.visit(lower, std::ops::Bound::Unbounded, now, |k, v| f(k, v.bytes(), v.expires_at()));
    }
}
