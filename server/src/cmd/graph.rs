//! FalkorDB-compatible graph commands: `GRAPH.QUERY`, `GRAPH.RO_QUERY`,
//! `GRAPH.DELETE`, `GRAPH.LIST`, `GRAPH.EXPLAIN`, `GRAPH.PROFILE`, over
//! [`kvgraph::Engine::query`].
//!
//! Each graph name owns its own [`kvgraph::Engine`] (created by the first
//! `GRAPH.QUERY` that names it, dropped by `GRAPH.DELETE`); graph names are
//! a namespace apart from the Redis keys. With persistence on, each engine
//! lives in its own directory under `<dir>/graphs/` (named by
//! [`crate::persist::encode_name`]); `GRAPH.DELETE` first moves it into
//! `graphs/.trash/` (one rename: a crash leaves the graph whole or gone),
//! removed once the last query using the graph is done. Replies follow FalkorDB's wire
//! format: verbose, or `--compact` (what the `falkordb` clients send), where
//! labels, relationship types and property keys are ids into the lists
//! `CALL db.labels()`, `CALL db.relationshipTypes()` and
//! `CALL db.propertyKeys()` return. Those lists are kept per graph in
//! first-seen order and never shrink, as FalkorDB's schema does, so an id a
//! client has cached keeps its meaning (across restarts too: a durable
//! graph stores them in its engine's KV map).

use super::{CmdResult, Ctx, Error, parse_i64};
use crate::frame::{Reply, format_double};
use crate::persist::{decode_name, encode_name};
use kvgraph::query::{Node, Path, Relationship};
use kvgraph::{Engine, Fsync, Params, QueryResult, QueryValue, Value, WriteStats};
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The graphs of a server, by name.
#[derive(Default)]
pub struct Graphs {
    by_name: RwLock<BTreeMap<Vec<u8>, Arc<NamedGraph>>>,
    /// What reads of a graph never created see (never written: only reads
    /// run on it).
    empty: Arc<NamedGraph>,
    /// Query texts run so far (for `Cached execution`), bounded as the
    /// engine's plan cache is.
    seen: Mutex<HashSet<String>>,
    /// Where the graphs persist (`None`: in memory).
    storage: Option<Storage>,
}

/// The directory of durable graphs and their fsync policy.
struct Storage {
    root: PathBuf,
    fsync: Fsync,
    /// Names for the directories of deleted graphs.
    trashed: AtomicU64,
}

/// Where the directories of deleted graphs wait for removal.
const TRASH: &str = ".trash";

impl Storage {
    fn engine(&self, dir: PathBuf) -> kvgraph::Result<Engine> {
        Engine::try_with_config(kvgraph::Config {
            path: Some(dir),
            fsync: self.fsync,
            save: kvgraph::SavePolicy { rules: Vec::new() },
            ..kvgraph::Config::default()
        })
    }
}

/// One graph: its engine and the ids its compact replies use.
#[derive(Default)]
struct NamedGraph {
    engine: Engine,
    schema: Mutex<Schema>,
    /// Held while the graph saves; `true` once it is deleted (no more saves).
    deleted: Mutex<bool>,
    /// Declared after `engine`, so dropped after it has released its directory.
    trash: Trash,
}

/// The directory of a deleted durable graph, removed when dropped.
#[derive(Default)]
struct Trash(Mutex<Option<PathBuf>>);

