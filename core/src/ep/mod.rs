//! QCS-SGM+: the noise-perturbed likelihood score by **expectation propagation** (EP) for any
//! sensing matrix (Meng & Kabashima, "QCS-SGM+: Improved quantized compressed sensing with
//! score-based generative models", AAAI 2024, arXiv 2302.00919).
//!
//! # The model
//!
//! At Langevin noise level `β` the pseudo-likelihood of QCS-SGM (paper eq. 12–14) is
//! `p̃(y | x_t) = ∫ p(y | w) N(w; b, C) dw` with `b = A x_t`, `w = Ax + n` and
//! `C = σ²I + β²AAᵀ`: the quantizer keeps `w_m` in its bin `[l_m, u_m)` (one-bit: `[0, ∞)` or
//! `(−∞, 0)`), so `p(y | w) = Π_m 1[l_m ≤ w_m < u_m]`. The score is
//! `∇_{x_t} log p̃ = Aᵀ g` with `g = ∇_b log p̃(y | b) = C⁻¹(E[w | y] − b)` — exact, but
//! `E[w | y]` is an `M`-dimensional truncated-Gaussian mean. QCS-SGM's eq. 18 keeps only the
//! diagonal of `C`; eq. 19 is the exact score for unquantized `y`. This module approximates
//! `E[w | y]` by EP with the singular value decomposition `A = U S Vᵀ`, so that
//! `C⁻¹ = U diag(D) Uᵀ`, `D_k = 1/(σ² + β²s_k²)` ([`prepare`]).
//!
//! # The algorithm
//!
//! EP alternates between two modules on `v = w − b` (notation of the authors' code: `h` a
//! precision-weighted mean, `λ` a scalar precision, one per message):
//!
//! 1. **F module** (the quantizer's factors): the cavity `N(v_m; μ_m, 1/λ_F)`, `μ = h_F/λ_F`,
//!    times the bin of `w_m = b_m + v_m` is a truncated normal with mean `m_m` and variance
//!    `τ_m` ([`truncated_normal_mean`], [`truncated_normal_variance`]: finite and accurate in
//!    both tails, where the authors' code clamps `Φ` to `[10⁻⁶, 1 − 10⁻⁶]`). With
//!    `χ_F = mean(τ)`: `λ_G = 1/χ_F − λ_F`, `h_G = m/χ_F − h_F`, computed as
//!    `h_G = λ_G μ + √λ_F·t/ρ` (`t` the standardized mean, `ρ = λ_F χ_F ∈ [10⁻⁸, 1]`), which has
//!    no cancellation.
//! 2. **G module** (the Gaussian `N(v; 0, C)`): `(C⁻¹ + λ_G I)⁻¹ h_G` with mean variance
//!    `χ_G = mean_k 1/(D_k + λ_G)` gives `λ_F = 1/χ_G − λ_G` (computed as
//!    `mean_k(D_k/(D_k + λ_G))/χ_G`, a ratio of positive sums) and
//!    `h_F = U diag((λ_F − D_k)/(D_k + λ_G)) Uᵀ h_G` (the extrinsic mean without forming the
//!    posterior mean): two products with `U`, `2M²` multiply-adds per iteration.
//! 3. **Damping** `ρ_d` ([`EpParams::damping`]): from the second iteration on the new message
//!    to F is `(1 − ρ_d)·new + ρ_d·old` (`h_F` and `λ_F`).
//! 4. **Stop** after [`EpParams::max_iterations`] or once the cavity moved by at most
//!    [`EpParams::tolerance`]: `max_m |Δμ_m|·√λ_F ≤ tol` (in cavity standard deviations) and
//!    `|Δλ_F| ≤ tol·λ_F`.
//!
//! The start is the G module's answer to an empty message: `h_F = 0`, `λ_F = 1/mean_k(1/D_k)`
//! (so one iteration's F module at the start is QCS-SGM's eq. 18 with the row norms replaced
//! by their mean). The score is the derivative of the log of the F module's normalizer under
//! the last cavity, `g_m = λ_F(m_m − μ_m) = √λ_F · t_m`, as in the authors' code; at EP's fixed
//! point it equals `C⁻¹ m_G`, the exact formula with EP's posterior mean.
//!
//! **Unquantized measurements** (`y = w`): the factor is a point mass, the F module's variance
//! is 0, `λ_G = ∞`, and EP's fixed point is reached in one iteration with `E[w | y] = y`: the
//! score is `g = U diag(D) Uᵀ (y − b)`, paper eq. 19 exactly
//! ([`linear_exact_g`] with `D`).
//!
//! # Cost
//!
//! Per iteration and chain: `M` truncated-normal means and variances and `2M²` multiply-adds;
//! plus `M` means for the score. No allocation: the caller passes `U` (`M × M`), the level's
//! `D` and a scratch of [`scratch_len`]`(M)` values. `V` is not needed: the sampler applies
//! `Aᵀ` through its operator.

