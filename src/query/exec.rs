//! The executor: runs a plan's clauses over materialised rows, but for a
//! MATCH before an aggregation, which feeds its matches into the groups.

use super::error::{semantic, type_error};
use super::eval::truth;
use super::ir::*;
use super::matcher::Sink;
use super::store::Store;
use super::val::{Key, RelRef, Val};
use crate::{Result, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// One query's run: its store, parameters and the current group's aggregates.
pub struct Exec<'g> {
    /// Storage.
    pub store: Store<'g>,
    /// Parameters.
    pub params: &'g BTreeMap<String, Val>,
    /// Aggregate values of the group being projected.
    pub aggs: Vec<Val>,
    /// Rows out and microseconds per clause (PROFILE).
    pub profile: Option<Vec<(String, u64, u64)>>,
    /// When the query must stop, and its timeout (for the message).
    pub deadline: Option<(Instant, std::time::Duration)>,
    /// Steps taken since the deadline was last checked.
    pub ticks: u32,
}

type Rows = Vec<Vec<Val>>;

/// A property value from a runtime value.
fn storable(v: Val) -> Result<Value> {
    if let Val::List(l) = &v
        && l.iter().any(|x| matches!(x, Val::List(_) | Val::Map(_) | Val::Null))
    {
        return Err(type_error("InvalidPropertyType: a property list holds scalars only"));
    }
    if matches!(v, Val::Map(_)) {
        return Err(type_error("InvalidPropertyType: a map cannot be a property value"));
    }
    v.to_value()
        .ok_or_else(|| type_error("InvalidPropertyType: a node, relationship or path cannot be a property value"))
}

fn non_negative(v: Val, what: &str) -> Result<usize> {
    match v {
        Val::Int(i) if i >= 0 => Ok(i as usize),
        Val::Int(_) => Err(semantic("SyntaxError", format!("NegativeIntegerArgument: {what} must not be negative"))),
        other => Err(semantic(
            "SyntaxError",
            format!("InvalidArgumentType: {what} needs an Integer, got {}", other.type_name()),
        )),
    }
}

/// A one-line description of a clause (EXPLAIN / PROFILE).
pub fn describe(c: &Clause) -> String {
    match c {
        Clause::Match { optional, plan, .. } => {
            let steps: Vec<String> = plan
                .steps
                .iter()
                .map(|(s, f)| {
                    let base = match s {
                        Step::Start { seeks, bound: true, .. } if matches!(seeks[..], [Seek::Bound]) => {
                            "Argument".to_string()
                        }
                        Step::Start { seeks, .. } => match seeks.first() {
                            Some(Seek::Index(l, p, ..)) => format!("NodeIndexSeek(:{l}({p})) or NodeByLabelScan"),
                            Some(Seek::Range(l, p, ..)) => {
                                format!("NodeIndexSeekByRange(:{l}({p})) or NodeByLabelScan")
                            }
                            Some(Seek::Label(l)) => format!("NodeByLabelScan(:{l})"),
                            _ => "AllNodesScan".to_string(),
                        },
                        Step::Expand { rel, to_bound, .. } => {
                            let kind = if rel.var_len.is_some() { "VarLengthExpand" } else { "Expand" };
                            format!(
                                "{kind}({}{})",
                                if *to_bound { "Into" } else { "All" },
                                if rel.types.is_empty() { String::new() } else { format!(" :{}", rel.types.join("|")) }
                            )
                        }
                        Step::Shortest { .. } => "ShortestPath".to_string(),
                        Step::Path { .. } => "ProjectPath".to_string(),
                    };
                    if f.is_empty() { base } else { format!("{base} + Filter({})", f.len()) }
                })
                .collect();
            format!("{}Match: {}", if *optional { "Optional" } else { "" }, steps.join(" -> "))
        }
        Clause::Create { .. } => "Create".into(),
        Clause::Merge { .. } => "Merge".into(),
        Clause::Set(_) => "SetProperties".into(),
        Clause::Remove(_) => "Remove".into(),
        Clause::Delete { detach, .. } => {
            if *detach {
                "DetachDelete".into()
            } else {
                "Delete".into()
            }
        }
        Clause::Unwind(..) => "Unwind".into(),
        Clause::Project(p) => {
            let mut s = if p.aggs.is_empty() {
                "Projection".to_string()
            } else {
                format!("Aggregation({} keys)", p.keys.len())
            };
            if p.distinct {
                s.push_str(" + Distinct");
            }
            if !p.order.is_empty() {
                s.push_str(" + Sort");
            }
            if p.skip.is_some() || p.limit.is_some() {
                s.push_str(" + Skip/Limit");
            }
            if p.filter.is_some() {
                s.push_str(" + Filter");
            }
            s
        }
        Clause::Call(c) => format!("ProcedureCall({})", c.name),
    }
}

