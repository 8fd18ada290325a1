//! Rust-side checks of the C ABI (the C and C++ suites in tests/c and
//! tests/cpp cover it through the header).

use super::engine::*;
use super::graph::*;
use super::kv::*;
use super::snapshot::*;
use super::*;
use std::ptr::{NonNull, null, null_mut};

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

/// `(packed bytes, lengths)` of `items`, the layout of the batch functions.
fn pack(items: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
    (items.concat(), items.iter().map(|i| i.len()).collect())
}

/// The items of a batch read: `None` for `KVG_NO_VALUE`; frees `values`.
fn unpack(values: &mut kvg_bytes, lens: &[usize]) -> Vec<Option<Vec<u8>>> {
    let packed = take(values);
    let mut at = 0;
    let items = lens
        .iter()
        .map(|&len| {
            (len != KVG_NO_VALUE).then(|| {
                at += len;
                packed[at - len..at].to_vec()
            })
        })
        .collect();
    assert_eq!(at, packed.len());
    items
}

#[test]
fn kv_batches() {
    let e = open();
    let (keys, key_lens) = pack(&[b"a", b"bb", b"", b"a"]);
    let (values, value_lens) = pack(&[b"1", b"", b"3", b"4"]);
    assert_eq!(kvg_kv_set_many(e, keys.as_ptr(), key_lens.as_ptr(), values.as_ptr(), value_lens.as_ptr(), 4), KVG_OK);
    let mut n = 0;
    assert_eq!(kvg_kv_len(e, &mut n), KVG_OK);
    assert_eq!(n, 3);

    let (keys, key_lens) = pack(&[b"a", b"zz", b"bb", b""]);
    let (mut out, mut lens) = (kvg_bytes::EMPTY, [0usize; 4]);
    assert_eq!(kvg_kv_get_many(e, keys.as_ptr(), key_lens.as_ptr(), 4, &mut out, lens.as_mut_ptr()), KVG_OK);
    assert_eq!(lens, [1, KVG_NO_VALUE, 0, 1]);
    let got = unpack(&mut out, &lens);
    assert_eq!(got, [Some(b"4".to_vec()), None, Some(vec![]), Some(b"3".to_vec())]);

    // Empty batches: NULL arrays with a count of 0.
    assert_eq!(kvg_kv_set_many(e, null(), null(), null(), null(), 0), KVG_OK);
    assert_eq!(kvg_kv_get_many(e, null(), null(), 0, &mut out, null_mut()), KVG_OK);
    assert!(!out.data.is_null() && out.len == 0);
    kvg_bytes_free(&mut out);

    // Bad batches write nothing.
    let (keys, key_lens) = pack(&[b"x", b"y"]);
    let (values, value_lens) = pack(&[b"1", b"2"]);
    assert_eq!(
        kvg_kv_set_many(e, keys.as_ptr(), null(), values.as_ptr(), value_lens.as_ptr(), 2),
        KVG_INVALID_ARGUMENT
    );
    assert!(last_error().contains("keys lengths is NULL"));
    assert_eq!(
        kvg_kv_set_many(e, keys.as_ptr(), key_lens.as_ptr(), null(), value_lens.as_ptr(), 2),
        KVG_INVALID_ARGUMENT
    );
    assert!(last_error().contains("values is NULL"));
    let overflowing = [usize::MAX, 2];
    assert_eq!(
        kvg_kv_set_many(e, keys.as_ptr(), key_lens.as_ptr(), values.as_ptr(), overflowing.as_ptr(), 2),
        KVG_INVALID_ARGUMENT
    );
    assert!(last_error().contains("add up to more than SIZE_MAX"));
    assert_eq!(kvg_kv_len(e, &mut n), KVG_OK);
    assert_eq!(n, 3);

    // Failed reads leave cleared outputs.
    let mut lens = [7usize; 2];
    out = kvg_bytes { data: NonNull::dangling().as_ptr(), len: 9 };
    assert_eq!(
        kvg_kv_get_many(e, keys.as_ptr(), overflowing.as_ptr(), 2, &mut out, lens.as_mut_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert!(out.data.is_null() && out.len == 0 && lens == [KVG_NO_VALUE; 2]);
    assert_eq!(
        kvg_kv_get_many(e, keys.as_ptr(), key_lens.as_ptr(), 2, null_mut(), lens.as_mut_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert!(last_error().contains("out_values is NULL"));
    assert_eq!(kvg_kv_get_many(e, keys.as_ptr(), key_lens.as_ptr(), 2, &mut out, null_mut()), KVG_INVALID_ARGUMENT);
    assert!(last_error().contains("out_lens is NULL"));
    assert!(out.data.is_null());

    assert_eq!(kvg_engine_close(e), KVG_OK);
    assert_eq!(kvg_kv_set_many(e, null(), null(), null(), null(), 0), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_kv_get_many(e, null(), null(), 0, &mut out, null_mut()), KVG_INVALID_ARGUMENT);
    assert!(out.data.is_null());
}

#[test]
fn kv_get_into() {
    let e = open();
    assert_eq!(kvg_kv_set(e, b"k".as_ptr(), 1, b"hello".as_ptr(), 5), KVG_OK);
    let (mut buf, mut len) = ([0u8; 8], 99usize);
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, buf.as_mut_ptr(), 8, &mut len), KVG_OK);
    assert_eq!(&buf[..len], b"hello");
    // Too small: the needed length, the buffer untouched.
    let mut small = [0u8; 4];
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, small.as_mut_ptr(), 4, &mut len), KVG_BUFFER_TOO_SMALL);
    assert_eq!((len, small), (5, [0; 4]));
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, null_mut(), 0, &mut len), KVG_BUFFER_TOO_SMALL);
    assert_eq!(len, 5);
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, buf.as_mut_ptr(), 5, &mut len), KVG_OK);
    assert_eq!(kvg_kv_get_into(e, b"x".as_ptr(), 1, buf.as_mut_ptr(), 8, &mut len), KVG_NOT_FOUND);
    assert_eq!(len, 0);
    assert_eq!(kvg_kv_set(e, b"empty".as_ptr(), 5, null(), 0), KVG_OK);
    assert_eq!(kvg_kv_get_into(e, b"empty".as_ptr(), 5, null_mut(), 0, &mut len), KVG_OK);
    assert_eq!(len, 0);
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, null_mut(), 3, &mut len), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, buf.as_mut_ptr(), 8, null_mut()), KVG_INVALID_ARGUMENT);
    assert_eq!(kvg_engine_close(e), KVG_OK);
    len = 3;
    assert_eq!(kvg_kv_get_into(e, b"k".as_ptr(), 1, buf.as_mut_ptr(), 8, &mut len), KVG_INVALID_ARGUMENT);
    assert_eq!(len, 0);
}