impl Drop for Trash {
    fn drop(&mut self) {
        if let Some(dir) = self.0.get_mut().take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Append-only name lists: a name's id is its position.
#[derive(Default, Debug)]
struct Schema {
    labels: Names,
    types: Names,
    keys: Names,
}

/// Engine-key prefix of a durable graph's schema entries in its engine's
/// (otherwise unused) KV map: then the list's tag and the id (u64 BE) →
/// the name. So compact ids keep their meaning across restarts.
const SCHEMA_PREFIX: &[u8] = b"schema/";

impl Schema {
    fn lists(&mut self) -> [(u8, &mut Names); 3] {
        [(b'l', &mut self.labels), (b't', &mut self.types), (b'k', &mut self.keys)]
    }

    /// The lists a durable graph's engine stored.
    fn load(engine: &Engine) -> Schema {
        let mut schema = Schema::default();
        for (tag, names) in schema.lists() {
            let prefix = [SCHEMA_PREFIX, &[tag]].concat();
            for (k, v) in engine.kv().scan_prefix(&prefix) {
                let id = k[prefix.len()..].try_into().map_or(u64::MAX, u64::from_be_bytes);
                // Ids are dense and stored in order; anything else is not ours.
                if id == names.list.len() as u64 {
                    names.id(&String::from_utf8_lossy(&v));
                }
            }
        }
        schema
    }

    /// The list lengths now, for [`Schema::store_new`].
    fn lens(&self) -> [usize; 3] {
        [self.labels.list.len(), self.types.list.len(), self.keys.list.len()]
    }

    /// Drops the names added since the lengths were `before` (not stored).
    fn forget_new(&mut self, before: [usize; 3]) {
        for ((_, names), from) in self.lists().into_iter().zip(before) {
            for name in names.list.drain(from..) {
                names.ids.remove(&name);
            }
        }
    }

    /// Stores in a durable `engine` the names added since the lengths were
    /// `before`; returns whether there were any.
    fn store_new(&mut self, engine: &Engine, before: [usize; 3]) -> kvgraph::Result<bool> {
        let mut wrote = false;
        for ((tag, names), from) in self.lists().into_iter().zip(before) {
            for (id, name) in names.list.iter().enumerate().skip(from) {
                let key = [SCHEMA_PREFIX, &[tag], &(id as u64).to_be_bytes()].concat();
                engine.kv().try_set(&key, name.as_bytes())?;
                wrote = true;
            }
        }
        Ok(wrote)
    }
}

#[derive(Default, Debug)]
struct Names {
    list: Vec<String>,
    ids: HashMap<String, i64>,
}

impl Names {
    fn id(&mut self, name: &str) -> i64 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.list.len() as i64;
        self.list.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// The schema procedures the clients call to resolve compact ids.
#[derive(Clone, Copy, PartialEq, Debug)]
enum SchemaProc {
    Labels,
    Types,
    Keys,
}

impl SchemaProc {
    fn of(query: &str) -> Option<SchemaProc> {
        let q: String = query.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        match q.as_str() {
            "calldb.labels()" => Some(SchemaProc::Labels),
            "calldb.relationshiptypes()" => Some(SchemaProc::Types),
            "calldb.propertykeys()" => Some(SchemaProc::Keys),
            _ => None,
        }
    }
}

impl Graphs {
    /// The durable graphs in `root` (created if missing), each opened on
    /// its directory with `fsync`; graphs created later persist there too.
    /// Leftovers of deleted graphs are removed; entries that are not graph
    /// directories are left alone.
    pub fn open(root: PathBuf, fsync: Fsync) -> Result<Graphs, String> {
        std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        let trash = root.join(TRASH);
        if trash.exists() {
            std::fs::remove_dir_all(&trash).map_err(|e| format!("cannot remove {}: {e}", trash.display()))?;
        }
        let storage = Storage { root, fsync, trashed: AtomicU64::new(0) };
        let mut by_name = BTreeMap::new();
        let entries =
            std::fs::read_dir(&storage.root).map_err(|e| format!("cannot list {}: {e}", storage.root.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", storage.root.display()))?;
            let Some(name) = entry.file_name().to_str().and_then(decode_name) else { continue };
            if !entry.path().is_dir() {
                continue;
            }
            let engine = storage.engine(entry.path()).map_err(|e| {
                format!("cannot open graph {:?} in {}: {e}", String::from_utf8_lossy(&name), entry.path().display())
            })?;
            let schema = Mutex::new(Schema::load(&engine));
            by_name.insert(name, Arc::new(NamedGraph { engine, schema, ..NamedGraph::default() }));
        }
        Ok(Graphs { by_name: RwLock::new(by_name), storage: Some(storage), ..Graphs::default() })
    }

    /// Saves a snapshot of every graph (skipping those deleted meanwhile).
    pub fn save_all(&self) -> Result<(), String> {
        self.each_durable(|name, e| e.save().map(|_| ()).map_err(|e| format!("saving graph {name:?}: {e}")))
    }

    /// Writes and syncs every graph's log.
    pub fn sync_all(&self) -> Result<(), String> {
        self.each_durable(|name, e| e.sync().map_err(|e| format!("syncing graph {name:?}: {e}")))
    }

    fn each_durable(&self, f: impl Fn(&str, &Engine) -> Result<(), String>) -> Result<(), String> {
        if self.storage.is_none() {
            return Ok(());
        }
        let graphs: Vec<(Vec<u8>, Arc<NamedGraph>)> =
            self.by_name.read().iter().map(|(n, g)| (n.clone(), Arc::clone(g))).collect();
        for (name, g) in graphs {
            let deleted = g.deleted.lock();
            if !*deleted {
                f(&String::from_utf8_lossy(&name), &g.engine)?;
            }
        }
        Ok(())
    }

    /// Number of graphs.
    pub fn len(&self) -> usize {
        self.by_name.read().len()
    }

    /// Whether there are no graphs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, name: &[u8]) -> Option<Arc<NamedGraph>> {
        self.by_name.read().get(name).cloned()
    }

    /// Graph `name`, or the empty graph if there is none.
    fn get_or_empty(&self, name: &[u8]) -> Arc<NamedGraph> {
        self.get(name).unwrap_or_else(|| Arc::clone(&self.empty))
    }

    fn get_or_create(&self, name: &[u8]) -> Result<Arc<NamedGraph>, Error> {
        if let Some(g) = self.get(name) {
            return Ok(g);
        }
        let mut map = self.by_name.write();
        if let Some(g) = map.get(name) {
            return Ok(Arc::clone(g));
        }
        let graph = match &self.storage {
            None => NamedGraph::default(),
            Some(s) => {
                let dir = encode_name(name)
                    .ok_or("ERR graph name too long to persist (its directory name would pass 240 bytes)")?;
                let engine = s
                    .engine(s.root.join(dir))
                    .map_err(|e| Error::from(format!("ERR cannot create the graph's storage: {e}")))?;
                NamedGraph { engine, ..NamedGraph::default() }
            }
        };
        Ok(Arc::clone(map.entry(name.to_vec()).or_insert(Arc::new(graph))))
    }

    /// Removes graph `name`; `Ok(false)` if there is none. A durable
    /// graph's directory goes to the trash first (waiting for a save of it
    /// that is running).
    fn remove(&self, name: &[u8]) -> Result<bool, Error> {
        let Some(graph) = self.get(name) else { return Ok(false) };
        let mut deleted = graph.deleted.lock();
        let mut map = self.by_name.write();
        if *deleted || !map.get(name).is_some_and(|g| Arc::ptr_eq(g, &graph)) {
            return Ok(false); // deleted meanwhile
        }
        if let Some(s) = &self.storage {
            let trash = s.root.join(TRASH);
            let to = trash.join(s.trashed.fetch_add(1, Ordering::Relaxed).to_string());
            let from = s.root.join(encode_name(name).ok_or("ERR graph name too long to persist")?);
            std::fs::create_dir_all(&trash)
                .and_then(|_| std::fs::rename(&from, &to))
                .map_err(|e| Error::from(format!("ERR cannot remove the graph's storage {}: {e}", from.display())))?;
            *graph.trash.0.lock() = Some(to);
        }
        *deleted = true;
        map.remove(name);
        Ok(true)
    }

    /// Whether `text` ran before (and remember it).
    fn cached(&self, text: &str) -> bool {
        const CAP: usize = 4096;
        let mut seen = self.seen.lock();
        if seen.contains(text) {
            return true;
        }
        if seen.len() >= CAP {
            seen.clear();
        }
        seen.insert(text.to_string());
        false
    }
}

/// How a reply is written.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Format {
    Verbose,
    Compact,
}

/// FalkorDB's refusal of a write through `GRAPH.RO_QUERY`.
pub const RO_ERROR: &str = "graph.RO_QUERY is to be executed only on read-only queries";

/// `GRAPH.QUERY graph query [--compact] [timeout ms]`.
pub fn query(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    run_query(ctx, args, false)
}

/// `GRAPH.RO_QUERY graph query [--compact] [timeout ms]`: refuses writes.
pub fn ro_query(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    run_query(ctx, args, true)
}

fn text_arg(arg: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(arg).map_err(|_| Error::from("ERR query is not valid UTF-8"))
}

/// The trailing options: `--compact`, `timeout N` (milliseconds; 0: none).
fn options(rest: &[Vec<u8>]) -> Result<(Format, Option<Duration>), Error> {
    let mut format = Format::Verbose;
    let mut timeout = None;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].to_ascii_lowercase();
        match a.as_slice() {
            b"--compact" => format = Format::Compact,
            b"timeout" => {
                i += 1;
                match rest.get(i).and_then(|t| parse_i64(t)) {
                    Some(0) => timeout = None,
                    Some(t) if t > 0 => timeout = Some(Duration::from_millis(t as u64)),
                    _ => return Err("Failed to parse query timeout value".into()),
                }
            }
            b"version" => i += 1,
            _ => return Err(format!("Unknown argument: {}", String::from_utf8_lossy(&rest[i])).into()),
        }
        i += 1;
    }
    Ok((format, timeout))
}

