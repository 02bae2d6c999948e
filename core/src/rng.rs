//! Seeding and variate generation, specified bit for bit.
//!
//! Everything random in `qcs-core` (the rows of the seeded Gaussian operator, the signs and
//! row subset of the structured operator, the Langevin noise) comes from
//! [`Xoshiro128PlusPlus`] generators built by [`stream_rng`] and turned into floats by
//! [`uniform01`], [`uniform_pm1`] and [`fill_standard_normal`]. The recipe below is complete
//! enough to reproduce the same `f32` bits in another language.
//!
//! # Seeding: `stream_rng(seed, stream)`
//! 1. `state = seed ⊕ (stream · 0xD1B5_4A32_D192_ED03)` (wrapping 64-bit multiply, xor).
//! 2. Run the *standard* SplitMix64 (Vigna 2015) from `state` twice, giving `w0`, `w1`:
//!    `state += 0x9E37_79B9_7F4A_7C15; z = state; z = (z ⊕ (z >> 30))·0xBF58_476D_1CE4_E5B9;
//!    z = (z ⊕ (z >> 27))·0x94D0_49BB_1331_11EB; z ⊕ (z >> 31)`.
//! 3. The xoshiro128++ state words are `s = [lo32(w0), hi32(w0), lo32(w1), hi32(w1)]`
//!    (if all four are zero, which SplitMix64 cannot produce for two consecutive outputs
//!    in practice, `rand_xoshiro` substitutes its fixed non-zero seed).
//! 4. Each `next_u32` is xoshiro128++ (Blackman & Vigna 2018):
//!    `r = rotl(s0 + s3, 7) + s0; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
//!    s2 ^= t; s3 = rotl(s3, 11)`.
//!
//! # Uniform variates
//! * [`uniform01`]: `(next_u32 >> 8) as f32 · 2⁻²⁴`, in `[0, 1)`, exact (24 bits).
//! * [`uniform_pm1`]: `(next_u32 >> 8) as f32 · 2⁻²³ − 1`, in `[−1, 1)`, exact.
//!
//! # Standard normal variates: Marsaglia's polar method in `f32`
//! Draw `u = uniform_pm1()`, then `v = uniform_pm1()`, `s = u·u + v·v` (each product rounded
//! to `f32`, then the sum). Reject and redraw both while `s ≥ 1` or `s = 0`. Then
//! `f = sqrtf(−2·logf(s) / s)` (`logf` and `sqrtf` from the `libm` crate, a port of musl;
//! evaluated as `(-2.0 * logf(s)) / s`), and the pair is `(u·f, v·f)`, used in that order.
//! [`fill_standard_normal`] fills a slice pair by pair; for odd lengths the second value of
//! the last pair is discarded. Only `logf` is not correctly rounded, so a reimplementation
//! that does not port musl's `logf` agrees to within an ulp or so but not bit for bit.
//!
//! No fused multiply-add is used anywhere, so the bits are the same on every IEEE-754 target
//! (tested on x86_64 and, in the firmware simulation, on Cortex-M4F).
//!
//! The one exception is opt-in: with the `fast-math` feature the sampler's Langevin noise
//! ([`langevin_normal_pair`], [`for_each_langevin_normal`]) takes `sqrt` and `ln` from
//! [`crate::fastmath`] (micromath), so it no longer follows this recipe bit for bit; the
//! operator rows and the sensor noise follow it in every build.

use rand_core::{Rng, SeedableRng};
pub use rand_xoshiro::Xoshiro128PlusPlus;

/// Multiplier that spreads stream indices over the 64-bit seed space before SplitMix64.
pub const STREAM_MULTIPLIER: u64 = 0xD1B5_4A32_D192_ED03;

/// One step of the standard SplitMix64 generator: advances `state` and returns the output.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `stream` under `seed` (for example: the row index of a seeded
/// operator, or the chain index of a sampler). See the module docs for the exact recipe.
pub fn stream_rng(seed: u64, stream: u64) -> Xoshiro128PlusPlus {
    let mut state = seed ^ stream.wrapping_mul(STREAM_MULTIPLIER);
    let w0 = splitmix64(&mut state);
    let w1 = splitmix64(&mut state);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&w0.to_le_bytes());
    bytes[8..].copy_from_slice(&w1.to_le_bytes());
    Xoshiro128PlusPlus::from_seed(bytes)
}

/// A uniform variate in `[0, 1)` with 24 random bits.
#[inline]
pub fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// A uniform variate in `[−1, 1)` with 24 random bits.
#[inline]
pub fn uniform_pm1<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 8_388_608.0) - 1.0
}

