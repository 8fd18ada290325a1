//! The snapshot file: a point-in-time image of the KV map and the graph,
//! streamed in checksummed blocks (frames of [`codec`](super::codec)).
//!
//! Blocks: KV entries (`key, value, absolute expiry`), nodes (consecutive
//! ids: alive, label created with, labels, typed properties), relationships
//! of one type (sources, targets, weights, ids), indexes, and an end block
//! with the counts and the next relationship ids, without which the file is
//! incomplete. Loading builds the graph through bulk calls: nodes in runs of
//! one label, every relationship with its id in one counting-sort build of
//! the CSR (not edge by edge), so relationship properties stay on theirs.

use super::codec::{self, Frames, Get, Malformed, Next, Put};
use crate::Value;
use crate::error::{Error, Result};
use crate::graph::{Graph, Snapshot};
use crate::kv::Kv;
use std::fs::File;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

/// Magic of a snapshot file.
pub(crate) const MAGIC: &[u8; 8] = b"KVGSNAP\0";

const KV: u8 = 1;
const NODES: u8 = 2;
const EDGES: u8 = 3;
const INDEXES: u8 = 4;
const REL_PROPS: u8 = 5;
const END: u8 = 9;

/// Bytes of block data buffered before a write.
const BLOCK: usize = 1 << 20;
/// Nodes per node block.
const NODES_PER_BLOCK: u64 = 4096;

/// Relationships per relationship block.
const EDGES_PER_BLOCK: usize = 1 << 16;

/// Relationships of one type not written yet: sources, targets, weights, ids.
struct EdgeRun {
    name: String,
    src: Vec<u64>,
    dst: Vec<u64>,
    weights: Vec<f64>,
    ids: Vec<u64>,
}

impl EdgeRun {
    fn new(name: String) -> Self {
        EdgeRun { name, src: Vec::new(), dst: Vec::new(), weights: Vec::new(), ids: Vec::new() }
    }

    /// Writes the run as one relationship block (if it holds any) and empties it.
    fn write(&mut self, out: &mut Out) -> std::io::Result<()> {
        if self.src.is_empty() {
            return Ok(());
        }
        out.block(|o| {
            o.u8(EDGES);
            o.bytes(self.name.as_bytes());
            o.var(self.src.len() as u64);
            o.reserve(32 * self.src.len());
            self.src.iter().chain(&self.dst).for_each(|&v| o.u64(v));
            self.weights.iter().for_each(|&v| o.f64(v));
            self.ids.iter().for_each(|&v| o.u64(v));
        })?;
        for column in [&mut self.src, &mut self.dst, &mut self.ids] {
            column.clear();
        }
        self.weights.clear();
        Ok(())
    }
}

/// Streams blocks to the writer thread of [`write`], a buffer of about
/// [`BLOCK`] bytes at a time, so that encoding overlaps the file writes.
struct Out {
    /// Full buffers, to the writer.
    full: SyncSender<Vec<u8>>,
    /// Buffers the writer is done with, for reuse.
    recycled: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    bytes: u64,
}

impl Out {
    fn block(&mut self, fill: impl FnOnce(&mut Vec<u8>)) -> std::io::Result<()> {
        codec::frame_with(&mut self.buf, fill);
        if self.buf.len() >= BLOCK { self.drain() } else { Ok(()) }
    }

    fn drain(&mut self) -> std::io::Result<()> {
        let next = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(2 * BLOCK));
        let buf = std::mem::replace(&mut self.buf, next);
        self.bytes += buf.len() as u64;
        self.full.send(buf).map_err(|_| std::io::Error::other("the snapshot writer stopped"))
    }
}

