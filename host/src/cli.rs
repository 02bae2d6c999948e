//! The subcommands of `qcs`: `measure` (what a sensor does), `reconstruct` (what the host
//! does with a frame) and `demo` (both, on a shipped MNIST digit).

use anyhow::{anyhow, bail, ensure, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use qcs_core::frame::SignalShape;
use qcs_core::langevin::Schedule;
use qcs_core::operator::Scaling;
use qcs_core::rng;
use qcs_host::image::{Panel, Tile};
use qcs_host::model::{Device, ScoreModel};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::problem::{Observed, Problem};
use qcs_host::reconstruct::{reconstruct, score, Reconstruction, SamplerSettings};
use qcs_host::sensing::{self, SensorOperator, SensorQuantizer, SensorSettings};
use qcs_host::{data, image};
use std::path::{Path, PathBuf};

/// Quantized compressed sensing with score-based generative models (QCS-SGM).
///
/// A sensor measures y = Q(Ax + n), down to one bit per measurement, and sends a frame;
/// `qcs` recovers x from the frame by annealed Langevin dynamics with an NCSNv2 prior and the
/// noise-perturbed pseudo-likelihood score (Meng & Kabashima).
#[derive(Debug, Parser)]
#[command(name = "qcs", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reconstruct a real MNIST test digit from one-bit measurements with the shipped model
    /// (M = 200, σ = 0.05, A ~ N(0, 1/M)): measure, frame, decode, sample, and write a PNG
    /// panel (truth, posterior mean, per-pixel std, samples) and a JSON report.
    Demo(DemoArgs),
    /// Measure a signal as a sensor does, y = Q(Ax + n), and write a measurement frame
    /// (docs/FRAME_FORMAT.md).
    Measure(MeasureArgs),
    /// Reconstruct the signal of a measurement frame: posterior mean, std and samples as PNG
    /// and .npy, and a JSON report (with metrics, given --truth).
    Reconstruct(ReconstructArgs),
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
    /// Images per network call (default: 1 on the CPU, all samples on a GPU); must divide
    /// --samples.
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
    /// Step-size constant ε (α_t = ε β_t² / β_T²); default 2e-4 (the paper's MNIST value) for
    /// one-bit, 2e-5 for multi-bit and unquantized measurements (2e-4 diverges there).
    #[arg(long)]
    epsilon: Option<f32>,
    /// Posterior samples (chains) drawn together.
    #[arg(long, default_value_t = 4)]
    samples: usize,
    /// Seed of the chains (start and Langevin noise; chain b uses stream b).
    #[arg(long, default_value_t = 7)]
    chain_seed: u64,
}

