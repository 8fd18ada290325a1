//! Lowering: the `open-cypher` syntax tree to our logical plan ([`ir`]).
//! Resolves variables to row slots, finds aggregates, rejects what we do
//! not support by name. The parser stays behind this one module.

use super::error::{semantic, syntax, unsupported};
use super::ir::*;
use super::plan::plan_match;
use super::val::Val;
use crate::Result;
use open_cypher::ast::{self, ExprKind as EK};

/// Parses and lowers `text`.
pub fn lower(text: &str) -> Result<(Plan, Mode)> {
    if let Some(schema) = super::schema::parse_schema(text)? {
        return Ok((Plan::Schema(schema.0), schema.1));
    }
    let (mut mode, offset) = super::schema::leading_mode(text);
    let body = &text[offset..];
    // The parser takes the short form `EXISTS { (a)-->(:B) }` for a pattern
    // expression and trips over its labels and further hops; the same text
    // with `MATCH` written out parses (and means the same).
    let mut inserted = Vec::new();
    let parsed = open_cypher::parse(body).or_else(|e| {
        if let Some((full, at)) = spell_out_match(body)
            && let Ok(p) = open_cypher::parse(&full)
        {
            inserted = at;
            return Ok(p);
        }
        for (word, feature) in [("FOREACH", "FOREACH"), ("LOAD", "LOAD CSV")] {
            if super::schema::has_keyword(body, word) {
                return Err(unsupported(feature));
            }
        }
        Err(syntax(text, offset, &e))
    })?;
    let Some(statement) = parsed.program.statements.first() else {
        return Err(semantic("SyntaxError", "empty query"));
    };
    let ast::StatementKind::Query(q) = &statement.kind else {
        return Err(semantic("SyntaxError", "invalid statement"));
    };
    match q.mode.as_ref().map(|m| &m.kind) {
        Some(ast::ExecutionMode::Explain) => mode = Mode::Explain,
        Some(ast::ExecutionMode::Profile) => mode = Mode::Profile,
        _ => {}
    }
    let text = body;
    let ast::QueryKind::Regular(reg) = &q.query.kind else {
        return Err(semantic("SyntaxError", "invalid query"));
    };
    let mut lw = Lower {
        text,
        inserted,
        writes: false,
        aggs: None,
        hidden: 0,
        clause_start: 0,
        predicate_ok: false,
        subst: Vec::new(),
    };
    let mut parts = vec![lw.single(&reg.head)?];
    let mut union_all = Vec::new();
    for u in &reg.unions {
        union_all.push(matches!(u.operator.kind, ast::UnionOperator::All));
        let part = lw.single(&u.query)?;
        if part.columns != parts[0].columns {
            return Err(semantic(
                "SyntaxError",
                "DifferentColumnsInUnion: all parts of a UNION must return the same columns",
            ));
        }
        parts.push(part);
    }
    if union_all.windows(2).any(|w| w[0] != w[1]) {
        return Err(semantic("SyntaxError", "InvalidClauseComposition: cannot mix UNION and UNION ALL"));
    }
    Ok((Plan::Query { parts, union_all }, mode))
}

/// The keyword spelled out in the short form of a subquery expression.
const MATCH_KW: &str = "MATCH ";

/// `text` with `MATCH ` written after each `EXISTS {`, `COUNT {` and
/// `COLLECT {` that a pattern follows, and where each insertion starts in
/// the new text; none if there is no such place.
fn spell_out_match(text: &str) -> Option<(String, Vec<usize>)> {
    let lexed = open_cypher::lex(text);
    let toks: Vec<(usize, &str)> = lexed
        .tokens
        .iter()
        .filter(|t| !t.kind.is_trivia())
        .filter_map(|t| Some((t.span.start, t.text(text)?)))
        .collect();
    let mut out = String::with_capacity(text.len() + MATCH_KW.len());
    let mut at = Vec::new();
    let mut copied = 0;
    for w in toks.windows(3) {
        let [(_, kw), (_, "{"), (pos, "(")] = w else { continue };
        if !["EXISTS", "COUNT", "COLLECT"].iter().any(|k| kw.eq_ignore_ascii_case(k)) {
            continue;
        }
        out.push_str(text.get(copied..*pos)?);
        at.push(out.len());
        out.push_str(MATCH_KW);
        copied = *pos;
    }
    if at.is_empty() {
        return None;
    }
    out.push_str(text.get(copied..)?);
    Some((out, at))
}

/// Variable names by slot. Hidden slots (anonymous pattern parts) have
/// names no query can spell.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Slot names.
    pub names: Vec<String>,
    /// What each slot holds, as far as lowering knows.
    kinds: Vec<Kind>,
}

/// What a variable holds, as far as lowering knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unknown.
    Any,
    /// A node.
    Node,
    /// A relationship.
    Rel,
    /// A list of relationships (variable length).
    RelList,
    /// A path.
    Path,
    /// A value that is no graph entity.
    Value,
}

fn conflict(v: &str, was: Kind, want: Kind) -> crate::Error {
    semantic("SyntaxError", format!("VariableTypeConflict: {v} is a {was:?}, used as a {want:?}"))
}

impl Scope {
    /// A scope of `names`, of unknown kinds.
    pub fn of(names: Vec<String>, kinds: Vec<Kind>) -> Self {
        let mut kinds = kinds;
        kinds.resize(names.len(), Kind::Any);
        Scope { names, kinds }
    }

    /// The kind of slot `i`.
    pub fn kind(&self, i: usize) -> Kind {
        self.kinds.get(i).copied().unwrap_or(Kind::Any)
    }

    /// Drops slots from `len` on.
    pub fn truncate(&mut self, len: usize) {
        self.names.truncate(len);
        self.kinds.truncate(len);
    }

    /// Binds `name` as a `kind`: its slot, new or existing; a conflict if it holds another kind.
    pub fn bind_kind(&mut self, name: String, kind: Kind) -> Result<usize> {
        match self.get(&name) {
            Some(i) => {
                let was = self.kind(i);
                if was != Kind::Any && was != kind {
                    return Err(conflict(&name, was, kind));
                }
                self.kinds[i] = kind;
                Ok(i)
            }
            None => {
                let i = self.push(name);
                self.kinds[i] = kind;
                Ok(i)
            }
        }
    }

    /// The slot of visible variable `name`.
    pub fn get(&self, name: &str) -> Option<usize> {
        self.names.iter().rposition(|n| n == name)
    }

    /// Adds a slot named `name`.
    pub fn push(&mut self, name: String) -> usize {
        self.names.push(name);
        self.kinds.push(Kind::Any);
        self.names.len() - 1
    }

    /// Whether slot `i` is a user variable.
    pub fn visible(&self, i: usize) -> bool {
        !self.names[i].starts_with(' ')
    }
}

pub(super) struct Lower<'t> {
    /// The query as the user wrote it.
    text: &'t str,
    /// Where the parsed text has [`MATCH_KW`] that `text` lacks (see [`spell_out_match`]).
    inserted: Vec<usize>,
    writes: bool,
    /// Aggregates found while lowering a projection item; `None` where none may appear.
    aggs: Option<Vec<AggSpec>>,
    hidden: usize,
    /// The first slot the clause being lowered adds.
    clause_start: usize,
    /// Whether a pattern may stand as a predicate here (WHERE, exists()).
    predicate_ok: bool,
    /// Expression texts that stand for output columns (in ORDER BY).
    subst: Vec<(String, usize)>,
}

