//! A full reconstruction (paper schedule, 1,160 network calls) with the Rust host and with the
//! PyTorch reference sampler (network in PyTorch, and in onnxruntime for the network-time
//! comparison), in one run on the same machine, at 1 and at 8 posterior samples.
//!
//! ```text
//! cargo bench -p qcs-host --bench reconstruction            # needs python3 with torch, numpy
//! QCS_BENCH_LEVELS=20 cargo bench -p qcs-host --bench reconstruction   # a quick look
//! ```
//!
//! Each configuration runs in a child process of its own, so the peak resident memory
//! (`VmHWM`, `ru_maxrss`) is that of one reconstruction. Reports seconds, the ratio, the share
//! of the Rust time spent outside the network (likelihood, operator, noise) and peak memory.

use qcs_core::langevin::{Balance, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, Scaling, SeededGaussian};
use qcs_core::quantizer::UniformQuantizer;
use qcs_core::{rng, sensor};
use qcs_host::model::{Device, ScoreModel};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::reconstruct::{reconstruct, SamplerSettings};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn levels() -> u32 {
    std::env::var("QCS_BENCH_LEVELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Schedule::PAPER_MNIST.levels)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One Rust reconstruction of test digit 0 (one-bit, M = 200, σ = 0.05, A ~ N(0, 1/M)).
fn child(chains: usize) -> Value {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let (images, _) = qcs_host::data::shipped_test_digits().expect("shipped data");
    let x = images.image(0).unwrap();
    let (m, n, sigma) = (200, 784, 0.05);
    let seeded = SeededGaussian::new(12345, m, n, Scaling::PerMeasurement).unwrap();
    let (mut y, mut codes, mut signs) = (vec![0.0; m], vec![0u16; m], vec![0.0; m]);
    let mut noise = rng::stream_rng(1, 0);
    sensor::measure(
        &seeded,
        x,
        sigma,
        &mut noise,
        &UniformQuantizer::sign(),
        &mut y,
        &mut codes,
        &mut [],
    )
    .unwrap();
    sensor::signs_from_codes(&codes, &mut signs).unwrap();
    let mut a = vec![0.0; m * n];
    seeded.materialize(&mut a).unwrap();
    let op = DenseOperator::new(&a, m, n).unwrap();
    let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), sigma).unwrap();
    let model = ScoreModel::load(&models.join("ncsnv2-mnist.onnx")).unwrap();
    let mut prior = NetworkPrior::new(
        &model,
        [1, 28, 28],
        chains,
        PriorConfig::default_for(Device::Cpu, chains),
    )
    .unwrap();
    let schedule = Schedule {
        levels: levels(),
        ..Schedule::PAPER_MNIST
    };
    let settings = SamplerSettings {
        schedule,
        chains,
        seed: 7,
        denoise: false,
        warm_start: false,
        balance: Balance::Unscaled,
    };
    let rec = reconstruct(&op, lik, &settings, &mut prior, None, |_| {}).unwrap();
    json!({
        "engine": "rust+tract",
        "chains": chains,
        "threads": prior.threads(),
        "seconds": rec.seconds,
        "network_seconds": prior.busy().as_secs_f64(),
        "network_calls": prior.calls(),
        "peak_rss_mb": peak_rss_mb(),
    })
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("a JSON line");
    serde_json::from_str(line).expect("JSON")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let chains = args[i + 1].parse().unwrap();
        println!("{}", child(chains));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes bench binaries
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ckpt = root.join("models/train/checkpoint.pt");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "| samples | Rust + tract, s | PyTorch reference, s | PyTorch / Rust | network time: tract / onnxruntime | Rust share outside the network | peak RSS Rust / PyTorch / ort, MB |"
    );
    println!("|---|---|---|---|---|---|---|");
    for chains in [1usize, 8] {
        let exe = std::env::current_exe().unwrap();
        let rust = run_json(Command::new(exe).args(["--child", &chains.to_string()]));
        let reference = |engine: &str| {
            run_json(
                Command::new("python3")
                    .current_dir(&root)
                    .args(["-m", "models.reference.bench"])
                    .args(["--checkpoint", ckpt.to_str().unwrap(), "--engine", engine])
                    .args([
                        "--chains",
                        &chains.to_string(),
                        "--threads",
                        &threads.to_string(),
                    ])
                    .args(["--levels", &levels().to_string()]),
            )
        };
        let (torch, ort) = (reference("torch"), reference("ort"));
        let secs = |v: &Value, k: &str| v[k].as_f64().unwrap();
        let rs = secs(&rust, "seconds");
        println!(
            "| {chains} | {rs:.1} | {:.1} | {:.2}× | {:.2}× | {:.2}% | {:.0} / {:.0} / {:.0} |",
            secs(&torch, "seconds"),
            secs(&torch, "seconds") / rs,
            secs(&rust, "network_seconds") / secs(&ort, "network_seconds"),
            100.0 * (1.0 - secs(&rust, "network_seconds") / rs),
            secs(&rust, "peak_rss_mb"),
            secs(&torch, "peak_rss_mb"),
            secs(&ort, "peak_rss_mb"),
        );
        eprintln!("rust: {rust}\ntorch: {torch}\nort: {ort}");
    }
    println!(
        "\n({} levels × 5 steps; {threads} threads for both engines)",
        levels()
    );
}
