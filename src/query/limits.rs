//! A bound on how deeply a query nests, checked on its tokens before it is
//! parsed: the parser and the evaluator recurse once per level, and a query
//! nested thousands of levels deep would overflow the calling thread's stack
//! (an abort no boundary can catch). The bound counts each open bracket and
//! `CASE`, and each operator of an expression at its bracket level, so it
//! holds for prefix chains (`NOT NOT …`, `- - …`) and operator chains
//! (`a OR b OR …`) alike; a separator (`,`, `:`, `|`, `WHEN`, a clause
//! keyword) starts a new expression at its level.

use super::error::semantic;
use crate::Result;
use open_cypher::{Keyword as K, TokenKind as T};

/// The deepest nesting a query may have: a quarter of what a 2 MiB thread
/// stack (Rust's default for spawned threads) survives in release builds.
pub const MAX_DEPTH: usize = 256;

/// What a token does to the nesting estimate.
enum Step {
    Open,
    Close,
    Operator,
    Separator,
    Other,
}

fn step(kind: T) -> Step {
    match kind {
        T::LeftParen | T::LeftBracket | T::LeftBrace | T::Keyword(K::Case) => Step::Open,
        T::RightParen | T::RightBracket | T::RightBrace | T::Keyword(K::End) => Step::Close,
        T::Plus
        | T::Minus
        | T::Star
        | T::Slash
        | T::Percent
        | T::Caret
        | T::Bang
        | T::Equal
        | T::NotEqual
        | T::Less
        | T::LessEqual
        | T::Greater
        | T::GreaterEqual
        | T::RegexMatch
        | T::Dot
        | T::LeftArrow
        | T::RightArrow
        | T::Keyword(K::And | K::Or | K::Xor | K::Not | K::In | K::Is | K::Starts | K::Ends | K::Contains) => {
            Step::Operator
        }
        T::Comma
        | T::Colon
        | T::Semicolon
        | T::Pipe
        | T::Keyword(
            K::When
            | K::Then
            | K::Else
            | K::Match
            | K::Optional
            | K::Where
            | K::With
            | K::Return
            | K::Create
            | K::Merge
            | K::Set
            | K::Delete
            | K::Detach
            | K::Remove
            | K::Unwind
            | K::Call
            | K::Yield
            | K::Union
            | K::Order
            | K::Skip
            | K::Limit
            | K::On,
        ) => Step::Separator,
        _ => Step::Other,
    }
}

/// Fails with a `SyntaxError` when `text[offset..]` nests deeper than [`MAX_DEPTH`].
pub fn check_depth(text: &str, offset: usize) -> Result<()> {
    // Operators seen at each open level since its last separator, and their sum
    // plus the number of levels: an upper bound on the expression tree's depth.
    let mut levels: Vec<usize> = vec![0];
    let mut depth = 1;
    for token in open_cypher::lex(&text[offset..]).tokens {
        match step(token.kind) {
            Step::Open => {
                levels.push(0);
                depth += 1;
            }
            Step::Close if levels.len() > 1 => depth -= 1 + levels.pop().unwrap_or(0),
            Step::Operator => {
                if let Some(top) = levels.last_mut() {
                    *top += 1;
                }
                depth += 1;
            }
            Step::Separator => {
                if let Some(top) = levels.last_mut() {
                    depth -= std::mem::take(top);
                }
            }
            Step::Close | Step::Other => {}
        }
        if depth > MAX_DEPTH {
            let (line, col) = super::line_col(text, offset + token.span.start);
            return Err(semantic(
                "SyntaxError",
                format!(
                    "the query nests deeper than {MAX_DEPTH} levels at {line}:{col} \
                     (brackets, CASE and chained operators each count; use a list with IN instead of long OR chains)"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_and_operator_chains_but_not_siblings() {
        let ok = |t: &str| check_depth(t, 0).is_ok();
        assert!(ok(&format!("RETURN {}1{}", "(".repeat(200), ")".repeat(200))));
        assert!(!ok(&format!("RETURN {}1{}", "(".repeat(300), ")".repeat(300))));
        assert!(!ok(&format!("RETURN {}1", "NOT ".repeat(300))));
        assert!(!ok(&format!("RETURN 1{}", " OR 1".repeat(300))));
        assert!(!ok(&format!("RETURN {}1", "CASE WHEN true THEN ".repeat(300))));
        // Siblings separated by commas do not add up, and closed levels give their depth back.
        assert!(ok(&format!("RETURN [{}]", vec!["1 + 2 * 3"; 10_000].join(", "))));
        assert!(ok(&format!("RETURN {}", vec!["((((1))))"; 10_000].join(" + ").replace(" + ", ", "))));
        assert!(ok(&"CREATE (:P {x: 1 + 2, y: 'a'})".repeat(5_000)));
        // Unbalanced closers are left to the parser's own error.
        assert!(ok(&")".repeat(1_000)));
    }
}
