//! State that every request touches, striped over cache lines by thread, so
//! that no line bounces between the workers' cores on the hot path: event
//! counters (a thread adds to its line, a read sums the lines) and the
//! keyspace lock (a reader locks its line, a writer every line).

use crossbeam_utils::CachePadded;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Lines per striped value: threads beyond this many share lines (still
/// correct).
const LINES: usize = 8;

/// A counter striped over cache lines by thread.
pub struct Counter([CachePadded<AtomicU64>; LINES]);

static NEXT_LINE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The line this thread adds to, handed out round robin.
    static LINE: usize = NEXT_LINE.fetch_add(1, Ordering::Relaxed) % LINES;
}

/// The calling thread's line.
fn line() -> usize {
    LINE.with(|l| *l)
}

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter([const { CachePadded::new(AtomicU64::new(0)) }; LINES])
    }

    /// Adds one.
    pub fn incr(&self) {
        self.0[line()].fetch_add(1, Ordering::Relaxed);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.iter().map(|l| l.load(Ordering::Relaxed)).sum()
    }

    /// Sets the count back to zero.
    pub fn reset(&self) {
        self.0.iter().for_each(|l| l.store(0, Ordering::Relaxed));
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

/// A reader-writer lock whose readers lock only their thread's line; a
/// writer locks every line, in line order.
pub struct StripedRwLock([CachePadded<RwLock<()>>; LINES]);

/// Every line of a [`StripedRwLock`], held exclusively until dropped.
pub struct StripedWriteGuard<'a> {
    _lines: Vec<RwLockWriteGuard<'a, ()>>,
}

impl StripedRwLock {
    /// An unlocked lock.
    pub const fn new() -> Self {
        StripedRwLock([const { CachePadded::new(RwLock::new(())) }; LINES])
    }

    /// Locks shared: excludes writers, not other readers.
    pub fn read(&self) -> RwLockReadGuard<'_, ()> {
        self.0[line()].read()
    }

    /// Locks exclusively: waits for every reader and writer.
    pub fn write(&self) -> StripedWriteGuard<'_> {
        StripedWriteGuard { _lines: self.0.iter().map(|l| l.write()).collect() }
    }
}

impl Default for StripedRwLock {
    fn default() -> Self {
        StripedRwLock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads() {
        let c = Counter::new();
        std::thread::scope(|s| {
            for _ in 0..LINES + 3 {
                s.spawn(|| (0..1000).for_each(|_| c.incr()));
            }
        });
        assert_eq!(c.get(), 1000 * (LINES as u64 + 3));
        c.reset();
        assert_eq!(c.get(), 0);
    }

    #[test]
    fn a_writer_excludes_the_readers_of_every_thread() {
        let lock = StripedRwLock::new();
        let inside = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..LINES + 1 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let _r = lock.read();
                        inside.fetch_add(1, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
            for _ in 0..200 {
                let _w = lock.write();
                assert_eq!(inside.load(Ordering::SeqCst), 0, "a reader inside while the writer holds the lock");
            }
        });
    }
}
