//! The experiment harness behind `qcs-eval`: a sweep described by a small TOML [`Config`]
//! (methods × M × bits × σ × seeds × the first K digits of the shipped test split), measured
//! exactly as a sensor does (`SeededGaussian`, [`sensor::measure`], a frame decoded by
//! [`Problem::from_frame`]), reconstructed by QCS-SGM or a [`baselines`]
//! method, scored (PSNR / SSIM / cosine of the estimate clamped to `[0, 1]`), one CSV row per
//! (cell, image). A run is resumable: rows already in the CSV are skipped. [`summarize`]
//! writes the markdown table (mean ± std per cell) and SVG plots against M.
//!
//! Seeds: for sweep seed `s` the operator is `SeededGaussian(operator_seed + s)` (one `A` per
//! M for all images, as in the paper), the sensor noise of image `i` is
//! `rng::stream_rng(noise_seed + s, i)`, and the chains of image `i` use seed
//! `1_000_003·s + i`.

use crate::baselines::{self, AldOperator, AldSettings, BihtSettings, LassoSettings};
use crate::data;
use crate::image::{Panel, Tile};
use crate::model::{Device, ScoreModel};
use crate::prior::{NetworkPrior, PriorConfig};
use crate::problem::Problem;
use crate::reconstruct::{reconstruct, score, SamplerSettings};
use crate::sensing::{self, Measured, SensorOperator, SensorQuantizer, SensorSettings};
use anyhow::{anyhow, bail, ensure, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::frame::SignalShape;
use qcs_core::langevin::Schedule;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, Scaling, SensingOperator};
use qcs_core::quantizer::{delta_from_range, Quantizer, UniformQuantizer};
use qcs_core::{rng, sensor};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// A reconstruction method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
pub enum Method {
    /// QCS-SGM: Algorithm 1 with the NCSNv2 prior and the pseudo-likelihood score.
    #[serde(rename = "qcs-sgm")]
    QcsSgm,
    /// QCS-SGM with the exact linear score of eq. 19 (`AAᵀ = UΛUᵀ`); unquantized cells of the
    /// ill-conditioned operator only (its eigendecomposition is known by construction).
    #[serde(rename = "qcs-sgm-exact")]
    QcsSgmExact,
    /// BIHT in a DCT / Haar basis (one-bit cells only), rescaled to [`Config::biht_norm`].
    #[serde(rename = "biht")]
    Biht,
    /// Lasso-W: FISTA on the codewords with an ℓ1 penalty in a DCT / Haar basis (multi-bit
    /// and unquantized cells only).
    #[serde(rename = "lasso-w")]
    LassoW,
    /// The annealed Langevin dynamics of Jalal et al. (2021a) with its heuristic annealing
    /// term `γ_t² = γ²β_t²` ([`baselines::AldOperator`]); unquantized cells only.
    #[serde(rename = "ald")]
    Ald,
}

impl Method {
    /// The name used in configs, CSV rows and tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::QcsSgm => "qcs-sgm",
            Method::QcsSgmExact => "qcs-sgm-exact",
            Method::Biht => "biht",
            Method::LassoW => "lasso-w",
            Method::Ald => "ald",
        }
    }

    /// Parses [`Method::name`].
    pub fn from_name(s: &str) -> Result<Self> {
        Ok(match s {
            "qcs-sgm" => Method::QcsSgm,
            "qcs-sgm-exact" => Method::QcsSgmExact,
            "biht" => Method::Biht,
            "lasso-w" => Method::LassoW,
            "ald" => Method::Ald,
            _ => {
                bail!("unknown method {s:?}: expected qcs-sgm, qcs-sgm-exact, ald, biht or lasso-w")
            }
        })
    }

    /// Whether the method runs on measurements of `bits` bits (0: unquantized) taken with
    /// `operator`.
    pub fn applies_to(self, bits: u8, operator: OperatorChoice) -> bool {
        match self {
            Method::QcsSgm => true,
            Method::QcsSgmExact => bits == 0 && operator == OperatorChoice::IllConditioned,
            Method::Biht => bits == 1,
            Method::LassoW => bits != 1,
            Method::Ald => bits == 0,
        }
    }
}

/// The sensing operator of a sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperatorChoice {
    /// `SeededGaussian` with `N(0, 1/M)` entries, sent in a frame (the paper's `A`).
    #[default]
    Gaussian,
    /// `A = U·diag(d)·V` ([`ill_conditioned`]), used directly (no frame kind holds it).
    IllConditioned,
}

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
}

impl ScheduleOverrides {
    /// The schedule for a cell with `bits` bits per measurement.
    pub fn schedule(&self, bits: u8) -> Result<Schedule> {
        let p = Schedule::PAPER_MNIST;
        Schedule::new(
            self.beta_max.unwrap_or(p.beta_max),
            self.beta_min.unwrap_or(p.beta_min),
            self.levels.unwrap_or(p.levels),
            self.steps_per_level.unwrap_or(p.steps_per_level),
            self.epsilon
                .unwrap_or(if bits == 1 { p.epsilon } else { 2e-5 }),
        )
        .map_err(|e| anyhow!("[schedule]: {e}"))
    }
}

fn default_samples() -> usize {
    1
}
fn default_seeds() -> Vec<u64> {
    vec![0]
}
fn default_operator_seed() -> u64 {
    12345
}
fn default_noise_seed() -> u64 {
    1
}
fn default_condition() -> f32 {
    1000.0
}
fn default_panel_images() -> usize {
    4
}

