//! EVAL, EVALSHA, SCRIPT: there is no Lua interpreter in this build. The
//! three scripts redis-py's `Lock` sends (release, extend, reacquire; both
//! the texts before redis-py 8.2 and those since, which leave a key alone
//! when the new TTL is not positive) are recognised by their text (white
//! space aside) and run natively, with the semantics of their Lua; any
//! other script is refused with an error.

use super::{CmdResult, Ctx, Error, int, is};
use crate::store::Held;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A script this build runs natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// `redis.lock`'s release: delete KEYS[1] if it holds ARGV[1].
    Release,
    /// Extend: add (ARGV[3] == "0") or set ARGV[2] ms of TTL if KEYS[1] holds ARGV[1].
    Extend {
        /// redis-py >= 8.2: a new TTL <= 0 changes nothing (and still answers 1).
        guarded: bool,
    },
    /// Reacquire: set ARGV[2] ms of TTL if KEYS[1] holds ARGV[1].
    Reacquire {
        /// redis-py >= 8.2: a TTL <= 0 changes nothing (and still answers 1).
        guarded: bool,
    },
}

const RELEASE: &str = "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end \
redis.call('del', KEYS[1]) return 1";
const EXTEND: &str = "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end \
local expiration = redis.call('pttl', KEYS[1]) if not expiration then expiration = 0 end if expiration < 0 then \
return 0 end local newttl = ARGV[2] if ARGV[3] == \"0\" then newttl = ARGV[2] + expiration end \
redis.call('pexpire', KEYS[1], newttl) return 1";
const REACQUIRE: &str = "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end \
redis.call('pexpire', KEYS[1], ARGV[2]) return 1";
const EXTEND_GUARDED: &str = "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 \
end local expiration = redis.call('pttl', KEYS[1]) if not expiration then expiration = 0 end if expiration < 0 then \
return 0 end local newttl = ARGV[2] if ARGV[3] == \"0\" then newttl = ARGV[2] + expiration end if tonumber(newttl) <= 0 \
then return 1 end redis.call('pexpire', KEYS[1], newttl) return 1";
const REACQUIRE_GUARDED: &str = "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 \
end if tonumber(ARGV[2]) > 0 then redis.call('pexpire', KEYS[1], ARGV[2]) end return 1";

/// Scripts loaded or evaluated so far, by SHA1 (hex).
static LOADED: LazyLock<Mutex<HashMap<String, Known>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

const UNAVAILABLE: &str = "ERR scripting is not available in this build (only the scripts of redis-py's Lock run)";

fn recognise(script: &[u8]) -> Option<Known> {
    let text = String::from_utf8_lossy(script);
    let words: Vec<&str> = text.split_whitespace().collect();
    let normal = words.join(" ");
    [
        (RELEASE, Known::Release),
        (EXTEND, Known::Extend { guarded: false }),
        (REACQUIRE, Known::Reacquire { guarded: false }),
        (EXTEND_GUARDED, Known::Extend { guarded: true }),
        (REACQUIRE_GUARDED, Known::Reacquire { guarded: true }),
    ]
    .into_iter()
    .find(|(t, _)| *t == normal)
    .map(|(_, k)| k)
}

fn load(script: &[u8]) -> Result<(String, Known), Error> {
    let known = recognise(script).ok_or(UNAVAILABLE)?;
    let sha = sha1_smol::Sha1::from(script).digest().to_string();
    LOADED.lock().insert(sha.clone(), known);
    Ok((sha, known))
}

