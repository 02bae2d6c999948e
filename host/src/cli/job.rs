//! One frame's reconstruction: checked against the model and the memory limit before anything
//! is allocated, sampled, and its files written all together. `qcs reconstruct` (one frame or
//! many) and `qcs demo` run their frames through [`Job`].

use super::args::{MethodArg, PriorArgs, RunSettings, ScheduleArgs};
use super::report;
use anyhow::{anyhow, ensure, Result};
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::frame::{self, QuantizerSpec};
use qcs_host::budget;
use qcs_host::data;
use qcs_host::image;
use qcs_host::image::{Panel, Tile};
use qcs_host::matrix::SensingMatrix;
use qcs_host::model::{ScoreModel, ScorePlan};
use qcs_host::output::OutputDir;
use qcs_host::pnp::reconstruct_pnp;
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::problem::{self, Problem};
use qcs_host::reconstruct::{reconstruct, Reconstruction};
use qcs_host::shared_batch::SharedBatch;
use qcs_host::svd::LeftSvd;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The files a reconstruction writes; the report, the manifest, last.
pub const OUTPUTS: [&str; 7] = [
    "panel.png",
    "mean.png",
    "std.png",
    "mean.npy",
    "std.npy",
    "samples.npy",
    "report.json",
];

/// A known signal to compare against, and what it is.
pub struct Truth {
    /// Its values.
    pub values: Vec<f32>,
    /// What it is (a file, a test digit), for messages.
    pub label: String,
}

/// The plans of one model for one device and batch, one per image shape, built on first use
/// and shared by every frame of that shape (one optimization per shape per run); with shared
/// calls, one [`SharedBatch`] over the plan per shape instead.
pub struct PlanCache<'a> {
    model: &'a ScoreModel,
    config: PriorConfig,
    /// Images per plan: `config`'s plan batch, or the shared batch.
    batch: usize,
    share: bool,
    entries: Mutex<Vec<([usize; 3], Entry)>>,
}

/// What frames of one image shape run on.
#[derive(Clone)]
enum Entry {
    /// Each frame its own states of one plan.
    Own(ScorePlan),
    /// One state of the plan for every frame in flight.
    Shared(Arc<SharedBatch>),
}

impl<'a> PlanCache<'a> {
    /// An empty cache for plans of `model` with `config`'s device and batch.
    pub fn new(model: &'a ScoreModel, config: PriorConfig) -> Self {
        Self {
            model,
            config,
            batch: config.plan_batch,
            share: false,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// An empty cache whose frames share their network calls: plans of `batch` images (the
    /// frames in flight × their chains) on `config`'s device.
    pub fn shared(model: &'a ScoreModel, config: PriorConfig, batch: usize) -> Self {
        Self {
            batch,
            share: true,
            ..Self::new(model, config)
        }
    }

    /// The prior of a frame with `chains` chains of images of `shape`.
    fn prior(&self, shape: [usize; 3], chains: usize) -> Result<NetworkPrior> {
        match self.entry(shape)? {
            Entry::Own(plan) => NetworkPrior::from_plan(&plan, chains, self.config.threads),
            Entry::Shared(batch) => NetworkPrior::shared(&batch, shape, chains),
        }
    }

    /// What frames of `shape` run on, built on first use.
    fn entry(&self, shape: [usize; 3]) -> Result<Entry> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| anyhow!("a worker panicked while building a plan"))?;
        if let Some((_, e)) = entries.iter().find(|(s, _)| *s == shape) {
            return Ok(e.clone());
        }
        let plan = self.model.plan(self.config.device, self.batch, shape)?;
        let entry = if self.share {
            Entry::Shared(Arc::new(SharedBatch::new(Box::new(plan.spawn()?))))
        } else {
            Entry::Own(plan)
        };
        entries.push((shape, entry.clone()));
        Ok(entry)
    }
}

/// How the prior runs for one frame: `--device`, `--threads` and `--plan-batch` over the
/// device's defaults for `chains` chains.
pub fn prior_config(prior: &PriorArgs, chains: usize) -> Result<PriorConfig> {
    PriorConfig::with_options(prior.device, chains, prior.threads, prior.plan_batch)
}

/// What a finished frame reports to a summary.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Image `[C, H, W]`.
    pub shape: [usize; 3],
    /// Measurements M.
    pub measurements: usize,
    /// The measurements' kind (`one-bit`, `quantized`, `linear`).
    pub kind: &'static str,
    /// Posterior samples.
    pub samples: usize,
    /// Network calls per sample.
    pub network_calls: u64,
    /// Wall time of the sampler, s.
    pub seconds: f64,
    /// PSNR (dB), SSIM and cosine of the posterior mean, given a truth.
    pub metrics: Option<[f32; 3]>,
}

