//! Graph writes: nodes, properties, edges, bulk load, compaction, counters.

use super::engine::kvg_engine;
use super::{Failure, FfiResult, PackedOut, boundary, bytes_out, kvg_bytes, kvg_status};
use super::{opt_slice_in, opt_str_in, packed_in, resolve, slice_in, str_in};
use crate::error::ErrorKind;
use crate::{Graph, GraphStats};
use std::ffi::c_char;
use std::mem::MaybeUninit;

/// Counters of an engine's graph.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvg_graph_stats {
    /// Live nodes.
    pub nodes: u64,
    /// Live edges.
    pub edges: u64,
    /// Edge writes in the delta, not yet compacted into the CSR base.
    pub delta_edges: u64,
    /// Compactions (and bulk loads) so far.
    pub compactions: u64,
}

impl From<GraphStats> for kvg_graph_stats {
    fn from(s: GraphStats) -> Self {
        kvg_graph_stats { nodes: s.nodes, edges: s.edges, delta_edges: s.delta_edges, compactions: s.compactions }
    }
}

/// Runs `f` on the graph of `engine`.
fn with_graph(engine: *const kvg_engine, f: impl FnOnce(&Graph) -> FfiResult) -> kvg_status {
    boundary(|| f(resolve(engine)?.graph()))
}

/// Runs `f` on the graph of `engine`, then writes what it returns to `*out`.
/// `out` is checked before `f` runs, so a NULL one changes nothing.
fn graph_to_out<T>(engine: *const kvg_engine, out: *mut T, f: impl FnOnce(&Graph) -> FfiResult<T>) -> kvg_status {
    with_graph(engine, |g| {
        let out = super::out(out, "out")?;
        out.write(f(g)?);
        Ok(())
    })
}

/// Runs `f` on the graph of `engine` and returns its bytes in `*out`
/// (`{NULL, 0}` on failure).
fn graph_to_bytes(
    engine: *const kvg_engine,
    out: *mut kvg_bytes,
    f: impl FnOnce(&Graph) -> FfiResult<Vec<u8>>,
) -> kvg_status {
    boundary(|| {
        // Cleared before anything can fail: a failure always leaves `{NULL, 0}`.
        let out: &mut MaybeUninit<kvg_bytes> = super::out(out, "out")?;
        out.write(kvg_bytes::EMPTY);
        bytes_out(out, f(resolve(engine)?.graph())?)
    })
}

/// Adds a node labelled `label_or_null` (NULL: no label) and stores its id
/// in `*out_id`. Ids are dense and never reused.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL
/// `out_id` or a label that is not UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_add(
    engine: *const kvg_engine,
    label_or_null: *const c_char,
    out_id: *mut u64,
) -> kvg_status {
    graph_to_out(engine, out_id, |g| Ok(g.add_node(opt_str_in(label_or_null, "label")?)?))
}

/// Adds `count` nodes labelled `label_or_null` with consecutive ids and
/// stores the first id in `*out_first_id` (ids `first .. first + count - 1`).
///
/// Errors: as `kvg_node_add`; `KVG_INVALID_ARGUMENT` if `count` is too large.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_nodes_add(
    engine: *const kvg_engine,
    count: u64,
    label_or_null: *const c_char,
    out_first_id: *mut u64,
) -> kvg_status {
    graph_to_out(engine, out_first_id, |g| Ok(g.add_nodes(count, opt_str_in(label_or_null, "label")?)?))
}

/// Removes node `id` with its edges and properties. Its id is not reused.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_remove(engine: *const kvg_engine, id: u64) -> kvg_status {
    with_graph(engine, |g| Ok(g.remove_node(id)?))
}

/// Stores the label of node `id` in `*out` (empty for none), an owned
/// `kvg_bytes` to release with `kvg_bytes_free`.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_label(engine: *const kvg_engine, id: u64, out: *mut kvg_bytes) -> kvg_status {
    graph_to_bytes(engine, out, |g| Ok(g.node_label(id)?.into_bytes()))
}

/// Sets property `name` (NUL-terminated UTF-8) of node `id` to the bytes
/// `(value, len)`, borrowed for the call.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or non-UTF-8
/// name, or a NULL value with a non-zero length.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_set_property(
    engine: *const kvg_engine,
    id: u64,
    name: *const c_char,
    value: *const u8,
    len: usize,
) -> kvg_status {
    with_graph(engine, |g| Ok(g.set_property(id, str_in(name, "name")?, slice_in(value, len, "value")?)?))
}

/// Stores property `name` of node `id` in `*out`, an owned `kvg_bytes` to
/// release with `kvg_bytes_free`.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node or an unset
/// property (`*out` is then `{NULL, 0}`); `KVG_INVALID_ARGUMENT` for a NULL
/// or closed engine, a NULL or non-UTF-8 name or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_node_get_property(
    engine: *const kvg_engine,
    id: u64,
    name: *const c_char,
    out: *mut kvg_bytes,
) -> kvg_status {
    graph_to_bytes(engine, out, |g| {
        let name = str_in(name, "name")?;
        g.get_property(id, name)?.ok_or_else(|| Failure::not_found(format!("node {id} has no property {name:?}")))
    })
}

