//! Set commands: each member is its own (empty-valued) record (see `store`).

use super::hashes::{random_picks, scan_collection};
use super::{CmdResult, Ctx, int};
use crate::store::{Kind, Meta};

fn members(ctx: &Ctx, key: &[u8]) -> Result<Vec<Vec<u8>>, super::Error> {
    let store = &ctx.srv.store;
    Ok(store
        .coll(key, Kind::Set)?
        .map(|(m, _)| store.hall(key, m).into_iter().map(|(f, _)| f).collect())
        .unwrap_or_default())
}

pub fn sadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let (mut meta, at) = store.coll_or_new(&args[1], Kind::Set)?;
    let added = args[2..].iter().filter(|m| store.hset(&args[1], meta, at, m, b"")).count();
    meta.len += added as u64;
    if added > 0 {
        store.put_hash(&args[1], meta, at);
    }
    ctx.out.int(added as i64);
    Ok(())
}

pub fn srem(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let store = &ctx.srv.store;
    let Some((mut meta, at)) = store.coll(&args[1], Kind::Set)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = args[2..].iter().filter(|m| store.hdel(&args[1], meta, m)).count();
    if removed > 0 {
        meta.len = meta.len.saturating_sub(removed as u64);
        store.put_hash(&args[1], meta, at);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

pub fn smembers(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let all = members(ctx, &args[1])?;
    ctx.out.set(all.len());
    for m in &all {
        ctx.out.bulk(m);
    }
    Ok(())
}

fn is_member(ctx: &Ctx, meta: Option<(Meta, u64)>, key: &[u8], m: &[u8]) -> bool {
    meta.is_some_and(|(meta, _)| ctx.srv.store.hget(key, meta, m).is_some())
}

pub fn sismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let meta = ctx.srv.store.coll(&args[1], Kind::Set)?;
    let found = is_member(ctx, meta, &args[1], &args[2]);
    ctx.out.int(found as i64);
    Ok(())
}

pub fn smismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let meta = ctx.srv.store.coll(&args[1], Kind::Set)?;
    let found: Vec<bool> = args[2..].iter().map(|m| is_member(ctx, meta, &args[1], m)).collect();
    ctx.out.array(found.len());
    for f in found {
        ctx.out.int(f as i64);
    }
    Ok(())
}

pub fn scard(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let n = ctx.srv.store.coll(&args[1], Kind::Set)?.map_or(0, |(m, _)| m.len);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn srandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let count = args.get(2).map(|c| int(c)).transpose()?;
    if args.len() > 3 {
        return Err(super::SYNTAX.into());
    }
    let all = members(ctx, &args[1])?;
    match count {
        None => {
            let pick = random_picks(all.len(), 1).first().map(|&i| &all[i][..]);
            ctx.out.opt_bulk(pick);
        }
        Some(c) => {
            let picks = random_picks(all.len(), c);
            ctx.out.bulk_array(picks.iter().map(|&i| all[i].as_slice()));
        }
    }
    Ok(())
}

pub fn spop(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let count = args.get(2).map(|c| int(c)).transpose()?;
    if args.len() > 3 || count.is_some_and(|c| c < 0) {
        return Err(if args.len() > 3 { super::SYNTAX } else { "ERR value is out of range, must be positive" }.into());
    }
    let store = &ctx.srv.store;
    let Some((mut meta, at)) = store.coll(&args[1], Kind::Set)? else {
        match count {
            None => ctx.out.null(),
            Some(_) => ctx.out.set(0),
        }
        return Ok(());
    };
    let all = members(ctx, &args[1])?;
    let picks = random_picks(all.len(), count.unwrap_or(1));
    for &i in &picks {
        store.hdel(&args[1], meta, &all[i]);
    }
    meta.len = meta.len.saturating_sub(picks.len() as u64);
    store.put_hash(&args[1], meta, at);
    match count {
        None => ctx.out.opt_bulk(picks.first().map(|&i| &all[i][..])),
        Some(_) => {
            ctx.out.set(picks.len());
            for &i in &picks {
                ctx.out.bulk(&all[i]);
            }
        }
    }
    Ok(())
}

pub fn sscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    scan_collection(ctx, args, Kind::Set)
}
