//! Log records: every acknowledged write, as the state a KV write left its
//! key in (idempotent, so replaying it over any later image is harmless; a
//! KV write group is one record holding several such states) or
//! as the graph call that made it (replayed in log order, which is the order
//! the writes applied in).

use super::codec::{Get, Malformed, Put};
use crate::Value;
use crate::error::Result;
use crate::graph::{BatchWrite, Graph, GraphWrite, Op};
use crate::kv::Kv;

const KV_PUT: u8 = 1;
const KV_DELETE: u8 = 2;
/// A KV write group: a count then that many [`KV_PUT`] / [`KV_DELETE`]
/// records (tag included), replayed in order, all or none.
const KV_GROUP: u8 = 3;
const ADD_NODES: u8 = 10;
const REMOVE_NODE: u8 = 11;
const LABEL: u8 = 12;
const NODE_PROPERTY: u8 = 13;
const REL_PROPERTY: u8 = 14;
const LOAD_EDGES: u8 = 17;
const INDEX: u8 = 18;
const CLEAR_REL_PROPERTIES: u8 = 19;
/// Edge and relationship writes (one call's, or a whole batch with its
/// node, label and property writes, these as [`ADD_NODES`] (an id and the
/// creation label, "" for none), [`REMOVE_NODE`] (an id and an empty name),
/// [`LABEL`], [`NODE_PROPERTY`] and [`REL_PROPERTY`] bodies).
const EDGES: u8 = 20;

/// Kinds of the ops of an [`EDGES`] record.
const UPSERT: u8 = 0;
const CREATE: u8 = 1;
const REMOVE_KEY: u8 = 2;
const REMOVE_ID: u8 = 3;

/// Encodes a KV record: `key` now holds `state` (value, absolute expiry) or nothing.
pub(crate) fn put_kv(out: &mut Vec<u8>, key: &[u8], state: Option<(&[u8], u64)>) {
    match state {
        Some((value, expires_at)) => {
            out.u8(KV_PUT);
            out.bytes(key);
            out.bytes(value);
            out.var(expires_at);
        }
        None => {
            out.u8(KV_DELETE);
            out.bytes(key);
        }
    }
}

/// Encodes a KV write group of `ops` writes, `body` their [`put_kv`]
/// encodings one after the other (one write: its plain record).
pub(crate) fn put_kv_group(out: &mut Vec<u8>, ops: u64, body: &[u8]) {
    if ops != 1 {
        out.u8(KV_GROUP);
        out.var(ops);
    }
    out.extend_from_slice(body);
}

/// One decoded KV write: key and state (value, absolute expiry) or deletion.
type KvWrite<'a> = (&'a [u8], Option<(&'a [u8], u64)>);

/// Decodes the body of a [`KV_PUT`] or [`KV_DELETE`] record tagged `tag`.
fn get_kv<'a>(g: &mut Get<'a>, tag: u8) -> Result<KvWrite<'a>, Malformed> {
    match tag {
        KV_PUT => Ok((g.bytes()?, Some((g.bytes()?, g.var()?)))),
        KV_DELETE => Ok((g.bytes()?, None)),
        t => Err(format!("unknown write kind {t} in a KV group")),
    }
}

/// Applies one KV write; a value already expired at `now_ms` is dropped.
fn apply_kv(kv: &Kv, (key, state): KvWrite<'_>, now_ms: u64) {
    match state {
        Some((val, expires_at)) if expires_at == 0 || expires_at > now_ms => {
            kv.set_with_expiry_at(key, val, expires_at)
        }
        _ => {
            kv.delete(key);
        }
    }
}

