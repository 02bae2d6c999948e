//! Tests of the sensing operators (paper eq. 1–2): known-answer values of the seeded
//! Gaussian against an independent numpy reimplementation, exact `AAᵀ = c·I` of the
//! structured operator, adjoint identities, dense/matrix-free agreement, and error handling.

use proptest::prelude::*;
use qcs_core::operator::{
    dot, DenseOperator, Scaling, SeededGaussian, SensingOperator, Structured,
};
use qcs_core::rng::{stream_rng, uniform_pm1};
use qcs_core::Error;

const ALL_SCALINGS: [Scaling; 3] = [Scaling::PerMeasurement, Scaling::Unit, Scaling::UnitRows];

fn random_vec(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = stream_rng(seed, 0xABCD);
    (0..len).map(|_| uniform_pm1(&mut rng)).collect()
}

fn scratch_for(op: &impl SensingOperator) -> Vec<f32> {
    vec![0.0; op.scratch_len()]
}

/// The dense `M×N` matrix of `op`, column `j` = `op.forward(e_j)`, row-major.
fn dense_by_forward(op: &impl SensingOperator) -> Vec<f32> {
    let (m, n) = (op.rows(), op.cols());
    let mut a = vec![0.0f32; m * n];
    let mut e = vec![0.0f32; n];
    let mut col = vec![0.0f32; m];
    let mut scratch = scratch_for(op);
    for j in 0..n {
        e[j] = 1.0;
        op.forward(&e, &mut col, &mut scratch).unwrap();
        e[j] = 0.0;
        for i in 0..m {
            a[i * n + j] = col[i];
        }
    }
    a
}

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