/// The deepest nesting of brackets a query may have: the engine's parser
/// and evaluator recurse on nested expressions.
pub const MAX_NESTING: usize = 256;

/// `text` as a query, refused if it nests deeper than [`MAX_NESTING`].
fn query_text(arg: &[u8]) -> Result<&str, Error> {
    let text = text_arg(arg)?;
    if outside_quotes(text).any(|(_, _, depth)| depth > MAX_NESTING) {
        return Err(format!("Query nesting too deep (more than {MAX_NESTING} brackets)").into());
    }
    Ok(text)
}

/// The characters of `s` outside string literals and quoted names (and
/// the quotes that close them), each with its byte offset and the bracket
/// depth after it (`usize::MAX` once a bracket closes that was never
/// opened).
fn outside_quotes(s: &str) -> impl Iterator<Item = (usize, char, usize)> + '_ {
    let mut depth = Some(0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    s.char_indices().filter_map(move |(i, c)| {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
                return Some((i, c, depth.unwrap_or(usize::MAX)));
            }
            return None;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '[' | '{' | '(' => depth = depth.map(|d| d + 1),
            ']' | '}' | ')' => depth = depth.and_then(|d| d.checked_sub(1)),
            _ => {}
        }
        // An unbalanced close reads as too deep to go on.
        Some((i, c, depth.unwrap_or(usize::MAX)))
    })
}

