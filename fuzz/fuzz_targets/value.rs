#![no_main]
//! Fuzzing of the typed-value decoder: `Value::decode` on arbitrary bytes
//! must return a value or an error, never panic or run out of stack; a value
//! it returns must survive encode/decode, and the order-preserving sort keys
//! of two decoded values must order them as `Value::order` does.
//!
//! Run: `fuzz/run.sh 60 value` or `cargo +nightly fuzz run value` from the repository root.

use kvgraph::Value;
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    // The whole input, then its two halves as two values.
    let split = data.first().map_or(0, |&b| b as usize % (data.len().max(1)));
    let whole = Value::decode(data);
    let (a, b) = (Value::decode(&data[..split]), Value::decode(&data[split..]));
    for v in [&whole, &a, &b].into_iter().flatten() {
        let back = Value::decode(&v.encode()).expect("an encoding decodes");
        assert_eq!(back.order(v), Ordering::Equal);
        assert_eq!(back.encode(), v.encode(), "encoding is canonical once decoded");
        assert_eq!(v.order(v), Ordering::Equal);
    }
    if let (Ok(a), Ok(b)) = (a, b) {
        assert_eq!(a.sort_key().cmp(&b.sort_key()), a.order(&b), "{a:?} vs {b:?}");
        assert_eq!(a.order(&b), b.order(&a).reverse());
        if let Some(o) = a.compare(&b) {
            assert_eq!(o, a.order(&b), "comparability agrees with the order");
        }
    }
});
