//! A full disk: a child process whose file size limit (RLIMIT_FSIZE, with
//! SIGXFSZ ignored) makes the log's writes fail. The writer gets an `Io`
//! error, later writes are refused, reads keep working; reopened without the
//! limit, every write that returned Ok is there.

use kvgraph::{Config, Engine, ErrorKind, Fsync, SavePolicy};
use std::path::Path;
use std::process::Command;

const LIMIT: u64 = 64 << 10;

fn config(dir: &Path) -> Config {
    Config { path: Some(dir.into()), fsync: Fsync::Always, save: SavePolicy { rules: vec![] }, ..Config::default() }
}

#[test]
fn full_disk_child() {
    let Ok(dir) = std::env::var("KVGRAPH_FULL_DISK_CHILD") else { return };
    // SAFETY: plain libc calls with valid arguments, before any other thread
    // of this process touches signals or limits.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit { rlim_cur: LIMIT, rlim_max: LIMIT };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    let e = Engine::try_with_config(config(Path::new(&dir))).unwrap();
    let mut acked = 0u64;
    let err = loop {
        match e.kv().try_set(format!("k{acked:06}").as_bytes(), &[7; 100]) {
            Ok(()) => acked += 1,
            Err(err) => break err,
        }
        assert!(acked < 10_000, "the limit never bit");
    };
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.message().contains("log-"), "{err}");
    // Later writes are refused, through every API; reads keep working.
    assert_eq!(e.kv().try_set(b"later", b"x").unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(e.kv().incr(b"n", 1).unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(e.graph().add_node(None).unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(e.save().unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(e.kv().get(b"k000000").as_deref(), Some(&[7u8; 100][..]));
    println!("ACKED {acked}");
}

#[test]
fn a_full_disk_is_an_error_to_the_writer_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "full_disk_child", "--nocapture", "--test-threads=1"])
        .env("KVGRAPH_FULL_DISK_CHILD", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let acked: u64 = stdout.split("ACKED ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().parse().unwrap();
    assert!(acked > 100, "{acked}");
    let e = Engine::try_with_config(config(dir.path())).unwrap();
    for i in 0..acked {
        assert!(e.kv().contains_key(format!("k{i:06}").as_bytes()), "acknowledged k{i:06} lost");
    }
    assert!(e.kv().len() as u64 <= acked + 1);
}
