//! One switch between `std` and `loom` for every atomic the crate's lock-free
//! protocols use, so the same code runs under the loom model checker
//! (`RUSTFLAGS="--cfg loom"`) and in production.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread_local;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

/// Waits a moment before retrying a contended spin lock.
#[cfg(loom)]
pub(crate) fn spin_wait(_backoff: &crossbeam_utils::Backoff) {
    loom::thread::yield_now();
}

/// Waits a moment before retrying a contended spin lock.
#[cfg(not(loom))]
pub(crate) fn spin_wait(backoff: &crossbeam_utils::Backoff) {
    backoff.snooze();
}
