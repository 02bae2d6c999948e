//! The plug-and-play sampler on the host: the core's [`PnpSampler`] (DiffPIR with the exact
//! quantized likelihood in its data step, `qcs_core::pnp`) over heap buffers, with any
//! [`ScorePrior`], summarized as [`reconstruct`](crate::reconstruct::reconstruct) does.

use crate::reconstruct::{chain_rngs, drive, summarize, Chains, Reconstruction};
use anyhow::{anyhow, Result};
use qcs_core::langevin::{SampleError, ScorePrior};
use qcs_core::likelihood::PseudoLikelihood;
use qcs_core::operator::SensingOperator;
use qcs_core::pnp::{PnpLayout, PnpProgress, PnpSampler, PnpSchedule};
use qcs_core::rng::Xoshiro128PlusPlus;
use std::time::Instant;

/// The name of the method in reports, configs and on the command line.
pub const METHOD: &str = "pnp-probit";

/// The options every front end takes over [`PnpSchedule::DEFAULT`] and
/// [`PnpSettings::CENTER`] (`qcs reconstruct`'s flags, `qcs-eval`'s `[pnp]` table, Python's
/// keywords): the one place that fills in the defaults and validates.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PnpOptions {
    /// Largest noise level `σ_1`.
    pub sigma_max: Option<f32>,
    /// Smallest noise level `σ_T`.
    pub sigma_min: Option<f32>,
    /// Levels `T` (network calls per sample).
    pub levels: Option<u32>,
    /// DiffPIR's `λ`.
    pub lambda: Option<f32>,
    /// DiffPIR's `ζ`.
    pub zeta: Option<f32>,
    /// Gradient steps of the data sub-problem per level.
    pub data_steps: Option<u32>,
    /// Their step scale `γ`.
    pub step_scale: Option<f32>,
    /// Likelihood smoothing `κ` (0: exact).
    pub kappa: Option<f32>,
    /// Centre `c` of the start `c + σ_1 ξ`.
    pub center: Option<f32>,
    /// Start from the warm-start estimate ([`crate::warm_start::estimate`]) diffused to `σ_1`
    /// instead of `c + σ_1 ξ`; `σ_1` then defaults to [`PnpSettings::WARM_SIGMA_MAX`].
    pub warm_start: Option<bool>,
}

impl PnpOptions {
    /// These options on a budget of `calls` network calls per sample: `calls` levels (0: the
    /// options' own levels).
    pub fn with_budget(self, calls: u64) -> std::result::Result<Self, String> {
        match calls {
            0 => Ok(self),
            c => Ok(Self {
                levels: Some(
                    u32::try_from(c).map_err(|_| format!("calls = {c}: too many levels"))?,
                ),
                ..self
            }),
        }
    }

    /// The centre of the start.
    pub fn center(&self) -> f32 {
        self.center.unwrap_or(PnpSettings::CENTER)
    }

    /// Whether the start is the warm-start estimate.
    pub fn warm_start(&self) -> bool {
        self.warm_start.unwrap_or(false)
    }

    /// The schedule: each option given, else the default's value, validated
    /// ([`PnpSchedule::new`]'s errors).
    pub fn schedule(&self) -> std::result::Result<PnpSchedule, qcs_core::Error> {
        let d = PnpSchedule::DEFAULT;
        PnpSchedule::new(
            self.sigma_max.unwrap_or(if self.warm_start() {
                PnpSettings::WARM_SIGMA_MAX
            } else {
                d.sigma_max
            }),
            self.sigma_min.unwrap_or(d.sigma_min),
            self.levels.unwrap_or(d.levels),
            self.lambda.unwrap_or(d.lambda),
            self.zeta.unwrap_or(d.zeta),
            self.data_steps.unwrap_or(d.data_steps),
            self.step_scale.unwrap_or(d.step_scale),
            self.kappa.unwrap_or(d.kappa),
        )
    }
}

/// How to sample with [`reconstruct_pnp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PnpSettings {
    /// The schedule (levels = network calls per sample) and DiffPIR's `λ`, `ζ`.
    pub schedule: PnpSchedule,
    /// Posterior samples (chains) drawn together.
    pub chains: usize,
    /// Seed of the chains: chain `b` uses `rng::stream_rng(seed, b)` for its start and noise.
    pub seed: u64,
    /// The centre `c` of the start `c + σ_1 ξ`.
    pub center: f32,
    /// Start at the warm-start estimate plus `σ_1 ξ` instead (`center` unused).
    pub warm_start: bool,
}