#[test]
fn property_batches() {
    let e = open();
    let mut first = 0;
    assert_eq!(kvg_nodes_add(e, 3, null(), &mut first), KVG_OK);
    let ids = [first, first + 2, first];
    let (values, value_lens) = pack(&[b"Ada", b"Grace", b"Alan"]);
    assert_eq!(
        kvg_nodes_set_property(e, ids.as_ptr(), 3, c"name".as_ptr(), values.as_ptr(), value_lens.as_ptr()),
        KVG_OK
    );

    let ids = [first, first + 1, first + 2, first + 99];
    let (mut out, mut lens) = (kvg_bytes::EMPTY, [0usize; 4]);
    assert_eq!(kvg_nodes_get_property(e, ids.as_ptr(), 4, c"name".as_ptr(), &mut out, lens.as_mut_ptr()), KVG_OK);
    let got = unpack(&mut out, &lens);
    assert_eq!(got, [Some(b"Alan".to_vec()), None, Some(b"Grace".to_vec()), None]);

    // An unknown id anywhere in the batch writes nothing.
    let bad = [first + 1, first + 99];
    let (values, value_lens) = pack(&[b"x", b"y"]);
    assert_eq!(
        kvg_nodes_set_property(e, bad.as_ptr(), 2, c"name".as_ptr(), values.as_ptr(), value_lens.as_ptr()),
        KVG_NOT_FOUND
    );
    assert!(last_error().contains("ids[1]"));
    assert_eq!(kvg_node_remove(e, first + 2), KVG_OK);
    let removed = [first + 1, first + 2];
    assert_eq!(
        kvg_nodes_set_property(e, removed.as_ptr(), 2, c"name".as_ptr(), values.as_ptr(), value_lens.as_ptr()),
        KVG_NOT_FOUND
    );
    assert_eq!(kvg_node_get_property(e, first + 1, c"name".as_ptr(), &mut out), KVG_NOT_FOUND);

    // Bad arguments.
    let bad_utf8 = c"\xff";
    assert_eq!(
        kvg_nodes_set_property(e, ids.as_ptr(), 1, bad_utf8.as_ptr(), values.as_ptr(), value_lens.as_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert!(last_error().contains("UTF-8"));
    assert_eq!(
        kvg_nodes_get_property(e, ids.as_ptr(), 2, bad_utf8.as_ptr(), &mut out, lens.as_mut_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert!(out.data.is_null() && lens[..2] == [KVG_NO_VALUE; 2]);
    assert_eq!(
        kvg_nodes_set_property(e, null(), 2, c"name".as_ptr(), values.as_ptr(), value_lens.as_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert_eq!(
        kvg_nodes_set_property(e, ids.as_ptr(), 1, null(), values.as_ptr(), value_lens.as_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert_eq!(
        kvg_nodes_set_property(e, ids.as_ptr(), 2, c"name".as_ptr(), null(), value_lens.as_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert_eq!(
        kvg_nodes_get_property(e, null(), 2, c"name".as_ptr(), &mut out, lens.as_mut_ptr()),
        KVG_INVALID_ARGUMENT
    );
    assert_eq!(kvg_nodes_set_property(e, null(), 0, c"name".as_ptr(), null(), null()), KVG_OK);
    assert_eq!(kvg_nodes_get_property(e, null(), 0, c"name".as_ptr(), &mut out, null_mut()), KVG_OK);
    assert_eq!(take(&mut out), b"");
    let mut label = kvg_bytes::EMPTY;
    assert_eq!(kvg_node_get_property(e, first, c"name".as_ptr(), &mut label), KVG_OK);
    assert_eq!(take(&mut label), b"Alan");
    assert_eq!(kvg_engine_close(e), KVG_OK);
}

#[test]
fn temporal_values_cross_as_iso_strings() {
    use super::props::*;
    use super::query::*;
    let e = open();
    let mut r = null_mut();
    let text =
        c"CREATE (n:E {at: date({year: 1910, month: 5, day: 6}), spans: [duration('P1M2D')]}) RETURN n.at, id(n)";
    assert_eq!(kvg_query(e, text.as_ptr(), null(), &mut r), KVG_OK);
    let mut ty = kvg_cell_type::KVG_CELL_NULL;
    assert_eq!(kvg_result_cell_type(r, 0, 0, &mut ty), KVG_OK);
    assert_eq!(ty, kvg_cell_type::KVG_CELL_STRING);
    let mut cell = kvg_bytes::EMPTY;
    assert_eq!(kvg_result_cell_string(r, 0, 0, &mut cell), KVG_OK);
    assert_eq!(take(&mut cell), b"1910-05-06");
    assert_eq!(kvg_result_cell_json(r, 0, 0, &mut cell), KVG_OK);
    assert_eq!(take(&mut cell), b"\"1910-05-06\"");
    let mut id = 0i64;
    assert_eq!(kvg_result_cell_int(r, 0, 1, &mut id), KVG_OK);
    assert_eq!(kvg_result_close(r), KVG_OK);

    // Typed property reads: a temporal value is a string, also inside a list.
    let (mut v, mut data) = (kvg_value::NULL, kvg_bytes::EMPTY);
    assert_eq!(kvg_node_get_property_value(e, id as u64, c"at".as_ptr(), &mut v, &mut data), KVG_OK);
    assert_eq!(v.kind.0, kvg_value_type::KVG_VALUE_STRING as c_int);
    assert_eq!(take(&mut data), b"1910-05-06");
    assert_eq!(kvg_node_get_property_value(e, id as u64, c"spans".as_ptr(), &mut v, &mut data), KVG_OK);
    assert_eq!(v.kind.0, kvg_value_type::KVG_VALUE_LIST as c_int);
    let list = crate::Value::decode(&take(&mut data)).unwrap();
    assert_eq!(list, crate::Value::List(vec![crate::Value::from("P1M2D")]));
    assert_eq!(kvg_engine_close(e), KVG_OK);
}

/// A durable engine at `dir` logging with `KVG_FSYNC_ALWAYS`.
fn open_durable(dir: &std::path::Path) -> *mut kvg_engine {
    let path = CString::new(dir.to_str().unwrap()).unwrap();
    let mut config = MaybeUninit::uninit();
    kvg_config_default(config.as_mut_ptr());
    // SAFETY: `kvg_config_default` filled it.
    let mut config = unsafe { config.assume_init() };
    config.path = path.as_ptr();
    config.fsync = CFsync(kvg_fsync::KVG_FSYNC_ALWAYS as c_int);
    let mut e = null_mut();
    assert_eq!(kvg_engine_open(&config, &mut e), KVG_OK, "{}", last_error());
    e
}

#[test]
fn kv_write_group_handles_log_one_record_and_close_on_their_thread() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_durable(dir.path());
    let mut g = null_mut();
    assert_eq!(kvg_kv_group_open(e, &mut g), KVG_OK);
    assert_eq!(kvg_kv_set(e, b"a".as_ptr(), 1, b"1".as_ptr(), 1), KVG_OK);
    let mut inner = null_mut();
    assert_eq!(kvg_kv_group_open(e, &mut inner), KVG_OK);
    assert_eq!(kvg_kv_incr(e, b"n".as_ptr(), 1, 3, null_mut()), KVG_OK);
    assert_eq!(kvg_kv_group_close(inner), KVG_OK);
    assert_eq!(kvg_engine_save(e), KVG_INVALID_ARGUMENT, "a save inside a group would wait for it");
    // Another thread cannot close it, and leaves it open.
    let addr = g.addr();
    let other = std::thread::spawn(move || {
        let status = kvg_kv_group_close(std::ptr::without_provenance_mut::<kvg_kv_group>(addr));
        (status, last_error())
    });
    let (status, message) = other.join().unwrap();
    assert_eq!(status, KVG_INVALID_ARGUMENT);
    assert!(message.contains("thread that opened it"), "{message}");
    assert_eq!(kvg_kv_set(e, b"b".as_ptr(), 1, b"2".as_ptr(), 1), KVG_OK);
    assert_eq!(kvg_kv_group_close(g), KVG_OK);
    assert_eq!(kvg_kv_group_close(g), KVG_INVALID_ARGUMENT, "closed twice");
    assert_eq!(kvg_kv_group_close(null_mut()), KVG_OK);
    assert_eq!(kvg_kv_group_close(e.cast()), KVG_INVALID_ARGUMENT, "an engine is not a group");
    assert_eq!(kvg_kv_group_open(null(), &mut g), KVG_INVALID_ARGUMENT);
    assert!(g.is_null());
    assert_eq!(kvg_kv_group_open(e, null_mut()), KVG_INVALID_ARGUMENT);
    // A thread that exits with a group open closes it: a save does not wait for it.
    let addr = e.addr();
    std::thread::spawn(move || {
        let e = std::ptr::without_provenance::<kvg_engine>(addr);
        let mut g = null_mut();
        assert_eq!(kvg_kv_group_open(e, &mut g), KVG_OK);
        assert_eq!(kvg_kv_set(e, b"c".as_ptr(), 1, b"3".as_ptr(), 1), KVG_OK);
    })
    .join()
    .unwrap();
    assert_eq!(kvg_engine_close(e), KVG_OK);
    let e = crate::Engine::open(dir.path()).unwrap();
    assert_eq!(e.recovery().unwrap().replayed, 2, "one record per group");
    assert_eq!(e.kv().len(), 4);
    assert_eq!(e.kv().get(b"n").as_deref(), Some(&b"3"[..]));
    drop(e);
    // A group that outlives its engine cannot be logged (the directory may
    // be another engine's by now): its close is KVG_IO_ERROR.
    let e = open_durable(dir.path());
    assert_eq!(kvg_kv_group_open(e, &mut g), KVG_OK);
    assert_eq!(kvg_kv_set(e, b"late".as_ptr(), 4, b"x".as_ptr(), 1), KVG_OK);
    assert_eq!(kvg_engine_close(e), KVG_OK);
    assert_eq!(kvg_kv_group_close(g), KVG_IO_ERROR);
    assert!(last_error().contains("the engine is closed"), "{}", last_error());
    let e = crate::Engine::open(dir.path()).unwrap();
    assert_eq!(e.kv().get(b"late"), None);
    assert_eq!(e.kv().len(), 4);
    // Without a path a group costs nothing and logs nothing.
    let m = open();
    assert_eq!(kvg_kv_group_open(m, &mut g), KVG_OK);
    assert_eq!(kvg_kv_group_close(g), KVG_OK);
    assert_eq!(kvg_engine_close(m), KVG_OK);
}
