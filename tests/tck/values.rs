//! The TCK's value notation (`(:L {k: 1})`, `[:T]`, `<(a)-[:T]->(b)>`,
//! lists, maps, strings, numbers) parsed into a canonical text, and query
//! results printed in the same canonical text, so that rows compare as
//! strings (temporal values as their ISO 8601 strings, as the TCK writes them).

use kvgraph::Value;
use kvgraph::query::{Node, QueryValue, Relationship};
use std::collections::BTreeMap;

/// A float in canonical form.
fn float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Inf".into() } else { "-Inf".into() }
    } else if f == 0.0 {
        "0.0".into()
    } else {
        format!("{f:e}")
    }
}

fn string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn map<'a>(m: impl Iterator<Item = (&'a String, String)>) -> String {
    let mut parts: Vec<String> = m.map(|(k, v)| format!("{k}:{v}")).collect();
    parts.sort();
    format!("{{{}}}", parts.join(","))
}

fn props(p: &BTreeMap<String, Value>) -> String {
    map(p.iter().map(|(k, v)| (k, value(&QueryValue::from(v.clone()), false))))
}

fn node(n: &Node) -> String {
    let mut labels = n.labels.clone();
    labels.sort();
    format!("({}{})", labels.iter().map(|l| format!(":{l}")).collect::<String>(), props(&n.properties))
}

fn rel(r: &Relationship) -> String {
    format!("[:{}{}]", r.rel_type, props(&r.properties))
}

/// A result value in canonical form (`sort_lists`: lists as multisets).
pub fn value(v: &QueryValue, sort_lists: bool) -> String {
    match v {
        QueryValue::Null => "null".into(),
        QueryValue::Bool(b) => b.to_string(),
        QueryValue::Int(i) => i.to_string(),
        QueryValue::Float(f) => float(*f),
        QueryValue::String(s) => string(s),
        QueryValue::Bytes(b) => format!("bytes{b:?}"),
        // The TCK writes temporal values as their ISO 8601 strings.
        QueryValue::Temporal(t) => string(&t.to_string()),
        QueryValue::List(l) => {
            let mut items: Vec<String> = l.iter().map(|x| value(x, sort_lists)).collect();
            if sort_lists {
                items.sort();
            }
            format!("[{}]", items.join(","))
        }
        QueryValue::Map(m) => map(m.iter().map(|(k, v)| (k, value(v, sort_lists)))),
        QueryValue::Node(n) => node(n),
        QueryValue::Relationship(r) => rel(r),
        QueryValue::Path(p) => {
            let mut out = String::from("<");
            let Some(first) = p.nodes.first() else { return "<>".into() };
            out.push_str(&node(first));
            for (i, r) in p.relationships.iter().enumerate() {
                let (a, b) = (&p.nodes[i], &p.nodes[i + 1]);
                if r.start == a.id && (r.end == b.id || r.start != b.id) {
                    out.push_str(&format!("-{}->", rel(r)));
                } else {
                    out.push_str(&format!("<-{}-", rel(r)));
                }
                out.push_str(&node(b));
            }
            out.push('>');
            out
        }
    }
}

