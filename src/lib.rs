//! kvgraph: an embedded, concurrent in-memory engine holding an ordered
//! key-value map and a property graph in one process, on one epoch-based
//! memory manager.
//!
//! ```
//! let engine = kvgraph::Engine::new();
//! engine.kv().set(b"user:1", b"Ada");
//! assert_eq!(engine.kv().get(b"user:1").as_deref(), Some(&b"Ada"[..]));
//!
//! let g = engine.graph();
//! let a = g.add_node(Some("Person")).unwrap();
//! let b = g.add_node(Some("Person")).unwrap();
//! g.add_edge(a, b, Some("FRIEND"), 1.0).unwrap();
//! let snap = g.snapshot();
//! assert_eq!(snap.bfs(a).unwrap(), vec![0, 1]);
//! ```

#![warn(missing_docs)]

mod durability;
mod engine;
mod error;
pub mod ffi;
pub mod graph;
pub mod kv;
mod map;
pub mod mem;
pub mod query;
mod sync;
pub mod temporal;
pub mod value;

#[cfg(all(test, loom))]
mod loom_tests;

/// With the `mimalloc` feature, the allocator of every Rust allocation in
/// the program (the C library and the Python package build with it: glibc's
/// malloc spends a third of a Cypher load's time consolidating free lists).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use durability::{Fsync, Recovery, SavePolicy};
pub use engine::{Config, Engine};
pub use error::{Error, ErrorKind, Result};
pub use graph::{Counted, Direction, Graph, GraphStats, Snapshot, WriteStats};
pub use kv::{Clock, Kv, KvIter};
pub use mem::MemoryStats;
pub use query::{Params, QueryResult, QueryValue};
pub use temporal::{Duration, Temporal, TemporalKind};
pub use value::{DecodeError, Value};
