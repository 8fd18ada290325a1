//! The C ABI: every function and type of `include/kvgraph.h`.
//!
//! The layer is thin: it checks and converts arguments, calls the Rust API
//! and turns the outcome into a [`kvg_status`]. All of its `unsafe` code lives
//! in the few helpers of this file (reading borrowed inputs, writing through
//! out-pointers, owning [`kvg_bytes`]); the exported functions only call them.
//!
//! - Every exported function runs inside `boundary` (or `boundary_or`):
//!   a Rust panic is caught and becomes [`kvg_status::KVG_PANIC`], and any
//!   failure leaves its message in a per-thread slot read by `kvg_last_error`.
//! - Handles (`kvg_engine`, `kvg_snapshot`, `kvg_kv_iter`, …) are opaque tokens,
//!   never dereferenced: a global registry maps each live token to the owned
//!   Rust object, so a closed, foreign or wrong-kind handle is reported as
//!   `KVG_INVALID_ARGUMENT` instead of being followed. Tokens are never
//!   reused, so use-after-close and double close are always detected, and a
//!   call racing a close on another thread keeps its object alive until it
//!   returns.
//! - The exported functions are reachable only by symbol (they are not public
//!   Rust items): callers promise what the header documents about pointers.

#![allow(non_camel_case_types)]

/// Implements [`Handle`] for the opaque type `$handle`, whose live objects
/// are `Object::$variant`.
macro_rules! handle_kind {
    ($handle:ty => $variant:ident($target:ty), $kind:literal) => {
        impl $crate::ffi::Handle for $handle {
            type Target = $target;
            const KIND: &'static str = $kind;

            fn wrap(target: std::sync::Arc<$target>) -> $crate::ffi::Object {
                $crate::ffi::Object::$variant(target)
            }

            fn unwrap(object: &$crate::ffi::Object) -> Option<&std::sync::Arc<$target>> {
                match object {
                    $crate::ffi::Object::$variant(target) => Some(target),
                    _ => None,
                }
            }
        }
    };
}

mod batch;
#[cfg(test)]
mod batch_tests;
mod engine;
mod graph;
mod index;
mod kv;
mod labels;
mod props;
mod query;
mod rels;
mod snapshot;
#[cfg(test)]
mod tests;

use crate::error::{Error, ErrorKind};
use crate::{Engine, KvIter, Snapshot};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

/// Outcome of a call. Every function that can fail returns one; on any value
/// other than `KVG_OK`, `kvg_last_error()` describes the failure.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvg_status {
    /// Success.
    KVG_OK = 0,
    /// A key, node, edge or property does not exist (or an iterator is at its end).
    KVG_NOT_FOUND = 1,
    /// The operation lost to the current state (key present, value differs).
    KVG_CONFLICT = 2,
    /// A NULL or malformed argument, invalid UTF-8, an out-of-range enum
    /// value, or a closed/unknown handle.
    KVG_INVALID_ARGUMENT = 3,
    /// An output buffer is shorter than the result; the needed length is in
    /// the message (and in `*out_len` where the function has one).
    KVG_BUFFER_TOO_SMALL = 4,
    /// An output could not be allocated.
    KVG_OUT_OF_MEMORY = 5,
    /// A bug: a Rust panic was caught at the boundary. The handle stays
    /// usable and memory-safe, but the operation may have been partly applied.
    KVG_PANIC = 6,
    /// A file of a durable engine could not be read or written (disk full,
    /// failing fsync), or holds damaged data; the message names the file
    /// and, for damage, the byte offset.
    KVG_IO_ERROR = 7,
}

use kvg_status::*;

/// A `kvg_status` as received from C: any `int`, checked before use.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct CStatus(pub c_int);

/// A C `bool` as stored in a struct filled by C: any byte, non-zero is true.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CBool(pub u8);

impl CBool {
    /// C `true`.
    pub const TRUE: CBool = CBool(1);
    /// C `false`.
    pub const FALSE: CBool = CBool(0);
}

impl From<CBool> for bool {
    fn from(b: CBool) -> bool {
        b.0 != 0
    }
}

impl From<bool> for CBool {
    fn from(b: bool) -> CBool {
        CBool(b.into())
    }
}

