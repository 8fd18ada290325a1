//! State shared by all connections (the keyspace, settings, clients,
//! counters) and the state of one client session.

use crate::cmd::graph::Graphs;
use crate::config::{Config, fsync_policy};
use crate::persist::Persistence;
use crate::store::Store;
use crate::striped::Counter;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;
use tokio::sync::watch;

/// Counters for `INFO stats`.
#[derive(Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (`maxclients`, protected mode).
    pub rejected: AtomicU64,
    /// Requests processed.
    pub commands: Counter,
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
    /// Persistence state; `None`: everything stays in memory.
    pub persist: Option<Persistence>,
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
    /// This server, for work that outlives a command (`BGSAVE`).
    pub(crate) me: Weak<Server>,
}

impl Server {
    /// A server with `config` over a fresh in-memory engine (whatever
    /// `config` says about persistence; see [`Server::open`]).
    pub fn new(config: Config) -> Arc<Self> {
        Self::build(config, Store::default(), Graphs::default(), None)
    }

    /// A server with `config`: with persistence on (`appendonly yes` or
    /// `save` rules), its keyspace and graphs are loaded from and logged to
    /// `config.dir` (`kv/`, `graphs/`) and the `save` rules run; otherwise
    /// as [`Server::new`]. Errors: the directory cannot be created, read or
    /// locked (another server uses it), or holds damaged files.
    pub fn open(config: Config) -> Result<Arc<Self>, String> {
        if !config.persistent() {
            return Ok(Self::new(config));
        }
        let dir = std::path::absolute(&config.dir)
            .map_err(|e| format!("cannot resolve dir {}: {e}", config.dir.display()))?;
        // `always` is kept by syncing before replies (see `Persistence::always`).
        let always = config.appendfsync == "always";
        let fsync = if always { kvgraph::Fsync::EverySec } else { fsync_policy(&config.appendfsync) };
        let engine = kvgraph::Engine::try_with_config(kvgraph::Config {
            path: Some(dir.join("kv")),
            fsync,
            save: kvgraph::SavePolicy { rules: Vec::new() },
            ..kvgraph::Config::default()
        })
        .map_err(|e| format!("cannot open the keyspace in {}: {e}", dir.join("kv").display()))?;
        let store = Store::open(engine).map_err(|e| format!("cannot open the keyspace: {e}"))?;
        let graphs = Graphs::open(dir.join("graphs"), fsync)?;
        let persist = Persistence::new(dir, always, config.save_rules());
        let srv = Self::build(config, store, graphs, Some(persist));
        crate::persist::start_rules(&srv).map_err(|e| format!("cannot start the save-rules thread: {e}"))?;
        Ok(srv)
    }

    fn build(config: Config, store: Store, graphs: Graphs, persist: Option<Persistence>) -> Arc<Self> {
        Arc::new_cyclic(|me| Server {
            persist,
            me: me.clone(),
            store,
            graphs,
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
    /// Writes whose replies must wait for a sync (`appendfsync always`).
    pub unsynced: bool,
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
