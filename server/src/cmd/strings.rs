//! String and counter commands.

use super::{CmdResult, Ctx, Error, SYNTAX, float, int, is, parse_f64, parse_i64};
use crate::frame::format_double;
use crate::store::WRONGTYPE;

/// An expiry option's absolute time (Unix ms) from its unit word and value,
/// or Redis's error for `cmd`.
pub fn expiry_at(now: u64, unit: &[u8], value: &[u8], cmd: &str) -> Result<u64, Error> {
    let n = int(value)?;
    let invalid = || Error::from(format!("ERR invalid expire time in '{cmd}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let ms = if is(unit, "ex") || is(unit, "exat") { n.checked_mul(1000).ok_or_else(invalid)? } else { n };
    if is(unit, "ex") || is(unit, "px") {
        (now as i64).checked_add(ms).map(|t| t as u64).ok_or_else(invalid)
    } else {
        Ok(ms as u64)
    }
}

pub fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let out = &mut *ctx.out;
    match ctx.srv.store.with_str(&args[1], |v| out.bulk(v))? {
        Some(()) => {}
        None => out.null(),
    }
    Ok(())
}

pub fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let (mut nx, mut xx, mut get, mut keepttl, mut expiry) = (false, false, false, false, None);
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        if is(a, "nx") && !xx {
            nx = true;
        } else if is(a, "xx") && !nx {
            xx = true;
        } else if is(a, "get") {
            get = true;
        } else if is(a, "keepttl") && expiry.is_none() {
            keepttl = true;
        } else if ["ex", "px", "exat", "pxat"].iter().any(|u| is(a, u)) && !keepttl && expiry.is_none() {
            let v = args.get(i + 1).ok_or(SYNTAX)?;
            expiry = Some(expiry_at(store.now_ms(), a, v, "set")?);
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let key = &args[1];
    let old = if get { Some(store.get_str(key)?) } else { None };
    let exists = match &old {
        Some(o) => o.is_some() || store.tag(key).is_some(),
        None if nx || xx => store.tag(key).is_some(),
        None => false,
    };
    let ok = !(nx && exists || xx && !exists);
    if ok {
        let at = match expiry {
            Some(at) => at,
            None if keepttl => store.lookup(key).map_or(0, |e| e.expires_at),
            None => 0,
        };
        store.set_str(key, &args[2], at);
    }
    match old {
        Some(o) => ctx.out.opt_bulk(o.as_deref()),
        None if ok => ctx.out.ok(),
        None => ctx.out.null(),
    }
    Ok(())
}

pub fn setnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let fresh = store.tag(&args[1]).is_none();
    if fresh {
        store.set_str(&args[1], &args[2], 0);
    }
    ctx.out.int(fresh as i64);
    Ok(())
}

fn set_expiring(ctx: &mut Ctx, args: &[Vec<u8>], unit: &str, cmd: &str) -> CmdResult {
    let store = &ctx.srv.store;
    let at = expiry_at(store.now_ms(), unit.as_bytes(), &args[2], cmd)?;
    store.set_str(&args[1], &args[3], at);
    ctx.out.ok();
    Ok(())
}

pub fn setex(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    set_expiring(ctx, args, "ex", "setex")
}

pub fn psetex(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    set_expiring(ctx, args, "px", "psetex")
}

pub fn getset(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let old = ctx.srv.store.get_str(&args[1])?;
    ctx.srv.store.set_str(&args[1], &args[2], 0);
    ctx.out.opt_bulk(old.as_deref());
    Ok(())
}

pub fn getdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let old = ctx.srv.store.get_str(&args[1])?;
    if old.is_some() {
        ctx.srv.store.delete(&args[1]);
    }
    ctx.out.opt_bulk(old.as_deref());
    Ok(())
}

