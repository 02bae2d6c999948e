//! Branch-free `f32` building blocks of the vectorized score kernels ([`super::upper_tail_mean`],
//! [`super::truncated_normal_mean`]): compare-and-select `min`/`max`, Cody–Waite `exp` and
//! `expm1`, the compensated `exp(−x²/2)`, [`super::erfcx`]'s polynomial as a fraction, and a
//! small-argument `erf`. Each is exact to about an ulp on the range its callers use (stated
//! per function).

use super::{square_split, ERFCX_POLY};

/// `|x|` by clearing the sign bit (branch-free, vectorizes).
#[inline(always)]
pub(super) fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7FFF_FFFF)
}

/// `min(x, y)` as one compare-and-select (`y` if either is `NaN`): a single `minps` on
/// x86, without the `NaN` fix-up that `f32::min` needs.
#[inline(always)]
pub(super) fn min_bf(x: f32, y: f32) -> f32 {
    if x < y {
        x
    } else {
        y
    }
}

/// `max(x, y)` as one compare-and-select (`y` if either is `NaN`).
#[inline(always)]
pub(super) fn max_bf(x: f32, y: f32) -> f32 {
    if x > y {
        x
    } else {
        y
    }
}

/// `2^23 + 2^22`: adding and subtracting it rounds an `f32` of magnitude `< 2^22` to the
/// nearest integer (ties to even), without a branch or a conversion.
pub(super) const ROUND_MAGIC: f32 = 12_582_912.0;
/// `log2(e)`.
pub(super) const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// High part of `ln 2`, `0x3F31_8000` (9 significant bits, so `n·LN2_HI` is exact for every
/// `|n| < 2^15`).
pub(super) const LN2_HI: f32 = 0.693_359_4;
/// `ln 2 − LN2_HI`, rounded.
pub(super) const LN2_LO: f32 = -2.121_944_4e-4;

/// `exp(x)`, branch-free: `x = n·ln 2 + r` with `n = round(x·log2 e)` (Cody–Waite, two-part
/// `ln 2`), `|r| ≤ ½ln 2`, `exp(r)` by its degree-7 Taylor polynomial (truncation below
/// `6·10⁻⁹` relative), times `2^n` built from the exponent bits. Within about 1 ulp for
/// `−80 ≤ x ≤ 88.37`; returns 0 below `−80` (the true value is below `1.9·10⁻³⁵`; stopping
/// there keeps subnormal results, which cost microcode assists on x86, out of the vectorized
/// kernels, also in the lanes whose value is discarded) and `exp(88.37) ≈ 2.4·10³⁸` above
/// `88.37`, so callers only use it where that saturation is harmless. Not for NaN.
#[inline(always)]
pub(super) fn exp_bf(x: f32) -> f32 {
    let xc = min_bf(max_bf(x, -80.0), 88.37);
    let t = xc * LOG2_E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Estrin's scheme (see `erfcx_fraction`); the leading `1 + r` is added last.
    let r2 = r * r;
    let hi_terms = (0.5 + r * (1.0 / 6.0))
        + r2 * ((1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0)));
    let p = 1.0 + (r + r2 * hi_terms);
    // t's low significand bits hold n + 2^22 (|n| ≤ 128).
    let ni = t.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    let e = p * scale;
    if x < -80.0 {
        0.0
    } else {
        e
    }
}

/// `exp(x) − 1` for `x ≤ 0` (or `−∞`), branch-free: for `x > −½ln 2` the degree-8 Taylor
/// polynomial (no cancellation, truncation below `10⁻⁹` relative), else `exp_bf(x) − 1`
/// (cancellation at most a factor 2.4).
#[inline(always)]
pub(super) fn expm1_neg_bf(x: f32) -> f32 {
    let xs = max_bf(x, -0.35);
    let series = xs
        * (1.0
            + xs * (0.5
                + xs * (1.0 / 6.0
                    + xs * (1.0 / 24.0
                        + xs * (1.0 / 120.0
                            + xs * (1.0 / 720.0 + xs * (1.0 / 5040.0 + xs * (1.0 / 40320.0))))))));
    let big = exp_bf(x) - 1.0;
    if x > -0.346_573_6 {
        series
    } else {
        big
    }
}

