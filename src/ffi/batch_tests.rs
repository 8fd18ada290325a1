//! Rust-side checks of the relationship and write-batch calls of the C ABI
//! (tests/c/test_rels_batch.c covers them through the header).

use super::batch::*;
use super::engine::*;
use super::graph::*;
use super::props::*;
use super::rels::*;
use super::snapshot::*;
use super::*;
use crate::Value;
use std::ptr::{null, null_mut};

fn last_error() -> String {
    let p = kvg_last_error();
    assert!(!p.is_null());
    // SAFETY: a non-NULL `kvg_last_error` is a live NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn open_with_nodes(n: u64) -> *mut kvg_engine {
    let mut e = null_mut();
    assert_eq!(kvg_engine_open(null(), &mut e), KVG_OK);
    let mut first = 0;
    assert_eq!(kvg_nodes_add(e, n, null(), &mut first), KVG_OK);
    e
}

fn int(i: i64) -> kvg_value {
    kvg_value { kind: CValueType(kvg_value_type::KVG_VALUE_INT as c_int), integer: i, ..kvg_value::NULL }
}

/// Relationship `id` now: `(src, dst, type, weight)`, or the failing status.
fn rel(e: *const kvg_engine, id: u64) -> Result<(u64, u64, String, f64), kvg_status> {
    let mut r = kvg_rel::EMPTY;
    match kvg_rel_get(e, id, &mut r) {
        KVG_OK => {}
        status => {
            assert!(r.rel_type.data.is_null());
            return Err(status);
        }
    }
    // SAFETY: a successful call leaves `len` readable bytes at `data`.
    let ty = unsafe { std::slice::from_raw_parts(r.rel_type.data, r.rel_type.len) }.to_vec();
    kvg_bytes_free(&mut r.rel_type);
    Ok((r.src, r.dst, String::from_utf8(ty).unwrap(), r.weight))
}

fn int_property(e: *const kvg_engine, id: u64, name: &CStr, rel: bool) -> Option<i64> {
    let (mut v, mut data) = (kvg_value::NULL, kvg_bytes::EMPTY);
    let status = if rel {
        kvg_rel_get_property_value(e, id, name.as_ptr(), &mut v, &mut data)
    } else {
        kvg_node_get_property_value(e, id, name.as_ptr(), &mut v, &mut data)
    };
    kvg_bytes_free(&mut data);
    (status == KVG_OK).then_some(v.integer)
}

fn relationships(s: *const kvg_snapshot, node: u64, dir: kvg_direction, ty: Option<&CStr>) -> Vec<u64> {
    let ty = ty.map_or(null(), CStr::as_ptr);
    let mut len = 0;
    let status = kvg_snapshot_relationships(s, node, CDirection(dir as c_int), ty, null_mut(), 0, &mut len);
    assert!(status == KVG_OK || status == KVG_BUFFER_TOO_SMALL);
    let mut buf = vec![0u64; len];
    assert_eq!(
        kvg_snapshot_relationships(s, node, CDirection(dir as c_int), ty, buf.as_mut_ptr(), len, &mut len),
        KVG_OK
    );
    buf
}

