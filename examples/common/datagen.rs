//! Deterministic data generators shared by the benches and the examples
//! (included with `#[path = "..."] mod datagen;`): a small fast RNG, the YCSB
//! scrambled-Zipfian key chooser, fixed-width KV keys, and an R-MAT
//! (Graph500 Kronecker) edge generator.

#![allow(dead_code)]

/// SplitMix64: a tiny, fast, deterministic generator (good enough for
/// workload generation, not for cryptography).
#[derive(Debug, Clone)]
pub struct Rng64(u64);

impl Rng64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng64(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; `n > 0`).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// 64-bit FNV-1a of the little-endian bytes of `x` (YCSB's key scrambler).
#[inline]
pub fn fnv64(x: u64) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in x.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// YCSB's scrambled Zipfian generator over items `0..items` (Gray et al.,
/// "Quickly generating billion-record synthetic databases"): item ranks are
/// Zipf-distributed with exponent `theta`, and ranks are spread over the key
/// space by hashing so that hot keys are not neighbours.
#[derive(Debug, Clone)]
pub struct Zipf {
    items: u64,
    theta: f64,
    zetan: f64,
    alpha: f64,
    eta: f64,
}

impl Zipf {
    /// A generator over `items` items with exponent `theta` (YCSB: 0.99).
    pub fn new(items: u64, theta: f64) -> Self {
        let zeta = |n: u64| (1..=n).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let zetan = zeta(items);
        let zeta2 = zeta(2);
        let eta = (1.0 - (2.0 / items as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan);
        Zipf { items, theta, zetan, alpha: 1.0 / (1.0 - theta), eta }
    }

    /// The next rank in `0..items` (0 is the most popular), unscrambled.
    #[inline]
    pub fn next_rank(&self, rng: &mut Rng64) -> u64 {
        let u = rng.next_f64();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1;
        }
        let r = (self.items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        r.min(self.items - 1)
    }

    /// The next item in `0..items`, hot items scattered by hashing.
    #[inline]
    pub fn next(&self, rng: &mut Rng64) -> u64 {
        fnv64(self.next_rank(rng)) % self.items
    }
}

/// The 16-byte key of record `i`: 8 hash bytes (so that consecutive records
/// land all over the key space, as YCSB's hashed keys do) then `i` itself,
/// which keeps keys unique.
#[inline]
pub fn kv_key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&fnv64(i).to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

/// A 100-byte value derived from `seed`.
pub fn kv_value(seed: u64) -> [u8; 100] {
    let mut v = [0u8; 100];
    let mut rng = Rng64::new(seed);
    for b in v.iter_mut() {
        *b = b'a' + (rng.below(26) as u8);
    }
    v
}

/// R-MAT quadrant probabilities (Graph500): a, b, c; d = 1 - a - b - c.
pub const RMAT_A: f64 = 0.57;
/// See [`RMAT_A`].
pub const RMAT_B: f64 = 0.19;
/// See [`RMAT_A`].
pub const RMAT_C: f64 = 0.19;

/// Edges per chunk; each chunk has its own RNG stream, so the output does
/// not depend on how many threads generate it.
const RMAT_CHUNK: usize = 1 << 18;

/// An R-MAT / Kronecker graph of `2^scale` nodes and `edge_factor * 2^scale`
/// directed edges (duplicates and self-loops included, as Graph500 makes
/// them), with node ids scrambled by a fixed bijection so that hubs are not
/// all at small ids. Deterministic for a given `(scale, edge_factor, seed)`.
/// Returns parallel `(src, dst)` arrays.
pub fn rmat_edges(scale: u32, edge_factor: u64, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let n = 1u64 << scale;
    let m = (edge_factor * n) as usize;
    let mut src = vec![0u64; m];
    let mut dst = vec![0u64; m];
    let mask = n - 1;
    // Multiplication by an odd constant, then xor, is a bijection mod 2^scale.
    let scramble = move |v: u64| (v.wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1) ^ (0x2545_F491_4F6C_DD1D & mask)) & mask;
    /// One chunk of the edge arrays to fill: its index, sources, targets.
    type Work<'a> = (usize, &'a mut [u64], &'a mut [u64]);
    let work: Vec<Work<'_>> =
        src.chunks_mut(RMAT_CHUNK).zip(dst.chunks_mut(RMAT_CHUNK)).enumerate().map(|(i, (s, d))| (i, s, d)).collect();
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get()).max(1);
    let mut buckets: Vec<Vec<Work<'_>>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, w) in work.into_iter().enumerate() {
        buckets[k % threads].push(w);
    }
    std::thread::scope(|s| {
        for bucket in buckets {
            s.spawn(move || {
                for (chunk, srcs, dsts) in bucket {
                    let mut rng = Rng64::new(seed.wrapping_mul(0x1000_0000_01B3) ^ chunk as u64);
                    for (s, d) in srcs.iter_mut().zip(dsts.iter_mut()) {
                        let (mut u, mut v) = (0u64, 0u64);
                        for _ in 0..scale {
                            let r = rng.next_f64();
                            let (bu, bv) = if r < RMAT_A {
                                (0, 0)
                            } else if r < RMAT_A + RMAT_B {
                                (0, 1)
                            } else if r < RMAT_A + RMAT_B + RMAT_C {
                                (1, 0)
                            } else {
                                (1, 1)
                            };
                            u = (u << 1) | bu;
                            v = (v << 1) | bv;
                        }
                        *s = scramble(u);
                        *d = scramble(v);
                    }
                }
            });
        }
    });
    (src, dst)
}

/// Reads a positive integer from environment variable `name`, or `default`.
/// Accepts `_` separators (`1_000_000`).
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(s) => s.replace('_', "").trim().parse().unwrap_or_else(|_| panic!("{name} must be a number, got {s:?}")),
        Err(_) => default,
    }
}

/// Reads a comma-separated list of positive integers (`1,2,4,8`) from
/// environment variable `name`, or `default`.
pub fn env_u64_list(name: &str, default: &[u64]) -> Vec<u64> {
    match std::env::var(name) {
        Ok(s) => s
            .split(',')
            .map(|x| {
                x.trim().parse().unwrap_or_else(|_| panic!("{name} must be numbers separated by commas, got {s:?}"))
            })
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// `x` with thousands separators, for tables.
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
