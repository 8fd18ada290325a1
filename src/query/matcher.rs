//! Pattern matching: runs a [`MatchPlan`]'s steps by backtracking, with
//! openCypher's relationship uniqueness (no relationship twice in one match).

use super::error::type_error;
use super::eval::truth;
use super::exec::{Exec, Grouping};
use super::ir::{Dir, Expr, MatchPlan, NodePat, Projection, RelPat, Seek, Step};
use super::val::{RelRef, Val};
use crate::graph::Direction;
use crate::{Result, Value};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

/// What the seek that found start-node candidates established for all of
/// them, so that matching need not check it again (no write runs while a
/// clause matches).
#[derive(Clone, Copy, Default)]
struct Known<'a> {
    /// A label scan found them: they exist and carry this label.
    label: Option<&'a str>,
    /// An exact index seek for the pattern's own entry of this property
    /// found them: it equals the pattern's.
    prop: Option<&'a str>,
}

fn direction(d: Dir) -> Direction {
    match d {
        Dir::Out => Direction::Out,
        Dir::In => Direction::In,
        Dir::Both => Direction::Both,
    }
}

/// The node at the far end of `r` walked from `from` in direction `d`.
fn far(r: &RelRef, from: u64, d: Dir) -> u64 {
    match d {
        Dir::Out => r.dst,
        Dir::In => r.src,
        Dir::Both => r.other(from),
    }
}

fn rel_list(rels: &[RelRef]) -> Val {
    Val::list(rels.iter().map(|r| Val::Rel(Arc::new(r.clone()))).collect())
}

/// Where a match puts what it finds: the rows themselves, only their
/// number (up to a limit at which the search stops), or straight into an
/// aggregation's groups.
pub struct Sink<'a> {
    rows: Vec<Vec<Val>>,
    found: usize,
    limit: usize,
    keep: Keep<'a>,
}

/// What a [`Sink`] keeps of each match.
enum Keep<'a> {
    Rows,
    Count,
    Groups(&'a Projection, &'a mut Grouping),
}

impl<'a> Sink<'a> {
    /// A sink that feeds every match into `groups` of projection `p`.
    pub fn groups(p: &'a Projection, groups: &'a mut Grouping) -> Self {
        Sink { rows: Vec::new(), found: 0, limit: usize::MAX, keep: Keep::Groups(p, groups) }
    }

    /// How many matches it has taken.
    pub fn found(&self) -> usize {
        self.found
    }

    /// Whether the search can stop.
    fn full(&self) -> bool {
        self.found >= self.limit
    }
}

impl Exec<'_> {
    /// Gives match `row` to `out`.
    pub fn emit(&mut self, out: &mut Sink, row: &[Val]) -> Result<()> {
        out.found += 1;
        match &mut out.keep {
            Keep::Rows => out.rows.push(row.to_vec()),
            Keep::Count => {}
            Keep::Groups(p, groups) => self.group(p, groups, row)?,
        }
        Ok(())
    }
}

