//! Numerically stable standard-normal functions in pure `f32`: the scaled complementary
//! error function [`erfcx`], the normal CDF [`ndtr`] and its logarithm [`log_ndtr`], the
//! inverse Mills ratio [`upper_tail_mean`], the truncated-normal mean
//! [`truncated_normal_mean`] and variance [`truncated_normal_variance`] (the latter for the
//! expectation-propagation score of [`crate::ep`], with its own algorithm notes).
//!
//! These are the numerical kernel of the noise-perturbed pseudo-likelihood score (paper
//! Theorem 1). With `s = √(σ² + β_t²‖a_m‖²)`, `z = a_mᵀx̃` and the quantization bin
//! `[l, u)` of measurement `y_m`, eq. (15) (and its restatement eq. (29), used by
//! Algorithm 1) is
//!
//! ```text
//! g_m = truncated_normal_mean((l − z)/s, (u − z)/s) / s
//! ```
//!
//! (the paper's `ũ, l̃` of eq. (16) are the negated, swapped bounds; the ratio is the same).
//! The one-bit score eq. (18) is the half-infinite case: for `y_m = +1`, the bin is
//! `[0, ∞)` and `g_m = upper_tail_mean(−z/s)/s`; for `y_m = −1`, `g_m = −upper_tail_mean(z/s)/s`.
//! The naive formulas (ratios of differences of `exp` and `erfc`) give `0/0`, `NaN`, or
//! gradients that collapse towards 0 once a measurement is violated by a few `s`; the
//! functions here stay accurate everywhere and never return `NaN`/`±∞` for finite input.
//!
//! Everything is computed in `f32` (no `f64`: it is soft-float on the Cortex-M4F, and this is
//! the hot loop of the likelihood) without fused multiply-add, so results are bit-identical
//! across targets. [`erfcx`], [`ndtr`] and [`log_ndtr`] use `libm`'s `expf`, `erff`,
//! `log1pf`, `logf`; the two score kernels, [`upper_tail_mean`] and
//! [`truncated_normal_mean`], use branch-free polynomial `exp`, `expm1` and `erf` of their
//! own (below), so that the per-measurement loops of eq. (18) and (15)/(29) vectorize.
//!
//! # Algorithms
//!
//! * **`x²` without rounding error.** `exp(±x²)` is evaluated as `exp(hi)·(1 ± lo)` where
//!   `hi = fl(x²)` and `lo = x² − hi` is recovered exactly by splitting `x` into a 12-bit head
//!   and a tail (Veltkamp/Dekker, no FMA needed). Without this, the rounding of `x²` alone
//!   costs a relative error of `x²·2⁻²⁴` (up to 5·10⁻⁶ near the overflow of `exp(x²)`).
//! * **[`erfcx`]**, `x ≥ 0`: following Shepherd & Laframboise (Math. Comp. 36, 1981),
//!   `(1 + 2x)·erfcx(x) − 1` is a smooth function of `q = (x − 2)/(x + 2) ∈ [−1, 1]` on the
//!   whole half-line, approximated by a degree-12 polynomial in `q` (the truncated Chebyshev
//!   series, truncation error 5·10⁻⁹; `tests/reference/gauss_golden.py --derive` reproduces the
//!   coefficients with mpmath); then `erfcx(x) = ½(1 + p(q))/(x + ½)`, which never overflows.
//!   `x < 0`: `erfcx(x) = exp(x²)·(1 + erf(−x))` (no cancellation: `1 + erf(−x) ∈ [1, 2]`).
//! * **[`ndtr`], [`log_ndtr`]**: `Φ(x) = ½·exp(−x²/2)·erfcx(−x/√2)` for `x < 0` and
//!   `1 − Φ(−x)` otherwise; `log Φ(x) = −x²/2 + log(½·erfcx(−x/√2))` for `x < 0` (two terms of
//!   the same sign, so the far left tail `≈ −x²/2 − log(−x) − ½log 2π` is exact to rounding),
//!   `−ln 2 + log1p(erf(x/√2))` for `−1 < x < ¼`, and `log1p(−Φ(−x))` for `x ≥ ¼`.
//! * **Branch-free `exp`** (kernels only): Cody–Waite reduction `x = n·ln 2 + r` with a
//!   two-part `ln 2`, `n` rounded by adding `1.5·2²³`, `exp(r)` by its degree-7 Taylor
//!   polynomial (Estrin's scheme), `2ⁿ` from the exponent bits; `expm1(x)` for `x ≤ 0` by its
//!   degree-8 Taylor polynomial above `−½ln 2` and `exp(x) − 1` below; `erf(x)`, `x ≥ 0`, by
//!   its degree-23 Taylor series below 1 and `1 − exp(−x²)·erfcx(x)` above. Each computes
//!   every branch and selects, so that a loop over measurements has no jumps.
//! * **[`upper_tail_mean`]** (inverse Mills ratio, eq. 18): with `t = |a|/√2` and
//!   `erfcx(t) = n/d` (the polynomial form above, Estrin's scheme), `√(2/π)·d/n` for
//!   `a ≥ 0` and `√(2/π)·E·d/(2d − E·n)`, `E = exp(−a²/2)`, for `a < 0` (that is
//!   `φ(a)/Φ(−a)`; `E·n/d = erfc(t) ≤ 1`, so the difference loses at most one bit), and `a`
//!   itself for `a > 10⁶` (the true value lies in `(a, a + 1/a)`, which rounds to `a`).
//! * **[`truncated_normal_mean`]** (eq. 15/29), finite `a < b`, with midpoint `c = (a + b)/2`
//!   and half-width `h = (b − a)/2`:
//!   - *Narrow interval* (`h ≤ ¼` and `|c·h| ≤ ½`): with `t = x − c`, the truncated density
//!     is `∝ exp(−c·t − t²/2)` on `[−h, h]`, so the mean is `c + h·m(λ, μ)` where `m` is the
//!     mean of `s ∈ [−1, 1]` under `exp(−λs − μs²/2)`, `λ = c·h`, `μ = h²`. Expanding
//!     `m = −∂_λ log ∫₋₁¹ exp(−λs − μs²/2) ds` (sympy, `gauss_golden.py --derive`) gives
//!     `m = λ·R(λ², μ)` with
//!     `R = −1/3 + λ²/45 + 2μ/45 − 2λ⁴/945 − 8λ²μ/945 − 2μ²/945 + λ⁶/4725 + 2λ⁴μ/1575 +
//!     2λ²μ²/1575 − 2μ³/14175 + (degree 4 in λ², μ) + …` (for `μ = 0` this is the
//!     Langevin function), hence `mean = c + c·(μ·R)`. The neglected terms are below 10⁻⁹
//!     relative, the result is relative-accurate even when the mean is near 0, and this is
//!     exactly where the difference formula cancels catastrophically (down to one-ulp widths).
//!   - Otherwise reflect so that the midpoint is `≥ 0` (`a' ≤ b'`, `|a'| ≤ b'`); with
//!     `d = (b'² − a'²)/2 = 2h|c|` and `E = exp(−d)`, `1 − E = −expm1(−d)` (no cancellation),
//!     `φ(a') − φ(b') = φ(a')·(1 − E)`.
//!   - *One infinite bound*: `±upper_tail_mean` of the finite one.
//!   - *One tail* (`a' ≥ ½`): factor `exp(−a'²/2)` out of both tails,
//!     `mean = √(2/π)·(1 − E)/(erfcx(a'/√2) − E·erfcx(b'/√2))`, both `erfcx` as fractions
//!     over one common denominator (one division). Outside the narrow region `d > 1` or
//!     `b − a > ½`, so the denominator loses at most a factor ≈ 2.5 to cancellation.
//!   - *Straddling 0 or near it* (`a' < ½`): `mean = √(2/π)·exp(−a'²/2)·(1 − E)/(erf(b'/√2)
//!     − erf(a'/√2))`; for `a' < 0` the two `erf` have opposite signs (no cancellation), for
//!     `0 ≤ a' < ½` the difference cancels less than the `erfcx` form would.
//!   - `a' > 10⁶`: the mean rounds to `±a'`.
//!
//!   [`truncated_normal_mean_block`] runs this for 8 bins at once: each algorithm that a bin
//!   of the block needs runs branch-free over the whole block (a vectorized pass) and each bin
//!   keeps its own algorithm's value, so the block gives exactly the scalar function's bits.
//!
//! # Measured accuracy
//!
//! Against mpmath at 50 significant digits, evaluated at the exact `f32` inputs
//! (`tests/reference/gauss_golden.py`, data in `tests/data/gauss_*.csv`, checked by
//! `tests/gauss.rs`), over `x ∈ [−10, 3.4·10³⁸]` (`log_ndtr`: down to `−2.5·10¹⁹`) and
//! `a, b ∈ [−10⁴, 10⁴] ∪ {±∞}` plus bounds up to `2·10³⁸` (widths from one ulp of the bound
//! to ∞, both tails, straddling 0, and around every switch between algorithms), the largest
//! relative errors are (`u` = 2⁻²⁴ ≈ 6·10⁻⁸):
//!
//! | function | max relative error | rows |
//! |---|---|---|
//! | [`erfcx`] | 1.6·10⁻⁷ (2.7 u) | 1408 |
//! | [`ndtr`] | 2.2·10⁻⁷ (3.7 u) | 1298 |
//! | [`log_ndtr`] | 2.3·10⁻⁷ (3.9 u) | 1298 |
//! | [`upper_tail_mean`] | 1.6·10⁻⁷ (2.7 u) | 274 |
//! | [`truncated_normal_mean`] | 3.0·10⁻⁷ (5.1 u) | 3530 (both argument orders) |
//!
//! An extended check, 12 000 random intervals concentrated on the switches between the
//! algorithms (`gauss_golden.py --switch-check`, then the ignored test `switch_check`; both
//! argument orders and the block kernel), gave at most 4.1·10⁻⁷ (6.8 u), in the one-tail
//! form just above `a' = ½`. Relative error is measured where the true value is at least
//! 2⁻¹⁰⁰ in magnitude; below that (only where subnormal intermediates occur) the absolute
//! error is below 10⁻³⁷.