/// The value of a per-node output slot for an id that is not a node of the
/// snapshot (never created, or removed): `kvg_snapshot_wcc` and
/// `kvg_snapshot_cdlp` write it there.
pub const KVG_NO_NODE: u64 = u64::MAX;

/// The length a batch read (`kvg_kv_get_many`, `kvg_nodes_get_property`)
/// stores in `out_lens[i]` for an item that has no value (an absent key, an
/// unknown node, an unset property); it takes no bytes of the packed output.
// `usize::MAX`, written so that cbindgen can spell it: `(size_t)UINT64_MAX`
// is SIZE_MAX on every target.
pub const KVG_NO_VALUE: usize = u64::MAX as usize;

/// An owned byte string returned by the library.
///
/// Release it with `kvg_bytes_free`. On success `data` is never NULL and
/// `data[len]` is a 0 byte not counted in `len`, so text values can be
/// printed directly (values may contain 0 bytes of their own). Functions
/// that fail leave `{NULL, 0}` in their `kvg_bytes` outputs, and overwrite
/// (without freeing) whatever the output held before.
#[repr(C)]
#[derive(Debug)]
pub struct kvg_bytes {
    /// The bytes, followed by a 0 byte; NULL when empty-and-unset.
    pub data: *mut u8,
    /// Number of bytes, not counting the trailing 0.
    pub len: usize,
}

impl kvg_bytes {
    /// `{NULL, 0}`.
    const EMPTY: kvg_bytes = kvg_bytes { data: std::ptr::null_mut(), len: 0 };

    /// Moves `bytes` into a NUL-terminated allocation owned by C until `kvg_bytes_free`.
    fn new(mut bytes: Vec<u8>) -> Result<kvg_bytes, Failure> {
        bytes.try_reserve_exact(1).map_err(|_| Failure::new(KVG_OUT_OF_MEMORY, "out of memory"))?;
        let len = bytes.len();
        bytes.push(0);
        let data = Box::into_raw(bytes.into_boxed_slice()).cast::<u8>();
        Ok(kvg_bytes { data, len })
    }
}

/// Frees the bytes of `*b` and sets it to `{NULL, 0}`.
///
/// `b` may be NULL, and `*b` may be `{NULL, 0}` (already freed or never
/// set): both are no-ops. Otherwise `*b` must be exactly as a kvgraph
/// function returned it. Thread-safe for distinct `kvg_bytes`.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn kvg_bytes_free(b: *mut kvg_bytes) {
    boundary_or((), || {
        if let Some(b) = inout(b) {
            let bytes = std::mem::replace(b, kvg_bytes::EMPTY);
            if !bytes.data.is_null() {
                let whole = std::ptr::slice_from_raw_parts_mut(bytes.data, bytes.len.wrapping_add(1));
                // SAFETY: a non-NULL `data` comes from `kvg_bytes::new`, which leaked a
                // boxed slice of `len + 1` bytes; the caller gives it back once (the
                // struct is zeroed now, so freeing it again is a no-op).
                drop(unsafe { Box::from_raw(whole) });
            }
        }
    })
}

/// A static, NUL-terminated English name of `status` ("ok", "not found", …);
/// "unknown status" for a value outside `kvg_status`. Never NULL; do not free.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn kvg_status_str(status: CStatus) -> *const c_char {
    boundary_or(c"panic".as_ptr(), || {
        let name = match status.0 {
            0 => c"ok",
            1 => c"not found",
            2 => c"conflict",
            3 => c"invalid argument",
            4 => c"buffer too small",
            5 => c"out of memory",
            6 => c"panic",
            7 => c"i/o error",
            _ => c"unknown status",
        };
        name.as_ptr()
    })
}

/// The message of the calling thread's most recent failed kvgraph call, or
/// NULL if no call has failed on this thread. Successful calls leave it as
/// it is. The string belongs to the library and stays valid until the next
/// failing kvgraph call on the same thread; copy it to keep it.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn kvg_last_error() -> *const c_char {
    boundary_or(std::ptr::null(), || {
        LAST_ERROR.try_with(|slot| slot.borrow().as_ref().map_or(std::ptr::null(), |s| s.as_ptr())).unwrap_or_default()
    })
}

