//! Engines: configuration, open/close, maintenance.

use super::{CBool, Failure, FfiResult, PlainData, boundary, boundary_or, kvg_status, out};
use super::{close_handle, open_handle, opt_str_in, resolve, struct_in};
use crate::graph::CompactionPolicy;
use crate::{Config, Engine, Fsync};
use std::ffi::{c_char, c_int};

/// When a durable engine syncs its log to disk.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvg_fsync {
    /// Before every write call returns (concurrent writers share one fsync):
    /// a write whose call returned survives a crash.
    KVG_FSYNC_ALWAYS = 0,
    /// Once a second (the default): at most about a second of writes is lost.
    KVG_FSYNC_EVERYSEC = 1,
    /// Never explicitly: the operating system decides.
    KVG_FSYNC_NEVER = 2,
}

/// A `kvg_fsync` as stored by C: any `int`, checked before use.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct CFsync(pub c_int);

impl CFsync {
    fn to_fsync(self) -> FfiResult<Fsync> {
        use kvg_fsync::*;
        [(KVG_FSYNC_ALWAYS, Fsync::Always), (KVG_FSYNC_EVERYSEC, Fsync::EverySec), (KVG_FSYNC_NEVER, Fsync::Never)]
            .into_iter()
            .find(|&(c, _)| c as c_int == self.0)
            .map(|(_, f)| f)
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "fsync {} is not KVG_FSYNC_ALWAYS, KVG_FSYNC_EVERYSEC or KVG_FSYNC_NEVER",
                    self.0
                ))
            })
    }
}

/// Settings of a new engine. Fill one with `kvg_config_default` and change
/// what you need; pass NULL to `kvg_engine_open` for the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvg_config {
    /// Compact the graph's delta automatically (default true).
    pub auto_compact: CBool,
    /// Delta size (edge writes) below which the graph never compacts by
    /// itself (default 65536).
    pub compaction_min_delta: u64,
    /// Delta size, as a fraction of the base's edges, that triggers an
    /// automatic compaction (default 0.5); finite and >= 0.
    pub compaction_ratio: f64,
    /// Directory the engine persists to, as a NUL-terminated UTF-8 path
    /// (created if missing); NULL (the default): purely in memory. Read
    /// during `kvg_engine_open` only.
    pub path: *const c_char,
    /// When the log is synced, for an engine with a `path` (default
    /// `KVG_FSYNC_EVERYSEC`).
    pub fsync: CFsync,
}

// SAFETY: `#[repr(C)]` of a byte, a u64, an f64, a pointer and an int, all
// valid for any bits (the pointer is only read as a C string, as documented).
unsafe impl PlainData for kvg_config {}

impl From<CompactionPolicy> for kvg_config {
    fn from(p: CompactionPolicy) -> Self {
        kvg_config {
            auto_compact: p.auto.into(),
            compaction_min_delta: p.min_delta,
            compaction_ratio: p.ratio,
            path: std::ptr::null(),
            fsync: CFsync(kvg_fsync::KVG_FSYNC_EVERYSEC as c_int),
        }
    }
}

impl kvg_config {
    /// The engine configuration these settings describe, once checked.
    fn to_config(self) -> FfiResult<Config> {
        let c = self;
        if !(c.compaction_ratio.is_finite() && c.compaction_ratio >= 0.0) {
            return Err(Failure::invalid(format!(
                "compaction_ratio must be finite and >= 0, got {}",
                c.compaction_ratio
            )));
        }
        let compaction = CompactionPolicy {
            auto: c.auto_compact.into(),
            min_delta: c.compaction_min_delta,
            ratio: c.compaction_ratio,
        };
        let path = opt_str_in(c.path, "config.path")?.map(Into::into);
        Ok(Config { compaction, path, fsync: c.fsync.to_fsync()?, ..Config::default() })
    }
}

/// An engine: one ordered key-value map and one property graph, in memory.
///
/// Opaque. Thread-safe: any number of threads may call any function on the
/// same engine at once. Closing it while snapshots or iterators are open is
/// allowed: they keep what they read alive.
pub struct kvg_engine {
    _opaque: [u8; 0],
}

handle_kind!(kvg_engine => Engine(Engine), "an engine");

/// Writes the default settings into `*out` (ignored if `out` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvg_config_default(out: *mut kvg_config) {
    boundary_or((), || {
        if let Ok(out) = super::out(out, "out") {
            out.write(CompactionPolicy::default().into());
        }
    })
}

/// Opens an engine with `config_or_null` (NULL: defaults) and stores its
/// handle in `*out` (NULL on failure): empty and in memory without a
/// `path`; with one, holding what the directory held (newest snapshot, then
/// the log after it; a torn last log record is cut off).
///
/// Errors: `KVG_INVALID_ARGUMENT` if `out` is NULL or the config is invalid
/// (`compaction_ratio` negative, NaN or infinite, `path` not UTF-8, `fsync`
/// out of range); `KVG_IO_ERROR` if the directory cannot be used (locked by
/// another engine, unreadable) or holds a damaged file: `kvg_last_error`
/// names the file and the byte offset. Close it with `kvg_engine_close`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_open(config_or_null: *const kvg_config, out: *mut *mut kvg_engine) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        let config = match struct_in(config_or_null, "config")? {
            Some(c) => c.to_config()?,
            None => Config::default(),
        };
        out.write(open_handle(Engine::try_with_config(config)?));
        Ok(())
    })
}

/// Writes a snapshot of the engine's KV map and graph now, without stopping
/// readers or writers, and truncates its log (see README "Durability").
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine, or one
/// without a path; `KVG_IO_ERROR` if the snapshot cannot be written.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_save(engine: *const kvg_engine) -> kvg_status {
    boundary(|| {
        resolve(engine)?.save()?;
        Ok(())
    })
}

/// Writes and syncs every write logged so far, whatever the fsync policy.
///
/// Errors: as `kvg_engine_save`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_sync(engine: *const kvg_engine) -> kvg_status {
    boundary(|| {
        resolve(engine)?.sync()?;
        Ok(())
    })
}

/// Closes `engine` and frees everything it holds that no open snapshot or
/// iterator still uses. NULL is a no-op (`KVG_OK`); closing a handle twice, or
/// using it after close, gives `KVG_INVALID_ARGUMENT` and touches nothing.
/// Calls running on other threads finish first on the engine they started with.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_close(engine: *mut kvg_engine) -> kvg_status {
    boundary(|| close_handle(engine))
}

/// Reclaims expired KV entries and graph delta records no snapshot needs,
/// and frees retired memory no thread can still see. Never needed for
/// correctness (writes reclaim in passing); useful before measuring memory.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_maintain(engine: *const kvg_engine) -> kvg_status {
    boundary(|| {
        resolve(engine)?.maintain();
        Ok(())
    })
}

/// Bytes the engine's memory manager has retired (unlinked, awaiting the end
/// of readers that may see them) into `*retired`, and freed into `*freed`,
/// since the engine opened; `retired - freed` is the garbage not yet reclaimed.
///
/// Errors: `KVG_INVALID_ARGUMENT` for a NULL or closed engine or a NULL output.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_memory_stats(engine: *const kvg_engine, retired: *mut u64, freed: *mut u64) -> kvg_status {
    boundary(|| {
        let (retired, freed) = (out(retired, "retired")?, out(freed, "freed")?);
        let stats = resolve(engine)?.memory_stats();
        retired.write(stats.retired_bytes);
        freed.write(stats.freed_bytes);
        Ok(())
    })
}
