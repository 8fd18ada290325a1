//! Persistence through the real binary: a server on a temporary `--dir`
//! is written to, stopped (SHUTDOWN, or SIGKILL) and started again on the
//! same directory, and must serve the same keys, TTLs and graphs; a server
//! killed under load keeps every command and transaction whole. Also the
//! startup errors (a locked or unusable directory) and a full disk (the
//! writes get `MISCONF` errors, the server stays up).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kvgraph-server");

/// A reply, as RESP2 has them.
#[derive(Debug, Clone, PartialEq)]
enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

impl Resp {
    fn text(&self) -> String {
        match self {
            Resp::Simple(s) | Resp::Error(s) => s.clone(),
            Resp::Int(n) => n.to_string(),
            Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Resp::Bulk(None) | Resp::Array(None) => "(nil)".into(),
            Resp::Array(Some(items)) => format!("[{}]", items.iter().map(Resp::text).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// A temporary directory removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("kvgraph-server-persist-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server and one client connection to it.
struct Server {
    child: Child,
    port: u16,
    conn: BufReader<TcpStream>,
    stderr: Arc<Mutex<String>>,
    /// The thread reading stderr (it ends when the server exits).
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Starts `cmd` (a server command line with `--port 0`), waits for its
/// "ready" line and keeps reading its stderr; `Err(stderr)` if it exits first.
fn spawn(mut cmd: Command) -> Result<Server, String> {
    let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let port = loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            child.wait().unwrap();
            return Err(seen);
        }
        seen.push_str(&line);
        if let Some(rest) = line.split("ready to accept connections on 127.0.0.1:").nth(1) {
            break rest.trim().parse::<u16>().unwrap();
        }
    };
    let stderr = Arc::new(Mutex::new(seen));
    let sink = Arc::clone(&stderr);
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    let conn = BufReader::new(TcpStream::connect(("127.0.0.1", port)).unwrap());
    Ok(Server { child, port, conn, stderr, reader: Some(reader) })
}

fn server_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["--port", "0", "--bind", "127.0.0.1", "--dir"]).arg(dir).args(args);
    cmd
}

fn start(dir: &Path, args: &[&str]) -> Server {
    spawn(server_cmd(dir, args)).unwrap_or_else(|e| panic!("the server did not start: {e}"))
}

impl Server {
    fn call(&mut self, args: &[&str]) -> Resp {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.conn.get_mut().write_all(&req).unwrap();
        read(&mut self.conn)
    }

    fn text(&mut self, args: &[&str]) -> String {
        self.call(args).text()
    }

    /// `SHUTDOWN`, then waits for a clean exit.
    fn shutdown(self) -> String {
        self.shutdown_with(&[])
    }

    /// `SHUTDOWN args…`, then waits for a clean exit; returns the server's stderr.
    fn shutdown_with(mut self, args: &[&str]) -> String {
        let mut req = format!("*{}\r\n$8\r\nSHUTDOWN\r\n", args.len() + 1).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        let _ = self.conn.get_mut().write_all(&req);
        req.clear();
        let _ = self.conn.read_to_end(&mut req);
        assert!(self.child.wait().unwrap().success());
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        self.log()
    }