impl ScheduleArgs {
    fn settings(&self, observed: &Observed) -> Result<SamplerSettings> {
        // ε = 2e-4 (the paper's MNIST value) is stable for one-bit measurements; for multi-bit
        // and linear ones α_t·‖A‖²/s_m² exceeds 2 at every level with A ~ N(0, 1/M) and it
        // diverges (models/reference/README.md), so those default to the paper's linear 2e-5.
        let epsilon = self.epsilon.unwrap_or(match observed {
            Observed::OneBit(_) => Schedule::PAPER_MNIST.epsilon,
            _ => 2e-5,
        });
        let schedule = Schedule::new(
            self.beta_max,
            self.beta_min,
            self.levels,
            self.steps,
            epsilon,
        )
        .map_err(|e| anyhow!("schedule options: {e}"))?;
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

/// The measurement operator of a sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OperatorArg {
    /// i.i.d. Gaussian rows regenerated from the seed (the paper's A).
    Seeded,
    /// Random signs, fast Walsh–Hadamard transforms and a seeded row subset (AAᵀ ∝ I).
    Structured,
}

/// Entry variance of the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScalingArg {
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
struct SensorArgs {
    /// Number of measurements M.
    #[arg(long, default_value_t = 200)]
    measurements: usize,
    /// Bits per measurement Q (1 = signs; 0 = unquantized, y sent as f32).
    #[arg(long, default_value_t = 1)]
    bits: u8,
    /// Quantizer step Δ for Q ≥ 2 (default: (max y − min y)/2^Q of the noisy measurements,
    /// as the authors compute it).
    #[arg(long)]
    delta: Option<f32>,
    /// A non-uniform quantizer instead: 2^Q − 1 increasing thresholds, comma-separated
    /// (needs --codewords).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    thresholds: Option<Vec<f32>>,
    /// The 2^Q codewords of --thresholds, comma-separated.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    codewords: Option<Vec<f32>>,
    /// Noise standard deviation σ added before quantization.
    #[arg(long, default_value_t = 0.05)]
    sigma: f32,
    /// The measurement operator.
    #[arg(long, value_enum, default_value_t = OperatorArg::Seeded)]
    operator: OperatorArg,
    /// Entry variance of the operator.
    #[arg(long, value_enum, default_value_t = ScalingArg::PerMeasurement)]
    scaling: ScalingArg,
    /// Seed of the operator (a sensor stores this instead of the matrix).
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Seed of the sensor noise n.
    #[arg(long, default_value_t = 1)]
    noise_seed: u64,
    /// Frame counter written into the frame.
    #[arg(long, default_value_t = 0)]
    counter: u32,
}

/// Where a signal comes from.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
struct SignalSource {
    /// A digit of the shipped MNIST test split (0..1000; digit i has label i mod 10).
    #[arg(long)]
    digit: Option<usize>,
    /// A PNG image (converted to grayscale in [0, 1]).
    #[arg(long)]
    png: Option<PathBuf>,
    /// A raw little-endian f32 file (a vector; add --height/--width for an image).
    #[arg(long)]
    raw: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct MeasureArgs {
    #[command(flatten)]
    source: SignalSource,
    /// Image height of a --raw signal.
    #[arg(long, requires = "raw")]
    height: Option<u32>,
    /// Image width of a --raw signal.
    #[arg(long, requires = "raw")]
    width: Option<u32>,
    #[command(flatten)]
    sensor: SensorArgs,
    /// The frame file to write.
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct ReconstructArgs {
    /// The measurement frame.
    frame: PathBuf,
    /// The true signal (a PNG, or a raw f32 file), to report PSNR / SSIM / cosine.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// The true signal as a digit of the shipped test split.
    #[arg(long, conflicts_with = "truth")]
    truth_digit: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "qcs-out")]
    out: PathBuf,
    #[command(flatten)]
    prior: PriorArgs,
    #[command(flatten)]
    schedule: ScheduleArgs,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Index of the test digit in the shipped test split (0..1000; digit i has label i mod 10).
    #[arg(long, default_value_t = 0)]
    index: usize,
    #[command(flatten)]
    sensor: SensorArgs,
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
        Command::Measure(a) => measure_cmd(a),
        Command::Reconstruct(a) => reconstruct_cmd(a),
    }
}

/// A signal and its shape.
struct Signal {
    values: Vec<f32>,
    shape: SignalShape,
    label: String,
}

fn load_digit(index: usize) -> Result<Signal> {
    let (images, labels) = data::shipped_test_digits()?;
    let values = images
        .image(index)
        .with_context(|| format!("--digit {index}"))?
        .to_vec();
    Ok(Signal {
        values,
        shape: SignalShape::image(images.rows as u32, images.cols as u32, 1)
            .map_err(|e| anyhow!("{e}"))?,
        label: format!("test digit {index} (label {})", labels[index]),
    })
}

fn load_signal(src: &SignalSource, height: Option<u32>, width: Option<u32>) -> Result<Signal> {
    if let Some(i) = src.digit {
        return load_digit(i);
    }
    if let Some(p) = &src.png {
        let img = data::read_png_gray(p)?;
        return Ok(Signal {
            shape: SignalShape::image(img.rows as u32, img.cols as u32, 1)
                .map_err(|e| anyhow!("{}: {e}", p.display()))?,
            values: img.pixels,
            label: p.display().to_string(),
        });
    }
    let p = src
        .raw
        .as_ref()
        .context("one of --digit, --png, --raw is required")?;
    let values = data::read_f32_le(p)?;
    let n = values.len() as u32;
    let shape = match (height, width) {
        (Some(h), Some(w)) => {
            SignalShape::image(h, w, 1).map_err(|e| anyhow!("--height/--width: {e}"))?
        }
        (None, None) => SignalShape::vector(n),
        _ => bail!("--height and --width go together"),
    };
    ensure!(
        shape.len() == values.len(),
        "{}: {} values, but --height {} × --width {} is {}",
        p.display(),
        values.len(),
        shape.height,
        shape.width,
        shape.len()
    );
    Ok(Signal {
        values,
        shape,
        label: p.display().to_string(),
    })
}

