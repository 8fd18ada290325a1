//! The key-value map: point operations, counters, TTLs and scans.

use super::engine::kvg_engine;
use super::{Failure, FfiResult, PackedOut, boundary, bytes_out, kvg_bytes, kvg_status, out};
use super::{buf_out, close_handle, fill, open_handle, opt_slice_in, packed_in, resolve, slice_in, take_handle};
use crate::kv::WriteGroup;
use crate::{Kv, KvIter};
use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

/// A forward iterator over a range of the KV map, in key order.
///
/// Opaque. It yields each key at most once, never a key that was absent for
/// the whole iteration; keys written meanwhile may or may not appear. It
/// owns what it reads: it stays valid after its engine is closed. Calls on
/// one iterator from several threads are serialised.
pub struct kvg_kv_iter {
    _opaque: [u8; 0],
}

handle_kind!(kvg_kv_iter => Iter(Mutex<KvIter>), "a KV iterator");

/// Runs `f` on the KV map of `engine` with the key `(key, key_len)`.
fn with_key(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    f: impl FnOnce(&Kv, &[u8]) -> FfiResult,
) -> kvg_status {
    boundary(|| {
        let key = slice_in(key, key_len, "key")?;
        f(resolve(engine)?.kv(), key)
    })
}

/// Sets `key` to `value`, replacing any value and clearing any TTL.
///
/// Keys and values are arbitrary bytes, borrowed for the call; `(NULL, 0)` is
/// the empty string. Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed
/// engine or a NULL pointer with a non-zero length.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_set(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> kvg_status {
    with_key(engine, key, key_len, |kv, key| {
        kv.set(key, slice_in(value, value_len, "value")?);
        Ok(())
    })
}

/// Sets `key` to `value`, expiring `ttl_ms` milliseconds from now (at least
/// 1). Expired keys are invisible at once and reclaimed later.
///
/// Errors: as `kvg_kv_set`; `KVG_INVALID_ARGUMENT` if `ttl_ms` is 0.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_set_with_ttl(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    ttl_ms: u64,
) -> kvg_status {
    with_key(engine, key, key_len, |kv, key| {
        Ok(kv.set_with_ttl(key, slice_in(value, value_len, "value")?, Duration::from_millis(ttl_ms))?)
    })
}

/// Inserts `key` with `value` only if it has no live value.
///
/// Errors: `KVG_CONFLICT` if the key is present (nothing is changed); as
/// `kvg_kv_set` otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_insert(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> kvg_status {
    with_key(engine, key, key_len, |kv, key| {
        if kv.insert(key, slice_in(value, value_len, "value")?) {
            Ok(())
        } else {
            Err(crate::Error::conflict("key already present").into())
        }
    })
}

/// Copies the live value of `key` into `*out`, an owned `kvg_bytes` to
/// release with `kvg_bytes_free`.
///
/// Errors: `KVG_NOT_FOUND` if the key has no live value (`*out` is then
/// `{NULL, 0}`); `KVG_INVALID_ARGUMENT` for a NULL `out` and as `kvg_kv_set`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_get(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    out: *mut kvg_bytes,
) -> kvg_status {
    boundary(|| {
        // Cleared before anything can fail: a failure always leaves `{NULL, 0}`.
        let out = super::out(out, "out")?;
        out.write(kvg_bytes::EMPTY);
        let key = slice_in(key, key_len, "key")?;
        bytes_out(out, resolve(engine)?.kv().get(key).ok_or_else(|| Failure::not_found("key not found"))?)
    })
}