pub fn getex(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let mut change: Option<u64> = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if is(a, "persist") && change.is_none() {
            change = Some(0);
        } else if ["ex", "px", "exat", "pxat"].iter().any(|u| is(a, u)) && change.is_none() {
            let v = args.get(i + 1).ok_or(SYNTAX)?;
            change = Some(expiry_at(store.now_ms(), a, v, "getex")?);
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let value = store.get_str(&args[1])?;
    if value.is_some()
        && let Some(at) = change
    {
        store.set_expiry(&args[1], at);
    }
    ctx.out.opt_bulk(value.as_deref());
    Ok(())
}

pub fn mget(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    ctx.out.array(args.len() - 1);
    for k in &args[1..] {
        let out = &mut *ctx.out;
        if ctx.srv.store.with_str(k, |v| out.bulk(v)).ok().flatten().is_none() {
            out.null();
        }
    }
    Ok(())
}

fn check_pairs(args: &[Vec<u8>], name: &str) -> CmdResult {
    if args.len().is_multiple_of(2) { Err(super::arity_error(name)) } else { Ok(()) }
}

pub fn mset(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    check_pairs(args, "mset")?;
    for kv in args[1..].chunks(2) {
        ctx.srv.store.set_str(&kv[0], &kv[1], 0);
    }
    ctx.out.ok();
    Ok(())
}

pub fn msetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    check_pairs(args, "msetnx")?;
    let store = &ctx.srv.store;
    if args[1..].chunks(2).any(|kv| store.tag(&kv[0]).is_some()) {
        ctx.out.int(0);
        return Ok(());
    }
    for kv in args[1..].chunks(2) {
        store.set_str(&kv[0], &kv[1], 0);
    }
    ctx.out.int(1);
    Ok(())
}

const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// The string at `key` with its expiry, `None` if absent.
fn string_entry(ctx: &Ctx, key: &[u8]) -> Result<Option<(Vec<u8>, u64)>, Error> {
    match ctx.srv.store.lookup(key) {
        None => Ok(None),
        Some(crate::store::Entry { value: crate::store::Value::Str(s), expires_at }) => Ok(Some((s, expires_at))),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

pub fn append(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (mut s, at) = string_entry(ctx, &args[1])?.unwrap_or_default();
    if s.len() + args[2].len() > ctx.srv.config.read().limits.max_bulk {
        return Err(TOO_BIG.into());
    }
    s.extend_from_slice(&args[2]);
    ctx.srv.store.set_str(&args[1], &s, at);
    ctx.out.int(s.len() as i64);
    Ok(())
}

pub fn strlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = ctx.srv.store.with_str(&args[1], <[u8]>::len)?.unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn getrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (start, end) = (int(&args[2])?, int(&args[3])?);
    let out = &mut *ctx.out;
    let found = ctx.srv.store.with_str(&args[1], |s| {
        let len = s.len() as i64;
        if start < 0 && end < 0 && start > end {
            return out.bulk(b"");
        }
        let (mut a, mut b) = (if start < 0 { len + start } else { start }, if end < 0 { len + end } else { end });
        a = a.max(0);
        b = b.max(0).min(len - 1);
        if len == 0 || a > b { out.bulk(b"") } else { out.bulk(&s[a as usize..=b as usize]) }
    })?;
    if found.is_none() {
        out.bulk(b"");
    }
    Ok(())
}

pub fn setrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let offset = int(&args[2])?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let value = &args[3];
    let entry = string_entry(ctx, &args[1])?;
    if value.is_empty() {
        ctx.out.int(entry.map_or(0, |(s, _)| s.len()) as i64);
        return Ok(());
    }
    let end = (offset as u64).saturating_add(value.len() as u64);
    if end > ctx.srv.config.read().limits.max_bulk as u64 {
        return Err(TOO_BIG.into());
    }
    let (mut s, at) = entry.unwrap_or_default();
    let (offset, end) = (offset as usize, end as usize);
    if s.len() < end {
        s.resize(end, 0);
    }
    s[offset..end].copy_from_slice(value);
    ctx.srv.store.set_str(&args[1], &s, at);
    ctx.out.int(s.len() as i64);
    Ok(())
}

fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> CmdResult {
    let (s, at) = string_entry(ctx, key)?.unwrap_or_else(|| (b"0".to_vec(), 0));
    let n = parse_i64(&s).ok_or("ERR value is not an integer or out of range")?;
    let n = n.checked_add(delta).ok_or("ERR increment or decrement would overflow")?;
    ctx.srv.store.set_str(key, itoa::Buffer::new().format(n).as_bytes(), at);
    ctx.out.int(n);
    Ok(())
}

pub fn incr(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    incr_by(ctx, &args[1], 1)
}

pub fn decr(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    incr_by(ctx, &args[1], -1)
}

pub fn incrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    incr_by(ctx, &args[1], int(&args[2])?)
}

pub fn decrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let d = int(&args[2])?;
    incr_by(ctx, &args[1], d.checked_neg().ok_or("ERR decrement would overflow")?)
}

pub fn incrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let delta = float(&args[2])?;
    let (s, at) = string_entry(ctx, &args[1])?.unwrap_or_else(|| (b"0".to_vec(), 0));
    let n = parse_f64(&s).ok_or("ERR value is not a valid float")? + delta;
    if !n.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let text = format_double(n);
    ctx.srv.store.set_str(&args[1], text.as_bytes(), at);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// `LCS a b [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`: longest common