/// `exp(−x²/2)` with the rounding of `x²` compensated ([`square_split`]), branch-free, for
/// `x ≥ 0` (or `+∞`); 0 for `x ≥ 15` (where it is below `2·10⁻⁴⁹`). Not for NaN.
#[inline(always)]
pub(super) fn exp_neg_half_sq_bf(x: f32) -> f32 {
    let (hi, lo) = square_split(min_bf(x, 15.0));
    let e = exp_bf(-0.5 * hi);
    e - e * (0.5 * lo)
}

/// `(x + ½, ½·(1 + p(q)))` for finite `x ≥ 0`: the Shepherd–Laframboise form of [`erfcx`]
/// as a fraction, `erfcx(x) = second/first`, so that callers can fold the division into
/// their own.
#[inline(always)]
pub(super) fn erfcx_fraction(x: f32) -> (f32, f32) {
    let q = (x - 2.0) / (x + 2.0);
    // Estrin's scheme: four dependent multiply-adds instead of Horner's twelve, so that
    // independent measurements overlap in the pipeline (the loop is latency-bound).
    let c = &ERFCX_POLY;
    let q2 = q * q;
    let q4 = q2 * q2;
    let q8 = q4 * q4;
    let p0 = (c[0] + c[1] * q) + (c[2] + c[3] * q) * q2;
    let p4 = (c[4] + c[5] * q) + (c[6] + c[7] * q) * q2;
    let p8 = (c[8] + c[9] * q) + (c[10] + c[11] * q) * q2;
    let p = (p0 + p4 * q4) + (p8 + c[12] * q4) * q8;
    (x + 0.5, (1.0 + p) * 0.5)
}

/// Taylor coefficients of `erf(x)/x = (2/√π)·Σ (−1)^k x^{2k}/(k!(2k+1))`, `k = 0..=11`.
pub(super) const ERF_SMALL: [f32; 12] = [
    core::f32::consts::FRAC_2_SQRT_PI,
    -0.376_126_38,
    0.112_837_92,
    -0.026_866_172,
    0.005_223_978,
    -0.000_854_832_7,
    0.000_120_553_326,
    -1.492_565e-5,
    1.646_211_4e-6,
    -1.636_584_4e-7,
    1.480_719_3e-8,
    -1.229_055_5e-9,
];

/// `erf(x)` for `x ≥ 0` (or `+∞`) given `ex = exp(−x²)`, branch-free: the Taylor series for
/// `x < 1`, `1 − exp(−x²)·erfcx(x)` above (no cancellation: `erfc(1) < 0.16`). Not for NaN.
#[inline(always)]
pub(super) fn erf_nonneg_bf(x: f32, ex: f32) -> f32 {
    let xs = x.min(1.0);
    let x2 = xs * xs;
    // Estrin's scheme in x² (written out: a loop here would keep the per-measurement loop
    // around it from vectorizing).
    let c = &ERF_SMALL;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let p0 = (c[0] + c[1] * x2) + (c[2] + c[3] * x2) * x4;
    let p4 = (c[4] + c[5] * x2) + (c[6] + c[7] * x2) * x4;
    let p8 = (c[8] + c[9] * x2) + (c[10] + c[11] * x2) * x4;
    let small = xs * ((p0 + p4 * x8) + p8 * (x8 * x8));
    let (den, num) = erfcx_fraction(x.min(10.0));
    // 1 − ex·n/d = (d − ex·n)/d, selected as a fraction so that the division is not
    // conditional.
    let (top, bottom) = if x < 1.0 {
        (small, 1.0)
    } else {
        (den - ex * num, den)
    };
    top / bottom
}
