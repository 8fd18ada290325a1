//! Cypher queries: `kvg_query` and the `kvg_result` it returns (columns,
//! rows, typed cells, JSON, statistics).

use super::engine::kvg_engine;
use super::{Failure, FfiResult, boundary, bytes_out, close_handle, kvg_bytes, kvg_status, open_handle, out, resolve};
use super::{opt_str_in, str_in};
use crate::query::{Params, QueryResult, QueryValue};
use std::ffi::c_char;

/// The result of a query: columns, rows of typed cells, statistics.
///
/// Opaque; close it with `kvg_result_close`. It owns its values (nodes and
/// relationships are copied out as the query saw them) and stays valid after
/// its engine is closed. Thread-safe to read from many threads.
pub struct kvg_result {
    _opaque: [u8; 0],
}

handle_kind!(kvg_result => Result(QueryResult), "a query result");

/// The type of a result cell.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvg_cell_type {
    /// null.
    KVG_CELL_NULL = 0,
    /// A boolean: `kvg_result_cell_bool`.
    KVG_CELL_BOOL = 1,
    /// An integer: `kvg_result_cell_int`.
    KVG_CELL_INT = 2,
    /// A float: `kvg_result_cell_float`.
    KVG_CELL_FLOAT = 3,
    /// A UTF-8 string: `kvg_result_cell_string` (a temporal value is one:
    /// its ISO 8601 text, such as `1984-10-11T12:31:14+01:00` or `P1M2D`).
    KVG_CELL_STRING = 4,
    /// A byte string: `kvg_result_cell_string`.
    KVG_CELL_BYTES = 5,
    /// A list: `kvg_result_cell_json`.
    KVG_CELL_LIST = 6,
    /// A map: `kvg_result_cell_json`.
    KVG_CELL_MAP = 7,
    /// A node: `kvg_result_cell_id`, `kvg_result_cell_json`.
    KVG_CELL_NODE = 8,
    /// A relationship: `kvg_result_cell_id`, `kvg_result_cell_json`.
    KVG_CELL_RELATIONSHIP = 9,
    /// A path: `kvg_result_cell_json`.
    KVG_CELL_PATH = 10,
}

/// What a query's writes changed.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct kvg_query_stats {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships deleted.
    pub relationships_deleted: u64,
    /// Properties set (or removed).
    pub properties_set: u64,
    /// Labels added.
    pub labels_added: u64,
    /// Labels removed.
    pub labels_removed: u64,
}

/// Runs the openCypher query `text` on `engine` with `params_json_or_null`
/// (a JSON object: `{"name": "Ada", "ids": [1, 2]}`; NULL for none) and
/// stores its result in `*out` (NULL on failure). Close it with
/// `kvg_result_close`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, NULL `text` or
/// `out`, invalid UTF-8, parameters that are not a JSON object, and every
/// failed query, with the message in `kvg_last_error()`: it starts with the
/// openCypher category (`SyntaxError: … at LINE:COLUMN`, `TypeError: …`,
/// `ParameterMissing: …`, …).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_query(
    engine: *const kvg_engine,
    text: *const c_char,
    params_json_or_null: *const c_char,
    out: *mut *mut kvg_result,
) -> kvg_status {
    kvg_query_with_timeout(engine, text, params_json_or_null, 0, out)
}

/// [`kvg_query`] with a time limit: a query still running after
/// `timeout_ms` milliseconds (0: no limit) stops, a write query is rolled
/// back, and the status is `KVG_INVALID_ARGUMENT` with `TimeoutError: Query
/// timed out after N ms` in `kvg_last_error()`. Pattern matching and
/// expressions check the clock; a procedure's kernel runs to its end.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_query_with_timeout(
    engine: *const kvg_engine,
    text: *const c_char,
    params_json_or_null: *const c_char,
    timeout_ms: u64,
    out: *mut *mut kvg_result,
) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        let engine = resolve(engine)?;
        let text = str_in(text, "text")?;
        let params = match opt_str_in(params_json_or_null, "params_json_or_null")? {
            Some(json) => Params::from_json(json)?,
            None => Params::new(),
        };
        let result = match timeout_ms {
            0 => engine.query(text, &params)?,
            ms => engine.query_with_timeout(text, &params, std::time::Duration::from_millis(ms))?,
        };
        out.write(open_handle(result));
        Ok(())
    })
}