use crate::gauss::{truncated_normal_mean, truncated_normal_variance};
use crate::likelihood::linear_exact_g;
use crate::observation::Observation;
use crate::operator::dot;
use crate::{Error, Result};

/// The smallest `λ_F·χ_F` (the F module's variance over the cavity's) EP uses; below it the
/// message to G would carry more than `10⁸·λ_F` of precision.
const MIN_RATIO: f32 = 1e-8;

/// Damping, iteration count and stopping rule of the EP likelihood score.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EpParams {
    /// Weight of the previous message in the damped update, in `[0, 1)`; default 0.1 (the
    /// authors' code uses 0.02). 0 is undamped.
    pub damping: f32,
    /// Iterations at most, `≥ 1`; default 10 (the authors' code uses 3 to 10). With an
    /// ill-conditioned `A` (κ(AAᵀ) = 1000) the defaults agree with 30 iterations to about 10⁻³
    /// relative (`tests/ep.rs`); undamped EP reached 10⁻⁴ within 10 iterations at β from 5 to
    /// 0.01 (`M = 60`).
    pub max_iterations: u32,
    /// Stopping tolerance, finite and `≥ 0` (0: always run `max_iterations`); default `10⁻³`
    /// (cavity means moved by at most 0.001 standard deviations, precision by 0.1 %).
    pub tolerance: f32,
}

impl EpParams {
    /// The documented defaults: damping 0.1, at most 10 iterations, tolerance `10⁻³`.
    pub const DEFAULT: Self = Self {
        damping: 0.1,
        max_iterations: 10,
        tolerance: 1e-3,
    };

    /// Checks the ranges of [`EpParams`].
    ///
    /// Errors: [`Error::InvalidParameter`] naming `"damping"`, `"max_iterations"` or
    /// `"tolerance"`.
    pub fn validate(&self) -> Result<()> {
        if !(self.damping >= 0.0 && self.damping < 1.0) {
            return Err(Error::InvalidParameter {
                field: "damping",
                value: self.damping as f64,
                expected: "in [0, 1)",
            });
        }
        if self.max_iterations == 0 {
            return Err(Error::InvalidParameter {
                field: "max_iterations",
                value: 0.0,
                expected: ">= 1",
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "tolerance",
                value: self.tolerance as f64,
                expected: "finite and >= 0",
            });
        }
        Ok(())
    }
}

