//! Procedures: `db.labels()`, `db.relationshipTypes()`, `db.propertyKeys()`
//! and the analytics kernels as `algo.*`.

use super::error::{semantic, type_error};
use super::exec::Exec;
use super::val::Val;
use crate::Result;
use std::collections::BTreeMap;

/// The output columns of procedure `name` (lower case), if it exists.
pub fn outputs(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "db.labels" => &["label"],
        "db.relationshiptypes" => &["relationshipType"],
        "db.propertykeys" => &["propertyKey"],
        "algo.bfs" => &["node", "depth"],
        "algo.sssp" => &["node", "distance"],
        "algo.pagerank" => &["node", "score"],
        "algo.wcc" => &["node", "componentId"],
        "algo.cdlp" => &["node", "label"],
        "algo.lcc" => &["node", "coefficient"],
        "algo.trianglecount" => &["triangles"],
        _ => return None,
    })
}

fn node_arg(v: Option<&Val>, name: &str) -> Result<u64> {
    match v {
        Some(Val::Node(n)) => Ok(*n),
        Some(Val::Int(i)) if *i >= 0 => Ok(*i as u64),
        Some(other) => Err(type_error(format!("{name}() needs a source node, got {}", other.type_name()))),
        None => Err(semantic("ProcedureError", format!("{name}() needs a source node"))),
    }
}

fn count_arg(v: Option<&Val>, default: u32, name: &str) -> Result<u32> {
    match v {
        None | Some(Val::Null) => Ok(default),
        Some(Val::Int(i)) if (0..=u32::MAX as i64).contains(i) => Ok(*i as u32),
        Some(other) => Err(type_error(format!("{name}() needs an iteration count, got {}", other.type_name()))),
    }
}

fn rec(pairs: Vec<(&str, Val)>) -> BTreeMap<String, Val> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Per-node results, skipping ids that are not nodes.
fn per_node<T>(ex: &mut Exec, values: Vec<T>, col: &str, f: impl Fn(T) -> Option<Val>) -> Vec<BTreeMap<String, Val>> {
    let snap = ex.store.kernels();
    values
        .into_iter()
        .enumerate()
        .filter(|(id, _)| snap.contains_node(*id as u64))
        .filter_map(|(id, v)| Some(rec(vec![("node", Val::Node(id as u64)), (col, f(v)?)])))
        .collect()
}

/// Runs procedure `name` (lower case) on `args`; one map per output row.
pub fn call(ex: &mut Exec, name: &str, args: Vec<Val>) -> Result<Vec<BTreeMap<String, Val>>> {
    let expected = match name {
        "algo.bfs" | "algo.sssp" => 1..=1,
        "algo.pagerank" => 0..=2,
        "algo.cdlp" => 0..=1,
        _ => 0..=0,
    };
    if !expected.contains(&args.len()) {
        return Err(semantic("ProcedureError", format!("InvalidNumberOfArguments: {name}")));
    }
    Ok(match name {
        "db.labels" | "db.relationshiptypes" | "db.propertykeys" => {
            let (labels, types, keys) = ex.store.names();
            let (col, set) = match name {
                "db.labels" => ("label", labels),
                "db.relationshiptypes" => ("relationshipType", types),
                _ => ("propertyKey", keys),
            };
            set.into_iter().map(|s| rec(vec![(col, Val::str(s))])).collect()
        }
        "algo.bfs" => {
            let src = node_arg(args.first(), name)?;
            let depths = ex.store.kernels().bfs(src)?;
            per_node(ex, depths, "depth", |d| (d >= 0).then_some(Val::Int(d)))
        }
        "algo.sssp" => {
            let src = node_arg(args.first(), name)?;
            let dist = ex.store.kernels().sssp(src)?;
            per_node(ex, dist, "distance", |d| d.is_finite().then_some(Val::Float(d)))
        }
        "algo.pagerank" => {
            let damping = match args.first() {
                None | Some(Val::Null) => 0.85,
                Some(Val::Float(f)) => *f,
                Some(Val::Int(i)) => *i as f64,
                Some(other) => {
                    return Err(type_error(format!("pageRank damping must be a number, got {}", other.type_name())));
                }
            };
            let iterations = count_arg(args.get(1), 20, name)?;
            let ranks = ex.store.kernels().pagerank(damping, iterations)?;
            per_node(ex, ranks, "score", |r| Some(Val::Float(r)))
        }
        "algo.wcc" => {
            let comp = ex.store.kernels().wcc();
            per_node(ex, comp, "componentId", |c| Some(Val::Int(c as i64)))
        }
        "algo.cdlp" => {
            let iterations = count_arg(args.first(), 10, name)?;
            let labels = ex.store.kernels().cdlp(iterations);
            per_node(ex, labels, "label", |c| Some(Val::Int(c as i64)))
        }
        "algo.lcc" => {
            let c = ex.store.kernels().lcc();
            per_node(ex, c, "coefficient", |c| Some(Val::Float(c)))
        }
        "algo.trianglecount" => vec![rec(vec![("triangles", Val::Int(ex.store.kernels().triangle_count() as i64))])],
        _ => return Err(semantic("ProcedureError", format!("ProcedureNotFound: {name}"))),
    })
}