/// Copies the live value of `key` into the caller buffer `buf` of `cap`
/// bytes and stores its length in `*out_len`: one call, nothing to free.
///
/// The value is copied only if it fits (`*out_len <= cap`); otherwise the
/// call returns `KVG_BUFFER_TOO_SMALL` with the needed length in `*out_len`
/// and `buf` unchanged: grow the buffer and call again (the value may have
/// changed meanwhile, so check again). `(NULL, 0)` asks for the length only.
/// No 0 byte is appended.
///
/// Errors: `KVG_NOT_FOUND` if the key has no live value (`*out_len` is then
/// 0); `KVG_BUFFER_TOO_SMALL` as above; `KVG_INVALID_ARGUMENT` for a NULL
/// `out_len`, a NULL `buf` with a non-zero `cap`, and as `kvg_kv_set`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_get_into(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    boundary(|| {
        // Cleared before anything can fail: a failure leaves 0 unless the value was found.
        let out_len = out(out_len, "out_len")?;
        out_len.write(0);
        let buf = buf_out(buf, cap, "buf")?;
        let key = slice_in(key, key_len, "key")?;
        let kv = resolve(engine)?;
        // One read gives both the length and the bytes, even if a writer races.
        let (len, copied) = kv
            .kv()
            .get_with(key, |v| (v.len(), fill(buf, v, "value")))
            .ok_or_else(|| Failure::not_found("key not found"))?;
        out_len.write(len);
        copied
    })
}

/// Gets `count` keys in one call. The keys are packed back to back in
/// `keys`, the `i`-th one `key_lens[i]` bytes long.
///
/// The values found are packed, in key order, into `*out_values`, one owned
/// `kvg_bytes` to release with `kvg_bytes_free` (`data` is non-NULL on
/// success, even if nothing was found). `out_lens`, a caller array of
/// `count` elements, receives the length of each key's value, or
/// `KVG_NO_VALUE` for a key without a live value (it takes no bytes): value
/// `i` starts at the sum of the lengths before it that are not `KVG_NO_VALUE`.
/// Each value is read atomically, but the batch is not a snapshot: writes
/// made meanwhile may be seen by some keys and not by others.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL
/// `out_values`, a NULL `keys`, `key_lens` or `out_lens` with a non-zero
/// total length, or lengths whose sum overflows. On failure `*out_values` is
/// `{NULL, 0}` and every `out_lens[i]` is `KVG_NO_VALUE`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_get_many(
    engine: *const kvg_engine,
    keys: *const u8,
    key_lens: *const usize,
    count: usize,
    out_values: *mut kvg_bytes,
    out_lens: *mut usize,
) -> kvg_status {
    boundary(|| {
        let out = PackedOut::new(out_values, out_lens, count)?;
        let keys = packed_in(keys, key_lens, count, "keys")?;
        let engine = resolve(engine)?;
        let kv = engine.kv();
        out.fill(|i, buf| Ok(kv.get_with(keys[i], |v| buf.extend_from_slice(v)).is_some()))
    })
}

/// Sets `count` keys in one call: key `i` (the `i`-th of `keys`, packed back
/// to back, `key_lens[i]` bytes long) to value `i` (packed likewise in
/// `values` with `value_lens`), replacing any value and clearing any TTL.
///
/// The whole batch is checked before anything is written: a bad argument
/// writes nothing. The pairs are then set in order, each atomically, so a
/// key given twice ends with its last value. The batch is not atomic:
/// concurrent readers may see some pairs set and not others.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL
/// array or buffer with a non-zero total length, or lengths whose sum overflows.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_set_many(
    engine: *const kvg_engine,
    keys: *const u8,
    key_lens: *const usize,
    values: *const u8,
    value_lens: *const usize,
    count: usize,
) -> kvg_status {
    boundary(|| {
        let keys = packed_in(keys, key_lens, count, "keys")?;
        let values = packed_in(values, value_lens, count, "values")?;
        let engine = resolve(engine)?;
        for (key, value) in keys.into_iter().zip(values) {
            engine.kv().set(key, value);
        }
        Ok(())
    })
}

/// Deletes `key`.
///
/// Errors: `KVG_NOT_FOUND` if it had no live value; as `kvg_kv_set`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_delete(engine: *const kvg_engine, key: *const u8, key_len: usize) -> kvg_status {
    with_key(
        engine,
        key,
        key_len,
        |kv, key| {
            if kv.delete(key) { Ok(()) } else { Err(Failure::not_found("key not found")) }
        },
    )
}