/// A sweep, as read from TOML (see `host/experiments/*.toml`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Experiment name (the default output directory and the CSV's `experiment` column).
    pub name: String,
    /// Methods to run (`qcs-sgm`, `biht`, `lasso-w`); a method skips cells it does not apply
    /// to ([`Method::applies_to`]).
    pub methods: Vec<String>,
    /// Numbers of measurements M.
    pub measurements: Vec<usize>,
    /// Bits per measurement (1 = signs, 0 = unquantized; Q ≥ 2 uses the uniform quantizer with
    /// Δ = (max y − min y)/2^Q of each image's noisy measurements).
    pub bits: Vec<u8>,
    /// Noise standard deviations σ.
    pub sigma: Vec<f32>,
    /// Test images: the first `images` digits of the shipped test split.
    pub images: usize,
    /// Sweep seeds (operator, noise and chain seeds derive from them, see the module doc).
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// Base seed of the operator.
    #[serde(default = "default_operator_seed")]
    pub operator_seed: u64,
    /// Base seed of the sensor noise.
    #[serde(default = "default_noise_seed")]
    pub noise_seed: u64,
    /// Posterior samples per image for QCS-SGM (metrics are of their mean; with ≥ 2 samples
    /// the CSV also gets the ±2·std coverage and the std–error correlation).
    #[serde(default = "default_samples")]
    pub samples: usize,
    /// Overrides of the paper's schedule.
    #[serde(default)]
    pub schedule: ScheduleOverrides,
    /// BIHT settings.
    #[serde(default)]
    pub biht: BihtSettings,
    /// Lasso-W settings.
    #[serde(default)]
    pub lasso: LassoSettings,
    /// Settings of Jalal et al.'s ALD.
    #[serde(default)]
    pub ald: AldSettings,
    /// The ℓ2 norm BIHT's unit-norm estimate is scaled to (one-bit measurements carry no
    /// scale). Default: the mean norm of the shipped test digits that are *not* evaluated
    /// (indices `images..1000`), a single constant, the same for every image.
    pub biht_norm: Option<f32>,
    /// The sensing operator (`gaussian` or `ill-conditioned`).
    #[serde(default)]
    pub operator: OperatorChoice,
    /// Eigenvalue ratio `κ` of `AAᵀ` for the ill-conditioned operator.
    #[serde(default = "default_condition")]
    pub condition: f32,
    /// Images (the first ones) whose estimates are kept for the PNG panels.
    #[serde(default = "default_panel_images")]
    pub panel_images: usize,
}

