//! The byte layer shared by the log and the snapshot file: a versioned file
//! header, checksummed length-prefixed frames, and little-endian fields.
//!
//! File: `magic (8) | format version (u32 LE) | crc32c of the 12 bytes (u32 LE)`,
//! then frames `payload length (u32 LE) | crc32c of payload (u32 LE) | payload`.

use crate::error::{Error, Result};
use std::path::Path;

/// The format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 2;
/// Bytes of a file header.
pub(crate) const HEADER_LEN: usize = 16;
/// Bytes before a frame's payload.
pub(crate) const FRAME_HEAD: usize = 8;
/// The largest frame payload accepted (a larger length is damage).
pub(crate) const MAX_FRAME: usize = 1 << 30;

/// The header of a file of kind `magic`.
pub(crate) fn header(magic: &[u8; 8]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(magic);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    let crc = crc32c::crc32c(&h[..12]);
    h[12..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// An error naming `file` and the byte `offset` where its data is damaged.
pub(crate) fn damaged(file: &Path, offset: usize, what: impl std::fmt::Display) -> Error {
    Error::io(format!("{}: damaged at byte offset {offset}: {what}", file.display()))
}

/// Checks the header of `data`, read from `file`, for kind `magic`.
pub(crate) fn check_header(file: &Path, data: &[u8], magic: &[u8; 8]) -> Result<()> {
    if data.len() < HEADER_LEN {
        return Err(damaged(file, data.len(), "file shorter than its header"));
    }
    if &data[..8] != magic {
        return Err(damaged(file, 0, "not a kvgraph file of this kind (bad magic)"));
    }
    let crc = u32::from_le_bytes(data[12..16].try_into().expect("4 bytes"));
    if crc != crc32c::crc32c(&data[..12]) {
        return Err(damaged(file, 12, "header checksum mismatch"));
    }
    let version = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(damaged(file, 8, format!("unknown format version {version} (this build reads {FORMAT_VERSION})")));
    }
    Ok(())
}

/// Appends a frame whose payload `fill` writes, without a copy.
pub(crate) fn frame_with(out: &mut Vec<u8>, fill: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEAD]);
    fill(out);
    let len = (out.len() - start - FRAME_HEAD) as u32;
    let crc = crc32c::crc32c(&out[start + FRAME_HEAD..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// What reading the next frame found.
pub(crate) enum Next<'a> {
    /// A whole, intact frame: its payload and its offset in the file.
    Frame(&'a [u8], usize),
    /// The end of the data, exactly at a frame boundary.
    End,
    /// An incomplete frame at the end (a write cut short), or only zeros
    /// from here to the end (space the file system extended but never
    /// filled): the data is valid up to `offset`.
    Torn(usize),
}

/// Reads frames from the whole contents of `file` after its header.
pub(crate) struct Frames<'a> {
    file: &'a Path,
    data: &'a [u8],
    pos: usize,
}

impl<'a> Frames<'a> {
    /// Frames of `data` (the whole file, header checked by the caller).
    pub(crate) fn new(file: &'a Path, data: &'a [u8]) -> Self {
        Frames { file, data, pos: HEADER_LEN }
    }

    /// The next frame; a checksum mismatch or an impossible length on a
    /// complete frame is damage, an error naming the file and offset.
    pub(crate) fn next_frame(&mut self) -> Result<Next<'a>> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return Ok(Next::End);
        }
        if rest.len() < FRAME_HEAD || rest.iter().all(|&b| b == 0) {
            return Ok(Next::Torn(self.pos));
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        if len > MAX_FRAME {
            return Err(damaged(self.file, self.pos, format!("impossible frame length {len}")));
        }
        if rest.len() - FRAME_HEAD < len {
            return Ok(Next::Torn(self.pos));
        }
        let payload = &rest[FRAME_HEAD..FRAME_HEAD + len];
        if crc32c::crc32c(payload) != crc {
            return Err(damaged(self.file, self.pos, "frame checksum mismatch"));
        }
        let at = self.pos;
        self.pos += FRAME_HEAD + len;
        Ok(Next::Frame(payload, at))
    }
}

/// Little-endian and length-prefixed field writers.
pub(crate) trait Put {
    /// A byte.
    fn u8(&mut self, v: u8);
    /// A LEB128 unsigned integer.
    fn var(&mut self, v: u64);
    /// A u64, 8 bytes.
    fn u64(&mut self, v: u64);
    /// An f64, 8 bytes.
    fn f64(&mut self, v: f64);
    /// A length-prefixed byte string.
    fn bytes(&mut self, v: &[u8]);
    /// An optional string: 0, or 1 and the string.
    fn opt_str(&mut self, v: Option<&str>);
}

