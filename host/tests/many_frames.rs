//! `qcs reconstruct` over many frames in one run: one folder per frame with the same files and
//! the same numbers as a run per frame, a summary listing every frame, frames that fail
//! reported and skipped, and the inputs (directories, globs, name collisions) resolved as
//! documented.

mod common;

use common::{fails_with, ok, p, qcs};
use qcs_host::data;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("many", name)
}

/// A short run of the default sampler: 3 levels, 2 samples (the numbers need not be good, only
/// equal).
const SHORT: [&str; 6] = ["--levels", "3", "--samples", "2", "--chain-seed", "11"];

/// Measures test digit `i` into `dir/name`.
fn measure(i: usize, dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let f = dir.join(name);
    ok(&qcs(&["measure", "--digit", &i.to_string(), "-o", p(&f)]));
    f
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn summary_rows(out: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["frame", "folder", "status", "error"]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn a_directory_of_frames_matches_one_run_per_frame_and_skips_a_bad_frame() {
    let frames = tmp("frames");
    let truths = tmp("truths");
    std::fs::create_dir_all(&truths).unwrap();
    let (digits, _) = data::shipped_test_digits().unwrap();
    for i in 0..3 {
        measure(i, &frames, &format!("d{i}.qcsf"));
        data::write_f32_le(&truths.join(format!("d{i}.f32")), digits.image(i).unwrap()).unwrap();
    }
    // Valid frame magic, then garbage: fails to decode, and must not stop the others.
    std::fs::write(frames.join("broken.qcsf"), b"QCSF\x01garbage").unwrap();
    std::fs::write(frames.join("notes.txt"), b"not a frame").unwrap();

    let out = tmp("out-dir");
    let mut args = vec![
        "reconstruct",
        p(&frames),
        "--truth-dir",
        p(&truths),
        "--out",
        p(&out),
    ];
    args.extend(SHORT);
    let err = fails_with(
        &qcs(&args),
        &["1 of 4 frames failed and were skipped", "summary.csv"],
    );
    assert!(err.contains("broken.qcsf: invalid frame"), "{err}");

    let rows = summary_rows(&out);
    // Sorted by path; notes.txt is not a frame.
    let folders: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(folders, ["broken", "d0", "d1", "d2"]);
    assert_eq!(rows[0][2], "failed");
    assert!(rows[0][3].contains("invalid frame"), "{:?}", rows[0]);
    assert!(!out.join("broken").exists());
    for r in &rows[1..] {
        assert_eq!(r[2], "ok", "{r:?}");
        // height, width, channels, measurements, kind, samples, network calls.
        assert_eq!(r[4..11], ["28", "28", "1", "200", "one-bit", "2", "3"]);
        let psnr: f32 = r[13].parse().unwrap();
        assert!(psnr.is_finite(), "{r:?}");
    }
    // The default sampler: pnp-probit, one network call per level.
    let report: serde_json::Value =
        serde_json::from_slice(&read(&out.join("d0").join("report.json"))).unwrap();
    assert_eq!(report["method"], "pnp-probit");
    let json: serde_json::Value = serde_json::from_slice(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(
        (&json["frames"], &json["ok"], &json["failed"]),
        (&4.into(), &3.into(), &1.into())
    );

    // The same frame alone gives the same files, bit for bit, and the same PSNR.
    for i in 0..3 {
        let single = tmp(&format!("single-{i}"));
        let frame = frames.join(format!("d{i}.qcsf"));
        let truth = truths.join(format!("d{i}.f32"));
        let mut args = vec![
            "reconstruct",
            p(&frame),
            "--truth",
            p(&truth),
            "--out",
            p(&single),
        ];
        args.extend(SHORT);
        ok(&qcs(&args));
        let folder = out.join(format!("d{i}"));
        for name in [
            "mean.npy",
            "std.npy",
            "samples.npy",
            "mean.png",
            "panel.png",
        ] {
            assert!(
                read(&folder.join(name)) == read(&single.join(name)),
                "d{i}/{name} differs from the single-frame run"
            );
        }
        let report: serde_json::Value =
            serde_json::from_slice(&read(&single.join("report.json"))).unwrap();
        let psnr = report["posterior_mean"]["psnr_db"].as_f64().unwrap();
        let row: f64 = rows[i + 1][13].parse().unwrap();
        assert!((psnr - row).abs() < 1e-5, "d{i}: {psnr} vs {row}");
    }
}

#[test]
fn frames_sharing_network_calls_give_the_same_samples() {
    // Three frames, two in flight: a batch of 2 × 2 images while both run, then one frame
    // alone in a zero-padded batch. The network body is per image, so every file is the same
    // as with each frame's own batch-1 plans, bit for bit.
    let frames = tmp("share-frames");
    for i in 0..3 {
        measure(i + 10, &frames, &format!("d{i}.qcsf"));
    }
    let own = tmp("share-own");
    let shared = tmp("share-shared");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec!["reconstruct", p(&frames), "--jobs", "2", "--out", p(out)];
        args.extend(SHORT);
        args.extend(extra);
        ok(&qcs(&args));
    };
    run(&own, &[]);
    run(&shared, &["--share-calls"]);
    for i in 0..3 {
        for name in ["samples.npy", "mean.npy", "std.npy"] {
            assert!(
                read(&own.join(format!("d{i}")).join(name))
                    == read(&shared.join(format!("d{i}")).join(name)),
                "d{i}/{name} differs with --share-calls"
            );
        }
    }
    let json: serde_json::Value =
        serde_json::from_slice(&read(&shared.join("summary.json"))).unwrap();
    assert_eq!(
        (&json["share_calls"], &json["plan_batch"], &json["ok"]),
        (&true.into(), &4.into(), &3.into())
    );
    // Its plan batch is jobs × samples: --plan-batch is refused.
    fails_with(
        &qcs(&[
            "reconstruct",
            p(&frames),
            "--share-calls",
            "--plan-batch",
            "1",
            "--out",
            p(&tmp("share-refused")),
        ]),
        &["--share-calls runs plans of --jobs × --samples images: leave out --plan-batch"],
    );
}

#[test]
fn globs_files_and_name_collisions() {
    let a = tmp("glob-a");
    let b = tmp("glob-b");
    measure(4, &a, "x.qcsf");
    measure(5, &a, "y.qcsf");
    measure(6, &b, "x.qcsf");
    let out = tmp("out-glob");
    let pattern = format!("{}/*.qcsf", a.display());
    let frame_b = b.join("x.qcsf");
    let mut args = vec!["reconstruct", &pattern, p(&frame_b), "--out", p(&out)];
    args.extend(SHORT);
    ok(&qcs(&args));
    let rows = summary_rows(&out);
    let folders: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    // The glob's matches in order, then the file; the second x.qcsf gets x-2.
    assert_eq!(folders, ["x", "y", "x-2"]);
    assert_eq!(rows[2][0], frame_b.display().to_string());
    for f in folders {
        assert!(out.join(f).join("report.json").is_file(), "{f}");
    }
}

#[test]
fn many_frame_inputs_are_checked_before_any_work() {
    let empty = tmp("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&empty)]),
        &[p(&empty), "the directory holds no .qcsf frames"],
    );
    let pattern = format!("{}/*.qcsf", empty.display());
    fails_with(
        &qcs(&["reconstruct", &pattern]),
        &[&pattern, "the pattern matches no file"],
    );
    let f = measure(7, &tmp("checks"), "z.qcsf");
    fails_with(
        &qcs(&["reconstruct", p(&f), p(&f), "--truth-digit", "7"]),
        &["--truth and --truth-digit belong to one frame; with 2 frames give --truth-dir"],
    );
    fails_with(
        &qcs(&["reconstruct", p(&f), p(&f), "--jobs", "0"]),
        &["--jobs must be at least 1, got 0"],
    );
    let not_dir = tmp("checks").join("z.qcsf");
    fails_with(
        &qcs(&["reconstruct", p(&f), "--truth-dir", p(&not_dir)]),
        &["--truth-dir", "not a directory"],
    );
    // A device that cannot run here: one error before any frame, no summary written.
    if !cfg!(feature = "gpu") {
        let out = tmp("checks-cuda");
        fails_with(
            &qcs(&[
                "reconstruct",
                p(&f),
                p(&f),
                "--device",
                "cuda",
                "--out",
                p(&out),
            ]),
            &["--device cuda: this qcs was built without the `gpu` feature"],
        );
        assert!(!out.join("summary.json").exists());
    }
    // --out is a file: refused before any frame runs.
    fails_with(
        &qcs(&["reconstruct", p(&f), p(&f), "--out", p(&f)]),
        &["--out", "exists and is not a directory"],
    );
}
