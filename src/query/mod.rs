//! Cypher: openCypher queries over the graph.
//!
//! Text is parsed by the `open-cypher` crate, lowered to our logical plan
//! ([`ir`], by `lower`), planned (`plan`: start from a bound variable, an
//! index seek, a label scan, in that order; expand along relationships;
//! filters as early as their variables are bound) and executed over rows
//! (`exec`, `matcher`, `eval`). Storage is reached through `store` only.
//! Plans are cached by query text, so a parameterised query is parsed and
//! planned once.
//!
//! ```
//! let engine = kvgraph::Engine::new();
//! let r = engine
//!     .query(
//!         "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2",
//!         &kvgraph::Params::new(),
//!     )
//!     .unwrap();
//! assert_eq!(r.columns, ["p1", "r", "p2"]);
//! assert_eq!(r.stats.nodes_created, 2);
//! ```

mod error;
mod eval;
mod exec;
mod funcs;
mod ir;
mod json;
mod limits;
mod lower;
mod matcher;
mod plan;
mod procs;
mod schema;
mod store;
mod temporal;
mod val;

use crate::graph::{Graph, WriteStats};
use crate::{Error, Result, Value};
use ir::{Mode, Plan, Schema};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use val::Val;

pub use error::line_col;

/// Query parameters: `$name` reads `name`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(BTreeMap<String, Value>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Params::default()
    }

    /// These parameters plus `name` = `value`.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    /// Sets `name` to `value`.
    pub fn insert(&mut self, name: &str, value: Value) {
        self.0.insert(name.to_string(), value);
    }

    /// Parameter `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Parameters from a JSON object (`{"name": "Ada", "ids": [1, 2]}`):
    /// integers stay integers, other numbers are floats.
    pub fn from_json(text: &str) -> Result<Params> {
        json::params(text)
    }
}

/// A node as a query returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id.
    pub id: u64,
    /// Its labels, in name order.
    pub labels: Vec<String>,
    /// Its properties.
    pub properties: BTreeMap<String, Value>,
}

/// A relationship as a query returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship {
    /// Its id.
    pub id: u64,
    /// Its type.
    pub rel_type: String,
    /// Start node id.
    pub start: u64,
    /// End node id.
    pub end: u64,
    /// Its properties.
    pub properties: BTreeMap<String, Value>,
}

/// A path: `nodes[i]` and `nodes[i + 1]` are joined by `relationships[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Nodes in order.
    pub nodes: Vec<Node>,
    /// Relationships in order.
    pub relationships: Vec<Relationship>,
}

/// A value in a query result.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    /// null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A date, time, date-time or duration.
    Temporal(crate::Temporal),
    /// A list.
    List(Vec<QueryValue>),
    /// A map.
    Map(BTreeMap<String, QueryValue>),
    /// A node.
    Node(Node),
    /// A relationship.
    Relationship(Relationship),
    /// A path.
    Path(Path),
}

impl From<Value> for QueryValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => QueryValue::Null,
            Value::Bool(b) => QueryValue::Bool(b),
            Value::Int(i) => QueryValue::Int(i),
            Value::Float(f) => QueryValue::Float(f),
            Value::String(s) => QueryValue::String(s),
            Value::Bytes(b) => QueryValue::Bytes(b),
            Value::Temporal(t) => QueryValue::Temporal(t),
            Value::List(l) => QueryValue::List(l.into_iter().map(Into::into).collect()),
            Value::Map(m) => QueryValue::Map(m.into_iter().map(|(k, v)| (k, v.into())).collect()),
        }
    }
}

impl QueryValue {
    /// This value as JSON, in the shape of [`QueryResult::to_json`].
    pub fn to_json(&self) -> String {
        json::cell(self).to_string()
    }
}

/// One operator of a plan: what EXPLAIN shows, with PROFILE's rows and time.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStep {
    /// The operator and what it does.
    pub operator: String,
    /// Rows it produced (PROFILE).
    pub rows: Option<u64>,
    /// Microseconds it took (PROFILE).
    pub time_us: Option<u64>,
}

/// What a query returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<QueryValue>>,
    /// What the query's writes changed.
    pub stats: WriteStats,
    /// The plan, for EXPLAIN and PROFILE (empty otherwise).
    pub plan: Vec<PlanStep>,
}