impl Default for EpParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a run of [`score`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpReport {
    /// EP iterations run (0 for unquantized measurements, whose score is closed-form).
    pub iterations: u32,
    /// Whether the stopping tolerance was met (always `true` for unquantized measurements).
    pub converged: bool,
}

/// The scratch [`score`] needs for `m` measurements: `2m` values.
pub const fn scratch_len(m: usize) -> usize {
    2 * m
}

/// The level's precisions `D_k = 1/(σ² + β²s_k²)` of `C⁻¹ = U diag(D) Uᵀ` into `precisions`,
/// from the singular values `s` of `A` (zero-padded to `M` when `M > N`).
///
/// Errors: [`Error::DimensionMismatch`] (`"precisions"`) for unequal lengths;
/// [`Error::InvalidParameter`] for `σ` or `β` negative or not finite (`"sigma"`, `"beta"`) and
/// (`"singular_values"`) when some `σ² + β²s_k²` is not finite and `> 0`.
pub fn prepare(
    sigma: f32,
    beta: f32,
    singular_values: &[f32],
    precisions: &mut [f32],
) -> Result<()> {
    for (field, v) in [("sigma", sigma), ("beta", beta)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::InvalidParameter {
                field,
                value: v as f64,
                expected: "finite and >= 0",
            });
        }
    }
    Error::check_len("precisions", singular_values.len(), precisions.len())?;
    let (s2, b2) = (sigma * sigma, beta * beta);
    for (d, &sk) in precisions.iter_mut().zip(singular_values) {
        let var = s2 + b2 * (sk * sk);
        if !(var > 0.0 && var.is_finite()) {
            return Err(Error::InvalidParameter {
                field: "singular_values",
                value: sk as f64,
                expected: "sigma² + beta²·s_k² to be finite and > 0 for every k",
            });
        }
        *d = 1.0 / var;
    }
    Ok(())
}