fn name(n: &ast::Name) -> String {
    n.kind.text.clone()
}

const AGGREGATES: &[&str] =
    &["count", "sum", "avg", "min", "max", "collect", "stdev", "stdevp", "percentilecont", "percentiledisc"];

/// Functions the evaluator knows (besides aggregates), with their arities.
pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("id", 1, 1),
    ("labels", 1, 1),
    ("type", 1, 1),
    ("keys", 1, 1),
    ("properties", 1, 1),
    ("startnode", 1, 1),
    ("endnode", 1, 1),
    ("size", 1, 1),
    ("length", 1, 1),
    ("coalesce", 1, usize::MAX),
    ("tostring", 1, 1),
    ("tointeger", 1, 1),
    ("tofloat", 1, 1),
    ("toboolean", 1, 1),
    ("toupper", 1, 1),
    ("tolower", 1, 1),
    ("substring", 2, 3),
    ("split", 2, 2),
    ("range", 2, 3),
    ("head", 1, 1),
    ("last", 1, 1),
    ("tail", 1, 1),
    ("nodes", 1, 1),
    ("relationships", 1, 1),
    ("exists", 1, 1),
    ("abs", 1, 1),
    ("ceil", 1, 1),
    ("floor", 1, 1),
    ("round", 1, 1),
    ("sqrt", 1, 1),
    ("sign", 1, 1),
    ("exp", 1, 1),
    ("log", 1, 1),
    ("log10", 1, 1),
    ("sin", 1, 1),
    ("cos", 1, 1),
    ("tan", 1, 1),
    ("rand", 0, 0),
    ("pi", 0, 0),
    ("e", 0, 0),
    ("left", 2, 2),
    ("right", 2, 2),
    ("trim", 1, 1),
    ("ltrim", 1, 1),
    ("rtrim", 1, 1),
    ("replace", 3, 3),
    ("reverse", 1, 1),
    ("tostringornull", 1, 1),
    ("tointegerornull", 1, 1),
    ("tofloatornull", 1, 1),
    ("tobooleanornull", 1, 1),
    ("date", 0, 1),
    ("localtime", 0, 1),
    ("time", 0, 1),
    ("localdatetime", 0, 1),
    ("datetime", 0, 1),
    ("duration", 1, 1),
];