/// A parser of the TCK notation.
pub struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    sort_lists: bool,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str, sort_lists: bool) -> Self {
        Parser { s: s.as_bytes(), i: 0, sort_lists }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {} in {}", c as char, self.i, String::from_utf8_lossy(self.s)))
        }
    }

    fn ident(&mut self) -> String {
        self.ws();
        let start = self.i;
        if self.s.get(self.i) == Some(&b'`') {
            self.i += 1;
            while self.i < self.s.len() && self.s[self.i] != b'`' {
                self.i += 1;
            }
            self.i += 1;
            return String::from_utf8_lossy(&self.s[start + 1..self.i - 1]).into_owned();
        }
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn map_body(&mut self) -> Result<String, String> {
        self.eat(b'{')?;
        let mut entries = Vec::new();
        while self.peek() != Some(b'}') {
            let k = self.ident();
            self.eat(b':')?;
            let v = self.value()?;
            entries.push((k, v));
            if self.peek() == Some(b',') {
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err("unterminated map".into());
            }
        }
        self.eat(b'}')?;
        Ok(map(entries.iter().map(|(k, v)| (k, v.clone()))))
    }

    fn labels(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while self.peek() == Some(b':') {
            self.i += 1;
            out.push(self.ident());
        }
        out
    }

    fn node(&mut self) -> Result<String, String> {
        self.eat(b'(')?;
        let mut labels = self.labels();
        labels.sort();
        let props = if self.peek() == Some(b'{') { self.map_body()? } else { "{}".into() };
        self.eat(b')')?;
        Ok(format!("({}{props})", labels.iter().map(|l| format!(":{l}")).collect::<String>()))
    }

    fn rel(&mut self) -> Result<String, String> {
        self.eat(b'[')?;
        let ty = self.labels().join("");
        let props = if self.peek() == Some(b'{') { self.map_body()? } else { "{}".into() };
        self.eat(b']')?;
        Ok(format!("[:{ty}{props}]"))
    }

    /// One value.
    pub fn value(&mut self) -> Result<String, String> {
        match self.peek() {
            None => Err("empty value".into()),
            Some(b'(') => self.node(),
            Some(b'<') => {
                self.i += 1;
                let mut out = format!("<{}", self.node()?);
                while self.peek() == Some(b'-') || self.peek() == Some(b'<') {
                    if self.peek() == Some(b'<') {
                        self.i += 1;
                        self.eat(b'-')?;
                        let r = self.rel()?;
                        self.eat(b'-')?;
                        out.push_str(&format!("<-{r}-"));
                    } else {
                        self.eat(b'-')?;
                        let r = self.rel()?;
                        self.eat(b'-')?;
                        self.eat(b'>')?;
                        out.push_str(&format!("-{r}->"));
                    }
                    out.push_str(&self.node()?);
                }
                self.eat(b'>')?;
                out.push('>');
                Ok(out)
            }
            Some(b'[') => {
                // A relationship or a list.
                let save = self.i;
                self.i += 1;
                if self.peek() == Some(b':') {
                    self.i = save;
                    return self.rel();
                }
                let mut items = Vec::new();
                while self.peek() != Some(b']') {
                    items.push(self.value()?);
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    }
                    if self.i >= self.s.len() {
                        return Err("unterminated list".into());
                    }
                }
                self.eat(b']')?;
                if self.sort_lists {
                    items.sort();
                }
                Ok(format!("[{}]", items.join(",")))
            }
            Some(b'{') => self.map_body(),
            Some(b'\'') => {
                self.i += 1;
                let mut out = Vec::new();
                while self.i < self.s.len() && self.s[self.i] != b'\'' {
                    if self.s[self.i] == b'\\' && self.i + 1 < self.s.len() {
                        self.i += 1;
                    }
                    out.push(self.s[self.i]);
                    self.i += 1;
                }
                self.i += 1;
                Ok(string(&String::from_utf8_lossy(&out)))
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(self.s[self.i], b',' | b']' | b'}' | b')')
                    && !self.s[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                Ok(match t {
                    "null" | "true" | "false" => t.to_string(),
                    "NaN" => "NaN".into(),
                    "Inf" | "Infinity" => "Inf".into(),
                    "-Inf" | "-Infinity" => "-Inf".into(),
                    _ => {
                        if let Ok(i) = t.parse::<i64>() {
                            i.to_string()
                        } else if let Ok(f) = t.parse::<f64>() {
                            float(f)
                        } else {
                            return Err(format!("unknown value {t}"));
                        }
                    }
                })
            }
        }
    }
}

/// A TCK cell in canonical form.
pub fn expected(cell: &str, sort_lists: bool) -> Result<String, String> {
    let mut p = Parser::new(cell, sort_lists);
    let v = p.value()?;
    if p.peek().is_some() {
        return Err(format!("trailing text in {cell}"));
    }
    Ok(v)
}

/// A TCK parameter value as a property value.
pub fn parameter(cell: &str) -> Result<Value, String> {
    let q = format!("RETURN {cell} AS v");
    let e = kvgraph::Engine::new();
    let r = e.query(&q, &kvgraph::Params::new()).map_err(|e| e.to_string())?;
    fn conv(v: &QueryValue) -> Result<Value, String> {
        Ok(match v {
            QueryValue::Null => Value::Null,
            QueryValue::Bool(b) => Value::Bool(*b),
            QueryValue::Int(i) => Value::Int(*i),
            QueryValue::Float(f) => Value::Float(*f),
            QueryValue::String(s) => Value::String(s.clone()),
            QueryValue::List(l) => Value::List(l.iter().map(conv).collect::<Result<_, _>>()?),
            QueryValue::Map(m) => {
                Value::Map(m.iter().map(|(k, v)| Ok((k.clone(), conv(v)?))).collect::<Result<_, String>>()?)
            }
            other => return Err(format!("not a parameter value: {other:?}")),
        })
    }
    conv(&r.rows[0][0])
}
