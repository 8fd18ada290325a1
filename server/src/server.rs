//! State shared by all connections (the keyspace, settings, clients,
//! counters) and the state of one client session.

use crate::cmd::graph::Graphs;
use crate::config::Config;
use crate::store::Store;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::watch;

/// Counters for `INFO stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (`maxclients`, protected mode).
    pub rejected: AtomicU64,
    /// Requests processed.
    pub commands: AtomicU64,
}

/// What `CLIENT LIST` shows about a connection.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// When it connected.
    pub since: Instant,
    /// `CLIENT SETNAME`.
    pub name: Vec<u8>,
    /// `CLIENT SETINFO LIB-NAME`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO LIB-VER`.
    pub lib_ver: Vec<u8>,
    /// Protocol version.
    pub resp: u8,
}

/// The server: one keyspace over one engine, shared by every connection.
pub struct Server {
    /// The keyspace.
    pub store: Store,
    /// The named graphs (`GRAPH.*`), each on its own engine.
    pub graphs: Graphs,
    /// Settings (some changeable by `CONFIG SET`).
    pub config: RwLock<Config>,
    /// Connected clients by id.
    pub clients: Mutex<BTreeMap<u64, ClientInfo>>,
    /// Clients connected now.
    pub connected: AtomicUsize,
    /// Clients connected now that have not authenticated.
    pub unauthenticated: AtomicUsize,
    next_id: AtomicU64,
    /// Counters.
    pub stats: Stats,
    /// When the server started.
    pub started: Instant,
    shutdown: watch::Sender<bool>,
}

impl Server {
    /// A server with `config` over a fresh engine.
    pub fn new(config: Config) -> Arc<Self> {
        Arc::new(Server {
            store: Store::default(),
            graphs: Graphs::default(),
            config: RwLock::new(config),
            clients: Mutex::new(BTreeMap::new()),
            connected: AtomicUsize::new(0),
            unauthenticated: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            stats: Stats::default(),
            started: Instant::now(),
            shutdown: watch::channel(false).0,
        })
    }

    /// A fresh client id.
    pub fn next_client_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Asks the server to shut down (`SHUTDOWN`, `SIGTERM`).
    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A receiver that sees `true` once shutdown is requested.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Updates the registry entry of client `id`.
    pub fn update_client(&self, id: u64, f: impl FnOnce(&mut ClientInfo)) {
        if let Some(c) = self.clients.lock().get_mut(&id) {
            f(c);
        }
    }
}

/// A key a client watches, with what `EXEC` compares.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The key.
    pub key: Vec<u8>,
    /// Its slot's write version at `WATCH`.
    pub version: u64,
    /// Whether it was live at `WATCH` (its expiring since aborts `EXEC`).
    pub live: bool,
}

/// One client's connection state.
#[derive(Debug, Default)]
pub struct Session {
    /// Client id.
    pub id: u64,
    /// Whether the client may run commands (always, without `requirepass`).
    pub authenticated: bool,
    /// Commands queued since `MULTI`, if inside one.
    pub multi: Option<Vec<Vec<Vec<u8>>>>,
    /// Whether a command was refused while queueing (`EXEC` then aborts).
    pub multi_error: bool,
    /// Keys watched for the next `EXEC`.
    pub watched: Vec<Watched>,
    /// Close the connection once the current replies are written.
    pub closing: bool,
}

impl Session {
    /// Marks the open transaction as failed (a queued command was refused).
    pub fn flag_multi_error(&mut self) {
        if self.multi.is_some() {
            self.multi_error = true;
        }
    }

    /// Leaves `MULTI` and forgets watched keys.
    pub fn end_multi(&mut self) {
        self.multi = None;
        self.multi_error = false;
        self.watched.clear();
    }
}