/// Atomically replaces the value of `key` by `desired` if it equals
/// `expected` (any TTL is kept).
///
/// Errors: `KVG_NOT_FOUND` if the key is absent, `KVG_CONFLICT` if its
/// value differs from `expected`; as `kvg_kv_set`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_compare_and_swap(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    expected: *const u8,
    expected_len: usize,
    desired: *const u8,
    desired_len: usize,
) -> kvg_status {
    with_key(engine, key, key_len, |kv, key| {
        let expected = slice_in(expected, expected_len, "expected")?;
        Ok(kv.compare_and_swap(key, expected, slice_in(desired, desired_len, "desired")?)?)
    })
}

/// Atomically adds `delta` to the decimal integer stored at `key` (absent
/// counts as 0; Redis INCRBY semantics) and stores the result in `*out`
/// (which may be NULL if not wanted). Any TTL is kept.
///
/// Errors: `KVG_INVALID_ARGUMENT` if the value is not a canonical signed
/// 64-bit decimal or the result would overflow (nothing is changed); as `kvg_kv_set`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_incr(
    engine: *const kvg_engine,
    key: *const u8,
    key_len: usize,
    delta: i64,
    out: *mut i64,
) -> kvg_status {
    with_key(engine, key, key_len, |kv, key| {
        let out = (!out.is_null()).then(|| super::out(out, "out")).transpose()?;
        let n = kv.incr(key, delta)?;
        if let Some(out) = out {
            out.write(n);
        }
        Ok(())
    })
}

/// Stores the number of keys with a live value in `*out`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_len(engine: *const kvg_engine, out: *mut u64) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(resolve(engine)?.kv().len() as u64);
        Ok(())
    })
}

/// Registers the iterator `make` builds over the KV map of `engine` in `*out`.
fn open_iter(
    engine: *const kvg_engine,
    out: *mut *mut kvg_kv_iter,
    make: impl FnOnce(&Kv) -> FfiResult<KvIter>,
) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        let it = make(resolve(engine)?.kv())?;
        out.write(open_handle(Mutex::new(it)));
        Ok(())
    })
}

/// Opens an iterator over the live entries with keys in `[start, end)`, in
/// key order, and stores it in `*out` (NULL on failure). A NULL `start` or
/// `end` pointer is unbounded on that side (its length is then ignored); an
/// empty non-NULL `end` gives an empty range. Close it with `kvg_kv_iter_close`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_scan_open(
    engine: *const kvg_engine,
    start: *const u8,
    start_len: usize,
    end: *const u8,
    end_len: usize,
    out: *mut *mut kvg_kv_iter,
) -> kvg_status {
    open_iter(engine, out, |kv| {
        let start = opt_slice_in(start, start_len, "start")?;
        Ok(kv.scan(start, opt_slice_in(end, end_len, "end")?))
    })
}

/// Opens an iterator over the live entries whose keys start with `prefix`
/// (`(NULL, 0)` or an empty prefix: all keys), in key order, into `*out`.
///
/// Errors: as `kvg_kv_scan_open`; `KVG_INVALID_ARGUMENT` for a NULL prefix
/// with a non-zero length.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_scan_prefix_open(
    engine: *const kvg_engine,
    prefix: *const u8,
    prefix_len: usize,
    out: *mut *mut kvg_kv_iter,
) -> kvg_status {
    open_iter(engine, out, |kv| Ok(kv.scan_prefix(slice_in(prefix, prefix_len, "prefix")?)))
}

/// Advances `iter` and stores the next entry in `*key` and `*value`, two
/// owned `kvg_bytes` to release with `kvg_bytes_free`.
///
/// Errors: `KVG_NOT_FOUND` at the end (both outputs `{NULL, 0}`, and so on
/// every later call); `KVG_INVALID_ARGUMENT` for a NULL or closed iterator
/// or a NULL output.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_iter_next(iter: *const kvg_kv_iter, key: *mut kvg_bytes, value: *mut kvg_bytes) -> kvg_status {
    boundary(|| {
        // Each output is cleared before anything can fail, even if the other is NULL.
        let (mut key, mut value) = (out(key, "key"), out(value, "value"));
        for o in [&mut key, &mut value].into_iter().flat_map(|o| o.as_mut().ok()) {
            o.write(kvg_bytes::EMPTY);
        }
        let (key, value) = (key?, value?);
        let it = resolve(iter)?;
        let next = it.lock().unwrap_or_else(PoisonError::into_inner).next();
        let (k, v) = next.ok_or_else(|| Failure::not_found("end of iteration"))?;
        bytes_out(key, k)?;
        bytes_out(value, v).inspect_err(|_| super::kvg_bytes_free(key.as_mut_ptr()))
    })
}

