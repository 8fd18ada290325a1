//! Query errors: every one is an invalid-argument [`Error`] whose message
//! starts with its openCypher category (`SyntaxError`, `TypeError`, …).

use crate::Error;

/// An error of `category` (`SyntaxError`, `SemanticError`, `TypeError`, …).
pub fn semantic(category: &str, message: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{category}: {message}"))
}

/// A type error.
pub fn type_error(message: impl std::fmt::Display) -> Error {
    semantic("TypeError", message)
}

/// A feature we do not support, by name.
pub fn unsupported(feature: &str) -> Error {
    semantic("SyntaxError", format!("{feature} is not supported"))
}

/// A parse failure: the first diagnostic with its line:column and what was expected.
/// `offset` is where the parsed text starts in `text`.
pub fn syntax(text: &str, offset: usize, errors: &open_cypher::ParseErrors) -> Error {
    let Some(d) = errors.diagnostics().first() else { return semantic("SyntaxError", "invalid query") };
    let (line, col) = line_col(text, offset + d.primary_span.start);
    semantic("SyntaxError", format!("{} at {line}:{col}", d.message))
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
