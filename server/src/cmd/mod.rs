//! The command table and dispatch: lookup, authentication, arity,
//! transaction queueing and locking, then one handler per command, in one
//! file per command family.

mod admin;
mod connection;
pub mod graph;
mod hashes;
mod keys;
mod lists;
mod scripting;
mod sets;
mod strings;
mod transactions;

use crate::frame::Reply;
use crate::server::{Server, Session};
use crate::store::Held;
use crate::striped::Counter;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A command's error reply (without the leading `-`).
pub type Error = Cow<'static, str>;
/// What a handler returns: its reply is in the context's output, or an error.
pub type CmdResult = Result<(), Error>;

/// Everything a handler may use.
pub struct Ctx<'a> {
    /// The server.
    pub srv: &'a Server,
    /// The client's connection state.
    pub sess: &'a mut Session,
    /// Where the reply goes.
    pub out: &'a mut Reply,
    /// Whether the keyspace is already held exclusively (inside `EXEC`).
    pub exclusive: bool,
}

/// A command handler; `args[0]` is the command name.
pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> CmdResult;

/// Flags of a command.
pub mod flag {
    /// Modifies the keyspace.
    pub const WRITE: u32 = 1;
    /// Allowed before authentication.
    pub const NO_AUTH: u32 = 2;
    /// Runs at once inside `MULTI` instead of being queued.
    pub const NO_QUEUE: u32 = 4;
    /// Holds the whole keyspace exclusively.
    pub const EXCLUSIVE: u32 = 8;
    /// Reads only one record: needs no key lock.
    pub const LOCK_FREE: u32 = 16;
    /// An administrative command.
    pub const ADMIN: u32 = 32;
    /// Refused inside `MULTI` (the transaction then aborts).
    pub const NO_MULTI: u32 = 64;
}

/// One command of the table.
pub struct Spec {
    /// Lower-case name.
    pub name: &'static str,
    /// Number of arguments with the name; negative: at least that many.
    pub arity: i32,
    /// [`flag`] bits.
    pub flags: u32,
    /// Position of the first key (0: none), of the last (negative: from
    /// the end), and the step between keys, as `COMMAND` reports them.
    pub keys: (i32, i32, i32),
    /// The handler.
    pub handler: Handler,
    /// Calls so far (`INFO commandstats`).
    pub calls: Counter,
}

impl Spec {
    const fn new(name: &'static str, arity: i32, flags: u32, keys: (i32, i32, i32), handler: Handler) -> Self {
        Spec { name, arity, flags, keys, handler, calls: Counter::new() }
    }

    /// The key arguments of `args`, by the key positions.
    pub fn key_args<'a>(&self, args: &'a [Vec<u8>]) -> impl Iterator<Item = &'a [u8]> {
        let (first, last, step) = self.keys;
        let n = args.len() as i32;
        let last = if last < 0 { n + last } else { last.min(n - 1) };
        let (first, step) = (first.max(0) as usize, step.max(1) as usize);
        let range = if first == 0 { 0..0 } else { first..(last + 1).max(first as i32) as usize };
        range.step_by(step).filter_map(move |i| args.get(i).map(Vec::as_slice))
    }

    fn arity_ok(&self, n: usize) -> bool {
        if self.arity >= 0 { n == self.arity as usize } else { n >= (-self.arity) as usize }
    }
}

use flag::*;
const NONE: (i32, i32, i32) = (0, 0, 0);
const ONE: (i32, i32, i32) = (1, 1, 1);
const ALL: (i32, i32, i32) = (1, -1, 1);

