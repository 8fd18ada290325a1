//! Scalar, string, list and graph functions.

use super::error::{semantic, type_error};
use super::exec::Exec;
use super::val::Val;
use crate::Result;

/// `toString` of a scalar.
pub fn to_string(v: &Val) -> String {
    match v {
        Val::Int(i) => i.to_string(),
        Val::Float(f) => format_float(*f),
        Val::Bool(b) => b.to_string(),
        Val::Str(s) => s.to_string(),
        Val::Temporal(t) => t.to_string(),
        _ => String::new(),
    }
}

/// A float as openCypher prints it (`1.0`, `NaN`, `Infinity`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// `s =~ pattern` (the whole string must match).
pub fn regex_match(s: &str, pattern: &str) -> Result<bool> {
    let re = regex::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| semantic("ArgumentError", format!("invalid regular expression: {e}")))?;
    Ok(re.is_match(s))
}

fn int_arg(v: &Val, f: &str) -> Result<i64> {
    match v {
        Val::Int(i) => Ok(*i),
        other => Err(type_error(format!("{f}() needs an Integer, got {}", other.type_name()))),
    }
}

fn num(v: &Val, f: &str) -> Result<Option<f64>> {
    match v {
        Val::Int(i) => Ok(Some(*i as f64)),
        Val::Float(x) => Ok(Some(*x)),
        Val::Null => Ok(None),
        other => Err(type_error(format!("{f}() needs a number, got {}", other.type_name()))),
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        let f: f64 = t.parse().ok()?;
        (f.is_finite() && f.abs() < 9.2e18).then(|| f.trunc() as i64)
    })
}

