#![no_main]
//! Fuzzing of the C ABI with hostile arguments: NULL handles and pointers,
//! NULL with a non-zero length, closed, double-closed and wrong-kind
//! handles, bogus handle values, huge and removed ids, invalid UTF-8 in
//! names, short and misaligned buffers, NaN weights, out-of-range enums;
//! relationships by id and write batches (node, edge and relationship writes,
//! commit and abort, commit after the handle is gone), KV write groups
//! (opened and closed in any order, closed twice, writes inside).
//!
//! The `extern "C"` functions are declared here as C sees them (statuses and
//! enums as plain `int`) and called through their symbols, exactly as a C
//! program does. Every pointer passed is valid for what the header promises
//! (names are always NUL-terminated, buffers are at least `cap` long), so any
//! crash is the library's fault. After every call:
//! - the status is one of `kvg_status` and never `KVG_PANIC`, and one the
//!   function documents; `KVG_INVALID_ARGUMENT` exactly when an argument is
//!   invalid (for arguments whose validity is known up front);
//! - a failure leaves a readable message in `kvg_last_error()`;
//! - owned `kvg_bytes` outputs are `{NULL, 0}` on failure and NUL-terminated
//!   on success, and are freed (twice: the second free is a no-op).
//!
//! Run: `fuzz/run.sh` or `cargo +nightly fuzz run ffi` from the repository root.

use arbitrary::Arbitrary;
use kvgraph::ffi::kvg_bytes;
use libfuzzer_sys::fuzz_target;
use std::ffi::{CStr, c_char, c_int};
use std::ptr::{null, null_mut};

/// Opaque handle targets, never dereferenced.
enum Opaque {}

/// `kvg_config` (always in memory here: `path` NULL).
#[repr(C)]
struct Config {
    auto_compact: u8,
    compaction_min_delta: u64,
    compaction_ratio: f64,
    path: *const c_char,
    fsync: c_int,
}

#[repr(C)]
#[derive(Default)]
struct GraphStats {
    nodes: u64,
    edges: u64,
    delta_edges: u64,
    compactions: u64,
}

type H = *mut Opaque;

/// `kvg_rel`.
#[repr(C)]
struct Rel {
    id: u64,
    src: u64,
    dst: u64,
    weight: f64,
    rel_type: kvg_bytes,
}

unsafe extern "C" {
    fn kvg_bytes_free(b: *mut kvg_bytes);
    fn kvg_status_str(status: c_int) -> *const c_char;
    fn kvg_last_error() -> *const c_char;
    fn kvg_version() -> *const c_char;
    fn kvg_config_default(out: *mut Config);
    fn kvg_engine_open(config: *const Config, out: *mut H) -> c_int;
    fn kvg_engine_close(e: H) -> c_int;
    fn kvg_engine_maintain(e: H) -> c_int;
    fn kvg_engine_memory_stats(e: H, retired: *mut u64, freed: *mut u64) -> c_int;
    fn kvg_node_add(e: H, label: *const c_char, out: *mut u64) -> c_int;
    fn kvg_nodes_add(e: H, count: u64, label: *const c_char, out: *mut u64) -> c_int;
    fn kvg_node_remove(e: H, id: u64) -> c_int;
    fn kvg_node_label(e: H, id: u64, out: *mut kvg_bytes) -> c_int;
    fn kvg_node_set_property(e: H, id: u64, name: *const c_char, value: *const u8, len: usize) -> c_int;
    fn kvg_node_get_property(e: H, id: u64, name: *const c_char, out: *mut kvg_bytes) -> c_int;
    fn kvg_edge_add(e: H, src: u64, dst: u64, ty: *const c_char, weight: f64) -> c_int;
    fn kvg_edge_remove(e: H, src: u64, dst: u64, ty: *const c_char) -> c_int;
    fn kvg_edges_load(e: H, src: *const u64, dst: *const u64, w: *const f64, n: usize, ty: *const c_char) -> c_int;
    fn kvg_graph_compact(e: H) -> c_int;
    fn kvg_graph_get_stats(e: H, out: *mut GraphStats) -> c_int;
    fn kvg_kv_set(e: H, k: *const u8, kl: usize, v: *const u8, vl: usize) -> c_int;
    fn kvg_kv_set_with_ttl(e: H, k: *const u8, kl: usize, v: *const u8, vl: usize, ttl_ms: u64) -> c_int;
    fn kvg_kv_insert(e: H, k: *const u8, kl: usize, v: *const u8, vl: usize) -> c_int;
    fn kvg_kv_get(e: H, k: *const u8, kl: usize, out: *mut kvg_bytes) -> c_int;
    fn kvg_kv_delete(e: H, k: *const u8, kl: usize) -> c_int;
    fn kvg_kv_compare_and_swap(
        e: H,
        k: *const u8,
        kl: usize,
        x: *const u8,
        xl: usize,
        d: *const u8,
        dl: usize,
    ) -> c_int;
    fn kvg_kv_incr(e: H, k: *const u8, kl: usize, delta: i64, out: *mut i64) -> c_int;
    fn kvg_kv_len(e: H, out: *mut u64) -> c_int;
    fn kvg_kv_scan_open(e: H, s: *const u8, sl: usize, end: *const u8, el: usize, out: *mut H) -> c_int;
    fn kvg_kv_scan_prefix_open(e: H, p: *const u8, pl: usize, out: *mut H) -> c_int;
    fn kvg_kv_iter_next(it: H, key: *mut kvg_bytes, value: *mut kvg_bytes) -> c_int;
    fn kvg_kv_iter_close(it: H) -> c_int;
    fn kvg_kv_set_many(e: H, k: *const u8, kl: *const usize, v: *const u8, vl: *const usize, n: usize) -> c_int;
    fn kvg_kv_get_many(e: H, k: *const u8, kl: *const usize, n: usize, out: *mut kvg_bytes, lens: *mut usize) -> c_int;
    fn kvg_kv_get_into(e: H, k: *const u8, kl: usize, buf: *mut u8, cap: usize, out_len: *mut usize) -> c_int;
    fn kvg_nodes_set_property(
        e: H,
        ids: *const u64,
        n: usize,
        name: *const c_char,
        v: *const u8,
        vl: *const usize,
    ) -> c_int;
    fn kvg_nodes_get_property(
        e: H,
        ids: *const u64,
        n: usize,
        name: *const c_char,
        out: *mut kvg_bytes,
        lens: *mut usize,
    ) -> c_int;
    fn kvg_snapshot_open(e: H, out: *mut H) -> c_int;
    fn kvg_snapshot_close(s: H) -> c_int;
    fn kvg_snapshot_node_count(s: H, out: *mut u64) -> c_int;
    fn kvg_snapshot_edge_count(s: H, out: *mut u64) -> c_int;
    fn kvg_snapshot_version(s: H, out: *mut u64) -> c_int;
    fn kvg_snapshot_triangle_count(s: H, out: *mut u64) -> c_int;
    fn kvg_snapshot_neighbors(
        s: H,
        node: u64,
        dir: c_int,
        ty: *const c_char,
        buf: *mut u64,
        cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    fn kvg_snapshot_k_hop(s: H, source: u64, k: u32, buf: *mut u64, cap: usize, out_len: *mut usize) -> c_int;
    fn kvg_snapshot_bfs(s: H, source: u64, depths: *mut i64, cap: usize) -> c_int;
    fn kvg_snapshot_sssp(s: H, source: u64, dist: *mut f64, cap: usize) -> c_int;
    fn kvg_snapshot_pagerank(s: H, damping: f64, iterations: u32, ranks: *mut f64, cap: usize) -> c_int;
    fn kvg_snapshot_wcc(s: H, component: *mut u64, cap: usize) -> c_int;
    fn kvg_snapshot_cdlp(s: H, iterations: u32, labels: *mut u64, cap: usize) -> c_int;
    fn kvg_snapshot_lcc(s: H, coefficients: *mut f64, cap: usize) -> c_int;
    fn kvg_rel_create(e: H, src: u64, dst: u64, ty: *const c_char, weight: f64, out: *mut u64) -> c_int;
    fn kvg_rel_remove(e: H, id: u64) -> c_int;
    fn kvg_rel_get(e: H, id: u64, out: *mut Rel) -> c_int;
    fn kvg_rel_remove_property(e: H, id: u64, name: *const c_char) -> c_int;
    fn kvg_snapshot_rel_get(s: H, id: u64, out: *mut Rel) -> c_int;
    fn kvg_snapshot_relationships(
        s: H,
        node: u64,
        dir: c_int,
        ty: *const c_char,
        buf: *mut u64,
        cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    fn kvg_batch_open(e: H, out: *mut H) -> c_int;
    fn kvg_batch_add_edge(b: H, src: u64, dst: u64, ty: *const c_char, weight: f64) -> c_int;
    fn kvg_batch_remove_edge(b: H, src: u64, dst: u64, ty: *const c_char) -> c_int;
    fn kvg_batch_create_rel(b: H, src: u64, dst: u64, ty: *const c_char, weight: f64, out: *mut u64) -> c_int;
    fn kvg_batch_remove_rel(b: H, id: u64) -> c_int;
    fn kvg_batch_add_node(b: H, label: *const c_char, out: *mut u64) -> c_int;
    fn kvg_batch_remove_node(b: H, id: u64) -> c_int;
    fn kvg_batch_commit(b: H) -> c_int;
    fn kvg_batch_abort(b: H) -> c_int;
    fn kvg_kv_group_open(e: H, out: *mut H) -> c_int;
    fn kvg_kv_group_close(g: H) -> c_int;
}

const OK: c_int = 0;
const NOT_FOUND: c_int = 1;
const CONFLICT: c_int = 2;
const INVALID: c_int = 3;
const TOO_SMALL: c_int = 4;
const OOM: c_int = 5;
const PANIC: c_int = 6;
/// `KVG_IO_ERROR`: the last status there is (the fuzzed engines are in memory).
const IO_ERROR: c_int = 7;
/// `KVG_NO_VALUE`: the length of a batch item without a value.
const NO_VALUE: usize = usize::MAX;

/// Node-table capacity (`FIRST * (2^SEGMENTS - 1)` in src/graph/nodes.rs):
/// counts above it must be refused.
const NODE_CAPACITY: u64 = 1024 * ((1 << 40) - 1);

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Engine,
    Snapshot,
    Iter,
    Batch,
    Group,
}

/// Which handle to pass.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum HandleArg {
    Null,
    /// An open handle of the right kind (NULL if none).
    Live(u8),
    /// A closed handle of the right kind (NULL if none).
    Closed(u8),
    /// An open handle of another kind.
    WrongKind(u8),
    /// Any value: tokens are never dereferenced.
    Bogus(usize),
}