impl Lower<'_> {
    fn hidden(&mut self, scope: &mut Scope) -> usize {
        self.hidden += 1;
        scope.push(format!(" {}", self.hidden))
    }

    /// The user's text of what the parser found at `span`.
    fn src(&self, span: open_cypher::Span) -> String {
        let (start, end) = (self.user_offset(span.start), self.user_offset(span.end));
        self.text.get(start..end).unwrap_or_default().trim().to_string()
    }

    /// Where offset `pos` of the parsed text lies in the user's text.
    fn user_offset(&self, pos: usize) -> usize {
        let mut shift = 0;
        for &k in &self.inserted {
            if pos >= k + MATCH_KW.len() {
                shift += MATCH_KW.len();
            } else if pos > k {
                return k.saturating_sub(shift);
            }
        }
        pos.saturating_sub(shift)
    }

    fn single(&mut self, q: &ast::SingleQuery) -> Result<Single> {
        let mut scope = Scope::default();
        let mut clauses = Vec::new();
        let mut width = 0;
        let mut columns = Vec::new();
        let n = q.kind.clauses.len();
        for (i, c) in q.kind.clauses.iter().enumerate() {
            let last = i + 1 == n;
            if !columns.is_empty() {
                return Err(semantic("SyntaxError", "InvalidClauseComposition: RETURN must be the last clause"));
            }
            let clause = self.clause(c, &mut scope, last, &mut columns)?;
            width = width.max(scope.names.len());
            clauses.push(clause);
        }
        match clauses.last() {
            Some(Clause::Project(_)) if !columns.is_empty() => {}
            Some(Clause::Call(call)) if !self.writes && clauses.len() == 1 => {
                columns = call.yields.iter().map(|y| y.0.clone()).collect();
            }
            Some(
                Clause::Create { .. }
                | Clause::Merge { .. }
                | Clause::Set(_)
                | Clause::Remove(_)
                | Clause::Delete { .. },
            ) => {}
            Some(Clause::Call(_)) => {}
            _ => {
                return Err(semantic(
                    "SyntaxError",
                    "InvalidClauseComposition: a query must end with RETURN or an update clause",
                ));
            }
        }
        Ok(Single { clauses, columns, width })
    }

    fn clause(&mut self, c: &ast::Clause, scope: &mut Scope, last: bool, columns: &mut Vec<String>) -> Result<Clause> {
        use ast::ClauseKind as C;
        self.clause_start = scope.names.len();
        Ok(match &c.kind {
            C::Match(m) => {
                if m.mode.is_some() || !m.hints.is_empty() {
                    return Err(unsupported("path modes and planner hints in MATCH"));
                }
                let start = scope.names.len();
                let paths = self.pattern(&m.pattern, scope, false)?;
                let filter = m.where_clause.as_ref().map(|w| self.where_expr(w, scope)).transpose()?;
                let plan = plan_match(&paths, filter, start, scope.names.len());
                Clause::Match { optional: m.optional, plan, new: (start..scope.names.len()).collect() }
            }
            C::Create(cr) => {
                self.writes = true;
                let start = scope.names.len();
                let paths = self.pattern(&cr.pattern, scope, true)?;
                let mut seen = std::collections::BTreeSet::new();
                for p in &paths {
                    if p.shortest.is_some() {
                        return Err(semantic("SyntaxError", "shortestPath cannot be created"));
                    }
                    for r in &p.rels {
                        if r.slot < start {
                            return Err(semantic(
                                "SyntaxError",
                                "VariableAlreadyBound: a created relationship variable must be new",
                            ));
                        }
                        if r.types.len() != 1 || r.var_len.is_some() || r.dir == Dir::Both {
                            return Err(semantic(
                                "SyntaxError",
                                "a created relationship needs exactly one type and a direction, and no length",
                            ));
                        }
                    }
                    if p.nodes.len() == 1 && p.nodes[0].slot < start {
                        return Err(semantic(
                            "SyntaxError",
                            "VariableAlreadyBound: CREATE of a node that is bound already",
                        ));
                    }
                    for node in &p.nodes {
                        let again = !seen.insert(node.slot);
                        if (node.slot < start || again) && (!node.labels.is_empty() || node.props.is_some()) {
                            return Err(semantic(
                                "SyntaxError",
                                "VariableAlreadyBound: a bound node cannot take labels or properties in CREATE",
                            ));
                        }
                    }
                }
                Clause::Create { paths, start }
            }
            C::Merge(mg) => {
                self.writes = true;
                let start = scope.names.len();
                let pattern = ast::Pattern { parts: vec![mg.pattern.clone()], span: mg.pattern.span };
                let mut paths = self.pattern(&pattern, scope, true)?;
                let path = paths.pop().ok_or_else(|| semantic("SyntaxError", "MERGE needs a pattern"))?;
                if path.nodes.len() == 1 && path.nodes[0].slot < start {
                    return Err(semantic("SyntaxError", "VariableAlreadyBound: MERGE of a node that is bound already"));
                }
                if path.nodes.iter().any(|n| n.slot < start && (!n.labels.is_empty() || n.props.is_some())) {
                    return Err(semantic(
                        "SyntaxError",
                        "VariableAlreadyBound: a bound node cannot take labels or properties in MERGE",
                    ));
                }
                for r in &path.rels {
                    if r.types.len() != 1 || r.var_len.is_some() {
                        return Err(semantic(
                            "SyntaxError",
                            "a merged relationship needs exactly one type and no length",
                        ));
                    }
                }
                let plan = plan_match(std::slice::from_ref(&path), None, start, scope.names.len());
                let (mut on_create, mut on_match) = (Vec::new(), Vec::new());
                for a in &mg.actions {
                    let items = self.set_items(&a.set, scope)?;
                    match a.trigger.kind {
                        ast::MergeTrigger::Create => on_create.extend(items),
                        _ => on_match.extend(items),
                    }
                }
                Clause::Merge { path, plan, start, on_create, on_match }
            }
            C::Set(s) => {
                self.writes = true;
                Clause::Set(self.set_items(s, scope)?)
            }
            C::Remove(r) => {
                self.writes = true;
                let mut items = Vec::new();
                for it in &r.items {
                    items.push(match &it.kind {
                        ast::RemoveItemKind::Property(e) => match &e.kind {
                            EK::Property { expression, key } => {
                                RemoveItem::Prop(self.expr(expression, scope)?, name(key))
                            }
                            _ => return Err(semantic("SyntaxError", "REMOVE needs a property or labels")),
                        },
                        ast::RemoveItemKind::Labels { target, labels } => {
                            RemoveItem::Labels(self.var(target, scope)?, label_names(labels)?)
                        }
                        _ => return Err(unsupported("this REMOVE item")),
                    });
                }
                Clause::Remove(items)
            }
            C::Delete(d) => {
                self.writes = true;
                let exprs = d.expressions.iter().map(|e| self.expr(e, scope)).collect::<Result<Vec<_>>>()?;
                for (e, ast) in exprs.iter().zip(&d.expressions) {
                    if !matches!(
                        e,
                        Expr::Var(_) | Expr::Index(..) | Expr::Prop(..) | Expr::Func(..) | Expr::Lit(Val::Null)
                    ) && !matches!(ast.kind, EK::Parenthesized(_))
                    {
                        return Err(semantic(
                            "SyntaxError",
                            "InvalidDelete: DELETE takes nodes, relationships or paths",
                        ));
                    }
                }
                Clause::Delete { detach: matches!(d.mode.kind, ast::DeleteMode::Detach), exprs }
            }
            C::Unwind(u) => {
                let e = self.expr(&u.expression, scope)?;
                let v = name(&u.variable);
                if scope.get(&v).is_some() {
                    return Err(semantic("SyntaxError", format!("VariableAlreadyBound: {v}")));
                }
                Clause::Unwind(e, scope.push(v))
            }
            C::With(w) => {
                let p = self.projection(&w.projection, scope, w.where_clause.as_ref(), false)?;
                Clause::Project(Box::new(p))
            }
            C::Return(r) => {
                let p = self.projection(&r.projection, scope, None, true)?;
                *columns = p.items.iter().map(|i| i.0.clone()).collect();
                if !last {
                    return Err(semantic("SyntaxError", "InvalidClauseComposition: RETURN must be the last clause"));
                }
                Clause::Project(Box::new(p))
            }
            C::Call(call) => self.call(call, scope)?,
            C::Foreach(_) => return Err(unsupported("FOREACH")),
            C::LoadCsv(_) => return Err(unsupported("LOAD CSV")),
            C::Use(_) => return Err(unsupported("USE")),
            C::Let(_) => return Err(unsupported("LET")),
            C::Insert(_) => return Err(unsupported("INSERT")),
            C::Filter(_) => return Err(unsupported("FILTER")),
            C::Finish => return Err(unsupported("FINISH")),
            C::Select(_) | C::Next(_) => return Err(unsupported("SELECT / NEXT")),
            _ => return Err(unsupported("this clause")),
        })
    }

    fn call(&mut self, call: &ast::CallClause, scope: &mut Scope) -> Result<Clause> {
        let ast::CallTarget::Procedure { name: qn, arguments } = &call.target else {
            return Err(unsupported("CALL subqueries"));
        };
        let pname = qn.parts.iter().map(|p| p.kind.text.as_str()).collect::<Vec<_>>().join(".");
        let lname = pname.to_lowercase();
        let outputs = super::procs::outputs(&lname)
            .ok_or_else(|| semantic("ProcedureError", format!("ProcedureNotFound: {pname}")))?;
        let args = arguments.iter().flatten().map(|a| self.expr(a, scope)).collect::<Result<Vec<_>>>()?;
        let mut yields = Vec::new();
        let mut filter = None;
        match &call.yield_clause {
            None => {
                for o in outputs {
                    yields.push((o.to_string(), scope.push(o.to_string())));
                }
            }
            Some(y) => {
                if y.all {
                    for o in outputs {
                        yields.push((o.to_string(), scope.push(o.to_string())));
                    }
                }
                for it in &y.items {
                    let ast::ProjectionItemKind::Expression { expression, alias } = &it.kind else {
                        for o in outputs {
                            yields.push((o.to_string(), scope.push(o.to_string())));
                        }
                        continue;
                    };
                    let EK::Variable(v) = &expression.kind else {
                        return Err(semantic("SyntaxError", "YIELD takes output names"));
                    };
                    let out = name(v);
                    if !outputs.contains(&out.as_str()) {
                        return Err(semantic("SyntaxError", format!("UndefinedVariable: {pname} yields no {out}")));
                    }
                    let var = alias.as_ref().map(name).unwrap_or(out.clone());
                    yields.push((out, scope.push(var)));
                }
                filter = y.where_clause.as_ref().map(|w| self.where_expr(w, scope)).transpose()?;
            }
        }
        Ok(Clause::Call(Call { name: lname, args, yields, filter }))
    }

    fn set_items(&mut self, s: &ast::SetClause, scope: &mut Scope) -> Result<Vec<SetItem>> {
        let mut items = Vec::new();
        for it in &s.items {
            items.push(match &it.kind {
                ast::SetItemKind::Property { target, value } => match &target.kind {
                    EK::Property { expression, key } => {
                        SetItem::Prop(self.expr(expression, scope)?, name(key), self.expr(value, scope)?)
                    }
                    _ => return Err(semantic("SyntaxError", "SET needs a property")),
                },
                ast::SetItemKind::ReplaceProperties { target, value } => {
                    SetItem::Props(self.var(target, scope)?, self.expr(value, scope)?, false)
                }
                ast::SetItemKind::MergeProperties { target, value } => {
                    SetItem::Props(self.var(target, scope)?, self.expr(value, scope)?, true)
                }
                ast::SetItemKind::Labels { target, labels } => {
                    SetItem::Labels(self.var(target, scope)?, label_names(labels)?)
                }
                _ => return Err(unsupported("this SET item")),
            });
        }
        Ok(items)
    }

    fn var(&mut self, n: &ast::Name, scope: &Scope) -> Result<Expr> {
        let v = name(n);
        scope
            .get(&v)
            .map(Expr::Var)
            .ok_or_else(|| semantic("SyntaxError", format!("UndefinedVariable: {v} is not defined")))
    }

    fn projection(
        &mut self,
        p: &ast::ProjectionClause,
        scope: &mut Scope,
        where_clause: Option<&ast::Expr>,
        is_return: bool,
    ) -> Result<Projection> {
        let mut items: Vec<(String, Expr)> = Vec::new();
        // Each item's expression text, for ORDER BY to refer to.
        let mut texts: Vec<String> = Vec::new();
        let mut has_agg = Vec::new();
        self.aggs = Some(Vec::new());
        for it in &p.items {
            match &it.kind {
                ast::ProjectionItemKind::Wildcard => {
                    let mut vars: Vec<(String, usize)> = (0..scope.names.len())
                        .filter(|&i| scope.visible(i) && scope.get(&scope.names[i]) == Some(i))
                        .map(|i| (scope.names[i].clone(), i))
                        .collect();
                    vars.sort();
                    if vars.is_empty() && is_return {
                        self.aggs = None;
                        return Err(semantic("SyntaxError", "NoVariablesInScope: RETURN * has no variables"));
                    }
                    for (n, i) in vars {
                        texts.push(n.clone());
                        items.push((n, Expr::Var(i)));
                        has_agg.push(false);
                    }
                }
                ast::ProjectionItemKind::Expression { expression, alias } => {
                    let before = self.aggs.as_ref().map_or(0, Vec::len);
                    let e = match self.expr(expression, scope) {
                        Ok(e) => e,
                        Err(err) => {
                            self.aggs = None;
                            return Err(err);
                        }
                    };
                    has_agg.push(self.aggs.as_ref().map_or(0, Vec::len) > before);
                    let col = match alias {
                        Some(a) => name(a),
                        None => {
                            if !is_return && !matches!(expression.kind, EK::Variable(_)) {
                                self.aggs = None;
                                return Err(semantic(
                                    "SyntaxError",
                                    "NoExpressionAlias: expressions in WITH must be aliased",
                                ));
                            }
                            self.src(expression.span)
                        }
                    };
                    if items.iter().any(|i| i.0 == col) {
                        self.aggs = None;
                        return Err(semantic("SyntaxError", format!("ColumnNameConflict: {col}")));
                    }
                    texts.push(self.src(expression.span));
                    items.push((col, e));
                }
                _ => {
                    self.aggs = None;
                    return Err(unsupported("this projection item"));
                }
            }
        }
        let distinct = matches!(p.quantifier.as_ref().map(|q| &q.kind), Some(ast::SetQuantifier::Distinct));
        let aggregating = has_agg.iter().any(|&a| a);
        // ORDER BY sees output ++ input columns.
        let out_names: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
        let out_kinds: Vec<Kind> = items
            .iter()
            .map(|(_, e)| match e {
                Expr::Var(i) => scope.kind(*i),
                Expr::Lit(Val::Null) => Kind::Any,
                Expr::Lit(_) | Expr::List(_) | Expr::Map(_) | Expr::Bin(..) | Expr::Not(_) | Expr::Neg(_) => {
                    Kind::Value
                }
                _ => Kind::Any,
            })
            .collect();
        let mut names = out_names.clone();
        let mut kinds = out_kinds.clone();
        // Input columns behind the output ones (shadowed by an alias of the
        // same name; hidden after DISTINCT or aggregation).
        for (i, n) in scope.names.iter().enumerate() {
            let hide = distinct || aggregating || out_names.contains(n);
            names.push(if hide { format!(" in {n}") } else { n.clone() });
            kinds.push(scope.kind(i));
        }
        let sort_scope = Scope::of(names, kinds);
        let mut order = Vec::new();
        let saved_aggs = if aggregating { None } else { self.aggs.take() };
        if let Some(ob) = &p.order_by {
            for s in &ob.items {
                let e = match self.sort_expr(&s.expression, &sort_scope, &items, &texts, aggregating || distinct) {
                    Ok(e) => e,
                    Err(err) => {
                        self.aggs = None;
                        return Err(err);
                    }
                };
                order.push((e, matches!(s.direction.as_ref().map(|d| &d.kind), Some(ast::SortDirection::Descending))));
            }
        }
        if saved_aggs.is_some() {
            self.aggs = saved_aggs;
        }
        let aggs = self.aggs.take().unwrap_or_default();
        let skip = p.skip.as_ref().or(p.offset.as_ref()).map(|e| self.const_expr(e, "SKIP")).transpose()?;
        let limit = p.limit.as_ref().map(|e| self.const_expr(e, "LIMIT")).transpose()?;
        let keys = if aggregating { (0..items.len()).filter(|&i| !has_agg[i]).collect() } else { Vec::new() };
        let filter = where_clause.map(|w| self.where_expr(w, &mut sort_scope.clone())).transpose()?;
        *scope = Scope::of(out_names, out_kinds);
        Ok(Projection { items, aggs, keys, distinct, order, skip, limit, filter })
    }

    /// A sort key: an output column by name or by its expression's text,
    /// else an expression over output ++ input columns.
    fn sort_expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        items: &[(String, Expr)],
        texts: &[String],
        restricted: bool,
    ) -> Result<Expr> {
        let text = self.src(e.span);
        if let Some(i) = items.iter().position(|it| it.0 == text) {
            return Ok(Expr::Var(i));
        }
        let mut scope = scope.clone();
        // A sub-expression spelled like a projected one reads that column.
        self.subst = texts.iter().enumerate().map(|(i, t)| (t.clone(), i)).collect();
        let lowered = self.expr(e, &mut scope);
        self.subst.clear();
        match lowered {
            Ok(x) => Ok(x),
            Err(err) if restricted => Err(semantic(
                "SyntaxError",
                format!(
                    "UndefinedVariable: ORDER BY after DISTINCT or aggregation can only use projected columns ({err})"
                ),
            )),
            Err(err) => Err(err),
        }
    }

    fn const_expr(&mut self, e: &ast::Expr, what: &str) -> Result<Expr> {
        let lowered = self.expr(e, &mut Scope::default()).map_err(|_| {
            semantic("SyntaxError", format!("NonConstantExpression: {what} must be a constant or a parameter"))
        })?;
        if let Expr::Lit(v) = &lowered {
            match v {
                Val::Int(i) if *i >= 0 => {}
                Val::Int(_) => {
                    return Err(semantic(
                        "SyntaxError",
                        format!("NegativeIntegerArgument: {what} must not be negative"),
                    ));
                }
                _ => return Err(semantic("SyntaxError", format!("InvalidArgumentType: {what} must be an integer"))),
            }
        }
        Ok(lowered)
    }

    fn pattern(&mut self, p: &ast::Pattern, scope: &mut Scope, create: bool) -> Result<Vec<PathPat>> {
        let mut out = Vec::new();
        for part in &p.parts {
            if part.kind.selector.is_some() {
                return Err(unsupported("path selectors"));
            }
            let mut factors: &[ast::PathFactor] = &part.kind.path.kind.factors;
            let mut shortest = None;
            if let [f] = factors
                && let ast::PathFactorKind::LegacyShortest { all, pattern } = &f.kind
            {
                shortest = Some(*all);
                factors = &pattern.kind.factors;
            }
            let mut nodes = Vec::new();
            let mut rels = Vec::new();
            for f in factors {
                match &f.kind {
                    ast::PathFactorKind::Node(n) => {
                        if nodes.len() != rels.len() {
                            return Err(semantic("SyntaxError", "two nodes in a row in a pattern"));
                        }
                        nodes.push(self.node_pat(n, scope)?);
                    }
                    ast::PathFactorKind::Relationship(r) => {
                        if nodes.len() != rels.len() + 1 {
                            return Err(semantic("SyntaxError", "a relationship needs a node on each side"));
                        }
                        rels.push(self.rel_pat(r, scope, create)?);
                    }
                    ast::PathFactorKind::QuantifiedNode { .. } | ast::PathFactorKind::Parenthesized { .. } => {
                        return Err(unsupported("quantified path patterns"));
                    }
                    ast::PathFactorKind::Subpath { .. } => return Err(unsupported("sub-path patterns")),
                    ast::PathFactorKind::LegacyShortest { .. } => {
                        return Err(unsupported("shortestPath inside a longer pattern"));
                    }
                    _ => return Err(semantic("SyntaxError", "invalid pattern")),
                }
            }
            if nodes.len() != rels.len() + 1 {
                return Err(semantic("SyntaxError", "a pattern must end with a node"));
            }
            let slot = match &part.kind.binding {
                Some(b) => {
                    let v = name(b);
                    if scope.get(&v).is_some() {
                        return Err(semantic("SyntaxError", format!("VariableAlreadyBound: {v}")));
                    }
                    Some(scope.bind_kind(v, Kind::Path)?)
                }
                None => None,
            };
            if shortest.is_some() && rels.len() != 1 {
                return Err(unsupported("shortestPath over more than one relationship pattern"));
            }
            out.push(PathPat { slot, nodes, rels, shortest });
        }
        Ok(out)
    }

    fn bind(&mut self, v: Option<&ast::Name>, scope: &mut Scope, kind: Kind) -> Result<usize> {
        match v {
            Some(n) => scope.bind_kind(name(n), kind),
            None => Ok(self.hidden(scope)),
        }
    }

    fn props(&mut self, p: &Option<Box<ast::Expr>>, scope: &mut Scope) -> Result<Option<Expr>> {
        p.as_ref().map(|e| self.expr(e, scope)).transpose()
    }

    fn node_pat(&mut self, n: &ast::NodePattern, scope: &mut Scope) -> Result<NodePat> {
        if n.where_clause.is_some() {
            return Err(unsupported("WHERE inside a node pattern"));
        }
        let labels = n.labels.as_ref().map(label_names).transpose()?.unwrap_or_default();
        let props = self.props(&n.properties, scope)?;
        if let Some(p) = &n.properties
            && matches!(p.kind, EK::Parameter(_))
        {
            return Err(semantic(
                "SyntaxError",
                "InvalidParameterUse: a parameter cannot be a node's property map in a pattern",
            ));
        }
        let slot = self.bind(n.variable.as_ref(), scope, Kind::Node)?;
        Ok(NodePat { slot, labels, props })
    }

    fn rel_pat(&mut self, r: &ast::RelationshipPattern, scope: &mut Scope, create: bool) -> Result<RelPat> {
        if r.where_clause.is_some() || r.graph_quantifier.is_some() {
            return Err(unsupported("WHERE and GQL quantifiers inside a relationship pattern"));
        }
        let types = match &r.labels {
            None => Vec::new(),
            Some(l) => type_names(l)?,
        };
        let dir = match r.direction.kind {
            ast::RelationshipDirection::Left => Dir::In,
            ast::RelationshipDirection::Right => Dir::Out,
            _ => Dir::Both,
        };
        let var_len = match &r.legacy_quantifier {
            None => None,
            Some(q) => Some(match &q.kind {
                ast::QuantifierKind::ZeroOrMore | ast::QuantifierKind::OneOrMore => (1, None),
                ast::QuantifierKind::Optional => (0, Some(1)),
                ast::QuantifierKind::Fixed(n) => {
                    let n = hops(n)?;
                    (n, Some(n))
                }
                ast::QuantifierKind::Range { lower, upper } => {
                    (lower.as_deref().map(hops).transpose()?.unwrap_or(1), upper.as_deref().map(hops).transpose()?)
                }
                _ => return Err(unsupported("this quantifier")),
            }),
        };
        if let Some(p) = &r.properties
            && matches!(p.kind, EK::Parameter(_))
        {
            return Err(semantic(
                "SyntaxError",
                "InvalidParameterUse: a parameter cannot be a relationship's property map in a pattern",
            ));
        }
        let props = self.props(&r.properties, scope)?;
        let kind = if var_len.is_some() { Kind::RelList } else { Kind::Rel };
        let slot = match &r.variable {
            Some(v) => {
                let v = name(v);
                match scope.get(&v) {
                    Some(s) if s >= self.clause_start || var_len.is_some() => {
                        return Err(semantic(
                            "SyntaxError",
                            format!("VariableAlreadyBound: relationship {v} is bound already"),
                        ));
                    }
                    _ => scope.bind_kind(v, kind)?,
                }
            }
            None => self.hidden(scope),
        };
        let _ = create;
        Ok(RelPat { slot, types, dir, props, var_len })
    }

    fn agg(&mut self, f: &ast::FunctionInvocation, lname: &str, scope: &mut Scope) -> Result<Expr> {
        let Some(aggs) = self.aggs.take() else {
            return Err(semantic("SyntaxError", format!("InvalidAggregation: {lname}() is not allowed here")));
        };
        let distinct = matches!(f.quantifier.as_ref().map(|q| &q.kind), Some(ast::SetQuantifier::Distinct));
        let star = matches!(f.arguments.as_slice(), [a] if matches!(a.kind, EK::Wildcard));
        let func = match lname {
            "count" if star => AggFn::CountStar,
            "count" => AggFn::Count,
            "sum" => AggFn::Sum,
            "avg" => AggFn::Avg,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            "collect" => AggFn::Collect,
            "stdev" => AggFn::StDev,
            "stdevp" => AggFn::StDevP,
            "percentilecont" => AggFn::PercentileCont,
            _ => AggFn::PercentileDisc,
        };
        let want = if matches!(func, AggFn::PercentileCont | AggFn::PercentileDisc) { 2 } else { 1 };
        if f.arguments.len() != want {
            self.aggs = Some(aggs);
            return Err(semantic("SyntaxError", format!("InvalidNumberOfArguments: {lname}")));
        }
        // No aggregate inside an aggregate.
        let inner = if star {
            Ok((None, None))
        } else {
            let a = self.expr(&f.arguments[0], scope);
            let b = f.arguments.get(1).map(|x| self.expr(x, scope)).transpose();
            a.and_then(|a| Ok((Some(a), b?)))
        };
        let mut aggs = aggs;
        let (arg, extra) = match inner {
            Ok(x) => x,
            Err(e) => {
                self.aggs = Some(aggs);
                return Err(if e.message().contains("not allowed here") {
                    semantic("SyntaxError", "NestedAggregation: an aggregate cannot contain an aggregate")
                } else {
                    e
                });
            }
        };
        aggs.push(AggSpec { func, distinct, arg, extra });
        let k = aggs.len() - 1;
        self.aggs = Some(aggs);
        Ok(Expr::Agg(k))
    }

    /// Lowers `e` in `scope` with a local variable `v` (comprehensions).
    fn with_local<T>(
        &mut self,
        v: &ast::Name,
        scope: &mut Scope,
        f: impl FnOnce(&mut Self, &mut Scope, usize) -> Result<T>,
    ) -> Result<T> {
        let len = scope.names.len();
        let slot = scope.push(name(v));
        let out = f(self, scope, slot);
        scope.truncate(len);
        out
    }

    fn no_aggs<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = self.aggs.take();
        let out = f(self);
        self.aggs = saved;
        out
    }

    /// A `WHERE` predicate (where patterns may stand as predicates).
    fn where_expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Result<Expr> {
        let saved = std::mem::replace(&mut self.predicate_ok, true);
        let out = self.expr(e, scope);
        self.predicate_ok = saved;
        out
    }

    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Result<Expr> {
        if !self.subst.is_empty() && !matches!(e.kind, EK::Literal(_) | EK::Parameter(_)) {
            let text = self.src(e.span);
            if let Some(&(_, i)) = self.subst.iter().find(|(t, _)| *t == text) {
                return Ok(Expr::Var(i));
            }
        }
        Ok(match &e.kind {
            EK::Literal(l) => Expr::Lit(literal(&l.kind, false)?),
            EK::Variable(v) => self.var(v, scope)?,
            EK::Parameter(p) => match &p.name {
                ast::ParameterName::Named(n) | ast::ParameterName::Positional(n) => Expr::Param(n.clone()),
                _ => return Err(unsupported("this parameter form")),
            },
            EK::List(items) => {
                let items = items.iter().map(|x| self.expr(x, scope)).collect::<Result<Vec<_>>>()?;
                match items
                    .iter()
                    .map(|i| if let Expr::Lit(v) = i { Some(v.clone()) } else { None })
                    .collect::<Option<Vec<_>>>()
                {
                    Some(vals) => Expr::Lit(Val::list(vals)),
                    None => Expr::List(items),
                }
            }
            EK::Map(entries) => {
                let mut out = Vec::new();
                for en in entries {
                    out.push((name(&en.key), self.expr(&en.value, scope)?));
                }
                Expr::Map(out)
            }
            EK::MapProjection(mp) => {
                let base = self.expr(&mp.base, scope)?;
                let mut items = Vec::new();
                for it in &mp.items {
                    items.push(match &it.kind {
                        ast::MapProjectionItemKind::Property(p) => MapProjItem::Prop(name(p)),
                        ast::MapProjectionItemKind::AllProperties => MapProjItem::All,
                        ast::MapProjectionItemKind::Variable(v) => MapProjItem::Entry(name(v), self.var(v, scope)?),
                        ast::MapProjectionItemKind::Entry(en) => {
                            MapProjItem::Entry(name(&en.key), self.expr(&en.value, scope)?)
                        }
                        _ => return Err(unsupported("this map projection item")),
                    });
                }
                Expr::MapProj(Box::new(base), items)
            }
            EK::Unary { operator, operand } => match operator.kind {
                ast::UnaryOperator::Plus => self.expr(operand, scope)?,
                ast::UnaryOperator::Not => Expr::Not(Box::new(self.expr(operand, scope)?)),
                ast::UnaryOperator::Minus => {
                    if let EK::Literal(l) = &operand.kind
                        && matches!(l.kind, ast::LiteralKind::Integer(_) | ast::LiteralKind::Float(_))
                    {
                        Expr::Lit(literal(&l.kind, true)?)
                    } else {
                        Expr::Neg(Box::new(self.expr(operand, scope)?))
                    }
                }
                _ => return Err(unsupported("this operator")),
            },
            EK::Binary { left, operator, right } => {
                use ast::BinaryOperator as B;
                let op = match operator.kind {
                    B::Or => BinOp::Or,
                    B::Xor => BinOp::Xor,
                    B::And => BinOp::And,
                    B::Equal => BinOp::Eq,
                    B::NotEqual => BinOp::Ne,
                    B::Less => BinOp::Lt,
                    B::LessEqual => BinOp::Le,
                    B::Greater => BinOp::Gt,
                    B::GreaterEqual => BinOp::Ge,
                    B::RegexMatch => BinOp::Regex,
                    B::In => BinOp::In,
                    B::StartsWith => BinOp::StartsWith,
                    B::EndsWith => BinOp::EndsWith,
                    B::Contains => BinOp::Contains,
                    B::Add | B::Concat => BinOp::Add,
                    B::Subtract => BinOp::Sub,
                    B::Multiply => BinOp::Mul,
                    B::Divide => BinOp::Div,
                    B::Remainder => BinOp::Mod,
                    B::Power => BinOp::Pow,
                    _ => return Err(unsupported("this operator")),
                };
                let is_cmp =
                    |o: BinOp| matches!(o, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge);
                let l = self.expr(left, scope)?;
                let r = self.expr(right, scope)?;
                // `a < b < c` is `a < b AND b < c`.
                match l {
                    Expr::Bin(lop, _, ref middle)
                        if is_cmp(op) && is_cmp(lop) && matches!(left.kind, EK::Binary { .. }) =>
                    {
                        let middle = middle.clone();
                        Expr::Bin(BinOp::And, Box::new(l), Box::new(Expr::Bin(op, middle, Box::new(r))))
                    }
                    l => Expr::Bin(op, Box::new(l), Box::new(r)),
                }
            }
            EK::Is { expression, negated, predicate } => {
                let inner = self.expr(expression, scope)?;
                match predicate {
                    ast::IsPredicate::Null => Expr::IsNull(Box::new(inner), *negated),
                    ast::IsPredicate::Label(l) => {
                        let has = Expr::HasLabels(Box::new(inner), label_names(l)?);
                        if *negated { Expr::Not(Box::new(has)) } else { has }
                    }
                    _ => return Err(unsupported("IS type predicates")),
                }
            }
            EK::Property { expression, key } => {
                let base = self.expr(expression, scope)?;
                if let Expr::Var(i) = base
                    && matches!(scope.kind(i), Kind::Path | Kind::RelList)
                {
                    return Err(semantic(
                        "SyntaxError",
                        format!("InvalidArgumentType: property {} of a {:?}", name(key), scope.kind(i)),
                    ));
                }
                Expr::Prop(Box::new(base), name(key))
            }
            EK::DynamicProperty { expression, key } | EK::Index { expression, index: key } => {
                Expr::Index(Box::new(self.expr(expression, scope)?), Box::new(self.expr(key, scope)?))
            }
            EK::Slice { expression, lower, upper } => Expr::Slice(
                Box::new(self.expr(expression, scope)?),
                lower.as_ref().map(|x| self.expr(x, scope).map(Box::new)).transpose()?,
                upper.as_ref().map(|x| self.expr(x, scope).map(Box::new)).transpose()?,
            ),
            EK::Function(f) => {
                let fname = f.name.parts.iter().map(|p| p.kind.text.as_str()).collect::<Vec<_>>().join(".");
                let lname = fname.to_lowercase();
                if AGGREGATES.contains(&lname.as_str()) {
                    return self.agg(f, &lname, scope);
                }
                let Some(&(_, lo, hi)) = FUNCTIONS.iter().find(|f| f.0 == lname) else {
                    return Err(semantic("SyntaxError", format!("UnknownFunction: {fname}")));
                };
                if f.arguments.len() < lo || f.arguments.len() > hi {
                    return Err(semantic("SyntaxError", format!("InvalidNumberOfArguments: {fname}")));
                }
                if f.quantifier.is_some() {
                    return Err(semantic("SyntaxError", format!("InvalidArgumentPassingMode: DISTINCT in {fname}")));
                }
                if let Some(EK::Variable(v)) = f.arguments.first().map(|a| &a.kind)
                    && let Some(i) = scope.get(&name(v))
                {
                    let k = scope.kind(i);
                    let bad = match lname.as_str() {
                        "type" | "startnode" | "endnode" => matches!(k, Kind::Node | Kind::Path),
                        "length" => matches!(k, Kind::Node | Kind::Rel),
                        "size" => k == Kind::Path,
                        "labels" => matches!(k, Kind::Rel | Kind::Path),
                        "nodes" | "relationships" => matches!(k, Kind::Node | Kind::Rel),
                        _ => false,
                    };
                    if bad {
                        return Err(semantic("SyntaxError", format!("InvalidArgumentType: {fname}() of a {k:?}")));
                    }
                }
                if lname == "size" && matches!(f.arguments[0].kind, EK::Pattern(_)) {
                    return Err(semantic("SyntaxError", "InvalidArgumentType: size() of a pattern; use COUNT { … }"));
                }
                let allowed = self.predicate_ok || lname == "exists";
                let saved = std::mem::replace(&mut self.predicate_ok, allowed);
                let mut args = f.arguments.iter().map(|a| self.expr(a, scope)).collect::<Result<Vec<_>>>();
                self.predicate_ok = saved;
                // `exists((a)-->(b))` is the pattern predicate itself (not
                // whether its Boolean is null).
                if let (Ok(a), [arg]) = (&mut args, f.arguments.as_slice())
                    && matches!(arg.kind, EK::Pattern(_))
                    && let Some(pattern) = a.pop()
                {
                    return Ok(pattern);
                }
                Expr::Func(lname, args?)
            }
            EK::Case(c) => {
                let operand = c.operand.as_ref().map(|o| self.expr(o, scope).map(Box::new)).transpose()?;
                let mut whens = Vec::new();
                for alt in &c.alternatives {
                    let then = self.expr(&alt.then, scope)?;
                    for w in &alt.when {
                        whens.push((self.expr(w, scope)?, then.clone()));
                    }
                }
                let els = c.else_expression.as_ref().map(|o| self.expr(o, scope).map(Box::new)).transpose()?;
                Expr::Case(operand, whens, els)
            }
            EK::ListComprehension(lc) => {
                let list = Box::new(self.expr(&lc.list, scope)?);
                self.with_local(&lc.variable, scope, |lw, scope, slot| {
                    let pred =
                        lc.predicate.as_ref().map(|p| lw.no_aggs(|lw| lw.expr(p, scope)).map(Box::new)).transpose()?;
                    let proj =
                        lc.projection.as_ref().map(|p| lw.no_aggs(|lw| lw.expr(p, scope)).map(Box::new)).transpose()?;
                    Ok(Expr::ListComp { list, slot, pred, proj })
                })?
            }
            EK::QuantifiedPredicate(q) => {
                let list = Box::new(self.expr(&q.list, scope)?);
                let kind = match q.kind.kind {
                    ast::QuantifiedPredicateKind::All => Quant::All,
                    ast::QuantifiedPredicateKind::Any => Quant::Any,
                    ast::QuantifiedPredicateKind::None => Quant::None,
                    _ => Quant::Single,
                };
                self.with_local(&q.variable, scope, |lw, scope, slot| {
                    let pred = Box::new(lw.no_aggs(|lw| lw.expr(&q.predicate, scope))?);
                    Ok(Expr::Quant { kind, list, slot, pred })
                })?
            }
            EK::Reduce(r) => {
                let init = Box::new(self.expr(&r.initial, scope)?);
                let list = Box::new(self.expr(&r.list, scope)?);
                self.with_local(&r.accumulator, scope, |lw, scope, acc| {
                    lw.with_local(&r.variable, scope, |lw, scope, slot| {
                        let expr = Box::new(lw.no_aggs(|lw| lw.expr(&r.expression, scope))?);
                        Ok(Expr::Reduce { acc, init, slot, list, expr })
                    })
                })?
            }
            EK::Pattern(p) => {
                if !self.predicate_ok {
                    return Err(semantic(
                        "SyntaxError",
                        "UnexpectedSyntax: a pattern predicate belongs in WHERE or exists()",
                    ));
                }
                if p.parts.iter().all(|part| part.kind.path.kind.factors.len() == 1) {
                    return Err(semantic(
                        "SyntaxError",
                        "InvalidArgumentType: a pattern predicate needs a relationship",
                    ));
                }
                self.pattern_expr(p, None, None, scope)?
            }
            EK::PatternComprehension(pc) => {
                let mut pattern = pc.pattern.clone();
                if let (Some(b), Some(first)) = (&pc.binding, pattern.parts.first_mut()) {
                    first.kind.binding = Some(b.clone());
                }
                self.pattern_expr(&pattern, pc.predicate.as_deref(), Some(&pc.projection), scope)?
            }
            EK::Subquery(sq) => self.no_aggs(|lw| lw.subquery(sq, scope))?,
            EK::Parenthesized(inner) => self.expr(inner, scope)?,
            EK::Wildcard => return Err(semantic("SyntaxError", "`*` is only allowed in count(*) and RETURN *")),
            _ => return Err(unsupported("this expression")),
        })
    }

    fn pattern_expr(
        &mut self,
        p: &ast::Pattern,
        pred: Option<&ast::Expr>,
        proj: Option<&ast::Expr>,
        scope: &mut Scope,
    ) -> Result<Expr> {
        let len = scope.names.len();
        let saved_start = std::mem::replace(&mut self.clause_start, len);
        let out = (|| {
            let paths = self.pattern(p, scope, false)?;
            for path in &paths {
                let slots = path.nodes.iter().map(|n| n.slot).chain(path.rels.iter().map(|r| r.slot));
                for slot in slots {
                    if slot >= len && scope.visible(slot) && proj.is_none() {
                        return Err(semantic(
                            "SyntaxError",
                            "UndefinedVariable: a pattern predicate cannot introduce variables",
                        ));
                    }
                }
            }
            let pred = pred.map(|x| self.no_aggs(|lw| lw.expr(x, scope))).transpose()?.map(Box::new);
            let out = match proj {
                Some(x) => PatternOut::List { pred, proj: Box::new(self.no_aggs(|lw| lw.expr(x, scope))?) },
                None => PatternOut::Exists,
            };
            let plan = plan_match(&paths, None, len, scope.names.len());
            Ok(Expr::Pattern { plan: Box::new(plan), width: scope.names.len(), out })
        })();
        self.clause_start = saved_start;
        scope.truncate(len);
        out
    }

    /// `EXISTS { … }`, `COUNT { … }`, `COLLECT { … }`: one `MATCH` (the
    /// short form is a bare pattern) with its `WHERE`, then a plain
    /// `RETURN` (which `COLLECT` needs, of one column). Lowered like a
    /// pattern predicate: outer variables are bound (correlated), new ones
    /// are local, and the `WHERE` is planned with the pattern.
    fn subquery(&mut self, sq: &ast::SubqueryExpression, scope: &mut Scope) -> Result<Expr> {
        let what = match sq.kind.kind {
            ast::SubqueryExpressionKind::Exists => "EXISTS",
            ast::SubqueryExpressionKind::Count => "COUNT",
            ast::SubqueryExpressionKind::Collect => "COLLECT",
            _ => return Err(unsupported("this subquery expression")),
        };
        let inside = |construct: &str| unsupported(&format!("{construct} inside {what} {{ … }}"));
        let ast::QueryKind::Regular(reg) = &sq.query.kind else {
            return Err(semantic("SyntaxError", format!("invalid query inside {what} {{ … }}")));
        };
        if !reg.unions.is_empty() {
            return Err(inside("UNION"));
        }
        if let Some(c) = reg.head.kind.clauses.iter().find(|c| updates(&c.kind)) {
            return Err(semantic(
                "SyntaxError",
                format!("InvalidClauseComposition: {what} {{ … }} cannot contain {}", clause_name(&c.kind)),
            ));
        }
        let (m, ret) = match reg.head.kind.clauses.as_slice() {
            [first, rest @ ..] => {
                let ast::ClauseKind::Match(m) = &first.kind else {
                    return Err(inside(&format!("{} as the first clause", clause_name(&first.kind))));
                };
                let ret = match rest {
                    [] => None,
                    [c] => match &c.kind {
                        ast::ClauseKind::Return(r) => Some(&r.projection),
                        other => return Err(inside(clause_name(other))),
                    },
                    [c, ..] => {
                        let ast::ClauseKind::Return(_) = &c.kind else { return Err(inside(clause_name(&c.kind))) };
                        return Err(semantic(
                            "SyntaxError",
                            format!("InvalidClauseComposition: RETURN must be the last clause in {what} {{ … }}"),
                        ));
                    }
                };
                (m, ret)
            }
            [] => return Err(semantic("SyntaxError", format!("{what} {{ … }} needs a MATCH or a pattern"))),
        };
        if m.optional {
            return Err(inside("OPTIONAL MATCH"));
        }
        if m.mode.is_some() || !m.hints.is_empty() {
            return Err(inside("path modes and planner hints"));
        }
        if let Some(p) = ret {
            let plain = matches!(p.quantifier.as_ref().map(|q| &q.kind), None | Some(ast::SetQuantifier::All));
            if !plain || p.order_by.is_some() || p.skip.is_some() || p.offset.is_some() || p.limit.is_some() {
                return Err(inside("DISTINCT, ORDER BY, SKIP and LIMIT"));
            }
            if what == "COLLECT" && p.items.len() != 1 {
                return Err(semantic("SyntaxError", "COLLECT { … } must RETURN exactly one column"));
            }
        } else if what == "COLLECT" {
            return Err(semantic("SyntaxError", "COLLECT { … } must end with a RETURN of one column"));
        }
        let len = scope.names.len();
        let saved_start = std::mem::replace(&mut self.clause_start, len);
        let saved_ok = std::mem::replace(&mut self.predicate_ok, false);
        let out = (|| {
            let paths = self.pattern(&m.pattern, scope, false)?;
            let filter = m.where_clause.as_ref().map(|w| self.where_expr(w, scope)).transpose()?;
            let mut items = Vec::new();
            for it in ret.map(|p| p.items.as_slice()).unwrap_or_default() {
                let ast::ProjectionItemKind::Expression { expression, .. } = &it.kind else {
                    return Err(inside("RETURN *"));
                };
                items.push(self.expr(expression, scope)?);
            }
            let out = match (what, items.pop()) {
                ("EXISTS", _) => PatternOut::Exists,
                ("COUNT", _) => PatternOut::Count,
                (_, Some(proj)) => PatternOut::List { pred: None, proj: Box::new(proj) },
                (_, None) => return Err(semantic("SyntaxError", "COLLECT { … } must RETURN one column")),
            };
            let plan = plan_match(&paths, filter, len, scope.names.len());
            Ok(Expr::Pattern { plan: Box::new(plan), width: scope.names.len(), out })
        })();
        self.predicate_ok = saved_ok;
        self.clause_start = saved_start;
        scope.truncate(len);
        out
    }
}