/// Every command, in family order.
pub static COMMANDS: [Spec; 114] = [
    // connection
    Spec::new("ping", -1, 0, NONE, connection::ping),
    Spec::new("echo", 2, 0, NONE, connection::echo),
    Spec::new("quit", -1, NO_AUTH | NO_QUEUE, NONE, connection::quit),
    Spec::new("hello", -1, NO_AUTH, NONE, connection::hello),
    Spec::new("auth", -2, NO_AUTH, NONE, connection::auth),
    Spec::new("select", 2, 0, NONE, connection::select),
    Spec::new("reset", 1, NO_QUEUE, NONE, connection::reset),
    Spec::new("client", -2, 0, NONE, connection::client),
    // strings and counters
    Spec::new("get", 2, LOCK_FREE, ONE, strings::get),
    Spec::new("set", -3, WRITE, ONE, strings::set),
    Spec::new("setnx", 3, WRITE, ONE, strings::setnx),
    Spec::new("setex", 4, WRITE, ONE, strings::setex),
    Spec::new("psetex", 4, WRITE, ONE, strings::psetex),
    Spec::new("getset", 3, WRITE, ONE, strings::getset),
    Spec::new("getdel", 2, WRITE, ONE, strings::getdel),
    Spec::new("getex", -2, WRITE, ONE, strings::getex),
    Spec::new("mget", -2, 0, ALL, strings::mget),
    Spec::new("mset", -3, WRITE, (1, -1, 2), strings::mset),
    Spec::new("msetnx", -3, WRITE, (1, -1, 2), strings::msetnx),
    Spec::new("append", 3, WRITE, ONE, strings::append),
    Spec::new("strlen", 2, LOCK_FREE, ONE, strings::strlen),
    Spec::new("getrange", 4, LOCK_FREE, ONE, strings::getrange),
    Spec::new("substr", 4, LOCK_FREE, ONE, strings::getrange),
    Spec::new("setrange", 4, WRITE, ONE, strings::setrange),
    Spec::new("incr", 2, WRITE, ONE, strings::incr),
    Spec::new("decr", 2, WRITE, ONE, strings::decr),
    Spec::new("incrby", 3, WRITE, ONE, strings::incrby),
    Spec::new("decrby", 3, WRITE, ONE, strings::decrby),
    Spec::new("incrbyfloat", 3, WRITE, ONE, strings::incrbyfloat),
    Spec::new("setbit", 4, WRITE, ONE, strings::setbit),
    Spec::new("getbit", 3, LOCK_FREE, ONE, strings::getbit),
    Spec::new("lcs", -3, 0, (1, 2, 1), strings::lcs),
    // keys and expiry
    Spec::new("del", -2, WRITE, ALL, keys::del),
    Spec::new("unlink", -2, WRITE, ALL, keys::del),
    Spec::new("exists", -2, 0, ALL, keys::exists),
    Spec::new("touch", -2, 0, ALL, keys::exists),
    Spec::new("type", 2, LOCK_FREE, ONE, keys::type_),
    Spec::new("rename", 3, WRITE, (1, 2, 1), keys::rename),
    Spec::new("renamenx", 3, WRITE, (1, 2, 1), keys::renamenx),
    Spec::new("copy", -3, WRITE, (1, 2, 1), keys::copy),
    Spec::new("expire", -3, WRITE, ONE, keys::expire),
    Spec::new("pexpire", -3, WRITE, ONE, keys::pexpire),
    Spec::new("expireat", -3, WRITE, ONE, keys::expireat),
    Spec::new("pexpireat", -3, WRITE, ONE, keys::pexpireat),
    Spec::new("ttl", 2, LOCK_FREE, ONE, keys::ttl),
    Spec::new("pttl", 2, LOCK_FREE, ONE, keys::pttl),
    Spec::new("expiretime", 2, LOCK_FREE, ONE, keys::expiretime),
    Spec::new("pexpiretime", 2, LOCK_FREE, ONE, keys::pexpiretime),
    Spec::new("persist", 2, WRITE, ONE, keys::persist),
    Spec::new("keys", 2, 0, NONE, keys::keys),
    Spec::new("scan", -2, 0, NONE, keys::scan),
    Spec::new("randomkey", 1, 0, NONE, keys::randomkey),
    Spec::new("dbsize", 1, 0, NONE, keys::dbsize),
    Spec::new("flushdb", -1, WRITE | EXCLUSIVE, NONE, keys::flush),
    Spec::new("flushall", -1, WRITE | EXCLUSIVE, NONE, keys::flush),
    Spec::new("object", -2, 0, (2, 2, 1), keys::object),
    // hashes
    Spec::new("hset", -4, WRITE, ONE, hashes::hset),
    Spec::new("hmset", -4, WRITE, ONE, hashes::hmset),
    Spec::new("hsetnx", 4, WRITE, ONE, hashes::hsetnx),
    Spec::new("hget", 3, 0, ONE, hashes::hget),
    Spec::new("hmget", -3, 0, ONE, hashes::hmget),
    Spec::new("hgetall", 2, 0, ONE, hashes::hgetall),
    Spec::new("hkeys", 2, 0, ONE, hashes::hkeys),
    Spec::new("hvals", 2, 0, ONE, hashes::hvals),
    Spec::new("hdel", -3, WRITE, ONE, hashes::hdel),
    Spec::new("hexists", 3, 0, ONE, hashes::hexists),
    Spec::new("hlen", 2, 0, ONE, hashes::hlen),
    Spec::new("hstrlen", 3, 0, ONE, hashes::hstrlen),
    Spec::new("hincrby", 4, WRITE, ONE, hashes::hincrby),
    Spec::new("hincrbyfloat", 4, WRITE, ONE, hashes::hincrbyfloat),
    Spec::new("hscan", -3, 0, ONE, hashes::hscan),
    Spec::new("hrandfield", -2, 0, ONE, hashes::hrandfield),
    // sets
    Spec::new("sadd", -3, WRITE, ONE, sets::sadd),
    Spec::new("srem", -3, WRITE, ONE, sets::srem),
    Spec::new("smembers", 2, 0, ONE, sets::smembers),
    Spec::new("sismember", 3, 0, ONE, sets::sismember),
    Spec::new("smismember", -3, 0, ONE, sets::smismember),
    Spec::new("scard", 2, 0, ONE, sets::scard),
    Spec::new("srandmember", -2, 0, ONE, sets::srandmember),
    Spec::new("spop", -2, WRITE, ONE, sets::spop),
    Spec::new("sscan", -3, 0, ONE, sets::sscan),
    // lists
    Spec::new("lpush", -3, WRITE, ONE, lists::lpush),
    Spec::new("rpush", -3, WRITE, ONE, lists::rpush),
    Spec::new("lpushx", -3, WRITE, ONE, lists::lpushx),
    Spec::new("rpushx", -3, WRITE, ONE, lists::rpushx),
    Spec::new("lpop", -2, WRITE, ONE, lists::lpop),
    Spec::new("rpop", -2, WRITE, ONE, lists::rpop),
    Spec::new("llen", 2, 0, ONE, lists::llen),
    Spec::new("lindex", 3, 0, ONE, lists::lindex),
    Spec::new("lrange", 4, 0, ONE, lists::lrange),
    // transactions
    Spec::new("multi", 1, NO_QUEUE, NONE, transactions::multi),
    Spec::new("exec", 1, NO_QUEUE, NONE, transactions::exec),
    Spec::new("discard", 1, NO_QUEUE, NONE, transactions::discard),
    Spec::new("watch", -2, NO_QUEUE, ALL, transactions::watch),
    Spec::new("unwatch", 1, 0, NONE, transactions::unwatch),
    // scripting (redis-py's Lock scripts only)
    Spec::new("eval", -3, WRITE, NONE, scripting::eval),
    Spec::new("evalsha", -3, WRITE, NONE, scripting::evalsha),
    Spec::new("script", -2, 0, NONE, scripting::script),
    // admin
    Spec::new("info", -1, 0, NONE, admin::info),
    Spec::new("config", -2, ADMIN, NONE, admin::config),
    Spec::new("command", -1, 0, NONE, admin::command),
    Spec::new("time", 1, 0, NONE, admin::time),
    Spec::new("save", 1, ADMIN | NO_MULTI, NONE, admin::save),
    Spec::new("bgsave", -1, ADMIN, NONE, admin::bgsave),
    Spec::new("lastsave", 1, 0, NONE, admin::lastsave),
    Spec::new("function", -2, 0, NONE, admin::function),
    Spec::new("memory", -2, 0, (2, 2, 1), admin::memory),
    Spec::new("shutdown", -1, ADMIN | NO_MULTI, NONE, admin::shutdown),
    // graphs (FalkorDB's commands)
    Spec::new("graph.query", -3, 0, NONE, graph::query),
    Spec::new("graph.ro_query", -3, 0, NONE, graph::ro_query),
    Spec::new("graph.delete", 2, 0, NONE, graph::delete),
    Spec::new("graph.list", 1, 0, NONE, graph::list),
    Spec::new("graph.explain", 3, 0, NONE, graph::explain),
    Spec::new("graph.profile", 3, 0, NONE, graph::profile),
];

