//! Hash commands: each field is its own record (see `store`).

use super::keys::{random_u64, resume, scan_options, scan_reply};
use super::{CmdResult, Ctx, arity_error, float, int, parse_f64, parse_i64};
use crate::frame::format_double;
use crate::store::{HashMeta, Kind, Store};
use std::ops::ControlFlow;

fn hset_pairs(ctx: &mut Ctx, args: &[Vec<u8>], name: &str) -> Result<i64, super::Error> {
    if !args.len().is_multiple_of(2) {
        return Err(arity_error(name));
    }
    let store = &ctx.srv.store;
    let key = &args[1];
    let (mut meta, at) = store.hash_or_new(key)?;
    let mut added = 0;
    for fv in args[2..].chunks(2) {
        added += store.hset(key, meta, at, &fv[0], &fv[1]) as i64;
    }
    meta.len += added as u64;
    store.put_hash(key, meta, at);
    Ok(added)
}

pub fn hset(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = hset_pairs(ctx, args, "hset")?;
    ctx.out.int(n);
    Ok(())
}

pub fn hmset(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    hset_pairs(ctx, args, "hmset")?;
    ctx.out.ok();
    Ok(())
}

pub fn hsetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let (meta, at) = store.hash_or_new(&args[1])?;
    let fresh = meta.len == 0 || store.hget(&args[1], meta, &args[2]).is_none();
    if fresh {
        store.hset(&args[1], meta, at, &args[2], &args[3]);
        store.put_hash(&args[1], HashMeta { len: meta.len + 1, ..meta }, at);
    }
    ctx.out.int(fresh as i64);
    Ok(())
}

pub fn hget(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let v = store.hash(&args[1])?.and_then(|(m, _)| store.hget(&args[1], m, &args[2]));
    ctx.out.opt_bulk(v.as_deref());
    Ok(())
}

pub fn hmget(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let meta = store.hash(&args[1])?;
    ctx.out.array(args.len() - 2);
    for f in &args[2..] {
        let v = meta.and_then(|(m, _)| store.hget(&args[1], m, f));
        ctx.out.opt_bulk(v.as_deref());
    }
    Ok(())
}

/// Fields and values of a hash, in field order.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn all(ctx: &Ctx, key: &[u8]) -> Result<Pairs, super::Error> {
    let store = &ctx.srv.store;
    Ok(store.hash(key)?.map(|(m, _)| store.hall(key, m)).unwrap_or_default())
}

pub fn hgetall(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let pairs = all(ctx, &args[1])?;
    ctx.out.map(pairs.len());
    for (f, v) in &pairs {
        ctx.out.bulk(f);
        ctx.out.bulk(v);
    }
    Ok(())
}

pub fn hkeys(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let pairs = all(ctx, &args[1])?;
    ctx.out.bulk_array(pairs.iter().map(|(f, _)| f.as_slice()));
    Ok(())
}

pub fn hvals(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let pairs = all(ctx, &args[1])?;
    ctx.out.bulk_array(pairs.iter().map(|(_, v)| v.as_slice()));
    Ok(())
}

pub fn hdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let Some((mut meta, at)) = store.hash(&args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = args[2..].iter().filter(|f| store.hdel(&args[1], meta, f)).count();
    if removed > 0 {
        meta.len = meta.len.saturating_sub(removed as u64);
        store.put_hash(&args[1], meta, at);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

pub fn hexists(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let found = store.hash(&args[1])?.is_some_and(|(m, _)| store.hget(&args[1], m, &args[2]).is_some());
    ctx.out.int(found as i64);
    Ok(())
}

pub fn hlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = ctx.srv.store.hash(&args[1])?.map_or(0, |(m, _)| m.len);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn hstrlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let n = store.hash(&args[1])?.and_then(|(m, _)| store.hget(&args[1], m, &args[2])).map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// Replaces field `args[2]` by `f(old value)`, creating hash and field as needed.
fn hupdate(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    f: impl FnOnce(Option<&[u8]>) -> Result<Vec<u8>, super::Error>,
) -> Result<Vec<u8>, super::Error> {
    let store: &Store = &ctx.srv.store;
    let (meta, at) = store.hash_or_new(&args[1])?;
    let old = if meta.len == 0 { None } else { store.hget(&args[1], meta, &args[2]) };
    let new = f(old.as_deref())?;
    store.hset(&args[1], meta, at, &args[2], &new);
    store.put_hash(&args[1], HashMeta { len: meta.len + old.is_none() as u64, ..meta }, at);
    Ok(new)
}

pub fn hincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let delta = int(&args[3])?;
    let mut result = 0;
    hupdate(ctx, args, |old| {
        let n = old.map_or(Some(0), parse_i64).ok_or("ERR hash value is not an integer")?;
        result = n.checked_add(delta).ok_or("ERR increment or decrement would overflow")?;
        Ok(itoa::Buffer::new().format(result).as_bytes().to_vec())
    })?;
    ctx.out.int(result);
    Ok(())
}

pub fn hincrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let delta = float(&args[3])?;
    if !delta.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    let new = hupdate(ctx, args, |old| {
        let n = old.map_or(Some(0.0), parse_f64).ok_or("ERR hash value is not a float")? + delta;
        if !n.is_finite() {
            return Err("ERR increment would produce NaN or Infinity".into());
        }
        Ok(format_double(n).into_bytes())
    })?;
    ctx.out.bulk(&new);
    Ok(())
}

