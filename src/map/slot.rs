//! The atomic value cell of a map entry and its state machine:
//! `Empty --install--> Live --replace--> Live --remove--> Empty --kill--> Dead`.
//! A dead slot is never written again: its node is being unlinked.

use crate::mem::MemoryManager;
use crate::sync::Ordering;
use crossbeam_epoch::{Atomic, Guard, Owned, Pointable, Shared};
use std::alloc::Layout;
use std::mem::MaybeUninit;

/// The raw allocation of a value: its length (a `usize`), then 8 bytes of
/// expiry time and the bytes.
///
/// Our own [`Pointable`] rather than crossbeam's `[MaybeUninit<u8>]`: that
/// one's `deref_mut` derives the mutable slice from a shared reference, so
/// filling a new value through it is undefined behaviour (Miri reports it
/// under Stacked and Tree Borrows).
#[repr(transparent)]
pub(crate) struct Raw([MaybeUninit<u8>]);

impl Raw {
    fn layout(len: usize) -> Layout {
        let size = size_of::<usize>().checked_add(len).expect("value too large");
        Layout::from_size_align(size, align_of::<usize>()).expect("value too large")
    }

    /// The slice of the `len` bytes after the length at `ptr`.
    ///
    /// # Safety
    /// `ptr` must come from [`Pointable::init`] of `Raw` and not be freed.
    unsafe fn slice(ptr: usize) -> *mut Raw {
        let base = ptr as *mut usize;
        // SAFETY: `init` wrote the length at the start of the allocation,
        // and the bytes follow it within the same allocation.
        unsafe {
            let data = base.add(1).cast::<MaybeUninit<u8>>();
            std::ptr::slice_from_raw_parts_mut(data, base.read()) as *mut Raw
        }
    }
}

impl Pointable for Raw {
    const ALIGN: usize = align_of::<usize>();

    type Init = usize;

    unsafe fn init(len: usize) -> usize {
        let layout = Raw::layout(len);
        // SAFETY: the layout has a non-zero size (at least the length).
        let ptr = unsafe { std::alloc::alloc(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: freshly allocated, aligned for `usize`, large enough.
        unsafe { ptr.cast::<usize>().write(len) };
        ptr as usize
    }

    unsafe fn deref<'a>(ptr: usize) -> &'a Self {
        // SAFETY: the caller passes a live allocation from `init`.
        unsafe { &*Raw::slice(ptr) }
    }

    unsafe fn deref_mut<'a>(ptr: usize) -> &'a mut Self {
        // SAFETY: as in `deref`; the caller has exclusive access. The slice is
        // derived from the raw allocation pointer, not from a shared reference.
        unsafe { &mut *Raw::slice(ptr) }
    }

    unsafe fn drop(ptr: usize) {
        // SAFETY: the caller passes a live allocation from `init`, once.
        unsafe {
            let len = (ptr as *const usize).read();
            std::alloc::dealloc(ptr as *mut u8, Raw::layout(len));
        }
    }
}

/// Bytes of expiry time before a value's bytes.
const HEADER: usize = 8;

/// An immutable value with an optional expiry time, stored in one allocation
/// (crossbeam's length-prefixed array): the expiry, then the bytes.
#[repr(transparent)]
pub(crate) struct Value(Raw);

impl Value {
    /// Views a published allocation as a value.
    pub(crate) fn from_raw(raw: &Raw) -> &Value {
        // SAFETY: `Value` is a `repr(transparent)` wrapper of `Raw`.
        unsafe { &*(raw as *const Raw as *const Value) }
    }

    fn init_bytes(&self) -> &[u8] {
        // SAFETY: `Value::new` initialises every byte of the allocation.
        unsafe { &*(&self.0.0 as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    /// The value's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.init_bytes()[HEADER..]
    }

    /// Unix milliseconds after which the value is gone; 0 never expires.
    pub fn expires_at(&self) -> u64 {
        u64::from_le_bytes(self.init_bytes()[..HEADER].try_into().expect("8-byte header"))
    }

    /// Whether the value has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        let at = self.expires_at();
        at != 0 && at <= now_ms
    }

    /// Bytes this value occupies on the heap.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<usize>() + self.0.0.len()
    }
}

/// A value built by [`NewValue::new`], not yet stored in a slot.
pub(crate) struct NewValue(Owned<Raw>);

impl NewValue {
    /// A new, unpublished value of `bytes` expiring at `expires_at` (0: never).
    pub fn new(bytes: &[u8], expires_at: u64) -> Self {
        let mut raw = Owned::<Raw>::init(HEADER + bytes.len());
        for (dst, &src) in raw.0.iter_mut().zip(expires_at.to_le_bytes().iter().chain(bytes)) {
            dst.write(src);
        }
        NewValue(raw)
    }
}

impl std::ops::Deref for NewValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        Value::from_raw(&self.0)
    }
}

