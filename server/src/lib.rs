//! kvgraph-server: the kvgraph engine over the Redis protocol (RESP2 and
//! RESP3), so that Redis clients work against it unchanged.
//!
//! Layout, after tokio's mini-redis: [`parse`] reads requests, [`frame`]
//! writes replies, [`connection`] runs one client, [`cmd`] holds the command
//! table with one module per command family, [`store`] maps Redis keys onto
//! the engine's ordered KV map, [`glob`] matches `KEYS`/`SCAN` patterns,
//! [`persist`] keeps the data across restarts when asked to.

pub mod cmd;
pub mod config;
pub mod connection;
pub mod frame;
pub mod glob;
pub mod listener;
pub mod parse;
pub mod persist;
pub mod server;
pub mod store;
pub mod striped;
