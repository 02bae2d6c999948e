//! Frames and options that are valid or plausible but that the receiver cannot or must not
//! act on: each is refused before work with an error naming the file, field and value.
//! (The bit-level frame defects are in `core/tests/frame_decode_errors.rs` and `cli.rs`.)

use qcs_core::frame::{self, FrameHeader, QuantizerSpec, SignalShape};
use qcs_core::operator::{Scaling, SeededGaussian};
mod common;

use common::{fails_with, fails_with_code, ok, p, qcs, qcs_in};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("hostile", name)
}

fn test_model(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(name)
}

/// A one-bit frame of a seeded operator for an `h × w` image, `m` measurements, noise `σ`;
/// every code 0.
fn one_bit_frame(h: u32, w: u32, m: usize, sigma: f32) -> Vec<u8> {
    let shape = SignalShape::image(h, w, 1).unwrap();
    let op = SeededGaussian::new(5, m, shape.len(), Scaling::PerMeasurement).unwrap();
    let header = FrameHeader::for_measurement(shape, &op, QuantizerSpec::sign(), sigma, 0).unwrap();
    let mut buf = vec![0u8; frame::encoded_len(&header).unwrap()];
    let codes = vec![0u16; m];
    let len = frame::encode_codes(&header, &codes, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let f = tmp(name);
    std::fs::write(&f, bytes).unwrap();
    f
}

/// Reconstruction options of a short run.
const SHORT: [&str; 4] = ["--levels", "3", "--samples", "1"];

#[test]
fn a_frame_the_model_cannot_take_is_refused_before_allocation() {
    // 4096 × 4096 with M = 10: a frame of under 100 bytes that once grew past 5 GB.
    let big = write("big.qcsf", &one_bit_frame(4096, 4096, 10, 0.05));
    assert!(std::fs::metadata(&big).unwrap().len() < 100);
    let out = tmp("big-out");
    fails_with(
        &qcs(&["reconstruct", p(&big), "--out", p(&out)]),
        &[p(&big), "4096×4096 image", "takes input [batch, 1, 28, 28]"],
    );
    assert!(!out.exists(), "nothing is created for a refused frame");
    // A 28 × 28 frame with a model for 32 × 32 images.
    let small = write("small.qcsf", &one_bit_frame(28, 28, 50, 0.05));
    let m32 = test_model("input_32x32.onnx");
    fails_with(
        &qcs(&["reconstruct", p(&small), "--model", p(&m32)]),
        &[p(&small), "28×28 image", p(&m32), "[batch, 1, 32, 32]"],
    );
}

#[test]
fn models_with_the_wrong_input_are_refused_with_the_reason() {
    let small = write("small2.qcsf", &one_bit_frame(28, 28, 50, 0.05));
    let cases = [
        ("input_int64.onnx", "element type I64"),
        ("input_rank2.onnx", "rank 2"),
        ("fixed_batch2.onnx", "fixed batch of 2"),
    ];
    for (name, needle) in cases {
        let m = test_model(name);
        fails_with(
            &qcs(&["reconstruct", p(&small), "--model", p(&m)]),
            &[p(&m), needle],
        );
    }
    let dir = tmp("model-dir");
    std::fs::create_dir_all(&dir).unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&small), "--model", p(&dir)]),
        &[p(&dir), "is a directory"],
    );
}

#[test]
fn work_over_the_memory_limit_is_refused_before_allocation() {
    // M = 2^24 seeded measurements of 784 pixels: a 52 GB dense operator.
    let huge = write("huge-m.qcsf", &one_bit_frame(28, 28, 1 << 24, 0.05));
    let err = fails_with(
        &qcs(&["reconstruct", p(&huge)]),
        &[
            p(&huge),
            "more than --max-memory 4.0 GiB",
            "dense M × N operator",
        ],
    );
    assert!(err.contains("operator 49.0 GiB"), "{err}");
    let small = write("small3.qcsf", &one_bit_frame(28, 28, 50, 0.05));
    fails_with(
        &qcs(&["reconstruct", p(&small), "--max-memory", "100K"]),
        &[p(&small), "more than --max-memory 100.0 KiB"],
    );
    fails_with_code(
        &qcs(&["reconstruct", p(&small), "--max-memory", "4X"]),
        2,
        &["--max-memory", "`X`"],
    );
}

#[test]
fn frames_are_read_no_further_than_their_prefix_allows() {
    fails_with(
        &qcs(&["reconstruct", "/dev/zero"]),
        &["/dev/zero: invalid frame", "magic"],
    );
    let mut b = one_bit_frame(28, 28, 50, 0.05);
    b.extend_from_slice(&[0u8; 1000]);
    let trailing = write("trailing.qcsf", &b);
    fails_with(
        &qcs(&["inspect", p(&trailing)]),
        &[p(&trailing), "bytes after the", "one frame per file"],
    );
}

