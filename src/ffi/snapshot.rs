//! Snapshots: consistent views of the graph, neighbourhoods and analytics.

use super::engine::kvg_engine;
use super::{Failure, FfiResult, boundary, kvg_status};
use super::{buf_out, close_handle, ensure_cap, fill, open_handle, opt_str_in, out, resolve};
use crate::{Direction, Snapshot};
use std::ffi::{c_char, c_int};

/// Which edges of a node to follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvg_direction {
    /// Out-edges: the node is the source.
    KVG_OUT = 0,
    /// In-edges: the node is the target.
    KVG_IN = 1,
    /// Both.
    KVG_BOTH = 2,
}

/// A `kvg_direction` as received from C: any `int`, checked before use.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct CDirection(pub c_int);

impl CDirection {
    /// The direction, once checked.
    pub(super) fn to_direction(self) -> FfiResult<Direction> {
        use kvg_direction::*;
        [(KVG_OUT, Direction::Out), (KVG_IN, Direction::In), (KVG_BOTH, Direction::Both)]
            .into_iter()
            .find(|&(c, _)| c as c_int == self.0)
            .map(|(_, d)| d)
            .ok_or_else(|| Failure::invalid(format!("direction {} is not KVG_OUT, KVG_IN or KVG_BOTH", self.0)))
    }
}

/// A consistent, repeatable view of an engine's graph.
///
/// Opaque. It sees every graph write acknowledged before it was opened and
/// none after, and answers the same for as long as it lives, whatever
/// writers and compaction do. Opening one copies nothing. Thread-safe: any
/// number of threads may query one snapshot at once. It stays valid after its
/// engine is closed.
///
/// Node ids of a snapshot are below `kvg_snapshot_node_count`; the per-node
/// algorithms fill caller buffers of at least that many elements, indexed by
/// node id, and give `KVG_BUFFER_TOO_SMALL` (needed length in the message)
/// for a shorter one. Ids that are not nodes of the snapshot (removed, or
/// never created) read as unreachable / 0 / `KVG_NO_NODE`.
pub struct kvg_snapshot {
    _opaque: [u8; 0],
}

handle_kind!(kvg_snapshot => Snapshot(Snapshot), "a snapshot");

/// Opens a snapshot of the graph of `engine` as of now into `*out` (NULL on
/// failure). Close it with `kvg_snapshot_close`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_open(engine: *const kvg_engine, out: *mut *mut kvg_snapshot) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        out.write(open_handle(resolve(engine)?.graph().snapshot()));
        Ok(())
    })
}

/// Closes `snapshot`. NULL is a no-op; closing twice gives `KVG_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_close(snapshot: *mut kvg_snapshot) -> kvg_status {
    boundary(|| close_handle(snapshot))
}

/// Writes what `f` computes from `snapshot` to `*out`.
fn scalar<T>(snapshot: *const kvg_snapshot, out: *mut T, f: impl FnOnce(&Snapshot) -> T) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(f(&*resolve(snapshot)?));
        Ok(())
    })
}

/// Stores the number of node ids of the snapshot in `*out`: every node has
/// an id below it. The length per-node algorithm buffers need.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed snapshot or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_node_count(snapshot: *const kvg_snapshot, out: *mut u64) -> kvg_status {
    scalar(snapshot, out, Snapshot::node_count)
}

/// Stores the number of edges of the snapshot in `*out`.
///
/// Errors: as `kvg_snapshot_node_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_edge_count(snapshot: *const kvg_snapshot, out: *mut u64) -> kvg_status {
    scalar(snapshot, out, Snapshot::edge_count)
}

/// Stores the version the snapshot reads at in `*out`: snapshots with equal
/// versions see the same graph, and a later snapshot has a version at least as high.
///
/// Errors: as `kvg_snapshot_node_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_version(snapshot: *const kvg_snapshot, out: *mut u64) -> kvg_status {
    scalar(snapshot, out, Snapshot::version)
}

/// Stores the number of undirected triangles (of the graph seen without
/// direction) in `*out`.
///
/// Errors: as `kvg_snapshot_node_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_triangle_count(snapshot: *const kvg_snapshot, out: *mut u64) -> kvg_status {
    scalar(snapshot, out, Snapshot::triangle_count)
}

/// Writes the list `f` computes into `(buf, cap)` and its length into
/// `*out_len`, which a too-short buffer also gets.
pub(super) fn list<T: Copy>(
    snapshot: *const kvg_snapshot,
    buf: *mut T,
    cap: usize,
    out_len: *mut usize,
    what: &str,
    f: impl FnOnce(&Snapshot) -> FfiResult<Vec<T>>,
) -> kvg_status {
    boundary(|| {
        let (buf, out_len) = (buf_out(buf, cap, what)?, out(out_len, "out_len")?);
        let values = f(&*resolve(snapshot)?)?;
        out_len.write(values.len());
        fill(buf, &values, what)
    })
}

