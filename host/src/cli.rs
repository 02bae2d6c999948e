//! The subcommands of `qcs`.

use anyhow::{anyhow, ensure, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::langevin::Schedule;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, Scaling, SeededGaussian};
use qcs_core::quantizer::UniformQuantizer;
use qcs_core::{metrics, rng, sensor};
use qcs_host::image::{Panel, Tile};
use qcs_host::model::{Device, ScoreModel};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::reconstruct::{reconstruct, Reconstruction, SamplerSettings};
use qcs_host::{data, image};
use std::path::{Path, PathBuf};

/// Quantized compressed sensing with score-based generative models (QCS-SGM).
///
/// A sensor measures y = Q(Ax + n), down to one bit per measurement; `qcs` recovers x by
/// annealed Langevin dynamics with an NCSNv2 prior and the noise-perturbed
/// pseudo-likelihood score (Meng & Kabashima).
#[derive(Debug, Parser)]
#[command(name = "qcs", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reconstruct a real MNIST test digit from one-bit measurements with the shipped model
    /// (M = 200, σ = 0.05, A ~ N(0, 1/M)) and write a PNG panel and a JSON report.
    Demo(DemoArgs),
}

/// Options of the network prior.
#[derive(Debug, Args, Clone)]
struct PriorArgs {
    /// The ONNX score model (σ-free NCSNv2 body; score = output / σ).
    #[arg(long, default_value_os_t = data::models_dir().join("ncsnv2-mnist.onnx"))]
    model: PathBuf,
    /// Where the network runs (`cuda` needs a build with `--features gpu` and an NVIDIA GPU).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    device: Device,
    /// OS threads running the network (default: one per core on the CPU, 1 on a GPU).
    #[arg(long)]
    threads: Option<usize>,
    /// Images per network call (default: 1 on the CPU, all chains on a GPU); must divide --samples.
    #[arg(long)]
    plan_batch: Option<usize>,
}

/// Options of Algorithm 1 (defaults: the paper's MNIST settings).
#[derive(Debug, Args, Clone)]
struct ScheduleArgs {
    /// Largest noise level β_1.
    #[arg(long, default_value_t = Schedule::PAPER_MNIST.beta_max)]
    beta_max: f32,
    /// Smallest noise level β_T.
    #[arg(long, default_value_t = Schedule::PAPER_MNIST.beta_min)]
    beta_min: f32,
    /// Number of noise levels T (geometric from β_1 to β_T).
    #[arg(long, default_value_t = Schedule::PAPER_MNIST.levels)]
    levels: u32,
    /// Langevin steps per level K.
    #[arg(long, default_value_t = Schedule::PAPER_MNIST.steps_per_level)]
    steps: u32,
    /// Step-size constant ε (α_t = ε β_t² / β_T²); the paper uses 2e-4 for quantized and
    /// 2e-5 for linear measurements.
    #[arg(long, default_value_t = Schedule::PAPER_MNIST.epsilon)]
    epsilon: f32,
    /// Posterior samples (chains) drawn together.
    #[arg(long, default_value_t = 4)]
    samples: usize,
    /// Seed of the chains (start and Langevin noise; chain b uses stream b).
    #[arg(long, default_value_t = 7)]
    chain_seed: u64,
}

