//! The one place where the hot `f32` transcendental calls are chosen: [`libm`] by default,
//! micromath's approximations with the `fast-math` feature.
//!
//! Routed through here (and only these): the likelihood's `1/s_m = 1/√(σ² + β²‖a_m‖²)`
//! ([`PseudoLikelihood::prepare`](crate::likelihood::PseudoLikelihood::prepare)), the
//! Langevin noise ([`rng::langevin_normal_pair`](crate::rng::langevin_normal_pair)) and the
//! per-step score of [`GaussianMixturePrior`](crate::prior::GaussianMixturePrior). The score
//! kernels of eq. 15/18/29 ([`gauss::upper_tail_mean`](crate::gauss::upper_tail_mean),
//! [`gauss::truncated_normal_mean`](crate::gauss::truncated_normal_mean)) call no `libm` at all
//! (they carry their own branch-free polynomial `exp`), so they are unchanged.
//!
//! Deliberately **not** routed: the normal variates of the seeded operator's rows and of the
//! sensor noise ([`rng::standard_normal_pair`](crate::rng::standard_normal_pair)). A
//! measurement frame names its operator by a seed, and the receiver regenerates `A` from it bit
//! for bit; if a `fast-math` build drew other rows from the same seed, its frames would describe
//! a different `A` to every default-build receiver (and the other way round).
//!
//! Without `fast-math` every function here is the `libm` function itself (a port of musl), so
//! the default build keeps its bits on every target. With `fast-math`:
//!
//! | function | micromath 2.1 (`F32Ext`) | documented / its own tests | measured here |
//! |---|---|---|---|
//! | [`sqrtf`] | `sqrt`: `(bits + 0x3f80_0000) >> 1` (S. Brumme) | "average deviation of ~5%" | ≤ 6.07% relative (worst at `2^(2k+1)`) |
//! | [`logf`] | `ln`: exponent + degree-4 Remez polynomial on `[1, 2)` | relative error ≤ 10⁻³ on its test vectors | ≤ 6.7·10⁻⁵ absolute |
//! | [`expf`] | `exp`: `2ⁿ` times a degree-4 Taylor polynomial | relative error ≤ 10⁻³ on its test vectors | ≤ 2.4·10⁻³ relative on `[−87, 88]` |
//!
//! micromath's `ln` takes the reciprocal of arguments below 1 with its bit-level `inv`
//! (documented: "average deviation of ~8%"), which costs up to 0.12 absolute in `ln x` for
//! `x < 1` (measured); [`logf`] divides instead (`ln x = −ln(1/x)`, one `vdiv.f32`), so the
//! whole of `(0, ∞)` gets the polynomial's 6.7·10⁻⁵. The bounds in the table are checked by
//! `tests/fastmath.rs` (run with `--features fast-math`).

/// `√x`: [`libm::sqrtf`], or micromath's `F32Ext::sqrt` with `fast-math` (≤ 6.1% relative).
#[inline]
pub fn sqrtf(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        libm::sqrtf(x)
    }
    #[cfg(feature = "fast-math")]
    {
        micromath::F32Ext::sqrt(x)
    }
}

/// `ln x`: [`libm::logf`], or micromath's `F32Ext::ln` with `fast-math` (≤ 6.7·10⁻⁵
/// absolute; arguments below 1 as `−ln(1/x)`, see the module docs).
#[inline]
pub fn logf(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        libm::logf(x)
    }
    #[cfg(feature = "fast-math")]
    {
        if x < 1.0 {
            -micromath::F32Ext::ln(1.0 / x)
        } else {
            micromath::F32Ext::ln(x)
        }
    }
}

/// `eˣ`: [`libm::expf`], or micromath's `F32Ext::exp` with `fast-math` (≤ 2.4·10⁻³ relative).
#[inline]
pub fn expf(x: f32) -> f32 {
    #[cfg(not(feature = "fast-math"))]
    {
        libm::expf(x)
    }
    #[cfg(feature = "fast-math")]
    {
        micromath::F32Ext::exp(x)
    }
}

/// Whether this build routes through micromath (the `fast-math` feature).
pub const FAST_MATH: bool = cfg!(feature = "fast-math");
