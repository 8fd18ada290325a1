//! Expression evaluation with openCypher's three-valued logic and null
//! propagation.

use super::error::{semantic, type_error};
use super::exec::Exec;
use super::ir::{BinOp, Expr, MapProjItem, PatternOut, Quant};
use super::val::Val;
use crate::Result;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A truth value: `Some(bool)` or null.
pub fn truth(v: &Val) -> Result<Option<bool>> {
    match v {
        Val::Bool(b) => Ok(Some(*b)),
        Val::Null => Ok(None),
        other => Err(type_error(format!("expected a Boolean, got {}", other.type_name()))),
    }
}

fn tri(b: Option<bool>) -> Val {
    b.map_or(Val::Null, Val::Bool)
}

fn extend(row: &[Val], slot: usize) -> Vec<Val> {
    let mut r = row.to_vec();
    if r.len() <= slot {
        r.resize(slot + 1, Val::Null);
    }
    r
}

fn as_list(v: Val, what: &str) -> Result<Option<Arc<Vec<Val>>>> {
    match v {
        Val::List(l) => Ok(Some(l)),
        Val::Null => Ok(None),
        other => Err(type_error(format!("{what} needs a list, got {}", other.type_name()))),
    }
}

impl Exec<'_> {
    /// Evaluates `e` over `row`.
    pub fn eval(&mut self, e: &Expr, row: &[Val]) -> Result<Val> {
        self.tick()?;
        Ok(match e {
            Expr::Lit(v) => v.clone(),
            Expr::Param(p) => self
                .params
                .get(p)
                .cloned()
                .ok_or_else(|| semantic("ParameterMissing", format!("expected parameter ${p}")))?,
            Expr::Var(i) => row.get(*i).cloned().unwrap_or_default(),
            Expr::Agg(k) => self.aggs.get(*k).cloned().unwrap_or_default(),
            Expr::Prop(a, key) => {
                let v = self.eval(a, row)?;
                self.property(&v, key)?
            }
            Expr::Index(a, i) => {
                let (v, i) = (self.eval(a, row)?, self.eval(i, row)?);
                self.index(v, i)?
            }
            Expr::Slice(a, lo, hi) => {
                let v = self.eval(a, row)?;
                let lo = lo.as_ref().map(|x| self.eval(x, row)).transpose()?;
                let hi = hi.as_ref().map(|x| self.eval(x, row)).transpose()?;
                slice(v, lo, hi)?
            }
            Expr::List(xs) => Val::list(xs.iter().map(|x| self.eval(x, row)).collect::<Result<_>>()?),
            Expr::Map(xs) => {
                let mut m = BTreeMap::new();
                for (k, x) in xs {
                    m.insert(k.clone(), self.eval(x, row)?);
                }
                Val::map(m)
            }
            Expr::MapProj(a, items) => {
                let base = self.eval(a, row)?;
                if base.is_null() {
                    return Ok(Val::Null);
                }
                let mut m = BTreeMap::new();
                for it in items {
                    match it {
                        MapProjItem::Prop(p) => {
                            let v = self.property(&base, p)?;
                            m.insert(p.clone(), v);
                        }
                        MapProjItem::All => {
                            if let Val::Map(all) = self.properties(&base)? {
                                m.extend(all.iter().map(|(k, v)| (k.clone(), v.clone())));
                            }
                        }
                        MapProjItem::Entry(k, x) => {
                            let v = self.eval(x, row)?;
                            m.insert(k.clone(), v);
                        }
                    }
                }
                Val::map(m)
            }
            Expr::Not(a) => tri(truth(&self.eval(a, row)?)?.map(|b| !b)),
            Expr::Neg(a) => match self.eval(a, row)? {
                Val::Int(i) => {
                    Val::Int(i.checked_neg().ok_or_else(|| semantic("ArithmeticError", "integer overflow"))?)
                }
                Val::Float(f) => Val::Float(-f),
                Val::Null => Val::Null,
                v => return Err(type_error(format!("cannot negate a {}", v.type_name()))),
            },
            Expr::Bin(op, a, b) => self.binary(*op, a, b, row)?,
            Expr::IsNull(a, negated) => Val::Bool(self.eval(a, row)?.is_null() != *negated),
            Expr::HasLabels(a, labels) => match self.eval(a, row)? {
                Val::Node(n) => Val::Bool(labels.iter().all(|l| self.store.has_label(n, l))),
                Val::Null => Val::Null,
                v => return Err(type_error(format!("cannot test labels of a {}", v.type_name()))),
            },
            Expr::Func(name, args) => {
                let vals = args.iter().map(|a| self.eval(a, row)).collect::<Result<Vec<_>>>()?;
                self.call_function(name, vals)?
            }
            Expr::Case(operand, whens, els) => {
                let subject = operand.as_ref().map(|o| self.eval(o, row)).transpose()?;
                for (w, t) in whens {
                    let wv = self.eval(w, row)?;
                    let hit = match &subject {
                        Some(s) => s.equals(&wv) == Some(true),
                        None => truth(&wv)? == Some(true),
                    };
                    if hit {
                        return self.eval(t, row);
                    }
                }
                match els {
                    Some(x) => self.eval(x, row)?,
                    None => Val::Null,
                }
            }
            Expr::ListComp { list, slot, pred, proj } => {
                let Some(items) = as_list(self.eval(list, row)?, "a list comprehension")? else { return Ok(Val::Null) };
                let mut r = extend(row, *slot);
                let mut out = Vec::new();
                for x in items.iter() {
                    r[*slot] = x.clone();
                    if let Some(p) = pred
                        && truth(&self.eval(p, &r)?)? != Some(true)
                    {
                        continue;
                    }
                    out.push(match proj {
                        Some(p) => self.eval(p, &r)?,
                        None => x.clone(),
                    });
                }
                Val::list(out)
            }
            Expr::Quant { kind, list, slot, pred } => {
                let Some(items) = as_list(self.eval(list, row)?, "a quantifier")? else { return Ok(Val::Null) };
                let mut r = extend(row, *slot);
                let (mut t, mut nulls) = (0usize, 0usize);
                for x in items.iter() {
                    r[*slot] = x.clone();
                    match truth(&self.eval(pred, &r)?)? {
                        Some(true) => t += 1,
                        None => nulls += 1,
                        Some(false) => {}
                    }
                }
                let f = items.len() - t - nulls;
                match kind {
                    Quant::All => {
                        if f > 0 {
                            Val::Bool(false)
                        } else if nulls > 0 {
                            Val::Null
                        } else {
                            Val::Bool(true)
                        }
                    }
                    Quant::Any => {
                        if t > 0 {
                            Val::Bool(true)
                        } else if nulls > 0 {
                            Val::Null
                        } else {
                            Val::Bool(false)
                        }
                    }
                    Quant::None => {
                        if t > 0 {
                            Val::Bool(false)
                        } else if nulls > 0 {
                            Val::Null
                        } else {
                            Val::Bool(true)
                        }
                    }
                    Quant::Single => {
                        if t > 1 {
                            Val::Bool(false)
                        } else if nulls > 0 {
                            Val::Null
                        } else {
                            Val::Bool(t == 1)
                        }
                    }
                }
            }
            Expr::Reduce { acc, init, slot, list, expr } => {
                let mut a = self.eval(init, row)?;
                let Some(items) = as_list(self.eval(list, row)?, "reduce")? else { return Ok(Val::Null) };
                let mut r = extend(row, (*acc).max(*slot));
                for x in items.iter() {
                    r[*acc] = a;
                    r[*slot] = x.clone();
                    a = self.eval(expr, &r)?;
                }
                a
            }
            Expr::Pattern { plan, width, out } => {
                let mut r = row.to_vec();
                r.resize((*width).max(row.len()), Val::Null);
                match out {
                    PatternOut::Exists => Val::Bool(self.match_count(plan, r, 1)? > 0),
                    PatternOut::Count => {
                        Val::Int(i64::try_from(self.match_count(plan, r, usize::MAX)?).unwrap_or(i64::MAX))
                    }
                    PatternOut::List { pred, proj } => {
                        let mut out = Vec::new();
                        for r in self.match_rows(plan, r)? {
                            if let Some(f) = pred
                                && truth(&self.eval(f, &r)?)? != Some(true)
                            {
                                continue;
                            }
                            out.push(self.eval(proj, &r)?);
                        }
                        Val::list(out)
                    }
                }
            }
        })
    }

    /// An error for a node or relationship this query deleted.
    pub fn check_live(&self, v: &Val) -> Result<()> {
        let gone = match v {
            Val::Node(n) => self.store.is_deleted(*n),
            Val::Rel(r) => self.store.is_deleted_rel(r),
            _ => false,
        };
        if gone {
            Err(semantic("EntityNotFound", "DeletedEntityAccess: the entity was deleted by this query"))
        } else {
            Ok(())
        }
    }

    /// `v.key`.
    pub fn property(&mut self, v: &Val, key: &str) -> Result<Val> {
        self.check_live(v)?;
        Ok(match v {
            Val::Null => Val::Null,
            Val::Node(n) => self.store.node_prop(*n, key),
            Val::Rel(r) => self.store.rel_prop(r, key),
            Val::Map(m) => m.get(key).cloned().unwrap_or_default(),
            Val::Temporal(t) => super::temporal::component(t, key)?,
            other => return Err(type_error(format!("cannot read property {key} of a {}", other.type_name()))),
        })
    }

    /// `properties(v)`.
    pub fn properties(&mut self, v: &Val) -> Result<Val> {
        self.check_live(v)?;
        let props = match v {
            Val::Null => return Ok(Val::Null),
            Val::Node(n) => self.store.node_props(*n),
            Val::Rel(r) => self.store.rel_props(r),
            Val::Map(_) => return Ok(v.clone()),
            other => return Err(type_error(format!("properties() of a {}", other.type_name()))),
        };
        Ok(Val::map(props.into_iter().map(|(k, v)| (k, Val::from_value(v))).collect()))
    }

    fn index(&mut self, v: Val, i: Val) -> Result<Val> {
        Ok(match (v, i) {
            (Val::Null, _) | (_, Val::Null) => Val::Null,
            (Val::List(l), Val::Int(i)) => {
                let n = l.len() as i64;
                let idx = if i < 0 { n + i } else { i };
                if idx < 0 || idx >= n { Val::Null } else { l[idx as usize].clone() }
            }
            (Val::List(_), other) => {
                return Err(type_error(format!("a list index must be an Integer, got {}", other.type_name())));
            }
            (m @ (Val::Map(_) | Val::Node(_) | Val::Rel(_)), Val::Str(k)) => self.property(&m, &k)?,
            (Val::Map(_) | Val::Node(_) | Val::Rel(_), other) => {
                return Err(type_error(format!("a map key must be a String, got {}", other.type_name())));
            }
            (other, _) => return Err(type_error(format!("cannot index a {}", other.type_name()))),
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, row: &[Val]) -> Result<Val> {
        match op {
            BinOp::And | BinOp::Or => {
                // Both sides are evaluated: a non-boolean on either is a type error.
                let x = truth(&self.eval(a, row)?)?;
                let y = truth(&self.eval(b, row)?)?;
                let (absorb, other) = (op == BinOp::Or, op != BinOp::Or);
                return Ok(match (x, y) {
                    (Some(v), _) | (_, Some(v)) if v == absorb => Val::Bool(absorb),
                    (Some(_), Some(_)) => Val::Bool(other),
                    _ => Val::Null,
                });
            }
            BinOp::Xor => {
                let x = truth(&self.eval(a, row)?)?;
                let y = truth(&self.eval(b, row)?)?;
                return Ok(match (x, y) {
                    (Some(x), Some(y)) => Val::Bool(x != y),
                    _ => Val::Null,
                });
            }
            _ => {}
        }
        let x = self.eval(a, row)?;
        let y = self.eval(b, row)?;
        binop(op, x, y)
    }
}

/// A non-logical binary operation on values.
pub fn binop(op: BinOp, x: Val, y: Val) -> Result<Val> {
    let cmp = |x: &Val, y: &Val, f: fn(Ordering) -> bool| tri(x.compare(y).map(f));
    Ok(match op {
        BinOp::Eq => tri(x.equals(&y)),
        BinOp::Ne => tri(x.equals(&y).map(|b| !b)),
        BinOp::Lt => cmp(&x, &y, Ordering::is_lt),
        BinOp::Le => cmp(&x, &y, Ordering::is_le),
        BinOp::Gt => cmp(&x, &y, Ordering::is_gt),
        BinOp::Ge => cmp(&x, &y, Ordering::is_ge),
        BinOp::In => match y {
            Val::Null => Val::Null,
            Val::List(l) => {
                let mut unknown = false;
                for v in l.iter() {
                    match x.equals(v) {
                        Some(true) => return Ok(Val::Bool(true)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { Val::Null } else { Val::Bool(false) }
            }
            other => return Err(type_error(format!("IN needs a list, got {}", other.type_name()))),
        },
        BinOp::StartsWith | BinOp::EndsWith | BinOp::Contains => match (&x, &y) {
            (Val::Str(a), Val::Str(b)) => Val::Bool(match op {
                BinOp::StartsWith => a.starts_with(&**b),
                BinOp::EndsWith => a.ends_with(&**b),
                _ => a.contains(&**b),
            }),
            _ => Val::Null,
        },
        BinOp::Regex => match (&x, &y) {
            (Val::Str(a), Val::Str(p)) => Val::Bool(super::funcs::regex_match(a, p)?),
            _ => Val::Null,
        },
        BinOp::Add => add(x, y)?,
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => arith(op, x, y)?,
        BinOp::And | BinOp::Or | BinOp::Xor => unreachable_logic()?,
    })
}

fn unreachable_logic() -> Result<Val> {
    Err(semantic("SemanticError", "logical operator outside its evaluator"))
}

fn add(x: Val, y: Val) -> Result<Val> {
    Ok(match (x, y) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::List(a), Val::List(b)) => Val::list(a.iter().chain(b.iter()).cloned().collect()),
        (Val::List(a), v) => Val::list(a.iter().cloned().chain([v]).collect()),
        (v, Val::List(b)) => Val::list([v].into_iter().chain(b.iter().cloned()).collect()),
        (Val::Str(a), Val::Str(b)) => Val::str(format!("{a}{b}")),
        (Val::Str(a), v @ (Val::Int(_) | Val::Float(_) | Val::Bool(_))) => {
            Val::str(format!("{a}{}", super::funcs::to_string(&v)))
        }
        (v @ (Val::Int(_) | Val::Float(_) | Val::Bool(_)), Val::Str(b)) => {
            Val::str(format!("{}{b}", super::funcs::to_string(&v)))
        }
        (x, y) => arith(BinOp::Add, x, y)?,
    })
}

fn arith(op: BinOp, x: Val, y: Val) -> Result<Val> {
    if let Some(r) = super::temporal::arith(op, &x, &y) {
        return r;
    }
    let overflow = || semantic("ArithmeticError", "integer overflow");
    Ok(match (x, y) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::Int(a), Val::Int(b)) => match op {
            BinOp::Add => Val::Int(a.checked_add(b).ok_or_else(overflow)?),
            BinOp::Sub => Val::Int(a.checked_sub(b).ok_or_else(overflow)?),
            BinOp::Mul => Val::Int(a.checked_mul(b).ok_or_else(overflow)?),
            BinOp::Div => {
                if b == 0 {
                    return Err(semantic("ArithmeticError", "division by zero"));
                }
                Val::Int(a.checked_div(b).ok_or_else(overflow)?)
            }
            BinOp::Mod => {
                if b == 0 {
                    return Err(semantic("ArithmeticError", "division by zero"));
                }
                Val::Int(a.checked_rem(b).ok_or_else(overflow)?)
            }
            _ => Val::Float((a as f64).powf(b as f64)),
        },
        (a @ (Val::Int(_) | Val::Float(_)), b @ (Val::Int(_) | Val::Float(_))) => {
            let f = |v: &Val| match v {
                Val::Int(i) => *i as f64,
                Val::Float(f) => *f,
                _ => 0.0,
            };
            let (a, b) = (f(&a), f(&b));
            Val::Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Mod => a % b,
                _ => a.powf(b),
            })
        }
        (a, b) => return Err(type_error(format!("cannot apply {op:?} to {} and {}", a.type_name(), b.type_name()))),
    })
}

fn slice(v: Val, lo: Option<Val>, hi: Option<Val>) -> Result<Val> {
    let Val::List(l) = v else {
        return match v {
            Val::Null => Ok(Val::Null),
            other => Err(type_error(format!("cannot slice a {}", other.type_name()))),
        };
    };
    let n = l.len() as i64;
    let bound = |b: Option<Val>, default: i64| -> Result<Option<i64>> {
        match b {
            None => Ok(Some(default)),
            Some(Val::Null) => Ok(None),
            Some(Val::Int(i)) => Ok(Some(if i < 0 { (n + i).max(0) } else { i.min(n) })),
            Some(other) => Err(type_error(format!("a slice bound must be an Integer, got {}", other.type_name()))),
        }
    };
    let (Some(a), Some(b)) = (bound(lo, 0)?, bound(hi, n)?) else { return Ok(Val::Null) };
    Ok(Val::list(if a >= b { Vec::new() } else { l[a as usize..b as usize].to_vec() }))
}
