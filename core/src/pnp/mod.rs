//! A plug-and-play posterior sampler with the exact quantized likelihood: DiffPIR (Zhu, Zhang,
//! Liang, Cao, Wen, Timofte, Van Gool, CVPR 2023, arXiv 2305.08995, Algorithm 1) with the
//! probit / bin-probability data term of Diff-OneBit (Chen & Liu, AAAI 2026, arXiv
//! 2511.12471) and PnP-OneBit, for a variance-exploding score prior (NCSNv2,
//! `s_θ(x, σ) ≈ ∇ log p_σ(x)`).
//!
//! ```text
//! x = c + σ_1 ξ                                                   (DiffPIR: x_T ~ N(0, I))
//! for t = 1..T:
//!     x̂₀  = x + σ_t² s_θ(x, σ_t)                                  (Tweedie: the prior step)
//!     x̂₀' ≈ argmin_z −log p(y | z) + (λ/(2σ_t²)) ‖z − x̂₀‖²        (the data step)
//!     ε̂   = (x − x̂₀')/σ_t                                          (effective noise)
//!     x   = x̂₀' + σ_{t+1} (√(1−ζ) ε̂ + √ζ ξ_t),  σ_{T+1} = 0         (re-noising)
//! output x
//! ```
//!
//! One network call per level and chain: `T` calls per sample, the data step calls none.
//!
//! ## Deviations from DiffPIR's Algorithm 1, all stated
//!
//! * **Variance-exploding form.** DiffPIR is written for a variance-preserving DDPM
//!   (`x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε`). With `σ_t = √(1−ᾱ_t)/√ᾱ_t` (DiffPIR's `σ̄_t`) and the
//!   rescaled iterate `x_t/√ᾱ_t` its steps become the ones above, which is what an NCSN prior
//!   (trained at noise levels `σ`, no rescaling) needs.
//! * **Schedule.** `σ_t` is geometric from `σ_1` to `σ_T` over `T` levels (NCSN's levels)
//!   instead of `T` sub-steps of a 1000-step DDPM `β` schedule, and the start is
//!   `c + σ_1 ξ` (a centre `c` for images in `[0, 1]`) instead of pure noise at `ᾱ = 0`.
//! * **Data step.** DiffPIR solves `argmin ‖y − Hx‖² + ρ_t‖x − x̂₀‖²`, `ρ_t = λσ_n²/σ̄_t²`,
//!   in closed form for Gaussian noise. Divided by `2σ_n²` this is
//!   `−log p(y|x) + (λ/(2σ̄_t²))‖x − x̂₀‖²`, the form used here for any likelihood; the
//!   quantized log-likelihoods have no closed-form proximal map, so it is solved inexactly by
//!   `K` gradient steps from `x̂₀` ([`solve_data_subproblem`]), step `γ/(L + λ/σ_t²)` with
//!   `L = ‖A‖₂²/σ²` from power iterations ([`spectral_norm_sq`]). Unquantized measurements
//!   take the same gradient steps (no closed form is computed).
//! * **Optional smoothing** ([`PnpSchedule::kappa`], default 0 = exact): the data term can
//!   use `s_m² = σ² + κ²σ_t²‖a_m‖²`, the likelihood of `y` when `x₀ ~ N(z, κ²σ_t² I)`
//!   (QCS-SGM's noise-perturbed likelihood, eq. 16, at `β = κσ_t`); the step then uses the
//!   level's curvature bound `‖A‖₂²/(σ² + κ²σ_t² min ‖a_m‖²)`.
//! * **Noise draws.** `ξ_t` is drawn only when `ζ > 0` and `σ_{t+1} > 0`.
//!
//! Files: `schedule` ([`PnpSchedule`]), `data` (the data sub-problem), `layout`
//! ([`PnpLayout`], [`PnpBuffers`]), `sampler` ([`PnpSampler`], [`PnpProgress`]).

mod data;
mod layout;
mod sampler;
mod schedule;

pub use data::{solve_data_subproblem, spectral_norm_sq, DataStep, DataWork, POWER_ITERATIONS};
pub use layout::{PnpBuffers, PnpLayout};
pub use sampler::{PnpProgress, PnpSampler};
pub use schedule::PnpSchedule;