    /// SIGKILL: no chance to flush anything.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the server's stderr has a line containing `what`.
    fn wait_log(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = self.log();
            if log.contains(what) {
                return log;
            }
            assert!(Instant::now() < deadline, "no {what:?} in {log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls `INFO persistence` until `field` has `value`.
    fn wait_info(&mut self, field: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let info = self.text(&["INFO", "persistence"]);
            if info.lines().any(|l| l.trim() == format!("{field}:{value}")) {
                return;
            }
            assert!(Instant::now() < deadline, "{field} never became {value}: {info}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    assert!(l.ends_with("\r\n"), "truncated reply line {l:?}");
    l.truncate(l.len() - 2);
    l
}

fn read(r: &mut BufReader<TcpStream>) -> Resp {
    let l = line(r);
    let (kind, rest) = l.split_at(1);
    match kind {
        "+" => Resp::Simple(rest.into()),
        "-" => Resp::Error(rest.into()),
        ":" => Resp::Int(rest.parse().unwrap()),
        "$" => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                return Resp::Bulk(None);
            }
            let mut b = vec![0; n as usize + 2];
            r.read_exact(&mut b).unwrap();
            b.truncate(n as usize);
            Resp::Bulk(Some(b))
        }
        "*" => {
            let n: i64 = rest.parse().unwrap();
            Resp::Array((n >= 0).then(|| (0..n).map(|_| read(r)).collect()))
        }
        _ => panic!("unexpected reply line {l:?}"),
    }
}

/// Writes one of each kind of data.
fn write_everything(s: &mut Server) {
    assert_eq!(s.text(&["SET", "str", "hello"]), "OK");
    assert_eq!(s.text(&["SET", "ttl", "soon", "EX", "1000"]), "OK");
    assert_eq!(s.text(&["INCRBY", "n", "41"]), "41");
    assert_eq!(s.text(&["HSET", "h", "f1", "v1", "f2", "v2"]), "2");
    assert_eq!(s.text(&["RPUSH", "l", "a", "b", "c"]), "3");
    assert_eq!(s.text(&["SADD", "s", "m1", "m2"]), "2");
    assert_eq!(s.text(&["SET", "gone", "x"]), "OK");
    assert_eq!(s.text(&["DEL", "gone"]), "1");
    let r =
        s.text(&["GRAPH.QUERY", "Social net", "CREATE (:Person {name: 'Ada', born: 1815}), (:Person {name: 'Bob'})"]);
    assert!(r.contains("Nodes created: 2"), "{r}");
    let r = s.text(&["GRAPH.QUERY", "other", "CREATE (:City {name: 'Paris'})"]);
    assert!(r.contains("Nodes created: 1"), "{r}");
    let knows = "MATCH (a:Person {name: 'Ada'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 1833}]->(b)";
    let r = s.text(&["GRAPH.QUERY", "Social net", knows]);
    assert!(r.contains("Relationships created: 1"), "{r}");
}

/// Checks what [`write_everything`] wrote.
fn check_everything(s: &mut Server) {
    assert_eq!(s.text(&["GET", "str"]), "hello");
    let ttl: i64 = s.text(&["TTL", "ttl"]).parse().unwrap();
    assert!(ttl > 0 && ttl <= 1000, "the TTL was not kept: {ttl}");
    assert_eq!(s.text(&["INCR", "n"]), "42");
    assert_eq!(s.text(&["HGETALL", "h"]), "[f1, v1, f2, v2]");
    assert_eq!(s.text(&["LRANGE", "l", "0", "-1"]), "[a, b, c]");
    assert_eq!(s.text(&["SCARD", "s"]), "2");
    assert_eq!(s.text(&["EXISTS", "gone"]), "0");
    assert_eq!(s.text(&["GRAPH.LIST"]), "[Social net, other]");
    let r = s.text(&["GRAPH.RO_QUERY", "Social net", "MATCH (p:Person) RETURN p.name, p.born ORDER BY p.name"]);
    assert!(r.starts_with("[[p.name, p.born], [[Ada, 1815], [Bob, (nil)]]"), "{r}");
    let r = s.text(&["GRAPH.RO_QUERY", "Social net", "MATCH (a)-[k:KNOWS]->(b) RETURN a.name, k.since, b.name"]);
    assert!(r.starts_with("[[a.name, k.since, b.name], [[Ada, 1833, Bob]]"), "{r}");
    let r = s.text(&["GRAPH.RO_QUERY", "other", "MATCH (c:City) RETURN c.name"]);
    assert!(r.starts_with("[[c.name], [[Paris]]"), "{r}");
    // A new collection must not pick up elements of a stored one.
    assert_eq!(s.text(&["HSET", "h2", "x", "1"]), "1");
    assert_eq!(s.text(&["HGETALL", "h2"]), "[x, 1]");
    assert_eq!(s.text(&["DEL", "h2"]), "1");
}

#[test]
fn save_then_restart_keeps_keys_ttls_and_graphs() {
    let dir = TempDir::new("save");
    let mut s = start(&dir.0, &["--appendonly", "yes"]);
    assert_eq!(s.text(&["CONFIG", "GET", "appendonly"]), "[appendonly, yes]");
    assert_eq!(s.text(&["CONFIG", "GET", "appendfsync"]), "[appendfsync, everysec]");
    assert_eq!(s.text(&["CONFIG", "GET", "save"]), "[save, 3600 1 300 100 60 10000]");
    let d = s.text(&["CONFIG", "GET", "dir"]);
    assert!(d.contains(&*dir.0.file_name().unwrap().to_string_lossy()), "{d}");
    write_everything(&mut s);
    let info = s.text(&["INFO", "persistence"]);
    assert!(info.contains("aof_enabled:1") && info.contains("rdb_saves:0"), "{info}");
    assert!(!info.contains("rdb_changes_since_last_save:0\r"), "{info}");
    let before: i64 = s.text(&["LASTSAVE"]).parse().unwrap();
    assert_eq!(s.text(&["SAVE"]), "OK");
    let after: i64 = s.text(&["LASTSAVE"]).parse().unwrap();
    assert!(after >= before);
    let info = s.text(&["INFO", "persistence"]);
    assert!(info.contains("rdb_saves:1") && info.contains("rdb_changes_since_last_save:0\r"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    // After the snapshot: only in the log.
    assert_eq!(s.text(&["SET", "after", "save"]), "OK");
    assert!(dir.0.join("kv").is_dir() && dir.0.join("graphs").join("g%53ocial%20net").is_dir());
    let log = s.shutdown();
    assert!(log.contains("persistence on in"), "{log}");

    let mut s = start(&dir.0, &["--appendonly", "yes"]);
    let log = s.wait_log("graphs loaded");
    assert!(log.contains("7 keys, 2 graphs loaded"), "{log}");
    check_everything(&mut s);
    assert_eq!(s.text(&["GET", "after"]), "save");
    assert_eq!(s.text(&["DBSIZE"]), "7");
    // FLUSHALL and GRAPH.DELETE persist too.
    assert_eq!(s.text(&["FLUSHALL"]), "OK");
    assert!(s.text(&["GRAPH.DELETE", "Social net"]).starts_with("Graph removed"));
    assert_eq!(s.text(&["BGSAVE"]), "Background saving started");
    s.wait_info("rdb_bgsave_in_progress", "0");
    s.wait_info("rdb_saves", "1");
    assert_eq!(s.text(&["SET", "last", "1"]), "OK");
    s.shutdown();

    let mut s = start(&dir.0, &["--appendonly", "yes"]);
    assert_eq!(s.text(&["DBSIZE"]), "1");
    assert_eq!(s.text(&["GRAPH.LIST"]), "[other]");
    let r = s.text(&["GRAPH.RO_QUERY", "Social net", "MATCH (n) RETURN count(n)"]);
    assert!(r.starts_with("[[count(n)], [[0]]"), "{r}");
    // A graph of a deleted one's name starts empty.
    let r = s.text(&["GRAPH.QUERY", "Social net", "MATCH (n) RETURN count(n)"]);
    assert!(r.starts_with("[[count(n)], [[0]]"), "{r}");
    s.shutdown();
}

#[test]
fn appendfsync_always_survives_sigkill_without_save() {
    let dir = TempDir::new("kill9");
    let args = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
    let mut s = start(&dir.0, &args);
    assert_eq!(s.text(&["CONFIG", "GET", "save"]), "[save, ]");
    write_everything(&mut s);
    s.kill9();
    let mut s = start(&dir.0, &args);
    check_everything(&mut s);
    assert_eq!(s.text(&["DBSIZE"]), "6");
    // Twice: the first restart folded the log into a snapshot.
    assert_eq!(s.text(&["EXPIRE", "str", "500"]), "1");
    assert_eq!(s.text(&["PERSIST", "ttl"]), "1");
    s.kill9();
    let mut s = start(&dir.0, &args);
    let ttl: i64 = s.text(&["TTL", "str"]).parse().unwrap();
    assert!(ttl > 0 && ttl <= 500, "{ttl}");
    assert_eq!(s.text(&["TTL", "ttl"]), "-1");
    assert_eq!(s.text(&["GET", "n"]), "42");
}

#[test]
fn compact_reply_ids_keep_their_meaning_across_restarts() {
    let dir = TempDir::new("schema");
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut s = start(&dir.0, &args);
    assert!(s.text(&["GRAPH.QUERY", "ids", "CREATE (:A {x: 1}), (:B {y: 2})"]).contains("Nodes created: 2"));
    // First seen in replies: B (id 0, key y 0), then A (id 1, key x 1).
    let b = s.text(&["GRAPH.QUERY", "ids", "MATCH (n:B) RETURN n", "--compact"]);
    let a = s.text(&["GRAPH.QUERY", "ids", "MATCH (n:A) RETURN n", "--compact"]);
    assert!(b.contains(", [0], [[0, 3, 2]]") && a.contains(", [1], [[1, 3, 1]]"), "{b} {a}");
    s.kill9();
    let mut s = start(&dir.0, &args);
    let rows = |r: &str| r.split("Cached execution").next().unwrap().to_string();
    assert_eq!(rows(&s.text(&["GRAPH.QUERY", "ids", "MATCH (n:A) RETURN n", "--compact"])), rows(&a));
    let labels = s.text(&["GRAPH.QUERY", "ids", "CALL db.labels()"]);
    assert!(labels.starts_with("[[label], [[B], [A]]"), "{labels}");
}

#[test]
fn save_rules_and_snapshot_only_mode() {
    let dir = TempDir::new("rules");
    // `--save` alone turns persistence on (the log is kept as well).
    let mut s = start(&dir.0, &["--save", "3600 1"]);
    assert_eq!(s.text(&["CONFIG", "GET", "appendonly"]), "[appendonly, no]");
    assert!(s.text(&["INFO", "persistence"]).contains("aof_enabled:0"));
    assert_eq!(s.text(&["CONFIG", "SET", "save", "0 1"]), "OK");
    assert_eq!(s.text(&["CONFIG", "GET", "save"]), "[save, 0 1]");
    assert_eq!(s.text(&["SET", "k", "v"]), "OK");
    s.wait_info("rdb_saves", "1");
    assert!(s.text(&["INFO", "persistence"]).contains("rdb_changes_since_last_save:0\r"));
    let r = s.text(&["CONFIG", "SET", "appendonly", "yes"]);
    assert!(r.contains("can't change persistence at run time"), "{r}");
    let r = s.text(&["CONFIG", "SET", "appendfsync", "always"]);
    assert!(r.contains("can't change persistence at run time"), "{r}");
    assert_eq!(s.text(&["CONFIG", "SET", "appendonly", "no"]), "OK");
    assert_eq!(s.text(&["CONFIG", "SET", "save", ""]), "OK");
    s.kill9();
    let mut s = start(&dir.0, &["--save", "3600 1"]);
    assert_eq!(s.text(&["GET", "k"]), "v");
    // NOSAVE: no snapshot at shutdown, but the log is synced.
    assert_eq!(s.text(&["SET", "k2", "v2"]), "OK");
    let log = s.shutdown_with(&["NOSAVE"]);
    assert!(log.contains("logs synced, shut down"), "{log}");
    let mut s = start(&dir.0, &["--save", "3600 1"]);
    assert_eq!(s.text(&["GET", "k2"]), "v2");
    let log = s.shutdown();
    assert!(log.contains("snapshot saved and logs synced"), "{log}");
}

#[test]
fn without_persistence_nothing_is_written() {
    let dir = TempDir::new("memory");
    let mut s = start(&dir.0, &[]);
    let r = s.text(&["SAVE"]);
    assert!(r.contains("persistence is off"), "{r}");
    assert!(s.text(&["BGSAVE"]).contains("persistence is off"));
    assert_eq!(s.text(&["CONFIG", "GET", "save"]), "[save, ]");
    assert!(s.text(&["CONFIG", "SET", "save", "60 1"]).contains("can't change persistence"));
    assert!(s.text(&["CONFIG", "SET", "appendonly", "yes"]).contains("can't change persistence"));
    assert_eq!(s.text(&["CONFIG", "SET", "appendfsync", "always"]), "OK");
    assert!(s.text(&["INFO", "persistence"]).contains("kvgraph_persistence:off"));
    assert_eq!(s.text(&["SET", "k", "v"]), "OK");
    s.text(&["GRAPH.QUERY", "g", "CREATE ()"]);
    s.shutdown();
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0, "files written without persistence");
}

#[test]
fn a_locked_or_unusable_directory_stops_the_server_with_a_message() {
    let dir = TempDir::new("locked");
    let mut first = start(&dir.0, &["--appendonly", "yes"]);
    let err = spawn(server_cmd(&dir.0, &["--appendonly", "yes"])).err().expect("a second server on the same dir");
    assert!(err.contains("in use by another engine"), "{err}");
    assert_eq!(first.text(&["PING"]), "PONG");
    first.shutdown();

    let file = dir.0.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = spawn(server_cmd(&file, &["--appendonly", "yes"])).err().expect("a file as dir");
    assert!(err.contains("cannot use dir"), "{err}");

    let bad = dir.0.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("kv"), b"a file where the keyspace's directory goes").unwrap();
    let err = spawn(server_cmd(&bad, &["--appendonly", "yes"])).err().expect("kv is a file");
    assert!(err.contains("cannot open the keyspace"), "{err}");

    let damaged = dir.0.join("damaged");
    std::fs::create_dir_all(damaged.join("kv")).unwrap();
    std::fs::write(damaged.join("kv").join("snapshot-0000000000000001.kvgs"), b"not a snapshot").unwrap();
    let err = spawn(server_cmd(&damaged, &["--appendonly", "yes"])).err().expect("a damaged snapshot");
    assert!(err.contains("snapshot-0000000000000001.kvgs"), "{err}");
}

#[test]
fn a_full_disk_gives_write_errors_and_the_server_stays_up() {
    let dir = TempDir::new("full");
    // SIGXFSZ ignored (kept across exec) and a 256 KiB file size limit: the
    // log's writes fail with EFBIG once it reaches that size.
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "trap '' XFSZ; ulimit -f 256; exec \"$0\" \"$@\"", BIN, "--port", "0", "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(&dir.0)
        .args(["--appendonly", "yes", "--appendfsync", "always", "--save", ""]);
    let mut s = spawn(cmd).unwrap();
    let value = "v".repeat(1000);
    let mut acked = 0;
    let err = loop {
        match s.call(&["SET", &format!("k{acked}"), &value]) {
            Resp::Simple(_) => acked += 1,
            other => break other.text(),
        }
        assert!(acked < 10_000, "the limit never bit");
    };
    assert!(err.starts_with("MISCONF"), "{err}");
    assert!(acked > 10, "{acked}");
    assert!(s.text(&["SET", "later", "x"]).starts_with("MISCONF"));
    assert!(s.text(&["INFO", "persistence"]).contains("aof_last_write_status:err"));
    assert!(s.text(&["SAVE"]).starts_with("ERR"));
    assert_eq!(s.text(&["GET", "k0"]), value);
    assert_eq!(s.text(&["PING"]), "PONG");
    s.kill9();
    // Without the limit every acknowledged write is there.
    let mut s = start(&dir.0, &["--appendonly", "yes", "--save", ""]);
    for i in 0..acked {
        assert_eq!(s.text(&["STRLEN", &format!("k{i}")]), "1000", "acknowledged k{i} lost");
    }
    assert_eq!(s.text(&["SET", "later", "x"]), "OK");
}

/// Sends `args` as one request on `conn` and reads its reply; `None` once
/// the connection is gone (the server was killed).
fn try_call(conn: &mut BufReader<TcpStream>, args: &[String]) -> Option<Resp> {
    let mut req = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    conn.get_mut().write_all(&req).ok()?;
    try_read(conn)
}

/// [`read`] that returns `None` at the end of the stream instead of panicking.
fn try_read(r: &mut BufReader<TcpStream>) -> Option<Resp> {
    let mut l = String::new();
    r.read_line(&mut l).ok()?;
    let l = l.strip_suffix("\r\n")?;
    let (kind, rest) = l.split_at(1);
    match kind {
        "+" => Some(Resp::Simple(rest.into())),
        "-" => Some(Resp::Error(rest.into())),
        ":" => Some(Resp::Int(rest.parse().ok()?)),
        "$" => {
            let n: i64 = rest.parse().ok()?;
            if n < 0 {
                return Some(Resp::Bulk(None));
            }
            let mut b = vec![0; n as usize + 2];
            r.read_exact(&mut b).ok()?;
            b.truncate(n as usize);
            Some(Resp::Bulk(Some(b)))
        }
        "*" => {
            let n: i64 = rest.parse().ok()?;
            if n < 0 {
                return Some(Resp::Array(None));
            }
            Some(Resp::Array(Some((0..n).map(|_| try_read(r)).collect::<Option<Vec<_>>>()?)))
        }
        _ => None,
    }
}

/// Client `t`'s writes (keys `t:…`, written `@:…`) until the server dies: a transaction setting two
/// strings, a hash field and a counter; an `MSET` of two keys; an `HSET` of
/// two fields; every tenth round a `DEL` of a hash and an `HSET` refilling
/// it. Returns the rounds that got every reply.
fn write_until_killed(port: u16, t: usize) -> u64 {
    let mut conn = BufReader::new(TcpStream::connect(("127.0.0.1", port)).unwrap());
    let c = |parts: &[&str]| parts.iter().map(|p| p.replace('@', &t.to_string())).collect::<Vec<_>>();
    for n in 0u64.. {
        let n_ = n.to_string();
        let rounds = [
            c(&["MULTI"]),
            c(&["SET", "@:a", &n_]),
            c(&["HSET", "@:h", &format!("f{n}"), "v"]),
            c(&["SET", "@:b", &n_]),
            c(&["INCR", "@:c"]),
            c(&["EXEC"]),
            c(&["MSET", "@:x", &n_, "@:y", &n_]),
            c(&["HSET", "@:h2", &format!("a{n}"), "v", &format!("b{n}"), "v"]),
        ];
        for args in &rounds {
            match try_call(&mut conn, args) {
                Some(Resp::Error(e)) => panic!("{args:?}: {e}"),
                Some(_) => {}
                None => return n,
            }
        }
        if n % 10 == 9 {
            for args in [c(&["DEL", "@:h3"]), c(&["HSET", "@:h3", "p", &n_, "q", &n_, "r", &n_])] {
                if try_call(&mut conn, &args).is_none() {
                    return n;
                }
            }
        }
    }
    unreachable!()
}

#[test]
fn sigkill_under_load_keeps_every_command_and_transaction_whole() {
    let dir = TempDir::new("whole");
    // Saves every second too: a snapshot taken amid commands keeps none halved.
    let args = ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "1 1"];
    const CLIENTS: usize = 4;
    for (round, delay) in [500u64, 900, 1400, 2100].into_iter().enumerate() {
        let s = start(&dir.0, &args);
        let port = s.port;
        let clients: Vec<_> = (0..CLIENTS).map(|t| std::thread::spawn(move || write_until_killed(port, t))).collect();
        std::thread::sleep(Duration::from_millis(delay));
        s.kill9();
        let done: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
        let mut s = start(&dir.0, &args);
        for t in 0..CLIENTS {
            let k = |name: &str| format!("{t}:{name}");
            let int = |r: Resp| match r {
                Resp::Bulk(None) => -1,
                r => r.text().parse::<i64>().unwrap(),
            };
            let a = int(s.call(&["GET", &k("a")]));
            assert_eq!(int(s.call(&["GET", &k("b")])), a, "round {round}, client {t}: half a transaction");
            assert_eq!(int(s.call(&["GET", &k("c")])), a + 1, "round {round}, client {t}: half a transaction");
            let count = |s: &mut Server, key: &str| {
                let fields = match s.call(&["HGETALL", key]) {
                    Resp::Array(Some(items)) => items.len() as i64 / 2,
                    r => panic!("{r:?}"),
                };
                let len = int(s.call(&["HLEN", key]));
                assert_eq!(fields, len, "round {round}: {key}'s count disagrees with its fields");
                len
            };
            assert_eq!(count(&mut s, &k("h")), a + 1, "round {round}, client {t}: half a transaction");
            assert_eq!(int(s.call(&["GET", &k("x")])), int(s.call(&["GET", &k("y")])), "round {round}: half an MSET");
            assert_eq!(count(&mut s, &k("h2")) % 2, 0, "round {round}, client {t}: half an HSET");
            assert!(matches!(count(&mut s, &k("h3")), 0 | 3), "round {round}, client {t}: half a DEL or HSET");
        }
        eprintln!("round {round}: {done} rounds acknowledged before the kill");
        s.shutdown();
        // The next round starts from a clean keyspace.
        let mut s = start(&dir.0, &args);
        assert_eq!(s.text(&["FLUSHALL"]), "OK");
        s.shutdown();
    }
}
