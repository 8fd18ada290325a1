//! The server's request parser on arbitrary bytes, split at arbitrary
//! points: it never panics, never returns an empty request, never buffers
//! past its limits, and finds the same requests (and the same error)
//! however the input is split.
#![no_main]

use bytes::BytesMut;
use kvgraph_server::parse::{Limits, Parser};
use libfuzzer_sys::fuzz_target;

fn run(chunks: &[&[u8]], auth: bool) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
    let limits = Limits { max_bulk: 4096, max_query: 16 * 1024, max_args: 64 };
    let (mut p, mut buf, mut out) = (Parser::new(), BytesMut::new(), Vec::new());
    for c in chunks {
        buf.extend_from_slice(c);
        loop {
            match p.next(&mut buf, &limits, auth) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty());
                    assert!(args.len() <= if auth { 64 } else { 10 });
                    assert!(args.iter().all(|a| a.len() <= 4096));
                    out.push(args);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e.0)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    let (split, body) = match data.split_first() {
        Some((s, b)) => (*s as usize, b),
        None => return,
    };
    let auth = split & 1 == 0;
    let whole = run(&[body], auth);
    let step = split.max(1);
    let chunks: Vec<&[u8]> = body.chunks(step).collect();
    assert_eq!(run(&chunks, auth), whole, "chunking changed the result");
});
