//! The `qcs` binary end to end: sensor → frame file → decode → reconstruction outputs, and
//! bad input answered with an error that names the file, field and value (never a panic).

use qcs_core::frame::{self, OperatorKind, QuantizerSpec};
use qcs_core::operator::Scaling;
mod common;

use common::{fails_with, fails_with_code, ok, p, qcs};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("cli", name)
}

#[test]
fn measure_writes_the_frame_the_options_describe() {
    let f = tmp("d3.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "3",
        "--measurements",
        "150",
        "--sigma",
        "0.02",
        "--seed",
        "99",
        "--counter",
        "7",
        "-o",
        p(&f),
    ]));
    let bytes = std::fs::read(&f).unwrap();
    let fr = frame::decode(&bytes).unwrap();
    let h = fr.header();
    assert_eq!((h.m(), h.n(), h.counter, h.sigma), (150, 784, 7, 0.02));
    assert_eq!(
        (h.signal.height, h.signal.width, h.signal.channels),
        (28, 28, 1)
    );
    assert_eq!(h.operator.kind, OperatorKind::SeededGaussian);
    assert_eq!(
        (h.operator.seed, h.operator.scaling),
        (99, Scaling::PerMeasurement)
    );
    assert_eq!(h.quantizer, QuantizerSpec::sign());
    // One bit per measurement: 150 bits = 19 bytes of codes.
    assert_eq!(fr.payload().len(), 19);

    let f = tmp("d3s.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "3",
        "--bits",
        "3",
        "--delta",
        "0.25",
        "--operator",
        "structured",
        "-o",
        p(&f),
    ]));
    let bytes = std::fs::read(&f).unwrap();
    let h = *frame::decode(&bytes).unwrap().header();
    assert_eq!(h.operator.kind, OperatorKind::Structured);
    assert_eq!(
        h.quantizer,
        QuantizerSpec::Uniform {
            bits: 3,
            delta: 0.25
        }
    );

    let f = tmp("d3t.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "3",
        "--bits",
        "2",
        "--thresholds",
        "-0.5,0,0.5",
        "--codewords",
        "-1,-0.25,0.25,1",
        "-o",
        p(&f),
    ]));
    let bytes = std::fs::read(&f).unwrap();
    let fr = frame::decode(&bytes).unwrap();
    match fr.header().quantizer {
        QuantizerSpec::Thresholds {
            bits, thresholds, ..
        } => {
            assert_eq!(bits, 2);
            assert_eq!(thresholds.iter().collect::<Vec<_>>(), vec![-0.5, 0.0, 0.5]);
        }
        q => panic!("expected a threshold quantizer, got {q:?}"),
    }
}

