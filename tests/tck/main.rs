//! The openCypher TCK (tag 2024.3, Apache-2.0, see LICENSE and NOTICE here)
//! run in-process with the `cucumber` crate against `Engine::query`.
//!
//! Prints the pass rate per feature directory and fails if a directory
//! falls below its floor in `tests/tck/floors.txt` (the rates reached when
//! the floor was last raised: they only ratchet up). A scenario whose steps
//! we do not implement (procedure fixtures, side-effect-free control
//! queries on named graphs we lack) is skipped, with the reason printed.
//! A scenario expecting an error passes when the query fails; whether our
//! error's category is the expected one is counted and printed apart.
//!
//! `TCK_FILTER=substring` runs only features whose path contains it;
//! `TCK_VERBOSE=1` prints each failing scenario.

mod values;

use cucumber::event::ScenarioFinished;
use cucumber::gherkin::Step;
use cucumber::{World, WriterExt, given, then, when, writer};
use kvgraph::query::QueryValue;
use kvgraph::{Engine, Error, Params, QueryResult};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the graph holds, for side effects: nodes, relationships, label names, properties.
#[derive(Default, Clone)]
struct GraphState {
    nodes: BTreeSet<u64>,
    rels: BTreeSet<u64>,
    labels: BTreeSet<String>,
    props: BTreeSet<String>,
}

fn state(e: &Engine) -> GraphState {
    let snap = e.graph().snapshot();
    let mut st = GraphState::default();
    for id in (0..snap.node_count()).filter(|&id| snap.contains_node(id)) {
        st.nodes.insert(id);
        st.labels.extend(snap.node_labels(id).unwrap_or_default());
        for (k, v) in snap.properties(id).unwrap_or_default() {
            st.props.insert(format!("n{id}.{k}={}", values::value(&QueryValue::from(v), false)));
        }
        for edge in snap.edges(id, kvgraph::Direction::Out).unwrap_or_default() {
            let rid = edge.id;
            st.rels.insert(rid);
            for (k, v) in snap.rel_properties(rid) {
                st.props.insert(format!("r{rid}.{k}={}", values::value(&QueryValue::from(v), false)));
            }
        }
    }
    st
}

#[derive(World)]
#[world(init = Self::new)]
struct Tck {
    engine: Engine,
    params: Params,
    before: GraphState,
    result: Option<Result<QueryResult, Error>>,
}

impl std::fmt::Debug for Tck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tck").field("result", &self.result).finish()
    }
}

impl Tck {
    fn new() -> Self {
        Tck { engine: Engine::new(), params: Params::new(), before: GraphState::default(), result: None }
    }

    fn run(&mut self, text: &str) {
        self.before = state(&self.engine);
        self.result = Some(self.engine.query(text, &self.params));
    }

    fn ok(&self) -> &QueryResult {
        match &self.result {
            Some(Ok(r)) => r,
            Some(Err(e)) => panic!("query failed: {e}"),
            None => panic!("no query ran"),
        }
    }
}

fn docstring(step: &Step) -> &str {
    step.docstring.as_deref().unwrap_or_default()
}

#[given("an empty graph")]
#[given("any graph")]
fn empty(w: &mut Tck) {
    w.engine = Engine::new();
}

#[given(regex = r"^the (binary-tree-\d) graph$")]
fn named_graph(w: &mut Tck, name: String) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck/graphs").join(&name).join(format!("{name}.cypher"));
    let text = std::fs::read_to_string(path).expect("graph script");
    w.engine.query(&text, &Params::new()).unwrap_or_else(|e| panic!("loading {name}: {e}"));
}

#[given("having executed:")]
fn having_executed(w: &mut Tck, step: &Step) {
    let text = docstring(step);
    w.engine.query(text, &Params::new()).unwrap_or_else(|e| panic!("setup query failed: {e}"));
}

#[given("parameters are:")]
fn parameters(w: &mut Tck, step: &Step) {
    let table = step.table.as_ref().expect("table");
    for row in &table.rows {
        let v = values::parameter(&row[1]).unwrap_or_else(|e| panic!("parameter {}: {e}", row[0]));
        w.params.insert(&row[0], v);
    }
}

