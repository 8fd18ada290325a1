//! Reply frames, written straight into a connection's output buffer in the
//! protocol version the client chose (RESP2, or RESP3 after `HELLO 3`).

/// An output buffer that encodes replies.
#[derive(Debug, Default)]
pub struct Reply {
    /// The encoded bytes not yet written to the socket.
    pub buf: Vec<u8>,
    /// Whether the client speaks RESP3.
    pub resp3: bool,
}

impl Reply {
    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn header(&mut self, prefix: u8, n: i64) {
        let mut b = itoa::Buffer::new();
        self.line(prefix, b.format(n).as_bytes());
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (no CR or LF inside).
    pub fn simple(&mut self, s: &str) {
        self.line(b'+', s.as_bytes());
    }

    /// An error: `msg` starts with its code (`ERR`, `WRONGTYPE`…). CR and LF
    /// inside are replaced by spaces, as Redis does.
    pub fn error(&mut self, msg: &str) {
        let clean: Vec<u8> = msg.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
        self.line(b'-', &clean);
    }

    /// An integer.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string, or the null reply.
    pub fn opt_bulk(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.bulk(s),
            None => self.null(),
        }
    }

    /// The null bulk string (RESP2) or null (RESP3).
    pub fn null(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array (RESP2) or null (RESP3).
    pub fn null_array(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// The header of an array of `n` elements.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// The header of a map of `n` pairs (a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        if self.resp3 { self.header(b'%', n as i64) } else { self.header(b'*', 2 * n as i64) }
    }

    /// The header of a set of `n` elements (an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A double (a bulk string in RESP2), formatted as Redis does.
    pub fn double(&mut self, d: f64) {
        let s = format_double(d);
        if self.resp3 { self.line(b',', s.as_bytes()) } else { self.bulk(s.as_bytes()) }
    }

    /// A verbatim text reply (RESP3 `=txt:`; a bulk string in RESP2).
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// An array of bulk strings.
    pub fn bulk_array<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for i in items {
            self.bulk(i);
        }
    }
}

/// A double as Redis prints it: the shortest text that reads back to the
/// same value (`inf`, `-inf`; integral values without a fraction).
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == d.trunc() && d.abs() < 1e17 {
        return format!("{}", d as i64);
    }
    format!("{d}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_encodings() {
        let mut r = Reply::default();
        r.map(1);
        r.bulk(b"a");
        r.null();
        r.double(1.5);
        assert_eq!(r.buf, b"*2\r\n$1\r\na\r\n$-1\r\n$3\r\n1.5\r\n");
        let mut r = Reply { resp3: true, ..Reply::default() };
        r.map(1);
        r.bulk(b"a");
        r.null();
        r.double(1.5);
        r.error("ERR a\r\nb");
        assert_eq!(r.buf, b"%1\r\n$1\r\na\r\n_\r\n,1.5\r\n-ERR a  b\r\n");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    }
}