#[test]
fn reconstruct_writes_images_arrays_and_a_report() {
    let f = tmp("d1.qcsf");
    ok(&qcs(&["measure", "--digit", "1", "-o", p(&f)]));
    let out = tmp("rec1");
    let stdout = ok(&qcs(&[
        "reconstruct",
        p(&f),
        "--method",
        "qcs-sgm",
        "--truth-digit",
        "1",
        "--levels",
        "12",
        "--steps",
        "1",
        "--samples",
        "2",
        "--out",
        p(&out),
    ]));
    assert!(stdout.contains("PSNR"), "{stdout}");
    for name in ["panel.png", "mean.png", "std.png"] {
        let b = std::fs::read(out.join(name)).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{name} is not a PNG");
    }
    let npy = std::fs::read(out.join("samples.npy")).unwrap();
    assert_eq!(&npy[..6], b"\x93NUMPY");
    let header = String::from_utf8_lossy(&npy[10..100]);
    assert!(header.contains("'shape': (2, 28, 28"), "{header}");
    assert!(header.contains("<f4"), "{header}");
    assert_eq!(npy.len() % 64, (2 * 28 * 28 * 4) % 64);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["measurements"], 200);
    assert_eq!(report["kind"], "one-bit");
    assert_eq!(report["network_calls"], 12);
    assert_eq!(report["schedule"]["epsilon"].as_f64().unwrap() as f32, 2e-4);
    let psnr = report["posterior_mean"]["psnr_db"].as_f64().unwrap();
    assert!(psnr.is_finite() && psnr > 0.0, "PSNR {psnr}");
    assert_eq!(report["per_sample"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_names_the_file_field_and_value() {
    let missing = tmp("no-such.qcsf");
    fails_with(
        &qcs(&["reconstruct", p(&missing)]),
        &[p(&missing), "cannot read"],
    );

    let good = tmp("good.qcsf");
    ok(&qcs(&["measure", "--digit", "0", "-o", p(&good)]));
    let bytes = std::fs::read(&good).unwrap();

    let trunc = tmp("trunc.qcsf");
    std::fs::write(&trunc, &bytes[..40]).unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&trunc)]),
        &[p(&trunc), "truncated", "40"],
    );

    let crc = tmp("crc.qcsf");
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    std::fs::write(&crc, &b).unwrap();
    fails_with(&qcs(&["reconstruct", p(&crc)]), &[p(&crc), "CRC"]);

    let sigma = tmp("sigma.qcsf");
    let mut b = bytes.clone();
    b[36..40].copy_from_slice(&(-1.0f32).to_le_bytes());
    let n = b.len();
    let c = frame::crc32(&b[..n - 4]);
    b[n - 4..].copy_from_slice(&c.to_le_bytes());
    std::fs::write(&sigma, &b).unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&sigma)]),
        &[p(&sigma), "sigma", "-1"],
    );

    // Without the `gpu` feature (CI's test build) --device cuda says how to get it.
    #[cfg(not(feature = "gpu"))]
    fails_with(
        &qcs(&["reconstruct", p(&good), "--device", "cuda"]),
        &["--device cuda", "`gpu` feature"],
    );

    let model = tmp("model.onnx");
    std::fs::write(&model, b"not a model").unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&good), "--model", p(&model)]),
        &[p(&model)],
    );

    fails_with(
        &qcs(&["measure", "--digit", "1000", "-o", p(&tmp("x"))]),
        &["--digit 1000", "1000 images"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "0",
            "--bits",
            "17",
            "-o",
            p(&tmp("x")),
        ]),
        &["--bits 17"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "0",
            "--bits",
            "2",
            "--thresholds",
            "0.5,0,1",
            "--codewords",
            "0,1,2,3",
            "-o",
            p(&tmp("x")),
        ]),
        &["--thresholds", "thresholds"],
    );
    let png = tmp("fake.png");
    std::fs::write(&png, b"\x89PNG but no").unwrap();
    fails_with(
        &qcs(&["measure", "--png", p(&png), "-o", p(&tmp("x"))]),
        &[p(&png), "PNG"],
    );
    let raw = tmp("odd.f32");
    std::fs::write(&raw, [0u8; 10]).unwrap();
    fails_with(
        &qcs(&["measure", "--raw", p(&raw), "-o", p(&tmp("x"))]),
        &[p(&raw), "10 bytes"],
    );
    let nan = tmp("nan.f32");
    std::fs::write(
        &nan,
        [1.0f32, f32::NAN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    fails_with(
        &qcs(&["measure", "--raw", p(&nan), "-o", p(&tmp("x"))]),
        &[p(&nan), "value 1", "NaN"],
    );
    // A plain vector frame cannot go through the image network.
    let vec_frame = tmp("vec.qcsf");
    let ones = tmp("ones.f32");
    std::fs::write(
        &ones,
        [0.5f32; 64]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    ok(&qcs(&[
        "measure",
        "--raw",
        p(&ones),
        "--measurements",
        "32",
        "-o",
        p(&vec_frame),
    ]));
    fails_with(
        &qcs(&["reconstruct", p(&vec_frame)]),
        &[p(&vec_frame), "plain vector", "N = 64"],
    );
}

#[test]
fn a_budget_of_network_calls_sets_the_levels_and_the_report_counts_them() {
    let f = tmp("d7.qcsf");
    ok(&qcs(&["measure", "--digit", "7", "-o", p(&f)]));
    let out = tmp("budget");
    ok(&qcs(&[
        "reconstruct",
        p(&f),
        "--method",
        "qcs-sgm",
        "--calls",
        "22",
        "--steps",
        "2",
        "--denoise",
        "--samples",
        "1",
        "--out",
        p(&out),
    ]));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    // ⌊(22 − 1)/2⌋ = 10 levels of 2 steps, then the denoising call: 21 calls.
    assert_eq!(r["schedule"]["levels"], 10);
    assert_eq!(r["network_calls"], 21);
    assert_eq!(r["method"], "qcs-sgm");
    assert_eq!(r["denoise"], true);
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "qcs-sgm",
            "--calls",
            "2",
            "--steps",
            "2",
            "--denoise",
        ]),
        &["--calls 2 is less than one level of --steps 2 steps and the denoising call"],
    );
    let o = qcs(&["reconstruct", p(&f), "--calls", "50", "--levels", "10"]);
    assert_eq!(o.status.code(), Some(2), "--calls conflicts with --levels");
}

