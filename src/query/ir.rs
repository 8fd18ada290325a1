//! The logical plan: what lowering makes of the parser's tree and what the
//! executor runs. Variables are slots of a row, resolved while lowering.

use super::val::Val;

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `OR`
    Or,
    /// `XOR`
    Xor,
    /// `AND`
    And,
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~`
    Regex,
    /// `IN`
    In,
    /// `STARTS WITH`
    StartsWith,
    /// `ENDS WITH`
    EndsWith,
    /// `CONTAINS`
    Contains,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
}

/// Quantified predicates over lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    /// `all(...)`
    All,
    /// `any(...)`
    Any,
    /// `none(...)`
    None,
    /// `single(...)`
    Single,
}

/// One entry of a map projection.
#[derive(Debug, Clone)]
pub enum MapProjItem {
    /// `.name`
    Prop(String),
    /// `.*`
    All,
    /// `key: expr` (also a bare variable).
    Entry(String, Expr),
}

/// An expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Lit(Val),
    /// `$name`.
    Param(String),
    /// A variable by slot.
    Var(usize),
    /// `e.key`.
    Prop(Box<Expr>, String),
    /// `e[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `e[a..b]`.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{k: v}`.
    Map(Vec<(String, Expr)>),
    /// `n {.a, b: 1}`.
    MapProj(Box<Expr>, Vec<MapProjItem>),
    /// `NOT e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `e IS [NOT] NULL` (`true` for NOT).
    IsNull(Box<Expr>, bool),
    /// `e:A:B`.
    HasLabels(Box<Expr>, Vec<String>),
    /// A function call by lower-case name.
    Func(String, Vec<Expr>),
    /// The value of aggregate `k` of the current group.
    Agg(usize),
    /// `CASE`.
    Case(Option<Box<Expr>>, Vec<(Expr, Expr)>, Option<Box<Expr>>),
    /// `[x IN list WHERE p | e]`; `x` in `slot`.
    ListComp { list: Box<Expr>, slot: usize, pred: Option<Box<Expr>>, proj: Option<Box<Expr>> },
    /// `all/any/none/single(x IN list WHERE p)`.
    Quant { kind: Quant, list: Box<Expr>, slot: usize, pred: Box<Expr> },
    /// `reduce(acc = init, x IN list | e)`.
    Reduce { acc: usize, init: Box<Expr>, slot: usize, list: Box<Expr>, expr: Box<Expr> },
    /// A pattern inside an expression (pattern predicate, pattern
    /// comprehension, `EXISTS`/`COUNT`/`COLLECT { … }`): matched from the
    /// row (widened to `width`), its matches turned into `out`.
    Pattern { plan: Box<MatchPlan>, width: usize, out: PatternOut },
}

/// What a pattern inside an expression yields.
#[derive(Debug, Clone)]
pub enum PatternOut {
    /// Whether it matches at all (stops at the first match).
    Exists,
    /// How many matches it has.
    Count,
    /// The list of `proj` over each match for which `pred` holds (pattern
    /// comprehension, `COLLECT { … }`).
    List {
        /// The comprehension's `WHERE`.
        pred: Option<Box<Expr>>,
        /// The value for each match.
        proj: Box<Expr>,
    },
}

/// Relationship direction, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `-->`
    Out,
    /// `<--`
    In,
    /// `--`
    Both,
}

impl Dir {
    /// The direction walked right to left.
    pub fn reversed(self) -> Dir {
        match self {
            Dir::Out => Dir::In,
            Dir::In => Dir::Out,
            Dir::Both => Dir::Both,
        }
    }
}

/// A node of a pattern.
#[derive(Debug, Clone)]
pub struct NodePat {
    /// Its slot (hidden for an anonymous node).
    pub slot: usize,
    /// Labels it must have.
    pub labels: Vec<String>,
    /// Properties it must have (a map expression).
    pub props: Option<Expr>,
}

/// A relationship of a pattern.
#[derive(Debug, Clone)]
pub struct RelPat {
    /// Its slot (a list of relationships when variable-length).
    pub slot: usize,
    /// Types it may have (any if empty).
    pub types: Vec<String>,
    /// Direction, left to right.
    pub dir: Dir,
    /// Properties (a map expression).
    pub props: Option<Expr>,
    /// Variable length: minimum and maximum hops.
    pub var_len: Option<(u32, Option<u32>)>,
}

/// A path of a pattern: nodes, the relationships between them.
#[derive(Debug, Clone)]
pub struct PathPat {
    /// The path variable.
    pub slot: Option<usize>,
    /// Nodes, left to right.
    pub nodes: Vec<NodePat>,
    /// `rels[i]` joins `nodes[i]` and `nodes[i + 1]`.
    pub rels: Vec<RelPat>,
    /// `shortestPath` (false) or `allShortestPaths` (true).
    pub shortest: Option<bool>,
}

/// How a match finds its first node.
#[derive(Debug, Clone)]
pub enum Seek {
    /// The slot is bound already.
    Bound,
    /// Seek the (label, property) index for the value, if there is one;
    /// `true` when the value is the pattern's own property map entry (not a
    /// `WHERE` equality), which an exact seek then needs no check of.
    Index(String, String, Expr, bool),
    /// Seek the (label, property) index for a range, if there is one: lower
    /// and upper bounds with inclusiveness.
    Range(String, String, Option<(Expr, bool)>, Option<(Expr, bool)>),
    /// Scan a label.
    Label(String),
    /// Scan every node.
    All,
}