/// subsequence by dynamic programming, O(|a|·|b|) time and memory.
pub fn lcs(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (mut len_only, mut idx, mut min_len, mut with_len) = (false, false, 0i64, false);
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "len") {
            len_only = true;
        } else if is(&args[i], "idx") {
            idx = true;
        } else if is(&args[i], "withmatchlen") {
            with_len = true;
        } else if is(&args[i], "minmatchlen") && i + 1 < args.len() {
            min_len = int(&args[i + 1])?.max(0);
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    if len_only && idx {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    let get = |k: &[u8]| -> Result<Vec<u8>, Error> {
        ctx.srv
            .store
            .get_str(k)
            .map(Option::unwrap_or_default)
            .map_err(|_| Error::from("ERR The specified keys must contain string values"))
    };
    let (a, b) = (get(&args[1])?, get(&args[2])?);
    if (a.len() as u128 + 1) * (b.len() as u128 + 1) > 1 << 28 {
        return Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into());
    }
    let w = b.len() + 1;
    let mut dp = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            dp[i * w + j] = if a[i - 1] == b[j - 1] {
                dp[(i - 1) * w + j - 1] + 1
            } else {
                dp[(i - 1) * w + j].max(dp[i * w + j - 1])
            };
        }
    }
    let total = dp[a.len() * w + b.len()];
    if len_only {
        ctx.out.int(total as i64);
        return Ok(());
    }
    // Walk back, collecting the subsequence and its matching ranges.
    let (mut i, mut j) = (a.len(), b.len());
    let mut seq = Vec::with_capacity(total as usize);
    let mut matches: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut current: Option<((usize, usize), (usize, usize))> = None;
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            seq.push(a[i - 1]);
            current = match current {
                Some(((s, ae), (t, be))) if s == i && t == j => Some(((i - 1, ae), (j - 1, be))),
                other => {
                    if let Some(m) = other {
                        matches.push(m);
                    }
                    Some(((i - 1, i - 1), (j - 1, j - 1)))
                }
            };
            i -= 1;
            j -= 1;
        } else if dp[(i - 1) * w + j] > dp[i * w + j - 1] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    if let Some(m) = current {
        matches.push(m);
    }
    if !idx {
        seq.reverse();
        ctx.out.bulk(&seq);
        return Ok(());
    }
    let kept: Vec<_> = matches.into_iter().filter(|((s, e), _)| (e - s + 1) as i64 >= min_len).collect();
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"matches");
    out.array(kept.len());
    for ((as_, ae), (bs, be)) in kept {
        out.array(if with_len { 3 } else { 2 });
        for (s, e) in [(as_, ae), (bs, be)] {
            out.array(2);
            out.int(s as i64);
            out.int(e as i64);
        }
        if with_len {
            out.int((ae - as_ + 1) as i64);
        }
    }
    out.bulk(b"len");
    out.int(total as i64);
    Ok(())
}

/// A bit offset argument: non-negative and within `proto-max-bulk-len` bytes.
fn bit_offset(ctx: &Ctx, arg: &[u8]) -> Result<usize, Error> {
    let max_bits = ctx.srv.config.read().limits.max_bulk as u64 * 8;
    parse_i64(arg)
        .filter(|n| *n >= 0 && (*n as u64) < max_bits)
        .map(|n| n as usize)
        .ok_or_else(|| "ERR bit offset is not an integer or out of range".into())
}

pub fn setbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(ctx, &args[2])?;
    let on = match &args[3][..] {
        b"0" => false,
        b"1" => true,
        _ => return Err("ERR bit is not an integer or out of range".into()),
    };
    let (mut s, at) = string_entry(ctx, &args[1])?.unwrap_or_default();
    let (byte, mask) = (offset / 8, 0x80u8 >> (offset % 8));
    if s.len() <= byte {
        s.resize(byte + 1, 0);
    }
    let old = s[byte] & mask != 0;
    if on {
        s[byte] |= mask
    } else {
        s[byte] &= !mask
    }
    ctx.srv.store.set_str(&args[1], &s, at);
    ctx.out.int(old as i64);
    Ok(())
}

pub fn getbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(ctx, &args[2])?;
    let bit =
        ctx.srv.store.with_str(&args[1], |s| s.get(offset / 8).is_some_and(|b| b & (0x80 >> (offset % 8)) != 0))?;
    ctx.out.int(bit.unwrap_or(false) as i64);
    Ok(())
}
