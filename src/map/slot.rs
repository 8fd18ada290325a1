//! Values and the atomic value cell of a map entry.
//!
//! A value is one immutable allocation: a flag byte, the expiry time (8 bytes,
//! only if the flag says so) and the bytes. A slot is an atomic pointer to
//! the current value of one key of one node revision (null: no value, a
//! tombstone), and carries the `FROZEN` tag once the revision is being
//! replaced: a frozen slot is never written again.

use crate::mem::MemoryManager;
use crate::sync::Ordering;
use crossbeam_epoch::{Atomic, Guard, Owned, Pointable, Shared};
use std::alloc::Layout;
use std::mem::MaybeUninit;

/// The raw allocation of a value: its length (a `usize`), then the bytes.
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

/// Flag byte of a value without expiry.
const NO_EXPIRY: u8 = 0;
/// Flag byte of a value whose expiry time (8 bytes) follows.
const HAS_EXPIRY: u8 = 1;

/// An immutable value with an optional expiry time, stored in one allocation:
/// a flag byte, the expiry (only if set), then the bytes.
#[repr(transparent)]
pub(crate) struct Value(Raw);

impl Value {
    /// Views a published allocation as a value.
    #[inline]
    pub(crate) fn from_raw(raw: &Raw) -> &Value {
        // SAFETY: `Value` is a `repr(transparent)` wrapper of `Raw`.
        unsafe { &*(raw as *const Raw as *const Value) }
    }

    #[inline]
    fn init_bytes(&self) -> &[u8] {
        // SAFETY: `Value::new` initialises every byte of the allocation.
        unsafe { &*(&self.0.0 as *const [MaybeUninit<u8>] as *const [u8]) }
    }

    #[inline]
    fn header(&self) -> usize {
        if self.init_bytes()[0] == HAS_EXPIRY { 9 } else { 1 }
    }

    /// The value's bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.init_bytes()[self.header()..]
    }

    /// Unix milliseconds after which the value is gone; 0 never expires.
    #[inline]
    pub fn expires_at(&self) -> u64 {
        match self.header() {
            1 => 0,
            _ => u64::from_le_bytes(self.init_bytes()[1..9].try_into().expect("8-byte expiry")),
        }
    }

    /// Whether the value has expired at `now_ms`.
    #[inline]
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
        let expiry = expires_at.to_le_bytes();
        let header: &[u8] = if expires_at == 0 { &[NO_EXPIRY] } else { &[HAS_EXPIRY] };
        let expiry: &[u8] = if expires_at == 0 { &[] } else { &expiry };
        let mut raw = Owned::<Raw>::init(header.len() + expiry.len() + bytes.len());
        let (head, rest) = raw.0.split_at_mut(header.len());
        let (exp, body) = rest.split_at_mut(expiry.len());
        head.write_copy_of_slice(header);
        exp.write_copy_of_slice(expiry);
        body.write_copy_of_slice(bytes);
        NewValue(raw)
    }

    /// Publishes the value (under `guard`) for storing in a slot.
    pub(super) fn into_shared<'g>(self, guard: &'g Guard) -> Shared<'g, Raw> {
        self.0.into_shared(guard)
    }
}

impl std::ops::Deref for NewValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        Value::from_raw(&self.0)
    }
}

/// Tag of a frozen slot or append position (its revision is being replaced).
pub(super) const FROZEN: usize = 1;

/// The value behind a slot pointer loaded under a guard, if any.
#[inline]
pub(super) fn value_of<'g>(p: Shared<'g, Raw>) -> Option<&'g Value> {
    // SAFETY: slot pointers are loaded under a guard; a value is retired
    // (never freed in place) only after it left its slot, so it outlives
    // the guard it was loaded under.
    unsafe { p.as_ref() }.map(Value::from_raw)
}

/// Whether prefetch hints are issued: on x86_64, and not where an
/// interpreter or model checker would only see extra loads (Miri, loom).
const PREFETCH: bool = cfg!(all(target_arch = "x86_64", not(miri), not(loom)));

/// Asks the CPU to start loading the cache line at `addr` (any address).
#[inline]
pub(super) fn prefetch_line(addr: usize) {
    #[cfg(all(target_arch = "x86_64", not(miri), not(loom)))]
    // SAFETY: SSE is part of x86_64's baseline, and a prefetch is a hint
    // that never faults and never dereferences, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8);
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri), not(loom))))]
    let _ = addr;
}

