//! A comparable image of an engine's whole state, for the durability tests.
#![allow(dead_code)] // each including test crate uses a different subset

use kvgraph::{Direction, Engine, Value};

/// Everything an engine holds, in a comparable form.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// KV entries with their remaining TTL in ms (None: no TTL).
    pub kv: Vec<(Vec<u8>, Vec<u8>, Option<u128>)>,
    /// Per node id: None if absent, else (labels, properties, out-edges).
    pub nodes: Vec<Option<NodeImage>>,
    /// Indexes.
    pub indexes: Vec<(String, String)>,
    /// Properties of relationships 0..16.
    pub rels: Vec<Vec<(String, Value)>>,
    /// Every relationship that exists, by id: its ends as found by id, its properties.
    pub rel_props: Vec<RelImage>,
}

/// One relationship: id, its ends as found by id, its properties.
pub type RelImage = (u64, Option<(u64, u64)>, Vec<(String, Value)>);

/// One node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeImage {
    pub label: String,
    pub labels: Vec<String>,
    pub props: Vec<(String, Value)>,
    /// `(target, type, weight bits, relationship id)`.
    pub out: Vec<(u64, String, u64, u64)>,
}

/// The image of `e` now.
pub fn image(e: &Engine) -> Image {
    let kv = e
        .kv()
        .scan(None, None)
        .map(|(k, v)| {
            let ttl = e.kv().ttl(&k).flatten().map(|d| d.as_millis());
            (k, v, ttl)
        })
        .collect();
    let g = e.graph();
    let snap = g.snapshot();
    let nodes = (0..snap.node_count())
        .map(|id| {
            snap.contains_node(id).then(|| {
                let mut out: Vec<(u64, String, u64, u64)> = snap
                    .edges(id, Direction::Out)
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.dst, e.edge_type, e.weight.to_bits(), e.id))
                    .collect();
                out.sort();
                NodeImage {
                    label: g.node_label(id).unwrap(),
                    labels: snap.node_labels(id).unwrap(),
                    props: snap.properties(id).unwrap(),
                    out,
                }
            })
        })
        .collect();
    let mut indexes = g.indexes();
    indexes.sort();
    let rels = (0..16).map(|r| snap.rel_properties(r)).collect();
    let mut rel_props: Vec<_> = (0..snap.node_count())
        .flat_map(|id| snap.edges(id, Direction::Out).unwrap_or_default())
        .map(|e| (e.id, snap.relationship(e.id).map(|r| (r.src, r.dst)), snap.rel_properties(e.id)))
        .collect();
    rel_props.sort_by_key(|r| r.0);
    Image { kv, nodes, indexes, rels, rel_props }
}