#[when("executing query:")]
fn executing(w: &mut Tck, step: &Step) {
    w.run(docstring(step));
}

#[when("executing control query:")]
fn executing_control(w: &mut Tck, step: &Step) {
    w.run(docstring(step));
}

fn check_rows(w: &Tck, step: &Step, ordered: bool, sort_lists: bool) {
    let r = w.ok();
    let table = step.table.as_ref().expect("table");
    let header = &table.rows[0];
    assert_eq!(&r.columns, header, "columns");
    let mut want: Vec<Vec<String>> = table.rows[1..]
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| values::expected(c, sort_lists).unwrap_or_else(|e| panic!("TCK cell {c}: {e}")))
                .collect()
        })
        .collect();
    let mut got: Vec<Vec<String>> =
        r.rows.iter().map(|row| row.iter().map(|v| values::value(v, sort_lists)).collect()).collect();
    if !ordered {
        want.sort();
        got.sort();
    }
    assert_eq!(got, want, "rows");
}

#[then("the result should be, in any order:")]
fn any_order(w: &mut Tck, step: &Step) {
    check_rows(w, step, false, false);
}

#[then("the result should be, in order:")]
fn in_order(w: &mut Tck, step: &Step) {
    check_rows(w, step, true, false);
}

#[then("the result should be (ignoring element order for lists):")]
fn any_order_lists(w: &mut Tck, step: &Step) {
    check_rows(w, step, false, true);
}

#[then("the result should be, in order (ignoring element order for lists):")]
fn in_order_lists(w: &mut Tck, step: &Step) {
    check_rows(w, step, true, true);
}

#[then("the result should be empty")]
fn empty_result(w: &mut Tck) {
    let r = w.ok();
    assert!(r.rows.is_empty(), "expected no rows, got {:?}", r.rows);
}

fn diff<T: Ord>(x: &BTreeSet<T>, y: &BTreeSet<T>) -> usize {
    x.difference(y).count()
}

fn side_effects(w: &Tck) -> BTreeMap<&'static str, usize> {
    let after = state(&w.engine);
    let b = &w.before;
    let mut m = BTreeMap::new();
    m.insert("+nodes", diff(&after.nodes, &b.nodes));
    m.insert("-nodes", diff(&b.nodes, &after.nodes));
    m.insert("+relationships", diff(&after.rels, &b.rels));
    m.insert("-relationships", diff(&b.rels, &after.rels));
    m.insert("+labels", diff(&after.labels, &b.labels));
    m.insert("-labels", diff(&b.labels, &after.labels));
    m.insert("+properties", diff(&after.props, &b.props));
    m.insert("-properties", diff(&b.props, &after.props));
    m
}

#[then("no side effects")]
fn no_side_effects(w: &mut Tck) {
    w.ok();
    let m = side_effects(w);
    assert!(m.values().all(|&v| v == 0), "side effects: {m:?}");
}

#[then("the side effects should be:")]
fn side_effects_are(w: &mut Tck, step: &Step) {
    w.ok();
    let got = side_effects(w);
    let mut want: BTreeMap<&str, usize> = got.keys().map(|k| (*k, 0)).collect();
    for row in &step.table.as_ref().expect("table").rows {
        want.insert(got.keys().find(|k| **k == row[0]).copied().unwrap_or("?"), row[1].trim().parse().expect("count"));
    }
    assert_eq!(got, want, "side effects");
}

static CATEGORY: Mutex<(usize, usize)> = Mutex::new((0, 0));