/// A borrowed `(ptr, len)` input.
#[derive(Arbitrary, Debug, Clone)]
enum BytesArg {
    Null,
    NullWithLen(usize),
    Data(Vec<u8>),
    /// The first bytes only: `len` shorter than the allocation.
    Prefix(Vec<u8>, u8),
}

impl BytesArg {
    /// The pointer, length, and whether the pair is invalid.
    fn get(&self) -> (*const u8, usize, bool) {
        match self {
            BytesArg::Null => (null(), 0, false),
            BytesArg::NullWithLen(n) => (null(), *n, *n > 0),
            BytesArg::Data(d) => (d.as_ptr(), d.len(), false),
            BytesArg::Prefix(d, n) => (d.as_ptr(), usize::from(*n).min(d.len()), false),
        }
    }
}

/// A batch of byte strings as the batch calls take them: the items packed
/// back to back, and one length per item.
#[derive(Arbitrary, Debug, Clone)]
enum PackedArg {
    Items(Vec<Vec<u8>>),
    /// NULL data: invalid unless every length is 0.
    NullData(Vec<u8>),
    /// NULL lengths: invalid unless the batch is empty.
    NullLens(u8),
    /// Lengths whose sum overflows `size_t`.
    Overflow,
}

/// The memory behind a `PackedArg`, for `count` items.
struct Packed {
    data: Option<Vec<u8>>,
    lens: Option<Vec<usize>>,
    count: usize,
}

impl PackedArg {
    fn make(&self) -> Packed {
        match self {
            PackedArg::Items(items) => Packed {
                data: Some(items.concat()),
                lens: Some(items.iter().map(Vec::len).collect()),
                count: items.len(),
            },
            PackedArg::NullData(lens) => {
                let lens: Vec<usize> = lens.iter().map(|&l| usize::from(l % 4)).collect();
                Packed { data: None, count: lens.len(), lens: Some(lens) }
            }
            PackedArg::NullLens(n) => Packed { data: Some(Vec::new()), lens: None, count: usize::from(*n % 4) },
            PackedArg::Overflow => Packed { data: Some(vec![0; 4]), lens: Some(vec![usize::MAX, 2]), count: 2 },
        }
    }
}

impl Packed {
    /// The data and lengths pointers, and whether they are invalid for
    /// `count` items (`lens` is padded or cut to `count` first).
    fn get(&mut self, count: usize) -> (*const u8, *const usize, bool) {
        let sum = |lens: &[usize]| lens.iter().try_fold(0usize, |a, &b| a.checked_add(b));
        if let Some(lens) = &mut self.lens {
            lens.resize(count, 0);
            // Cut to `count`, the overflowing lengths may no longer overflow
            // but exceed the data: the library cannot tell, so never pass them.
            if let (Some(data), Some(total)) = (&self.data, sum(lens))
                && total > data.len()
            {
                lens.fill(0);
            }
        }
        let total = self.lens.as_deref().map(sum);
        let bad = match (&self.data, total) {
            (_, None) => count > 0,
            (_, Some(None)) => true,
            (None, Some(Some(t))) => t > 0,
            (Some(_), Some(Some(_))) => false,
        };
        let data = self.data.as_ref().map_or(null(), |d| d.as_ptr());
        (data, self.lens.as_ref().map_or(null(), |l| l.as_ptr()), bad)
    }
}