impl QueryResult {
    /// The whole result as JSON: `{"columns": [...], "rows": [[...]], "stats": {...}}`.
    pub fn to_json(&self) -> String {
        json::result(self)
    }
}

/// Plans by query text, shared by every engine of the process (a plan reads
/// no engine state; index availability is checked when it runs).
type Planned = Arc<(Plan, Mode)>;

/// The process's plans by query text (at most 4,096; then it starts over).
fn plans() -> &'static Mutex<HashMap<String, Planned>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Planned>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The cached plan of `text`, if any (only shallow queries are cached).
fn cached_plan(text: &str) -> Option<Planned> {
    plans().lock().unwrap_or_else(|e| e.into_inner()).get(text).map(Arc::clone)
}

/// Plans `text` (a shallow query) and caches the plan.
fn plan_and_cache(text: &str) -> Result<Planned> {
    const CAP: usize = 4096;
    let plan = Arc::new(lower::lower(text)?);
    let mut c = plans().lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= CAP {
        c.clear();
    }
    c.insert(text.to_string(), Arc::clone(&plan));
    Ok(plan)
}

/// Runs `text` with `params` on `graph`. See [`crate::Engine::query`].
pub fn run(graph: &Graph, text: &str, params: &Params) -> Result<QueryResult> {
    run_with_timeout(graph, text, params, None)
}

/// [`run`], stopped with a `TimeoutError` (and a write query rolled back)
/// once it has run for `timeout`. See [`crate::Engine::query_with_timeout`].
pub fn run_with_timeout(
    graph: &Graph,
    text: &str,
    params: &Params,
    timeout: Option<std::time::Duration>,
) -> Result<QueryResult> {
    let deadline = timeout.map(|t| (std::time::Instant::now() + t, t));
    // A cached plan is a shallow query's: its nesting was checked when it was planned.
    if let Some(plan) = cached_plan(text) {
        return execute(graph, &plan, params, deadline);
    }
    let depth = limits::check_depth(text, 0)?;
    if depth <= limits::SHALLOW {
        return execute(graph, &*plan_and_cache(text)?, params, deadline);
    }
    // A deep query: planned, run and dropped (never cached, so that no other
    // thread drops it) on a thread with a stack sized for it.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("kvgraph-deep-query".into())
            .stack_size(limits::stack_for(depth))
            .spawn_scoped(s, || execute(graph, &lower::lower(text)?, params, deadline))
            .map_err(|e| Error::invalid(format!("cannot start a thread for a deeply nested query: {e}")))?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Attempts a write query makes when it meets another open write (a
/// conflict) before it reports one: its earlier attempts left nothing behind.
const CONFLICT_ATTEMPTS: u32 = 64;

/// Runs a planned query: once, or again after a conflict with a concurrent
/// write (backing off a little more each time).
fn execute(
    graph: &Graph,
    planned: &(Plan, Mode),
    params: &Params,
    deadline: Option<(std::time::Instant, std::time::Duration)>,
) -> Result<QueryResult> {
    let params: BTreeMap<String, Val> = params.0.iter().map(|(k, v)| (k.clone(), Val::from_value(v.clone()))).collect();
    let mut attempt = 0;
    loop {
        match execute_once(graph, planned, &params, deadline) {
            Err(e) if e.kind() == crate::ErrorKind::Conflict && attempt + 1 < CONFLICT_ATTEMPTS => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_micros(50 << attempt.min(10)));
            }
            outcome => return outcome,
        }
    }
}

/// Runs a planned query once: its writes commit as one batch, or not at all.
fn execute_once(
    graph: &Graph,
    planned: &(Plan, Mode),
    params: &BTreeMap<String, Val>,
    deadline: Option<(std::time::Instant, std::time::Duration)>,
) -> Result<QueryResult> {
    let (plan, mode) = (&planned.0, planned.1);
    let mut ex = exec::Exec {
        store: store::Store::new(graph),
        params,
        aggs: Vec::new(),
        profile: (mode == Mode::Profile).then(Vec::new),
        deadline,
        ticks: 0,
    };
    let outcome = match plan {
        Plan::Schema(s) => schema_command(&mut ex, s, mode),
        Plan::Query { parts, union_all } => query(&mut ex, parts, union_all, mode),
    };
    match outcome {
        Ok(mut r) => {
            ex.store.commit()?;
            r.stats = ex.store.stats;
            Ok(r)
        }
        Err(e) => {
            ex.store.rollback();
            Err(e)
        }
    }
}

