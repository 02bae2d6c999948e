//! The sweep a TOML config describes: methods, cells, jobs.

use super::settings::{pnp_schedule, EpOverrides, ScheduleOverrides};
use crate::baselines::{AldSettings, BihtSettings, LassoSettings};
use crate::pnp::PnpOptions;
use anyhow::{anyhow, bail, ensure, Context, Result};
use std::path::Path;

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
    /// QCS-SGM+: Algorithm 1 with the likelihood score by expectation propagation given the SVD
    /// of `A` ([`qcs_core::ep`], default [`EpParams`](qcs_core::ep::EpParams)); every cell.
    #[serde(rename = "qcs-sgm-ep")]
    QcsSgmEp,
    /// BIHT in a DCT / Haar basis (one-bit cells only), rescaled to [`Config::biht_norm`].
    #[serde(rename = "biht")]
    Biht,
    /// Lasso-W: FISTA on the codewords with an ℓ1 penalty in a DCT / Haar basis (multi-bit
    /// and unquantized cells only).
    #[serde(rename = "lasso-w")]
    LassoW,
    /// The annealed Langevin dynamics of Jalal et al. (2021a) with its heuristic annealing
    /// term `γ_t² = γ²β_t²` ([`AldOperator`](crate::baselines::AldOperator)); unquantized cells only.
    #[serde(rename = "ald")]
    Ald,
    /// The plug-and-play sampler: DiffPIR with the exact quantized likelihood in its data
    /// step ([`crate::pnp`]), settings in [`Config::pnp`], one network call per level.
    #[serde(rename = "pnp-probit")]
    PnpProbit,
}