impl ScheduleArgs {
    fn settings(&self) -> Result<SamplerSettings> {
        let schedule = Schedule::new(
            self.beta_max,
            self.beta_min,
            self.levels,
            self.steps,
            self.epsilon,
        )
        .map_err(|e| anyhow!("schedule: {e}"))?;
        ensure!(
            self.samples >= 1,
            "--samples must be at least 1, got {}",
            self.samples
        );
        Ok(SamplerSettings {
            schedule,
            chains: self.samples,
            seed: self.chain_seed,
        })
    }
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Index of the test digit in the shipped test split (0..1000; digit i has label i mod 10).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// Number of one-bit measurements M.
    #[arg(long, default_value_t = 200)]
    measurements: usize,
    /// Noise standard deviation σ added before quantization.
    #[arg(long, default_value_t = 0.05)]
    sigma: f32,
    /// Seed of the measurement matrix A (rows regenerated from it).
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Seed of the sensor noise n.
    #[arg(long, default_value_t = 1)]
    noise_seed: u64,
    /// Output directory.
    #[arg(long, default_value = "qcs-demo")]
    out: PathBuf,
    #[command(flatten)]
    prior: PriorArgs,
    #[command(flatten)]
    schedule: ScheduleArgs,
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(a) => demo(a),
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

fn network_prior(args: &PriorArgs, shape: [usize; 3], chains: usize) -> Result<NetworkPrior> {
    let model = ScoreModel::load(&args.model)?;
    let mut config = PriorConfig::default_for(args.device, chains);
    if let Some(t) = args.threads {
        ensure!(t >= 1, "--threads must be at least 1");
        config.threads = t;
    }
    if let Some(b) = args.plan_batch {
        config.plan_batch = b;
    }
    NetworkPrior::new(&model, shape, chains, config)
}

/// Runs the sampler with a progress bar.
fn sample(
    op: &DenseOperator<'_>,
    lik: PseudoLikelihood<'_>,
    settings: &SamplerSettings,
    prior: &mut NetworkPrior,
) -> Result<Reconstruction> {
    let pb = progress_bar(settings.schedule.total_steps());
    let rec = reconstruct(op, lik, settings, prior, None, |p| {
        pb.set_position(p.done);
        pb.set_message(format!("{:.3}", p.beta));
    })?;
    pb.finish_and_clear();
    Ok(rec)
}

#[derive(Debug, serde::Serialize)]
struct Metrics {
    psnr_db: f32,
    ssim: f32,
    cosine: f32,
}

fn metrics_of(truth: &[f32], x: &[f32], h: usize, w: usize) -> Result<Metrics> {
    Ok(Metrics {
        psnr_db: metrics::psnr(truth, x).map_err(|e| anyhow!("psnr: {e}"))?,
        ssim: metrics::ssim(truth, x, h, w, 1).map_err(|e| anyhow!("ssim: {e}"))?,
        cosine: metrics::cosine_similarity(truth, x).map_err(|e| anyhow!("cosine: {e}"))?,
    })
}

fn write_outputs(
    out: &Path,
    rec: &Reconstruction,
    truth: Option<&[f32]>,
    h: usize,
    w: usize,
) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create directory", out.display()))?;
    let std_max = rec.std.iter().copied().fold(1e-6f32, f32::max);
    let mut tiles = Vec::new();
    if let Some(t) = truth {
        tiles.push(Tile {
            values: t,
            lo: 0.0,
            hi: 1.0,
        });
    }
    tiles.push(Tile {
        values: &rec.mean,
        lo: 0.0,
        hi: 1.0,
    });
    tiles.push(Tile {
        values: &rec.std,
        lo: 0.0,
        hi: std_max,
    });
    let shown = (rec.samples.len() / rec.n).min(8);
    for b in 0..shown {
        tiles.push(Tile {
            values: rec.sample(b),
            lo: 0.0,
            hi: 1.0,
        });
    }
    let columns = tiles.len();
    Panel {
        tiles,
        height: h,
        width: w,
        columns,
        zoom: 4,
    }
    .write(&out.join("panel.png"))?;
    image::write_png_gray(&out.join("mean.png"), &rec.mean, h, w, 0.0, 1.0)?;
    image::write_png_gray(&out.join("std.png"), &rec.std, h, w, 0.0, std_max)?;
    let chains = (rec.samples.len() / rec.n) as u64;
    data::write_npy(&out.join("mean.npy"), &[h as u64, w as u64], &rec.mean)?;
    data::write_npy(&out.join("std.npy"), &[h as u64, w as u64], &rec.std)?;
    data::write_npy(
        &out.join("samples.npy"),
        &[chains, h as u64, w as u64],
        &rec.samples,
    )?;
    Ok(())
}

