//! The truncated-normal variance `Var[X | a < X < b]`, `X ~ N(0, 1)`: the second moment the
//! expectation-propagation likelihood score of QCS-SGM+ needs per measurement
//! ([`crate::ep`]; Meng & Kabashima, AAAI 2024, arXiv 2302.00919).
//!
//! The textbook form `1 + (aφ(a) − bφ(b))/Z − μ²` cancels catastrophically in both tails
//! (deep in a tail the variance is about `1/a²` while both terms are about `a²`) and for narrow
//! bins. The algorithm reflects the bin so that its midpoint is `≥ 0` (`a' ≤ b'`, `|a'| ≤ b'`)
//! like [`truncated_normal_mean`](super::truncated_normal_mean) and then uses one of:
//!
//! * **Narrow bin** (half-width `h ≤ ¼`, `|c·h| ≤ ½`, midpoint `c`): `h²·v(Λ, μ)` with
//!   `v = −Σ (1 + 2i)·R_ij Λ^i μ^j`, `Λ = (c·h)²`, `μ = h²`, where `R_ij` are the coefficients of
//!   the narrow-interval mean series of the module docs of [`gauss`](super) (the variance is
//!   `−∂m/∂λ` of the mean `m = λR(λ², μ)` of `s ∈ [−1, 1]` under `exp(−λs − μs²/2)`). Relative
//!   accuracy is kept down to one-ulp widths.
//! * **Tail** (`a' ≥ 3`, in `f64`): with `Y = X − a' ≥ 0`, the half-line moments come from
//!   Laplace's continued fraction of the Mills ratio, `r(x) = x + 1/K₁`,
//!   `K_k = x + (k + 1)/K_{k+1}` (64 terms, truncation below `10⁻¹⁶` relative for `x ≥ 3`):
//!   `E[Y] = 1/K₁` and `Var = 1 − r(r − x) = (x + 4/K₂ − 3/K₃)/(K₂K₁²)`, a sum without
//!   cancellation. A finite upper bound `b'` removes the tail beyond it, of relative mass
//!   `p = Q(b')/Q(a') = exp(−(b'² − a'²)/2)·r(a')/r(b')` (`p ≤ 0.37` outside the narrow case):
//!   `E[Y^k] = (E_{a'}[Y^k] − p·E_{b'}[Y^k])/(1 − p)`, whose differences lose a factor of at
//!   most about 30, far below `f64` rounding. Beyond `a' = 10⁸`, `E[Y] = 1/a'` and
//!   `Var = 1/a'²` to rounding.
//! * **Otherwise** (`a' < 3`, the bin straddles 0 or lies within three standard deviations of
//!   it): the textbook form in `f64` (`libm`'s `erf`, `erfc`, `exp`), where it cancels by at
//!   most a factor of about 150, far below `f64` rounding. This and the tail branch are the
//!   crate's only `f64` code: the variance is not in the hot loop of eq. 15/18 (EP evaluates
//!   it once per measurement and iteration, on the host), and `f64` keeps it short.
//!
//! Measured against mpmath at 50+ significant digits (`tests/reference/gauss_variance_golden.py`,
//! `tests/data/gauss_truncated_var.csv`, checked by `tests/gauss_variance.rs`): see that test
//! for the largest relative error: 3.6·10⁻⁷ (6 ulp of `f32`) over 428 bins, in the narrow series
//! at its edge `h = ¼`.

use super::truncated::{bin, Bin};
use super::{H_NARROW, LAMBDA_NARROW};

/// The tail algorithm applies from this reflected lower bound on.
const TAIL_FROM: f32 = 3.0;
/// Depth of the continued fraction (truncation below `10⁻¹⁶` relative at `x = 3`).
const CF_TERMS: u32 = 64;
/// Beyond this, the half-line moments are `1/x` and `1/x²` to `f64` rounding.
const HUGE: f64 = 1.0e8;

/// `Var[X | a < X < b]` for `X ~ N(0, 1)`: the variance of a standard normal truncated to the
/// bin between `a` and `b` (in either order), the second moment of the tilted distribution of a
/// quantized measurement in QCS-SGM+'s expectation propagation.
///
/// A total function: `a == b` gives 0, `(−∞, ∞)` gives 1, one infinite bound gives the
/// variance of a tail, a `NaN` bound gives `NaN`; every other input gives a finite value in
/// `[0, min(1, (b − a)²/4)]`, relative-accurate to a few ulp in both tails (for example
/// `(30, ∞)`, about `1/900`, or `(−10⁴, −9999)`) and for bins as narrow as one ulp (module docs).
pub fn truncated_normal_variance(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        return f32::NAN;
    }
    let s = bin(a, b);
    if s.lo == s.hi {
        return 0.0;
    }
    if s.lo == f32::NEG_INFINITY && s.hi == f32::INFINITY {
        return 1.0;
    }
    let narrow = s.h <= H_NARROW && libm::fabsf(s.c * s.h) <= LAMBDA_NARROW;
    let v = if narrow {
        narrow_variance(&s)
    } else if s.ap >= TAIL_FROM {
        tail_variance(s.ap, s.bp)
    } else {
        near_variance(s.ap, s.bp)
    };
    // The exact variance lies in [0, min(1, w²/4)] (w = b' − a'); rounding must not leave it.
    let w = s.bp - s.ap;
    let cap = if w < 2.0 { 0.25 * w * w } else { 1.0 };
    v.clamp(0.0, cap)
}