/// Closes `iter`. NULL is a no-op; closing twice gives `KVG_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_iter_close(iter: *mut kvg_kv_iter) -> kvg_status {
    boundary(|| close_handle(iter))
}

/// A KV write group: every write the thread that opened it makes to its
/// engine's KV map until `kvg_kv_group_close` is logged as one durability
/// log record, which replay after a crash restores whole or not at all.
///
/// Opaque. What a group does and does not do:
/// - Not isolation: each write inside is applied and visible to every
///   thread at once, as outside a group. Writes of other threads are not
///   part of it; graph writes are not part of it either.
/// - Same thread: only the writes of the opening thread join the group,
///   and only that thread can close it (`kvg_kv_group_close` on another
///   thread gives `KVG_INVALID_ARGUMENT` and leaves it open).
/// - Nesting: a group opened while the thread has one open on the same
///   engine is part of it; the record is appended when the first one
///   opened closes (close them in reverse order).
/// - Always close it: `kvg_engine_save` (and the engine's automatic saves)
///   wait for the groups open when they start, so an unclosed group makes
///   them wait forever; `kvg_engine_save` on the thread that holds a group
///   open fails with `KVG_INVALID_ARGUMENT`. A thread that exits with
///   groups open closes them.
/// - Close groups before their engine: closing one after `kvg_engine_close`
///   gives `KVG_IO_ERROR` and logs nothing (the directory may be another
///   engine's by then).
/// - An engine without a path logs nothing: groups cost nothing there.
pub struct kvg_kv_group {
    _opaque: [u8; 0],
}

/// The shared part of a write group handle: the thread that holds its
/// guard (in [`GUARDS`]).
pub(crate) struct GroupOwner {
    thread: ThreadId,
}

handle_kind!(kvg_kv_group => Group(GroupOwner), "a KV write group");

thread_local! {
    /// The guards of the write group handles opened on this thread, by
    /// handle address (the guards must close on this thread).
    static GUARDS: RefCell<Vec<(usize, WriteGroup)>> = const { RefCell::new(Vec::new()) };
}

/// Opens a write group of the calling thread on the KV map of `engine` and
/// stores its handle in `*out` (NULL on failure). Close it with
/// `kvg_kv_group_close` on the same thread.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_group_open(engine: *const kvg_engine, out: *mut *mut kvg_kv_group) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        let guard = resolve(engine)?.kv().open_group();
        let group = open_handle::<kvg_kv_group>(GroupOwner { thread: std::thread::current().id() });
        GUARDS.with(|g| g.borrow_mut().push((group.addr(), guard)));
        out.write(group);
        Ok(())
    })
}

/// Closes `group`: appends its one log record (if it is the outermost
/// group and holds writes) and waits for it as the engine's fsync policy
/// asks (`KVG_FSYNC_ALWAYS`: synced before this returns), then releases the
/// handle. NULL is a no-op.
///
/// Errors: `KVG_IO_ERROR` if the record could not be written (the handle
/// is released; the group's writes hold in memory only);
/// `KVG_INVALID_ARGUMENT` for a closed or foreign handle, or if the calling
/// thread is not the one that opened it (the group then stays open, for
/// its opener to close).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_kv_group_close(group: *mut kvg_kv_group) -> kvg_status {
    boundary(|| {
        if group.is_null() {
            return Ok(());
        }
        if resolve(group)?.thread != std::thread::current().id() {
            return Err(Failure::invalid("a KV write group must be closed on the thread that opened it"));
        }
        // Only this thread can release the handle: it is still live.
        take_handle(group)?;
        let guard = GUARDS.with(|g| {
            let mut guards = g.borrow_mut();
            let i = guards.iter().position(|(h, _)| *h == group.addr());
            i.map(|i| guards.swap_remove(i).1)
        });
        Ok(guard.ok_or_else(|| Failure::invalid("a KV write group handle has no group"))?.close()?)
    })
}