use core::f32::consts::FRAC_1_SQRT_2;

mod variance;
pub use variance::truncated_normal_variance;

/// `√(2/π)`.
const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// Coefficients (constant term first) of the degree-12 polynomial `p(q)` with
/// `(1 + 2x)·erfcx(x) ≈ 1 + p(q)`, `q = (x − 2)/(x + 2)`, `x ≥ 0` (truncated Chebyshev
/// series of the function, converted to monomials and rounded to `f32`).
const ERFCX_POLY: [f32; 13] = [
    0.276_978_37,
    -0.092_763_76,
    -0.166_030_38,
    0.164_049_46,
    -0.054_220_267,
    -0.008_018_963,
    0.008_724_607_5,
    0.001_217_410_6,
    -0.001_464_070_9,
    -0.000_357_920_45,
    0.000_221_571_55,
    6.336_946e-5,
    -2.025_599e-5,
];

/// Half-width bound `h ≤ H_NARROW` of the narrow-interval series.
const H_NARROW: f32 = 0.25;
/// Tilt bound `|c·h| ≤ LAMBDA_NARROW` of the narrow-interval series.
const LAMBDA_NARROW: f32 = 0.5;
/// `log_ndtr` uses `log1p(erf(x/√2))` on this interval.
const LOG_NDTR_ERF_LO: f32 = -1.0;
/// `log_ndtr` uses `log1p(erf(x/√2))` on this interval.
const LOG_NDTR_ERF_HI: f32 = 0.25;
/// Below this lower bound, the one-tail mean uses `erf(b/√2) − erf(a/√2)`.
const ERF_FORM_BELOW: f32 = 0.5;
/// Beyond this, `E[X | a < X < b]` for `0 ≤ a < b` lies in `(a, a + 1/a)` and rounds to `a`.
const HUGE_BOUND: f32 = 1.0e6;

