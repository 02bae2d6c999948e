//! The options the subcommands share: the network prior, Algorithm 1's schedule, the sensor.

use anyhow::{anyhow, ensure, Result};
use clap::{Args, ValueEnum};
use qcs_core::ep::EpParams;
use qcs_core::frame::OperatorKind;
use qcs_core::langevin::Balance;
use qcs_core::langevin::Schedule;
use qcs_core::operator::Scaling;
use qcs_host::budget;
use qcs_host::model::Device;
use qcs_host::pnp::{PnpOptions, PnpSettings};
use qcs_host::problem::Observed;
use qcs_host::reconstruct::{self, budget_levels, SamplerSettings};
use qcs_host::sensing::{SensorQuantizer, SensorSettings};
use qcs_host::{data, sensing, warm_start};
use std::path::PathBuf;

/// Options of the network prior.
#[derive(Debug, Args, Clone)]
pub struct PriorArgs {
    /// The ONNX score model (σ-free NCSNv2 body; score = output / σ). The shipped model takes
    /// [batch, 1, 28, 28] images in [0, 1]; a frame's image must match the model's input.
    #[arg(long, default_value_os_t = data::models_dir().join("ncsnv2-mnist.onnx"))]
    pub model: PathBuf,
    /// Where the network runs (`cuda` needs a build with `--features gpu` and an NVIDIA GPU).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
    /// OS threads running the network (default: one per core on the CPU, 1 on a GPU).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Images per network call (default: 1 on the CPU, all samples on a GPU); must divide
    /// --samples.
    #[arg(long)]
    pub plan_batch: Option<usize>,
    /// Refuse a frame whose reconstruction would need more memory than this (operator,
    /// sampler and network, estimated from the header before anything is allocated), e.g.
    /// 4G, 512M.
    #[arg(long, value_parser = budget::parse_bytes, default_value = "4G")]
    pub max_memory: u64,
}

