//! Listening sockets, the accept loop (`maxclients`, protected mode), the
//! worker threads and graceful shutdown.
//!
//! Thread per core: one acceptor hands each connection, round robin, to a
//! worker thread running its own single-threaded runtime, which serves it
//! for its whole life. A connection's reads, commands and writes thus stay on
//! one thread with no task migration or cross-thread wake-ups (a
//! work-stealing runtime measured about half as fast on request/response
//! traffic here); all workers share the one keyspace.

use crate::connection::{self, DENIED};
use crate::server::Server;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// A connection handed from the acceptor to a worker.
pub type Handoff = (std::net::TcpStream, std::net::SocketAddr);

/// Where the acceptor hands a worker its connections.
pub type Inbox = mpsc::UnboundedSender<Handoff>;

/// Stack of each worker thread.
const WORKER_STACK: usize = 64 << 20;

/// Starts `n` worker threads; returns their inboxes and join handles.
pub fn start_workers(srv: &Arc<Server>, n: usize) -> std::io::Result<(Vec<Inbox>, Vec<std::thread::JoinHandle<()>>)> {
    let (mut inboxes, mut threads) = (Vec::new(), Vec::new());
    for i in 0..n.max(1) {
        let (tx, rx) = mpsc::unbounded_channel();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let srv = Arc::clone(srv);
        let t = std::thread::Builder::new()
            .name(format!("kvgraph-worker-{i}"))
            // Cypher parsing and evaluation recurse on nested expressions
            // (bounded by the graph commands' nesting check); reserved, not
            // committed, until used.
            .stack_size(WORKER_STACK)
            .spawn(move || rt.block_on(worker(srv, rx)))?;
        inboxes.push(tx);
        threads.push(t);
    }
    Ok((inboxes, threads))
}

/// A worker: serves the connections it is handed until shutdown, then
/// gives them a moment to finish.
async fn worker(srv: Arc<Server>, mut inbox: mpsc::UnboundedReceiver<Handoff>) {
    let mut shutdown = srv.shutdown_signal();
    loop {
        tokio::select! {
            next = inbox.recv() => {
                let Some((stream, peer)) = next else { break };
                let Ok(stream) = TcpStream::from_std(stream) else {
                    srv.connected.fetch_sub(1, Ordering::AcqRel);
                    continue;
                };
                let local = stream.local_addr().unwrap_or(peer);
                let srv = Arc::clone(&srv);
                tokio::spawn(async move {
                    connection::serve(Arc::clone(&srv), stream, peer, local).await;
                    srv.connected.fetch_sub(1, Ordering::AcqRel);
                });
            }
            _ = shutdown.wait_for(|s| *s) => break,
        }
    }
    drain(&srv).await;
}

/// Waits (at most 2 s) for the connections to close.
async fn drain(srv: &Server) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while srv.connected.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Binds every configured address (`-addr`: optional, skipped if it fails).
pub async fn bind(srv: &Server) -> Result<Vec<TcpListener>, String> {
    let (bind, port) = {
        let c = srv.config.read();
        (c.bind.clone(), c.port)
    };
    let mut listeners = Vec::new();
    for addr in bind {
        let (optional, addr) = match addr.strip_prefix('-') {
            Some(a) => (true, a.to_string()),
            None => (false, addr),
        };
        match TcpListener::bind((addr.as_str(), port)).await {
            Ok(l) => listeners.push(l),
            Err(e) if optional => eprintln!("kvgraph-server: skipping optional bind {addr}:{port}: {e}"),
            Err(e) => return Err(format!("cannot listen on {addr}:{port}: {e}")),
        }
    }
    if listeners.is_empty() {
        return Err("no address to listen on".into());
    }
    Ok(listeners)
}

/// Accepts clients on `listeners`, handing them to `workers` in turn,
/// until shutdown is requested.
pub async fn serve(srv: Arc<Server>, listeners: Vec<TcpListener>, workers: Vec<Inbox>) {
    let workers = Arc::new(workers);
    let mut tasks = JoinSet::new();
    for l in listeners {
        tasks.spawn(accept_loop(Arc::clone(&srv), l, Arc::clone(&workers)));
    }
    let mut shutdown = srv.shutdown_signal();
    let _ = shutdown.wait_for(|s| *s).await;
    tasks.abort_all();
}

async fn accept_loop(srv: Arc<Server>, listener: TcpListener, workers: Arc<Vec<Inbox>>) {
    let mut next = 0usize;
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                eprintln!("kvgraph-server: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        srv.stats.connections.fetch_add(1, Ordering::Relaxed);
        let refusal = if connection::refused_by_protected_mode(&srv, &peer) {
            Some(DENIED)
        } else if srv.connected.load(Ordering::Acquire) >= srv.config.read().maxclients {
            Some("-ERR max number of clients reached\r\n")
        } else {
            None
        };
        if let Some(msg) = refusal {
            srv.stats.rejected.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(msg.as_bytes())).await;
            });
            continue;
        }
        let Ok(stream) = stream.into_std() else { continue };
        srv.connected.fetch_add(1, Ordering::AcqRel);
        next = (next + 1) % workers.len();
        if workers[next].send((stream, peer)).is_err() {
            srv.connected.fetch_sub(1, Ordering::AcqRel); // that worker has stopped: shutting down
        }
    }
}
