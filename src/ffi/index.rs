//! Property indexes on (label, property): create, drop, list, look up.

use super::engine::kvg_engine;
use super::labels::names_out;
use super::props::{kvg_value, value_in};
use super::snapshot::{kvg_snapshot, list};
use super::{CBool, FfiResult, boundary, kvg_bytes, kvg_status, resolve, str_in};
use crate::Value;
use std::ffi::c_char;
use std::ops::Bound;

/// Writes `done` to `*out_or_null` unless it is NULL.
fn flag_out(out_or_null: *mut CBool, done: impl FnOnce() -> FfiResult<bool>) -> kvg_status {
    boundary(|| {
        let out = if out_or_null.is_null() { None } else { Some(super::out(out_or_null, "out_or_null")?) };
        let done = done()?;
        if let Some(out) = out {
            out.write(done.into());
        }
        Ok(())
    })
}

/// Declares an index on property `property` of nodes labelled `label` and
/// builds it from the existing nodes; `*out_created_or_null` (if not NULL)
/// is false if it existed. It answers snapshots opened after this returns.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL,
/// empty or non-UTF-8 label or property.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_index_create(
    engine: *const kvg_engine,
    label: *const c_char,
    property: *const c_char,
    out_created_or_null: *mut CBool,
) -> kvg_status {
    flag_out(out_created_or_null, || {
        Ok(resolve(engine)?.graph().create_index(str_in(label, "label")?, str_in(property, "property")?)?)
    })
}

/// Drops the index on (`label`, `property`); `*out_dropped_or_null` (if
/// not NULL) is false if there was none.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL or
/// non-UTF-8 label or property.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_index_drop(
    engine: *const kvg_engine,
    label: *const c_char,
    property: *const c_char,
    out_dropped_or_null: *mut CBool,
) -> kvg_status {
    flag_out(out_dropped_or_null, || {
        Ok(resolve(engine)?.graph().drop_index(str_in(label, "label")?, str_in(property, "property")?)?)
    })
}

/// Stores the declared indexes in `*out` (release with `kvg_bytes_free`),
/// in creation order, as NUL-terminated pairs: `"Person\0age\0City\0name\0"`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_index_list(engine: *const kvg_engine, out: *mut kvg_bytes) -> kvg_status {
    names_out(out, || Ok(resolve(engine)?.graph().indexes().into_iter().flat_map(|(l, p)| [l, p]).collect()))
}

/// Writes the nodes labelled `label` whose property `property` equals
/// `*value` in `snapshot` (numbers by numeric value; null and NaN match
/// nothing), in increasing id order, into `buf[0 .. *out_len]`, through the
/// index on (`label`, `property`); `*out_len` always receives their number.
///
/// Errors: `KVG_NOT_FOUND` if there is no such index;
/// `KVG_INVALID_ARGUMENT` if the index is newer than the snapshot, for a
/// NULL or closed snapshot, a NULL or non-UTF-8 name, a NULL or malformed
/// value, a NULL `out_len` or a NULL `buf` with a non-zero `cap`;
/// `KVG_BUFFER_TOO_SMALL` if `cap` is short.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_index_lookup(
    snapshot: *const kvg_snapshot,
    label: *const c_char,
    property: *const c_char,
    value: *const kvg_value,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "nodes", |s| {
        let value = value_in(value, "value")?;
        Ok(s.index_lookup(str_in(label, "label")?, str_in(property, "property")?, &value)?)
    })
}

/// A range bound: NULL is unbounded.
fn bound(value: *const kvg_value, inclusive: CBool, what: &str) -> FfiResult<Bound<Value>> {
    if value.is_null() {
        return Ok(Bound::Unbounded);
    }
    let v = value_in(value, what)?;
    Ok(if inclusive.into() { Bound::Included(v) } else { Bound::Excluded(v) })
}

/// Writes the nodes labelled `label` whose property `property` lies between
/// `*lower_or_null` and `*upper_or_null` (NULL: unbounded; each end
/// inclusive or not) in `snapshot`, in increasing id order, into
/// `buf[0 .. *out_len]`, through the index on (`label`, `property`). Only
/// values of the bounds' kind match (numbers for number bounds, …), NaN
/// never; two NULL bounds give every node with the property.
///
/// Errors: as `kvg_snapshot_index_lookup`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn kvg_snapshot_index_range(
    snapshot: *const kvg_snapshot,
    label: *const c_char,
    property: *const c_char,
    lower_or_null: *const kvg_value,
    lower_inclusive: CBool,
    upper_or_null: *const kvg_value,
    upper_inclusive: CBool,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "nodes", |s| {
        let lower = bound(lower_or_null, lower_inclusive, "lower_or_null")?;
        let upper = bound(upper_or_null, upper_inclusive, "upper_or_null")?;
        Ok(s.index_range(str_in(label, "label")?, str_in(property, "property")?, lower.as_ref(), upper.as_ref())?)
    })
}
