//! Redis glob patterns (`KEYS`, `SCAN MATCH`, `CONFIG GET`): `*`, `?`,
//! `[abc]`, `[^a-z]` / `[!a-z]`, `\x` escapes.
//!
//! The matcher compiles the pattern into tokens and runs the two-pointer
//! wildcard algorithm: no recursion, and at most one backtrack point (the
//! last `*`), so a match costs O(pattern × text) at worst, never the
//! exponential time of naive backtracking (`a*a*a*a*…b` against `aaaa…`).

/// One token of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `*`: any run of bytes.
    Star,
    /// `?`: any one byte.
    Any,
    /// One literal byte.
    Byte(u8),
    /// A class: inclusive byte ranges, negated or not.
    Class { ranges: Vec<(u8, u8)>, negated: bool },
}

impl Token {
    fn matches(&self, b: u8) -> bool {
        match self {
            Token::Star | Token::Any => true,
            Token::Byte(c) => *c == b,
            Token::Class { ranges, negated } => ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi) != *negated,
        }
    }
}

/// Patterns with more `*` than this (not counting a final one) match
/// nothing, as in Redis, whose matcher gives up at that nesting depth.
pub const MAX_STARS: usize = 1000;

/// A compiled glob pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
    /// Too many stars: matches nothing (see [`MAX_STARS`]).
    hopeless: bool,
}

impl Glob {
    /// Compiles `pattern`; every byte string is a valid pattern (an unclosed
    /// class ends at the end of the pattern, a trailing `\` is literal).
    pub fn new(pattern: &[u8]) -> Self {
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            let c = pattern[i];
            i += 1;
            match c {
                b'*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                b'?' => tokens.push(Token::Any),
                b'\\' if i < pattern.len() => {
                    tokens.push(Token::Byte(pattern[i]));
                    i += 1;
                }
                b'[' => {
                    let negated = i < pattern.len() && (pattern[i] == b'^' || pattern[i] == b'!');
                    if negated {
                        i += 1;
                    }
                    let mut ranges = Vec::new();
                    while i < pattern.len() && pattern[i] != b']' {
                        let mut lo = pattern[i];
                        if lo == b'\\' && i + 1 < pattern.len() {
                            i += 1;
                            lo = pattern[i];
                        }
                        if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
                            let hi = pattern[i + 2];
                            ranges.push((lo.min(hi), lo.max(hi)));
                            i += 3;
                        } else {
                            ranges.push((lo, lo));
                            i += 1;
                        }
                    }
                    i += 1; // the closing `]`
                    tokens.push(Token::Class { ranges, negated });
                }
                c => tokens.push(Token::Byte(c)),
            }
        }
        let stars = tokens.iter().filter(|t| **t == Token::Star).count();
        let trailing = tokens.last() == Some(&Token::Star);
        Glob { hopeless: stars - usize::from(trailing) > MAX_STARS, tokens }
    }

    /// Whether the pattern is `*` (matches everything).
    pub fn is_match_all(&self) -> bool {
        self.tokens == [Token::Star]
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &[u8]) -> bool {
        if self.hopeless {
            return false;
        }
        let (t, mut p, mut s) = (&self.tokens, 0, 0);
        // The token after the last `*` seen, and the text position it was tried at.
        let mut star: Option<(usize, usize)> = None;
        while s < text.len() {
            if p < t.len() && t[p] == Token::Star {
                p += 1;
                star = Some((p, s));
            } else if p < t.len() && t[p].matches(text[s]) {
                p += 1;
                s += 1;
            } else if let Some((sp, ss)) = star {
                // Let the last `*` swallow one more byte and retry from there.
                p = sp;
                s = ss + 1;
                star = Some((sp, ss + 1));
            } else {
                return false;
            }
        }
        t[p..].iter().all(|tok| *tok == Token::Star)
    }
}

/// Whether `text` matches the glob `pattern`.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    Glob::new(pattern).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_semantics() {
        assert!(matches(b"*", b""));
        assert!(matches(b"h?llo", b"hello"));
        assert!(matches(b"h*llo", b"heeeello"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[!e]llo", b"hallo"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"h[b-a]llo", b"hbllo"));
        assert!(matches(b"a\\*b", b"a*b"));
        assert!(!matches(b"a\\*b", b"axb"));
        assert!(matches(b"key:*:x", b"key:1:2:x"));
        assert!(!matches(b"key:*:x", b"key:1:2:y"));
        assert!(matches(b"*a*b", b"xxaxxb"));
        assert!(!matches(b"a?", b"a"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let text = vec![b'a'; 10_000];
        let pattern = [&b"a*".repeat(50)[..], b"b"].concat();
        assert!(!matches(&pattern, &text));
        let text = vec![b'a'; 50_000];
        assert!(!matches(&b"*?".repeat(50_000), &text), "beyond MAX_STARS nothing matches, as in Redis");
        assert!(matches(&b"*?".repeat(MAX_STARS), &text));
    }
}