/// The library's version ("MAJOR.MINOR.PATCH"), static; do not free.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn kvg_version() -> *const c_char {
    boundary_or(VERSION.as_ptr(), || VERSION.as_ptr())
}

const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(v) => v,
    Err(_) => panic!("the package version contains a NUL byte"),
};

// ---------------------------------------------------------------------------
// Failures and the panic boundary
// ---------------------------------------------------------------------------

/// A failed call: the status to return and the message to record.
#[derive(Debug)]
pub(crate) struct Failure {
    status: kvg_status,
    message: String,
}

impl Failure {
    fn new(status: kvg_status, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }

    /// A `KVG_INVALID_ARGUMENT` failure.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(KVG_INVALID_ARGUMENT, message)
    }

    /// A `KVG_NOT_FOUND` failure.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(KVG_NOT_FOUND, message)
    }

    /// A `KVG_BUFFER_TOO_SMALL` failure for a result of `needed` elements.
    fn too_small(what: &str, needed: usize, cap: usize) -> Self {
        Self::new(KVG_BUFFER_TOO_SMALL, format!("{what}: buffer too small, needs {needed} elements, cap is {cap}"))
    }

    /// Stores the message as this thread's last error and returns the status.
    fn record(self) -> kvg_status {
        let message = CString::new(self.message.replace('\0', "\\0")).unwrap_or_default();
        // A thread being torn down has no slot any more; the status still tells.
        let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(message));
        self.status
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::NotFound => KVG_NOT_FOUND,
            ErrorKind::Conflict => KVG_CONFLICT,
            ErrorKind::InvalidArgument => KVG_INVALID_ARGUMENT,
            ErrorKind::Io => KVG_IO_ERROR,
        };
        Failure::new(status, e.message())
    }
}

/// Result of the body of an exported function.
pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into a `KVG_PANIC` failure.
fn catch<T>(f: impl FnOnce() -> T) -> FfiResult<T> {
    // AssertUnwindSafe: a panic abandons one operation, which may be partly
    // applied (as `KVG_PANIC` documents); the objects it touched stay
    // memory-safe, and the locks of this layer recover from poisoning.
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic payload");
        Failure::new(KVG_PANIC, format!("internal error (Rust panic): {what}"))
    })
}

/// The boundary of every exported function that returns a status: runs
/// `body`, records the message of a failure or panic, returns the status.
pub(crate) fn boundary(body: impl FnOnce() -> FfiResult) -> kvg_status {
    match catch(body).and_then(|r| r) {
        Ok(()) => KVG_OK,
        Err(failure) => failure.record(),
    }
}

/// The boundary of the few exported functions that return no status:
/// `fallback` stands in for the result of a panicking `body`.
pub(crate) fn boundary_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch(body).unwrap_or_else(|failure| {
        failure.record();
        fallback
    })
}

// ---------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------

/// A live object behind a handle.
pub(crate) enum Object {
    Engine(Arc<Engine>),
    Snapshot(Arc<Snapshot>),
    Iter(Arc<Mutex<KvIter>>),
    Result(Arc<crate::query::QueryResult>),
    Batch(Arc<batch::BatchSlot>),
    Group(Arc<kv::GroupOwner>),
}

impl Object {
    fn kind(&self) -> &'static str {
        match self {
            Object::Engine(_) => engine::kvg_engine::KIND,
            Object::Snapshot(_) => snapshot::kvg_snapshot::KIND,
            Object::Iter(_) => kv::kvg_kv_iter::KIND,
            Object::Result(_) => query::kvg_result::KIND,
            Object::Batch(_) => batch::kvg_batch::KIND,
            Object::Group(_) => kv::kvg_kv_group::KIND,
        }
    }
}

/// An opaque handle type of the header and the Rust object it stands for.
pub(crate) trait Handle {
    /// The object a handle owns.
    type Target;
    /// The handle's kind in messages.
    const KIND: &'static str;
    fn wrap(target: Arc<Self::Target>) -> Object;
    fn unwrap(object: &Object) -> Option<&Arc<Self::Target>>;
}

/// The live objects by token. Tokens are ours (a counter), so a fast hash
/// that does not resist chosen keys does: every call hashes one.
type Live = HashMap<usize, Object, foldhash::fast::RandomState>;