impl Exec<'_> {
    /// The rows extending `row` that match `plan`.
    pub fn match_rows(&mut self, plan: &MatchPlan, row: Vec<Val>) -> Result<Vec<Vec<Val>>> {
        let mut out = Sink { rows: Vec::new(), found: 0, limit: usize::MAX, keep: Keep::Rows };
        self.match_into(plan, row, &mut out)?;
        Ok(out.rows)
    }

    /// How many rows extending `row` match `plan`, counting no further
    /// than `limit` (the search stops there: `1` tests for existence).
    pub fn match_count(&mut self, plan: &MatchPlan, row: Vec<Val>, limit: usize) -> Result<usize> {
        let mut out = Sink { rows: Vec::new(), found: 0, limit, keep: Keep::Count };
        self.match_into(plan, row, &mut out)?;
        Ok(out.found)
    }

    /// Runs `plan` from `row`, giving every match to `out`.
    pub fn match_into(&mut self, plan: &MatchPlan, row: Vec<Val>, out: &mut Sink) -> Result<()> {
        for f in &plan.pre {
            if truth(&self.eval(f, &row)?)? != Some(true) {
                return Ok(());
            }
        }
        let mut row = row;
        let mut used = Vec::new();
        self.step(plan, 0, &mut row, &mut used, out)
    }

    fn filters_pass(&mut self, filters: &[Expr], row: &[Val]) -> Result<bool> {
        for f in filters {
            if truth(&self.eval(f, row)?)? != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether `entity` has the properties of pattern map `props` (but
    /// `known`, which an exact index seek established).
    fn props_match(&mut self, props: &Option<Expr>, entity: &Val, known: Option<&str>, row: &[Val]) -> Result<bool> {
        let Some(p) = props else { return Ok(true) };
        let m = match self.eval(p, row)? {
            Val::Map(m) => m,
            Val::Null => return Ok(false),
            other => {
                return Err(type_error(format!("a pattern's properties must be a map, got {}", other.type_name())));
            }
        };
        for (k, v) in m.iter().filter(|(k, _)| Some(k.as_str()) != known) {
            let have = self.property(entity, k)?;
            if have.equals(v) != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether node `id` has `n`'s labels and properties (but what `known`
    /// says it has).
    fn node_ok(&mut self, n: &NodePat, id: u64, known: Known<'_>, row: &[Val]) -> Result<bool> {
        for l in &n.labels {
            if Some(l.as_str()) != known.label && !self.store.has_label(id, l) {
                return Ok(false);
            }
        }
        self.props_match(&n.props, &Val::Node(id), known.prop, row)
    }

    /// The candidates for a start node, and what they are known to have.
    fn start_candidates<'s>(&mut self, seeks: &'s [Seek], row: &[Val]) -> Result<(Vec<u64>, Known<'s>)> {
        let unchecked = |ids| Ok((ids, Known::default()));
        for s in seeks {
            match s {
                Seek::Index(l, p, e, from_pattern) => {
                    if !self.store.has_index(l, p) {
                        continue;
                    }
                    let v = self.eval(e, row)?;
                    let Some(v) = v.to_value() else { return unchecked(Vec::new()) };
                    if matches!(v, Value::Null) {
                        return unchecked(Vec::new());
                    }
                    let (ids, exact) = self.store.index_lookup(l, p, &v)?;
                    return Ok((ids, Known { label: None, prop: (exact && *from_pattern).then_some(p.as_str()) }));
                }
                Seek::Range(l, p, lo, hi) => {
                    if !self.store.has_index(l, p) {
                        continue;
                    }
                    let mut bound = |b: &Option<(Expr, bool)>| -> Result<Option<Bound<Value>>> {
                        Ok(match b {
                            None => Some(Bound::Unbounded),
                            Some((e, inclusive)) => match self.eval(e, row)?.to_value() {
                                Some(Value::Null) | None => None,
                                Some(v) => Some(if *inclusive { Bound::Included(v) } else { Bound::Excluded(v) }),
                            },
                        })
                    };
                    let (Some(lo), Some(hi)) = (bound(lo)?, bound(hi)?) else { return unchecked(Vec::new()) };
                    return unchecked(self.store.index_range(l, p, lo.as_ref(), hi.as_ref())?);
                }
                Seek::Label(l) => return Ok((self.store.nodes_with_label(l), Known { label: Some(l), prop: None })),
                Seek::All => return unchecked(self.store.all_nodes()),
                Seek::Bound => {}
            }
        }
        unchecked(self.store.all_nodes())
    }

    fn step(
        &mut self,
        plan: &MatchPlan,
        i: usize,
        row: &mut Vec<Val>,
        used: &mut Vec<u64>,
        out: &mut Sink,
    ) -> Result<()> {
        self.tick()?;
        if out.full() {
            return Ok(());
        }
        let Some((step, filters)) = plan.steps.get(i) else {
            return self.emit(out, row);
        };
        match step {
            Step::Start { node, seeks, bound } => {
                let (candidates, known) = if *bound {
                    match &row[node.slot] {
                        Val::Node(n) => (vec![*n], Known::default()),
                        Val::Null => (Vec::new(), Known::default()),
                        other => return Err(type_error(format!("{} used as a node", other.type_name()))),
                    }
                } else {
                    self.start_candidates(seeks, row)?
                };
                for c in candidates {
                    let exists = known.label.is_some() || self.store.node_exists(c);
                    if !exists || !self.node_ok(node, c, known, row)? {
                        continue;
                    }
                    row[node.slot] = Val::Node(c);
                    if self.filters_pass(filters, row)? {
                        self.step(plan, i + 1, row, used, out)?;
                    }
                    if out.full() {
                        break;
                    }
                }
                if !*bound {
                    row[node.slot] = Val::Null;
                }
            }
            Step::Expand { from, rel, to, to_bound, rel_bound, rev } => {
                let Val::Node(n) = row[*from] else { return Ok(()) };
                if let Some((min, max)) = rel.var_len {
                    let mut path = Vec::new();
                    let ctx =
                        VarLen { plan, i, rel, to, to_bound: *to_bound, rev: *rev, min, max: max.unwrap_or(u32::MAX) };
                    self.var_len(&ctx, n, row, used, &mut path, out)?;
                    return Ok(());
                }
                let rels = if *rel_bound {
                    match &row[rel.slot] {
                        Val::Rel(r) => {
                            let ok = match rel.dir {
                                Dir::Out => r.src == n,
                                Dir::In => r.dst == n,
                                Dir::Both => r.src == n || r.dst == n,
                            };
                            if ok && (rel.types.is_empty() || rel.types.iter().any(|t| **t == *r.ty)) {
                                Arc::from([Arc::clone(r)])
                            } else {
                                Arc::from([])
                            }
                        }
                        _ => Arc::from([]),
                    }
                } else {
                    self.store.rels(n, direction(rel.dir), &rel.types)
                };
                for r in rels.iter() {
                    if used.contains(&r.id) {
                        continue;
                    }
                    let other = far(r, n, rel.dir);
                    if !self.bind_target(to, *to_bound, other, row)? {
                        continue;
                    }
                    let rv = Val::Rel(Arc::clone(r));
                    if !self.props_match(&rel.props, &rv, None, row)? {
                        continue;
                    }
                    row[rel.slot] = rv;
                    if self.filters_pass(filters, row)? {
                        used.push(r.id);
                        self.step(plan, i + 1, row, used, out)?;
                        used.pop();
                    }
                    if out.full() {
                        break;
                    }
                }
                if !*to_bound {
                    row[to.slot] = Val::Null;
                }
            }
            Step::Shortest { from, rel, to, to_bound, all, path } => {
                let Val::Node(n) = row[*from] else { return Ok(()) };
                for (nodes, rels) in self.shortest(n, rel, to, *to_bound, *all, row)? {
                    let Some(&last) = nodes.last() else { continue };
                    if !self.bind_target(to, *to_bound, last, row)? {
                        continue;
                    }
                    row[rel.slot] = rel_list(&rels);
                    if let Some(p) = path {
                        row[*p] = Val::Path(Arc::new((nodes, rels)));
                    }
                    if self.filters_pass(filters, row)? {
                        self.step(plan, i + 1, row, used, out)?;
                    }
                    if out.full() {
                        break;
                    }
                }
            }
            Step::Path { slot, nodes, rels } => {
                let Val::Node(mut cur) = row[nodes[0]] else { return Ok(()) };
                let mut pn = vec![cur];
                let mut pr = Vec::new();
                for &rs in rels {
                    let list: Vec<RelRef> = match &row[rs] {
                        Val::Rel(r) => vec![(**r).clone()],
                        Val::List(l) => l
                            .iter()
                            .filter_map(|v| if let Val::Rel(r) = v { Some((**r).clone()) } else { None })
                            .collect(),
                        _ => return Ok(()),
                    };
                    for r in list {
                        cur = r.other(cur);
                        pn.push(cur);
                        pr.push(r);
                    }
                }
                row[*slot] = Val::Path(Arc::new((pn, pr)));
                if self.filters_pass(filters, row)? {
                    self.step(plan, i + 1, row, used, out)?;
                }
            }
        }
        Ok(())
    }

    /// Binds (or checks) the target node of an expansion.
    fn bind_target(&mut self, to: &NodePat, to_bound: bool, other: u64, row: &mut [Val]) -> Result<bool> {
        if to_bound {
            return Ok(
                matches!(row[to.slot], Val::Node(x) if x == other) && self.node_ok(to, other, Known::default(), row)?
            );
        }
        if !self.node_ok(to, other, Known::default(), row)? {
            return Ok(false);
        }
        row[to.slot] = Val::Node(other);
        Ok(true)
    }

    fn var_len(
        &mut self,
        c: &VarLen,
        cur: u64,
        row: &mut Vec<Val>,
        used: &mut Vec<u64>,
        path: &mut Vec<RelRef>,
        out: &mut Sink,
    ) -> Result<()> {
        self.tick()?;
        if out.full() {
            return Ok(());
        }
        let depth = path.len() as u32;
        if depth >= c.min {
            let saved = row[c.to.slot].clone();
            if self.bind_target(c.to, c.to_bound, cur, row)? {
                let mut list = path.clone();
                if c.rev {
                    list.reverse();
                }
                row[c.rel.slot] = rel_list(&list);
                let filters = &c.plan.steps[c.i].1;
                if self.filters_pass(filters, row)? {
                    let base = used.len();
                    used.extend(path.iter().map(|r| r.id));
                    self.step(c.plan, c.i + 1, row, used, out)?;
                    used.truncate(base);
                }
            }
            row[c.to.slot] = saved;
        }
        if depth >= c.max {
            return Ok(());
        }
        for r in self.store.rels(cur, direction(c.rel.dir), &c.rel.types).iter() {
            if used.contains(&r.id) || path.iter().any(|p| p.id == r.id) {
                continue;
            }
            if !self.props_match(&c.rel.props, &Val::Rel(Arc::clone(r)), None, row)? {
                continue;
            }
            let next = far(r, cur, c.rel.dir);
            path.push(RelRef::clone(r));
            self.var_len(c, next, row, used, path, out)?;
            path.pop();
            if out.full() {
                break;
            }
        }
        Ok(())
    }

    /// Shortest paths from `src` along `rel` to nodes matching `to`: one per
    /// target, or all of the shortest length with `all`.
    fn shortest(
        &mut self,
        src: u64,
        rel: &RelPat,
        to: &NodePat,
        to_bound: bool,
        all: bool,
        row: &[Val],
    ) -> Result<Vec<(Vec<u64>, Vec<RelRef>)>> {
        let (min, max) = rel.var_len.unwrap_or((1, Some(1)));
        let max = max.unwrap_or(u32::MAX);
        let target = if to_bound {
            match row[to.slot] {
                Val::Node(t) => Some(t),
                _ => return Ok(Vec::new()),
            }
        } else {
            None
        };
        if min == 0 && (target == Some(src) || target.is_none()) && self.node_ok(to, src, Known::default(), row)? {
            return Ok(vec![(vec![src], Vec::new())]);
        }
        // BFS layers with every shortest predecessor.
        let mut dist: HashMap<u64, u32> = HashMap::from([(src, 0)]);
        let mut preds: HashMap<u64, Vec<(u64, RelRef)>> = HashMap::new();
        let mut frontier = vec![src];
        let mut depth = 0;
        let mut found: Vec<u64> = Vec::new();
        while !frontier.is_empty() && depth < max && found.is_empty() {
            depth += 1;
            let mut next = Vec::new();
            for &u in &frontier {
                self.tick()?;
                for r in self.store.rels(u, direction(rel.dir), &rel.types).iter() {
                    if !self.props_match(&rel.props, &Val::Rel(Arc::clone(r)), None, row)? {
                        continue;
                    }
                    let v = far(r, u, rel.dir);
                    match dist.get(&v) {
                        Some(&d) if d < depth => continue,
                        Some(_) => {}
                        None => {
                            dist.insert(v, depth);
                            next.push(v);
                        }
                    }
                    preds.entry(v).or_default().push((u, RelRef::clone(r)));
                }
            }
            if depth >= min {
                for &v in &next {
                    let hit = match target {
                        Some(t) => v == t,
                        None => self.node_ok(to, v, Known::default(), row)?,
                    };
                    if hit {
                        found.push(v);
                    }
                }
                if target.is_none() && !found.is_empty() {
                    // Unbound target: every node at the first depth that has one.
                }
            }
            frontier = next;
        }
        let mut out = Vec::new();
        for t in found {
            let mut paths: Vec<(Vec<u64>, Vec<RelRef>)> = vec![(vec![t], Vec::new())];
            let mut complete = Vec::new();
            while let Some((nodes, rels)) = paths.pop() {
                let head = nodes[0];
                if head == src && dist.get(&head) == Some(&0) && rels.len() as u32 == depth {
                    complete.push((nodes, rels));
                    if !all {
                        break;
                    }
                    continue;
                }
                for (p, r) in preds.get(&head).into_iter().flatten() {
                    if dist.get(p).is_some_and(|&d| d + 1 == dist[&head]) && !rels.iter().any(|x| x.id == r.id) {
                        let mut n2 = vec![*p];
                        n2.extend(&nodes);
                        let mut r2 = vec![r.clone()];
                        r2.extend(rels.iter().cloned());
                        paths.push((n2, r2));
                    }
                }
            }
            out.extend(complete);
        }
        Ok(out)
    }
}

/// A variable-length expansion in progress.
struct VarLen<'p> {
    plan: &'p MatchPlan,
    i: usize,
    rel: &'p RelPat,
    to: &'p NodePat,
    to_bound: bool,
    rev: bool,
    min: u32,
    max: u32,
}
