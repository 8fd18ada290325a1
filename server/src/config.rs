//! Options, named as Redis names them, from the command line
//! (`--port 6380`) or a config file given as the first argument (lines of
//! `name value…`, `#` comments); command-line options override the file.

use crate::parse::Limits;
use std::path::PathBuf;

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port (`port`, 6379).
    pub port: u16,
    /// Addresses to listen on (`bind`, `127.0.0.1 ::1`; a leading `-`
    /// makes an address optional, as in Redis).
    pub bind: Vec<String>,
    /// The default user's password (`requirepass`); `None`: no password.
    pub requirepass: Option<Vec<u8>>,
    /// Refuse non-loopback clients while no password is set (`protected-mode`).
    pub protected_mode: bool,
    /// Working directory (`dir`), fixed at startup; with persistence on,
    /// the data lives in its `kv/` and `graphs/` sub-directories.
    pub dir: PathBuf,
    /// `appendonly`: log every write (turns persistence on).
    pub appendonly: bool,
    /// `appendfsync` (`always`, `everysec`, `no`): the engine's fsync policy.
    pub appendfsync: String,
    /// `save` rules as `(seconds, changes)` pairs; `None` when not given
    /// (Redis's default rules then apply if `appendonly` is on). Non-empty
    /// rules turn persistence on.
    pub save: Option<Vec<(u64, u64)>>,
    /// Most clients connected at once (`maxclients`).
    pub maxclients: usize,
    /// Worker threads (`threads`, also `io-threads`; 0: one per core).
    pub threads: usize,
    /// Request limits (`proto-max-bulk-len`, `client-query-buffer-limit`).
    pub limits: Limits,
    /// Most reply bytes pending for one client before it is disconnected
    /// (`client-output-buffer-limit`'s hard limit for normal clients).
    pub output_limit: usize,
    /// Path of the config file, if any.
    pub config_file: Option<PathBuf>,
    /// Redis's encoding thresholds (`hash-max-listpack-entries`…):
    /// accepted and reported so that tools that tune them work; they change
    /// nothing here (there are no compact encodings).
    pub tunables: std::collections::BTreeMap<String, String>,
}

/// The encoding thresholds [`Config::tunables`] accepts, with Redis's defaults.
pub const TUNABLES: &[(&str, &str)] = &[
    ("hash-max-listpack-entries", "128"),
    ("hash-max-listpack-value", "64"),
    ("hash-max-ziplist-entries", "128"),
    ("hash-max-ziplist-value", "64"),
    ("list-max-listpack-size", "-2"),
    ("list-max-ziplist-size", "-2"),
    ("list-compress-depth", "0"),
    ("set-max-intset-entries", "512"),
    ("set-max-listpack-entries", "128"),
    ("set-max-listpack-value", "64"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("zset-max-ziplist-entries", "128"),
    ("zset-max-ziplist-value", "64"),
];

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            requirepass: None,
            protected_mode: true,
            dir: PathBuf::from("."),
            appendonly: false,
            appendfsync: "everysec".into(),
            save: None,
            maxclients: 10_000,
            threads: 0,
            limits: Limits::default(),
            output_limit: 1 << 30,
            config_file: None,
            tunables: TUNABLES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

/// Why `SAVE`/`BGSAVE` are refused on a server started without persistence.
pub const NO_PERSISTENCE: &str =
    "persistence is off (start the server with --appendonly yes or --save \"<seconds> <changes>\")";

/// Redis's default `save` rules, used when `appendonly` is on and no `save`
/// is given.
pub const DEFAULT_SAVE: &[(u64, u64)] = &[(3600, 1), (300, 100), (60, 10_000)];

/// Parses `save` arguments: `""` (or nothing) for no rules, else
/// `<seconds> <changes>` pairs, possibly in one argument.
pub fn parse_save(values: &[String]) -> Result<Vec<(u64, u64)>, String> {
    let words: Vec<&str> = values.iter().flat_map(|v| v.split_whitespace()).filter(|w| *w != "\"\"").collect();
    if !words.len().is_multiple_of(2) {
        return Err("Invalid save parameters: expected <seconds> <changes> pairs".into());
    }
    words
        .chunks(2)
        .map(|p| match (p[0].parse::<u64>(), p[1].parse::<u64>()) {
            (Ok(s), Ok(c)) => Ok((s, c)),
            _ => Err(format!("Invalid save parameters: '{} {}' are not two numbers", p[0], p[1])),
        })
        .collect()
}

/// `save` rules as Redis writes them (`3600 1 300 100`).
pub fn save_text(rules: &[(u64, u64)]) -> String {
    rules.iter().map(|(s, c)| format!("{s} {c}")).collect::<Vec<_>>().join(" ")
}

/// The engine fsync policy an `appendfsync` value names.
pub fn fsync_policy(appendfsync: &str) -> kvgraph::Fsync {
    match appendfsync {
        "always" => kvgraph::Fsync::Always,
        "no" => kvgraph::Fsync::Never,
        _ => kvgraph::Fsync::EverySec,
    }
}

/// Parses a size as Redis does: digits with an optional `k`, `kb`, `m`,
/// `mb`, `g`, `gb` suffix (any case).
pub fn parse_size(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), ""),
    };
    let unit: usize = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("argument must be 'yes' or 'no', got '{v}'")),
    }
}