/// Writes the image of `kv` (read as it goes: each key's state at some
/// moment after the log was rotated) and of `snap` (one version) to
/// `file`, synced; returns the bytes written.
pub(crate) fn write(mut file: File, kv: &Kv, snap: &Snapshot, graph: &Graph) -> std::io::Result<u64> {
    let (full, to_write) = sync_channel::<Vec<u8>>(2);
    let (done, recycled) = channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let writer = s.spawn(move || {
            for mut buf in to_write {
                file.write_all(&buf)?;
                buf.clear();
                let _ = done.send(buf);
            }
            file.sync_all()
        });
        let mut out = Out { full, recycled, buf: codec::header(MAGIC).to_vec(), bytes: 0 };
        let encoded = encode(&mut out, kv, snap, graph).and_then(|()| out.drain());
        let bytes = out.bytes;
        // Closing the channel lets the writer finish; its error comes first.
        drop(out);
        writer.join().unwrap_or_else(|_| Err(std::io::Error::other("the snapshot writer panicked")))?;
        encoded.map(|()| bytes)
    })
}

/// Encodes the image of `kv` and `snap` into `out`'s blocks.
fn encode(out: &mut Out, kv: &Kv, snap: &Snapshot, graph: &Graph) -> std::io::Result<()> {
    let mut kv_count = 0u64;
    let mut start: Vec<u8> = Vec::new();
    loop {
        let mut block = Vec::new();
        let mut n = 0u64;
        let mut last: Option<Vec<u8>> = None;
        kv.visit_entries(&start, |k, v, exp| {
            block.bytes(k);
            block.bytes(v);
            block.var(exp);
            n += 1;
            if block.len() < BLOCK {
                return ControlFlow::Continue(());
            }
            last = Some(k.to_vec());
            ControlFlow::Break(())
        });
        if n > 0 {
            kv_count += n;
            out.block(|o| {
                o.u8(KV);
                o.var(n);
                o.extend_from_slice(&block);
            })?;
        }
        match last {
            Some(mut k) => {
                k.push(0);
                start = k;
            }
            None => break,
        }
    }
    let node_count = snap.node_count();
    for first in (0..node_count).step_by(NODES_PER_BLOCK as usize) {
        let count = NODES_PER_BLOCK.min(node_count - first);
        let mut block = Vec::new();
        snap.node_images(first, first + count - 1, |id, node| {
            if !snap.contains_node(id) {
                block.u8(0);
                return;
            }
            block.u8(1);
            block.bytes(node.created.as_bytes());
            block.var(node.labels.len() as u64);
            node.labels.iter().for_each(|l| block.bytes(l.as_bytes()));
            block.var(node.properties.len() as u64);
            for (name, value) in node.properties {
                block.bytes(name.as_bytes());
                block.bytes(value);
            }
        });
        out.block(|o| {
            o.u8(NODES);
            o.var(first);
            o.var(count);
            o.extend_from_slice(&block);
        })?;
    }
    // Edges straight from the snapshot's CSR in one pass, each type's
    // gathered in a block-sized run written out as it fills.
    let view = snap.view();
    let alive = |v: u64| view.alive.get(v as usize).copied().unwrap_or(false);
    let mut runs: Vec<Option<EdgeRun>> = Vec::new();
    let mut edge_count = 0u64;
    for u in 0..view.out.node_count() {
        if !alive(u as u64) {
            continue;
        }
        for i in view.out.range(u) {
            if !alive(view.out.targets[i]) {
                continue;
            }
            let ty = view.out.types[i] as usize;
            if runs.len() <= ty {
                runs.resize_with(ty + 1, || None);
            }
            let run = runs[ty].get_or_insert_with(|| EdgeRun::new(snap.type_name(ty as u32)));
            run.src.push(u as u64);
            run.dst.push(view.out.targets[i]);
            run.weights.push(view.out.weights[i]);
            run.ids.push(view.out.ids[i]);
            edge_count += 1;
            if run.src.len() == EDGES_PER_BLOCK {
                run.write(out)?;
            }
        }
    }
    for run in runs.iter_mut().flatten() {
        run.write(out)?;
    }
    let rels = snap.rels_with_properties();
    for chunk in rels.chunks(4096) {
        out.block(|o| {
            o.u8(REL_PROPS);
            o.var(chunk.len() as u64);
            for &rel in chunk {
                let props = snap.rel_properties(rel);
                o.var(rel);
                o.var(props.len() as u64);
                for (name, value) in &props {
                    o.bytes(name.as_bytes());
                    o.bytes(&value.encode());
                }
            }
        })?;
    }
    let indexes = graph.indexes();
    // Read after the snapshot: above every id it holds.
    let next_ids = graph.next_rel_ids();
    out.block(|o| {
        o.u8(INDEXES);
        o.var(indexes.len() as u64);
        for (l, p) in &indexes {
            o.bytes(l.as_bytes());
            o.bytes(p.as_bytes());
        }
    })?;
    out.block(|o| {
        o.u8(END);
        o.var(kv_count);
        o.var(node_count);
        o.var(edge_count);
        o.var(next_ids.0);
        o.var(next_ids.1);
    })?;
    Ok(())
}