/// Distance in units in the last place between two finite `f32` of the same sign.
fn ulps(a: f32, b: f32) -> u32 {
    if a == b {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        return u32::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

fn scaling_from_name(name: &str) -> Scaling {
    match name {
        "PerMeasurement" => Scaling::PerMeasurement,
        "Unit" => Scaling::Unit,
        "UnitRows" => Scaling::UnitRows,
        other => panic!("unknown scaling {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// SeededGaussian
// ---------------------------------------------------------------------------------------

#[test]
fn seeded_matches_independent_numpy_reference() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/operators_seeded.csv"
    );
    let mut reader =
        csv::Reader::from_path(path).expect("run core/tests/reference/operators_seeded.py");
    let (mut total, mut equal, mut worst) = (0usize, 0usize, 0u32);
    let mut row = Vec::new();
    let mut current = None;
    for record in reader.records() {
        let r = record.unwrap();
        let seed: u64 = r[0].parse().unwrap();
        let rows: usize = r[1].parse().unwrap();
        let cols: usize = r[2].parse().unwrap();
        let scaling = scaling_from_name(&r[3]);
        let m: usize = r[4].parse().unwrap();
        let n: usize = r[5].parse().unwrap();
        let bits = u32::from_str_radix(r[6].trim_start_matches("0x"), 16).unwrap();
        let expected = f32::from_bits(bits);
        let key = (seed, rows, cols, scaling, m);
        if current != Some(key) {
            let op = SeededGaussian::new(seed, rows, cols, scaling).unwrap();
            row = vec![0.0; cols];
            op.row(m, &mut row).unwrap();
            current = Some(key);
        }
        let got = row[n];
        let d = ulps(got, expected);
        assert!(d <= 4, "seed {seed} ({rows}×{cols}, {scaling:?}) a[{m}][{n}] = {got:e}, reference {expected:e} ({d} ulp)");
        total += 1;
        equal += usize::from(d == 0);
        worst = worst.max(d);
    }
    assert!(total >= 400, "only {total} reference values");
    println!("seeded vs numpy reference: {equal}/{total} bit-equal, worst {worst} ulp");
    // musl's logf is within 1 ulp and almost always correctly rounded: nearly all must match.
    assert!(equal * 10 >= total * 9, "{equal}/{total} bit-equal");
}

#[test]
fn seeded_materialize_row_and_dense_apply_are_bit_identical() {
    // N odd and > 2 chunks, so that the chunked regeneration and the tail of `dot` are covered.
    for &(m, n) in &[(7usize, 301usize), (3, 128), (5, 1), (1, 17), (4, 256)] {
        for scaling in ALL_SCALINGS {
            let op = SeededGaussian::new(2024, m, n, scaling).unwrap();
            let mut data = vec![0.0; m * n];
            op.materialize(&mut data).unwrap();
            let mut row = vec![0.0; n];
            for i in 0..m {
                op.row(i, &mut row).unwrap();
                assert_eq!(row, data[i * n..(i + 1) * n]);
            }
            let dense = DenseOperator::new(&data, m, n).unwrap();
            let x = random_vec(1, n);
            let r = random_vec(2, m);
            let (mut y1, mut y2) = (vec![0.0; m], vec![0.0; m]);
            op.forward(&x, &mut y1, &mut []).unwrap();
            dense.forward(&x, &mut y2, &mut []).unwrap();
            assert_eq!(bits(&y1), bits(&y2), "forward {m}×{n} {scaling:?}");
            let (mut x1, mut x2) = (vec![1.0; n], vec![2.0; n]);
            op.adjoint(&r, &mut x1, &mut []).unwrap();
            dense.adjoint(&r, &mut x2, &mut []).unwrap();
            assert_eq!(bits(&x1), bits(&x2), "adjoint {m}×{n} {scaling:?}");
            let (mut n1, mut n2) = (vec![0.0; m], vec![0.0; m]);
            op.row_norms_sq(&mut n1).unwrap();
            dense.row_norms_sq(&mut n2).unwrap();
            assert_eq!(bits(&n1), bits(&n2), "row norms {m}×{n} {scaling:?}");
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn seeded_entries_have_the_documented_variance() {
    let (m, n) = (50usize, 2000usize);
    for (scaling, var) in [
        (Scaling::PerMeasurement, 1.0 / m as f64),
        (Scaling::Unit, 1.0),
        (Scaling::UnitRows, 1.0 / n as f64),
    ] {
        let op = SeededGaussian::new(7, m, n, scaling).unwrap();
        let mut data = vec![0.0; m * n];
        op.materialize(&mut data).unwrap();
        let mean = data.iter().map(|&v| v as f64).sum::<f64>() / data.len() as f64;
        let ms = data.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / data.len() as f64;
        // 100k entries: relative standard error of the variance ≈ 0.45%.
        assert!((ms / var - 1.0).abs() < 0.02, "{scaling:?}: {ms} vs {var}");
        assert!(mean.abs() < 0.02 * var.sqrt(), "{scaling:?}: mean {mean}");
    }
    // The scale is exactly the documented f32 expression.
    let op = SeededGaussian::new(7, 200, 784, Scaling::PerMeasurement).unwrap();
    assert_eq!(op.scale(), 1.0 / libm::sqrtf(200.0));
}

#[test]
fn seeded_seeds_and_rows_differ() {
    let n = 64;
    let a = SeededGaussian::new(1, 2, n, Scaling::Unit).unwrap();
    let b = SeededGaussian::new(2, 2, n, Scaling::Unit).unwrap();
    let (mut r0, mut r1, mut s0) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    a.row(0, &mut r0).unwrap();
    a.row(1, &mut r1).unwrap();
    b.row(0, &mut s0).unwrap();
    assert_ne!(r0, r1);
    assert_ne!(r0, s0);
    // Row m does not depend on M: the same seed gives the same first rows for any M.
    let c = SeededGaussian::new(1, 10, n, Scaling::Unit).unwrap();
    let mut c0 = vec![0.0; n];
    c.row(0, &mut c0).unwrap();
    assert_eq!(r0, c0);
}

// ---------------------------------------------------------------------------------------
// Structured
// ---------------------------------------------------------------------------------------

/// `max |(AAᵀ)_{ij} − c δ_ij| / c` from the dense matrix.
fn gram_error_dense(a: &[f32], m: usize, n: usize, c: f64) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..m {
        for j in 0..m {
            let g = dot64(&a[i * n..(i + 1) * n], &a[j * n..(j + 1) * n]);
            let target = if i == j { c } else { 0.0 };
            worst = worst.max((g - target).abs() / c);
        }
    }
    worst
}

#[test]
fn structured_gram_is_exactly_a_multiple_of_identity_from_dense_matrix() {
    for n in [1usize, 37, 100, 784, 1024] {
        // M = N at the larger N is covered (cheaper) by `structured_full_gram_via_forward_of_adjoint`.
        let mut ms: Vec<usize> = [1, 2, n / 10, n / 4, n / 2, n]
            .into_iter()
            .filter(|&m| m >= 1 && m <= n && m * m * n <= 40_000_000)
            .collect();
        ms.dedup();
        for &m in &ms {
            for scaling in ALL_SCALINGS {
                let op = Structured::new(12345, m, n, scaling).unwrap();
                let c = op.gram() as f64;
                let expected_c = match scaling {
                    Scaling::PerMeasurement => n as f64 / m as f64,
                    Scaling::Unit => n as f64,
                    Scaling::UnitRows => 1.0,
                };
                assert!((c / expected_c - 1.0).abs() < 1e-6);
                let a = dense_by_forward(&op);
                let err = gram_error_dense(&a, m, n, c);
                assert!(
                    err < 1e-5,
                    "N={n} M={m} {scaling:?}: |AAᵀ − cI|/c = {err:e}"
                );
                // The rows built by `row` / `materialize` (adjoint of e_k) agree with the
                // forward-built matrix.
                let mut scratch = scratch_for(&op);
                let mut mat = vec![0.0; m * n];
                op.materialize(&mut mat, &mut scratch).unwrap();
                // Entrywise, relative to the row norm √c.
                for (p, q) in a.iter().zip(&mat) {
                    assert!(((p - q) as f64).abs() <= 1e-6 * c.sqrt(), "{p} vs {q}");
                }
            }
        }
    }
}

#[test]
fn structured_full_gram_via_forward_of_adjoint() {
    // AAᵀ e_k = forward(adjoint(e_k)): the whole Gram matrix in O(M N log N), for M up to N.
    for n in [1usize, 37, 100, 784, 1024] {
        for m in [n, n - n / 3, (n / 7).max(1)] {
            let op = Structured::new(777, m, n, Scaling::UnitRows).unwrap();
            let mut scratch = scratch_for(&op);
            let (mut e, mut x, mut g) = (vec![0.0; m], vec![0.0; n], vec![0.0; m]);
            let mut worst = 0.0f32;
            for k in 0..m {
                e[k] = 1.0;
                op.adjoint(&e, &mut x, &mut scratch).unwrap();
                op.forward(&x, &mut g, &mut scratch).unwrap();
                e[k] = 0.0;
                for (i, &gi) in g.iter().enumerate() {
                    let target = if i == k { 1.0 } else { 0.0 };
                    worst = worst.max((gi - target).abs());
                }
            }
            assert!(worst < 1e-5, "N={n} M={m}: {worst:e}");
        }
    }
}

#[test]
fn structured_row_norms_are_the_gram_diagonal() {
    let op = Structured::new(5, 200, 784, Scaling::PerMeasurement).unwrap();
    let mut norms = vec![0.0; 200];
    op.row_norms_sq(&mut norms).unwrap();
    assert!(norms.iter().all(|&v| v == 784.0f32 / 200.0));
    let mut scratch = scratch_for(&op);
    let mut row = vec![0.0; 784];
    for (k, &norm) in norms.iter().enumerate() {
        op.row(k, &mut row, &mut scratch).unwrap();
        let rn = dot64(&row, &row);
        assert!((rn / norm as f64 - 1.0).abs() < 1e-5, "row {k}: {rn}");
    }
}

#[test]
fn structured_mixes_every_row() {
    // No row of A may hold more than 60% of its energy in 10% of the coordinates (an i.i.d.
    // Gaussian row holds about 44% there).
    for (n, m) in [
        (784usize, 200usize),
        (784, 784),
        (1000, 500),
        (12288 / 16, 100),
    ] {
        let op = Structured::new(12345, m, n, Scaling::PerMeasurement).unwrap();
        let mut scratch = scratch_for(&op);
        let mut mat = vec![0.0; m * n];
        op.materialize(&mut mat, &mut scratch).unwrap();
        let top = n / 10;
        let mut worst = 0.0f64;
        let mut max_entry = 0.0f64;
        for row in mat.chunks_exact(n) {
            let mut e: Vec<f64> = row.iter().map(|&v| v as f64 * v as f64).collect();
            let total: f64 = e.iter().sum();
            e.sort_by(|a, b| b.partial_cmp(a).unwrap());
            let frac = e[..top].iter().sum::<f64>() / total;
            worst = worst.max(frac);
            max_entry = max_entry.max(e[0] / total);
        }
        println!(
            "N={n} M={m}: worst top-10% energy {worst:.3}, largest entry² share {max_entry:.4}"
        );
        assert!(
            worst <= 0.6,
            "N={n} M={m}: a row holds {worst} of its energy in 10% of coordinates"
        );
    }
}

#[test]
fn structured_rows_differ_between_seeds_and_rows_are_distinct() {
    let n = 784;
    let a = Structured::new(1, 10, n, Scaling::UnitRows).unwrap();
    let b = Structured::new(2, 10, n, Scaling::UnitRows).unwrap();
    let mut scratch = scratch_for(&a);
    let (mut ra, mut rb) = (vec![0.0; n], vec![0.0; n]);
    for k in 0..10 {
        a.row(k, &mut ra, &mut scratch).unwrap();
        b.row(k, &mut rb, &mut scratch).unwrap();
        // Unit rows of two independent random orthogonal-like transforms: |⟨ra, rb⟩| ≈ 1/√N.
        let c = dot64(&ra, &rb).abs();
        assert!(c < 0.25, "row {k}: |cos| = {c}");
    }
    let rows: Vec<usize> = (0..10).map(|k| a.selected_row(k).unwrap()).collect();
    let rows_b: Vec<usize> = (0..10).map(|k| b.selected_row(k).unwrap()).collect();
    assert_ne!(rows, rows_b);
    assert_ne!(a.permutation(), b.permutation());
    assert_eq!(a.window(), 512);
}

#[test]
fn structured_matches_its_materialized_dense_operator() {
    for (m, n) in [(200usize, 784usize), (37, 37), (13, 100)] {
        let op = Structured::new(9, m, n, Scaling::PerMeasurement).unwrap();
        let mut scratch = scratch_for(&op);
        let mut data = vec![0.0; m * n];
        op.materialize(&mut data, &mut scratch).unwrap();
        let dense = DenseOperator::new(&data, m, n).unwrap();
        let x = random_vec(3, n);
        let r = random_vec(4, m);
        let (mut y1, mut y2) = (vec![0.0; m], vec![0.0; m]);
        op.forward(&x, &mut y1, &mut scratch).unwrap();
        dense.forward(&x, &mut y2, &mut []).unwrap();
        let scale = dot64(&y2, &y2).sqrt();
        for (p, q) in y1.iter().zip(&y2) {
            assert!(((p - q) as f64).abs() <= 1e-5 * scale, "{p} vs {q}");
        }
        let (mut x1, mut x2) = (vec![0.0; n], vec![0.0; n]);
        op.adjoint(&r, &mut x1, &mut scratch).unwrap();
        dense.adjoint(&r, &mut x2, &mut []).unwrap();
        let scale = dot64(&x2, &x2).sqrt();
        for (p, q) in x1.iter().zip(&x2) {
            assert!(((p - q) as f64).abs() <= 1e-5 * scale, "{p} vs {q}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// All operators: adjoint identity and errors
// ---------------------------------------------------------------------------------------

fn check_adjoint_identity(op: &impl SensingOperator, seed: u64) {
    let (m, n) = (op.rows(), op.cols());
    let x = random_vec(seed, n);
    let r = random_vec(seed + 1, m);
    let mut scratch = scratch_for(op);
    let (mut y, mut z) = (vec![0.0; m], vec![0.0; n]);
    op.forward(&x, &mut y, &mut scratch).unwrap();
    op.adjoint(&r, &mut z, &mut scratch).unwrap();
    let lhs = dot64(&y, &r);
    let rhs = dot64(&x, &z);
    let scale = (dot64(&y, &y) * dot64(&r, &r)).sqrt().max(1e-30);
    assert!(
        (lhs - rhs).abs() <= 1e-5 * scale,
        "⟨Ax, r⟩ = {lhs}, ⟨x, Aᵀr⟩ = {rhs}"
    );
}

#[test]
fn adjoint_identity_all_operators() {
    for (m, n) in [
        (1usize, 1usize),
        (10, 37),
        (200, 784),
        (100, 100),
        (3, 1024),
    ] {
        for scaling in ALL_SCALINGS {
            let s = Structured::new(31, m, n, scaling).unwrap();
            check_adjoint_identity(&s, 1);
            let g = SeededGaussian::new(31, m, n, scaling).unwrap();
            check_adjoint_identity(&g, 2);
            let mut data = vec![0.0; m * n];
            g.materialize(&mut data).unwrap();
            check_adjoint_identity(&DenseOperator::new(&data, m, n).unwrap(), 3);
        }
    }
    // Also through the blanket impl for references / trait objects.
    let s = Structured::new(31, 5, 20, Scaling::Unit).unwrap();
    let dynop: &dyn SensingOperator = &s;
    check_adjoint_identity(&dynop, 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn structured_adjoint_identity_and_isometry(seed in any::<u64>(), n in 1usize..600, frac in 0.0f64..1.0) {
        let m = ((n as f64 * frac) as usize).clamp(1, n);
        let op = Structured::new(seed, m, n, Scaling::UnitRows).unwrap();
        check_adjoint_identity(&op, seed);
        // Rows orthonormal ⇒ ‖Aᵀr‖ = ‖r‖.
        let r = random_vec(seed ^ 5, m);
        let mut x = vec![0.0; n];
        let mut scratch = scratch_for(&op);
        op.adjoint(&r, &mut x, &mut scratch).unwrap();
        let (nx, nr) = (dot64(&x, &x), dot64(&r, &r));
        prop_assert!((nx - nr).abs() <= 1e-5 * nr, "‖Aᵀr‖² = {}, ‖r‖² = {}", nx, nr);
    }
}

#[test]
fn constructors_reject_bad_shapes() {
    for scaling in ALL_SCALINGS {
        assert_eq!(
            SeededGaussian::new(0, 0, 5, scaling),
            Err(Error::Empty { field: "rows" })
        );
        assert_eq!(
            SeededGaussian::new(0, 5, 0, scaling),
            Err(Error::Empty { field: "cols" })
        );
        assert_eq!(
            Structured::new(0, 0, 5, scaling),
            Err(Error::Empty { field: "rows" })
        );
        assert_eq!(
            Structured::new(0, 5, 0, scaling),
            Err(Error::Empty { field: "cols" })
        );
        assert!(matches!(
            Structured::new(0, 6, 5, scaling),
            Err(Error::InvalidParameter { field: "rows", .. })
        ));
        assert!(matches!(
            Structured::new(0, 1, Structured::MAX_COLS + 1, scaling),
            Err(Error::InvalidParameter { field: "cols", .. })
        ));
    }
    let data = [0.0f32; 6];
    assert_eq!(
        DenseOperator::new(&data, 0, 6).err(),
        Some(Error::Empty { field: "rows" })
    );
    assert_eq!(
        DenseOperator::new(&data, 6, 0).err(),
        Some(Error::Empty { field: "cols" })
    );
    assert!(matches!(
        DenseOperator::new(&data, 2, 2),
        Err(Error::DimensionMismatch { field: "data", .. })
    ));
    assert!(matches!(
        DenseOperator::new(&data, usize::MAX, 2),
        Err(Error::InvalidParameter { field: "rows", .. })
    ));
    let nan = [0.0, f32::NAN, 0.0, 0.0];
    assert_eq!(
        DenseOperator::new(&nan, 2, 2).err(),
        Some(Error::NonFinite {
            field: "data",
            index: 1
        })
    );
    // A huge seeded operator is fine to construct (nothing is stored) but cannot be materialized.
    let huge = SeededGaussian::new(0, usize::MAX, 2, Scaling::Unit).unwrap();
    assert!(matches!(
        huge.materialize(&mut []),
        Err(Error::InvalidParameter { field: "rows", .. })
    ));
}

/// Every length check of the trait methods, for any operator.
fn check_length_errors(op: &impl SensingOperator) {
    let (m, n) = (op.rows(), op.cols());
    let mut scratch = scratch_for(op);
    let (x, mut y) = (vec![0.0; n], vec![0.0; m]);
    let (r, mut z) = (vec![0.0; m], vec![0.0; n]);
    let mismatch = |res: qcs_core::Result<()>, field: &str| match res {
        Err(Error::DimensionMismatch { field: f, .. }) => assert_eq!(f, field),
        other => panic!("expected DimensionMismatch for {field}, got {other:?}"),
    };
    mismatch(op.forward(&x[..n - 1], &mut y, &mut scratch), "x");
    mismatch(op.forward(&vec![0.0; n + 1], &mut y, &mut scratch), "x");
    mismatch(op.forward(&x, &mut vec![0.0; m + 1], &mut scratch), "y");
    mismatch(op.adjoint(&vec![0.0; m + 1], &mut z, &mut scratch), "r");
    mismatch(op.adjoint(&r, &mut vec![0.0; n + 1], &mut scratch), "x");
    mismatch(op.row_norms_sq(&mut vec![0.0; m + 1]), "out");
    if op.scratch_len() > 0 {
        let mut small = vec![0.0; op.scratch_len() - 1];
        assert!(matches!(
            op.forward(&x, &mut y, &mut small),
            Err(Error::BufferTooSmall {
                field: "scratch",
                ..
            })
        ));
        assert!(matches!(
            op.adjoint(&r, &mut z, &mut []),
            Err(Error::BufferTooSmall {
                field: "scratch",
                ..
            })
        ));
    }
    // A larger scratch than needed is fine.
    let mut big = vec![0.0; op.scratch_len() + 7];
    op.forward(&x, &mut y, &mut big).unwrap();
    op.adjoint(&r, &mut z, &mut big).unwrap();
}

#[test]
fn apply_methods_reject_bad_lengths() {
    let (m, n) = (4usize, 10usize);
    let s = Structured::new(1, m, n, Scaling::PerMeasurement).unwrap();
    let g = SeededGaussian::new(1, m, n, Scaling::PerMeasurement).unwrap();
    let mut data = vec![0.0; m * n];
    g.materialize(&mut data).unwrap();
    let d = DenseOperator::new(&data, m, n).unwrap();
    check_length_errors(&s);
    check_length_errors(&g);
    check_length_errors(&d);

    // Row accessors and materialize.
    let mut row = vec![0.0; n];
    let mut scratch = vec![0.0; s.scratch_len()];
    let mut data = data.clone();
    assert!(matches!(
        g.row(m, &mut row),
        Err(Error::InvalidParameter { field: "m", .. })
    ));
    assert!(matches!(
        g.row(0, &mut row[..n - 1]),
        Err(Error::DimensionMismatch { field: "out", .. })
    ));
    assert!(matches!(
        g.materialize(&mut data[1..]),
        Err(Error::DimensionMismatch { field: "out", .. })
    ));
    assert!(matches!(
        s.row(m, &mut row, &mut scratch),
        Err(Error::InvalidParameter { field: "m", .. })
    ));
    assert!(matches!(
        s.row(0, &mut row[..n - 1], &mut scratch),
        Err(Error::DimensionMismatch { field: "out", .. })
    ));
    assert!(matches!(
        s.row(0, &mut row, &mut scratch[..n - 1]),
        Err(Error::BufferTooSmall {
            field: "scratch",
            ..
        })
    ));
    assert!(matches!(
        s.materialize(&mut data[1..], &mut scratch),
        Err(Error::DimensionMismatch { field: "out", .. })
    ));
    assert!(matches!(
        s.materialize(&mut data, &mut []),
        Err(Error::BufferTooSmall {
            field: "scratch",
            ..
        })
    ));
    assert!(matches!(
        s.selected_row(m),
        Err(Error::InvalidParameter { field: "m", .. })
    ));
    assert!(matches!(
        d.row(m),
        Err(Error::InvalidParameter { field: "m", .. })
    ));
    assert_eq!(d.row(1).unwrap(), &d.data()[n..2 * n]);
}

#[test]
fn dot_is_deterministic_and_exact_on_small_integers() {
    let a: Vec<f32> = (0..37).map(|i| i as f32).collect();
    let b: Vec<f32> = (0..37).map(|i| (i % 5) as f32 - 2.0).collect();
    let exact: f64 = dot64(&a, &b);
    assert_eq!(dot(&a, &b) as f64, exact);
}
