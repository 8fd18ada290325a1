//! Relationships with ids: create, remove, read (now and at a snapshot),
//! list a node's relationships, read all or remove one of a relationship's
//! properties.

use super::engine::kvg_engine;
use super::props::{kvg_value, read_value};
use super::snapshot::{CDirection, kvg_snapshot, list};
use super::{Failure, FfiResult, boundary, kvg_bytes, kvg_status, opt_str_in, out, resolve, str_in};
use crate::Value;
use crate::graph::Edge;
use std::ffi::c_char;
use std::mem::MaybeUninit;

/// A relationship as `kvg_rel_get` and `kvg_snapshot_rel_get` return it.
///
/// `rel_type` is an owned `kvg_bytes` (empty for an untyped relationship):
/// release it with `kvg_bytes_free(&rel.rel_type)`. A failed call leaves the
/// struct zeroed (`rel_type` `{NULL, 0}`).
#[repr(C)]
#[derive(Debug)]
pub struct kvg_rel {
    /// The relationship's id.
    pub id: u64,
    /// Its start node.
    pub src: u64,
    /// Its end node.
    pub dst: u64,
    /// Its weight (what SSSP reads).
    pub weight: f64,
    /// Its type, UTF-8 (NUL-terminated, the NUL not counted in `len`).
    pub rel_type: kvg_bytes,
}

impl kvg_rel {
    /// All zero, `rel_type` `{NULL, 0}`.
    pub(super) const EMPTY: kvg_rel = kvg_rel { id: 0, src: 0, dst: 0, weight: 0.0, rel_type: kvg_bytes::EMPTY };
}

/// Clears `*out`, then stores the relationship `read` finds there
/// (`KVG_NOT_FOUND` if none).
fn rel_out(out: *mut kvg_rel, read: impl FnOnce() -> FfiResult<Option<Edge>>) -> kvg_status {
    boundary(|| {
        let out: &mut MaybeUninit<kvg_rel> = super::out(out, "out")?;
        out.write(kvg_rel::EMPTY);
        let edge = read()?.ok_or_else(|| Failure::not_found("no such relationship"))?;
        let rel_type = kvg_bytes::new(edge.edge_type.into_bytes())?;
        out.write(kvg_rel { id: edge.id, src: edge.src, dst: edge.dst, weight: edge.weight, rel_type });
        Ok(())
    })
}

/// Creates a new relationship `src -> dst` of type `type_or_null` (NULL:
/// no type) with `weight`, even if the two nodes are joined by one of that
/// type already (unlike `kvg_edge_add`), and stores its id in `*out_id`.
/// Ids are never reused.
///
/// Errors: `KVG_NOT_FOUND` if an end is not a node; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine, a non-UTF-8 type, a NaN weight, a NULL
/// `out_id`; `KVG_IO_ERROR` if a durable engine cannot log it.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_create(
    engine: *const kvg_engine,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
    weight: f64,
    out_id: *mut u64,
) -> kvg_status {
    boundary(|| {
        let out = out(out_id, "out_id")?;
        let ty = opt_str_in(type_or_null, "type")?;
        out.write(resolve(engine)?.graph().create_relationship(src, dst, ty, weight)?);
        Ok(())
    })
}

/// Removes relationship `id` and its properties.
///
/// Errors: `KVG_NOT_FOUND` if it does not exist now; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine or a durable engine.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_remove(engine: *const kvg_engine, id: u64) -> kvg_status {
    boundary(|| Ok(resolve(engine)?.graph().remove_relationship(id)?))
}

/// Stores relationship `id` as it is now in `*out` (release `out->rel_type`
/// with `kvg_bytes_free`).
///
/// Errors: `KVG_NOT_FOUND` if it does not exist now; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_get(engine: *const kvg_engine, id: u64, out: *mut kvg_rel) -> kvg_status {
    rel_out(out, || Ok(resolve(engine)?.graph().relationship(id)))
}

/// Stores relationship `id` as of `snapshot` in `*out`, as `kvg_rel_get`.
///
/// Errors: `KVG_NOT_FOUND` if it is not in the snapshot;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed snapshot or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_rel_get(snapshot: *const kvg_snapshot, id: u64, out: *mut kvg_rel) -> kvg_status {
    rel_out(out, || Ok(resolve(snapshot)?.relationship(id)))
}

/// Writes the ids of the relationships at `node` in direction `dir` of
/// type `type_or_null` (NULL: any type) into `buf[0 .. *out_len]`
/// (out-relationships first for `KVG_BOTH`; a relationship from `node` to
/// itself is listed on both sides); `*out_len` always receives their
/// number, so `(NULL, 0)` asks for it. Read each with `kvg_snapshot_rel_get`.
///
/// Errors: as `kvg_snapshot_neighbors`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_relationships(
    snapshot: *const kvg_snapshot,
    node: u64,
    dir: CDirection,
    type_or_null: *const c_char,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "relationships", |s| {
        let rels = s.relationships(node, dir.to_direction()?, opt_str_in(type_or_null, "type")?)?;
        Ok(rels.into_iter().map(|e| e.id).collect())
    })
}

/// Removes property `name` of relationship `rel`.
///
/// Errors: `KVG_NOT_FOUND` if the property is unset (or the relationship
/// does not exist); `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a
/// NULL or non-UTF-8 name.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_remove_property(engine: *const kvg_engine, rel: u64, name: *const c_char) -> kvg_status {
    boundary(|| match resolve(engine)?.graph().remove_rel_property(rel, str_in(name, "name")?)? {
        true => Ok(()),
        false => Err(Failure::not_found(format!("relationship {rel} has no such property"))),
    })
}

/// Stores every property of relationship `rel` in `*out` as one
/// `KVG_VALUE_MAP` (name to value, in kvgraph's value encoding; its bytes
/// in `*out_data`, release with `kvg_bytes_free`): an empty map for none.
///
/// Errors: `KVG_NOT_FOUND` if the relationship does not exist now;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out` or `out_data`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_rel_properties(
    engine: *const kvg_engine,
    rel: u64,
    out: *mut kvg_value,
    out_data: *mut kvg_bytes,
) -> kvg_status {
    read_value(out, out_data, || {
        let engine = resolve(engine)?;
        let graph = engine.graph();
        if graph.relationship(rel).is_none() {
            return Err(Failure::not_found(format!("no relationship {rel}")));
        }
        Ok(Some(Value::Map(graph.rel_properties(rel).into_iter().collect())))
    })
}