/// Writes the distinct neighbours of `node` in direction `dir`, over edges of
/// type `type_or_null` (NULL: any type), in increasing id order, into
/// `buf[0 .. *out_len]`. `*out_len` always receives the number of
/// neighbours, so `(NULL, 0)` asks for the length.
///
/// Errors: `KVG_BUFFER_TOO_SMALL` if `cap < *out_len`; `KVG_NOT_FOUND` if
/// `node` is not a node of the snapshot; `KVG_INVALID_ARGUMENT` for a NULL or
/// closed snapshot, a `dir` outside `kvg_direction`, a non-UTF-8 type, a NULL
/// `out_len`, or a NULL `buf` with `cap > 0`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_neighbors(
    snapshot: *const kvg_snapshot,
    node: u64,
    dir: CDirection,
    type_or_null: *const c_char,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "neighbors", |s| {
        Ok(s.neighbors(node, dir.to_direction()?, opt_str_in(type_or_null, "type")?)?)
    })
}

/// Writes the nodes reachable from `source` in 1 to `k` hops over out-edges,
/// in increasing id order, into `buf[0 .. *out_len]`; `*out_len` always
/// receives their number.
///
/// Errors: as `kvg_snapshot_neighbors`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_k_hop(
    snapshot: *const kvg_snapshot,
    source: u64,
    k: u32,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> kvg_status {
    list(snapshot, buf, cap, out_len, "k_hop", |s| Ok(s.k_hop(source, k)?))
}

/// Writes the per-node result `f` computes into `(buf, cap)`, after checking
/// that `cap` covers the snapshot's node count.
fn per_node<T: Copy>(
    snapshot: *const kvg_snapshot,
    buf: *mut T,
    cap: usize,
    what: &str,
    f: impl FnOnce(&Snapshot) -> FfiResult<Vec<T>>,
) -> kvg_status {
    boundary(|| {
        let buf = buf_out(buf, cap, what)?;
        let snapshot = resolve(snapshot)?;
        ensure_cap(cap, snapshot.node_count(), what)?;
        fill(buf, &f(&snapshot)?, what)
    })
}

/// Writes the BFS depth in hops of every node from `source` over out-edges
/// into `depths[0 .. node_count]`; -1 for unreachable ids and non-nodes.
///
/// Errors: `KVG_BUFFER_TOO_SMALL` if `cap < node_count`; `KVG_NOT_FOUND` if
/// `source` is not a node of the snapshot; `KVG_INVALID_ARGUMENT` for a NULL
/// or closed snapshot or a NULL buffer with `cap > 0`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_bfs(
    snapshot: *const kvg_snapshot,
    source: u64,
    depths: *mut i64,
    cap: usize,
) -> kvg_status {
    per_node(snapshot, depths, cap, "bfs", |s| Ok(s.bfs(source)?))
}

/// Writes the weighted shortest-path distance (Dijkstra) of every node from
/// `source` over out-edges into `dist[0 .. node_count]`; `INFINITY` for
/// unreachable ids and non-nodes.
///
/// Errors: as `kvg_snapshot_bfs`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_sssp(
    snapshot: *const kvg_snapshot,
    source: u64,
    dist: *mut f64,
    cap: usize,
) -> kvg_status {
    per_node(snapshot, dist, cap, "sssp", |s| Ok(s.sssp(source)?))
}

/// Writes the PageRank of every node (LDBC Graphalytics: `iterations` fixed
/// rounds, dangling mass spread evenly) into `ranks[0 .. node_count]`; 0 for non-nodes.
///
/// Errors: `KVG_BUFFER_TOO_SMALL` if `cap < node_count`;
/// `KVG_INVALID_ARGUMENT` if `damping` is outside [0, 1], for a NULL or
/// closed snapshot, or a NULL buffer with `cap > 0`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_pagerank(
    snapshot: *const kvg_snapshot,
    damping: f64,
    iterations: u32,
    ranks: *mut f64,
    cap: usize,
) -> kvg_status {
    per_node(snapshot, ranks, cap, "pagerank", |s| Ok(s.pagerank(damping, iterations)?))
}

/// Writes the weakly connected component of every node (the smallest node
/// id in it) into `component[0 .. node_count]`; `KVG_NO_NODE` for non-nodes.
///
/// Errors: `KVG_BUFFER_TOO_SMALL` if `cap < node_count`;
/// `KVG_INVALID_ARGUMENT` for a NULL or closed snapshot or a NULL buffer with `cap > 0`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_wcc(snapshot: *const kvg_snapshot, component: *mut u64, cap: usize) -> kvg_status {
    per_node(snapshot, component, cap, "wcc", |s| Ok(s.wcc()))
}

/// Writes the community label of every node after `iterations` rounds of
/// label propagation (LDBC Graphalytics CDLP, ties to the smallest label)
/// into `labels[0 .. node_count]`; `KVG_NO_NODE` for non-nodes.
///
/// Errors: as `kvg_snapshot_wcc`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_cdlp(
    snapshot: *const kvg_snapshot,
    iterations: u32,
    labels: *mut u64,
    cap: usize,
) -> kvg_status {
    per_node(snapshot, labels, cap, "cdlp", |s| Ok(s.cdlp(iterations)))
}

/// Writes the local clustering coefficient of every node (LDBC Graphalytics
/// LCC) into `coefficients[0 .. node_count]`; 0 for non-nodes.
///
/// Errors: as `kvg_snapshot_wcc`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_snapshot_lcc(snapshot: *const kvg_snapshot, coefficients: *mut f64, cap: usize) -> kvg_status {
    per_node(snapshot, coefficients, cap, "lcc", |s| Ok(s.lcc()))
}
