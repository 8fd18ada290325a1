//! The committed C header `include/kvgraph.h` must be exactly what cbindgen
//! generates from `src/ffi/` with `cbindgen.toml`. Regenerate it with
//! `KVGRAPH_BLESS=1 cargo test --test header`.

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen failed on src/ffi");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn committed_header_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/kvgraph.h");
    let generated = generate();
    if std::env::var_os("KVGRAPH_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/kvgraph.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed.lines().zip(generated.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/kvgraph.h is out of date (first difference at line {}: committed {:?}, generated {:?}); \
             regenerate it with `KVGRAPH_BLESS=1 cargo test --test header` and commit it",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            generated.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}
