//! Real threads through the command layer (no network): `EXEC` is atomic
//! and isolated (readers never see half a transaction), `WATCH` retries
//! lose no update, and single commands on shared hashes are atomic.

use kvgraph_server::cmd::dispatch;
use kvgraph_server::config::Config;
use kvgraph_server::frame::Reply;
use kvgraph_server::server::{Server, Session};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

struct Client {
    srv: Arc<Server>,
    sess: Session,
    out: Reply,
}

impl Client {
    fn new(srv: &Arc<Server>) -> Self {
        Client {
            srv: Arc::clone(srv),
            sess: Session { authenticated: true, ..Session::default() },
            out: Reply::default(),
        }
    }

    /// Runs one command and returns its raw RESP2 reply.
    fn call(&mut self, words: &[&str]) -> String {
        let args: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        dispatch(&self.srv, &mut self.sess, &mut self.out, &args);
        let r = String::from_utf8_lossy(&self.out.buf).into_owned();
        self.out.buf.clear();
        r
    }
}

#[test]
fn readers_never_see_half_a_transaction() {
    let srv = Server::new(Config::default());
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let srv = Arc::clone(&srv);
            thread::spawn(move || {
                let mut c = Client::new(&srv);
                for _ in 0..2000 {
                    c.call(&["MULTI"]);
                    c.call(&["INCR", "a"]);
                    c.call(&["HINCRBY", "h", "b", "1"]);
                    assert!(c.call(&["EXEC"]).starts_with("*2\r\n"));
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (srv, stop) = (Arc::clone(&srv), Arc::clone(&stop));
            thread::spawn(move || {
                let mut c = Client::new(&srv);
                let mut checks = 0;
                while !stop.load(Ordering::Relaxed) || checks == 0 {
                    // Both reads inside one transaction see one state.
                    c.call(&["MULTI"]);
                    c.call(&["GET", "a"]);
                    c.call(&["HGET", "h", "b"]);
                    let r = c.call(&["EXEC"]);
                    // Before the first write commits both are nil (`$-1`).
                    let values: Vec<&str> = r
                        .split("\r\n")
                        .filter(|l| {
                            !l.is_empty() && !l.starts_with('*') && (l.starts_with("$-1") || !l.starts_with('$'))
                        })
                        .collect();
                    assert_eq!(values.len(), 2, "two replies: {r:?}");
                    assert_eq!(values[0], values[1], "torn transaction: {r:?}");
                    checks += 1;
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let mut c = Client::new(&srv);
    assert_eq!(c.call(&["GET", "a"]), "$4\r\n6000\r\n");
    assert_eq!(c.call(&["HGET", "h", "b"]), "$4\r\n6000\r\n");
}

#[test]
fn watch_retries_lose_no_update() {
    let srv = Server::new(Config::default());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let srv = Arc::clone(&srv);
            thread::spawn(move || {
                let mut c = Client::new(&srv);
                let mut done = 0;
                while done < 500 {
                    c.call(&["WATCH", "n"]);
                    let cur = c.call(&["GET", "n"]);
                    let n: i64 = cur.split("\r\n").nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                    c.call(&["MULTI"]);
                    c.call(&["SET", "n", &(n + 1).to_string()]);
                    if c.call(&["EXEC"]) != "*-1\r\n" {
                        done += 1;
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(Client::new(&srv).call(&["GET", "n"]), "$4\r\n2000\r\n");
}

#[test]
fn concurrent_hash_and_set_writes_keep_counts_exact() {
    let srv = Server::new(Config::default());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let srv = Arc::clone(&srv);
            thread::spawn(move || {
                let mut c = Client::new(&srv);
                for i in 0..500 {
                    let f = format!("f{t}-{i}");
                    c.call(&["HSET", "h", &f, "v", "shared", "x"]);
                    c.call(&["SADD", "s", &f, "common"]);
                    c.call(&["RPUSH", "l", &f]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = Client::new(&srv);
    assert_eq!(c.call(&["HLEN", "h"]), ":2001\r\n");
    assert_eq!(c.call(&["SCARD", "s"]), ":2001\r\n");
    assert_eq!(c.call(&["LLEN", "l"]), ":2000\r\n");
    assert!(c.call(&["HGETALL", "h"]).starts_with("*4002\r\n"));
    assert!(c.call(&["LRANGE", "l", "0", "-1"]).starts_with("*2000\r\n"));
}
