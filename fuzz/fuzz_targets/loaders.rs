#![no_main]
//! Fuzzing of the durability loaders: an arbitrary snapshot file or log
//! file is put in an engine directory, which is then opened. Opening must
//! succeed or fail with an `Io` error naming the file; it must never panic,
//! hang or allocate without bound.
//!
//! Input: a first byte choosing the file (bit 0: snapshot or log) and the
//! mode (bit 1: framed, the rest split into `u16`-length payloads framed with
//! correct checksums so that the decoders behind them are reached; else the
//! rest is the file's body verbatim after a valid header).
//!
//! Run: `fuzz/run.sh 600 loaders` or `cargo +nightly fuzz run loaders`.

use kvgraph::{Config, Engine, ErrorKind, Fsync, SavePolicy};
use libfuzzer_sys::fuzz_target;

/// A valid header of the file kind `magic` (format version 2).
fn header(magic: &[u8; 8]) -> Vec<u8> {
    let mut h = magic.to_vec();
    h.extend_from_slice(&2u32.to_le_bytes());
    let crc = crc32c::crc32c(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    h
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let snapshot = mode & 1 == 1;
    let (name, magic) =
        if snapshot { ("snapshot-0000000000000001.kvgs", b"KVGSNAP\0") } else { ("log-0000000000000001.kvgl", b"KVGLOG\0\0") };
    let mut file = header(magic);
    if mode & 2 == 2 {
        let mut rest = rest;
        while rest.len() >= 2 {
            let len = (u16::from_le_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
            let payload = &rest[2..2 + len];
            file.extend_from_slice(&(len as u32).to_le_bytes());
            file.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
            file.extend_from_slice(payload);
            rest = &rest[2 + len..];
        }
    } else {
        file.extend_from_slice(rest);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(name), &file).expect("write the fuzzed file");
    let config = Config {
        path: Some(dir.path().to_path_buf()),
        fsync: Fsync::Never,
        save: SavePolicy { rules: vec![] },
        ..Config::default()
    };
    match Engine::try_with_config(config) {
        Ok(e) => {
            let _ = e.kv().len();
            let _ = e.graph().stats();
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Io, "{e}");
            assert!(e.message().contains(name) || e.message().contains("kvgl"), "{e}");
        }
    }
});
