//! Typed property values (`kvg_value`) and the typed property calls of
//! nodes and relationships, now and at a snapshot.

use super::engine::kvg_engine;
use super::snapshot::kvg_snapshot;
use super::{CBool, Failure, FfiResult, PlainData, boundary, bytes_out, kvg_bytes, kvg_status};
use super::{resolve, slice_in, str_in, struct_in};
use crate::{Graph, Value};
use std::ffi::{c_char, c_int};
use std::mem::MaybeUninit;

/// The type of a `kvg_value`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvg_value_type {
    /// No value (setting a property to it removes the property).
    KVG_VALUE_NULL = 0,
    /// `boolean`.
    KVG_VALUE_BOOL = 1,
    /// `integer` (int64).
    KVG_VALUE_INT = 2,
    /// `real` (double).
    KVG_VALUE_FLOAT = 3,
    /// `(data, len)`: UTF-8, not NUL-terminated.
    KVG_VALUE_STRING = 4,
    /// `(data, len)`: any bytes.
    KVG_VALUE_BYTES = 5,
    /// `(data, len)`: the whole list in kvgraph's value encoding (README, "Data model").
    KVG_VALUE_LIST = 6,
    /// `(data, len)`: the whole map in kvgraph's value encoding.
    KVG_VALUE_MAP = 7,
}

/// A `kvg_value_type` as stored in a struct filled by C: any `int`, checked before use.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct CValueType(pub c_int);

/// A typed value, as a tagged struct: `kind` says which field holds it.
///
/// As an input it is borrowed for the call (`data` may be NULL when `len`
/// is 0). As an output, `data` points into the `kvg_bytes` the call filled
/// next to it (release that with `kvg_bytes_free`), or is NULL for
/// null, bool, int and float values.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvg_value {
    /// Which field holds the value.
    pub kind: CValueType,
    /// The value of a `KVG_VALUE_BOOL`.
    pub boolean: CBool,
    /// The value of a `KVG_VALUE_INT`.
    pub integer: i64,
    /// The value of a `KVG_VALUE_FLOAT`.
    pub real: f64,
    /// The bytes of a string, bytes, list or map value.
    pub data: *const u8,
    /// Their length.
    pub len: usize,
}

// SAFETY: `#[repr(C)]` of integers, a float, a byte and a raw pointer, all
// valid for any bits (the pointer is only read through `slice_in`).
unsafe impl PlainData for kvg_value {}

impl kvg_value {
    /// A null value.
    pub(super) const NULL: kvg_value =
        kvg_value { kind: CValueType(0), boolean: CBool::FALSE, integer: 0, real: 0.0, data: std::ptr::null(), len: 0 };

    /// The Rust value this C value describes, once checked.
    fn to_value(self, what: &str) -> FfiResult<Value> {
        use kvg_value_type::*;
        let bytes = || slice_in(self.data, self.len, what);
        let decoded = |kind: &str| -> FfiResult<Value> {
            let v = Value::decode(bytes()?).map_err(|e| Failure::invalid(format!("{what}: {e}")))?;
            if v.type_name() != kind {
                return Err(Failure::invalid(format!("{what}: the encoding holds a {}, not a {kind}", v.type_name())));
            }
            Ok(v)
        };
        Ok(match self.kind.0 {
            t if t == KVG_VALUE_NULL as c_int => Value::Null,
            t if t == KVG_VALUE_BOOL as c_int => Value::Bool(self.boolean.into()),
            t if t == KVG_VALUE_INT as c_int => Value::Int(self.integer),
            t if t == KVG_VALUE_FLOAT as c_int => Value::Float(self.real),
            t if t == KVG_VALUE_STRING as c_int => Value::String(
                std::str::from_utf8(bytes()?)
                    .map_err(|e| Failure::invalid(format!("{what} is not valid UTF-8: {e}")))?
                    .to_owned(),
            ),
            t if t == KVG_VALUE_BYTES as c_int => Value::Bytes(bytes()?.to_vec()),
            t if t == KVG_VALUE_LIST as c_int => decoded("list")?,
            t if t == KVG_VALUE_MAP as c_int => decoded("map")?,
            t => return Err(Failure::invalid(format!("{what}: {t} is not a kvg_value_type"))),
        })
    }
}

