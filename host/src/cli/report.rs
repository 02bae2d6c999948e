//! `report.json` of a reconstruction: what was run, on what, with which model, and how well.

use super::args::PriorArgs;
use super::args::RunSettings;
use anyhow::{Context, Result};
use qcs_core::frame::QuantizerSpec;
use qcs_core::langevin::Balance;
use qcs_host::prior::NetworkPrior;
use qcs_host::problem::Problem;
use qcs_host::reconstruct::{score, Reconstruction};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// PSNR / SSIM / cosine of one estimate.
#[derive(Debug, serde::Serialize)]
pub struct Metrics {
    /// PSNR in dB (data range 1).
    pub psnr_db: Value,
    /// SSIM.
    pub ssim: Value,
    /// Cosine similarity.
    pub cosine: Value,
}

impl Metrics {
    fn of(truth: &[f32], x: &[f32], h: usize, w: usize) -> Result<(Self, [f32; 3])> {
        let m = score(truth, x, h, w)?;
        Ok((
            Metrics {
                psnr_db: f32_json(m[0]),
                ssim: f32_json(m[1]),
                cosine: f32_json(m[2]),
            },
            m,
        ))
    }
}

/// The metrics of the posterior mean (as JSON and as numbers) and of each sample.
pub fn metrics(
    truth: &[f32],
    rec: &Reconstruction,
    chains: usize,
    h: usize,
    w: usize,
) -> Result<(MeanMetrics, Vec<Metrics>)> {
    let (json, [psnr_db, ssim, cosine]) = Metrics::of(truth, &rec.mean, h, w)?;
    let per_sample = (0..chains)
        .map(|b| Metrics::of(truth, rec.sample(b), h, w).map(|m| m.0))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        MeanMetrics {
            json,
            psnr_db,
            ssim,
            cosine,
        },
        per_sample,
    ))
}

/// The posterior mean's metrics.
pub struct MeanMetrics {
    json: Metrics,
    /// PSNR in dB.
    pub psnr_db: f32,
    /// SSIM.
    pub ssim: f32,
    /// Cosine similarity.
    pub cosine: f32,
}

impl serde::Serialize for MeanMetrics {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

/// An `f32` as the shortest decimal that reads back to it (`0.01`, not
/// `0.009999999776482582`); `null` for a non-finite value.
pub fn f32_json(v: f32) -> Value {
    format!("{v}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// The SHA-256 of a file, in hex.
pub fn sha256_file(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The quantizer as the frame declares it.
pub fn quantizer_json(q: &QuantizerSpec<'_>) -> Value {
    match q {
        QuantizerSpec::Unquantized => json!({"kind": "unquantized", "bits": 0}),
        QuantizerSpec::Uniform { bits, delta } => {
            let mut v = json!({"kind": "uniform", "bits": bits});
            if *bits >= 2 {
                v["delta"] = f32_json(*delta);
            }
            v
        }
        QuantizerSpec::Thresholds {
            bits,
            thresholds,
            codewords,
        } => json!({
            "kind": "thresholds",
            "bits": bits,
            "thresholds": thresholds.iter().map(f32_json).collect::<Vec<_>>(),
            "codewords": codewords.iter().map(f32_json).collect::<Vec<_>>(),
        }),
    }
}

/// Everything `report.json` is made of.
pub struct Report<'a> {
    /// The frame's path.
    pub what: &'a str,
    /// The decoded frame.
    pub problem: &'a Problem,
    /// The sampler settings.
    pub settings: &'a RunSettings,
    /// The prior options.
    pub prior_args: &'a PriorArgs,
    /// The prior, for its counters.
    pub prior: &'a NetworkPrior,
    /// The result.
    pub rec: &'a Reconstruction,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Image channels (channels last).
    pub channels: usize,
    /// The frame's quantizer.
    pub quantizer: QuantizerSpec<'a>,
    /// The sampler's name.
    pub method: &'static str,
}

impl Report<'_> {
    /// The report without metrics.
    pub fn json(&self) -> Result<Value> {
        let problem = self.problem;
        let network_share = self.prior.busy().as_secs_f64() / self.rec.seconds.max(1e-9);
        let model = &self.prior_args.model;
        let (schedule, denoise, chains, seed) = match self.settings {
            RunSettings::QcsSgm(settings) => {
                let s = &settings.schedule;
                (
                    json!({
                        "beta_max": f32_json(s.beta_max),
                        "beta_min": f32_json(s.beta_min),
                        "levels": s.levels,
                        "steps_per_level": s.steps_per_level,
                        "epsilon": f32_json(s.epsilon),
                        "warm_start": settings.warm_start,
                        "likelihood_fraction": match settings.balance {
                            Balance::Unscaled => Value::Null,
                            Balance::PriorNormFraction(c) => f32_json(c),
                        },
                    }),
                    settings.denoise,
                    settings.chains,
                    settings.seed,
                )
            }
            RunSettings::Pnp(settings) => {
                let s = &settings.schedule;
                (
                    json!({
                        "sigma_max": f32_json(s.sigma_max),
                        "sigma_min": f32_json(s.sigma_min),
                        "levels": s.levels,
                        "lambda": f32_json(s.lambda),
                        "zeta": f32_json(s.zeta),
                        "data_steps": s.data_steps,
                        "step_scale": f32_json(s.step_scale),
                        "kappa": f32_json(s.kappa),
                        "center": f32_json(settings.center),
                        "warm_start": settings.warm_start,
                    }),
                    false,
                    settings.chains,
                    settings.seed,
                )
            }
        };
        Ok(json!({
            "qcs_version": env!("CARGO_PKG_VERSION"),
            "frame": self.what,
            "signal": {
                "height": self.height,
                "width": self.width,
                "channels": self.channels,
                "n": self.height * self.width * self.channels,
            },
            "measurements": problem.observed.len(),
            "kind": problem.observed.kind(),
            "bits": problem.bits,
            "quantizer": quantizer_json(&self.quantizer),
            "sigma": f32_json(problem.sigma),
            "operator": {
                "kind": problem.operator_spec.kind.name(),
                "seed": problem.operator_spec.seed,
                "scaling": format!("{:?}", problem.operator_spec.scaling),
            },
            "frame_counter": problem.counter,
            "schedule": schedule,
            "method": self.method,
            "denoise": denoise,
            "samples": chains,
            "chain_seed": seed,
            "model": model,
            "model_sha256": sha256_file(model)?,
            "device": self.prior_args.device,
            "threads": self.prior.threads(),
            "network_calls": self.prior.calls(),
            "seconds": self.rec.seconds,
            "network_seconds": self.prior.busy().as_secs_f64(),
            "share_outside_network": 1.0 - network_share,
            "outputs": ["panel.png", "mean.png", "std.png", "mean.npy", "std.npy", "samples.npy"],
        }))
    }
}