/// `(hi, lo)` with `hi = fl(x²)` and `hi + lo = x²` to about 2⁻³⁴ relative.
///
/// Requires `|x| ≤ 1.8·10¹⁹` (so that `x²` is finite). Dekker's product without FMA: the head
/// `xh` (12 significant bits) squares exactly, `xh² − hi` is exact by Sterbenz' lemma.
#[inline(always)]
fn square_split(x: f32) -> (f32, f32) {
    let hi = x * x;
    let xh = f32::from_bits(x.to_bits() & 0xFFFF_F000);
    let xl = x - xh;
    let lo = (xh * xh - hi) + xl * (xh + x);
    (hi, lo)
}

/// `exp(−x²/2)`, with the rounding of `x²` compensated. `NaN` in gives `NaN` out.
#[inline]
fn exp_neg_half_sq(x: f32) -> f32 {
    let ax = libm::fabsf(x);
    if ax > 15.0 {
        // exp(−112.5) is below the smallest subnormal.
        return 0.0;
    }
    let (hi, lo) = square_split(ax);
    let e = libm::expf(-0.5 * hi);
    e - e * (0.5 * lo)
}

/// `erfcx(a)` for finite `a ≥ 0` (Shepherd–Laframboise polynomial, by Horner's rule, which
/// gives `erfcx(0) = 1` exactly; the kernels use [`erfcx_fraction`]).
#[inline]
fn erfcx_nonneg(a: f32) -> f32 {
    let q = (a - 2.0) / (a + 2.0);
    let mut p = ERFCX_POLY[12];
    for &c in ERFCX_POLY[..12].iter().rev() {
        p = p * q + c;
    }
    (1.0 + p) * 0.5 / (a + 0.5)
}

