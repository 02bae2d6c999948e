//! A sensing matrix the receiver holds (frame operator kind `dense`): its fingerprint against
//! numpy + hashlib (`data/matrix/make_fixtures.py`, `core/tests/reference/frame_reference.py`),
//! `.npy` layouts and bad files, and the whole path `qcs measure --matrix` → frame →
//! `qcs reconstruct --matrix` against the seeded operator it was copied from (same codes, same
//! reconstruction, bit for bit).

mod common;

use common::{fails_with, ok, p, qcs};
use qcs_core::frame::{self, OperatorKind};
use qcs_core::operator::{Scaling, SeededGaussian, SensingOperator};
use qcs_host::data;
use qcs_host::matrix::{fingerprint, SensingMatrix};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/matrix")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("matrix", name)
}

fn expected_fingerprint() -> u64 {
    std::fs::read_to_string(fixture("fingerprint.txt"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn fingerprint_matches_numpy_and_hashlib_in_every_layout() {
    let want = expected_fingerprint();
    for name in ["a_f64.npy", "a_f32_fortran.npy"] {
        let a = SensingMatrix::load(&fixture(name), 1 << 20).unwrap();
        assert_eq!((a.rows, a.cols), (3, 5), "{name}");
        assert_eq!(a.fingerprint, want, "{name}");
        assert_eq!(fingerprint(&a.values), want, "{name}");
    }
    // Fortran order is read back row-major: both files hold the same values.
    let c = SensingMatrix::load(&fixture("a_f64.npy"), 1 << 20).unwrap();
    let f = SensingMatrix::load(&fixture("a_f32_fortran.npy"), 1 << 20).unwrap();
    assert_eq!(c.values, f.values);
    // One changed bit changes the fingerprint.
    let mut v = c.values.clone();
    v[7] = f32::from_bits(v[7].to_bits() ^ 1);
    assert_ne!(fingerprint(&v), want);
}

#[test]
fn the_reference_readers_dense_frame_names_its_matrix_by_the_hosts_fingerprint() {
    // Both written by core/tests/reference/frame_reference.py (numpy + hashlib).
    let core_data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data");
    let bytes = std::fs::read(core_data.join("frame_thresholds2_dense.bin")).unwrap();
    let f = frame::decode(&bytes).unwrap();
    let h = f.header();
    assert_eq!(h.operator.kind, OperatorKind::Dense);
    let a = SensingMatrix::load(
        &core_data.join("frame_thresholds2_dense_matrix.npy"),
        1 << 20,
    )
    .unwrap();
    assert_eq!(a.fingerprint, h.operator.seed);
    a.check_frame(h, "frame_thresholds2_dense.bin").unwrap();
}

#[test]
fn bad_matrix_files_are_refused_with_the_file_and_the_reason() {
    let err = |name: &str, limit: u64| {
        format!(
            "{:#}",
            SensingMatrix::load(&fixture(name), limit).unwrap_err()
        )
    };
    let e = err("a_3d.npy", 1 << 20);
    assert!(
        e.contains("a_3d.npy: shape [1, 3, 5]; a sensing matrix is 2-D"),
        "{e}"
    );
    let e = err("a_int.npy", 1 << 20);
    assert!(
        e.contains("a_int.npy: dtype <i4; a sensing matrix is float32 or float64"),
        "{e}"
    );
    let e = err("a_nan.npy", 1 << 20);
    assert!(e.contains("a_nan.npy: entry [1, 2] is NaN"), "{e}");
    let e = err("a_f64.npy", 32);
    assert!(
        e.contains("a 3 × 5 matrix needs 60 B as f32, more than --max-memory 32 B"),
        "{e}"
    );
    let e = err("fingerprint.txt", 1 << 20);
    assert!(e.contains("fingerprint.txt: not a .npy array"), "{e}");
}

/// The seeded operator of `qcs measure`'s defaults (seed 12345, M = 200, 1/M) as a `.npy`.
fn seeded_as_npy(path: &Path) {
    let op = SeededGaussian::new(12345, 200, 784, Scaling::PerMeasurement).unwrap();
    let mut a = vec![0.0f32; op.rows() * op.cols()];
    op.materialize(&mut a).unwrap();
    data::write_npy(path, &[200, 784], &a).unwrap();
}

#[test]
fn a_dense_frame_measures_and_reconstructs_as_the_seeded_operator_it_copies() {
    let a = tmp("seeded.npy");
    seeded_as_npy(&a);
    let seeded = tmp("seeded.qcsf");
    let dense = tmp("dense.qcsf");
    ok(&qcs(&["measure", "--digit", "5", "-o", p(&seeded)]));
    ok(&qcs(&[
        "measure",
        "--digit",
        "5",
        "--matrix",
        p(&a),
        "-o",
        p(&dense),
    ]));
    let (sb, db) = (
        std::fs::read(&seeded).unwrap(),
        std::fs::read(&dense).unwrap(),
    );
    let (sf, df) = (frame::decode(&sb).unwrap(), frame::decode(&db).unwrap());
    let (sh, dh) = (sf.header(), df.header());
    assert_eq!(dh.operator.kind, OperatorKind::Dense);
    let matrix = SensingMatrix::load(&a, 1 << 30).unwrap();
    assert_eq!(dh.operator.seed, matrix.fingerprint);
    assert_eq!((dh.m(), dh.n(), dh.sigma), (sh.m(), sh.n(), sh.sigma));
    // The same A and the same noise stream: the same codes.
    assert_eq!(df.payload(), sf.payload());

    let short = ["--levels", "3", "--samples", "2"];
    let (out_s, out_d) = (tmp("rec-seeded"), tmp("rec-dense"));
    let mut args = vec!["reconstruct", p(&seeded), "--out", p(&out_s)];
    args.extend(short);
    ok(&qcs(&args));
    let mut args = vec![
        "reconstruct",
        p(&dense),
        "--matrix",
        p(&a),
        "--out",
        p(&out_d),
    ];
    args.extend(short);
    ok(&qcs(&args));
    for name in ["mean.npy", "samples.npy"] {
        assert!(
            std::fs::read(out_s.join(name)).unwrap() == std::fs::read(out_d.join(name)).unwrap(),
            "{name} differs between the seeded and the dense frame"
        );
    }
    let inspect = ok(&qcs(&["inspect", p(&dense)]));
    assert!(
        inspect.contains(&format!("matrix fingerprint {:#018x}", matrix.fingerprint)),
        "{inspect}"
    );
}

#[test]
fn the_receiver_refuses_a_missing_wrong_or_misplaced_matrix() {
    let a = tmp("right.npy");
    seeded_as_npy(&a);
    let dense = tmp("d.qcsf");
    ok(&qcs(&[
        "measure",
        "--digit",
        "2",
        "--matrix",
        p(&a),
        "-o",
        p(&dense),
    ]));
    let fp = SensingMatrix::load(&a, 1 << 30).unwrap().fingerprint;
    let fp_hex = format!("{fp:#018x}");

    // No matrix.
    fails_with(
        &qcs(&["reconstruct", p(&dense)]),
        &[
            p(&dense),
            "names a dense 200 × 784 matrix by its fingerprint",
            &fp_hex,
            "--matrix",
        ],
    );
    // Another matrix of the same shape: one entry changed.
    let wrong = tmp("wrong.npy");
    let mut m = SensingMatrix::load(&a, 1 << 30).unwrap().values;
    m[0] += 1.0;
    data::write_npy(&wrong, &[200, 784], &m).unwrap();
    fails_with(
        &qcs(&["reconstruct", p(&dense), "--matrix", p(&wrong)]),
        &[
            p(&wrong),
            &fp_hex,
            "field `seed`",
            "not the matrix the sensor measured with",
        ],
    );
    // Another shape.
    let small = fixture("a_f64.npy");
    fails_with(
        &qcs(&["reconstruct", p(&dense), "--matrix", p(&small)]),
        &["3 × 5, but", "declares M = 200, N = 784"],
    );
    // A matrix for a seeded frame.
    let seeded = tmp("s.qcsf");
    ok(&qcs(&["measure", "--digit", "2", "-o", p(&seeded)]));
    fails_with(
        &qcs(&["reconstruct", p(&seeded), "--matrix", p(&a)]),
        &[
            "names a seeded operator",
            "--matrix is for frames of a dense operator",
        ],
    );
    // The sensor side: columns against the signal, and no --measurements with a matrix.
    fails_with(
        &qcs(&[
            "measure",
            "--digit",
            "2",
            "--matrix",
            p(&small),
            "-o",
            p(&tmp("x.qcsf")),
        ]),
        &["5 columns, but the signal", "has N = 784 values"],
    );
    let out = qcs(&[
        "measure",
        "--digit",
        "2",
        "--matrix",
        p(&a),
        "--measurements",
        "10",
        "-o",
        p(&tmp("y.qcsf")),
    ]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}