/// y = Q(Ax + n) of the signal into a frame ([`sensing::measure_frame`]).
fn measure_frame(x: &Signal, s: &SensorArgs) -> Result<Vec<u8>> {
    let quantizer = match (&s.thresholds, &s.codewords) {
        (Some(t), Some(c)) => SensorQuantizer::Thresholds {
            thresholds: t.clone(),
            codewords: c.clone(),
        },
        (None, None) if s.bits == 0 => SensorQuantizer::Unquantized,
        (None, None) => SensorQuantizer::Uniform {
            bits: s.bits,
            delta: s.delta,
        },
        _ => bail!("--thresholds and --codewords go together"),
    };
    let settings = SensorSettings {
        measurements: s.measurements,
        quantizer,
        sigma: s.sigma,
        operator: match s.operator {
            OperatorArg::Seeded => SensorOperator::Seeded,
            OperatorArg::Structured => SensorOperator::Structured,
        },
        scaling: Scaling::from(s.scaling),
        seed: s.seed,
        counter: s.counter,
    };
    let mut noise = rng::stream_rng(s.noise_seed, 0);
    Ok(sensing::measure_frame(&x.values, x.shape, &settings, &mut noise)?.frame)
}

fn measure_cmd(a: MeasureArgs) -> Result<()> {
    let x = load_signal(&a.source, a.height, a.width)?;
    let bytes = measure_frame(&x, &a.sensor)?;
    std::fs::write(&a.out, &bytes).with_context(|| format!("{}: cannot write", a.out.display()))?;
    println!(
        "{}: N = {}, M = {}, {} → {} ({} bytes)",
        x.label,
        x.values.len(),
        a.sensor.measurements,
        if a.sensor.bits == 0 {
            "unquantized".to_string()
        } else {
            format!("{}-bit", a.sensor.bits)
        },
        a.out.display(),
        bytes.len()
    );
    Ok(())
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
        ensure!(t >= 1, "--threads must be at least 1, got {t}");
        config.threads = t;
    }
    if let Some(b) = args.plan_batch {
        config.plan_batch = b;
    }
    NetworkPrior::new(&model, shape, chains, config)
}

#[derive(Debug, serde::Serialize)]
struct Metrics {
    psnr_db: f32,
    ssim: f32,
    cosine: f32,
}

