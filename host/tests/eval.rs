//! `qcs-eval` end to end on `host/experiments/tiny.toml`: the CSV has one row per
//! (cell, image) with finite metrics, the table, plots and panels exist, and a second run
//! skips what is done (resumability), re-running only a row that was removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory under Cargo's per-target temporary directory.
fn scratch_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("qcs-eval-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn qcs_eval(config: &Path, out: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_qcs-eval"))
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "2", "--quiet"])
        .output()
        .expect("qcs-eval runs");
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "qcs-eval failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

/// (method, m, bits, image) → (psnr, ssim, cosine, coverage) of every CSV row.
type Rows = Vec<((String, usize, u8, usize), [f64; 3], String)>;

fn rows(csv_path: &Path) -> Rows {
    let mut r = csv::Reader::from_path(csv_path).expect("results.csv");
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (method, m, bits, image) = (col("method"), col("m"), col("bits"), col("image"));
    let (psnr, ssim, cos, cov) = (
        col("psnr_db"),
        col("ssim"),
        col("cosine"),
        col("coverage_2std"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[i].parse::<f64>().unwrap();
            (
                (
                    rec[method].to_string(),
                    rec[m].parse().unwrap(),
                    rec[bits].parse().unwrap(),
                    rec[image].parse().unwrap(),
                ),
                [f(psnr), f(ssim), f(cos)],
                rec[cov].to_string(),
            )
        })
        .collect()
}

#[test]
fn tiny_sweep_writes_rows_tables_plots_and_resumes() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/tiny.toml");
    let out = scratch_dir("tiny").join("tiny");
    let first = qcs_eval(&config, &out);
    let csv_path = out.join("results.csv");
    let got = rows(&csv_path);
    // tiny.toml: qcs-sgm on bits {1, 0}, biht on one-bit, lasso-w on unquantized;
    // M ∈ {50, 100}; images {0, 1}.
    let mut want = BTreeSet::new();
    for (method, bits) in [("qcs-sgm", 1), ("qcs-sgm", 0), ("biht", 1), ("lasso-w", 0)] {
        for m in [50, 100] {
            for image in [0, 1] {
                want.insert((method.to_string(), m, bits, image));
            }
        }
    }
    let keys: BTreeSet<_> = got.iter().map(|r| r.0.clone()).collect();
    assert_eq!(got.len(), want.len(), "one row per (cell, image)");
    assert_eq!(keys, want);
    for (key, [psnr, ssim, cos], cov) in &got {
        assert!(psnr.is_finite() && *psnr > 0.0, "{key:?}: PSNR {psnr}");
        assert!(ssim.is_finite() && (-1.0..=1.0).contains(ssim), "{key:?}");
        assert!(cos.is_finite() && (-1.0..=1.0).contains(cos), "{key:?}");
        // Two chains per qcs-sgm image: the coverage column is filled only for qcs-sgm.
        if key.0 == "qcs-sgm" {
            let c: f64 = cov.parse().unwrap();
            assert!((0.0..=1.0).contains(&c), "{key:?}: coverage {c}");
        } else {
            assert!(cov.is_empty(), "{key:?}: coverage {cov:?}");
        }
    }
    assert!(
        first.contains("16 (cell, image) jobs, 0 already done, 16 run now"),
        "{first}"
    );
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    for method in ["qcs-sgm", "biht", "lasso-w"] {
        assert!(md.contains(&format!("| {method} |")), "{md}");
    }
    for f in [
        "psnr_q1_s0.05.svg",
        "ssim_q1_s0.05.svg",
        "cosine_q1_s0.05.svg",
        "psnr_q0_s0.05.svg",
        "psnr_q1_s0.05.png",
        "cosine_q0_s0.05.png",
        "panel_q1_s0.05.png",
        "panel_q0_s0.05.png",
        "uncertainty_q1_s0.05.png",
        "uncertainty_q0_s0.05.png",
    ] {
        let p = out.join(f);
        assert!(
            p.metadata().map(|m| m.len() > 100).unwrap_or(false),
            "{f} missing"
        );
    }
    let svg = std::fs::read_to_string(out.join("psnr_q1_s0.05.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("biht") && svg.contains("qcs-sgm"));

    // Resume: nothing left to do, the CSV is unchanged.
    let before = std::fs::read_to_string(&csv_path).unwrap();
    let second = qcs_eval(&config, &out);
    assert!(second.contains("16 already done, 0 run now"), "{second}");
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), before);

    // Drop the last row: only that (cell, image) runs again, with the same result (seeded).
    let mut lines: Vec<&str> = before.lines().collect();
    let dropped = lines.pop().unwrap().to_string();
    std::fs::write(&csv_path, lines.join("\n") + "\n").unwrap();
    let third = qcs_eval(&config, &out);
    assert!(third.contains("15 already done, 1 run now"), "{third}");
    let after = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(after.lines().count(), before.lines().count());
    let strip_time = |l: &str| l.rsplit_once(',').unwrap().0.to_string();
    assert_eq!(
        strip_time(after.lines().last().unwrap()),
        strip_time(&dropped),
        "a re-run row is reproducible"
    );
}