/// The checked value at `ptr` (which must not be NULL).
pub(crate) fn value_in(ptr: *const kvg_value, what: &str) -> FfiResult<Value> {
    struct_in(ptr, what)?.ok_or_else(|| Failure::invalid(format!("{what} is NULL")))?.to_value(what)
}

/// `value` with every temporal value in it (at any depth) replaced by its
/// ISO 8601 string: temporal values cross the C boundary as strings.
fn temporals_as_strings(value: Value) -> Value {
    match value {
        Value::Temporal(t) => Value::String(t.to_string()),
        Value::List(items) => Value::List(items.into_iter().map(temporals_as_strings).collect()),
        Value::Map(map) => Value::Map(map.into_iter().map(|(k, v)| (k, temporals_as_strings(v))).collect()),
        other => other,
    }
}

/// Writes `value` to `out` and its bytes (if any) to `data` (a temporal
/// value as its ISO 8601 string).
fn value_out(out: &mut MaybeUninit<kvg_value>, data: &mut MaybeUninit<kvg_bytes>, value: Value) -> FfiResult {
    use kvg_value_type::*;
    let mut v = kvg_value::NULL;
    let bytes = match temporals_as_strings(value) {
        Value::Null => None,
        Value::Bool(b) => {
            (v.kind, v.boolean) = (CValueType(KVG_VALUE_BOOL as c_int), b.into());
            None
        }
        Value::Int(i) => {
            (v.kind, v.integer) = (CValueType(KVG_VALUE_INT as c_int), i);
            None
        }
        Value::Float(f) => {
            (v.kind, v.real) = (CValueType(KVG_VALUE_FLOAT as c_int), f);
            None
        }
        Value::String(s) => Some((KVG_VALUE_STRING, s.into_bytes())),
        Value::Bytes(b) => Some((KVG_VALUE_BYTES, b)),
        Value::Temporal(t) => Some((KVG_VALUE_STRING, t.to_string().into_bytes())),
        list @ Value::List(_) => Some((KVG_VALUE_LIST, list.encode())),
        map @ Value::Map(_) => Some((KVG_VALUE_MAP, map.encode())),
    };
    if let Some((t, bytes)) = bytes {
        let owned = kvg_bytes::new(bytes)?;
        (v.kind, v.data, v.len) = (CValueType(t as c_int), owned.data, owned.len);
        data.write(owned);
    }
    out.write(v);
    Ok(())
}

/// Runs `read` and returns the value it finds in `*out` / `*out_data`
/// (`KVG_NOT_FOUND` if none: `*out` is then a null value, `*out_data` `{NULL, 0}`).
pub(crate) fn read_value(
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
    read: impl FnOnce() -> FfiResult<Option<Value>>,
) -> kvg_status {
    boundary(|| {
        let (out, data) = (super::out(out, "out")?, super::out(out_data, "out_data")?);
        out.write(kvg_value::NULL);
        data.write(kvg_bytes::EMPTY);
        let value = read()?.ok_or_else(|| Failure::not_found("no such property"))?;
        value_out(out, data, value)
    })
}

/// Runs `f` on the graph of `engine`.
fn on_graph(engine: *const kvg_engine, f: impl FnOnce(&Graph) -> FfiResult) -> kvg_status {
    boundary(|| f(resolve(engine)?.graph()))
}

