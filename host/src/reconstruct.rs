//! Posterior sampling on the host: the core's annealed Langevin [`Sampler`] (Algorithm 1)
//! over heap buffers, with any [`ScorePrior`], and the summary people look at (posterior
//! mean, per-pixel standard deviation, the samples).

use crate::problem::Observed;
use anyhow::{anyhow, Result};
use qcs_core::langevin::{
    Balance, Buffers, Progress, SampleError, Sampler, SamplerLayout, Schedule, ScorePrior,
};
use qcs_core::likelihood::PseudoLikelihood;
use qcs_core::metrics;
use qcs_core::operator::SensingOperator;
use qcs_core::rng::{stream_rng, Xoshiro128PlusPlus};
use std::time::Instant;

/// How to sample.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SamplerSettings {
    /// The noise schedule and step rule.
    #[serde(skip)]
    pub schedule: Schedule,
    /// Posterior samples (chains) drawn together.
    pub chains: usize,
    /// Seed of the chains: chain `b` uses `rng::stream_rng(seed, b)` for its start and noise.
    pub seed: u64,
    /// Whether a final denoising step follows the schedule ([`Sampler::denoise`]: Tweedie's
    /// formula at `β_T`, one more network call).
    pub denoise: bool,
    /// Whether the chains start at the warm-start estimate diffused to `β_1`
    /// ([`crate::warm_start::estimate`], [`Sampler::init_around`]) instead of `U(0, 1)`; no
    /// network call.
    pub warm_start: bool,
    /// How the likelihood score is weighed against the prior's ([`Balance::Unscaled`]:
    /// Algorithm 1 as written; [`default_balance`] for each method).
    #[serde(skip)]
    pub balance: Balance,
}

impl SamplerSettings {
    /// Network calls per chain: one per Langevin step, one more for the denoising step.
    pub fn network_calls(&self) -> u64 {
        self.schedule.total_steps() + u64::from(self.denoise)
    }
}

/// The likelihood weighting when none is given: QCS-SGM+'s rescaling to 0.5 of the prior
/// score's norm for the EP score (`qcs-sgm-ep`; the authors' MNIST value, also the best of
/// 0.3 / 0.5 / 0.7 / 1.0 on held-out digits 900–909, `docs/RESULTS.md` experiment 7), and
/// Algorithm 1's unscaled sum for the others (`qcs-sgm` stays the paper's sampler).
pub fn default_balance(ep: bool) -> Balance {
    if ep {
        Balance::PriorNormFraction(0.5)
    } else {
        Balance::Unscaled
    }
}

/// Parses `--likelihood-fraction` / `[schedule] likelihood_fraction`: `off` is
/// [`Balance::Unscaled`], a number the fraction of [`Balance::PriorNormFraction`] (checked
/// later by [`Balance::validate`], so the error names the field and the value).
pub fn parse_balance(s: &str) -> std::result::Result<Balance, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(Balance::Unscaled);
    }
    s.parse::<f32>()
        .map(Balance::PriorNormFraction)
        .map_err(|_| format!("`{s}` is neither a fraction such as 0.5 nor `off`"))
}

/// Levels `T` of `steps` Langevin steps that a budget of `calls` network calls per sample
/// allows: `⌊(calls − d)/steps⌋`, `d = 1` with the final denoising step.
pub fn budget_levels(calls: u64, steps: u32, denoise: bool) -> Result<u32> {
    let levels = calls.saturating_sub(u64::from(denoise)) / u64::from(steps.max(1));
    anyhow::ensure!(
        levels >= 1,
        "--calls {calls} is less than one level of --steps {steps} steps{}",
        if denoise {
            " and the denoising call"
        } else {
            ""
        }
    );
    u32::try_from(levels).map_err(|_| anyhow!("--calls {calls}: too many levels ({levels})"))
}

/// The step-size constant `ε` when none is given: 2e-4 (the paper's MNIST value) for one-bit
/// measurements; for multi-bit and linear ones `α_t·‖A‖²/s_m²` exceeds 2 at every level with
/// `A ~ N(0, 1/M)` and 2e-4 diverges (`models/reference/README.md`), so those take the paper's
/// linear 2e-5.
pub fn default_epsilon(observed: &Observed) -> f32 {
    match observed {
        Observed::OneBit(_) => Schedule::PAPER_MNIST.epsilon,
        _ => 2e-5,
    }
}

/// The result of [`reconstruct`].
#[derive(Debug, Clone)]
pub struct Reconstruction {
    /// Values per sample.
    pub n: usize,
    /// The samples `x_T^K` of Algorithm 1 clamped to `[0, 1]`, chain after chain.
    pub samples: Vec<f32>,
    /// The raw final iterates, unclamped.
    pub raw: Vec<f32>,
    /// Per-pixel mean of the clamped samples (the posterior-mean estimate).
    pub mean: Vec<f32>,
    /// Per-pixel standard deviation of the clamped samples (population, `1/S`).
    pub std: Vec<f32>,
    /// Wall time of the whole run, seconds.
    pub seconds: f64,
}