/// One frame to reconstruct with its options.
pub struct Job<'a> {
    /// The frame.
    pub bytes: &'a [u8],
    /// Its name in messages (its path).
    pub what: &'a str,
    /// The signal to score against.
    pub truth: Option<&'a Truth>,
    /// The prior's options.
    pub prior: &'a PriorArgs,
    /// The sampler's options.
    pub schedule: &'a ScheduleArgs,
    /// Extra fields of `report.json`.
    pub extra: serde_json::Value,
    /// The model, loaded once per process.
    pub model: &'a ScoreModel,
    /// How the prior runs.
    pub config: PriorConfig,
    /// The memory this frame may use, bytes.
    pub max_memory: u64,
    /// Shared plans (many frames); `None` builds this frame's own plan.
    pub plans: Option<&'a PlanCache<'a>>,
    /// Many-frames mode: no progress bar over steps, one line per frame.
    pub quiet: bool,
    /// The dense matrix that frames of operator kind `dense` name (`--matrix`).
    pub matrix: Option<&'a SensingMatrix>,
}

impl Job<'_> {
    /// Everything that can be checked before work: the frame's header, the truth's size, the
    /// model's input against the frame, the memory the run needs, the output directory.
    pub fn check(&self, out: &Path, extra_outputs: &[&str]) -> Result<OutputDir> {
        let what = self.what;
        self.schedule.check_samples()?;
        let chains = self.schedule.samples;
        let (h, _) = budget::preflight(
            self.bytes,
            what,
            self.model,
            &self.config,
            chains,
            self.max_memory,
        )?;
        problem::check_operator_source(&h, what, self.matrix)?;
        if let Some(t) = self.truth {
            ensure!(
                t.values.len() == h.n(),
                "{}: {} values, but the frame's signal ({what}) has {}",
                t.label,
                t.values.len(),
                h.n()
            );
        }
        let mut names: Vec<&str> = extra_outputs.to_vec();
        names.extend(OUTPUTS);
        OutputDir::prepare(out, &names, "--out")
    }

    /// Decodes, samples, writes into `out` and commits it.
    pub fn run(self, out: OutputDir) -> Result<Outcome> {
        let what = self.what;
        let problem = Problem::from_frame_with(self.bytes, what, self.matrix)?;
        let shape = problem.image_shape(what)?;
        let [c, h, w] = shape;
        let settings = self.schedule.run_settings(&problem.observed)?;
        let chains = settings.chains();
        let op = problem.operator()?;
        // QCS-SGM+ needs U and S of A = USVᵀ: once per frame, before sampling.
        let svd = match self.schedule.method {
            MethodArg::QcsSgmEp => {
                let t = std::time::Instant::now();
                let svd = LeftSvd::of(&*op).map_err(|e| e.context(format!("{what}: SVD of A")))?;
                if !self.quiet {
                    eprintln!(
                        "{what}: SVD of the {}×{} operator in {:.2} s (κ(AAᵀ) = {:.3e})",
                        op.rows(),
                        op.cols(),
                        t.elapsed().as_secs_f64(),
                        condition(&svd)
                    );
                }
                Some(svd)
            }
            MethodArg::QcsSgm | MethodArg::PnpProbit => None,
        };
        let lik = match &svd {
            Some(svd) => {
                svd.likelihood(&problem.observed, problem.sigma, self.schedule.ep_params()?)?
            }
            None => problem.likelihood()?,
        };
        let mut prior = match self.plans {
            Some(cache) => cache.prior(shape, chains)?,
            None => NetworkPrior::new(self.model, shape, chains, self.config)?,
        };
        if !self.quiet {
            eprintln!(
                "{what}: {h}×{w}×{c} image, {} {} measurements, σ = {}; {chains} samples × {} \
                 network calls ({}) on {} thread(s)",
                op.rows(),
                problem.observed.kind(),
                problem.sigma,
                settings.network_calls(),
                self.schedule.method.name(),
                prior.threads()
            );
        }
        let pb = if self.quiet {
            ProgressBar::hidden()
        } else {
            progress_bar(settings.steps(), "steps, β = {msg}")
        };
        let rec = match &settings {
            RunSettings::QcsSgm(s) => reconstruct(&*op, lik, s, &mut prior, None, |p| {
                pb.set_position(p.done);
                pb.set_message(format!("{:.3}", p.beta));
            }),
            RunSettings::Pnp(s) => reconstruct_pnp(&*op, lik, s, &mut prior, None, |p| {
                pb.set_position(u64::from(p.done));
                pb.set_message(format!("{:.3}", p.sigma));
            }),
        };
        pb.finish_and_clear();
        let rec = rec.map_err(|e| e.context(what.to_string()))?;
        let truth = self.truth.map(|t| t.values.as_slice());
        write_arrays(&out, &rec, truth, (h, w, c))?;
        let network_share = prior.busy().as_secs_f64() / rec.seconds.max(1e-9);
        let mut report = report::Report {
            what,
            problem: &problem,
            settings: &settings,
            prior_args: self.prior,
            prior: &prior,
            rec: &rec,
            height: h,
            width: w,
            channels: c,
            quantizer: frame::decode(self.bytes)
                .map(|f| f.header().quantizer)
                .unwrap_or(QuantizerSpec::Unquantized),
            method: self.schedule.method.name(),
        }
        .json()?;
        let mut metrics = None;
        if let Some(t) = truth {
            let (mean, per_sample) = report::metrics(t, &rec, chains, h, w)?;
            if !self.quiet {
                println!(
                    "posterior mean of {} samples: PSNR {:.2} dB, SSIM {:.3}, cosine {:.3}",
                    chains, mean.psnr_db, mean.ssim, mean.cosine
                );
            }
            metrics = Some([mean.psnr_db, mean.ssim, mean.cosine]);
            report["posterior_mean"] = serde_json::to_value(mean)?;
            report["per_sample"] = serde_json::to_value(per_sample)?;
        }
        if let (Some(r), Some(e)) = (report.as_object_mut(), self.extra.as_object()) {
            r.extend(e.clone());
        }
        std::fs::write(
            out.staged("report.json"),
            serde_json::to_string_pretty(&report)?,
        )
        .map_err(|e| anyhow!("report.json: cannot write: {e}"))?;
        let dir = out.final_path("");
        out.commit()?;
        if !self.quiet {
            println!(
                "{:.1} s, {:.1}% outside the network; wrote {}: panel.png ({}mean, std, \
                 samples), report.json, mean/std .png and .npy, samples.npy",
                rec.seconds,
                100.0 * (1.0 - network_share),
                dir.display(),
                if truth.is_some() { "truth, " } else { "" }
            );
        }
        Ok(Outcome {
            shape,
            measurements: op.rows(),
            kind: problem.observed.kind(),
            samples: chains,
            network_calls: settings.network_calls(),
            seconds: rec.seconds,
            metrics,
        })
    }
}

