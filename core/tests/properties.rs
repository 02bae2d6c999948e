//! Property tests: the pseudo-likelihood scores stay finite and point the right way for
//! random and extreme inputs (|z| up to 1e6, σ down to 1e-8, β from 1e-4 to 1e3, Δ from 1e-6
//! to 1e6).

use proptest::prelude::*;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};

/// A value whose magnitude is log-uniform in [1e-8, 1e6], with either sign (or exactly 0).
fn wide() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(0.0f32),
        (-8.0f32..6.0, any::<bool>()).prop_map(|(e, neg)| {
            let v = libm::powf(10.0, e);
            if neg {
                -v
            } else {
                v
            }
        }),
    ]
}

fn log_uniform(lo: f32, hi: f32) -> impl Strategy<Value = f32> {
    (libm::log10f(lo)..libm::log10f(hi)).prop_map(|e| libm::powf(10.0, e))
}

/// `g` for one measurement.
fn g_of(meas: Measurements<'_>, sigma: f32, beta: f32, norm2: f32, z: f32) -> f32 {
    let lik = PseudoLikelihood::new(meas, sigma).unwrap();
    let mut cache = [0.0f32];
    lik.prepare(beta, &[norm2], &mut cache).unwrap();
    let mut g = [0.0f32];
    lik.g(&[z], &cache, &mut g, &mut []).unwrap();
    g[0]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn one_bit_finite_and_directed(
        z in wide(), up in any::<bool>(), sigma in log_uniform(1e-8, 10.0),
        beta in log_uniform(1e-4, 1e3), norm2 in log_uniform(1e-3, 1e3),
    ) {
        let y = if up { 1.0f32 } else { -1.0 };
        let signs = [y];
        let g = g_of(Measurements::one_bit(&signs), sigma, beta, norm2, z);
        prop_assert!(g.is_finite(), "g = {g}");
        // The score pulls z toward the observed sign, never away from it.
        prop_assert!(y * g >= 0.0, "y = {y}, z = {z}, g = {g}");
        if y * z <= 0.0 {
            prop_assert!(y * g > 0.0, "violated sign must give a non-zero pull: z = {z}, g = {g}");
        }
    }

    #[test]
    fn one_bit_is_monotone_in_z(
        z1 in wide(), z2 in wide(), sigma in log_uniform(1e-8, 10.0),
        beta in log_uniform(1e-4, 1e3), norm2 in log_uniform(1e-3, 1e3),
    ) {
        // log Φ is concave, so g(z) is non-increasing in z for y = +1.
        let (lo, hi) = if z1 <= z2 { (z1, z2) } else { (z2, z1) };
        let signs = [1.0f32];
        let g_lo = g_of(Measurements::one_bit(&signs), sigma, beta, norm2, lo);
        let g_hi = g_of(Measurements::one_bit(&signs), sigma, beta, norm2, hi);
        prop_assert!(g_lo >= g_hi * (1.0 - 1e-5) - 1e-30, "g({lo}) = {g_lo} < g({hi}) = {g_hi}");
    }

    #[test]
    fn quantized_finite_and_directed(
        z in wide(), k in -4i32..4, delta in log_uniform(1e-6, 1e6), sigma in log_uniform(1e-8, 10.0),
        beta in log_uniform(1e-4, 1e3), norm2 in log_uniform(1e-3, 1e3),
        open_low in any::<bool>(), open_high in any::<bool>(),
    ) {
        let lower = if open_low { f32::NEG_INFINITY } else { k as f32 * delta };
        let upper = if open_high { f32::INFINITY } else { (k + 1) as f32 * delta };
        let (lo, hi) = ([lower], [upper]);
        let g = g_of(Measurements::quantized(&lo, &hi), sigma, beta, norm2, z);
        prop_assert!(g.is_finite(), "g = {g} for z = {z} in [{lower}, {upper})");
        if z < lower {
            prop_assert!(g > 0.0, "z = {z} below [{lower}, {upper}) must be pulled up, g = {g}");
        }
        if z >= upper {
            prop_assert!(g < 0.0, "z = {z} above [{lower}, {upper}) must be pulled down, g = {g}");
        }
    }

    #[test]
    fn linear_diagonal_finite_and_directed(
        z in wide(), y in wide(), sigma in log_uniform(1e-8, 10.0),
        beta in log_uniform(1e-4, 1e3), norm2 in log_uniform(1e-3, 1e3),
    ) {
        let ys = [y];
        let g = g_of(Measurements::linear_diagonal(&ys), sigma, beta, norm2, z);
        prop_assert!(g.is_finite() || (y - z).abs() > 1e30, "g = {g}");
        prop_assert!(g * (y - z) >= 0.0);
    }
}
