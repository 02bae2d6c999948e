//! The noise schedule and step rules of the plug-and-play sampler: `σ_t`, the proximity
//! weight `λ/σ_t²` of the data sub-problem and its gradient step size.

use crate::langevin::geometric_level;
use crate::{Error, Result};

/// The schedule of the plug-and-play sampler ([`PnpSampler`](super::PnpSampler)): DiffPIR's
/// hyperparameters (Zhu et al. 2023, arXiv 2305.08995, Algorithm 1: `λ`, `ζ`, the number of
/// steps) in the variance-exploding form of an NCSN prior, plus the two settings of the
/// inexact data sub-problem (gradient steps `K` and their scale `γ`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PnpSchedule {
    /// Largest noise level `σ_1` (the start `x = c + σ_1 ξ`).
    pub sigma_max: f32,
    /// Smallest noise level `σ_T` (the last denoising).
    pub sigma_min: f32,
    /// Number of noise levels `T`: one network call per level and chain.
    pub levels: u32,
    /// DiffPIR's `λ`: the data sub-problem's proximity term is `(λ/(2σ_t²))‖z − x̂₀‖²`, i.e.
    /// DiffPIR's `ρ_t = λσ_n²/σ̄_t²` divided by `2σ_n²` (the same problem for Gaussian
    /// noise, and the form that holds for any likelihood).
    pub lambda: f32,
    /// DiffPIR's `ζ ∈ [0, 1]`: the share of fresh noise in the re-noising (0: deterministic,
    /// DDIM-like; 1: all fresh noise).
    pub zeta: f32,
    /// Gradient steps `K ≥ 1` on the data sub-problem per level (no network calls).
    pub data_steps: u32,
    /// Step scale `γ ∈ (0, 2)`: each gradient step is `η_t = γ/(L_t + λ/σ_t²)`, with `L_t` an
    /// upper bound of the curvature of the data term ([`PnpSchedule::step_size`]).
    pub step_scale: f32,
    /// Likelihood smoothing `κ ≥ 0`. `0`: the exact likelihood (`s_m = σ`, DiffPIR and
    /// Diff-OneBit). `κ > 0`: the data term is the likelihood of `y` given `z` when `x₀` is
    /// `N(z, κ²σ_t² I)` around it, `s_m² = σ² + κ²σ_t²‖a_m‖²` (QCS-SGM's eq. 16 at
    /// `β = κσ_t`), a deviation from DiffPIR that keeps a gradient from every measurement
    /// while the denoiser's estimate is still uncertain, and is exact again as `σ_t → 0`.
    pub kappa: f32,
}

impl PnpSchedule {
    /// Defaults for one-bit MNIST (`σ = 0.05`), tuned on held-out test digits 900–909 at 100
    /// network calls, `M` = 100, 200 and 400, with the model of training step 35602
    /// (`docs/RESULTS.md`, experiment 8, setting i; experiment 6's setting r, `λ = 0.1`,
    /// `κ = 0.5`, was tuned with step 5922): `σ` 2 → 0.01, `T = 100`, `λ = 0.03`, `ζ = 1`,
    /// `K = 40`, `γ = 1`, `κ = 0.4`.
    pub const DEFAULT: PnpSchedule = PnpSchedule {
        sigma_max: 2.0,
        sigma_min: 0.01,
        levels: 100,
        lambda: 0.03,
        zeta: 1.0,
        data_steps: 40,
        step_scale: 1.0,
        kappa: 0.4,
    };

    /// A validated schedule ([`PnpSchedule::validate`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sigma_max: f32,
        sigma_min: f32,
        levels: u32,
        lambda: f32,
        zeta: f32,
        data_steps: u32,
        step_scale: f32,
        kappa: f32,
    ) -> Result<Self> {
        let s = PnpSchedule {
            sigma_max,
            sigma_min,
            levels,
            lambda,
            zeta,
            data_steps,
            step_scale,
            kappa,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the invariants: `σ_1 ≥ σ_T > 0` finite, `T ≥ 1`, `λ > 0` finite,
    /// `0 ≤ ζ ≤ 1`, `K ≥ 1`, `0 < γ < 2`, `κ ≥ 0` finite.
    ///
    /// Errors: [`Error::InvalidParameter`] naming `sigma_min`, `sigma_max`, `lambda`, `zeta`,
    /// `step_scale` or `kappa`; [`Error::Empty`] naming `levels` or `data_steps`.
    pub fn validate(&self) -> Result<()> {
        Error::check_positive("sigma_min", self.sigma_min)?;
        Error::check_positive("sigma_max", self.sigma_max)?;
        if self.sigma_max < self.sigma_min {
            return Err(Error::InvalidParameter {
                field: "sigma_max",
                value: self.sigma_max as f64,
                expected: ">= sigma_min",
            });
        }
        Error::check_positive("lambda", self.lambda)?;
        if !(0.0..=1.0).contains(&self.zeta) {
            return Err(Error::InvalidParameter {
                field: "zeta",
                value: self.zeta as f64,
                expected: "0 <= zeta <= 1",
            });
        }
        if !(self.step_scale > 0.0 && self.step_scale < 2.0) {
            return Err(Error::InvalidParameter {
                field: "step_scale",
                value: self.step_scale as f64,
                expected: "0 < step_scale < 2",
            });
        }
        if !(self.kappa.is_finite() && self.kappa >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "kappa",
                value: self.kappa as f64,
                expected: "finite and >= 0",
            });
        }
        if self.levels == 0 {
            return Err(Error::Empty { field: "levels" });
        }
        if self.data_steps == 0 {
            return Err(Error::Empty {
                field: "data_steps",
            });
        }
        Ok(())
    }

    /// `σ_t` for level `t ∈ 0..T` (0-based): geometric from `σ_1` to `σ_T`
    /// ([`geometric_level`], the NCSN levels; DiffPIR spaces its `T` sub-steps of a
    /// 1000-step DDPM schedule instead).
    pub fn sigma(&self, t: u32) -> f32 {
        geometric_level(self.sigma_max, self.sigma_min, self.levels, t)
    }

    /// The level after `t`: `σ_{t+1}`, and `0` after the last level (the output is then
    /// the last data-consistent estimate, DiffPIR's `x_0` with `ᾱ_0 = 1`).
    pub fn sigma_next(&self, t: u32) -> f32 {
        if t + 1 >= self.levels {
            0.0
        } else {
            self.sigma(t + 1)
        }
    }

    /// The proximity weight `λ/σ_t²` of the data sub-problem at level `t` (the inverse
    /// variance `1/r_t²` of the Gaussian the denoiser's estimate is trusted with).
    pub fn prox_weight(&self, t: u32) -> f32 {
        let s = self.sigma(t);
        self.lambda / (s * s)
    }

    /// The smoothing level `β_t = κσ_t` of the data term at level `t` (0: exact).
    pub fn likelihood_beta(&self, t: u32) -> f32 {
        self.kappa * self.sigma(t)
    }

    /// The gradient step `η_t = γ/(L + λ/σ_t²)` at level `t`, given `L ≥` the largest
    /// curvature of the data term (`‖A‖₂²/min_m s_m²`,
    /// [`spectral_norm_sq`](super::spectral_norm_sq)): the sub-problem's objective is
    /// `(L + λ/σ_t²)`-smooth, so gradient descent decreases it for `γ < 2`.
    pub fn step_size(&self, t: u32, lipschitz: f32) -> f32 {
        self.step_scale / (lipschitz + self.prox_weight(t))
    }

    /// Network calls per chain: one per level, `T`.
    pub fn network_calls(&self) -> u64 {
        self.levels as u64
    }
}