impl Config {
    /// Reads and checks a TOML config.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let c: Config =
            toml::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))?;
        c.validate()
            .with_context(|| format!("{}: invalid config", path.display()))?;
        Ok(c)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            !self.name.is_empty()
                && self
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "name {:?}: use letters, digits, '-' and '_'",
            self.name
        );
        ensure!(!self.methods.is_empty(), "methods is empty");
        self.parsed_methods()?;
        ensure!(
            !self.measurements.is_empty() && self.measurements.iter().all(|&m| m >= 1),
            "measurements must be a non-empty list of M ≥ 1"
        );
        ensure!(
            !self.bits.is_empty() && self.bits.iter().all(|&b| b <= 16),
            "bits must be a non-empty list of 0..=16"
        );
        ensure!(
            !self.sigma.is_empty() && self.sigma.iter().all(|s| s.is_finite() && *s >= 0.0),
            "sigma must be a non-empty list of finite σ ≥ 0"
        );
        ensure!((1..=1000).contains(&self.images), "images must be 1..=1000");
        ensure!(!self.seeds.is_empty(), "seeds is empty");
        ensure!(self.samples >= 1, "samples must be at least 1");
        ensure!(
            self.condition.is_finite() && self.condition >= 1.0,
            "condition must be a finite κ ≥ 1"
        );
        for &b in &self.bits {
            self.schedule.schedule(b)?;
        }
        Ok(())
    }

    /// The methods, parsed.
    pub fn parsed_methods(&self) -> Result<Vec<Method>> {
        self.methods.iter().map(|m| Method::from_name(m)).collect()
    }

    /// Every (cell, image) of the sweep, in a fixed order (cell-major, then image).
    pub fn jobs(&self) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for method in self.parsed_methods()? {
            for &bits in &self.bits {
                if !method.applies_to(bits, self.operator) {
                    continue;
                }
                for &sigma in &self.sigma {
                    for &m in &self.measurements {
                        for &seed in &self.seeds {
                            for image in 0..self.images {
                                jobs.push(Job {
                                    cell: Cell {
                                        method,
                                        m,
                                        bits,
                                        sigma,
                                        seed,
                                    },
                                    image,
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(jobs)
    }
}

/// One cell of the sweep (without the image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// The method.
    pub method: Method,
    /// Measurements M.
    pub m: usize,
    /// Bits per measurement (0: unquantized).
    pub bits: u8,
    /// Noise σ.
    pub sigma: f32,
    /// Sweep seed.
    pub seed: u64,
}

/// A cell and one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    /// The cell.
    pub cell: Cell,
    /// Index into the shipped test split.
    pub image: usize,
}

/// The identity of a row, for resuming: method, M, bits, σ (bit pattern), seed, image.
pub type RowKey = (String, usize, u8, u32, u64, usize);

impl Job {
    /// The key of this job's row.
    pub fn key(&self) -> RowKey {
        let c = &self.cell;
        (
            c.method.name().to_string(),
            c.m,
            c.bits,
            c.sigma.to_bits(),
            c.seed,
            self.image,
        )
    }

    /// A file-name stem for this job's estimate.
    pub fn stem(&self) -> String {
        let c = &self.cell;
        format!(
            "{}_m{}_q{}_s{}_seed{}_img{}",
            c.method.name(),
            c.m,
            c.bits,
            c.sigma,
            c.seed,
            self.image
        )
    }
}

/// One CSV row: a (cell, image) result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The experiment name.
    pub experiment: String,
    /// [`Method::name`].
    pub method: String,
    /// Measurements M.
    pub m: usize,
    /// Bits (0: unquantized).
    pub bits: u8,
    /// Noise σ.
    pub sigma: f32,
    /// Sweep seed.
    pub seed: u64,
    /// Index into the shipped test split.
    pub image: usize,
    /// The digit's label.
    pub label: u8,
    /// PSNR of the clamped estimate, dB (peak 1).
    pub psnr_db: f32,
    /// SSIM of the clamped estimate (7 × 7 window).
    pub ssim: f32,
    /// Cosine similarity of the clamped estimate and the truth.
    pub cosine: f32,
    /// QCS-SGM with ≥ 2 samples: fraction of pixels with `|x − mean| ≤ 2·std`.
    pub coverage_2std: Option<f32>,
    /// QCS-SGM with ≥ 2 samples: Pearson correlation of the per-pixel std and `|x − mean|`.
    pub std_error_corr: Option<f32>,
    /// The chains diverged (a non-finite iterate); the metrics are then NaN and the row is
    /// counted, not averaged.
    pub diverged: bool,
    /// Wall time of the reconstruction, seconds.
    pub seconds: f64,
}

impl Row {
    /// The key of this row.
    pub fn key(&self) -> RowKey {
        (
            self.method.clone(),
            self.m,
            self.bits,
            self.sigma.to_bits(),
            self.seed,
            self.image,
        )
    }
}

/// Reads the rows of a results CSV (none when the file does not exist).
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    r.deserialize()
        .map(|row| row.with_context(|| format!("{}: bad row", path.display())))
        .collect()
}

/// `y = Q(Ax + n)` of a `height × width` image into a frame ([`sensing::measure_frame`]):
/// `A = SeededGaussian(operator_seed, M, N, N(0, 1/M))`, uniform `Q`-bit quantizer with `Δ`
/// from the measured range (`bits` 0: unquantized), `n` from `noise`.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    x: &[f32],
    height: usize,
    width: usize,
    m: usize,
    bits: u8,
    sigma: f32,
    operator_seed: u64,
    noise: &mut rng::Xoshiro128PlusPlus,
    counter: u32,
) -> Result<Measured> {
    let shape = SignalShape::image(height as u32, width as u32, 1)
        .map_err(|e| anyhow!("signal shape: {e}"))?;
    let quantizer = if bits == 0 {
        SensorQuantizer::Unquantized
    } else {
        SensorQuantizer::Uniform { bits, delta: None }
    };
    let settings = SensorSettings {
        measurements: m,
        quantizer,
        sigma,
        operator: SensorOperator::Seeded,
        scaling: Scaling::PerMeasurement,
        seed: operator_seed,
        counter,
    };
    sensing::measure_frame(x, shape, &settings, noise)
}

/// An ill-conditioned operator as in the QCS-SGM+ follow-up: `A = U·diag(d)·V` with `U` a
/// random `M × M` orthogonal matrix, `V` `M` random orthonormal rows of length `N`, and
/// `d_i² ∝ κ^(−i/M)` (`i = 0..M`) scaled so that `Σ d_i² = N` (the trace of `AAᵀ` for
/// `N(0, 1/M)` entries), so `AAᵀ = U·diag(d²)·Uᵀ` has eigenvalue ratio
/// `κ^((M−1)/M) ≈ κ`. `U` and `V` orthonormalize `N(0, 1)` matrices from
/// `rng::stream_rng(seed, 1)` and `(seed, 2)` by modified Gram–Schmidt in `f64`.
///
/// Returns `(A row-major M × N, U row-major M × M, d²)`; needs `M ≤ N`.
pub fn ill_conditioned(
    seed: u64,
    m: usize,
    n: usize,
    kappa: f32,
) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    ensure!(
        m >= 1 && m <= n,
        "the ill-conditioned operator needs 1 ≤ M ≤ N, got M = {m}, N = {n}"
    );
    ensure!(kappa.is_finite() && kappa >= 1.0, "κ must be ≥ 1");
    let orthonormal_rows = |stream: u64, rows: usize, cols: usize| -> Result<Vec<f64>> {
        let mut g = vec![0.0f32; rows * cols];
        rng::fill_standard_normal(&mut rng::stream_rng(seed, stream), &mut g);
        let mut q: Vec<f64> = g.iter().map(|&v| v as f64).collect();
        for i in 0..rows {
            let (done, rest) = q.split_at_mut(i * cols);
            let row = &mut rest[..cols];
            for prev in done.chunks_exact(cols) {
                let d: f64 = prev.iter().zip(row.iter()).map(|(a, b)| a * b).sum();
                row.iter_mut().zip(prev).for_each(|(r, p)| *r -= d * p);
            }
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            ensure!(norm > 1e-9, "Gram–Schmidt broke down at row {i}");
            row.iter_mut().for_each(|v| *v /= norm);
        }
        Ok(q)
    };
    // U: rows orthonormal ⇔ columns orthonormal for a square matrix.
    let u = orthonormal_rows(1, m, m)?;
    let v = orthonormal_rows(2, m, n)?;
    let raw: Vec<f64> = (0..m)
        .map(|i| (kappa as f64).powf(-(i as f64) / m as f64))
        .collect();
    let scale = n as f64 / raw.iter().sum::<f64>();
    let d2: Vec<f64> = raw.iter().map(|r| r * scale).collect();
    let mut a = vec![0.0f32; m * n];
    let mut row = vec![0.0f64; n];
    for (i, out) in a.chunks_exact_mut(n).enumerate() {
        row.fill(0.0);
        for (k, vk) in v.chunks_exact(n).enumerate() {
            let coef = u[i * m + k] * d2[k].sqrt();
            row.iter_mut().zip(vk).for_each(|(r, &x)| *r += coef * x);
        }
        out.iter_mut().zip(&row).for_each(|(o, &r)| *o = r as f32);
    }
    Ok((
        a,
        u.iter().map(|&x| x as f32).collect(),
        d2.iter().map(|&x| x as f32).collect(),
    ))
}