impl Exec<'_> {
    /// Counts one step of work (an expression, a pattern step) and fails
    /// with `TimeoutError` once the deadline has passed (checked every
    /// 1,024 steps, so that the check costs nothing measurable).
    pub fn tick(&mut self) -> Result<()> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(1024)
            && let Some((at, timeout)) = self.deadline
            && Instant::now() >= at
        {
            return Err(semantic("TimeoutError", format!("Query timed out after {} ms", timeout.as_millis())));
        }
        Ok(())
    }

    /// Runs one single query; returns its rows (full width; the caller
    /// keeps the output columns).
    pub fn run_single(&mut self, q: &Single) -> Result<Rows> {
        let mut rows: Rows = vec![vec![Val::Null; q.width]];
        let mut clauses = q.clauses.iter().peekable();
        while let Some(c) = clauses.next() {
            let t = Instant::now();
            if let Clause::Match { optional, plan, new } = c
                && let Some(next @ Clause::Project(p)) = clauses.peek().copied()
                && !p.aggs.is_empty()
            {
                // MATCH feeds its rows straight into the aggregation's
                // groups: the matched rows are never held all at once.
                clauses.next();
                let (groups, found) = self.match_groups(*optional, plan, new, p, rows, q.width)?;
                self.record(c, found, t);
                let t = Instant::now();
                rows = self.aggregated(p, groups, q.width)?;
                self.record(next, rows.len(), t);
                continue;
            }
            rows = self.clause(c, rows, q.width)?;
            self.record(c, rows.len(), t);
        }
        Ok(rows)
    }

    /// Notes clause `c`'s rows out and time since `t` (PROFILE).
    fn record(&mut self, c: &Clause, rows: usize, t: Instant) {
        if let Some(p) = &mut self.profile {
            p.push((describe(c), rows as u64, t.elapsed().as_micros() as u64));
        }
    }

    /// Runs MATCH `plan` from each of `rows` into the groups of projection
    /// `p`; returns them and how many rows the MATCH produced.
    fn match_groups(
        &mut self,
        optional: bool,
        plan: &MatchPlan,
        new: &[usize],
        p: &Projection,
        rows: Rows,
        width: usize,
    ) -> Result<(Grouping, usize)> {
        let mut groups = Grouping::default();
        let mut sink = Sink::groups(p, &mut groups);
        for mut row in rows {
            row.resize(width.max(row.len()), Val::Null);
            let before = sink.found();
            if optional {
                self.match_into(plan, row.clone(), &mut sink)?;
                if sink.found() == before {
                    for &s in new {
                        row[s] = Val::Null;
                    }
                    self.emit(&mut sink, &row)?;
                }
            } else {
                self.match_into(plan, row, &mut sink)?;
            }
        }
        let found = sink.found();
        Ok((groups, found))
    }

    fn clause(&mut self, c: &Clause, rows: Rows, width: usize) -> Result<Rows> {
        let widen = |mut r: Vec<Val>| {
            r.resize(width.max(r.len()), Val::Null);
            r
        };
        let mut out = Vec::new();
        match c {
            Clause::Match { optional, plan, new } => {
                for row in rows {
                    let row = widen(row);
                    let found = self.match_rows(plan, row.clone())?;
                    if found.is_empty() && *optional {
                        let mut r = row;
                        for &s in new {
                            r[s] = Val::Null;
                        }
                        out.push(r);
                    } else {
                        out.extend(found);
                    }
                }
            }
            Clause::Create { paths, start } => {
                for row in rows {
                    let mut row = widen(row);
                    for p in paths {
                        self.create_path(p, *start, &mut row)?;
                    }
                    out.push(row);
                }
            }
            Clause::Merge { path, plan, start, on_create, on_match } => {
                for row in rows {
                    let row = widen(row);
                    let props = path.nodes.iter().map(|n| &n.props).chain(path.rels.iter().map(|r| &r.props));
                    for p in props.flatten() {
                        if let Val::Map(m) = self.eval(p, &row)?
                            && m.values().any(Val::is_null)
                        {
                            return Err(semantic(
                                "SemanticError",
                                "MergeReadOwnWrites: MERGE cannot match a null property",
                            ));
                        }
                    }
                    let found = self.match_rows(plan, row.clone())?;
                    if found.is_empty() {
                        let mut row = row;
                        self.create_path(path, *start, &mut row)?;
                        self.set_items(on_create, &row)?;
                        out.push(row);
                    } else {
                        for r in found {
                            self.set_items(on_match, &r)?;
                            out.push(r);
                        }
                    }
                }
            }
            Clause::Set(items) => {
                for row in &rows {
                    self.set_items(items, row)?;
                }
                out = rows;
            }
            Clause::Remove(items) => {
                for row in &rows {
                    for it in items {
                        match it {
                            RemoveItem::Prop(t, k) => match self.eval(t, row)? {
                                Val::Node(n) => self.store.set_node_prop(n, k, Value::Null)?,
                                Val::Rel(r) => self.store.set_rel_prop(&r, k, Value::Null)?,
                                Val::Null => {}
                                other => {
                                    return Err(type_error(format!(
                                        "cannot remove a property of a {}",
                                        other.type_name()
                                    )));
                                }
                            },
                            RemoveItem::Labels(t, labels) => match self.eval(t, row)? {
                                Val::Node(n) => {
                                    for l in labels {
                                        self.store.remove_label(n, l)?;
                                    }
                                }
                                Val::Null => {}
                                other => {
                                    return Err(type_error(format!("cannot remove labels of a {}", other.type_name())));
                                }
                            },
                        }
                    }
                }
                out = rows;
            }
            Clause::Delete { detach, exprs } => {
                let mut nodes = Vec::new();
                for row in &rows {
                    for e in exprs {
                        match self.eval(e, row)? {
                            Val::Node(n) => nodes.push(n),
                            Val::Rel(r) => self.store.delete_rel(&r)?,
                            Val::Path(p) => {
                                for r in &p.1 {
                                    self.store.delete_rel(r)?;
                                }
                                nodes.extend(&p.0);
                            }
                            Val::Null => {}
                            other => {
                                return Err(type_error(format!(
                                    "InvalidArgumentType: cannot delete a {}",
                                    other.type_name()
                                )));
                            }
                        }
                    }
                }
                for n in nodes {
                    self.store.delete_node(n, *detach)?;
                }
                out = rows;
            }
            Clause::Unwind(e, slot) => {
                for row in rows {
                    let row = widen(row);
                    match self.eval(e, &row)? {
                        Val::List(l) => {
                            for v in l.iter() {
                                let mut r = row.clone();
                                r[*slot] = v.clone();
                                out.push(r);
                            }
                        }
                        Val::Null => {}
                        v => {
                            let mut r = row;
                            r[*slot] = v;
                            out.push(r);
                        }
                    }
                }
            }
            Clause::Project(p) => out = self.project(p, rows, width)?,
            Clause::Call(call) => {
                for row in rows {
                    let row = widen(row);
                    let args = call.args.iter().map(|a| self.eval(a, &row)).collect::<Result<Vec<_>>>()?;
                    for rec in super::procs::call(self, &call.name, args)? {
                        let mut r = row.clone();
                        for (col, slot) in &call.yields {
                            r[*slot] = rec.get(col).cloned().unwrap_or_default();
                        }
                        if let Some(f) = &call.filter
                            && truth(&self.eval(f, &r)?)? != Some(true)
                        {
                            continue;
                        }
                        out.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    fn props_of(&mut self, e: &Option<Expr>, row: &[Val]) -> Result<Vec<(String, Value)>> {
        let Some(e) = e else { return Ok(Vec::new()) };
        match self.eval(e, row)? {
            Val::Map(m) => {
                let mut out = Vec::new();
                for (k, v) in m.iter() {
                    if !v.is_null() {
                        out.push((k.clone(), storable(v.clone())?));
                    }
                }
                Ok(out)
            }
            Val::Null => Ok(Vec::new()),
            other => Err(type_error(format!("properties must be a map, got {}", other.type_name()))),
        }
    }

    fn create_path(&mut self, p: &PathPat, start: usize, row: &mut [Val]) -> Result<()> {
        let mut ids = Vec::with_capacity(p.nodes.len());
        for n in &p.nodes {
            let id = match &row[n.slot] {
                Val::Node(id) => *id,
                Val::Null if n.slot >= start => {
                    let props = self.props_of(&n.props, row)?;
                    let id = self.store.create_node(&n.labels, &props)?;
                    row[n.slot] = Val::Node(id);
                    id
                }
                Val::Null => return Err(semantic("SemanticError", "cannot create a relationship to a null node")),
                other => return Err(type_error(format!("VariableTypeConflict: {} used as a node", other.type_name()))),
            };
            ids.push(id);
        }
        let mut rels: Vec<RelRef> = Vec::new();
        for (i, r) in p.rels.iter().enumerate() {
            let (a, b) = if r.dir == Dir::In { (ids[i + 1], ids[i]) } else { (ids[i], ids[i + 1]) };
            let props = self.props_of(&r.props, row)?;
            let rel = self.store.create_rel(a, b, &r.types[0], &props)?;
            row[r.slot] = Val::Rel(Arc::new(rel.clone()));
            rels.push(rel);
        }
        if let Some(s) = p.slot {
            row[s] = Val::Path(Arc::new((ids, rels)));
        }
        Ok(())
    }

    fn set_items(&mut self, items: &[SetItem], row: &[Val]) -> Result<()> {
        for it in items {
            match it {
                SetItem::Prop(t, k, v) => {
                    let target = self.eval(t, row)?;
                    let value = storable(self.eval(v, row)?)?;
                    match target {
                        Val::Node(n) => self.store.set_node_prop(n, k, value)?,
                        Val::Rel(r) => self.store.set_rel_prop(&r, k, value)?,
                        Val::Null => {}
                        other => {
                            return Err(type_error(format!(
                                "InvalidArgumentType: cannot set a property of a {}",
                                other.type_name()
                            )));
                        }
                    }
                }
                SetItem::Props(t, v, merge) => {
                    let target = self.eval(t, row)?;
                    if target.is_null() {
                        continue;
                    }
                    let source = self.eval(v, row)?;
                    let map = match &source {
                        Val::Map(m) => (**m).clone(),
                        Val::Node(_) | Val::Rel(_) => match self.properties(&source)? {
                            Val::Map(m) => (*m).clone(),
                            _ => BTreeMap::new(),
                        },
                        Val::Null => BTreeMap::new(),
                        other => return Err(type_error(format!("SET needs a map, got {}", other.type_name()))),
                    };
                    let existing: Vec<String> = match &target {
                        Val::Node(n) => self.store.node_props(*n).into_iter().map(|p| p.0).collect(),
                        Val::Rel(r) => self.store.rel_props(r).into_iter().map(|p| p.0).collect(),
                        other => return Err(type_error(format!("cannot set properties of a {}", other.type_name()))),
                    };
                    let mut writes: Vec<(String, Value)> = Vec::new();
                    if !*merge {
                        writes.extend(existing.into_iter().filter(|k| !map.contains_key(k)).map(|k| (k, Value::Null)));
                    }
                    for (k, v) in map {
                        writes.push((k, storable(v)?));
                    }
                    for (k, v) in writes {
                        match &target {
                            Val::Node(n) => self.store.set_node_prop(*n, &k, v)?,
                            Val::Rel(r) => self.store.set_rel_prop(r, &k, v)?,
                            _ => {}
                        }
                    }
                }
                SetItem::Labels(t, labels) => match self.eval(t, row)? {
                    Val::Node(n) => {
                        for l in labels {
                            self.store.add_label(n, l)?;
                        }
                    }
                    Val::Null => {}
                    other => return Err(type_error(format!("cannot set labels of a {}", other.type_name()))),
                },
            }
        }
        Ok(())
    }

    /// Appends the ORDER BY keys of output row `o` (output ++ input columns,
    /// with the group's aggregates current) to it.
    fn sort_keys(&mut self, p: &Projection, o: &mut Vec<Val>) -> Result<()> {
        let mut keys = Vec::with_capacity(p.order.len());
        for (e, _) in &p.order {
            keys.push(self.eval(e, o)?);
        }
        o.extend(keys);
        Ok(())
    }

    fn project(&mut self, p: &Projection, rows: Rows, width: usize) -> Result<Rows> {
        if !p.aggs.is_empty() {
            let mut groups = Grouping::default();
            for row in &rows {
                self.group(p, &mut groups, row)?;
            }
            return self.aggregated(p, groups, width);
        }
        // Each output row carries its input row behind it, for ORDER BY.
        let mut out: Rows = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.output_row(p, row)?);
        }
        self.shape(p, out, width)
    }

    /// Output row of projection `p` for input row `row`: the items, then
    /// `row`, then the ORDER BY keys.
    fn output_row(&mut self, p: &Projection, row: Vec<Val>) -> Result<Vec<Val>> {
        let mut o = Vec::with_capacity(p.items.len() + row.len());
        for (_, e) in &p.items {
            o.push(self.eval(e, &row)?);
        }
        o.extend(row);
        self.sort_keys(p, &mut o)?;
        Ok(o)
    }

    /// Adds input row `row` to the group of aggregating projection `p`
    /// that its grouping keys select.
    pub fn group(&mut self, p: &Projection, groups: &mut Grouping, row: &[Val]) -> Result<()> {
        // The key is built in the vector of the last row's key when that
        // one found its group: no allocation per row.
        let mut key = std::mem::take(&mut groups.spare);
        key.clear();
        for &k in &p.keys {
            key.push(self.eval(&p.items[k].1, row)?);
        }
        let k = Key(key);
        let g = match groups.index.get(&k) {
            Some(&g) => {
                groups.spare = k.0;
                g
            }
            None => {
                groups.index.insert(k, groups.groups.len());
                groups.groups.push((row.to_vec(), vec![Args::default(); p.aggs.len()]));
                groups.groups.len() - 1
            }
        };
        for (ai, a) in p.aggs.iter().enumerate() {
            let v = match &a.arg {
                None => Val::Bool(true),
                Some(e) => self.eval(e, row)?,
            };
            if !v.is_null() {
                groups.groups[g].1[ai].add(a, v);
            }
        }
        Ok(())
    }

    /// The rows of aggregating projection `p` over `groups`.
    fn aggregated(&mut self, p: &Projection, groups: Grouping, width: usize) -> Result<Rows> {
        let mut groups = groups.groups;
        if groups.is_empty() && p.keys.is_empty() {
            groups.push((vec![Val::Null; width], vec![Args::default(); p.aggs.len()]));
        }
        // Each output row carries its group's first input row behind it,
        // for ORDER BY.
        let mut out: Rows = Vec::with_capacity(groups.len());
        for (first, args) in groups {
            let mut aggs = Vec::with_capacity(p.aggs.len());
            for (a, args) in p.aggs.iter().zip(args) {
                let extra = a.extra.as_ref().map(|e| self.eval(e, &first)).transpose()?;
                aggs.push(finish(a, args, extra)?);
            }
            self.aggs = aggs;
            out.push(self.output_row(p, first)?);
        }
        self.shape(p, out, width)
    }

    /// Applies projection `p`'s DISTINCT, ORDER BY, SKIP, LIMIT and WHERE
    /// to its output rows (each output ++ input ++ sort keys), then cuts
    /// them to the output columns.
    fn shape(&mut self, p: &Projection, mut out: Rows, width: usize) -> Result<Rows> {
        let n_out = p.items.len();
        if p.distinct {
            let mut seen = std::collections::BTreeSet::new();
            out.retain(|r| seen.insert(Key(r[..n_out].to_vec())));
        }
        if !p.order.is_empty() {
            let k = p.order.len();
            out.sort_by(|a, b| {
                let (ka, kb) = (&a[a.len() - k..], &b[b.len() - k..]);
                for (i, (_, desc)) in p.order.iter().enumerate() {
                    let o = ka[i].order(&kb[i]);
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        let empty = Vec::new();
        let skip = p
            .skip
            .as_ref()
            .map(|e| self.eval(e, &empty).and_then(|v| non_negative(v, "SKIP")))
            .transpose()?
            .unwrap_or(0);
        let limit =
            p.limit.as_ref().map(|e| self.eval(e, &empty).and_then(|v| non_negative(v, "LIMIT"))).transpose()?;
        let mut out: Rows = out.into_iter().skip(skip).take(limit.unwrap_or(usize::MAX)).collect();
        if let Some(f) = &p.filter {
            let mut kept = Vec::with_capacity(out.len());
            for r in out {
                if truth(&self.eval(f, &r)?)? == Some(true) {
                    kept.push(r);
                }
            }
            out = kept;
        }
        for r in &mut out {
            r.truncate(n_out);
            r.resize(width.max(n_out), Val::Null);
        }
        Ok(out)
    }
}

fn numbers(vals: &[Val], what: &str) -> Result<Vec<f64>> {
    vals.iter()
        .map(|v| match v {
            Val::Int(i) => Ok(*i as f64),
            Val::Float(f) => Ok(*f),
            other => Err(type_error(format!("{what}() needs numbers, got {}", other.type_name()))),
        })
        .collect()
}

/// The sum of `vals` if they are all durations (and there is one), with
/// their count.
fn duration_sum(vals: &[Val]) -> Option<Result<(crate::Duration, usize)>> {
    let durations: Vec<crate::Duration> = vals
        .iter()
        .map(|v| match v {
            Val::Temporal(t) => t.as_duration(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (first, rest) = durations.split_first()?;
    let overflow = || semantic("ArgumentError", "the duration is out of range");
    Some(rest.iter().try_fold(*first, |acc, d| acc.checked_add(d).ok_or_else(overflow)).map(|s| (s, durations.len())))
}

/// The groups of an aggregating projection, built one input row at a time.
#[derive(Default)]
pub struct Grouping {
    /// Group number by grouping key.
    index: BTreeMap<Key, usize>,
    /// Per group, in order of first appearance: its first row and each
    /// aggregate's arguments.
    groups: Vec<(Vec<Val>, Vec<Args>)>,
    /// A key's vector to build the next row's key in.
    spare: Vec<Val>,
}

/// The non-null arguments one aggregate of one group has seen.
#[derive(Clone, Default)]
struct Args {
    /// How many.
    count: usize,
    /// The values, kept for every aggregate but a plain `count`.
    vals: Vec<Val>,
}

impl Args {
    fn add(&mut self, a: &AggSpec, v: Val) {
        self.count += 1;
        if a.distinct || !matches!(a.func, AggFn::CountStar | AggFn::Count) {
            self.vals.push(v);
        }
    }
}

/// The value of aggregate `a` over its non-null arguments.
fn finish(a: &AggSpec, args: Args, extra: Option<Val>) -> Result<Val> {
    let Args { count, mut vals } = args;
    if a.distinct {
        let mut seen = std::collections::BTreeSet::new();
        vals.retain(|v| seen.insert(Key(vec![v.clone()])));
    }
    if matches!(a.func, AggFn::Sum | AggFn::Avg)
        && let Some(sum) = duration_sum(&vals)
    {
        let (sum, n) = sum?;
        let d = if a.func == AggFn::Sum {
            sum
        } else {
            sum.scale(1.0 / n as f64).map_err(|e| semantic("ArgumentError", e))?
        };
        return Ok(Val::temporal(d.into()));
    }
    Ok(match a.func {
        AggFn::CountStar | AggFn::Count => Val::Int(if a.distinct { vals.len() } else { count } as i64),
        AggFn::Collect => Val::list(vals),
        AggFn::Sum => {
            if vals.iter().all(|v| matches!(v, Val::Int(_))) {
                let mut s: i64 = 0;
                for v in &vals {
                    if let Val::Int(i) = v {
                        s = s
                            .checked_add(*i)
                            .ok_or_else(|| semantic("ArithmeticError", "integer overflow in sum()"))?;
                    }
                }
                Val::Int(s)
            } else {
                Val::Float(numbers(&vals, "sum")?.iter().sum())
            }
        }
        AggFn::Avg => {
            if vals.is_empty() {
                Val::Null
            } else {
                let ns = numbers(&vals, "avg")?;
                Val::Float(ns.iter().sum::<f64>() / ns.len() as f64)
            }
        }
        AggFn::Min => vals.into_iter().min_by(|a, b| a.order(b)).unwrap_or_default(),
        AggFn::Max => vals.into_iter().max_by(|a, b| a.order(b)).unwrap_or_default(),
        AggFn::StDev | AggFn::StDevP => {
            let ns = numbers(&vals, "stDev")?;
            let n = ns.len() as f64;
            let sample = a.func == AggFn::StDev;
            if ns.len() < 2 && sample || ns.is_empty() {
                Val::Float(0.0)
            } else {
                let mean = ns.iter().sum::<f64>() / n;
                let ss: f64 = ns.iter().map(|x| (x - mean).powi(2)).sum();
                Val::Float((ss / if sample { n - 1.0 } else { n }).sqrt())
            }
        }
        AggFn::PercentileCont | AggFn::PercentileDisc => {
            let p = match extra {
                Some(Val::Int(i)) => i as f64,
                Some(Val::Float(f)) => f,
                _ => return Err(semantic("ArgumentError", "a percentile must be a number")),
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(semantic("ArgumentError", "NumberOutOfRange: a percentile lies between 0 and 1"));
            }
            let mut ns = numbers(&vals, "percentile")?;
            if ns.is_empty() {
                return Ok(Val::Null);
            }
            ns.sort_by(f64::total_cmp);
            if a.func == AggFn::PercentileDisc {
                let idx = ((p * ns.len() as f64).ceil() as usize).saturating_sub(1).min(ns.len() - 1);
                match vals.iter().all(|v| matches!(v, Val::Int(_))) {
                    true => Val::Int(ns[idx] as i64),
                    false => Val::Float(ns[idx]),
                }
            } else {
                let pos = p * (ns.len() - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                Val::Float(ns[lo] + (ns[hi] - ns[lo]) * (pos - lo as f64))
            }
        }
    })
}