/// What loading a snapshot restored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Loaded {
    pub kv: u64,
    pub nodes: u64,
    pub edges: u64,
}

/// Loads the snapshot `data` (the whole file at `path`) into the empty
/// `kv` and `graph`, dropping KV values expired at `now_ms`.
pub(crate) fn load(path: &Path, data: &[u8], kv: &mut Kv, graph: &Graph, now_ms: u64) -> Result<Loaded> {
    codec::check_header(path, data, MAGIC)?;
    let mut frames = Frames::new(path, data);
    let mut got = Loaded::default();
    // The KV entries of every KV block (in key order), built in one go at the end.
    let mut entries: Vec<(&[u8], &[u8], u64)> = Vec::new();
    let mut edges = Restored::default();
    let mut restored = false;
    let mut indexes = Vec::new();
    loop {
        let (payload, at) = match frames.next_frame()? {
            Next::Frame(p, at) => (p, at),
            Next::End | Next::Torn(_) => {
                return Err(codec::damaged(path, data.len(), "snapshot ends before its end block (incomplete file)"));
            }
        };
        let bad = |m: Malformed| codec::damaged(path, at, m);
        let failed = |e: Error| codec::damaged(path, at, format!("block does not load: {}", e.message()));
        let g = &mut Get::new(payload);
        let block = g.u8().map_err(bad)?;
        if matches!(block, REL_PROPS | INDEXES | END) && !restored {
            // Every relationship block came before: restore them in one
            // build, so that their properties find them.
            restored = true;
            got.edges = edges.src.len() as u64;
            let r = &edges;
            graph.restore_relationships(&r.names, (&r.src, &r.dst, &r.types), &r.weights, &r.ids).map_err(failed)?;
        }
        match block {
            KV => {
                let n = g.len().map_err(bad)?;
                for _ in 0..n {
                    let (k, v, exp) = (g.bytes().map_err(bad)?, g.bytes().map_err(bad)?, g.var().map_err(bad)?);
                    if exp == 0 || exp > now_ms {
                        entries.push((k, v, exp));
                    }
                }
                got.kv += n as u64;
            }
            NODES => load_nodes(g, graph, got.nodes).map_err(|e| match e {
                NodeError::Malformed(m) => bad(m),
                NodeError::Load(e) => failed(e),
            })?,
            EDGES if restored => return Err(bad("a relationship block after the relationships' properties".into())),
            EDGES => {
                edges.block(g).map_err(bad)?;
            }
            REL_PROPS => {
                for _ in 0..g.len().map_err(bad)? {
                    let rel = g.var().map_err(bad)?;
                    for _ in 0..g.len().map_err(bad)? {
                        let name = g.str().map_err(bad)?;
                        let v = Value::decode(g.bytes().map_err(bad)?).map_err(|e| bad(format!("bad value: {e}")))?;
                        graph.set_rel_property(rel, name, v).map_err(failed)?;
                    }
                }
            }
            INDEXES => {
                for _ in 0..g.len().map_err(bad)? {
                    indexes.push((g.str().map_err(bad)?.to_string(), g.str().map_err(bad)?.to_string()));
                }
            }
            END => {
                let (k, n, e) = (g.var().map_err(bad)?, g.var().map_err(bad)?, g.var().map_err(bad)?);
                let next_ids = (g.var().map_err(bad)?, g.var().map_err(bad)?);
                g.finish().map_err(bad)?;
                kv.fill_sorted(entries.drain(..)).map_err(failed)?;
                got.nodes = graph.snapshot().node_count();
                graph.reserve_rel_ids(next_ids);
                for (l, p) in &indexes {
                    graph.create_index(l, p).map_err(failed)?;
                }
                if (k, n, e) != (got.kv, got.nodes, got.edges) {
                    return Err(bad(format!(
                        "end block counts {k} entries, {n} nodes, {e} edges; the file holds {}, {}, {}",
                        got.kv, got.nodes, got.edges
                    )));
                }
                if !matches!(frames.next_frame()?, Next::End) {
                    return Err(codec::damaged(path, at, "data after the end block"));
                }
                return Ok(got);
            }
            t => return Err(bad(format!("unknown block type {t}"))),
        }
        g.finish().map_err(bad)?;
    }
}

