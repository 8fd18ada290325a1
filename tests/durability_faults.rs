//! Fault injection: truncate, bit-flip and zero-fill the snapshot and the
//! log at random offsets. Opening must then either fail with an `Io` error
//! naming the file and an offset, or recover exactly a valid prefix of the
//! log (the snapshot is never accepted damaged); never panic.

#[path = "durability/image.rs"]
mod image;

use image::{Image, image};
use kvgraph::{Clock, Config, Engine, ErrorKind, Fsync, SavePolicy, Value};
use std::path::{Path, PathBuf};

fn config(dir: &Path, clock: &Clock) -> Config {
    let save = SavePolicy { rules: vec![] };
    Config { path: Some(dir.to_path_buf()), fsync: Fsync::Always, clock: clock.clone(), save, ..Config::default() }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut f: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    f.sort();
    f
}

/// Copies `files` (name, bytes) into a fresh directory under `root`.
fn materialise(root: &Path, n: usize, files: &[(String, Vec<u8>)]) -> PathBuf {
    let dir = root.join(format!("trial-{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, data) in files {
        std::fs::write(dir.join(name), data).unwrap();
    }
    dir
}

/// Record boundaries of a log file's bytes (after the 16-byte header).
fn boundaries(log: &[u8]) -> Vec<usize> {
    let mut at = 16;
    let mut out = vec![at];
    while at + 8 <= log.len() {
        let len = u32::from_le_bytes(log[at..at + 4].try_into().unwrap()) as usize;
        at += 8 + len;
        out.push(at);
    }
    out
}

#[test]
fn damaged_files_give_an_error_or_an_exact_prefix() {
    let root = tempfile::tempdir().unwrap();
    let clock = Clock::manual(5_000_000);
    let origin = root.path().join("origin");
    {
        let e = Engine::try_with_config(config(&origin, &clock)).unwrap();
        let g = e.graph();
        for i in 0..40u64 {
            e.kv().set(format!("k{i}").as_bytes(), &[i as u8; 10]);
            let id = g.add_node(Some("N")).unwrap();
            g.set_property_value(id, "i", Value::Int(i as i64)).unwrap();
            if i > 0 {
                g.add_edge(id - 1, id, Some("E"), i as f64).unwrap();
            }
        }
        e.save().unwrap();
        for i in 0..12u64 {
            e.kv().set(format!("after{i}").as_bytes(), b"v");
            g.add_edge(i, i + 20, None, 0.5).unwrap();
        }
    }
    let original: Vec<(String, Vec<u8>)> = files(&origin)
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "LOCK")
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    let log_i = original.iter().position(|(n, d)| n.ends_with(".kvgl") && d.len() > 16).expect("a log with records");
    let snap_i = original.iter().position(|(n, _)| n.ends_with(".kvgs")).expect("a snapshot");
    // The image after each prefix of the log.
    let cuts = boundaries(&original[log_i].1);
    let mut prefixes: Vec<Image> = Vec::new();
    for (n, &cut) in cuts.iter().enumerate() {
        let mut f = original.clone();
        f[log_i].1.truncate(cut);
        let dir = materialise(root.path(), 100_000 + n, &f);
        prefixes.push(image(&Engine::try_with_config(config(&dir, &clock)).unwrap()));
    }
    assert_eq!(prefixes.len(), 12 * 2 + 1);
    let full = prefixes.last().unwrap().clone();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let (mut errors, mut recovered) = (0, 0);
    for trial in 0..300 {
        let which = if trial % 2 == 0 { log_i } else { snap_i };
        let mut f = original.clone();
        let data = &mut f[which].1;
        let at = next(data.len());
        let what = match next(3) {
            0 => {
                data.truncate(at);
                "truncate"
            }
            1 => {
                data[at] ^= 1 << next(8);
                "bit-flip"
            }
            _ => {
                let end = (at + 1 + next(64)).min(data.len());
                data[at..end].fill(0);
                "zero-fill"
            }
        };
        let dir = materialise(root.path(), trial, &f);
        let name = &f[which].0;
        match Engine::try_with_config(config(&dir, &clock)) {
            Err(e) => {
                errors += 1;
                assert_eq!(e.kind(), ErrorKind::Io, "{what} of {name} at {at}: {e}");
                assert!(e.message().contains(name.as_str()) && e.message().contains("offset"), "{what} at {at}: {e}");
            }
            Ok(e) => {
                recovered += 1;
                let got = image(&e);
                if which == snap_i {
                    assert_eq!(got, full, "{what} of the snapshot at {at} accepted with other contents");
                } else {
                    assert!(prefixes.contains(&got), "{what} of the log at {at}: not a prefix of the log");
                }
            }
        }
    }
    assert!(errors > 50 && recovered > 20, "{errors} errors, {recovered} recoveries");
}
