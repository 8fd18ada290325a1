//! MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! `EXEC` holds the keyspace exclusively while it checks the watched keys
//! and runs the queue, so no other client's command runs in between; on a
//! durable server the queue's writes are logged as one record.

use super::{CmdResult, Ctx, lookup, misconf, run};
use crate::server::Watched;

pub fn multi(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    if ctx.sess.multi.is_some() {
        ctx.sess.flag_multi_error();
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.sess.multi = Some(Vec::new());
    ctx.out.ok();
    Ok(())
}

pub fn exec(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let Some(queue) = ctx.sess.multi.take() else { return Err("ERR EXEC without MULTI".into()) };
    if ctx.sess.multi_error {
        ctx.sess.end_multi();
        return Err("EXECABORT Transaction discarded because of previous errors.".into());
    }
    let store = &ctx.srv.store;
    let _all = store.lock_all();
    let touched =
        ctx.sess.watched.iter().any(|w| store.version(&w.key) != w.version || (w.live && store.tag(&w.key).is_none()));
    ctx.sess.end_multi();
    if touched {
        ctx.out.null_array();
        return Ok(());
    }
    let start = ctx.out.buf.len();
    ctx.out.array(queue.len());
    let mut inner = Ctx { srv: ctx.srv, sess: &mut *ctx.sess, out: &mut *ctx.out, exclusive: true };
    // The whole transaction's writes are one log record, appended before
    // the keyspace is released: after a crash it is there whole or not at
    // all, as Redis's AOF keeps a MULTI/EXEC block. If it cannot be
    // appended, the writes hold in memory only and the reply is the error.
    let logged = store.kv().write_group(|| {
        for args in &queue {
            // Queued commands were looked up when queued.
            if let Some(spec) = lookup(&args[0]) {
                run(&mut inner, spec, args);
            }
        }
    });
    if let Err(e) = logged {
        ctx.out.buf.truncate(start);
        return Err(misconf(&e.to_string()).into());
    }
    Ok(())
}

pub fn discard(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    if ctx.sess.multi.is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    ctx.sess.end_multi();
    ctx.out.ok();
    Ok(())
}

pub fn watch(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    if ctx.sess.multi.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    let store = &ctx.srv.store;
    for k in &args[1..] {
        let w = Watched { key: k.clone(), version: store.version(k), live: store.tag(k).is_some() };
        ctx.sess.watched.push(w);
    }
    ctx.out.ok();
    Ok(())
}

pub fn unwatch(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    ctx.sess.watched.clear();
    ctx.out.ok();
    Ok(())
}