/// One step of a match.
#[derive(Debug, Clone)]
pub enum Step {
    /// Binds (or checks) a first node.
    Start { node: NodePat, seeks: Vec<Seek>, bound: bool },
    /// Follows `rel` from the node in slot `from` to `to` (`rev`: right to
    /// left, so a variable-length list is stored reversed).
    Expand { from: usize, rel: RelPat, to: NodePat, to_bound: bool, rel_bound: bool, rev: bool },
    /// Shortest paths from `from` to `to` along `rel`, into path slot `path`.
    Shortest { from: usize, rel: RelPat, to: NodePat, to_bound: bool, all: bool, path: Option<usize> },
    /// Builds path variable `slot` from its nodes and relationships.
    Path { slot: usize, nodes: Vec<usize>, rels: Vec<usize> },
}

/// A compiled match: steps, each with the filters that can run once it has bound its variables.
#[derive(Debug, Clone, Default)]
pub struct MatchPlan {
    /// Steps in order, with the predicates to check after each.
    pub steps: Vec<(Step, Vec<Expr>)>,
    /// Slots of the relationship patterns (for uniqueness).
    pub rel_slots: Vec<usize>,
    /// Predicates with no variables of the pattern, checked first.
    pub pre: Vec<Expr>,
}

/// A `SET` item.
#[derive(Debug, Clone)]
pub enum SetItem {
    /// `e.key = v`.
    Prop(Expr, String, Expr),
    /// `n = map` (`false`) or `n += map` (`true`).
    Props(Expr, Expr, bool),
    /// `n:A:B`.
    Labels(Expr, Vec<String>),
}

/// A `REMOVE` item.
#[derive(Debug, Clone)]
pub enum RemoveItem {
    /// `e.key`.
    Prop(Expr, String),
    /// `n:A`.
    Labels(Expr, Vec<String>),
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    /// `count(*)`.
    CountStar,
    /// `count(e)`.
    Count,
    /// `sum`.
    Sum,
    /// `avg`.
    Avg,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `collect`.
    Collect,
    /// `stDev`.
    StDev,
    /// `stDevP`.
    StDevP,
    /// `percentileCont`.
    PercentileCont,
    /// `percentileDisc`.
    PercentileDisc,
}

/// One aggregate of a projection.
#[derive(Debug, Clone)]
pub struct AggSpec {
    /// Which.
    pub func: AggFn,
    /// `DISTINCT`.
    pub distinct: bool,
    /// The argument (none for `count(*)`).
    pub arg: Option<Expr>,
    /// The percentile.
    pub extra: Option<Expr>,
}

/// `WITH` or `RETURN`.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Output columns.
    pub items: Vec<(String, Expr)>,
    /// Aggregates the items refer to.
    pub aggs: Vec<AggSpec>,
    /// Which items are grouping keys (when there are aggregates).
    pub keys: Vec<usize>,
    /// `DISTINCT`.
    pub distinct: bool,
    /// Sort keys, over output ++ input columns; `true` for descending.
    pub order: Vec<(Expr, bool)>,
    /// `SKIP`.
    pub skip: Option<Expr>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
    /// `WITH … WHERE`, over output ++ input columns.
    pub filter: Option<Expr>,
}

/// A procedure call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Lower-case qualified name.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// Yielded (column, slot).
    pub yields: Vec<(String, usize)>,
    /// `YIELD … WHERE`.
    pub filter: Option<Expr>,
}

/// A clause.
#[derive(Debug, Clone)]
pub enum Clause {
    /// `[OPTIONAL] MATCH`; `new` lists the slots it binds (null when optional finds nothing).
    Match { optional: bool, plan: MatchPlan, new: Vec<usize> },
    /// `CREATE`; slots from `start` on are new.
    Create { paths: Vec<PathPat>, start: usize },
    /// `MERGE`.
    Merge { path: PathPat, plan: MatchPlan, start: usize, on_create: Vec<SetItem>, on_match: Vec<SetItem> },
    /// `SET`.
    Set(Vec<SetItem>),
    /// `REMOVE`.
    Remove(Vec<RemoveItem>),
    /// `[DETACH] DELETE`.
    Delete { detach: bool, exprs: Vec<Expr> },
    /// `UNWIND e AS x`.
    Unwind(Expr, usize),
    /// `WITH` / `RETURN`.
    Project(Box<Projection>),
    /// `CALL proc(...) YIELD ...`.
    Call(Call),
}

/// One single query of a union.
#[derive(Debug, Clone)]
pub struct Single {
    /// Clauses in order.
    pub clauses: Vec<Clause>,
    /// Output column names.
    pub columns: Vec<String>,
    /// Row width needed.
    pub width: usize,
}

/// Schema commands.
#[derive(Debug, Clone)]
pub enum Schema {
    /// `CREATE INDEX FOR (n:Label) ON (n.prop)`.
    CreateIndex(String, String),
    /// `DROP INDEX ON :Label(prop)` / `DROP INDEX FOR (n:Label) ON (n.prop)`.
    DropIndex(String, String),
    /// `SHOW INDEXES`.
    ShowIndexes,
}

/// A whole statement.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A query: parts joined by `UNION` (`true`: `UNION ALL`).
    Query { parts: Vec<Single>, union_all: Vec<bool> },
    /// A schema command.
    Schema(Schema),
}

/// `EXPLAIN` / `PROFILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run it.
    Run,
    /// Show the plan only.
    Explain,
    /// Run it and report rows and time per clause.
    Profile,
}