/// Tag on a null pointer that marks a slot dead.
const DEAD: usize = 1;

/// What a slot holds.
pub(crate) enum State<'g> {
    /// The node is being unlinked; use a fresh one.
    Dead,
    /// No value (deleted, or not yet installed).
    Empty,
    /// A value, possibly expired.
    Live(Shared<'g, Raw>),
}

/// A map entry's value cell.
pub(crate) struct Slot {
    ptr: Atomic<Raw>,
}

impl Slot {
    /// A slot holding no value.
    pub fn empty() -> Self {
        Slot { ptr: Atomic::null() }
    }

    /// The current state.
    pub fn load<'g>(&self, guard: &'g Guard) -> State<'g> {
        let p = self.ptr.load(Ordering::Acquire, guard);
        match (p.is_null(), p.tag()) {
            (true, DEAD) => State::Dead,
            (true, _) => State::Empty,
            (false, _) => State::Live(p),
        }
    }

    /// The value if present and not expired at `now_ms`.
    pub fn live<'g>(&self, now_ms: u64, guard: &'g Guard) -> Option<&'g Value> {
        match self.load(guard) {
            // SAFETY: a non-null pointer loaded under `guard` is a live `Value`
            // that is retired (never freed in place) and outlives the guard.
            State::Live(p) => Some(Value::from_raw(unsafe { p.deref() })).filter(|v| !v.is_expired(now_ms)),
            _ => None,
        }
    }

    /// Atomically replaces `expected` (a value, or null for an empty slot) by
    /// `new` (or empty), retiring the old value. Fails if the slot changed.
    pub fn replace(
        &self,
        expected: Shared<'_, Raw>,
        new: Option<NewValue>,
        mem: &MemoryManager,
        guard: &Guard,
    ) -> Result<(), ()> {
        let new = new.map_or(Shared::null(), |v| v.0.into_shared(guard));
        match self.ptr.compare_exchange(expected, new, Ordering::AcqRel, Ordering::Acquire, guard) {
            // On success crossbeam returns the new pointer; the old one is `expected`.
            Ok(_) => {
                let old = expected;
                if !old.is_null() {
                    // SAFETY: `old` was just unlinked by our CAS, so no thread
                    // pinning later can reach it, and only we retire it.
                    unsafe {
                        let bytes = Value::from_raw(old.deref()).heap_bytes();
                        mem.retire(guard, old, bytes);
                    }
                }
                Ok(())
            }
            Err(_) => {
                if !new.is_null() {
                    // SAFETY: `new` was never published; we still own it.
                    drop(unsafe { new.into_owned() });
                }
                Err(())
            }
        }
    }

    /// Marks an empty slot dead. Returns false if it is not empty.
    pub fn kill_if_empty(&self, guard: &Guard) -> bool {
        self.ptr
            .compare_exchange(Shared::null(), Shared::null().with_tag(DEAD), Ordering::AcqRel, Ordering::Acquire, guard)
            .is_ok()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: dropping the slot means no thread can reach it any more
        // (the skiplist drops nodes only once unreachable), so we own the value.
        unsafe {
            let guard = crossbeam_epoch::unprotected();
            let p = self.ptr.load(Ordering::Relaxed, guard);
            if !p.is_null() {
                drop(p.into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value's allocation round-trips its bytes and expiry, and replaced
    /// values are retired and freed (Miri checks the `Raw` allocation).
    #[test]
    fn values_round_trip_and_are_retired() {
        let mem = MemoryManager::new();
        let slot = Slot::empty();
        for (i, bytes) in [&b""[..], b"x", &[7u8; 100]].into_iter().enumerate() {
            let guard = mem.pin();
            let current = match slot.load(&guard) {
                State::Live(p) => p,
                _ => Shared::null(),
            };
            slot.replace(current, Some(NewValue::new(bytes, i as u64)), &mem, &guard).unwrap();
            let v = slot.live(0, &guard).unwrap();
            assert_eq!((v.bytes(), v.expires_at()), (bytes, i as u64));
        }
        let guard = mem.pin();
        let State::Live(current) = slot.load(&guard) else { panic!("a value is installed") };
        slot.replace(current, None, &mem, &guard).unwrap();
        assert!(slot.kill_if_empty(&guard));
        assert!(matches!(slot.load(&guard), State::Dead));
        drop(guard);
        mem.collect();
        assert_eq!(mem.stats().retired_bytes, (8 + 8) * 3 + 1 + 100);
    }
}
