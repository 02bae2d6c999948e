//! The pseudo-likelihood scores against mpmath golden values
//! (`core/tests/reference/likelihood_golden.py`, 50 digits at the exact f32 inputs).

mod common;

use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::Error;

/// Checks `got` against `expected` with relative tolerance `rel` plus an absolute floor
/// `abs` (in the natural scale of the score, `1/s`).
fn close(got: f32, expected: f64, rel: f64, abs: f64) -> bool {
    got.is_finite() && ((got as f64) - expected).abs() <= rel * expected.abs() + abs
}

/// Tolerance `(relative, absolute in units of 1/s)` of the one-bit and multi-bit scores: the
/// default build's; with `fast-math` (micromath's square root in `1/s`), the bounds stated and
/// derived in `tests/fastmath.rs`.
#[cfg(not(feature = "fast-math"))]
const SCORE_TOL: (f64, f64) = (2e-5, 1e-7);
/// Tolerance `(relative, absolute in units of 1/s)` of the one-bit and multi-bit scores with
/// `fast-math` (see `tests/fastmath.rs`).
#[cfg(feature = "fast-math")]
const SCORE_TOL: (f64, f64) = (0.15, 0.05);

/// Runs one measurement through `prepare` + `g` and returns `(g, 1/s)`.
fn one(meas: Measurements<'_>, sigma: f32, beta: f32, norm2: f32, z: f32) -> (f32, f32) {
    let lik = PseudoLikelihood::new(meas, sigma).expect("valid likelihood");
    let mut cache = [0.0f32];
    lik.prepare(beta, &[norm2], &mut cache).expect("prepare");
    let mut g = [0.0f32];
    lik.g(&[z], &cache, &mut g, &mut []).expect("g");
    (g[0], cache[0])
}

#[test]
fn one_bit_matches_mpmath() {
    let (_, rows) = common::read_csv("likelihood_one_bit.csv");
    assert!(rows.len() > 400);
    let mut worst = 0.0f64;
    for r in &rows {
        let (z, y, sigma, beta, n2, exp) = (
            r[0] as f32,
            r[1] as f32,
            r[2] as f32,
            r[3] as f32,
            r[4] as f32,
            r[5],
        );
        let signs = [y];
        let (g, inv_s) = one(Measurements::one_bit(&signs), sigma, beta, n2, z);
        let rel = ((g as f64) - exp).abs() / exp.abs().max(1e-300);
        worst = worst.max(rel.min(1.0));
        assert!(
            close(g, exp, SCORE_TOL.0, SCORE_TOL.1 * inv_s as f64),
            "z={z} y={y} σ={sigma} β={beta} ‖a‖²={n2}: got {g}, want {exp}"
        );
    }
    eprintln!(
        "one-bit: worst relative error {worst:.2e} over {} rows",
        rows.len()
    );
}

#[test]
fn quantized_matches_mpmath() {
    let (_, rows) = common::read_csv("likelihood_quantized.csv");
    assert!(rows.len() > 200);
    for r in &rows {
        let (z, l, u, sigma, beta, n2, exp) = (
            r[0] as f32,
            r[1] as f32,
            r[2] as f32,
            r[3] as f32,
            r[4] as f32,
            r[5] as f32,
            r[6],
        );
        let (lower, upper) = ([l], [u]);
        let (g, inv_s) = one(Measurements::quantized(&lower, &upper), sigma, beta, n2, z);
        assert!(
            close(g, exp, SCORE_TOL.0, SCORE_TOL.1 * inv_s as f64),
            "z={z} [{l},{u}) σ={sigma} β={beta} ‖a‖²={n2}: got {g}, want {exp}"
        );
    }
}

#[test]
fn linear_diagonal_matches_mpmath() {
    let (_, rows) = common::read_csv("likelihood_linear_diagonal.csv");
    assert!(rows.len() > 20);
    for r in &rows {
        let (z, y, sigma, beta, n2, exp) = (
            r[0] as f32,
            r[1] as f32,
            r[2] as f32,
            r[3] as f32,
            r[4] as f32,
            r[5],
        );
        let ys = [y];
        let (g, _) = one(Measurements::linear_diagonal(&ys), sigma, beta, n2, z);
        assert!(
            close(g, exp, 1e-6, 0.0),
            "z={z} y={y} σ={sigma} β={beta}: got {g}, want {exp}"
        );
    }
}

