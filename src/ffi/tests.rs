//! Rust-side checks of the C ABI (the C and C++ suites in tests/c and
//! tests/cpp cover it through the header).

use super::engine::*;
use super::graph::*;
use super::kv::*;
use super::snapshot::*;
use super::*;
use std::ptr::{null, null_mut};

fn last_error() -> String {
    let p = kvg_last_error();
    assert!(!p.is_null());
    // SAFETY: a non-NULL `kvg_last_error` is a live NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn open() -> *mut kvg_engine {
    let mut e = null_mut();
    assert_eq!(kvg_engine_open(null(), &mut e), KVG_OK);
    e
}

fn take(b: &mut kvg_bytes) -> Vec<u8> {
    // SAFETY: `b` was filled by a successful kvgraph call.
    let v = unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec();
    kvg_bytes_free(b);
    assert!(b.data.is_null() && b.len == 0);
    v
}

#[test]
fn kv_round_trip_and_errors() {
    let e = open();
    assert_eq!(kvg_kv_set(e, b"k".as_ptr(), 1, b"v".as_ptr(), 1), KVG_OK);
    let mut out = kvg_bytes::EMPTY;
    assert_eq!(kvg_kv_get(e, b"k".as_ptr(), 1, &mut out), KVG_OK);
    // SAFETY: a successful get leaves `len + 1` readable bytes.
    assert_eq!(unsafe { *out.data.add(out.len) }, 0);
    assert_eq!(take(&mut out), b"v");
    kvg_bytes_free(&mut out);
    kvg_bytes_free(null_mut());
    assert_eq!(kvg_kv_get(e, b"x".as_ptr(), 1, &mut out), KVG_NOT_FOUND);
    assert!(out.data.is_null());
    assert_eq!(kvg_kv_set(e, null(), 3, null(), 0), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("key is NULL"));
    assert_eq!(kvg_kv_set(e, null(), 0, null(), 0), KVG_OK);
    assert_eq!(kvg_kv_insert(e, b"k".as_ptr(), 1, null(), 0), KVG_CONFLICT);
    let mut n = 0;
    assert_eq!(kvg_kv_incr(e, b"c".as_ptr(), 1, 5, &mut n), KVG_OK);
    assert_eq!(n, 5);
    assert_eq!(kvg_kv_incr(e, b"k".as_ptr(), 1, 5, &mut n), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_engine_close(e), KVG_OK);
}

#[test]
fn handles_are_checked() {
    let e = open();
    let mut s = null_mut();
    assert_eq!(kvg_snapshot_open(e, &mut s), KVG_OK);
    assert_eq!(kvg_engine_close(s.cast()), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("a snapshot, not an engine"));
    assert_eq!(kvg_engine_close(e), KVG_OK);
    assert_eq!(kvg_engine_close(e), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("closed"));
    let mut len = 0;
    assert_eq!(kvg_kv_len(e, &mut len), KVG_INVALID_ARGUMENT);
    let mut count = 7;
    assert_eq!(kvg_snapshot_node_count(s, &mut count), KVG_OK);
    assert_eq!(count, 0);
    assert_eq!(kvg_snapshot_close(s), KVG_OK);
    assert_eq!(kvg_snapshot_close(s), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_snapshot_close(null_mut()), KVG_OK);
    assert_eq!(kvg_engine_close(null_mut()), KVG_OK);
    assert_eq!(kvg_kv_iter_close(null_mut()), KVG_OK);
}

#[test]
fn graph_buffers_and_directions() {
    let e = open();
    let mut first = 0;
    assert_eq!(kvg_nodes_add(e, 3, c"P".as_ptr(), &mut first), KVG_OK);
    assert_eq!(kvg_edge_add(e, first, first + 1, null(), 1.0), KVG_OK);
    assert_eq!(kvg_edge_add(e, first, first + 2, null(), 1.0), KVG_OK);
    let mut s = null_mut();
    assert_eq!(kvg_snapshot_open(e, &mut s), KVG_OK);
    let (mut buf, mut len) = ([0u64; 3], 0usize);
    assert_eq!(kvg_snapshot_neighbors(s, first, CDirection(0), null(), null_mut(), 0, &mut len), KVG_BUFFER_TOO_SMALL);
    assert_eq!(len, 2);
    assert_eq!(kvg_snapshot_neighbors(s, first, CDirection(0), null(), buf.as_mut_ptr(), 3, &mut len), KVG_OK);
    assert_eq!(&buf[..len], &[first + 1, first + 2]);
    assert_eq!(
        kvg_snapshot_neighbors(s, first, CDirection(9), null(), buf.as_mut_ptr(), 3, &mut len),
        KVG_INVALID_ARGUMENT
    );
    let mut depths = [0i64; 3];
    assert_eq!(kvg_snapshot_bfs(s, first, depths.as_mut_ptr(), 2), KVG_BUFFER_TOO_SMALL);
    assert!(last_error().contains("needs 3"));
    assert_eq!(kvg_snapshot_bfs(s, first, depths.as_mut_ptr(), 3), KVG_OK);
    assert_eq!(depths, [0, 1, 1]);
    assert_eq!(kvg_snapshot_close(s), KVG_OK);
    assert_eq!(kvg_engine_close(e), KVG_OK);
}

#[test]
fn panics_become_statuses() {
    assert_eq!(boundary(|| panic!("boom")), KVG_PANIC);
    assert!(last_error().contains("boom"));
    assert_eq!(boundary_or(7, || panic!("bang")), 7);
    assert!(last_error().contains("bang"));
    // SAFETY: `kvg_status_str` returns a static NUL-terminated string.
    let name = |s| unsafe { CStr::from_ptr(kvg_status_str(CStatus(s))) }.to_str().unwrap().to_owned();
    assert_eq!(name(6), "panic");
    assert_eq!(name(-1), "unknown status");
}