/// The EP likelihood score `g = ∇_b log p̃(y | b)` at `z = b = A x_t` into `g` (module docs),
/// given `U` (`M × M`, row-major, column `k` the left singular vector of `s_k`), the level's
/// `precisions` `D` from [`prepare`] and a scratch of at least [`scratch_len`]`(M)` values. The
/// Langevin score is `Aᵀ g`.
///
/// The observation is trusted to be valid (signs `±1`, `l < u`, finite `y`; checked by
/// [`PseudoLikelihood::new`](crate::likelihood::PseudoLikelihood::new)); `U` and `D` are
/// trusted to be finite.
///
/// Errors: [`Error::DimensionMismatch`] for a slice of the wrong length (`"z"`, `"g"`,
/// `"precisions"`, `"u"`, `"signs"`, `"lower"`, `"upper"`, `"y"`); [`Error::BufferTooSmall`]
/// (`"scratch"`); [`Error::NonFinite`] (`"z"`) for a non-finite `z`; the [`EpParams::validate`]
/// errors.
pub fn score(
    observation: &Observation<'_>,
    u: &[f32],
    precisions: &[f32],
    z: &[f32],
    params: &EpParams,
    g: &mut [f32],
    scratch: &mut [f32],
) -> Result<EpReport> {
    let m = z.len();
    params.validate()?;
    Error::check_len("g", m, g.len())?;
    Error::check_len("precisions", m, precisions.len())?;
    Error::check_len("u", m * m, u.len())?;
    match *observation {
        Observation::OneBit { signs } => Error::check_len("signs", m, signs.len())?,
        Observation::Quantized { lower, upper } => {
            Error::check_len("lower", m, lower.len())?;
            Error::check_len("upper", m, upper.len())?;
        }
        Observation::Linear { y } => Error::check_len("y", m, y.len())?,
    }
    if m == 0 {
        return Err(Error::Empty { field: "z" });
    }
    if scratch.len() < scratch_len(m) {
        return Err(Error::BufferTooSmall {
            field: "scratch",
            needed: scratch_len(m),
            available: scratch.len(),
        });
    }
    Error::check_finite("z", z)?;
    if let Observation::Linear { y } = *observation {
        linear_exact_g(z, y, u, precisions, &mut scratch[..m], g);
        return Ok(EpReport {
            iterations: 0,
            converged: true,
        });
    }
    let (h_f, rest) = scratch.split_at_mut(m);
    let h_g = &mut rest[..m];
    let inv_m = 1.0 / m as f32;
    // Start: the G module's answer to an empty message.
    h_f.fill(0.0);
    let mut lam_f = 1.0 / (precisions.iter().map(|&d| 1.0 / d).sum::<f32>() * inv_m);
    let mut report = EpReport {
        iterations: 0,
        converged: false,
    };
    for it in 0..params.max_iterations {
        // F module: standardized tilted means into h_g, the variance ratio ρ = λ_F·χ_F.
        let sq = libm::sqrtf(lam_f);
        let mut var_sum = 0.0f32;
        for (k, (hg, &hf)) in h_g.iter_mut().zip(h_f.iter()).enumerate() {
            let (a, c) = standardized_bin(observation, k, z[k] + hf / lam_f, sq);
            *hg = truncated_normal_mean(a, c);
            var_sum += truncated_normal_variance(a, c);
        }
        let ratio = (var_sum * inv_m).clamp(MIN_RATIO, 1.0);
        let lam_g = lam_f * ((1.0 - ratio) / ratio);
        for (hg, &hf) in h_g.iter_mut().zip(h_f.iter()) {
            *hg = lam_g * (hf / lam_f) + sq * *hg / ratio;
        }
        // G module, in the eigenbasis of C: g ← Uᵀ h_G, χ_G, the new λ_F.
        ut_times(u, h_g, g);
        let (mut chi_g, mut eta) = (0.0f32, 0.0f32);
        for &d in precisions {
            let inv = 1.0 / (d + lam_g);
            chi_g += inv;
            eta += d * inv;
        }
        let new_lam = eta / chi_g;
        for (t, &d) in g.iter_mut().zip(precisions) {
            *t *= (new_lam - d) / (d + lam_g);
        }
        // h_F ← U g, damped; the cavity's change for the stopping rule.
        let rho = if it == 0 { 0.0 } else { params.damping };
        let lam_next = (1.0 - rho) * new_lam + rho * lam_f;
        let mut moved = 0.0f32;
        for (hf, row) in h_f.iter_mut().zip(u.chunks_exact(m)) {
            let next = (1.0 - rho) * dot(row, g) + rho * *hf;
            moved = moved.max(libm::fabsf(next / lam_next - *hf / lam_f));
            *hf = next;
        }
        let lam_moved = libm::fabsf(lam_next - lam_f);
        lam_f = lam_next;
        report.iterations = it + 1;
        if moved * libm::sqrtf(lam_f) <= params.tolerance && lam_moved <= params.tolerance * lam_f {
            report.converged = true;
            break;
        }
    }
    // The score under the last cavity: g_m = √λ_F · E[standardized tilted v_m].
    let sq = libm::sqrtf(lam_f);
    for (k, (gk, &hf)) in g.iter_mut().zip(h_f.iter()).enumerate() {
        let (a, c) = standardized_bin(observation, k, z[k] + hf / lam_f, sq);
        *gk = sq * truncated_normal_mean(a, c);
    }
    Ok(report)
}

/// The bin of `w_k` standardized by the cavity: `((l − b − μ)·√λ, (u − b − μ)·√λ)`, given
/// `center = b + μ` (infinite edges stay infinite).
#[inline]
fn standardized_bin(observation: &Observation<'_>, k: usize, center: f32, sq: f32) -> (f32, f32) {
    match *observation {
        Observation::OneBit { signs } => {
            let edge = -center * sq;
            if signs[k] > 0.0 {
                (edge, f32::INFINITY)
            } else {
                (f32::NEG_INFINITY, edge)
            }
        }
        Observation::Quantized { lower, upper } => {
            ((lower[k] - center) * sq, (upper[k] - center) * sq)
        }
        // Not reached: the linear score is closed-form.
        Observation::Linear { .. } => (f32::NEG_INFINITY, f32::INFINITY),
    }
}

/// `out = Uᵀ v` for `U` `M × M` row-major (rows of `U` accumulated, contiguous access).
fn ut_times(u: &[f32], v: &[f32], out: &mut [f32]) {
    let m = out.len();
    out.fill(0.0);
    for (row, &vk) in u.chunks_exact(m).zip(v) {
        for (o, &ukj) in out.iter_mut().zip(row) {
            *o += ukj * vk;
        }
    }
}
