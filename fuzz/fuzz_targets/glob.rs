//! The server's glob matcher against a simple dynamic-programming
//! reference over the same tokens, on arbitrary patterns and texts
//! (the matcher must agree and never recurse or blow up).
#![no_main]

use kvgraph_server::glob::{Glob, MAX_STARS};
use libfuzzer_sys::fuzz_target;

/// Reference: a byte-level DP over Redis's glob syntax.
fn reference(p: &[u8], t: &[u8]) -> bool {
    // Tokens: (kind, class) where kind 0 = byte, 1 = ?, 2 = *, 3 = class.
    let mut toks: Vec<Box<dyn Fn(u8) -> bool>> = Vec::new();
    let mut star = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        i += 1;
        match c {
            b'*' => {
                toks.push(Box::new(|_| true));
                star.push(true);
            }
            b'?' => {
                toks.push(Box::new(|_| true));
                star.push(false);
            }
            b'\\' if i < p.len() => {
                let l = p[i];
                i += 1;
                toks.push(Box::new(move |b| b == l));
                star.push(false);
            }
            b'[' => {
                let neg = i < p.len() && (p[i] == b'^' || p[i] == b'!');
                if neg {
                    i += 1;
                }
                let mut ranges = Vec::new();
                while i < p.len() && p[i] != b']' {
                    let mut lo = p[i];
                    if lo == b'\\' && i + 1 < p.len() {
                        i += 1;
                        lo = p[i];
                    }
                    if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
                        let hi = p[i + 2];
                        ranges.push((lo.min(hi), lo.max(hi)));
                        i += 3;
                    } else {
                        ranges.push((lo, lo));
                        i += 1;
                    }
                }
                i += 1;
                toks.push(Box::new(move |b| ranges.iter().any(|&(l, h)| l <= b && b <= h) != neg));
                star.push(false);
            }
            c => {
                toks.push(Box::new(move |b| b == c));
                star.push(false);
            }
        }
    }
    // dp[j]: pattern prefix of j tokens matches the text prefix read so far.
    let mut dp = vec![false; toks.len() + 1];
    dp[0] = true;
    for j in 0..toks.len() {
        dp[j + 1] = dp[j] && star[j];
    }
    for &b in t {
        let mut next = vec![false; toks.len() + 1];
        for j in 0..toks.len() {
            next[j + 1] = if star[j] { next[j] || dp[j + 1] } else { dp[j] && toks[j](b) };
        }
        dp = next;
    }
    dp[toks.len()]
}

fuzz_target!(|data: &[u8]| {
    let Some(cut) = data.iter().position(|&b| b == 0) else { return };
    let (pattern, text) = (&data[..cut], &data[cut + 1..]);
    let got = Glob::new(pattern).matches(text);
    // Beyond MAX_STARS stars the matcher refuses everything by design.
    if pattern.iter().filter(|&&b| b == b'*').count() <= MAX_STARS {
        assert_eq!(got, reference(pattern, text), "pattern {pattern:?} text {text:?}");
    }
});