/// Checks the outputs of a batch read: on success one packed buffer whose
/// size is the sum of the lengths found; on failure `{NULL, 0}` and every
/// length `KVG_NO_VALUE`. Frees the buffer.
fn take_packed(what: &str, status: c_int, values: &mut kvg_bytes, lens: Option<&[usize]>) {
    if let Some(lens) = lens {
        if status == OK {
            let total: usize = lens.iter().filter(|&&l| l != NO_VALUE).sum();
            assert_eq!(total, values.len, "{what}: lengths and buffer disagree");
        } else {
            assert!(lens.iter().all(|&l| l == NO_VALUE), "{what}: failure left lengths behind");
        }
    }
    take_bytes(what, status, values);
}

/// A NUL-terminated name (possibly not UTF-8), or NULL.
#[derive(Arbitrary, Debug, Clone)]
enum NameArg {
    Null,
    Ascii(u8),
    Bytes(Vec<u8>),
}

struct Name(Option<Vec<u8>>);

impl NameArg {
    fn make(&self) -> Name {
        match self {
            NameArg::Null => Name(None),
            NameArg::Ascii(n) => Name(Some(vec![b'A' + n % 3, 0])),
            NameArg::Bytes(b) => {
                let mut v: Vec<u8> = b.iter().copied().take_while(|&c| c != 0).collect();
                v.push(0);
                Name(Some(v))
            }
        }
    }
}

impl Name {
    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(null(), |v| v.as_ptr().cast())
    }

    fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// Not valid UTF-8 (NULL is valid where optional).
    fn bad_utf8(&self) -> bool {
        self.0.as_ref().is_some_and(|v| std::str::from_utf8(&v[..v.len() - 1]).is_err())
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum IdArg {
    Small(u8),
    Huge(u64),
    Max,
}

impl IdArg {
    fn get(self) -> u64 {
        match self {
            IdArg::Small(n) => u64::from(n % 24),
            IdArg::Huge(n) => n,
            IdArg::Max => u64::MAX,
        }
    }
}

/// An output buffer of `T`.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum BufArg {
    /// `(NULL, 0)`: asks for the length.
    NullZero,
    /// `(NULL, cap > 0)`: invalid.
    NullWithCap(u8),
    Cap(u8),
    /// A pointer one byte off alignment: invalid.
    Misaligned(u8),
}

/// Backing memory for a `BufArg`: `cap + 1` elements, so that even a
/// misaligned pointer has `cap` elements' worth of bytes behind it.
struct Buf<T> {
    mem: Vec<T>,
    arg: BufArg,
}

impl<T: Copy + Default> Buf<T> {
    fn new(arg: BufArg) -> Self {
        let cap = match arg {
            BufArg::Cap(c) | BufArg::Misaligned(c) => usize::from(c),
            _ => 0,
        };
        Buf { mem: vec![T::default(); cap + 1], arg }
    }