fn metrics_of(truth: &[f32], x: &[f32], h: usize, w: usize) -> Result<Metrics> {
    let [psnr_db, ssim, cosine] = score(truth, x, h, w)?;
    Ok(Metrics {
        psnr_db,
        ssim,
        cosine,
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
    let chains = rec.samples.len() / rec.n;
    for b in 0..chains.min(8) {
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
    let (hh, ww) = (h as u64, w as u64);
    data::write_npy(&out.join("mean.npy"), &[hh, ww], &rec.mean)?;
    data::write_npy(&out.join("std.npy"), &[hh, ww], &rec.std)?;
    data::write_npy(
        &out.join("samples.npy"),
        &[chains as u64, hh, ww],
        &rec.samples,
    )?;
    Ok(())
}

/// Decodes a frame, samples its posterior and writes images, arrays and a report.
fn reconstruct_frame(
    bytes: &[u8],
    what: &str,
    truth: Option<&[f32]>,
    out: &Path,
    prior_args: &PriorArgs,
    schedule: &ScheduleArgs,
    extra: serde_json::Value,
) -> Result<()> {
    let problem = Problem::from_frame(bytes, what)?;
    let shape = problem.image_shape(what)?;
    let [_, h, w] = shape;
    if let Some(t) = truth {
        ensure!(
            t.len() == h * w,
            "the truth has {} values, the frame's signal {}",
            t.len(),
            h * w
        );
    }
    let settings = schedule.settings(&problem.observed)?;
    let op = problem.operator()?;
    let lik = problem.likelihood()?;
    let mut prior = network_prior(prior_args, shape, settings.chains)?;
    eprintln!(
        "{what}: {}×{} image, {} {} measurements, σ = {}; {} samples × {} steps on {} thread(s)",
        h,
        w,
        op.rows(),
        problem.observed.kind(),
        problem.sigma,
        settings.chains,
        settings.schedule.total_steps(),
        prior.threads()
    );
    let pb = progress_bar(settings.schedule.total_steps());
    let rec = reconstruct(&*op, lik, &settings, &mut prior, None, |p| {
        pb.set_position(p.done);
        pb.set_message(format!("{:.3}", p.beta));
    })?;
    pb.finish_and_clear();
    write_outputs(out, &rec, truth, h, w)?;
    let network_share = prior.busy().as_secs_f64() / rec.seconds.max(1e-9);
    let s = &settings.schedule;
    let mut report = serde_json::json!({
        "frame": what,
        "signal": {"height": h, "width": w, "n": h * w},
        "measurements": op.rows(),
        "kind": problem.observed.kind(),
        "bits": problem.bits,
        "sigma": problem.sigma,
        "operator": {
            "kind": format!("{:?}", problem.operator_spec.kind),
            "seed": problem.operator_spec.seed,
            "scaling": format!("{:?}", problem.operator_spec.scaling),
        },
        "frame_counter": problem.counter,
        "schedule": {"beta_max": s.beta_max, "beta_min": s.beta_min, "levels": s.levels,
                     "steps_per_level": s.steps_per_level, "epsilon": s.epsilon},
        "samples": settings.chains,
        "chain_seed": settings.seed,
        "model": prior_args.model,
        "device": prior_args.device,
        "threads": prior.threads(),
        "network_calls": prior.calls(),
        "seconds": rec.seconds,
        "network_seconds": prior.busy().as_secs_f64(),
        "share_outside_network": 1.0 - network_share,
        "outputs": ["panel.png", "mean.png", "std.png", "mean.npy", "std.npy", "samples.npy"],
    });
    if let Some(t) = truth {
        let mean = metrics_of(t, &rec.mean, h, w)?;
        let per_sample = (0..settings.chains)
            .map(|b| metrics_of(t, rec.sample(b), h, w))
            .collect::<Result<Vec<_>>>()?;
        println!(
            "posterior mean of {} samples: PSNR {:.2} dB, SSIM {:.3}, cosine {:.3}",
            settings.chains, mean.psnr_db, mean.ssim, mean.cosine
        );
        report["posterior_mean"] = serde_json::to_value(mean)?;
        report["per_sample"] = serde_json::to_value(per_sample)?;
    }
    if let (Some(r), Some(e)) = (report.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    let path = out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    println!(
        "{:.1} s, {:.1}% outside the network; wrote {}/panel.png (truth, mean, std, samples), report.json, .png/.npy",
        rec.seconds,
        100.0 * (1.0 - network_share),
        out.display()
    );
    Ok(())
}

fn reconstruct_cmd(a: ReconstructArgs) -> Result<()> {
    let bytes =
        std::fs::read(&a.frame).with_context(|| format!("{}: cannot read", a.frame.display()))?;
    let truth = match (&a.truth, a.truth_digit) {
        (Some(p), _) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) => {
            Some(data::read_png_gray(p)?.pixels)
        }
        (Some(p), _) => Some(data::read_f32_le(p)?),
        (None, Some(i)) => Some(load_digit(i)?.values),
        (None, None) => None,
    };
    reconstruct_frame(
        &bytes,
        &a.frame.display().to_string(),
        truth.as_deref(),
        &a.out,
        &a.prior,
        &a.schedule,
        serde_json::json!({}),
    )
}

fn demo(a: DemoArgs) -> Result<()> {
    let x = load_digit(a.index)?;
    // The sensor side: y = Q(Ax + n) into a frame, as firmware would send it.
    let bytes = measure_frame(&x, &a.sensor)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create directory", a.out.display()))?;
    let frame_path = a.out.join("frame.qcsf");
    std::fs::write(&frame_path, &bytes)
        .with_context(|| format!("{}: cannot write", frame_path.display()))?;
    eprintln!(
        "{}: measured into {} ({} bytes)",
        x.label,
        frame_path.display(),
        bytes.len()
    );
    // The host side: decode the frame and reconstruct.
    reconstruct_frame(
        &bytes,
        &frame_path.display().to_string(),
        Some(&x.values),
        &a.out,
        &a.prior,
        &a.schedule,
        serde_json::json!({"command": "demo", "truth": x.label, "noise_seed": a.sensor.noise_seed}),
    )
}
