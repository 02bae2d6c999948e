//! The C sensor firmware (`firmware-sim/c`: `main.c` on the C API `libqcs_ffi.a`) under QEMU:
//! its 16 frames byte-identical to the Rust firmware's and to the host's `qcs-core` frames.
//!
//! Needs `qemu-system-arm` and `arm-none-eabi-gcc` (fails with instructions without them)
//! unless `QCS_SKIP_QEMU=1`.

use qcs_core::frame::{self, FrameHeader, QuantizerSpec, SignalShape};
use qcs_core::operator::{Scaling, SeededGaussian, Structured};
use qcs_core::quantizer::{Quantizer, UniformQuantizer};
use qcs_core::rng::stream_rng;
use qcs_core::sensor;
use qcs_integration::*;
use std::collections::BTreeMap;

const QEMU_TIMEOUT_S: u32 = 120;

/// `FRAME <id> <hex>` frames by id.
fn frames(stdout: &str) -> BTreeMap<String, Vec<u8>> {
    data_lines(stdout)
        .iter()
        .filter(|l| l.kind == "FRAME")
        .map(|l| (l.words[0].clone(), from_hex(&l.words[1])))
        .collect()
}

/// The frame of job `index` as the host computes it (the jobs of `firmware-sim/src/sensor.rs`:
/// digit, then seeded/structured, then 1/3 bits).
fn host_frame(digits: &[u8], index: usize) -> Vec<u8> {
    let (digit, structured, bits) = (index / 4, (index / 2) % 2 == 1, [1u8, 3][index % 2]);
    let (n, m) = (784, 200);
    let x: Vec<f32> = digits[digit * 784..(digit + 1) * 784]
        .iter()
        .map(|&b| f32::from(b) / 255.0)
        .collect();
    let q = if bits == 1 {
        UniformQuantizer::sign()
    } else {
        UniformQuantizer::new(3, 0.75).unwrap()
    };
    let seed = 0x5EED_0000_0000_0000 + index as u64;
    let mut noise = stream_rng(2026, index as u64);
    let (mut y, mut codes) = (vec![0.0f32; m], vec![0u16; m]);
    let shape = SignalShape::image(28, 28, 1).unwrap();
    let spec = QuantizerSpec::Uniform {
        bits: q.bits(),
        delta: q.delta(),
    };
    let header = if structured {
        let op = Structured::new(seed, m, n, Scaling::PerMeasurement).unwrap();
        let mut scratch = vec![0.0f32; n];
        sensor::measure(
            &op,
            &x,
            0.05,
            &mut noise,
            &q,
            &mut y,
            &mut codes,
            &mut scratch,
        )
        .unwrap();
        FrameHeader::for_measurement(shape, &op, spec, 0.05, index as u32).unwrap()
    } else {
        let op = SeededGaussian::new(seed, m, n, Scaling::PerMeasurement).unwrap();
        sensor::measure(&op, &x, 0.05, &mut noise, &q, &mut y, &mut codes, &mut []).unwrap();
        FrameHeader::for_measurement(shape, &op, spec, 0.05, index as u32).unwrap()
    };
    let mut out = vec![0u8; frame::encoded_len(&header).unwrap()];
    frame::encode_codes(&header, &codes, &mut out).unwrap();
    out
}

#[test]
fn c_firmware_frames_equal_the_rust_firmware_and_the_host() {
    if skip_qemu() {
        eprintln!("QCS_SKIP_QEMU=1: skipping the C firmware test");
        return;
    }
    require_qemu();
    require_arm_gcc();
    let c_run = run_qemu(&build_c_firmware(), QEMU_TIMEOUT_S, &firmware_dir());
    assert_eq!(c_run.status, 0, "{}\n{}", c_run.stdout, c_run.stderr);
    assert!(
        c_run.stdout.contains("\nDONE ok frames=16"),
        "{}",
        c_run.stdout
    );
    assert!(!c_run.stdout.contains("ERROR") && !c_run.stdout.contains("PANIC"));
    let c_frames = frames(&c_run.stdout);

    let rust_elf = build_firmware("default", &[], false);
    let rust_run = run_qemu(&rust_elf, QEMU_TIMEOUT_S, &firmware_dir());
    assert_eq!(rust_run.status, 0, "{}", rust_run.stdout);
    let rust_frames = frames(&rust_run.stdout);
    let rust_sensor: BTreeMap<_, _> = rust_frames
        .into_iter()
        .filter(|(id, _)| id.parse::<usize>().is_ok())
        .collect();

    assert_eq!(c_frames.len(), 16);
    assert_eq!(
        c_frames, rust_sensor,
        "C firmware frames vs the Rust firmware's"
    );
    let digits = std::fs::read(firmware_dir().join("data/digits.bin")).unwrap();
    for (id, bytes) in &c_frames {
        let index: usize = id.parse().unwrap();
        assert_eq!(
            bytes,
            &host_frame(&digits, index),
            "frame {index} vs the host"
        );
    }
}
