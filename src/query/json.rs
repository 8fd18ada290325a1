//! JSON in (parameters) and out (results), in the shape the C ABI documents.

use super::error::semantic;
use super::{Node, Params, QueryResult, QueryValue, Relationship};
use crate::{Result, Value};
use serde_json::{Map, Value as J, json};

fn from_json(j: J) -> Value {
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(s),
        J::Array(a) => Value::List(a.into_iter().map(from_json).collect()),
        J::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// Parameters from a JSON object.
pub fn params(text: &str) -> Result<Params> {
    let j: J = serde_json::from_str(text)
        .map_err(|e| semantic("ArgumentError", format!("parameters are not valid JSON: {e}")))?;
    let J::Object(o) = j else { return Err(semantic("ArgumentError", "parameters must be a JSON object")) };
    Ok(Params(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()))
}

fn float(f: f64) -> J {
    serde_json::Number::from_f64(f).map_or_else(|| J::String(super::funcs::format_float(f)), J::Number)
}

fn value(v: &Value) -> J {
    cell(&QueryValue::from(v.clone()))
}

fn props(p: &std::collections::BTreeMap<String, Value>) -> J {
    J::Object(p.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

fn node(n: &Node) -> J {
    json!({"id": n.id, "labels": n.labels, "properties": props(&n.properties)})
}

fn rel(r: &Relationship) -> J {
    json!({"id": r.id, "type": r.rel_type, "start": r.start, "end": r.end, "properties": props(&r.properties)})
}

/// One cell as JSON: bytes as an array of byte values; NaN and the
/// infinities as the strings "NaN", "Infinity", "-Infinity"; temporal
/// values as their ISO 8601 strings.
pub fn cell(v: &QueryValue) -> J {
    match v {
        QueryValue::Null => J::Null,
        QueryValue::Bool(b) => J::Bool(*b),
        QueryValue::Int(i) => json!(i),
        QueryValue::Float(f) => float(*f),
        QueryValue::String(s) => J::String(s.clone()),
        QueryValue::Bytes(b) => json!(b),
        QueryValue::Temporal(t) => J::String(t.to_string()),
        QueryValue::List(l) => J::Array(l.iter().map(cell).collect()),
        QueryValue::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), cell(v))).collect::<Map<_, _>>()),
        QueryValue::Node(n) => node(n),
        QueryValue::Relationship(r) => rel(r),
        QueryValue::Path(p) => json!({
            "nodes": p.nodes.iter().map(node).collect::<Vec<_>>(),
            "relationships": p.relationships.iter().map(rel).collect::<Vec<_>>(),
        }),
    }
}

/// The whole result.
pub fn result(r: &QueryResult) -> String {
    let s = &r.stats;
    let mut out = json!({
        "columns": r.columns,
        "rows": r.rows.iter().map(|row| row.iter().map(cell).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "stats": {
            "nodes_created": s.nodes_created,
            "nodes_deleted": s.nodes_deleted,
            "relationships_created": s.relationships_created,
            "relationships_deleted": s.relationships_deleted,
            "properties_set": s.properties_set,
            "labels_added": s.labels_added,
            "labels_removed": s.labels_removed,
        },
    });
    if !r.plan.is_empty() {
        out["plan"] = J::Array(
            r.plan.iter().map(|p| json!({"operator": p.operator, "rows": p.rows, "time_us": p.time_us})).collect(),
        );
    }
    out.to_string()
}