fn run_query(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> CmdResult {
    let (format, timeout) = options(&args[3..])?;
    let graphs = &ctx.srv.graphs;
    let graph = if read_only { graphs.get_or_empty(&args[1]) } else { graphs.get_or_create(&args[1])? };
    let (params, text) = split_params(&graph.engine, query_text(&args[2])?)?;
    if read_only && writes(&graph.engine, text, &params)? {
        return Err(RO_ERROR.into());
    }
    let cached = graphs.cached(text);
    let started = Instant::now();
    let mut result = match timeout {
        Some(t) => graph.engine.query_with_timeout(text, &params, t),
        None => graph.engine.query(text, &params),
    }
    .map_err(engine_error)?;
    if let Some(p) = &ctx.srv.persist
        && result.stats != WriteStats::default()
    {
        p.changed(1);
        if p.always {
            graph.engine.sync().map_err(|e| Error::from(super::misconf(&e.to_string())))?;
        }
    }
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let mut schema = graph.schema.lock();
    let before = schema.lens();
    if let Some(p) = SchemaProc::of(text) {
        result = schema_reply(&mut schema, p, &result);
    }
    let start = ctx.out.buf.len();
    encode(ctx.out, &result, format, &mut schema, cached, elapsed);
    let always = ctx.srv.persist.as_ref().is_some_and(|p| p.always);
    let stored = match graph.engine.recovery() {
        None => Ok(()),
        Some(_) => schema
            .store_new(&graph.engine, before)
            .and_then(|wrote| if wrote && always { graph.engine.sync() } else { Ok(()) }),
    };
    if let Err(e) = stored {
        // The reply's new ids would mean something else after a restart.
        ctx.out.buf.truncate(start);
        schema.forget_new(before);
        return Err(format!("MISCONF cannot store the graph's schema: {e}").into());
    }
    Ok(())
}

fn engine_error(e: kvgraph::Error) -> Error {
    e.to_string().into()
}

/// Whether `text` would write: its plan has an updating clause or is a
/// schema command (the engine has no read-only mode of its own).
fn writes(engine: &Engine, text: &str, params: &Params) -> Result<bool, Error> {
    let plan = engine.query(&format!("EXPLAIN {text}"), params).map_err(engine_error)?;
    Ok(plan.plan.iter().any(|s| {
        let op = s.operator.as_str();
        ["Create", "Merge", "SetProperties", "Remove", "Delete", "DetachDelete", "CreateIndex", "DropIndex"]
            .iter()
            .any(|w| op == *w || op.starts_with(&format!("{w}(")))
    }))
}

/// The rows of a schema procedure from the graph's id lists, after adding
/// the names the engine reports that the lists lack (in its order).
fn schema_reply(schema: &mut Schema, p: SchemaProc, engine: &QueryResult) -> QueryResult {
    let names = match p {
        SchemaProc::Labels => &mut schema.labels,
        SchemaProc::Types => &mut schema.types,
        SchemaProc::Keys => &mut schema.keys,
    };
    for row in &engine.rows {
        if let Some(QueryValue::String(s)) = row.first() {
            names.id(s);
        }
    }
    QueryResult {
        columns: engine.columns.clone(),
        rows: names.list.iter().map(|n| vec![QueryValue::String(n.clone())]).collect(),
        ..Default::default()
    }
}

/// Splits FalkorDB's `CYPHER name=value …` prefix off `text`; the values
/// are Cypher literals, evaluated by `engine` (as a `RETURN` of them, which
/// reads nothing of its graph).
fn split_params<'t>(engine: &Engine, text: &'t str) -> Result<(Params, &'t str), Error> {
    let trimmed = text.trim_start();
    let Some(after) = strip_keyword(trimmed, "CYPHER") else {
        return Ok((Params::new(), text));
    };
    let mut names = Vec::new();
    let mut literals = Vec::new();
    let mut rest = after;
    loop {
        let s = rest.trim_start();
        let Some((name, after_name)) = param_name(s) else {
            rest = s;
            break;
        };
        let value_len = literal_len(after_name).ok_or_else(|| Error::from("Invalid CYPHER parameter header"))?;
        names.push(name);
        literals.push(&after_name[..value_len]);
        rest = &after_name[value_len..];
    }
    let mut params = Params::new();
    // Plain scalars are read here; the rest (lists, maps, escapes) by the
    // engine, whose plan cache would otherwise fill with one text per value.
    let mut rest_names = Vec::new();
    let mut select = Vec::new();
    for (name, lit) in names.into_iter().zip(literals) {
        match plain_literal(lit) {
            Some(v) => params.insert(&name, v),
            None => {
                select.push(format!("{lit} AS p{}", select.len()));
                rest_names.push(name);
            }
        }
    }
    if select.is_empty() {
        return Ok((params, rest));
    }
    let values = engine
        .query(&format!("RETURN {}", select.join(", ")), &Params::new())
        .map_err(|e| Error::from(format!("Invalid CYPHER parameter value: {e}")))?;
    let row = values.rows.into_iter().next().unwrap_or_default();
    for (name, v) in rest_names.into_iter().zip(row) {
        params.insert(&name, literal_value(v)?);
    }
    Ok((params, rest))
}

/// `null`, a boolean, an integer, a float or a quoted string without
/// escapes; `None` for anything else.
fn plain_literal(lit: &str) -> Option<Value> {
    match lit.to_ascii_lowercase().as_str() {
        "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    let quoted = |q: char| lit.len() >= 2 && lit.starts_with(q) && lit.ends_with(q);
    if quoted('"') || quoted('\'') {
        let inner = &lit[1..lit.len() - 1];
        return (!inner.contains(['\\', '"', '\''])).then(|| Value::String(inner.to_string()));
    }
    let numeric = lit.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if numeric {
        return lit.parse().ok().map(Value::Int);
    }
    let float =
        lit.bytes().all(|b| b.is_ascii_digit() || b"-+.eE".contains(&b)) && lit.contains(|c: char| c.is_ascii_digit());
    if float { lit.parse().ok().map(Value::Float) } else { None }
}

fn strip_keyword<'a>(s: &'a str, kw: &str) -> Option<&'a str> {
    let head = s.get(..kw.len())?;
    let rest = &s[kw.len()..];
    (head.eq_ignore_ascii_case(kw) && rest.starts_with(char::is_whitespace)).then_some(rest)
}

/// `name=` or `` `name`= `` at the start of `s`: the name and what follows `=`.
fn param_name(s: &str) -> Option<(String, &str)> {
    let (name, rest) = if let Some(q) = s.strip_prefix('`') {
        let end = q.find('`')?;
        (q[..end].to_string(), &q[end + 1..])
    } else {
        let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
        if end == 0 || s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        (s[..end].to_string(), &s[end..])
    };
    let rest = rest.trim_start().strip_prefix('=')?;
    Some((name, rest.trim_start()))
}