/// Sets property `name` of node `id` to `*value` (a `KVG_VALUE_NULL`
/// removes it).
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_CONFLICT` if an open batch writes that property;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or non-UTF-8
/// name, a NULL value, an unknown type, a string that is not UTF-8, or a
/// list or map whose encoding is malformed.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_set_property_value(
    engine: *const kvg_engine,
    id: u64,
    name: *const c_char,
    value: *const kvg_value,
) -> kvg_status {
    on_graph(engine, |g| Ok(g.set_property_value(id, str_in(name, "name")?, value_in(value, "value")?)?))
}

/// Stores property `name` of node `id` in `*out`; a string, bytes, list or
/// map value's bytes go into `*out_data` (release with `kvg_bytes_free`).
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node or an unset
/// property; `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or
/// non-UTF-8 name, or a NULL `out` or `out_data`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_get_property_value(
    engine: *const kvg_engine,
    id: u64,
    name: *const c_char,
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
) -> kvg_status {
    read_value(out, out_data, || Ok(resolve(engine)?.graph().property_value(id, str_in(name, "name")?)?))
}

/// Removes property `name` of node `id`.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node or an unset
/// property; otherwise as `kvg_node_set_property_value`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_remove_property(engine: *const kvg_engine, id: u64, name: *const c_char) -> kvg_status {
    on_graph(engine, |g| match g.remove_property(id, str_in(name, "name")?)? {
        true => Ok(()),
        false => Err(Failure::not_found(format!("node {id} has no such property"))),
    })
}

/// Sets property `name` of relationship `rel` to `*value` (null removes it).
/// Removing the relationship removes its properties.
///
/// Errors: as `kvg_node_set_property_value`; `KVG_NOT_FOUND` if relationship
/// `rel` does not exist now (a graph's relationships created one by one, as
/// by `kvg_edge_add` of a new edge, have ids 0, 1, 2, … in creation order).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_set_property_value(
    engine: *const kvg_engine,
    rel: u64,
    name: *const c_char,
    value: *const kvg_value,
) -> kvg_status {
    on_graph(engine, |g| Ok(g.set_rel_property(rel, str_in(name, "name")?, value_in(value, "value")?)?))
}

/// Stores property `name` of relationship `rel` in `*out` / `*out_data`.
///
/// Errors: as `kvg_node_get_property_value`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_get_property_value(
    engine: *const kvg_engine,
    rel: u64,
    name: *const c_char,
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
) -> kvg_status {
    read_value(out, out_data, || Ok(resolve(engine)?.graph().rel_property(rel, str_in(name, "name")?)))
}

/// Stores property `name` of node `id` as of `snapshot` in `*out` / `*out_data`.
///
/// Errors: `KVG_NOT_FOUND` if `id` is not a node of the snapshot or the
/// property is unset there; `KVG_INVALID_ARGUMENT` for a NULL or closed
/// snapshot, a NULL or non-UTF-8 name, or a NULL `out` or `out_data`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_node_property_value(
    snapshot: *const kvg_snapshot,
    id: u64,
    name: *const c_char,
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
) -> kvg_status {
    read_value(out, out_data, || Ok(resolve(snapshot)?.property_value(id, str_in(name, "name")?)?))
}

/// Stores property `name` of relationship `rel` as of `snapshot` in `*out` / `*out_data`.
///
/// Errors: as `kvg_snapshot_node_property_value`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_rel_property_value(
    snapshot: *const kvg_snapshot,
    rel: u64,
    name: *const c_char,
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
) -> kvg_status {
    read_value(out, out_data, || Ok(resolve(snapshot)?.rel_property(rel, str_in(name, "name")?)))
}

/// Writes kvgraph's binary encoding of `*value` into `*out` (release with
/// `kvg_bytes_free`): how a C program builds a list or map value, by
/// concatenating the encodings of its items after the header the README
/// describes, or checks one.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or malformed value or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_value_encode(value: *const kvg_value, out: *mut kvg_bytes) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(kvg_bytes::EMPTY);
        bytes_out(out, value_in(value, "value")?.encode())
    })
}