/// Encodes a graph record.
pub(crate) fn put_graph(out: &mut Vec<u8>, w: &GraphWrite<'_>) {
    match *w {
        GraphWrite::AddNodes { first, count, label } => {
            out.u8(ADD_NODES);
            out.var(first);
            out.var(count);
            out.opt_str(label);
        }
        GraphWrite::RemoveNode { id } => {
            out.u8(REMOVE_NODE);
            out.var(id);
        }
        GraphWrite::Label { id, label, add } => {
            out.u8(LABEL);
            out.var(id);
            out.bytes(label.as_bytes());
            out.u8(add.into());
        }
        GraphWrite::NodeProperty { id, name, value } | GraphWrite::RelProperty { rel: id, name, value } => {
            out.u8(if matches!(w, GraphWrite::NodeProperty { .. }) { NODE_PROPERTY } else { REL_PROPERTY });
            out.var(id);
            out.bytes(name.as_bytes());
            out.bytes(&value.encode());
        }
        GraphWrite::ClearRelProperties { rel } => {
            out.u8(CLEAR_REL_PROPERTIES);
            out.var(rel);
        }
        GraphWrite::Edges { ops, fresh, batch } => {
            out.u8(EDGES);
            out.u8(batch.is_some().into());
            out.var(ops.len() as u64);
            for (op, ty) in ops {
                put_op(out, op, ty);
            }
            out.var(fresh.len() as u64);
            fresh.iter().for_each(|&id| out.var(id));
            if let Some(writes) = batch {
                out.var(writes.len() as u64);
                writes.iter().for_each(|w| put_batch_write(out, w));
            }
        }
        GraphWrite::LoadEdges { src, dst, weights, ty } => {
            out.u8(LOAD_EDGES);
            out.opt_str(ty);
            out.var(src.len() as u64);
            src.iter().zip(dst).for_each(|(&s, &d)| {
                out.var(s);
                out.var(d);
            });
            out.u8(weights.is_some().into());
            weights.into_iter().flatten().for_each(|&w| out.f64(w));
        }
        GraphWrite::Index { label, prop, create } => {
            out.u8(INDEX);
            out.bytes(label.as_bytes());
            out.bytes(prop.as_bytes());
            out.u8(create.into());
        }
    }
}

/// Encodes one op of an [`EDGES`] record, its type by name.
fn put_op(out: &mut Vec<u8>, op: &Op, ty: &str) {
    let (kind, src, dst) = match *op {
        Op::Upsert { src, dst, .. } => (UPSERT, src, dst),
        Op::Create { src, dst, .. } => (CREATE, src, dst),
        Op::RemoveKey { src, dst, .. } => (REMOVE_KEY, src, dst),
        Op::RemoveId { src, dst, .. } => (REMOVE_ID, src, dst),
    };
    out.u8(kind);
    out.var(src);
    out.var(dst);
    out.bytes(ty.as_bytes());
    match *op {
        Op::Upsert { weight, .. } => out.f64(weight),
        Op::Create { weight, id, .. } => {
            out.f64(weight);
            out.var(id);
        }
        Op::RemoveKey { .. } => {}
        Op::RemoveId { id, .. } => out.var(id),
    }
}

/// Decodes one op of an [`EDGES`] record (its interned type left 0).
fn get_op(g: &mut Get<'_>) -> Result<(Op, String), Malformed> {
    let (kind, src, dst, ty) = (g.u8()?, g.var()?, g.var()?, g.str()?.to_string());
    let op = match kind {
        UPSERT => Op::Upsert { src, dst, ty: 0, weight: g.f64()? },
        CREATE => Op::Create { src, dst, ty: 0, weight: g.f64()?, id: g.var()? },
        REMOVE_KEY => Op::RemoveKey { src, dst, ty: 0 },
        REMOVE_ID => Op::RemoveId { src, dst, ty: 0, id: g.var()? },
        k => return Err(format!("unknown edge write kind {k}")),
    };
    Ok((op, ty))
}

/// Encodes one label or property write of a batch.
fn put_batch_write(out: &mut Vec<u8>, w: &BatchWrite) {
    match w {
        BatchWrite::AddNode { id, label } => {
            out.u8(ADD_NODES);
            out.var(*id);
            out.bytes(label.as_bytes());
        }
        BatchWrite::RemoveNode { id } => {
            out.u8(REMOVE_NODE);
            out.var(*id);
            out.bytes(b"");
        }
        BatchWrite::Label { id, label, add } => {
            out.u8(LABEL);
            out.var(*id);
            out.bytes(label.as_bytes());
            out.u8((*add).into());
        }
        BatchWrite::NodeProperty { id, name, value } | BatchWrite::RelProperty { rel: id, name, value } => {
            out.u8(if matches!(w, BatchWrite::NodeProperty { .. }) { NODE_PROPERTY } else { REL_PROPERTY });
            out.var(*id);
            out.bytes(name.as_bytes());
            out.bytes(&value.encode());
        }
    }
}

/// Decodes one label or property write of a batch.
fn get_batch_write(g: &mut Get<'_>) -> Result<BatchWrite, Malformed> {
    let kind = g.u8()?;
    let id = g.var()?;
    let name = g.str()?.to_string();
    Ok(match kind {
        ADD_NODES => BatchWrite::AddNode { id, label: name },
        REMOVE_NODE if name.is_empty() => BatchWrite::RemoveNode { id },
        LABEL => BatchWrite::Label { id, label: name, add: flag(g)? },
        NODE_PROPERTY => BatchWrite::NodeProperty { id, name, value: value(g)? },
        REL_PROPERTY => BatchWrite::RelProperty { rel: id, name, value: value(g)? },
        k => return Err(format!("unknown batch write kind {k}")),
    })
}

