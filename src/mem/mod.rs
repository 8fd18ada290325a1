//! The engine's one epoch-based memory manager.
//!
//! Every structure of an [`Engine`](crate::Engine) that unlinks memory which
//! concurrent readers may still be looking at (KV values and skiplist nodes,
//! graph delta records) retires it here; it is freed once every thread that
//! could have seen it has left its critical section. The manager counts the
//! bytes retired and freed, so that garbage that piles up is visible.

pub(crate) mod pages;

use crate::sync::{AtomicU64, Ordering, thread_local};
use crossbeam_epoch::{Collector, Guard, LocalHandle, Owned, Pointable, Pointer, Shared};
use std::cell::RefCell;
use std::sync::{Arc, Weak};

/// Byte counters of a [`MemoryManager`].
#[derive(Debug, Default)]
struct Counters {
    retired: AtomicU64,
    freed: AtomicU64,
}

/// Bytes retired and freed so far by one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryStats {
    /// Bytes unlinked from live structures and handed to the collector.
    pub retired_bytes: u64,
    /// Bytes the collector has freed.
    pub freed_bytes: u64,
}

impl MemoryStats {
    /// Bytes retired but not yet freed (garbage waiting for readers to move on).
    pub fn pending_bytes(&self) -> u64 {
        self.retired_bytes.saturating_sub(self.freed_bytes)
    }
}

/// One `crossbeam_epoch::Collector` shared by everything in an engine.
pub struct MemoryManager {
    collector: Collector,
    counters: Arc<Counters>,
    /// Dropped with the manager; thread-local handles check it to prune themselves.
    alive: Arc<()>,
}

thread_local! {
    /// This thread's registration with each live collector, keyed by the
    /// collector's `alive` token. Registering is costly, pinning is cheap.
    /// Each entry also holds the collector, dropped after the handle (tuple
    /// fields drop in order): the collector's last reference must not drop
    /// inside crossbeam-epoch's `Local::finalize`, which would free the
    /// `Local` it is running on (crossbeam-rs/crossbeam#545; Miri's Tree
    /// Borrows reports it).
    #[allow(clippy::missing_const_for_thread_local)] // loom's thread_local! takes no const block
    static HANDLES: RefCell<Vec<(Weak<()>, LocalHandle, Collector)>> = RefCell::new(Vec::new());
}

impl Default for MemoryManager {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryManager {
    /// A manager with a fresh collector.
    pub fn new() -> Self {
        MemoryManager { collector: Collector::new(), counters: Arc::default(), alive: Arc::new(()) }
    }

    /// The collector, for structures (such as the skiplist) that need their own clone.
    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// Pins the current thread: memory retired after this call is not freed
    /// until the returned guard is dropped.
    pub fn pin(&self) -> Guard {
        HANDLES.with(|cell| {
            let mut handles = cell.borrow_mut();
            if let Some((_, h, _)) = handles.iter().find(|(w, ..)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&self.alive))) {
                return h.pin();
            }
            // First pin of this engine on this thread: forget handles of dropped engines.
            handles.retain(|(w, ..)| w.strong_count() > 0);
            let handle = self.collector.register();
            let guard = handle.pin();
            handles.push((Arc::downgrade(&self.alive), handle, self.collector.clone()));
            guard
        })
    }

    /// Hands `ptr`, of `bytes` bytes, to the collector, to be dropped once no
    /// pinned thread can still reach it.
    ///
    /// # Safety
    /// `ptr` must have been allocated as an `Owned<T>`, must already be
    /// unreachable for threads that pin after this call, and must not be
    /// retired twice. `guard` must come from [`pin`](Self::pin) of this manager.
    pub unsafe fn retire<T: ?Sized + Pointable + 'static>(&self, guard: &Guard, ptr: Shared<'_, T>, bytes: usize) {
        let bytes = bytes as u64;
        self.counters.retired.fetch_add(bytes, Ordering::Relaxed);
        let counters = Arc::clone(&self.counters);
        let raw = ptr.into_usize();
        // SAFETY: the caller promises `ptr` is an unlinked `Owned<T>` retired once;
        // the epoch guarantees no pinned thread still reads it when this runs.
        unsafe {
            guard.defer_unchecked(move || {
                drop(Owned::<T>::from_usize(raw));
                counters.freed.fetch_add(bytes, Ordering::Relaxed);
            });
        }
    }

    /// Bytes retired and freed so far.
    pub fn stats(&self) -> MemoryStats {
        MemoryStats {
            retired_bytes: self.counters.retired.load(Ordering::Relaxed),
            freed_bytes: self.counters.freed.load(Ordering::Relaxed),
        }
    }

    /// Pushes this thread's garbage to the collector and lets the epoch
    /// advance, freeing what no thread can still see. Call it when threads go
    /// quiet to return memory without waiting for more traffic.
    ///
    /// One flush frees a bounded number of garbage bags (crossbeam-epoch's
    /// `COLLECT_STEPS`), so it flushes again while that frees something and
    /// garbage is left; it stops after 64 flushes in a row free nothing of
    /// ours (another thread is pinned, or holds unflushed garbage of its
    /// own). Not fewer: after a map compaction retires a million values,
    /// runs of crossbeam's own garbage bags (its queue's nodes), which free
    /// none of our bytes, stood between us and the rest, and four fruitless
    /// flushes left 20 MB retired.
    pub fn collect(&self) {
        let mut fruitless = 0;
        while fruitless < 64 {
            let before = self.stats();
            self.pin().flush();
            let after = self.stats();
            if after.freed_bytes >= after.retired_bytes {
                return;
            }
            fruitless = if after.freed_bytes > before.freed_bytes { 0 } else { fruitless + 1 };
        }
    }
}

impl Drop for MemoryManager {
    fn drop(&mut self) {
        // Release this thread's handle now so the collector (and its garbage)
        // goes as soon as the engine's structures are gone.
        let me = Arc::as_ptr(&self.alive);
        let _ = HANDLES.try_with(|cell| {
            if let Ok(mut handles) = cell.try_borrow_mut() {
                handles.retain(|(w, ..)| !std::ptr::eq(w.as_ptr(), me));
            }
        });
    }
}

impl std::fmt::Debug for MemoryManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryManager").field("stats", &self.stats()).finish()
    }
}
