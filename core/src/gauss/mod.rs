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

mod branchfree;
mod truncated;
mod variance;
pub use truncated::{truncated_normal_mean, truncated_normal_mean_block, upper_tail_mean, LANES};
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