impl Config {
    /// Reads the command line (without the program name).
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut config = Config::default();
        let mut rest = args;
        if let Some(first) = args.first()
            && !first.starts_with("--")
        {
            let text = std::fs::read_to_string(first).map_err(|e| format!("cannot read config file {first}: {e}"))?;
            for (n, line) in text.lines().enumerate() {
                let words: Vec<String> =
                    split_config_line(line).ok_or(format!("{first}:{}: unbalanced quotes", n + 1))?;
                if let Some((name, values)) = words.split_first() {
                    config.apply(name, values).map_err(|e| format!("{first}:{}: {e}", n + 1))?;
                }
            }
            config.config_file = Some(PathBuf::from(first));
            rest = &args[1..];
        }
        let mut i = 0;
        while i < rest.len() {
            let Some(name) = rest[i].strip_prefix("--") else {
                return Err(format!("unexpected argument '{}' (options are --name value)", rest[i]));
            };
            let mut j = i + 1;
            while j < rest.len() && !rest[j].starts_with("--") {
                j += 1;
            }
            config.apply(name, &rest[i + 1..j])?;
            i = j;
        }
        Ok(config)
    }

    /// Applies one option.
    pub fn apply(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let one = || match values {
            [v] => Ok(v.as_str()),
            _ => Err(format!("option '{name}' takes one argument")),
        };
        match name.to_ascii_lowercase().as_str() {
            "port" => self.port = one()?.parse().map_err(|_| "port must be 0..65535".to_string())?,
            "bind" => {
                if values.is_empty() {
                    return Err("bind needs at least one address".into());
                }
                self.bind = values.iter().flat_map(|v| v.split_whitespace().map(String::from)).collect();
            }
            "requirepass" => {
                let v = one()?;
                self.requirepass = (!v.is_empty()).then(|| v.as_bytes().to_vec());
            }
            "protected-mode" => self.protected_mode = yes_no(one()?)?,
            "dir" => self.dir = PathBuf::from(one()?),
            "appendonly" => self.appendonly = yes_no(one()?)?,
            "appendfsync" => {
                let v = one()?.to_ascii_lowercase();
                if !["always", "everysec", "no"].contains(&v.as_str()) {
                    return Err("appendfsync must be always, everysec or no".into());
                }
                self.appendfsync = v;
            }
            "save" => {
                // As in a Redis config file: `save ""` clears the rules, and
                // each further `save` line adds to those given before it.
                let rules = parse_save(values)?;
                match &mut self.save {
                    Some(have) if !rules.is_empty() => have.extend(rules),
                    _ => self.save = Some(rules),
                }
            }
            "maxclients" => self.maxclients = one()?.parse().map_err(|_| "maxclients must be a number".to_string())?,
            "threads" | "io-threads" => {
                self.threads = one()?.parse().map_err(|_| "threads must be a number".to_string())?
            }
            "proto-max-bulk-len" => {
                self.limits.max_bulk = parse_size(one()?).filter(|n| *n >= 1024).ok_or("invalid proto-max-bulk-len")?
            }
            "client-query-buffer-limit" => {
                self.limits.max_query =
                    parse_size(one()?).filter(|n| *n >= 1024).ok_or("invalid client-query-buffer-limit")?
            }
            "client-output-buffer-limit" => {
                // `normal <hard> <soft> <secs>`: the hard limit of normal clients.
                match values {
                    [class, hard, _, _] if class.eq_ignore_ascii_case("normal") => {
                        self.output_limit = match parse_size(hard).ok_or("invalid client-output-buffer-limit")? {
                            0 => usize::MAX,
                            n => n,
                        }
                    }
                    _ => return Err("client-output-buffer-limit takes: normal <hard> <soft> <seconds>".into()),
                }
            }
            t if self.tunables.contains_key(t) => {
                let v = one()?;
                v.parse::<i64>().map_err(|_| format!("{t} must be an integer"))?;
                self.tunables.insert(t.to_string(), v.to_string());
            }
            other => return Err(format!("Bad directive or wrong number of arguments: '{other}'")),
        }
        Ok(())
    }

    /// Whether the data persists: `appendonly yes` or non-empty `save` rules.
    pub fn persistent(&self) -> bool {
        self.appendonly || self.save.as_ref().is_some_and(|r| !r.is_empty())
    }

    /// The snapshot rules in force: those given, else Redis's defaults when
    /// persistent, else none.
    pub fn save_rules(&self) -> Vec<(u64, u64)> {
        match &self.save {
            Some(rules) => rules.clone(),
            None if self.persistent() => DEFAULT_SAVE.to_vec(),
            None => Vec::new(),
        }
    }
}

