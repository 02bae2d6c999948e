//! The sensor firmware on an emulated Cortex-M4F (QEMU `mps2-an386`) against the same
//! `qcs-core` calls on this host: every frame byte-identical, the decoded frames the codes the
//! host computed, and the on-device reconstruction equal bit for bit to the host's.
//!
//! Needs `qemu-system-arm` (fails with instructions without it) unless `QCS_SKIP_QEMU=1`.

use qcs_core::frame::{self, FrameHeader, OperatorKind, QuantizerSpec, SignalShape};
use qcs_core::langevin::{Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::metrics::psnr;
use qcs_core::operator::{Scaling, SeededGaussian, SensingOperator, Structured};
use qcs_core::prior::GaussianMixturePrior;
use qcs_core::quantizer::{Quantizer, UniformQuantizer};
use qcs_core::rng::stream_rng;
use qcs_core::sensor;
use qcs_integration::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Seconds QEMU may run before `timeout` kills it (a normal run takes about 2 s).
const QEMU_TIMEOUT_S: u32 = 120;

/// The default firmware (all features but defmt), built and run once for all tests here.
fn default_run() -> Option<&'static (FirmwareRun, Vec<DataLine>)> {
    static RUN: OnceLock<(FirmwareRun, Vec<DataLine>)> = OnceLock::new();
    if skip_qemu() {
        eprintln!("QCS_SKIP_QEMU=1: skipping the firmware test");
        return None;
    }
    require_qemu();
    Some(RUN.get_or_init(|| {
        let elf = build_firmware("default", &[], false);
        let run = run_qemu(&elf, QEMU_TIMEOUT_S, &firmware_dir());
        let lines = data_lines(&run.stdout);
        (run, lines)
    }))
}

fn digits() -> Vec<u8> {
    std::fs::read(firmware_dir().join("data/digits.bin")).expect("read digits.bin")
}