/// A pair of independent standard normal variates (Marsaglia's polar method, module docs),
/// always with `libm`'s `sqrtf` and `logf`: the operator rows and the sensor noise, which a
/// receiver must reproduce bit for bit from the frame's seeds, whatever the features.
#[inline]
pub fn standard_normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f32, f32) {
    polar_pair(rng, libm::sqrtf, libm::logf)
}

/// The pair of [`standard_normal_pair`] with the square root and logarithm of
/// [`crate::fastmath`]: the Langevin noise of the sampler. Without the `fast-math` feature these
/// are `libm`'s, so the bits are [`standard_normal_pair`]'s; with it, micromath's (the variates
/// then follow the normal law only approximately, see `tests/fastmath.rs`).
#[inline]
pub fn langevin_normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f32, f32) {
    polar_pair(rng, crate::fastmath::sqrtf, crate::fastmath::logf)
}

/// Marsaglia's polar method (module docs) with the given `sqrt` and `ln`.
#[inline(always)]
fn polar_pair<R: Rng + ?Sized>(
    rng: &mut R,
    sqrt: impl Fn(f32) -> f32,
    ln: impl Fn(f32) -> f32,
) -> (f32, f32) {
    loop {
        let u = uniform_pm1(rng);
        let v = uniform_pm1(rng);
        let s = u * u + v * v;
        if s < 1.0 && s > 0.0 {
            let f = sqrt((-2.0 * ln(s)) / s);
            return (u * f, v * f);
        }
    }
}

/// Calls `f(i, e_i)` for `i = 0..len` with independent standard normal variates `e_i`, drawn
/// pair by pair by [`standard_normal_pair`]; for odd `len` the second value of the last pair
/// is discarded. Every normal stream of the crate (operator rows, sensor noise, Langevin
/// noise) goes through this function, so they all follow the recipe of the module docs.
#[inline]
pub fn for_each_standard_normal<R: Rng + ?Sized, F: FnMut(usize, f32)>(
    rng: &mut R,
    len: usize,
    f: F,
) {
    for_each_pair(rng, len, standard_normal_pair, f);
}

/// [`for_each_standard_normal`] with [`langevin_normal_pair`]: the same order and count of
/// draws, the same bits without `fast-math`. The sampler's Langevin noise goes through it.
#[inline]
pub fn for_each_langevin_normal<R: Rng + ?Sized, F: FnMut(usize, f32)>(
    rng: &mut R,
    len: usize,
    f: F,
) {
    for_each_pair(rng, len, langevin_normal_pair, f);
}

/// Calls `f(i, e_i)` for `i = 0..len`, the `e_i` drawn pair by pair by `pair`.
#[inline(always)]
fn for_each_pair<R: Rng + ?Sized, F: FnMut(usize, f32)>(
    rng: &mut R,
    len: usize,
    pair: impl Fn(&mut R) -> (f32, f32),
    mut f: F,
) {
    let mut i = 0;
    while i + 1 < len {
        let (a, b) = pair(rng);
        f(i, a);
        f(i + 1, b);
        i += 2;
    }
    if i < len {
        f(i, pair(rng).0);
    }
}

/// Fills `out` with independent standard normal variates, pair by pair (module docs).
pub fn fill_standard_normal<R: Rng + ?Sized>(rng: &mut R, out: &mut [f32]) {
    let len = out.len();
    for_each_standard_normal(rng, len, |i, e| {
        if let Some(o) = out.get_mut(i) {
            *o = e;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_vigna_reference() {
        // First outputs of splitmix64 seeded with 1234567, computed with an independent
        // Python transcription of Vigna's splitmix64.c (arbitrary-precision ints, masked).
        let mut s = 1_234_567u64;
        let expected = [
            6_457_827_717_110_365_317u64,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for e in expected {
            assert_eq!(splitmix64(&mut s), e);
        }
    }

    #[test]
    fn streams_differ_and_repeat() {
        let mut a = stream_rng(12345, 0);
        let mut b = stream_rng(12345, 1);
        let mut a2 = stream_rng(12345, 0);
        let (x, y, z) = (a.next_u32(), b.next_u32(), a2.next_u32());
        assert_eq!(x, z);
        assert_ne!(x, y);
    }

    #[test]
    fn normal_moments() {
        let mut rng = stream_rng(7, 0);
        let mut buf = [0.0f32; 4001];
        let (mut s1, mut s2, mut n) = (0.0f64, 0.0f64, 0usize);
        for _ in 0..25 {
            fill_standard_normal(&mut rng, &mut buf);
            for &v in buf.iter() {
                s1 += v as f64;
                s2 += (v as f64) * (v as f64);
                n += 1;
            }
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        // 100k draws: std error of the mean 0.003, of the variance about 0.0045.
        assert!(mean.abs() < 0.015, "mean {mean}");
        assert!((var - 1.0).abs() < 0.025, "var {var}");
    }
}
