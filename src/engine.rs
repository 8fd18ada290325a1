//! The engine: one memory manager, one KV map, one graph, and optionally
//! the durability layer persisting them in a directory.

use crate::durability::{Durable, Fsync, Recovery, SavePolicy};
use crate::error::{Error, Result};
use crate::graph::{CompactionPolicy, Graph};
use crate::kv::{Clock, Kv};
use crate::mem::{MemoryManager, MemoryStats};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings of an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// When the graph compacts its delta by itself.
    pub compaction: CompactionPolicy,
    /// Time source for KV expiry.
    pub clock: Clock,
    /// The directory the engine persists to (`None`: purely in memory).
    pub path: Option<PathBuf>,
    /// When the log is synced (with a `path`).
    pub fsync: Fsync,
    /// When a snapshot is saved by itself (with a `path`).
    pub save: SavePolicy,
}

/// An embedded key-value and graph engine. `Send + Sync`: share it between
/// threads by reference or in an `Arc`. Dropping it frees everything (and,
/// for a durable engine, flushes its log and releases its directory).
pub struct Engine {
    // Dropped first: stops the durability threads before the map and graph go.
    durable: Option<Durable>,
    mem: Arc<MemoryManager>,
    kv: Kv,
    graph: Graph,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An empty engine with the default [`Config`].
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An engine with `config`. With a `path`, this is [`Engine::try_with_config`]
    /// and panics if the directory cannot be opened; prefer that or [`Engine::open`].
    pub fn with_config(config: Config) -> Self {
        match Self::try_with_config(config) {
            Ok(e) => e,
            Err(e) => panic!("cannot open the engine's directory: {e}"),
        }
    }

    /// An engine with `config`: empty without a `path`; with one, the
    /// directory's contents recovered (newest snapshot, then the log after
    /// it) and every later acknowledged write logged under `config.fsync`.
    ///
    /// Errors (`ErrorKind::Io`): the directory cannot be created or read, is
    /// locked by another engine, or holds a damaged file (the message names
    /// the file and byte offset). A torn last log record is cut off, not an
    /// error ([`Engine::recovery`] reports it).
    pub fn try_with_config(config: Config) -> Result<Self> {
        let mem = Arc::new(MemoryManager::new());
        let mut kv = Kv::new(Arc::clone(&mem), config.clock);
        let graph = Graph::new(Arc::clone(&mem), config.compaction);
        let durable = match &config.path {
            Some(dir) => Some(Durable::open(dir, config.fsync, config.save, &mut kv, &graph)?),
            None => None,
        };
        Ok(Engine { durable, mem, kv, graph })
    }

    /// An engine persisting to the directory `path` with the default settings
    /// (`Fsync::EverySec`, Redis's save rules); see [`Engine::try_with_config`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::try_with_config(Config { path: Some(path.as_ref().to_path_buf()), ..Config::default() })
    }

    /// Writes a snapshot of the KV map and the graph now, without stopping
    /// readers or writers, and truncates the log; returns its size in bytes.
    /// `InvalidArgument` for an engine without a path; `Io` if it cannot be written.
    pub fn save(&self) -> Result<u64> {
        self.durable()?.save()
    }

    /// Writes and syncs every write logged so far, whatever the fsync policy.
    pub fn sync(&self) -> Result<()> {
        self.durable()?.sync()
    }

    /// What opening the directory recovered (`None` without a path).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.durable.as_ref().map(|d| d.recovery())
    }

    fn durable(&self) -> Result<&Durable> {
        self.durable.as_ref().ok_or_else(|| Error::invalid("the engine has no path: it is purely in memory"))
    }

    /// The key-value map.
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The property graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Runs the openCypher query `text` with `params`: reads on a snapshot,
    /// writes counted in the result's statistics. Errors name their
    /// openCypher category (`SyntaxError: … at line:column`, `TypeError: …`).
    pub fn query(&self, text: &str, params: &crate::query::Params) -> crate::Result<crate::query::QueryResult> {
        crate::query::run(&self.graph, text, params)
    }

    /// [`query`](Self::query) with a time limit: a query still running after
    /// `timeout` stops with `TimeoutError: Query timed out after N ms`, and a
    /// write query is rolled back. Pattern matching and expressions check
    /// the clock; a procedure's kernel (`CALL algo.pageRank()`) runs to its end.
    pub fn query_with_timeout(
        &self,
        text: &str,
        params: &crate::query::Params,
        timeout: std::time::Duration,
    ) -> crate::Result<crate::query::QueryResult> {
        crate::query::run_with_timeout(&self.graph, text, params, Some(timeout))
    }

    /// Bytes retired to and freed by the shared memory manager.
    pub fn memory_stats(&self) -> MemoryStats {
        self.mem.stats()
    }

    /// Reclaims expired KV entries and lets the memory manager free the
    /// garbage no thread can still see. Never required for correctness.
    pub fn maintain(&self) {
        self.kv.maintain();
        self.graph.maintain();
        self.mem.collect();
    }
}