/// The relationships of the snapshot's blocks, gathered for one bulk load.
#[derive(Default)]
struct Restored {
    names: Vec<String>,
    src: Vec<u64>,
    dst: Vec<u64>,
    types: Vec<u32>,
    weights: Vec<f64>,
    ids: Vec<u64>,
}

impl Restored {
    /// Adds the relationships of one block.
    fn block(&mut self, g: &mut Get<'_>) -> Result<(), Malformed> {
        let name = g.str()?;
        let ty = match self.names.iter().position(|n| n == name) {
            Some(t) => t,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        } as u32;
        let n = g.len()?;
        for column in [&mut self.src, &mut self.dst] {
            for _ in 0..n {
                column.push(g.u64()?);
            }
        }
        for _ in 0..n {
            self.weights.push(g.f64()?);
        }
        for _ in 0..n {
            self.ids.push(g.u64()?);
        }
        self.types.extend(std::iter::repeat_n(ty, n));
        Ok(())
    }
}

enum NodeError {
    Malformed(Malformed),
    Load(Error),
}

impl From<Malformed> for NodeError {
    fn from(m: Malformed) -> Self {
        NodeError::Malformed(m)
    }
}

impl From<Error> for NodeError {
    fn from(e: Error) -> Self {
        NodeError::Load(e)
    }
}

/// One node of a node block.
struct NodeImage<'a> {
    created: &'a str,
    labels: Vec<&'a str>,
    props: Vec<(&'a str, Value)>,
}

/// Creates the nodes of one block (ids from `next`), in runs of one label.
fn load_nodes(g: &mut Get<'_>, graph: &Graph, next: u64) -> Result<(), NodeError> {
    let (first, count) = (g.var()?, g.var()?);
    let have = graph.snapshot().node_count();
    if first != have || next > have {
        return Err(NodeError::Malformed(format!("node block starts at id {first}, expected {have}")));
    }
    let mut nodes: Vec<Option<NodeImage<'_>>> = Vec::new();
    for _ in 0..count {
        if g.u8()? == 0 {
            nodes.push(None);
            continue;
        }
        let created = g.str()?;
        let labels = (0..g.len()?).map(|_| g.str()).collect::<Result<Vec<_>, _>>()?;
        let mut props = Vec::new();
        for _ in 0..g.len()? {
            let name = g.str()?;
            let v = Value::decode(g.bytes()?).map_err(|e| format!("bad property value: {e}"))?;
            props.push((name, v));
        }
        nodes.push(Some(NodeImage { created, labels, props }));
    }
    fn label_of<'a>(n: &Option<NodeImage<'a>>) -> &'a str {
        n.as_ref().map_or("", |n| n.created)
    }
    let mut i = 0;
    while i < nodes.len() {
        let label = label_of(&nodes[i]);
        let run = nodes[i..].iter().take_while(|n| label_of(n) == label).count();
        graph.add_nodes(run as u64, (!label.is_empty()).then_some(label))?;
        i += run;
    }
    for (id, node) in (first..).zip(&nodes) {
        match node {
            None => graph.remove_node(id)?,
            Some(n) => {
                for l in n.labels.iter().filter(|l| **l != n.created) {
                    graph.add_label(id, l)?;
                }
                if !n.created.is_empty() && !n.labels.contains(&n.created) {
                    // Created with a label it no longer has: the creation label still ranks first if re-added.
                    graph.remove_label(id, n.created)?;
                }
                for (name, v) in &n.props {
                    graph.set_property_value(id, name, v.clone())?;
                }
            }
        }
    }
    Ok(())
}