/// Measurements taken directly with a dense operator (the ill-conditioned one): what
/// [`Problem::from_frame`] would have decoded, plus the codewords.
#[derive(Debug, Clone)]
pub struct DirectMeasured {
    /// The measurements in the form of their score.
    pub observed: crate::problem::Observed,
    /// Codewords (±1 for one-bit) or the unquantized `y`.
    pub targets: Vec<f32>,
}

/// `y = Q(Ax + n)` with a dense `A`, quantized as [`measure`] does.
pub fn measure_dense(
    op: &DenseOperator<'_>,
    x: &[f32],
    bits: u8,
    sigma: f32,
    noise: &mut rng::Xoshiro128PlusPlus,
) -> Result<DirectMeasured> {
    use crate::problem::Observed;
    let core = |what: &'static str| move |e: qcs_core::Error| anyhow!("{what}: {e}");
    let m = op.rows();
    let mut y = vec![0.0; m];
    if bits == 0 {
        sensor::measure_linear(op, x, sigma, noise, &mut y, &mut []).map_err(core("measure"))?;
        return Ok(DirectMeasured {
            observed: Observed::Linear(y.clone()),
            targets: y,
        });
    }
    let q = if bits == 1 {
        UniformQuantizer::sign()
    } else {
        sensor::measure_linear(op, x, sigma, &mut noise.clone(), &mut y, &mut [])
            .map_err(core("measure"))?;
        let lo = y.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = y.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        UniformQuantizer::new(bits, delta_from_range(lo, hi, bits).map_err(core("Δ"))?)
            .map_err(core("quantizer"))?
    };
    let mut codes = vec![0u16; m];
    sensor::measure(op, x, sigma, noise, &q, &mut y, &mut codes, &mut [])
        .map_err(core("measure"))?;
    let targets = codes
        .iter()
        .map(|&c| q.codeword(c))
        .collect::<qcs_core::Result<Vec<f32>>>()
        .map_err(core("codeword"))?;
    let observed = if bits == 1 {
        let mut signs = vec![0.0; m];
        sensor::signs_from_codes(&codes, &mut signs).map_err(core("signs"))?;
        Observed::OneBit(signs)
    } else {
        let (mut lower, mut upper) = (vec![0.0; m], vec![0.0; m]);
        q.bounds_slice(&codes, &mut lower, &mut upper)
            .map_err(core("bins"))?;
        Observed::Quantized { lower, upper }
    };
    Ok(DirectMeasured { observed, targets })
}

/// Fraction of pixels with `|truth − mean| ≤ 2·std` and the Pearson correlation of `std`
/// with `|truth − mean|` (0 when either is constant).
pub fn uncertainty(truth: &[f32], mean: &[f32], std: &[f32]) -> (f32, f32) {
    let n = truth.len().max(1) as f64;
    let err: Vec<f64> = truth
        .iter()
        .zip(mean)
        .map(|(&t, &m)| (t as f64 - m as f64).abs())
        .collect();
    let covered = err
        .iter()
        .zip(std)
        .filter(|(e, &s)| **e <= 2.0 * s as f64 + 1e-7)
        .count() as f64;
    let (me, ms) = (
        err.iter().sum::<f64>() / n,
        std.iter().map(|&s| s as f64).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (e, &s) in err.iter().zip(std) {
        let (a, b) = (e - me, s as f64 - ms);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    let corr = if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    };
    ((covered / n) as f32, corr as f32)
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory (CSV, table, plots, panels).
    pub out: PathBuf,
    /// The ONNX score model.
    pub model: PathBuf,
    /// Images reconstructed at once (one thread and one prior each).
    pub jobs: usize,
    /// OS threads of each worker's network prior (chains split over them; useful with
    /// `samples ≥ 2` when `jobs` is below the core count).
    pub prior_threads: usize,
    /// Show a progress bar.
    pub progress: bool,
}

/// What [`run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Jobs of the sweep.
    pub total: usize,
    /// Jobs already in the CSV, skipped.
    pub skipped: usize,
    /// Jobs run now.
    pub done: usize,
}

/// The CSV of results in `out`.
pub fn csv_path(out: &Path) -> PathBuf {
    out.join("results.csv")
}

struct Shared<'a> {
    config: &'a Config,
    images: &'a data::Images,
    labels: &'a [u8],
    biht_norm: f32,
    out: &'a Path,
}

/// An estimate and, for QCS-SGM with ≥ 2 samples, its [`uncertainty`] numbers and per-pixel
/// std; `None` when the chains diverged.
type Estimate = Option<(Vec<f32>, Option<(f32, f32)>, Option<Vec<f32>>)>;

/// Whether a sampler error is a divergence (a non-finite iterate or score), which is a result
/// of the method under the cell's settings rather than a failure of the harness.
fn is_divergence(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.to_string().contains("non-finite"))
}

struct Worker {
    model: PathBuf,
    threads: usize,
    prior: Option<NetworkPrior>,
}