#[test]
fn measure_range_checks_before_work() {
    let x = tmp("x.qcsf");
    for m in ["18446744073709551615", "100000000000", "16777217", "0"] {
        fails_with(
            &qcs(&["measure", "--digit", "0", "--measurements", m, "-o", p(&x)]),
            &[&format!("--measurements {m} is out of range"), "2^24"],
        );
    }
    fails_with(
        &qcs(&["measure", "--digit", "0", "--sigma", "1e20", "-o", p(&x)]),
        &["--sigma = 1e20 is out of range"],
    );
    fails_with(
        &qcs(&["measure", "--digit", "0", "--delta", "0.5", "-o", p(&x)]),
        &["--delta 0.5", "--bits 1", "ignored"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "0",
            "--bits",
            "0",
            "--delta",
            "0.5",
            "-o",
            p(&x),
        ]),
        &["--delta", "--bits 0"],
    );
    let ones = write("ones.f32", &[0u8; 16]);
    fails_with(
        &qcs(&[
            "measure",
            "--raw",
            p(&ones),
            "--height",
            "65536",
            "--width",
            "65536",
            "-o",
            p(&x),
        ]),
        &["--height 65536 × --width 65536 × --channels 1 = 4294967296 values is out of range"],
    );
    let empty = write("empty.f32", &[]);
    fails_with(
        &qcs(&["measure", "--raw", p(&empty), "-o", p(&x)]),
        &[p(&empty), "the file is empty"],
    );
    // --height belongs to --raw.
    fails_with(
        &qcs(&["measure", "--digit", "0", "--height", "28", "-o", p(&x)]),
        &["--height/--width shape a --raw signal"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "0",
            "--thresholds=0,1",
            "--codewords",
            "0,1,2,3",
            "-o",
            p(&x),
        ]),
        &["--thresholds: 2 thresholds for 4 codewords", "2^Q − 1 = 3"],
    );
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "0",
            "--thresholds=0,1",
            "--codewords",
            "0,1,2",
            "-o",
            p(&x),
        ]),
        &["--codewords: 3 codewords"],
    );
    assert!(!x.exists());
}

#[test]
fn measure_names_the_quantizer_and_writes_to_standard_output() {
    let dir = tmp("stdout-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let out = qcs_in(&dir, &["measure", "--digit", "2", "-o", "-"]);
    assert!(out.status.success());
    let f = frame::decode(&out.stdout).expect("stdout holds exactly one frame");
    assert_eq!(f.header().m(), 200);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1-bit → standard output"));
    assert!(!dir.join("-").exists(), "no file named `-`");

    let f4 = tmp("t4.qcsf");
    let stdout = ok(&qcs(&[
        "measure",
        "--digit",
        "2",
        "--thresholds=-0.5,0,0.5",
        "--codewords=-1,-0.25,0.25,1",
        "-o",
        p(&f4),
    ]));
    assert!(stdout.contains("2-bit thresholds"), "{stdout}");
}

#[test]
fn wrong_names_are_the_options_given() {
    let small = write("small4.qcsf", &one_bit_frame(28, 28, 50, 0.05));
    fails_with(
        &qcs(&["reconstruct", p(&small), "--truth-digit", "5000"]),
        &["--truth-digit 5000", "1000 images"],
    );
    fails_with(
        &qcs(&["demo", "--index", "1000"]),
        &["--index 1000", "1000 images"],
    );
    let short_truth = write("short-truth.f32", &[0u8; 400]);
    fails_with(
        &qcs(&["reconstruct", p(&small), "--truth", p(&short_truth)]),
        &[&format!("--truth {}: 100 values", p(&short_truth)), "784"],
    );
}

#[test]
fn an_extreme_sigma_in_a_frame_names_the_file_and_field() {
    let f = write("sigma20.qcsf", &one_bit_frame(28, 28, 50, 1e20));
    fails_with(
        &qcs(&["reconstruct", p(&f)]),
        &[p(&f), "field `sigma` = 1e20 is out of range"],
    );
}

#[test]
fn an_out_path_that_is_a_file_is_refused_before_sampling() {
    let f = tmp("d0.qcsf");
    ok(&qcs(&["measure", "--digit", "0", "-o", p(&f)]));
    let file = write("not-a-dir", b"x");
    let err = fails_with(
        &qcs(&["reconstruct", p(&f), "--out", p(&file)]),
        &[&format!(
            "--out {}: exists and is not a directory",
            p(&file)
        )],
    );
    assert!(!err.contains("network calls on"), "sampling started: {err}");
}

#[test]
fn divergence_says_where_and_what_to_try_and_keeps_the_old_outputs() {
    let f = tmp("d5.qcsf");
    ok(&qcs(&["measure", "--digit", "5", "-o", p(&f)]));
    let out = tmp("diverge-out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("report.json"), "old").unwrap();
    std::fs::write(out.join("mean.npy"), "old").unwrap();
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&f),
            "--method",
            "qcs-sgm",
            "--epsilon",
            "1e3",
            "--levels",
            "4",
            "--steps",
            "2",
            "--samples",
            "1",
            "--out",
            p(&out),
        ]),
        &[
            p(&f),
            "the chain diverged at level",
            "of 4 (β = ",
            "try a smaller --epsilon (this run: 1e3)",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.json")).unwrap(),
        "old"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("mean.npy")).unwrap(),
        "old"
    );
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "no staging folder or partial output left: {names:?}"
    );
}