impl PnpSettings {
    /// The default centre of the start: mid-grey, for images in `[0, 1]`.
    pub const CENTER: f32 = 0.5;

    /// `σ_1` of a warm start when none is given (tuned on held-out digits 900–909,
    /// `docs/RESULTS.md` experiment 6).
    pub const WARM_SIGMA_MAX: f32 = 1.0;

    /// Network calls per chain: one per level.
    pub fn network_calls(&self) -> u64 {
        self.schedule.network_calls()
    }
}

/// A chain of the plug-and-play sampler stopped being finite. Returned inside the
/// `anyhow::Error` of [`reconstruct_pnp`]; find it with `err.downcast_ref::<PnpDiverged>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct PnpDiverged {
    /// The level (0-based) of the step that diverged.
    pub level: u32,
    /// Levels of the schedule.
    pub levels: u32,
    /// Its noise level `σ_t`.
    pub sigma: f32,
    /// The data-step scale `γ` of the run.
    pub step_scale: f32,
    /// The core's error ([`qcs_core::Error::Diverged`]).
    pub source: qcs_core::Error,
}

impl std::fmt::Display for PnpDiverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the chain diverged at level {} of {} (σ = {}): a non-finite prior score, \
             estimate or iterate; try a smaller --step-scale (this run: {})",
            self.level + 1,
            self.levels,
            self.sigma,
            self.step_scale
        )
    }
}

impl std::error::Error for PnpDiverged {}

impl<O: SensingOperator + ?Sized> Chains for PnpSampler<'_, '_, O, Xoshiro128PlusPlus> {
    type Progress = PnpProgress;
    fn x_mut(&mut self) -> &mut [f32] {
        PnpSampler::x_mut(self)
    }
    fn rewind(&mut self) {
        PnpSampler::rewind(self)
    }
    fn is_finished(&self) -> bool {
        PnpSampler::is_finished(self)
    }
    fn step<P: ScorePrior<Error = anyhow::Error>>(
        &mut self,
        prior: &mut P,
    ) -> std::result::Result<PnpProgress, SampleError<anyhow::Error>> {
        PnpSampler::step(self, prior)
    }
}

/// Runs the plug-and-play sampler from `center + σ_1 ξ` starts (or from `start`,
/// `chains · N` values) and summarizes the samples. `progress` is called after every level.
pub fn reconstruct_pnp<O, P>(
    op: &O,
    likelihood: PseudoLikelihood<'_>,
    settings: &PnpSettings,
    prior: &mut P,
    start: Option<&[f32]>,
    progress: impl FnMut(PnpProgress),
) -> Result<Reconstruction>
where
    O: SensingOperator + ?Sized,
    P: ScorePrior<Error = anyhow::Error>,
{
    let t0 = Instant::now();
    let n = op.cols();
    let layout = PnpLayout::for_op(op, settings.chains);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let warm = settings
        .warm_start
        .then(|| crate::warm_start::estimate(op, likelihood.measurements()))
        .transpose()?;
    let mut rngs = chain_rngs(settings.seed, settings.chains);
    let mut sampler = PnpSampler::new(
        op,
        likelihood,
        settings.schedule,
        layout.carve(&mut slab),
        &mut rngs,
    )
    .map_err(|e| anyhow!("sampler: {e}"))?;
    let schedule = settings.schedule;
    let typed = |e: SampleError<anyhow::Error>| match e {
        SampleError::Core(source @ qcs_core::Error::Diverged { level, beta, .. }) => {
            anyhow::Error::new(PnpDiverged {
                level: level as u32,
                levels: schedule.levels,
                sigma: beta,
                step_scale: schedule.step_scale,
                source,
            })
        }
        SampleError::Core(e) => anyhow::Error::new(e).context("sampler step"),
        SampleError::Prior(e) => e.context("the score network"),
    };
    let center = settings.center;
    drive(
        &mut sampler,
        prior,
        start,
        |s| match &warm {
            Some(estimate) => s
                .init_around(estimate)
                .map_err(|e| anyhow!("warm start: {e}")),
            None => {
                s.init_noise(center);
                Ok(())
            }
        },
        typed,
        progress,
    )?;
    let raw = sampler.x().to_vec();
    Ok(summarize(
        raw,
        n,
        settings.chains,
        t0.elapsed().as_secs_f64(),
    ))
}
