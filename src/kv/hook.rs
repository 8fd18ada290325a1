//! The write-observer hook through which the engine's durability layer sees
//! every acknowledged KV write. The map knows nothing of files: without an
//! observer (an engine without a path) a write costs one relaxed load more.

use super::{Kv, KvCore};
use crate::error::Result;
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
        let ticket = core.map.get(key, 0, |v| hook.record(key, Some((v.bytes(), v.expires_at()))));
        let ticket = ticket.unwrap_or_else(|| hook.record(key, None))?;
        self.stripe.take();
        hook.wait(ticket)
    }
}

impl Kv {
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
