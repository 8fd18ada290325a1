//! The request parser: RESP multibulk requests and inline commands, read
//! incrementally out of a connection's query buffer.
//!
//! Every limit is checked as soon as the header that announces a size is
//! read, before the bytes it announces are buffered: the number of
//! arguments, the length of each bulk string, the length of a header or an
//! inline line, and the total size of one request. Clients that have not
//! authenticated yet get much tighter limits. Nested arrays cannot occur:
//! a request's elements must all be bulk strings (`expected '$'`).

use bytes::{Buf, BytesMut};

/// The limits a request must respect.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest bulk string (`proto-max-bulk-len`).
    pub max_bulk: usize,
    /// Most bytes one request may occupy in the query buffer
    /// (`client-query-buffer-limit`).
    pub max_query: usize,
    /// Most arguments of one request.
    pub max_args: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk: 512 << 20, max_query: 1 << 30, max_args: 1 << 20 }
    }
}

/// Longest inline request or header line (Redis's `PROTO_INLINE_MAX_SIZE`).
pub const MAX_LINE: usize = 64 * 1024;
/// Most arguments of a request from a client that has not authenticated.
pub const UNAUTH_MAX_ARGS: usize = 10;
/// Longest bulk string from a client that has not authenticated.
pub const UNAUTH_MAX_BULK: usize = 16 * 1024;

/// A protocol violation: the client gets `-ERR Protocol error: <message>`
/// and its connection is closed, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ERR Protocol error: {}", self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

/// An incremental request parser; keeps the partly read request between
/// reads, so each byte is examined once however the request is split.
#[derive(Debug, Default)]
pub struct Parser {
    /// Arguments of the multibulk request being read.
    args: Vec<Vec<u8>>,
    /// Arguments still to read, 0 when no multibulk request is open.
    remaining: usize,
    /// Length of the bulk string whose header has been read.
    bulk: Option<usize>,
    /// Bytes the open request has taken so far.
    taken: usize,
}

impl Parser {
    /// A parser with no request open.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a request has been partly read.
    pub fn in_request(&self) -> bool {
        self.remaining > 0
    }

    /// Takes the next complete request out of `buf`: `Ok(None)` when more
    /// bytes are needed (what was read is kept), `Ok(Some(args))` for a
    /// request (never empty). `authenticated` selects the limits.
    pub fn next(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        authenticated: bool,
    ) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        loop {
            if self.remaining == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if buf[0] != b'*' {
                    let max = if authenticated { limits.max_args } else { UNAUTH_MAX_ARGS };
                    match self.inline(buf, max)? {
                        Some(args) if args.is_empty() => continue,
                        other => return Ok(other),
                    }
                }
                let Some((n, line_len)) = take_line(buf, "too big mbulk count string")? else { return Ok(None) };
                let n = n.ok_or_else(|| ProtocolError("invalid multibulk length".into()))?;
                if n <= 0 {
                    continue; // `*0` and `*-1` are empty requests, ignored.
                }
                let max = if authenticated { limits.max_args } else { UNAUTH_MAX_ARGS };
                if n as u64 > max as u64 {
                    return err(if authenticated {
                        "invalid multibulk length"
                    } else {
                        "unauthenticated multibulk length"
                    });
                }
                self.remaining = n as usize;
                self.args = Vec::with_capacity(self.remaining.min(1024));
                self.taken = line_len;
            }
            while self.remaining > 0 {
                let len = match self.bulk {
                    Some(len) => len,
                    None => {
                        if buf.is_empty() {
                            return Ok(None);
                        }
                        if buf[0] != b'$' {
                            return err(format!("expected '$', got '{}'", printable(buf[0])));
                        }
                        let Some((n, line_len)) = take_line(buf, "too big bulk count string")? else { return Ok(None) };
                        let max = if authenticated { limits.max_bulk } else { UNAUTH_MAX_BULK };
                        let len = match n {
                            Some(n) if n >= 0 && n as u64 <= max as u64 => n as usize,
                            Some(n) if n >= 0 && !authenticated => return err("unauthenticated bulk length"),
                            _ => return err("invalid bulk length"),
                        };
                        self.taken += line_len;
                        if self.taken.saturating_add(len) > limits.max_query {
                            return err("request exceeds client-query-buffer-limit");
                        }
                        self.bulk = Some(len);
                        len
                    }
                };
                if buf.len() < len + 2 {
                    buf.reserve(len + 2 - buf.len());
                    return Ok(None);
                }
                if &buf[len..len + 2] != b"\r\n" {
                    return err("bulk string not terminated by CRLF");
                }
                self.args.push(buf[..len].to_vec());
                buf.advance(len + 2);
                self.taken += len + 2;
                self.bulk = None;
                self.remaining -= 1;
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }

    /// Reads an inline request (a line of space-separated words, at most `max_args`).
    fn inline(&mut self, buf: &mut BytesMut, max_args: usize) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        let Some(nl) = memchr::memchr(b'\n', buf) else {
            if buf.len() > MAX_LINE {
                return err("too big inline request");
            }
            return Ok(None);
        };
        if nl > MAX_LINE {
            return err("too big inline request");
        }
        let line = buf.split_to(nl + 1);
        let mut line = &line[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let args = split_args(line).ok_or_else(|| ProtocolError("unbalanced quotes in request".into()))?;
        if args.len() > max_args {
            return err("too many arguments in inline request");
        }
        Ok(Some(args))
    }
}