/// Closes `result`. NULL is a no-op; closing twice gives `KVG_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_close(result: *mut kvg_result) -> kvg_status {
    boundary(|| close_handle(result))
}

/// Writes what `f` computes from `result` to `*out_ptr`.
fn read<T>(result: *const kvg_result, out_ptr: *mut T, f: impl FnOnce(&QueryResult) -> FfiResult<T>) -> kvg_status {
    boundary(|| {
        let o = out(out_ptr, "out")?;
        o.write(f(&*resolve(result)?)?);
        Ok(())
    })
}

/// Stores the number of columns of `result` in `*out`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed result or a NULL `out`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_column_count(result: *const kvg_result, out: *mut u64) -> kvg_status {
    read(result, out, |r| Ok(r.columns.len() as u64))
}

/// Stores the number of rows of `result` in `*out`.
///
/// Errors: as `kvg_result_column_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_row_count(result: *const kvg_result, out: *mut u64) -> kvg_status {
    read(result, out, |r| Ok(r.rows.len() as u64))
}

/// Stores the statistics of `result` in `*out`.
///
/// Errors: as `kvg_result_column_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_stats(result: *const kvg_result, out: *mut kvg_query_stats) -> kvg_status {
    read(result, out, |r| {
        let s = r.stats;
        Ok(kvg_query_stats {
            nodes_created: s.nodes_created,
            nodes_deleted: s.nodes_deleted,
            relationships_created: s.relationships_created,
            relationships_deleted: s.relationships_deleted,
            properties_set: s.properties_set,
            labels_added: s.labels_added,
            labels_removed: s.labels_removed,
        })
    })
}

/// Writes the owned bytes `f` computes from `result` to `*out`.
fn to_bytes(
    result: *const kvg_result,
    out_ptr: *mut kvg_bytes,
    f: impl FnOnce(&QueryResult) -> FfiResult<Vec<u8>>,
) -> kvg_status {
    boundary(|| {
        let o = out(out_ptr, "out")?;
        let bytes = f(&*resolve(result)?)?;
        bytes_out(o, bytes)
    })
}

/// Stores the UTF-8 name of column `col` in `*out` (free it with `kvg_bytes_free`).
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed result, a NULL `out`,
/// or `col` not below the column count.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_column_name(result: *const kvg_result, col: u64, out: *mut kvg_bytes) -> kvg_status {
    to_bytes(result, out, |r| {
        let name = r.columns.get(col as usize).ok_or_else(|| Failure::invalid(format!("no column {col}")))?;
        Ok(name.clone().into_bytes())
    })
}

/// Stores the whole result as UTF-8 JSON in `*out`: `{"columns": [...],
/// "rows": [[...], ...], "stats": {...}}` (and `"plan"` after EXPLAIN or
/// PROFILE); nodes as `{"id", "labels", "properties"}`, relationships as
/// `{"id", "type", "start", "end", "properties"}`, paths as `{"nodes",
/// "relationships"}`, bytes as arrays of byte values, NaN and infinities as
/// the strings "NaN", "Infinity", "-Infinity".
///
/// Errors: as `kvg_result_column_count`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_json(result: *const kvg_result, out: *mut kvg_bytes) -> kvg_status {
    to_bytes(result, out, |r| Ok(r.to_json().into_bytes()))
}

fn cell(r: &QueryResult, row: u64, col: u64) -> FfiResult<&QueryValue> {
    r.rows
        .get(row as usize)
        .and_then(|cells| cells.get(col as usize))
        .ok_or_else(|| Failure::invalid(format!("no cell at row {row}, column {col}")))
}

fn wrong(v: &QueryValue, want: &str) -> Failure {
    Failure::invalid(format!("the cell holds a {}, not a {want}", cell_type_name(v)))
}