/// `qcs reconstruct FRAME --out <name> ARGS…`: its report and its `mean.npy` bytes.
fn reconstruct_report(
    frame: &std::path::Path,
    name: &str,
    args: &[&str],
) -> (serde_json::Value, Vec<u8>) {
    let out = tmp(name);
    let mut all = vec!["reconstruct", p(frame), "--out", p(&out)];
    all.extend_from_slice(args);
    ok(&qcs(&all));
    let r =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    (r, std::fs::read(out.join("mean.npy")).unwrap())
}

#[test]
fn a_warm_start_skips_the_levels_above_its_beta_and_changes_the_start() {
    let f = tmp("d4w.qcsf");
    ok(&qcs(&["measure", "--digit", "4", "-o", p(&f)]));
    let sgm = ["--method", "qcs-sgm", "--calls", "10", "--samples", "1"];
    let (cold, cold_mean) = reconstruct_report(&f, "cold", &sgm);
    let (warm, warm_mean) = reconstruct_report(&f, "warm", &[&sgm[..], &["--warm-start"]].concat());
    assert_eq!(cold["schedule"]["warm_start"], false);
    assert_eq!(warm["schedule"]["warm_start"], true);
    // β_1 = 0.5 by default with a warm start, 50 without; the same budget of calls.
    assert_eq!(warm["schedule"]["beta_max"], 0.5);
    assert_eq!(cold["schedule"]["beta_max"], 50.0);
    assert_eq!(warm["network_calls"], cold["network_calls"]);
    assert_ne!(warm_mean, cold_mean, "the start must matter");
    let (given, _) = reconstruct_report(
        &f,
        "warm2",
        &[&sgm[..], &["--warm-start", "--beta-max", "3"]].concat(),
    );
    assert_eq!(given["schedule"]["beta_max"], 3.0);
    // pnp-probit: σ_1 = 1 by default with a warm start, 2 without.
    let (cold, cold_mean) = reconstruct_report(&f, "pnp-cold", &["--calls", "5"]);
    let (warm, warm_mean) = reconstruct_report(&f, "pnp-warm", &["--calls", "5", "--warm-start"]);
    assert_eq!(cold["schedule"]["warm_start"], false);
    assert_eq!(warm["schedule"]["warm_start"], true);
    assert_eq!(cold["schedule"]["sigma_max"], 2.0);
    assert_eq!(warm["schedule"]["sigma_max"], 1.0);
    assert_eq!(warm["network_calls"], 5);
    assert_ne!(warm_mean, cold_mean, "the start must matter");
}

#[test]
fn the_likelihood_rescaling_is_reported_changes_the_result_and_is_checked() {
    let f = tmp("d4lf.qcsf");
    ok(&qcs(&["measure", "--digit", "4", "-o", p(&f)]));
    // Defaults: off for qcs-sgm (Algorithm 1), 0.5 for qcs-sgm-ep (QCS-SGM+'s code).
    for (method, default) in [
        ("qcs-sgm", serde_json::Value::Null),
        ("qcs-sgm-ep", serde_json::json!(0.5)),
    ] {
        let args = ["--method", method, "--calls", "10", "--samples", "1"];
        let (plain, plain_mean) = reconstruct_report(&f, &format!("{method}-lfd"), &args);
        let (off, off_mean) = reconstruct_report(
            &f,
            &format!("{method}-lf0"),
            &[&args[..], &["--likelihood-fraction", "off"]].concat(),
        );
        let (scaled, scaled_mean) = reconstruct_report(
            &f,
            &format!("{method}-lf"),
            &[&args[..], &["--likelihood-fraction", "0.5"]].concat(),
        );
        assert_eq!(
            plain["schedule"]["likelihood_fraction"], default,
            "{method}"
        );
        assert_eq!(
            off["schedule"]["likelihood_fraction"],
            serde_json::Value::Null
        );
        assert_eq!(scaled["schedule"]["likelihood_fraction"], 0.5);
        assert_eq!(scaled["network_calls"], off["network_calls"]);
        assert_ne!(scaled_mean, off_mean, "{method}: the rescaling must matter");
        let same = if default.is_null() {
            &off_mean
        } else {
            &scaled_mean
        };
        assert_eq!(&plain_mean, same, "{method}: the default is {default}");
    }
    fails_with_code(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "qcs-sgm",
            "--likelihood-fraction",
            "half",
        ]),
        2,
        &["`half` is neither a fraction such as 0.5 nor `off`"],
    );
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "qcs-sgm",
            "--calls",
            "10",
            "--likelihood-fraction",
            "0",
        ]),
        &["--likelihood-fraction: `likelihood_fraction` = 0 is invalid"],
    );
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "pnp-probit",
            "--likelihood-fraction",
            "0.5",
        ]),
        &["--likelihood-fraction does not apply to --method pnp-probit"],
    );
}