impl Worker {
    fn run(&mut self, ctx: &Shared<'_>, job: &Job) -> Result<Row> {
        let t0 = std::time::Instant::now();
        let (h, w) = (ctx.images.rows, ctx.images.cols);
        let truth = ctx.images.image(job.image)?;
        let c = &job.cell;
        let cfg = ctx.config;
        let mut noise = rng::stream_rng(cfg.noise_seed.wrapping_add(c.seed), job.image as u64);
        let what = job.stem();
        let op_seed = cfg.operator_seed.wrapping_add(c.seed);
        let estimate = match cfg.operator {
            OperatorChoice::Gaussian => {
                let measured = measure(
                    truth,
                    h,
                    w,
                    c.m,
                    c.bits,
                    c.sigma,
                    op_seed,
                    &mut noise,
                    job.image as u32,
                )?;
                let problem = Problem::from_frame(&measured.frame, &what)?;
                let op = problem.operator()?;
                self.method(ctx, job, &*op, problem.likelihood()?, &measured.targets)?
            }
            OperatorChoice::IllConditioned => {
                let (a, u, d2) = ill_conditioned(op_seed, c.m, h * w, cfg.condition)?;
                let op = DenseOperator::new(&a, c.m, h * w).map_err(|e| anyhow!("{e}"))?;
                let measured = measure_dense(&op, truth, c.bits, c.sigma, &mut noise)?;
                let meas = match (&measured.observed, c.method) {
                    (crate::problem::Observed::Linear(y), Method::QcsSgmExact) => {
                        Measurements::LinearExact {
                            y,
                            eigenvectors: &u,
                            eigenvalues: &d2,
                        }
                    }
                    (crate::problem::Observed::Linear(y), _) => Measurements::LinearDiagonal { y },
                    (crate::problem::Observed::OneBit(signs), _) => Measurements::OneBit { signs },
                    (crate::problem::Observed::Quantized { lower, upper }, _) => {
                        Measurements::Quantized { lower, upper }
                    }
                };
                let lik =
                    PseudoLikelihood::new(meas, c.sigma).map_err(|e| anyhow!("likelihood: {e}"))?;
                self.method(ctx, job, &op, lik, &measured.targets)?
            }
        };
        let Some((estimate, unc, std)) = estimate else {
            return Ok(Row {
                experiment: cfg.name.clone(),
                method: c.method.name().to_string(),
                m: c.m,
                bits: c.bits,
                sigma: c.sigma,
                seed: c.seed,
                image: job.image,
                label: ctx.labels[job.image],
                psnr_db: f32::NAN,
                ssim: f32::NAN,
                cosine: f32::NAN,
                coverage_2std: None,
                std_error_corr: None,
                diverged: true,
                seconds: t0.elapsed().as_secs_f64(),
            });
        };
        let [psnr_db, ssim, cosine] = score(truth, &estimate, h, w)?;
        if job.image < cfg.panel_images {
            let dir = ctx.out.join("estimates");
            std::fs::create_dir_all(&dir)?;
            data::write_f32_le(&dir.join(format!("{what}.f32")), &estimate)?;
            if let Some(std) = &std {
                data::write_f32_le(&dir.join(format!("{what}.std.f32")), std)?;
            }
        }
        Ok(Row {
            experiment: cfg.name.clone(),
            method: c.method.name().to_string(),
            m: c.m,
            bits: c.bits,
            sigma: c.sigma,
            seed: c.seed,
            image: job.image,
            label: ctx.labels[job.image],
            psnr_db,
            ssim,
            cosine,
            coverage_2std: unc.map(|u| u.0),
            std_error_corr: unc.map(|u| u.1),
            diverged: false,
            seconds: t0.elapsed().as_secs_f64(),
        })
    }
    /// Runs the job's method on measurements already taken; `lik` is the score of the
    /// measurements (the exact one for [`Method::QcsSgmExact`]).
    fn method(
        &mut self,
        ctx: &Shared<'_>,
        job: &Job,
        op: &dyn SensingOperator,
        lik: PseudoLikelihood<'_>,
        targets: &[f32],
    ) -> Result<Estimate> {
        let (h, w) = (ctx.images.rows, ctx.images.cols);
        let truth = ctx.images.image(job.image)?;
        let c = &job.cell;
        let cfg = ctx.config;
        Ok(match c.method {
            Method::QcsSgm | Method::QcsSgmExact | Method::Ald => {
                let settings = SamplerSettings {
                    schedule: cfg.schedule.schedule(c.bits)?,
                    chains: cfg.samples,
                    seed: c
                        .seed
                        .wrapping_mul(1_000_003)
                        .wrapping_add(job.image as u64),
                };
                if self.prior.is_none() {
                    let model = ScoreModel::load(&self.model)?;
                    let config = PriorConfig {
                        device: Device::Cpu,
                        plan_batch: 1,
                        threads: self.threads,
                    };
                    self.prior = Some(NetworkPrior::new(&model, [1, h, w], cfg.samples, config)?);
                }
                let prior = self.prior.as_mut().expect("built above");
                let ald;
                let op: &dyn SensingOperator = if c.method == Method::Ald {
                    ald = AldOperator::new(op, cfg.ald.gamma_sq(op.rows(), op.cols())?)?;
                    &ald
                } else {
                    op
                };
                let rec = match reconstruct(op, lik, &settings, prior, None, |_| {}) {
                    Ok(rec) => rec,
                    Err(e) if is_divergence(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let unc = (cfg.samples >= 2).then(|| uncertainty(truth, &rec.mean, &rec.std));
                Some((rec.mean, unc, (cfg.samples >= 2).then_some(rec.std)))
            }
            Method::Biht => {
                let mut x = baselines::biht(op, targets, h, w, &cfg.biht)?;
                x.iter_mut().for_each(|v| *v *= ctx.biht_norm);
                Some((x, None, None))
            }
            Method::LassoW => Some((
                baselines::lasso_fista(op, targets, h, w, &cfg.lasso)?,
                None,
                None,
            )),
        })
    }
}

/// The mean ℓ2 norm of the shipped test digits `from..` (BIHT's default scale).
pub fn mean_norm_from(images: &data::Images, from: usize) -> Result<f32> {
    ensure!(
        from < images.count,
        "no digits left after the first {from} to set BIHT's scale; set biht_norm"
    );
    let mut s = 0.0f64;
    for i in from..images.count {
        s += images
            .image(i)?
            .iter()
            .map(|&v| v as f64 * v as f64)
            .sum::<f64>()
            .sqrt();
    }
    Ok((s / (images.count - from) as f64) as f32)
}

/// Runs the sweep of `config`, appending to `out/results.csv` and skipping the (cell, image)
/// rows already there, then writes the table and plots ([`summarize`]).
pub fn run(config: &Config, opts: &RunOptions) -> Result<RunSummary> {
    ensure!(opts.jobs >= 1, "--jobs must be at least 1");
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("{}: cannot create directory", opts.out.display()))?;
    let (images, labels) = data::shipped_test_digits()?;
    ensure!(
        config.images <= images.count,
        "images = {}, but the shipped split has {}",
        config.images,
        images.count
    );
    let biht_norm = match config.biht_norm {
        Some(v) => v,
        None => mean_norm_from(&images, config.images)?,
    };
    std::fs::write(
        opts.out.join("provenance.txt"),
        provenance(&opts.model, opts.jobs),
    )?;
    let path = csv_path(&opts.out);
    let done: HashSet<RowKey> = read_rows(&path)?.iter().map(Row::key).collect();
    let all = config.jobs()?;
    let pending: Vec<Job> = all
        .iter()
        .filter(|j| !done.contains(&j.key()))
        .copied()
        .collect();
    let summary = RunSummary {
        total: all.len(),
        skipped: all.len() - pending.len(),
        done: pending.len(),
    };
    let fresh = !path.exists() || std::fs::metadata(&path)?.len() == 0;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(fresh)
        .from_writer(file);
    let pb = if opts.progress {
        ProgressBar::new(pending.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} images (eta {eta}) {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let ctx = Shared {
        config,
        images: &images,
        labels: &labels,
        biht_norm,
        out: &opts.out,
    };
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<Row>>();
    let workers = opts.jobs.min(pending.len()).max(1);
    let mut first_error = None;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (ctx, next, stop, pending) = (&ctx, &next, &stop, &pending);
            let model = opts.model.clone();
            s.spawn(move || {
                let mut worker = Worker {
                    model,
                    threads: opts.prior_threads.max(1),
                    prior: None,
                };
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = pending.get(i) else { break };
                    let r = worker.run(ctx, job).with_context(|| job.stem());
                    if tx.send(r).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for r in rx {
            match r.and_then(|row| {
                pb.set_message(format!(
                    "{} M={} Q={}: {:.2} dB",
                    row.method, row.m, row.bits, row.psnr_db
                ));
                writer.serialize(&row)?;
                writer.flush()?;
                Ok(())
            }) {
                Ok(()) => pb.inc(1),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    pb.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e);
    }
    summarize(config, &opts.out)?;
    Ok(summary)
}

/// One line naming the model (with the training step of its model card `<model>.json`, when
/// there is one) and the worker count, written to `out/provenance.txt` by [`run`] and quoted
/// in `results.md`.
pub fn provenance(model: &Path, jobs: usize) -> String {
    let step = std::fs::read_to_string(model.with_extension("json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["training"]["step"].as_u64());
    let name = model.file_name().map_or_else(
        || model.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    match step {
        Some(s) => format!("model {name} (training step {s}), {jobs} worker(s)"),
        None => format!("model {name} (no model card), {jobs} worker(s)"),
    }
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Per-cell statistics over images and seeds: `(method, bits, σ bits, M)` → metric → values.
type Groups = BTreeMap<(String, u8, u32, usize), Vec<Row>>;

fn groups(config: &Config, rows: Vec<Row>) -> Result<Groups> {
    let wanted: HashSet<RowKey> = config.jobs()?.iter().map(Job::key).collect();
    let mut g = Groups::new();
    for r in rows {
        if wanted.contains(&r.key()) {
            g.entry((r.method.clone(), r.bits, r.sigma.to_bits(), r.m))
                .or_default()
                .push(r);
        }
    }
    Ok(g)
}

fn bits_name(bits: u8) -> String {
    if bits == 0 {
        "unquantized".to_string()
    } else {
        format!("{bits}-bit")
    }
}

/// Writes `results.md` (mean ± std per cell and method), `{psnr,ssim,cosine}_q{Q}_s{σ}.svg`
/// (each metric against M, one line per method, error bars ±1 std) and
/// `panel_q{Q}_s{σ}.png` (truth in the first row, then one row per method and M, over the
/// first `panel_images` images of seed `seeds[0]`; a black tile where there is no estimate) in
/// `out`, from `out/results.csv`. Diverged rows are counted in the table, not averaged.
pub fn summarize(config: &Config, out: &Path) -> Result<()> {
    let rows = read_rows(&csv_path(out))?;
    let g = groups(config, rows)?;
    let prov = std::fs::read_to_string(out.join("provenance.txt")).unwrap_or_default();
    let mut md = format!(
        "# {}\n\nMNIST test split, first {} digits × seeds {:?}; mean ± sample std over images \
         and seeds of the clamped estimate (QCS-SGM: the posterior mean of {} sample(s)). {}\n\n\
         | method | bits | σ | M | n | diverged | PSNR (dB) | SSIM | cosine | coverage ±2σ | corr(std, err) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        config.name,
        config.images,
        config.seeds,
        config.samples,
        prov.trim()
    );
    let mut keys: Vec<_> = g.keys().cloned().collect();
    keys.sort_by(|a, b| (a.1, a.2, a.3, &a.0).cmp(&(b.1, b.2, b.3, &b.0)));
    for k in &keys {
        let all = &g[k];
        let rs: Vec<&Row> = all.iter().filter(|r| !r.diverged).collect();
        let stat = |f: &dyn Fn(&Row) -> Option<f32>, digits: usize| {
            let v: Vec<f64> = rs.iter().filter_map(|r| f(r)).map(f64::from).collect();
            if v.is_empty() {
                return "–".to_string();
            }
            let (m, s) = mean_std(&v);
            format!("{m:.digits$} ± {s:.digits$}")
        };
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            k.0,
            bits_name(k.1),
            f32::from_bits(k.2),
            k.3,
            rs.len(),
            all.len() - rs.len(),
            stat(&|r| Some(r.psnr_db), 2),
            stat(&|r| Some(r.ssim), 3),
            stat(&|r| Some(r.cosine), 3),
            stat(&|r| r.coverage_2std, 3),
            stat(&|r| r.std_error_corr, 3),
        );
    }
    std::fs::write(out.join("results.md"), md)?;
    let methods = config.parsed_methods()?;
    for &bits in &config.bits {
        for &sigma in &config.sigma {
            for (metric, label) in [(0, "psnr"), (1, "ssim"), (2, "cosine")] {
                let mut series = Vec::new();
                for method in &methods {
                    let mut pts = Vec::new();
                    for &m in &config.measurements {
                        if let Some(rs) =
                            g.get(&(method.name().to_string(), bits, sigma.to_bits(), m))
                        {
                            let v: Vec<f64> = rs
                                .iter()
                                .filter(|r| !r.diverged)
                                .map(|r| [r.psnr_db, r.ssim, r.cosine][metric] as f64)
                                .collect();
                            if !v.is_empty() {
                                let (mean, std) = mean_std(&v);
                                pts.push((m as f64, mean, std));
                            }
                        }
                    }
                    if !pts.is_empty() {
                        series.push((method.name(), pts));
                    }
                }
                if series.is_empty() {
                    continue;
                }
                let stem = format!("{label}_q{bits}_s{sigma}");
                let title = format!("{}, {}, σ = {sigma}", config.name, bits_name(bits));
                plot(out, &stem, &title, label, &series)?;
            }
            panel(config, &methods, bits, sigma, out)?;
            if config.samples >= 2 {
                uncertainty_panel(config, &methods, bits, sigma, out)?;
            }
        }
    }
    Ok(())
}

type Series<'a> = Vec<(&'a str, Vec<(f64, f64, f64)>)>;

/// Registers the embedded DejaVu Sans (`host/assets`, Bitstream Vera licence) as plotters'
/// "sans-serif", so PNG plots render text without system fonts.
fn register_plot_font() -> Result<()> {
    static FONT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *FONT.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            plotters::style::FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    ensure!(
        ok,
        "the embedded plot font (host/assets/DejaVuSans.ttf) is invalid"
    );
    Ok(())
}

/// Plot size in pixels (SVG and PNG).
const PLOT_SIZE: (u32, u32) = (640, 420);

/// Writes the metric-against-M plot as `<out>/<stem>.svg` and `<out>/<stem>.png`.
fn plot(out: &Path, stem: &str, title: &str, metric: &str, series: &Series<'_>) -> Result<()> {
    use plotters::prelude::*;
    register_plot_font()?;
    let svg = out.join(format!("{stem}.svg"));
    draw_plot(
        SVGBackend::new(&svg, PLOT_SIZE).into_drawing_area(),
        &svg,
        title,
        metric,
        series,
    )?;
    let png = out.join(format!("{stem}.png"));
    let (w, h) = PLOT_SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw_plot(
        BitMapBackend::with_buffer(&mut rgb, PLOT_SIZE).into_drawing_area(),
        &png,
        title,
        metric,
        series,
    )?;
    crate::image::write_png_rgb(&png, &rgb, h as usize, w as usize)
}

fn draw_plot<DB: plotters::prelude::DrawingBackend>(
    root: plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    path: &Path,
    title: &str,
    metric: &str,
    series: &Series<'_>,
) -> Result<()> {
    use plotters::prelude::*;
    let e = |e: &dyn std::fmt::Display| anyhow!("{}: plot: {e}", path.display());
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]))
        .collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (y0, y1) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (xpad, ypad) = (((x1 - x0) * 0.05).max(1.0), ((y1 - y0) * 0.1).max(1e-3));
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), (y0 - ypad)..(y1 + ypad))
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("M (measurements)")
        .y_desc(metric)
        .draw()
        .map_err(|x| e(&x))?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))
            .map_err(|x| e(&x))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
            )
            .map_err(|x| e(&x))?;
        chart
            .draw_series(
                pts.iter()
                    .map(|p| PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], color)),
            )
            .map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// `uncertainty_q{Q}_s{σ}.png` (experiment 4): per QCS-SGM method and M, four rows — truth,