fn cell_type(v: &QueryValue) -> kvg_cell_type {
    use kvg_cell_type::*;
    match v {
        QueryValue::Null => KVG_CELL_NULL,
        QueryValue::Bool(_) => KVG_CELL_BOOL,
        QueryValue::Int(_) => KVG_CELL_INT,
        QueryValue::Float(_) => KVG_CELL_FLOAT,
        QueryValue::String(_) | QueryValue::Temporal(_) => KVG_CELL_STRING,
        QueryValue::Bytes(_) => KVG_CELL_BYTES,
        QueryValue::List(_) => KVG_CELL_LIST,
        QueryValue::Map(_) => KVG_CELL_MAP,
        QueryValue::Node(_) => KVG_CELL_NODE,
        QueryValue::Relationship(_) => KVG_CELL_RELATIONSHIP,
        QueryValue::Path(_) => KVG_CELL_PATH,
    }
}

fn cell_type_name(v: &QueryValue) -> &'static str {
    ["null", "bool", "int", "float", "string", "bytes", "list", "map", "node", "relationship", "path"]
        [cell_type(v) as usize]
}

/// Stores the type of the cell at (`row`, `col`) in `*out`.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed result, a NULL `out`,
/// or a cell out of range.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_type(
    result: *const kvg_result,
    row: u64,
    col: u64,
    out: *mut kvg_cell_type,
) -> kvg_status {
    read(result, out, |r| Ok(cell_type(cell(r, row, col)?)))
}

/// Stores the boolean cell at (`row`, `col`) in `*out`.
///
/// Errors: as `kvg_result_cell_type`, and `KVG_INVALID_ARGUMENT` for a cell of another type.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_bool(result: *const kvg_result, row: u64, col: u64, out: *mut bool) -> kvg_status {
    read(result, out, |r| match cell(r, row, col)? {
        QueryValue::Bool(b) => Ok(*b),
        v => Err(wrong(v, "bool")),
    })
}

/// Stores the integer cell at (`row`, `col`) in `*out`.
///
/// Errors: as `kvg_result_cell_bool`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_int(result: *const kvg_result, row: u64, col: u64, out: *mut i64) -> kvg_status {
    read(result, out, |r| match cell(r, row, col)? {
        QueryValue::Int(i) => Ok(*i),
        v => Err(wrong(v, "int")),
    })
}

/// Stores the number cell at (`row`, `col`) in `*out` (an integer converted).
///
/// Errors: as `kvg_result_cell_bool`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_float(result: *const kvg_result, row: u64, col: u64, out: *mut f64) -> kvg_status {
    read(result, out, |r| match cell(r, row, col)? {
        QueryValue::Float(f) => Ok(*f),
        QueryValue::Int(i) => Ok(*i as f64),
        v => Err(wrong(v, "float")),
    })
}

/// Stores the id of the node or relationship cell at (`row`, `col`) in `*out`.
///
/// Errors: as `kvg_result_cell_bool`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_id(result: *const kvg_result, row: u64, col: u64, out: *mut u64) -> kvg_status {
    read(result, out, |r| match cell(r, row, col)? {
        QueryValue::Node(n) => Ok(n.id),
        QueryValue::Relationship(rel) => Ok(rel.id),
        v => Err(wrong(v, "node or relationship")),
    })
}

/// Stores the string (UTF-8) or bytes cell at (`row`, `col`) in `*out` (a
/// temporal value as its ISO 8601 string).
///
/// Errors: as `kvg_result_cell_bool`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_string(
    result: *const kvg_result,
    row: u64,
    col: u64,
    out: *mut kvg_bytes,
) -> kvg_status {
    to_bytes(result, out, |r| match cell(r, row, col)? {
        QueryValue::String(s) => Ok(s.clone().into_bytes()),
        QueryValue::Temporal(t) => Ok(t.to_string().into_bytes()),
        QueryValue::Bytes(b) => Ok(b.clone()),
        v => Err(wrong(v, "string")),
    })
}

/// Stores any cell at (`row`, `col`) as UTF-8 JSON in `*out`, in the shape of
/// `kvg_result_json`.
///
/// Errors: as `kvg_result_cell_type`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_result_cell_json(
    result: *const kvg_result,
    row: u64,
    col: u64,
    out: *mut kvg_bytes,
) -> kvg_status {
    to_bytes(result, out, |r| Ok(cell(r, row, col)?.to_json().into_bytes()))
}
