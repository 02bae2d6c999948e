//! `qcs_core::gauss::truncated_normal_variance` against mpmath golden values
//! (`tests/reference/gauss_variance_golden.py` → `tests/data/gauss_truncated_var.csv`) and its
//! special cases.

use qcs_core::gauss::truncated_normal_variance;

/// Required relative accuracy (the measured worst case is printed by the test).
const REL_TOL: f64 = 1e-6;

const CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/gauss_truncated_var.csv"
));

fn parse(s: &str) -> f64 {
    s.trim().parse::<f64>().expect("number")
}

#[test]
fn variance_matches_mpmath() {
    let (mut worst, mut at, mut rows) = (0.0f64, String::new(), 0);
    let mut failures = Vec::new();
    for line in CSV.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let (a, b, want) = (parse(f[0]) as f32, parse(f[1]) as f32, parse(f[2]));
        let got = f64::from(truncated_normal_variance(a, b));
        rows += 1;
        // Below 2⁻¹⁰⁰ (only far-tail bins of one ulp) the check is absolute.
        let err = if want.abs() < 7.9e-31 {
            (got - want).abs() * 1e24
        } else {
            (got - want).abs() / want
        };
        if err.is_nan() || err > REL_TOL {
            failures.push(format!("({a:e}, {b:e}): got {got:e}, want {want:e}"));
        }
        if err > worst {
            worst = err;
            at = format!("({a:e}, {b:e}): got {got:e}, want {want:e}");
        }
    }
    println!(
        "truncated_normal_variance: {rows} rows, max rel err {worst:.3e} ({:.1} ulp) at {at}",
        worst / f64::from(f32::EPSILON / 2.0)
    );
    assert!(rows > 400);
    assert!(
        failures.is_empty(),
        "{} rows out of tolerance: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

#[test]
fn variance_special_cases() {
    assert_eq!(truncated_normal_variance(1.5, 1.5), 0.0);
    assert_eq!(
        truncated_normal_variance(f32::NEG_INFINITY, f32::INFINITY),
        1.0
    );
    assert!(truncated_normal_variance(f32::NAN, 1.0).is_nan());
    assert!(truncated_normal_variance(0.0, f32::NAN).is_nan());
    // Symmetric in the order of the bounds and under reflection.
    for &(a, b) in &[
        (0.3f32, 2.0f32),
        (-7.0, -3.5),
        (4.0, f32::INFINITY),
        (-1.0, 1e30),
    ] {
        let v = truncated_normal_variance(a, b);
        assert_eq!(v, truncated_normal_variance(b, a));
        assert_eq!(v, truncated_normal_variance(-b, -a));
    }
    // Finite, and within [0, min(1, w²/4)], everywhere on a grid that includes huge bounds.
    let grid = [
        -3.0e38f32,
        -1e20,
        -1e7,
        -1e4,
        -40.0,
        -12.0,
        -3.0,
        -1.0,
        -0.1,
        0.0,
        0.1,
        1.0,
        2.99,
        3.0,
        9.0,
        40.0,
        1e4,
        1e7,
        1e20,
        3.0e38,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    for &a in &grid {
        for &b in &grid {
            let v = truncated_normal_variance(a, b);
            let w = f64::from(b) - f64::from(a);
            assert!((0.0..=1.0).contains(&v), "({a}, {b}) -> {v}");
            if w.is_finite() {
                assert!(
                    f64::from(v) <= 0.25 * w * w * (1.0 + 1e-6),
                    "({a}, {b}) -> {v}"
                );
            }
        }
    }
    // Deep in a tail the variance is about 1/a².
    let v = truncated_normal_variance(1e5, f32::INFINITY);
    assert!((f64::from(v) * 1e10 - 1.0).abs() < 1e-6, "{v}");
}