/// Options of the samplers: the plug-and-play sampler (the default, `--method pnp-probit`,
/// defaults [`qcs_core::pnp::PnpSchedule::DEFAULT`]) and Algorithm 1 (`--method qcs-sgm`,
/// defaults: the paper's MNIST settings).
#[derive(Debug, Args, Clone)]
pub struct ScheduleArgs {
    /// Largest noise level β_1 (σ_1 of pnp-probit); default 2 (pnp-probit), 50 (qcs-sgm).
    #[arg(long)]
    pub beta_max: Option<f32>,
    /// Smallest noise level β_T (σ_T of pnp-probit); default 0.01.
    #[arg(long)]
    pub beta_min: Option<f32>,
    /// The sampler. `pnp-probit` (the default): DiffPIR (Zhu et al. 2023) with the quantized
    /// likelihood in its data step, one network call per level, 100 levels (it measures best
    /// on every cell of docs/RESULTS.md experiment 6 at a tenth of qcs-sgm's calls);
    /// `qcs-sgm`: Algorithm 1 of the paper (annealed Langevin dynamics with the
    /// noise-perturbed pseudo-likelihood score, 1,160 calls); `qcs-sgm-ep`: the same with
    /// QCS-SGM+'s likelihood score by expectation propagation (any A; one SVD of A per frame).
    #[arg(long, value_enum, default_value_t = MethodArg::PnpProbit)]
    pub method: MethodArg,
    /// qcs-sgm-ep: EP iterations per Langevin step at most.
    #[arg(long, default_value_t = EpParams::DEFAULT.max_iterations)]
    pub ep_iterations: u32,
    /// qcs-sgm-ep: damping of the EP messages, in [0, 1).
    #[arg(long, default_value_t = EpParams::DEFAULT.damping)]
    pub ep_damping: f32,
    /// qcs-sgm-ep: EP stops once the cavity moved less than this (in its standard deviations).
    #[arg(long, default_value_t = EpParams::DEFAULT.tolerance)]
    pub ep_tolerance: f32,
    /// Number of noise levels T (geometric from β_1 to β_T); default 100 (pnp-probit), 232
    /// (qcs-sgm, qcs-sgm-ep).
    #[arg(long)]
    pub levels: Option<u32>,
    /// A budget of network calls per sample instead of --levels: qcs-sgm and qcs-sgm-ep run
    /// T = ⌊(N − d)/K⌋ levels of K = --steps steps, d = 1 with --denoise (the same β range);
    /// pnp-probit runs T = N levels. report.json states the true count.
    #[arg(long, conflicts_with = "levels")]
    pub calls: Option<u64>,
    /// qcs-sgm: a final denoising step after the last level: Tweedie's formula at β_T with
    /// the posterior score, x + β_T²·(s_θ(x, β_T) + likelihood score); one more network call.
    #[arg(long)]
    pub denoise: bool,
    /// A warm start (CCDF, SIM-DMIS): the chains start at the scaled back-projection Aᵀŷ plus
    /// β_1 (σ_1) noise, and the levels above it are skipped; β_1 = --beta-max, default with
    /// --warm-start 0.5 (qcs-sgm) and 1 (pnp-probit). No network call.
    #[arg(long)]
    pub warm_start: bool,
    /// qcs-sgm, qcs-sgm-ep: rescale the likelihood score at every step to this fraction of the
    /// prior score's norm (the QCS-SGM+ authors' code), or `off` for Algorithm 1's unscaled
    /// sum; default: 0.5 for qcs-sgm-ep, off for qcs-sgm.
    #[arg(long, value_name = "F|off", value_parser = reconstruct::parse_balance)]
    pub likelihood_fraction: Option<Balance>,
    /// qcs-sgm: Langevin steps per level K (default 5).
    #[arg(long)]
    pub steps: Option<u32>,
    /// qcs-sgm: step-size constant ε (α_t = ε β_t² / β_T²); default 2e-4 (the paper's MNIST
    /// value) for one-bit, 2e-5 for multi-bit and unquantized measurements (2e-4 diverges
    /// there).
    #[arg(long)]
    pub epsilon: Option<f32>,
    /// pnp-probit: DiffPIR's λ, the proximity weight λ/σ_t² of the data step.
    #[arg(long)]
    pub lambda: Option<f32>,
    /// pnp-probit: DiffPIR's ζ in [0, 1], the share of fresh noise when re-noising.
    #[arg(long)]
    pub zeta: Option<f32>,
    /// pnp-probit: gradient steps on the exact log-likelihood per level (no network calls).
    #[arg(long)]
    pub data_steps: Option<u32>,
    /// pnp-probit: step scale γ in (0, 2) of those steps, η_t = γ/(‖A‖²/σ² + λ/σ_t²).
    #[arg(long)]
    pub step_scale: Option<f32>,
    /// pnp-probit: likelihood smoothing κ ≥ 0 (0: the exact likelihood; κ > 0: the data step
    /// uses s_m² = σ² + κ²σ_t²‖a_m‖², QCS-SGM's eq. 16 at β = κσ_t).
    #[arg(long)]
    pub kappa: Option<f32>,
    /// Posterior samples (chains) drawn together.
    #[arg(long, default_value_t = 4)]
    pub samples: usize,
    /// Seed of the chains (start and noise; chain b uses stream b).
    #[arg(long, default_value_t = 7)]
    pub chain_seed: u64,
}

/// The settings of the chosen sampler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunSettings {
    /// QCS-SGM, Algorithm 1.
    QcsSgm(SamplerSettings),
    /// The plug-and-play sampler.
    Pnp(PnpSettings),
}

impl RunSettings {
    /// Posterior samples.
    pub fn chains(&self) -> usize {
        match self {
            RunSettings::QcsSgm(s) => s.chains,
            RunSettings::Pnp(s) => s.chains,
        }
    }

    /// Network calls per sample.
    pub fn network_calls(&self) -> u64 {
        match self {
            RunSettings::QcsSgm(s) => s.network_calls(),
            RunSettings::Pnp(s) => s.network_calls(),
        }
    }

    /// Steps the progress bar counts (Langevin steps, or levels).
    pub fn steps(&self) -> u64 {
        match self {
            RunSettings::QcsSgm(s) => s.schedule.total_steps(),
            RunSettings::Pnp(s) => s.schedule.levels as u64,
        }
    }
}

impl ScheduleArgs {
    /// The settings of the chosen sampler for measurements of this kind.
    pub fn run_settings(&self, observed: &Observed) -> Result<RunSettings> {
        Ok(match self.method {
            MethodArg::QcsSgm | MethodArg::QcsSgmEp => {
                RunSettings::QcsSgm(self.settings(observed)?)
            }
            MethodArg::PnpProbit => RunSettings::Pnp(self.pnp_settings()?),
        })
    }