impl Method {
    /// The name used in configs, CSV rows and tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::QcsSgm => "qcs-sgm",
            Method::QcsSgmExact => "qcs-sgm-exact",
            Method::QcsSgmEp => "qcs-sgm-ep",
            Method::Biht => "biht",
            Method::LassoW => "lasso-w",
            Method::Ald => "ald",
            Method::PnpProbit => crate::pnp::METHOD,
        }
    }

    /// Parses [`Method::name`].
    pub fn from_name(s: &str) -> Result<Self> {
        Ok(match s {
            "qcs-sgm" => Method::QcsSgm,
            "qcs-sgm-exact" => Method::QcsSgmExact,
            "qcs-sgm-ep" => Method::QcsSgmEp,
            "biht" => Method::Biht,
            "lasso-w" => Method::LassoW,
            "ald" => Method::Ald,
            "pnp-probit" => Method::PnpProbit,
            _ => {
                bail!(
                    "unknown method {s:?}: expected qcs-sgm, qcs-sgm-exact, qcs-sgm-ep, ald, \
                     pnp-probit, biht or lasso-w"
                )
            }
        })
    }

    /// Whether the method calls the score network (and so has a budget of calls).
    pub fn is_score_based(self) -> bool {
        matches!(
            self,
            Method::QcsSgm
                | Method::QcsSgmExact
                | Method::QcsSgmEp
                | Method::Ald
                | Method::PnpProbit
        )
    }

    /// Whether the method runs on measurements of `bits` bits (0: unquantized) taken with
    /// `operator`.
    pub fn applies_to(self, bits: u8, operator: OperatorChoice) -> bool {
        match self {
            Method::QcsSgm | Method::QcsSgmEp | Method::PnpProbit => true,
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
    /// `A = U·diag(d)·V` ([`ill_conditioned`](super::ill_conditioned)), used directly (no frame kind holds it).
    IllConditioned,
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
    /// Test images: `images` digits of the shipped test split from index `first_image`.
    pub images: usize,
    /// The first test digit (0: the reported digits; 900: the held-out tuning digits).
    #[serde(default)]
    pub first_image: usize,
    /// Budgets of network calls per sample for the score-based methods, an axis of the sweep
    /// (empty: the schedule's own levels). The baselines run once.
    #[serde(default)]
    pub calls: Vec<u64>,
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
    /// QCS-SGM+'s EP parameters (`qcs-sgm-ep` cells).
    #[serde(default)]
    pub ep: EpOverrides,
    /// Settings of the plug-and-play sampler (`pnp-probit`).
    #[serde(default)]
    pub pnp: PnpOptions,
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
        ensure!(
            self.images >= 1 && self.first_image + self.images <= 1000,
            "images = {} from first_image = {} must lie within the 1,000 test digits",
            self.images,
            self.first_image
        );
        ensure!(!self.seeds.is_empty(), "seeds is empty");
        ensure!(self.samples >= 1, "samples must be at least 1");
        ensure!(
            self.condition.is_finite() && self.condition >= 1.0,
            "condition must be a finite κ ≥ 1"
        );
        for &b in &self.bits {
            for &c in self.budgets() {
                self.schedule.schedule(b, c)?;
                pnp_schedule(&self.pnp, c)?;
            }
        }
        ensure!(self.pnp.center().is_finite(), "[pnp] center must be finite");
        self.ep.params()?;
        if let Some(b) = self.schedule.likelihood_fraction {
            b.validate().map_err(|e| anyhow!("[schedule]: {e}"))?;
        }
        Ok(())
    }

    /// The methods, parsed.
    pub fn parsed_methods(&self) -> Result<Vec<Method>> {
        self.methods.iter().map(|m| Method::from_name(m)).collect()
    }

    /// The call budgets of the sweep (`[0]`, the schedule as configured, when none).
    pub fn budgets(&self) -> &[u64] {
        if self.calls.is_empty() {
            &[0]
        } else {
            &self.calls
        }
    }

    /// The test digits of the sweep.
    pub fn image_range(&self) -> std::ops::Range<usize> {
        self.first_image..self.first_image + self.images
    }

    /// Every (cell, image) of the sweep, in a fixed order (cell-major, then image).
    pub fn jobs(&self) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for method in self.parsed_methods()? {
            for &bits in &self.bits {
                if !method.applies_to(bits, self.operator) {
                    continue;
                }
                let budgets: &[u64] = if method.is_score_based() {
                    self.budgets()
                } else {
                    &[0]
                };
                for &sigma in &self.sigma {
                    for &m in &self.measurements {
                        for &calls in budgets {
                            for &seed in &self.seeds {
                                for image in self.image_range() {
                                    jobs.push(Job {
                                        cell: Cell {
                                            method,
                                            m,
                                            bits,
                                            sigma,
                                            seed,
                                            calls,
                                        },
                                        image,
                                    });
                                }
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
    /// Budget of network calls per sample (0: the schedule as configured).
    pub calls: u64,
}

/// A cell and one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    /// The cell.
    pub cell: Cell,
    /// Index into the shipped test split.
    pub image: usize,
}

/// The identity of a row, for resuming: method, M, bits, σ (bit pattern), seed, image, call
/// budget.
pub type RowKey = (String, usize, u8, u32, u64, usize, u64);

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
            c.calls,
        )
    }

    /// A file-name stem for this job's estimate.
    pub fn stem(&self) -> String {
        let c = &self.cell;
        let budget = if c.calls == 0 {
            String::new()
        } else {
            format!("_c{}", c.calls)
        };
        format!(
            "{}_m{}_q{}_s{}_seed{}_img{}{budget}",
            c.method.name(),
            c.m,
            c.bits,
            c.sigma,
            c.seed,
            self.image
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_configs_parse_and_expand() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                let c = Config::from_file(&p).unwrap();
                assert!(!c.jobs().unwrap().is_empty(), "{}", p.display());
                // Reported experiments start at digit 0; tuning runs use held-out digits 900–999.
                if !c.name.starts_with("tiny") && c.first_image == 0 {
                    assert!(
                        c.images >= 20,
                        "{}: the reported experiments need ≥ 20 images",
                        p.display()
                    );
                }
                if c.name.contains("-tune-") {
                    assert!(
                        c.first_image >= 900,
                        "{}: tuning uses digits 900–999",
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

    /// `[ep]` and `[schedule] likelihood_fraction` are checked when the config is validated,
    /// before any job runs, with the table, the key and the value in the message.
    #[test]
    fn ep_table_and_likelihood_fraction_are_checked() {
        let base = "name = \"x\"\nmethods = [\"qcs-sgm-ep\"]\nmeasurements = [4]\nbits = [1]\nsigma = [0.1]\nimages = 1\n";
        let parse = |extra: &str| -> Config { toml::from_str(&format!("{base}{extra}")).unwrap() };
        let c = parse("[ep]\nmax_iterations = 30\ndamping = 0.5\n");
        c.validate().unwrap();
        let p = c.ep.params().unwrap();
        assert_eq!((p.max_iterations, p.damping), (30, 0.5));
        assert_eq!(p.tolerance, qcs_core::ep::EpParams::DEFAULT.tolerance);
        let e = parse("[ep]\ndamping = 1.5\n").validate().unwrap_err();
        assert!(e.to_string().contains("[ep]: `damping` = 1.5"), "{e}");
        let e = parse("[schedule]\nlikelihood_fraction = -0.5\n")
            .validate()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("[schedule]: `likelihood_fraction` = -0.5"),
            "{e}"
        );
        assert!(toml::from_str::<Config>(&format!("{base}[ep]\nsteps = 3\n")).is_err());
        // Not given: the method's default; "off": Algorithm 1's unscaled sum for every method.
        use qcs_core::langevin::Balance;
        let c = parse("");
        assert_eq!(
            c.schedule.balance(Method::QcsSgmEp),
            Balance::PriorNormFraction(0.5)
        );
        assert_eq!(c.schedule.balance(Method::QcsSgm), Balance::Unscaled);
        let c = parse("[schedule]\nlikelihood_fraction = \"off\"\n");
        assert_eq!(c.schedule.balance(Method::QcsSgmEp), Balance::Unscaled);
        let c = parse("[schedule]\nlikelihood_fraction = 0.3\n");
        assert_eq!(
            c.schedule.balance(Method::QcsSgm),
            Balance::PriorNormFraction(0.3)
        );
        let e = toml::from_str::<Config>(&format!(
            "{base}[schedule]\nlikelihood_fraction = \"half\"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("`half` is neither"), "{e}");
    }
}
