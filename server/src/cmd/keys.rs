//! Key and expiry commands, the keyspace walks (`KEYS`, `SCAN`) and flushes.

use super::{CmdResult, Ctx, Error, SYNTAX, int, is};
use crate::glob::Glob;
use crate::store::{Entry, Value};
use std::ops::ControlFlow;

pub fn del(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = args[1..].iter().filter(|k| ctx.srv.store.delete(k)).count();
    ctx.out.int(n as i64);
    Ok(())
}

/// `EXISTS` and `TOUCH`: how many of the keys (repeats counted) exist.
pub fn exists(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = args[1..].iter().filter(|k| ctx.srv.store.tag(k).is_some()).count();
    ctx.out.int(n as i64);
    Ok(())
}

pub fn type_(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    ctx.out.simple(ctx.srv.store.lookup(&args[1]).as_ref().map_or("none", Entry::type_name));
    Ok(())
}

fn rename_to(ctx: &mut Ctx, args: &[Vec<u8>], only_new: bool) -> Result<bool, Error> {
    let store = &ctx.srv.store;
    let entry = store.lookup(&args[1]).ok_or("ERR no such key")?;
    if args[1] == args[2] {
        return Ok(!only_new);
    }
    if only_new && store.tag(&args[2]).is_some() {
        return Ok(false);
    }
    store.copy_entry(&args[1], &entry, &args[2]);
    store.delete(&args[1]);
    Ok(true)
}

pub fn rename(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    rename_to(ctx, args, false)?;
    ctx.out.ok();
    Ok(())
}

pub fn renamenx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let done = rename_to(ctx, args, true)?;
    ctx.out.int(done as i64);
    Ok(())
}

pub fn copy(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "replace") {
            replace = true;
        } else if is(&args[i], "db") && i + 1 < args.len() {
            if int(&args[i + 1])? != 0 {
                return Err("ERR DB index is out of range".into());
            }
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let store = &ctx.srv.store;
    let done = match store.lookup(&args[1]) {
        _ if args[1] == args[2] => return Err("ERR source and destination objects are the same".into()),
        None => false,
        Some(_) if !replace && store.tag(&args[2]).is_some() => false,
        Some(entry) => {
            store.copy_entry(&args[1], &entry, &args[2]);
            true
        }
    };
    ctx.out.int(done as i64);
    Ok(())
}

/// `EXPIRE` and friends: `unit_ms` per unit of the argument, `absolute`
/// for the `…AT` forms.
fn expire_generic(ctx: &mut Ctx, args: &[Vec<u8>], unit_ms: i64, absolute: bool, name: &str) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in &args[3..] {
        match String::from_utf8_lossy(a).to_ascii_lowercase().as_str() {
            "nx" => nx = true,
            "xx" => xx = true,
            "gt" => gt = true,
            "lt" => lt = true,
            _ => return Err(format!("ERR Unsupported option {}", String::from_utf8_lossy(a)).into()),
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let store = &ctx.srv.store;
    let invalid = || Error::from(format!("ERR invalid expire time in '{name}' command"));
    let n = int(&args[2])?;
    let ms = n.checked_mul(unit_ms).ok_or_else(invalid)?;
    let now = store.now_ms() as i64;
    let at = if absolute { ms } else { now.checked_add(ms).ok_or_else(invalid)? };
    let Some(entry) = store.lookup(&args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = if entry.expires_at == 0 { i64::MAX } else { entry.expires_at as i64 };
    let refused = (nx && entry.expires_at != 0)
        || (xx && entry.expires_at == 0)
        || (gt && (entry.expires_at == 0 || at <= current))
        || (lt && at >= current);
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    if at <= now {
        store.delete(&args[1]);
    } else {
        store.set_expiry(&args[1], at as u64);
    }
    ctx.out.int(1);
    Ok(())
}

pub fn expire(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, args, 1000, false, "expire")
}

pub fn pexpire(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, args, 1, false, "pexpire")
}

pub fn expireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, args, 1000, true, "expireat")
}

