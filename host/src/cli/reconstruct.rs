//! `qcs reconstruct` and `qcs demo`: one frame (or many, [`super::batch`]) through [`Job`].

use super::args::{PriorArgs, ScheduleArgs, SensorArgs};
use super::batch;
use super::job::{prior_config, Job, Truth};
use super::measure::measure_frame;
use super::signal::{load_digit, read_raw};
use anyhow::{anyhow, Result};
use clap::Args;
use qcs_core::frame;
use qcs_host::data;
use qcs_host::frame_file;
use qcs_host::matrix::SensingMatrix;
use qcs_host::model::ScoreModel;
use std::path::PathBuf;

/// Options of `qcs reconstruct`.
#[derive(Debug, Args)]
pub struct ReconstructArgs {
    /// The measurement frame; or many: several files, directories (their `*.qcsf` files) or
    /// quoted glob patterns (`'frames/*.qcsf'`), reconstructed in one process into one folder
    /// per frame under --out, with `summary.csv` and `summary.json`.
    #[arg(required = true, num_args = 1..)]
    pub frames: Vec<PathBuf>,
    /// The true signal (a PNG, or a raw f32 file), to report PSNR / SSIM / cosine (one frame).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// The true signal as a digit of the shipped test split (0..1000) (one frame).
    #[arg(long, conflicts_with = "truth")]
    pub truth_digit: Option<usize>,
    /// Many frames: the true signals, `<stem>.png` or `<stem>.f32` for frame `<stem>.qcsf`; a
    /// frame without one fails (and is reported).
    #[arg(long, conflicts_with_all = ["truth", "truth_digit"])]
    pub truth_dir: Option<PathBuf>,
    /// Many frames: frames reconstructed at once (default: one per core, each on
    /// --threads threads, default 1).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Many frames: the --jobs frames in flight share each network call, their chains in one
    /// plan of jobs × samples images (padded when fewer frames are left); what pays on a GPU,
    /// where one call of many images costs about as much as one of a few (BENCHMARKS.md).
    #[arg(long)]
    pub share_calls: bool,
    /// The dense sensing matrix (`.npy`, [M, N]) that frames of operator kind `dense` name by
    /// its fingerprint (`qcs measure --matrix`); checked against each frame's M, N and
    /// fingerprint.
    #[arg(long)]
    pub matrix: Option<PathBuf>,
    /// Output directory (created if missing; its files are replaced together at the end). Many
    /// frames: one folder per frame (named after the frame) and the summary.
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

/// Runs `qcs reconstruct`: one frame named as a file reconstructs into --out itself; anything
/// else (several files, a directory, a glob) is many frames.
pub fn run_reconstruct(a: ReconstructArgs) -> Result<()> {
    let frames = batch::expand(&a.frames)?;
    let single = a.frames.len() == 1 && frames.len() == 1 && frames[0] == a.frames[0];
    if !single || a.truth_dir.is_some() || a.jobs.is_some() || a.share_calls {
        return batch::run(&a, &frames);
    }
    let path = &frames[0];
    let what = path.display().to_string();
    let bytes = frame_file::read_frame(path)?;
    // A truth PNG is read with the frame's channels (1: grayscale, 3: RGB); a frame that does
    // not decode is reported by the pre-flight check below.
    let channels = frame::decode(&bytes).map_or(1, |f| f.header().signal.channels.max(1));
    let truth = match (&a.truth, a.truth_digit) {
        (Some(p), _) => Some(truth_file(p, channels as usize, "--truth")?),
        (None, Some(i)) => Some(Truth {
            values: load_digit(i, "--truth-digit")?.values,
            label: format!("--truth-digit {i}"),
        }),
        (None, None) => None,
    };
    let matrix = load_matrix(&a)?;
    let model = ScoreModel::load(&a.prior.model)?;
    let job = Job {
        bytes: &bytes,
        what: &what,
        truth: truth.as_ref(),
        prior: &a.prior,
        schedule: &a.schedule,
        extra: serde_json::json!({}),
        model: &model,
        config: prior_config(&a.prior, a.schedule.samples)?,
        max_memory: a.prior.max_memory,
        plans: None,
        quiet: false,
        matrix: matrix.as_ref(),
    };
    let out = job.check(&a.out, &[])?;
    job.run(out).map(|_| ())
}

/// The `--matrix` of `a`, loaded within `--max-memory`.
pub fn load_matrix(a: &ReconstructArgs) -> Result<Option<SensingMatrix>> {
    a.matrix
        .as_deref()
        .map(|p| SensingMatrix::load(p, a.prior.max_memory))
        .transpose()
}

/// A truth file: a PNG (read with the frame's `channels`) or raw little-endian f32 values.
/// `option` names where it came from, in messages.
pub fn truth_file(p: &std::path::Path, channels: usize, option: &str) -> Result<Truth> {
    let values = if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        data::read_png(p, channels)?.pixels
    } else {
        read_raw(p)?
    };
    Ok(Truth {
        values,
        label: format!("{option} {}", p.display()),
    })
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
    let model = ScoreModel::load(&a.prior.model)?;
    let job = Job {
        bytes: &bytes,
        what: &what,
        truth: Some(&truth),
        prior: &a.prior,
        schedule: &a.schedule,
        extra: serde_json::json!({
            "command": "demo", "truth": x.label, "noise_seed": a.sensor.noise_seed
        }),
        model: &model,
        config: prior_config(&a.prior, a.schedule.samples)?,
        max_memory: a.prior.max_memory,
        plans: None,
        quiet: false,
        matrix: None,
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
    job.run(out).map(|_| ())
}