/// Live handles by token. Tokens count up from `FIRST_TOKEN` in steps of
/// `TOKEN_STEP` and are never reused.
struct Registry {
    live: RwLock<Live>,
    next: AtomicUsize,
}

const FIRST_TOKEN: usize = 0x1000;
const TOKEN_STEP: usize = 16;

static REGISTRY: LazyLock<Registry> =
    LazyLock::new(|| Registry { live: RwLock::new(Live::default()), next: AtomicUsize::new(FIRST_TOKEN) });

/// Registers `target` and returns its new handle.
pub(crate) fn open_handle<H: Handle>(target: H::Target) -> *mut H {
    let token = REGISTRY.next.fetch_add(TOKEN_STEP, Ordering::Relaxed);
    REGISTRY.live.write().unwrap_or_else(PoisonError::into_inner).insert(token, H::wrap(Arc::new(target)));
    std::ptr::without_provenance_mut(token)
}

/// The live object of kind `H` behind the non-NULL `handle`.
fn lookup<H: Handle>(live: &Live, handle: *const H) -> FfiResult<&Arc<H::Target>> {
    match live.get(&handle.addr()) {
        Some(object) => {
            H::unwrap(object).ok_or_else(|| Failure::invalid(format!("handle is {}, not {}", object.kind(), H::KIND)))
        }
        None => Err(Failure::invalid(format!("{} handle is closed or invalid", H::KIND))),
    }
}

/// The object behind `handle`; `KVG_INVALID_ARGUMENT` if it is NULL, closed,
/// of another kind or not a handle at all.
pub(crate) fn resolve<H: Handle>(handle: *const H) -> FfiResult<Arc<H::Target>> {
    if handle.is_null() {
        return Err(Failure::invalid(format!("{} handle is NULL", H::KIND)));
    }
    lookup(&REGISTRY.live.read().unwrap_or_else(PoisonError::into_inner), handle).cloned()
}

/// Unregisters the live, non-NULL `handle` and returns its object (which
/// calls racing this one may still hold); `KVG_INVALID_ARGUMENT` as [`resolve`].
pub(crate) fn take_handle<H: Handle>(handle: *mut H) -> FfiResult<Arc<H::Target>> {
    if handle.is_null() {
        return Err(Failure::invalid(format!("{} handle is NULL", H::KIND)));
    }
    let mut live = REGISTRY.live.write().unwrap_or_else(PoisonError::into_inner);
    let target = Arc::clone(lookup(&live, handle.cast_const())?);
    live.remove(&handle.addr());
    Ok(target)
}

/// Closes `handle`: NULL is a no-op; a closed, foreign or wrong-kind handle
/// is `KVG_INVALID_ARGUMENT`. The object is dropped once no running call uses it.
pub(crate) fn close_handle<H: Handle>(handle: *mut H) -> FfiResult {
    if handle.is_null() {
        return Ok(());
    }
    let mut live = REGISTRY.live.write().unwrap_or_else(PoisonError::into_inner);
    lookup(&live, handle.cast_const())?;
    let removed = live.remove(&handle.addr());
    drop(live);
    // Dropped here, outside the lock: freeing an engine can take a while.
    drop(removed);
    Ok(())
}

// ---------------------------------------------------------------------------
// Borrowed inputs and out-pointers: the only places that dereference C pointers
// ---------------------------------------------------------------------------

/// Rejects a pointer that is misaligned for `T`.
fn aligned<T>(ptr: *const T, what: &str) -> FfiResult {
    if ptr.is_aligned() { Ok(()) } else { Err(Failure::invalid(format!("{what} is misaligned"))) }
}

/// The `len` elements at `ptr`, borrowed for the call: `(NULL, 0)` is empty,
/// `(NULL, n > 0)` is `KVG_INVALID_ARGUMENT`.
pub(crate) fn slice_in<'a, T>(ptr: *const T, len: usize, what: &str) -> FfiResult<&'a [T]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::invalid(format!("{what} is NULL but its length is {len}")))
        };
    }
    aligned(ptr, what)?;
    if len.checked_mul(size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(Failure::invalid(format!("{what}: length {len} is too large")));
    }
    // SAFETY: the header requires a non-NULL input pointer to point to `len`
    // initialised elements that stay unchanged for the call; it is non-NULL,
    // aligned, and the size fits in isize (checked above).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Like [`slice_in`], but a NULL pointer (whatever `len`) is `None`.