static BY_NAME: LazyLock<HashMap<&'static str, &'static Spec>> =
    LazyLock::new(|| COMMANDS.iter().map(|s| (s.name, s)).collect());

/// The command named `name` (any case).
pub fn lookup(name: &[u8]) -> Option<&'static Spec> {
    let mut lower = [0u8; 16];
    if name.len() > lower.len() {
        return None;
    }
    for (l, c) in lower.iter_mut().zip(name) {
        *l = c.to_ascii_lowercase();
    }
    BY_NAME.get(std::str::from_utf8(&lower[..name.len()]).ok()?).copied()
}

/// Redis's reply to an unknown command.
pub fn unknown_command(args: &[Vec<u8>]) -> String {
    let name = String::from_utf8_lossy(&args[0][..args[0].len().min(128)]).into_owned();
    // As Redis: arguments are listed while the list is under 128 bytes.
    let mut list = String::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push_str(&format!("'{}' ", String::from_utf8_lossy(&a[..a.len().min(room)])));
    }
    format!("ERR unknown command '{name}', with args beginning with: {list}")
}

/// Redis's reply to a wrong number of arguments.
pub fn arity_error(name: &str) -> Error {
    format!("ERR wrong number of arguments for '{name}' command").into()
}

/// Runs one request of a client: checks, queues inside `MULTI`, or locks
/// and executes it.
pub fn dispatch(srv: &Server, sess: &mut Session, out: &mut Reply, args: &[Vec<u8>]) {
    srv.stats.commands.incr();
    let Some(spec) = lookup(&args[0]) else {
        if !sess.authenticated {
            return out.error("NOAUTH Authentication required.");
        }
        sess.flag_multi_error();
        return out.error(&unknown_command(args));
    };
    if !sess.authenticated && spec.flags & NO_AUTH == 0 {
        return out.error("NOAUTH Authentication required.");
    }
    if !spec.arity_ok(args.len()) {
        sess.flag_multi_error();
        return out.error(&arity_error(spec.name));
    }
    if sess.multi.is_some() && spec.flags & NO_MULTI != 0 {
        sess.flag_multi_error();
        return out.error("ERR Command not allowed inside a transaction");
    }
    if let Some(queue) = &mut sess.multi
        && spec.flags & NO_QUEUE == 0
    {
        queue.push(args.to_vec());
        return out.simple("QUEUED");
    }
    run(&mut Ctx { srv, sess, out, exclusive: false }, spec, args);
}