    /// The EP parameters of `qcs-sgm-ep`, checked.
    pub fn ep_params(&self) -> Result<EpParams> {
        let p = EpParams {
            damping: self.ep_damping,
            max_iterations: self.ep_iterations,
            tolerance: self.ep_tolerance,
        };
        p.validate().map_err(|e| anyhow!("EP options: {e}"))?;
        Ok(p)
    }

    /// The settings of Algorithm 1 for measurements of this kind.
    pub fn settings(&self, observed: &Observed) -> Result<SamplerSettings> {
        self.refuse(
            "qcs-sgm",
            &[
                ("--lambda", self.lambda.is_some()),
                ("--zeta", self.zeta.is_some()),
                ("--data-steps", self.data_steps.is_some()),
                ("--step-scale", self.step_scale.is_some()),
                ("--kappa", self.kappa.is_some()),
            ],
        )?;
        let p = Schedule::PAPER_MNIST;
        let epsilon = self
            .epsilon
            .unwrap_or_else(|| reconstruct::default_epsilon(observed));
        let steps = self.steps.unwrap_or(p.steps_per_level);
        let levels = match self.calls {
            None => self.levels.unwrap_or(p.levels),
            Some(calls) => budget_levels(calls, steps, self.denoise)?,
        };
        let schedule = Schedule::new(
            self.beta_max.unwrap_or(if self.warm_start {
                warm_start::BETA_START
            } else {
                p.beta_max
            }),
            self.beta_min.unwrap_or(p.beta_min),
            levels,
            steps,
            epsilon,
        )
        .map_err(|e| anyhow!("schedule options: {e}"))?;
        self.check_samples()?;
        let settings = SamplerSettings {
            schedule,
            chains: self.samples,
            seed: self.chain_seed,
            denoise: self.denoise,
            warm_start: self.warm_start,
            balance: self.likelihood_fraction.unwrap_or_else(|| {
                reconstruct::default_balance(self.method == MethodArg::QcsSgmEp)
            }),
        };
        // Checked here, before any buffer is allocated.
        settings
            .balance
            .validate()
            .map_err(|e| anyhow!("--likelihood-fraction: {e}"))?;
        Ok(settings)
    }

    /// The settings of the plug-and-play sampler (`--calls N` = `--levels N`).
    pub fn pnp_settings(&self) -> Result<PnpSettings> {
        self.refuse(
            "pnp-probit",
            &[
                ("--steps", self.steps.is_some()),
                ("--epsilon", self.epsilon.is_some()),
                ("--denoise", self.denoise),
                ("--likelihood-fraction", self.likelihood_fraction.is_some()),
            ],
        )?;
        let levels = match self.calls {
            None => self.levels,
            Some(calls) => Some(
                u32::try_from(calls).map_err(|_| anyhow!("--calls {calls}: too many levels"))?,
            ),
        };
        let options = PnpOptions {
            sigma_max: self.beta_max,
            sigma_min: self.beta_min,
            levels,
            lambda: self.lambda,
            zeta: self.zeta,
            data_steps: self.data_steps,
            step_scale: self.step_scale,
            kappa: self.kappa,
            center: None,
            warm_start: Some(self.warm_start),
        };
        let schedule = options
            .schedule()
            .map_err(|e| anyhow!("pnp-probit options: {e}"))?;
        self.check_samples()?;
        Ok(PnpSettings {
            schedule,
            chains: self.samples,
            seed: self.chain_seed,
            center: options.center(),
            warm_start: options.warm_start(),
        })
    }

    /// An error naming the first option given that `method` does not take.
    fn refuse(&self, method: &str, given: &[(&str, bool)]) -> Result<()> {
        if let Some((flag, _)) = given.iter().find(|(_, g)| *g) {
            anyhow::bail!("{flag} does not apply to --method {method}");
        }
        Ok(())
    }

    /// `--samples` at least 1.
    pub fn check_samples(&self) -> Result<()> {
        ensure!(
            self.samples >= 1,
            "--samples must be at least 1, got {}",
            self.samples
        );
        Ok(())
    }
}

