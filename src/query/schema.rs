//! Index commands, which openCypher's grammar leaves out: `CREATE INDEX
//! [name] [IF NOT EXISTS] FOR (n:Label) ON (n.prop)`, `CREATE INDEX ON
//! :Label(prop)`, `DROP INDEX ON :Label(prop)`, `DROP INDEX FOR (n:Label) ON
//! (n.prop)` and `SHOW INDEXES`, read from the `open-cypher` lexer's tokens.

use super::error::semantic;
use super::ir::{Mode, Schema};
use crate::Result;

fn words(text: &str) -> Vec<(usize, &str)> {
    let lexed = open_cypher::lex(text);
    lexed.tokens.iter().filter(|t| !t.kind.is_trivia()).filter_map(|t| Some((t.span.start, t.text(text)?))).collect()
}

/// A leading `EXPLAIN` or `PROFILE`, and where the query after it starts.
pub fn leading_mode(text: &str) -> (Mode, usize) {
    let w = words(text);
    match w.first() {
        Some((_, k)) if k.eq_ignore_ascii_case("EXPLAIN") => (Mode::Explain, w.get(1).map_or(text.len(), |x| x.0)),
        Some((_, k)) if k.eq_ignore_ascii_case("PROFILE") => (Mode::Profile, w.get(1).map_or(text.len(), |x| x.0)),
        _ => (Mode::Run, 0),
    }
}

/// Whether `text` has the keyword `word` (not inside a string or comment).
pub fn has_keyword(text: &str, word: &str) -> bool {
    words(text).iter().any(|(_, w)| w.eq_ignore_ascii_case(word))
}

/// The schema command `text` is, if it is one.
pub fn parse_schema(text: &str) -> Result<Option<(Schema, Mode)>> {
    let mut words: Vec<String> = words(text).into_iter().map(|(_, s)| s.trim_matches('`').to_string()).collect();
    if words.last().is_some_and(|w| w == ";") {
        words.pop();
    }
    let mut mode = Mode::Run;
    if words.first().is_some_and(|w| w.eq_ignore_ascii_case("EXPLAIN") || w.eq_ignore_ascii_case("PROFILE")) {
        mode = if words[0].eq_ignore_ascii_case("EXPLAIN") { Mode::Explain } else { Mode::Profile };
        words.remove(0);
    }
    let up: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let up: Vec<&str> = up.iter().map(String::as_str).collect();
    let schema = match up.as_slice() {
        ["SHOW", "INDEX" | "INDEXES"] | ["SHOW", "RANGE", "INDEX" | "INDEXES"] => Schema::ShowIndexes,
        ["CREATE", "INDEX", rest @ ..] | ["CREATE", "RANGE", "INDEX", rest @ ..] => {
            let (l, p) = target(rest, &words[words.len() - rest.len()..])?;
            Schema::CreateIndex(l, p)
        }
        ["DROP", "INDEX", rest @ ..] => {
            let (l, p) = target(rest, &words[words.len() - rest.len()..])?;
            Schema::DropIndex(l, p)
        }
        _ => return Ok(None),
    };
    Ok(Some((schema, mode)))
}

/// (label, property) of `… FOR (n:Label) ON (n.prop)` or `ON :Label(prop)`.
fn target(up: &[&str], words: &[String]) -> Result<(String, String)> {
    let bad = || semantic("SyntaxError", "expected FOR (n:Label) ON (n.prop) or ON :Label(prop)");
    if let Some(f) = up.iter().position(|w| *w == "FOR") {
        // FOR ( v : Label ) ON ( v . prop )
        let w = &words[f..];
        if w.len() >= 12
            && w[1] == "("
            && w[3] == ":"
            && w[5] == ")"
            && up[f + 6] == "ON"
            && w[7] == "("
            && w[9] == "."
            && w[11] == ")"
        {
            if w[2] != w[8] {
                return Err(semantic("SyntaxError", "the index variable differs between FOR and ON"));
            }
            return Ok((w[4].clone(), w[10].clone()));
        }
        return Err(bad());
    }
    if let ["ON", ":", _, "(", _, ")"] = up {
        return Ok((words[2].clone(), words[4].clone()));
    }
    Err(bad())
}