#[test]
fn help_says_what_the_tool_does_and_its_limits() {
    let out = qcs(&["--help"]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("Recover signals from a few quantized random measurements"),
        "{s}"
    );
    assert!(!s.contains("Host side of qcs"), "{s}");
    assert!(s.contains("M ≤ 2^24") && s.contains("Q ≤ 16"), "{s}");
    assert!(s.contains("inspect"), "{s}");
    let out = qcs(&["reconstruct", "--help"]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("[batch, 1, 28, 28]") && s.contains("--max-memory"),
        "{s}"
    );
}

/// The sha256 the export script wrote into the model card sidecar (Python's hashlib).
fn sidecar_sha256() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ncsnv2-mnist.json")).unwrap())
            .unwrap();
    v["sha256"].as_str().unwrap().to_string()
}

#[test]
fn report_and_panel_say_what_was_run() {
    let f = tmp("d3q.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "3",
        "--bits",
        "3",
        "--delta",
        "0.25",
        "--sigma",
        "0.01",
        "-o",
        p(&f),
    ]));
    let out = tmp("report-out");
    let mut args = vec!["reconstruct", p(&f), "--out", p(&out)];
    args.extend(SHORT);
    let stdout = ok(&qcs(&args));
    assert!(
        stdout.contains("panel.png (mean, std, samples)"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(text.contains("\"sigma\": 0.01,"), "{text}");
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["qcs_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["model_sha256"], sidecar_sha256().as_str());
    assert_eq!(r["quantizer"]["kind"], "uniform");
    assert_eq!(r["quantizer"]["bits"], 3);
    assert_eq!(r["quantizer"]["delta"].as_f64(), Some(0.25));
    assert_eq!(r["network_calls"], 3);
    // The panel: a label band above the tiles and a caption line below, with text drawn in.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(out.join("panel.png")).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // mean, std, 1 sample: 3 tiles of 112 px, 4 px gutters; 18 px labels and caption.
    assert_eq!(
        (info.width, info.height),
        (3 * 112 + 4 * 4, 4 + 18 + 112 + 4 + 18)
    );
    let band = &buf[4 * info.width as usize * 3..22 * info.width as usize * 3];
    assert!(band.iter().any(|&v| v > 200), "no label text drawn");
}

#[test]
fn inspect_shows_the_header_and_the_crc_status() {
    let f = tmp("insp.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "4",
        "--measurements",
        "64",
        "--bits",
        "2",
        "--counter",
        "9",
        "--seed",
        "77",
        "-o",
        p(&f),
    ]));
    let out = ok(&qcs(&["inspect", p(&f)]));
    for needle in [
        "crc          ok",
        "counter 9",
        "28×28 image, 1 channel(s), N = 784",
        "M = 64, σ = 0.05",
        "seeded (code 1), seed 77",
        "2-bit uniform, Δ = ",
        "counts per code [",
    ] {
        assert!(out.contains(needle), "{needle:?} not in {out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&qcs(&["inspect", "--json", p(&f)]))).unwrap();
    assert_eq!(json["measurements"], 64);
    assert_eq!(json["quantizer"]["bits"], 2);
    let hist: u64 = json["codes"]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(hist, 64);
    let mut b = std::fs::read(&f).unwrap();
    let n = b.len();
    b[n - 1] ^= 0xff;
    let bad = write("insp-bad.qcsf", &b);
    let o = qcs(&["inspect", p(&bad)]);
    fails_with(&o, &[p(&bad), "CRC mismatch"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("MISMATCH"));
}