/// The operators a sensor can measure with, named and described by the core's
/// [`OperatorKind`] (the one description of each kind): those it regenerates from a seed.
fn sensor_operator() -> impl clap::builder::TypedValueParser<Value = OperatorKind> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let kinds = OperatorKind::ALL
        .into_iter()
        .filter(|k| k.is_regenerable())
        .map(|k| PossibleValue::new(k.name()).help(k.summary()));
    PossibleValuesParser::new(kinds).map(|name| {
        name.parse::<OperatorKind>()
            .expect("a possible value is an operator name")
    })
}

/// A posterior sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// QCS-SGM, Algorithm 1 of Meng & Kabashima.
    QcsSgm,
    /// DiffPIR with the exact quantized likelihood (`qcs_core::pnp`).
    PnpProbit,
    /// QCS-SGM+: the likelihood score by expectation propagation with the SVD of A (Meng &
    /// Kabashima, AAAI 2024), for ill-conditioned or correlated sensing matrices.
    QcsSgmEp,
}

impl MethodArg {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            MethodArg::QcsSgm => "qcs-sgm",
            MethodArg::PnpProbit => qcs_host::pnp::METHOD,
            MethodArg::QcsSgmEp => "qcs-sgm-ep",
        }
    }
}

/// Entry variance of the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScalingArg {
    /// N(0, 1/M), the paper's setting.
    PerMeasurement,
    /// N(0, 1), the "Liu & Liu setting" (Appendix F).
    Unit,
    /// N(0, 1/N): rows of unit norm.
    UnitRows,
}

impl From<ScalingArg> for Scaling {
    fn from(s: ScalingArg) -> Scaling {
        match s {
            ScalingArg::PerMeasurement => Scaling::PerMeasurement,
            ScalingArg::Unit => Scaling::Unit,
            ScalingArg::UnitRows => Scaling::UnitRows,
        }
    }
}

/// The sensing side: operator, quantizer, noise.
#[derive(Debug, Args, Clone)]
pub struct SensorArgs {
    /// Number of measurements M, 1 ..= 16777216 (2^24, the frame's limit).
    #[arg(long, default_value_t = 200)]
    pub measurements: usize,
    /// Bits per measurement Q, 0 ..= 16 (1 = signs; 0 = unquantized, y sent as f32).
    #[arg(long, default_value_t = 1)]
    pub bits: u8,
    /// Quantizer step Δ for Q ≥ 2 (default: (max y − min y)/2^Q of the noisy measurements,
    /// as the authors compute it).
    #[arg(long)]
    pub delta: Option<f32>,
    /// A non-uniform quantizer instead: 2^Q − 1 increasing thresholds, comma-separated
    /// (needs --codewords; Q follows from their number, 1 ..= 16).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub thresholds: Option<Vec<f32>>,
    /// The 2^Q codewords of --thresholds, comma-separated.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub codewords: Option<Vec<f32>>,
    /// Noise standard deviation σ added before quantization, 0 ..= 1e18.
    #[arg(long, default_value_t = 0.05)]
    pub sigma: f32,
    /// The measurement operator.
    #[arg(long, value_parser = sensor_operator(), default_value = "seeded")]
    pub operator: OperatorKind,
    /// Entry variance of the operator.
    #[arg(long, value_enum, default_value_t = ScalingArg::PerMeasurement)]
    pub scaling: ScalingArg,
    /// Seed of the operator (a sensor stores this instead of the matrix).
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// Seed of the sensor noise n.
    #[arg(long, default_value_t = 1)]
    pub noise_seed: u64,
    /// Frame counter written into the frame.
    #[arg(long, default_value_t = 0)]
    pub counter: u32,
}

impl SensorArgs {
    /// The sensor settings, range-checked before anything is measured.
    pub fn settings(&self) -> Result<SensorSettings> {
        let quantizer = SensorQuantizer::from_options(
            self.bits,
            self.delta,
            self.thresholds.as_deref(),
            self.codewords.as_deref(),
        )?;
        let settings = SensorSettings {
            measurements: self.measurements,
            quantizer,
            sigma: self.sigma,
            operator: self.operator,
            scaling: Scaling::from(self.scaling),
            seed: self.seed,
            counter: self.counter,
        };
        sensing::check_settings(&settings)?;
        Ok(settings)
    }
}