/// Scaled complementary error function `erfcx(x) = exp(x²)·erfc(x)`.
///
/// Accurate to a few ulp for every `x` (see the module docs for the algorithm and the
/// measured error). `erfcx(+∞) = 0`; for large positive `x` it decays like `1/(x√π)` (and
/// becomes subnormal above `x ≈ 4.8·10³⁷`). For negative `x` it grows like `2·exp(x²)`,
/// and returns `+∞` exactly when the true value exceeds `f32::MAX` (for `x` below about
/// `−9.3824`), as well as for `x = −∞`. `NaN` in gives `NaN` out.
pub fn erfcx(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let a = libm::fabsf(x);
    if x >= 0.0 {
        return if a == f32::INFINITY {
            0.0
        } else {
            erfcx_nonneg(a)
        };
    }
    let (hi, lo) = square_split(x);
    if hi > 88.72 {
        // exp(x²) alone is within rounding of f32::MAX or beyond (ln f32::MAX = 88.7228),
        // so the true value (≥ 2·exp(x²)·(1 − 10⁻³⁹)) exceeds it.
        return f32::INFINITY;
    }
    // exp(x²)·erfc(x) with erfc(x) = 1 + erf(|x|) ∈ [1, 2]: no cancellation. If the product
    // exceeds f32::MAX it overflows to +∞, as it should.
    let e = libm::expf(hi);
    (e + e * lo) * (1.0 + libm::erff(a))
}

/// `Φ(x)`, the standard normal cumulative distribution function.
///
/// Relative-accurate in the left tail (down to the subnormal range, `Φ(−∞) = 0`) and
/// `Φ(+∞) = 1`. `NaN` in gives `NaN` out.
pub fn ndtr(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        lower_tail(x)
    } else {
        1.0 - lower_tail(-x)
    }
}

/// `Φ(x)` for `x ≤ 0` (or `−∞`): `½·exp(−x²/2)·erfcx(−x/√2)`.
#[inline]
fn lower_tail(x: f32) -> f32 {
    exp_neg_half_sq(x) * (0.5 * erfcx(-x * FRAC_1_SQRT_2))
}

/// `log Φ(x)`, the log of the standard normal CDF.
///
/// Stable in the far left tail, where it behaves like `−x²/2 − log(−x) − ½·log 2π`
/// (`−∞` only where the true value is below `−f32::MAX`, i.e. `x < −2.6·10¹⁹`, and at
/// `x = −∞`), and relative-accurate in the right tail, where it behaves like `−Φ(−x)`
/// (`log_ndtr(+∞) = 0`). `NaN` in gives `NaN` out.
pub fn log_ndtr(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x > LOG_NDTR_ERF_LO && x < LOG_NDTR_ERF_HI {
        // Near 0: log Φ(x) = −ln 2 + log1p(erf(x/√2)), both terms of the same sign for x < 0.
        -core::f32::consts::LN_2 + libm::log1pf(libm::erff(x * FRAC_1_SQRT_2))
    } else if x < 0.0 {
        // Both terms are negative: no cancellation.
        let half_sq = (0.5 * x) * x;
        -half_sq + libm::logf(0.5 * erfcx(-x * FRAC_1_SQRT_2))
    } else {
        libm::log1pf(-lower_tail(-x))
    }
}

/// `|x|` by clearing the sign bit (branch-free, vectorizes).
#[inline(always)]
fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7FFF_FFFF)
}

/// `min(x, y)` as one compare-and-select (`y` if either is `NaN`): a single `minps` on
/// x86, without the `NaN` fix-up that `f32::min` needs.
#[inline(always)]
fn min_bf(x: f32, y: f32) -> f32 {
    if x < y {
        x
    } else {
        y
    }
}

/// `max(x, y)` as one compare-and-select (`y` if either is `NaN`).
#[inline(always)]
fn max_bf(x: f32, y: f32) -> f32 {
    if x > y {
        x
    } else {
        y
    }
}

/// `2^23 + 2^22`: adding and subtracting it rounds an `f32` of magnitude `< 2^22` to the
/// nearest integer (ties to even), without a branch or a conversion.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// `log2(e)`.
const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// High part of `ln 2`, `0x3F31_8000` (9 significant bits, so `n·LN2_HI` is exact for every
/// `|n| < 2^15`).
const LN2_HI: f32 = 0.693_359_4;
/// `ln 2 − LN2_HI`, rounded.
const LN2_LO: f32 = -2.121_944_4e-4;

