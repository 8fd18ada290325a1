//! Atomic write batches: `kvg_batch_open` collects node, edge,
//! relationship, label and property writes, `kvg_batch_commit` publishes them at one
//! version (or none of them), `kvg_batch_abort` drops them.

use super::engine::kvg_engine;
use super::props::kvg_value;
use super::props::value_in;
use super::{CBool, Failure, FfiResult, boundary, kvg_status, open_handle, opt_str_in, out};
use super::{resolve, str_in, take_handle};
use crate::graph::Batch;
use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};

/// A batch of graph writes that commits atomically: every snapshot sees
/// all of it or none of it.
///
/// Opaque. Writes collected in it are invisible to every other reader
/// until `kvg_batch_commit`; a single write (outside the batch) to a label
/// or property the batch writes gives `KVG_CONFLICT` until the batch ends.
/// A batch call that fails records nothing in the batch, which stays
/// usable: the caller decides whether to commit the rest or abort. End
/// every batch with exactly one `kvg_batch_commit` or `kvg_batch_abort`;
/// both release the handle. Thread-safe (calls on one batch serialise),
/// and it stays valid after its engine is closed (the commit of a batch of
/// a durable engine then gives `KVG_IO_ERROR` and writes nothing).
pub struct kvg_batch {
    _opaque: [u8; 0],
}

/// The batch behind a handle: `None` once a racing commit or abort took it.
pub(crate) type BatchSlot = Mutex<Option<Batch>>;

handle_kind!(kvg_batch => Batch(BatchSlot), "a batch");

/// Runs `f` on the open batch behind `batch`.
fn with_batch<T>(batch: *const kvg_batch, f: impl FnOnce(&mut Batch) -> FfiResult<T>) -> FfiResult<T> {
    let slot = resolve(batch)?;
    let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.as_mut().ok_or_else(|| Failure::invalid("a batch handle is committed or aborted"))?)
}

/// Runs the batch write `f` and stores what it returns in
/// `*out_changed_or_null` (if not NULL).
fn flag_write(
    batch: *const kvg_batch,
    out_changed_or_null: *mut CBool,
    f: impl FnOnce(&mut Batch) -> FfiResult<bool>,
) -> kvg_status {
    boundary(|| {
        let out =
            if out_changed_or_null.is_null() { None } else { Some(out(out_changed_or_null, "out_changed_or_null")?) };
        let changed = with_batch(batch, f)?;
        if let Some(out) = out {
            out.write(changed.into());
        }
        Ok(())
    })
}

/// Takes the batch out of the live handle `batch` (which is released).
fn take(batch: *mut kvg_batch) -> FfiResult<Batch> {
    let slot = take_handle(batch)?;
    let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    taken.ok_or_else(|| Failure::invalid("a batch handle is committed or aborted"))
}

/// Begins a batch of writes to the graph of `engine` and stores its handle
/// in `*out` (NULL on failure). End it with `kvg_batch_commit` or
/// `kvg_batch_abort`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_open(engine: *const kvg_engine, out: *mut *mut kvg_batch) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        out.write(open_handle::<kvg_batch>(Mutex::new(Some(resolve(engine)?.graph().batch()))));
        Ok(())
    })
}

/// Creates a node labelled `label_or_null` (none if NULL or empty, as
/// `kvg_node_add`) within the batch
/// and stores its id in `*out_id` now: later calls of the batch can use it
/// (more labels with `kvg_batch_add_label`), nobody else sees the node
/// before the commit, and an aborted batch leaves the id unused.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL, committed or aborted batch,
/// a non-UTF-8 label or a NULL `out_id`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_add_node(
    batch: *const kvg_batch,
    label_or_null: *const c_char,
    out_id: *mut u64,
) -> kvg_status {
    boundary(|| {
        let out = out(out_id, "out_id")?;
        let label = opt_str_in(label_or_null, "label")?.filter(|l| !l.is_empty());
        out.write(with_batch(batch, |b| Ok(b.add_node(label.as_slice())?))?);
        Ok(())
    })
}

/// Removes node `id` (one that exists now, or one the batch created)
/// within the batch, as `kvg_node_remove`: with its relationships as the
/// batch sees them, their properties, and its labels and properties. The
/// commit fails with `KVG_CONFLICT` if another writer gave the node a
/// relationship meanwhile.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL, committed or aborted batch.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_node(batch: *const kvg_batch, id: u64) -> kvg_status {
    boundary(|| with_batch(batch, |b| Ok(b.remove_node(id)?)))
}

/// Adds (or, if it exists at commit, re-weights) the edge `src -> dst` of
/// type `type_or_null` within the batch, as `kvg_edge_add`.
///
/// Errors: `KVG_NOT_FOUND` if an end is not a node now;
/// `KVG_INVALID_ARGUMENT` for a NULL, committed or aborted batch, a
/// non-UTF-8 type or a NaN weight.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_add_edge(
    batch: *const kvg_batch,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
    weight: f64,
) -> kvg_status {
    boundary(|| with_batch(batch, |b| Ok(b.add_edge(src, dst, opt_str_in(type_or_null, "type")?, weight)?)))
}

/// Removes the edge `src -> dst` of type `type_or_null` within the batch,
/// as `kvg_edge_remove`; the commit fails if there is no such edge by then.
///
/// Errors: `KVG_NOT_FOUND` if an end is not a node now or the type was
/// never used; `KVG_INVALID_ARGUMENT` as `kvg_batch_add_edge`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_edge(
    batch: *const kvg_batch,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
) -> kvg_status {
    boundary(|| with_batch(batch, |b| Ok(b.remove_edge(src, dst, opt_str_in(type_or_null, "type")?)?)))
}