/// Words of `data/recon.bin` (little-endian f32).
fn recon_data() -> Vec<f32> {
    std::fs::read(firmware_dir().join("data/recon.bin"))
        .expect("read recon.bin")
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// `FRAME <id> <hex>` frames by id.
fn frames_by_id(lines: &[DataLine]) -> BTreeMap<String, Vec<u8>> {
    lines
        .iter()
        .filter(|l| l.kind == "FRAME")
        .map(|l| {
            assert_eq!(l.words.len(), 2, "FRAME id hex: {l:?}");
            (l.words[0].clone(), from_hex(&l.words[1]))
        })
        .collect()
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
/// bit by bit: an implementation independent of the frame module's.
fn crc32_bitwise(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Checks the frame's trailing CRC-32 with [`crc32_bitwise`].
fn assert_crc(bytes: &[u8], what: &str) {
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    assert_eq!(
        u32::from_le_bytes(tail.try_into().unwrap()),
        crc32_bitwise(body),
        "{what}: CRC-32"
    );
}

fn one<'a>(lines: &'a [DataLine], kind: &str) -> &'a DataLine {
    let found: Vec<_> = lines.iter().filter(|l| l.kind == kind).collect();
    assert_eq!(found.len(), 1, "expected one {kind} line, got {found:?}");
    found[0]
}

#[test]
fn compiled_in_digits_are_the_first_mnist_test_images() {
    let images = read_idx_images(&repo_root().join("models/data/mnist-test-images-idx3-ubyte.gz"));
    let d = digits();
    assert_eq!(d.len(), 4 * 784);
    for (k, chunk) in d.chunks_exact(784).enumerate() {
        assert_eq!(chunk, &images[k][..], "digit {k}");
    }
    // The 8x8 reconstruction signal: test image 7, 2-pixel border cropped, 3x3 block means,
    // recomputed here in f64 (gen_data.py uses numpy); equal after rounding to f32 up to 1 ulp.
    let data = recon_data();
    let img = &images[7];
    for r in 0..8 {
        for c in 0..8 {
            let mut s = 0.0f64;
            for i in 0..3 {
                for j in 0..3 {
                    s += f64::from(img[(2 + 3 * r + i) * 28 + 2 + 3 * c + j]) / 255.0;
                }
            }
            let expect = (s / 9.0) as f32;
            let got = data[8 * r + c];
            assert!(
                (got.to_bits() as i64 - expect.to_bits() as i64).abs() <= 1,
                "pixel ({r},{c}): {got} vs {expect}"
            );
        }
    }
}

#[test]
fn firmware_exits_with_success_after_every_step() {
    let Some((run, lines)) = default_run() else {
        return;
    };
    assert_eq!(
        run.status, 0,
        "firmware failed (status {}):\n{}\n{}",
        run.status, run.stdout, run.stderr
    );
    assert!(!run.stdout.contains("PANIC") && !run.stdout.contains("ERROR"));
    let header = one(lines, "QCS-FW");
    assert_eq!(header.get("target"), "thumbv7em-none-eabihf");
    let done = one(lines, "DONE");
    assert_eq!(done.words, ["ok"]);
    assert_eq!(done.usize("frames"), 16);
    let stack = one(lines, "STACK");
    let peak = stack.usize("peak");
    assert!(peak > 256 && peak < 64 * 1024, "peak stack {peak}");
}

/// Builds and runs a failure self-test variant of the firmware.
fn selftest(feature: &str) -> Option<FirmwareRun> {
    if skip_qemu() {
        eprintln!("QCS_SKIP_QEMU=1: skipping the firmware test");
        return None;
    }
    require_qemu();
    let elf = build_firmware(feature, &[feature], false);
    Some(run_qemu(&elf, QEMU_TIMEOUT_S, &firmware_dir()))
}

#[test]
fn a_failing_core_call_ends_the_run_with_failure() {
    let Some(run) = selftest("selftest-error") else {
        return;
    };
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("\nERROR qcs-core: `rows` is empty\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("DONE"));
}

#[test]
fn a_panic_is_reported_and_ends_the_run_with_failure() {
    let Some(run) = selftest("selftest-panic") else {
        return;
    };
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("PANIC at src/main.rs:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(": selftest panic\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("DONE"));
}

#[test]
fn riscv_frames_equal_the_cortex_m4f_frames() {
    // The same sensor code (firmware-sim/riscv includes src/sensor.rs) on a core without an
    // FPU: every f32 operation in software, and still the same bits.
    let Some((_, arm_lines)) = default_run() else {
        return;
    };
    require_qemu_riscv();
    let elf = build_riscv_firmware();
    let run = run_qemu_riscv(&elf, QEMU_TIMEOUT_S, &firmware_dir());
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = data_lines(&run.stdout);
    assert_eq!(
        one(&lines, "QCS-FW").get("target"),
        "riscv32imac-unknown-none-elf"
    );
    assert_eq!(one(&lines, "DONE").usize("frames"), 16);
    let select = |lines: &[DataLine], kind: &str| -> Vec<DataLine> {
        lines
            .iter()
            .filter(|l| l.kind == kind && l.words.first().is_some_and(|w| w != "R"))
            .cloned()
            .collect()
    };
    for kind in ["JOB", "FRAME"] {
        let (rv, arm) = (select(&lines, kind), select(arm_lines, kind));
        assert_eq!(rv.len(), 16, "{kind} lines");
        assert_eq!(rv, arm, "{kind} lines: RISC-V != Cortex-M4F");
    }
}

#[test]
fn firmware_frames_are_byte_identical_to_the_host() {
    let Some((_, lines)) = default_run() else {
        return;
    };
    let digits = digits();
    let frames = frames_by_id(lines);
    let jobs: Vec<&DataLine> = lines.iter().filter(|l| l.kind == "JOB").collect();
    // The job table: 4 digits × {seeded, structured} × {1, 3} bits, in that order.
    assert_eq!(jobs.len(), 16);
    assert_eq!(
        frames.len(),
        17,
        "16 sensor frames and the reconstruction's"
    );
    let mut seeds = std::collections::BTreeSet::new();
    for (i, job) in jobs.iter().enumerate() {
        assert_eq!(job.words, [i.to_string()]);
        assert_eq!(job.usize("digit"), i / 4);
        assert_eq!(job.get("op"), ["seeded", "structured"][(i / 2) % 2]);
        assert_eq!(job.usize("bits"), [1, 3][i % 2]);
        assert!(seeds.insert(job.hex_u64("seed")), "seeds differ");
    }
    for (i, job) in jobs.iter().enumerate() {
        let (n, m, bits) = (job.usize("n"), job.usize("m"), job.usize("bits") as u8);
        assert_eq!((n, m), (784, 200));
        let digit = job.usize("digit");
        let x: Vec<f32> = (0..n)
            .map(|k| f32::from(digits[digit * 784 + k % 784]) / 255.0)
            .collect();
        let sigma = job.f32_bits("sigma");
        let q = if bits == 1 {
            UniformQuantizer::sign()
        } else {
            UniformQuantizer::new(bits, job.f32_bits("delta")).unwrap()
        };
        assert_eq!(q.delta().to_bits(), job.f32_bits("delta").to_bits());
        let noise_seed = job.hex_u64("noise_seed");
        let (mut y, mut host_codes) = (vec![0.0f32; m], vec![0u16; m]);
        let seed = job.hex_u64("seed");
        let shape = SignalShape::image(28, 28, 1).unwrap();
        let spec = QuantizerSpec::Uniform {
            bits: q.bits(),
            delta: q.delta(),
        };
        let mut host_frame = vec![0u8; 1024];
        let len = match job.get("op") {
            "seeded" => {
                let op = SeededGaussian::new(seed, m, n, Scaling::PerMeasurement).unwrap();
                let mut noise = stream_rng(noise_seed, i as u64);
                sensor::measure(
                    &op,
                    &x,
                    sigma,
                    &mut noise,
                    &q,
                    &mut y,
                    &mut host_codes,
                    &mut [],
                )
                .unwrap();
                let header =
                    FrameHeader::for_measurement(shape, &op, spec, sigma, i as u32).unwrap();
                frame::encode_codes(&header, &host_codes, &mut host_frame).unwrap()
            }
            "structured" => {
                let op = Structured::new(seed, m, n, Scaling::PerMeasurement).unwrap();
                let mut scratch = vec![0.0f32; op.scratch_len()];
                let mut noise = stream_rng(noise_seed, i as u64);
                sensor::measure(
                    &op,
                    &x,
                    sigma,
                    &mut noise,
                    &q,
                    &mut y,
                    &mut host_codes,
                    &mut scratch,
                )
                .unwrap();
                let header =
                    FrameHeader::for_measurement(shape, &op, spec, sigma, i as u32).unwrap();
                frame::encode_codes(&header, &host_codes, &mut host_frame).unwrap()
            }
            other => panic!("unknown operator {other}"),
        };
        host_frame.truncate(len);
        let device_frame = frames.get(&i.to_string()).expect("a frame per job");
        assert_eq!(
            device_frame, &host_frame,
            "job {i}: device frame != host frame"
        );
        assert_crc(device_frame, &format!("job {i}"));

        // Decoding the device's frame: the header states the job's settings, the payload the
        // host's codes, which are Q(y) for the host's y.
        let decoded = frame::decode(device_frame).unwrap();
        let h = decoded.header();
        assert_eq!((h.n(), h.m(), h.counter), (n, m, i as u32));
        assert_eq!(
            (h.signal.height, h.signal.width, h.signal.channels),
            (28, 28, 1)
        );
        assert_eq!(h.sigma.to_bits(), sigma.to_bits());
        assert_eq!(h.operator.seed, seed);
        assert_eq!(h.operator.scaling, Scaling::PerMeasurement);
        let kind = [OperatorKind::SeededGaussian, OperatorKind::Structured][(i / 2) % 2];
        assert_eq!(h.operator.kind, kind);
        let mut decoded_codes = vec![0u16; m];
        decoded.unpack_codes(&mut decoded_codes).unwrap();
        assert_eq!(decoded_codes, host_codes);
        let fq = decoded.quantizer(&mut []).unwrap();
        assert_eq!(fq.bits(), bits);
        for (&c, &v) in decoded_codes.iter().zip(&y) {
            let (lo, hi) = fq.interval(c).unwrap();
            assert!(lo <= v && v < hi, "job {i}: y = {v} outside bin {c}");
        }
        // The operator the frame describes is the one that measured: y again from it.
        let fop = decoded.operator().unwrap();
        let mut z = vec![0.0f32; m];
        let mut scratch = vec![0.0f32; fop.scratch_len()];
        let mut noise = stream_rng(noise_seed, i as u64);
        sensor::measure_linear(&fop, &x, h.sigma, &mut noise, &mut z, &mut scratch).unwrap();
        assert!(
            z.iter().zip(&y).all(|(a, b)| a.to_bits() == b.to_bits()),
            "job {i}: frame operator"
        );
        // Not a constant frame: both codes occur (one-bit) / several levels (3-bit).
        let distinct: std::collections::BTreeSet<_> = decoded_codes.iter().collect();
        assert!(distinct.len() >= 2, "job {i}: degenerate codes");
    }
}

#[test]
fn on_device_reconstruction_is_bit_identical_to_the_host() {
    let Some((_, lines)) = default_run() else {
        return;
    };
    let p = one(lines, "RECON");
    let (n, m, chains) = (p.usize("n"), p.usize("m"), p.usize("chains"));
    assert_eq!((n, m, chains), (64, 128, 4));
    let data = recon_data();
    const K: usize = 10;
    assert_eq!(data.len(), n + K * n + 2 * K);
    let signal = &data[..n];
    let means = &data[n..n + K * n];
    let variances: [f32; K] = data[n + K * n..n + K * n + K].try_into().unwrap();
    let weights: [f32; K] = data[n + K * n + K..].try_into().unwrap();

    // The device's frame of the small problem, decoded.
    let device_frame = &frames_by_id(lines)["R"];
    assert_crc(device_frame, "reconstruction frame");
    let received = frame::decode(device_frame).unwrap();
    let h = received.header();
    assert_eq!((h.n(), h.m()), (n, m));
    assert_eq!(
        (h.signal.height, h.signal.width, h.signal.channels),
        (8, 8, 1)
    );
    assert_eq!(h.operator.kind, OperatorKind::SeededGaussian);
    let sigma = h.sigma;
    let op = received.operator().unwrap();

    // The sensor side on the host, with the frame's operator and settings, gives that frame.
    let q = UniformQuantizer::sign();
    let (mut y, mut host_codes) = (vec![0.0f32; m], vec![0u16; m]);
    let mut noise = stream_rng(p.hex_u64("noise_seed"), 0);
    sensor::measure(
        &op,
        signal,
        sigma,
        &mut noise,
        &q,
        &mut y,
        &mut host_codes,
        &mut [],
    )
    .unwrap();
    let spec = QuantizerSpec::Uniform {
        bits: q.bits(),
        delta: q.delta(),
    };
    let header = FrameHeader::for_measurement(h.signal, &op, spec, sigma, h.counter).unwrap();
    let mut host_frame = vec![0u8; frame::encoded_len(&header).unwrap()];
    frame::encode_codes(&header, &host_codes, &mut host_frame).unwrap();
    assert_eq!(device_frame, &host_frame, "reconstruction frame");

    // The receiver on the host, from the decoded device frame.
    let mut codes = vec![0u16; m];
    received.unpack_codes(&mut codes).unwrap();
    let mut signs = vec![0.0f32; m];
    sensor::signs_from_codes(&codes, &mut signs).unwrap();
    let likelihood = PseudoLikelihood::new(Measurements::one_bit(&signs), sigma).unwrap();
    let schedule = Schedule::new(
        p.f32_bits("beta_max"),
        p.f32_bits("beta_min"),
        p.usize("levels") as u32,
        p.usize("steps") as u32,
        p.f32_bits("epsilon"),
    )
    .unwrap();
    let mut prior = GaussianMixturePrior::<K>::new(weights, means, variances).unwrap();
    let layout = SamplerLayout::new(n, m, chains);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let buffers = layout.split(&mut slab).unwrap();
    let mut rngs: Vec<_> = (0..chains)
        .map(|b| stream_rng(p.hex_u64("chain_seed"), b as u64))
        .collect();
    let mut sampler = Sampler::new(&op, likelihood, schedule, buffers, &mut rngs).unwrap();
    sampler.init_uniform();
    sampler.run(&mut prior).unwrap();
    let host_x = sampler.x().to_vec();

    let device_x = f32s_from_hex(&one(lines, "XHAT").words[0]);
    assert_eq!(device_x.len(), chains * n);
    let differing = host_x
        .iter()
        .zip(&device_x)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    assert_eq!(
        differing,
        0,
        "{differing} of {} iterates differ",
        host_x.len()
    );

    let mut mean = vec![0.0f32; n];
    for chain in host_x.chunks_exact(n) {
        for (a, &v) in mean.iter_mut().zip(chain) {
            *a += v;
        }
    }
    for a in mean.iter_mut() {
        *a /= chains as f32;
    }
    let device_mean = f32s_from_hex(&one(lines, "MEAN").words[0]);
    assert!(mean
        .iter()
        .zip(&device_mean)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    let host_psnr = psnr(signal, &mean).unwrap();
    let device_psnr = one(lines, "PSNR");
    assert_eq!(
        u32::from_str_radix(&device_psnr.words[0], 16).unwrap(),
        host_psnr.to_bits()
    );

    // The reconstruction uses the measurements: it beats the prior's own mean image by 2 dB
    // (measured: 16.0 vs 13.3 dB), and the class mean nearest to it is the digit's class, 7
    // (test image 7; the test labels run 0, 1, ..., 9).
    let labels = read_idx_labels(&repo_root().join("models/data/mnist-test-labels-idx1-ubyte.gz"));
    assert_eq!(labels[7], 7);
    let mut prior_mean = vec![0.0f32; n];
    let total: f32 = weights.iter().sum();
    for (k, mu) in means.chunks_exact(n).enumerate() {
        for (a, &v) in prior_mean.iter_mut().zip(mu) {
            *a += weights[k] / total * v;
        }
    }
    let baseline = psnr(signal, &prior_mean).unwrap();
    assert!(
        host_psnr > baseline + 2.0,
        "reconstruction PSNR {host_psnr} dB vs prior mean {baseline} dB"
    );
    let nearest = (0..K)
        .min_by(|&a, &b| {
            let d = |k: usize| qcs_core::metrics::mse(&mean, &means[k * n..(k + 1) * n]).unwrap();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    assert_eq!(nearest, usize::from(labels[7]), "nearest class mean");
}
