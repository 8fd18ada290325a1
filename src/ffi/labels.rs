//! Node labels: add, remove, read, and nodes by label at a snapshot.

use super::engine::kvg_engine;
use super::snapshot::{kvg_snapshot, list};
use super::{CBool, FfiResult, boundary, bytes_out, kvg_bytes, kvg_status, out, resolve, str_in};
use crate::Graph;
use std::ffi::c_char;

/// Runs the label write `f` on the graph of `engine` and stores whether it
/// changed the node in `*out_changed_or_null` (if not NULL).
fn label_write(
    engine: *const kvg_engine,
    out_changed_or_null: *mut CBool,
    f: impl FnOnce(&Graph) -> FfiResult<bool>,
) -> kvg_status {
    boundary(|| {
        let out =
            if out_changed_or_null.is_null() { None } else { Some(out(out_changed_or_null, "out_changed_or_null")?) };
        let changed = f(resolve(engine)?.graph())?;
        if let Some(out) = out {
            out.write(changed.into());
        }
        Ok(())
    })
}

/// Packs names as `name\0name\0…` into `*out` (empty for none).
pub(crate) fn names_out(out: *mut kvg_bytes, read: impl FnOnce() -> FfiResult<Vec<String>>) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(kvg_bytes::EMPTY);
        let packed = read()?.into_iter().flat_map(|n| n.into_bytes().into_iter().chain([0])).collect();
        bytes_out(out, packed)
    })
}

/// Adds label `label` to node `id`; `*out_added_or_null` (if not NULL)
/// tells whether the node lacked it.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node; `KVG_CONFLICT`
/// if an open batch writes that label; `KVG_INVALID_ARGUMENT` for a NULL or
/// closed engine or a NULL, empty or non-UTF-8 label.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_add_label(
    engine: *const kvg_engine,
    id: u64,
    label: *const c_char,
    out_added_or_null: *mut CBool,
) -> kvg_status {
    label_write(engine, out_added_or_null, |g| Ok(g.add_label(id, str_in(label, "label")?)?))
}

/// Removes label `label` from node `id`; `*out_removed_or_null` (if not
/// NULL) tells whether the node had it.
///
/// Errors: as `kvg_node_add_label`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_remove_label(
    engine: *const kvg_engine,
    id: u64,
    label: *const c_char,
    out_removed_or_null: *mut CBool,
) -> kvg_status {
    label_write(engine, out_removed_or_null, |g| Ok(g.remove_label(id, str_in(label, "label")?)?))
}

/// Stores whether node `id` has label `label` in `*out`.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or non-UTF-8
/// label or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_has_label(
    engine: *const kvg_engine,
    id: u64,
    label: *const c_char,
    out: *mut CBool,
) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(resolve(engine)?.graph().has_label(id, str_in(label, "label")?)?.into());
        Ok(())
    })
}

/// Stores the labels of node `id` in `*out` (release with `kvg_bytes_free`),
/// in name order, each followed by a NUL byte: `"Admin\0Person\0"` (`len`
/// counts every NUL; `{…, 0}` for none).
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_labels(engine: *const kvg_engine, id: u64, out: *mut kvg_bytes) -> kvg_status {
    names_out(out, || Ok(resolve(engine)?.graph().node_labels(id)?))
}

/// Stores the labels of node `id` as of `snapshot` in `*out`, packed as by
/// `kvg_node_labels`.
///
/// Errors: `KVG_NOT_FOUND` if `id` is not a node of the snapshot;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed snapshot or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_node_labels(snapshot: *const kvg_snapshot, id: u64, out: *mut kvg_bytes) -> kvg_status {
    names_out(out, || Ok(resolve(snapshot)?.node_labels(id)?))
}

/// Writes the nodes labelled `label` in `snapshot`, in increasing id order,
/// into `buf[0 .. *out_len]`, found through the label index; `*out_len`
/// always receives their number, so `(NULL, 0)` asks for it.
///
/// Errors: `KVG_BUFFER_TOO_SMALL` if `cap` is short; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed snapshot, a NULL or non-UTF-8 label, a NULL
/// `out_len`, or a NULL `buf` with a non-zero `cap`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_nodes_with_label(
    snapshot: *const kvg_snapshot,
    label: *const c_char,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "nodes", |s| Ok(s.nodes_with_label(str_in(label, "label")?)))
}
