//! How deeply a query nests, estimated on its tokens before it is parsed:
//! the parser and the evaluator recurse once per level, and a query nested
//! thousands of levels deep would overflow the calling thread's stack (an
//! abort no boundary can catch). The estimate counts each open bracket and
//! `CASE`, and each operator of an expression at its bracket level, so it
//! bounds prefix chains (`NOT NOT …`, `- - …`) and operator chains
//! (`a OR b OR …`) alike; a separator (`,`, `:`, `|`, `WHEN`, a clause
//! keyword) starts a new expression at its level. Queries up to
//! [`SHALLOW`] run on the caller's thread; deeper ones, up to
//! [`MAX_DEPTH`], on a thread of their own with a stack sized for them
//! ([`stack_for`]); deeper still is an error.

use super::error::semantic;
use crate::Result;
use open_cypher::{Keyword as K, TokenKind as T};

/// The deepest nesting a query may run with on its caller's thread: a
/// quarter of what a 2 MiB stack (Rust's default for spawned threads)
/// survives in release builds.
pub const SHALLOW: usize = 256;

/// The deepest nesting a query may have at all.
pub const MAX_DEPTH: usize = 8192;

/// Stack for a query of `depth` levels run on a thread of its own: 16 KiB a
/// level (release builds use 1–2 KiB, debug and sanitizer builds several
/// times that) plus 1 MiB, reserved as used.
pub fn stack_for(depth: usize) -> usize {
    (1 << 20) + depth * (16 << 10)
}

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

/// The estimated depth of `text[offset..]`; a `SyntaxError` when it nests
/// deeper than [`MAX_DEPTH`].
pub fn check_depth(text: &str, offset: usize) -> Result<usize> {
    // Operators seen at each open level since its last separator, and their sum
    // plus the number of levels: an upper bound on the expression tree's depth.
    let mut levels: Vec<usize> = vec![0];
    let mut depth = 1;
    let mut deepest = depth;
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
        deepest = deepest.max(depth);
        if depth > MAX_DEPTH {
            let (line, col) = super::line_col(text, offset + token.span.start);
            return Err(semantic(
                "SyntaxError",
                format!(
                    "the query nests deeper than {MAX_DEPTH} levels at {line}:{col} \
                     (brackets, CASE and chained operators each count; write long OR chains as IN [list])"
                ),
            ));
        }
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_and_operator_chains_but_not_siblings() {
        let ok = |t: &str| check_depth(t, 0).is_ok();
        let depth = |t: &str| check_depth(t, 0).unwrap();
        assert_eq!(depth(&format!("RETURN {}1{}", "(".repeat(200), ")".repeat(200))), 201);
        assert_eq!(depth(&format!("RETURN {}1", "NOT ".repeat(300))), 301);
        assert_eq!(depth(&format!("RETURN 1{}", " OR 1".repeat(300))), 301);
        assert_eq!(depth(&format!("RETURN {}1", "CASE WHEN true THEN ".repeat(300))), 301);
        assert!(!ok(&format!("RETURN {}1{}", "(".repeat(9000), ")".repeat(9000))));
        assert!(!ok(&format!("RETURN 1{}", " + 1".repeat(9000))));
        // Siblings separated by commas do not add up, and closed levels give their depth back.
        assert_eq!(depth(&format!("RETURN [{}]", vec!["1 + 2 * 3"; 10_000].join(", "))), 4);
        assert!(ok(&format!("RETURN {}", vec!["((((1))))"; 10_000].join(" + ").replace(" + ", ", "))));
        assert!(ok(&"CREATE (:P {x: 1 + 2, y: 'a'})".repeat(5_000)));
        // Unbalanced closers are left to the parser's own error.
        assert!(ok(&")".repeat(1_000)));
    }
}