impl Put for Vec<u8> {
    fn u8(&mut self, v: u8) {
        self.push(v);
    }
    fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }
    fn u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.var(v.len() as u64);
        self.extend_from_slice(v);
    }
    fn opt_str(&mut self, v: Option<&str>) {
        match v {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.bytes(s.as_bytes());
            }
        }
    }
}

/// A reader of the fields [`Put`] writes; every read checks bounds and
/// reports malformed data as a message (the caller adds file and offset).
pub(crate) struct Get<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A malformed payload: what is wrong.
pub(crate) type Malformed = String;

impl<'a> Get<'a> {
    /// Reads `data` from its start.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Get { data, pos: 0 }
    }

    /// Whether every byte was read.
    pub(crate) fn done(&self) -> bool {
        self.pos == self.data.len()
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), Malformed> {
        if self.done() { Ok(()) } else { Err(format!("{} trailing bytes", self.data.len() - self.pos)) }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.data.len() - self.pos < n {
            return Err(format!("field of {n} bytes runs past the end"));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    /// A LEB128 unsigned integer.
    pub(crate) fn var(&mut self) -> Result<u64, Malformed> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("integer longer than 10 bytes".into())
    }

    /// A length or count, bounded by the bytes left (each item takes one at least).
    pub(crate) fn len(&mut self) -> Result<usize, Malformed> {
        let n = self.var()?;
        if n > (self.data.len() - self.pos) as u64 {
            return Err(format!("length {n} exceeds the {} bytes left", self.data.len() - self.pos));
        }
        Ok(n as usize)
    }

    /// A u64, 8 bytes.
    pub(crate) fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    /// An f64, 8 bytes.
    pub(crate) fn f64(&mut self) -> Result<f64, Malformed> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.len()?;
        self.take(n)
    }

    /// A length-prefixed UTF-8 string.
    pub(crate) fn str(&mut self) -> Result<&'a str, Malformed> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "invalid UTF-8 in a name".to_string())
    }

    /// An optional string.
    pub(crate) fn opt_str(&mut self) -> Result<Option<&'a str>, Malformed> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.str()?)),
            t => Err(format!("bad option tag {t}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_bounds_are_checked() {
        let mut b = Vec::new();
        b.var(300);
        b.u64(7);
        b.f64(-1.5);
        b.bytes(b"abc");
        b.opt_str(Some("x"));
        b.opt_str(None);
        let mut g = Get::new(&b);
        assert_eq!(g.var().unwrap(), 300);
        assert_eq!(g.u64().unwrap(), 7);
        assert_eq!(g.f64().unwrap(), -1.5);
        assert_eq!(g.bytes().unwrap(), b"abc");
        assert_eq!(g.opt_str().unwrap(), Some("x"));
        assert_eq!(g.opt_str().unwrap(), None);
        assert!(g.finish().is_ok());
        assert!(Get::new(&[0xff; 3]).var().is_err());
        assert!(Get::new(&[5, 1]).bytes().is_err());
    }

    #[test]
    fn frames_detect_torn_tails_and_damage() {
        let p = Path::new("f");
        let mut data = header(b"KVGTEST\0").to_vec();
        frame_with(&mut data, |o| o.extend_from_slice(b"one"));
        frame_with(&mut data, |o| o.extend_from_slice(b"two"));
        check_header(p, &data, b"KVGTEST\0").unwrap();
        let mut f = Frames::new(p, &data);
        assert!(matches!(f.next_frame().unwrap(), Next::Frame(b"one", 16)));
        assert!(matches!(f.next_frame().unwrap(), Next::Frame(b"two", 27)));
        assert!(matches!(f.next_frame().unwrap(), Next::End));
        let cut = &data[..data.len() - 1];
        let mut f = Frames::new(p, cut);
        f.next_frame().unwrap();
        assert!(matches!(f.next_frame().unwrap(), Next::Torn(27)));
        let mut flipped = data.clone();
        flipped[26] ^= 1;
        let err = Frames::new(p, &flipped).next_frame().err().unwrap();
        assert!(err.message().contains("offset 16"), "{err}");
        let mut v2 = data.clone();
        v2[8] = FORMAT_VERSION as u8 + 1;
        let crc = crc32c::crc32c(&v2[..12]);
        v2[12..16].copy_from_slice(&crc.to_le_bytes());
        assert!(
            check_header(p, &v2, b"KVGTEST\0")
                .unwrap_err()
                .message()
                .contains(&format!("unknown format version {}", FORMAT_VERSION + 1))
        );
    }
}