pub fn hscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    scan_collection(ctx, args, Kind::Hash)
}

/// `HSCAN`/`SSCAN key cursor [MATCH p] [COUNT n] [NOVALUES]` over the
/// element records of a hash or set (sets reply members only).
pub fn scan_collection(ctx: &mut Ctx, args: &[Vec<u8>], kind: Kind) -> CmdResult {
    let allow = if kind == Kind::Hash { "novalues" } else { "" };
    let (cursor, o) = scan_options(&args[2], &args[3..], allow)?;
    let store = &ctx.srv.store;
    let meta = store.coll(&args[1], kind)?;
    let (Some((meta, _)), Ok(after)) = (meta, resume(ctx, cursor)) else {
        scan_reply(ctx, None, &[]);
        return Ok(());
    };
    let values = kind == Kind::Hash && !o.no_values;
    let (mut seen, mut items, mut last) = (0, Vec::new(), None);
    store.hvisit(&args[1], meta, after.as_deref(), |f, v| {
        seen += 1;
        if o.pattern.as_ref().is_none_or(|g| g.matches(f)) {
            items.push(f.to_vec());
            if values {
                items.push(v.to_vec());
            }
        }
        if seen == o.count {
            last = Some(f.to_vec());
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    scan_reply(ctx, last, &items);
    Ok(())
}

pub fn hrandfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let with_values = match args.len() {
        2 | 3 => false,
        4 if super::is(&args[3], "withvalues") => true,
        _ => return Err(super::SYNTAX.into()),
    };
    let count = args.get(2).map(|c| int(c)).transpose()?;
    if let Some(c) = count
        && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c)
    {
        return Err("ERR value is out of range".into());
    }
    let pairs = all(ctx, &args[1])?;
    let Some(count) = count else {
        let pick = (!pairs.is_empty()).then(|| &pairs[(random_u64() % pairs.len() as u64) as usize].0[..]);
        ctx.out.opt_bulk(pick);
        return Ok(());
    };
    let picks: Vec<&(Vec<u8>, Vec<u8>)> = random_picks(pairs.len(), count).into_iter().map(|i| &pairs[i]).collect();
    let out = &mut *ctx.out;
    if with_values && out.resp3 {
        out.array(picks.len());
        for (f, v) in picks {
            out.array(2);
            out.bulk(f);
            out.bulk(v);
        }
    } else if with_values {
        out.array(picks.len() * 2);
        for (f, v) in picks {
            out.bulk(f);
            out.bulk(v);
        }
    } else {
        out.bulk_array(picks.into_iter().map(|(f, _)| f.as_slice()));
    }
    Ok(())
}

/// Indexes into `n` items as `HRANDFIELD`/`SRANDMEMBER` pick them: `count`
/// distinct ones (at most `n`) when positive, `|count|` with repeats when
/// negative (a partial Fisher-Yates shuffle, or independent draws).
pub fn random_picks(n: usize, count: i64) -> Vec<usize> {
    if n == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        return (0..count.unsigned_abs()).map(|_| (random_u64() % n as u64) as usize).collect();
    }
    let mut idx: Vec<usize> = (0..n).collect();
    let k = (count as usize).min(n);
    for i in 0..k {
        let j = i + (random_u64() % (n - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx
}