pub(crate) fn opt_slice_in<'a, T>(ptr: *const T, len: usize, what: &str) -> FfiResult<Option<&'a [T]>> {
    if ptr.is_null() { Ok(None) } else { slice_in(ptr, len, what).map(Some) }
}

/// A NUL-terminated UTF-8 name; NULL is `None`.
pub(crate) fn opt_str_in<'a>(ptr: *const c_char, what: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the header requires a non-NULL string argument to be
    // NUL-terminated and unchanged for the call.
    let cstr = unsafe { CStr::from_ptr(ptr) };
    cstr.to_str().map(Some).map_err(|e| Failure::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// A NUL-terminated UTF-8 name that must be present.
pub(crate) fn str_in<'a>(ptr: *const c_char, what: &str) -> FfiResult<&'a str> {
    opt_str_in(ptr, what)?.ok_or_else(|| Failure::invalid(format!("{what} is NULL")))
}

/// A copy of the plain-data struct at `ptr`, or `None` for NULL.
pub(crate) fn struct_in<T: PlainData>(ptr: *const T, what: &str) -> FfiResult<Option<T>> {
    if ptr.is_null() {
        return Ok(None);
    }
    aligned(ptr, what)?;
    // SAFETY: non-NULL and aligned; the header requires it to point to an
    // initialised struct, and `PlainData` types accept any bit pattern.
    Ok(Some(unsafe { ptr.read() }))
}

/// Types for which every bit pattern is a valid value, so a struct that C
/// filled can be read without validation.
///
/// # Safety
/// Implement only for `#[repr(C)]` types whose fields are integers, floats,
/// raw pointers or other `PlainData` types, without padding-sensitive invariants.
pub(crate) unsafe trait PlainData: Copy {}

/// The place an out-pointer designates, checked non-NULL and aligned, to be
/// written once the call has its result. Check every output before acting,
/// so that a bad out-pointer never leaves a half-done operation behind.
pub(crate) fn out<'a, T>(ptr: *mut T, what: &str) -> FfiResult<&'a mut MaybeUninit<T>> {
    if ptr.is_null() {
        return Err(Failure::invalid(format!("{what} is NULL")));
    }
    aligned(ptr, what)?;
    // SAFETY: the header requires a non-NULL out-pointer to be valid for
    // writes and not aliased for the call; `MaybeUninit` asks nothing of the
    // current contents.
    Ok(unsafe { &mut *ptr.cast::<MaybeUninit<T>>() })
}

/// An in/out `kvg_bytes`; NULL is `None`.
fn inout<'a>(ptr: *mut kvg_bytes) -> Option<&'a mut kvg_bytes> {
    if ptr.is_null() || !ptr.is_aligned() {
        return None;
    }
    // SAFETY: non-NULL and aligned; the header requires it to point to a
    // `kvg_bytes` (any bit pattern of which is a valid value) that nobody
    // else uses during the call.
    Some(unsafe { &mut *ptr })
}

/// A caller buffer of `cap` elements: `(NULL, 0)` is an empty buffer (to ask
/// for the needed length), `(NULL, cap > 0)` is `KVG_INVALID_ARGUMENT`.
pub(crate) fn buf_out<'a, T>(ptr: *mut T, cap: usize, what: &str) -> FfiResult<&'a mut [MaybeUninit<T>]> {
    if ptr.is_null() {
        return if cap == 0 { Ok(&mut []) } else { Err(Failure::invalid(format!("{what} is NULL but cap is {cap}"))) };
    }
    aligned(ptr, what)?;
    if cap.checked_mul(size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(Failure::invalid(format!("{what}: cap {cap} is too large")));
    }
    // SAFETY: the header requires a non-NULL buffer to be valid for writes
    // of `cap` elements and not aliased for the call; it is aligned, its size
    // fits in isize, and `MaybeUninit` asks nothing of the contents.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), cap) })
}

/// Writes `bytes` as an owned `kvg_bytes` into `out`.
pub(crate) fn bytes_out(out: &mut MaybeUninit<kvg_bytes>, bytes: Vec<u8>) -> FfiResult {
    out.write(kvg_bytes::new(bytes)?);
    Ok(())
}

/// Copies `values` into `buf`; `KVG_BUFFER_TOO_SMALL` if they do not fit.
pub(crate) fn fill<T: Copy>(buf: &mut [MaybeUninit<T>], values: &[T], what: &str) -> FfiResult {
    let cap = buf.len();
    let dst = buf.get_mut(..values.len()).ok_or_else(|| Failure::too_small(what, values.len(), cap))?;
    for (slot, &v) in dst.iter_mut().zip(values) {
        slot.write(v);
    }
    Ok(())
}

/// `KVG_BUFFER_TOO_SMALL` unless a buffer of `cap` elements holds `needed`.
pub(crate) fn ensure_cap(cap: usize, needed: u64, what: &str) -> FfiResult {
    let needed = usize::try_from(needed).map_err(|_| Failure::invalid(format!("{what}: result too large")))?;
    if cap < needed { Err(Failure::too_small(what, needed, cap)) } else { Ok(()) }
}

// ---------------------------------------------------------------------------
// Batches: byte strings packed back to back, with an array of lengths
// ---------------------------------------------------------------------------

/// The `count` byte strings packed back to back at `data`, the `i`-th one
/// `lens[i]` bytes long, borrowed for the call. `lens` is read like any input
/// array (`(NULL, 0)` is empty); `data` must hold the sum of the lengths
/// (NULL only if that sum is 0). A sum that overflows is `KVG_INVALID_ARGUMENT`.
pub(crate) fn packed_in<'a>(data: *const u8, lens: *const usize, count: usize, what: &str) -> FfiResult<Vec<&'a [u8]>> {
    let lens = slice_in(lens, count, &format!("{what} lengths"))?;
    let total = lens
        .iter()
        .try_fold(0usize, |sum, &len| sum.checked_add(len))
        .ok_or_else(|| Failure::invalid(format!("{what}: the lengths add up to more than SIZE_MAX")))?;
    let mut rest = slice_in(data, total, what)?;
    Ok(lens
        .iter()
        .map(|&len| {
            let (item, tail) = rest.split_at(len);
            rest = tail;
            item
        })
        .collect())
}

/// The outputs of a batch read: one owned `kvg_bytes` holding every value
/// found, packed in order, and a caller array of one length per item
/// ([`KVG_NO_VALUE`] for an item without a value).
pub(crate) struct PackedOut<'a> {
    values: &'a mut MaybeUninit<kvg_bytes>,
    lens: &'a mut [MaybeUninit<usize>],
}