/// The length of the Cypher literal at the start of `s`: up to whitespace
/// outside strings and brackets.
fn literal_len(s: &str) -> Option<usize> {
    let mut last = (0, 0);
    for (i, c, depth) in outside_quotes(s) {
        if depth == usize::MAX {
            return None;
        }
        if c.is_whitespace() && depth == 0 {
            return (i > 0).then_some(i);
        }
        last = (i + c.len_utf8(), depth);
    }
    // The whole rest: complete only if every bracket and quote closed.
    (!s.is_empty() && last == (s.len(), 0)).then_some(s.len())
}

fn literal_value(v: QueryValue) -> Result<Value, Error> {
    Ok(match v {
        QueryValue::Null => Value::Null,
        QueryValue::Bool(b) => Value::Bool(b),
        QueryValue::Int(i) => Value::Int(i),
        QueryValue::Float(f) => Value::Float(f),
        QueryValue::String(s) => Value::String(s),
        QueryValue::Bytes(b) => Value::Bytes(b),
        QueryValue::Temporal(t) => Value::Temporal(t),
        QueryValue::List(l) => Value::List(l.into_iter().map(literal_value).collect::<Result<_, _>>()?),
        QueryValue::Map(m) => {
            Value::Map(m.into_iter().map(|(k, v)| Ok((k, literal_value(v)?))).collect::<Result<_, Error>>()?)
        }
        QueryValue::Node(_) | QueryValue::Relationship(_) | QueryValue::Path(_) => {
            return Err("Invalid CYPHER parameter value: not a literal".into());
        }
    })
}

/// FalkorDB's value type tags (compact replies).
mod tag {
    pub const NULL: i64 = 1;
    pub const STRING: i64 = 2;
    pub const INTEGER: i64 = 3;
    pub const BOOLEAN: i64 = 4;
    pub const DOUBLE: i64 = 5;
    pub const ARRAY: i64 = 6;
    pub const EDGE: i64 = 7;
    pub const NODE: i64 = 8;
    pub const PATH: i64 = 9;
    pub const MAP: i64 = 10;
}

/// Writes `r` as FalkorDB replies it: `[header, rows, stats]`, or
/// `[stats]` for a query that returns no columns.
fn encode(out: &mut Reply, r: &QueryResult, format: Format, schema: &mut Schema, cached: bool, ms: f64) {
    if r.columns.is_empty() {
        out.array(1);
    } else {
        out.array(3);
        out.array(r.columns.len());
        for c in &r.columns {
            if format == Format::Compact {
                out.array(2);
                out.int(1); // COLUMN_SCALAR
            }
            out.bulk(c.as_bytes());
        }
        out.array(r.rows.len());
        for row in &r.rows {
            out.array(row.len());
            for v in row {
                match format {
                    Format::Compact => compact(out, v, schema),
                    Format::Verbose => verbose(out, v),
                }
            }
        }
    }
    let s = &r.stats;
    let counts = [
        ("Labels added", s.labels_added),
        ("Labels removed", s.labels_removed),
        ("Nodes created", s.nodes_created),
        ("Properties set", s.properties_set),
        ("Relationships created", s.relationships_created),
        ("Nodes deleted", s.nodes_deleted),
        ("Relationships deleted", s.relationships_deleted),
    ];
    let lines: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}: {n}"))
        .chain([
            format!("Cached execution: {}", u8::from(cached)),
            format!("Query internal execution time: {ms:.6} milliseconds"),
        ])
        .collect();
    out.bulk_array(lines.iter().map(|l| l.as_bytes()));
}

fn compact(out: &mut Reply, v: &QueryValue, schema: &mut Schema) {
    out.array(2);
    match v {
        QueryValue::Null => {
            out.int(tag::NULL);
            out.null();
        }
        QueryValue::Bool(b) => {
            out.int(tag::BOOLEAN);
            out.bulk(if *b { b"true" } else { b"false" });
        }
        QueryValue::Int(i) => {
            out.int(tag::INTEGER);
            out.int(*i);
        }
        QueryValue::Float(f) => {
            out.int(tag::DOUBLE);
            out.bulk(double_text(*f).as_bytes());
        }
        QueryValue::String(s) => {
            out.int(tag::STRING);
            out.bulk(s.as_bytes());
        }
        QueryValue::Bytes(b) => {
            out.int(tag::STRING);
            out.bulk(b);
        }
        // Temporal values go out as their ISO 8601 strings.
        QueryValue::Temporal(t) => {
            out.int(tag::STRING);
            out.bulk(t.to_string().as_bytes());
        }
        QueryValue::List(l) => {
            out.int(tag::ARRAY);
            out.array(l.len());
            for x in l {
                compact(out, x, schema);
            }
        }
        QueryValue::Map(m) => {
            out.int(tag::MAP);
            out.array(2 * m.len());
            for (k, x) in m {
                out.bulk(k.as_bytes());
                compact(out, x, schema);
            }
        }
        QueryValue::Node(n) => {
            out.int(tag::NODE);
            compact_node(out, n, schema);
        }
        QueryValue::Relationship(r) => {
            out.int(tag::EDGE);
            compact_rel(out, r, schema);
        }
        QueryValue::Path(p) => {
            out.int(tag::PATH);
            compact_path(out, p, schema);
        }
    }
}

fn compact_props(out: &mut Reply, props: &BTreeMap<String, Value>, schema: &mut Schema) {
    out.array(props.len());
    for (k, v) in props {
        out.array(3);
        out.int(schema.keys.id(k));
        // The value's [tag, value] pair, flattened into the triple.
        let mut cell = Reply { resp3: out.resp3, ..Reply::default() };
        compact(&mut cell, &QueryValue::from(v.clone()), schema);
        out.buf.extend_from_slice(&cell.buf[b"*2\r\n".len()..]);
    }
}

