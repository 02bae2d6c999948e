//! `qcs_core::fastmath` and what the `fast-math` feature does to the numbers (issue 19).
//!
//! Without the feature: every routed function is `libm`'s, bit for bit. With it
//! (`cargo test -p qcs-core --release --features fast-math`): micromath's documented error
//! bounds, the Langevin noise's moments, and the one-bit and multi-bit scores over the mpmath
//! golden tables with the tolerances stated below; the score kernels of `gauss` are unchanged
//! (`tests/gauss.rs` runs unmodified in both builds).

mod common;

use qcs_core::fastmath;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::rng::{for_each_langevin_normal, stream_rng};

/// Arguments spread over many binades: `2^k·(1 + j/64)`.
fn sweep(lo: i32, hi: i32) -> impl Iterator<Item = f32> {
    (lo..hi).flat_map(|k| (0..64).map(move |j| libm::ldexpf(1.0 + j as f32 / 64.0, k)))
}

#[cfg(not(feature = "fast-math"))]
#[test]
fn default_build_is_libm_bit_for_bit() {
    const { assert!(!fastmath::FAST_MATH) };
    for x in sweep(-126, 127) {
        assert_eq!(fastmath::sqrtf(x).to_bits(), libm::sqrtf(x).to_bits());
        assert_eq!(fastmath::logf(x).to_bits(), libm::logf(x).to_bits());
    }
    for i in -8700..8800 {
        let x = i as f32 * 0.01;
        assert_eq!(fastmath::expf(x).to_bits(), libm::expf(x).to_bits());
    }
    // The Langevin noise is the operator's normal stream, bit for bit.
    use qcs_core::rng::fill_standard_normal;
    let (mut a, mut b) = (stream_rng(3, 1), stream_rng(3, 1));
    let mut want = vec![0.0f32; 1001];
    fill_standard_normal(&mut a, &mut want);
    let mut got = vec![0.0f32; 1001];
    for_each_langevin_normal(&mut b, got.len(), |i, e| got[i] = e);
    assert_eq!(
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        got.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

/// micromath 2.1's bounds: `sqrt` "average deviation of ~5%" (rustdoc; the bit-level method of
/// S. Brumme peaks at 6.07% at odd powers of two, so 6.1% max), `ln` and `exp` relative error
/// ≤ 10⁻³ (micromath's own tests, `MAX_ERROR`); for `ln` we also state the absolute bound of its
/// Remez polynomial, 7·10⁻⁵ (measured 6.7·10⁻⁵ here, on every binade, both sides of 1), which is what
/// matters near `ln 1 = 0`; for `exp` the 10⁻³ of its tests holds on its test vectors only, the
/// measured worst over `[−87, 88]` is 2.4·10⁻³ (the degree-4 Taylor polynomial on `[0, ln 2)`).
#[cfg(feature = "fast-math")]
#[test]
fn micromath_documented_bounds() {
    const { assert!(fastmath::FAST_MATH) };
    let (mut sqrt_rel, mut ln_abs, mut ln_rel, mut exp_rel) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for x in sweep(-120, 120) {
        let xd = x as f64;
        let s = fastmath::sqrtf(x) as f64;
        sqrt_rel = sqrt_rel.max((s - xd.sqrt()).abs() / xd.sqrt());
        let l = fastmath::logf(x) as f64;
        ln_abs = ln_abs.max((l - xd.ln()).abs());
        if (xd.ln()).abs() > 0.5 {
            ln_rel = ln_rel.max((l - xd.ln()).abs() / xd.ln().abs());
        }
    }
    // The polar method's arguments: s ∈ (0, 1) on the 2⁻⁴⁶ grid, densest near 1.
    for i in 1..(1 << 16) {
        let s = 1.0 - i as f32 * 2f32.powi(-16);
        let l = fastmath::logf(s) as f64;
        ln_abs = ln_abs.max((l - (s as f64).ln()).abs());
        assert!(l < 0.0, "ln({s}) = {l} must stay negative below 1");
    }
    for i in -8700..8800 {
        let x = i as f32 * 0.01;
        let e = fastmath::expf(x) as f64;
        let t = (x as f64).exp();
        exp_rel = exp_rel.max((e - t).abs() / t);
    }
    eprintln!(
        "fast-math: sqrt ≤ {sqrt_rel:.3e} rel, ln ≤ {ln_abs:.3e} abs ({ln_rel:.3e} rel where |ln x| > ½), exp ≤ {exp_rel:.3e} rel"
    );
    assert!(sqrt_rel <= 0.061, "sqrt {sqrt_rel}");
    assert!(ln_abs <= 7e-5, "ln {ln_abs}");
    assert!(ln_rel <= 1e-3, "ln {ln_rel}");
    assert!(exp_rel <= 2.5e-3, "exp {exp_rel}");
    assert_eq!(fastmath::logf(1.0), 0.0);
    assert_eq!(fastmath::expf(0.0), 1.0);
}

/// The Langevin noise with micromath's `sqrt`/`ln`: finite, symmetric, and no longer quite
/// standard normal: micromath's square root is biased (it interpolates linearly in the
/// significand), so the variance is 1.042 here (the noise's standard deviation 2% high) and
/// `P(|e| > 2)` 0.051 instead of 0.0455. The bounds below state that bias.
#[cfg(feature = "fast-math")]
#[test]
fn langevin_noise_moments() {
    let mut rng = stream_rng(7, 0);
    let n = 200_000;
    let (mut s1, mut s2, mut s4, mut tail) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for_each_langevin_normal(&mut rng, n, |_, e| {
        assert!(e.is_finite());
        let e = e as f64;
        s1 += e;
        s2 += e * e;
        s4 += e * e * e * e;
        tail += usize::from(e.abs() > 2.0);
    });
    let (mean, var) = (s1 / n as f64, s2 / n as f64);
    let kurt = s4 / n as f64 / (var * var);
    let tail = tail as f64 / n as f64;
    eprintln!("fast-math Langevin noise: mean {mean:.4}, var {var:.4}, kurtosis {kurt:.3}, P(|e|>2) {tail:.4}");
    // Sampling std errors: mean 0.0022, var 0.0032, kurtosis ≈ 0.01, P(|e|>2) 0.0005.
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!(var > 1.0 && var < 1.08, "var {var}");
    assert!((kurt - 3.0).abs() < 0.1, "kurtosis {kurt}");
    assert!((tail - 0.0455).abs() < 0.008, "P(|e|>2) {tail}");
}

/// `(worst relative error where |g*| ≥ 10⁻³/s, worst error in units of 1/s where |g*| < 10⁻³/s,
/// rows)` of one score over a golden table (`s` the exact `√(σ² + β²‖a‖²)`), asserting finiteness
/// and `|g − g*| ≤ rel·|g*| + abs/s` on every row.
fn score_errors(file: &str, quantized: bool, rel: f64, abs: f64) -> (f64, f64, usize) {
    let (_, rows) = common::read_csv(file);
    let (mut worst_rel, mut worst_abs) = (0.0f64, 0.0f64);
    for r in &rows {
        let sb = if quantized { 3 } else { 2 };
        let (z, sigma, beta, n2, exp) = (
            r[0] as f32,
            r[sb] as f32,
            r[sb + 1] as f32,
            r[sb + 2] as f32,
            r[sb + 3],
        );
        let (lower, upper, signs) = ([r[1] as f32], [r[2] as f32], [r[1] as f32]);
        let meas = if quantized {
            Measurements::quantized(&lower, &upper)
        } else {
            Measurements::one_bit(&signs)
        };
        let lik = PseudoLikelihood::new(meas, sigma).expect("valid likelihood");
        let mut cache = [0.0f32];
        lik.prepare(beta, &[n2], &mut cache).expect("prepare");
        let mut g = [0.0f32];
        lik.g(&[z], &cache, &mut g, &mut []).expect("g");
        let g = g[0];
        let (s, b, n) = (sigma as f64, beta as f64, n2 as f64);
        let inv_s = 1.0 / (s * s + b * b * n).sqrt();
        assert!(g.is_finite(), "{file}: z={z} σ={sigma} β={beta}: {g}");
        let err = (g as f64 - exp).abs();
        if exp.abs() >= 1e-3 * inv_s {
            worst_rel = worst_rel.max(err / exp.abs());
        } else {
            worst_abs = worst_abs.max(err / inv_s);
        }
        assert!(
            err <= rel * exp.abs() + abs * inv_s,
            "{file}: z={z} σ={sigma} β={beta} ‖a‖²={n2}: got {g}, want {exp} (error {err:.3e}, 1/s {inv_s:.3e})"
        );
    }
    (worst_rel, worst_abs, rows.len())
}

/// The one-bit (eq. 18) and multi-bit (eq. 15/29) scores with `fast-math` against mpmath.
///
/// Only `1/s_m` changes (micromath's `sqrt`, ≤ 6.1%); the kernel is exact for its argument.
/// Tolerance `|g − g*| ≤ 0.15·|g*| + 0.05/s`: where a sign is violated by many `s`,
/// `g ≈ −z/s²` carries the `1/s` error twice (≤ 12.6%); where it is satisfied, `g` decays like
/// `φ(z/s)/s` and the relative error of a scaled argument grows without bound while the
/// absolute error stays below 0.05/s (the largest slope of the inverse Mills ratio times the
/// 6% shift of its argument, around `|z/s| ≈ 1`). The default build meets 2·10⁻⁵ relative
/// (`tests/likelihood.rs`).
#[cfg(feature = "fast-math")]
#[test]
fn scores_over_the_golden_tables() {
    for (file, quantized) in [
        ("likelihood_one_bit.csv", false),
        ("likelihood_quantized.csv", true),
    ] {
        let (rel, abs, rows) = score_errors(file, quantized, 0.15, 0.05);
        eprintln!(
            "fast-math {file}: worst relative error {rel:.3e} (|g| ≥ 10⁻³/s), worst absolute error {abs:.3e}/s (|g| < 10⁻³/s) over {rows} rows"
        );
    }
}

/// The default build's scores over the same tables, for the comparison in BENCHMARKS.md.
#[cfg(not(feature = "fast-math"))]
#[test]
fn scores_over_the_golden_tables_default() {
    for (file, quantized) in [
        ("likelihood_one_bit.csv", false),
        ("likelihood_quantized.csv", true),
    ] {
        let (rel, abs, rows) = score_errors(file, quantized, 2e-5, 1e-7);
        eprintln!(
            "libm {file}: worst relative error {rel:.3e} (|g| ≥ 10⁻³/s), worst absolute error {abs:.3e}/s (|g| < 10⁻³/s) over {rows} rows"
        );
    }
}
