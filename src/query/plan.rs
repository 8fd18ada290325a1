//! The planner of a `MATCH`: which pattern part and which node to start
//! from (a bound variable, then an index seek, then a label scan, then all
//! nodes), expansion along the relationships from there, and each `WHERE`
//! conjunct attached to the first step after which its variables are bound.
//! Parts that share no variable are joined only because the pattern lists
//! them (the Cartesian product the pattern asks for).

use super::ir::*;
use std::collections::BTreeSet;

/// Splits `e` into its `AND`ed conjuncts.
fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Bin(BinOp::And, a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        e => out.push(e),
    }
}

/// The slots below `width` that `e` reads.
pub fn slots(e: &Expr, width: usize, out: &mut BTreeSet<usize>) {
    let mut rec = |x: &Expr| slots(x, width, out);
    match e {
        Expr::Var(i) => {
            if *i < width {
                out.insert(*i);
            }
        }
        Expr::Lit(_) | Expr::Param(_) | Expr::Agg(_) => {}
        Expr::Prop(a, _) | Expr::Not(a) | Expr::Neg(a) | Expr::IsNull(a, _) | Expr::HasLabels(a, _) => rec(a),
        Expr::Index(a, b) | Expr::Bin(_, a, b) => {
            rec(a);
            rec(b);
        }
        Expr::Slice(a, b, c) => {
            rec(a);
            b.iter().chain(c.iter()).for_each(|x| rec(x));
        }
        Expr::List(xs) | Expr::Func(_, xs) => xs.iter().for_each(rec),
        Expr::Map(xs) => xs.iter().for_each(|x| rec(&x.1)),
        Expr::MapProj(a, items) => {
            rec(a);
            for it in items {
                if let MapProjItem::Entry(_, x) = it {
                    rec(x);
                }
            }
        }
        Expr::Case(a, whens, els) => {
            a.iter().chain(els.iter()).for_each(|x| rec(x));
            for (w, t) in whens {
                rec(w);
                rec(t);
            }
        }
        Expr::ListComp { list, pred, proj, .. } => {
            rec(list);
            pred.iter().chain(proj.iter()).for_each(|x| rec(x));
        }
        Expr::Quant { list, pred, .. } => {
            rec(list);
            rec(pred);
        }
        Expr::Reduce { init, list, expr, .. } => {
            rec(init);
            rec(list);
            rec(expr);
        }
        Expr::Pattern { plan, out, .. } => {
            for (step, filters) in &plan.steps {
                match step {
                    Step::Start { node, .. } => node.props.iter().for_each(&mut rec),
                    Step::Expand { rel, to, .. } | Step::Shortest { rel, to, .. } => {
                        rel.props.iter().chain(to.props.iter()).for_each(&mut rec)
                    }
                    Step::Path { .. } => {}
                }
                filters.iter().for_each(&mut rec);
                if let Step::Start { node, bound: true, .. } = step {
                    rec(&Expr::Var(node.slot));
                }
                if let Step::Expand { from, .. } | Step::Shortest { from, .. } = step {
                    rec(&Expr::Var(*from));
                }
                if let Step::Expand { to, to_bound: true, .. } | Step::Shortest { to, to_bound: true, .. } = step {
                    rec(&Expr::Var(to.slot));
                }
            }
            plan.pre.iter().for_each(&mut rec);
            if let PatternOut::List { pred, proj } = out {
                pred.iter().for_each(|x| rec(x));
                rec(proj);
            }
        }
    }
}

/// Whether `e` can be computed before the match (reads no slot of it).
fn constant_for(e: &Expr, start: usize, width: usize) -> bool {
    let mut s = BTreeSet::new();
    slots(e, width, &mut s);
    s.iter().all(|&i| i < start)
}

/// Index seeks for node `n` from its property map and the conjuncts.
fn seeks(n: &NodePat, filters: &[Expr], start: usize, width: usize) -> Vec<Seek> {
    let mut out = Vec::new();
    if n.labels.is_empty() {
        return vec![Seek::All];
    }
    if let Some(Expr::Map(entries)) = &n.props {
        for (k, v) in entries {
            if constant_for(v, start, width) {
                for l in &n.labels {
                    out.push(Seek::Index(l.clone(), k.clone(), v.clone(), true));
                }
            }
        }
    }
    for f in filters {
        let Expr::Bin(op, a, b) = f else { continue };
        let (prop, value, op) = match (&**a, &**b) {
            (Expr::Prop(x, p), v) if matches!(**x, Expr::Var(s) if s == n.slot) && constant_for(v, start, width) => {
                (p, v, *op)
            }
            (v, Expr::Prop(x, p)) if matches!(**x, Expr::Var(s) if s == n.slot) && constant_for(v, start, width) => {
                let flipped = match op {
                    BinOp::Lt => BinOp::Gt,
                    BinOp::Le => BinOp::Ge,
                    BinOp::Gt => BinOp::Lt,
                    BinOp::Ge => BinOp::Le,
                    o => *o,
                };
                (p, v, flipped)
            }
            _ => continue,
        };
        for l in &n.labels {
            let (l, p, v) = (l.clone(), prop.clone(), value.clone());
            match op {
                BinOp::Eq => out.push(Seek::Index(l, p, v, false)),
                BinOp::Lt => out.push(Seek::Range(l, p, None, Some((v, false)))),
                BinOp::Le => out.push(Seek::Range(l, p, None, Some((v, true)))),
                BinOp::Gt => out.push(Seek::Range(l, p, Some((v, false)), None)),
                BinOp::Ge => out.push(Seek::Range(l, p, Some((v, true)), None)),
                _ => {}
            }
        }
    }
    // Equality seeks before ranges.
    out.sort_by_key(|s| matches!(s, Seek::Range(..)));
    out.push(Seek::Label(n.labels[0].clone()));
    out
}