pub fn pexpireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expire_generic(ctx, args, 1, true, "pexpireat")
}

/// -2 for an absent key, -1 for no expiry, else `f(expires_at, now)`.
fn expiry_reply(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(u64, u64) -> i64) -> CmdResult {
    let store = &ctx.srv.store;
    let now = store.now_ms();
    let n = match store.kv().expires_at(&crate::store::key_record(key)) {
        None => -2,
        Some(0) => -1,
        Some(at) => f(at, now),
    };
    ctx.out.int(n);
    Ok(())
}

pub fn ttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expiry_reply(ctx, &args[1], |at, now| ((at.saturating_sub(now) + 500) / 1000) as i64)
}

pub fn pttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expiry_reply(ctx, &args[1], |at, now| at.saturating_sub(now) as i64)
}

pub fn expiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expiry_reply(ctx, &args[1], |at, _| (at / 1000) as i64)
}

pub fn pexpiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    expiry_reply(ctx, &args[1], |at, _| at as i64)
}

pub fn persist(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let had = store.lookup(&args[1]).is_some_and(|e| e.expires_at != 0);
    if had {
        store.set_expiry(&args[1], 0);
    }
    ctx.out.int(had as i64);
    Ok(())
}

pub fn keys(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let glob = Glob::new(&args[1]);
    let mut found = Vec::new();
    ctx.srv.store.visit_keys(None, |k, _| {
        if glob.matches(k) {
            found.push(k.to_vec());
        }
        ControlFlow::Continue(())
    });
    ctx.out.bulk_array(found.iter().map(Vec::as_slice));
    Ok(())
}

/// The options of `SCAN`/`HSCAN` after the cursor.
pub struct ScanOptions {
    /// `MATCH` pattern.
    pub pattern: Option<Glob>,
    /// `COUNT`: entries examined per call.
    pub count: usize,
    /// `TYPE` (SCAN only).
    pub type_name: Option<String>,
    /// `NOVALUES` (HSCAN only).
    pub no_values: bool,
}