fn compact_node(out: &mut Reply, n: &Node, schema: &mut Schema) {
    out.array(3);
    out.int(n.id as i64);
    out.array(n.labels.len());
    for l in &n.labels {
        out.int(schema.labels.id(l));
    }
    compact_props(out, &n.properties, schema);
}

fn compact_rel(out: &mut Reply, r: &Relationship, schema: &mut Schema) {
    out.array(5);
    out.int(r.id as i64);
    out.int(schema.types.id(&r.rel_type));
    out.int(r.start as i64);
    out.int(r.end as i64);
    compact_props(out, &r.properties, schema);
}

fn compact_path(out: &mut Reply, p: &Path, schema: &mut Schema) {
    out.array(2);
    out.array(2);
    out.int(tag::ARRAY);
    out.array(p.nodes.len());
    for n in &p.nodes {
        out.array(2);
        out.int(tag::NODE);
        compact_node(out, n, schema);
    }
    out.array(2);
    out.int(tag::ARRAY);
    out.array(p.relationships.len());
    for r in &p.relationships {
        out.array(2);
        out.int(tag::EDGE);
        compact_rel(out, r, schema);
    }
}

/// A double as FalkorDB prints it (a string the client reads with `float`).
fn double_text(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    let s = format_double(f);
    if f.is_finite() && !s.contains(['.', 'e']) { format!("{s}.0") } else { s }
}

fn verbose(out: &mut Reply, v: &QueryValue) {
    match v {
        QueryValue::Null => out.null(),
        QueryValue::Bool(b) => out.bulk(if *b { b"true" } else { b"false" }),
        QueryValue::Int(i) => out.int(*i),
        QueryValue::Float(f) => out.bulk(double_text(*f).as_bytes()),
        QueryValue::String(s) => out.bulk(s.as_bytes()),
        QueryValue::Bytes(b) => out.bulk(b),
        QueryValue::Temporal(t) => out.bulk(t.to_string().as_bytes()),
        QueryValue::List(l) => {
            out.array(l.len());
            l.iter().for_each(|x| verbose(out, x));
        }
        QueryValue::Map(m) => {
            out.array(2 * m.len());
            for (k, x) in m {
                out.bulk(k.as_bytes());
                verbose(out, x);
            }
        }
        QueryValue::Node(n) => verbose_node(out, n),
        QueryValue::Relationship(r) => verbose_rel(out, r),
        QueryValue::Path(p) => {
            out.array(2);
            out.array(2);
            out.bulk(b"nodes");
            out.array(p.nodes.len());
            p.nodes.iter().for_each(|n| verbose_node(out, n));
            out.array(2);
            out.bulk(b"edges");
            out.array(p.relationships.len());
            p.relationships.iter().for_each(|r| verbose_rel(out, r));
        }
    }
}

fn pair_int(out: &mut Reply, k: &str, v: u64) {
    out.array(2);
    out.bulk(k.as_bytes());
    out.int(v as i64);
}

fn verbose_props(out: &mut Reply, props: &BTreeMap<String, Value>) {
    out.array(2);
    out.bulk(b"properties");
    out.array(props.len());
    for (k, v) in props {
        out.array(2);
        out.bulk(k.as_bytes());
        verbose(out, &QueryValue::from(v.clone()));
    }
}

fn verbose_node(out: &mut Reply, n: &Node) {
    out.array(3);
    pair_int(out, "id", n.id);
    out.array(2);
    out.bulk(b"labels");
    out.bulk_array(n.labels.iter().map(|l| l.as_bytes()));
    verbose_props(out, &n.properties);
}

fn verbose_rel(out: &mut Reply, r: &Relationship) {
    out.array(5);
    pair_int(out, "id", r.id);
    out.array(2);
    out.bulk(b"type");
    out.bulk(r.rel_type.as_bytes());
    pair_int(out, "src_node", r.start);
    pair_int(out, "dest_node", r.end);
    verbose_props(out, &r.properties);
}