/// Plans a match of `paths` filtered by `filter`; slots below `start` are
/// bound before it, slots below `width` are the pattern's.
pub fn plan_match(paths: &[PathPat], filter: Option<Expr>, start: usize, width: usize) -> MatchPlan {
    let mut pending = Vec::new();
    if let Some(f) = filter {
        conjuncts(f, &mut pending);
    }
    let mut pending: Vec<(Expr, BTreeSet<usize>)> = pending
        .into_iter()
        .map(|e| {
            let mut s = BTreeSet::new();
            slots(&e, width, &mut s);
            s.retain(|&i| i >= start);
            (e, s)
        })
        .collect();
    let mut plan = MatchPlan::default();
    pending.retain(|(e, s)| {
        if s.is_empty() {
            plan.pre.push(e.clone());
        }
        !s.is_empty()
    });
    let all_filters: Vec<Expr> = pending.iter().map(|p| p.0.clone()).collect();
    let mut bound: BTreeSet<usize> = (0..start).collect();
    let mut left: Vec<&PathPat> = paths.iter().collect();
    let attach =
        |plan: &mut MatchPlan, step: Step, bound: &BTreeSet<usize>, pending: &mut Vec<(Expr, BTreeSet<usize>)>| {
            let mut fs = Vec::new();
            pending.retain(|(e, s)| {
                let ready = s.is_subset(bound);
                if ready {
                    fs.push(e.clone());
                }
                !ready
            });
            plan.steps.push((step, fs));
        };
    while !left.is_empty() {
        let score = |p: &PathPat| -> (u8, usize) {
            let mut best = (0, 0);
            for (i, n) in p.nodes.iter().enumerate() {
                let s = if bound.contains(&n.slot) {
                    4
                } else if !n.labels.is_empty() && n.props.is_some() {
                    3
                } else if !n.labels.is_empty() {
                    2
                } else {
                    1
                };
                if p.shortest.is_some() && i != 0 {
                    continue;
                }
                if s > best.0 {
                    best = (s, i);
                }
            }
            best
        };
        let (pi, (_, ni)) = left
            .iter()
            .enumerate()
            .map(|(i, p)| (i, score(p)))
            .max_by_key(|(i, s)| (s.0, std::cmp::Reverse(*i)))
            .unwrap_or((0, (0, 0)));
        let p = left.remove(pi);
        let n0 = &p.nodes[ni];
        let was_bound = bound.contains(&n0.slot);
        let seeks = if was_bound { vec![Seek::Bound] } else { seeks(n0, &all_filters, start, width) };
        bound.insert(n0.slot);
        attach(&mut plan, Step::Start { node: n0.clone(), seeks, bound: was_bound }, &bound, &mut pending);
        if let Some(all) = p.shortest {
            let (rel, to) = (p.rels[0].clone(), p.nodes[1].clone());
            let to_bound = bound.contains(&to.slot);
            bound.extend([rel.slot, to.slot]);
            bound.extend(p.slot);
            plan.rel_slots.push(rel.slot);
            let step = Step::Shortest { from: n0.slot, rel, to, to_bound, all, path: p.slot };
            attach(&mut plan, step, &bound, &mut pending);
            continue;
        }
        for i in ni..p.rels.len() {
            let (rel, to) = (p.rels[i].clone(), p.nodes[i + 1].clone());
            let to_bound = bound.contains(&to.slot);
            let rel_bound = bound.contains(&rel.slot);
            bound.extend([rel.slot, to.slot]);
            plan.rel_slots.push(rel.slot);
            let step = Step::Expand { from: p.nodes[i].slot, rel, to, to_bound, rel_bound, rev: false };
            attach(&mut plan, step, &bound, &mut pending);
        }
        for i in (0..ni).rev() {
            let mut rel = p.rels[i].clone();
            rel.dir = rel.dir.reversed();
            let to = p.nodes[i].clone();
            let to_bound = bound.contains(&to.slot);
            let rel_bound = bound.contains(&rel.slot);
            bound.extend([rel.slot, to.slot]);
            plan.rel_slots.push(rel.slot);
            let step = Step::Expand { from: p.nodes[i + 1].slot, rel, to, to_bound, rel_bound, rev: true };
            attach(&mut plan, step, &bound, &mut pending);
        }
        if let Some(slot) = p.slot {
            bound.insert(slot);
            let step = Step::Path {
                slot,
                nodes: p.nodes.iter().map(|n| n.slot).collect(),
                rels: p.rels.iter().map(|r| r.slot).collect(),
            };
            attach(&mut plan, step, &bound, &mut pending);
        }
    }
    if !pending.is_empty() {
        let rest = pending.drain(..).map(|p| p.0);
        match plan.steps.last_mut() {
            Some(last) => last.1.extend(rest),
            None => plan.pre.extend(rest),
        }
    }
    plan.rel_slots.sort_unstable();
    plan.rel_slots.dedup();
    plan
}
