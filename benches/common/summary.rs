//! Result collection for the benches, made for a noisy, shared machine.
//!
//! 1. Every criterion sample run through `iter_custom` is recorded with
//!    [`record`] (warm-up included); the summary shows the median rate.
//! 2. [`interleaved`] runs the contenders of a group in turns — one short
//!    burst each per round, rotating the order — and keeps, per round, each
//!    contender's rate relative to the reference's. Load from other processes
//!    hits both sides of a ratio alike, so the median of these per-round
//!    ratios is far steadier than a ratio of two criterion runs taken
//!    seconds apart.
//!
//! [`finish`] prints one markdown table with both and writes it to
//! `target/bench-summary/<name>.md`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

type Key = (String, String);

static RATES: Mutex<BTreeMap<Key, Vec<f64>>> = Mutex::new(BTreeMap::new());
/// Per round: (rate, rate of the reference in the same round).
static ROUNDS: Mutex<BTreeMap<Key, Vec<(f64, f64)>>> = Mutex::new(BTreeMap::new());

/// Records that one sample of `group/function` did `units` units of work in `elapsed`.
pub fn record(group: &str, function: &str, units: f64, elapsed: Duration) {
    if elapsed.is_zero() {
        return;
    }
    let rate = units / elapsed.as_secs_f64();
    RATES.lock().unwrap().entry((group.to_string(), function.to_string())).or_default().push(rate);
}

/// A contender of [`interleaved`]: its name, and a burst that returns the
/// units of work it did and the time they took.
pub type Contender<'a> = (&'a str, Box<dyn FnMut() -> (f64, Duration) + 'a>);

/// Runs one burst of every contender per round, for `rounds` rounds, in an
/// order rotated each round, and records each rate with the rate of the
/// contender named `reference` in the same round.
pub fn interleaved(group: &str, reference: &str, rounds: usize, contenders: &mut [Contender<'_>]) {
    let k = contenders.len();
    for round in 0..rounds {
        let mut rates = vec![0.0; k];
        for j in 0..k {
            let i = (round + j) % k;
            let (units, t) = (contenders[i].1)();
            rates[i] = units / t.as_secs_f64().max(1e-12);
        }
        let reference_rate = contenders.iter().position(|c| c.0 == reference).map_or(f64::NAN, |i| rates[i]);
        let mut all = ROUNDS.lock().unwrap();
        for (c, rate) in contenders.iter().zip(rates) {
            all.entry((group.to_string(), c.0.to_string())).or_default().push((rate, reference_rate));
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

/// How a group's numbers read.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Operations per second, shown in millions.
    MopsPerSec,
    /// Seconds per run, shown in milliseconds (lower is better).
    MillisPerRun,
}

/// The markdown table: per group and function, the criterion median, the
/// interleaved median, and the median over rounds of
/// `rate(reference) / rate(function)` — kvgraph's speed-up over a peer when
/// the reference is kvgraph, the time relative to a baseline when the
/// reference is that baseline.
pub fn markdown(reference: &str, unit_of: impl Fn(&str) -> Unit) -> String {
    let rates = RATES.lock().unwrap();
    let rounds = ROUNDS.lock().unwrap();
    let keys: std::collections::BTreeSet<&Key> = rates.keys().chain(rounds.keys()).collect();
    let mut out = format!(
        "| benchmark | structure | criterion median | interleaved median | rate({reference}) ÷ rate(this), interleaved |\n\
         |---|---|---:|---:|---:|\n"
    );
    for key in keys {
        let (g, f) = key;
        let show = |rate: f64| {
            if rate.is_nan() {
                return "—".to_string();
            }
            match unit_of(g) {
                Unit::MopsPerSec => format!("{:.3} M/s", rate / 1e6),
                Unit::MillisPerRun => format!("{:.1} ms", 1e3 / rate),
            }
        };
        let crit = rates.get(key).map_or(f64::NAN, |v| median(v.clone()));
        let (inter, ratio) = match rounds.get(key) {
            Some(v) => (median(v.iter().map(|r| r.0).collect()), median(v.iter().map(|r| r.1 / r.0).collect())),
            None => (f64::NAN, f64::NAN),
        };
        let ratio = if f == reference || ratio.is_nan() { "—".to_string() } else { format!("{ratio:.2}×") };
        out.push_str(&format!("| {g} | {f} | {} | {} | {ratio} |\n", show(crit), show(inter)));
    }
    out
}

/// Whether the criterion groups run: `KVG_BENCH_CRITERION=0` skips them and
/// leaves the interleaved rounds alone (the thread-scaling run,
/// `benches/scaling.sh`, does so).
pub fn criterion_enabled() -> bool {
    std::env::var("KVG_BENCH_CRITERION").map_or(true, |v| v != "0")
}

/// Prints the summary and writes it to `target/bench-summary/<name>.md`.
pub fn finish(name: &str, reference: &str, unit_of: impl Fn(&str) -> Unit) {
    let table = markdown(reference, unit_of);
    println!("\n## {name} summary (medians)\n\n{table}");
    let dir = std::path::Path::new("target/bench-summary");
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.md")), &table);
    }
}