#[test]
fn relationships_round_trip_and_errors() {
    let e = open_with_nodes(3);
    let (mut r0, mut r1, mut r2) = (0, 0, 0);
    assert_eq!(kvg_rel_create(e, 0, 1, c"KNOWS".as_ptr(), 2.5, &mut r0), KVG_OK);
    assert_eq!(kvg_rel_create(e, 0, 1, c"KNOWS".as_ptr(), 1.0, &mut r1), KVG_OK);
    assert_eq!(kvg_rel_create(e, 2, 0, null(), 1.0, &mut r2), KVG_OK);
    assert!(r0 != r1 && r1 != r2);
    assert_eq!(rel(e, r0), Ok((0, 1, "KNOWS".into(), 2.5)));
    assert_eq!(rel(e, r2), Ok((2, 0, String::new(), 1.0)));
    assert_eq!(rel(e, 999), Err(KVG_NOT_FOUND));

    let mut s = null_mut();
    assert_eq!(kvg_snapshot_open(e, &mut s), KVG_OK);
    assert_eq!(relationships(s, 0, kvg_direction::KVG_OUT, None), [r0, r1]);
    assert_eq!(relationships(s, 0, kvg_direction::KVG_IN, None), [r2]);
    assert_eq!(relationships(s, 0, kvg_direction::KVG_BOTH, Some(c"KNOWS")), [r0, r1]);
    assert_eq!(relationships(s, 0, kvg_direction::KVG_OUT, Some(c"NONE")), Vec::<u64>::new());
    let mut buf = [0u64; 1];
    let mut len = 0;
    let out = CDirection(0);
    assert_eq!(kvg_snapshot_relationships(s, 0, out, null(), buf.as_mut_ptr(), 1, &mut len), KVG_BUFFER_TOO_SMALL);
    assert_eq!(len, 2);
    assert_eq!(kvg_snapshot_relationships(s, 9, out, null(), null_mut(), 0, &mut len), KVG_NOT_FOUND);
    assert_eq!(kvg_snapshot_relationships(s, 0, CDirection(7), null(), null_mut(), 0, &mut len), KVG_INVALID_ARGUMENT);

    // Properties of relationships, and removal.
    let v = int(7);
    assert_eq!(kvg_rel_set_property_value(e, r0, c"since".as_ptr(), &v), KVG_OK);
    assert_eq!(int_property(e, r0, c"since", true), Some(7));
    let (mut m, mut data) = (kvg_value::NULL, kvg_bytes::EMPTY);
    assert_eq!(kvg_rel_properties(e, r0, &mut m, &mut data), KVG_OK);
    assert_eq!(m.kind.0, kvg_value_type::KVG_VALUE_MAP as c_int);
    // SAFETY: a successful call leaves `len` readable bytes at `data`.
    let encoded = unsafe { std::slice::from_raw_parts(m.data, m.len) };
    let expected = Value::Map([("since".to_owned(), Value::Int(7))].into_iter().collect());
    assert_eq!(Value::decode(encoded).unwrap(), expected);
    kvg_bytes_free(&mut data);
    assert_eq!(kvg_rel_properties(e, 999, &mut m, &mut data), KVG_NOT_FOUND);
    assert_eq!(kvg_rel_properties(e, r0, &mut m, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_rel_remove_property(e, r0, c"since".as_ptr()), KVG_OK);
    assert_eq!(kvg_rel_remove_property(e, r0, c"since".as_ptr()), KVG_NOT_FOUND);
    assert_eq!(kvg_rel_remove_property(e, r0, null()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_rel_set_property_value(e, r1, c"since".as_ptr(), &v), KVG_OK);
    assert_eq!(kvg_rel_remove(e, r1), KVG_OK);
    assert_eq!(kvg_rel_remove(e, r1), KVG_NOT_FOUND);
    assert_eq!(int_property(e, r1, c"since", true), None);
    assert_eq!(rel(e, r1), Err(KVG_NOT_FOUND));

    // The snapshot still sees the relationship as it was.
    let mut r = kvg_rel::EMPTY;
    assert_eq!(kvg_snapshot_rel_get(s, r1, &mut r), KVG_OK);
    assert_eq!((r.id, r.src, r.dst, r.weight), (r1, 0, 1, 1.0));
    kvg_bytes_free(&mut r.rel_type);
    assert_eq!(kvg_snapshot_rel_get(s, 999, &mut r), KVG_NOT_FOUND);
    assert_eq!(kvg_snapshot_rel_get(s, r1, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_snapshot_close(s), KVG_OK);

    // Bad input.
    let mut id = 0;
    assert_eq!(kvg_rel_create(e, 0, 9, null(), 1.0, &mut id), KVG_NOT_FOUND);
    assert_eq!(kvg_rel_create(e, 0, 1, null(), f64::NAN, &mut id), KVG_INVALID_ARGUMENT);
    let bad = [0xffu8, 0xfe, 0];
    assert_eq!(kvg_rel_create(e, 0, 1, bad.as_ptr().cast(), 1.0, &mut id), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("UTF-8"));
    assert_eq!(kvg_rel_create(e, 0, 1, null(), 1.0, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_rel_create(null(), 0, 1, null(), 1.0, &mut id), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_rel_remove(null(), 0), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_rel_get(e, r0, null_mut()), KVG_INVALID_ARGUMENT);
    let mut stats = kvg_graph_stats { nodes: 0, edges: 0, delta_edges: 0, compactions: 0 };
    assert_eq!(kvg_graph_get_stats(e, &mut stats), KVG_OK);
    assert_eq!(stats.edges, 2);
    assert_eq!(kvg_engine_close(e), KVG_OK);
}

#[test]
fn batches_commit_atomically() {
    let e = open_with_nodes(3);
    let mut b = null_mut();
    assert_eq!(kvg_batch_open(e, &mut b), KVG_OK);
    assert_eq!(kvg_batch_add_edge(b, 0, 1, c"A".as_ptr(), 1.0), KVG_OK);
    let mut r = u64::MAX;
    assert_eq!(kvg_batch_create_rel(b, 1, 2, c"B".as_ptr(), 3.0, &mut r), KVG_OK);
    let v = int(5);
    assert_eq!(kvg_batch_set_rel_property(b, r, c"w".as_ptr(), &v), KVG_OK);
    let mut added = CBool::FALSE;
    assert_eq!(kvg_batch_add_label(b, 2, c"Person".as_ptr(), &mut added), KVG_OK);
    assert!(bool::from(added));
    assert_eq!(kvg_batch_set_property(b, 2, c"age".as_ptr(), &v), KVG_OK);
    // Nothing is visible before the commit; a single write to a written key conflicts.
    assert_eq!(rel(e, r), Err(KVG_NOT_FOUND));
    assert_eq!(int_property(e, 2, c"age", false), None);
    assert_eq!(kvg_node_set_property_value(e, 2, c"age".as_ptr(), &v), KVG_CONFLICT);
    // A failing call records nothing and leaves the batch usable.
    assert_eq!(kvg_batch_add_edge(b, 0, 9, null(), 1.0), KVG_NOT_FOUND);
    assert_eq!(kvg_batch_add_edge(b, 0, 1, null(), f64::NAN), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_set_rel_property(b, 999, c"w".as_ptr(), &v), KVG_NOT_FOUND);
    assert_eq!(kvg_batch_set_property(b, 2, c"age".as_ptr(), null()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_create_rel(b, 1, 2, null(), 1.0, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_commit(b), KVG_OK);
    assert_eq!(rel(e, r), Ok((1, 2, "B".into(), 3.0)));
    assert_eq!(int_property(e, r, c"w", true), Some(5));
    assert_eq!(int_property(e, 2, c"age", false), Some(5));
    // The handle is gone.
    assert_eq!(kvg_batch_commit(b), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_abort(b), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_add_edge(b, 0, 1, null(), 1.0), KVG_INVALID_ARGUMENT);

    // Removals, and an abort that leaves nothing behind.
    assert_eq!(kvg_batch_open(e, &mut b), KVG_OK);
    assert_eq!(kvg_batch_remove_rel(b, r), KVG_OK);
    assert_eq!(kvg_batch_remove_rel(b, 999), KVG_NOT_FOUND);
    let mut removed = CBool::FALSE;
    assert_eq!(kvg_batch_remove_label(b, 2, c"Person".as_ptr(), &mut removed), KVG_OK);
    assert!(bool::from(removed));
    assert_eq!(kvg_batch_remove_property(b, 2, c"age".as_ptr(), null_mut()), KVG_OK);
    assert_eq!(kvg_batch_remove_rel_property(b, r, c"w".as_ptr(), &mut removed), KVG_OK);
    assert!(bool::from(removed));
    assert_eq!(kvg_batch_remove_edge(b, 0, 1, c"A".as_ptr()), KVG_OK);
    assert_eq!(kvg_batch_abort(b), KVG_OK);
    assert_eq!(rel(e, r), Ok((1, 2, "B".into(), 3.0)));
    assert_eq!(int_property(e, 2, c"age", false), Some(5));
    assert_eq!(kvg_batch_abort(null_mut()), KVG_OK);

    // A commit that fails writes nothing and still releases the handle.
    assert_eq!(kvg_batch_open(e, &mut b), KVG_OK);
    assert_eq!(kvg_batch_create_rel(b, 0, 2, null(), 1.0, &mut r), KVG_OK);
    assert_eq!(kvg_batch_remove_edge(b, 0, 1, c"A".as_ptr()), KVG_OK);
    assert_eq!(kvg_edge_remove(e, 0, 1, c"A".as_ptr()), KVG_OK);
    assert_eq!(kvg_batch_commit(b), KVG_NOT_FOUND);
    assert_eq!(rel(e, r), Err(KVG_NOT_FOUND));
    assert_eq!(kvg_batch_commit(b), KVG_INVALID_ARGUMENT);

    // Bad handles and inputs.
    assert_eq!(kvg_batch_open(null(), &mut b), KVG_INVALID_ARGUMENT);
    assert!(b.is_null());
    assert_eq!(kvg_batch_open(e, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_commit(null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_add_label(null(), 0, c"L".as_ptr(), null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_commit(e.cast()), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("an engine, not a batch"));
    assert_eq!(kvg_batch_open(e, &mut b), KVG_OK);
    let bad = [0xffu8, 0];
    assert_eq!(kvg_batch_add_edge(b, 0, 1, bad.as_ptr().cast(), 1.0), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_batch_add_label(b, 0, bad.as_ptr().cast(), null_mut()), KVG_INVALID_ARGUMENT);
    // A batch outlives its engine's handle.
    assert_eq!(kvg_engine_close(e), KVG_OK);
    assert_eq!(kvg_batch_add_edge(b, 0, 1, null(), 1.0), KVG_OK);
    assert_eq!(kvg_batch_commit(b), KVG_OK);
}