    /// The pointer, the cap, and whether the pair is invalid.
    fn get(&mut self) -> (*mut T, usize, bool) {
        match self.arg {
            BufArg::NullZero => (null_mut(), 0, false),
            BufArg::NullWithCap(c) => (null_mut(), usize::from(c).max(1), true),
            BufArg::Cap(c) => (self.mem.as_mut_ptr(), usize::from(c), false),
            BufArg::Misaligned(c) => {
                let p = self.mem.as_mut_ptr().cast::<u8>().wrapping_add(1).cast::<T>();
                (p, usize::from(c), std::mem::align_of::<T>() > 1)
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ratio {
    Sixteenths(u8),
    NaN,
    Infinite,
    Negative,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Count {
    Small(u8),
    Max,
    OverCapacity,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Damping {
    Valid(u8),
    Negative,
    AboveOne,
    NaN,
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    OpenEngine {
        config: Option<(bool, u8, Ratio)>,
        null_out: bool,
    },
    ConfigDefault {
        null_out: bool,
    },
    Close(Kind, HandleArg),
    Maintain(HandleArg),
    MemoryStats(HandleArg, bool, bool),
    NodeAdd(HandleArg, NameArg, bool),
    NodesAdd(HandleArg, Count, NameArg, bool),
    NodeRemove(HandleArg, IdArg),
    NodeLabel(HandleArg, IdArg, bool),
    SetProperty(HandleArg, IdArg, NameArg, BytesArg),
    GetProperty(HandleArg, IdArg, NameArg, bool),
    EdgeAdd(HandleArg, IdArg, IdArg, NameArg, Option<i8>),
    EdgeRemove(HandleArg, IdArg, IdArg, NameArg),
    EdgesLoad {
        e: HandleArg,
        n: u8,
        src_null: bool,
        dst_null: bool,
        weights: Option<bool>,
        ids: Vec<IdArg>,
        ty: NameArg,
    },
    Compact(HandleArg),
    Stats(HandleArg, bool),
    KvSet(HandleArg, BytesArg, BytesArg, Option<u8>),
    KvInsert(HandleArg, BytesArg, BytesArg),
    KvGet(HandleArg, BytesArg, bool),
    KvDelete(HandleArg, BytesArg),
    KvCas(HandleArg, BytesArg, BytesArg, BytesArg),
    KvIncr(HandleArg, BytesArg, i64, bool),
    KvLen(HandleArg, bool),
    ScanOpen(HandleArg, BytesArg, BytesArg, bool),
    PrefixOpen(HandleArg, BytesArg, bool),
    IterNext(HandleArg, bool, bool),
    SnapshotOpen(HandleArg, bool),
    SnapshotScalar(HandleArg, u8, bool),
    Neighbors(HandleArg, IdArg, c_int, NameArg, BufArg, bool),
    KHop(HandleArg, IdArg, u8, BufArg, bool),
    Bfs(HandleArg, IdArg, BufArg),
    Sssp(HandleArg, IdArg, BufArg),
    PageRank(HandleArg, Damping, u8, BufArg),
    Wcc(HandleArg, BufArg),
    Cdlp(HandleArg, u8, BufArg),
    Lcc(HandleArg, BufArg),
    KvSetMany(HandleArg, PackedArg, PackedArg),
    KvGetMany(HandleArg, PackedArg, bool, bool),
    KvGetInto(HandleArg, BytesArg, BufArg, bool),
    NodesSetProperty(HandleArg, Option<Vec<IdArg>>, NameArg, PackedArg),
    NodesGetProperty(HandleArg, Option<Vec<IdArg>>, u8, NameArg, bool, bool),
    StatusStr(c_int),
    BytesFreeNull,
    RelCreate(HandleArg, IdArg, IdArg, NameArg, Option<i8>, bool),
    RelRemove(HandleArg, IdArg),
    RelGet(HandleArg, IdArg, bool),
    RelRemoveProperty(HandleArg, IdArg, NameArg),
    SnapshotRelGet(HandleArg, IdArg, bool),
    Relationships(HandleArg, IdArg, c_int, NameArg, BufArg, bool),
    BatchBegin(HandleArg, bool),
    /// `kvg_kv_group_open` (closed by `Close(Kind::Group, ..)`).
    GroupOpen(HandleArg, bool),
    BatchAddEdge(HandleArg, IdArg, IdArg, NameArg, Option<i8>),
    BatchRemoveEdge(HandleArg, IdArg, IdArg, NameArg),
    BatchCreateRel(HandleArg, IdArg, IdArg, NameArg, Option<i8>, bool),
    BatchRemoveRel(HandleArg, IdArg),
    BatchAddNode(HandleArg, NameArg, bool),
    BatchRemoveNode(HandleArg, IdArg),
    /// Commits (true) or aborts the batch.
    BatchEnd(HandleArg, bool),
}

// ---------------------------------------------------------------------------
// Handles and checks
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Pool {
    /// (kind, token, open)
    handles: Vec<(Kind, usize, bool)>,
}

/// What the status must be, as far as the arguments tell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Some argument is invalid: `KVG_INVALID_ARGUMENT`.
    Invalid,
    /// Every argument is valid: anything documented but `KVG_INVALID_ARGUMENT`.
    Valid,
    /// Cannot tell (a bogus handle, or a condition that depends on state).
    Unknown,
}

impl Pool {
    fn pick(&self, kind: Kind, open: bool, i: u8) -> Option<usize> {
        let of: Vec<usize> = self.handles.iter().filter(|h| h.0 == kind && h.2 == open).map(|h| h.1).collect();
        (!of.is_empty()).then(|| of[usize::from(i) % of.len()])
    }

    fn pick_other(&self, kind: Kind, i: u8) -> Option<usize> {
        let of: Vec<usize> = self.handles.iter().filter(|h| h.0 != kind && h.2).map(|h| h.1).collect();
        (!of.is_empty()).then(|| of[usize::from(i) % of.len()])
    }

    /// The handle value for `arg`, and what it implies.
    fn get(&self, kind: Kind, arg: HandleArg) -> (H, Expect) {
        let token = match arg {
            HandleArg::Null => None,
            HandleArg::Live(i) => match self.pick(kind, true, i) {
                Some(t) => return (std::ptr::without_provenance_mut(t), Expect::Valid),
                None => None,
            },
            HandleArg::Closed(i) => self.pick(kind, false, i),
            HandleArg::WrongKind(i) => self.pick_other(kind, i),
            HandleArg::Bogus(t) => return (std::ptr::without_provenance_mut(t), Expect::Unknown),
        };
        (token.map_or(null_mut(), std::ptr::without_provenance_mut), Expect::Invalid)
    }

    fn add(&mut self, kind: Kind, h: H) {
        assert!(!h.is_null());
        assert!(self.handles.iter().all(|x| x.1 != h.addr()), "token reused");
        self.handles.push((kind, h.addr(), true));
    }

    fn closed(&mut self, h: H) {
        if let Some(x) = self.handles.iter_mut().find(|x| x.1 == h.addr()) {
            x.2 = false;
        }
    }
}

/// Combines what several arguments imply: any invalid one decides.
fn all(parts: &[Expect]) -> Expect {
    if parts.contains(&Expect::Invalid) {
        Expect::Invalid
    } else if parts.contains(&Expect::Unknown) {
        Expect::Unknown
    } else {
        Expect::Valid
    }
}

fn bad(invalid: bool) -> Expect {
    if invalid { Expect::Invalid } else { Expect::Valid }
}

/// Checks a status against the function's documented set and `expect`.
fn check(what: &str, status: c_int, allowed: &[c_int], expect: Expect) {
    assert!((OK..=PANIC).contains(&status), "{what}: status {status} out of range");
    assert_ne!(status, PANIC, "{what}: panic crossed into a status: {}", last_error().unwrap_or_default());
    assert!(
        status == OK || status == INVALID || status == OOM || allowed.contains(&status),
        "{what}: undocumented status {status}"
    );
    match expect {
        Expect::Invalid => assert_eq!(status, INVALID, "{what}: invalid arguments accepted"),
        Expect::Valid => assert_ne!(status, INVALID, "{what}: valid arguments refused: {:?}", last_error()),
        Expect::Unknown => {}
    }
    if status != OK {
        assert!(last_error().is_some(), "{what}: failure without a message");
    }
}

fn last_error() -> Option<String> {
    // SAFETY: `kvg_last_error` returns NULL or a live NUL-terminated string.
    let p = unsafe { kvg_last_error() };
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// A `kvg_bytes` holding garbage, as C might leave in an uninitialised variable.
fn garbage_bytes() -> kvg_bytes {
    kvg_bytes { data: std::ptr::dangling_mut(), len: 7 }
}

/// Checks an owned output after a call that returned `status`, then frees it.
fn take_bytes(what: &str, status: c_int, b: &mut kvg_bytes) {
    if status == OK {
        assert!(!b.data.is_null(), "{what}: OK without data");
        // SAFETY: a successful call leaves `len + 1` readable bytes, the last one 0.
        assert_eq!(unsafe { *b.data.add(b.len) }, 0, "{what}: not NUL-terminated");
        // SAFETY: as above.
        let _ = unsafe { std::slice::from_raw_parts(b.data, b.len) }.iter().fold(0u8, |a, &x| a ^ x);
    } else {
        assert!(b.data.is_null() && b.len == 0, "{what}: failure left {b:?} in its output");
    }
    // SAFETY: `b` is as the library returned it (or {NULL, 0}); freeing twice is a no-op.
    unsafe {
        kvg_bytes_free(b);
        assert!(b.data.is_null() && b.len == 0);
        kvg_bytes_free(b);
    }
}

fn out_ptr<T>(null: bool, place: &mut T) -> *mut T {
    if null { null_mut() } else { place }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut pool = Pool::default();
    // One engine to start with, so that most calls reach the library's logic.
    let mut first = null_mut();
    // SAFETY (all calls below): every pointer passed is NULL or valid for
    // what the header asks of it; handles are plain tokens.
    assert_eq!(unsafe { kvg_engine_open(null(), &mut first) }, OK);
    pool.add(Kind::Engine, first);

    for op in ops.into_iter().take(256) {
        // SAFETY: `run` passes only NULL or valid pointers (see above).
        unsafe { run(&mut pool, op) };
    }

    // Close whatever is open (each twice: the second must be refused).
    for (kind, token, open) in std::mem::take(&mut pool.handles) {
        let h: H = std::ptr::without_provenance_mut(token);
        // SAFETY: closing takes a plain token; a stale one is refused, not used.
        let close = |h| unsafe {
            match kind {
                Kind::Engine => kvg_engine_close(h),
                Kind::Snapshot => kvg_snapshot_close(h),
                Kind::Iter => kvg_kv_iter_close(h),
                Kind::Batch => kvg_batch_abort(h),
                Kind::Group => kvg_kv_group_close(h),
            }
        };
        if open {
            assert_eq!(close(h), OK);
        }
        assert_eq!(close(h), INVALID);
    }
});

/// Opens a handle of `kind` on engine `e` with `open` (NULL `out` if
/// `null_out`) and adds it to the pool.
///
/// # Safety
/// As [`run`]; `open` takes an engine and an out-pointer, as the header says.
unsafe fn open_child(
    pool: &mut Pool,
    what: &str,
    kind: Kind,
    e: HandleArg,
    null_out: bool,
    open: unsafe extern "C" fn(H, *mut H) -> c_int,
) {
    let (e, x) = pool.get(Kind::Engine, e);
    let mut h: H = std::ptr::dangling_mut();
    // SAFETY: `out` is NULL or points to a live local; the engine is a plain token.
    let s = unsafe { open(e, out_ptr(null_out, &mut h)) };
    check(what, s, &[], all(&[x, bad(null_out)]));
    if s == OK {
        pool.add(kind, h);
    } else if !null_out {
        assert!(h.is_null(), "{what}: failure left a handle");
    }
}

/// Runs one operation against the C ABI.
///
/// # Safety
/// `pool` holds only tokens the library handed out (open or closed).
unsafe fn run(pool: &mut Pool, op: Op) {
    // SAFETY: every pointer built below is NULL, or points to a live local
    // of the size the header asks for (short buffers are passed with their
    // true, short length).
    unsafe {
        match op {
            Op::OpenEngine { config, null_out } => {
                let cfg = config.map(|(auto, min, ratio)| Config {
                    auto_compact: u8::from(auto) * (1 + min % 3),
                    compaction_min_delta: u64::from(min),
                    compaction_ratio: match ratio {
                        Ratio::Sixteenths(n) => f64::from(n) / 16.0,
                        Ratio::NaN => f64::NAN,
                        Ratio::Infinite => f64::INFINITY,
                        Ratio::Negative => -0.5,
                    },
                    path: null(),
                    fsync: 0,
                });
                let invalid = null_out
                    || cfg.as_ref().is_some_and(|c| !c.compaction_ratio.is_finite() || c.compaction_ratio < 0.0);
                let mut h: H = std::ptr::dangling_mut();
                let s = kvg_engine_open(cfg.as_ref().map_or(null(), |c| c), out_ptr(null_out, &mut h));
                check("engine_open", s, &[], bad(invalid));
                if s == OK {
                    pool.add(Kind::Engine, h);
                } else if !null_out {
                    assert!(h.is_null(), "engine_open: failure left a handle");
                }
            }
            Op::ConfigDefault { null_out } => {
                let mut c = Config {
                    auto_compact: 9,
                    compaction_min_delta: 9,
                    compaction_ratio: 9.0,
                    path: c"x".as_ptr(),
                    fsync: 9,
                };
                kvg_config_default(out_ptr(null_out, &mut c));
                if !null_out {
                    assert!(c.auto_compact == 1 && c.compaction_ratio == 0.5 && c.path.is_null() && c.fsync == 1);
                }
            }
            Op::Close(kind, arg) => {
                let (h, expect) = pool.get(kind, arg);
                let s = match kind {
                    Kind::Engine => kvg_engine_close(h),
                    Kind::Snapshot => kvg_snapshot_close(h),
                    Kind::Iter => kvg_kv_iter_close(h),
                    Kind::Batch => kvg_batch_abort(h),
                    Kind::Group => kvg_kv_group_close(h),
                };
                // Closing NULL is a no-op.
                let expect = if h.is_null() { Expect::Valid } else { expect };
                check("close", s, &[], expect);
                if s == OK && !h.is_null() {
                    pool.closed(h);
                }
            }
            Op::Maintain(e) => {
                let (e, x) = pool.get(Kind::Engine, e);
                check("maintain", kvg_engine_maintain(e), &[], x);
            }
            Op::MemoryStats(e, null_r, null_f) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (mut r, mut f) = (0, 0);
                let s = kvg_engine_memory_stats(e, out_ptr(null_r, &mut r), out_ptr(null_f, &mut f));
                check("memory_stats", s, &[], all(&[x, bad(null_r || null_f)]));
                if s == OK {
                    assert!(f <= r, "freed {f} > retired {r}");
                }
            }
            Op::NodeAdd(e, label, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let label = label.make();
                let mut id = 0;
                let s = kvg_node_add(e, label.ptr(), out_ptr(null_out, &mut id));
                check("node_add", s, &[], all(&[x, bad(null_out || label.bad_utf8())]));
            }
            Op::NodesAdd(e, count, label, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let label = label.make();
                let (count, too_many) = match count {
                    Count::Small(n) => (u64::from(n), false),
                    Count::Max => (u64::MAX, true),
                    Count::OverCapacity => (NODE_CAPACITY + 1, true),
                };
                let mut id = 0;
                let s = kvg_nodes_add(e, count, label.ptr(), out_ptr(null_out, &mut id));
                check("nodes_add", s, &[], all(&[x, bad(null_out || label.bad_utf8() || too_many)]));
            }
            Op::NodeRemove(e, id) => {
                let (e, x) = pool.get(Kind::Engine, e);
                check("node_remove", kvg_node_remove(e, id.get()), &[NOT_FOUND], x);
            }
            Op::NodeLabel(e, id, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut b = garbage_bytes();
                let s = kvg_node_label(e, id.get(), out_ptr(null_out, &mut b));
                check("node_label", s, &[NOT_FOUND], all(&[x, bad(null_out)]));
                if !null_out {
                    take_bytes("node_label", s, &mut b);
                }
            }
            Op::SetProperty(e, id, name, value) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let name = name.make();
                let (v, vl, bad_v) = value.get();
                let s = kvg_node_set_property(e, id.get(), name.ptr(), v, vl);
                check("set_property", s, &[NOT_FOUND], all(&[x, bad(name.is_null() || name.bad_utf8() || bad_v)]));
            }
            Op::GetProperty(e, id, name, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let name = name.make();
                let mut b = garbage_bytes();
                let s = kvg_node_get_property(e, id.get(), name.ptr(), out_ptr(null_out, &mut b));
                check("get_property", s, &[NOT_FOUND], all(&[x, bad(null_out || name.is_null() || name.bad_utf8())]));
                if !null_out {
                    take_bytes("get_property", s, &mut b);
                }
            }
            Op::EdgeAdd(e, src, dst, ty, weight) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ty = ty.make();
                let w = weight.map_or(f64::NAN, |w| f64::from(w) / 2.0);
                let s = kvg_edge_add(e, src.get(), dst.get(), ty.ptr(), w);
                check("edge_add", s, &[NOT_FOUND], all(&[x, bad(ty.bad_utf8() || w.is_nan())]));
            }
            Op::EdgeRemove(e, src, dst, ty) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ty = ty.make();
                let s = kvg_edge_remove(e, src.get(), dst.get(), ty.ptr());
                check("edge_remove", s, &[NOT_FOUND], all(&[x, bad(ty.bad_utf8())]));
            }
            Op::EdgesLoad { e, n, src_null, dst_null, weights, ids, ty } => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ty = ty.make();
                let n = usize::from(n % 16);
                let id = |i: usize| ids.get(i).map_or(0, |a| a.get());
                let src: Vec<u64> = (0..n).map(|i| id(2 * i)).collect();
                let dst: Vec<u64> = (0..n).map(|i| id(2 * i + 1)).collect();
                let w: Vec<f64> =
                    (0..n).map(|i| if weights == Some(false) && i == n - 1 { f64::NAN } else { 1.5 }).collect();
                let s = kvg_edges_load(
                    e,
                    if src_null { null() } else { src.as_ptr() },
                    if dst_null { null() } else { dst.as_ptr() },
                    if weights.is_some() { w.as_ptr() } else { null() },
                    n,
                    ty.ptr(),
                );
                let nan = weights == Some(false) && n > 0;
                let invalid = (n > 0 && (src_null || dst_null)) || nan || ty.bad_utf8();
                check("edges_load", s, &[NOT_FOUND], all(&[x, bad(invalid)]));
            }
            Op::Compact(e) => {
                let (e, x) = pool.get(Kind::Engine, e);
                check("compact", kvg_graph_compact(e), &[], x);
            }
            Op::Stats(e, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut st = GraphStats::default();
                let s = kvg_graph_get_stats(e, out_ptr(null_out, &mut st));
                check("graph_stats", s, &[], all(&[x, bad(null_out)]));
            }
            Op::KvSet(e, k, v, ttl) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ((kp, kl, bk), (vp, vl, bv)) = (k.get(), v.get());
                let (s, zero_ttl) = match ttl {
                    None => (kvg_kv_set(e, kp, kl, vp, vl), false),
                    Some(t) => (kvg_kv_set_with_ttl(e, kp, kl, vp, vl, u64::from(t)), t == 0),
                };
                check("kv_set", s, &[], all(&[x, bad(bk || bv || zero_ttl)]));
            }
            Op::KvInsert(e, k, v) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ((kp, kl, bk), (vp, vl, bv)) = (k.get(), v.get());
                check("kv_insert", kvg_kv_insert(e, kp, kl, vp, vl), &[CONFLICT], all(&[x, bad(bk || bv)]));
            }
            Op::KvGet(e, k, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (kp, kl, bk) = k.get();
                let mut b = garbage_bytes();
                let s = kvg_kv_get(e, kp, kl, out_ptr(null_out, &mut b));
                check("kv_get", s, &[NOT_FOUND], all(&[x, bad(bk || null_out)]));
                if !null_out {
                    take_bytes("kv_get", s, &mut b);
                }
            }
            Op::KvSetMany(e, keys, values) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (mut keys, mut values) = (keys.make(), values.make());
                let n = keys.count;
                let ((kp, kl, bk), (vp, vl, bv)) = (keys.get(n), values.get(n));
                check("kv_set_many", kvg_kv_set_many(e, kp, kl, vp, vl, n), &[], all(&[x, bad(bk || bv)]));
            }
            Op::KvGetMany(e, keys, null_values, null_lens) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut keys = keys.make();
                let n = keys.count;
                let (kp, kl, bk) = keys.get(n);
                let (mut b, mut lens) = (garbage_bytes(), vec![7usize; n]);
                let lens_ptr = if null_lens { null_mut() } else { lens.as_mut_ptr() };
                let s = kvg_kv_get_many(e, kp, kl, n, out_ptr(null_values, &mut b), lens_ptr);
                check("kv_get_many", s, &[], all(&[x, bad(bk || null_values || (null_lens && n > 0))]));
                if !null_values {
                    take_packed("kv_get_many", s, &mut b, (!null_lens).then_some(&lens[..]));
                }
            }
            Op::KvGetInto(e, k, buf, null_len) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (kp, kl, bk) = k.get();
                let mut buf = Buf::<u8>::new(buf);
                let (bp, cap, bb) = buf.get();
                let mut len = 7usize;
                let s = kvg_kv_get_into(e, kp, kl, bp, cap, out_ptr(null_len, &mut len));
                check("kv_get_into", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(bk || bb || null_len)]));
                match s {
                    OK => assert!(len <= cap, "kv_get_into: OK with {len} > cap {cap}"),
                    TOO_SMALL => assert!(len > cap, "kv_get_into: too small with {len} <= cap {cap}"),
                    _ => {}
                }
            }
            Op::NodesSetProperty(e, ids, name, values) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (name, mut values) = (name.make(), values.make());
                let n = values.count;
                let ids: Option<Vec<u64>> = ids.map(|v| (0..n).map(|i| v.get(i).map_or(0, |id| id.get())).collect());
                let (vp, vl, bv) = values.get(n);
                let ids_ptr = ids.as_ref().map_or(null(), |v| v.as_ptr());
                let s = kvg_nodes_set_property(e, ids_ptr, n, name.ptr(), vp, vl);
                let invalid = bv || (ids.is_none() && n > 0) || name.is_null() || name.bad_utf8();
                check("nodes_set_property", s, &[NOT_FOUND], all(&[x, bad(invalid)]));
            }
            Op::NodesGetProperty(e, ids, count, name, null_values, null_lens) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let name = name.make();
                let ids: Option<Vec<u64>> = ids.map(|v| v.iter().map(|id| id.get()).collect());
                let n = ids.as_ref().map_or(usize::from(count % 4), Vec::len);
                let ids_ptr = ids.as_ref().map_or(null(), |v| v.as_ptr());
                let (mut b, mut lens) = (garbage_bytes(), vec![7usize; n]);
                let lens_ptr = if null_lens { null_mut() } else { lens.as_mut_ptr() };
                let s = kvg_nodes_get_property(e, ids_ptr, n, name.ptr(), out_ptr(null_values, &mut b), lens_ptr);
                let invalid =
                    name.is_null() || name.bad_utf8() || null_values || (n > 0 && (ids.is_none() || null_lens));
                check("nodes_get_property", s, &[], all(&[x, bad(invalid)]));
                if !null_values {
                    take_packed("nodes_get_property", s, &mut b, (!null_lens).then_some(&lens[..]));
                }
            }
            Op::KvDelete(e, k) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (kp, kl, bk) = k.get();
                check("kv_delete", kvg_kv_delete(e, kp, kl), &[NOT_FOUND], all(&[x, bad(bk)]));
            }
            Op::KvCas(e, k, ex, de) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ((kp, kl, bk), (xp, xl, bx), (dp, dl, bd)) = (k.get(), ex.get(), de.get());
                let s = kvg_kv_compare_and_swap(e, kp, kl, xp, xl, dp, dl);
                check("kv_cas", s, &[NOT_FOUND, CONFLICT], all(&[x, bad(bk || bx || bd)]));
            }
            Op::KvIncr(e, k, delta, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (kp, kl, bk) = k.get();
                let mut n = 0;
                let s = kvg_kv_incr(e, kp, kl, delta, out_ptr(null_out, &mut n));
                // A non-integer value or an overflow is invalid too: it depends on the state.
                let x = match all(&[x, bad(bk)]) {
                    Expect::Valid => Expect::Unknown,
                    other => other,
                };
                check("kv_incr", s, &[], x);
            }
            Op::KvLen(e, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut n = 0;
                check("kv_len", kvg_kv_len(e, out_ptr(null_out, &mut n)), &[], all(&[x, bad(null_out)]));
            }
            Op::ScanOpen(e, start, end, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                // A NULL bound is unbounded whatever its length.
                let ((sp, sl, _), (ep, el, _)) = (start.get(), end.get());
                let mut it: H = std::ptr::dangling_mut();
                let s = kvg_kv_scan_open(e, sp, sl, ep, el, out_ptr(null_out, &mut it));
                check("scan_open", s, &[], all(&[x, bad(null_out)]));
                if s == OK {
                    pool.add(Kind::Iter, it);
                } else if !null_out {
                    assert!(it.is_null());
                }
            }
            Op::PrefixOpen(e, prefix, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let (pp, pl, bp) = prefix.get();
                let mut it: H = std::ptr::dangling_mut();
                let s = kvg_kv_scan_prefix_open(e, pp, pl, out_ptr(null_out, &mut it));
                check("prefix_open", s, &[], all(&[x, bad(null_out || bp)]));
                if s == OK {
                    pool.add(Kind::Iter, it);
                } else if !null_out {
                    assert!(it.is_null());
                }
            }
            Op::IterNext(it, null_k, null_v) => {
                let (it, x) = pool.get(Kind::Iter, it);
                let (mut k, mut v) = (garbage_bytes(), garbage_bytes());
                let s = kvg_kv_iter_next(it, out_ptr(null_k, &mut k), out_ptr(null_v, &mut v));
                check("iter_next", s, &[NOT_FOUND], all(&[x, bad(null_k || null_v)]));
                if !null_k && !null_v {
                    take_bytes("iter_next key", s, &mut k);
                    take_bytes("iter_next value", s, &mut v);
                }
            }
            Op::SnapshotOpen(e, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut h: H = std::ptr::dangling_mut();
                let s = kvg_snapshot_open(e, out_ptr(null_out, &mut h));
                check("snapshot_open", s, &[], all(&[x, bad(null_out)]));
                if s == OK {
                    pool.add(Kind::Snapshot, h);
                } else if !null_out {
                    assert!(h.is_null());
                }
            }
            Op::SnapshotScalar(sn, which, null_out) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut n = 0;
                let out = out_ptr(null_out, &mut n);
                let s = match which % 4 {
                    0 => kvg_snapshot_node_count(sn, out),
                    1 => kvg_snapshot_edge_count(sn, out),
                    2 => kvg_snapshot_version(sn, out),
                    _ => kvg_snapshot_triangle_count(sn, out),
                };
                check("snapshot scalar", s, &[], all(&[x, bad(null_out)]));
            }
            Op::RelCreate(e, src, dst, ty, weight, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let ty = ty.make();
                let w = weight.map_or(f64::NAN, |w| f64::from(w) / 2.0);
                let mut id = 0;
                let s = kvg_rel_create(e, src.get(), dst.get(), ty.ptr(), w, out_ptr(null_out, &mut id));
                check("rel_create", s, &[NOT_FOUND], all(&[x, bad(null_out || ty.bad_utf8() || w.is_nan())]));
            }
            Op::RelRemove(e, id) => {
                let (e, x) = pool.get(Kind::Engine, e);
                check("rel_remove", kvg_rel_remove(e, id.get()), &[NOT_FOUND], x);
            }
            Op::RelGet(e, id, null_out) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let mut r = Rel { id: 7, src: 7, dst: 7, weight: 7.0, rel_type: garbage_bytes() };
                let s = kvg_rel_get(e, id.get(), out_ptr(null_out, &mut r));
                check("rel_get", s, &[NOT_FOUND], all(&[x, bad(null_out)]));
                if !null_out {
                    take_bytes("rel_get type", s, &mut r.rel_type);
                }
            }
            Op::RelRemoveProperty(e, id, name) => {
                let (e, x) = pool.get(Kind::Engine, e);
                let name = name.make();
                let s = kvg_rel_remove_property(e, id.get(), name.ptr());
                // An empty name may be refused too: only NULL and bad UTF-8 are known invalid.
                let empty = name.0.as_ref().is_some_and(|v| v.len() == 1);
                let expect = if empty { Expect::Unknown } else { bad(name.is_null() || name.bad_utf8()) };
                check("rel_remove_property", s, &[NOT_FOUND], all(&[x, expect]));
            }
            Op::SnapshotRelGet(sn, id, null_out) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut r = Rel { id: 7, src: 7, dst: 7, weight: 7.0, rel_type: garbage_bytes() };
                let s = kvg_snapshot_rel_get(sn, id.get(), out_ptr(null_out, &mut r));
                check("snapshot_rel_get", s, &[NOT_FOUND], all(&[x, bad(null_out)]));
                if !null_out {
                    take_bytes("snapshot_rel_get type", s, &mut r.rel_type);
                }
            }
            Op::Relationships(sn, node, dir, ty, buf, null_len) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let ty = ty.make();
                let mut b = Buf::<u64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let mut len = usize::MAX;
                let s = kvg_snapshot_relationships(sn, node.get(), dir, ty.ptr(), p, cap, out_ptr(null_len, &mut len));
                let invalid = bad_buf || null_len || ty.bad_utf8() || !(0..=2).contains(&dir);
                check("relationships", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(invalid)]));
                if s == OK || s == TOO_SMALL {
                    assert_eq!(s == OK, len <= cap, "relationships: len {len}, cap {cap}");
                }
            }
            Op::BatchBegin(e, null_out) => open_child(pool, "batch_open", Kind::Batch, e, null_out, kvg_batch_open),
            Op::GroupOpen(e, null_out) => {
                open_child(pool, "kv_group_open", Kind::Group, e, null_out, kvg_kv_group_open)
            }
            Op::BatchAddEdge(b, src, dst, ty, weight) => {
                let (b, x) = pool.get(Kind::Batch, b);
                let ty = ty.make();
                let w = weight.map_or(f64::NAN, |w| f64::from(w) / 2.0);
                let s = kvg_batch_add_edge(b, src.get(), dst.get(), ty.ptr(), w);
                check("batch_add_edge", s, &[NOT_FOUND], all(&[x, bad(ty.bad_utf8() || w.is_nan())]));
            }
            Op::BatchRemoveEdge(b, src, dst, ty) => {
                let (b, x) = pool.get(Kind::Batch, b);
                let ty = ty.make();
                let s = kvg_batch_remove_edge(b, src.get(), dst.get(), ty.ptr());
                check("batch_remove_edge", s, &[NOT_FOUND], all(&[x, bad(ty.bad_utf8())]));
            }
            Op::BatchCreateRel(b, src, dst, ty, weight, null_out) => {
                let (b, x) = pool.get(Kind::Batch, b);
                let ty = ty.make();
                let w = weight.map_or(f64::NAN, |w| f64::from(w) / 2.0);
                let mut id = 0;
                let s = kvg_batch_create_rel(b, src.get(), dst.get(), ty.ptr(), w, out_ptr(null_out, &mut id));
                check("batch_create_rel", s, &[NOT_FOUND], all(&[x, bad(null_out || ty.bad_utf8() || w.is_nan())]));
            }
            Op::BatchRemoveRel(b, id) => {
                let (b, x) = pool.get(Kind::Batch, b);
                check("batch_remove_rel", kvg_batch_remove_rel(b, id.get()), &[NOT_FOUND], x);
            }
            Op::BatchAddNode(b, label, null_out) => {
                let (b, x) = pool.get(Kind::Batch, b);
                let label = label.make();
                let mut id = 0;
                let s = kvg_batch_add_node(b, label.ptr(), out_ptr(null_out, &mut id));
                check("batch_add_node", s, &[], all(&[x, bad(null_out || label.bad_utf8())]));
            }
            Op::BatchRemoveNode(b, id) => {
                let (b, x) = pool.get(Kind::Batch, b);
                check("batch_remove_node", kvg_batch_remove_node(b, id.get()), &[NOT_FOUND], x);
            }
            Op::BatchEnd(b, commit) => {
                let (h, x) = pool.get(Kind::Batch, b);
                let s = if commit { kvg_batch_commit(h) } else { kvg_batch_abort(h) };
                // Aborting NULL is a no-op; committing it is invalid.
                let x = if h.is_null() && !commit { Expect::Valid } else { x };
                check("batch_end", s, &[NOT_FOUND, CONFLICT], x);
                // A commit releases the handle whatever the outcome (not when refused as invalid).
                if !h.is_null() && (s == OK || (commit && s != INVALID)) {
                    pool.closed(h);
                }
            }
            Op::Neighbors(sn, node, dir, ty, buf, null_len) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let ty = ty.make();
                let mut b = Buf::<u64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let mut len = usize::MAX;
                let s = kvg_snapshot_neighbors(sn, node.get(), dir, ty.ptr(), p, cap, out_ptr(null_len, &mut len));
                let invalid = bad_buf || null_len || ty.bad_utf8() || !(0..=2).contains(&dir);
                check("neighbors", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(invalid)]));
                if s == OK || s == TOO_SMALL {
                    assert_eq!(s == OK, len <= cap, "neighbors: len {len}, cap {cap}");
                }
                if s == OK {
                    let ids = &b.mem[..len];
                    assert!(ids.windows(2).all(|w| w[0] < w[1]), "neighbors not sorted and distinct");
                }
            }
            Op::KHop(sn, source, k, buf, null_len) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<u64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let mut len = usize::MAX;
                let s = kvg_snapshot_k_hop(sn, source.get(), u32::from(k), p, cap, out_ptr(null_len, &mut len));
                check("k_hop", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(bad_buf || null_len)]));
                if s == OK || s == TOO_SMALL {
                    assert_eq!(s == OK, len <= cap);
                }
            }
            Op::Bfs(sn, source, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<i64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let s = kvg_snapshot_bfs(sn, source.get(), p, cap);
                check("bfs", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(bad_buf)]));
            }
            Op::Sssp(sn, source, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<f64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let s = kvg_snapshot_sssp(sn, source.get(), p, cap);
                check("sssp", s, &[NOT_FOUND, TOO_SMALL], all(&[x, bad(bad_buf)]));
            }
            Op::PageRank(sn, damping, iterations, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<f64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let (d, bad_d) = match damping {
                    Damping::Valid(n) => (f64::from(n) / 255.0, false),
                    Damping::Negative => (-0.1, true),
                    Damping::AboveOne => (1.5, true),
                    Damping::NaN => (f64::NAN, true),
                };
                let s = kvg_snapshot_pagerank(sn, d, u32::from(iterations % 16), p, cap);
                // A short buffer is reported before a bad damping.
                let x = all(&[x, bad(bad_buf)]);
                let x = if x == Expect::Valid && bad_d { Expect::Unknown } else { x };
                check("pagerank", s, &[TOO_SMALL], x);
                if s == TOO_SMALL {
                    assert!(!bad_buf);
                }
            }
            Op::Wcc(sn, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<u64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                check("wcc", kvg_snapshot_wcc(sn, p, cap), &[TOO_SMALL], all(&[x, bad(bad_buf)]));
            }
            Op::Cdlp(sn, iterations, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<u64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                let s = kvg_snapshot_cdlp(sn, u32::from(iterations % 16), p, cap);
                check("cdlp", s, &[TOO_SMALL], all(&[x, bad(bad_buf)]));
            }
            Op::Lcc(sn, buf) => {
                let (sn, x) = pool.get(Kind::Snapshot, sn);
                let mut b = Buf::<f64>::new(buf);
                let (p, cap, bad_buf) = b.get();
                check("lcc", kvg_snapshot_lcc(sn, p, cap), &[TOO_SMALL], all(&[x, bad(bad_buf)]));
            }
            Op::StatusStr(s) => {
                let p = kvg_status_str(s);
                assert!(!p.is_null());
                let name = CStr::from_ptr(p).to_str().unwrap();
                assert_eq!(name == "unknown status", !(OK..=IO_ERROR).contains(&s));
                assert!(!kvg_version().is_null());
            }
            Op::BytesFreeNull => {
                kvg_bytes_free(null_mut());
                let mut b = kvg_bytes { data: null_mut(), len: 0 };
                kvg_bytes_free(&mut b);
            }
        }
    }
}