/// Runs the parts of a (union) query and converts its rows.
fn query(ex: &mut exec::Exec, parts: &[ir::Single], union_all: &[bool], mode: Mode) -> Result<QueryResult> {
    let columns = parts[0].columns.clone();
    if mode == Mode::Explain {
        let plan = parts
            .iter()
            .flat_map(|p| p.clauses.iter())
            .map(|c| PlanStep { operator: exec::describe(c), rows: None, time_us: None })
            .collect();
        return Ok(QueryResult { columns, plan, ..Default::default() });
    }
    let mut rows: Vec<Vec<Val>> = Vec::new();
    for part in parts {
        let n = part.columns.len();
        if n == 0 {
            ex.run_single(part)?;
            continue;
        }
        rows.extend(ex.run_single(part)?.into_iter().map(|mut r| {
            r.truncate(n);
            r
        }));
    }
    if parts.len() > 1 && !union_all.first().copied().unwrap_or(false) {
        let mut seen = std::collections::BTreeSet::new();
        rows.retain(|r| seen.insert(val::Key(r.clone())));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut cells = Vec::with_capacity(r.len());
        for v in r {
            cells.push(output(ex, v)?);
        }
        out.push(cells);
    }
    let plan = ex
        .profile
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(operator, rows, us)| PlanStep { operator, rows: Some(rows), time_us: Some(us) })
        .collect();
    Ok(QueryResult { columns, rows: out, stats: WriteStats::default(), plan })
}

fn schema_command(ex: &mut exec::Exec, s: &Schema, mode: Mode) -> Result<QueryResult> {
    let mut r = QueryResult::default();
    if mode == Mode::Explain {
        r.plan.push(PlanStep { operator: format!("{s:?}"), rows: None, time_us: None });
        return Ok(r);
    }
    match s {
        Schema::CreateIndex(l, p) => {
            ex.store.create_index(l, p)?;
        }
        Schema::DropIndex(l, p) => {
            if !ex.store.drop_index(l, p)? {
                return Err(error::semantic("DatabaseError", format!("no index on :{l}({p})")));
            }
        }
        Schema::ShowIndexes => {
            r.columns = vec!["label".into(), "property".into(), "type".into()];
            r.rows = ex
                .store
                .indexes()
                .into_iter()
                .map(|(l, p)| vec![QueryValue::String(l), QueryValue::String(p), QueryValue::String("RANGE".into())])
                .collect();
        }
    }
    Ok(r)
}

fn props(p: Vec<(String, Value)>) -> BTreeMap<String, Value> {
    p.into_iter().collect()
}

fn node_out(store: &mut store::Store, id: u64) -> Node {
    Node { id, labels: store.labels(id), properties: props(store.node_props(id)) }
}

fn rel_out(store: &mut store::Store, r: &val::RelRef) -> Relationship {
    Relationship {
        id: r.id,
        rel_type: r.ty.to_string(),
        start: r.src,
        end: r.dst,
        properties: props(store.rel_props(r)),
    }
}

fn output(ex: &mut exec::Exec, v: &Val) -> Result<QueryValue> {
    ex.check_live(v)?;
    let store = &mut ex.store;
    Ok(match v {
        Val::Null => QueryValue::Null,
        Val::Bool(b) => QueryValue::Bool(*b),
        Val::Int(i) => QueryValue::Int(*i),
        Val::Float(f) => QueryValue::Float(*f),
        Val::Str(s) => QueryValue::String(s.to_string()),
        Val::Bytes(b) => QueryValue::Bytes(b.to_vec()),
        Val::Temporal(t) => QueryValue::Temporal(**t),
        Val::List(l) => QueryValue::List(l.iter().map(|x| output(ex, x)).collect::<Result<_>>()?),
        Val::Map(m) => QueryValue::Map(m.iter().map(|(k, x)| Ok((k.clone(), output(ex, x)?))).collect::<Result<_>>()?),
        Val::Node(n) => QueryValue::Node(node_out(store, *n)),
        Val::Rel(r) => QueryValue::Relationship(rel_out(store, r)),
        Val::Path(p) => QueryValue::Path(Path {
            nodes: p.0.iter().map(|&n| node_out(store, n)).collect(),
            relationships: p.1.iter().map(|r| rel_out(store, r)).collect(),
        }),
    })
}