/// Splits a config-file line into words (quotes as in inline requests).
fn split_config_line(line: &str) -> Option<Vec<String>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Some(Vec::new());
    }
    let words = crate::parse::split_args(line.as_bytes())?;
    Some(words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn command_line_options() {
        let c = Config::from_args(&args("--port 7000 --bind 0.0.0.0 --requirepass pw --maxclients 5")).unwrap();
        assert_eq!((c.port, c.bind.clone(), c.maxclients), (7000, vec!["0.0.0.0".to_string()], 5));
        assert_eq!(c.requirepass.as_deref(), Some(&b"pw"[..]));
        let c = Config::from_args(&args("--appendonly yes")).unwrap();
        assert!(c.persistent());
        assert_eq!(c.save_rules(), DEFAULT_SAVE);
        let c = Config::from_args(&args("--save 3600 1 --save 60 5")).unwrap();
        assert!(c.persistent() && !c.appendonly);
        assert_eq!(c.save_rules(), vec![(3600, 1), (60, 5)]);
        let c = Config::from_args(&["--save".into(), "900 1 300 10".into()]).unwrap();
        assert_eq!(save_text(&c.save_rules()), "900 1 300 10");
        let c = Config::from_args(&["--appendonly".into(), "yes".into(), "--save".into(), "".into()]).unwrap();
        assert!(c.persistent() && c.save_rules().is_empty());
        let c = Config::from_args(&["--save".into(), "".into()]).unwrap();
        assert!(!c.persistent());
        assert!(!Config::default().persistent());
        assert!(Config::from_args(&args("--save 3600")).is_err());
        assert!(Config::from_args(&args("--save 1 x")).is_err());
        let c = Config::from_args(&args("--appendonly no --appendfsync always")).unwrap();
        assert_eq!((c.persistent(), fsync_policy(&c.appendfsync)), (false, kvgraph::Fsync::Always));
        assert!(Config::from_args(&args("--nonsense 1")).is_err());
        assert_eq!(parse_size("1mb"), Some(1 << 20));
    }

    #[test]
    fn config_file_then_overrides() {
        let path = std::env::temp_dir().join(format!("kvgraph-server-test-{}.conf", std::process::id()));
        std::fs::write(&path, "# comment\nport 7001\nrequirepass \"a b\"\nsave \"\"\n").unwrap();
        let c = Config::from_args(&[path.display().to_string(), "--port".into(), "7002".into()]).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c.port, 7002);
        assert_eq!(c.requirepass.as_deref(), Some(&b"a b"[..]));
    }
}
