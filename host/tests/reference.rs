//! The host against the independent PyTorch reference (`models/`):
//!
//! * tract runs the exported network as PyTorch does (the export's golden pair, ≤ 1e-4);
//! * the core's sampler with the tract prior reproduces the reference sampler's iterates
//!   (`models/reference/sampler.py golden`): same A, y, σ, schedule, start and Langevin noise
//!   (the noise follows the core's seeding recipe, which the reference transcribes), within the
//!   tolerance the reference measured between two correct implementations
//!   (`models/reference/README.md`).

use qcs_core::langevin::{Balance, Sampler, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::DenseOperator;
use qcs_core::rng::stream_rng;
use qcs_host::data::read_f32_le;
use qcs_host::model::{Device, ScoreModel};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::reconstruct::{HeapBuffers, SamplerSettings};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn model_path() -> PathBuf {
    models().join("ncsnv2-mnist.onnx")
}

/// The golden files must belong to the committed model, or the comparison means nothing.
fn check_model_hash(expected: &Value, what: &str) {
    let expected = expected.as_str().expect("sha256 string");
    assert_eq!(
        sha256_hex(&model_path()),
        expected,
        "{what} was made with another model than models/ncsnv2-mnist.onnx: regenerate it"
    );
}

#[test]
fn tract_matches_pytorch_golden_pair() {
    let dir = models().join("golden");
    let meta = json(&dir.join("golden.json"));
    check_model_hash(&meta["model_sha256"], "models/golden");
    let input = read_f32_le(&dir.join(meta["input_file"].as_str().unwrap())).unwrap();
    let expected = read_f32_le(&dir.join(meta["output_file"].as_str().unwrap())).unwrap();
    let shape: Vec<usize> = meta["input_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let (b, img) = (shape[0], [shape[1], shape[2], shape[3]]);
    let n: usize = img.iter().product();
    let model = ScoreModel::load(&model_path()).unwrap();

    // The whole batch in one plan, and each image through a batch-1 plan (what the CPU prior runs).
    let mut out = vec![0.0; b * n];
    model
        .plan(Device::Cpu, b, img)
        .unwrap()
        .spawn()
        .unwrap()
        .body(&input, &mut out)
        .unwrap();
    let mut single = vec![0.0; b * n];
    let mut state = model.plan(Device::Cpu, 1, img).unwrap().spawn().unwrap();
    for (x, o) in input.chunks(n).zip(single.chunks_mut(n)) {
        state.body(x, o).unwrap();
    }
    for (name, got) in [("batch plan", &out), ("batch-1 plan", &single)] {
        let worst = got
            .iter()
            .zip(&expected)
            .map(|(a, e)| (a - e).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-4,
            "{name}: tract differs from PyTorch by {worst:e} (> 1e-4)"
        );
    }
    // The output is not trivially small: the tolerance means something.
    let scale = expected.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(scale > 0.1, "golden output max |body| = {scale}");
}

struct Golden {
    dir: PathBuf,
    meta: Value,
}

impl Golden {
    fn load() -> Self {
        let dir = models().join("reference/golden");
        let meta = json(&dir.join("golden.json"));
        check_model_hash(&meta["onnx_sha256"], "models/reference/golden");
        Golden { dir, meta }
    }

    fn f32s(&self, name: &str) -> Vec<f32> {
        read_f32_le(&self.dir.join(name)).unwrap()
    }

    /// Bin bounds, where ±∞ marks the open outer bins.
    fn bounds(&self, name: &str) -> Vec<f32> {
        let bytes = std::fs::read(self.dir.join(name)).unwrap();
        let v: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert!(v.iter().all(|x| !x.is_nan()), "{name}: NaN bound");
        v
    }
}

/// Replays one golden case and compares every stored record.
fn replay(case: &str) {
    let g = Golden::load();
    let c = &g.meta["cases"][case];
    let (n, m) = (
        g.meta["N"].as_u64().unwrap() as usize,
        g.meta["M"].as_u64().unwrap() as usize,
    );
    let sigma = g.meta["sigma"].as_f64().unwrap() as f32;
    let levels = c["levels"].as_u64().unwrap() as u32;
    let k = c["K"].as_u64().unwrap() as u32;
    let chains = c["chains"].as_u64().unwrap() as usize;
    let eps = c["epsilon"].as_f64().unwrap() as f32;
    let seed = c["noise_seed"].as_u64().unwrap();
    let schedule = Schedule::new(
        c["beta_1"].as_f64().unwrap() as f32,
        c["beta_T"].as_f64().unwrap() as f32,
        levels,
        k,
        eps,
    )
    .unwrap();
    // The schedule itself: the core's β_t and α_t against the reference's float32 values.
    for (t, (b, a)) in c["beta_f32"]
        .as_array()
        .unwrap()
        .iter()
        .zip(c["alpha_f32"].as_array().unwrap())
        .enumerate()
    {
        let (b, a) = (b.as_f64().unwrap() as f32, a.as_f64().unwrap() as f32);
        let (rb, ra) = (schedule.beta(t as u32), schedule.step_size(t as u32));
        assert!(
            (rb - b).abs() <= 2e-6 * b,
            "{case}: β_{t} = {rb}, reference {b}"
        );
        assert!(
            (ra - a).abs() <= 1e-5 * a,
            "{case}: α_{t} = {ra}, reference {a}"
        );
    }

    let a = g.f32s("A.f32");
    let op = DenseOperator::new(&a, m, n).unwrap();
    let (signs, lo, hi, y) = (
        g.f32s("y_onebit.f32"),
        g.bounds("lo_quantized3.f32"),
        g.bounds("hi_quantized3.f32"),
        g.f32s("y_linear.f32"),
    );
    let meas = match c["measurement"].as_str().unwrap() {
        "onebit" => Measurements::one_bit(&signs),
        "quantized3" => Measurements::quantized(&lo, &hi),
        "linear" => Measurements::linear_diagonal(&y),
        other => panic!("unknown measurement {other}"),
    };
    let lik = PseudoLikelihood::new(meas, sigma).unwrap();
    let model = ScoreModel::load(&model_path()).unwrap();
    let mut prior = NetworkPrior::new(
        &model,
        [1, 28, 28],
        chains,
        PriorConfig::default_for(Device::Cpu, chains),
    )
    .unwrap();

    let mut heap = HeapBuffers::for_op(&op, chains);
    let buffers = heap.buffers();
    let mut rngs: Vec<_> = (0..chains).map(|b| stream_rng(seed, b as u64)).collect();
    let mut sampler = Sampler::new(&op, lik, schedule, buffers, &mut rngs).unwrap();
    sampler.init_uniform();
    let x0 = g.f32s(&format!("{case}_x0.f32"));
    assert_eq!(
        sampler.x(),
        &x0[..],
        "{case}: the start x0 is not bit-identical to the reference's"
    );

    let records = g.f32s(&format!("{case}_iterates_f32.f32"));
    let full = case.ends_with("_full");
    let per_record = if full { k as usize } else { 1 };
    let rel = if full { 3e-5 } else { 1e-5 };
    let mut worst_rel = 0.0f32;
    for (r, rec) in records.chunks(chains * n).enumerate() {
        for _ in 0..per_record {
            sampler.step(&mut prior).unwrap();
        }
        let scale = rec.iter().map(|v| v.abs()).fold(1.0f32, f32::max);
        let diff = sampler
            .x()
            .iter()
            .zip(rec)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        worst_rel = worst_rel.max(diff / scale);
        assert!(
            diff <= rel * scale + 1e-4,
            "{case}: record {r}: max |rust − torch| = {diff:e} with max |x| = {scale} (tolerance {rel:e}·max(1, max|x|) + 1e-4)"
        );
    }
    assert!(
        sampler.is_finished(),
        "{case}: records do not cover the schedule"
    );
    eprintln!(
        "{case}: {} records, worst difference {worst_rel:e} of max(1, max|x|)",
        records.len() / (chains * n)
    );
}

#[test]
fn sampler_reproduces_reference_one_bit_short() {
    replay("onebit_short");
}

#[test]
fn sampler_reproduces_reference_quantized_short() {
    replay("quantized3_short");
}

#[test]
fn sampler_reproduces_reference_linear_short() {
    replay("linear_short");
}

#[test]
fn sampler_reproduces_reference_one_bit_full_schedule() {
    replay("onebit_full");
}

/// The host reaches the reference sampler's PSNR on fixed test digits (one-bit, M = 200,
/// σ = 0.05, the paper's full schedule, one chain per digit): mean within 0.3 dB.
#[test]
fn host_reaches_reference_psnr_on_fixed_digits() {
    let g = Golden::load();
    let d = &g.meta["digits"];
    let count = d["count"].as_u64().unwrap() as usize;
    let (n, m) = (
        g.meta["N"].as_u64().unwrap() as usize,
        g.meta["M"].as_u64().unwrap() as usize,
    );
    let sigma = d["sigma"].as_f64().unwrap() as f32;
    let seed = d["noise_seed"].as_u64().unwrap();
    let schedule = Schedule::new(
        d["beta_1"].as_f64().unwrap() as f32,
        d["beta_T"].as_f64().unwrap() as f32,
        d["levels"].as_u64().unwrap() as u32,
        d["K"].as_u64().unwrap() as u32,
        d["epsilon"].as_f64().unwrap() as f32,
    )
    .unwrap();
    let a = g.f32s("A.f32");
    let op = DenseOperator::new(&a, m, n).unwrap();
    let (x_true, signs) = (g.f32s("digits_x.f32"), g.f32s("digits_y_onebit.f32"));
    let reference: Vec<f32> = d["psnr_clamped_final"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    let model = ScoreModel::load(&model_path()).unwrap();
    let mut rust = Vec::new();
    for k in 0..count {
        let lik = PseudoLikelihood::new(Measurements::one_bit(&signs[k * m..(k + 1) * m]), sigma)
            .unwrap();
        let mut prior = NetworkPrior::new(
            &model,
            [1, 28, 28],
            1,
            PriorConfig::default_for(Device::Cpu, 1),
        )
        .unwrap();
        let settings = SamplerSettings {
            schedule,
            chains: 1,
            seed,
            denoise: false,
            warm_start: false,
            balance: Balance::Unscaled,
        };
        // Digit k's chain is stream k of the seed, as in the reference: start from its U(0, 1) draw.
        let mut rng = stream_rng(seed, k as u64);
        let x0: Vec<f32> = (0..n).map(|_| qcs_core::rng::uniform01(&mut rng)).collect();
        let rec = reconstruct_from(&op, lik, &settings, &mut prior, &x0, rng);
        rust.push(qcs_core::metrics::psnr(&x_true[k * n..(k + 1) * n], &rec).unwrap());
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (mr, mt) = (mean(&rust), mean(&reference));
    eprintln!("PSNR per digit: rust {rust:?}, reference {reference:?}; means {mr:.3} / {mt:.3} dB");
    assert!(
        (mr - mt).abs() <= 0.3,
        "mean PSNR {mr:.3} dB vs the reference's {mt:.3} dB"
    );
}

/// One chain of Algorithm 1 from `x0` whose noise continues the generator `rng`; the final
/// iterate clamped to [0, 1].
fn reconstruct_from(
    op: &DenseOperator<'_>,
    lik: PseudoLikelihood<'_>,
    settings: &SamplerSettings,
    prior: &mut NetworkPrior,
    x0: &[f32],
    rng: qcs_core::rng::Xoshiro128PlusPlus,
) -> Vec<f32> {
    let mut heap = HeapBuffers::for_op(op, 1);
    let buffers = heap.buffers();
    buffers.x.copy_from_slice(x0);
    let mut rngs = [rng];
    let mut sampler = Sampler::new(op, lik, settings.schedule, buffers, &mut rngs).unwrap();
    sampler.run(prior).unwrap();
    sampler.x().iter().map(|v| v.clamp(0.0, 1.0)).collect()
}