/// Why a record could not be replayed.
pub(crate) enum ReplayError {
    /// The record is malformed.
    Malformed(Malformed),
    /// The record is well-formed but replaying it failed: the log does not
    /// describe the writes that produced it.
    Diverged(String),
}

impl From<Malformed> for ReplayError {
    fn from(m: Malformed) -> Self {
        ReplayError::Malformed(m)
    }
}

fn diverged(e: crate::Error) -> ReplayError {
    ReplayError::Diverged(e.message().to_string())
}

fn flag(g: &mut Get<'_>) -> Result<bool, Malformed> {
    match g.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        t => Err(format!("bad flag {t}")),
    }
}

fn value(g: &mut Get<'_>) -> Result<Value, Malformed> {
    Value::decode(g.bytes()?).map_err(|e| format!("bad property value: {e}"))
}

/// Applies the record `payload` to `kv` and `graph` (which record nothing
/// meanwhile). KV values already expired at `now_ms` are dropped.
pub(crate) fn replay(payload: &[u8], kv: &Kv, graph: &Graph, now_ms: u64) -> Result<(), ReplayError> {
    let g = &mut Get::new(payload);
    let tag = g.u8()?;
    let applied = match tag {
        KV_PUT | KV_DELETE => {
            let write = get_kv(g, tag)?;
            g.finish()?;
            apply_kv(kv, write, now_ms);
            Ok(())
        }
        KV_GROUP => {
            // Decoded whole before any write applies: a malformed group changes nothing.
            let n = g.len()?;
            let writes = (0..n).map(|_| g.u8().and_then(|t| get_kv(g, t))).collect::<Result<Vec<_>, _>>()?;
            g.finish()?;
            writes.into_iter().for_each(|w| apply_kv(kv, w, now_ms));
            Ok(())
        }
        ADD_NODES => {
            let (first, count, label) = (g.var()?, g.var()?, g.opt_str()?);
            g.finish()?;
            graph.add_nodes_at(first, count, label)
        }
        REMOVE_NODE => {
            let id = g.var()?;
            g.finish()?;
            graph.remove_node(id)
        }
        LABEL => {
            let (id, label, add) = (g.var()?, g.str()?, flag(g)?);
            g.finish()?;
            if add { graph.add_label(id, label) } else { graph.remove_label(id, label) }.map(drop)
        }
        NODE_PROPERTY | REL_PROPERTY => {
            let (id, name, v) = (g.var()?, g.str()?, value(g)?);
            g.finish()?;
            if tag == NODE_PROPERTY {
                graph.set_property_value(id, name, v)
            } else {
                graph.set_rel_property(id, name, v)
            }
        }
        CLEAR_REL_PROPERTIES => {
            let rel = g.var()?;
            g.finish()?;
            graph.clear_rel_properties(rel).map(drop)
        }
        EDGES => {
            let batch = flag(g)?;
            let ops = (0..g.len()?).map(|_| get_op(g)).collect::<Result<Vec<_>, _>>()?;
            let fresh = (0..g.len()?).map(|_| g.var()).collect::<Result<Vec<_>, _>>()?;
            let writes = if batch {
                Some((0..g.len()?).map(|_| get_batch_write(g)).collect::<Result<Vec<_>, _>>()?)
            } else {
                None
            };
            g.finish()?;
            graph.replay_edges(&ops, &fresh, writes.as_deref())
        }
        LOAD_EDGES => {
            let ty = g.opt_str()?;
            let n = g.len()?;
            let (mut src, mut dst) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for _ in 0..n {
                src.push(g.var()?);
                dst.push(g.var()?);
            }
            let weights = if flag(g)? { Some((0..n).map(|_| g.f64()).collect::<Result<Vec<_>, _>>()?) } else { None };
            g.finish()?;
            graph.load_edges(&src, &dst, weights.as_deref(), ty)
        }
        INDEX => {
            let (label, prop, create) = (g.str()?, g.str()?, flag(g)?);
            g.finish()?;
            if create { graph.create_index(label, prop) } else { graph.drop_index(label, prop) }.map(drop)
        }
        t => return Err(ReplayError::Malformed(format!("unknown record type {t}"))),
    };
    applied.map_err(diverged)
}
