//! The two score kernels of Theorem 1: the inverse Mills ratio [`upper_tail_mean`] (one-bit,
//! eq. 18) and the truncated-normal mean [`truncated_normal_mean`] (eq. 15 / 29), scalar and
//! in blocks of [`LANES`]. The algorithms are described in the [module docs](super).

use super::branchfree::{
    abs, erf_nonneg_bf, erfcx_fraction, exp_neg_half_sq_bf, expm1_neg_bf, max_bf, min_bf,
};
use super::{ERF_FORM_BELOW, HUGE_BOUND, H_NARROW, LAMBDA_NARROW, SQRT_2_OVER_PI};
use core::f32::consts::FRAC_1_SQRT_2;

/// `E[X | X > a]` for `X ~ N(0, 1)`: the inverse Mills ratio `φ(a)/(1 − Φ(a))`
/// (the one-bit score of paper eq. 18).
///
/// With `t = |a|/√2` and `erfcx(t) = n/d` ([`erfcx`](super::erfcx)'s polynomial form):
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
pub(super) struct Bin {
    pub(super) lo: f32,
    pub(super) hi: f32,
    pub(super) c: f32,
    pub(super) h: f32,
    pub(super) ap: f32,
    pub(super) bp: f32,
    pub(super) neg: bool,
}

/// [`Bin`] of `(a, b)`, branch-free.
#[inline(always)]
pub(super) fn bin(a: f32, b: f32) -> Bin {
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
