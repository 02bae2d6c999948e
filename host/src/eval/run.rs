//! Running a sweep: one (cell, image) job per worker, a pool of workers, resumption from
//! the CSV.

use super::config::{Config, Job, Method, OperatorChoice, RowKey};
use super::measure::{ill_conditioned, measure, measure_dense};
use super::report::{summarize, uncertainty};
use super::rows::{csv_path, read_rows, Row};
use super::settings::pnp_schedule;
use crate::baselines::{self, AldOperator};
use crate::data;
use crate::model::{Device, ScoreModel};
use crate::pnp::{reconstruct_pnp, PnpDiverged, PnpSettings};
use crate::prior::{NetworkPrior, PriorConfig};
use crate::problem::{Observed, Problem};
use crate::reconstruct::{self, score, Diverged, SamplerSettings};
use crate::svd::LeftSvd;
use anyhow::{anyhow, ensure, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, SensingOperator};
use qcs_core::rng;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

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

/// Whether a sampler error is a divergence, which is a result of the method under the cell's
/// settings rather than a failure of the harness: a [`Diverged`] or [`PnpDiverged`] anywhere in the error's
/// chain. The one place that decides it, matching the error's type, not its text.
fn is_divergence(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<Diverged>().is_some() || e.downcast_ref::<PnpDiverged>().is_some()
    })
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
                let svd = ep_svd(c.method, &*op)?;
                let lik = match &svd {
                    Some(svd) => {
                        svd.likelihood(&problem.observed, problem.sigma, cfg.ep.params()?)?
                    }
                    None => problem.likelihood()?,
                };
                self.method(ctx, job, &*op, lik, &measured.targets)?
            }
            OperatorChoice::IllConditioned => {
                let (a, u, d2) = ill_conditioned(op_seed, c.m, h * w, cfg.condition)?;
                let op = DenseOperator::new(&a, c.m, h * w).map_err(|e| anyhow!("{e}"))?;
                let measured = measure_dense(&op, truth, c.bits, c.sigma, &mut noise)?;
                let svd = ep_svd(c.method, &op)?;
                let meas = match (&measured.observed, c.method, &svd) {
                    (observed, _, Some(svd)) => svd.measurements(observed, cfg.ep.params()?),
                    (Observed::Linear(y), Method::QcsSgmExact, None) => Measurements::LinearExact {
                        y,
                        eigenvectors: &u,
                        eigenvalues: &d2,
                    },
                    (observed, _, None) => observed.measurements(),
                };
                let lik =
                    PseudoLikelihood::new(meas, c.sigma).map_err(|e| anyhow!("likelihood: {e}"))?;
                self.method(ctx, job, &op, lik, &measured.targets)?
            }
        };
        let network_calls = match c.method {
            Method::PnpProbit => pnp_schedule(&cfg.pnp, c.calls)?.network_calls(),
            m if m.is_score_based() => {
                cfg.schedule.schedule(c.bits, c.calls)?.total_steps()
                    + u64::from(cfg.schedule.denoise)
            }
            _ => 0,
        };
        let row = |metrics: [f32; 3], unc: Option<(f32, f32)>, diverged: bool| Row {
            experiment: cfg.name.clone(),
            method: c.method.name().to_string(),
            m: c.m,
            bits: c.bits,
            sigma: c.sigma,
            seed: c.seed,
            image: job.image,
            label: ctx.labels[job.image],
            psnr_db: metrics[0],
            ssim: metrics[1],
            cosine: metrics[2],
            coverage_2std: unc.map(|u| u.0),
            std_error_corr: unc.map(|u| u.1),
            diverged,
            seconds: t0.elapsed().as_secs_f64(),
            calls: c.calls,
            network_calls,
        };
        let Some((estimate, unc, std)) = estimate else {
            return Ok(row([f32::NAN; 3], None, true));
        };
        let metrics = score(truth, &estimate, h, w)?;
        if job.image < cfg.first_image + cfg.panel_images {
            let dir = ctx.out.join("estimates");
            std::fs::create_dir_all(&dir)?;
            data::write_f32_le(&dir.join(format!("{what}.f32")), &estimate)?;
            if let Some(std) = &std {
                data::write_f32_le(&dir.join(format!("{what}.std.f32")), std)?;
            }
        }
        Ok(row(metrics, unc, false))
    }

    /// Runs the job's method on measurements already taken; `lik` is the score of the
    /// measurements (the exact one for [`Method::QcsSgmExact`], EP for [`Method::QcsSgmEp`]).
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
            Method::QcsSgm | Method::QcsSgmExact | Method::QcsSgmEp | Method::Ald => {
                let settings = SamplerSettings {
                    schedule: cfg.schedule.schedule(c.bits, c.calls)?,
                    chains: cfg.samples,
                    seed: chain_seed(job),
                    denoise: cfg.schedule.denoise,
                    warm_start: cfg.schedule.warm_start,
                    balance: cfg.schedule.balance(c.method),
                };
                let prior = self.prior(cfg.samples, h, w)?;
                let ald;
                let op: &dyn SensingOperator = if c.method == Method::Ald {
                    ald = AldOperator::new(op, cfg.ald.gamma_sq(op.rows(), op.cols())?)?;
                    &ald
                } else {
                    op
                };
                let rec = match reconstruct::reconstruct(op, lik, &settings, prior, None, |_| {}) {
                    Ok(rec) => rec,
                    Err(e) if is_divergence(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let unc = (cfg.samples >= 2).then(|| uncertainty(truth, &rec.mean, &rec.std));
                Some((rec.mean, unc, (cfg.samples >= 2).then_some(rec.std)))
            }
            Method::PnpProbit => {
                let settings = PnpSettings {
                    schedule: pnp_schedule(&cfg.pnp, c.calls)?,
                    chains: cfg.samples,
                    seed: chain_seed(job),
                    center: cfg.pnp.center(),
                    warm_start: cfg.pnp.warm_start(),
                };
                let prior = self.prior(cfg.samples, h, w)?;
                let rec = match reconstruct_pnp(op, lik, &settings, prior, None, |_| {}) {
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

/// The chain seed of a job: the same for every score-based method.
fn chain_seed(job: &Job) -> u64 {
    job.cell
        .seed
        .wrapping_mul(1_000_003)
        .wrapping_add(job.image as u64)
}

impl Worker {
    /// The worker's network prior for `samples` chains of `h × w` images, built once.
    fn prior(&mut self, samples: usize, h: usize, w: usize) -> Result<&mut NetworkPrior> {
        if self.prior.is_none() {
            let model = ScoreModel::load(&self.model)?;
            let config = PriorConfig {
                device: Device::Cpu,
                plan_batch: 1,
                threads: self.threads,
            };
            self.prior = Some(NetworkPrior::new(&model, [1, h, w], samples, config)?);
        }
        Ok(self.prior.as_mut().expect("built above"))
    }
}

/// `U` and `S` of `A` for [`Method::QcsSgmEp`] (once per job, before sampling); `None` for the
/// other methods.
fn ep_svd(method: Method, op: &dyn SensingOperator) -> Result<Option<LeftSvd>> {
    Ok(match method {
        Method::QcsSgmEp => Some(LeftSvd::of(op)?),
        _ => None,
    })
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
        None => mean_norm_from(&images, config.first_image + config.images)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use qcs_core::Error;

    #[test]
    fn divergence_is_the_sampler_error_not_the_word() {
        // What `reconstruct` returns when an iterate or the prior score stops being finite,
        // wrapped as the worker wraps it.
        let e = anyhow::Error::new(Diverged {
            level: 3,
            levels: 10,
            beta: 0.5,
            step: 1,
            steps_per_level: 5,
            epsilon: 2e-4,
            source: Error::Diverged {
                level: 3,
                step: 1,
                beta: 0.5,
            },
        })
        .context("qcs-sgm_m100_q1_s0.05_seed0_img0");
        assert!(is_divergence(&e), "{e:#}");
        let e = anyhow::Error::new(PnpDiverged {
            level: 2,
            levels: 10,
            sigma: 0.5,
            step_scale: 1.0,
            source: Error::Diverged {
                level: 2,
                step: 0,
                beta: 0.5,
            },
        })
        .context("pnp-probit_m100_q1_s0.05_seed0_img0");
        assert!(is_divergence(&e), "{e:#}");
        // Messages that say "non-finite" but are no divergence: a text search counted them.
        let not = [
            anyhow::Error::new(Error::NonFinite {
                field: "delta",
                index: 0,
            })
            .context("quantizer"),
            anyhow!("measure: `x` holds a non-finite value at index 0"),
            anyhow!("the ONNX model returned a non-finite score"),
            anyhow::Error::new(Error::Finished).context("non-finite iterate"),
        ];
        for e in &not {
            assert!(format!("{e:#}").contains("non-finite"));
            assert!(!is_divergence(e), "{e:#}");
        }
    }
}
