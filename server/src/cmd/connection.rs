//! Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET, CLIENT.

use super::{CmdResult, Ctx, arity_error, int, is};
use crate::server::Server;
use std::fmt::Write;

pub fn ping(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&args[1]),
        _ => return Err(arity_error("ping")),
    }
    Ok(())
}

pub fn echo(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

pub fn quit(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    ctx.out.ok();
    ctx.sess.closing = true;
    Ok(())
}

/// Checks `user`/`password` against the default user, in constant time
/// in the password's bytes.
fn check_password(srv: &Server, user: &[u8], password: &[u8]) -> bool {
    let config = srv.config.read();
    if user != b"default" {
        return false;
    }
    match &config.requirepass {
        None => true,
        Some(pw) => {
            let diff = pw.iter().zip(password).fold(0u8, |d, (a, b)| d | (a ^ b));
            diff == 0 && pw.len() == password.len()
        }
    }
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

pub fn auth(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (user, pass) = match args {
        [_, pass] => {
            if ctx.srv.config.read().requirepass.is_none() {
                return Err("ERR AUTH <password> called without any password configured for the default user. \
                            Are you sure your configuration is correct?"
                    .into());
            }
            (&b"default"[..], pass)
        }
        [_, user, pass] => (&user[..], pass),
        _ => return Err(super::SYNTAX.into()),
    };
    if !check_password(ctx.srv, user, pass) {
        return Err(WRONGPASS.into());
    }
    ctx.sess.authenticated = true;
    ctx.out.ok();
    Ok(())
}

pub fn hello(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let mut proto = if ctx.out.resp3 { 3 } else { 2 };
    let mut i = 1;
    if let Some(v) = args.get(1) {
        proto = super::parse_i64(v).ok_or("ERR Protocol version is not an integer or out of range")?;
        if !(2..=3).contains(&proto) {
            return Err("NOPROTO unsupported protocol version".into());
        }
        i = 2;
    }
    let mut name = None;
    while i < args.len() {
        if is(&args[i], "auth") && i + 2 < args.len() {
            if !check_password(ctx.srv, &args[i + 1], &args[i + 2]) {
                return Err(WRONGPASS.into());
            }
            ctx.sess.authenticated = true;
            i += 3;
        } else if is(&args[i], "setname") && i + 1 < args.len() {
            name = Some(valid_name(&args[i + 1])?);
            i += 2;
        } else {
            return Err(format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(&args[i])).into());
        }
    }
    if !ctx.sess.authenticated {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> \
                    AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol \
                    version at the same time"
            .into());
    }
    ctx.out.resp3 = proto == 3;
    let id = ctx.sess.id;
    ctx.srv.update_client(id, |c| {
        c.resp = proto as u8;
        if let Some(n) = name {
            c.name = n;
        }
    });
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::cmd::admin::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(proto);
    out.bulk(b"id");
    out.int(id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

pub fn select(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    if int(&args[1])? != 0 {
        return Err("ERR DB index is out of range".into());
    }
    ctx.out.ok();
    Ok(())
}

pub fn reset(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    ctx.sess.end_multi();
    ctx.sess.authenticated = ctx.srv.config.read().requirepass.is_none();
    ctx.out.resp3 = false;
    ctx.srv.update_client(ctx.sess.id, |c| {
        c.name.clear();
        c.resp = 2;
    });
    ctx.out.simple("RESET");
    Ok(())
}

fn valid_name(name: &[u8]) -> Result<Vec<u8>, super::Error> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.".into());
    }
    Ok(name.to_vec())
}

fn client_line(srv: &Server, id: u64, line: &mut String) {
    let clients = srv.clients.lock();
    let Some(c) = clients.get(&id) else { return };
    let _ = writeln!(
        line,
        "id={id} addr={} laddr={} fd=0 name={} age={} idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 \
         qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=0 omem=0 tot-mem=0 events=r user=default redir=-1 \
         resp={} lib-name={} lib-ver={}",
        c.addr,
        c.laddr,
        String::from_utf8_lossy(&c.name),
        c.since.elapsed().as_secs(),
        c.resp,
        String::from_utf8_lossy(&c.lib_name),
        String::from_utf8_lossy(&c.lib_ver),
    );
}

pub fn client(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let id = ctx.sess.id;
    match (sub.as_str(), args.len()) {
        ("setname", 3) => {
            let name = valid_name(&args[2])?;
            ctx.srv.update_client(id, |c| c.name = name);
            ctx.out.ok();
        }
        ("getname", 2) => {
            let name = ctx.srv.clients.lock().get(&id).map(|c| c.name.clone()).unwrap_or_default();
            ctx.out.opt_bulk((!name.is_empty()).then_some(&name[..]));
        }
        ("id", 2) => ctx.out.int(id as i64),
        ("setinfo", 4) => {
            let value = valid_name(&args[3])
                .map_err(|_| "ERR lib-name or lib-ver cannot contain spaces, newlines or special characters.")?;
            if is(&args[2], "lib-name") {
                ctx.srv.update_client(id, |c| c.lib_name = value);
            } else if is(&args[2], "lib-ver") {
                ctx.srv.update_client(id, |c| c.lib_ver = value);
            } else {
                return Err(format!("ERR Unrecognized option '{}'", String::from_utf8_lossy(&args[2])).into());
            }
            ctx.out.ok();
        }
        ("info", 2) => {
            let mut line = String::new();
            client_line(ctx.srv, id, &mut line);
            ctx.out.verbatim(line.as_bytes());
        }
        ("list", _) => {
            let ids: Vec<u64> = if args.len() >= 4 && is(&args[2], "id") {
                args[3..].iter().map(|a| super::int(a).map(|n| n as u64)).collect::<Result<_, _>>()?
            } else {
                ctx.srv.clients.lock().keys().copied().collect()
            };
            let mut text = String::new();
            for i in ids {
                client_line(ctx.srv, i, &mut text);
            }
            ctx.out.verbatim(text.as_bytes());
        }
        ("no-evict" | "no-touch", 3) => ctx.out.ok(),
        ("setname" | "getname" | "id" | "setinfo" | "info" | "no-evict" | "no-touch", _) => {
            return Err(format!("ERR wrong number of arguments for 'client|{sub}' command").into());
        }
        _ => {
            return Err(
                format!("ERR unknown subcommand '{}'. Try CLIENT HELP.", String::from_utf8_lossy(&args[1])).into()
            );
        }
    }
    Ok(())
}