#[test]
fn linear_exact_matches_mpmath() {
    let (_, rows) = common::read_csv("likelihood_linear_exact.csv");
    let m = 5;
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let f: Vec<f32> = r.iter().map(|&v| v as f32).collect();
        let (sigma, beta) = (f[0], f[1]);
        let y = &f[2..2 + m];
        let z = &f[2 + m..2 + 2 * m];
        let u = &f[2 + 2 * m..2 + 2 * m + m * m];
        let lam = &f[2 + 2 * m + m * m..2 + 3 * m + m * m];
        let exp = &r[2 + 3 * m + m * m..];
        let lik = PseudoLikelihood::new(
            Measurements::LinearExact {
                y,
                eigenvectors: u,
                eigenvalues: lam,
            },
            sigma,
        )
        .unwrap();
        let mut cache = vec![0.0f32; m];
        lik.prepare(beta, &[], &mut cache).unwrap();
        let (mut g, mut scratch) = (vec![0.0f32; m], vec![0.0f32; m]);
        lik.g(z, &cache, &mut g, &mut scratch).unwrap();
        let scale = exp.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (i, (&gi, &ei)) in g.iter().zip(exp).enumerate() {
            assert!(
                close(gi, ei, 1e-4, 1e-5 * scale),
                "σ={sigma} β={beta} g[{i}]: got {gi}, want {ei}"
            );
        }
    }
}

/// The field of an `InvalidParameter` whose value is NaN (NaN is not equal to itself).
fn invalid_nan(e: Option<Error>) -> Option<(&'static str, &'static str)> {
    match e {
        Some(Error::InvalidParameter {
            field,
            value,
            expected,
        }) if value.is_nan() => Some((field, expected)),
        _ => None,
    }
}