/// posterior mean, per-pixel std (black 0 to white at the largest std of the panel) and
/// `|truth − mean|` (same scale as the std) — over the first `panel_images` images.
fn uncertainty_panel(
    config: &Config,
    methods: &[Method],
    bits: u8,
    sigma: f32,
    out: &Path,
) -> Result<()> {
    let (images, _) = data::shipped_test_digits()?;
    let count = config.panel_images.min(config.images);
    let n = images.rows * images.cols;
    let mut rows: Vec<[Vec<f32>; 4]> = Vec::new();
    for method in methods
        .iter()
        .filter(|m| matches!(m, Method::QcsSgm | Method::QcsSgmExact | Method::Ald))
        .filter(|m| m.applies_to(bits, config.operator))
    {
        for &m in &config.measurements {
            let mut block: [Vec<f32>; 4] = Default::default();
            for image in 0..count {
                let job = Job {
                    cell: Cell {
                        method: *method,
                        m,
                        bits,
                        sigma,
                        seed: config.seeds[0],
                    },
                    image,
                };
                let dir = out.join("estimates");
                let (mp, sp) = (
                    dir.join(format!("{}.f32", job.stem())),
                    dir.join(format!("{}.std.f32", job.stem())),
                );
                let truth = images.image(image)?;
                let (mean, std) = if mp.exists() && sp.exists() {
                    (data::read_f32_le(&mp)?, data::read_f32_le(&sp)?)
                } else {
                    (vec![0.0; n], vec![0.0; n])
                };
                let err: Vec<f32> = truth
                    .iter()
                    .zip(&mean)
                    .map(|(t, m)| (t - m).abs())
                    .collect();
                block[0].extend_from_slice(truth);
                block[1].extend(mean);
                block[2].extend(std);
                block[3].extend(err);
            }
            rows.push(block);
        }
    }
    if rows.is_empty() || count == 0 {
        return Ok(());
    }
    let hi = rows
        .iter()
        .flat_map(|b| b[2].iter())
        .copied()
        .fold(1e-6f32, f32::max);
    let mut tiles = Vec::new();
    for block in &rows {
        for (r, values) in block.iter().enumerate() {
            let top = if r >= 2 { hi } else { 1.0 };
            for image in values.chunks_exact(n) {
                tiles.push(Tile {
                    values: image,
                    lo: 0.0,
                    hi: top,
                });
            }
        }
    }
    Panel {
        tiles,
        height: images.rows,
        width: images.cols,
        columns: count,
        zoom: 2,
    }
    .write(&out.join(format!("uncertainty_q{bits}_s{sigma}.png")))
}

