//! Cypher through the whole query path (parse, lower, plan, execute, JSON,
//! and the C entry point) on a small graph: any text and any parameters give
//! a result or an error, never a panic. Seed the corpus with the TCK's
//! queries: `fuzz/seed_cypher.sh` (then libFuzzer mutates them); run it
//! with `fuzz/run.sh SECONDS cypher`.

#![no_main]

use arbitrary::Arbitrary;
use kvgraph::{Engine, Params, Value};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<i64>),
    Map(Vec<(String, i64)>),
}

impl Param {
    fn value(self) -> Value {
        match self {
            Param::Null => Value::Null,
            Param::Bool(b) => Value::Bool(b),
            Param::Int(i) => Value::Int(i),
            Param::Float(f) => Value::Float(f),
            Param::Str(s) => Value::String(s),
            Param::List(l) => Value::List(l.into_iter().map(Value::Int).collect()),
            Param::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, Value::Int(v))).collect()),
        }
    }
}


const SETUP: &str = "CREATE (a:A {name: 'a', num: 1})-[:T {w: 1}]->(b:B {name: 'b', num: 2}), \
                     (b)-[:T]->(c:A:C {num: 3}), (c)-[:U]->(a), (c)-[:T]->(c)";

// Input: the query text, then optionally a NUL and bytes from which the
// parameters are drawn (so a TCK query is a seed as it stands).
fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 {
        return;
    }
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let query = String::from_utf8_lossy(text);
    let mut params = Params::new();
    let mut u = arbitrary::Unstructured::new(rest);
    if let Ok(list) = <Vec<(String, Param)>>::arbitrary(&mut u) {
        for (k, v) in list {
            params.insert(&k, v.value());
        }
    }
    let engine = Engine::new();
    engine.query(SETUP, &Params::new()).expect("setup");
    if let Ok(r) = engine.query(&query, &params) {
        let _ = r.to_json();
    }
    // The same text through the JSON parameter path.
    let _ = Params::from_json(&query);
});