#[test]
fn bad_measurements_are_errors() {
    let new = |m: Measurements<'_>, sigma: f32| PseudoLikelihood::new(m, sigma).err();
    assert_eq!(
        new(Measurements::one_bit(&[1.0, 0.0]), 0.1),
        Some(Error::InvalidParameter {
            field: "signs",
            value: 0.0,
            expected: "every sign to be +1 or -1"
        })
    );
    assert_eq!(
        new(Measurements::one_bit(&[]), 0.1),
        Some(Error::Empty {
            field: "measurements"
        })
    );
    assert_eq!(
        invalid_nan(new(Measurements::one_bit(&[1.0]), f32::NAN)),
        Some(("sigma", "finite and >= 0"))
    );
    assert_eq!(
        new(Measurements::one_bit(&[1.0]), -1.0),
        Some(Error::InvalidParameter {
            field: "sigma",
            value: -1.0,
            expected: "finite and >= 0"
        })
    );
    assert_eq!(
        new(Measurements::quantized(&[1.0], &[1.0]), 0.1),
        Some(Error::InvalidParameter {
            field: "upper",
            value: 1.0,
            expected: "each upper bin edge greater than its lower edge"
        })
    );
    assert_eq!(
        new(
            Measurements::quantized(&[f32::INFINITY], &[f32::INFINITY]),
            0.1
        ),
        Some(Error::NonFinite {
            field: "lower",
            index: 0
        })
    );
    assert_eq!(
        new(Measurements::quantized(&[0.0], &[1.0, 2.0]), 0.1),
        Some(Error::DimensionMismatch {
            field: "upper",
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        new(Measurements::linear_diagonal(&[f32::NAN]), 0.1),
        Some(Error::NonFinite {
            field: "y",
            index: 0
        })
    );
    assert_eq!(
        new(Measurements::linear_diagonal(&[1.0]), 0.0),
        Some(Error::InvalidParameter {
            field: "sigma",
            value: 0.0,
            expected: "sigma > 0 for unquantized measurements"
        })
    );
    let lik = PseudoLikelihood::new(Measurements::one_bit(&[1.0, -1.0]), 0.1).unwrap();
    let mut cache = [0.0; 2];
    assert_eq!(
        invalid_nan(lik.prepare(f32::NAN, &[1.0, 1.0], &mut cache).err()),
        Some(("beta", "finite and >= 0"))
    );
    assert_eq!(
        lik.prepare(1.0, &[1.0], &mut cache),
        Err(Error::DimensionMismatch {
            field: "row_norms_sq",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        lik.prepare(1.0, &[1.0, f32::INFINITY], &mut cache),
        Err(Error::NonFinite {
            field: "row_norms_sq",
            index: 1
        })
    );
    lik.prepare(1.0, &[1.0, 1.0], &mut cache).unwrap();
    let mut g = [0.0; 2];
    assert_eq!(
        lik.g(&[0.0, f32::NAN], &cache, &mut g, &mut []),
        Err(Error::NonFinite {
            field: "z",
            index: 1
        })
    );
    assert_eq!(
        lik.g(&[0.0], &cache, &mut g, &mut []),
        Err(Error::DimensionMismatch {
            field: "z",
            expected: 2,
            found: 1
        })
    );
    // Exact linear score needs M of scratch.
    let u = [1.0, 0.0, 0.0, 1.0];
    let lik = PseudoLikelihood::new(
        Measurements::LinearExact {
            y: &[0.0, 1.0],
            eigenvectors: &u,
            eigenvalues: &[1.0, 2.0],
        },
        0.1,
    )
    .unwrap();
    lik.prepare(1.0, &[], &mut cache).unwrap();
    assert_eq!(
        lik.g(&[0.0, 0.0], &cache, &mut g, &mut [0.0]),
        Err(Error::BufferTooSmall {
            field: "scratch",
            needed: 2,
            available: 1
        })
    );
}

/// The golden rows again, but each group of rows that shares `(σ, β)` as one measurement
/// vector (30–100 measurements with their own `z`, bins and `‖a_m‖²`), so that the kernels'
/// vectorized blocks (8 measurements that mix algorithms) are checked against mpmath too;
/// each result must also equal the single-measurement result bit for bit.
/// `(σ, β)` of a group of golden rows, as f32 bits.
type GroupKey = (u32, u32);

#[test]
fn whole_vectors_match_mpmath_and_single_measurements() {
    for (file, quantized) in [
        ("likelihood_quantized.csv", true),
        ("likelihood_one_bit.csv", false),
    ] {
        let (_, rows) = common::read_csv(file);
        let sb = if quantized { 3 } else { 2 };
        let mut groups: Vec<(GroupKey, Vec<&Vec<f64>>)> = Vec::new();
        for r in &rows {
            let key = ((r[sb] as f32).to_bits(), (r[sb + 1] as f32).to_bits());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, g)) => g.push(r),
                None => groups.push((key, vec![r])),
            }
        }
        assert!(groups.len() >= 5 && groups.iter().all(|(_, g)| g.len() >= 16));
        for ((sigma, beta), group) in &groups {
            let (sigma, beta) = (f32::from_bits(*sigma), f32::from_bits(*beta));
            let col = |j: usize| group.iter().map(|r| r[j] as f32).collect::<Vec<f32>>();
            let z = col(0);
            let (lower, upper, signs) = (col(1), col(2), col(1));
            let norms = col(sb + 2);
            let meas = |i: Option<usize>| {
                fn pick(v: &[f32], i: Option<usize>) -> &[f32] {
                    match i {
                        Some(i) => &v[i..=i],
                        None => v,
                    }
                }
                if quantized {
                    Measurements::quantized(pick(&lower, i), pick(&upper, i))
                } else {
                    Measurements::one_bit(pick(&signs, i))
                }
            };
            let lik = PseudoLikelihood::new(meas(None), sigma).expect("valid likelihood");
            let mut cache = vec![0.0f32; z.len()];
            lik.prepare(beta, &norms, &mut cache).expect("prepare");
            let mut g = vec![0.0f32; z.len()];
            lik.g(&z, &cache, &mut g, &mut []).expect("g");
            for (i, r) in group.iter().enumerate() {
                let exp = r[sb + 3];
                assert!(
                    close(g[i], exp, SCORE_TOL.0, SCORE_TOL.1 * cache[i] as f64),
                    "{file} row {i} of σ={sigma} β={beta}: got {}, want {exp}",
                    g[i]
                );
                let (single, _) = one(meas(Some(i)), sigma, beta, norms[i], z[i]);
                assert_eq!(g[i].to_bits(), single.to_bits(), "{file} row {i}");
            }
        }
    }
}