fn demo(a: DemoArgs) -> Result<()> {
    let (images, labels) = data::shipped_test_digits()?;
    let truth = images.image(a.index).context("--index")?.to_vec();
    let (h, w) = (images.rows, images.cols);
    let n = h * w;
    ensure!(a.measurements >= 1, "--measurements must be at least 1");
    let settings = a.schedule.settings()?;

    // The sensor: one-bit y = sign(Ax + n), A ~ N(0, 1/M) regenerated from a 64-bit seed.
    let seeded = SeededGaussian::new(a.seed, a.measurements, n, Scaling::PerMeasurement)
        .map_err(|e| anyhow!("operator: {e}"))?;
    let q = UniformQuantizer::sign();
    let mut y = vec![0.0; a.measurements];
    let mut codes = vec![0u16; a.measurements];
    let mut noise = rng::stream_rng(a.noise_seed, 0);
    sensor::measure(
        &seeded,
        &truth,
        a.sigma,
        &mut noise,
        &q,
        &mut y,
        &mut codes,
        &mut [],
    )
    .map_err(|e| anyhow!("measure: {e}"))?;

    // The receiver.
    let mut signs = vec![0.0; a.measurements];
    sensor::signs_from_codes(&codes, &mut signs).map_err(|e| anyhow!("codes: {e}"))?;
    let mut matrix = vec![0.0; a.measurements * n];
    seeded
        .materialize(&mut matrix)
        .map_err(|e| anyhow!("operator: {e}"))?;
    let op =
        DenseOperator::new(&matrix, a.measurements, n).map_err(|e| anyhow!("operator: {e}"))?;
    let lik = PseudoLikelihood::new(Measurements::OneBit { signs: &signs }, a.sigma)
        .map_err(|e| anyhow!("likelihood: {e}"))?;
    let mut prior = network_prior(&a.prior, [1, h, w], settings.chains)?;
    eprintln!(
        "digit {} (label {}), one-bit, M = {}, σ = {}, {} samples × {} steps, {} thread(s)",
        a.index,
        labels[a.index],
        a.measurements,
        a.sigma,
        settings.chains,
        settings.schedule.total_steps(),
        prior.threads()
    );
    let rec = sample(&op, lik, &settings, &mut prior)?;
    write_outputs(&a.out, &rec, Some(&truth), h, w)?;
    let mean_metrics = metrics_of(&truth, &rec.mean, h, w)?;
    let per_sample = (0..settings.chains)
        .map(|b| metrics_of(&truth, rec.sample(b), h, w))
        .collect::<Result<Vec<_>>>()?;
    let network_share = prior.busy().as_secs_f64() / rec.seconds;
    let report = serde_json::json!({
        "command": "demo",
        "digit_index": a.index,
        "label": labels[a.index],
        "measurements": a.measurements,
        "bits": 1,
        "sigma": a.sigma,
        "operator": {"kind": "seeded_gaussian", "seed": a.seed, "scaling": "per_measurement"},
        "noise_seed": a.noise_seed,
        "schedule": schedule_json(&settings.schedule),
        "samples": settings.chains,
        "chain_seed": settings.seed,
        "model": a.prior.model,
        "device": a.prior.device,
        "threads": prior.threads(),
        "seconds": rec.seconds,
        "network_seconds": prior.busy().as_secs_f64(),
        "share_outside_network": 1.0 - network_share,
        "posterior_mean": mean_metrics,
        "per_sample": per_sample,
    });
    let report_path = a.out.join("report.json");
    std::fs::write(&report_path, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("{}: cannot write", report_path.display()))?;
    println!(
        "posterior mean of {} samples: PSNR {:.2} dB, SSIM {:.3}, cosine {:.3}  ({:.1} s, {:.1}% outside the network)",
        settings.chains,
        mean_metrics.psnr_db,
        mean_metrics.ssim,
        mean_metrics.cosine,
        rec.seconds,
        100.0 * (1.0 - network_share)
    );
    println!(
        "wrote {}/panel.png (truth, mean, std, samples), report.json, mean/std/samples .png/.npy",
        a.out.display()
    );
    Ok(())
}

fn schedule_json(s: &Schedule) -> serde_json::Value {
    serde_json::json!({
        "beta_max": s.beta_max,
        "beta_min": s.beta_min,
        "levels": s.levels,
        "steps_per_level": s.steps_per_level,
        "epsilon": s.epsilon,
    })
}