#[then(regex = r"^an? (\w+) should be raised at (compile time|runtime|any time): (\w+)$")]
fn error_raised(w: &mut Tck, kind: String, _when: String, detail: String) {
    match &w.result {
        Some(Err(e)) => {
            let mut c = CATEGORY.lock().unwrap();
            c.1 += 1;
            if e.message().starts_with(&kind) || e.message().contains(&detail) {
                c.0 += 1;
            }
        }
        Some(Ok(r)) => panic!("expected {kind} ({detail}), got {} rows", r.rows.len()),
        None => panic!("no query ran"),
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

static TALLY: Mutex<BTreeMap<String, Tally>> = Mutex::new(BTreeMap::new());
static SKIPS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
static FAILURES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck/features")
}

/// The directory of a feature file relative to `features/`.
fn group(path: Option<&PathBuf>) -> String {
    let Some(p) = path else { return "?".into() };
    let rel = p.strip_prefix(features()).unwrap_or(p);
    rel.parent().map(|d| d.display().to_string()).unwrap_or_default()
}

/// Why a scenario was skipped: its first step we do not implement.
fn skip_reason(scenario: &cucumber::gherkin::Scenario) -> String {
    for s in &scenario.steps {
        let v = &s.value;
        if v.starts_with("there exists a procedure") {
            return "procedure fixtures (`there exists a procedure …`) are not implemented".into();
        }
        if v.starts_with("the ") && v.ends_with(" graph") {
            return format!("named graph `{v}` is not loaded");
        }
    }
    "a step the runner does not implement".into()
}

fn floors() -> BTreeMap<String, f64> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck/floors.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.trim_end_matches('%').parse().ok()?))
        })
        .collect()
}

fn main() {
    let filter = std::env::var("TCK_FILTER").unwrap_or_default();
    let verbose = std::env::var("TCK_VERBOSE").is_ok();
    let started = std::time::Instant::now();
    let runner = Tck::cucumber()
        .with_writer(writer::Basic::raw(std::io::sink(), writer::Coloring::Never, 0).summarized().normalized())
        .max_concurrent_scenarios(1)
        .after(move |feature, _rule, scenario, ev, world| {
            let mut tally = TALLY.lock().unwrap();
            let t = tally.entry(group(feature.path.as_ref())).or_default();
            match ev {
                ScenarioFinished::StepPassed => t.passed += 1,
                ScenarioFinished::StepSkipped => {
                    t.skipped += 1;
                    *SKIPS.lock().unwrap().entry(skip_reason(scenario)).or_default() += 1;
                }
                _ => {
                    t.failed += 1;
                    if verbose {
                        let result =
                            world.and_then(|w| w.result.as_ref().map(|r| format!("{r:?}"))).unwrap_or_default();
                        let result: String = result.chars().take(300).collect();
                        FAILURES.lock().unwrap().push(format!("{}: {} => {result}", feature.name, scenario.name));
                    }
                }
            }
            Box::pin(async {})
        });
    futures::executor::block_on(runner.filter_run(features(), move |feature, _, _| {
        filter.is_empty() || feature.path.as_ref().is_some_and(|p| p.display().to_string().contains(&filter))
    }));
    for f in FAILURES.lock().unwrap().iter() {
        println!("FAILED {f}");
    }
    let floors = floors();
    let mut below = Vec::new();
    let (mut all_p, mut all_n) = (0, 0);
    println!("{:<28} {:>6} {:>6} {:>6} {:>7}", "directory", "passed", "failed", "skip", "rate");
    for (dir, t) in TALLY.lock().unwrap().iter() {
        let n = t.passed + t.failed + t.skipped;
        let rate = 100.0 * t.passed as f64 / n.max(1) as f64;
        println!("{dir:<28} {:>6} {:>6} {:>6} {rate:>6.1}%", t.passed, t.failed, t.skipped);
        all_p += t.passed;
        all_n += n;
        if let Some(&floor) = floors.get(dir)
            && rate + 0.05 < floor
        {
            below.push(format!("{dir}: {rate:.1}% < floor {floor}%"));
        }
    }
    println!(
        "{:<28} {all_p:>6} of {all_n} ({:.1}%) in {:.1?}",
        "total",
        100.0 * all_p as f64 / all_n.max(1) as f64,
        started.elapsed()
    );
    let c = CATEGORY.lock().unwrap();
    println!("expected errors raised: {}, of which with the expected category or detail: {}", c.1, c.0);
    for (reason, n) in SKIPS.lock().unwrap().iter() {
        println!("skipped {n}: {reason}");
    }
    if !below.is_empty() {
        eprintln!("TCK pass rate fell below its floor:\n{}", below.join("\n"));
        std::process::exit(1);
    }
}