impl Reconstruction {
    /// Sample `b`.
    pub fn sample(&self, b: usize) -> &[f32] {
        &self.samples[b * self.n..(b + 1) * self.n]
    }
}

/// A chain stopped being finite: the step size was too large for the measurements (the
/// likelihood score's Lipschitz constant grows as `β_t` falls). Returned inside the
/// `anyhow::Error` of [`reconstruct`]; find it with `err.downcast_ref::<Diverged>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Diverged {
    /// The level `t` (0-based) of the step that diverged.
    pub level: u32,
    /// Levels `T` of the schedule.
    pub levels: u32,
    /// Its noise level `β_t`.
    pub beta: f32,
    /// The step within the level (0-based).
    pub step: u32,
    /// Steps per level `K`.
    pub steps_per_level: u32,
    /// The step-size constant `ε` of the run.
    pub epsilon: f32,
    /// The core's error ([`qcs_core::Error::Diverged`]).
    pub source: qcs_core::Error,
}

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the chain diverged at level {} of {} (β = {}), step {} of {}: a non-finite prior \
             score or iterate; the step size is too large for these measurements: try a smaller \
             --epsilon (this run: {:e})",
            self.level + 1,
            self.levels,
            self.beta,
            self.step + 1,
            self.steps_per_level,
            self.epsilon
        )
    }
}

impl std::error::Error for Diverged {}

/// Owned working memory for a [`Sampler`]: one slab, sized and cut by [`SamplerLayout`].
#[derive(Debug, Clone)]
pub struct HeapBuffers {
    layout: SamplerLayout,
    slab: Vec<f32>,
}

impl HeapBuffers {
    /// Zeroed buffers for `chains` chains over `op`.
    pub fn for_op<O: SensingOperator + ?Sized>(op: &O, chains: usize) -> Self {
        let layout = SamplerLayout::for_op(op, chains);
        HeapBuffers {
            layout,
            slab: vec![0.0; layout.slab_len()],
        }
    }

    /// Zeroed buffers for `chains` chains over `op` with the likelihood scratch `likelihood`
    /// needs (`2M` for the EP score of QCS-SGM+).
    pub fn for_likelihood<O: SensingOperator + ?Sized>(
        op: &O,
        chains: usize,
        likelihood: &PseudoLikelihood<'_>,
    ) -> Self {
        let layout = SamplerLayout::for_op(op, chains).with_lik_scratch(likelihood.scratch_len());
        HeapBuffers {
            layout,
            slab: vec![0.0; layout.slab_len()],
        }
    }

    /// Borrows them as a sampler's [`Buffers`] (the slab has the layout's length, so
    /// [`SamplerLayout::carve`] cuts every buffer whole).
    pub fn buffers(&mut self) -> Buffers<'_> {
        self.layout.carve(&mut self.slab)
    }
}

/// What [`drive`] needs of a core sampler: Algorithm 1's [`Sampler`] and pnp-probit's
/// [`PnpSampler`](qcs_core::pnp::PnpSampler) both provide it.
pub trait Chains {
    /// What a step reports.
    type Progress;
    /// The iterates, `chains · N` values.
    fn x_mut(&mut self) -> &mut [f32];
    /// Restarts the schedule, keeping the iterates.
    fn rewind(&mut self);
    /// Whether every step of the schedule has run.
    fn is_finished(&self) -> bool;
    /// One step.
    fn step<P: ScorePrior<Error = anyhow::Error>>(
        &mut self,
        prior: &mut P,
    ) -> std::result::Result<Self::Progress, SampleError<anyhow::Error>>;
}

impl<O: SensingOperator + ?Sized> Chains for Sampler<'_, '_, O, Xoshiro128PlusPlus> {
    type Progress = Progress;
    fn x_mut(&mut self) -> &mut [f32] {
        Sampler::x_mut(self)
    }
    fn rewind(&mut self) {
        Sampler::rewind(self)
    }
    fn is_finished(&self) -> bool {
        Sampler::is_finished(self)
    }
    fn step<P: ScorePrior<Error = anyhow::Error>>(
        &mut self,
        prior: &mut P,
    ) -> std::result::Result<Progress, SampleError<anyhow::Error>> {
        Sampler::step(self, prior)
    }
}

/// One generator per chain, `stream_rng(seed, b)` for chain `b`: the host's seeding of every
/// sampler.
pub fn chain_rngs(seed: u64, chains: usize) -> Vec<Xoshiro128PlusPlus> {
    (0..chains).map(|b| stream_rng(seed, b as u64)).collect()
}