/// A map entry's value cell.
pub(crate) struct Slot {
    ptr: Atomic<Raw>,
}

impl Slot {
    /// A slot holding `value` (null: a tombstone).
    pub(super) fn new(value: Shared<'_, Raw>) -> Self {
        Slot { ptr: Atomic::from(value.with_tag(0)) }
    }

    /// The current value pointer (untagged) and whether the slot is frozen.
    #[inline]
    pub(super) fn load<'g>(&self, guard: &'g Guard) -> (Shared<'g, Raw>, bool) {
        let p = self.ptr.load(Ordering::SeqCst, guard);
        (p.with_tag(0), p.tag() == FROZEN)
    }

    /// Atomically replaces `expected` (an unfrozen value, or null) by `new`
    /// (or null), retiring the old value. Fails if the slot changed or froze;
    /// `new` is then dropped.
    pub(super) fn replace(
        &self,
        expected: Shared<'_, Raw>,
        new: Option<NewValue>,
        mem: &MemoryManager,
        guard: &Guard,
    ) -> Result<(), ()> {
        let new = new.map_or(Shared::null(), |v| v.into_shared(guard));
        match self.ptr.compare_exchange(expected, new, Ordering::SeqCst, Ordering::SeqCst, guard) {
            Ok(_) => {
                if let Some(old) = value_of(expected) {
                    // SAFETY: `expected` was just unlinked by our CAS, so no
                    // thread pinning later can reach it, and only we retire it.
                    unsafe { mem.retire(guard, expected, old.heap_bytes()) };
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

    /// Freezes the slot (idempotent) and returns its final value pointer.
    pub(super) fn freeze<'g>(&self, guard: &'g Guard) -> Shared<'g, Raw> {
        self.ptr.fetch_or(FROZEN, Ordering::SeqCst, guard).with_tag(0)
    }

    /// Asks the CPU to start loading this slot's value, so that the value
    /// misses of a scan overlap instead of queueing. A hint only: it reads
    /// nothing through the pointer and changes no result.
    #[inline]
    pub(super) fn prefetch(&self, guard: &Guard) {
        if PREFETCH {
            use crossbeam_epoch::Pointer;
            let p = self.ptr.load(Ordering::Relaxed, guard).with_tag(0).into_usize();
            // Two lines: a 100-byte value with its header spans two.
            prefetch_line(p);
            prefetch_line(p.wrapping_add(64));
        }
    }

    /// Asks the CPU to load the cache lines of `slots` themselves before a
    /// pass of atomic read-modify-writes over them (as a freeze makes): each
    /// is a full barrier that keeps the next slot's load from starting
    /// early, so cold lines would otherwise miss one after another. A hint
    /// only.
    #[inline]
    pub(super) fn prefetch_all(slots: &[Slot]) {
        if !PREFETCH {
            return;
        }
        let start = slots.as_ptr() as usize;
        let end = start + size_of_val(slots);
        for line in (start & !63..end).step_by(64) {
            prefetch_line(line);
        }
    }

    /// The value pointer, for dropping the map (no concurrent access).
    pub(super) fn take_raw(&self) -> Shared<'static, Raw> {
        // SAFETY: the caller owns the slot; no other thread accesses it.
        unsafe { self.ptr.load(Ordering::Relaxed, crossbeam_epoch::unprotected()).with_tag(0) }
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
        let slot = Slot::new(Shared::null());
        for (i, bytes) in [&b""[..], b"x", &[7u8; 100]].into_iter().enumerate() {
            let guard = mem.pin();
            let (current, frozen) = slot.load(&guard);
            assert!(!frozen);
            slot.replace(current, Some(NewValue::new(bytes, i as u64)), &mem, &guard).unwrap();
            let v = value_of(slot.load(&guard).0).unwrap();
            assert_eq!((v.bytes(), v.expires_at()), (bytes, i as u64));
        }
        let guard = mem.pin();
        let (current, _) = slot.load(&guard);
        slot.replace(current, None, &mem, &guard).unwrap();
        assert!(slot.freeze(&guard).is_null());
        assert!(slot.replace(Shared::null(), None, &mem, &guard).is_err(), "a frozen slot is never written");
        drop(guard);
        mem.collect();
        // Values 0 (no expiry: 1-byte header), 1 and 2 (9-byte header), each with its length.
        assert_eq!(mem.stats().retired_bytes, (8 + 1) + (8 + 9 + 1) + (8 + 9 + 100));
    }
}
