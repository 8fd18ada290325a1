//! Temporal functions and operators: `date()`, `localtime()`, `time()`,
//! `localdatetime()`, `datetime()`, `duration()`, component access
//! (`d.year`) and arithmetic with durations.

use super::error::{semantic, type_error};
use super::ir::BinOp;
use super::val::Val;
use crate::Result;
use crate::temporal::{Component, Temporal, TemporalError, TemporalKind};
use std::collections::BTreeMap;

fn argument(e: impl std::fmt::Display) -> crate::Error {
    semantic("ArgumentError", e)
}

/// Calls constructor `kind` on `args`: none (now, UTC), a map of
/// components, an ISO 8601 string, or another temporal value; null gives null.
pub fn construct(kind: TemporalKind, args: &[Val]) -> Result<Val> {
    let name = kind.name().to_ascii_lowercase();
    let t = match args {
        [] if kind == TemporalKind::Duration => return Err(argument("duration() needs an argument")),
        [] => Temporal::now(kind),
        [Val::Null] => return Ok(Val::Null),
        [Val::Str(s)] => Temporal::parse(kind, s),
        [Val::Map(m)] => {
            let mut parts = BTreeMap::new();
            for (k, v) in m.iter() {
                let c = match v {
                    Val::Null => continue,
                    Val::Int(i) => Component::Int(*i),
                    Val::Float(f) => Component::Float(*f),
                    Val::Str(s) => Component::Str(s.to_string()),
                    other => return Err(type_error(format!("{name}(): {k} cannot be a {}", other.type_name()))),
                };
                parts.insert(k.clone(), c);
            }
            Temporal::from_components(kind, &parts)
        }
        [Val::Temporal(t)] if kind == TemporalKind::Duration && t.kind() == TemporalKind::Duration => Ok(**t),
        [Val::Temporal(t)] => Temporal::convert(kind, t),
        [other] => return Err(type_error(format!("{name}() of a {}", other.type_name()))),
        _ => return Err(argument(format!("{name}() takes one argument"))),
    };
    t.map(Val::temporal).map_err(argument)
}

/// Component `key` of a temporal value (`d.year`, `t.hour`, `dur.days`).
pub fn component(t: &Temporal, key: &str) -> Result<Val> {
    match t.component(key) {
        Some(Component::Int(i)) => Ok(Val::Int(i)),
        Some(Component::Float(f)) => Ok(Val::Float(f)),
        Some(Component::Str(s)) => Ok(Val::str(s)),
        None => Err(semantic("SemanticError", format!("a {} has no component {key}", t.type_name()))),
    }
}

/// `x op y` where one side is temporal: a temporal value plus or minus a
/// duration, durations added, subtracted, multiplied or divided by a
/// number; `None` if no temporal rule applies.
pub fn arith(op: BinOp, x: &Val, y: &Val) -> Option<Result<Val>> {
    let dur = |v: &Val| match v {
        Val::Temporal(t) => t.as_duration(),
        _ => None,
    };
    let out = |r: std::result::Result<Temporal, TemporalError>| Some(r.map(Val::temporal).map_err(argument));
    let number = |v: &Val| match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        _ => None,
    };
    match (op, x, y, dur(x), dur(y)) {
        (BinOp::Add, Val::Temporal(t), _, _, Some(d)) | (BinOp::Add, _, Val::Temporal(t), Some(d), None) => {
            out(t.plus(&d))
        }
        (BinOp::Sub, Val::Temporal(t), _, _, Some(d)) => match d.negate() {
            Some(n) => out(t.plus(&n)),
            None => Some(Err(argument("the duration is out of range"))),
        },
        (BinOp::Mul, _, Val::Int(i), Some(d), _) | (BinOp::Mul, Val::Int(i), _, _, Some(d)) => {
            out(d.times(*i).map(Temporal::from))
        }
        (BinOp::Mul, _, Val::Float(f), Some(d), _) | (BinOp::Mul, Val::Float(f), _, _, Some(d)) => {
            out(d.scale(*f).map(Temporal::from))
        }
        (BinOp::Div, _, n, Some(d), _) => {
            let n = number(n)?;
            if n == 0.0 {
                return Some(Err(semantic("ArithmeticError", "division by zero")));
            }
            out(d.scale(1.0 / n).map(Temporal::from))
        }
        _ => None,
    }
}
