//! `qcs-eval`: runs an evaluation sweep of QCS-SGM and its baselines on the shipped MNIST test
//! split from a TOML config (see `host/experiments/`), resumable, and writes a CSV, a
//! markdown table, SVG plots and PNG panels.

use anyhow::{ensure, Result};
use clap::Parser;
use qcs_host::data;
use qcs_host::eval::{self, Config, RunOptions};
use std::path::PathBuf;

/// Evaluate QCS-SGM against baselines (BIHT, Lasso-W, Jalal et al.'s ALD) over a sweep described in TOML.
///
/// Each (method, M, bits, σ, seed) cell × image measures the digit as a sensor does
/// (seeded Gaussian A ~ N(0, 1/M), y = Q(Ax + n) into a frame), reconstructs it and appends a
/// row (PSNR / SSIM / cosine of the estimate clamped to [0, 1]) to OUT/results.csv. Rows
/// already in the CSV are skipped, so an interrupted run continues where it stopped. At the
/// end OUT/results.md (mean ± std per cell), OUT/{psnr,ssim,cosine}_q{Q}_s{σ}.svg (metric
/// against M per method) and OUT/panel_q{Q}_s{σ}.png (truth, then each method and M) are
/// written from the whole CSV.
///
/// Config keys: name, methods (qcs-sgm, qcs-sgm-exact, qcs-sgm-ep, ald, pnp-probit, biht,
/// lasso-w), measurements, bits (0 = unquantized), sigma, images (K test digits from
/// first_image, default 0), first_image, calls (budgets of network calls per sample, an axis),
/// seeds, samples, operator ("gaussian" | "ill-conditioned"), condition (κ), operator_seed,
/// noise_seed, biht_norm, panel_images; table "schedule": beta_max, beta_min, levels,
/// steps_per_level, epsilon, denoise, warm_start, likelihood_fraction (a number > 0 or "off";
/// default 0.5 for qcs-sgm-ep, "off" for the others); table "ep" (qcs-sgm-ep): damping,
/// max_iterations, tolerance; table "pnp" (pnp-probit; levels = calls): sigma_max, sigma_min,
/// levels, lambda, zeta, data_steps, step_scale, kappa, center; table "biht": basis ("dct" |
/// "haar"), sparsity, tau, iterations; table "lasso": basis, lambda, iterations; table "ald":
/// gamma (γ_t = gamma·β_t, default gamma² = N/M). See docs/RESULTS.md.
#[derive(Debug, Parser)]
#[command(name = "qcs-eval", version, about, long_about)]
struct Args {
    /// The sweep's TOML config (e.g. host/experiments/tiny.toml).
    config: PathBuf,
    /// Output directory (default: docs/results/NAME with NAME from the config, where docs/RESULTS.md links it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The ONNX score model for qcs-sgm.
    #[arg(long, default_value_os_t = data::models_dir().join("ncsnv2-mnist.onnx"))]
    model: PathBuf,
    /// Images reconstructed at once, each on its own thread with its own network prior
    /// (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// OS threads of each image's network prior, the chains split over them (default: the
    /// cores left per job, at least 1; only helps with samples ≥ 2).
    #[arg(long)]
    prior_threads: Option<usize>,
    /// Override the config's number of test images (the first K digits).
    #[arg(long)]
    images: Option<usize>,
    /// Only rewrite the table, plots and panels from the existing CSV.
    #[arg(long)]
    summarize_only: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let mut config = Config::from_file(&a.config)?;
    if let Some(k) = a.images {
        config.images = k;
        config.validate()?;
    }
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("docs/results").join(&config.name));
    if a.summarize_only {
        eval::summarize(&config, &out)?;
        println!("wrote {}/results.md and plots", out.display());
        return Ok(());
    }
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    ensure!(jobs >= 1, "--jobs must be at least 1");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let prior_threads = a.prior_threads.unwrap_or((cores / jobs).max(1));
    ensure!(prior_threads >= 1, "--prior-threads must be at least 1");
    std::fs::create_dir_all(&out)?;
    std::fs::copy(&a.config, out.join("config.toml"))?;
    let s = eval::run(
        &config,
        &RunOptions {
            out: out.clone(),
            model: a.model,
            jobs,
            prior_threads,
            progress: !a.quiet,
        },
    )?;
    println!(
        "{}: {} (cell, image) jobs, {} already done, {} run now; wrote {}/results.csv, results.md, *.svg, panel_*.png",
        config.name,
        s.total,
        s.skipped,
        s.done,
        out.display()
    );
    Ok(())
}
