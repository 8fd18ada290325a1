//! List commands: element `i` is the record at index `head + i` (see
//! `store::list_index`), so pushes and pops at either end are O(log n) and
//! `LRANGE`/`LINDEX` read only what they return.

use super::{CmdResult, Ctx, int};
use crate::store::{Kind, Meta, Store, list_index};

fn at(store: &Store, key: &[u8], meta: Meta, i: i64) -> Option<Vec<u8>> {
    store.hget(key, meta, &list_index(meta.head + i))
}

fn push(ctx: &mut Ctx, args: &[Vec<u8>], left: bool, only_existing: bool) -> CmdResult {
    let store = &ctx.srv.store;
    let (mut meta, exp) = store.coll_or_new(&args[1], Kind::List)?;
    if only_existing && meta.len == 0 {
        ctx.out.int(0);
        return Ok(());
    }
    for v in &args[2..] {
        let i = if left {
            meta.head -= 1;
            meta.head
        } else {
            meta.head + meta.len as i64
        };
        store.hset(&args[1], meta, exp, &list_index(i), v);
        meta.len += 1;
    }
    store.put_hash(&args[1], meta, exp);
    ctx.out.int(meta.len as i64);
    Ok(())
}

pub fn lpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    push(ctx, args, true, false)
}

pub fn rpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    push(ctx, args, false, false)
}

pub fn lpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    push(ctx, args, true, true)
}

pub fn rpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    push(ctx, args, false, true)
}

fn pop(ctx: &mut Ctx, args: &[Vec<u8>], left: bool) -> CmdResult {
    let count = match args.get(2) {
        None => None,
        Some(c) => Some(usize::try_from(int(c)?).map_err(|_| "ERR value is out of range, must be positive")?),
    };
    if args.len() > 3 {
        return Err(super::SYNTAX.into());
    }
    let store = &ctx.srv.store;
    let Some((mut meta, exp)) = store.coll(&args[1], Kind::List)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.null_array(),
        }
        return Ok(());
    };
    let n = count.unwrap_or(1).min(meta.len as usize);
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        let i = if left { meta.head } else { meta.head + meta.len as i64 - 1 };
        let idx = list_index(i);
        popped.push(store.hget(&args[1], meta, &idx).unwrap_or_default());
        store.hdel(&args[1], meta, &idx);
        if left {
            meta.head += 1;
        }
        meta.len -= 1;
    }
    store.put_hash(&args[1], meta, exp);
    match count {
        None => ctx.out.opt_bulk(popped.first().map(Vec::as_slice)),
        Some(_) => ctx.out.bulk_array(popped.iter().map(Vec::as_slice)),
    }
    Ok(())
}

pub fn lpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    pop(ctx, args, true)
}

pub fn rpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    pop(ctx, args, false)
}

pub fn llen(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = ctx.srv.store.coll(&args[1], Kind::List)?.map_or(0, |(m, _)| m.len);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn lindex(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let i = int(&args[2])?;
    let store = &ctx.srv.store;
    let v = store.coll(&args[1], Kind::List)?.and_then(|(m, _)| {
        let i = if i < 0 { m.len as i64 + i } else { i };
        (0..m.len as i64).contains(&i).then(|| at(store, &args[1], m, i)).flatten()
    });
    ctx.out.opt_bulk(v.as_deref());
    Ok(())
}

pub fn lrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (start, stop) = (int(&args[2])?, int(&args[3])?);
    let store = &ctx.srv.store;
    let Some((m, _)) = store.coll(&args[1], Kind::List)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let len = m.len as i64;
    let a = if start < 0 { (len + start).max(0) } else { start };
    let b = if stop < 0 { len + stop } else { stop.min(len - 1) };
    let items: Vec<Vec<u8>> =
        if a > b || a >= len { Vec::new() } else { (a..=b).filter_map(|i| at(store, &args[1], m, i)).collect() };
    ctx.out.bulk_array(items.iter().map(Vec::as_slice));
    Ok(())
}