/// Whether `c` writes to the graph.
fn updates(c: &ast::ClauseKind) -> bool {
    use ast::ClauseKind as C;
    matches!(c, C::Create(_) | C::Merge(_) | C::Delete(_) | C::Set(_) | C::Remove(_) | C::Foreach(_) | C::Insert(_))
}

/// A clause's keyword, for errors.
fn clause_name(c: &ast::ClauseKind) -> &'static str {
    use ast::ClauseKind as C;
    match c {
        C::Match(m) if m.optional => "OPTIONAL MATCH",
        C::Match(_) => "a second MATCH",
        C::Unwind(_) => "UNWIND",
        C::With(_) => "WITH",
        C::Return(_) => "RETURN",
        C::Create(_) => "CREATE",
        C::Merge(_) => "MERGE",
        C::Delete(_) => "DELETE",
        C::Set(_) => "SET",
        C::Remove(_) => "REMOVE",
        C::Call(_) => "CALL",
        C::Foreach(_) => "FOREACH",
        C::LoadCsv(_) => "LOAD CSV",
        C::Insert(_) => "INSERT",
        _ => "this clause",
    }
}

fn hops(s: &str) -> Result<u32> {
    s.trim().parse().map_err(|_| semantic("SyntaxError", format!("invalid path length {s}")))
}

