//! One client connection: read what arrived, run every complete request in
//! it, write all their replies together (pipelining), repeat.

use crate::cmd;
use crate::frame::Reply;
use crate::parse::Parser;
use crate::server::{ClientInfo, Server, Session};
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Replies pending beyond this many bytes are written out before the rest
/// of a pipeline runs, so a long pipeline does not pile up its replies.
const FLUSH_AT: usize = 1 << 20;
/// Buffers that grew beyond this are given back once idle.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Whether a client from `peer` must be refused: protected mode on, no
/// password, and a peer that is not loopback.
pub fn refused_by_protected_mode(srv: &Server, peer: &SocketAddr) -> bool {
    let c = srv.config.read();
    c.protected_mode && c.requirepass.is_none() && !peer.ip().is_loopback() && !is_mapped_loopback(peer)
}

fn is_mapped_loopback(peer: &SocketAddr) -> bool {
    matches!(peer, SocketAddr::V6(a) if a.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
}

/// The reply a protected-mode refusal gets before the connection closes.
pub const DENIED: &str = "-DENIED kvgraph-server is running in protected mode because protected mode is enabled and \
no password is set for the default user. In this mode connections are only accepted from the loopback interface. \
Set a password with --requirepass, or bind explicitly and disable protected mode with --protected-mode no.\r\n";

/// Serves one accepted connection until it closes, errs or the server shuts down.
pub async fn serve(srv: Arc<Server>, mut stream: TcpStream, peer: SocketAddr, local: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let id = srv.next_client_id();
    let needs_auth = srv.config.read().requirepass.is_some();
    let mut sess = Session { id, authenticated: !needs_auth, ..Session::default() };
    if needs_auth {
        srv.unauthenticated.fetch_add(1, Ordering::Relaxed);
    }
    let info = ClientInfo {
        addr: peer,
        laddr: local,
        since: Instant::now(),
        name: Vec::new(),
        lib_name: Vec::new(),
        lib_ver: Vec::new(),
        resp: 2,
    };
    srv.clients.lock().insert(id, info);
    let _ = run(&srv, &mut stream, &mut sess).await;
    if !sess.authenticated {
        srv.unauthenticated.fetch_sub(1, Ordering::Relaxed);
    }
    srv.clients.lock().remove(&id);
}

async fn run(srv: &Server, stream: &mut TcpStream, sess: &mut Session) -> std::io::Result<()> {
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut parser = Parser::new();
    let mut out = Reply::default();
    let mut shutdown = srv.shutdown_signal();
    while !sess.closing {
        if input.capacity() - input.len() < 4096 && !parser.in_request() && input.len() < KEEP_CAPACITY {
            input.reserve(16 * 1024);
        }
        tokio::select! {
            r = stream.read_buf(&mut input) => if r? == 0 { return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        }
        let (limits, output_limit) = {
            let c = srv.config.read();
            (c.limits, c.output_limit)
        };
        // Replies in `out` (one per request).
        let mut replies = 0;
        loop {
            let was_authenticated = sess.authenticated;
            match parser.next(&mut input, &limits, sess.authenticated) {
                Ok(Some(args)) => {
                    cmd::dispatch(srv, sess, &mut out, &args);
                    replies += 1;
                    if sess.authenticated != was_authenticated {
                        if sess.authenticated {
                            srv.unauthenticated.fetch_sub(1, Ordering::Relaxed);
                        } else {
                            srv.unauthenticated.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if sess.closing {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    settle(srv, sess, &mut out, replies);
                    out.error(&e.to_string());
                    stream.write_all(&out.buf).await?;
                    return linger(stream).await;
                }
            }
            if out.buf.len() > output_limit {
                // The client's replies outgrew the output buffer limit: drop it.
                return Ok(());
            }
            if out.buf.len() >= FLUSH_AT {
                settle(srv, sess, &mut out, replies);
                stream.write_all(&out.buf).await?;
                out.buf.clear();
                replies = 0;
            }
        }
        if !out.buf.is_empty() {
            settle(srv, sess, &mut out, replies);
            stream.write_all(&out.buf).await?;
            out.buf.clear();
        }
        if out.buf.capacity() > KEEP_CAPACITY {
            out.buf = Vec::new();
        }
        if input.is_empty() && input.capacity() > KEEP_CAPACITY {
            input = BytesMut::with_capacity(16 * 1024);
        }
    }
    stream.flush().await
}

/// Under `appendfsync always`, makes the writes behind the `replies`
/// pending in `out` durable before they go out; if that fails, each of them
/// becomes the `MISCONF` error instead (the connection stays up).
fn settle(srv: &Server, sess: &mut Session, out: &mut Reply, replies: usize) {
    if !std::mem::take(&mut sess.unsynced) {
        return;
    }
    if let Err(e) = srv.store.engine().sync() {
        out.buf.clear();
        let msg = cmd::misconf(&e.to_string());
        for _ in 0..replies {
            out.error(&msg);
        }
    }
}

/// Closes after a protocol error so that the client can read the error:
/// shuts the write side, then discards what the client still sends for a
/// moment (closing with unread input would reset the connection and could
/// destroy the error reply before the client reads it).
async fn linger(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.shutdown().await?;
    let mut sink = [0u8; 16 * 1024];
    let drain = async {
        let mut left = 1usize << 20;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_millis(200), drain).await;
    Ok(())
}
