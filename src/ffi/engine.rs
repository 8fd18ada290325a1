//! Engines: configuration, open/close, maintenance.

use super::{CBool, Failure, FfiResult, PlainData, boundary, boundary_or, kvg_status, out};
use super::{close_handle, open_handle, resolve, struct_in};
use crate::graph::CompactionPolicy;
use crate::{Config, Engine};

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
}

// SAFETY: `#[repr(C)]` of a byte, a u64 and an f64, all valid for any bits.
unsafe impl PlainData for kvg_config {}

impl From<CompactionPolicy> for kvg_config {
    fn from(p: CompactionPolicy) -> Self {
        kvg_config { auto_compact: p.auto.into(), compaction_min_delta: p.min_delta, compaction_ratio: p.ratio }
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
        Ok(Config { compaction, ..Config::default() })
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

/// Opens a new, empty engine with `config_or_null` (NULL: defaults) and
/// stores its handle in `*out` (NULL on failure).
///
/// Errors: `KVG_INVALID_ARGUMENT` if `out` is NULL or the config is invalid
/// (`compaction_ratio` negative, NaN or infinite). Close it with `kvg_engine_close`.
#[unsafe(no_mangle)]
pub extern "C" fn kvg_engine_open(config_or_null: *const kvg_config, out: *mut *mut kvg_engine) -> kvg_status {
    boundary(|| {
        let out = super::out(out, "out")?;
        out.write(std::ptr::null_mut());
        let config = match struct_in(config_or_null, "config")? {
            Some(c) => c.to_config()?,
            None => Config::default(),
        };
        out.write(open_handle(Engine::with_config(config)));
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