impl Exec<'_> {
    /// Calls function `name` (lower case) on `args`.
    pub fn call_function(&mut self, name: &str, args: Vec<Val>) -> Result<Val> {
        if let Some(kind) = crate::TemporalKind::of_function(name) {
            return super::temporal::construct(kind, &args);
        }
        let a0 = args.first().cloned().unwrap_or_default();
        if a0.is_null()
            && !matches!(name, "coalesce" | "rand" | "pi" | "e" | "exists" | "range" | "size" | "tostringornull")
        {
            if name == "substring" || name == "split" || name == "left" || name == "right" || name == "replace" {
                return Ok(Val::Null);
            }
            return Ok(Val::Null);
        }
        let str_arg = |v: &Val, f: &str| -> Result<String> {
            match v {
                Val::Str(s) => Ok(s.to_string()),
                other => Err(type_error(format!("{f}() needs a String, got {}", other.type_name()))),
            }
        };
        Ok(match name {
            "id" => match a0 {
                Val::Node(n) => Val::Int(n as i64),
                Val::Rel(r) => Val::Int(r.id as i64),
                other => return Err(type_error(format!("id() of a {}", other.type_name()))),
            },
            "labels" => match a0 {
                Val::Node(n) if self.store.is_deleted(n) => {
                    return Err(semantic("EntityNotFound", "DeletedEntityAccess: the node was deleted by this query"));
                }
                Val::Node(n) => Val::list(self.store.labels(n).into_iter().map(Val::str).collect()),
                other => return Err(type_error(format!("labels() of a {}", other.type_name()))),
            },
            "type" => match a0 {
                Val::Rel(r) => Val::Str(r.ty.clone()),
                other => return Err(type_error(format!("type() of a {}", other.type_name()))),
            },
            "keys" => match self.properties(&a0)? {
                Val::Map(m) => Val::list(
                    m.iter()
                        .filter(|(_, v)| !v.is_null() || matches!(a0, Val::Map(_)))
                        .map(|(k, _)| Val::str(k.as_str()))
                        .collect(),
                ),
                _ => Val::Null,
            },
            "properties" => self.properties(&a0)?,
            "startnode" | "endnode" => match a0 {
                Val::Rel(r) => Val::Node(if name == "startnode" { r.src } else { r.dst }),
                other => return Err(type_error(format!("{name}() of a {}", other.type_name()))),
            },
            "size" => match a0 {
                Val::Null => Val::Null,
                Val::List(l) => Val::Int(l.len() as i64),
                Val::Str(s) => Val::Int(s.chars().count() as i64),
                Val::Map(m) => Val::Int(m.len() as i64),
                other => return Err(type_error(format!("size() of a {}", other.type_name()))),
            },
            "length" => match a0 {
                Val::Path(p) => Val::Int(p.1.len() as i64),
                Val::Str(s) => Val::Int(s.chars().count() as i64),
                Val::List(l) => Val::Int(l.len() as i64),
                other => return Err(type_error(format!("length() of a {}", other.type_name()))),
            },
            "nodes" => match a0 {
                Val::Path(p) => Val::list(p.0.iter().map(|&n| Val::Node(n)).collect()),
                other => return Err(type_error(format!("nodes() of a {}", other.type_name()))),
            },
            "relationships" => match a0 {
                Val::Path(p) => Val::list(p.1.iter().map(|r| Val::Rel(r.clone().into())).collect()),
                other => return Err(type_error(format!("relationships() of a {}", other.type_name()))),
            },
            "coalesce" => args.into_iter().find(|v| !v.is_null()).unwrap_or_default(),
            "exists" => Val::Bool(!a0.is_null()),
            "tostring" | "tostringornull" => match &a0 {
                Val::Int(_) | Val::Float(_) | Val::Bool(_) | Val::Str(_) | Val::Temporal(_) => Val::str(to_string(&a0)),
                Val::Null => Val::Null,
                _ if name == "tostringornull" => Val::Null,
                other => return Err(type_error(format!("toString() of a {}", other.type_name()))),
            },
            "tointeger" | "tointegerornull" => match &a0 {
                Val::Int(i) => Val::Int(*i),
                Val::Float(f) => {
                    if f.is_finite() && f.abs() < 9.2e18 {
                        Val::Int(f.trunc() as i64)
                    } else {
                        Val::Null
                    }
                }
                Val::Str(s) => parse_int(s).map_or(Val::Null, Val::Int),
                Val::Bool(b) => Val::Int(i64::from(*b)),
                _ if name == "tointegerornull" => Val::Null,
                other => return Err(type_error(format!("toInteger() of a {}", other.type_name()))),
            },
            "tofloat" | "tofloatornull" => match &a0 {
                Val::Int(i) => Val::Float(*i as f64),
                Val::Float(f) => Val::Float(*f),
                Val::Str(s) => s.trim().parse::<f64>().map_or(Val::Null, Val::Float),
                _ if name == "tofloatornull" => Val::Null,
                other => return Err(type_error(format!("toFloat() of a {}", other.type_name()))),
            },
            "toboolean" | "tobooleanornull" => match &a0 {
                Val::Bool(b) => Val::Bool(*b),
                Val::Str(s) => match s.trim().to_lowercase().as_str() {
                    "true" => Val::Bool(true),
                    "false" => Val::Bool(false),
                    _ => Val::Null,
                },
                Val::Int(i) => Val::Bool(*i != 0),
                _ if name == "tobooleanornull" => Val::Null,
                other => return Err(type_error(format!("toBoolean() of a {}", other.type_name()))),
            },
            "toupper" => Val::str(str_arg(&a0, name)?.to_uppercase()),
            "tolower" => Val::str(str_arg(&a0, name)?.to_lowercase()),
            "trim" => Val::str(str_arg(&a0, name)?.trim()),
            "ltrim" => Val::str(str_arg(&a0, name)?.trim_start()),
            "rtrim" => Val::str(str_arg(&a0, name)?.trim_end()),
            "reverse" => match a0 {
                Val::Str(s) => Val::str(s.chars().rev().collect::<String>()),
                Val::List(l) => Val::list(l.iter().rev().cloned().collect()),
                other => return Err(type_error(format!("reverse() of a {}", other.type_name()))),
            },
            "substring" => {
                let s: Vec<char> = str_arg(&a0, name)?.chars().collect();
                if args[1].is_null() || args.get(2).is_some_and(Val::is_null) {
                    return Ok(Val::Null);
                }
                let start = int_arg(&args[1], name)?;
                let len = args.get(2).map(|v| int_arg(v, name)).transpose()?;
                if start < 0 || len.is_some_and(|l| l < 0) {
                    return Err(semantic("ArgumentError", "substring() needs non-negative start and length"));
                }
                let start = (start as usize).min(s.len());
                let end = len.map_or(s.len(), |l| start.saturating_add(l as usize).min(s.len()));
                Val::str(s[start..end].iter().collect::<String>())
            }
            "left" | "right" => {
                let s: Vec<char> = str_arg(&a0, name)?.chars().collect();
                if args[1].is_null() {
                    return Err(semantic("ArgumentError", format!("{name}() needs a length")));
                }
                let n = int_arg(&args[1], name)?;
                if n < 0 {
                    return Err(semantic("ArgumentError", format!("{name}() needs a non-negative length")));
                }
                let n = (n as usize).min(s.len());
                let part = if name == "left" { &s[..n] } else { &s[s.len() - n..] };
                Val::str(part.iter().collect::<String>())
            }
            "replace" => {
                if args.iter().any(Val::is_null) {
                    return Ok(Val::Null);
                }
                let (s, from, to) = (str_arg(&a0, name)?, str_arg(&args[1], name)?, str_arg(&args[2], name)?);
                Val::str(s.replace(&from, &to))
            }
            "split" => {
                if args[1].is_null() {
                    return Ok(Val::Null);
                }
                let (s, d) = (str_arg(&a0, name)?, str_arg(&args[1], name)?);
                if d.is_empty() {
                    Val::list(s.chars().map(|c| Val::str(c.to_string())).collect())
                } else {
                    Val::list(s.split(d.as_str()).map(Val::str).collect())
                }
            }
            "range" => {
                let start = int_arg(&a0, name)?;
                let end = int_arg(&args[1], name)?;
                let step = args.get(2).map(|v| int_arg(v, name)).transpose()?.unwrap_or(1);
                if step == 0 {
                    return Err(semantic("ArgumentError", "range() step must not be zero"));
                }
                let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
                    ((end as i128 - start as i128) / step as i128 + 1) as u128
                } else {
                    0
                };
                if count > 10_000_000 {
                    return Err(semantic("ArgumentError", "range() too long"));
                }
                Val::list((0..count as i64).map(|i| Val::Int(start + i * step)).collect())
            }
            "head" | "last" | "tail" => match a0 {
                Val::List(l) => match name {
                    "head" => l.first().cloned().unwrap_or_default(),
                    "last" => l.last().cloned().unwrap_or_default(),
                    _ => Val::list(l.iter().skip(1).cloned().collect()),
                },
                other => return Err(type_error(format!("{name}() of a {}", other.type_name()))),
            },
            "abs" => match a0 {
                Val::Int(i) => {
                    Val::Int(i.checked_abs().ok_or_else(|| semantic("ArithmeticError", "integer overflow"))?)
                }
                v => Val::Float(num(&v, name)?.unwrap_or_default().abs()),
            },
            "sign" => match a0 {
                Val::Int(i) => Val::Int(i.signum()),
                v => {
                    let f = num(&v, name)?.unwrap_or_default();
                    Val::Int(if f > 0.0 {
                        1
                    } else if f < 0.0 {
                        -1
                    } else {
                        0
                    })
                }
            },
            "ceil" | "floor" | "round" | "sqrt" | "exp" | "log" | "log10" | "sin" | "cos" | "tan" => {
                let f = num(&a0, name)?.unwrap_or_default();
                Val::Float(match name {
                    "ceil" => f.ceil(),
                    "floor" => f.floor(),
                    "round" => f.round(),
                    "sqrt" => f.sqrt(),
                    "exp" => f.exp(),
                    "log" => f.ln(),
                    "log10" => f.log10(),
                    "sin" => f.sin(),
                    "cos" => f.cos(),
                    _ => f.tan(),
                })
            }
            "rand" => Val::Float(rand_unit()),
            "pi" => Val::Float(std::f64::consts::PI),
            "e" => Val::Float(std::f64::consts::E),
            _ => return Err(semantic("SyntaxError", format!("UnknownFunction: {name}"))),
        })
    }
}

/// A pseudo-random float in [0, 1) from a per-thread xorshift.
fn rand_unit() -> f64 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(0x9E37_79B9_7F4A_7C15 ^ std::process::id() as u64));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}