/// Takes a CRLF-terminated header line (a prefix byte and a decimal
/// length) out of `buf`: `Some((length, line length without the CRLF))`,
/// the length `None` if it is not a valid one; `None` if the line is not
/// complete yet. The line is parsed in place, never copied.
fn take_line(buf: &mut BytesMut, too_big: &str) -> Result<Option<(Option<i64>, usize)>, ProtocolError> {
    let Some(nl) = memchr::memchr(b'\n', &buf[..buf.len().min(MAX_LINE + 1)]) else {
        if buf.len() > MAX_LINE {
            return err(too_big);
        }
        return Ok(None);
    };
    let end = if nl > 0 && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    let len = parse_len(buf.get(1..end).unwrap_or_default());
    buf.advance(nl + 1);
    Ok(Some((len, end)))
}

/// A decimal length as Redis reads it (an optional `-`, digits, at most 18 of them).
fn parse_len(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(if neg { -n } else { n })
}

fn printable(b: u8) -> char {
    if b.is_ascii_graphic() { b as char } else { '?' }
}

/// Splits an inline request into words as Redis's `sdssplitargs` does:
/// words separated by white space, `"..."` with C escapes (`\n`, `\xHH`…),
/// `'...'` with `\'` only; a closing quote must end its word. `None` for
/// unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == n {
            return Some(args);
        }
        let mut word = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3]))
                {
                    word.push(h * 16 + l);
                    i += 4;
                    continue;
                }
                if line[i] == b'\\' && i + 1 < n {
                    word.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                    i += 2;
                    continue;
                }
                if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                }
                word.push(line[i]);
                i += 1;
            } else if in_sq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    word.push(b'\'');
                    i += 2;
                    continue;
                }
                if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                }
                word.push(line[i]);
                i += 1;
            } else {
                if i >= n || line[i].is_ascii_whitespace() {
                    break;
                }
                match line[i] {
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => word.push(c),
                }
                i += 1;
            }
        }
        args.push(word);
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], auth: bool) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let (mut p, mut buf, mut out) = (Parser::new(), BytesMut::from(input), Vec::new());
        loop {
            match p.next(&mut buf, &Limits::default(), auth) {
                Ok(Some(a)) => out.push(a),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn multibulk_and_inline_requests() {
        let (reqs, e) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n\r\nset a \"b c\\x41\"\n", true);
        assert_eq!(e, None);
        assert_eq!(
            reqs,
            vec![
                vec![b"GET".to_vec(), b"k".to_vec()],
                vec![b"PING".to_vec()],
                vec![b"set".to_vec(), b"a".to_vec(), b"b cA".to_vec()]
            ]
        );
    }

    #[test]
    fn byte_by_byte_equals_at_once() {
        let input = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$0\r\n\r\nECHO 'it''s'\r\n";
        let (whole, _) = parse_all(input, true);
        let (mut p, mut buf, mut out) = (Parser::new(), BytesMut::new(), Vec::new());
        for b in input {
            buf.extend_from_slice(&[*b]);
            while let Ok(Some(a)) = p.next(&mut buf, &Limits::default(), true) {
                out.push(a);
            }
        }
        assert_eq!(whole, out);
    }

    #[test]
    fn limits_are_checked_before_buffering() {
        assert_eq!(parse_all(b"*3000000000\r\n", true).1.unwrap().0, "invalid multibulk length");
        assert_eq!(parse_all(b"*1\r\n$2000000000\r\n", true).1.unwrap().0, "invalid bulk length");
        assert_eq!(parse_all(b"*1\r\n$-10\r\n", true).1.unwrap().0, "invalid bulk length");
        assert_eq!(parse_all(b"*1\r\n$blabla\r\n", true).1.unwrap().0, "invalid bulk length");
        assert_eq!(parse_all(b"*1\r\nfoo\r\n", true).1.unwrap().0, "expected '$', got 'f'");
        assert_eq!(parse_all(b"*1\r\n*1\r\n", true).1.unwrap().0, "expected '$', got '*'");
        assert_eq!(parse_all(b"*11\r\n", false).1.unwrap().0, "unauthenticated multibulk length");
        assert_eq!(parse_all(b"*1\r\n$16385\r\n", false).1.unwrap().0, "unauthenticated bulk length");
        assert_eq!(parse_all(&[b'a'; MAX_LINE + 2], true).1.unwrap().0, "too big inline request");
        assert_eq!(parse_all(b"set \"a\"b\n", true).1.unwrap().0, "unbalanced quotes in request");
        assert_eq!(parse_all(b"*-10\r\nPING\r\n", true), (vec![vec![b"PING".to_vec()]], None));
        let many = [&b"x ".repeat(11)[..], b"\n"].concat();
        assert_eq!(parse_all(&many, false).1.unwrap().0, "too many arguments in inline request");
    }
}