/// Parses a cursor and the scan options in `args`; `allow` names the
/// options beyond MATCH and COUNT this command takes.
pub fn scan_options(cursor: &[u8], args: &[Vec<u8>], allow: &str) -> Result<(u64, ScanOptions), Error> {
    let cursor = std::str::from_utf8(cursor).ok().and_then(|s| s.parse::<u64>().ok()).ok_or("ERR invalid cursor")?;
    let mut o = ScanOptions { pattern: None, count: 10, type_name: None, no_values: false };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let value = args.get(i + 1);
        if is(a, "match") && value.is_some() {
            o.pattern = Some(Glob::new(value.unwrap_or(a))).filter(|g| !g.is_match_all());
            i += 2;
        } else if is(a, "count") && value.is_some() {
            let n = int(value.unwrap_or(a))?;
            if n < 1 {
                return Err(SYNTAX.into());
            }
            o.count = n.min(1 << 20) as usize;
            i += 2;
        } else if is(a, "type") && allow == "type" && value.is_some() {
            let t = String::from_utf8_lossy(value.unwrap_or(a)).to_ascii_lowercase();
            if !["string", "list", "set", "zset", "hash", "stream"].contains(&t.as_str()) {
                return Err(format!("ERR unknown type name '{t}'").into());
            }
            o.type_name = Some(t);
            i += 2;
        } else if is(a, "novalues") && allow == "novalues" {
            o.no_values = true;
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((cursor, o))
}

/// Where a scan from `cursor` resumes: `Ok(None)` from the start,
/// `Err(())` for a cursor that is unknown (forgotten): the scan is over.
pub fn resume(ctx: &Ctx, cursor: u64) -> Result<Option<Vec<u8>>, ()> {
    if cursor == 0 { Ok(None) } else { ctx.srv.store.cursor(cursor).map(Some).ok_or(()) }
}

/// Writes a scan reply: the next cursor (0 when `last` is `None`) and items.
pub fn scan_reply(ctx: &mut Ctx, last: Option<Vec<u8>>, items: &[Vec<u8>]) {
    let next = last.map_or(0, |l| ctx.srv.store.save_cursor(l));
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.bulk_array(items.iter().map(Vec::as_slice));
}

pub fn scan(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (cursor, o) = scan_options(&args[1], &args[2..], "type")?;
    let Ok(after) = resume(ctx, cursor) else {
        scan_reply(ctx, None, &[]);
        return Ok(());
    };
    let (mut seen, mut items, mut last) = (0, Vec::new(), None);
    ctx.srv.store.visit_keys(after.as_deref(), |k, tag| {
        seen += 1;
        let type_ok = o.type_name.as_deref().is_none_or(|t| match tag {
            b's' => t == "string",
            b'h' => t == "hash",
            b't' => t == "set",
            b'l' => t == "list",
            _ => false,
        });
        if type_ok && o.pattern.as_ref().is_none_or(|g| g.matches(k)) {
            items.push(k.to_vec());
        }
        if seen == o.count {
            last = Some(k.to_vec());
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    scan_reply(ctx, last, &items);
    Ok(())
}

/// A pseudo-random u64 (xorshift, per thread, seeded from the clock).
pub fn random_u64() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

/// `RANDOMKEY`: up to 64 keys read from a random point of the key space
/// (wrapping round), one of them chosen uniformly: uniform for small key
/// spaces, near-uniform by position for large ones, O(log n) either way.
pub fn randomkey(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    const SAMPLE: usize = 64;
    let store = &ctx.srv.store;
    let start = random_u64().to_be_bytes();
    let mut sample: Vec<Vec<u8>> = Vec::with_capacity(SAMPLE);
    for after in [Some(&start[..]), None] {
        store.visit_keys(after, |k, _| {
            if sample.len() == SAMPLE || sample.first().is_some_and(|f| f == k) {
                return ControlFlow::Break(());
            }
            sample.push(k.to_vec());
            ControlFlow::Continue(())
        });
    }
    let pick = (!sample.is_empty()).then(|| &sample[(random_u64() % sample.len() as u64) as usize][..]);
    ctx.out.opt_bulk(pick);
    Ok(())
}

pub fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    ctx.out.int(ctx.srv.store.dbsize() as i64);
    Ok(())
}

/// `FLUSHDB` and `FLUSHALL` (`ASYNC`/`SYNC` accepted; both are synchronous).
pub fn flush(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    match &args[1..] {
        [] => {}
        [mode] if is(mode, "async") || is(mode, "sync") => {}
        _ => return Err(SYNTAX.into()),
    }
    ctx.srv.store.flush();
    ctx.out.ok();
    Ok(())
}

pub fn object(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    if sub == "help" {
        let lines = ["OBJECT <subcommand>", "ENCODING <key>", "FREQ <key>", "IDLETIME <key>", "REFCOUNT <key>"];
        ctx.out.bulk_array(lines.iter().map(|l| l.as_bytes()));
        return Ok(());
    }
    if args.len() != 3 {
        return Err(format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try OBJECT HELP.").into());
    }
    let Some(entry) = ctx.srv.store.lookup(&args[2]) else {
        ctx.out.null();
        return Ok(());
    };
    match sub.as_str() {
        "encoding" => ctx.out.bulk(match &entry.value {
            Value::Str(s) if s.len() <= 20 && super::parse_i64(s).is_some() => b"int",
            Value::Str(s) if s.len() <= 44 => b"embstr",
            Value::Str(_) => b"raw",
            Value::Coll(m) if m.len <= 128 => b"listpack",
            Value::Coll(m) if m.kind == crate::store::Kind::List => b"quicklist",
            Value::Coll(_) => b"hashtable",
        }),
        "refcount" => ctx.out.int(1),
        "idletime" => ctx.out.int(0),
        "freq" => {
            return Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that \
                        when switching between policies at runtime LRU and LFU data will take some time to adjust."
                .into());
        }
        _ => return Err(format!("ERR unknown subcommand '{sub}'. Try OBJECT HELP.").into()),
    }
    Ok(())
}
