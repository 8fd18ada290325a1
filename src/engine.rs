//! The engine: one memory manager, one KV map, one graph.

use crate::graph::{CompactionPolicy, Graph};
use crate::kv::{Clock, Kv};
use crate::mem::{MemoryManager, MemoryStats};
use std::sync::Arc;

/// Settings of an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// When the graph compacts its delta by itself.
    pub compaction: CompactionPolicy,
    /// Time source for KV expiry.
    pub clock: Clock,
}

/// An embedded key-value and graph engine. `Send + Sync`: share it between
/// threads by reference or in an `Arc`. Dropping it frees everything.
pub struct Engine {
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

    /// An empty engine with `config`.
    pub fn with_config(config: Config) -> Self {
        let mem = Arc::new(MemoryManager::new());
        Engine {
            kv: Kv::new(Arc::clone(&mem), config.clock),
            graph: Graph::new(Arc::clone(&mem), config.compaction),
            mem,
        }
    }

    /// The key-value map.
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The property graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
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
