//! The subcommands of `qcs`: `measure` (what a sensor does), `reconstruct` (what the host
//! does with a frame), `inspect` (what a frame holds) and `demo` (measure and reconstruct a
//! shipped MNIST digit).

mod args;
mod batch;
mod inspect;
mod job;
mod measure;
mod reconstruct;
mod report;
mod signal;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Recover signals from a few quantized random measurements, down to one bit each, with a
/// score-based prior (QCS-SGM, Meng & Kabashima).
///
/// A sensor measures y = Q(Ax + n) and sends a frame (docs/FRAME_FORMAT.md); `qcs` decodes it
/// and draws posterior samples of x with an NCSNv2 prior: by default plug-and-play (DiffPIR with
/// the exact quantized likelihood, 100 network calls per sample), or the paper's annealed
/// Langevin dynamics with the noise-perturbed pseudo-likelihood score (--method qcs-sgm).
#[derive(Debug, Parser)]
#[command(
    name = "qcs",
    version,
    after_help = "Limits: M ≤ 2^24 measurements, N ≤ 2^24 signal values, Q ≤ 16 bits per \
                  measurement. The shipped model takes 28×28 grayscale images.\n\
                  Start with `qcs demo`; `qcs <command> --help` lists every option."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reconstruct a real MNIST test digit from one-bit measurements with the shipped model
    /// (M = 200, σ = 0.05, A ~ N(0, 1/M)): measure, frame, decode, sample, and write a PNG
    /// panel (truth, posterior mean, per-pixel std, samples) and a JSON report.
    Demo(reconstruct::DemoArgs),
    /// Measure a signal as a sensor does, y = Q(Ax + n), and write a measurement frame
    /// (docs/FRAME_FORMAT.md).
    Measure(measure::MeasureArgs),
    /// Reconstruct the signal of a measurement frame: posterior mean, std and samples as PNG
    /// and .npy, and a JSON report (with metrics, given --truth).
    Reconstruct(reconstruct::ReconstructArgs),
    /// Show what a frame holds: header, operator, quantizer, a summary of the codes and the
    /// CRC status (exit status 1 for an invalid frame).
    Inspect(inspect::InspectArgs),
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(a) => reconstruct::run_demo(a),
        Command::Measure(a) => measure::run(a),
        Command::Reconstruct(a) => reconstruct::run_reconstruct(a),
        Command::Inspect(a) => inspect::run(a),
    }
}