#[test]
fn tiny_ill_conditioned_sweep_runs_exact_and_diagonal_scores() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/tiny-ill.toml");
    let out = scratch_dir("tiny-ill").join("tiny-ill");
    let stdout = qcs_eval(&config, &out);
    // Unquantized: qcs-sgm, qcs-sgm-exact, qcs-sgm-ep, ald, lasso-w; one-bit: qcs-sgm,
    // qcs-sgm-ep, biht; 2 images each.
    assert!(
        stdout.contains("16 (cell, image) jobs, 0 already done, 16 run now"),
        "{stdout}"
    );
    let got = rows(&out.join("results.csv"));
    let keys: BTreeSet<_> = got.iter().map(|r| (r.0 .0.clone(), r.0 .2)).collect();
    let want: BTreeSet<_> = [
        ("qcs-sgm", 0),
        ("qcs-sgm-exact", 0),
        ("qcs-sgm-ep", 0),
        ("ald", 0),
        ("lasso-w", 0),
        ("qcs-sgm", 1),
        ("qcs-sgm-ep", 1),
        ("biht", 1),
    ]
    .iter()
    .map(|(m, b)| (m.to_string(), *b as u8))
    .collect();
    assert_eq!(keys, want);
    for (key, metrics, _) in &got {
        assert!(
            metrics.iter().all(|v| v.is_finite()),
            "{key:?}: {metrics:?}"
        );
    }
    assert!(out.join("psnr_q0_s0.05.svg").exists());
    // ALD (γ_t² = (N/M)·β_t² for every row) is not eq. 20 (β_t²‖a_m‖², which varies over the
    // rows of this A): the two unquantized runs differ.
    let metrics_of = |method: &str| -> Vec<[f64; 3]> {
        got.iter()
            .filter(|r| r.0 .0 == method && r.0 .2 == 0)
            .map(|r| r.1)
            .collect()
    };
    assert_ne!(metrics_of("ald"), metrics_of("qcs-sgm"));
}

#[test]
fn a_diverging_chain_is_a_row_not_a_failure() {
    // ε = 1 makes every step overshoot: the chains leave the finite numbers quickly.
    let dir = scratch_dir("diverge");
    let config = dir.join("diverge.toml");
    std::fs::write(
        &config,
        "name = \"diverge\"\nmethods = [\"qcs-sgm\", \"biht\"]\nmeasurements = [100]\n\
         bits = [1]\nsigma = [0.05]\nimages = 1\npanel_images = 1\n\
         [schedule]\nlevels = 40\nsteps_per_level = 1\nbeta_max = 50.0\nepsilon = 1.0\n",
    )
    .unwrap();
    let out = dir.join("out");
    let stdout = qcs_eval(&config, &out);
    assert!(stdout.contains("2 (cell, image) jobs"), "{stdout}");
    let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (method, diverged, psnr) = (col("method"), col("diverged"), col("psnr_db"));
    for rec in r.records() {
        let rec = rec.unwrap();
        match &rec[method] {
            "qcs-sgm" => {
                assert_eq!(&rec[diverged], "true");
                assert_eq!(&rec[psnr], "NaN");
            }
            _ => {
                assert_eq!(&rec[diverged], "false");
                assert!(rec[psnr].parse::<f64>().unwrap().is_finite());
            }
        }
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.contains("| qcs-sgm | 1-bit | 0.05 | 100 | 40 | 0 | 1 | – |"),
        "{md}"
    );
}

#[test]
fn a_calls_axis_runs_each_budget_on_the_chosen_digits() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/tiny-calls.toml");
    let out = scratch_dir("tiny-calls").join("tiny-calls");
    qcs_eval(&config, &out);
    let mut r = csv::Reader::from_path(out.join("results.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (method, image, calls, used) = (
        col("method"),
        col("image"),
        col("calls"),
        col("network_calls"),
    );
    let mut got = BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        got.insert((
            rec[method].to_string(),
            rec[image].parse::<usize>().unwrap(),
            rec[calls].parse::<u64>().unwrap(),
            rec[used].parse::<u64>().unwrap(),
        ));
    }
    // ⌊(6 − 1)/5⌋ = 1 level → 5 steps + 1 denoising call; ⌊(11 − 1)/5⌋ = 2 levels → 11.
    let mut want = BTreeSet::new();
    for image in [900, 901] {
        want.insert(("qcs-sgm".to_string(), image, 6, 6));
        want.insert(("qcs-sgm".to_string(), image, 11, 11));
        want.insert(("biht".to_string(), image, 0, 0));
    }
    assert_eq!(got, want);
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("digits 900..902"), "{md}");
    assert!(md.contains("| calls |"), "{md}");
    for f in [
        "psnr_calls_q1_s0.05.png",
        "psnr_calls_q1_s0.05.svg",
        "panel_q1_s0.05.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}
