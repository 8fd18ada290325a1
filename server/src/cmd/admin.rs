//! Administrative commands: INFO, CONFIG, COMMAND, TIME, SAVE/BGSAVE,
//! LASTSAVE, FUNCTION FLUSH, SHUTDOWN.

use super::{COMMANDS, CmdResult, Ctx, Error, Spec, flag, is};
use crate::config::save_text;
use crate::glob::Glob;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

/// The Redis version this server reports (the command set it follows).
pub const REDIS_VERSION: &str = "7.2.0";

fn unix_now() -> std::time::Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

fn section(ctx: &Ctx, name: &str, text: &mut String) {
    let srv = ctx.srv;
    let _ = match name {
        "server" => {
            let c = srv.config.read();
            write!(
                text,
                "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_git_sha1:00000000\r\nkvgraph_version:{}\r\nredis_mode:standalone\r\n\
                 os:{}\r\narch_bits:64\r\nmultiplexing_api:tokio\r\nprocess_id:{}\r\ntcp_port:{}\r\n\
                 uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nexecutable:kvgraph-server\r\nconfig_file:{}\r\n\
                 io_threads_active:1\r\n",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::process::id(),
                c.port,
                srv.started.elapsed().as_secs(),
                srv.started.elapsed().as_secs() / 86400,
                c.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            )
        }
        "clients" => write!(
            text,
            "# Clients\r\nconnected_clients:{}\r\nunauthenticated_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n",
            srv.connected.load(Ordering::Relaxed),
            srv.unauthenticated.load(Ordering::Relaxed),
            srv.config.read().maxclients,
        ),
        "memory" => {
            let m = srv.store.engine().memory_stats();
            let rss = proc_rss();
            write!(
                text,
                "# Memory\r\nused_memory:{rss}\r\nused_memory_rss:{rss}\r\nmem_allocator:libc\r\n\
                 kvgraph_retired_bytes:{}\r\nkvgraph_pending_garbage_bytes:{}\r\n",
                m.retired_bytes,
                m.pending_bytes(),
            )
        }
        "persistence" => {
            text.push_str("# Persistence\r\nloading:0\r\nasync_loading:0\r\n");
            match &srv.persist {
                None => write!(
                    text,
                    "rdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\n\
                     rdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:-1\r\nrdb_saves:0\r\naof_enabled:0\r\n\
                     aof_rewrite_in_progress:0\r\naof_last_write_status:ok\r\nkvgraph_persistence:off\r\n",
                    unix_now().as_secs().saturating_sub(srv.started.elapsed().as_secs()),
                ),
                Some(p) => {
                    let c = srv.config.read();
                    let ok = |b: bool| if b { "ok" } else { "err" };
                    write!(
                        text,
                        "rdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\n\
                         rdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_saves:{}\r\naof_enabled:{}\r\n\
                         aof_rewrite_in_progress:0\r\naof_last_write_status:{}\r\nkvgraph_persistence:on\r\n\
                         kvgraph_dir:{}\r\nkvgraph_appendfsync:{}\r\nkvgraph_graphs:{}\r\n",
                        p.changes_since_save(),
                        u8::from(p.in_background()),
                        p.last_save(),
                        ok(p.last_ok()),
                        p.last_secs().map_or(-1, |s| s as i64),
                        p.saves(),
                        u8::from(c.appendonly),
                        ok(srv.store.check_log().is_ok()),
                        p.dir.display(),
                        c.appendfsync,
                        srv.graphs.len(),
                    )
                }
            }
        }
        "stats" => write!(
            text,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\n\
             evicted_keys:0\r\n",
            srv.stats.connections.load(Ordering::Relaxed),
            srv.stats.commands.get(),
            srv.stats.rejected.load(Ordering::Relaxed),
        ),
        "replication" => write!(text, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n"),
        "cpu" => {
            let (user, sys) = proc_cpu();
            write!(
                text,
                "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\n\
                 used_cpu_user_children:0.000000\r\n"
            )
        }
        "modules" => write!(text, "# Modules\r\n"),
        "errorstats" => write!(text, "# Errorstats\r\n"),
        "cluster" => write!(text, "# Cluster\r\ncluster_enabled:0\r\n"),
        "keyspace" => {
            let (n, expiring, avg_ttl) = srv.store.keyspace_stats();
            text.push_str("# Keyspace\r\n");
            if n > 0 {
                let _ = write!(text, "db0:keys={n},expires={expiring},avg_ttl={avg_ttl}\r\n");
            }
            Ok(())
        }
        "commandstats" => {
            text.push_str("# Commandstats\r\n");
            for s in &COMMANDS {
                let calls = s.calls.get();
                if calls > 0 {
                    let _ = write!(
                        text,
                        "cmdstat_{}:calls={calls},usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n",
                        s.name
                    );
                }
            }
            Ok(())
        }
        _ => Ok(()),
    };
}

pub fn info(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let mut wanted: Vec<String> = args[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    if wanted.is_empty() {
        wanted.push("default".into());
    }
    let mut names: Vec<&str> = Vec::new();
    for w in &wanted {
        match w.as_str() {
            "default" => names.extend(SECTIONS),
            "all" | "everything" => {
                names.extend(SECTIONS);
                names.push("commandstats");
            }
            other => {
                if let Some(s) = SECTIONS.iter().chain(["commandstats"].iter()).find(|s| **s == other) {
                    names.push(s);
                }
            }
        }
    }
    let mut seen = Vec::new();
    let mut text = String::new();
    for n in names {
        if !seen.contains(&n) {
            if !text.is_empty() {
                text.push_str("\r\n");
            }
            section(ctx, n, &mut text);
            seen.push(n);
        }
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// Resident memory of this process in bytes (Linux `/proc`; 0 elsewhere).
fn proc_rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// User and system CPU seconds of this process (Linux `/proc`, 100 ticks
/// a second; zeros elsewhere).
fn proc_cpu() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    (f.get(11).copied().unwrap_or(0.0) / 100.0, f.get(12).copied().unwrap_or(0.0) / 100.0)
}

/// Parameters `CONFIG GET` reports and `CONFIG SET` may change (`dir` is
/// reported, never changed at run time).
fn config_values(ctx: &Ctx) -> Vec<(String, String)> {
    let c = ctx.srv.config.read();
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let fixed = vec![
        ("port", c.port.to_string()),
        ("bind", c.bind.join(" ")),
        ("requirepass", c.requirepass.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default()),
        ("protected-mode", yes(c.protected_mode)),
        ("dir", std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default()),
        ("appendonly", yes(c.appendonly)),
        ("appendfsync", c.appendfsync.clone()),
        ("save", save_text(&ctx.srv.persist.as_ref().map_or_else(Vec::new, |p| p.rules.lock().clone()))),
        ("maxclients", c.maxclients.to_string()),
        ("io-threads", c.threads.to_string()),
        ("proto-max-bulk-len", c.limits.max_bulk.to_string()),
        ("client-query-buffer-limit", c.limits.max_query.to_string()),
        ("client-output-buffer-limit", format!("normal {} 0 0 replica 0 0 0 pubsub 0 0 0", c.output_limit)),
        ("databases", "1".into()),
        ("maxmemory", "0".into()),
        ("maxmemory-policy", "noeviction".into()),
        ("timeout", "0".into()),
        ("lazyfree-lazy-user-del", "no".into()),
        ("lazyfree-lazy-user-flush", "no".into()),
    ];
    let tunables = c.tunables.iter().map(|(k, v)| (k.clone(), v.clone()));
    fixed.into_iter().map(|(k, v)| (k.to_string(), v)).chain(tunables).collect()
}

pub fn config(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    match sub.as_str() {
        "get" if args.len() >= 3 => {
            let globs: Vec<Glob> = args[2..].iter().map(|a| Glob::new(&a.to_ascii_lowercase())).collect();
            let found: Vec<_> =
                config_values(ctx).into_iter().filter(|(n, _)| globs.iter().any(|g| g.matches(n.as_bytes()))).collect();
            ctx.out.map(found.len());
            for (n, v) in found {
                ctx.out.bulk(n.as_bytes());
                ctx.out.bulk(v.as_bytes());
            }
        }
        "set" if args.len() >= 4 && args.len().is_multiple_of(2) => {
            let mut next = ctx.srv.config.read().clone();
            let durable = ctx.srv.persist.is_some();
            let mut rules = None;
            for pair in args[2..].chunks(2) {
                let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                set_one(&mut next, durable, &name, &value).map_err(|why| {
                    Error::from(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"))
                })?;
                if name == "save" {
                    rules = next.save.clone();
                }
            }
            *ctx.srv.config.write() = next;
            if let (Some(p), Some(r)) = (&ctx.srv.persist, rules) {
                *p.rules.lock() = r;
            }
            ctx.out.ok();
        }
        "resetstat" if args.len() == 2 => {
            for s in &COMMANDS {
                s.calls.reset();
            }
            ctx.out.ok();
        }
        "rewrite" if args.len() == 2 => return Err("ERR CONFIG REWRITE is not available in this build".into()),
        "get" | "set" | "resetstat" | "rewrite" => {
            return Err(format!("ERR wrong number of arguments for 'config|{sub}' command").into());
        }
        _ => return Err(format!("ERR unknown subcommand '{sub}'. Try CONFIG HELP.").into()),
    }
    Ok(())
}

/// The `CONFIG SET` allow-list; `durable`: whether persistence is on.
/// Persistence cannot be switched on or off, nor the fsync policy changed,
/// at run time (the engines are opened at startup); the `save` rules can be.
fn set_one(c: &mut crate::config::Config, durable: bool, name: &str, value: &str) -> Result<(), String> {
    const FIXED: &str = "can't change persistence at run time: restart the server with the option";
    match name {
        "maxclients" => c.maxclients = value.parse().map_err(|_| "argument couldn't be parsed into an integer")?,
        "requirepass" => c.requirepass = (!value.is_empty()).then(|| value.as_bytes().to_vec()),
        "protected-mode" => c.apply(name, &[value.to_string()])?,
        "proto-max-bulk-len" | "client-query-buffer-limit" => c.apply(name, &[value.to_string()])?,
        "appendonly" => {
            let mut probe = c.clone();
            probe.apply(name, &[value.to_string()])?;
            if probe.appendonly != c.appendonly {
                return Err(FIXED.into());
            }
        }
        "save" => {
            let rules = crate::config::parse_save(&[value.to_string()])?;
            if !durable && !rules.is_empty() {
                return Err(FIXED.into());
            }
            c.save = Some(rules);
        }
        "appendfsync" => {
            let before = c.appendfsync.clone();
            c.apply(name, &[value.to_string()])?;
            if durable && c.appendfsync != before {
                return Err(FIXED.into());
            }
        }
        "client-output-buffer-limit" => {
            let words: Vec<String> = value.split_whitespace().map(String::from).collect();
            c.apply(name, &words)?
        }
        "lazyfree-lazy-user-del" | "lazyfree-lazy-user-flush" if value == "yes" || value == "no" => {}
        "dir" | "port" | "bind" | "io-threads" | "databases" => return Err("can't set immutable config".into()),
        t if c.tunables.contains_key(t) => c.apply(name, &[value.to_string()])?,
        _ => return Err("Unknown option or number of arguments".into()),
    }
    Ok(())
}

fn flag_names(s: &Spec) -> Vec<&'static str> {
    let mut f = Vec::new();
    f.push(if s.flags & flag::WRITE != 0 { "write" } else { "readonly" });
    if s.flags & flag::ADMIN != 0 {
        f.push("admin");
    }
    if s.flags & flag::NO_AUTH != 0 {
        f.push("no-auth");
    }
    if s.flags & flag::LOCK_FREE != 0 {
        f.push("fast");
    }
    f
}

fn command_info(ctx: &mut Ctx, s: &Spec) {
    let out = &mut *ctx.out;
    out.array(10);
    out.bulk(s.name.as_bytes());
    out.int(s.arity as i64);
    let flags = flag_names(s);
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    out.int(s.keys.0 as i64);
    out.int(s.keys.1 as i64);
    out.int(s.keys.2 as i64);
    out.set(0); // ACL categories
    out.set(0); // tips
    out.array(0); // key specifications
    out.array(0); // subcommands
}

pub fn command(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let sub = args.get(1).map(|a| String::from_utf8_lossy(a).to_ascii_lowercase());
    match sub.as_deref() {
        None => {
            ctx.out.array(COMMANDS.len());
            for s in &COMMANDS {
                command_info(ctx, s);
            }
        }
        Some("count") => ctx.out.int(COMMANDS.len() as i64),
        Some("list") => ctx.out.bulk_array(COMMANDS.iter().map(|s| s.name.as_bytes())),
        Some("info") => {
            ctx.out.array(args.len() - 2);
            for name in &args[2..] {
                match super::lookup(name) {
                    Some(s) => command_info(ctx, s),
                    None => ctx.out.null_array(),
                }
            }
        }
        Some("docs") => {
            let specs: Vec<&Spec> = if args.len() > 2 {
                args[2..].iter().filter_map(|n| super::lookup(n)).collect()
            } else {
                COMMANDS.iter().collect()
            };
            ctx.out.map(specs.len());
            for s in specs {
                ctx.out.bulk(s.name.as_bytes());
                ctx.out.map(2);
                ctx.out.bulk(b"summary");
                ctx.out.bulk(b"");
                ctx.out.bulk(b"group");
                ctx.out.bulk(b"generic");
            }
        }
        Some(other) => return Err(format!("ERR unknown subcommand '{other}'. Try COMMAND HELP.").into()),
    }
    Ok(())
}

pub fn time(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let now = unix_now();
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

/// `SAVE`: a snapshot of the keyspace and every graph, before the reply.
pub fn save(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    ctx.srv.save().map_err(|e| Error::from(format!("ERR {e}")))?;
    ctx.out.ok();
    Ok(())
}

/// `BGSAVE [SCHEDULE]`: the same on a thread of its own.
pub fn bgsave(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    match &args[1..] {
        [] => {}
        [a] if is(a, "schedule") => {}
        _ => return Err(super::SYNTAX.into()),
    }
    ctx.srv.bgsave().map_err(|e| Error::from(format!("ERR {e}")))?;
    ctx.out.simple("Background saving started");
    Ok(())
}

/// `LASTSAVE`: Unix time of the last successful save (of the start,
/// before any, and always without persistence).
pub fn lastsave(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let at = match &ctx.srv.persist {
        Some(p) => p.last_save(),
        None => unix_now().as_secs().saturating_sub(ctx.srv.started.elapsed().as_secs()),
    };
    ctx.out.int(at as i64);
    Ok(())
}

pub fn function(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    if is(&args[1], "flush") && args.len() <= 3 {
        ctx.out.ok();
        return Ok(());
    }
    Err("ERR functions are not available in this build (FUNCTION FLUSH only)".into())
}

pub fn shutdown(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    for a in &args[1..] {
        if !["nosave", "save", "now", "force"].iter().any(|w| is(a, w)) {
            return Err(super::SYNTAX.into());
        }
    }
    let nosave = args[1..].iter().any(|a| is(a, "nosave"));
    if args[1..].iter().any(|a| is(a, "save")) {
        if nosave {
            return Err(super::SYNTAX.into());
        }
        // As Redis: the save happens before the shutdown, which a failed one stops.
        ctx.srv.save().map_err(|e| Error::from(format!("ERR Errors trying to SHUTDOWN. Check logs. ({e})")))?;
    }
    if let Some(p) = &ctx.srv.persist {
        p.nosave.store(nosave, std::sync::atomic::Ordering::Relaxed);
    }
    ctx.srv.request_shutdown();
    ctx.sess.closing = true;
    Ok(())
}

/// `MEMORY USAGE key`: an estimate of the bytes the key takes (its records'
/// keys and values plus a per-record overhead); `MEMORY` has no other
/// subcommand here.
pub fn memory(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    /// Per-record overhead of the engine's map (node, tower, value header).
    const RECORD: usize = 64;
    let ok_shape = args.len() == 3 || (args.len() == 5 && is(&args[3], "samples"));
    if !is(&args[1], "usage") || !ok_shape {
        return Err("ERR MEMORY supports only USAGE <key> [SAMPLES <count>] in this build".into());
    }
    let store = &ctx.srv.store;
    let key = &args[2];
    let size = store.lookup(key).map(|e| match e.value {
        crate::store::Value::Str(s) => RECORD + key.len() + s.len(),
        crate::store::Value::Coll(m) => {
            let prefix = crate::store::field_prefix(key, m.generation).len();
            let fields: usize = store.hall(key, m).iter().map(|(f, v)| RECORD + prefix + f.len() + v.len()).sum();
            RECORD + key.len() + 17 + fields
        }
    });
    match size {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
    Ok(())
}
