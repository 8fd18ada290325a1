//! Values as the executor sees them: the property [`Value`]s plus nodes,
//! relationships and paths by reference, with openCypher's equality,
//! comparability and orderability.

use crate::{Temporal, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A relationship as the executor carries it: its id, ends and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelRef {
    /// The relationship's id.
    pub id: u64,
    /// Start node.
    pub src: u64,
    /// End node.
    pub dst: u64,
    /// Type name.
    pub ty: Arc<str>,
}

impl RelRef {
    /// The end of the relationship that is not `node` (`node` for a loop).
    pub fn other(&self, node: u64) -> u64 {
        if self.src == node { self.dst } else { self.src }
    }
}

/// A runtime value.
#[derive(Debug, Clone, Default)]
pub enum Val {
    /// null.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A byte string.
    Bytes(Arc<[u8]>),
    /// A date, time, date-time or duration (behind an `Arc`, so that a
    /// `Val` stays three words).
    Temporal(Arc<Temporal>),
    /// A list.
    List(Arc<Vec<Val>>),
    /// A map.
    Map(Arc<BTreeMap<String, Val>>),
    /// A node by id.
    Node(u64),
    /// A relationship.
    Rel(Arc<RelRef>),
    /// A path: nodes, and the relationships between them.
    Path(Arc<(Vec<u64>, Vec<RelRef>)>),
}

// A temporal value sits behind an `Arc` so that rows of values stay small.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Val>() == 24);

impl Val {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Val {
        Val::Str(s.into())
    }

    /// A temporal value.
    pub fn temporal(t: Temporal) -> Val {
        Val::Temporal(Arc::new(t))
    }

    /// A list value.
    pub fn list(v: Vec<Val>) -> Val {
        Val::List(Arc::new(v))
    }

    /// A map value.
    pub fn map(m: BTreeMap<String, Val>) -> Val {
        Val::Map(Arc::new(m))
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The type's name as errors say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "Null",
            Val::Bool(_) => "Boolean",
            Val::Int(_) => "Integer",
            Val::Float(_) => "Float",
            Val::Str(_) => "String",
            Val::Bytes(_) => "Bytes",
            Val::Temporal(t) => t.type_name(),
            Val::List(_) => "List",
            Val::Map(_) => "Map",
            Val::Node(_) => "Node",
            Val::Rel(_) => "Relationship",
            Val::Path(_) => "Path",
        }
    }

    /// Converts a property value.
    pub fn from_value(v: Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Float(f) => Val::Float(f),
            Value::String(s) => Val::str(s),
            Value::Bytes(b) => Val::Bytes(b.into()),
            Value::Temporal(t) => Val::temporal(t),
            Value::List(l) => Val::list(l.into_iter().map(Val::from_value).collect()),
            Value::Map(m) => Val::map(m.into_iter().map(|(k, v)| (k, Val::from_value(v))).collect()),
        }
    }

    /// The property value this is, or `None` for graph entities (which
    /// cannot be stored as properties).
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Float(f) => Value::Float(*f),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Bytes(b) => Value::Bytes(b.to_vec()),
            Val::Temporal(t) => Value::Temporal(**t),
            Val::List(l) => Value::List(l.iter().map(Val::to_value).collect::<Option<_>>()?),
            Val::Map(m) => Value::Map(m.iter().map(|(k, v)| Some((k.clone(), v.to_value()?))).collect::<Option<_>>()?),
            Val::Node(_) | Val::Rel(_) | Val::Path(_) => return None,
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Val::Map(_) => 0,
            Val::Node(_) => 1,
            Val::Rel(_) => 2,
            Val::List(_) => 3,
            Val::Path(_) => 4,
            Val::Temporal(_) => 5,
            Val::Str(_) => 6,
            Val::Bytes(_) => 7,
            Val::Bool(_) => 8,
            Val::Int(_) | Val::Float(_) => 9,
            Val::Null => 10,
        }
    }

    /// openCypher orderability: a total order (ORDER BY, DISTINCT keys):
    /// maps, nodes, relationships, lists, paths, temporal values, strings,
    /// bytes, booleans, numbers, null.
    pub fn order(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::Map(a), Val::Map(b)) => {
                let ka: Vec<_> = a.keys().collect();
                let kb: Vec<_> = b.keys().collect();
                ka.cmp(&kb).then_with(|| seq_order(a.values(), b.values()))
            }
            (Val::Node(a), Val::Node(b)) => a.cmp(b),
            (Val::Rel(a), Val::Rel(b)) => a.id.cmp(&b.id),
            (Val::List(a), Val::List(b)) => seq_order(a.iter(), b.iter()),
            (Val::Path(a), Val::Path(b)) => {
                a.0.cmp(&b.0).then_with(|| a.1.iter().map(|r| r.id).cmp(b.1.iter().map(|r| r.id)))
            }
            (Val::Temporal(a), Val::Temporal(b)) => a.order(b),
            (Val::Str(a), Val::Str(b)) => a.cmp(b),
            (Val::Bytes(a), Val::Bytes(b)) => a.cmp(b),
            (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            (Val::Int(_) | Val::Float(_), Val::Int(_) | Val::Float(_)) => num_order(self, other),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    /// openCypher comparability (`<`, `<=`, …): `None` is null.
    pub fn compare(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Null, _) | (_, Val::Null) => None,
            (Val::Float(f), _) | (_, Val::Float(f)) if f.is_nan() => None,
            (Val::Int(_) | Val::Float(_), Val::Int(_) | Val::Float(_)) => Some(num_order(self, other)),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            (Val::Bytes(a), Val::Bytes(b)) => Some(a.cmp(b)),
            (Val::Temporal(a), Val::Temporal(b)) => a.compare(b),
            (Val::List(a), Val::List(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.compare(y)? {
                        Ordering::Equal => {}
                        o => return Some(o),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        }
    }

    /// openCypher equality (`=`): `None` is null (unknown).
    pub fn equals(&self, other: &Val) -> Option<bool> {
        match (self, other) {
            (Val::Null, _) | (_, Val::Null) => None,
            (Val::Int(_) | Val::Float(_), Val::Int(_) | Val::Float(_)) => {
                if let (Val::Int(a), Val::Int(b)) = (self, other) {
                    return Some(a == b);
                }
                Some(num_order(self, other) == Ordering::Equal && !is_nan(self) && !is_nan(other))
            }
            (Val::List(a), Val::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            (Val::Map(a), Val::Map(b)) => {
                if a.len() != b.len() || a.keys().ne(b.keys()) {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.values().zip(b.values()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            (Val::Temporal(a), Val::Temporal(b)) => Some(a.equals(b)),
            (a, b) if a.rank() != b.rank() => Some(false),
            (a, b) => Some(a.order(b) == Ordering::Equal),
        }
    }
}

fn is_nan(v: &Val) -> bool {
    matches!(v, Val::Float(f) if f.is_nan())
}

fn seq_order<'a>(a: impl Iterator<Item = &'a Val>, b: impl Iterator<Item = &'a Val>) -> Ordering {
    let mut a = a;
    let mut b = b;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match x.order(y) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
}

/// Numeric order through [`Value::order`] (exact across ints and floats).
fn num_order(a: &Val, b: &Val) -> Ordering {
    let conv = |v: &Val| match v {
        Val::Int(i) => Value::Int(*i),
        Val::Float(f) => Value::Float(*f),
        _ => Value::Null,
    };
    conv(a).order(&conv(b))
}

/// A row key ordered by [`Val::order`], for grouping and DISTINCT.
#[derive(Debug, Clone)]
pub struct Key(pub Vec<Val>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        seq_order(self.0.iter(), other.0.iter())
    }
}