impl<'a> PackedOut<'a> {
    /// Checks the outputs and clears them before anything can fail:
    /// `*values` becomes `{NULL, 0}` and every one of the `count` lengths
    /// `KVG_NO_VALUE` (each output that is valid, even if the other is not).
    pub(crate) fn new(values: *mut kvg_bytes, lens: *mut usize, count: usize) -> FfiResult<Self> {
        let (mut values, mut lens) = (out(values, "out_values"), buf_out(lens, count, "out_lens"));
        if let Ok(values) = values.as_mut() {
            values.write(kvg_bytes::EMPTY);
        }
        if let Ok(lens) = lens.as_mut() {
            lens.iter_mut().for_each(|len| _ = len.write(KVG_NO_VALUE));
        }
        Ok(PackedOut { values: values?, lens: lens? })
    }

    /// Fills the outputs: `read(i, buf)` appends the value of item `i` to
    /// `buf` and returns `true`, or returns `false` if the item has none.
    pub(crate) fn fill(self, mut read: impl FnMut(usize, &mut Vec<u8>) -> FfiResult<bool>) -> FfiResult {
        let mut packed = Vec::new();
        let mut lens = Vec::with_capacity(self.lens.len());
        for i in 0..self.lens.len() {
            let start = packed.len();
            lens.push(if read(i, &mut packed)? { packed.len() - start } else { KVG_NO_VALUE });
        }
        // Written only once every item is read: a failure leaves the cleared outputs.
        bytes_out(self.values, packed)?;
        fill(self.lens, &lens, "out_lens")
    }
}