/// Narrow bin: `h²·v(Λ, μ)`, `v = −Σ (1 + 2i) R_ij Λ^i μ^j` (module docs).
fn narrow_variance(s: &Bin) -> f32 {
    // −(1 + 2i)·R_ij with the R_ij of `narrow_correction` (gauss module docs).
    const V00: f32 = 1.0 / 3.0;
    const V01: f32 = -2.0 / 45.0;
    const V02: f32 = 2.0 / 945.0;
    const V03: f32 = 2.0 / 14175.0;
    const V04: f32 = -2.0 / 93555.0;
    const V10: f32 = -3.0 / 45.0;
    const V11: f32 = 3.0 * 8.0 / 945.0;
    const V12: f32 = -3.0 * 2.0 / 1575.0;
    const V13: f32 = 3.0 * 4.0 / 66825.0;
    const V20: f32 = 5.0 * 2.0 / 945.0;
    const V21: f32 = -5.0 * 2.0 / 1575.0;
    const V22: f32 = 5.0 * 2.0 / 6237.0;
    const V30: f32 = -7.0 / 4725.0;
    const V31: f32 = 7.0 * 16.0 / 93555.0;
    const V40: f32 = 9.0 * 2.0 / 93555.0;
    let lambda = s.c * s.h;
    let (big_l, mu) = (lambda * lambda, s.h * s.h);
    let k0 = V00 + mu * (V01 + mu * (V02 + mu * (V03 + mu * V04)));
    let k1 = V10 + mu * (V11 + mu * (V12 + mu * V13));
    let k2 = V20 + mu * (V21 + mu * V22);
    let k3 = V30 + mu * V31;
    mu * (k0 + big_l * (k1 + big_l * (k2 + big_l * (k3 + big_l * V40))))
}

/// `(r − x, Var)` for `X ~ N(0, 1)` truncated to `(x, ∞)`, `x ≥ 3` (`r` the inverse Mills
/// ratio, `r − x = E[X − x]`), by the continued fraction of the Mills ratio in `f64`.
fn half_line(x: f64) -> (f64, f64) {
    if x > HUGE {
        let d = 1.0 / x;
        return (d, d * d);
    }
    // K_k = x + (k + 1)/K_{k+1}, from K_{CF_TERMS + 1} = x down to K_1; keep K_1..K_3.
    let mut k_next = x;
    let (mut k1, mut k2, mut k3) = (x, x, x);
    for k in (1..=CF_TERMS).rev() {
        let kk = x + f64::from(k + 1) / k_next;
        match k {
            1 => k1 = kk,
            2 => k2 = kk,
            3 => k3 = kk,
            _ => {}
        }
        k_next = kk;
    }
    (1.0 / k1, (x + 4.0 / k2 - 3.0 / k3) / (k2 * (k1 * k1)))
}

/// Tail: `3 ≤ a' < b' ≤ ∞` (module docs), in `f64`.
fn tail_variance(ap: f32, bp: f32) -> f32 {
    let (a, b) = (f64::from(ap), f64::from(bp));
    let (ea, va) = half_line(a);
    if b == f64::INFINITY {
        return va as f32;
    }
    // p = Q(b')/Q(a') = exp(−(b'² − a'²)/2)·r(a')/r(b'), with (b' − a')(b' + a') exact in f64.
    let w = b - a;
    let d = 0.5 * w * (a + b);
    if d > 745.0 {
        return va as f32;
    }
    let (eb, vb) = half_line(b);
    let p = libm::exp(-d) * (a + ea) / (b + eb);
    // Moments of Y = X − a' from those of the tails beyond a' and b'.
    let mb = w + eb;
    let q = 1.0 - p;
    let m1 = (ea - p * mb) / q;
    let m2 = (va + ea * ea - p * (vb + mb * mb)) / q;
    (m2 - m1 * m1) as f32
}

/// `a' < 3`, not narrow: `1 + (a'φ(a') − b'φ(b'))/Z − μ²` in `f64`.
fn near_variance(ap: f32, bp: f32) -> f32 {
    let (a, b) = (f64::from(ap), f64::from(bp));
    const FRAC_1_SQRT_2: f64 = core::f64::consts::FRAC_1_SQRT_2;
    // Z·2 = erf(b/√2) − erf(a/√2), or erfc(a/√2) − erfc(b/√2) when both are ≥ 0 (no
    // cancellation of erf near 1).
    let z2 = if a >= 0.0 {
        libm::erfc(a * FRAC_1_SQRT_2) - libm::erfc(b * FRAC_1_SQRT_2)
    } else {
        libm::erf(b * FRAC_1_SQRT_2) - libm::erf(a * FRAC_1_SQRT_2)
    };
    // φ(x)·2/√(2π) = exp(−x²/2)·√(2/π); the common factor 1/√(2π) over Z/… cancels below.
    let ga = libm::exp(-0.5 * a * a);
    let (gb, bgb) = if b == f64::INFINITY {
        (0.0, 0.0)
    } else {
        let g = libm::exp(-0.5 * b * b);
        (g, b * g)
    };
    let k = core::f64::consts::FRAC_2_SQRT_PI * FRAC_1_SQRT_2; // √(2/π)
    let mean = k * (ga - gb) / z2;
    let m2 = 1.0 + k * (a * ga - bgb) / z2;
    (m2 - mean * mean) as f32
}
