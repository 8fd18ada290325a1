//! Collects the throughput of every benchmark run through `iter_custom` and
//! prints a markdown summary with ratios to kvgraph at the end of a bench.
//! Each sample's rate is recorded (warm-up included); the summary shows the
//! median, which is robust to the noise of a shared machine.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

static RATES: Mutex<BTreeMap<(String, String), Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Records that one sample of `group/function` did `units` units of work in `elapsed`.
pub fn record(group: &str, function: &str, units: f64, elapsed: Duration) {
    if elapsed.is_zero() {
        return;
    }
    let rate = units / elapsed.as_secs_f64();
    RATES.lock().unwrap().entry((group.to_string(), function.to_string())).or_default().push(rate);
}

/// Median rate (units per second) of `group/function`, if it ran.
pub fn median(group: &str, function: &str) -> Option<f64> {
    let rates = RATES.lock().unwrap();
    let mut v = rates.get(&(group.to_string(), function.to_string()))?.clone();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// How a group's numbers read.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Operations per second, shown in millions.
    MopsPerSec,
    /// Seconds per run, shown in milliseconds (lower is better).
    MillisPerRun,
}

/// A markdown table of every recorded group: each function's median, and
/// `rate(reference) / rate(function)`, where the reference is the group's
/// function whose name starts with `reference`. With kvgraph as reference
/// that is kvgraph's speed-up over a peer; with a baseline as reference it
/// is the function's time relative to the baseline's.
pub fn markdown(reference: &str, unit_of: impl Fn(&str) -> Unit) -> String {
    let rates = RATES.lock().unwrap();
    let mut groups: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for ((g, f), v) in rates.iter() {
        let mut v = v.clone();
        v.sort_by(f64::total_cmp);
        groups.entry(g).or_default().push((f, v[v.len() / 2]));
    }
    let mut out = String::new();
    out.push_str(&format!(
        "| benchmark | structure | median | rate({reference}) ÷ rate(this) |\n|---|---|---:|---:|\n"
    ));
    for (g, rows) in groups {
        let reference_rate = rows.iter().find(|r| r.0.starts_with(reference)).map(|r| r.1);
        for (f, rate) in rows {
            let shown = match unit_of(g) {
                Unit::MopsPerSec => format!("{:.3} M/s", rate / 1e6),
                Unit::MillisPerRun => format!("{:.1} ms", 1e3 / rate),
            };
            let ratio = match reference_rate {
                Some(r) if !f.starts_with(reference) => format!("{:.2}×", r / rate),
                _ => "—".to_string(),
            };
            out.push_str(&format!("| {g} | {f} | {shown} | {ratio} |\n"));
        }
    }
    out
}

/// Prints the summary and writes it to `target/bench-summary/<name>.md`.
pub fn finish(name: &str, reference: &str, unit_of: impl Fn(&str) -> Unit) {
    let table = markdown(reference, unit_of);
    println!("\n## {name} summary (median of samples)\n\n{table}");
    let dir = std::path::Path::new("target/bench-summary");
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.md")), &table);
    }
}
