//! `qcs reconstruct` and `qcs demo`: a frame decoded, checked against the model and the memory
//! limit before anything is allocated, sampled, and written all together.

use super::args::{MethodArg, PriorArgs, RunSettings, ScheduleArgs, SensorArgs};
use super::measure::measure_frame;
use super::report;
use super::signal::{load_digit, read_raw};
use anyhow::{anyhow, ensure, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::frame::{self, QuantizerSpec};
use qcs_host::budget;
use qcs_host::frame_file;
use qcs_host::image::{Panel, Tile};
use qcs_host::model::ScoreModel;
use qcs_host::output::OutputDir;
use qcs_host::pnp::reconstruct_pnp;
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::problem::Problem;
use qcs_host::reconstruct::{reconstruct, Reconstruction};
use qcs_host::svd::LeftSvd;
use qcs_host::{data, image};
use std::path::PathBuf;

/// Options of `qcs reconstruct`.
#[derive(Debug, Args)]
pub struct ReconstructArgs {
    /// The measurement frame.
    pub frame: PathBuf,
    /// The true signal (a PNG, or a raw f32 file), to report PSNR / SSIM / cosine.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// The true signal as a digit of the shipped test split (0..1000).
    #[arg(long, conflicts_with = "truth")]
    pub truth_digit: Option<usize>,
    /// Output directory (created if missing; its files are replaced together at the end).
    #[arg(long, default_value = "qcs-out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub prior: PriorArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

/// Options of `qcs demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Index of the test digit in the shipped test split (0..1000; digit i has label i mod 10).
    #[arg(long, default_value_t = 0)]
    pub index: usize,
    #[command(flatten)]
    pub sensor: SensorArgs,
    /// Output directory (created if missing; its files are replaced together at the end).
    #[arg(long, default_value = "qcs-demo")]
    pub out: PathBuf,
    #[command(flatten)]
    pub prior: PriorArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

/// The files a reconstruction writes; the report, the manifest, last.
const OUTPUTS: [&str; 7] = [
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

/// Runs `qcs reconstruct`.
pub fn run_reconstruct(a: ReconstructArgs) -> Result<()> {
    let what = a.frame.display().to_string();
    let bytes = frame_file::read_frame(&a.frame)?;
    // A truth PNG is read with the frame's channels (1: grayscale, 3: RGB); a frame that does
    // not decode is reported by the pre-flight check below.
    let channels = frame::decode(&bytes).map_or(1, |f| f.header().signal.channels.max(1));
    let truth = match (&a.truth, a.truth_digit) {
        (Some(p), _) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) => {
            Some(Truth {
                values: data::read_png(p, channels as usize)?.pixels,
                label: format!("--truth {}", p.display()),
            })
        }
        (Some(p), _) => Some(Truth {
            values: read_raw(p)?,
            label: format!("--truth {}", p.display()),
        }),
        (None, Some(i)) => Some(Truth {
            values: load_digit(i, "--truth-digit")?.values,
            label: format!("--truth-digit {i}"),
        }),
        (None, None) => None,
    };
    let job = Job {
        bytes: &bytes,
        what: &what,
        truth: truth.as_ref(),
        prior: &a.prior,
        schedule: &a.schedule,
        extra: serde_json::json!({}),
    };
    let out = job.check(&a.out, &[])?;
    job.run(out)
}

/// Runs `qcs demo`: measure a digit into a frame, then reconstruct that frame.
pub fn run_demo(a: DemoArgs) -> Result<()> {
    let x = load_digit(a.index, "--index")?;
    // The sensor side: y = Q(Ax + n) into a frame, as firmware would send it.
    let bytes = measure_frame(&x, &a.sensor)?;
    let frame_path = a.out.join("frame.qcsf");
    let what = frame_path.display().to_string();
    let truth = Truth {
        values: x.values.clone(),
        label: x.label.clone(),
    };
    let job = Job {
        bytes: &bytes,
        what: &what,
        truth: Some(&truth),
        prior: &a.prior,
        schedule: &a.schedule,
        extra: serde_json::json!({
            "command": "demo", "truth": x.label, "noise_seed": a.sensor.noise_seed
        }),
    };
    let out = job.check(&a.out, &["frame.qcsf"])?;
    std::fs::write(out.staged("frame.qcsf"), &bytes)
        .map_err(|e| anyhow!("{what}: cannot write: {e}"))?;
    eprintln!(
        "{}: measured into {} ({} bytes)",
        x.label,
        frame_path.display(),
        bytes.len()
    );
    // The host side: decode the frame and reconstruct.
    job.run(out)
}

/// One frame to reconstruct with its options.
struct Job<'a> {
    bytes: &'a [u8],
    what: &'a str,
    truth: Option<&'a Truth>,
    prior: &'a PriorArgs,
    schedule: &'a ScheduleArgs,
    extra: serde_json::Value,
}

impl Job<'_> {
    /// Everything that can be checked before work: the frame's header, the truth's size, the
    /// model's input against the frame, the memory the run needs, the output directory.
    fn check(&self, out: &std::path::Path, extra_outputs: &[&str]) -> Result<OutputDir> {
        let what = self.what;
        self.schedule.check_samples()?;
        let chains = self.schedule.samples;
        let config = self.prior_config(chains)?;
        let model = ScoreModel::load(&self.prior.model)?;
        let (h, _) = budget::preflight(
            self.bytes,
            what,
            &model,
            &config,
            chains,
            self.prior.max_memory,
        )?;
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

    fn prior_config(&self, chains: usize) -> Result<PriorConfig> {
        let mut config = PriorConfig::default_for(self.prior.device, chains);
        if let Some(t) = self.prior.threads {
            ensure!(t >= 1, "--threads must be at least 1, got {t}");
            config.threads = t;
        }
        if let Some(b) = self.prior.plan_batch {
            ensure!(
                b >= 1 && chains.is_multiple_of(b),
                "--plan-batch {b} must be at least 1 and divide --samples {chains}"
            );
            config.plan_batch = b;
        }
        Ok(config)
    }

    /// Decodes, samples, writes into `out` and commits it.
    fn run(self, out: OutputDir) -> Result<()> {
        let what = self.what;
        let problem = Problem::from_frame(self.bytes, what)?;
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
                eprintln!(
                    "{what}: SVD of the {}×{} operator in {:.2} s (κ(AAᵀ) = {:.3e})",
                    op.rows(),
                    op.cols(),
                    t.elapsed().as_secs_f64(),
                    condition(&svd)
                );
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
        let model = ScoreModel::load(&self.prior.model)?;
        let mut prior = NetworkPrior::new(&model, shape, chains, self.prior_config(chains)?)?;
        eprintln!(
            "{what}: {}×{}×{} image, {} {} measurements, σ = {}; {} samples × {} network calls ({}) on {} thread(s)",
            h,
            w,
            c,
            op.rows(),
            problem.observed.kind(),
            problem.sigma,
            chains,
            settings.network_calls(),
            self.schedule.method.name(),
            prior.threads()
        );
        let pb = progress_bar(settings.steps());
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
        if let Some(t) = truth {
            let (mean, per_sample) = report::metrics(t, &rec, chains, h, w)?;
            println!(
                "posterior mean of {} samples: PSNR {:.2} dB, SSIM {:.3}, cosine {:.3}",
                chains, mean.psnr_db, mean.ssim, mean.cosine
            );
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
        println!(
            "{:.1} s, {:.1}% outside the network; wrote {}: panel.png ({}mean, std, samples), \
             report.json, mean/std .png and .npy, samples.npy",
            rec.seconds,
            100.0 * (1.0 - network_share),
            dir.display(),
            if truth.is_some() { "truth, " } else { "" }
        );
        Ok(())
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} steps, β = {msg} (eta {eta})",
        )
        .expect("static template")
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