/// `GRAPH.DELETE graph`: drops the graph and its engine.
pub fn delete(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let started = Instant::now();
    if !ctx.srv.graphs.remove(&args[1])? {
        return Err("ERR Invalid graph operation on empty key".into());
    }
    if let Some(p) = &ctx.srv.persist {
        p.changed(1);
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    ctx.out.simple(&format!("Graph removed, internal execution time: {ms:.6} milliseconds"));
    Ok(())
}

/// `GRAPH.LIST`: the graph names, in name order.
pub fn list(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let names = ctx.srv.graphs.by_name.read();
    ctx.out.bulk_array(names.keys().map(Vec::as_slice));
    Ok(())
}

/// `GRAPH.EXPLAIN graph query`: the plan, one operator a line, the last
/// clause first and each earlier one indented under it.
pub fn explain(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    plan(ctx, args, "EXPLAIN")
}

/// `GRAPH.PROFILE graph query`: runs it and shows each operator's records
/// and time.
pub fn profile(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    plan(ctx, args, "PROFILE")
}

fn plan(ctx: &mut Ctx, args: &[Vec<u8>], mode: &str) -> CmdResult {
    let graphs = &ctx.srv.graphs;
    let graph = if mode == "PROFILE" { graphs.get_or_create(&args[1])? } else { graphs.get_or_empty(&args[1]) };
    let (params, text) = split_params(&graph.engine, query_text(&args[2])?)?;
    let r = graph.engine.query(&format!("{mode} {text}"), &params).map_err(engine_error)?;
    let lines = plan_lines(&r);
    ctx.out.bulk_array(lines.iter().map(|l| l.as_bytes()));
    Ok(())
}

fn plan_lines(r: &QueryResult) -> Vec<String> {
    r.plan
        .iter()
        .rev()
        .enumerate()
        .map(|(depth, s)| {
            let mut line = format!("{}{}", "    ".repeat(depth), s.operator.replace('|', "/"));
            if let (Some(rows), Some(us)) = (s.rows, s.time_us) {
                line.push_str(&format!(" | Records produced: {rows}, Execution time: {:.6} ms", us as f64 / 1000.0));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvgraph::query::PlanStep;

    fn reply(r: &QueryResult, format: Format, schema: &mut Schema) -> Vec<u8> {
        let mut out = Reply::default();
        encode(&mut out, r, format, schema, false, 0.5);
        out.buf
    }

    fn bulks(items: &[&str]) -> String {
        let mut out = Reply::default();
        out.bulk_array(items.iter().map(|s| s.as_bytes()));
        String::from_utf8(out.buf).unwrap()
    }

    fn seed() -> QueryResult {
        let e = Engine::new();
        e.query(
            "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2",
            &Params::new(),
        )
        .unwrap()
    }

    #[test]
    fn compact_seed_reply() {
        let r = seed();
        let mut schema = Schema::default();
        let got = String::from_utf8(reply(&r, Format::Compact, &mut schema)).unwrap();
        let (a, b) = (r.rows[0][0].clone(), r.rows[0][2].clone());
        let (QueryValue::Node(a), QueryValue::Node(b)) = (a, b) else { panic!("not nodes") };
        let QueryValue::Relationship(rel) = &r.rows[0][1] else { panic!("not a relationship") };
        let node = |id: u64, name: &str| {
            format!("*2\r\n:8\r\n*3\r\n:{id}\r\n*1\r\n:0\r\n*1\r\n*3\r\n:0\r\n:2\r\n${}\r\n{name}\r\n", name.len())
        };
        let edge = format!("*2\r\n:7\r\n*5\r\n:{}\r\n:0\r\n:{}\r\n:{}\r\n*0\r\n", rel.id, a.id, b.id);
        // Labels added counts labels added to nodes, as openCypher does.
        let stats = bulks(&[
            "Labels added: 2",
            "Nodes created: 2",
            "Properties set: 2",
            "Relationships created: 1",
            "Cached execution: 0",
            "Query internal execution time: 0.500000 milliseconds",
        ]);
        let want = format!(
            "*3\r\n*3\r\n*2\r\n:1\r\n$2\r\np1\r\n*2\r\n:1\r\n$1\r\nr\r\n*2\r\n:1\r\n$2\r\np2\r\n*1\r\n*3\r\n{}{}{}{}",
            node(a.id, "John Doe"),
            edge,
            node(b.id, "Jane Doe"),
            stats
        );
        assert_eq!(got, want);
        assert_eq!(schema.labels.list, ["Person"]);
        assert_eq!(schema.types.list, ["FRIEND"]);
        assert_eq!(schema.keys.list, ["name"]);
    }

    #[test]
    fn verbose_scalars_and_no_columns() {
        let e = Engine::new();
        let r = e.query("RETURN 1 AS i, 2.5 AS f, true AS b, null AS n, [1, 'x'] AS l", &Params::new()).unwrap();
        let got = String::from_utf8(reply(&r, Format::Verbose, &mut Schema::default())).unwrap();
        assert!(
            got.starts_with("*3\r\n*5\r\n$1\r\ni\r\n$1\r\nf\r\n$1\r\nb\r\n$1\r\nn\r\n$1\r\nl\r\n*1\r\n*5\r\n:1\r\n$3\r\n2.5\r\n$4\r\ntrue\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n"),
            "{got}"
        );
        let w = e.query("CREATE (:A)", &Params::new()).unwrap();
        let got = String::from_utf8(reply(&w, Format::Compact, &mut Schema::default())).unwrap();
        assert!(got.starts_with("*1\r\n*4\r\n$15\r\nLabels added: 1\r\n$16\r\nNodes created: 1\r\n"), "{got}");
    }

    #[test]
    fn compact_map_double_and_path() {
        let e = Engine::new();
        e.query("CREATE (:A {x: 1})-[:T]->(:B)", &Params::new()).unwrap();
        let r = e.query("MATCH p = (:A)-[:T]->(:B) RETURN {k: 2.0} AS m, p", &Params::new()).unwrap();
        let mut schema = Schema::default();
        let got = String::from_utf8(reply(&r, Format::Compact, &mut schema)).unwrap();
        assert!(got.contains("*2\r\n:10\r\n*2\r\n$1\r\nk\r\n*2\r\n:5\r\n$3\r\n2.0\r\n"), "{got}");
        assert!(got.contains("*2\r\n:9\r\n*2\r\n*2\r\n:6\r\n*2\r\n*2\r\n:8\r\n"), "{got}");
        assert_eq!(schema.labels.list, ["A", "B"]);
    }

    #[test]
    fn temporal_values_go_out_as_iso_strings() {
        let e = Engine::new();
        let r = e
            .query("RETURN date({year: 1910, month: 5, day: 6}) AS d, duration('P1M2D') AS p", &Params::new())
            .unwrap();
        let mut schema = Schema::default();
        let got = String::from_utf8(reply(&r, Format::Compact, &mut schema)).unwrap();
        assert!(got.contains("*2\r\n:2\r\n$10\r\n1910-05-06\r\n*2\r\n:2\r\n$5\r\nP1M2D\r\n"), "{got}");
        let got = String::from_utf8(reply(&r, Format::Verbose, &mut schema)).unwrap();
        assert!(got.contains("$10\r\n1910-05-06\r\n$5\r\nP1M2D\r\n"), "{got}");
    }

    #[test]
    fn schema_ids_are_stable_and_procedures_list_them_in_id_order() {
        let mut schema = Schema::default();
        assert_eq!(schema.labels.id("Zed"), 0);
        let engine = QueryResult {
            columns: vec!["label".into()],
            rows: vec![vec![QueryValue::String("Alpha".into())], vec![QueryValue::String("Zed".into())]],
            ..Default::default()
        };
        let r = schema_reply(&mut schema, SchemaProc::Labels, &engine);
        assert_eq!(r.rows, [[QueryValue::String("Zed".into())], [QueryValue::String("Alpha".into())]]);
        assert_eq!(SchemaProc::of(" CALL  db.relationshipTypes() "), Some(SchemaProc::Types));
        assert_eq!(SchemaProc::of("CALL db.labels() YIELD label"), None);
    }

    #[test]
    fn cypher_parameter_prefix() {
        let (p, q) = split_params(
            &Engine::new(),
            "CYPHER `name`=\"Jo hn\" n=3 l=[1, 'a b'] m={`k`: {x: 1.5}} t=True z=null MATCH (n) RETURN n",
        )
        .unwrap();
        assert_eq!(q, "MATCH (n) RETURN n");
        assert_eq!(p.get("name"), Some(&Value::String("Jo hn".into())));
        assert_eq!(p.get("n"), Some(&Value::Int(3)));
        assert_eq!(p.get("l"), Some(&Value::List(vec![Value::Int(1), Value::String("a b".into())])));
        let inner = Value::Map([("x".to_string(), Value::Float(1.5))].into());
        assert_eq!(p.get("m"), Some(&Value::Map([("k".to_string(), inner)].into())));
        assert_eq!(p.get("t"), Some(&Value::Bool(true)));
        assert_eq!(p.get("z"), Some(&Value::Null));
        let (p, q) = split_params(&Engine::new(), "MATCH (n) RETURN n").unwrap();
        assert_eq!((p, q), (Params::new(), "MATCH (n) RETURN n"));
        let (p, _) =
            split_params(&Engine::new(), "CYPHER a=-12 b=1e3 c='' d=\"it's\" e='a\\'b' f=0x1F RETURN 1").unwrap();
        assert_eq!(p.get("a"), Some(&Value::Int(-12)));
        assert_eq!(p.get("b"), Some(&Value::Float(1000.0)));
        assert_eq!(p.get("c"), Some(&Value::String(String::new())));
        assert_eq!(p.get("d"), Some(&Value::String("it's".into())));
        assert_eq!(p.get("e"), Some(&Value::String("a'b".into())));
        assert_eq!(p.get("f"), Some(&Value::Int(31)));
        let (p, q) = split_params(&Engine::new(), "CYPHER a='x y'").unwrap();
        assert_eq!((p.get("a"), q), (Some(&Value::String("x y".into())), ""));
        assert!(split_params(&Engine::new(), "CYPHER a='x").is_err());
        assert!(split_params(&Engine::new(), "CYPHER a=[1 RETURN 1").is_err());
        assert!(split_params(&Engine::new(), "CYPHER a=nosuchfn( RETURN $a").is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let ok = format!("RETURN {}1{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(query_text(ok.as_bytes()).is_ok());
        let deep = format!("RETURN {}1{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
        assert!(query_text(deep.as_bytes()).is_err());
        let quoted = format!("RETURN '{}'", "[".repeat(10 * MAX_NESTING));
        assert!(query_text(quoted.as_bytes()).is_ok());
    }

    #[test]
    fn options_and_plans() {
        let compact = options(&[b"--compact".to_vec(), b"timeout".to_vec(), b"100".to_vec()]).unwrap();
        assert_eq!(compact, (Format::Compact, Some(Duration::from_millis(100))));
        assert_eq!(options(&[b"timeout".to_vec(), b"0".to_vec()]).unwrap(), (Format::Verbose, None));
        assert_eq!(options(&[]).unwrap(), (Format::Verbose, None));
        assert!(options(&[b"timeout".to_vec(), b"x".to_vec()]).is_err());
        assert!(options(&[b"--bogus".to_vec()]).is_err());
        let r = QueryResult {
            plan: vec![
                PlanStep { operator: "Match: A|B".into(), rows: Some(2), time_us: Some(1500) },
                PlanStep { operator: "Projection".into(), rows: Some(2), time_us: Some(10) },
            ],
            ..Default::default()
        };
        assert_eq!(
            plan_lines(&r),
            [
                "Projection | Records produced: 2, Execution time: 0.010000 ms",
                "    Match: A/B | Records produced: 2, Execution time: 1.500000 ms"
            ]
        );
        let e = Engine::new();
        assert!(writes(&e, "CREATE (:A)", &Params::new()).unwrap());
        assert!(writes(&e, "MATCH (n) SET n.x = 1", &Params::new()).unwrap());
        assert!(writes(&e, "CREATE INDEX FOR (n:A) ON (n.x)", &Params::new()).unwrap());
        assert!(!writes(&e, "MATCH (n) RETURN n", &Params::new()).unwrap());
    }
}
