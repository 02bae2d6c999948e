//! The data sub-problem of the plug-and-play sampler, solved inexactly by gradient descent on
//! the *exact* log-likelihood plus a proximity term, with no network calls:
//!
//! ```text
//! x̂₀' ≈ argmin_z  −log p(y | z) + (λ/(2σ_t²)) ‖z − x̂₀‖²
//! z ← x̂₀;  K times:  z ← z + η_t [Aᵀ G(A z) − (λ/σ_t²)(z − x̂₀)]
//! ```
//!
//! `G(Az)` is [`PseudoLikelihood::g`] with its level cache prepared at `β = 0`
//! ([`PseudoLikelihood::prepare`]): then `s_m = σ` and `G_m = ∂/∂z_m log p(y_m | z_m)` is the
//! derivative of the exact log-likelihood, `log Φ(y_m z_m/σ)` for one-bit measurements
//! (QCS-SGM eq. 18 at `β = 0`), `log[Φ((u_m − z_m)/σ) − Φ((l_m − z_m)/σ)]` for multi-bit
//! ones (eq. 15/29), `−(y_m − z_m)²/(2σ²)` for unquantized ones (eq. 19/20), all through the
//! stable forms of [`crate::gauss`]. This is the data term of Diff-OneBit (Chen & Liu, AAAI
//! 2026, arXiv 2511.12471) and PnP-OneBit, placed in DiffPIR's data step (Zhu et al. 2023,
//! arXiv 2305.08995, Algorithm 1, the data sub-problem), which for Gaussian noise solves the same problem in
//! closed form.

use crate::langevin::sampler::{likelihood_score, Work};
use crate::likelihood::PseudoLikelihood;
use crate::operator::SensingOperator;
use crate::{Error, Result};

/// The number of power iterations of [`spectral_norm_sq`] that
/// [`PnpSampler::new`](super::PnpSampler::new) runs.
pub const POWER_ITERATIONS: u32 = 30;

/// The per-chain scratch of [`solve_data_subproblem`] (and of [`spectral_norm_sq`]).
#[derive(Debug)]
pub struct DataWork<'w> {
    /// `Aᵀ G` and the power iterate, `N` values.
    pub grad: &'w mut [f32],
    /// `A z`, `M` values.
    pub z: &'w mut [f32],
    /// `G`, `M` values.
    pub g: &'w mut [f32],
    /// The operator's scratch, at least `op.scratch_len()` values.
    pub op_scratch: &'w mut [f32],
    /// The exact linear score's scratch, `M` values (unused by the other measurements).
    pub lik_scratch: &'w mut [f32],
}

/// An estimate of `‖A‖₂²`, the largest eigenvalue of `AᵀA`, by `iterations ≥ 1` power
/// iterations from the fixed start `v_i = 1 + (i mod 5)/4`: `v ← v/‖v‖`, `w = A v`,
/// `estimate = ‖w‖²`, `v ← Aᵀ w`. The estimate (the Rayleigh quotient of the last iterate)
/// never exceeds `‖A‖₂²` and grows toward it; it is deterministic, so a receiver and a test
/// reproduce it. `work.grad` (`N`) holds the iterate, `work.z` (`M`) `A v`.
///
/// Every exact log-likelihood of [`solve_data_subproblem`] has curvature at most `1/σ²` per
/// unit of `a_mᵀz` (`−log Φ` and `−log(Φ(b) − Φ(a))` have second derivatives in `[0, 1]`:
/// one minus the variance of a truncated standard normal), so `L = ‖A‖₂²/σ²` bounds the
/// Hessian of `−log p(y | z)`.
///
/// Errors: [`Error::Empty`] (`iterations`); [`Error::DimensionMismatch`] (`grad`, `z`);
/// [`Error::BufferTooSmall`] (`op_scratch`); [`Error::InvalidParameter`] (`op`) when `A v`
/// vanishes or is not finite.
pub fn spectral_norm_sq<O: SensingOperator + ?Sized>(
    op: &O,
    iterations: u32,
    work: &mut DataWork<'_>,
) -> Result<f32> {
    if iterations == 0 {
        return Err(Error::Empty {
            field: "iterations",
        });
    }
    Error::check_len("grad", op.cols(), work.grad.len())?;
    Error::check_len("z", op.rows(), work.z.len())?;
    for (i, v) in work.grad.iter_mut().enumerate() {
        *v = 1.0 + (i % 5) as f32 * 0.25;
    }
    let mut estimate = 0.0f32;
    for _ in 0..iterations {
        let norm = libm::sqrtf(crate::operator::dot(work.grad, work.grad));
        if !(norm > 0.0 && norm.is_finite()) {
            return Err(Error::InvalidParameter {
                field: "op",
                value: norm as f64,
                expected: "AᵀA v to be finite and non-zero (an operator with a non-zero row)",
            });
        }
        work.grad.iter_mut().for_each(|v| *v /= norm);
        op.forward(work.grad, work.z, work.op_scratch)?;
        estimate = crate::operator::dot(work.z, work.z);
        op.adjoint(work.z, work.grad, work.op_scratch)?;
    }
    if !(estimate > 0.0 && estimate.is_finite()) {
        return Err(Error::InvalidParameter {
            field: "op",
            value: estimate as f64,
            expected: "‖A v‖² to be finite and > 0",
        });
    }
    Ok(estimate)
}