/// Locks what `spec` needs (unless the context already holds everything)
/// and runs it, writing its reply or error.
pub fn run(ctx: &mut Ctx, spec: &Spec, args: &[Vec<u8>]) {
    spec.calls.incr();
    let store = &ctx.srv.store;
    let _held = if ctx.exclusive {
        Held::Nothing
    } else if spec.flags & EXCLUSIVE != 0 {
        store.lock_all()
    } else if spec.flags & LOCK_FREE != 0 || spec.keys.0 == 0 {
        Held::Nothing
    } else {
        store.lock_keys(spec.key_args(args))
    };
    let Some(p) = ctx.srv.persist.as_ref().filter(|_| spec.flags & WRITE != 0) else {
        if let Err(e) = (spec.handler)(ctx, args) {
            ctx.out.error(&e);
        }
        return;
    };
    // A durable write: refused once the log fails; its own reply replaced
    // by the error if the log failed while it ran (it then holds in memory
    // only, as Redis's writes do when its AOF fails).
    if let Err(e) = store.check_log() {
        return ctx.out.error(&misconf(&e));
    }
    let start = ctx.out.buf.len();
    // All the records the command writes are one log record: after a crash
    // the command is there whole or not at all (inside `EXEC`, the
    // transaction's group holds it). The key locks are held until it is
    // appended.
    let srv = ctx.srv;
    match srv.store.kv().write_group(|| (spec.handler)(ctx, args)) {
        Ok(Ok(())) => p.changed(1),
        Ok(Err(e)) => ctx.out.error(&e),
        Err(e) => ctx.out.error(&misconf(&e.to_string())),
    }
    ctx.sess.unsynced |= p.always;
    if let Err(e) = store.check_log() {
        ctx.out.buf.truncate(start);
        ctx.out.error(&misconf(&e));
    }
}

/// The error reply to a write that cannot be made durable.
pub fn misconf(why: &str) -> String {
    format!("MISCONF Errors writing to the append only file: {why}")
}

/// Parses a signed 64-bit integer argument.
pub fn int(arg: &[u8]) -> Result<i64, Error> {
    parse_i64(arg).ok_or(Cow::Borrowed("ERR value is not an integer or out of range"))
}

/// A canonical signed 64-bit decimal, as Redis's `string2ll` reads it.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) || s.starts_with("-0") {
        return None;
    }
    s.parse().ok()
}

/// Parses a float argument as Redis does (no NaN; `inf` allowed).
pub fn float(arg: &[u8]) -> Result<f64, Error> {
    parse_f64(arg).ok_or(Cow::Borrowed("ERR value is not a valid float"))
}

/// A float as Redis's `string2ld` reads it: no spaces, no NaN.
pub fn parse_f64(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_whitespace()) || s.ends_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let d: f64 = match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => s.parse().ok()?,
    };
    (!d.is_nan()).then_some(d)
}

/// Redis's reply to a syntax error.
pub const SYNTAX: &str = "ERR syntax error";

/// Whether `arg` equals `word` ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for s in &COMMANDS {
            assert_eq!(lookup(s.name.as_bytes()).map(|x| x.name), Some(s.name));
            assert_eq!(lookup(s.name.to_uppercase().as_bytes()).map(|x| x.name), Some(s.name));
        }
        assert!(lookup(b"nosuchcommand").is_none());
        let mset = lookup(b"mset").unwrap();
        let args: Vec<Vec<u8>> = ["mset", "a", "1", "b", "2"].iter().map(|s| s.as_bytes().to_vec()).collect();
        assert_eq!(mset.key_args(&args).collect::<Vec<_>>(), vec![&b"a"[..], b"b"]);
    }

    #[test]
    fn numbers_parse_as_redis_does() {
        assert_eq!(parse_i64(b"-12"), Some(-12));
        for bad in [&b"+1"[..], b"01", b" 1", b"", b"1.0", b"-0", b"9223372036854775808"] {
            assert_eq!(parse_i64(bad), None);
        }
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
    }
}
