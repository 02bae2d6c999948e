//! The sampler tables of a config: `[schedule]` (Algorithm 1's schedule and its options),
//! `[ep]` (QCS-SGM+'s EP parameters) and the `[pnp]` budget.

use crate::pnp::PnpOptions;
use crate::reconstruct::{default_balance, parse_balance};
use anyhow::{anyhow, Result};
use qcs_core::ep::EpParams;
use qcs_core::langevin::{Balance, Schedule};
use qcs_core::pnp::PnpSchedule;

/// Overrides of the paper's MNIST schedule ([`Schedule::PAPER_MNIST`]); `epsilon` defaults to
/// 2e-4 for one-bit cells and 2e-5 for the others (as the `qcs` CLI does).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOverrides {
    /// Largest noise level `β_1`.
    pub beta_max: Option<f32>,
    /// Smallest noise level `β_T`.
    pub beta_min: Option<f32>,
    /// Noise levels `T`.
    pub levels: Option<u32>,
    /// Langevin steps per level `K`.
    pub steps_per_level: Option<u32>,
    /// Step-size constant `ε`.
    pub epsilon: Option<f32>,
    /// A final denoising step after the schedule (Tweedie at `β_T`, one more network call).
    #[serde(default)]
    pub denoise: bool,
    /// A warm start from the scaled back-projection at `β_1` (`beta_max`, default
    /// [`BETA_START`](crate::warm_start::BETA_START) with a warm start), as
    /// `qcs reconstruct --warm-start`.
    #[serde(default)]
    pub warm_start: bool,
    /// QCS-SGM+'s likelihood rescaling to this fraction of the prior score's norm, or `"off"`,
    /// as `qcs reconstruct --likelihood-fraction`; not given: the method's default
    /// ([`ScheduleOverrides::balance`]).
    #[serde(default, deserialize_with = "balance_from_toml")]
    pub likelihood_fraction: Option<Balance>,
}

impl ScheduleOverrides {
    /// The schedule for a cell with `bits` bits per measurement and a budget of `calls`
    /// network calls per sample (0: the configured levels; otherwise the levels follow from
    /// the budget as in `qcs reconstruct --calls`,
    /// [`budget_levels`](crate::reconstruct::budget_levels)).
    pub fn schedule(&self, bits: u8, calls: u64) -> Result<Schedule> {
        let p = Schedule::PAPER_MNIST;
        let steps = self.steps_per_level.unwrap_or(p.steps_per_level);
        let levels = match calls {
            0 => self.levels.unwrap_or(p.levels),
            c => crate::reconstruct::budget_levels(c, steps, self.denoise)?,
        };
        Schedule::new(
            self.beta_max.unwrap_or(if self.warm_start {
                crate::warm_start::BETA_START
            } else {
                p.beta_max
            }),
            self.beta_min.unwrap_or(p.beta_min),
            levels,
            steps,
            self.epsilon
                .unwrap_or(if bits == 1 { p.epsilon } else { 2e-5 }),
        )
        .map_err(|e| anyhow!("[schedule]: {e}"))
    }

    /// How `method` weighs the likelihood score: the table's `likelihood_fraction`, else
    /// [`default_balance`].
    pub fn balance(&self, method: super::Method) -> Balance {
        self.likelihood_fraction
            .unwrap_or_else(|| default_balance(method == super::Method::QcsSgmEp))
    }
}

/// `likelihood_fraction = 0.5` or `"off"` ([`parse_balance`]).
fn balance_from_toml<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Balance>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f32),
        Text(String),
    }
    match <Raw as serde::Deserialize>::deserialize(d)? {
        Raw::Number(c) => Ok(Some(Balance::PriorNormFraction(c))),
        Raw::Text(t) => parse_balance(&t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// The plug-and-play schedule of the `[pnp]` table on a budget of `calls` network calls per
/// sample (0: the table's levels).
pub fn pnp_schedule(pnp: &PnpOptions, calls: u64) -> Result<PnpSchedule> {
    pnp.with_budget(calls)
        .map_err(|e| anyhow!("{e}"))?
        .schedule()
        .map_err(|e| anyhow!("[pnp]: {e}"))
}

/// Overrides of QCS-SGM+'s EP parameters ([`EpParams::DEFAULT`]), for `qcs-sgm-ep` cells, as
/// `qcs reconstruct --ep-damping/--ep-iterations/--ep-tolerance`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpOverrides {
    /// Damping of the messages, in `[0, 1)`.
    pub damping: Option<f32>,
    /// EP iterations per Langevin step at most.
    pub max_iterations: Option<u32>,
    /// Stop once the cavity moved less than this (in its standard deviations).
    pub tolerance: Option<f32>,
}

impl EpOverrides {
    /// The EP parameters, checked ([`EpParams::validate`]; errors name the `[ep]` key).
    pub fn params(&self) -> Result<EpParams> {
        let d = EpParams::DEFAULT;
        let p = EpParams {
            damping: self.damping.unwrap_or(d.damping),
            max_iterations: self.max_iterations.unwrap_or(d.max_iterations),
            tolerance: self.tolerance.unwrap_or(d.tolerance),
        };
        p.validate().map_err(|e| anyhow!("[ep]: {e}"))?;
        Ok(p)
    }
}