/// Sets property `name` of the `count` nodes `ids[i]` in one call, node `i`
/// to value `i`: the values are packed back to back in `values`, the `i`-th
/// one `value_lens[i]` bytes long.
///
/// The whole batch is checked before anything is written (every id must be
/// a live node): a bad argument or an unknown id writes nothing. The
/// properties are then set in order, each atomically, so an id given twice
/// ends with its last value. The batch is not atomic: concurrent readers may
/// see some properties set and not others, and a node removed by another
/// thread during the call stops it there with `KVG_NOT_FOUND`.
///
/// Errors: `KVG_NOT_FOUND` for an unknown or removed node (the message
/// names it); `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or
/// non-UTF-8 name, a NULL array or buffer with a non-zero total length, or
/// lengths whose sum overflows.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_nodes_set_property(
    engine: *const kvg_engine,
    ids: *const u64,
    count: usize,
    name: *const c_char,
    values: *const u8,
    value_lens: *const usize,
) -> kvg_status {
    with_graph(engine, |g| {
        let ids = slice_in(ids, count, "ids")?;
        let name = str_in(name, "name")?;
        let values = packed_in(values, value_lens, count, "values")?;
        if let Some((i, id)) = ids.iter().enumerate().find(|&(_, &id)| !g.contains_node(id)) {
            return Err(Failure::not_found(format!("ids[{i}]: no node {id}; nothing was written")));
        }
        for (&id, value) in ids.iter().zip(values) {
            g.set_property(id, name, value)?;
        }
        Ok(())
    })
}

/// Gets property `name` of the `count` nodes `ids[i]` in one call.
///
/// The output has the shape of `kvg_kv_get_many`: the values found are
/// packed, in order, into `*out_values` (an owned `kvg_bytes` to release
/// with `kvg_bytes_free`), and `out_lens`, a caller array of `count`
/// elements, receives each value's length, or `KVG_NO_VALUE` for an unknown
/// or removed node or an unset property. Each value is read atomically; the
/// batch is not a snapshot.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, a NULL or
/// non-UTF-8 name, a NULL `out_values`, or a NULL `ids` or `out_lens` with a
/// non-zero `count`. On failure `*out_values` is `{NULL, 0}` and every
/// `out_lens[i]` is `KVG_NO_VALUE`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_nodes_get_property(
    engine: *const kvg_engine,
    ids: *const u64,
    count: usize,
    name: *const c_char,
    out_values: *mut kvg_bytes,
    out_lens: *mut usize,
) -> kvg_status {
    boundary(|| {
        let out = PackedOut::new(out_values, out_lens, count)?;
        let ids = slice_in(ids, count, "ids")?;
        let name = str_in(name, "name")?;
        let engine = resolve(engine)?;
        out.fill(|i, buf| match engine.graph().get_property(ids[i], name) {
            Ok(Some(value)) => {
                buf.extend_from_slice(&value);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        })
    })
}

/// Adds the directed edge `src -> dst` of type `type_or_null` (NULL: no
/// type) with `weight`, or updates the weight of that edge if it exists.
///
/// Errors: `KVG_NOT_FOUND` if an end is not a node; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine, a non-UTF-8 type or a NaN weight.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_edge_add(
    engine: *const kvg_engine,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
    weight: f64,
) -> kvg_status {
    with_graph(engine, |g| Ok(g.add_edge(src, dst, opt_str_in(type_or_null, "type")?, weight)?))
}

/// Removes the edge `src -> dst` of type `type_or_null`.
///
/// Errors: `KVG_NOT_FOUND` if there is no such edge; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine or a non-UTF-8 type.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_edge_remove(
    engine: *const kvg_engine,
    src: u64,
    dst: u64,
    type_or_null: *const c_char,
) -> kvg_status {
    with_graph(engine, |g| Ok(g.remove_edge(src, dst, opt_str_in(type_or_null, "type")?)?))
}

/// Bulk-loads the `n` edges `src[i] -> dst[i]` of type `type_or_null`, with
/// weight `weights_or_null[i]` (all 1.0 if NULL), building a new CSR base
/// directly. Atomic: all edges are added, or none. Arrays are borrowed for the call.
///
/// Errors: `KVG_NOT_FOUND` if an id is not a node; `KVG_INVALID_ARGUMENT`
/// for a NULL or closed engine, NULL `src`/`dst` with `n > 0`, a NaN weight
/// or a non-UTF-8 type.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_edges_load(
    engine: *const kvg_engine,
    src: *const u64,
    dst: *const u64,
    weights_or_null: *const f64,
    n: usize,
    type_or_null: *const c_char,
) -> kvg_status {
    with_graph(engine, |g| {
        let (src, dst) = (slice_in(src, n, "src")?, slice_in(dst, n, "dst")?);
        let weights = opt_slice_in(weights_or_null, n, "weights")?;
        Ok(g.load_edges(src, dst, weights, opt_str_in(type_or_null, "type")?)?)
    })
}

/// Merges the graph's delta into a new CSR base now (a no-op if the delta is
/// empty). Readers and writers carry on meanwhile.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_graph_compact(engine: *const kvg_engine) -> kvg_status {
    with_graph(engine, |g| {
        g.compact();
        Ok(())
    })
}

/// Stores the graph's counters in `*out`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_graph_get_stats(engine: *const kvg_engine, out: *mut kvg_graph_stats) -> kvg_status {
    graph_to_out(engine, out, |g| Ok(g.stats().into()))
}