/// Runs `sampler` to the end of its schedule: from `start` (`chains · N` values) when given,
/// else from the start `init` sets; errors become `anyhow` errors through `typed`, and
/// `progress` is called after every step.
pub fn drive<S: Chains, P: ScorePrior<Error = anyhow::Error>>(
    sampler: &mut S,
    prior: &mut P,
    start: Option<&[f32]>,
    init: impl FnOnce(&mut S) -> Result<()>,
    typed: impl Fn(SampleError<anyhow::Error>) -> anyhow::Error,
    mut progress: impl FnMut(S::Progress),
) -> Result<()> {
    match start {
        Some(x0) => {
            let x = sampler.x_mut();
            anyhow::ensure!(
                x0.len() == x.len(),
                "start: {} values, the sampler needs {}",
                x0.len(),
                x.len()
            );
            x.copy_from_slice(x0);
            sampler.rewind();
        }
        None => init(sampler)?,
    }
    while !sampler.is_finished() {
        progress(sampler.step(prior).map_err(&typed)?);
    }
    Ok(())
}

/// Runs Algorithm 1 from `U(0, 1)` starts, or warm starts ([`SamplerSettings::warm_start`]), (or from `start`, `chains · N` values) and
/// summarizes the samples. `progress` is called after every step.
pub fn reconstruct<O, P>(
    op: &O,
    likelihood: PseudoLikelihood<'_>,
    settings: &SamplerSettings,
    prior: &mut P,
    start: Option<&[f32]>,
    progress: impl FnMut(Progress),
) -> Result<Reconstruction>
where
    O: SensingOperator + ?Sized,
    P: ScorePrior<Error = anyhow::Error>,
{
    let t0 = Instant::now();
    let n = op.cols();
    let mut heap = HeapBuffers::for_likelihood(op, settings.chains, &likelihood);
    let warm = settings
        .warm_start
        .then(|| crate::warm_start::estimate(op, likelihood.measurements()))
        .transpose()?;
    let mut rngs = chain_rngs(settings.seed, settings.chains);
    let mut sampler = Sampler::new(op, likelihood, settings.schedule, heap.buffers(), &mut rngs)
        .and_then(|s| s.with_balance(settings.balance))
        .map_err(|e| anyhow!("sampler: {e}"))?;
    let schedule = settings.schedule;
    let typed = |e: SampleError<anyhow::Error>| match e {
        SampleError::Core(
            source @ qcs_core::Error::Diverged {
                level, step, beta, ..
            },
        ) => anyhow::Error::new(Diverged {
            level: level as u32,
            levels: schedule.levels,
            beta,
            step: step as u32,
            steps_per_level: schedule.steps_per_level,
            epsilon: schedule.epsilon,
            source,
        }),
        SampleError::Core(e) => anyhow::Error::new(e).context("sampler step"),
        SampleError::Prior(e) => e.context("the score network"),
    };
    drive(
        &mut sampler,
        prior,
        start,
        |s| match &warm {
            Some(center) => s
                .init_around(center)
                .map_err(|e| anyhow!("warm start: {e}")),
            None => {
                s.init_uniform();
                Ok(())
            }
        },
        typed,
        progress,
    )?;
    if settings.denoise {
        sampler.denoise(prior).map_err(typed)?;
    }
    let raw = sampler.x().to_vec();
    Ok(summarize(
        raw,
        n,
        settings.chains,
        t0.elapsed().as_secs_f64(),
    ))
}

/// Clamps the final iterates to `[0, 1]` (as the authors do for every output) and computes
/// the per-pixel mean and standard deviation over the chains.
pub fn summarize(raw: Vec<f32>, n: usize, chains: usize, seconds: f64) -> Reconstruction {
    let samples: Vec<f32> = raw.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    let mut mean = vec![0.0f64; n];
    for s in samples.chunks_exact(n) {
        for (m, &v) in mean.iter_mut().zip(s) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= chains as f64);
    let mut var = vec![0.0f64; n];
    for s in samples.chunks_exact(n) {
        for ((q, &m), &v) in var.iter_mut().zip(&mean).zip(s) {
            *q += (v as f64 - m) * (v as f64 - m);
        }
    }
    Reconstruction {
        n,
        std: var
            .iter()
            .map(|q| (q / chains as f64).sqrt() as f32)
            .collect(),
        mean: mean.iter().map(|&m| m as f32).collect(),
        samples,
        raw,
        seconds,
    }
}

/// PSNR, SSIM and cosine similarity (the paper's §4 metrics, data range 1) of `estimate`,
/// clamped to `[0, 1]` here, against `truth`, a `height × width` image.
pub fn score(truth: &[f32], estimate: &[f32], height: usize, width: usize) -> Result<[f32; 3]> {
    let e: Vec<f32> = estimate.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    let m = |what: &'static str| move |err: qcs_core::Error| anyhow!("{what}: {err}");
    Ok([
        metrics::psnr(truth, &e).map_err(m("psnr"))?,
        // Channels last, as many as the values hold (SSIM: the mean over the channels).
        metrics::ssim(
            truth,
            &e,
            height,
            width,
            truth.len() / (height * width).max(1),
        )
        .map_err(m("ssim"))?,
        metrics::cosine_similarity(truth, &e).map_err(m("cosine"))?,
    ])
}
