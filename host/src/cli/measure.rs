//! `qcs measure`: what a sensor does, y = Q(Ax + n) into a frame.

use super::args::SensorArgs;
use super::signal::{load_signal, Signal, SignalSource};
use anyhow::{ensure, Context, Result};
use clap::Args;
use qcs_core::frame;
use qcs_core::rng;
use qcs_host::budget;
use qcs_host::matrix::SensingMatrix;
use qcs_host::sensing;
use std::io::Write;
use std::path::PathBuf;

/// Options of `qcs measure`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    #[command(flatten)]
    pub source: SignalSource,
    /// Image height of a --raw signal.
    #[arg(long)]
    pub height: Option<u32>,
    /// Image width of a --raw signal.
    #[arg(long)]
    pub width: Option<u32>,
    /// Channels of a --png (1: grayscale, 3: RGB) or --raw image (channels last: the frame
    /// stores H × W × C values, pixel by pixel).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub channels: u32,
    #[command(flatten)]
    pub sensor: SensorArgs,
    /// A dense sensing matrix instead of a seeded operator: a `.npy` array [M, N] of float32 or
    /// float64 (M = its rows). The frame names it by its fingerprint (operator kind `dense`,
    /// docs/FRAME_FORMAT.md); the receiver needs the same file (`qcs reconstruct --matrix`).
    #[arg(long, conflicts_with_all = ["measurements", "operator", "seed"])]
    pub matrix: Option<PathBuf>,
    /// The frame file to write (`-`: standard output; the summary then goes to stderr).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// y = Q(Ax + n) of the signal into a frame ([`sensing::measure_frame`]).
pub fn measure_frame(x: &Signal, s: &SensorArgs) -> Result<Vec<u8>> {
    let settings = s.settings()?;
    let mut noise = rng::stream_rng(s.noise_seed, 0);
    Ok(sensing::measure_frame(&x.values, x.shape, &settings, &mut noise)?.frame)
}

/// A one-line description of a frame's quantizer: `unquantized`, `1-bit`, `3-bit uniform
/// (Δ = 0.5)`, `2-bit thresholds`.
pub fn quantizer_label(bytes: &[u8]) -> String {
    match frame::decode(bytes) {
        Ok(f) => match f.header().quantizer {
            frame::QuantizerSpec::Unquantized => "unquantized".to_string(),
            frame::QuantizerSpec::Uniform { bits: 1, .. } => "1-bit".to_string(),
            frame::QuantizerSpec::Uniform { bits, delta } => {
                format!("{bits}-bit uniform (Δ = {delta})")
            }
            frame::QuantizerSpec::Thresholds { bits, .. } => format!("{bits}-bit thresholds"),
        },
        Err(e) => format!("(invalid frame: {e})"),
    }
}

/// Runs `qcs measure`.
pub fn run(a: MeasureArgs) -> Result<()> {
    // Every option is checked before the signal is read or anything is measured.
    a.sensor.settings()?;
    if a.source.raw.is_none() && (a.height.is_some() || a.width.is_some()) {
        anyhow::bail!(
            "--height/--width shape a --raw signal; a --digit or --png image has its own shape"
        );
    }
    let to_stdout = a.out.as_os_str() == "-";
    if !to_stdout && a.out.is_dir() {
        anyhow::bail!(
            "--out {}: is a directory; give a file path",
            a.out.display()
        );
    }
    let matrix = a
        .matrix
        .as_deref()
        .map(|p| SensingMatrix::load(p, budget::DEFAULT_MAX_MEMORY))
        .transpose()?;
    let x = load_signal(&a.source, a.height, a.width, a.channels)?;
    let (bytes, m) = match &matrix {
        None => (measure_frame(&x, &a.sensor)?, a.sensor.measurements),
        Some(matrix) => {
            ensure!(
                matrix.cols == x.values.len(),
                "--matrix {}: {} columns, but the signal ({}) has N = {} values",
                matrix.path.display(),
                matrix.cols,
                x.label,
                x.values.len()
            );
            let mut settings = a.sensor.settings()?;
            settings.measurements = matrix.rows;
            let op = matrix.named(settings.scaling)?;
            let mut noise = rng::stream_rng(a.sensor.noise_seed, 0);
            let measured =
                sensing::measure_frame_with(&op, &x.values, x.shape, &settings, &mut noise)?;
            (measured.frame, matrix.rows)
        }
    };
    let summary = format!(
        "{}: N = {}, M = {}, {} → {} ({} bytes)",
        x.label,
        x.values.len(),
        m,
        quantizer_label(&bytes),
        if to_stdout {
            "standard output".to_string()
        } else {
            a.out.display().to_string()
        },
        bytes.len()
    );
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .context("standard output: cannot write the frame")?;
        eprintln!("{summary}");
    } else {
        std::fs::write(&a.out, &bytes)
            .with_context(|| format!("{}: cannot write", a.out.display()))?;
        println!("{summary}");
    }
    Ok(())
}
