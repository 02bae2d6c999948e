//! Any image shape (issue 14): a colour frame (3 × 32 × 32, channels last as frames store it)
//! through measure → frame → reconstruct with a small randomly initialised NCSNv2 exported for
//! `[batch, 3, 32, 32]` (`tests/data/models/make_colour_model.py`), and the prior's layout
//! against PyTorch's output for that model.

mod common;

use common::{fails_with, ok, p, qcs, tmp_in};
use qcs_core::frame;
use qcs_core::langevin::ScorePrior;
use qcs_core::operator::SensingOperator;
use qcs_host::data::read_f32_le;
use qcs_host::model::{Device, ScoreModel};
use qcs_host::prior::{chw_to_hwc, NetworkPrior, PriorConfig};
use std::path::{Path, PathBuf};

const C: usize = 3;
const H: usize = 32;
const W: usize = 32;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    tmp_in("colour", name)
}

#[test]
fn the_prior_hands_the_network_channels_first_and_returns_channels_last() {
    // PyTorch's body on a fixed NCHW input; the host gets the same images channels last.
    let x_chw = read_f32_le(&data("ncsnv2_rgb32_x.f32")).unwrap();
    let body_chw = read_f32_le(&data("ncsnv2_rgb32_body.f32")).unwrap();
    let len = C * H * W;
    assert_eq!(x_chw.len(), 2 * len);
    let to_hwc = |v: &[f32]| -> Vec<f32> {
        let mut out = vec![0.0; v.len()];
        for (a, b) in v.chunks(len).zip(out.chunks_mut(len)) {
            chw_to_hwc(a, b, C, H * W);
        }
        out
    };
    let (x, want) = (to_hwc(&x_chw), to_hwc(&body_chw));
    let model = ScoreModel::load(&data("ncsnv2_rgb32.onnx")).unwrap();
    for threads in [1, 2] {
        let config = PriorConfig {
            device: Device::Cpu,
            plan_batch: 1,
            threads,
        };
        let mut prior = NetworkPrior::new(&model, [C, H, W], 2, config).unwrap();
        let mut got = vec![0.0; 2 * len];
        // β = 1: the score is the body itself.
        prior.score(&x, 1.0, &mut got).unwrap();
        let diff = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // tract against PyTorch float32, as the shipped model's golden pair (≤ 1e-4).
        assert!(
            diff <= 1e-4,
            "{threads} thread(s): max |tract − torch| = {diff:e}"
        );
    }
    // The check has teeth: the channels-first values read as channels last are far off.
    let wrong = body_chw
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(wrong > 0.1, "the layouts differ by only {wrong}");
}

/// A 32 × 32 RGB PNG: a red square, a green bar and a blue gradient on black.
fn colour_png(path: &Path) -> Vec<f32> {
    let mut rgb = vec![0u8; H * W * 3];
    for y in 0..H {
        for x in 0..W {
            let px = &mut rgb[(y * W + x) * 3..(y * W + x + 1) * 3];
            if (8..20).contains(&y) && (6..18).contains(&x) {
                px[0] = 230;
            }
            if (22..28).contains(&y) {
                px[1] = 200;
            }
            px[2] = (x * 8) as u8;
        }
    }
    qcs_host::image::write_png_rgb(path, &rgb, H, W).unwrap();
    rgb.iter().map(|&v| f32::from(v) / 255.0).collect()
}

#[test]
fn a_colour_image_goes_through_measure_frame_and_reconstruct() {
    let png = tmp("square.png");
    let truth = colour_png(&png);
    let frame_path = tmp("square.qcsf");
    ok(&qcs(&[
        "measure",
        "--png",
        p(&png),
        "--channels",
        "3",
        "--measurements",
        "600",
        "--bits",
        "1",
        "-o",
        p(&frame_path),
    ]));
    let bytes = std::fs::read(&frame_path).unwrap();
    let f = frame::decode(&bytes).unwrap();
    let s = f.header().signal;
    assert_eq!((s.height, s.width, s.channels, s.n), (32, 32, 3, 3072));
    // The frame's signal is the PNG's pixels channels last: an unquantized, noiseless frame
    // of the same PNG carries exactly A·x for x in that order (A from the frame's seed).
    let lin = tmp("square-linear.qcsf");
    ok(&qcs(&[
        "measure",
        "--png",
        p(&png),
        "--channels",
        "3",
        "--measurements",
        "50",
        "--bits",
        "0",
        "--sigma",
        "0",
        "-o",
        p(&lin),
    ]));
    let lin_bytes = std::fs::read(&lin).unwrap();
    let g = frame::decode(&lin_bytes).unwrap();
    let mut y = vec![0.0f32; 50];
    g.values(&mut y).unwrap();
    let frame::FrameOperator::SeededGaussian(a) = g.header().operator().unwrap() else {
        panic!("a seeded operator was asked for");
    };
    let mut ax = vec![0.0f32; 50];
    a.forward(&truth, &mut ax, &mut []).unwrap();
    assert_eq!(
        y, ax,
        "the frame's signal is not the PNG's pixels, channels last"
    );

    let out = tmp("square-out");
    let stdout = ok(&qcs(&[
        "reconstruct",
        p(&frame_path),
        "--model",
        p(&data("ncsnv2_rgb32.onnx")),
        "--levels",
        "3",
        "--samples",
        "2",
        "--truth",
        p(&png),
        "--out",
        p(&out),
    ]));
    assert!(stdout.contains("PSNR"), "{stdout}");
    // mean.png is an RGB image of the frame's size.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(out.join("mean.png")).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (32, 32));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // The arrays are channels last, the samples with a leading chain axis.
    let npy_shape = |name: &str| -> Vec<u64> {
        let bytes = std::fs::read(out.join(name)).unwrap();
        npyz::NpyFile::new(&bytes[..]).unwrap().shape().to_vec()
    };
    assert_eq!(npy_shape("mean.npy"), [32, 32, 3]);
    assert_eq!(npy_shape("std.npy"), [32, 32, 3]);
    assert_eq!(npy_shape("samples.npy"), [2, 32, 32, 3]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["signal"]["channels"], 3);
    assert_eq!(report["signal"]["n"], 3072);
    assert_eq!(report["network_calls"], 3);
    assert!(report["posterior_mean"]["ssim"].is_number(), "{report}");
}

#[test]
fn colour_input_errors_name_the_option() {
    let out = tmp("x.qcsf");
    fails_with(
        &qcs(&["measure", "--digit", "0", "--channels", "3", "-o", p(&out)]),
        &["--channels 3", "--digit", "grayscale"],
    );
    let raw = tmp("x.f32");
    std::fs::write(&raw, vec![0u8; 4 * 10]).unwrap();
    fails_with(
        &qcs(&[
            "measure",
            "--raw",
            p(&raw),
            "--channels",
            "3",
            "-o",
            p(&out),
        ]),
        &["--channels 3", "--height and --width"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--raw",
            p(&raw),
            "--height",
            "2",
            "--width",
            "2",
            "--channels",
            "3",
            "-o",
            p(&out),
        ]),
        &[p(&raw), "10 values", "--channels 3 is 12"],
    );
}