/// A progress bar over `total` items, `what` their unit and message (`"steps, β = {msg}"`).
pub fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {what} (eta {{eta}})"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    pb
}

/// The panel, the PNGs and the `.npy` arrays, into the staging folder. Images are
/// `[H, W]` (one channel) or `[H, W, C]` (channels last, as in the frame; RGB PNGs for C = 3).
fn write_arrays(
    out: &OutputDir,
    rec: &Reconstruction,
    truth: Option<&[f32]>,
    (h, w, c): (usize, usize, usize),
) -> Result<()> {
    let std_max = rec.std.iter().copied().fold(1e-6f32, f32::max);
    let mut tiles = Vec::new();
    if let Some(t) = truth {
        tiles.push(Tile {
            values: t,
            lo: 0.0,
            hi: 1.0,
            label: "truth".into(),
        });
    }
    tiles.push(Tile {
        values: &rec.mean,
        lo: 0.0,
        hi: 1.0,
        label: "mean".into(),
    });
    tiles.push(Tile {
        values: &rec.std,
        lo: 0.0,
        hi: std_max,
        label: "std".into(),
    });
    let chains = rec.samples.len() / rec.n;
    for b in 0..chains.min(8) {
        tiles.push(Tile {
            values: rec.sample(b),
            lo: 0.0,
            hi: 1.0,
            label: format!("sample {}", b + 1),
        });
    }
    let columns = tiles.len();
    Panel {
        tiles,
        height: h,
        width: w,
        columns,
        zoom: 4,
        caption: format!(
            "pixels 0 (black) to 1 (white); std 0 to {std_max:.3}; {} of {chains} samples shown",
            chains.min(8)
        ),
    }
    .write(&out.staged("panel.png"))?;
    image::write_png_image(&out.staged("mean.png"), &rec.mean, (h, w, c), 0.0, 1.0)?;
    image::write_png_image(&out.staged("std.png"), &rec.std, (h, w, c), 0.0, std_max)?;
    let image: Vec<u64> = if c == 1 {
        vec![h as u64, w as u64]
    } else {
        vec![h as u64, w as u64, c as u64]
    };
    let samples: Vec<u64> = std::iter::once(chains as u64)
        .chain(image.iter().copied())
        .collect();
    data::write_npy(&out.staged("mean.npy"), &image, &rec.mean)?;
    data::write_npy(&out.staged("std.npy"), &image, &rec.std)?;
    data::write_npy(&out.staged("samples.npy"), &samples, &rec.samples)?;
    Ok(())
}

/// `λ_max/λ_min` of `AAᵀ` (`∞` when it is singular).
fn condition(svd: &LeftSvd) -> f64 {
    let s = &svd.singular_values;
    let (hi, lo) = (f64::from(s[0]), f64::from(s[s.len() - 1]));
    (hi * hi) / (lo * lo)
}
