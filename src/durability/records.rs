//! Log records: every acknowledged write, as the state a KV write left its
//! key in (idempotent, so replaying it over any later image is harmless) or
//! as the graph call that made it (replayed in log order, which is the order
//! the writes applied in).

use super::codec::{Get, Malformed, Put};
use crate::Value;
use crate::error::Result;
use crate::graph::{Graph, GraphWrite};
use crate::kv::Kv;

const KV_PUT: u8 = 1;
const KV_DELETE: u8 = 2;
const ADD_NODES: u8 = 10;
const REMOVE_NODE: u8 = 11;
const LABEL: u8 = 12;
const NODE_PROPERTY: u8 = 13;
const REL_PROPERTY: u8 = 14;
const ADD_EDGE: u8 = 15;
const REMOVE_EDGE: u8 = 16;
const LOAD_EDGES: u8 = 17;
const INDEX: u8 = 18;
const CLEAR_REL_PROPERTIES: u8 = 19;

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
        GraphWrite::AddEdge { src, dst, ty, weight } => {
            out.u8(ADD_EDGE);
            out.var(src);
            out.var(dst);
            out.opt_str(ty);
            out.f64(weight);
        }
        GraphWrite::RemoveEdge { src, dst, ty } => {
            out.u8(REMOVE_EDGE);
            out.var(src);
            out.var(dst);
            out.opt_str(ty);
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
        KV_PUT => {
            let (key, val, expires_at) = (g.bytes()?, g.bytes()?, g.var()?);
            g.finish()?;
            if expires_at == 0 || expires_at > now_ms {
                kv.set_with_expiry_at(key, val, expires_at);
            } else {
                kv.delete(key);
            }
            Ok(())
        }
        KV_DELETE => {
            let key = g.bytes()?;
            g.finish()?;
            kv.delete(key);
            Ok(())
        }
        ADD_NODES => {
            let (first, count, label) = (g.var()?, g.var()?, g.opt_str()?);
            g.finish()?;
            match graph.add_nodes(count, label) {
                Ok(got) if got == first => Ok(()),
                Ok(got) => return Err(ReplayError::Diverged(format!("nodes created at id {got}, logged at {first}"))),
                Err(e) => Err(e),
            }
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
        ADD_EDGE => {
            let (src, dst, ty, weight) = (g.var()?, g.var()?, g.opt_str()?, g.f64()?);
            g.finish()?;
            graph.add_edge(src, dst, ty, weight)
        }
        REMOVE_EDGE => {
            let (src, dst, ty) = (g.var()?, g.var()?, g.opt_str()?);
            g.finish()?;
            graph.remove_edge(src, dst, ty)
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