fn panel(config: &Config, methods: &[Method], bits: u8, sigma: f32, out: &Path) -> Result<()> {
    let (images, _) = data::shipped_test_digits()?;
    let count = config.panel_images.min(config.images);
    if count == 0 {
        return Ok(());
    }
    let seed = config.seeds[0];
    let mut owned: Vec<Vec<f32>> = Vec::new();
    for i in 0..count {
        owned.push(images.image(i)?.to_vec());
    }
    for method in methods
        .iter()
        .filter(|m| m.applies_to(bits, config.operator))
    {
        for &m in &config.measurements {
            for image in 0..count {
                let job = Job {
                    cell: Cell {
                        method: *method,
                        m,
                        bits,
                        sigma,
                        seed,
                    },
                    image,
                };
                let p = out.join("estimates").join(format!("{}.f32", job.stem()));
                // A black tile: no estimate (the chains diverged, or the job has not run).
                owned.push(if p.exists() {
                    data::read_f32_le(&p)?
                } else {
                    vec![0.0; images.rows * images.cols]
                });
            }
        }
    }
    let tiles = owned
        .iter()
        .map(|v| Tile {
            values: v,
            lo: 0.0,
            hi: 1.0,
        })
        .collect();
    Panel {
        tiles,
        height: images.rows,
        width: images.cols,
        columns: count,
        zoom: 2,
    }
    .write(&out.join(format!("panel_q{bits}_s{sigma}.png")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ill_conditioned_operator_has_the_stated_spectrum() {
        let (m, n, kappa) = (20, 50, 1000.0f32);
        let (a, u, d2) = ill_conditioned(7, m, n, kappa).unwrap();
        let sum: f64 = d2.iter().map(|&v| v as f64).sum();
        assert!((sum - n as f64).abs() < 1e-3 * n as f64, "Σd² = {sum}");
        let ratio = d2[0] / d2[m - 1];
        let want = kappa.powf((m - 1) as f32 / m as f32);
        assert!((ratio / want - 1.0).abs() < 1e-3, "{ratio} vs {want}");
        // AAᵀ computed from A directly equals U diag(d²) Uᵀ.
        let mut worst = 0.0f64;
        for i in 0..m {
            for j in 0..m {
                let aat: f64 = (0..n)
                    .map(|k| a[i * n + k] as f64 * a[j * n + k] as f64)
                    .sum();
                let eig: f64 = (0..m)
                    .map(|k| u[i * m + k] as f64 * d2[k] as f64 * u[j * m + k] as f64)
                    .sum();
                worst = worst.max((aat - eig).abs());
            }
        }
        assert!(worst < 1e-4 * d2[0] as f64, "max |AAᵀ − UΛUᵀ| = {worst}");
        assert!(ill_conditioned(7, 60, 50, kappa).is_err());
    }

    #[test]
    fn uncertainty_counts_coverage_and_correlation() {
        let truth = [0.0, 0.5, 1.0, 0.2];
        let mean = [0.1, 0.5, 0.5, 0.2];
        let std = [0.1, 0.0, 0.2, 0.0];
        // Errors 0.1, 0, 0.5, 0: covered where err ≤ 2·std: pixels 0, 1, 3.
        let (cov, corr) = uncertainty(&truth, &mean, &std);
        assert!((cov - 0.75).abs() < 1e-6, "{cov}");
        // Pearson of (0.1, 0, 0.5, 0) and (0.1, 0, 0.2, 0): 0.950654 (numpy.corrcoef).
        assert!((corr - 0.950654).abs() < 1e-4, "{corr}");
    }

    #[test]
    fn committed_configs_parse_and_expand() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                let c = Config::from_file(&p).unwrap();
                assert!(!c.jobs().unwrap().is_empty(), "{}", p.display());
                if !c.name.starts_with("tiny") {
                    assert!(
                        c.images >= 20,
                        "{}: issue 6 asks for ≥ 20 images",
                        p.display()
                    );
                }
                seen += 1;
            }
        }
        assert!(seen >= 6, "{seen} configs");
        let c = Config::from_file(&dir.join("exp1-onebit.toml")).unwrap();
        // qcs-sgm and biht on 5 M values × 20 images.
        assert_eq!(c.jobs().unwrap().len(), 2 * 5 * 20);
        let bad = "name = \"x\"\nmethods = [\"nope\"]\nmeasurements = [1]\nbits = [1]\nsigma = [0.1]\nimages = 1\n";
        let c: Config = toml::from_str(bad).unwrap();
        assert!(c.validate().is_err());
    }
}