/// `exp(x)`, branch-free: `x = n·ln 2 + r` with `n = round(x·log2 e)` (Cody–Waite, two-part
/// `ln 2`), `|r| ≤ ½ln 2`, `exp(r)` by its degree-7 Taylor polynomial (truncation below
/// `6·10⁻⁹` relative), times `2^n` built from the exponent bits. Within about 1 ulp for
/// `−80 ≤ x ≤ 88.37`; returns 0 below `−80` (the true value is below `1.9·10⁻³⁵`; stopping
/// there keeps subnormal results, which cost microcode assists on x86, out of the vectorized
/// kernels, also in the lanes whose value is discarded) and `exp(88.37) ≈ 2.4·10³⁸` above
/// `88.37`, so callers only use it where that saturation is harmless. Not for NaN.
#[inline(always)]
fn exp_bf(x: f32) -> f32 {
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
fn expm1_neg_bf(x: f32) -> f32 {
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
fn exp_neg_half_sq_bf(x: f32) -> f32 {
    let (hi, lo) = square_split(min_bf(x, 15.0));
    let e = exp_bf(-0.5 * hi);
    e - e * (0.5 * lo)
}

/// `(x + ½, ½·(1 + p(q)))` for finite `x ≥ 0`: the Shepherd–Laframboise form of [`erfcx`]
/// as a fraction, `erfcx(x) = second/first`, so that callers can fold the division into
/// their own.
#[inline(always)]
fn erfcx_fraction(x: f32) -> (f32, f32) {
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
const ERF_SMALL: [f32; 12] = [
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
fn erf_nonneg_bf(x: f32, ex: f32) -> f32 {
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

/// `E[X | X > a]` for `X ~ N(0, 1)`: the inverse Mills ratio `φ(a)/(1 − Φ(a))`
/// (the one-bit score of paper eq. 18).
///
/// With `t = |a|/√2` and `erfcx(t) = n/d` ([`erfcx`]'s polynomial form):
/// `√(2/π)/erfcx(t) = √(2/π)·d/n` for `a ≥ 0`, and for `a < 0`
/// `φ(a)/Φ(−a) = √(2/π)·E/(2 − E·erfcx(t)) = √(2/π)·E·d/(2d − E·n)` with `E = exp(−a²/2)`
/// (the rounding of `a²` compensated; `E·erfcx(t) = erfc(t) ≤ 1`, so the difference loses
/// at most one bit); `a` itself for `a > 10⁶` (the true value lies in `(a, a + 1/a)`, which
/// rounds to `a`). Branch-free (both forms are computed and one is selected), so the
/// per-measurement loop of eq. 18 vectorizes. It behaves like `a + 1/a` for large `a` and
/// like `φ(a)` (→ 0) for very negative `a` (0 below `a ≈ −12.65`, where the true value is
/// below `8·10⁻³⁶`). Finite `a` never gives `NaN` or `±∞`. `upper_tail_mean(−∞) = 0`;
/// `upper_tail_mean(+∞) = +∞`, which is the true limit (the mean of a tail beyond `a` is at
/// least `a`). `NaN` in gives `NaN` out.
#[inline(always)]
pub fn upper_tail_mean(a: f32) -> f32 {
    let aa = abs(a);
    let (d, n) = erfcx_fraction(min_bf(aa * FRAC_1_SQRT_2, 1.0e30));
    let e = exp_neg_half_sq_bf(aa);
    let pos = a >= 0.0;
    let num = SQRT_2_OVER_PI * d * if pos { 1.0 } else { e };
    let den = if pos { n } else { 2.0 * d - e * n };
    // The mean of the tail beyond a exceeds a; rounding must not put it below.
    let r = max_bf(num / den, a);
    // NaN and +∞ come out as themselves, as does everything beyond HUGE_BOUND.
    if a > HUGE_BOUND || a.is_nan() {
        a
    } else {
        r
    }
}

/// A bin `(a, b)` of [`truncated_normal_mean`] in the form its algorithms use: sorted
/// bounds, midpoint `c` and half-width `h`, and the bounds reflected so that the midpoint is
/// `≥ 0` (`a' = ap`, `b' = bp`, `|a'| ≤ b'`; `neg` says whether they were).
#[derive(Clone, Copy)]
struct Bin {
    lo: f32,
    hi: f32,
    c: f32,
    h: f32,
    ap: f32,
    bp: f32,
    neg: bool,
}

/// [`Bin`] of `(a, b)`, branch-free.
#[inline(always)]
fn bin(a: f32, b: f32) -> Bin {
    let lo = min_bf(a, b);
    let hi = max_bf(b, a);
    // Halving first keeps c and h finite; each is one rounding of an exact sum.
    let c = 0.5 * lo + 0.5 * hi;
    let h = 0.5 * hi - 0.5 * lo;
    let neg = c < 0.0;
    Bin {
        lo,
        hi,
        c,
        h,
        ap: if neg { -hi } else { lo },
        bp: if neg { -lo } else { hi },
        neg,
    }
}

/// Algorithm of [`truncated_normal_mean`] for one bin (module docs): `NaN`, equal or
/// doubly infinite bounds, or a reflected lower bound beyond [`HUGE_BOUND`].
const CASE_SPECIAL: u32 = 0;
/// One infinite bound: `±upper_tail_mean` of the other.
const CASE_HALF: u32 = 1;
/// Narrow interval: the series in `(c·h)²` and `h²`.
const CASE_NARROW: u32 = 2;
/// Both bounds in one tail, `a' ≥ ½`: the `erfcx` form.
const CASE_TAIL: u32 = 3;
/// Straddling 0 or near it, `a' < ½`: the `erf` form.
const CASE_NEAR: u32 = 4;

/// Which algorithm of [`truncated_normal_mean`] applies to `(a, b)` and its [`Bin`]
/// (non-short-circuit logic and selects only, so that a block of them vectorizes).
#[inline(always)]
fn case_of(a: f32, b: f32, s: &Bin) -> u32 {
    let special = a.is_nan()
        | b.is_nan()
        | (s.lo == s.hi)
        | (s.ap > HUGE_BOUND)
        | ((s.lo == f32::NEG_INFINITY) & (s.hi == f32::INFINITY));
    let narrow = (s.h <= H_NARROW) & (abs(s.c * s.h) <= LAMBDA_NARROW);
    let far = if s.ap >= ERF_FORM_BELOW {
        CASE_TAIL
    } else {
        CASE_NEAR
    };
    let finite = if narrow { CASE_NARROW } else { far };
    let open = if s.bp == f32::INFINITY {
        CASE_HALF
    } else {
        finite
    };
    if special {
        CASE_SPECIAL
    } else {
        open
    }
}

/// Undoes the reflection of [`Bin`].
#[inline(always)]
fn unreflect(s: &Bin, m: f32) -> f32 {
    if s.neg {
        -m
    } else {
        m
    }
}

/// The exact mean lies in `(lo, hi)`; a few ulp of rounding must not push it outside.
#[inline(always)]
fn clamp_to(s: &Bin, m: f32) -> f32 {
    min_bf(max_bf(m, s.lo), s.hi)
}

/// [`CASE_SPECIAL`]: `NaN` for a `NaN` bound, the bound itself for `a == b`, 0 for
/// `(−∞, ∞)`, and `±a'` (which the mean rounds to) beyond [`HUGE_BOUND`].
#[inline]
fn special_mean(a: f32, b: f32, s: &Bin) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if s.lo == s.hi {
        s.lo
    } else if s.lo == f32::NEG_INFINITY && s.hi == f32::INFINITY {
        0.0
    } else {
        unreflect(s, s.ap)
    }
}

/// [`CASE_HALF`]: `(a', ∞)` (or `(−∞, −a')` reflected).
#[inline(always)]
fn half_mean(s: &Bin) -> f32 {
    unreflect(s, upper_tail_mean(s.ap))
}

/// [`CASE_NARROW`]: `c·(1 + μR(Λ, μ))`, `Λ = (c·h)²`, `μ = h²` (module docs). The inputs
/// are clamped to the series' domain, so other bins give finite garbage, not `NaN`.
#[inline(always)]
fn narrow_mean(s: &Bin) -> f32 {
    let lambda = min_bf(max_bf(s.c * s.h, -LAMBDA_NARROW), LAMBDA_NARROW);
    let h = min_bf(s.h, H_NARROW);
    clamp_to(s, s.c + s.c * narrow_correction(lambda * lambda, h * h))
}

/// `(1 − E, E)` with `E = exp(−d)`, `d = (b'² − a'²)/2 = 2·h·|c| ≥ 0` (possibly `+∞`);
/// `1 − E = −expm1(−d)` without cancellation.
#[inline(always)]
fn tilt(s: &Bin) -> (f32, f32) {
    let d = 2.0 * (s.h * abs(s.c));
    let em1 = expm1_neg_bf(-d);
    (-em1, 1.0 + em1)
}

/// [`CASE_TAIL`]: `0 ≤ ½ ≤ a' < b' < ∞`, with `exp(−a'²/2)` factored out of both tails:
/// `√(2/π)·(1 − E)/(erfcx(a'/√2) − E·erfcx(b'/√2))`, both `erfcx` as fractions so that one
/// division remains.
#[inline(always)]
fn tail_mean(s: &Bin) -> f32 {
    let (one_minus_e, e) = tilt(s);
    let (da, na) = erfcx_fraction(min_bf(abs(s.ap) * FRAC_1_SQRT_2, 1.0e30));
    let (db, nb) = erfcx_fraction(min_bf(abs(s.bp) * FRAC_1_SQRT_2, 1.0e30));
    // ea − E·eb = (na·db − E·nb·da)/(da·db); da ≤ 7.1·10⁵ here, so nothing overflows.
    let m = SQRT_2_OVER_PI * one_minus_e * (da * db) / (na * db - e * (nb * da));
    clamp_to(s, unreflect(s, m))
}

/// [`CASE_NEAR`]: `a' < ½`, `|a'| ≤ b' < ∞`:
/// `√(2/π)·exp(−a'²/2)·(1 − E)/(erf(b'/√2) − erf(a'/√2))`. The two `erf` need
/// `exp(−a'²/2)` and `exp(−b'²/2) = exp(−a'²/2)·E`, so one `exp` (besides `E`'s) serves all.
/// The rounding of `d` in `E` costs `erf(b'/√2)` at most `0.2·2⁻²³` relative (`d ≤ b'²/2` and
/// `t²·erfc(t) ≤ 0.2`).
#[inline(always)]
fn near_mean(s: &Bin) -> f32 {
    let (one_minus_e, e) = tilt(s);
    let phi_a = exp_neg_half_sq_bf(abs(s.ap));
    let ta = s.ap * FRAC_1_SQRT_2;
    let erf_a = erf_nonneg_bf(abs(ta), phi_a);
    let erf_a = if ta < 0.0 { -erf_a } else { erf_a };
    let erf_b = erf_nonneg_bf(abs(s.bp) * FRAC_1_SQRT_2, phi_a * e);
    let m = SQRT_2_OVER_PI * phi_a * one_minus_e / (erf_b - erf_a);
    clamp_to(s, unreflect(s, m))
}

/// `E[X | a < X < b]` for `X ~ N(0, 1)`: `(φ(a) − φ(b))/(Φ(b) − Φ(a))`, the ratio in the
/// pseudo-likelihood score of paper eq. (15)/(29), `g = truncated_normal_mean(ℓ, υ)/s` with
/// standardized bin bounds `ℓ = (l − z)/s`, `υ = (u − z)/s`.
///
/// A total function:
/// * symmetric in `(a, b)` (the bounds may come in either order);
/// * `a == b` returns `a` (the limit of a vanishing interval);
/// * infinite bounds are allowed: `(−∞, ∞) → 0`, `(a, ∞) → upper_tail_mean(a)`,
///   `(−∞, b) → −upper_tail_mean(−b)`, `(+∞, +∞) → +∞`, `(−∞, −∞) → −∞`;
/// * `NaN` in either bound gives `NaN`;
/// * finite bounds never give `NaN` or `±∞`, and the result always lies in `[a, b]`.
///
/// Accurate to a few ulp (see the module docs) for intervals deep in one tail (e.g.
/// `(30, 30.5)` or `(−10⁴, −9999)`, where the mean is the bound nearest 0 plus about
/// `1/|bound|`), for intervals straddling 0, and for intervals as narrow as one ulp.
/// [`truncated_normal_mean_block`] computes the same bits for [`LANES`] bins at a time.
#[inline]
pub fn truncated_normal_mean(a: f32, b: f32) -> f32 {
    let s = bin(a, b);
    match case_of(a, b, &s) {
        CASE_HALF => half_mean(&s),
        CASE_NARROW => narrow_mean(&s),
        CASE_TAIL => tail_mean(&s),
        CASE_NEAR => near_mean(&s),
        _ => special_mean(a, b, &s),
    }
}

/// Bins per call of [`truncated_normal_mean_block`]: 8 `f32`, one AVX register.
pub const LANES: usize = 8;

/// [`truncated_normal_mean`] of `LANES` bins `(a[k], b[k])`, bit for bit the same values.
///
/// Each algorithm of the scalar function (module docs) that at least one bin of the block
/// needs runs branch-free over the whole block, and each bin keeps its own algorithm's
/// result, so the compiler vectorizes every pass: a block whose bins share one case costs
/// one vectorized pass. This is the multi-bit kernel of eq. (15)/(29) on targets with SIMD
/// ([`crate::likelihood::quantized_g`]); scalar targets call [`truncated_normal_mean`].
pub fn truncated_normal_mean_block(a: &[f32; LANES], b: &[f32; LANES]) -> [f32; LANES] {
    let bins = Bins::new(a, b);
    let mut out = [0.0f32; LANES];
    pass(&bins, CASE_NARROW, &mut out, narrow_mean);
    pass(&bins, CASE_HALF, &mut out, half_mean);
    pass(&bins, CASE_TAIL, &mut out, tail_mean);
    pass(&bins, CASE_NEAR, &mut out, near_mean);
    for k in 0..LANES {
        if bins.case[k] == CASE_SPECIAL {
            out[k] = special_mean(a[k], b[k], &bins.lane(k));
        }
    }
    out
}

/// A block of [`Bin`]s as a structure of arrays, with each bin's algorithm.
struct Bins {
    lo: [f32; LANES],
    hi: [f32; LANES],
    c: [f32; LANES],
    h: [f32; LANES],
    ap: [f32; LANES],
    bp: [f32; LANES],
    neg: [bool; LANES],
    case: [u32; LANES],
}

impl Bins {
    /// The [`Bin`]s of `(a[k], b[k])` and their algorithms.
    #[inline(always)]
    fn new(a: &[f32; LANES], b: &[f32; LANES]) -> Self {
        let mut bins = Bins {
            lo: [0.0; LANES],
            hi: [0.0; LANES],
            c: [0.0; LANES],
            h: [0.0; LANES],
            ap: [0.0; LANES],
            bp: [0.0; LANES],
            neg: [false; LANES],
            case: [CASE_SPECIAL; LANES],
        };
        for k in 0..LANES {
            let s = bin(a[k], b[k]);
            bins.case[k] = case_of(a[k], b[k], &s);
            (bins.lo[k], bins.hi[k], bins.c[k], bins.h[k]) = (s.lo, s.hi, s.c, s.h);
            (bins.ap[k], bins.bp[k], bins.neg[k]) = (s.ap, s.bp, s.neg);
        }
        bins
    }

    #[inline(always)]
    fn lane(&self, k: usize) -> Bin {
        Bin {
            lo: self.lo[k],
            hi: self.hi[k],
            c: self.c[k],
            h: self.h[k],
            ap: self.ap[k],
            bp: self.bp[k],
            neg: self.neg[k],
        }
    }
}

/// One branch-free pass of algorithm `f` over a block, kept where `case == which`; nothing
/// when no bin of the block needs `f`.
///
/// For this loop to vectorize, `f` must be free of loops and of selects between a value and
/// a constant that feeds a long computation: the optimizer turns `min_bf(x, 10.0)` ahead of
/// a polynomial into a branch (so as to fold the constant path), which leaves the whole pass
/// scalar. Such clamps use `f32::min`/`f32::max`, which stay one instruction sequence.
#[inline(always)]
fn pass<F: Fn(&Bin) -> f32>(bins: &Bins, which: u32, out: &mut [f32; LANES], f: F) {
    if !bins.case.contains(&which) {
        return;
    }
    for (k, o) in out.iter_mut().enumerate() {
        let v = f(&bins.lane(k));
        *o = if bins.case[k] == which { v } else { *o };
    }
}

/// `μ·R(Λ, μ)` of the narrow-interval series (module docs), `Λ = (c·h)²`, `μ = h²`:
/// the mean is `c·(1 + μ·R)`. All terms of total degree ≤ 4 in `(Λ, μ)`; for `Λ ≤ ¼`,
/// `μ ≤ 1/16` the neglected ones are below 10⁻⁹ relative to the mean.
#[inline(always)]
fn narrow_correction(big_l: f32, mu: f32) -> f32 {
    // R_ij multiplies Λ^i μ^j (coefficients from `gauss_golden.py --derive`).
    const R00: f32 = -1.0 / 3.0;
    const R10: f32 = 1.0 / 45.0;
    const R01: f32 = 2.0 / 45.0;
    const R20: f32 = -2.0 / 945.0;
    const R11: f32 = -8.0 / 945.0;
    const R02: f32 = -2.0 / 945.0;
    const R30: f32 = 1.0 / 4725.0;
    const R21: f32 = 2.0 / 1575.0;
    const R12: f32 = 2.0 / 1575.0;
    const R03: f32 = -2.0 / 14175.0;
    const R40: f32 = -2.0 / 93555.0;
    const R31: f32 = -16.0 / 93555.0;
    const R22: f32 = -2.0 / 6237.0;
    const R13: f32 = -4.0 / 66825.0;
    const R04: f32 = 2.0 / 93555.0;
    // Horner in Λ with coefficients that are polynomials in μ.
    let k0 = R00 + mu * (R01 + mu * (R02 + mu * (R03 + mu * R04)));
    let k1 = R10 + mu * (R11 + mu * (R12 + mu * R13));
    let k2 = R20 + mu * (R21 + mu * R22);
    let k3 = R30 + mu * R31;
    mu * (k0 + big_l * (k1 + big_l * (k2 + big_l * (k3 + big_l * R40))))
}