/// Runs `known` on `args` = `numkeys key… arg…` (after the script or SHA).
fn run_known(ctx: &mut Ctx, known: Known, args: &[Vec<u8>]) -> CmdResult {
    let numkeys = int(&args[0])?;
    if numkeys < 0 || numkeys as usize > args.len() - 1 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let (keys, argv) = args[1..].split_at(numkeys as usize);
    let (Some(key), Some(token)) = (keys.first(), argv.first()) else {
        return Err("ERR this script needs KEYS[1] and ARGV[1]".into());
    };
    let store = &ctx.srv.store;
    let _held = if ctx.exclusive { Held::Nothing } else { store.lock_keys(std::iter::once(&key[..])) };
    let holds = store.get_str(key).ok().flatten().is_some_and(|v| v == *token);
    if !holds {
        ctx.out.int(0);
        return Ok(());
    }
    let ms = |i: usize| -> Result<i64, Error> {
        argv.get(i).map_or(Err("ERR missing ARGV".into()), |a| {
            int(a).map_err(|_| "ERR value is not an integer or out of range".into())
        })
    };
    let done = match known {
        Known::Release => store.delete(key),
        Known::Extend { guarded } => {
            let now = store.now_ms();
            let expires_at = store.lookup(key).map_or(0, |e| e.expires_at);
            if expires_at == 0 {
                false // `pttl` is -1: no TTL to extend.
            } else {
                let add = ms(1)?;
                let ttl = if argv.get(2).is_some_and(|a| a == b"0") { add + (expires_at - now) as i64 } else { add };
                guarded && ttl <= 0 || set_ttl(ctx, key, ttl)
            }
        }
        Known::Reacquire { guarded } => {
            let ttl = ms(1)?;
            guarded && ttl <= 0 || set_ttl(ctx, key, ttl)
        }
    };
    ctx.out.int(done as i64);
    Ok(())
}

/// `PEXPIRE key ttl` (a TTL ≤ 0 deletes the key).
fn set_ttl(ctx: &Ctx, key: &[u8], ttl_ms: i64) -> bool {
    let store = &ctx.srv.store;
    if ttl_ms <= 0 { store.delete(key) } else { store.set_expiry(key, store.now_ms() + ttl_ms as u64) }
}

pub fn eval(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let (_, known) = load(&args[1])?;
    run_known(ctx, known, &args[2..])
}

pub fn evalsha(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let known = LOADED.lock().get(&sha).copied().ok_or("NOSCRIPT No matching script. Please use EVAL.")?;
    run_known(ctx, known, &args[2..])
}

pub fn script(ctx: &mut Ctx, args: &[Vec<u8>]) -> CmdResult {
    match &args[1..] {
        [sub, script] if is(sub, "load") => {
            let (sha, _) = load(script)?;
            ctx.out.bulk(sha.as_bytes());
        }
        [sub, shas @ ..] if is(sub, "exists") && !shas.is_empty() => {
            let loaded = LOADED.lock();
            ctx.out.array(shas.len());
            for s in shas {
                ctx.out.int(loaded.contains_key(&String::from_utf8_lossy(s).to_ascii_lowercase()) as i64);
            }
        }
        [sub, ..] if is(sub, "flush") => {
            LOADED.lock().clear();
            ctx.out.ok();
        }
        _ => return Err(UNAVAILABLE.into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_scripts_are_recognised_and_others_refused() {
        let release = "\n        local token = redis.call('get', KEYS[1])\n        if not token or token ~= ARGV[1] then\n            return 0\n        end\n        redis.call('del', KEYS[1])\n        return 1\n    ";
        assert_eq!(recognise(release.as_bytes()), Some(Known::Release));
        // redis-py 8.2's reacquire, as it sends it.
        let reacquire = "\n        local token = redis.call('get', KEYS[1])\n        if not token or token ~= ARGV[1] then\n            return 0\n        end\n        if tonumber(ARGV[2]) > 0 then\n            redis.call('pexpire', KEYS[1], ARGV[2])\n        end\n        return 1\n    ";
        assert_eq!(recognise(reacquire.as_bytes()), Some(Known::Reacquire { guarded: true }));
        assert_eq!(recognise(b"return redis.call('flushall')"), None);
        assert!(load(b"return 1").is_err());
    }
}