fn label_names(l: &ast::LabelExpression) -> Result<Vec<String>> {
    match &l.kind {
        ast::LabelExpressionKind::Name(n) => Ok(vec![name(n)]),
        ast::LabelExpressionKind::And(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(label_names(p)?);
            }
            Ok(out)
        }
        ast::LabelExpressionKind::Parenthesized(inner) => label_names(inner),
        _ => Err(unsupported("label expressions other than conjunctions")),
    }
}

fn type_names(l: &ast::LabelExpression) -> Result<Vec<String>> {
    match &l.kind {
        ast::LabelExpressionKind::Name(n) => Ok(vec![name(n)]),
        ast::LabelExpressionKind::Or(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(type_names(p)?);
            }
            Ok(out)
        }
        ast::LabelExpressionKind::Parenthesized(inner) => type_names(inner),
        ast::LabelExpressionKind::And(_) => Err(semantic("SyntaxError", "a relationship has exactly one type")),
        _ => Err(unsupported("this relationship type expression")),
    }
}

fn literal(l: &ast::LiteralKind, negate: bool) -> Result<Val> {
    Ok(match l {
        ast::LiteralKind::Null => Val::Null,
        ast::LiteralKind::Boolean(b) => Val::Bool(*b),
        ast::LiteralKind::String(s) => Val::str(s.value.as_str()),
        ast::LiteralKind::Float(f) => {
            let v: f64 = f.text.parse().map_err(|_| semantic("SyntaxError", format!("invalid float {}", f.text)))?;
            if !v.is_finite() {
                return Err(semantic("SyntaxError", format!("FloatingPointOverflow: {}", f.text)));
            }
            Val::Float(if negate { -v } else { v })
        }
        ast::LiteralKind::Integer(i) => {
            let t = i.text.replace('_', "");
            let (digits, radix) = match i.radix {
                ast::IntegerRadix::Hexadecimal => (t.trim_start_matches("0x").trim_start_matches("0X").to_string(), 16),
                ast::IntegerRadix::Octal => (t.trim_start_matches("0o").trim_start_matches("0O").to_string(), 8),
                _ => (t, 10),
            };
            let signed = if negate { format!("-{digits}") } else { digits };
            Val::Int(
                i64::from_str_radix(&signed, radix).map_err(|_| {
                    semantic("SyntaxError", format!("IntegerOverflow: {} does not fit in 64 bits", i.text))
                })?,
            )
        }
        _ => return Err(unsupported("this literal")),
    })
}