#[test]
fn pnp_probit_reconstructs_on_a_short_budget_and_reports_its_calls() {
    for (bits, name) in [("1", "one-bit"), ("3", "quantized"), ("0", "linear")] {
        let f = tmp(&format!("pnp{bits}.qcsf"));
        ok(&qcs(&[
            "measure",
            "--digit",
            "4",
            "--bits",
            bits,
            "-o",
            p(&f),
        ]));
        let out = tmp(&format!("pnp{bits}"));
        let stdout = ok(&qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "pnp-probit",
            "--truth-digit",
            "4",
            "--calls",
            "15",
            "--samples",
            "2",
            "--out",
            p(&out),
        ]));
        assert!(stdout.contains("PSNR"), "{stdout}");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        // One network call per level and sample: 15 levels × 2 samples on a batch of 2.
        assert_eq!(r["method"], "pnp-probit", "{name}");
        assert_eq!(r["schedule"]["levels"], 15);
        assert_eq!(r["network_calls"], 15);
        assert_eq!(r["denoise"], false);
        let psnr = r["posterior_mean"]["psnr_db"].as_f64().unwrap();
        assert!(psnr.is_finite() && psnr > 5.0, "{name}: PSNR {psnr}");
    }
    let f = tmp("pnp1.qcsf");
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "pnp-probit",
            "--epsilon",
            "1e-4",
        ]),
        &["--epsilon does not apply to --method pnp-probit"],
    );
    fails_with(
        &qcs(&["reconstruct", p(&f), "--method", "qcs-sgm", "--lambda", "2"]),
        &["--lambda does not apply to --method qcs-sgm"],
    );
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "pnp-probit",
            "--zeta",
            "1.5",
        ]),
        &["pnp-probit options", "zeta"],
    );
}

#[test]
fn qcs_sgm_ep_reconstructs_one_bit_and_multi_bit_frames() {
    // One-bit, seeded Gaussian A: the SVD of A, then EP at every Langevin step.
    let f = tmp("ep1.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "4",
        "--measurements",
        "100",
        "-o",
        p(&f),
    ]));
    let out = tmp("ep1");
    let stdout = ok(&qcs(&[
        "reconstruct",
        p(&f),
        "--method",
        "qcs-sgm-ep",
        "--truth-digit",
        "4",
        "--levels",
        "8",
        "--steps",
        "1",
        "--samples",
        "1",
        "--out",
        p(&out),
    ]));
    assert!(stdout.contains("PSNR"), "{stdout}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["method"], "qcs-sgm-ep");
    assert_eq!(r["kind"], "one-bit");
    let psnr = r["posterior_mean"]["psnr_db"].as_f64().unwrap();
    assert!(psnr.is_finite() && psnr > 0.0, "PSNR {psnr}");

    // 3-bit, structured operator (its rows come from the adjoint), EP options on the line.
    let f = tmp("ep3.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "4",
        "--bits",
        "3",
        "--delta",
        "0.25",
        "--operator",
        "structured",
        "--measurements",
        "64",
        "-o",
        p(&f),
    ]));
    let out = tmp("ep3");
    ok(&qcs(&[
        "reconstruct",
        p(&f),
        "--method",
        "qcs-sgm-ep",
        "--ep-iterations",
        "3",
        "--ep-damping",
        "0.3",
        "--levels",
        "4",
        "--steps",
        "1",
        "--samples",
        "1",
        "--out",
        p(&out),
    ]));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["method"], "qcs-sgm-ep");
    assert_eq!(r["kind"], "quantized");

    // Bad EP options are named with their value.
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "qcs-sgm-ep",
            "--ep-damping",
            "1",
            "--levels",
            "2",
            "--steps",
            "1",
            "--out",
            p(&tmp("ep_bad")),
        ]),
        &["EP options", "damping", "1"],
    );
}