/// Creates a relationship `src -> dst` within the batch, as
/// `kvg_rel_create`, and stores its id in `*out_id` now (later calls of
/// the batch can use it; an aborted batch leaves the id unused).
///
/// Errors: as `kvg_batch_add_edge`; `KVG_INVALID_ARGUMENT` for a NULL `out_id`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_create_rel(
    batch: *const kvg_batch,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
    weight: f64,
    out_id: *mut u64,
) -> kvg_status {
    boundary(|| {
        let out = out(out_id, "out_id")?;
        let ty = opt_str_in(type_or_null, "type")?;
        out.write(with_batch(batch, |b| Ok(b.create_relationship(src, dst, ty, weight)?))?);
        Ok(())
    })
}

/// Removes relationship `id` (one that exists now, or one the batch
/// created) within the batch.
///
/// Errors: `KVG_NOT_FOUND` if there is no such relationship;
/// `KVG_INVALID_ARGUMENT` for a NULL, committed or aborted batch.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_rel(batch: *const kvg_batch, id: u64) -> kvg_status {
    boundary(|| with_batch(batch, |b| Ok(b.remove_relationship(id)?)))
}

/// Adds label `label` to node `id` within the batch; `*out_added_or_null`
/// (if not NULL) tells whether the node lacked it.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node; `KVG_CONFLICT`
/// if another open batch writes that label; `KVG_INVALID_ARGUMENT` for a
/// NULL, committed or aborted batch or a NULL, empty or non-UTF-8 label.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_add_label(
    batch: *const kvg_batch,
    id: u64,
    label: *const c_char,
    out_added_or_null: *mut CBool,
) -> kvg_status {
    flag_write(batch, out_added_or_null, |b| Ok(b.add_label(id, str_in(label, "label")?)?))
}

/// Removes label `label` from node `id` within the batch;
/// `*out_removed_or_null` (if not NULL) tells whether the node had it.
///
/// Errors: as `kvg_batch_add_label`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_label(
    batch: *const kvg_batch,
    id: u64,
    label: *const c_char,
    out_removed_or_null: *mut CBool,
) -> kvg_status {
    flag_write(batch, out_removed_or_null, |b| Ok(b.remove_label(id, str_in(label, "label")?)?))
}

/// Sets property `name` of node `id` to `*value` within the batch (a
/// `KVG_VALUE_NULL` removes it).
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node; `KVG_CONFLICT`
/// if another open batch writes that property; `KVG_INVALID_ARGUMENT` for a
/// NULL, committed or aborted batch, a NULL or non-UTF-8 name, or a NULL
/// or malformed value (as `kvg_node_set_property_value`).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_set_property(
    batch: *const kvg_batch,
    id: u64,
    name: *const c_char,
    value: *const kvg_value,
) -> kvg_status {
    boundary(|| {
        let (name, value) = (str_in(name, "name")?, value_in(value, "value")?);
        with_batch(batch, |b| Ok(b.set_property_value(id, name, value)?))
    })
}

/// Removes property `name` of node `id` within the batch;
/// `*out_removed_or_null` (if not NULL) tells whether it was set.
///
/// Errors: as `kvg_batch_set_property`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_property(
    batch: *const kvg_batch,
    id: u64,
    name: *const c_char,
    out_removed_or_null: *mut CBool,
) -> kvg_status {
    flag_write(batch, out_removed_or_null, |b| Ok(b.remove_property(id, str_in(name, "name")?)?))
}

/// Sets property `name` of relationship `rel` (one that exists now, or one
/// the batch created) to `*value` within the batch (null removes it).
///
/// Errors: `KVG_NOT_FOUND` if there is no such relationship; otherwise as
/// `kvg_batch_set_property`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_set_rel_property(
    batch: *const kvg_batch,
    rel: u64,
    name: *const c_char,
    value: *const kvg_value,
) -> kvg_status {
    boundary(|| {
        let (name, value) = (str_in(name, "name")?, value_in(value, "value")?);
        with_batch(batch, |b| Ok(b.set_rel_property(rel, name, value)?))
    })
}

/// Removes property `name` of relationship `rel` within the batch;
/// `*out_removed_or_null` (if not NULL) tells whether it was set.
///
/// Errors: as `kvg_batch_set_rel_property`, but an unknown relationship is
/// not an error (nothing is set on it).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_remove_rel_property(
    batch: *const kvg_batch,
    rel: u64,
    name: *const c_char,
    out_removed_or_null: *mut CBool,
) -> kvg_status {
    flag_write(batch, out_removed_or_null, |b| Ok(b.remove_rel_property(rel, str_in(name, "name")?)?))
}

/// Publishes every write of `batch` at one version, or none of them, and
/// releases the handle whatever the outcome (do not abort it afterwards).
///
/// Errors: `KVG_NOT_FOUND` if a write no longer applies (a node removed
/// meanwhile, an edge to remove that is gone; the message says which):
/// nothing is written; `KVG_INVALID_ARGUMENT` for a NULL, committed or
/// aborted batch; `KVG_IO_ERROR` if a durable engine cannot log it.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_commit(batch: *mut kvg_batch) -> kvg_status {
    boundary(|| Ok(take(batch)?.commit()?))
}

/// Drops every write of `batch` and releases the handle. NULL is a no-op;
/// a committed or aborted batch gives `KVG_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_batch_abort(batch: *mut kvg_batch) -> kvg_status {
    boundary(|| {
        if !batch.is_null() {
            take(batch)?.abort();
        }
        Ok(())
    })
}