/// The settings of one data sub-problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataStep {
    /// Gradient steps `K`.
    pub steps: u32,
    /// Step size `η > 0` ([`PnpSchedule::step_size`](super::PnpSchedule::step_size)).
    pub step_size: f32,
    /// Proximity weight `λ/σ_t² ≥ 0` ([`PnpSchedule::prox_weight`](super::PnpSchedule::prox_weight)).
    pub prox_weight: f32,
}

/// `K` gradient steps on `−log p(y | z) + (w/2)‖z − x̂₀‖²` from `z = x̂₀` (module docs),
/// writing the estimate into `z` (`N` values). `cache` is the likelihood's level cache at
/// `β = 0` (`likelihood.prepare(0.0, ‖a_m‖², cache)`) for the exact likelihood, or at a
/// smoothing level `β > 0` ([`PnpSchedule::kappa`](super::PnpSchedule::kappa)).
///
/// Errors: [`Error::DimensionMismatch`] (`x_hat`, `z`, `cache`, and the scratch buffers);
/// [`Error::InvalidParameter`] (`step_size`, `prox_weight`); [`Error::NonFinite`] when
/// `x_hat`, an `A z` or the estimate stops being finite (field `"x_hat"`, `"z"` or
/// `"estimate"`).
pub fn solve_data_subproblem<O: SensingOperator + ?Sized>(
    op: &O,
    likelihood: &PseudoLikelihood<'_>,
    cache: &[f32],
    step: DataStep,
    x_hat: &[f32],
    z: &mut [f32],
    work: &mut DataWork<'_>,
) -> Result<()> {
    let n = op.cols();
    Error::check_len("x_hat", n, x_hat.len())?;
    Error::check_len("z", n, z.len())?;
    Error::check_len("grad", n, work.grad.len())?;
    Error::check_positive("step_size", step.step_size)?;
    if !(step.prox_weight.is_finite() && step.prox_weight >= 0.0) {
        return Err(Error::InvalidParameter {
            field: "prox_weight",
            value: step.prox_weight as f64,
            expected: "finite and >= 0",
        });
    }
    Error::check_finite("x_hat", x_hat)?;
    z.copy_from_slice(x_hat);
    let (eta, w) = (step.step_size, step.prox_weight);
    for _ in 0..step.steps {
        likelihood_score(
            op,
            likelihood,
            z,
            cache,
            &mut Work {
                z: work.z,
                g: work.g,
                grad: work.grad,
                op_scratch: work.op_scratch,
                lik_scratch: work.lik_scratch,
            },
        )?;
        for ((zi, &gi), &xi) in z.iter_mut().zip(work.grad.iter()).zip(x_hat) {
            *zi += eta * (gi - w * (*zi - xi));
        }
    }
    Error::check_finite("estimate", z)
}
